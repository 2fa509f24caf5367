package backendtls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/policy"
)

// state is the ConnectionState a client sees from a backend presenting
// certs, as TLS 1.3 with TLS_AES_128_GCM_SHA256.
func state(certs ...*tlstest.Cert) tls.ConnectionState {
	return tls.ConnectionState{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256, PeerCertificates: x509s(certs...)}
}

// TestBuiltins checks each built-in Verifier on its own, as a custom
// composition would use it.
func TestBuiltins(t *testing.T) {
	p := newPKI()
	full := state(p.leaf, p.inter)
	later := func() time.Time { return time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		v    Verifier
		cs   tls.ConnectionState
		want Reason // 0: passes
	}{
		{"policy allows", VerifyPolicy(policy.Policy{}), full, 0},
		{"policy refuses", VerifyPolicy(policy.Policy{}), tls.ConnectionState{Version: tls.VersionTLS11, CipherSuite: tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}, ReasonPolicy},
		{"minimums", VerifyMinimums(), full, 0},
		{"validity", VerifyValidity(clock), full, 0},
		{"validity, later", VerifyValidity(later), full, ReasonExpired},
		{"validity, real clock", VerifyValidity(nil), state(tlstest.NewSelfSignedLeaf(tlstest.Options{KeyType: tlstest.ECDSAP256})), 0},
		{"chain", VerifyChain(pool(p.root), clock), full, 0},
		{"chain, later", VerifyChain(pool(p.root), later), full, ReasonExpired},
		{"chain, wrong root", VerifyChain(pool(p.otherRoot), clock), full, ReasonUntrustedRoot},
		{"chain, missing intermediate", VerifyChain(pool(p.root), clock), state(p.leaf), ReasonIntermediateMissing},
		{"identity", VerifyIdentity("backend.example"), full, 0},
		{"identity, IP", VerifyIdentity("127.0.0.1"), full, 0},
		{"identity, mismatch", VerifyIdentity("a.example"), full, ReasonHostnameMismatch},
		{"identity without CN", VerifyIdentityWithoutCommonName("Test Intermediate"), state(p.inter), ReasonHostnameMismatch},
		{"pins", VerifyPins(PinOf(p.other.Certificate), PinOf(p.leaf.Certificate)), full, 0},
		{"pins, mismatch", VerifyPins(PinOf(p.other.Certificate)), full, ReasonPinMismatch},
		{"no pins", VerifyPins(), full, ReasonPinMismatch},
		{"authentication certificates", VerifyAuthenticationCertificates(p.leaf.Certificate), full, 0},
		{"authentication certificates, mismatch", VerifyAuthenticationCertificates(p.other.Certificate), full, ReasonLeafNotAllowed},
		{"no certificate", VerifyMinimums(), tls.ConnectionState{}, ReasonHandshake},
		{"no certificate, chain", VerifyChain(pool(p.root), clock), tls.ConnectionState{}, ReasonHandshake},
		{"all pass", All(VerifyMinimums(), VerifyIdentity("backend.example"), VerifyChain(pool(p.root), clock)), full, 0},
		{"all stop at first", All(VerifyIdentity("a.example"), VerifyPins()), full, ReasonHostnameMismatch},
		{"empty all", All(), full, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.v.VerifyConnection(tt.cs)
			if tt.want == 0 {
				if err != nil {
					t.Fatalf("VerifyConnection = %v", err)
				}
				return
			}
			if r, ok := ReasonOf(err); !ok || r != tt.want {
				t.Fatalf("VerifyConnection = %v; want %v", err, tt.want)
			}
		})
	}

	t.Run("All copies its arguments and refuses nil", func(t *testing.T) {
		vs := []Verifier{VerifyMinimums()}
		a := All(vs...)
		vs[0] = VerifyPins()
		if err := a.VerifyConnection(full); err != nil {
			t.Errorf("All changed with its argument slice: %v", err)
		}
		defer func() {
			if r := recover(); r != "backendtls: All: verifier 1 is nil" {
				t.Errorf("recover() = %v", r)
			}
		}()
		All(VerifyMinimums(), nil)
	})

	t.Run("VerifyChain with system roots", func(t *testing.T) {
		v := VerifyChain(nil, clock).(*chainVerifier)
		if !v.wellKnown || (v.roots == nil && v.rootsErr == nil) {
			t.Errorf("nil roots did not load the system pool: %+v", v)
		}
		if err := v.VerifyConnection(full); err == nil {
			t.Errorf("a test root verified against the system pool")
		}
	})
}

// TestCustomVerifier checks how Config runs a custom verifier: last, only
// after the built-ins pass, with its errors classified.
func TestCustomVerifier(t *testing.T) {
	p := newPKI()
	calls := 0
	sentinel := errors.New("refused")
	cfg := Config{
		ServerName: "backend.example", TrustedRootCertificates: x509s(p.root), Time: clock,
		Verifier: VerifierFunc(func(cs tls.ConnectionState) error {
			calls++
			if cs.PeerCertificates[0].Subject.CommonName != "backend.example" {
				return sentinel
			}
			return nil
		}),
	}
	comp, err := cfg.compile()
	if err != nil {
		t.Fatal(err)
	}
	if err := comp.VerifyConnection(state(p.leaf, p.inter)); err != nil || calls != 1 {
		t.Fatalf("passing backend: %v, %d calls", err, calls)
	}
	if err := comp.VerifyConnection(state(p.other)); calls != 1 {
		t.Fatalf("custom verifier ran after a built-in failed (%v)", err)
	}
	bad := tlstest.NewSelfSignedLeaf(ec("x", dns("backend.example")))
	cfg.TrustedRootCertificates = x509s(p.root, bad)
	comp, _ = cfg.compile()
	err = comp.VerifyConnection(state(bad))
	var ve *VerificationError
	if !errors.As(err, &ve) || ve.Reason != ReasonCustom || !errors.Is(err, sentinel) || ve.ServerName != "backend.example" || ve.Certificate != bad.Certificate {
		t.Fatalf("custom failure = %#v", err)
	}
}

// TestVerifyConnectionAllocations checks that the checks other than chain
// building (which crypto/x509 does) allocate nothing on success.
func TestVerifyConnectionAllocations(t *testing.T) {
	p := newPKI()
	cs := state(p.leaf, p.inter)
	cfg := Config{ServerName: "backend.example", PinnedPublicKeys: []Pin{PinOf(p.leaf.Certificate)},
		AuthenticationCertificates: x509s(p.leaf), Time: clock}
	comp, err := cfg.compile()
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if e := comp.verify(&cs); e != nil {
			t.Fatal(e)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per verification; want 0", allocs)
	}
}

func BenchmarkVerifyConnection(b *testing.B) {
	p := newPKI()
	cs := state(p.leaf, p.inter)
	for _, bb := range []struct {
		name string
		cfg  Config
	}{
		{"pins", Config{ServerName: "backend.example", PinnedPublicKeys: []Pin{PinOf(p.leaf.Certificate)}, Time: clock}},
		{"chain", Config{ServerName: "backend.example", TrustedRootCertificates: x509s(p.root), Time: clock}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			comp, err := bb.cfg.compile()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if e := comp.verify(&cs); e != nil {
					b.Fatal(e)
				}
			}
		})
	}
}

// TestChainCache checks that a cached chain is served only for the same
// certificates and only while all of them are valid.
func TestChainCache(t *testing.T) {
	p := newPKI()
	shortInter := p.root.NewIntermediate(ec("Short Intermediate", func(o *tlstest.Options) {
		o.NotAfter = time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	}))
	leaf := shortInter.NewLeaf(ec("backend.example", dns("backend.example")))
	at := now
	v := VerifyChain(pool(p.root), func() time.Time { return at }).(*chainVerifier)

	full := state(leaf, shortInter)
	if err := v.VerifyConnection(full); err != nil {
		t.Fatal(err)
	}
	if len(v.cache.m) != 1 {
		t.Fatalf("%d cache entries; want 1", len(v.cache.m))
	}
	allocs := testing.AllocsPerRun(50, func() {
		if err := v.VerifyConnection(full); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("cached verification allocates %v times", allocs)
	}
	// The leaf alone is another key: verified afresh, and refused.
	if r, _ := ReasonOf(v.VerifyConnection(state(leaf))); r != ReasonIntermediateMissing {
		t.Errorf("leaf alone: %v; want intermediate-missing", r)
	}
	// Once the intermediate has expired, the cache does not answer.
	at = time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC)
	if r, _ := ReasonOf(v.VerifyConnection(full)); r != ReasonExpired {
		t.Errorf("after the intermediate expired: %v; want expired", r)
	}

	var c chainCache
	chain := x509s(leaf, shortInter, p.root)
	for i := range chainCacheSize + 10 {
		var k chainKey
		k[0] = &x509.Certificate{Raw: []byte{byte(i), byte(i >> 8)}}
		c.put(k, chain)
	}
	if len(c.m) > chainCacheSize {
		t.Errorf("cache grew to %d entries; limit %d", len(c.m), chainCacheSize)
	}
	if _, ok := chainKeyOf(make([]*x509.Certificate, maxCachedChain+1)); ok {
		t.Errorf("an overlong chain is cacheable")
	}
}
