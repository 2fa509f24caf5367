package routing

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidatePathPattern reports whether pattern is a valid path rule pattern:
// valid UTF-8 that begins with "/", holds no '?', '#' or control character,
// and has '*' at most once, as its last character. "/x" matches the path
// "/x" only; "/x/*" matches "/x/" and every path below it, but not "/x";
// "/x*" matches every path that begins with "/x": "/x", "/x2", "/x/a".
func ValidatePathPattern(pattern string) error {
	if _, _, err := parsePathPattern(pattern); err != nil {
		return &Error{Where: fmt.Sprintf("path %q", pattern), Err: err}
	}
	return nil
}

// parsePathPattern splits a path pattern into its literal part and whether
// it ends with '*'.
func parsePathPattern(p string) (lit string, prefix bool, err error) {
	switch {
	case p == "":
		return "", false, errors.New("empty")
	case p[0] != '/':
		return "", false, errors.New("does not begin with '/'")
	case !utf8.ValidString(p):
		return "", false, errors.New("not valid UTF-8")
	}
	for i, r := range p {
		switch {
		case r == '*' && i != len(p)-1:
			return "", false, errors.New("'*' is allowed only at the end")
		case r == '?':
			return "", false, errors.New("'?' not allowed: the query is not part of the path")
		case r == '#':
			return "", false, errors.New("'#' not allowed: the fragment is not part of the path")
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return "", false, fmt.Errorf("control character %U not allowed", r)
		}
	}
	lit, prefix = strings.CutSuffix(p, "*")
	return lit, prefix, nil
}

// checkOverride validates a backend setting's path override.
func checkOverride(o string) error {
	if o == "" {
		return nil
	}
	if err := ValidatePathPattern(o); err != nil {
		return err.(*Error).Err
	}
	if strings.HasSuffix(o, "*") {
		return errors.New("'*' not allowed")
	}
	return nil
}

// foldRune maps r to one representative of its case-folding orbit (the
// runes that [strings.EqualFold] takes as equal to r), the least one. ASCII
// letters map to upper case.
func foldRune(r rune) rune {
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}

// foldKey returns s with every rune replaced by foldRune's representative.
func foldKey(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = utf8.AppendRune(b, foldRune(r))
	}
	return string(b)
}

// A pathIndex is a compiled PathMap. Exact patterns and '*' patterns live in
// one trie keyed by their folded literals; a lookup walks the folded path
// through it once, so its cost depends on the path's length, not on the
// number of patterns.
type pathIndex struct {
	def     Target
	targets []Target // per path rule
	// defRedirect and redirects[i], when not nil, redirect instead of
	// proxying to def and targets[i].
	defRedirect *redirectEntry
	redirects   []*redirectEntry
	ruleOf      []int32 // the path rule of each pattern, by its ordinal
	t           trie
	vals        []pathSlot
}

// A pathSlot holds the ordinals (places in listed order, over all path
// rules' patterns) of the patterns with one literal, or noRank.
type pathSlot struct {
	exact, prefix int32
}

// A pathPattern is a valid pattern of a path rule.
type pathPattern struct {
	rule   int32
	lit    string
	prefix bool
}

// newPathIndex compiles patterns, given in listed order; no two may have the
// same folded literal and kind.
func newPathIndex(def Target, targets []Target, patterns []pathPattern) *pathIndex {
	x := &pathIndex{def: def, targets: targets, ruleOf: make([]int32, len(patterns))}
	at := make(map[string]int32)
	var keys []trieKey
	for ord, p := range patterns {
		x.ruleOf[ord] = p.rule
		key := foldKey(p.lit)
		i, ok := at[key]
		if !ok {
			i = int32(len(x.vals))
			at[key] = i
			keys = append(keys, trieKey{key: key, val: i})
			x.vals = append(x.vals, pathSlot{exact: noRank, prefix: noRank})
		}
		if p.prefix {
			x.vals[i].prefix = min(x.vals[i].prefix, int32(ord))
		} else {
			x.vals[i].exact = min(x.vals[i].exact, int32(ord))
		}
	}
	x.t = newTrie(keys)
	return x
}

// lookup returns the path rule that serves path, or -1 for the default, and
// the length of the prefix of path that the winning pattern matched
// literally (0 for the default).
func (x *pathIndex) lookup(path string) (rule, cut int) {
	best, end := noRank, 0
	var c cursor
	var buf [utf8.UTFMax]byte
	i := 0
walk:
	for i < len(path) {
		if b := path[i]; b < utf8.RuneSelf {
			if 'a' <= b && b <= 'z' {
				b -= 'a' - 'A'
			}
			if !x.t.step(&c, b) {
				break
			}
			i++
		} else {
			r, w := utf8.DecodeRuneInString(path[i:])
			n := utf8.EncodeRune(buf[:], foldRune(r))
			for _, b := range buf[:n] {
				if !x.t.step(&c, b) {
					break walk
				}
			}
			i += w
		}
		if v := x.t.val(c); v >= 0 && x.vals[v].prefix < best {
			best, end = x.vals[v].prefix, i
		}
	}
	if i == len(path) {
		if v := x.t.val(c); v >= 0 && x.vals[v].exact < best {
			best, end = x.vals[v].exact, i
		}
	}
	if best == noRank {
		return -1, 0
	}
	return int(x.ruleOf[best]), end
}

// overridePath applies a path override to rest, the part of the request's
// path that the override does not replace, joining the two with exactly one
// slash; an empty rest leaves the override alone.
func overridePath(override, rest string) string {
	switch {
	case rest == "":
		return override
	case strings.HasSuffix(override, "/") && rest[0] == '/':
		return override + rest[1:]
	case strings.HasSuffix(override, "/") || rest[0] == '/':
		return override + rest
	default:
		return override + "/" + rest
	}
}
