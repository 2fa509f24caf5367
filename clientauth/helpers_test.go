package clientauth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/e2etls/e2etls/backendtls/tlstest"
)

var versions = []struct {
	name    string
	version uint16
}{
	{"TLSv12", tls.VersionTLS12},
	{"TLSv13", tls.VersionTLS13},
}

func ec(cn string, mods ...func(*tlstest.Options)) tlstest.Options {
	o := tlstest.Options{CommonName: cn, KeyType: tlstest.ECDSAP256}
	for _, m := range mods {
		m(&o)
	}
	return o
}

func uris(s ...string) func(*tlstest.Options) {
	return func(o *tlstest.Options) {
		for _, x := range s {
			u, err := url.Parse(x)
			if err != nil {
				panic(err)
			}
			o.URIs = append(o.URIs, u)
		}
	}
}

// pki is the fixture: a client CA hierarchy (root, issuing intermediate),
// an unrelated one, and the gateway's server certificate. Certificates are
// valid around the real time, because crypto/tls resumes sessions only
// while the client certificate is valid by the real clock.
type pki struct {
	root, inter, otherInter  *tlstest.Cert
	otherRoot                *tlstest.Cert
	alice, bob, direct       *tlstest.Cert // alice and bob under inter; direct under root
	serverRoot, server       *tlstest.Cert
	underOther, untrusted    *tlstest.Cert // under otherInter (same root); under otherRoot
	expired, future, srvOnly *tlstest.Cert
}

func newPKI() *pki {
	now := time.Now()
	p := &pki{}
	p.root = tlstest.NewRoot(ec("Client Root"))
	p.inter = p.root.NewIntermediate(ec("Client Issuing CA"))
	p.otherInter = p.root.NewIntermediate(ec("Other Issuing CA"))
	p.otherRoot = tlstest.NewRoot(ec("Other Root"))
	p.alice = p.inter.NewClientLeaf(ec("alice", uris("spiffe://example.org/alice")))
	p.bob = p.inter.NewClientLeaf(ec("bob", uris("spiffe://example.org/bob")))
	p.direct = p.root.NewClientLeaf(ec("direct"))
	p.underOther = p.otherInter.NewClientLeaf(ec("under other"))
	p.untrusted = p.otherRoot.NewClientLeaf(ec("mallory"))
	p.expired = p.inter.NewClientLeaf(ec("expired", func(o *tlstest.Options) {
		o.NotBefore, o.NotAfter = now.Add(-48*time.Hour), now.Add(-24*time.Hour)
	}))
	p.future = p.inter.NewClientLeaf(ec("future", func(o *tlstest.Options) {
		o.NotBefore, o.NotAfter = now.Add(24*time.Hour), now.Add(48*time.Hour)
	}))
	p.srvOnly = p.inter.NewLeaf(ec("server only")) // serverAuth EKU only
	p.serverRoot = tlstest.NewRoot(ec("Gateway Root"))
	p.server = p.serverRoot.NewLeaf(ec("gateway.example", func(o *tlstest.Options) { o.DNSNames = []string{"gateway.example"} }))
	return p
}

func (p *pki) trust() [][]*x509.Certificate {
	return [][]*x509.Certificate{{p.root.Certificate, p.inter.Certificate}}
}

// gateway is a TLS server on loopback configured by a Verifier's
// ConfigureServer, whose handler calls Verify as the frontend will, after
// the handshake, resumed or not: 400 with the message when the verdict is
// not allowed, else 200 with the verification in a header.
type gateway struct {
	srv      *httptest.Server
	verifier atomic.Pointer[Verifier]
	mu       sync.Mutex
	last     Verdict
	roots    *x509.CertPool
}

func newGateway(t *testing.T, p *pki, version uint16, v *Verifier) *gateway {
	t.Helper()
	g := &gateway{roots: p.serverRoot.Pool()}
	g.verifier.Store(v)
	g.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		verdict := g.verifier.Load().Verify(r.Context(), r.TLS)
		g.mu.Lock()
		g.last = verdict
		g.mu.Unlock()
		w.Header().Set("X-Resumed", map[bool]string{true: "yes", false: "no"}[r.TLS.DidResume])
		if !verdict.Allowed {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, verdict.Message())
			return
		}
		w.Header().Set("X-Client-Certificate-Verification", verdict.ClientCertificateVerification())
		io.WriteString(w, "ok")
	}))
	g.srv.TLS = &tls.Config{Certificates: []tls.Certificate{p.server.FullChain()}, MinVersion: version, MaxVersion: version}
	v.ConfigureServer(g.srv.TLS)
	g.srv.StartTLS()
	t.Cleanup(g.srv.Close)
	return g
}

func (g *gateway) lastVerdict() Verdict {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.last
}

type answer struct {
	status       int
	body         string
	verification string
	resumed      bool
}

// get makes one request over a new connection, presenting cert (nil: none)
// whatever the server asks for, as curl and openssl do, and returns the
// answer. cache, if not nil, lets the connection resume a session.
func (g *gateway) get(t *testing.T, cert *tls.Certificate, cache tls.ClientSessionCache) answer {
	t.Helper()
	tlsCfg := &tls.Config{
		RootCAs:            g.roots,
		ServerName:         "gateway.example",
		ClientSessionCache: cache,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if cert == nil {
				return &tls.Certificate{}, nil
			}
			return cert, nil
		},
	}
	tr := &http.Transport{TLSClientConfig: tlsCfg, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(g.srv.URL + "/")
	if err != nil {
		t.Fatalf("request failed (the handshake must succeed whatever the certificate): %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, string(body), resp.Header.Get("X-Client-Certificate-Verification"), resp.Header.Get("X-Resumed") == "yes"}
}

func chainOf(c *tlstest.Cert) *tls.Certificate { tc := c.FullChain(); return &tc }
func leafOnly(c *tlstest.Cert) *tls.Certificate {
	tc := c.TLSCertificate()
	return &tc
}

func mustNew(t *testing.T, cfg Config) *Verifier {
	t.Helper()
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// startResponder starts a real OCSP responder (openssl ocsp). It skips the
// test when openssl is missing, unless E2ETLS_REQUIRE_OPENSSL is set (CI
// sets it), in which case it fails.
func startResponder(t *testing.T, o tlstest.OCSPResponderOptions) *tlstest.OCSPResponder {
	t.Helper()
	r, err := tlstest.NewOCSPResponder(o)
	if errors.Is(err, tlstest.ErrNoOpenSSL) && os.Getenv("E2ETLS_REQUIRE_OPENSSL") == "" {
		t.Skipf("%v (set E2ETLS_REQUIRE_OPENSSL to fail instead)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
	return r
}

// waitGoroutines fails t unless, within 5 s, no more goroutines run than
// before.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
