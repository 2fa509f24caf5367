package backendtls

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// identity is a compiled expected identity: a DNS name or an IP address.
type identity struct {
	raw  string     // as configured
	name string     // DNS name without a trailing dot; "" for an IP
	ip   netip.Addr // valid for an IP identity
}

func parseIdentity(s string) identity {
	id := identity{raw: s}
	if ip, err := netip.ParseAddr(s); err == nil {
		id.ip = ip.Unmap()
		return id
	}
	id.name = strings.TrimSuffix(s, ".")
	return id
}

func (id identity) isIP() bool { return id.ip.IsValid() }

// matches reports whether c is valid for id per RFC 6125: an IP identity
// matches IP SANs only; a DNS identity matches DNS SANs, and the subject
// common name only if cnFallback is set and c has no DNS and no IP SAN.
// It does not allocate.
func (id identity) matches(c *x509.Certificate, cnFallback bool) bool {
	if id.isIP() {
		for _, ip := range c.IPAddresses {
			if a, ok := netip.AddrFromSlice(ip); ok && a.Unmap() == id.ip {
				return true
			}
		}
		return false
	}
	if id.name == "" {
		return false
	}
	for _, san := range c.DNSNames {
		if matchDNS(san, id.name) {
			return true
		}
	}
	if cnFallback && len(c.DNSNames) == 0 && len(c.IPAddresses) == 0 {
		return matchDNS(c.Subject.CommonName, id.name)
	}
	return false
}

// matchDNS reports whether the DNS name pattern from a certificate matches
// name, both compared without a trailing dot and ignoring ASCII case. A
// pattern "*.rest" matches exactly one non-empty left-most label followed
// by rest, and only if rest has at least two labels; "*" anywhere else, or
// inside a label ("f*.example.com"), never matches. Empty labels never
// match. It does not allocate.
func matchDNS(pattern, name string) bool {
	pattern = strings.TrimSuffix(pattern, ".")
	name = strings.TrimSuffix(name, ".")
	if pattern == "" || name == "" || !wellFormed(name, false) {
		return false
	}
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		if !wellFormed(rest, false) || strings.IndexByte(rest, '.') < 0 {
			return false
		}
		i := strings.IndexByte(name, '.')
		if i <= 0 {
			return false
		}
		return asciiEqualFold(name[i+1:], rest)
	}
	return wellFormed(pattern, false) && asciiEqualFold(pattern, name)
}

// wellFormed reports whether s has no empty label and no '*' (unless
// wildcard), without checking anything else. It does not allocate.
func wellFormed(s string, wildcard bool) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	return wildcard || strings.IndexByte(s, '*') < 0
}

// asciiEqualFold reports whether a and b are equal ignoring ASCII case
// only: unlike strings.EqualFold, "\u212a" (Kelvin sign) does not equal "k".
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// sameName reports whether two names are equal ignoring ASCII case and a
// trailing dot.
func sameName(a, b string) bool {
	return asciiEqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

// checkName returns an error if s cannot be an expected identity or SNI:
// it must be an IP address without a zone, or a DNS name of labels of
// letters, digits, '-' and '_', each 1 to 63 characters, 253 in all, with an
// optional trailing dot.
func checkName(s string) error {
	if ip, err := netip.ParseAddr(s); err == nil {
		if ip.Zone() != "" {
			return fmt.Errorf("IP address %q has a zone; use the address without %q", s, "%"+ip.Zone())
		}
		return nil
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		return fmt.Errorf("%q: write an IPv6 address without brackets", s)
	}
	if strings.Contains(s, "://") {
		return fmt.Errorf("%q is a URI, which is neither a DNS name nor an IP address: expect a URI (a SPIFFE ID) with SubjectAltNames: []backendtls.SAN{{Type: backendtls.SANURI, Value: %q}}", s, s)
	}
	if strings.Contains(s, ":") {
		return fmt.Errorf("%q is neither an IP address nor a DNS name (a host name takes no port)", s)
	}
	if strings.Contains(s, "*") {
		return fmt.Errorf("%q is a wildcard pattern; an expected identity must be one exact name", s)
	}
	name := strings.TrimSuffix(s, ".")
	if name == "" {
		return errors.New("empty DNS name")
	}
	if len(name) > 253 {
		return fmt.Errorf("DNS name %q is %d characters long, more than 253", s, len(name))
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" {
			return fmt.Errorf("DNS name %q has an empty label", s)
		}
		if len(label) > 63 {
			return fmt.Errorf("DNS name %q has a label of %d characters, more than 63", s, len(label))
		}
		for i := 0; i < len(label); i++ {
			ch := label[i]
			if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_') {
				return fmt.Errorf("DNS name %q contains %q; only letters, digits, '-' and '_' are allowed (use the punycode form of internationalized names)", s, string(rune(ch)))
			}
		}
	}
	return nil
}

// certNames lists c's names for messages: "DNS:a.example, IP:10.0.0.1",
// or "CN=x (no SANs)".
func certNames(c *x509.Certificate, cnFallback bool) string {
	var parts []string
	for _, n := range c.DNSNames {
		parts = append(parts, "DNS:"+n)
	}
	for _, ip := range c.IPAddresses {
		parts = append(parts, "IP:"+ip.String())
	}
	for _, u := range c.URIs {
		parts = append(parts, "URI:"+u.String())
	}
	if len(c.DNSNames) == 0 && len(c.IPAddresses) == 0 {
		switch {
		case c.Subject.CommonName == "":
		case cnFallback:
			parts = append(parts, "CN:"+c.Subject.CommonName)
		default:
			parts = append(parts, "CN:"+c.Subject.CommonName+" (ignored: common-name fallback is disabled)")
		}
	}
	if len(parts) == 0 {
		return "no names"
	}
	return strings.Join(parts, ", ")
}

// identitySAN returns the SAN that expects the same identity as the name
// id (a DNS name or an IP address).
func identitySAN(id string) SAN {
	if _, err := netip.ParseAddr(id); err == nil {
		return SAN{Type: SANIP, Value: id}
	}
	return SAN{Type: SANDNS, Value: id}
}
