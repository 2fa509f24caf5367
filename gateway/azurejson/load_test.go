package azurejson

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/policy"
)

// samplePKI is the certificates that testdata/gateway.json names.
type samplePKI struct {
	root, www, api, client, legacy, intermediate *tlstest.Cert
}

// writeSample copies testdata/gateway.json into a fresh directory, mints the
// certificates it names and writes them beside it, in certs/. It returns the
// configuration file's path.
func writeSample(t *testing.T) (string, samplePKI) {
	t.Helper()
	root := tlstest.NewRoot(tlstest.Options{CommonName: "Contoso Internal Root"})
	inter := root.NewIntermediate(tlstest.Options{CommonName: "Contoso Issuing CA"})
	pki := samplePKI{
		root:         root,
		intermediate: inter,
		www:          inter.NewLeaf(tlstest.Options{DNSNames: []string{"www.contoso.com", "contoso.com"}}),
		api:          root.NewLeaf(tlstest.Options{DNSNames: []string{"api.contoso.com"}, KeyType: tlstest.ECDSAP256}),
		client: root.NewLeaf(tlstest.Options{
			CommonName:  "gateway",
			KeyType:     tlstest.ECDSAP256,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}),
		legacy: tlstest.NewSelfSignedLeaf(tlstest.Options{DNSNames: []string{"legacy.contoso.local"}}),
	}
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("testdata", "gateway.json"))
	require.NoError(t, err)
	files := map[string][]byte{
		"gateway.json":            data,
		"certs/www.pem":           concat(pki.www.CertPEM(), inter.CertPEM()),
		"certs/www.key":           pki.www.KeyPEM(),
		"certs/api.pem":           concat(pki.api.CertPEM(), pki.api.KeyPEM()),
		"certs/client.pem":        pki.client.CertPEM(),
		"certs/client.key":        pki.client.KeyPEM(),
		"certs/internal-root.cer": root.CertPEM(),
		"certs/legacy.cer":        pki.legacy.Certificate.Raw, // DER, as Azure's .cer files often are
	}
	for name, content := range files {
		writeFile(t, filepath.Join(dir, name), content)
	}
	return filepath.Join(dir, "gateway.json"), pki
}

func concat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, data, 0o600))
}

func mustPredefined(t *testing.T, name string) policy.Policy {
	t.Helper()
	p, err := policy.Predefined(name)
	require.NoError(t, err)
	return p
}

func mustPin(t *testing.T, s string) backendtls.Pin {
	t.Helper()
	p, err := backendtls.ParsePin(s)
	require.NoError(t, err)
	return p
}

// assertKeyPair checks that got holds exactly the chain of want and want's
// private key, and a parsed leaf.
func assertKeyPair(t *testing.T, want tls.Certificate, got tls.Certificate) {
	t.Helper()
	assert.Equal(t, want.Certificate, got.Certificate, "chain")
	require.NotNil(t, got.Leaf, "Leaf")
	assert.True(t, want.Leaf.Equal(got.Leaf), "Leaf")
	key, ok := got.PrivateKey.(interface{ Equal(crypto.PrivateKey) bool })
	require.True(t, ok, "private key type %T", got.PrivateKey)
	assert.True(t, key.Equal(want.PrivateKey), "private key")
}

// TestLoadSample loads testdata/gateway.json, a complete configuration, and
// checks the resulting gateway.Config field by field.
func TestLoadSample(t *testing.T) {
	path, pki := writeSample(t)
	cfg, err := Load(path)
	require.NoError(t, err)

	// Certificates first; they are then cleared so that the rest compares
	// with require.Equal.
	require.Len(t, cfg.SSLCertificates, 3)
	assert.Equal(t, []string{"www", "api", "gateway-client"},
		[]string{cfg.SSLCertificates[0].Name, cfg.SSLCertificates[1].Name, cfg.SSLCertificates[2].Name})
	assertKeyPair(t, pki.www.TLSCertificate(pki.intermediate), cfg.SSLCertificates[0].Certificate)
	assertKeyPair(t, pki.api.TLSCertificate(), cfg.SSLCertificates[1].Certificate)
	assertKeyPair(t, pki.client.TLSCertificate(), cfg.SSLCertificates[2].Certificate)

	require.Len(t, cfg.TrustedRootCertificates, 1)
	assert.Equal(t, "internal-root", cfg.TrustedRootCertificates[0].Name)
	assert.True(t, pki.root.Certificate.Equal(cfg.TrustedRootCertificates[0].Certificate))
	require.Len(t, cfg.AuthenticationCertificates, 1)
	assert.Equal(t, "legacy-leaf", cfg.AuthenticationCertificates[0].Name)
	assert.True(t, pki.legacy.Certificate.Equal(cfg.AuthenticationCertificates[0].Certificate))

	require.Len(t, cfg.BackendHTTPSettings, 3)
	client := cfg.BackendHTTPSettings[1].ClientCertificate
	require.NotNil(t, client, "api setting's clientCertificate")
	assertKeyPair(t, pki.client.TLSCertificate(), *client)
	cfg.SSLCertificates, cfg.TrustedRootCertificates, cfg.AuthenticationCertificates = nil, nil, nil
	cfg.BackendHTTPSettings[1].ClientCertificate = nil

	custom, err := policy.Custom("TLSv1_2", []string{
		"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
		"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
		"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	})
	require.NoError(t, err)
	affinityKey, err := base64.StdEncoding.DecodeString("dCg+IhYa/dGCcNGuku3AsdXIUPR9d/faDjMOdm77iOQ=")
	require.NoError(t, err)

	want := gateway.Config{
		SSLPolicy: mustPredefined(t, "AppGwSslPolicy20220101"),
		Listeners: []gateway.Listener{
			{Name: "http", Protocol: gateway.HTTP, Address: "10.0.0.10", Port: 80},
			{
				Name:           "www",
				Protocol:       gateway.HTTPS,
				Port:           443,
				HostNames:      []string{"www.contoso.com", "contoso.com"},
				SSLCertificate: "www",
				RequireSNI:     true,
			},
			{
				Name:           "api",
				Protocol:       gateway.HTTPS,
				Port:           443,
				HostNames:      []string{"api.contoso.com"},
				SSLCertificate: "api",
				SSLPolicy:      custom,
			},
		},
		Pools: []gateway.Pool{
			{Name: "web", Members: []gateway.Member{{Address: "10.0.1.4"}, {Address: "10.0.1.5"}}},
			{Name: "api", Members: []gateway.Member{
				{Address: "api-1.internal.contoso.com"},
				{Address: "api-2.internal.contoso.com", Port: 8443},
			}},
			{Name: "legacy", Members: []gateway.Member{{Address: "legacy.internal.contoso.com"}}},
		},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{
			{
				Name:                    "web",
				Protocol:                gateway.HTTPS,
				Port:                    443,
				HostName:                "www.internal.contoso.com",
				TrustedRootCertificates: []string{"internal-root"},
				CookieBasedAffinity:     true,
				AffinityCookieName:      "ContosoAffinity",
				RequestTimeout:          30 * time.Second,
				ConnectionDraining:      gateway.ConnectionDraining{Enabled: true, DrainTimeout: 60 * time.Second},
				Probe:                   "web",
				HTTP2:                   true,
			},
			{
				Name:                           "api",
				Protocol:                       gateway.HTTPS,
				Port:                           443,
				PickHostNameFromBackendAddress: true,
				TrustedRootCertificates:        []string{"internal-root"},
				PinnedPublicKeys: []backendtls.Pin{
					mustPin(t, "sha256/dCg+IhYa/dGCcNGuku3AsdXIUPR9d/faDjMOdm77iOQ="),
					mustPin(t, "sha256/WUY3dnPWgJjA8A/asz526SXiRtwXWbaqW/5Ei7fyEqs="),
				},
				RequestTimeout:     5 * time.Second,
				ConnectionDraining: gateway.ConnectionDraining{DrainTimeout: time.Second},
				Path:               "/v1/",
				Probe:              "api",
				SSLPolicy:          mustPredefined(t, "AppGwSslPolicy20220101S"),
			},
			{
				Name:                       "legacy",
				Protocol:                   gateway.HTTPS,
				Port:                       443,
				HostName:                   "legacy.internal.contoso.com",
				Identity:                   "legacy.contoso.local",
				AuthenticationCertificates: []string{"legacy-leaf"},
			},
		},
		Probes: []gateway.Probe{
			{
				Name:               "web",
				Protocol:           gateway.HTTPS,
				Host:               "www.internal.contoso.com",
				Path:               "/healthz",
				Interval:           15 * time.Second,
				Timeout:            10 * time.Second,
				UnhealthyThreshold: 3,
				StatusCodes:        []string{"200-399"},
				Body:               "ok",
			},
			{
				Name:                                "api",
				Protocol:                            gateway.HTTPS,
				PickHostNameFromBackendHTTPSettings: true,
				Path:                                "/status",
				Port:                                8443,
				Interval:                            30 * time.Second,
				Timeout:                             30 * time.Second,
				UnhealthyThreshold:                  2,
				StatusCodes:                         []string{"200", "204"},
			},
		},
		Rules: []gateway.Rule{
			{Name: "http-to-https", Priority: 10, Listener: "http", Redirect: "to-www"},
			{Name: "www", Priority: 20, Listener: "www", URLPathMap: "www"},
			{Name: "api", Priority: 30, Listener: "api", Pool: "api", BackendHTTPSetting: "api"},
		},
		URLPathMaps: []gateway.URLPathMap{{
			Name:                      "www",
			DefaultPool:               "web",
			DefaultBackendHTTPSetting: "web",
			PathRules: []gateway.PathRule{
				{Name: "legacy", Paths: []string{"/legacy/*"}, Pool: "legacy", BackendHTTPSetting: "legacy"},
				{Name: "images", Paths: []string{"/images/*", "/img*"}, Pool: "web", BackendHTTPSetting: "web"},
			},
		}},
		Redirects: []gateway.Redirect{{
			Name:           "to-www",
			Status:         301,
			TargetListener: "www",
			IncludePath:    true,
			IncludeQuery:   true,
		}},
		AffinityKey:       affinityKey,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	require.Equal(t, want, cfg)
}

// TestRelativePaths checks that relative file names resolve against the
// configuration file's directory, never the working directory, and that
// absolute ones are used as they are.
func TestRelativePaths(t *testing.T) {
	root := tlstest.NewRoot(tlstest.Options{CommonName: "Relative Root"})
	leaf := root.NewLeaf(tlstest.Options{DNSNames: []string{"www.example"}})
	dir := t.TempDir()
	elsewhere := t.TempDir()
	writeFile(t, filepath.Join(dir, "conf", "tls", "www.pem"), leaf.CertPEM())
	writeFile(t, filepath.Join(dir, "conf", "tls", "www.key"), leaf.KeyPEM())
	absRoot := filepath.Join(elsewhere, "root.pem")
	writeFile(t, absRoot, root.CertPEM())
	config := `{
		"sslCertificates": [{"name": "www", "certFile": "tls/www.pem", "keyFile": "./tls/../tls/www.key"}],
		"trustedRootCertificates": [{"name": "root", "certFile": ` + strconv.Quote(absRoot) + `}]
	}`
	path := filepath.Join(dir, "conf", "gateway.json")
	writeFile(t, path, []byte(config))

	// The working directory has no tls/ directory: the files must be found
	// beside the configuration file.
	t.Chdir(elsewhere)
	cfg, err := Load(path)
	require.NoError(t, err)
	require.Len(t, cfg.SSLCertificates, 1)
	assertKeyPair(t, leaf.TLSCertificate(), cfg.SSLCertificates[0].Certificate)
	require.Len(t, cfg.TrustedRootCertificates, 1)
	assert.True(t, root.Certificate.Equal(cfg.TrustedRootCertificates[0].Certificate))

	// Parse resolves against baseDir, and an empty baseDir means the
	// working directory.
	_, err = Parse([]byte(config), filepath.Join(dir, "conf"))
	require.NoError(t, err)
	t.Chdir(filepath.Join(dir, "conf"))
	_, err = Parse([]byte(config), "")
	require.NoError(t, err)
	_, err = Parse([]byte(config), elsewhere)
	require.EqualError(t, err, `azurejson: line 2, column 51: sslCertificates[0] ("www"): certFile "tls/www.pem": open `+
		filepath.Join(elsewhere, "tls", "www.pem")+`: no such file or directory`)
}
