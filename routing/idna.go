package routing

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// This file converts internationalised host names to their ASCII form: each
// label that is not ASCII is lower-cased and encoded as "xn--" followed by
// its Punycode (RFC 3492); the ideographic full stops U+3002, U+FF0E and
// U+FF61 separate labels like '.' (RFC 3490). Unlike a full UTS #46 mapping
// (golang.org/x/net/idna), it does not apply Unicode normalisation or reject
// disallowed code points: golang.org/x/net/idna needs golang.org/x/text,
// which this module does not require.

// toASCII returns the ASCII form of name, which holds at least one byte that
// is not ASCII.
func toASCII(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", errors.New("not valid UTF-8")
	}
	name = strings.Map(func(r rune) rune {
		switch r {
		case '\u3002', '\uff0e', '\uff61':
			return '.'
		}
		return r
	}, strings.ToLower(name))
	var b strings.Builder
	for i, label := range strings.Split(name, ".") {
		if i > 0 {
			b.WriteByte('.')
		}
		if isASCII(label) {
			b.WriteString(label)
			continue
		}
		enc, err := punycode(label)
		if err != nil {
			return "", err
		}
		b.WriteString("xn--")
		b.WriteString(enc)
	}
	return b.String(), nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Punycode parameters (RFC 3492 section 5).
const (
	pcBase        = 36
	pcTMin        = 1
	pcTMax        = 26
	pcSkew        = 38
	pcDamp        = 700
	pcInitialBias = 72
	pcInitialN    = 128
	pcMaxDelta    = 1<<31 - 1
)

// punycode encodes s per RFC 3492 section 6.3, without the "xn--" prefix.
func punycode(s string) (string, error) {
	runes := []rune(s)
	out := make([]byte, 0, len(s)+8)
	for _, r := range runes {
		if r < utf8.RuneSelf {
			out = append(out, byte(r))
		}
	}
	basic := len(out)
	handled := basic
	if basic > 0 {
		out = append(out, '-')
	}
	n, delta, bias := rune(pcInitialN), 0, pcInitialBias
	for handled < len(runes) {
		m := rune(utf8.MaxRune + 1)
		for _, r := range runes {
			if r >= n && r < m {
				m = r
			}
		}
		if int(m-n) > (pcMaxDelta-delta)/(handled+1) {
			return "", errors.New("punycode overflow")
		}
		delta += int(m-n) * (handled + 1)
		n = m
		for _, r := range runes {
			if r < n {
				delta++
				if delta > pcMaxDelta-1 {
					return "", errors.New("punycode overflow")
				}
			}
			if r != n {
				continue
			}
			q := delta
			for k := pcBase; ; k += pcBase {
				t := k - bias
				if t < pcTMin {
					t = pcTMin
				} else if t > pcTMax {
					t = pcTMax
				}
				if q < t {
					break
				}
				out = append(out, punycodeDigit(t+(q-t)%(pcBase-t)))
				q = (q - t) / (pcBase - t)
			}
			out = append(out, punycodeDigit(q))
			bias = punycodeAdapt(delta, handled+1, handled == basic)
			delta = 0
			handled++
		}
		delta++
		n++
	}
	return string(out), nil
}

func punycodeDigit(d int) byte {
	if d < 26 {
		return byte('a' + d)
	}
	return byte('0' + d - 26)
}

func punycodeAdapt(delta, numPoints int, first bool) int {
	if first {
		delta /= pcDamp
	} else {
		delta /= 2
	}
	delta += delta / numPoints
	k := 0
	for delta > ((pcBase-pcTMin)*pcTMax)/2 {
		delta /= pcBase - pcTMin
		k += pcBase
	}
	return k + (pcBase-pcTMin+1)*delta/(delta+pcSkew)
}
