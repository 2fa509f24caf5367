package policy

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// goSuites returns every TLS 1.0-1.2 suite crypto/tls implements, secure or not.
func goSuites() []uint16 {
	var ids []uint16
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if !slices.Contains(s.SupportedVersions, tls.VersionTLS13) {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// policyHandshake runs a handshake between a policy's side and a peer. With asServer the
// policy is the listener and peer the client; otherwise the policy is the client (the
// gateway dialling a backend) and peer the server.
func policyHandshake(t *testing.T, p Policy, asServer bool, peer *tls.Config) outcome {
	t.Helper()
	if asServer {
		return handshake(t, withServerCerts(t, mustServerConfig(t, p)), withClientTrust(t, peer))
	}
	return handshake(t, withServerCerts(t, peer), withClientTrust(t, clientConfig(t, p)))
}

func sideName(asServer bool) string {
	if asServer {
		return "policy-server"
	}
	return "policy-client"
}

// TestPredefinedHandshakes checks every predefined policy on both sides against peers
// restricted to one TLS version (each of TLS 1.0-1.3) and to one cipher suite (each
// TLS 1.0-1.2 suite crypto/tls implements): a handshake succeeds exactly when the version
// or suite is inside the policy, and Allows agrees.
func TestPredefinedHandshakes(t *testing.T) {
	checkGoroutines(t)
	type testCase struct {
		name      string
		policy    Policy
		asServer  bool
		peer      *tls.Config
		wantOK    bool
		version   uint16 // checked when non-zero
		suite     uint16 // checked when non-zero
		wantInErr string // in both errors when the handshake must fail
	}
	var tests []testCase
	for _, name := range PredefinedNames() {
		p, err := Predefined(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, asServer := range []bool{true, false} {
			for v := uint16(tls.VersionTLS10); v <= tls.VersionTLS13; v++ {
				tests = append(tests, testCase{
					name:      fmt.Sprintf("%s/%s/peer-%s", name, sideName(asServer), VersionName(v)),
					policy:    p,
					asServer:  asServer,
					peer:      &tls.Config{MinVersion: v, MaxVersion: v},
					wantOK:    p.MinVersion <= v && v <= p.MaxVersion,
					version:   v,
					wantInErr: "version",
				})
			}
			for _, id := range goSuites() {
				tests = append(tests, testCase{
					name:      fmt.Sprintf("%s/%s/peer-%s", name, sideName(asServer), CipherSuiteName(id)),
					policy:    p,
					asServer:  asServer,
					peer:      &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{id}},
					wantOK:    slices.Contains(p.CipherSuites, id),
					suite:     id,
					wantInErr: "cipher suite",
				})
			}
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := policyHandshake(t, tt.policy, tt.asServer, tt.peer)
			if !tt.wantOK {
				if out.clientErr == nil || out.serverErr == nil {
					t.Fatalf("handshake: client error %v, server error %v; want both to fail", out.clientErr, out.serverErr)
				}
				if msgs := out.clientErr.Error() + " | " + out.serverErr.Error(); !strings.Contains(msgs, tt.wantInErr) {
					t.Errorf("handshake errors %q do not mention %q", msgs, tt.wantInErr)
				}
				if tt.suite != 0 && tt.policy.Allows(tls.VersionTLS12, tt.suite) {
					t.Errorf("Allows(TLSv1_2, %s) = true; want false", CipherSuiteName(tt.suite))
				}
				if tt.version != 0 {
					for _, id := range append(goSuites(), tls.TLS_AES_128_GCM_SHA256) {
						if tt.policy.Allows(tt.version, id) {
							t.Errorf("Allows(%s, %s) = true; want false", VersionName(tt.version), CipherSuiteName(id))
						}
					}
				}
				return
			}
			if out.clientErr != nil || out.serverErr != nil {
				t.Fatalf("handshake: client error %v, server error %v; want success", out.clientErr, out.serverErr)
			}
			st := out.state
			if tt.version != 0 && st.Version != tt.version {
				t.Errorf("version = %s; want %s", VersionName(st.Version), VersionName(tt.version))
			}
			if tt.suite != 0 && st.CipherSuite != tt.suite {
				t.Errorf("suite = %s; want %s", CipherSuiteName(st.CipherSuite), CipherSuiteName(tt.suite))
			}
			if !tt.policy.Allows(st.Version, st.CipherSuite) {
				t.Errorf("Allows(%s, %s) = false after a successful handshake", VersionName(st.Version), CipherSuiteName(st.CipherSuite))
			}
		})
	}
}

// TestExplicitSettingsBeatGoDefaults shows, with Go's defaults as the control, that Apply
// sets what AppGwSslPolicy20150501 allows explicitly: TLS 1.0, RSA key exchange and 3DES
// fail against an unset tls.Config and succeed against the policy, on both sides.
func TestExplicitSettingsBeatGoDefaults(t *testing.T) {
	checkGoroutines(t)
	p, err := Predefined("AppGwSslPolicy20150501")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		peer    func() *tls.Config
		version uint16
		suite   uint16
	}{
		{
			name:    "TLS 1.0",
			peer:    func() *tls.Config { return &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10} },
			version: tls.VersionTLS10,
		},
		{
			name:    "TLS 1.1",
			peer:    func() *tls.Config { return &tls.Config{MinVersion: tls.VersionTLS11, MaxVersion: tls.VersionTLS11} },
			version: tls.VersionTLS11,
		},
		{
			name: "RSA key exchange",
			peer: func() *tls.Config {
				return &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}}
			},
			suite: tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
		},
		{
			name: "3DES",
			peer: func() *tls.Config {
				return &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA}}
			},
			suite: tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
		},
		{
			name: "3DES at TLS 1.0",
			peer: func() *tls.Config {
				return &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10, CipherSuites: []uint16{tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA}}
			},
			version: tls.VersionTLS10,
			suite:   tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
		},
	}
	for _, tt := range tests {
		for _, asServer := range []bool{true, false} {
			t.Run(tt.name+"/"+sideName(asServer), func(t *testing.T) {
				// Control: Go's defaults on the gateway's side refuse the peer.
				var control outcome
				if asServer {
					control = handshake(t, withServerCerts(t, &tls.Config{}), withClientTrust(t, tt.peer()))
				} else {
					control = handshake(t, withServerCerts(t, tt.peer()), withClientTrust(t, &tls.Config{}))
				}
				if control.clientErr == nil || control.serverErr == nil {
					t.Fatalf("control with Go's defaults: client error %v, server error %v; want both to fail (if Go's defaults changed, this test no longer proves anything)",
						control.clientErr, control.serverErr)
				}
				out := policyHandshake(t, p, asServer, tt.peer())
				if out.clientErr != nil || out.serverErr != nil {
					t.Fatalf("with the policy: client error %v, server error %v; want success", out.clientErr, out.serverErr)
				}
				if tt.version != 0 && out.state.Version != tt.version {
					t.Errorf("version = %s; want %s", VersionName(out.state.Version), VersionName(tt.version))
				}
				if tt.suite != 0 && out.state.CipherSuite != tt.suite {
					t.Errorf("suite = %s; want %s", CipherSuiteName(out.state.CipherSuite), CipherSuiteName(tt.suite))
				}
			})
		}
	}
}

// TestCurves checks the key-exchange groups on the wire: the post-quantum hybrid is
// negotiated at TLS 1.3 between two policy sides, X25519 when the policy stops at TLS 1.2,
// P-384 with a P-384-only peer, and P-521 (outside every policy) not at all.
func TestCurves(t *testing.T) {
	checkGoroutines(t)
	p12, err := Predefined("AppGwSslPolicy20170401S")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		policy    Policy
		peer      func() *tls.Config // nil: the same policy on the peer's side
		wantCurve tls.CurveID        // zero: the handshake must fail
	}{
		{name: "default both sides", policy: Default(), wantCurve: tls.X25519MLKEM768},
		{name: "zero policy both sides", policy: Policy{}, wantCurve: tls.X25519MLKEM768},
		{name: "TLS 1.2 policy both sides", policy: p12, wantCurve: tls.X25519},
		{
			name:      "default vs P-384 only peer",
			policy:    Default(),
			peer:      func() *tls.Config { return &tls.Config{CurvePreferences: []tls.CurveID{tls.CurveP384}} },
			wantCurve: tls.CurveP384,
		},
		{
			name:      "TLS 1.2 policy vs P-256 only peer",
			policy:    p12,
			peer:      func() *tls.Config { return &tls.Config{CurvePreferences: []tls.CurveID{tls.CurveP256}} },
			wantCurve: tls.CurveP256,
		},
		{
			name:   "default vs P-521 only peer",
			policy: Default(),
			peer:   func() *tls.Config { return &tls.Config{CurvePreferences: []tls.CurveID{tls.CurveP521}} },
		},
		{
			name:   "TLS 1.2 policy vs P-521 only peer",
			policy: p12,
			peer:   func() *tls.Config { return &tls.Config{CurvePreferences: []tls.CurveID{tls.CurveP521}} },
		},
	}
	for _, tt := range tests {
		for _, asServer := range []bool{true, false} {
			t.Run(tt.name+"/"+sideName(asServer), func(t *testing.T) {
				var out outcome
				if tt.peer == nil {
					out = handshake(t, withServerCerts(t, mustServerConfig(t, tt.policy)), withClientTrust(t, clientConfig(t, tt.policy)))
				} else {
					out = policyHandshake(t, tt.policy, asServer, tt.peer())
				}
				if tt.wantCurve == 0 {
					if out.clientErr == nil || out.serverErr == nil {
						t.Fatalf("client error %v, server error %v; want both to fail", out.clientErr, out.serverErr)
					}
					return
				}
				if out.clientErr != nil || out.serverErr != nil {
					t.Fatalf("client error %v, server error %v; want success", out.clientErr, out.serverErr)
				}
				if out.state.CurveID != tt.wantCurve {
					t.Errorf("curve = %v; want %v", out.state.CurveID, tt.wantCurve)
				}
			})
		}
	}
}

// TestCustomHandshakes checks custom policies on the wire, on both sides.
func TestCustomHandshakes(t *testing.T) {
	checkGoroutines(t)
	tests := []struct {
		name      string
		min       string
		suites    []string
		peer      func() *tls.Config
		wantOK    bool
		wantSuite uint16 // checked when non-zero
	}{
		{
			name:   "TLS 1.3 only vs TLS 1.3 peer",
			min:    "TLSv1_3",
			peer:   func() *tls.Config { return &tls.Config{MinVersion: tls.VersionTLS13} },
			wantOK: true,
		},
		{
			name: "TLS 1.3 only vs TLS 1.2 peer",
			min:  "TLSv1_3",
			peer: func() *tls.Config { return &tls.Config{MaxVersion: tls.VersionTLS12} },
		},
		{
			name:      "one listed suite vs TLS 1.2 peer",
			min:       "TLSv1_2",
			suites:    []string{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
			peer:      func() *tls.Config { return &tls.Config{MaxVersion: tls.VersionTLS12} },
			wantOK:    true,
			wantSuite: tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		},
		{
			name:   "listed suite missing from the peer",
			min:    "TLSv1_2",
			suites: []string{"ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
			peer: func() *tls.Config {
				return &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}}
			},
		},
		{
			name:   "TLS 1.0 with RSA key exchange",
			min:    "TLSv1_0",
			suites: []string{"RSA_WITH_AES_256_CBC_SHA"},
			peer: func() *tls.Config {
				return &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10, CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_256_CBC_SHA}}
			},
			wantOK:    true,
			wantSuite: tls.TLS_RSA_WITH_AES_256_CBC_SHA,
		},
	}
	for _, tt := range tests {
		p, err := Custom(tt.min, tt.suites)
		if err != nil {
			t.Fatalf("Custom(%q, %q): %v", tt.min, tt.suites, err)
		}
		for _, asServer := range []bool{true, false} {
			t.Run(tt.name+"/"+sideName(asServer), func(t *testing.T) {
				out := policyHandshake(t, p, asServer, tt.peer())
				if !tt.wantOK {
					if out.clientErr == nil || out.serverErr == nil {
						t.Fatalf("client error %v, server error %v; want both to fail", out.clientErr, out.serverErr)
					}
					return
				}
				if out.clientErr != nil || out.serverErr != nil {
					t.Fatalf("client error %v, server error %v; want success", out.clientErr, out.serverErr)
				}
				if tt.wantSuite != 0 && out.state.CipherSuite != tt.wantSuite {
					t.Errorf("suite = %s; want %s", CipherSuiteName(out.state.CipherSuite), CipherSuiteName(tt.wantSuite))
				}
				if !p.Allows(out.state.Version, out.state.CipherSuite) {
					t.Errorf("Allows(%s, %s) = false after a successful handshake", VersionName(out.state.Version), CipherSuiteName(out.state.CipherSuite))
				}
			})
		}
	}
}
