package azurejson

import (
	"crypto"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/policy"
	"github.com/e2etls/e2etls/rewrite"
	"github.com/e2etls/e2etls/routing"
)

// The Azure resources the written documents reference, made up for tests.
const (
	testSubnet   = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-test/providers/Microsoft.Network/virtualNetworks/vnet/subnets/appgw"
	testPublicIP = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-test/providers/Microsoft.Network/publicIPAddresses/pip"
	testPassword = "round-trip-test-only"
)

// roundTripCase is a corpus document with the options it is read with,
// and the fields Azure cannot carry that writing it leaves out.
type roundTripCase struct {
	file    string
	opts    Options
	dropped []string
}

// corpusCases are every document of the corpus (the template with its
// parameters file) with the options their corpus tests read them with.
func corpusCases(t *testing.T) []roundTripCase {
	t.Helper()
	params, err := os.ReadFile(filepath.Join(corpus, "template-export.parameters.json"))
	require.NoError(t, err)
	cases := []roundTripCase{
		{file: "az-show-v2.json", opts: Options{PrivateAddress: "127.0.0.1", PublicAddress: "127.0.0.2", CertificateFiles: map[string]string{"WWW-Contoso": filepath.Join(corpus, "certs", "www-both.pem")}}},
		{file: "http-to-https.json", opts: Options{PrivateAddress: "127.0.0.1", CertificateFiles: map[string]string{"www": filepath.Join(corpus, "certs", "www.pfx.b64")}}},
		{file: "multisite-pathmaps.json", opts: Options{}},
		{file: "pathmap-redirects.json", opts: Options{PrivateAddress: "127.0.0.1"}},
		{file: "portal-defaults.json", opts: Options{}},
		{file: "probes-match.json", opts: Options{PrivateAddress: "127.0.0.1"}},
		{file: "rest-put-body.json", opts: Options{}},
		{file: "rewrite-sets.json", opts: Options{}},
		{file: "template-export.json", opts: Options{Parameters: params, PublicAddress: "127.0.0.1"}},
		{file: "template-handwritten.json", opts: Options{PrivateAddress: "127.0.0.1"}},
		// Standard_v2 has no authentication certificates.
		{file: "v1-auth-certs.json", dropped: []string{`authenticationCertificate "legacy-leaf"`, `backendHttpSetting "legacy-tls": AuthenticationCertificates`}},
		{file: "waf-disabled.json", opts: Options{}},
	}
	// Every document of the corpus is here.
	docs, err := filepath.Glob(filepath.Join(corpus, "*.json"))
	require.NoError(t, err)
	var want []string
	for _, d := range docs {
		if !strings.HasSuffix(d, ".parameters.json") {
			want = append(want, filepath.Base(d))
		}
	}
	var got []string
	for _, c := range cases {
		got = append(got, c.file)
	}
	require.Equal(t, want, got, "corpusCases lists every corpus document")
	return cases
}

// writeOptions are the options that write a configuration read with opts
// back so that reading it with the same addresses gives it again.
func writeOptions(name string, opts Options) WriteOptions {
	return WriteOptions{
		Name:                name,
		SubscriptionID:      "11111111-2222-3333-4444-555555555555",
		ResourceGroup:       "rg-test",
		Location:            "northeurope",
		SubnetID:            testSubnet,
		PublicIPAddressID:   testPublicIP,
		PublicAddress:       opts.PublicAddress,
		CertificatePassword: testPassword,
	}
}

// templateParameters is the parameters file that deploys the written
// template: a value for each of its parameters that has no default.
func templateParameters(t *testing.T, template []byte) []byte {
	t.Helper()
	var tmpl struct {
		Parameters map[string]struct {
			DefaultValue any `json:"defaultValue"`
		} `json:"parameters"`
	}
	require.NoError(t, json.Unmarshal(template, &tmpl))
	values := map[string]string{paramSubnet: testSubnet, paramPublicIP: testPublicIP, paramPassword: testPassword}
	params := make(map[string]any)
	for name, p := range tmpl.Parameters {
		if p.DefaultValue == nil {
			require.Contains(t, values, name, "a parameter without default")
			params[name] = map[string]any{"value": values[name]}
		}
	}
	data, err := json.Marshal(map[string]any{
		"$schema":        "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
		"contentVersion": "1.0.0.0",
		"parameters":     params,
	})
	require.NoError(t, err)
	return data
}

// explicit is cfg with the defaults the writer writes out made explicit,
// which is what reading the written document gives: what Azure cannot
// leave to a default.
//
//   - RequestTimeout 0 is 20 s; a probe's Path "" is "/", Interval and
//     Timeout 0 are 30 s, UnhealthyThreshold 0 is 3; connection draining
//     enabled with DrainTimeout 0 is 30 s; a redirect's Status 0 is 301.
//   - A DrainTimeout while draining is disabled means nothing, in Azure
//     as in e2etls, and reads back as zero.
//   - Rules without priorities get 10, 20, 30, ... in listed order (Azure
//     needs one on every rule), which keeps their order.
//   - Runtime wiring (Logger, Resolver, DialContext) is in no document.
func explicit(cfg gateway.Config) gateway.Config {
	cfg.Logger, cfg.Resolver, cfg.DialContext = nil, nil, nil
	cfg.BackendHTTPSettings = slices.Clone(cfg.BackendHTTPSettings)
	for i := range cfg.BackendHTTPSettings {
		s := &cfg.BackendHTTPSettings[i]
		if s.RequestTimeout == 0 {
			s.RequestTimeout = 20 * time.Second
		}
		switch d := &s.ConnectionDraining; {
		case d.Enabled && d.DrainTimeout == 0:
			d.DrainTimeout = 30 * time.Second
		case !d.Enabled:
			d.DrainTimeout = 0 // meaningless while disabled: Read ignores it
		}
	}
	cfg.Probes = slices.Clone(cfg.Probes)
	for i := range cfg.Probes {
		p := &cfg.Probes[i]
		if p.Path == "" {
			p.Path = "/"
		}
		if p.Interval == 0 {
			p.Interval = 30 * time.Second
		}
		if p.Timeout == 0 {
			p.Timeout = 30 * time.Second
		}
		if p.UnhealthyThreshold == 0 {
			p.UnhealthyThreshold = 3
		}
	}
	cfg.Redirects = slices.Clone(cfg.Redirects)
	for i := range cfg.Redirects {
		if cfg.Redirects[i].Status == 0 {
			cfg.Redirects[i].Status = 301
		}
	}
	cfg.Rules = slices.Clone(cfg.Rules)
	if !slices.ContainsFunc(cfg.Rules, func(r gateway.Rule) bool { return r.Priority != 0 }) {
		for i := range cfg.Rules {
			cfg.Rules[i].Priority = (i + 1) * 10
		}
	}
	return cfg
}

// withoutAuthenticationCertificates is cfg without its authentication
// certificates, which Standard_v2 cannot carry, and their uses.
func withoutAuthenticationCertificates(cfg gateway.Config) gateway.Config {
	cfg.AuthenticationCertificates = nil
	cfg.BackendHTTPSettings = slices.Clone(cfg.BackendHTTPSettings)
	for i := range cfg.BackendHTTPSettings {
		cfg.BackendHTTPSettings[i].AuthenticationCertificates = nil
	}
	return cfg
}

// sameCertificates checks that got holds the certificates of want, chains
// and keys alike, and clears them in both, so that the rest compares with
// require.Equal.
func sameCertificates(t *testing.T, want, got *gateway.Config) {
	t.Helper()
	require.Len(t, got.SSLCertificates, len(want.SSLCertificates))
	for i, w := range want.SSLCertificates {
		g := got.SSLCertificates[i]
		assert.Equal(t, w.Name, g.Name)
		assert.Equal(t, w.Certificate.Certificate, g.Certificate.Certificate, "%s: chain", w.Name)
		pub, ok := w.Certificate.PrivateKey.(crypto.Signer)
		require.True(t, ok, w.Name)
		require.NotNil(t, g.Certificate.PrivateKey, w.Name)
		assert.True(t, keyMatches(g.Certificate.PrivateKey, g.Certificate.Leaf), "%s: key", w.Name)
		assert.True(t, pub.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(g.Certificate.PrivateKey.(crypto.Signer).Public()), "%s: key", w.Name)
	}
	for _, pair := range [][2][]gateway.NamedCertificate{
		{want.TrustedRootCertificates, got.TrustedRootCertificates},
		{want.AuthenticationCertificates, got.AuthenticationCertificates},
	} {
		require.Len(t, pair[1], len(pair[0]))
		for i, w := range pair[0] {
			assert.Equal(t, w.Name, pair[1][i].Name)
			assert.True(t, w.Certificate.Equal(pair[1][i].Certificate), w.Name)
		}
	}
	for _, c := range []*gateway.Config{want, got} {
		c.SSLCertificates, c.TrustedRootCertificates, c.AuthenticationCertificates = nil, nil, nil
	}
}

// writtenIgnored are the properties the writer writes that the reader
// accepts and ignores: what Azure needs and e2etls does not.
var writtenIgnored = []string{
	"id", "location", "sku", "gatewayIPConfigurations", "privateIPAllocationMethod", "subnet",
	"publicIPAddress", // bound to Options.PublicAddress: said so
	"apiVersion", "$schema", "contentVersion",
}

// TestWriteRoundTrip reads every corpus document, writes its
// configuration as a resource document and as a template, and reads each
// back: the configuration is the same, field by field, but for the
// defaults the writer writes out (see explicit); every reference of the
// written document resolves (Read checks them), it is one gateway.New
// accepts, and it holds nothing the reader ignores but what Azure needs.
func TestWriteRoundTrip(t *testing.T) {
	for _, c := range corpusCases(t) {
		doc := readCorpus(t, c.file, c.opts)
		name := cmpOrName(doc.Name)
		wopts := writeOptions(name, c.opts)
		var dropped []string
		if c.dropped != nil {
			wopts.OnDrop = func(d Dropped) { dropped = append(dropped, d.Path) }
		}
		readOpts := Options{PublicAddress: c.opts.PublicAddress}
		for _, form := range []string{"resource", "template"} {
			t.Run(c.file+"/"+form, func(t *testing.T) {
				write, ropts := WriteResource, readOpts
				if form == "template" {
					write = WriteTemplate
				}
				dropped = nil
				out, err := write(doc.Config, wopts)
				require.NoError(t, err)
				assert.Equal(t, c.dropped, dropped, "left out")
				if form == "template" {
					ropts.Parameters = templateParameters(t, out)
				}
				back, err := Read(out, ropts)
				require.NoError(t, err, "reading the written document:\n%s", out)
				assert.Equal(t, name, back.Name)
				if form == "template" {
					assert.Equal(t, Template, back.Format)
				} else {
					assert.Equal(t, Resource, back.Format)
				}
				for _, n := range back.Ignored {
					assert.Contains(t, writtenIgnored, n.Property, "written and ignored: %s", n)
				}
				g, err := gateway.New(withOffline(back.Config))
				require.NoError(t, err, "gateway.New of the written document")
				require.NoError(t, g.Close())

				want, got := explicit(doc.Config), back.Config
				if c.dropped != nil {
					want = withoutAuthenticationCertificates(want)
				}
				sameCertificates(t, &want, &got)
				require.Equal(t, want, got)
			})
		}
	}
}

// cmpOrName is the gateway's name, or the writer's default.
func cmpOrName(name string) string {
	if name == "" {
		return defaultGatewayName
	}
	return name
}

// withOffline is cfg with no network and no log.
func withOffline(cfg gateway.Config) gateway.Config {
	cfg.Logger = discardLogger()
	cfg.Resolver = offline{}
	cfg.DialContext = offline{}.DialContext
	return cfg
}

// TestWriteResourceShape pins what a resource document holds beyond the
// configuration: the gateway's id, type, location and SKU, the subnet, the
// frontends and ports made from the listeners, ids built from the
// gateway's, the certificates as Azure carries them.
func TestWriteResourceShape(t *testing.T) {
	doc := readCorpus(t, "rest-put-body.json", Options{})
	cfg := doc.Config
	cfg.Listeners = append(cfg.Listeners, gateway.Listener{Name: "internal", Protocol: gateway.HTTP, Address: "10.0.0.10", Port: 8080})
	cfg.Rules = append(cfg.Rules, gateway.Rule{Name: "internal", Priority: 30, Listener: "internal", Pool: "appgwpool", BackendHTTPSetting: "appgwbhs"})
	out, err := WriteResource(cfg, WriteOptions{
		Name: "agw-put", SubscriptionID: "sub", ResourceGroup: "rg-put", Location: "westus2", Capacity: 3,
		SubnetID: testSubnet, PublicIPAddressID: testPublicIP, CertificatePassword: testPassword,
	})
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(out, &got))
	gw := "/subscriptions/sub/resourceGroups/rg-put/providers/Microsoft.Network/applicationGateways/agw-put"
	assert.Equal(t, "agw-put", got["name"])
	assert.Equal(t, gw, got["id"])
	assert.Equal(t, "Microsoft.Network/applicationGateways", got["type"])
	assert.Equal(t, "westus2", got["location"])
	props := got["properties"].(map[string]any)
	assert.Equal(t, map[string]any{"name": "Standard_v2", "tier": "Standard_v2", "capacity": 3.0}, props["sku"])
	assert.Equal(t, []any{map[string]any{
		"name": "appGatewayIpConfig", "id": gw + "/gatewayIPConfigurations/appGatewayIpConfig",
		"properties": map[string]any{"subnet": map[string]any{"id": testSubnet}},
	}}, props["gatewayIPConfigurations"])
	assert.Equal(t, []any{
		map[string]any{"name": "appGwPublicFrontendIp", "id": gw + "/frontendIPConfigurations/appGwPublicFrontendIp",
			"properties": map[string]any{"publicIPAddress": map[string]any{"id": testPublicIP}}},
		map[string]any{"name": "appGwPrivateFrontendIp", "id": gw + "/frontendIPConfigurations/appGwPrivateFrontendIp",
			"properties": map[string]any{"privateIPAddress": "10.0.0.10", "privateIPAllocationMethod": "Static", "subnet": map[string]any{"id": testSubnet}}},
	}, props["frontendIPConfigurations"])
	assert.Equal(t, []any{
		map[string]any{"name": "port_443", "id": gw + "/frontendPorts/port_443", "properties": map[string]any{"port": 443.0}},
		map[string]any{"name": "port_8080", "id": gw + "/frontendPorts/port_8080", "properties": map[string]any{"port": 8080.0}},
	}, props["frontendPorts"])
	listener := props["httpListeners"].([]any)[0].(map[string]any)["properties"].(map[string]any)
	assert.Equal(t, map[string]any{"id": gw + "/frontendIPConfigurations/appGwPublicFrontendIp"}, listener["frontendIPConfiguration"])
	assert.Equal(t, map[string]any{"id": gw + "/sslCertificates/www"}, listener["sslCertificate"])
	assert.Equal(t, true, listener["requireServerNameIndication"])

	// Listener certificates: a base64 PFX with the password; roots: base64 DER.
	cert := props["sslCertificates"].([]any)[0].(map[string]any)["properties"].(map[string]any)
	assert.Equal(t, testPassword, cert["password"])
	der, err := decodeBase64(cert["data"].(string))
	require.NoError(t, err)
	pair, err := decodePFX(der, testPassword)
	require.NoError(t, err)
	assert.Equal(t, cfg.SSLCertificates[0].Certificate.Certificate, pair.Certificate)
	root := props["trustedRootCertificates"].([]any)[0].(map[string]any)["properties"].(map[string]any)
	assert.Equal(t, map[string]any{"data": base64DER(t, cfg.TrustedRootCertificates[0])}, root)

	// Backend TLS with Azure's names, and enableHttp2.
	setting := props["backendHttpSettingsCollection"].([]any)[0].(map[string]any)["properties"].(map[string]any)
	assert.Equal(t, "backend-tls.contoso.internal", setting["sniName"])
	assert.Equal(t, []any{map[string]any{"id": gw + "/trustedRootCertificates/root"}}, setting["trustedRootCertificates"])
	assert.Equal(t, true, props["enableHttp2"])
	assert.Equal(t, map[string]any{
		"policyType": "CustomV2", "minProtocolVersion": "TLSv1_2",
		"cipherSuites": []any{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
	}, props["sslPolicy"])
}

// base64DER is a named certificate as Azure's data holds it.
func base64DER(t *testing.T, c gateway.NamedCertificate) string {
	t.Helper()
	require.NotNil(t, c.Certificate)
	return base64.StdEncoding.EncodeToString(c.Certificate.Raw)
}

// TestWriteTemplateShape: a template deploys the gateway with its secrets
// and Azure resources as parameters, its references as resourceId
// expressions, and literal strings that would read as expressions escaped.
func TestWriteTemplateShape(t *testing.T) {
	doc := readCorpus(t, "template-handwritten.json", Options{PrivateAddress: "127.0.0.1"})
	cfg := doc.Config
	cfg.SSLCertificates = []gateway.SSLCertificate{{Name: "www", Certificate: corpusPair(t, "www")}}
	out, err := WriteTemplate(cfg, WriteOptions{CertificatePassword: testPassword})
	require.NoError(t, err)
	assert.NotContains(t, string(out), testPassword, "a template never holds the password")
	var got map[string]any
	require.NoError(t, json.Unmarshal(out, &got))
	params := got["parameters"].(map[string]any)
	assert.ElementsMatch(t, []string{"applicationGatewayName", "location", "subnetId", "sslCertificatePassword"}, keys(params))
	assert.Equal(t, "securestring", params["sslCertificatePassword"].(map[string]any)["type"])
	assert.Equal(t, "appgw", params["applicationGatewayName"].(map[string]any)["defaultValue"])
	assert.Equal(t, "[resourceGroup().location]", params["location"].(map[string]any)["defaultValue"])
	assert.NotContains(t, params["subnetId"], "defaultValue")

	res := got["resources"].([]any)[0].(map[string]any)
	assert.Equal(t, "[parameters('applicationGatewayName')]", res["name"])
	assert.Equal(t, "[parameters('location')]", res["location"])
	assert.Equal(t, writeAPIVersion, res["apiVersion"])
	props := res["properties"].(map[string]any)
	rule := props["requestRoutingRules"].([]any)[0].(map[string]any)
	assert.NotContains(t, rule, "id")
	assert.Equal(t, map[string]any{"id": "[resourceId('Microsoft.Network/applicationGateways/httpListeners', parameters('applicationGatewayName'), 'app')]"},
		rule["properties"].(map[string]any)["httpListener"])
	assert.Equal(t, "[parameters('sslCertificatePassword')]", props["sslCertificates"].([]any)[0].(map[string]any)["properties"].(map[string]any)["password"])
	match := props["probes"].([]any)[0].(map[string]any)["properties"].(map[string]any)["match"].(map[string]any)
	assert.Equal(t, "[[ready]", match["body"], "a literal that reads as an expression is escaped")

	// Deployed with a parameters file, it reads back.
	back, err := Read(out, Options{Parameters: templateParameters(t, out)})
	require.NoError(t, err)
	assert.Equal(t, "[ready]", back.Config.Probes[0].Body)
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestWriteRefusesWhatAzureCannotCarry writes the flat sample, which uses
// e2etls's extensions, with more set: each field Azure cannot carry is
// refused by name, all at once; with OnDrop each is listed and left out,
// and the document reads back as the configuration without them.
func TestWriteRefusesWhatAzureCannotCarry(t *testing.T) {
	path, _ := writeSample(t)
	cfg, err := Load(path)
	require.NoError(t, err)
	cfg.Frontend = gateway.FrontendNetHTTP
	cfg.DetailedErrors = true
	s := &cfg.BackendHTTPSettings[0]
	s.Identity = "web.internal"
	s.Verifier = backendtls.VerifierFunc(func(tls.ConnectionState) error { return nil })
	s.SSLPolicy = cfg.SSLPolicy
	s.InsecureSkipVerify = true
	s.DisableProbe = true
	cfg.BackendHTTPSettings[2].Identity = ""
	cfg.BackendHTTPSettings[2].SubjectAltNames = []backendtls.SAN{{Type: backendtls.SANURI, Value: "spiffe://contoso.local/legacy"}}
	opts := WriteOptions{SubnetID: testSubnet, PublicIPAddressID: testPublicIP, CertificatePassword: testPassword}

	_, err = WriteResource(cfg, opts)
	require.Error(t, err)
	refused := []string{
		`azurejson: AffinityKey: Azure keys its affinity cookies itself`,
		`azurejson: ReadHeaderTimeout: `,
		`azurejson: IdleTimeout: `,
		`azurejson: Frontend: `,
		`azurejson: DetailedErrors: `,
		`azurejson: authenticationCertificate "legacy-leaf": Standard_v2 has no authentication certificates`,
		`azurejson: listener "api": SSLPolicy: a listener's own TLS policy needs an SSL profile`,
		`azurejson: pool "api": member 1: Port: a member's own port`,
		`azurejson: backendHttpSetting "web": Identity: `,
		`azurejson: backendHttpSetting "web": Verifier: `,
		`azurejson: backendHttpSetting "web": SSLPolicy: `,
		`azurejson: backendHttpSetting "web": HTTP2: Azure speaks HTTP/1.1 to backends`,
		`azurejson: backendHttpSetting "web": InsecureSkipVerify: `,
		`azurejson: backendHttpSetting "web": DisableProbe: Azure probes every backend`,
		`azurejson: backendHttpSetting "api": PinnedPublicKeys: Azure cannot pin backend public keys`,
		`azurejson: backendHttpSetting "api": ClientCertificate: `,
		`azurejson: backendHttpSetting "api": SSLPolicy: `,
		`azurejson: backendHttpSetting "legacy": AuthenticationCertificates: Standard_v2 has no authentication certificates`,
		`azurejson: backendHttpSetting "legacy": SubjectAltNames: Azure matches a backend certificate against the SNI name`,
	}
	lines := strings.Split(err.Error(), "\n")
	require.Len(t, lines, len(refused), "every field once, in order:\n%s", err)
	for i, want := range refused {
		assert.True(t, strings.HasPrefix(lines[i], want), "line %d: %q does not start with %q", i, lines[i], want)
		assert.True(t, strings.HasSuffix(lines[i], ": Azure cannot carry it (WriteOptions.OnDrop leaves such fields out)"), "line %d: %s", i, lines[i])
	}

	// With OnDrop: listed, left out.
	var dropped []string
	opts.OnDrop = func(d Dropped) {
		assert.NotEmpty(t, d.Reason, d.Path)
		dropped = append(dropped, d.Path)
	}
	for _, write := range []func(gateway.Config, WriteOptions) ([]byte, error){WriteResource, WriteTemplate} {
		dropped = nil
		out, err := write(cfg, opts)
		require.NoError(t, err)
		assert.Equal(t, []string{
			"AffinityKey", "ReadHeaderTimeout", "IdleTimeout", "Frontend", "DetailedErrors", `authenticationCertificate "legacy-leaf"`,
			`listener "api": SSLPolicy`, `pool "api": member 1: Port`,
			`backendHttpSetting "web": Identity`, `backendHttpSetting "web": Verifier`, `backendHttpSetting "web": SSLPolicy`,
			`backendHttpSetting "web": HTTP2`, `backendHttpSetting "web": InsecureSkipVerify`, `backendHttpSetting "web": DisableProbe`,
			`backendHttpSetting "api": PinnedPublicKeys`, `backendHttpSetting "api": ClientCertificate`, `backendHttpSetting "api": SSLPolicy`,
			`backendHttpSetting "legacy": AuthenticationCertificates`, `backendHttpSetting "legacy": SubjectAltNames`,
		}, dropped)
		back, err := Read(out, Options{Parameters: templateParametersIf(t, out)})
		require.NoError(t, err, "%s", out)

		want2 := withoutAuthenticationCertificates(explicit(cfg))
		want2.AffinityKey, want2.ReadHeaderTimeout, want2.IdleTimeout, want2.Frontend, want2.DetailedErrors = nil, 0, 0, gateway.FrontendOwn, false
		want2.Listeners = slices.Clone(want2.Listeners)
		want2.Listeners[2].SSLPolicy = policy.Policy{}
		want2.Pools = slices.Clone(want2.Pools)
		want2.Pools[1].Members = slices.Clone(want2.Pools[1].Members)
		want2.Pools[1].Members[1].Port = 0
		web, api, legacy := &want2.BackendHTTPSettings[0], &want2.BackendHTTPSettings[1], &want2.BackendHTTPSettings[2]
		web.Identity, web.Verifier, web.SSLPolicy, web.HTTP2, web.InsecureSkipVerify, web.DisableProbe = "", nil, policy.Policy{}, false, false, false
		api.PinnedPublicKeys, api.ClientCertificate, api.SSLPolicy = nil, nil, policy.Policy{}
		legacy.SubjectAltNames = nil
		got := back.Config
		sameCertificates(t, &want2, &got)
		require.Equal(t, want2, got)
	}
}

// templateParametersIf is templateParameters for a template, nil for a
// resource document.
func templateParametersIf(t *testing.T, doc []byte) []byte {
	if !strings.Contains(string(doc), `"$schema"`) {
		return nil
	}
	return templateParameters(t, doc)
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestWriteErrors: what makes a document Azure would refuse is reported,
// every problem at once, each with its place.
func TestWriteErrors(t *testing.T) {
	pair := corpusPair(t, "www")
	cfg := gateway.Config{
		SSLCertificates: []gateway.SSLCertificate{{Name: "www", Certificate: pair}},
		Listeners: []gateway.Listener{
			{Name: "public", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "www"},
			{Name: "a", Protocol: gateway.HTTP, Address: "10.0.0.4", Port: 80},
			{Name: "b", Protocol: gateway.HTTP, Address: "10.0.0.5", Port: 81},
			{Name: "web site", Protocol: gateway.HTTP, Address: "10.0.0.4", Port: 82, SSLCertificate: "nope"},
			{Name: "high", Protocol: gateway.HTTP, Port: 65300},
			{Name: "mounted", Protocol: gateway.HTTPS, Port: 8443},
		},
		Pools: []gateway.Pool{{Name: "app"}, {Name: "App"}},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{
			{Name: "s", Protocol: gateway.HTTP, Port: 80, RequestTimeout: 1500 * time.Millisecond, Probe: "p"},
			{Name: "members", Protocol: gateway.HTTP},
		},
		Rules: []gateway.Rule{
			{Name: "r1", Priority: 10, Listener: "public", Pool: "app", BackendHTTPSetting: "s"},
			{Name: "r2", Listener: "a", URLPathMap: "m"},
		},
		URLPathMaps: []gateway.URLPathMap{{Name: "m", DefaultRedirect: "gone", PathRules: []gateway.PathRule{
			{Name: "x_", Paths: []string{"/x"}, Pool: "apps", BackendHTTPSetting: "s"},
			{Name: "-y", Paths: []string{"/y"}, Redirect: "r"},
		}}},
		Redirects: []gateway.Redirect{{Name: "r", Status: 308, TargetListener: "c"}},
	}
	_, err := WriteResource(cfg, WriteOptions{Name: "gw/1", Capacity: 200})
	require.Error(t, err)
	assert.Equal(t, []string{
		`azurejson: WriteOptions.Name: "gw/1": Azure allows 1 to 80 letters, digits, '_', '.' and '-', beginning with a letter or digit and ending with a letter, digit or '_'`,
		`azurejson: WriteOptions.Capacity: 200 is out of range 1-125`,
		`azurejson: listener "web site": name: Azure allows 1 to 80 letters, digits, '_', '.' and '-', beginning with a letter or digit and ending with a letter, digit or '_'`,
		`azurejson: pool "App": name: Azure matches names without regard to case, and "app" is another pool's`,
		`azurejson: WriteOptions.CertificatePassword: empty, but sslCertificates "www" need one: Azure takes a listener certificate with its private key as a PFX file and its password, and the key is never written unprotected`,
		`azurejson: listener "b": Address "10.0.0.5": Azure has one private frontend IP configuration, whose address is "10.0.0.4" (listener "a"); bind the same address, or set WriteOptions.PrivateIPAddress`,
		`azurejson: listener "web site": SSLCertificate: unknown sslCertificate "nope"`,
		`azurejson: listener "high": Port 65300: Standard_v2 listens on ports 1-65199 (Azure keeps the ports above for itself)`,
		`azurejson: listener "mounted": SSLCertificate: none (a listener served only through Gateway.Handler): an Azure HTTPS listener presents its own certificate; give it one`,
		`azurejson: WriteOptions.PublicIPAddressID: empty, but listeners bind all addresses (or WriteOptions.PublicAddress), which Azure gives a public frontend: give the resource id of its public IP address`,
		`azurejson: backendHttpSetting "s": RequestTimeout: 1.5s is not a whole number of seconds, which is what Azure takes`,
		`azurejson: backendHttpSetting "s": Probe: unknown probe "p"`,
		`azurejson: backendHttpSetting "members": Port: zero, each member's own port instead: Azure needs a port on every backend setting and sends every member of a pool to it; give the setting a port`,
		`azurejson: rule "r2": Priority: zero, but rule "r1" has one: Azure needs a priority on every rule`,
		`azurejson: urlPathMap "m": DefaultRedirect: unknown redirect "gone"`,
		`azurejson: urlPathMap "m": pathRule "x_": Pool: unknown pool "apps"`,
		`azurejson: urlPathMap "m": pathRule "-y": name: Azure allows 1 to 80 letters, digits, '_', '.' and '-', beginning with a letter or digit and ending with a letter, digit or '_'`,
		`azurejson: redirect "r": Status 308: Azure redirects with 301, 302, 303 or 307`,
		`azurejson: redirect "r": TargetListener: unknown listener "c"`,
		`azurejson: WriteOptions.SubnetID: empty: Azure deploys a gateway into a subnet (gatewayIPConfigurations); give the subnet's resource id`,
	}, strings.Split(err.Error(), "\n"))

	// A template takes the subnet and the public address as parameters,
	// but the password it needs all the same: it encrypts the PFX.
	cfg = gateway.Config{
		SSLCertificates:     cfg.SSLCertificates,
		Listeners:           cfg.Listeners[:1],
		Pools:               cfg.Pools[:1],
		BackendHTTPSettings: []gateway.BackendHTTPSetting{{Name: "s", Protocol: gateway.HTTP, Port: 80}},
		Rules:               cfg.Rules[:1],
	}
	_, err = WriteTemplate(cfg, WriteOptions{})
	require.EqualError(t, err, `azurejson: WriteOptions.CertificatePassword: empty, but sslCertificates "www" need one: Azure takes a listener certificate with its private key as a PFX file and its password, and the key is never written unprotected`)
	_, err = WriteTemplate(cfg, WriteOptions{CertificatePassword: testPassword})
	require.NoError(t, err)
}

// TestWritePolicies: a predefined policy is written by name, a custom one
// as CustomV2 with Azure's names; one Azure cannot express is refused.
func TestWritePolicies(t *testing.T) {
	custom, err := policy.Custom("TLSv1_2", []string{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"})
	require.NoError(t, err)
	predefined, err := policy.Predefined("AppGwSslPolicy20170401S")
	require.NoError(t, err)
	tls13, err := policy.Custom("TLSv1_3", nil)
	require.NoError(t, err)
	tls12only := custom
	tls12only.MaxVersion = tls.VersionTLS12
	tls12only.Curves = nil
	tests := []struct {
		name string
		p    policy.Policy
		want string // the sslPolicy written, "" when refused
	}{
		{"predefined", predefined, `{"policyType":"Predefined","policyName":"AppGwSslPolicy20170401S"}`},
		{"custom", custom, `{"policyType":"CustomV2","minProtocolVersion":"TLSv1_2","cipherSuites":["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]}`},
		{"TLS 1.3 only", tls13, `{"policyType":"CustomV2","minProtocolVersion":"TLSv1_3"}`},
		{"no TLS 1.3", tls12only, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := gateway.Config{SSLPolicy: tt.p}
			opts := WriteOptions{SubnetID: testSubnet}
			out, err := WriteResource(cfg, opts)
			if tt.want == "" {
				require.EqualError(t, err, `azurejson: SSLPolicy: a TLS policy Azure's custom policies cannot express (they allow up to TLS 1.3, Azure's cipher suites and the default curves): Azure cannot carry it (WriteOptions.OnDrop leaves such fields out)`)
				return
			}
			require.NoError(t, err)
			var doc struct {
				Properties struct {
					SSLPolicy json.RawMessage `json:"sslPolicy"`
				} `json:"properties"`
			}
			require.NoError(t, json.Unmarshal(out, &doc))
			assert.JSONEq(t, tt.want, string(doc.Properties.SSLPolicy))
			back, err := Read(out, Options{})
			require.NoError(t, err)
			assert.Equal(t, tt.p, back.Config.SSLPolicy)
		})
	}
}

// TestWriterKnowsEveryField fails when gateway's configuration gains a
// field the writer does not know: each field is written, refused (or left
// out with OnDrop), or process wiring that no document holds. A new field
// must be added to the writer, never dropped silently.
func TestWriterKnowsEveryField(t *testing.T) {
	known := map[reflect.Type][]string{
		reflect.TypeFor[gateway.Config](): {
			"Listeners", "Rules", "URLPathMaps", "Redirects", "Pools", "BackendHTTPSettings", "Probes",
			"SSLCertificates", "TrustedRootCertificates", "AuthenticationCertificates", "SSLPolicy", "DisableHTTP2",
			"SSLProfiles", "TrustedClientCertificates", "RewriteRuleSets", "CustomErrorPages", // written
			"AffinityKey", "SessionTicketKeys", "ReadHeaderTimeout", "IdleTimeout", "Frontend", "DetailedErrors", // refused
			"Logger", "Resolver", "DialContext", "AccessLog", "Observer", "Tracer", "ReusePort", // wiring
		},
		reflect.TypeFor[gateway.Listener]():        {"Name", "Protocol", "Address", "Port", "HostNames", "SSLCertificate", "RequireSNI", "SSLPolicy", "SSLProfile", "CustomErrorPages"},
		reflect.TypeFor[gateway.CustomErrorPage](): {"StatusCode", "PageURL"}, // a file is refused
		reflect.TypeFor[gateway.Rule]():            {"Name", "Listener", "Priority", "Pool", "BackendHTTPSetting", "URLPathMap", "Redirect", "RewriteRuleSet"},
		reflect.TypeFor[gateway.URLPathMap]():      {"Name", "DefaultPool", "DefaultBackendHTTPSetting", "DefaultRedirect", "PathRules", "DefaultRewriteRuleSet", "CaseSensitive"}, // CaseSensitive refused
		reflect.TypeFor[gateway.PathRule]():        {"Name", "Paths", "Match", "Pool", "BackendHTTPSetting", "WeightedBackends", "Redirect", "RewriteRuleSet"},                     // Match, WeightedBackends refused
		reflect.TypeFor[gateway.WeightedBackend](): {"Pool", "BackendHTTPSetting", "Weight"},
		reflect.TypeFor[rewrite.RuleSet]():         {"Name", "Rules"},
		reflect.TypeFor[rewrite.Rule]():            {"Name", "Sequence", "Conditions", "Actions"},
		reflect.TypeFor[rewrite.Condition]():       {"Variable", "Pattern", "IgnoreCase", "Negate"},
		reflect.TypeFor[rewrite.ActionSet]():       {"RequestHeaders", "ResponseHeaders", "URL", "Redirect"}, // Redirect refused
		reflect.TypeFor[rewrite.HeaderAction]():    {"Name", "Value", "Op", "ValueMatcher"},                  // Op AddHeader refused
		reflect.TypeFor[rewrite.ValueMatcher]():    {"Pattern", "IgnoreCase", "Negate"},
		reflect.TypeFor[rewrite.URLAction]():       {"ModifiedPath", "ModifiedQueryString", "Reroute"},
		reflect.TypeFor[gateway.Redirect]():        {"Name", "Status", "TargetListener", "TargetURL", "IncludePath", "IncludeQuery"},
		reflect.TypeFor[gateway.Pool]():            {"Name", "Members"},
		reflect.TypeFor[gateway.Member]():          {"Address", "Port"},
		reflect.TypeFor[gateway.BackendHTTPSetting](): {
			"Name", "Protocol", "Port", "RequestTimeout", "CookieBasedAffinity", "AffinityCookieName", "ConnectionDraining",
			"Path", "HostName", "PickHostNameFromBackendAddress", "Probe", "TrustedRootCertificates", "ServerName", // written
			"AuthenticationCertificates", "PinnedPublicKeys", "Identity", "SubjectAltNames", "Verifier", "ClientCertificate",
			"SSLPolicy", "HTTP2", "InsecureSkipVerify", "DisableProbe", // refused
		},
		reflect.TypeFor[gateway.ConnectionDraining](): {"Enabled", "DrainTimeout"},
		reflect.TypeFor[gateway.Probe](): {
			"Name", "Protocol", "Host", "PickHostNameFromBackendHTTPSettings", "Path", "Port", "Interval", "Timeout",
			"UnhealthyThreshold", "StatusCodes", "Body",
		},
		reflect.TypeFor[gateway.SSLCertificate]():   {"Name", "Certificate", "Source"}, // a Source as its current version
		reflect.TypeFor[gateway.NamedCertificate](): {"Name", "Certificate", "Source"},
		reflect.TypeFor[gateway.SSLProfile]():       {"Name", "SSLPolicy", "TrustedClientCertificates", "ClientAuth"},
		reflect.TypeFor[gateway.ClientAuth](): {
			"Mode", "VerifyClientCertIssuerDN", "VerifyClientRevocation", // written
			"OCSPResponderURL", "OCSPTimeout", "CRLs", "CRLSource", "AllowStaleCRLs", "RevocationSoftFail", "AllowedIdentities", "ForwardClientCert", // refused
		},
		reflect.TypeFor[gateway.TrustedClientCertificate](): {"Name", "Certificates", "Source"},
	}
	for typ, fields := range known {
		var got []string
		for f := range typ.Fields() {
			got = append(got, f.Name)
		}
		assert.ElementsMatch(t, fields, got, "the fields of %s: teach the writer the new ones", typ)
	}
}

// TestWriteRefusesGatewayAPIRouting writes the sample with what the
// Kubernetes Gateway API's routes need and Azure's path maps lack: match
// conditions, weighted backends, case-sensitive paths, and the shared
// session ticket keys. Each is refused by name; with OnDrop each is left
// out, and a split rule sends everything to its first backend of positive
// weight.
func TestWriteRefusesGatewayAPIRouting(t *testing.T) {
	path, _ := writeSample(t)
	cfg, err := Load(path)
	require.NoError(t, err)
	cfg.AffinityKey = nil
	cfg.SessionTicketKeys = [][32]byte{{1}}
	m := &cfg.URLPathMaps[0]
	m.PathRules = slices.Clone(m.PathRules)
	m.CaseSensitive = true
	m.PathRules[0].Match = routing.Match{Method: "GET"}
	m.PathRules[1].Pool, m.PathRules[1].BackendHTTPSetting = "", ""
	m.PathRules[1].WeightedBackends = []gateway.WeightedBackend{
		{Pool: "legacy", BackendHTTPSetting: "legacy", Weight: 0},
		{Pool: "web", BackendHTTPSetting: "web", Weight: 3},
		{Pool: "legacy", BackendHTTPSetting: "legacy", Weight: 1},
	}
	opts := WriteOptions{SubnetID: testSubnet, PublicIPAddressID: testPublicIP, CertificatePassword: testPassword}
	_, err = WriteResource(cfg, opts)
	require.Error(t, err)
	for _, want := range []string{
		`azurejson: SessionTicketKeys: Azure keeps the TLS session ticket keys of its instances itself`,
		`azurejson: urlPathMap "www": CaseSensitive: Azure's path rules match without regard to case`,
		`azurejson: urlPathMap "www": pathRule "legacy": Match: Azure's path rules match the path only`,
		`azurejson: urlPathMap "www": pathRule "images": WeightedBackends: Azure sends a path rule's requests to one backend pool`,
	} {
		assert.Contains(t, err.Error(), want)
	}

	var dropped []string
	opts.OnDrop = func(d Dropped) { dropped = append(dropped, d.Path) }
	out, err := WriteResource(cfg, opts)
	require.NoError(t, err)
	assert.Subset(t, dropped, []string{"SessionTicketKeys", `urlPathMap "www": CaseSensitive`,
		`urlPathMap "www": pathRule "legacy": Match`, `urlPathMap "www": pathRule "images": WeightedBackends`})
	back, err := Read(out, Options{})
	require.NoError(t, err, "%s", out)
	got := back.Config.URLPathMaps[0]
	assert.False(t, got.CaseSensitive)
	assert.True(t, got.PathRules[0].Match.IsZero())
	assert.Equal(t, "web", got.PathRules[1].Pool, "the first backend of positive weight")
	assert.Equal(t, "web", got.PathRules[1].BackendHTTPSetting)
	assert.Nil(t, got.PathRules[1].WeightedBackends)
}
