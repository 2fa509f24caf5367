package backendtls

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"strings"
	"testing"
)

func TestMatchDNS(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"backend.example", "backend.example", true},
		{"Backend.EXAMPLE", "backend.example", true},
		{"backend.example.", "backend.example", true},
		{"backend.example", "backend.example.", true},
		{"backend.example", "backend.example..", false},
		{"backend.example", "other.example", false},
		{"*.svc.example", "api.svc.example", true},
		{"*.svc.example", "API.Svc.Example.", true},
		{"*.svc.example", "svc.example", false},
		{"*.svc.example", "a.b.svc.example", false},
		{"*.svc.example", ".svc.example", false},
		{"*.example", "a.example", false}, // a wildcard needs a parent of two labels or more
		{"*.com", "example.com", false},
		{"*", "example", false},
		{"f*.svc.example", "foo.svc.example", false},
		{"*o.svc.example", "foo.svc.example", false},
		{"a.*.example", "a.b.example", false},
		{"*.*.example", "a.b.example", false},
		{"", "", false},
		{"", "a", false},
		{"a..example", "a..example", false},
		{"*.svc.example", "*.svc.example", false},
		{"exampl\u212a.com", "example.com", false}, // Kelvin sign is not K
		{"ﬀ.example", "ff.example", false},
	}
	for _, tt := range tests {
		if got := matchDNS(tt.pattern, tt.name); got != tt.want {
			t.Errorf("matchDNS(%q, %q) = %v; want %v", tt.pattern, tt.name, got, tt.want)
		}
		if got := referenceMatch(tt.pattern, tt.name); got != tt.want {
			t.Errorf("referenceMatch(%q, %q) = %v; want %v (the reference is wrong)", tt.pattern, tt.name, got, tt.want)
		}
	}
}

// referenceMatch is a deliberately simple, allocating statement of the
// rules matchDNS implements, for the fuzz test.
func referenceMatch(pattern, name string) bool {
	lower := func(s string) string {
		b := []byte(s)
		for i, c := range b {
			if 'A' <= c && c <= 'Z' {
				b[i] = c + 'a' - 'A'
			}
		}
		return string(b)
	}
	p := strings.Split(lower(strings.TrimSuffix(pattern, ".")), ".")
	n := strings.Split(lower(strings.TrimSuffix(name, ".")), ".")
	if len(p) != len(n) {
		return false
	}
	for _, l := range n {
		if l == "" || strings.Contains(l, "*") {
			return false
		}
	}
	for i := range p {
		switch {
		case p[i] == "":
			return false
		case i == 0 && p[i] == "*":
			if len(p) < 3 {
				return false
			}
		case strings.Contains(p[i], "*"):
			return false
		case p[i] != n[i]:
			return false
		}
	}
	return true
}

func FuzzMatchDNS(f *testing.F) {
	for _, s := range [][2]string{
		{"*.svc.example", "api.svc.example"}, {"a.example.", "A.EXAMPLE"}, {"*.com", "x.com"},
		{"f*.example", "foo.example"}, {"", ""}, {"..", ".."}, {"*", "*"}, {"*.a.b", ".a.b"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if got, want := matchDNS(pattern, name), referenceMatch(pattern, name); got != want {
			t.Fatalf("matchDNS(%q, %q) = %v; reference says %v", pattern, name, got, want)
		}
	})
}

func TestIdentityMatches(t *testing.T) {
	cert := func(cn string, dns []string, ips ...string) *x509.Certificate {
		c := &x509.Certificate{Subject: pkix.Name{CommonName: cn}, DNSNames: dns}
		for _, ip := range ips {
			c.IPAddresses = append(c.IPAddresses, net.ParseIP(ip))
		}
		return c
	}
	tests := []struct {
		name       string
		cert       *x509.Certificate
		identity   string
		cnFallback bool
		want       bool
	}{
		{"DNS SAN", cert("x", []string{"a.example"}), "a.example", true, true},
		{"IPv4 SAN", cert("x", nil, "10.0.0.1"), "10.0.0.1", true, true},
		{"IPv4 SAN stored as 16 bytes", cert("x", nil, "::ffff:10.0.0.1"), "10.0.0.1", true, true},
		{"IPv6 SAN", cert("x", nil, "2001:db8::1"), "2001:db8::1", true, true},
		{"IPv6 spelled differently", cert("x", nil, "2001:db8::1"), "2001:0db8:0:0::1", true, true},
		{"other IP", cert("x", nil, "10.0.0.2"), "10.0.0.1", true, false},
		{"IP identity never matches DNS SAN", cert("x", []string{"10.0.0.1"}), "10.0.0.1", true, false},
		{"IP identity never matches CN", cert("10.0.0.1", nil), "10.0.0.1", true, false},
		{"DNS identity never matches IP SAN", cert("x", nil, "10.0.0.1"), "x", true, false},
		{"CN fallback without SANs", cert("legacy.example", nil), "legacy.example", true, true},
		{"CN fallback off", cert("legacy.example", nil), "legacy.example", false, false},
		{"CN ignored with a DNS SAN", cert("legacy.example", []string{"new.example"}), "legacy.example", true, false},
		{"CN ignored with an IP SAN", cert("legacy.example", nil, "10.0.0.1"), "legacy.example", true, false},
		{"wildcard CN", cert("*.legacy.example", nil), "a.legacy.example", true, true},
		{"empty identity", cert("", nil), "", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseIdentity(tt.identity).matches(tt.cert, tt.cnFallback); got != tt.want {
				t.Errorf("matches = %v; want %v", got, tt.want)
			}
		})
	}
}

func TestIdentityMatchesDoesNotAllocate(t *testing.T) {
	c := &x509.Certificate{DNSNames: []string{"a.example", "*.svc.example"}, IPAddresses: []net.IP{net.ParseIP("10.0.0.1")}}
	dnsID, ipID := parseIdentity("API.svc.example."), parseIdentity("10.0.0.1")
	allocs := testing.AllocsPerRun(100, func() {
		if !dnsID.matches(c, true) || !ipID.matches(c, true) {
			t.Fatal("no match")
		}
	})
	if allocs != 0 {
		t.Errorf("matches allocates %v times per call", allocs)
	}
}
