package backendtls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// SANType is the kind of a subject alternative name.
type SANType int

// SAN types. The zero SANType is not a valid type.
const (
	// SANDNS is a DNS name, such as "api.internal.example".
	SANDNS SANType = iota + 1
	// SANURI is a URI, such as the SPIFFE ID "spiffe://example.org/api".
	SANURI
	// SANIP is an IPv4 or IPv6 address, such as "10.0.0.7".
	SANIP
)

// String returns "DNS", "URI" or "IP", the prefixes of [SAN.String].
func (t SANType) String() string {
	switch t {
	case SANDNS:
		return "DNS"
	case SANURI:
		return "URI"
	case SANIP:
		return "IP"
	}
	return fmt.Sprintf("SANType(%d)", int(t))
}

// SAN is one expected subject alternative name: an identity a peer's
// certificate may prove. Set it by struct literal or with [ParseSAN]:
//
//	backendtls.SAN{Type: backendtls.SANURI, Value: "spiffe://example.org/api"}
//
// How each type matches a certificate:
//   - SANDNS: one exact DNS name (no wildcard), matched per RFC 6125
//     against the certificate's DNS subject alternative names, ignoring
//     ASCII case and a trailing dot; a wildcard in the certificate
//     ("*.svc.example") covers exactly one left-most label, and only under
//     a parent of two labels or more. The subject common name never counts.
//   - SANURI: an absolute URI, compared exactly (byte for byte, scheme and
//     host included) with the certificate's URI subject alternative names.
//   - SANIP: an IP address, compared with the certificate's IP subject
//     alternative names (an IPv4 address equals its IPv4-mapped IPv6 form).
type SAN struct {
	// Type is the kind of name. Required.
	Type SANType
	// Value is the name: a DNS name, an absolute URI or an IP address.
	// Required.
	Value string
}

// String returns the SAN as "DNS:api.example", "URI:spiffe://example.org/api"
// or "IP:10.0.0.7", the form [ParseSAN] reads and certificate tools print.
func (s SAN) String() string { return s.Type.String() + ":" + s.Value }

// ParseSAN reads a SAN written as TYPE:VALUE, with TYPE one of DNS, URI and
// IP (any case), as [SAN.String] writes it and OpenSSL prints it, and
// validates it.
func ParseSAN(s string) (SAN, error) {
	typ, value, ok := strings.Cut(s, ":")
	if !ok {
		return SAN{}, fmt.Errorf("backendtls: SAN %q: want TYPE:VALUE with TYPE DNS, URI or IP, such as %q", s, "URI:spiffe://example.org/api")
	}
	var san SAN
	switch strings.ToUpper(typ) {
	case "DNS":
		san.Type = SANDNS
	case "URI":
		san.Type = SANURI
	case "IP", "IP ADDRESS":
		san.Type = SANIP
	default:
		return SAN{}, fmt.Errorf("backendtls: SAN %q: unknown type %q; want DNS, URI or IP", s, typ)
	}
	san.Value = value
	if err := san.Validate(); err != nil {
		return SAN{}, err
	}
	return san, nil
}

// Validate reports whether s can match a certificate: a DNS name of
// letters, digits, '-' and '_' (no wildcard, no IP address); an absolute
// URI written as Go prints it (a SPIFFE ID must also follow the SPIFFE
// rules: a lowercase trust domain, no port, user, query or fragment, no
// empty, "." or ".." path segment); an IP address without a zone.
func (s SAN) Validate() error {
	if err := s.validate(); err != nil {
		return fmt.Errorf("backendtls: SAN %s: %w", s, err)
	}
	return nil
}

func (s SAN) validate() error {
	if s.Value == "" {
		return errors.New("empty value")
	}
	switch s.Type {
	case SANDNS:
		if _, err := netip.ParseAddr(s.Value); err == nil {
			return fmt.Errorf("%q is an IP address: use Type SANIP", s.Value)
		}
		if strings.Contains(s.Value, "://") {
			return fmt.Errorf("%q is a URI: use Type SANURI", s.Value)
		}
		return checkName(s.Value)
	case SANIP:
		ip, err := netip.ParseAddr(s.Value)
		if err != nil {
			return fmt.Errorf("%q is not an IP address", s.Value)
		}
		if ip.Zone() != "" {
			return fmt.Errorf("IP address %q has a zone; use the address without %q", s.Value, "%"+ip.Zone())
		}
		return nil
	case SANURI:
		return checkURI(s.Value)
	}
	return fmt.Errorf("unknown SAN type %d: use SANDNS, SANURI or SANIP", int(s.Type))
}

func checkURI(s string) error {
	if strings.ContainsAny(s, " \t\r\n") {
		return fmt.Errorf("URI %q contains white space", s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("URI %q: %w", s, err)
	}
	if u.Scheme == "" {
		return fmt.Errorf("URI %q is not absolute: it needs a scheme, such as %q", s, "spiffe://")
	}
	if got := u.String(); got != s {
		// Certificates' URIs are compared as crypto/x509 parses and
		// prints them; a value written otherwise would never match.
		return fmt.Errorf("URI %q is not in canonical form: write it as %q", s, got)
	}
	if !strings.EqualFold(u.Scheme, "spiffe") {
		return nil
	}
	switch {
	case u.Scheme != "spiffe":
		return fmt.Errorf("SPIFFE ID %q: the scheme must be lowercase %q", s, "spiffe")
	case u.Host == "":
		return fmt.Errorf("SPIFFE ID %q has no trust domain", s)
	case u.User != nil, u.Port() != "":
		return fmt.Errorf("SPIFFE ID %q: a trust domain takes no user and no port", s)
	case u.RawQuery != "" || u.ForceQuery, u.Fragment != "" || u.RawFragment != "":
		return fmt.Errorf("SPIFFE ID %q: a SPIFFE ID takes no query and no fragment", s)
	}
	for i := 0; i < len(u.Host); i++ {
		c := u.Host[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return fmt.Errorf("SPIFFE ID %q: the trust domain may hold only lowercase letters, digits, '.', '-' and '_'", s)
		}
	}
	if u.Path != "" {
		for seg := range strings.SplitSeq(strings.TrimPrefix(u.Path, "/"), "/") {
			if seg == "" || seg == "." || seg == ".." {
				return fmt.Errorf("SPIFFE ID %q: the path has an empty, \".\" or \"..\" segment", s)
			}
		}
	}
	return nil
}

// SANMatcher matches certificates against a list of expected subject
// alternative names, any one of which suffices. It is safe for concurrent
// use. Build it with [NewSANMatcher].
type SANMatcher struct {
	sans []SAN
	dns  []string     // without a trailing dot
	uris []*url.URL   // parsed, compared field by field
	ips  []netip.Addr // unmapped
}

// NewSANMatcher validates sans, reporting every invalid one at once with
// its index, and returns a matcher for them. At least one SAN is required.
func NewSANMatcher(sans ...SAN) (*SANMatcher, error) {
	if len(sans) == 0 {
		return nil, errors.New("backendtls: no SAN to match: give at least one")
	}
	m := &SANMatcher{sans: append([]SAN(nil), sans...)}
	var errs []error
	for i, s := range sans {
		if err := s.validate(); err != nil {
			errs = append(errs, fmt.Errorf("backendtls: SAN %d (%s): %w", i, s, err))
			continue
		}
		switch s.Type {
		case SANDNS:
			m.dns = append(m.dns, strings.TrimSuffix(s.Value, "."))
		case SANURI:
			u, _ := url.Parse(s.Value) // validated above
			m.uris = append(m.uris, u)
		case SANIP:
			m.ips = append(m.ips, netip.MustParseAddr(s.Value).Unmap())
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}

// SANs returns a copy of the names m matches.
func (m *SANMatcher) SANs() []SAN { return append([]SAN(nil), m.sans...) }

// String lists the names, such as "DNS:api.example, URI:spiffe://example.org/api".
func (m *SANMatcher) String() string { return joinSANs(m.sans) }

func joinSANs(sans []SAN) string {
	parts := make([]string, len(sans))
	for i, s := range sans {
		parts[i] = s.String()
	}
	return strings.Join(parts, ", ")
}

// Match reports whether c is valid for one of m's names, and which. It
// does not allocate.
func (m *SANMatcher) Match(c *x509.Certificate) (SAN, bool) {
	if c == nil {
		return SAN{}, false
	}
	for i, want := range m.dns {
		for _, have := range c.DNSNames {
			if matchDNS(have, want) {
				return m.nth(SANDNS, i), true
			}
		}
	}
	for i, want := range m.uris {
		for _, have := range c.URIs {
			if sameURI(have, want) {
				return m.nth(SANURI, i), true
			}
		}
	}
	for i, want := range m.ips {
		for _, have := range c.IPAddresses {
			if a, ok := netip.AddrFromSlice(have); ok && a.Unmap() == want {
				return m.nth(SANIP, i), true
			}
		}
	}
	return SAN{}, false
}

// nth returns the i-th configured SAN of type t.
func (m *SANMatcher) nth(t SANType, i int) SAN {
	for _, s := range m.sans {
		if s.Type != t {
			continue
		}
		if i == 0 {
			return s
		}
		i--
	}
	return SAN{}
}

// sameURI reports whether two parsed URIs are the same URI. Both come from
// url.Parse, so equal fields mean equal text.
func sameURI(a, b *url.URL) bool {
	if a == nil || b == nil {
		return false
	}
	if (a.User == nil) != (b.User == nil) || a.User != nil && a.User.String() != b.User.String() {
		return false
	}
	return a.Scheme == b.Scheme && a.Opaque == b.Opaque && a.Host == b.Host &&
		a.Path == b.Path && a.RawPath == b.RawPath && a.OmitHost == b.OmitHost &&
		a.ForceQuery == b.ForceQuery && a.RawQuery == b.RawQuery &&
		a.Fragment == b.Fragment && a.RawFragment == b.RawFragment
}

// CertificateSANs returns c's subject alternative names of the types a
// [SANMatcher] matches, in the order DNS, URI, IP: what to copy into a
// configuration to trust c by name.
func CertificateSANs(c *x509.Certificate) []SAN {
	var out []SAN
	for _, n := range c.DNSNames {
		out = append(out, SAN{Type: SANDNS, Value: n})
	}
	for _, u := range c.URIs {
		out = append(out, SAN{Type: SANURI, Value: u.String()})
	}
	for _, ip := range c.IPAddresses {
		out = append(out, SAN{Type: SANIP, Value: ip.String()})
	}
	return out
}

// VerifySubjectAltNames returns a Verifier that requires the peer's leaf to
// be valid for one of m's names ([ReasonHostnameMismatch] otherwise). The
// subject common name is never consulted.
func VerifySubjectAltNames(m *SANMatcher) Verifier {
	if m == nil {
		panic("backendtls: VerifySubjectAltNames: nil *SANMatcher")
	}
	return sanVerifier{m}
}

type sanVerifier struct{ m *SANMatcher }

func (v sanVerifier) VerifyConnection(cs tls.ConnectionState) error { return asError(v.verify(&cs)) }

func (v sanVerifier) verify(cs *tls.ConnectionState) *VerificationError {
	leaf, err := leafOf(cs)
	if err != nil {
		return err
	}
	if _, ok := v.m.Match(leaf); ok {
		return nil
	}
	e := &VerificationError{Reason: ReasonHostnameMismatch, Identity: v.m.String(), Certificate: leaf}
	e.detail = fmt.Sprintf("backend certificate %q is valid for none of the expected names (%s): it is valid for %s",
		subjectName(leaf), v.m.String(), sanNames(leaf))
	if have := CertificateSANs(leaf); len(have) > 0 {
		e.fix = fmt.Sprintf("if this is the right backend, add one of its names to SubjectAltNames, such as %s; otherwise reissue its certificate with one of the expected names",
			sanLiteral(have[0]))
	} else {
		e.fix = "reissue the backend's certificate with one of the expected names as a subject alternative name"
	}
	return e
}

// sanLiteral writes s as a Go composite literal, for advice.
func sanLiteral(s SAN) string {
	typ := map[SANType]string{SANDNS: "SANDNS", SANURI: "SANURI", SANIP: "SANIP"}[s.Type]
	return fmt.Sprintf("backendtls.SAN{Type: backendtls.%s, Value: %q}", typ, s.Value)
}

// sanNames lists c's subject alternative names for messages, or says it
// has none (the common name never counts against a SAN list).
func sanNames(c *x509.Certificate) string {
	have := CertificateSANs(c)
	if len(have) == 0 {
		return "no subject alternative name (its common name does not count)"
	}
	return joinSANs(have)
}
