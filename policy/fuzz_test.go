package policy

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseCipherSuite checks that ParseCipherSuite never panics, that every refusal is a
// *NameError naming the input, and that every accepted name round-trips through
// CipherSuiteName.
func FuzzParseCipherSuite(f *testing.F) {
	for i := range suites {
		for _, n := range suites[i].spellings() {
			f.Add(n)
		}
	}
	for _, n := range []string{"", "TLS_", "ecdhe_rsa_with_aes_128_gcm_sha256", "AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "\xff\x00"} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, name string) {
		id, err := ParseCipherSuite(name)
		if err != nil {
			var ne *NameError
			if !errors.As(err, &ne) || ne.Name != name || ne.Kind != "cipher suite" {
				t.Fatalf("ParseCipherSuite(%q): error %v is not a *NameError naming the input", name, err)
			}
			if !strings.HasPrefix(err.Error(), "policy: cipher suite "+strconv.Quote(name)+": ") {
				t.Fatalf("ParseCipherSuite(%q): error %q does not start by naming the input", name, err)
			}
			if !errors.Is(err, ErrUnknown) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("ParseCipherSuite(%q): error %v is neither ErrUnknown nor ErrUnsupported", name, err)
			}
			return
		}
		azure := CipherSuiteName(id)
		if name != azure && name != "TLS_"+azure {
			t.Fatalf("ParseCipherSuite(%q) = %#04x, named %q: not a spelling of that name", name, id, azure)
		}
		if back, err := ParseCipherSuite(azure); err != nil || back != id {
			t.Fatalf("ParseCipherSuite(CipherSuiteName(%#04x) = %q) = %#04x, %v", id, azure, back, err)
		}
	})
}

// FuzzCustom checks that Custom never panics, that a refusal returns the zero Policy and
// only "policy: " messages, and that an accepted policy is valid, keeps the minimum
// version, and holds exactly the listed TLS 1.0-1.2 suites in order, each round-tripping
// through its name.
func FuzzCustom(f *testing.F) {
	f.Add("TLSv1_2", "ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")
	f.Add("TLSv1_3", "")
	f.Add("TLSv1_3", "TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384")
	f.Add("TLSv1_0", "RSA_WITH_3DES_EDE_CBC_SHA,ECDHE_RSA_WITH_AES_128_GCM_SHA256")
	f.Add("TLSv1_1", "DHE_RSA_WITH_AES_128_GCM_SHA256,ECDHE_RSA_WITH_AES_128_GCM_SHA265")
	f.Add("TLSv1.2", "ECDHE_RSA_WITH_AES_128_CBC_SHA,ECDHE_RSA_WITH_AES_128_CBC_SHA")
	f.Fuzz(func(t *testing.T, minVersion, list string) {
		var names []string
		if list != "" {
			names = strings.Split(list, ",")
		}
		p, err := Custom(minVersion, names)
		if err != nil {
			if !p.IsZero() {
				t.Fatalf("Custom(%q, %q) failed but returned %#v", minVersion, names, p)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "policy: ") {
					t.Fatalf("Custom(%q, %q): error line %q lacks the package prefix", minVersion, names, line)
				}
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("Custom(%q, %q) = %v, which is invalid: %v", minVersion, names, p, err)
		}
		if VersionName(p.MinVersion) != minVersion || p.MaxVersion != v13 || p.Name != "" {
			t.Fatalf("Custom(%q, %q) = %#v", minVersion, names, p)
		}
		var want []uint16
		for _, n := range names {
			id, err := ParseCipherSuite(n)
			if err != nil {
				t.Fatalf("Custom accepted %q, which ParseCipherSuite refuses: %v", n, err)
			}
			if !suiteByID[id].tls13() {
				want = append(want, id)
			}
		}
		if !slices.Equal(p.CipherSuites, want) {
			t.Fatalf("Custom(%q, %q).CipherSuites = %q; want %q", minVersion, names, suiteNamesOf(p.CipherSuites), suiteNamesOf(want))
		}
		for _, id := range p.CipherSuites {
			if back, err := ParseCipherSuite(CipherSuiteName(id)); err != nil || back != id {
				t.Fatalf("suite %#04x does not round-trip through %q: %#04x, %v", id, CipherSuiteName(id), back, err)
			}
		}
		for v := p.MinVersion; v <= v12; v++ {
			if !slices.ContainsFunc(p.CipherSuites, func(id uint16) bool { return p.Allows(v, id) }) {
				t.Fatalf("Custom(%q, %q) accepted a policy with no suite at %s", minVersion, names, VersionName(v))
			}
		}
	})
}
