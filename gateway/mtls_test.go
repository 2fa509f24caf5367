package gateway_test

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/clientauth"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
	"github.com/e2etls/e2etls/rewrite"
)

// mtls is the fixture of the client-certificate tests: the gateway's PKI
// (its listener and backend certificates), a client CA hierarchy of its
// own (a root, an issuing intermediate, another intermediate under the
// same root for the issuer DN check, an unrelated root), client
// certificates, and an echo backend that counts the requests reaching it.
type mtls struct {
	pki                                *gatewaytest.PKI
	root, inter, otherInter, otherRoot *tlstest.Cert
	alice, bob, underOther, untrusted  *tlstest.Cert
	expired                            *tlstest.Cert
	backend                            *gatewaytest.Backend
	hits                               atomic.Int64 // requests through the gateway, not probes
}

func ecOpts(cn string) tlstest.Options {
	return tlstest.Options{CommonName: cn, KeyType: tlstest.ECDSAP256}
}

func newMTLS(t *testing.T) *mtls {
	t.Helper()
	m := &mtls{pki: gatewaytest.NewPKI()}
	m.root = tlstest.NewRoot(ecOpts("Client Root"))
	m.inter = m.root.NewIntermediate(ecOpts("Client Issuing CA"))
	m.otherInter = m.root.NewIntermediate(ecOpts("Other Issuing CA"))
	m.otherRoot = tlstest.NewRoot(ecOpts("Unrelated Root"))
	m.alice = m.inter.NewClientLeaf(ecOpts("alice"))
	m.bob = m.inter.NewClientLeaf(ecOpts("bob"))
	m.underOther = m.otherInter.NewClientLeaf(ecOpts("carol"))
	m.untrusted = m.otherRoot.NewClientLeaf(ecOpts("mallory"))
	o := ecOpts("dave")
	o.NotBefore, o.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	m.expired = m.inter.NewClientLeaf(o)
	echo := tlstest.EchoHandler("app")
	m.backend = m.pki.StartBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Forwarded-For") != "" { // not a health probe
			m.hits.Add(1)
		}
		echo.ServeHTTP(w, r)
	}), "api.internal")
	return m
}

// chain is the trusted client CA chain: the root and the issuing CA.
func (m *mtls) chain() gateway.TrustedClientCertificate {
	return gateway.TrustedClientCertificate{Name: "clients", Certificates: []*x509.Certificate{m.root.Certificate, m.inter.Certificate}}
}

// config is basicConfig with the listener under profile p, which trusts
// the "clients" chain unless it names its own.
func (m *mtls) config(p gateway.SSLProfile) gateway.Config {
	cfg := basicConfig(m.pki, "api.internal", m.backend.Member())
	if p.Name == "" {
		p.Name = "mtls"
	}
	if p.TrustedClientCertificates == nil {
		p.TrustedClientCertificates = []string{"clients"}
	}
	cfg.SSLProfiles = []gateway.SSLProfile{p}
	cfg.TrustedClientCertificates = []gateway.TrustedClientCertificate{m.chain()}
	cfg.Listeners[0].SSLProfile = p.Name
	return cfg
}

// client returns an HTTP client presenting cert (none if nil) over proto,
// "h2" or "http/1.1"; its idle connections close when the test ends.
func (m *mtls) client(t *testing.T, cert *tlstest.Cert, proto string) *http.Client {
	c := m.pki.Client()
	if cert != nil {
		c = m.pki.ClientWithCertificate(cert)
	}
	tr := c.Transport.(*http.Transport)
	if proto != "h2" {
		tr.ForceAttemptHTTP2 = false
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

var (
	protos = []string{"http/1.1", "h2"}
)

// accessRecords returns the access log's records ("request") of a JSON
// log.
func accessRecords(t *testing.T, logs *logBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "request" {
			out = append(out, rec)
		}
	}
	return out
}

// refusal is what a refused client must get: the 400's one sentence and
// the failure code.
type refusal struct {
	message string
	code    gateway.ErrorCode
}

var (
	refusedNoCert    = refusal{"No required SSL certificate was sent", gateway.ClientCertificateCode(clientauth.ReasonNoCertificate)}
	refusedUntrusted = refusal{"The client certificate is not trusted", "client-certificate-untrusted"}
	refusedExpired   = refusal{"The client certificate has expired", "client-certificate-expired"}
	refusedIssuerDN  = refusal{"The client certificate was not issued by an allowed issuer", "client-certificate-issuer-dn-mismatch"}
	refusedRevoked   = refusal{"The client certificate has been revoked", "client-certificate-revoked"}
)

func TestClientCertificateCode(t *testing.T) {
	assert.Equal(t, gateway.ErrorCode("client-certificate-no-certificate"), refusedNoCert.code)
	assert.Equal(t, refusedRevoked.code, gateway.ClientCertificateCode(clientauth.ReasonRevoked))
}

// TestClientCertificateStrict: in Strict mode, over HTTP/1.1 and HTTP/2,
// with the own and the net/http frontends, a client with a valid
// certificate is served, and a client without one, with an untrusted,
// expired or revoked (CRL) one, or one of the wrong issuer (issuer DN
// check) gets 400 whose body is the one sentence about its certificate, in
// the gateway's error format, with the reason in the error header and the
// access log; no request reaches the backend.
func TestClientCertificateStrict(t *testing.T) {
	checkLeaks(t)
	m := newMTLS(t)
	type probe struct {
		name    string
		cert    *tlstest.Cert
		refused *refusal // nil: served
	}
	for _, fx := range frontends {
		fe := fx.fe
		for _, variant := range []struct {
			name    string
			profile gateway.SSLProfile
			probes  []probe
		}{
			{"trusted chain", gateway.SSLProfile{}, []probe{
				{"valid", m.alice, nil},
				{"another CA of the chain", m.underOther, nil}, // it sends its intermediate, under the trusted root
				{"no certificate", nil, &refusedNoCert},
				{"wrong CA", m.untrusted, &refusedUntrusted},
				{"expired", m.expired, &refusedExpired},
			}},
			{"issuer DN", gateway.SSLProfile{ClientAuth: gateway.ClientAuth{VerifyClientCertIssuerDN: true}}, []probe{
				{"right issuer", m.alice, nil},
				{"wrong issuer DN", m.underOther, &refusedIssuerDN},
			}},
			{"CRL", gateway.SSLProfile{ClientAuth: gateway.ClientAuth{CRLs: []*x509.RevocationList{
				m.inter.NewCRL(tlstest.CRLOptions{Number: 1, Revoked: []tlstest.Revoked{{Cert: m.bob}}}),
			}}}, []probe{
				{"not revoked", m.alice, nil},
				{"revoked by CRL", m.bob, &refusedRevoked},
			}},
		} {
			t.Run(fx.name+"/"+variant.name, func(t *testing.T) {
				var logs logBuffer
				cfg := m.config(variant.profile)
				cfg.Frontend = fe
				cfg.Logger = slogJSON(&logs)
				gw := gatewaytest.Start(t, cfg)
				for _, proto := range protos {
					for _, p := range variant.probes {
						before := m.hits.Load()
						r := get(t, m.client(t, p.cert, proto), gw.URL("web", "shop.example")+"/orders")
						wantProto := map[string]int{"h2": 2, "http/1.1": 1}[proto]
						assert.Equal(t, wantProto, r.resp.ProtoMajor, "%s %s", proto, p.name)
						if p.refused == nil {
							assert.Equal(t, http.StatusOK, r.status, "%s %s: %s", proto, p.name, r.body)
							assert.Equal(t, before+1, m.hits.Load())
							assert.Equal(t, "HTTP/1.1", r.echo.Proto)
							assert.Empty(t, r.echo.Header.Values(clientauth.XFCCHeader))
							continue
						}
						assert.Equal(t, http.StatusBadRequest, r.status, "%s %s", proto, p.name)
						assert.Equal(t, "400 Bad Request: "+p.refused.message+"\n", r.body, "%s %s", proto, p.name)
						assert.Equal(t, string(p.refused.code), r.header.Get(gateway.ErrorHeader))
						assert.Equal(t, "e2etls", r.header.Get("Server"))
						assert.Equal(t, before, m.hits.Load(), "%s %s: a refused request reached the backend", proto, p.name)
					}
				}
				// The access log has the reason of every refusal, with the
				// verdict's details.
				refused := 0
				for _, rec := range accessRecords(t, &logs) {
					if rec["status"] != float64(http.StatusBadRequest) {
						continue
					}
					refused++
					reason, _ := rec["reason"].(string)
					assert.True(t, strings.HasPrefix(reason, "client-certificate-"), "reason %q", reason)
					cc, _ := rec["client_certificate"].(map[string]any)
					require.NotNil(t, cc, "no client_certificate in %v", rec)
					assert.Equal(t, strings.TrimPrefix(reason, "client-certificate-"), cc["reason"])
					assert.Equal(t, "Strict", cc["mode"])
					assert.Equal(t, false, cc["allowed"])
					assert.Nil(t, rec["pool"], "a refused request has no backend")
				}
				want := 0
				for _, p := range variant.probes {
					if p.refused != nil {
						want += len(protos)
					}
				}
				assert.Equal(t, want, refused, "refusals in the access log:\n%s", logs.String())
			})
		}
	}
}

// TestClientCertificateOCSP: Azure's verifyClientRevocation OCSP against
// a live responder (openssl ocsp): a good certificate is served, a
// revoked one refused with 400, over both protocols and frontends; and
// with the responder gone, hard fail refuses (revocation unknown).
func TestClientCertificateOCSP(t *testing.T) {
	checkLeaks(t)
	m := newMTLS(t)
	responder := startOCSP(t, m.inter)
	o := ecOpts("erin")
	o.OCSPServers = []string{responder.URL}
	good := m.inter.NewClientLeaf(o)
	o.CommonName = "frank"
	revoked := m.inter.NewClientLeaf(o)
	o.CommonName = "grace"
	unknown := m.inter.NewClientLeaf(o) // the responder does not know her
	require.NoError(t, responder.Good(good))
	require.NoError(t, responder.Revoke(revoked, time.Now().Add(-time.Minute)))

	for _, fx := range frontends {
		fe := fx.fe
		t.Run(fx.name, func(t *testing.T) {
			cfg := m.config(gateway.SSLProfile{ClientAuth: gateway.ClientAuth{VerifyClientRevocation: clientauth.RevocationOCSP, OCSPTimeout: 3 * time.Second}})
			cfg.Frontend = fe
			gw := gatewaytest.Start(t, cfg)
			for _, proto := range protos {
				before := m.hits.Load()
				r := get(t, m.client(t, good, proto), gw.URL("web", "shop.example")+"/")
				assert.Equal(t, http.StatusOK, r.status, "%s good: %s", proto, r.body)
				r = get(t, m.client(t, revoked, proto), gw.URL("web", "shop.example")+"/")
				assert.Equal(t, http.StatusBadRequest, r.status, proto)
				assert.Equal(t, "400 Bad Request: "+refusedRevoked.message+"\n", r.body)
				r = get(t, m.client(t, unknown, proto), gw.URL("web", "shop.example")+"/")
				assert.Equal(t, http.StatusBadRequest, r.status, proto)
				assert.Equal(t, "400 Bad Request: The revocation status of the client certificate could not be checked\n", r.body)
				assert.Equal(t, "client-certificate-revocation-unknown", r.header.Get(gateway.ErrorHeader))
				assert.Equal(t, before+1, m.hits.Load(), "only the good client reached the backend")
			}
		})
	}
}

// startOCSP starts a live OCSP responder (openssl ocsp) for ca, closed
// when the test ends. It skips the test when openssl is missing, unless
// E2ETLS_REQUIRE_OPENSSL is set.
func startOCSP(t *testing.T, ca *tlstest.Cert) *tlstest.OCSPResponder {
	t.Helper()
	r, err := tlstest.NewOCSPResponder(tlstest.OCSPResponderOptions{CA: ca, NextUpdate: time.Hour})
	if errors.Is(err, tlstest.ErrNoOpenSSL) && os.Getenv("E2ETLS_REQUIRE_OPENSSL") == "" {
		t.Skipf("%v (set E2ETLS_REQUIRE_OPENSSL to fail instead)", err)
	}
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	return r
}

// TestClientCertificatePassthrough: in Passthrough mode (the Gateway
// API's AllowInsecureFallback) every client is served, with or without a
// valid certificate; only a verified certificate is told to the backend
// (X-Forwarded-Client-Cert in SANITIZE_SET mode), and the access log
// records each verdict. Without trusted client CAs, certificates are asked
// for but not verified, and none is forwarded.
func TestClientCertificatePassthrough(t *testing.T) {
	checkLeaks(t)
	m := newMTLS(t)
	xfcc := clientauth.XFCC{Mode: clientauth.XFCCSanitizeSet, Details: clientauth.XFCCDetails{Subject: true}}
	for _, fx := range frontends {
		fe := fx.fe
		t.Run(fx.name, func(t *testing.T) {
			var logs logBuffer
			cfg := m.config(gateway.SSLProfile{ClientAuth: gateway.ClientAuth{Mode: clientauth.Passthrough, ForwardClientCert: xfcc}})
			cfg.Frontend = fe
			cfg.Logger = slogJSON(&logs)
			gw := gatewaytest.Start(t, cfg)
			for _, proto := range protos {
				for _, tt := range []struct {
					name string
					cert *tlstest.Cert
					xfcc string
				}{
					{"verified", m.alice, `Hash=` + sha256Hex(m.alice.Certificate.Raw) + `;Subject="CN=alice"`},
					{"no certificate", nil, ""},
					{"untrusted", m.untrusted, ""},
					{"expired", m.expired, ""},
				} {
					r := get(t, m.client(t, tt.cert, proto), gw.URL("web", "shop.example")+"/", clientauth.XFCCHeader, "Hash=forged")
					require.Equal(t, http.StatusOK, r.status, "%s %s: %s", proto, tt.name, r.body)
					assert.Equal(t, tt.xfcc, r.echo.Header.Get(clientauth.XFCCHeader), "%s %s", proto, tt.name)
				}
			}
			verifications := map[string]int{}
			for _, rec := range accessRecords(t, &logs) {
				cc, _ := rec["client_certificate"].(map[string]any)
				require.NotNil(t, cc, "%v", rec)
				assert.Equal(t, "Passthrough", cc["mode"])
				assert.Equal(t, true, cc["allowed"])
				verifications[cc["verification"].(string)]++
			}
			assert.Equal(t, map[string]int{"SUCCESS": 2, "NONE": 2, "FAILED:untrusted": 2, "FAILED:expired": 2}, verifications)
		})
	}

	t.Run("without trusted CAs", func(t *testing.T) {
		cfg := m.config(gateway.SSLProfile{TrustedClientCertificates: []string{}, ClientAuth: gateway.ClientAuth{Mode: clientauth.Passthrough, ForwardClientCert: xfcc}})
		gw := gatewaytest.Start(t, cfg)
		for _, cert := range []*tlstest.Cert{m.untrusted, nil} {
			r := get(t, m.client(t, cert, "h2"), gw.URL("web", "shop.example")+"/")
			require.Equal(t, http.StatusOK, r.status, r.body)
			assert.Empty(t, r.echo.Header.Get(clientauth.XFCCHeader), "an unverified certificate is never forwarded as the client's identity")
		}
	})
}

// TestClientCertificateForgedHeaders: an X-Forwarded-Client-Cert that the
// client sends itself never reaches the backend as it wrote it: removed on
// a listener without a profile and in SANITIZE mode (the default),
// replaced in SANITIZE_SET mode, and kept only in the modes that say so
// (APPEND_FORWARD keeps it before the gateway's element; FORWARD_ONLY
// forwards it only from a verified client).
func TestClientCertificateForgedHeaders(t *testing.T) {
	checkLeaks(t)
	m := newMTLS(t)
	hash := sha256Hex(m.alice.Certificate.Raw)
	forged := `Hash=0000;Subject="CN=admin"`
	for _, tt := range []struct {
		name    string
		profile *gateway.SSLProfile // nil: a listener without a profile
		cert    *tlstest.Cert
		want    []string
	}{
		{"no profile", nil, nil, nil},
		{"no profile, with a certificate", nil, m.alice, nil},
		{"SANITIZE", &gateway.SSLProfile{}, m.alice, nil},
		{"SANITIZE_SET", &gateway.SSLProfile{ClientAuth: gateway.ClientAuth{ForwardClientCert: clientauth.XFCC{Mode: clientauth.XFCCSanitizeSet}}}, m.alice, []string{"Hash=" + hash}},
		{"APPEND_FORWARD", &gateway.SSLProfile{ClientAuth: gateway.ClientAuth{ForwardClientCert: clientauth.XFCC{Mode: clientauth.XFCCAppendForward}}}, m.alice, []string{forged + "," + forged + ",Hash=" + hash}},
		{"FORWARD_ONLY, verified", &gateway.SSLProfile{ClientAuth: gateway.ClientAuth{ForwardClientCert: clientauth.XFCC{Mode: clientauth.XFCCForwardOnly}}}, m.alice, []string{forged, forged}},
		{"FORWARD_ONLY, unverified", &gateway.SSLProfile{ClientAuth: gateway.ClientAuth{Mode: clientauth.Passthrough, ForwardClientCert: clientauth.XFCC{Mode: clientauth.XFCCForwardOnly}}}, m.untrusted, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := basicConfig(m.pki, "api.internal", m.backend.Member())
			if tt.profile != nil {
				cfg = m.config(*tt.profile)
			}
			gw := gatewaytest.Start(t, cfg)
			for _, proto := range protos {
				r := get(t, m.client(t, tt.cert, proto), gw.URL("web", "shop.example")+"/",
					clientauth.XFCCHeader, forged, "x-forwarded-client-cert", forged)
				require.Equal(t, http.StatusOK, r.status, r.body)
				assert.Equal(t, tt.want, r.echo.Header.Values(clientauth.XFCCHeader), proto)
			}
		})
	}
}

// TestClientCertificateMisdirected: two listeners on one port, one
// certificate covering both host names, one listener under a strict
// profile: a connection set up for one listener (its SNI) cannot be used
// for the other's host, whose client authentication differs (HTTP/2
// connection coalescing, or an SNI that names another site than the
// Host): 421, and nothing reaches the backend.
func TestClientCertificateMisdirected(t *testing.T) {
	checkLeaks(t)
	m := newMTLS(t)
	for _, fx := range frontends {
		fe := fx.fe
		t.Run(fx.name, func(t *testing.T) {
			cfg := m.config(gateway.SSLProfile{})
			cfg.Frontend = fe
			cfg.SSLCertificates = []gateway.SSLCertificate{m.pki.SSLCertificate("front", "secure.example", "open.example")}
			cfg.Listeners = []gateway.Listener{
				{Name: "secure", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "front", HostNames: []string{"secure.example"}, SSLProfile: "mtls"},
				{Name: "open", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "front", HostNames: []string{"open.example"}},
			}
			cfg.Rules = []gateway.Rule{
				{Name: "secure", Listener: "secure", Pool: "app", BackendHTTPSetting: "tls", Priority: 1},
				{Name: "open", Listener: "open", Pool: "app", BackendHTTPSetting: "tls", Priority: 2},
			}
			gw := gatewaytest.Start(t, cfg)
			for _, proto := range protos {
				for _, tt := range []struct {
					sni, host string
					cert      *tlstest.Cert
					status    int
				}{
					{"secure.example", "secure.example", m.alice, http.StatusOK},
					{"open.example", "open.example", nil, http.StatusOK},
					{"secure.example", "open.example", m.alice, http.StatusMisdirectedRequest},
					{"open.example", "secure.example", m.alice, http.StatusMisdirectedRequest}, // no certificate was asked for
				} {
					c := m.client(t, tt.cert, proto)
					c.Transport.(*http.Transport).TLSClientConfig.ServerName = tt.sni
					before := m.hits.Load()
					r := get(t, c, gw.URL("secure", tt.host)+"/")
					assert.Equal(t, tt.status, r.status, "%s SNI %s Host %s: %s", proto, tt.sni, tt.host, r.body)
					if tt.status != http.StatusOK {
						assert.Equal(t, string(gateway.CodeMisdirected), r.header.Get(gateway.ErrorHeader))
						assert.Equal(t, before, m.hits.Load())
					}
				}
			}
		})
	}
}

// TestClientCertificateResumption: a session resumed after its client
// certificate was revoked is refused (verification runs on every
// handshake, resumed or not), at TLS 1.2 and 1.3, over both frontends; and
// a keep-alive connection verified before the revocation is verified
// again at its next request, under the new trust.
func TestClientCertificateResumption(t *testing.T) {
	checkLeaks(t)
	m := newMTLS(t)
	noneRevoked := []*x509.RevocationList{m.inter.NewCRL(tlstest.CRLOptions{Number: 1})}
	aliceRevoked := []*x509.RevocationList{m.inter.NewCRL(tlstest.CRLOptions{Number: 2, Revoked: []tlstest.Revoked{{Cert: m.alice}}})}
	for _, fx := range frontends {
		fe := fx.fe
		for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			t.Run(fx.name+"/"+tls.VersionName(version), func(t *testing.T) {
				cfg := m.config(gateway.SSLProfile{ClientAuth: gateway.ClientAuth{CRLs: noneRevoked}})
				cfg.Frontend = fe
				gw := gatewaytest.Start(t, cfg)
				url := gw.URL("web", "shop.example") + "/"

				c := m.client(t, m.alice, "h2")
				tc := c.Transport.(*http.Transport).TLSClientConfig
				tc.MaxVersion = version
				tc.ClientSessionCache = tls.NewLRUClientSessionCache(4)
				r := get(t, c, url)
				require.Equal(t, http.StatusOK, r.status, r.body)
				require.False(t, r.resp.TLS.DidResume)
				c.CloseIdleConnections()
				r = get(t, c, url)
				require.Equal(t, http.StatusOK, r.status, r.body)
				require.True(t, r.resp.TLS.DidResume, "the client resumes its session")
				// The connection stays open (keep-alive).

				cfg = gw.Config // with the ports served
				cfg.SSLProfiles[0].ClientAuth.CRLs = aliceRevoked
				require.NoError(t, gw.Update(cfg))

				// The open connection, verified before the revocation, is
				// verified again at its next request.
				var reused bool
				req, err := http.NewRequest(http.MethodGet, url, nil)
				require.NoError(t, err)
				req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
					GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused },
				}))
				r = do(t, c, req)
				require.True(t, reused, "the request went on the open connection")
				assert.Equal(t, http.StatusBadRequest, r.status)
				assert.Equal(t, "400 Bad Request: "+refusedRevoked.message+"\n", r.body)

				// A new connection resumes the session, and is refused.
				c.CloseIdleConnections()
				before := m.hits.Load()
				r = get(t, c, url)
				require.True(t, r.resp.TLS.DidResume, "the client resumed its session")
				assert.Equal(t, http.StatusBadRequest, r.status)
				assert.Equal(t, "400 Bad Request: "+refusedRevoked.message+"\n", r.body)
				assert.Equal(t, before, m.hits.Load())
			})
		}
	}
}

// slogJSON is a JSON logger writing to logs, at Debug.
func slogJSON(logs *logBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestClientCertificateRewriteVariables: rewrite rules pass Azure's
// client_certificate_* server variables on to the backend as request
// headers, as Azure's documentation does for Passthrough mode: the
// verification result for every client, the subject and fingerprint of
// the certificate it presented (verified or not), nothing for a client
// without one; a header the client forges is overwritten by the rule.
func TestClientCertificateRewriteVariables(t *testing.T) {
	checkLeaks(t)
	m := newMTLS(t)
	for _, fx := range frontends {
		t.Run(fx.name, func(t *testing.T) {
			cfg := m.config(gateway.SSLProfile{ClientAuth: gateway.ClientAuth{Mode: clientauth.Passthrough}})
			cfg.Frontend = fx.fe
			cfg.RewriteRuleSets = []rewrite.RuleSet{{Name: "client-cert", Rules: []rewrite.Rule{{
				Name: "identity", Sequence: 100,
				Actions: rewrite.ActionSet{RequestHeaders: []rewrite.HeaderAction{
					{Name: "X-Client-Verify", Value: "{var_client_certificate_verification}"},
					{Name: "X-Client-Subject", Value: "{var_client_certificate_subject}"},
					{Name: "X-Client-Fingerprint", Value: "{var_client_certificate_fingerprint}"},
				}},
			}}}}
			cfg.Rules[0].RewriteRuleSet = "client-cert"
			gw := gatewaytest.Start(t, cfg)
			for _, proto := range protos {
				for _, tt := range []struct {
					name           string
					cert           *tlstest.Cert
					verify, subj   string
					hasFingerprint bool
				}{
					{"verified", m.alice, "SUCCESS", "CN=alice", true},
					{"untrusted", m.untrusted, "FAILED:untrusted", "CN=mallory", true},
					{"no certificate", nil, "NONE", "", false},
				} {
					r := get(t, m.client(t, tt.cert, proto), gw.URL("web", "shop.example")+"/",
						"X-Client-Verify", "SUCCESS", "X-Client-Subject", "CN=forged")
					require.Equal(t, http.StatusOK, r.status, "%s %s: %s", proto, tt.name, r.body)
					h := r.echo.Header
					assert.Equal(t, tt.verify, h.Get("X-Client-Verify"), "%s %s", proto, tt.name)
					assert.Equal(t, tt.subj, h.Get("X-Client-Subject"), "%s %s", proto, tt.name)
					if tt.hasFingerprint {
						assert.Equal(t, strings.ToUpper(sha1Hex(tt.cert.Certificate.Raw)), strings.ToUpper(h.Get("X-Client-Fingerprint")), "%s %s", proto, tt.name)
					} else {
						assert.Empty(t, h.Values("X-Client-Fingerprint"), "%s %s", proto, tt.name)
					}
				}
			}
		})
	}
}

func sha1Hex(b []byte) string {
	sum := sha1.Sum(b)
	return hex.EncodeToString(sum[:])
}

// TestClientCertificateAccessLog: the access log records Azure's client
// certificate fields on a listener with client authentication
// (sslClientVerify, sslClientCertificateFingerprint,
// sslClientCertificateIssuerName), for served and refused requests alike.
func TestClientCertificateAccessLog(t *testing.T) {
	checkLeaks(t)
	m := newMTLS(t)
	var out logBuffer
	cfg := m.config(gateway.SSLProfile{ClientAuth: gateway.ClientAuth{Mode: clientauth.Passthrough}})
	cfg.AccessLog = &gateway.AccessLog{Writer: &out, Format: gateway.AccessLogJSON, FlushInterval: 10 * time.Millisecond}
	gw := gatewaytest.Start(t, cfg)
	for _, cert := range []*tlstest.Cert{m.alice, m.untrusted, nil} {
		r := get(t, m.client(t, cert, "h2"), gw.URL("web", "shop.example")+"/")
		require.Equal(t, http.StatusOK, r.status, r.body)
	}
	var recs []map[string]any
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		recs = recs[:0]
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var rec map[string]any
			if line != "" && json.Unmarshal([]byte(line), &rec) == nil {
				recs = append(recs, rec)
			}
		}
		if len(recs) >= 3 || time.Now().After(deadline) {
			break
		}
	}
	require.Len(t, recs, 3, "access log:\n%s", out.String())
	// Records of one flush may come in any order: each is found by its
	// verification result.
	got := map[any]map[string]any{}
	for _, rec := range recs {
		got[rec["sslClientVerify"]] = rec
	}
	for _, w := range []struct{ verify, fingerprint, issuer any }{
		{"SUCCESS", sha1Hex(m.alice.Certificate.Raw), "CN=Client Issuing CA"},
		{"FAILED:untrusted", sha1Hex(m.untrusted.Certificate.Raw), "CN=Unrelated Root"},
		{"NONE", nil, nil},
	} {
		rec := got[w.verify]
		require.NotNil(t, rec, "no record with sslClientVerify %v:\n%s", w.verify, out.String())
		assert.Equal(t, w.fingerprint, rec["sslClientCertificateFingerprint"], "%v", w.verify)
		assert.Equal(t, w.issuer, rec["sslClientCertificateIssuerName"], "%v", w.verify)
		_, has := rec["sslClientCertificateFingerprint"]
		assert.Equal(t, w.fingerprint != nil, has, "%v", w.verify)
	}
}
