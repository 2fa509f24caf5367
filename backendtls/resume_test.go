package backendtls

import (
	"crypto/tls"
	"errors"
	"testing"
	"time"
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

// TestResumptionReverifiesEveryReason: every check that a changed Config can
// fail on a certificate the first handshake accepted is enforced on the
// resumed session too (VerifyConnection runs on resumption; Go's own
// VerifyPeerCertificate would not). Reasons that are properties of the
// certificate alone (weak key or signature, key usage) cannot pass the first
// handshake, and a policy that refuses the session's version or suite makes
// the client not offer it; TestHandshake covers those.
func TestResumptionReverifiesEveryReason(t *testing.T) {
	p := newPKI()
	tests := []struct {
		name   string
		change func(c *Config)
		want   Reason
	}{
		{"trusted root replaced", func(c *Config) { c.TrustedRootCertificates = x509s(p.otherRoot) }, ReasonUntrustedRoot},
		{"identity changed", func(c *Config) { c.Identity = "other.example" }, ReasonHostnameMismatch},
		{"key no longer pinned", func(c *Config) { c.PinnedPublicKeys = []Pin{PinOf(p.other.Certificate)} }, ReasonPinMismatch},
		{"leaf no longer an authentication certificate", func(c *Config) {
			c.TrustedRootCertificates = nil
			c.AuthenticationCertificates = x509s(p.other)
		}, ReasonLeafNotAllowed},
		{"clock past the leaf's expiry", func(c *Config) {
			// Pinned rather than chained: Validate refuses a trusted root
			// that has expired by the Config's clock.
			c.TrustedRootCertificates = nil
			c.PinnedPublicKeys = []Pin{PinOf(p.leaf.Certificate)}
			c.Time = func() time.Time { return p.leaf.Certificate.NotAfter.Add(time.Hour) }
		}, ReasonExpired},
		{"clock before the leaf's validity", func(c *Config) {
			c.Time = func() time.Time { return p.leaf.Certificate.NotBefore.Add(-time.Hour) }
		}, ReasonNotYetValid},
		{"custom verifier added", func(c *Config) {
			c.Verifier = VerifierFunc(func(tls.ConnectionState) error { return errors.New("revoked by the operator") })
		}, ReasonCustom},
	}
	for _, v := range versions {
		for _, tt := range tests {
			t.Run(v.name+"/"+tt.name, func(t *testing.T) {
				s := serve(t, p.leaf.FullChain(), v.version)
				cache := tls.NewLRUClientSessionCache(0)
				base := Config{
					ServerName:              "backend.example",
					TrustedRootCertificates: x509s(p.root),
					SessionCache:            cache,
					Time:                    clock,
				}
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
				if _, err := fetchWith(t, config(base), s); err != nil {
					t.Fatal(err)
				}
				changed := base
				tt.change(&changed)
				resumed = false
				_, err := fetchWith(t, config(changed), s)
				if !resumed {
					t.Fatalf("the handshake under the changed Config did not resume; the test proves nothing (err %v)", err)
				}
				if r, ok := ReasonOf(err); !ok || r != tt.want {
					t.Fatalf("resumed handshake: %v; want %v", err, tt.want)
				}
			})
		}
	}
}
