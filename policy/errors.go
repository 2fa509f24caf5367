package policy

import (
	"errors"
	"strconv"
	"strings"

	suggestpkg "github.com/e2etls/e2etls/internal/suggest"
)

// Classes of refused names. A [*NameError] unwraps to exactly one of them, so callers can
// branch with errors.Is.
var (
	// ErrUnknown means the name is not one this package knows: a typo, a wrong case, or a
	// spelling other than the documented ones.
	ErrUnknown = errors.New("policy: unknown name")

	// ErrUnsupported means the name is known but crypto/tls cannot speak it, for example
	// the finite-field DHE suites of the Azure lists.
	ErrUnsupported = errors.New("policy: not supported by crypto/tls")

	// ErrNotAllowed means the name is known and Go could use it, but not here: a suite
	// Azure does not offer in a custom policy, a suite that works at none of the policy's
	// TLS versions, or a post-quantum group in a policy without TLS 1.3.
	ErrNotAllowed = errors.New("policy: not allowed here")

	// ErrDuplicate means the same suite or group appears twice in one list, possibly
	// under two spellings.
	ErrDuplicate = errors.New("policy: listed more than once")
)

// NameError reports one refused name: a predefined policy name, a TLS version, a cipher
// suite or a key-exchange group. Functions that check a whole list ([Custom],
// [Policy.Validate]) report every refused name, joined with errors.Join.
type NameError struct {
	// Kind says what was named: "predefined policy", "TLS version", "cipher suite" or
	// "curve".
	Kind string

	// Name is the name as given, or for a [Policy] built by struct literal the name of the
	// offending value (for example "DHE_RSA_WITH_AES_128_GCM_SHA256" or "0x1234").
	Name string

	// Field locates Name in its input, for example "cipherSuites[2]" or "Curves[0]". It is
	// empty when Name was not taken from a list.
	Field string

	// Reason says in words why the name was refused, including a suggestion where one
	// exists. It never repeats Kind or Name.
	Reason string

	// Err is the class of the refusal: ErrUnknown, ErrUnsupported, ErrNotAllowed or
	// ErrDuplicate.
	Err error
}

// Error returns a message of the form
//
//	policy: cipher suite "X" (cipherSuites[2]): unknown (did you mean "Y"?)
func (e *NameError) Error() string {
	var b strings.Builder
	b.WriteString("policy: ")
	b.WriteString(e.Kind)
	b.WriteByte(' ')
	b.WriteString(strconv.Quote(e.Name))
	if e.Field != "" {
		b.WriteString(" (")
		b.WriteString(e.Field)
		b.WriteByte(')')
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns the class of the refusal, so errors.Is(err, ErrUnknown) and the like work.
func (e *NameError) Unwrap() error { return e.Err }

// maxSuggestDistance is the largest edit distance at which an unknown name earns a
// "did you mean" suggestion. Three covers a transposed pair plus one wrong character.
const maxSuggestDistance = 3

// maxSuggestLen bounds the length of a name we compute edit distances for, so that an
// absurdly long input costs nothing.
const maxSuggestLen = 128

// didYouMean returns a parenthesised suggestion of the candidate nearest to name, such as
// ` (did you mean "X"?)`, or "" when none is near enough. A candidate that differs only in
// case wins and is announced as such, since all names here are case-sensitive.
func didYouMean(name string, candidates []string) string {
	s := suggest(name, candidates)
	switch {
	case s == "":
		return ""
	case strings.EqualFold(s, name):
		return " (names are case-sensitive; did you mean " + strconv.Quote(s) + "?)"
	default:
		return " (did you mean " + strconv.Quote(s) + "?)"
	}
}

// suggest returns the candidate nearest to name, or "" when none is near enough.
func suggest(name string, candidates []string) string {
	for _, c := range candidates {
		if strings.EqualFold(c, name) {
			return c
		}
	}
	for _, c := range candidates { // a TLS 1.3 suite named without its prefix
		if strings.EqualFold(c, "TLS_"+name) {
			return c
		}
	}
	if len(name) > maxSuggestLen {
		return ""
	}
	return suggestpkg.Closest(name, candidates, maxSuggestDistance)
}

// orList joins items as "a, b, c or d".
func orList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
