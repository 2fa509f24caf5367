package revocation

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/e2etls/e2etls/backendtls/tlstest"
)

// startResponder starts a real OCSP responder (openssl ocsp) for the test.
// It skips the test when openssl is missing, unless E2ETLS_REQUIRE_OPENSSL
// is set (CI sets it), in which case it fails.
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

// ocspPKI is a root, an intermediate that issues client certificates, and
// a delegated responder certificate of the intermediate. Certificates are
// valid around the real time: openssl dates its responses by the real clock.
type ocspPKI struct {
	root, inter, signer *tlstest.Cert
}

func newOCSPPKI() ocspPKI {
	o := tlstest.Options{KeyType: tlstest.ECDSAP256}
	var p ocspPKI
	p.root = tlstest.NewRoot(o)
	p.inter = p.root.NewIntermediate(o)
	p.signer = p.inter.NewOCSPResponder(o)
	return p
}

func (p ocspPKI) client(aia ...string) *tlstest.Cert {
	return p.inter.NewClientLeaf(tlstest.Options{KeyType: tlstest.ECDSAP256, OCSPServers: aia})
}

func newClient(t *testing.T, cfg OCSPConfig) *OCSPClient {
	t.Helper()
	c, err := NewOCSPClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOCSPGoodRevokedUnknown(t *testing.T) {
	p := newOCSPPKI()
	r := startResponder(t, tlstest.OCSPResponderOptions{CA: p.inter, Signer: p.signer, NextUpdate: 10 * time.Minute})
	good, revoked, unlisted := p.client(r.URL), p.client(r.URL), p.client(r.URL)
	if err := r.Good(good, revoked); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := r.Revoke(revoked, at); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, OCSPConfig{}) // the responder comes from each certificate's AIA
	ctx := context.Background()

	start := time.Now()
	res := c.Check(ctx, good.Certificate, p.inter.Certificate)
	if res.Status != Good || res.Method != MethodOCSP || res.Err != nil {
		t.Fatalf("good: %+v", res)
	}
	// Cached until the response's nextUpdate, 10 minutes after it was made.
	if d := res.Until.Sub(start); d < 9*time.Minute || d > 11*time.Minute {
		t.Errorf("Until is %v from now; want the response's nextUpdate, about 10 minutes", d)
	}
	res = c.Check(ctx, revoked.Certificate, p.inter.Certificate)
	if res.Status != Revoked || !res.RevokedAt.Equal(at) {
		t.Errorf("revoked: %+v", res)
	}
	res = c.Check(ctx, unlisted.Certificate, p.inter.Certificate)
	if res.Status != Unknown || res.Err == nil || !strings.Contains(res.Err.Error(), "does not know the certificate") {
		t.Errorf("unlisted: %+v", res)
	}
	if s := c.Cache().Stats(); s.Queries != 3 || s.Hits != 0 || s.Failures != 1 || s.Entries != 3 {
		t.Errorf("stats %+v", s)
	}
}

// TestOCSPCachedUntilNextUpdate: a response is used until its nextUpdate,
// even when the responder has changed its mind since (as Azure documents);
// a new client sharing the cache uses it too.
func TestOCSPCachedUntilNextUpdate(t *testing.T) {
	p := newOCSPPKI()
	r := startResponder(t, tlstest.OCSPResponderOptions{CA: p.inter, Signer: p.signer, NextUpdate: 10 * time.Minute})
	leaf := p.client()
	if err := r.Good(leaf); err != nil {
		t.Fatal(err)
	}
	cache := NewOCSPCache(0)
	c := newClient(t, OCSPConfig{ResponderURL: r.URL, Cache: cache})
	if res := c.Check(context.Background(), leaf.Certificate, p.inter.Certificate); res.Status != Good {
		t.Fatalf("first: %+v", res)
	}
	if err := r.Revoke(leaf, time.Time{}); err != nil {
		t.Fatal(err)
	}
	again := newClient(t, OCSPConfig{ResponderURL: r.URL, Cache: cache})
	if res := again.Check(context.Background(), leaf.Certificate, p.inter.Certificate); res.Status != Good {
		t.Fatalf("cached: %+v", res)
	}
	if s := cache.Stats(); s.Queries != 1 || s.Hits != 1 {
		t.Errorf("stats %+v", s)
	}
	// A fresh cache asks again and learns of the revocation.
	fresh := newClient(t, OCSPConfig{ResponderURL: r.URL})
	if res := fresh.Check(context.Background(), leaf.Certificate, p.inter.Certificate); res.Status != Revoked {
		t.Fatalf("fresh cache: %+v", res)
	}
}

// TestOCSPDefaultTTL: a response without nextUpdate is cached for
// DefaultTTL, then asked again.
func TestOCSPDefaultTTL(t *testing.T) {
	p := newOCSPPKI()
	r := startResponder(t, tlstest.OCSPResponderOptions{CA: p.inter, Signer: p.signer}) // no nextUpdate
	leaf := p.client()
	if err := r.Good(leaf); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	clock := func() time.Time { return now }
	c := newClient(t, OCSPConfig{ResponderURL: r.URL, DefaultTTL: time.Minute, Time: clock})
	res := c.Check(context.Background(), leaf.Certificate, p.inter.Certificate)
	if res.Status != Good || !res.Until.Equal(now.Add(time.Minute)) {
		t.Fatalf("first: %+v", res)
	}
	now = now.Add(59 * time.Second)
	c.Check(context.Background(), leaf.Certificate, p.inter.Certificate)
	now = now.Add(2 * time.Second)
	c.Check(context.Background(), leaf.Certificate, p.inter.Certificate)
	if s := c.Cache().Stats(); s.Queries != 2 || s.Hits != 1 {
		t.Errorf("stats %+v; want 2 queries, 1 hit", s)
	}
}

func TestOCSPSigners(t *testing.T) {
	p := newOCSPPKI()
	other := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	noEKU := p.inter.NewLeaf(tlstest.Options{KeyType: tlstest.ECDSAP256}) // serverAuth, not OCSPSigning
	expiredSigner := p.inter.NewOCSPResponder(tlstest.Options{KeyType: tlstest.ECDSAP256,
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	tests := []struct {
		name    string
		signer  *tlstest.Cert
		wantErr string // "" for Good
	}{
		{"delegated responder", p.signer, ""},
		{"the CA itself, embedding its certificate", p.inter, ""},
		{"responder of another CA", other.NewOCSPResponder(tlstest.Options{KeyType: tlstest.ECDSAP256}), "invalid response: "},
		{"another CA itself", other, "invalid response: "},
		{"no OCSPSigning usage", noEKU, "which lacks the OCSPSigning extended key usage"},
		{"expired responder", expiredSigner, "which is valid only from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startResponder(t, tlstest.OCSPResponderOptions{CA: p.inter, Signer: tt.signer, NextUpdate: time.Minute})
			leaf := p.client()
			if err := r.Good(leaf); err != nil {
				t.Fatal(err)
			}
			res := newClient(t, OCSPConfig{ResponderURL: r.URL}).Check(context.Background(), leaf.Certificate, p.inter.Certificate)
			if tt.wantErr == "" {
				if res.Status != Good {
					t.Fatalf("%+v", res)
				}
				return
			}
			if res.Status != Unknown || res.Err == nil || !strings.Contains(res.Err.Error(), tt.wantErr) {
				t.Fatalf("%+v; want Unknown with %q", res, tt.wantErr)
			}
		})
	}
}

func TestOCSPResponseDates(t *testing.T) {
	p := newOCSPPKI()
	r := startResponder(t, tlstest.OCSPResponderOptions{CA: p.inter, Signer: p.signer, NextUpdate: time.Minute})
	leaf := p.client()
	if err := r.Good(leaf); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		shift time.Duration
		want  string
	}{
		{"stale response", 3 * time.Minute, "the response is stale: its nextUpdate"},
		{"response from the future", -time.Hour, "is in the future"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := func() time.Time { return time.Now().Add(tc.shift) }
			res := newClient(t, OCSPConfig{ResponderURL: r.URL, Time: clock}).Check(context.Background(), leaf.Certificate, p.inter.Certificate)
			if res.Status != Unknown || res.Err == nil || !strings.Contains(res.Err.Error(), tc.want) {
				t.Fatalf("%+v; want %q", res, tc.want)
			}
		})
	}
}

// hangingServer accepts connections on loopback and never answers: a
// responder that is down in the worst way.
func hangingServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return "http://" + ln.Addr().String()
}

func TestOCSPFailures(t *testing.T) {
	p := newOCSPPKI()
	leaf := p.client()
	ctx := context.Background()

	t.Run("unreachable, failure cached", func(t *testing.T) {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		url := "http://" + ln.Addr().String()
		ln.Close() // nothing listens there now
		now := time.Now()
		c := newClient(t, OCSPConfig{ResponderURL: url, FailureTTL: time.Minute, Time: func() time.Time { return now }})
		res := c.Check(ctx, leaf.Certificate, p.inter.Certificate)
		if res.Status != Unknown || res.Err == nil || !strings.Contains(res.Err.Error(), "revocation: OCSP responder "+url) || !res.Until.Equal(now.Add(time.Minute)) {
			t.Fatalf("%+v", res)
		}
		c.Check(ctx, leaf.Certificate, p.inter.Certificate)
		if s := c.Cache().Stats(); s.Queries != 1 || s.Hits != 1 || s.Failures != 1 {
			t.Errorf("stats %+v", s)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		c := newClient(t, OCSPConfig{ResponderURL: hangingServer(t), Timeout: 200 * time.Millisecond})
		start := time.Now()
		res := c.Check(ctx, leaf.Certificate, p.inter.Certificate)
		if elapsed := time.Since(start); elapsed > 3*time.Second {
			t.Errorf("took %v with a 200ms timeout", elapsed)
		}
		if res.Status != Unknown || !errors.Is(res.Err, context.DeadlineExceeded) {
			t.Fatalf("%+v", res)
		}
	})

	t.Run("concurrent checks share one query", func(t *testing.T) {
		c := newClient(t, OCSPConfig{ResponderURL: hangingServer(t), Timeout: 500 * time.Millisecond})
		var wg sync.WaitGroup
		results := make([]Result, 16)
		for i := range results {
			wg.Go(func() { results[i] = c.Check(ctx, leaf.Certificate, p.inter.Certificate) })
		}
		wg.Wait()
		for i, r := range results {
			if r.Status != Unknown {
				t.Errorf("result %d: %+v", i, r)
			}
		}
		if s := c.Cache().Stats(); s.Queries != 1 {
			t.Errorf("%d queries for one certificate; want 1", s.Queries)
		}
	})

	t.Run("caller gives up", func(t *testing.T) {
		before := runtime.NumGoroutine()
		c := newClient(t, OCSPConfig{ResponderURL: hangingServer(t), Timeout: 300 * time.Millisecond})
		cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		start := time.Now()
		res := c.Check(cctx, leaf.Certificate, p.inter.Certificate)
		if time.Since(start) > 250*time.Millisecond {
			t.Errorf("Check outlived its context: %v", time.Since(start))
		}
		if res.Status != Unknown || !errors.Is(res.Err, context.DeadlineExceeded) {
			t.Fatalf("%+v", res)
		}
		// The query itself ends with its own timeout.
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before+2 { // the hanging server's accept loop and its conn
			if time.Now().After(deadline) {
				t.Fatalf("goroutines: %d before, %d after", before, runtime.NumGoroutine())
			}
			time.Sleep(10 * time.Millisecond)
		}
	})

	t.Run("no responder", func(t *testing.T) {
		res := newClient(t, OCSPConfig{}).Check(ctx, leaf.Certificate, p.inter.Certificate)
		if res.Status != Unknown || res.Err == nil || !strings.Contains(res.Err.Error(), "names no http OCSP responder (authority information access) and none is configured") {
			t.Fatalf("%+v", res)
		}
	})

	t.Run("not an OCSP responder", func(t *testing.T) {
		srv := notFoundServer(t)
		res := newClient(t, OCSPConfig{ResponderURL: srv}).Check(ctx, leaf.Certificate, p.inter.Certificate)
		if res.Status != Unknown || res.Err == nil || !strings.Contains(res.Err.Error(), "answered 404 Not Found") {
			t.Fatalf("%+v", res)
		}
	})

	t.Run("nil certificate", func(t *testing.T) {
		if res := newClient(t, OCSPConfig{}).Check(ctx, nil, p.inter.Certificate); res.Status != Unknown || res.Err == nil {
			t.Fatalf("%+v", res)
		}
	})
}

func TestNewOCSPClientErrors(t *testing.T) {
	_, err := NewOCSPClient(OCSPConfig{ResponderURL: "ldap://ocsp.example", Timeout: -1, FailureTTL: -time.Second})
	want := "revocation: ResponderURL: \"ldap://ocsp.example\" is not an absolute http or https URL\n" +
		"revocation: Timeout is negative (-1ns)\n" +
		"revocation: FailureTTL is negative (-1s)"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n got %v\nwant %s", err, want)
	}
}

func TestOCSPCacheBound(t *testing.T) {
	c := NewOCSPCache(2)
	now := time.Now()
	keys := []cacheKey{{1}, {2}, {3}}
	for i, k := range keys {
		f, leader := c.join(k)
		if !leader {
			t.Fatal("not leader")
		}
		until := now.Add(time.Hour)
		if i == 0 {
			until = now.Add(-time.Second) // expired: dropped first
		}
		c.finish(k, f, Result{Status: Good, Until: until}, now)
	}
	if s := c.Stats(); s.Entries != 2 {
		t.Errorf("entries %d; want 2", s.Entries)
	}
	if _, ok := c.get(keys[1], now); !ok {
		t.Error("unexpired entry dropped")
	}
	if _, ok := c.get(keys[0], now); ok {
		t.Error("expired entry served")
	}
}

// notFoundServer starts an HTTP server on loopback that answers 404 to
// everything: a wrong responder URL.
func notFoundServer(t *testing.T) string {
	t.Helper()
	s := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(s.Close)
	return s.URL
}
