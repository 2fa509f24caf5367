package azurejson

import (
	"crypto/x509"
	"encoding/base64"
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
	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/clientauth"
	"github.com/e2etls/e2etls/gateway"
)

// mtlsPKI is a client CA chain (a root and an issuing intermediate), a
// CRL of the intermediate and a listener certificate, written to files.
type mtlsPKI struct {
	root, inter, front *tlstest.Cert
	crl                *x509.RevocationList
	dir                string
}

func newMTLSPKI(t *testing.T) *mtlsPKI {
	ec := func(cn string) tlstest.Options { return tlstest.Options{CommonName: cn, KeyType: tlstest.ECDSAP256} }
	p := &mtlsPKI{dir: t.TempDir()}
	p.root = tlstest.NewRoot(ec("Client Root"))
	p.inter = p.root.NewIntermediate(ec("Client Issuing CA"))
	p.crl = p.inter.NewCRL(tlstest.CRLOptions{Number: 7})
	p.front = tlstest.NewRoot(ec("Front Root")).NewLeaf(tlstest.Options{DNSNames: []string{"shop.example"}, KeyType: tlstest.ECDSAP256})
	p.write(t, "clients.pem", p.chainPEM())
	p.write(t, "clients.crl", tlstest.CRLPEM(p.crl))
	p.write(t, "front.pem", append(p.front.CertPEM(), p.front.KeyPEM()...))
	return p
}

func (p *mtlsPKI) write(t *testing.T, name string, data []byte) string {
	path := filepath.Join(p.dir, name)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

func (p *mtlsPKI) chainPEM() []byte { return append(p.root.CertPEM(), p.inter.CertPEM()...) }

func (p *mtlsPKI) chain() []*x509.Certificate {
	return []*x509.Certificate{p.root.Certificate, p.inter.Certificate}
}

// TestMTLSFlat: the flat format's trustedClientCertificates (a PEM file,
// and Azure's data), sslProfiles with Azure's clientAuthConfiguration and
// the extensions, and a listener's sslProfile; the files read are listed,
// and gateway.New accepts the result.
func TestMTLSFlat(t *testing.T) {
	p := newMTLSPKI(t)
	doc := `{
  "trustedClientCertificates": [
    {"name": "clients", "certFile": "clients.pem"},
    {"name": "partners", "data": "` + base64.StdEncoding.EncodeToString(p.root.Certificate.Raw) + `"}
  ],
  "sslProfiles": [
    {"name": "mtls", "trustedClientCertificates": ["clients", "partners"],
     "sslPolicy": {"policyName": "AppGwSslPolicy20220101S"},
     "clientAuthConfiguration": {
       "verifyClientAuthMode": "Passthrough", "verifyClientCertIssuerDN": true, "verifyClientRevocation": "OCSP",
       "ocspResponderUrl": "http://127.0.0.1:9/", "ocspTimeout": 2, "revocationSoftFail": true,
       "crlFiles": ["clients.crl"], "allowStaleCRLs": true,
       "allowedIdentities": ["URI:spiffe://example.org/client", "DNS:client.example"],
       "forwardClientCert": {"mode": "SANITIZE_SET", "subject": true, "uri": true}}},
    {"name": "policy-only", "sslPolicy": {"policyName": "AppGwSslPolicy20220101"}}
  ],
  "sslCertificates": [{"name": "front", "certFile": "front.pem"}],
  "httpListeners": [{"name": "web", "protocol": "Https", "port": 443, "sslCertificate": "front", "sslProfile": "mtls"}],
  "backendAddressPools": [{"name": "app", "backendAddresses": [{"ipAddress": "10.0.0.4"}]}],
  "backendHttpSettings": [{"name": "http", "protocol": "Http", "port": 80}],
  "requestRoutingRules": [{"name": "all", "ruleType": "Basic", "httpListener": "web", "backendAddressPool": "app", "backendHttpSettings": "http"}]
}`
	path := p.write(t, "gateway.json", []byte(doc))
	d, err := ReadFile(path, Options{})
	require.NoError(t, err)
	cfg := d.Config

	require.Len(t, cfg.TrustedClientCertificates, 2)
	assert.Equal(t, "clients", cfg.TrustedClientCertificates[0].Name)
	assert.Equal(t, p.chain(), cfg.TrustedClientCertificates[0].Certificates)
	assert.Equal(t, []*x509.Certificate{p.root.Certificate}, cfg.TrustedClientCertificates[1].Certificates)
	require.Len(t, cfg.SSLProfiles, 2)
	mtls := cfg.SSLProfiles[0]
	assert.Equal(t, "mtls", mtls.Name)
	assert.Equal(t, "AppGwSslPolicy20220101S", mtls.SSLPolicy.Name)
	assert.Equal(t, []string{"clients", "partners"}, mtls.TrustedClientCertificates)
	assert.Equal(t, gateway.ClientAuth{
		Mode: clientauth.Passthrough, VerifyClientCertIssuerDN: true, VerifyClientRevocation: clientauth.RevocationOCSP,
		OCSPResponderURL: "http://127.0.0.1:9/", OCSPTimeout: 2 * time.Second, RevocationSoftFail: true,
		CRLs: []*x509.RevocationList{p.crl}, AllowStaleCRLs: true,
		AllowedIdentities: []backendtls.SAN{{Type: backendtls.SANURI, Value: "spiffe://example.org/client"}, {Type: backendtls.SANDNS, Value: "client.example"}},
		ForwardClientCert: clientauth.XFCC{Mode: clientauth.XFCCSanitizeSet, Details: clientauth.XFCCDetails{Subject: true, URI: true}},
	}, normaliseCRLs(mtls.ClientAuth, p.crl))
	assert.Equal(t, gateway.SSLProfile{Name: "policy-only", SSLPolicy: cfg.SSLProfiles[1].SSLPolicy}, cfg.SSLProfiles[1])
	assert.Equal(t, "mtls", cfg.Listeners[0].SSLProfile)
	assert.Equal(t, []string{path, filepath.Join(p.dir, "front.pem"), filepath.Join(p.dir, "clients.pem"), filepath.Join(p.dir, "clients.crl")}, d.Files,
		"every file read, each once, for a program that reloads when they change")

	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.Resolver = offline{}
	g, err := gateway.New(cfg)
	require.NoError(t, err)
	require.NoError(t, g.Close())
}

// normaliseCRLs returns ca with its CRLs replaced by want when they are
// the same lists (parsed again from the file, they are not the same
// pointers).
func normaliseCRLs(ca gateway.ClientAuth, want ...*x509.RevocationList) gateway.ClientAuth {
	if len(ca.CRLs) != len(want) {
		return ca
	}
	for i := range want {
		if !bytesEqual(ca.CRLs[i].Raw, want[i].Raw) {
			return ca
		}
	}
	ca.CRLs = want
	return ca
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

// mtlsAzure is an Azure resource with two trusted client CA chains (the
// base64 of a PEM chain, as the portal uploads it, and the base64 of a DER
// root, a .cer file), an SSL profile in Strict mode with the issuer DN
// check and OCSP, a policy-only profile, and a listener that uses the
// first.
func mtlsAzure(p *mtlsPKI) string {
	return gw(`
  "frontendIPConfigurations": [{"name": "f", "properties": {"privateIPAddress": "10.0.0.1"}}],
  "frontendPorts": [{"name": "p443", "properties": {"port": 443}}],
  "sslCertificates": [{"name": "front", "properties": {"keyVaultSecretId": "https://kv.vault.azure.net/secrets/front"}}],
  "trustedClientCertificates": [
    {"name": "clients", "properties": {"data": "` + base64.StdEncoding.EncodeToString(p.chainPEM()) + `",
      "validatedCertData": "MIIB", "clientCertIssuerDN": "CN=Client Issuing CA", "provisioningState": "Succeeded"}},
    {"name": "partners", "properties": {"data": "` + base64.StdEncoding.EncodeToString(p.root.Certificate.Raw) + `"}}
  ],
  "sslProfiles": [
    {"name": "mtls", "properties": {
      "sslPolicy": {"policyType": "Predefined", "policyName": "AppGwSslPolicy20220101S"},
      "clientAuthConfiguration": {"verifyClientCertIssuerDN": true, "verifyClientRevocation": "OCSP", "verifyClientAuthMode": "Strict"},
      "trustedClientCertificates": [` + id("trustedClientCertificates", "clients") + `, ` + id("trustedClientCertificates", "partners") + `],
      "httpListeners": [` + id("httpListeners", "web") + `], "provisioningState": "Succeeded"}},
    {"name": "legacy", "properties": {"sslPolicy": {"policyType": "Predefined", "policyName": "AppGwSslPolicy20170401S"}}}
  ],
  "httpListeners": [{"name": "web", "properties": {"protocol": "Https", "frontendIPConfiguration": ` + id("frontendIPConfigurations", "f") + `,
    "frontendPort": ` + id("frontendPorts", "p443") + `, "sslCertificate": ` + id("sslCertificates", "front") + `, "sslProfile": ` + id("sslProfiles", "mtls") + `}}],
  "backendAddressPools": [{"name": "app", "properties": {"backendAddresses": [{"ipAddress": "10.0.0.4"}]}}],
  "backendHttpSettingsCollection": [{"name": "http", "properties": {"protocol": "Http", "port": 80}}],
  "requestRoutingRules": [{"name": "all", "properties": {"ruleType": "Basic", "priority": 10, "httpListener": ` + id("httpListeners", "web") + `,
    "backendAddressPool": ` + id("backendAddressPools", "app") + `, "backendHttpSettings": ` + id("backendHttpSettingsCollection", "http") + `}}]`)
}

// TestMTLSAzure: Azure's sslProfiles, trustedClientCertificates (data as
// Azure stores it) and a listener's sslProfile are read from a resource
// document, Azure's read-only copies noted as ignored; written back as a
// resource and as a template, they read back the same; gateway.New
// accepts the result.
func TestMTLSAzure(t *testing.T) {
	p := newMTLSPKI(t)
	opts := Options{CertificateFiles: map[string]string{"front": filepath.Join(p.dir, "front.pem")}}
	d, err := Read([]byte(mtlsAzure(p)), opts)
	require.NoError(t, err)
	cfg := d.Config
	require.Len(t, cfg.TrustedClientCertificates, 2)
	assert.Equal(t, p.chain(), cfg.TrustedClientCertificates[0].Certificates)
	assert.Equal(t, []*x509.Certificate{p.root.Certificate}, cfg.TrustedClientCertificates[1].Certificates)
	require.Len(t, cfg.SSLProfiles, 2)
	assert.Equal(t, "mtls", cfg.SSLProfiles[0].Name)
	assert.Equal(t, []string{"clients", "partners"}, cfg.SSLProfiles[0].TrustedClientCertificates)
	assert.Equal(t, gateway.ClientAuth{VerifyClientCertIssuerDN: true, VerifyClientRevocation: clientauth.RevocationOCSP}, cfg.SSLProfiles[0].ClientAuth)
	assert.Equal(t, "AppGwSslPolicy20170401S", cfg.SSLProfiles[1].SSLPolicy.Name)
	assert.Equal(t, "mtls", cfg.Listeners[0].SSLProfile)
	var ignored []string
	for _, n := range d.Ignored {
		ignored = append(ignored, n.Property)
	}
	assert.Subset(t, ignored, []string{"validatedCertData", "clientCertIssuerDN"})
	assert.Equal(t, []string{filepath.Join(p.dir, "front.pem")}, d.Files)

	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.Resolver = offline{}
	g, err := gateway.New(cfg)
	require.NoError(t, err)
	require.NoError(t, g.Close())

	for _, write := range []struct {
		name string
		fn   func(gateway.Config, WriteOptions) ([]byte, error)
	}{{"resource", WriteResource}, {"template", WriteTemplate}} {
		t.Run(write.name, func(t *testing.T) {
			cfg := d.Config
			out, err := write.fn(cfg, WriteOptions{SubnetID: testSubnet, CertificatePassword: testPassword})
			require.NoError(t, err)
			assert.Contains(t, string(out), `"verifyClientAuthMode": "Strict"`)
			ro := Options{PrivateAddress: "10.0.0.1"}
			if write.name == "template" {
				ro.Parameters = templateParameters(t, out)
			}
			back, err := Read(out, ro)
			require.NoError(t, err, "%s", out)
			assert.Equal(t, cfg.TrustedClientCertificates, back.Config.TrustedClientCertificates)
			assert.Equal(t, cfg.SSLProfiles, back.Config.SSLProfiles)
			assert.Equal(t, cfg.Listeners[0].SSLProfile, back.Config.Listeners[0].SSLProfile)
		})
	}
}

// TestMTLSWriteRefuses: what only e2etls has in an SSL profile is refused
// by the writer, each field by name, or left out with OnDrop.
func TestMTLSWriteRefuses(t *testing.T) {
	p := newMTLSPKI(t)
	d, err := Read([]byte(mtlsAzure(p)), Options{CertificateFiles: map[string]string{"front": filepath.Join(p.dir, "front.pem")}})
	require.NoError(t, err)
	cfg := d.Config
	cfg.SSLProfiles[0].ClientAuth.CRLs = []*x509.RevocationList{p.crl}
	cfg.SSLProfiles[0].ClientAuth.AllowedIdentities = []backendtls.SAN{{Type: backendtls.SANURI, Value: "spiffe://x/y"}}
	cfg.SSLProfiles[0].ClientAuth.ForwardClientCert.Mode = clientauth.XFCCSanitizeSet
	_, err = WriteResource(cfg, WriteOptions{SubnetID: testSubnet, CertificatePassword: testPassword})
	require.Error(t, err)
	for _, want := range []string{
		`azurejson: sslProfile "mtls": ClientAuth.CRLs: CRLs (Azure checks revocation by OCSP only): Azure cannot carry it`,
		`azurejson: sslProfile "mtls": ClientAuth.AllowedIdentities: allowed client identities`,
		`azurejson: sslProfile "mtls": ClientAuth.ForwardClientCert: X-Forwarded-Client-Cert`,
	} {
		assert.Contains(t, err.Error(), want)
	}
	var dropped []string
	_, err = WriteResource(cfg, WriteOptions{SubnetID: testSubnet, CertificatePassword: testPassword, OnDrop: func(d Dropped) { dropped = append(dropped, d.Path) }})
	require.NoError(t, err)
	assert.Equal(t, []string{`sslProfile "mtls": ClientAuth.CRLs`, `sslProfile "mtls": ClientAuth.AllowedIdentities`, `sslProfile "mtls": ClientAuth.ForwardClientCert`}, dropped)
}

// TestMTLSErrors: bad SSL profiles and trusted client certificates, each
// problem with its line and path, in both shapes.
func TestMTLSErrors(t *testing.T) {
	p := newMTLSPKI(t)
	for _, tt := range []struct {
		name string
		doc  string
		want []string
	}{
		{"Azure", gw(`
  "trustedClientCertificates": [{"name": "bad", "properties": {"data": "bm90IGEgY2VydGlmaWNhdGU="}}, {"name": "none", "properties": {}}],
  "sslProfiles": [{"name": "p", "properties": {"clientAuthConfiguration": {"verifyClientAuthMode": "Lenient", "verifyClientRevocation": "CRL", "verifyClientCertIssuerDn": true},
    "trustedClientCertificates": [` + id("trustedClientCertificates", "nope") + `]}}],
  "frontendIPConfigurations": [{"name": "f", "properties": {"privateIPAddress": "10.0.0.1"}}],
  "frontendPorts": [{"name": "p443", "properties": {"port": 443}}],
  "httpListeners": [{"name": "web", "properties": {"protocol": "Https", "frontendIPConfiguration": ` + id("frontendIPConfigurations", "f") + `,
    "frontendPort": ` + id("frontendPorts", "p443") + `, "sslProfile": ` + id("sslProfiles", "q") + `}}]`), []string{
			`azurejson: line 2, column 72: properties: trustedClientCertificates[0] ("bad"): properties: data: backendtls: base64 input is not a valid certificate`,
			`azurejson: line 2, column 133: properties: trustedClientCertificates[1] ("none"): properties: no certificate: set data (the CA chain, base64 of a PEM file or of a DER certificate)`,
			`azurejson: line 3, column 100: properties: sslProfiles[0] ("p"): properties: clientAuthConfiguration: verifyClientAuthMode: want "Strict" or "Passthrough", got string "Lenient"`,
			`azurejson: line 3, column 137: properties: sslProfiles[0] ("p"): properties: clientAuthConfiguration: verifyClientRevocation: want "None" or "OCSP", got string "CRL"`,
			`azurejson: line 4, column 42: properties: sslProfiles[0] ("p"): properties: trustedClientCertificates[0]: id: unknown trustedClientCertificates element "nope"`,
			`azurejson: line 8, column 158: properties: httpListeners[0] ("web"): properties: sslProfile: id: unknown sslProfiles element "q"`,
		}},
		{"flat", `{
  "trustedClientCertificates": [{"name": "c", "certFile": "missing.pem"}, {"name": "d", "certFile": "clients.pem", "data": "x"}],
  "sslProfiles": [{"name": "p", "trustedClientCertificates": ["c", "nope"],
    "clientAuthConfiguration": {"crlFiles": ["missing.crl"], "allowedIdentities": ["spiffe://no-type"], "forwardClientCert": {"mode": "SANITISE"}, "ocspTimout": 3}}],
  "httpListeners": [{"name": "web", "protocol": "Https", "port": 443, "sslProfile": "q"}]
}`, []string{
			`azurejson: line 2, column 59: trustedClientCertificates[0] ("c"): certFile "missing.pem": open `,
			`azurejson: line 2, column 75: trustedClientCertificates[1] ("d"): set certFile or data, not both`,
			`azurejson: line 3, column 68: sslProfiles[0] ("p"): trustedClientCertificates[1]: unknown trustedClientCertificates element "nope"`,
			`azurejson: line 4, column 32: sslProfiles[0] ("p"): clientAuthConfiguration: allowedIdentities[0]: backendtls: SAN "spiffe://no-type": unknown type "spiffe"; want DNS, URI or IP`,
			`azurejson: line 4, column 46: sslProfiles[0] ("p"): clientAuthConfiguration: crlFiles[0] "missing.crl": open `,
			`azurejson: line 4, column 135: sslProfiles[0] ("p"): clientAuthConfiguration: forwardClientCert: mode: clientauth: unknown X-Forwarded-Client-Cert mode "SANITISE"`,
			`azurejson: line 4, column 148: sslProfiles[0] ("p"): clientAuthConfiguration: unknown field "ocspTimout" (did you mean "ocspTimeout"?)`,
			`azurejson: line 5, column 85: httpListeners[0] ("web"): sslProfile: unknown sslProfiles element "q" (did you mean "p"?)`,
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read([]byte(tt.doc), Options{BaseDir: p.dir})
			require.Error(t, err)
			for _, want := range tt.want {
				assert.Contains(t, err.Error(), want)
			}
			assert.Len(t, strings.Split(err.Error(), "\n"), len(tt.want), "every problem once, none that only follows from another:\n%v", err)
		})
	}
}
