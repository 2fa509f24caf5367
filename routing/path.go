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
// one trie keyed by their literals (folded unless the map is case-sensitive);
// a lookup walks the path through it once, so its cost depends on the
// path's length, not on the number of patterns.
type pathIndex struct {
	def     Target
	targets []Target // per path rule
	// defRedirect and redirects[i], when not nil, redirect instead of
	// proxying to def and targets[i].
	defRedirect   *redirectEntry
	redirects     []*redirectEntry
	caseSensitive bool
	ruleOf        []int32 // the path rule of each pattern, by its ordinal
	t             trie
	vals          []pathSlot
	// matches are the path rules' compiled Matches (nil where a rule has
	// none); nil when no rule has one, and then a lookup takes the first
	// pattern that matches the path.
	matches []*compiledMatch
	// all holds, per slot, every ordinal with its literal (a rule's pattern
	// may repeat one of an earlier rule with a Match); set with matches.
	all []pathSlotAll
}

// A pathSlot holds the least ordinals (places in listed order, over all
// path rules' patterns) of the patterns with one literal, or noRank.
type pathSlot struct {
	exact, prefix int32
}

// A pathSlotAll holds every ordinal of the patterns with one literal, in
// increasing order.
type pathSlotAll struct {
	exact, prefix []int32
}

// A pathPattern is a valid pattern of a path rule.
type pathPattern struct {
	rule   int32
	lit    string
	prefix bool
}

// newPathIndex compiles patterns, given in listed order. matches are the
// rules' compiled Matches, nil when no rule has one.
func newPathIndex(def Target, targets []Target, patterns []pathPattern, caseSensitive bool, matches []*compiledMatch) *pathIndex {
	x := &pathIndex{def: def, targets: targets, ruleOf: make([]int32, len(patterns)), caseSensitive: caseSensitive, matches: matches}
	at := make(map[string]int32)
	var keys []trieKey
	for ord, p := range patterns {
		x.ruleOf[ord] = p.rule
		key := p.lit
		if !caseSensitive {
			key = foldKey(key)
		}
		i, ok := at[key]
		if !ok {
			i = int32(len(x.vals))
			at[key] = i
			keys = append(keys, trieKey{key: key, val: i})
			x.vals = append(x.vals, pathSlot{exact: noRank, prefix: noRank})
			if matches != nil {
				x.all = append(x.all, pathSlotAll{})
			}
		}
		if p.prefix {
			x.vals[i].prefix = min(x.vals[i].prefix, int32(ord))
		} else {
			x.vals[i].exact = min(x.vals[i].exact, int32(ord))
		}
		if matches != nil {
			if p.prefix {
				x.all[i].prefix = append(x.all[i].prefix, int32(ord))
			} else {
				x.all[i].exact = append(x.all[i].exact, int32(ord))
			}
		}
	}
	x.t = newTrie(keys)
	return x
}

// advance feeds the rune of path at i to the trie (folded, unless the map
// is case-sensitive) and returns the index after it; ok is false when no
// pattern goes on that way.
func (x *pathIndex) advance(c *cursor, path string, i int) (next int, ok bool) {
	b := path[i]
	if b < utf8.RuneSelf {
		if !x.caseSensitive && 'a' <= b && b <= 'z' {
			b -= 'a' - 'A'
		}
		return i + 1, x.t.step(c, b)
	}
	r, w := utf8.DecodeRuneInString(path[i:])
	if x.caseSensitive {
		for j := i; j < i+w; j++ {
			if !x.t.step(c, path[j]) {
				return i + w, false
			}
		}
		return i + w, true
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], foldRune(r))
	for _, b := range buf[:n] {
		if !x.t.step(c, b) {
			return i + w, false
		}
	}
	return i + w, true
}

// lookup returns the path rule whose pattern comes first among those that
// match path, or -1 for none (the default), and the length of the prefix
// of path that the pattern matched literally (0 for the default). It does
// not look at the rules' Matches: see route.
func (x *pathIndex) lookup(path string) (rule, cut int) {
	best, end := noRank, 0
	var c cursor
	i := 0
	for i < len(path) {
		if b := path[i]; b < utf8.RuneSelf {
			// ASCII, inline: the common case.
			if !x.caseSensitive && 'a' <= b && b <= 'z' {
				b -= 'a' - 'A'
			}
			if !x.t.step(&c, b) {
				break
			}
			i++
		} else {
			next, ok := x.advance(&c, path, i)
			if !ok {
				break
			}
			i = next
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

// route returns the path rule that serves a request with path: the first,
// in listed order, with a pattern that matches path and a Match that req
// meets; or -1 for the default. cut is as for lookup.
func (x *pathIndex) route(path string, req *Request) (rule, cut int) {
	if x.matches == nil {
		return x.lookup(path)
	}
	// The candidates: every pattern that matches path, with how much of
	// it matched literally.
	type cand struct{ ord, cut int32 }
	var buf [16]cand
	cands := buf[:0]
	var c cursor
	i := 0
	for i < len(path) {
		next, ok := x.advance(&c, path, i)
		if !ok {
			break
		}
		i = next
		if v := x.t.val(c); v >= 0 {
			for _, o := range x.all[v].prefix {
				cands = append(cands, cand{o, int32(i)})
			}
		}
	}
	if i == len(path) {
		if v := x.t.val(c); v >= 0 {
			for _, o := range x.all[v].exact {
				cands = append(cands, cand{o, int32(i)})
			}
		}
	}
	// In listed order (insertion sort: the candidates are few).
	for j := 1; j < len(cands); j++ {
		for k := j; k > 0 && cands[k].ord < cands[k-1].ord; k-- {
			cands[k], cands[k-1] = cands[k-1], cands[k]
		}
	}
	for _, cd := range cands {
		r := x.ruleOf[cd.ord]
		if m := x.matches[r]; m == nil || m.holds(req) {
			return int(r), int(cd.cut)
		}
	}
	return -1, 0
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
