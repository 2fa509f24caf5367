package routing

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// toASCII returns the ASCII form of an internationalised host name or host
// pattern, which holds at least one byte that is not ASCII: each label that
// is not ASCII goes through UTS #46 lookup processing (mapping, NFC,
// validity, Punycode) with golang.org/x/net/idna; the ideographic full
// stops U+3002, U+FF0E and U+FF61 separate labels like '.'. Wildcard labels
// stay as they are; a label that mixes a wildcard with non-ASCII text is
// refused.
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
	}, name)
	var b strings.Builder
	for i, label := range strings.Split(name, ".") {
		if i > 0 {
			b.WriteByte('.')
		}
		if isASCII(label) {
			b.WriteString(strings.ToLower(label))
			continue
		}
		if strings.ContainsAny(label, "*?") {
			return "", fmt.Errorf("label %q mixes a wildcard with non-ASCII characters", label)
		}
		enc, err := idna.Lookup.ToASCII(label)
		if err != nil {
			return "", fmt.Errorf("label %q: %w", label, err)
		}
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
