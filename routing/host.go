package routing

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxHostLen is the longest host name, in its ASCII form without a trailing
// dot, that a pattern can match (RFC 1035).
const maxHostLen = 253

// MatchHost reports whether host matches the listener host name pattern. It
// is the reference for the matching that a [Table] compiles: the pattern is
// normalised as [ValidateHostPattern] describes and an invalid pattern
// matches nothing; host is normalised like a request's Host header (port and
// one trailing dot removed, lower-cased, converted to its ASCII form). '*'
// then matches any run of characters, dots included, and '?' any one
// character.
func MatchHost(pattern, host string) bool {
	p, err := parseHostPattern(pattern)
	if err != nil {
		return false
	}
	h, ok := appendHost(nil, host)
	return ok && matchGlobRef(p, string(h))
}

// matchGlobRef is the obviously correct, recursive definition of a match.
func matchGlobRef(p, h string) bool {
	for p != "" {
		switch p[0] {
		case '*':
			for i := 0; i <= len(h); i++ {
				if matchGlobRef(p[1:], h[i:]) {
					return true
				}
			}
			return false
		case '?':
			if h == "" {
				return false
			}
		default:
			if h == "" || h[0] != p[0] {
				return false
			}
		}
		p, h = p[1:], h[1:]
	}
	return h == ""
}

// matchGlob is matchGlobRef without recursion, in time linear in
// len(p)*len(h) at worst.
func matchGlob(p string, h []byte) bool {
	px, hx := 0, 0
	starP, starH := -1, 0 // the last '*' seen, and where its match ends
	for px < len(p) || hx < len(h) {
		if px < len(p) {
			switch c := p[px]; c {
			case '*':
				starP, starH = px, hx
				px++
				continue
			case '?':
				if hx < len(h) {
					px++
					hx++
					continue
				}
			default:
				if hx < len(h) && h[hx] == c {
					px++
					hx++
					continue
				}
			}
		}
		if starP >= 0 && starH < len(h) {
			starH++
			px, hx = starP+1, starH
			continue
		}
		return false
	}
	return true
}

// ValidateHostPattern reports whether pattern is a valid listener host name:
// letters, digits and '-' in dot-separated labels of 1 to 63 characters, 253
// characters in all, with the wildcards '*' (any run of characters, dots
// included) and '?' (any one character) within Azure's limits: at most two
// '*', at most four wildcard characters, at most one '*' per label, and no
// "**", "*?" or "?*". A pattern of only "*" is refused: a basic listener
// (one without host names) accepts every host. Case and one trailing dot do
// not matter; a label in Unicode is taken in its ASCII ("xn--") form and
// may not hold wildcards.
func ValidateHostPattern(pattern string) error {
	if _, err := parseHostPattern(pattern); err != nil {
		return &Error{Where: fmt.Sprintf("host name %q", pattern), Err: err}
	}
	return nil
}

// parseHostPattern returns the normal form of a host name pattern: ASCII,
// lower case, without a trailing dot.
func parseHostPattern(pattern string) (string, error) {
	s := pattern
	if !isASCII(s) {
		if !utf8.ValidString(s) {
			return "", errors.New("not valid UTF-8")
		}
		if utf8.RuneCountInString(s) > maxHostLen+1 {
			return "", fmt.Errorf("longer than %d characters", maxHostLen)
		}
		for label := range strings.FieldsFuncSeq(s, isLabelSeparator) {
			if !isASCII(label) && strings.ContainsAny(label, "*?") {
				return "", fmt.Errorf("wildcard in internationalised label %q", label)
			}
		}
		var err error
		if s, err = toASCII(s); err != nil {
			return "", err
		}
	}
	s = strings.ToLower(strings.TrimSuffix(s, "."))
	if s == "" {
		return "", errors.New("empty")
	}
	if s == "*" {
		return "", errors.New(`"*" alone matches every host: use a basic listener (no host names) instead`)
	}
	if len(s) > maxHostLen {
		return "", fmt.Errorf("longer than %d characters", maxHostLen)
	}
	for _, bad := range []string{"**", "*?", "?*"} {
		if strings.Contains(s, bad) {
			return "", fmt.Errorf("%q: '*' next to another wildcard", bad)
		}
	}
	stars, wild := 0, 0
	for label := range strings.SplitSeq(s, ".") {
		if label == "" {
			return "", errors.New("empty label")
		}
		if len(label) > 63 {
			return "", fmt.Errorf("label %q longer than 63 characters", label)
		}
		labelStars, labelWild := 0, 0
		for i := 0; i < len(label); i++ {
			switch c := label[i]; {
			case c == '*':
				labelStars++
				labelWild++
			case c == '?':
				labelWild++
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-':
			default:
				return "", fmt.Errorf("character %q not allowed (only letters, digits, '-', '.', '*' and '?')", c)
			}
		}
		if labelStars > 1 {
			return "", fmt.Errorf("more than one '*' in label %q", label)
		}
		if labelWild == 0 && (label[0] == '-' || label[len(label)-1] == '-') {
			return "", fmt.Errorf("label %q begins or ends with '-'", label)
		}
		stars += labelStars
		wild += labelWild
	}
	if stars > 2 {
		return "", errors.New("more than two '*'")
	}
	if wild > 4 {
		return "", errors.New("more than four wildcard characters")
	}
	return s, nil
}

func isLabelSeparator(r rune) bool {
	switch r {
	case '.', '\u3002', '\uff0e', '\uff61':
		return true
	}
	return false
}

func isWildcard(s string) bool { return strings.ContainsAny(s, "*?") }

// appendHost appends the normal form of a request's host (a Host header or
// an SNI) to dst: without a port, IPv6 brackets and one trailing dot, lower
// case, ASCII. It reports false, appending nothing, when the name has no
// ASCII form or is longer than maxHostLen; such a host matches no pattern.
// For an ASCII host it allocates only if dst is too short.
func appendHost(dst []byte, host string) ([]byte, bool) {
	host = hostOnly(host)
	if len(host) >= 2 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	if !isASCII(host) {
		// Each rune becomes at least one byte of the ASCII form, so a host
		// with too many runes cannot match; checking first also bounds the
		// Punycode encoder's quadratic cost.
		if utf8.RuneCountInString(host) > maxHostLen+1 {
			return dst, false
		}
		a, err := toASCII(host)
		if err != nil {
			return dst, false
		}
		host = a
	}
	host = strings.TrimSuffix(host, ".")
	if len(host) > maxHostLen {
		return dst, false
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst, true
}

// hostOnly returns host without its port: "a:80" is "a", "[::1]:443" is
// "[::1]", and an IPv6 address without brackets is left alone.
func hostOnly(host string) string {
	if strings.HasPrefix(host, "[") {
		if i := strings.IndexByte(host, ']'); i >= 0 {
			return host[:i+1]
		}
		return host
	}
	if i := strings.IndexByte(host, ':'); i >= 0 && strings.IndexByte(host[i+1:], ':') < 0 {
		return host[:i]
	}
	return host
}
