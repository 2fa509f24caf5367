package policy

import (
	"crypto/tls"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	const want = "want TLSv1_0, TLSv1_1, TLSv1_2 or TLSv1_3"
	tests := []struct {
		in      string
		want    uint16
		wantErr string
	}{
		{in: "TLSv1_0", want: tls.VersionTLS10},
		{in: "TLSv1_1", want: tls.VersionTLS11},
		{in: "TLSv1_2", want: tls.VersionTLS12},
		{in: "TLSv1_3", want: tls.VersionTLS13},
		{in: "", wantErr: `policy: TLS version "": unknown; ` + want},
		{in: "TLSv1_4", wantErr: `policy: TLS version "TLSv1_4": unknown; ` + want},
		{in: "SSLv3", wantErr: `policy: TLS version "SSLv3": unknown; ` + want},
		{in: "1.2", wantErr: `policy: TLS version "1.2": unknown; ` + want + ` (did you mean "TLSv1_2"?)`},
		{in: "TLSv1.2", wantErr: `policy: TLS version "TLSv1.2": unknown; ` + want + ` (did you mean "TLSv1_2"?)`},
		{in: "TLS1.3", wantErr: `policy: TLS version "TLS1.3": unknown; ` + want + ` (did you mean "TLSv1_3"?)`},
		{in: "tlsv1_0", wantErr: `policy: TLS version "tlsv1_0": unknown; ` + want + ` (did you mean "TLSv1_0"?)`},
		{in: " TLSv1_1", wantErr: `policy: TLS version " TLSv1_1": unknown; ` + want + ` (did you mean "TLSv1_1"?)`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseVersion(tt.in)
			if tt.wantErr != "" {
				wantErrorText(t, err, tt.wantErr)
				if !errors.Is(err, ErrUnknown) {
					t.Errorf("errors.Is(err, ErrUnknown) = false")
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseVersion(%q) = %#04x, %v; want %#04x", tt.in, got, err, tt.want)
			}
			if name := VersionName(got); name != tt.in {
				t.Errorf("VersionName(%#04x) = %q; want %q", got, name, tt.in)
			}
		})
	}
}

func TestVersionName(t *testing.T) {
	tests := []struct {
		v    uint16
		want string
	}{
		{tls.VersionTLS10, "TLSv1_0"},
		{tls.VersionTLS11, "TLSv1_1"},
		{tls.VersionTLS12, "TLSv1_2"},
		{tls.VersionTLS13, "TLSv1_3"},
		{0x0300, "0x0300"}, // SSL 3.0
		{0, "0x0000"},
		{0x0305, "0x0305"},
	}
	for _, tt := range tests {
		if got := VersionName(tt.v); got != tt.want {
			t.Errorf("VersionName(%#04x) = %q; want %q", tt.v, got, tt.want)
		}
	}
}

func TestParseCipherSuite(t *testing.T) {
	tests := []struct {
		in      string
		want    uint16
		wantErr string
		class   error
	}{
		{in: "ECDHE_RSA_WITH_AES_128_GCM_SHA256", want: tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
		{in: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", want: tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
		{in: "RSA_WITH_3DES_EDE_CBC_SHA", want: tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA},
		{in: "TLS_AES_256_GCM_SHA384", want: tls.TLS_AES_256_GCM_SHA384},
		{in: "TLS_CHACHA20_POLY1305_SHA256", want: tls.TLS_CHACHA20_POLY1305_SHA256},
		{in: "ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", want: tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256},
		{
			in:      "ECDHE_RSA_WITH_AES_128_GCM_SHA265",
			wantErr: `policy: cipher suite "ECDHE_RSA_WITH_AES_128_GCM_SHA265": unknown (did you mean "ECDHE_RSA_WITH_AES_128_GCM_SHA256"?)`,
			class:   ErrUnknown,
		},
		{
			in:      "ecdhe_rsa_with_aes_128_gcm_sha256",
			wantErr: `policy: cipher suite "ecdhe_rsa_with_aes_128_gcm_sha256": unknown (names are case-sensitive; did you mean "ECDHE_RSA_WITH_AES_128_GCM_SHA256"?)`,
			class:   ErrUnknown,
		},
		{
			in:      "tls_ecdhe_ecdsa_with_aes_256_cbc_sha",
			wantErr: `policy: cipher suite "tls_ecdhe_ecdsa_with_aes_256_cbc_sha": unknown (names are case-sensitive; did you mean "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"?)`,
			class:   ErrUnknown,
		},
		{
			in:      "AES_128_GCM_SHA256",
			wantErr: `policy: cipher suite "AES_128_GCM_SHA256": unknown (did you mean "TLS_AES_128_GCM_SHA256"?)`,
			class:   ErrUnknown,
		},
		{in: "", wantErr: `policy: cipher suite "": unknown`, class: ErrUnknown},
		{in: "ECDHE-RSA-AES128-GCM-SHA256", wantErr: `policy: cipher suite "ECDHE-RSA-AES128-GCM-SHA256": unknown`, class: ErrUnknown},
		{
			in:      "DHE_RSA_WITH_AES_128_GCM_SHA256",
			wantErr: `policy: cipher suite "DHE_RSA_WITH_AES_128_GCM_SHA256": not supported: crypto/tls does not implement finite-field DHE key exchange`,
			class:   ErrUnsupported,
		},
		{
			in:      "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA",
			wantErr: `policy: cipher suite "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA": not supported: crypto/tls implements neither finite-field DHE key exchange nor DSA certificates`,
			class:   ErrUnsupported,
		},
		{
			in:      "ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
			wantErr: `policy: cipher suite "ECDHE_ECDSA_WITH_AES_256_CBC_SHA384": not supported: crypto/tls does not implement CBC suites with an HMAC-SHA384 MAC`,
			class:   ErrUnsupported,
		},
		{
			in:      "RSA_WITH_AES_256_CBC_SHA256",
			wantErr: `policy: cipher suite "RSA_WITH_AES_256_CBC_SHA256": not supported: crypto/tls implements CBC with an HMAC-SHA256 MAC for AES-128 only`,
			class:   ErrUnsupported,
		},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseCipherSuite(tt.in)
			if tt.wantErr != "" {
				wantErrorText(t, err, tt.wantErr)
				var ne *NameError
				if !errors.As(err, &ne) || ne.Name != tt.in || ne.Kind != "cipher suite" {
					t.Errorf("error %#v is not a *NameError naming %q", err, tt.in)
				}
				if !errors.Is(err, tt.class) {
					t.Errorf("errors.Is(err, %v) = false", tt.class)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseCipherSuite(%q) = %#04x, %v; want %#04x", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestCipherSuiteName(t *testing.T) {
	tests := []struct {
		id   uint16
		want string
	}{
		{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
		{tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, "RSA_WITH_3DES_EDE_CBC_SHA"},
		{tls.TLS_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256"},
		{tls.TLS_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256"},
		{0x009f, "DHE_RSA_WITH_AES_256_GCM_SHA384"},
		{0x0013, "DHE_DSS_WITH_3DES_EDE_CBC_SHA"},
		{0x1234, "0x1234"},
		{tls.TLS_FALLBACK_SCSV, "0x5600"},
	}
	for _, tt := range tests {
		if got := CipherSuiteName(tt.id); got != tt.want {
			t.Errorf("CipherSuiteName(%#04x) = %q; want %q", tt.id, got, tt.want)
		}
	}
}

// TestSuiteTableMatchesCryptoTLS checks the package's suite table against crypto/tls
// itself: every suite Go implements is in it with Go's IANA name and versions, and every
// suite marked unsupported is really absent from Go. A Go release that adds or removes a
// suite makes this test fail rather than the policies drift silently.
func TestSuiteTableMatchesCryptoTLS(t *testing.T) {
	goSuites := append(tls.CipherSuites(), tls.InsecureCipherSuites()...)
	inGo := make(map[uint16]*tls.CipherSuite)
	for _, g := range goSuites {
		inGo[g.ID] = g
		s, ok := suiteByID[g.ID]
		if !ok {
			t.Errorf("%s is implemented by crypto/tls but missing from the table", g.Name)
			continue
		}
		if iana := s.spellings()[len(s.spellings())-1]; iana != g.Name {
			t.Errorf("IANA spelling of %#04x = %q; crypto/tls says %q", g.ID, iana, g.Name)
		}
		var versions []uint16
		for v := s.lo; s.lo != 0 && v <= s.hi; v++ {
			versions = append(versions, v)
		}
		if !slices.Equal(versions, g.SupportedVersions) {
			t.Errorf("%s: table versions %v; crypto/tls says %v", g.Name, versions, g.SupportedVersions)
		}
	}
	azure := 0
	for i := range suites {
		s := &suites[i]
		if _, ok := inGo[s.id]; ok == (s.unsupported != "") {
			t.Errorf("%s: marked unsupported=%q, but in crypto/tls = %v", s.name, s.unsupported, ok)
		}
		if s.azure {
			azure++
		}
		for _, n := range s.spellings() {
			if id, err := ParseCipherSuite(n); s.unsupported == "" && (err != nil || id != s.id) {
				t.Errorf("ParseCipherSuite(%q) = %#04x, %v; want %#04x", n, id, err, s.id)
			}
		}
		if strings.HasPrefix(s.name, "TLS_") != s.tls13() {
			t.Errorf("%s: Azure spelling keeps the TLS_ prefix only for TLS 1.3 suites", s.name)
		}
	}
	if azure != 30 {
		t.Errorf("table marks %d suites as Azure's custom-policy suites; Azure offers 30", azure)
	}
}
