package routing

import (
	"slices"
	"strings"
)

// A trie is an immutable radix tree over byte strings, stored flat so that a
// lookup touches few cache lines and the garbage collector few pointers. A
// lookup walks it one byte at a time with a cursor, so its cost depends on
// the length of the input, never on the number of keys.
type trie struct {
	nodes []trieNode
	kids  []int32
}

type trieNode struct {
	label string // the bytes on the edge into this node; the root's may be empty
	first string // the first byte of each child's label, ascending
	kids  int32  // the children are trie.kids[kids : kids+len(first)]
	val   int32  // the payload of the key that ends here, or -1
}

// A trieKey is a key and its payload.
type trieKey struct {
	key string
	val int32
}

// newTrie builds a trie from keys, which must be distinct.
func newTrie(keys []trieKey) trie {
	keys = slices.Clone(keys)
	slices.SortFunc(keys, func(a, b trieKey) int { return strings.Compare(a.key, b.key) })
	var t trie
	if len(keys) == 0 {
		t.nodes = []trieNode{{val: -1}}
		return t
	}
	t.build(keys, 0)
	return t
}

// build adds the node for keys, which are sorted and share their first start
// bytes, and returns its index.
func (t *trie) build(keys []trieKey, start int) int32 {
	first, last := keys[0].key, keys[len(keys)-1].key
	d := start
	for d < len(first) && d < len(last) && first[d] == last[d] {
		d++
	}
	id := int32(len(t.nodes))
	t.nodes = append(t.nodes, trieNode{label: first[start:d], val: -1})
	if len(first) == d {
		t.nodes[id].val = keys[0].val
		keys = keys[1:]
	}
	var firsts []byte
	var kids []int32
	for len(keys) > 0 {
		c := keys[0].key[d]
		n := 1
		for n < len(keys) && keys[n].key[d] == c {
			n++
		}
		firsts = append(firsts, c)
		kids = append(kids, t.build(keys[:n], d))
		keys = keys[n:]
	}
	t.nodes[id].first = string(firsts)
	t.nodes[id].kids = int32(len(t.kids))
	t.kids = append(t.kids, kids...)
	return id
}

// A cursor is a position in a trie: a node and how many bytes of its label
// have been consumed. The zero cursor is at the start of the root's label.
type cursor struct {
	node int32
	off  int
}

// step advances c by the byte b and reports whether some key continues so.
func (t *trie) step(c *cursor, b byte) bool {
	n := &t.nodes[c.node]
	if c.off < len(n.label) {
		if n.label[c.off] != b {
			return false
		}
		c.off++
		return true
	}
	i := strings.IndexByte(n.first, b)
	if i < 0 {
		return false
	}
	c.node = t.kids[int(n.kids)+i]
	c.off = 1
	return true
}

// val returns the payload of the key that ends at c, or -1.
func (t *trie) val(c cursor) int32 {
	n := &t.nodes[c.node]
	if c.off != len(n.label) {
		return -1
	}
	return n.val
}
