package rewrite

import (
	"fmt"
	"strings"
)

// A token is one piece of a value as written: literal text, or the name
// between braces of a reference.
type token struct {
	text string
	ref  bool
}

// maxTemplateLen bounds a value's length, so that a configuration cannot make
// each request render megabytes. Azure's limit on header values is far
// lower; 32 KiB is its limit on a whole request header.
const maxTemplateLen = 32 << 10

// tokenize splits a value into literal text and references. "{name}" is a
// reference; "{{" and "}}" stand for literal braces, and a lone '}' is
// literal too. A '{' that opens no reference is an error, so that a mistyped
// reference is found at Compile instead of being sent as text. Adjacent
// literals are merged.
func tokenize(s string) ([]token, error) {
	if len(s) > maxTemplateLen {
		return nil, fmt.Errorf("%d bytes, more than %d", len(s), maxTemplateLen)
	}
	var toks []token
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, token{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '{' && i+1 < len(s) && s[i+1] == '{':
			lit.WriteByte('{')
			i += 2
		case c == '}' && i+1 < len(s) && s[i+1] == '}':
			lit.WriteByte('}')
			i += 2
		case c == '{':
			end := strings.IndexAny(s[i+1:], "{}")
			if end < 0 || s[i+1+end] == '{' {
				return nil, fmt.Errorf("'{' at byte %d opens no reference (write \"{{\" for a literal brace)", i)
			}
			name := s[i+1 : i+1+end]
			if name == "" {
				return nil, fmt.Errorf("empty reference \"{}\" at byte %d (write \"{{}}\" for literal braces)", i)
			}
			flush()
			toks = append(toks, token{text: name, ref: true})
			i += end + 2
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return toks, nil
}

// Literal returns s written as a value that renders to s itself: its braces
// doubled, so that no part of it is taken for a reference. Mappers of
// literal values, such as the Kubernetes Gateway API's header modifiers,
// pass their values through it.
func Literal(s string) string {
	if !strings.ContainsAny(s, "{}") {
		return s
	}
	return strings.NewReplacer("{", "{{", "}", "}}").Replace(s)
}

// partKind is what a template part renders.
type partKind uint8

const (
	partLit     partKind = iota // the literal text
	partSource                  // a source's whole value
	partCapture                 // a group of a condition's match
	partMatcher                 // a group of the action's ValueMatcher match
)

// A part is one compiled piece of a template.
type part struct {
	kind  partKind
	lit   string
	src   source
	slot  int // partCapture: the rule's capture slot
	group int // partCapture, partMatcher: the group number
}

// A template is a compiled value.
type template struct {
	parts []part
	// static, for a template of literal text only, is that text as a
	// one-value header field slice, shared by every request: rendering it
	// allocates nothing. Nil otherwise.
	static []string
}

// isStatic reports whether t renders the same text for every exchange.
func (t *template) isStatic() bool { return t.static != nil || len(t.parts) == 0 }

// staticText is the text of a template of literal text only.
func (t *template) staticText() string {
	if len(t.parts) == 0 {
		return ""
	}
	return t.parts[0].lit
}

// capture is one condition's or matcher's match, kept for the values that
// refer to its groups: the value matched and the submatch indexes
// (regexp.FindStringSubmatchIndex).
type capture struct {
	val string
	idx []int
}

// group returns group n of c, or "" if c did not capture it.
func (c *capture) group(n int) string {
	if 2*n+1 >= len(c.idx) || c.idx[2*n] < 0 {
		return ""
	}
	return c.val[c.idx[2*n]:c.idx[2*n+1]]
}

// maxStackParts is how many parts render without a heap slice for their
// pieces.
const maxStackParts = 8

// render returns t's text for x. caps are the rule's captures and m the
// action's ValueMatcher match (nil without one). A template of one part
// returns that part's string itself; literal text is never copied; longer
// templates allocate their result once.
func (t *template) render(x *Exchange, caps []capture, m *capture) string {
	switch len(t.parts) {
	case 0:
		return ""
	case 1:
		return t.parts[0].value(x, caps, m)
	}
	var stack [maxStackParts]string
	var pieces []string
	if len(t.parts) <= len(stack) {
		pieces = stack[:len(t.parts)]
	} else {
		pieces = make([]string, len(t.parts))
	}
	n := 0
	for i := range t.parts {
		pieces[i] = t.parts[i].value(x, caps, m)
		n += len(pieces[i])
	}
	var b strings.Builder
	b.Grow(n)
	for _, p := range pieces {
		b.WriteString(p)
	}
	return b.String()
}

func (p *part) value(x *Exchange, caps []capture, m *capture) string {
	switch p.kind {
	case partLit:
		return p.lit
	case partSource:
		v, _ := x.read(p.src)
		return v
	case partCapture:
		return caps[p.slot].group(p.group)
	case partMatcher:
		if m == nil {
			return ""
		}
		return m.group(p.group)
	}
	return ""
}
