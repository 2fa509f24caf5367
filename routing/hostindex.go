package routing

import (
	"cmp"
	"math"
	"slices"
)

// noRank is the rank of nothing: greater than every real rank.
const noRank = int32(math.MaxInt32)

// A hostIndex finds, among the host name patterns of the listeners on one
// port, the one with the least rank (its rule's place in evaluation order)
// that matches a normalised host. Its cost depends on the host's length, not
// on the number of patterns:
//
//   - names without wildcards are keys of a map;
//   - a pattern that ends with a literal, such as "*.contoso.com" or
//     "w??.contoso.com", is filed under that literal suffix in a trie of
//     reversed suffixes, which one backward walk over the host visits;
//   - a pattern that ends with a wildcard but begins with a literal, such as
//     "www.contoso.*", is filed under that prefix in a trie of prefixes;
//   - the rest, which begin and end with wildcards ("*.contoso.*"), are
//     scanned in rank order.
//
// Where the literal is all a pattern has besides one '*' ("*.contoso.com",
// "www.contoso.*"), reaching the literal is the match; other patterns filed
// under a literal are checked in full, in rank order, and the scan stops at
// the first rank no better than the best match so far.
type hostIndex struct {
	exact  map[string]int32
	suffix trie // keys are reversed literal suffixes
	sufSet []wildSet
	prefix trie
	preSet []wildSet
	rest   []wildPattern // by rank
}

// A wildSet is what a hostIndex files under one literal.
type wildSet struct {
	star int32         // the least rank of the patterns that are '*' plus the literal (or the literal plus '*'), or noRank
	pats []wildPattern // the other patterns, by rank
}

type wildPattern struct {
	glob string
	rank int32
}

// A hostEntry is a normalised pattern and the rank of its listener.
type hostEntry struct {
	pattern string
	rank    int32
}

func newHostIndex(entries []hostEntry) hostIndex {
	x := hostIndex{exact: make(map[string]int32)}
	var sufKeys, preKeys []trieKey
	sufAt, preAt := make(map[string]int32), make(map[string]int32)
	file := func(keys *[]trieKey, sets *[]wildSet, at map[string]int32, key string, star bool, e hostEntry) {
		i, ok := at[key]
		if !ok {
			i = int32(len(*sets))
			at[key] = i
			*keys = append(*keys, trieKey{key: key, val: i})
			*sets = append(*sets, wildSet{star: noRank})
		}
		s := &(*sets)[i]
		if star {
			s.star = min(s.star, e.rank)
		} else {
			s.pats = append(s.pats, wildPattern{glob: e.pattern, rank: e.rank})
		}
	}
	for _, e := range entries {
		p := e.pattern
		first, last := indexWildcard(p), lastIndexWildcard(p)
		switch {
		case first < 0:
			if r, ok := x.exact[p]; !ok || e.rank < r {
				x.exact[p] = e.rank
			}
		case last < len(p)-1:
			lit := p[last+1:]
			file(&sufKeys, &x.sufSet, sufAt, reverse(lit), p == "*"+lit, e)
		case first > 0:
			lit := p[:first]
			file(&preKeys, &x.preSet, preAt, lit, p == lit+"*", e)
		default:
			x.rest = append(x.rest, wildPattern{glob: p, rank: e.rank})
		}
	}
	x.suffix = newTrie(sufKeys)
	x.prefix = newTrie(preKeys)
	for _, sets := range [][]wildSet{x.sufSet, x.preSet, {{pats: x.rest}}} {
		for _, s := range sets {
			sortByRank(s.pats)
		}
	}
	return x
}

func sortByRank(ps []wildPattern) {
	slices.SortFunc(ps, func(a, b wildPattern) int { return cmp.Compare(a.rank, b.rank) })
}

// exactRank returns the rank of the pattern without wildcards equal to h, or
// noRank.
func (x *hostIndex) exactRank(h []byte) int32 {
	if r, ok := x.exact[string(h)]; ok {
		return r
	}
	return noRank
}

// wildRank returns the least of best and the ranks of the wildcard patterns
// that match h.
func (x *hostIndex) wildRank(h []byte, best int32) int32 {
	if len(x.sufSet) > 0 {
		var c cursor
		for i := len(h) - 1; i >= 0 && x.suffix.step(&c, h[i]); i-- {
			if v := x.suffix.val(c); v >= 0 {
				best = x.sufSet[v].match(h, best)
			}
		}
	}
	if len(x.preSet) > 0 {
		var c cursor
		for i := 0; i < len(h) && x.prefix.step(&c, h[i]); i++ {
			if v := x.prefix.val(c); v >= 0 {
				best = x.preSet[v].match(h, best)
			}
		}
	}
	for _, p := range x.rest {
		if p.rank >= best {
			break
		}
		if matchGlob(p.glob, h) {
			return p.rank
		}
	}
	return best
}

// rank returns the least of best and the ranks of all patterns that match h.
func (x *hostIndex) rank(h []byte, best int32) int32 {
	return x.wildRank(h, min(best, x.exactRank(h)))
}

// match returns the least of best, s.star and the ranks of the patterns in s
// that match h; the caller has established that h holds s's literal where
// s's '*' patterns need it.
func (s *wildSet) match(h []byte, best int32) int32 {
	best = min(best, s.star)
	for _, p := range s.pats {
		if p.rank >= best {
			break
		}
		if matchGlob(p.glob, h) {
			return p.rank
		}
	}
	return best
}

func indexWildcard(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '*' || s[i] == '?' {
			return i
		}
	}
	return -1
}

func lastIndexWildcard(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '*' || s[i] == '?' {
			return i
		}
	}
	return -1
}

func reverse(s string) string {
	b := make([]byte, len(s))
	for i := range len(s) {
		b[len(s)-1-i] = s[i]
	}
	return string(b)
}
