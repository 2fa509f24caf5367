package gateway_test

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/certsource"
	"github.com/e2etls/e2etls/clientauth"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
	"github.com/e2etls/e2etls/policy"
)

// TestSSLProfileValidation: New reports every problem of SSL profiles and
// trusted client certificates at once, each with its path.
func TestSSLProfileValidation(t *testing.T) {
	m := newMTLS(t)
	tls13, err := policy.Custom("TLSv1_3", nil)
	require.NoError(t, err)
	strangerCRL := m.otherRoot.NewCRL(tlstest.CRLOptions{Number: 1})

	cfg := m.config(gateway.SSLProfile{})
	cfg.TrustedClientCertificates = append(cfg.TrustedClientCertificates,
		gateway.TrustedClientCertificate{Name: "leaf", Certificates: []*x509.Certificate{m.alice.Certificate}},
		gateway.TrustedClientCertificate{Name: "empty"},
		gateway.TrustedClientCertificate{Name: "clients", Certificates: []*x509.Certificate{m.root.Certificate}},
		gateway.TrustedClientCertificate{Name: "both", Certificates: []*x509.Certificate{m.root.Certificate},
			Source: certsource.Static([]*x509.Certificate{m.root.Certificate})},
	)
	cfg.SSLProfiles = append(cfg.SSLProfiles,
		gateway.SSLProfile{Name: "policy-only", SSLPolicy: tls13, ClientAuth: gateway.ClientAuth{
			VerifyClientCertIssuerDN: true, AllowedIdentities: []backendtls.SAN{{Type: backendtls.SANURI, Value: "spiffe://x/y"}},
		}},
		gateway.SSLProfile{Name: "bad-refs", TrustedClientCertificates: []string{"nope", "leaf"}},
		gateway.SSLProfile{Name: "bad-crl", TrustedClientCertificates: []string{"clients"}, ClientAuth: gateway.ClientAuth{
			CRLs: []*x509.RevocationList{strangerCRL}, OCSPTimeout: 1,
			ForwardClientCert: clientauth.XFCC{Mode: 99},
		}},
		gateway.SSLProfile{Name: "mtls"},
		gateway.SSLProfile{Name: "tls13", SSLPolicy: tls13},
	)
	cfg.Listeners = append(cfg.Listeners,
		gateway.Listener{Name: "plain", Protocol: gateway.HTTP, Port: 80, SSLProfile: "mtls"},
		gateway.Listener{Name: "ghost", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "front", HostNames: []string{"ghost.example"}, SSLProfile: "nope"},
		gateway.Listener{Name: "twice", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "front", HostNames: []string{"twice.example"}, SSLProfile: "tls13", SSLPolicy: tls13},
	)
	for _, l := range []string{"plain", "ghost", "twice"} {
		cfg.Rules = append(cfg.Rules, gateway.Rule{Name: l, Listener: l, Pool: "app", BackendHTTPSetting: "tls"})
	}
	_, err = gateway.New(cfg)
	require.Error(t, err)
	got := err.Error()
	for _, want := range []string{
		`gateway: trustedClientCertificate "clients": duplicate name`,
		`gateway: sslProfile "mtls": duplicate name`,
		`gateway: trustedClientCertificate "leaf": clientauth: certificate 0, "CN=alice", is not a CA`,
		`gateway: trustedClientCertificate "empty": no certificate`,
		`gateway: trustedClientCertificate "both": certificates and source are exclusive: set one`,
		`gateway: sslProfile "policy-only": clientAuth: verifyClientCertIssuerDN needs trustedClientCertificates`,
		`gateway: sslProfile "policy-only": clientAuth: allowedIdentities needs trustedClientCertificates`,
		`gateway: sslProfile "bad-refs": unknown trustedClientCertificate "nope"`,
		`gateway: sslProfile "bad-crl": clientAuth: forwardClientCert mode XFCCMode(99)`,
		`gateway: sslProfile "bad-crl": clientAuth: ocspResponderURL and ocspTimeout apply with verifyClientRevocation OCSP only`,
		`gateway: sslProfile "bad-crl": clientAuth: clientauth: CRLs: revocation: CRL 0 (issuer "CN=Unrelated Root", number 1) is from a CA that is not trusted here`,
		`gateway: listener "plain": sslProfile "mtls" applies to HTTPS listeners only`,
		`gateway: listener "ghost": unknown sslProfile "nope"`,
		`gateway: listener "twice": sslPolicy is set both on the listener and on its sslProfile "tls13": set it in one place`,
	} {
		assert.Contains(t, got, want)
	}
	assert.NotContains(t, got, `sslProfile "bad-refs": clientauth`, "a profile whose chains are bad is not compiled again")
	for _, line := range strings.Split(got, "\n") {
		assert.True(t, strings.HasPrefix(line, "gateway: "), "a problem without its path: %q", line)
	}
}

// TestSSLProfilePolicy: a profile's TLS policy applies to its listeners: a
// listener under a TLS 1.3-only profile refuses a TLS 1.2 client, and a
// listener of the same port without a profile takes it. A profile without
// trusted client certificates asks for no certificate.
func TestSSLProfilePolicy(t *testing.T) {
	checkLeaks(t)
	m := newMTLS(t)
	tls13, err := policy.Custom("TLSv1_3", nil)
	require.NoError(t, err)
	cfg := m.config(gateway.SSLProfile{Name: "modern", SSLPolicy: tls13, TrustedClientCertificates: []string{}})
	cfg.SSLCertificates = []gateway.SSLCertificate{m.pki.SSLCertificate("front", "modern.example", "legacy.example")}
	cfg.Listeners = []gateway.Listener{
		{Name: "modern", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "front", HostNames: []string{"modern.example"}, SSLProfile: "modern"},
		{Name: "legacy", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "front", HostNames: []string{"legacy.example"}},
	}
	cfg.Rules = []gateway.Rule{
		{Name: "modern", Listener: "modern", Pool: "app", BackendHTTPSetting: "tls", Priority: 1},
		{Name: "legacy", Listener: "legacy", Pool: "app", BackendHTTPSetting: "tls", Priority: 2},
	}
	gw := gatewaytest.Start(t, cfg)
	for _, tt := range []struct {
		host    string
		version uint16
		ok      bool
	}{
		{"modern.example", tls.VersionTLS13, true},
		{"modern.example", tls.VersionTLS12, false},
		{"legacy.example", tls.VersionTLS12, true},
	} {
		c := newClient(t, m.pki)
		tc := c.Transport.(*http.Transport).TLSClientConfig
		tc.MaxVersion = tt.version
		var asked bool
		tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			asked = true
			return &tls.Certificate{}, nil
		}
		resp, err := c.Get(gw.URL("modern", tt.host) + "/")
		if !tt.ok {
			require.Error(t, err, "%s at %s", tt.host, tls.VersionName(tt.version))
			assert.Contains(t, err.Error(), "protocol version")
			continue
		}
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, tt.version, resp.TLS.Version)
		assert.False(t, asked, "a profile without trusted client certificates asked for one")
	}
}

// TestClientCertificateTicketsBoundToProfile: a session made on a listener
// that asked for no client certificate is not resumed once an Update turns
// client authentication on: the client gets a full handshake, is asked
// for its certificate and served (instead of resuming a session without a
// certificate and being refused until its ticket expires); the session it
// then gets resumes.
func TestClientCertificateTicketsBoundToProfile(t *testing.T) {
	checkLeaks(t)
	m := newMTLS(t)
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			cfg := m.config(gateway.SSLProfile{})
			cfg.Listeners[0].SSLProfile = ""
			gw := gatewaytest.Start(t, cfg)
			url := gw.URL("web", "shop.example") + "/"
			c := m.client(t, m.alice, "h2")
			tc := c.Transport.(*http.Transport).TLSClientConfig
			tc.MaxVersion = version
			tc.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			r := get(t, c, url)
			require.Equal(t, http.StatusOK, r.status)
			c.CloseIdleConnections()
			r = get(t, c, url)
			require.True(t, r.resp.TLS.DidResume, "resumes without client authentication")
			c.CloseIdleConnections()

			cfg = gw.Config
			cfg.Listeners[0].SSLProfile = "mtls"
			require.NoError(t, gw.Update(cfg))
			r = get(t, c, url)
			assert.Equal(t, http.StatusOK, r.status, r.body)
			assert.False(t, r.resp.TLS.DidResume, "a session without a certificate was resumed under client authentication")
			c.CloseIdleConnections()
			r = get(t, c, url)
			assert.Equal(t, http.StatusOK, r.status, r.body)
			assert.True(t, r.resp.TLS.DidResume, "a session with a certificate resumes under its profile")
		})
	}
}

// TestClientCertificateHandler: the gateway's Handler in a server of
// someone else's verifies each request's own r.TLS under the listener's
// profile, since no frontend of the gateway's verified the connection: the
// check cannot be skipped. Without detailed errors, a refused client still
// reads the one sentence about its certificate.
func TestClientCertificateHandler(t *testing.T) {
	checkLeaks(t)
	m := newMTLS(t)
	var logs logBuffer
	cfg := m.config(gateway.SSLProfile{})
	cfg.Logger = logs.logger()
	gw, err := gateway.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { gw.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: gw.Handler(), TLSConfig: &tls.Config{
		Certificates: []tls.Certificate{m.pki.Leaf("shop.example").FullChain()},
		ClientAuth:   tls.RequestClientCert,
	}}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	url := "https://shop.example:" + portOf(ln.Addr()) + "/"

	r := get(t, m.client(t, m.alice, "h2"), url)
	assert.Equal(t, http.StatusOK, r.status, r.body)
	for _, tt := range []struct {
		cert    *tlstest.Cert
		refused refusal
	}{{nil, refusedNoCert}, {m.untrusted, refusedUntrusted}} {
		before := m.hits.Load()
		r = get(t, m.client(t, tt.cert, "h2"), url)
		assert.Equal(t, http.StatusBadRequest, r.status, r.body)
		assert.Equal(t, before, m.hits.Load())
		// Without detailed errors (New's default) the client still reads
		// the sentence about its own certificate, and no code.
		id := r.header.Get("X-Request-Id")
		require.NotEmpty(t, id)
		assert.Equal(t, "400 Bad Request: "+tt.refused.message+" (request ID "+id+")\n", r.body)
		assert.Empty(t, r.header.Get(gateway.ErrorHeader))
	}
	assert.Contains(t, logs.String(), "reason=client-certificate-untrusted")
}

func portOf(a net.Addr) string {
	_, p, _ := net.SplitHostPort(a.String())
	return p
}

// TestClientCertificateRefusalKeepsItsSentence: a custom 400 page
// replaces the body of the gateway's own 400s, but not the one sentence a
// client refused for its certificate needs to fix it, with detailed errors
// on (the code in ErrorHeader) or off (the request's ID).
func TestClientCertificateRefusalKeepsItsSentence(t *testing.T) {
	checkLeaks(t)
	m := newMTLS(t)
	page := filepath.Join(t.TempDir(), "400.html")
	require.NoError(t, os.WriteFile(page, []byte("<!DOCTYPE html><p>bad request</p>"), 0o644))
	cfg := m.config(gateway.SSLProfile{})
	cfg.CustomErrorPages = []gateway.CustomErrorPage{{StatusCode: 400, PageURL: page}}

	detailed := gatewaytest.Start(t, cfg)
	r := get(t, m.client(t, nil, "h2"), detailed.URL("web", "shop.example")+"/")
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "400 Bad Request: "+refusedNoCert.message+"\n", r.body)
	assert.Equal(t, string(refusedNoCert.code), r.header.Get(gateway.ErrorHeader))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	cfg.Listeners = []gateway.Listener{cfg.Listeners[0]}
	cfg.Listeners[0].Port = port
	var logs logBuffer
	cfg.Logger = logs.logger()
	generic, err := gateway.New(cfg)
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- generic.ServePort(port, ln) }()
	t.Cleanup(func() {
		generic.Close()
		<-served
	})
	r = get(t, m.client(t, nil, "h2"), "https://shop.example:"+strconv.Itoa(port)+"/")
	assert.Equal(t, http.StatusBadRequest, r.status)
	id := r.header.Get("X-Request-Id")
	require.NotEmpty(t, id)
	assert.Equal(t, "400 Bad Request: "+refusedNoCert.message+" (request ID "+id+")\n", r.body)
	assert.Empty(t, r.header.Get(gateway.ErrorHeader))
}
