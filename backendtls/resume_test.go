package backendtls

import (
	"crypto/tls"
	"testing"
)

// TestResumptionReverifies proves that a session is resumed through a
// shared SessionCache and that a Config changed between the first and the
// resumed handshake (new pins) is enforced on the resumed one.
func TestResumptionReverifies(t *testing.T) {
	p := newPKI()
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			s := serve(t, p.leaf.FullChain(), v.version)
			cache := tls.NewLRUClientSessionCache(0)
			base := Config{
				ServerName:              "backend.example",
				TrustedRootCertificates: x509s(p.root),
				PinnedPublicKeys:        []Pin{PinOf(p.leaf.Certificate)},
				SessionCache:            cache,
				Time:                    clock,
			}

			// resumed records whether the handshake resumed, whatever the
			// verification's outcome.
			resumed := false
			config := func(c Config) *tls.Config {
				t.Helper()
				tlsCfg, err := c.ClientConfig()
				if err != nil {
					t.Fatal(err)
				}
				verify := tlsCfg.VerifyConnection
				tlsCfg.VerifyConnection = func(cs tls.ConnectionState) error {
					resumed = cs.DidResume
					return verify(cs)
				}
				return tlsCfg
			}

			first, err := fetchWith(t, config(base), s)
			if err != nil {
				t.Fatal(err)
			}
			if first.DidResume || resumed {
				t.Fatalf("first handshake resumed")
			}
			second, err := fetchWith(t, config(base), s)
			if err != nil {
				t.Fatal(err)
			}
			if !second.DidResume || !resumed {
				t.Fatalf("second handshake did not resume (backend %v, client %v)", second.DidResume, resumed)
			}

			// The backend's key is no longer pinned: the resumed session
			// must be refused, although its certificate was accepted before.
			rotated := base
			rotated.PinnedPublicKeys = []Pin{PinOf(p.other.Certificate)}
			resumed = false
			_, err = fetchWith(t, config(rotated), s)
			if !resumed {
				t.Fatalf("third handshake did not resume; the test proves nothing")
			}
			if r, ok := ReasonOf(err); !ok || r != ReasonPinMismatch {
				t.Fatalf("resumed handshake under new pins: %v; want pin-mismatch", err)
			}
			if s.ResumedHandshakes() != 1 {
				t.Errorf("backend completed %d resumed handshakes; want 1 (the refused one must not complete)", s.ResumedHandshakes())
			}
		})
	}
}
