package clientauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/revocation"
)

// TestOCSP checks client certificates against a real OCSP responder
// (openssl ocsp), found through each certificate's authority information
// access as Azure does, over real handshakes at TLS 1.2 and 1.3.
func TestOCSP(t *testing.T) {
	p := newPKI()
	r := startResponder(t, tlstest.OCSPResponderOptions{CA: p.inter, Signer: p.inter.NewOCSPResponder(ec("OCSP Responder")), NextUpdate: 10 * time.Minute})
	good := p.inter.NewClientLeaf(ec("good", func(o *tlstest.Options) { o.OCSPServers = []string{r.URL} }))
	revoked := p.inter.NewClientLeaf(ec("revoked", func(o *tlstest.Options) { o.OCSPServers = []string{r.URL} }))
	unlisted := p.inter.NewClientLeaf(ec("unlisted", func(o *tlstest.Options) { o.OCSPServers = []string{r.URL} }))
	if err := r.Good(good, revoked); err != nil {
		t.Fatal(err)
	}
	if err := r.Revoke(revoked, time.Time{}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close()

	tests := []struct {
		name       string
		cfg        func(*Config)
		cert       *tlstest.Cert
		wantStatus int
		wantReason Reason
		wantRev    revocation.Status
	}{
		{"good", nil, good, http.StatusOK, ReasonNone, revocation.Good},
		{"revoked", nil, revoked, http.StatusBadRequest, ReasonRevoked, revocation.Revoked},
		{"unknown to the responder, hard fail", nil, unlisted, http.StatusBadRequest, ReasonRevocationUnknown, revocation.Unknown},
		{"unknown to the responder, soft fail", func(c *Config) { c.RevocationSoftFail = true }, unlisted, http.StatusOK, ReasonNone, revocation.Unknown},
		{"responder down, hard fail", func(c *Config) { c.OCSP.ResponderURL = down }, good, http.StatusBadRequest, ReasonRevocationUnknown, revocation.Unknown},
		{"responder down, soft fail", func(c *Config) { c.OCSP.ResponderURL, c.RevocationSoftFail = down, true }, good, http.StatusOK, ReasonNone, revocation.Unknown},
		{"soft fail does not let a revoked certificate through", func(c *Config) { c.RevocationSoftFail = true }, revoked, http.StatusBadRequest, ReasonRevoked, revocation.Revoked},
		{"configured responder", func(c *Config) { c.OCSP.ResponderURL = r.URL }, revoked, http.StatusBadRequest, ReasonRevoked, revocation.Revoked},
		{"passthrough tells the backend", func(c *Config) { c.Mode = Passthrough }, revoked, http.StatusOK, ReasonRevoked, revocation.Revoked},
	}
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					cfg := Config{TrustedClientCertificates: p.trust(), VerifyClientRevocation: RevocationOCSP}
					if tt.cfg != nil {
						tt.cfg(&cfg)
					}
					g := newGateway(t, p, v.version, mustNew(t, cfg))
					a := g.get(t, chainOf(tt.cert), nil)
					verdict := g.lastVerdict()
					if a.status != tt.wantStatus || verdict.Reason != tt.wantReason || verdict.Revocation.Status != tt.wantRev {
						t.Fatalf("answer %+v, reason %v, revocation %v (%v); want %d, %v, %v", a, verdict.Reason, verdict.Revocation.Status, verdict.Err, tt.wantStatus, tt.wantReason, tt.wantRev)
					}
					if verdict.Revocation.Method != revocation.MethodOCSP {
						t.Errorf("method %q", verdict.Revocation.Method)
					}
				})
			}
		})
	}
}

// TestOCSPCosts: a client's repeated connections cost one OCSP query; the
// verdict cache answers them. The OCSP cache, shared with the next
// Verifier (a configuration change), keeps it at one.
func TestOCSPCosts(t *testing.T) {
	p := newPKI()
	r := startResponder(t, tlstest.OCSPResponderOptions{CA: p.inter, NextUpdate: 10 * time.Minute})
	leaf := p.inter.NewClientLeaf(ec("costly", func(o *tlstest.Options) { o.OCSPServers = []string{r.URL} }))
	if err := r.Good(leaf); err != nil {
		t.Fatal(err)
	}
	cache := revocation.NewOCSPCache(0)
	cfg := Config{TrustedClientCertificates: p.trust(), VerifyClientRevocation: RevocationOCSP, OCSP: revocation.OCSPConfig{Cache: cache}}
	v := mustNew(t, cfg)
	chain := []*x509.Certificate{leaf.Certificate, p.inter.Certificate}
	for i := range 5 {
		verdict := v.VerifyCertificates(context.Background(), chain)
		if !verdict.Verified || verdict.Cached != (i > 0) {
			t.Fatalf("connection %d: %+v", i, verdict)
		}
	}
	next := mustNew(t, cfg)
	if verdict := next.VerifyCertificates(context.Background(), chain); !verdict.Verified || verdict.Cached {
		t.Fatalf("next Verifier: %+v", verdict)
	}
	if s := cache.Stats(); s.Queries != 1 || s.Hits != 1 {
		t.Errorf("OCSP cache %+v; want 1 query, 1 hit", s)
	}
}

// TestResumedSessionAfterOCSPRevocation: once the cached OCSP answer
// expires, a resumed session of a certificate revoked since its first
// handshake is refused (until then it is accepted, as Azure documents:
// answers are cached until their next update).
func TestResumedSessionAfterOCSPRevocation(t *testing.T) {
	p := newPKI()
	r := startResponder(t, tlstest.OCSPResponderOptions{CA: p.inter}) // responses without nextUpdate
	const ttl = 400 * time.Millisecond
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			leaf := p.inter.NewClientLeaf(ec("to be revoked", func(o *tlstest.Options) { o.OCSPServers = []string{r.URL} }))
			if err := r.Good(leaf); err != nil {
				t.Fatal(err)
			}
			g := newGateway(t, p, v.version, mustNew(t, Config{
				TrustedClientCertificates: p.trust(), VerifyClientRevocation: RevocationOCSP,
				OCSP: revocation.OCSPConfig{DefaultTTL: ttl},
			}))
			cache := tls.NewLRUClientSessionCache(0)
			start := time.Now()
			if a := g.get(t, chainOf(leaf), cache); a.status != http.StatusOK || a.resumed {
				t.Fatalf("first connection: %+v", a)
			}
			if err := r.Revoke(leaf, time.Time{}); err != nil {
				t.Fatal(err)
			}
			if a := g.get(t, chainOf(leaf), cache); time.Since(start) < ttl && (a.status != http.StatusOK || !a.resumed) {
				t.Fatalf("resumed within the answer's lifetime: %+v; want accepted from the cache", a)
			}
			time.Sleep(ttl - time.Since(start) + 50*time.Millisecond)
			a := g.get(t, chainOf(leaf), cache)
			if !a.resumed {
				t.Fatalf("did not resume; the test proves nothing: %+v", a)
			}
			if a.status != http.StatusBadRequest || a.body != "The client certificate has been revoked" {
				t.Fatalf("resumed after revocation: %+v", a)
			}
		})
	}
}

// TestNoGoroutineLeak verifies connections with and without OCSP, passing
// and failing, and checks that every goroutine ends.
func TestNoGoroutineLeak(t *testing.T) {
	p := newPKI()
	r := startResponder(t, tlstest.OCSPResponderOptions{CA: p.inter, NextUpdate: time.Minute})
	leaf := p.inter.NewClientLeaf(ec("leaky", func(o *tlstest.Options) { o.OCSPServers = []string{r.URL} }))
	if err := r.Good(leaf); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	func() {
		v := mustNew(t, Config{TrustedClientCertificates: p.trust(), VerifyClientRevocation: RevocationOCSP})
		for _, c := range []*tlstest.Cert{leaf, p.untrusted, p.alice} {
			verdict := v.VerifyCertificates(context.Background(), []*x509.Certificate{c.Certificate})
			if c == leaf && !verdict.Verified {
				t.Fatalf("%+v", verdict)
			}
		}
	}()
	waitGoroutines(t, before)
}
