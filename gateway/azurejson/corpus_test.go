package azurejson

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/policy"
)

// corpus is testdata/azure: documents in the shapes Azure produces, with
// the certificates testdata/azure/gen made.
const corpus = "testdata/azure"

// corpusCert reads one certificate of the corpus.
func corpusCert(t *testing.T, name string) *x509.Certificate {
	t.Helper()
	certs, err := backendtls.LoadCertificates(filepath.Join(corpus, "certs", name))
	require.NoError(t, err)
	return certs[0]
}

// corpusPair reads a corpus key pair (chain in name.pem, key in name.key).
func corpusPair(t *testing.T, name string) tls.Certificate {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(filepath.Join(corpus, "certs", name+".pem"), filepath.Join(corpus, "certs", name+".key"))
	require.NoError(t, err)
	return pair
}

// readCorpus reads a corpus document with opts.
func readCorpus(t *testing.T, name string, opts Options) *Document {
	t.Helper()
	doc, err := ReadFile(filepath.Join(corpus, name), opts)
	require.NoError(t, err)
	// Every document is one gateway.New accepts.
	cfg := doc.Config
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.Resolver = offline{}
	cfg.DialContext = offline{}.DialContext
	g, err := gateway.New(cfg)
	require.NoError(t, err, "gateway.New")
	require.NoError(t, g.Close())
	return doc
}

// takeCerts checks the certificates of cfg against the corpus files and
// clears them, so that the rest compares with require.Equal. want maps
// each sslCertificate's name to its corpus key pair, and each trusted root
// and authentication certificate's name to its corpus file.
func takeCerts(t *testing.T, cfg *gateway.Config, pairs map[string]string, certs map[string]string) {
	t.Helper()
	require.Len(t, cfg.SSLCertificates, len(pairs))
	for _, c := range cfg.SSLCertificates {
		want := corpusPair(t, pairs[c.Name])
		require.NotEmpty(t, c.Certificate.Certificate, c.Name)
		assert.Equal(t, want.Certificate[0], c.Certificate.Certificate[0], "%s: leaf", c.Name)
		assert.True(t, keyMatches(c.Certificate.PrivateKey, c.Certificate.Leaf), "%s: key", c.Name)
		for i := 1; i < len(c.Certificate.Certificate); i++ {
			child, _ := x509.ParseCertificate(c.Certificate.Certificate[i-1])
			parent, _ := x509.ParseCertificate(c.Certificate.Certificate[i])
			assert.NoError(t, child.CheckSignatureFrom(parent), "%s: chain order at %d", c.Name, i)
		}
	}
	named := append(append([]gateway.NamedCertificate(nil), cfg.TrustedRootCertificates...), cfg.AuthenticationCertificates...)
	require.Len(t, named, len(certs))
	for _, c := range named {
		assert.True(t, corpusCert(t, certs[c.Name]).Equal(c.Certificate), c.Name)
	}
	cfg.SSLCertificates, cfg.TrustedRootCertificates, cfg.AuthenticationCertificates = nil, nil, nil
}

// ignored returns the properties of doc's notes, "path=property" for
// those whose place the test names.
func ignoredAt(doc *Document, pathPart string) []string {
	var out []string
	for _, n := range doc.Ignored {
		if strings.Contains(n.Path, pathPart) {
			out = append(out, n.Property)
		}
	}
	return out
}

func predefined(t *testing.T, name string) policy.Policy {
	t.Helper()
	p, err := policy.Predefined(name)
	require.NoError(t, err)
	return p
}

func TestCorpusAzShowV2(t *testing.T) {
	doc := readCorpus(t, "az-show-v2.json", Options{
		PrivateAddress:   "127.0.0.1",
		PublicAddress:    "127.0.0.2",
		CertificateFiles: map[string]string{"WWW-Contoso": filepath.Join(corpus, "certs", "www-both.pem")},
	})
	assert.Equal(t, Resource, doc.Format)
	assert.Equal(t, "agw-web", doc.Name)
	cfg := doc.Config
	takeCerts(t, &cfg, map[string]string{"www-contoso": "www"}, map[string]string{"contoso-root": "root.pem"})
	require.Equal(t, gateway.Config{
		SSLPolicy: predefined(t, "AppGwSslPolicy20220101S"),
		Listeners: []gateway.Listener{
			{Name: "web-https", Protocol: gateway.HTTPS, Address: "127.0.0.2", Port: 443, SSLCertificate: "www-contoso"},
			{Name: "web-internal", Protocol: gateway.HTTP, Address: "127.0.0.1", Port: 8080},
		},
		Pools: []gateway.Pool{{Name: "web-pool", Members: []gateway.Member{{Address: "10.1.2.4"}, {Address: "10.1.2.5"}}}},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{{
			Name: "web-https", Protocol: gateway.HTTPS, Port: 443, RequestTimeout: 30 * time.Second,
			HostName: "www.internal.contoso.com", Probe: "web-probe", TrustedRootCertificates: []string{"contoso-root"},
		}},
		Probes: []gateway.Probe{{
			Name: "web-probe", Protocol: gateway.HTTPS, Host: "www.internal.contoso.com", Path: "/healthz",
			Interval: 30 * time.Second, Timeout: 30 * time.Second, UnhealthyThreshold: 3, StatusCodes: []string{"200-399"},
		}},
		Rules: []gateway.Rule{
			{Name: "web-rule", Priority: 100, Listener: "web-https", Pool: "web-pool", BackendHTTPSetting: "web-https"},
			{Name: "internal-rule", Priority: 200, Listener: "web-internal", Pool: "web-pool", BackendHTTPSetting: "web-https"},
		},
	}, cfg)
	// The affinity cookie name Azure writes with affinity off is ignored,
	// and said so; so are the key vault secret the local file replaces
	// and Azure's state.
	assert.Contains(t, ignoredAt(doc, "backendHttpSettingsCollection[0]"), "affinityCookieName")
	assert.Contains(t, ignoredAt(doc, "sslCertificates[0]"), "keyVaultSecretId")
	for _, p := range []string{"provisioningState", "etag", "resourceGroup", "sku", "zones", "gatewayIPConfigurations", "autoscaleConfiguration", "requestRoutingRules"} {
		assert.Contains(t, ignoredAt(doc, ""), p)
	}
}

func TestCorpusPortalDefaults(t *testing.T) {
	doc := readCorpus(t, "portal-defaults.json", Options{})
	require.Equal(t, gateway.Config{
		Listeners: []gateway.Listener{{Name: "listener-80", Protocol: gateway.HTTP, Port: 80}},
		Pools:     []gateway.Pool{{Name: "pool-app", Members: []gateway.Member{{Address: "app-1.contoso.internal"}, {Address: "10.0.2.4"}}}},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{
			{Name: "settings-80", Protocol: gateway.HTTP, Port: 80, RequestTimeout: 20 * time.Second},
		},
		Rules:        []gateway.Rule{{Name: "rule-80", Priority: 1, Listener: "listener-80", Pool: "pool-app", BackendHTTPSetting: "settings-80"}},
		DisableHTTP2: true,
	}, doc.Config)
	// Every empty collection of a feature not supported yet is accepted.
	for _, p := range []string{"privateLinkConfigurations", "backendSettingsCollection", "listeners", "routingRules", "loadDistributionPolicies"} {
		assert.Contains(t, ignoredAt(doc, ""), p)
	}
	assert.Contains(t, ignoredAt(doc, "settings-80"), "affinityCookieName")
	assert.Contains(t, ignoredAt(doc, "settings-80"), "validateSNI")
}

func TestCorpusTemplateExport(t *testing.T) {
	params, err := os.ReadFile(filepath.Join(corpus, "template-export.parameters.json"))
	require.NoError(t, err)
	doc := readCorpus(t, "template-export.json", Options{Parameters: params, PublicAddress: "127.0.0.1"})
	assert.Equal(t, Template, doc.Format)
	assert.Equal(t, "agw-tmpl", doc.Name)
	cfg := doc.Config
	takeCerts(t, &cfg, map[string]string{"www": "www"}, map[string]string{"contoso-root": "root.pem"})
	require.Equal(t, gateway.Config{
		SSLPolicy: predefined(t, "AppGwSslPolicy20220101"),
		Listeners: []gateway.Listener{
			{Name: "https", Protocol: gateway.HTTPS, Address: "127.0.0.1", Port: 443, SSLCertificate: "www"},
			{Name: "http", Protocol: gateway.HTTP, Address: "127.0.0.1", Port: 80},
		},
		Pools: []gateway.Pool{{Name: "app", Members: []gateway.Member{{Address: "app.contoso.internal"}}}},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{{
			Name: "app-tls", Protocol: gateway.HTTPS, Port: 443, RequestTimeout: 45 * time.Second,
			CookieBasedAffinity: true, AffinityCookieName: "ContosoAffinity",
			ConnectionDraining: gateway.ConnectionDraining{Enabled: true, DrainTimeout: time.Minute},
			Probe:              "app-probe", TrustedRootCertificates: []string{"contoso-root"},
			ServerName: "app.contoso.internal",
		}},
		Probes: []gateway.Probe{{
			Name: "app-probe", Protocol: gateway.HTTPS, Host: "app.contoso.internal", Path: "/healthz",
			Interval: 15 * time.Second, Timeout: 10 * time.Second, UnhealthyThreshold: 3, StatusCodes: []string{"200-399"},
		}},
		Rules: []gateway.Rule{
			{Name: "https-rule", Priority: 10, Listener: "https", Pool: "app", BackendHTTPSetting: "app-tls"},
			{Name: "http-rule", Priority: 20, Listener: "http", Redirect: "http-to-https"},
		},
		Redirects: []gateway.Redirect{{Name: "http-to-https", Status: 301, TargetListener: "https", IncludePath: true, IncludeQuery: true}},
	}, cfg)
	// The other resource of the template and the location, whose
	// expression is never evaluated, are ignored.
	assert.Contains(t, ignoredAt(doc, "resources[1]"), "resources")
	assert.Contains(t, ignoredAt(doc, "resources[0]"), "location")
}

func TestCorpusTemplateHandwritten(t *testing.T) {
	doc := readCorpus(t, "template-handwritten.json", Options{PrivateAddress: "127.0.0.1"})
	require.Equal(t, gateway.Config{
		Listeners: []gateway.Listener{{Name: "app", Protocol: gateway.HTTP, Address: "127.0.0.1", Port: 8080, HostNames: []string{"app.contoso.com"}}},
		Pools:     []gateway.Pool{{Name: "app", Members: []gateway.Member{{Address: "10.6.1.4"}, {Address: "10.6.1.5"}}}},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{
			{Name: "app", Protocol: gateway.HTTP, Port: 80, Probe: "app"},
		},
		Probes: []gateway.Probe{{
			Name: "app", Protocol: gateway.HTTP, Host: "app.contoso.internal", Path: "/",
			Interval: 30 * time.Second, Timeout: 30 * time.Second, UnhealthyThreshold: 3,
			StatusCodes: []string{"200-299", "301"}, Body: "[ready]",
		}},
		Rules:        []gateway.Rule{{Name: "app", Priority: 100, Listener: "app", Pool: "app", BackendHTTPSetting: "app"}},
		DisableHTTP2: true,
	}, doc.Config)
}

func TestCorpusV1AuthenticationCertificates(t *testing.T) {
	doc := readCorpus(t, "v1-auth-certs.json", Options{})
	cfg := doc.Config
	takeCerts(t, &cfg, map[string]string{"api": "api"}, map[string]string{"legacy-leaf": "legacy.pem"})
	require.Equal(t, gateway.Config{
		SSLPolicy: predefined(t, "AppGwSslPolicy20170401S"),
		Listeners: []gateway.Listener{{
			Name: "api", Protocol: gateway.HTTPS, Address: "10.2.0.10", Port: 443,
			HostNames: []string{"api.contoso.com"}, SSLCertificate: "api", RequireSNI: true,
		}},
		Pools: []gateway.Pool{{Name: "legacy", Members: []gateway.Member{{Address: "legacy.contoso.local"}}}},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{{
			Name: "legacy-tls", Protocol: gateway.HTTPS, Port: 443, RequestTimeout: time.Minute,
			PickHostNameFromBackendAddress: true, Probe: "legacy", AuthenticationCertificates: []string{"legacy-leaf"},
		}},
		Probes: []gateway.Probe{{
			Name: "legacy", Protocol: gateway.HTTPS, PickHostNameFromBackendHTTPSettings: true, Path: "/status",
			Interval: 20 * time.Second, Timeout: 20 * time.Second, UnhealthyThreshold: 2,
		}},
		Rules:        []gateway.Rule{{Name: "api", Listener: "api", Pool: "legacy", BackendHTTPSetting: "legacy-tls"}},
		DisableHTTP2: true,
	}, cfg)
}

func TestCorpusMultiSitePathMaps(t *testing.T) {
	doc := readCorpus(t, "multisite-pathmaps.json", Options{})
	assert.Equal(t, "agw-sites", doc.Name)
	listener := func(name string, hosts ...string) gateway.Listener {
		return gateway.Listener{Name: name, Protocol: gateway.HTTP, Port: 80, HostNames: hosts}
	}
	require.Equal(t, gateway.Config{
		Listeners: []gateway.Listener{
			listener("shop", "shop.contoso.com", "*.shop.contoso.com"),
			listener("blog", "blog.contoso.com"),
			listener("old", "old.contoso.com"),
		},
		Pools: []gateway.Pool{
			{Name: "shop", Members: []gateway.Member{{Address: "10.3.1.4"}}},
			{Name: "images", Members: []gateway.Member{{Address: "10.3.2.4"}, {Address: "10.3.2.5"}}},
			{Name: "blog", Members: []gateway.Member{{Address: "blog.contoso.internal"}}},
		},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{{
			Name: "http", Protocol: gateway.HTTP, Port: 8080, RequestTimeout: 20 * time.Second,
			CookieBasedAffinity: true, Path: "/app/",
		}},
		Rules: []gateway.Rule{
			{Name: "shop", Priority: 100, Listener: "shop", URLPathMap: "shop-paths"},
			{Name: "blog", Priority: 200, Listener: "blog", Pool: "blog", BackendHTTPSetting: "http"},
			{Name: "old", Priority: 300, Listener: "old", Redirect: "to-blog"},
		},
		URLPathMaps: []gateway.URLPathMap{{
			Name: "shop-paths", DefaultPool: "shop", DefaultBackendHTTPSetting: "http",
			PathRules: []gateway.PathRule{
				{Name: "images", Paths: []string{"/images/*", "/img*"}, Pool: "images", BackendHTTPSetting: "http"},
				{Name: "blog", Paths: []string{"/blog/*"}, Pool: "blog", BackendHTTPSetting: "http"},
			},
		}},
		Redirects:    []gateway.Redirect{{Name: "to-blog", Status: 302, TargetURL: "https://blog.contoso.com/archive", IncludeQuery: true}},
		DisableHTTP2: true,
	}, doc.Config)
}

func TestCorpusHTTPToHTTPS(t *testing.T) {
	doc := readCorpus(t, "http-to-https.json", Options{
		PrivateAddress:   "127.0.0.1",
		CertificateFiles: map[string]string{"www": filepath.Join(corpus, "certs", "www.pfx.b64")},
	})
	cfg := doc.Config
	takeCerts(t, &cfg, map[string]string{"www": "www"}, map[string]string{"root": "root.pem"})
	require.Equal(t, gateway.Config{
		Listeners: []gateway.Listener{
			{Name: "http", Protocol: gateway.HTTP, Address: "127.0.0.1", Port: 80},
			{Name: "https", Protocol: gateway.HTTPS, Address: "127.0.0.1", Port: 443, HostNames: []string{"www.contoso.com"}, SSLCertificate: "www"},
		},
		Pools: []gateway.Pool{{Name: "web", Members: []gateway.Member{{Address: "www.internal.contoso.com"}}}},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{{
			Name: "web", Protocol: gateway.HTTPS, Port: 443, RequestTimeout: 20 * time.Second,
			PickHostNameFromBackendAddress: true, TrustedRootCertificates: []string{"root"},
		}},
		Rules: []gateway.Rule{
			{Name: "http", Priority: 10, Listener: "http", Redirect: "http-to-https"},
			{Name: "https", Priority: 20, Listener: "https", Pool: "web", BackendHTTPSetting: "web"},
		},
		Redirects: []gateway.Redirect{{Name: "http-to-https", Status: 301, TargetListener: "https", IncludePath: true, IncludeQuery: true}},
	}, cfg)
}

func TestCorpusProbesWithMatch(t *testing.T) {
	doc := readCorpus(t, "probes-match.json", Options{PrivateAddress: "127.0.0.1"})
	require.Equal(t, gateway.Config{
		Listeners: []gateway.Listener{{Name: "api", Protocol: gateway.HTTP, Address: "127.0.0.1", Port: 8080}},
		Pools:     []gateway.Pool{{Name: "api", Members: []gateway.Member{{Address: "api-1.contoso.internal"}, {Address: "api-2.contoso.internal"}}}},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{
			{Name: "api", Protocol: gateway.HTTPS, Port: 8443, RequestTimeout: 10 * time.Second, PickHostNameFromBackendAddress: true, Probe: "api-deep"},
			{Name: "api-plain", Protocol: gateway.HTTP, Port: 8080, HostName: "api.contoso.com", Probe: "api-plain"},
		},
		Probes: []gateway.Probe{
			{
				Name: "api-deep", Protocol: gateway.HTTPS, PickHostNameFromBackendHTTPSettings: true, Path: "/health/ready?deep=1",
				Port: 9443, Interval: 10 * time.Second, Timeout: 5 * time.Second, UnhealthyThreshold: 5,
				StatusCodes: []string{"200", "204-206"}, Body: `"status":"ok"`,
			},
			{
				Name: "api-plain", Protocol: gateway.HTTP, Host: "probe.contoso.internal", Path: "/",
				Interval: 30 * time.Second, Timeout: 30 * time.Second, UnhealthyThreshold: 3, StatusCodes: []string{"200-399"},
			},
		},
		Rules: []gateway.Rule{{Name: "api", Priority: 1, Listener: "api", URLPathMap: "api"}},
		URLPathMaps: []gateway.URLPathMap{{
			Name: "api", DefaultPool: "api", DefaultBackendHTTPSetting: "api",
			PathRules: []gateway.PathRule{{Name: "plain", Paths: []string{"/plain/*"}, Pool: "api", BackendHTTPSetting: "api-plain"}},
		}},
		DisableHTTP2: true,
	}, doc.Config)
}

func TestCorpusRESTPutBody(t *testing.T) {
	doc := readCorpus(t, "rest-put-body.json", Options{})
	cfg := doc.Config
	takeCerts(t, &cfg, map[string]string{"www": "www", "api": "api"}, map[string]string{"root": "root.pem"})
	custom, err := policy.Custom("TLSv1_2", []string{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"})
	require.NoError(t, err)
	require.Equal(t, gateway.Config{
		SSLPolicy: custom,
		Listeners: []gateway.Listener{
			{Name: "www", Protocol: gateway.HTTPS, Port: 443, HostNames: []string{"www.contoso.com", "contoso.com"}, SSLCertificate: "www", RequireSNI: true},
			{Name: "api", Protocol: gateway.HTTPS, Port: 443, HostNames: []string{"api.contoso.com"}, SSLCertificate: "api", RequireSNI: true},
		},
		Pools: []gateway.Pool{{Name: "appgwpool", Members: []gateway.Member{{Address: "10.0.1.1"}, {Address: "10.0.1.2"}}}},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{{
			Name: "appgwbhs", Protocol: gateway.HTTPS, Port: 443, RequestTimeout: 30 * time.Second,
			HostName: "backend.contoso.internal", ServerName: "backend-tls.contoso.internal", TrustedRootCertificates: []string{"root"},
			ConnectionDraining: gateway.ConnectionDraining{Enabled: true, DrainTimeout: 2 * time.Minute},
		}},
		Rules: []gateway.Rule{
			{Name: "www", Priority: 10, Listener: "www", Pool: "appgwpool", BackendHTTPSetting: "appgwbhs"},
			{Name: "api", Priority: 20, Listener: "api", Pool: "appgwpool", BackendHTTPSetting: "appgwbhs"},
		},
	}, cfg)
}

func TestCorpusWAFDisabled(t *testing.T) {
	doc := readCorpus(t, "waf-disabled.json", Options{})
	require.Equal(t, gateway.Config{
		Listeners:           []gateway.Listener{{Name: "app", Protocol: gateway.HTTP, Address: "10.7.0.10", Port: 80}},
		Pools:               []gateway.Pool{{Name: "app", Members: []gateway.Member{{Address: "10.7.1.4"}}}},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{{Name: "app", Protocol: gateway.HTTP, Port: 80}},
		Rules:               []gateway.Rule{{Name: "app", Priority: 5, Listener: "app", Pool: "app", BackendHTTPSetting: "app"}},
		DisableHTTP2:        true,
	}, doc.Config)
	for _, p := range []string{"webApplicationFirewallConfiguration", "enableFips", "entraJWTValidationConfigs", "globalConfiguration", "backendIPConfigurations"} {
		assert.Contains(t, ignoredAt(doc, ""), p)
	}
}

func TestCorpusPathMapRedirects(t *testing.T) {
	doc := readCorpus(t, "pathmap-redirects.json", Options{PrivateAddress: "127.0.0.1"})
	assert.Equal(t, "agw-redirects", doc.Name)
	require.Equal(t, gateway.Config{
		Listeners: []gateway.Listener{
			{Name: "www", Protocol: gateway.HTTP, Port: 80, HostNames: []string{"www.contoso.com"}},
			{Name: "new-site", Protocol: gateway.HTTP, Address: "127.0.0.1", Port: 8080, HostNames: []string{"new.contoso.com", "*.new.contoso.com"}},
		},
		Pools:               []gateway.Pool{{Name: "web", Members: []gateway.Member{{Address: "10.8.1.4"}, {Address: "10.8.1.5"}}}},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{{Name: "web-http", Protocol: gateway.HTTP, Port: 80, RequestTimeout: 20 * time.Second}},
		Rules: []gateway.Rule{
			{Name: "www", Priority: 100, Listener: "www", URLPathMap: "www-paths"},
			{Name: "new", Priority: 200, Listener: "new-site", URLPathMap: "new-paths"},
		},
		URLPathMaps: []gateway.URLPathMap{
			{
				Name: "www-paths", DefaultRedirect: "home",
				PathRules: []gateway.PathRule{
					{Name: "app", Paths: []string{"/app/*"}, Pool: "web", BackendHTTPSetting: "web-http"},
					{Name: "legacy", Paths: []string{"/legacy/*", "/old*"}, Redirect: "to-new"},
					{Name: "docs", Paths: []string{"/docs/*"}, Redirect: "to-docs"},
				},
			},
			{
				Name: "new-paths", DefaultPool: "web", DefaultBackendHTTPSetting: "web-http",
				PathRules: []gateway.PathRule{{Name: "help", Paths: []string{"/help", "/help/*"}, Redirect: "to-docs"}},
			},
		},
		Redirects: []gateway.Redirect{
			{Name: "to-new", Status: 301, TargetListener: "new-site", IncludePath: true, IncludeQuery: true},
			{Name: "to-docs", Status: 307, TargetURL: "https://docs.contoso.com/manual", IncludeQuery: true},
			{Name: "home", Status: 302, TargetListener: "new-site"},
		},
	}, doc.Config)
	// The redirects' back-references to the path rules and maps that use
	// them are Azure's, and ignored.
	assert.Contains(t, ignoredAt(doc, "redirectConfigurations[0]"), "pathRules")
	assert.Contains(t, ignoredAt(doc, "redirectConfigurations[2]"), "urlPathMaps")
}
