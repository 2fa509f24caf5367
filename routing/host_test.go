package routing

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestMatchHost(t *testing.T) {
	tests := []struct {
		pattern, host string
		want          bool
	}{
		{"contoso.com", "contoso.com", true},
		{"contoso.com", "CONTOSO.Com:8080", true},
		{"Contoso.COM.", "contoso.com.", true},
		{"contoso.com", "www.contoso.com", false},
		{"contoso.com", "contoso.co", false},
		{"contoso.com", "", false},
		{"*.contoso.com", "ecom.contoso.com", true},
		{"*.contoso.com", "customer1.b2b.contoso.com", true}, // Azure: '*' spans labels
		{"*.contoso.com", "contoso.com", false},
		{"*.contoso.com", "xcontoso.com", false},
		{"*.contoso.com", "a.contoso.com.evil", false},
		{"*.contoso.com", "a.contoso.com:443", true},
		{"*.contoso.*", "shop.contoso.org", true},
		{"*.contoso.*", "contoso.org", false},
		{"contoso-*.com", "contoso-eu.com", true},
		{"contoso-*.com", "contoso-.com", true}, // '*' may match nothing
		{"w??.contoso.com", "www.contoso.com", true},
		{"w??.contoso.com", "ww.contoso.com", false},
		{"w??.contoso.com", "wwww.contoso.com", false},
		{"????.contoso.com", "shop.contoso.com", true},
		{"w??.contoso*.edu.*", "web.contoso-uni.edu.au", true},
		{"w??.contoso*.edu.*", "web.contoso-uni.edu", false},
		{"a?c.example", "a.c.example", true}, // '?' is any one character
		{"bücher.example", "xn--bcher-kva.example", true},
		{"xn--bcher-kva.example", "BÜCHER.example", true},
		{"*.bücher.example", "shop.xn--bcher-kva.example:8443", true},
		{"例え.テスト", "例え。テスト", true},
		{"*.*.*.com", "a.b.c.com", false}, // invalid pattern: matches nothing
		{"*", "anything", false},          // invalid pattern
		{"example.com", "[::1]:443", false},
		{"*.com", strings.Repeat("a", 250) + ".com", false}, // host longer than 253
	}
	for _, tt := range tests {
		if got := MatchHost(tt.pattern, tt.host); got != tt.want {
			t.Errorf("MatchHost(%q, %q) = %v; want %v", tt.pattern, tt.host, got, tt.want)
		}
	}
}

func TestValidateHostPattern(t *testing.T) {
	tests := []struct {
		pattern string
		err     string // "" for valid
	}{
		{"contoso.com", ""},
		{"WWW.Contoso.com.", ""},
		{"*.contoso.com", ""},
		{"*.contoso-*.com", ""},
		{"*.contoso.*", ""},
		{"????.contoso.com", ""},
		{"w??.contoso*.edu.*", ""},
		{"bücher.example", ""},
		{"*.bücher.example", ""},
		{"xn--bcher-kva.example", ""},
		{"localhost", ""},
		{"", `routing: host name "": empty`},
		{".", `routing: host name ".": empty`},
		{"*", `routing: host name "*": "*" alone matches every host: use a basic listener (no host names) instead`},
		{"*.contoso.*.*.com", `routing: host name "*.contoso.*.*.com": more than two '*'`},
		{"????.contoso.*", `routing: host name "????.contoso.*": more than four wildcard characters`},
		{"*?.contoso.com", `routing: host name "*?.contoso.com": "*?": '*' next to another wildcard`},
		{"?*.contoso.com", `routing: host name "?*.contoso.com": "?*": '*' next to another wildcard`},
		{"**.contoso.com", `routing: host name "**.contoso.com": "**": '*' next to another wildcard`},
		{"a*b*c.com", `routing: host name "a*b*c.com": more than one '*' in label "a*b*c"`},
		{"contoso..com", `routing: host name "contoso..com": empty label`},
		{".contoso.com", `routing: host name ".contoso.com": empty label`},
		{"contoso.com:443", `routing: host name "contoso.com:443": character ':' not allowed (only letters, digits, '-', '.', '*' and '?')`},
		{"con_toso.com", `routing: host name "con_toso.com": character '_' not allowed (only letters, digits, '-', '.', '*' and '?')`},
		{"-contoso.com", `routing: host name "-contoso.com": label "-contoso" begins or ends with '-'`},
		{strings.Repeat("a", 64) + ".com", `routing: host name "` + strings.Repeat("a", 64) + `.com": label "` + strings.Repeat("a", 64) + `" longer than 63 characters`},
		{strings.Repeat("a.", 127) + "com", `routing: host name "` + strings.Repeat("a.", 127) + `com": longer than 253 characters`},
		{"bü*cher.example", `routing: host name "bü*cher.example": wildcard in internationalised label "bü*cher"`},
		{"b\xffcher.example", `routing: host name "b\xffcher.example": not valid UTF-8`},
		{strings.Repeat("ü", 254), `routing: host name "` + strings.Repeat("ü", 254) + `": longer than 253 characters`},
	}
	for _, tt := range tests {
		err := ValidateHostPattern(tt.pattern)
		if tt.err == "" {
			if err != nil {
				t.Errorf("ValidateHostPattern(%q) = %v; want nil", tt.pattern, err)
			}
			continue
		}
		if err == nil || err.Error() != tt.err {
			t.Errorf("ValidateHostPattern(%q) = %v; want %s", tt.pattern, err, tt.err)
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Where != fmt.Sprintf("host name %q", tt.pattern) {
			t.Errorf("ValidateHostPattern(%q): want an *Error locating the pattern, got %#v", tt.pattern, err)
		}
	}
}

func TestAppendHost(t *testing.T) {
	tests := []struct {
		host string
		want string
		ok   bool
	}{
		{"Example.COM", "example.com", true},
		{"example.com:8080", "example.com", true},
		{"example.com.", "example.com", true},
		{"example.com.:443", "example.com", true},
		{"[::1]:443", "::1", true},
		{"[::1]", "::1", true},
		{"::1", "::1", true},
		{"127.0.0.1:80", "127.0.0.1", true},
		{"", "", true},
		{"bücher.example", "xn--bcher-kva.example", true},
		{"BÜCHER.Example:443", "xn--bcher-kva.example", true},
		{"例え。テスト。", "xn--r8jz45g.xn--zckzah", true},
		{"пример.рф", "xn--e1afmkfd.xn--p1ai", true},
		{strings.Repeat("a", 253), strings.Repeat("a", 253), true},
		{strings.Repeat("a", 254), "", false},
		{"b\xffcher.example", "", false},
		{strings.Repeat("ü", 254), "", false},
		{manyRunes(1 << 18), "", false}, // fast, not quadratic in the runes
	}
	for _, tt := range tests {
		got, ok := appendHost(nil, tt.host)
		if ok != tt.ok || string(got) != tt.want {
			t.Errorf("appendHost(%q) = %q, %v; want %q, %v", tt.host, got, ok, tt.want, tt.ok)
		}
	}
}

// manyRunes returns a string of n distinct runes that are not ASCII.
func manyRunes(n int) string {
	var b strings.Builder
	for r := rune(0x100); b.Len() < 4*n && r < 0x10ffff; r++ {
		if r < 0xd800 || r > 0xdfff {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestHostOnly(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a.example", "a.example"},
		{"a.example:80", "a.example"},
		{"[::1]:443", "[::1]"},
		{"[::1]", "[::1]"},
		{"[::1", "[::1"},
		{"fe80::1", "fe80::1"},
		{":80", ""},
	}
	for _, tt := range tests {
		if got := hostOnly(tt.in); got != tt.want {
			t.Errorf("hostOnly(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// TestToASCII checks the conversion of internationalised names against
// vectors from RFC 3492 section 7.1 and UTS #46 (non-transitional).
func TestToASCII(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{in: "bücher.example", want: "xn--bcher-kva.example"},
		{in: "Bücher.Example", want: "xn--bcher-kva.example"},
		{in: "münchen.de", want: "xn--mnchen-3ya.de"},
		{in: "straße.de", want: "xn--strae-oqa.de"},
		{in: "例え.テスト", want: "xn--r8jz45g.xn--zckzah"},
		{in: "他们为什么不说中文", want: "xn--ihqwcrb4cv8a8dqg056pqjye"},
		{in: "пример.рф", want: "xn--e1afmkfd.xn--p1ai"},
		{in: "例え。テスト", want: "xn--r8jz45g.xn--zckzah"},
		{in: "*.bücher.example", want: "*.xn--bcher-kva.example"},
		{in: "b*ü.example", err: `label "b*ü" mixes a wildcard with non-ASCII characters`},
		{in: "bad\xff.example", err: "not valid UTF-8"},
	}
	for _, tt := range tests {
		in := tt.in
		got, err := toASCII(in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("toASCII(%q) = %q, %v; want error %q", in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("toASCII(%q) = %q, %v; want %q", in, got, err, tt.want)
		}
	}
}

// TestMatchGlob checks the compiled matcher against the recursive reference
// on every pattern and host over a small alphabet.
func TestMatchGlob(t *testing.T) {
	var patterns, hosts []string
	var gen func(prefix, alphabet string, n int, out *[]string)
	gen = func(prefix, alphabet string, n int, out *[]string) {
		*out = append(*out, prefix)
		if n == 0 {
			return
		}
		for i := 0; i < len(alphabet); i++ {
			gen(prefix+alphabet[i:i+1], alphabet, n-1, out)
		}
	}
	gen("", "a.*?", 5, &patterns)
	gen("", "a.b", 6, &hosts)
	for _, p := range patterns {
		for _, h := range hosts {
			if matchGlob(p, []byte(h)) != matchGlobRef(p, h) {
				t.Fatalf("matchGlob(%q, %q) = %v, reference says %v", p, h, !matchGlobRef(p, h), matchGlobRef(p, h))
			}
		}
	}
}
