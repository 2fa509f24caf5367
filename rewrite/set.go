package rewrite

import (
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/e2etls/e2etls/internal/httpwire"
)

// A Set is a compiled [RuleSet]. It is immutable and safe for concurrent
// use. The methods of a nil *Set do nothing, so a gateway can keep one
// pointer per route and call it unconditionally.
type Set struct {
	name     string
	request  []*rule // rules with request header, URL or redirect actions, in order
	response []*rule // rules with response header actions, in order
	reroutes bool
}

// Name returns the name of the rule set s was compiled from.
func (s *Set) Name() string {
	if s == nil {
		return ""
	}
	return s.name
}

// Reroutes reports whether a rule of s may ask for a reroute. Azure allows
// such a set only on a path-based routing rule (re-evaluating the path map of
// a basic rule could only loop): the gateway refuses to attach it to a basic
// rule.
func (s *Set) Reroutes() bool { return s != nil && s.reroutes }

// HasRequestActions reports whether [Set.Request] can change anything, and
// HasResponseActions whether [Set.Response] can: a gateway may skip the
// preparation of an [Exchange] for a phase that has none.
func (s *Set) HasRequestActions() bool { return s != nil && len(s.request) > 0 }

// HasResponseActions reports whether [Set.Response] can change anything.
func (s *Set) HasResponseActions() bool { return s != nil && len(s.response) > 0 }

// A rule is a compiled Rule.
type rule struct {
	name       string
	conds      []cond
	slots      int // how many conditions keep their captures
	reqHeaders []headerAction
	hostAction *template // a set of the request's Host header
	url        *urlAction
	redirect   *redirectAction
	resp       []headerAction
}

// A cond is a compiled Condition.
type cond struct {
	src    source
	re     *regexp.Regexp
	negate bool
	slot   int // the capture slot, or -1 if no value refers to its groups
}

type headerAction struct {
	op      Op
	key     string // the canonical header name
	value   template
	matcher *regexp.Regexp
	negate  bool // of the matcher
	capture bool // the value refers to the matcher's groups
}

type urlAction struct {
	path    *template // nil: unchanged
	query   *template // nil: unchanged
	reroute bool
}

type redirectAction struct {
	status    int
	scheme    string
	host      string
	port      int
	path      *template
	dropQuery bool
}

// maxStackSlots is how many conditions of a rule keep their captures without
// a heap slice.
const maxStackSlots = 4

// Request applies s's request-phase rules to x: it rewrites x.RequestOut,
// x.Path and x.RawQuery, and reports what else the gateway must do. Call it
// before forwarding the request; it does nothing for a nil s. The rules' conditions
// read x.Vars, x.Request, x.Host, x.Path and x.RawQuery as they are when
// Request is called.
//
// A rule with a redirect that matches ends the evaluation: the rules after it
// do not run, and the result says where to redirect.
func (s *Set) Request(x *Exchange) Result {
	if s == nil {
		return Result{}
	}
	x.seenPath, x.seenQuery, x.seen = x.Path, x.RawQuery, true
	if len(s.request) == 0 {
		return Result{}
	}
	var res Result
	path, query := x.Path, x.RawQuery
	var stack [maxStackSlots]capture
	for _, r := range s.request {
		var caps []capture
		if r.slots > len(stack) {
			caps = make([]capture, r.slots)
		} else {
			caps = stack[:r.slots]
		}
		if !r.match(x, caps) {
			continue
		}
		if r.redirect != nil {
			res.RedirectStatus, res.Location = r.redirect.status, r.redirect.location(x, caps, path, query)
			return res
		}
		for i := range r.reqHeaders {
			r.reqHeaders[i].apply(x, x.RequestOut, caps)
		}
		if r.hostAction != nil {
			if h := sanitize(r.hostAction.render(x, caps, nil)); validHost(h) {
				res.Host = h
			}
		}
		if u := r.url; u != nil {
			if u.path != nil {
				path = cleanPath(u.path.render(x, caps, nil))
				res.URLChanged = true
			}
			if u.query != nil {
				query = escapeQuery(u.query.render(x, caps, nil))
				res.URLChanged = true
			}
			res.Reroute = res.Reroute || u.reroute
		}
	}
	x.Path, x.RawQuery = path, query
	return res
}

// Response applies s's response-phase rules to x: it rewrites
// x.ResponseOut. Call it with x.Status, x.Response and x.ResponseOut set,
// before relaying the response head; it does nothing for a nil s. A rule
// with request actions as well evaluates its conditions on the path and
// query that the last [Set.Request] call saw, so both phases of a rule agree
// even when the rule rewrote the URL.
func (s *Set) Response(x *Exchange) {
	if s == nil || len(s.response) == 0 {
		return
	}
	var stack [maxStackSlots]capture
	for _, r := range s.response {
		var caps []capture
		if r.slots > len(stack) {
			caps = make([]capture, r.slots)
		} else {
			caps = stack[:r.slots]
		}
		if !r.match(x, caps) {
			continue
		}
		for i := range r.resp {
			r.resp[i].apply(x, x.ResponseOut, caps)
		}
	}
}

// match reports whether every condition of r holds in x, filling caps with
// the captures that r's values use.
func (r *rule) match(x *Exchange, caps []capture) bool {
	for i := range r.conds {
		c := &r.conds[i]
		v, ok := x.read(c.src)
		if c.slot < 0 || !ok {
			if ok && c.re.MatchString(v) == c.negate || !ok && !c.negate {
				return false
			}
			continue
		}
		// Only a condition that is not negated keeps captures.
		idx := c.re.FindStringSubmatchIndex(v)
		if idx == nil {
			return false
		}
		caps[c.slot] = capture{val: v, idx: idx}
	}
	return true
}

// apply performs a on h (x.RequestOut or x.ResponseOut).
func (a *headerAction) apply(x *Exchange, h http.Header, caps []capture) {
	if h == nil {
		return // an Exchange without the map: nothing to rewrite
	}
	if a.matcher != nil {
		a.applyMatched(x, h, caps)
		return
	}
	switch a.op {
	case DeleteHeader:
		delete(h, a.key)
	case SetHeader:
		if a.value.static != nil {
			h[a.key] = a.value.static
			return
		}
		v := sanitize(a.value.render(x, caps, nil))
		if v == "" {
			delete(h, a.key)
			return
		}
		h[a.key] = []string{v}
	case AddHeader:
		vv := h[a.key]
		if a.value.static != nil {
			if len(vv) == 0 {
				h[a.key] = a.value.static
				return
			}
			h[a.key] = append(vv[:len(vv):len(vv)], a.value.static[0])
			return
		}
		v := sanitize(a.value.render(x, caps, nil))
		if v == "" {
			return
		}
		// The full slice expression makes append copy: the slice may be
		// shared with the client's header.
		h[a.key] = append(vv[:len(vv):len(vv)], v)
	}
}

// applyMatched performs a set or a delete on the values of the header that
// a's matcher selects, keeping the others.
func (a *headerAction) applyMatched(x *Exchange, h http.Header, caps []capture) {
	vv := h[a.key]
	selected := func(v string) (capture, bool) {
		if a.capture && !a.negate {
			idx := a.matcher.FindStringSubmatchIndex(v)
			return capture{val: v, idx: idx}, idx != nil
		}
		return capture{}, a.matcher.MatchString(v) != a.negate
	}
	any := false
	for _, v := range vv {
		if _, ok := selected(v); ok {
			any = true
			break
		}
	}
	if !any {
		return
	}
	out := make([]string, 0, len(vv))
	for _, v := range vv {
		m, ok := selected(v)
		if !ok {
			out = append(out, v)
			continue
		}
		if a.op == DeleteHeader {
			continue
		}
		if nv := sanitize(a.value.render(x, caps, &m)); nv != "" {
			out = append(out, nv)
		}
	}
	if len(out) == 0 {
		delete(h, a.key)
		return
	}
	h[a.key] = out
}

// sanitize makes v a valid header field value: leading and trailing
// whitespace is removed and every control character other than a tab (CR,
// LF and NUL among them) becomes a space, so that no value, whatever the
// variables it holds, can end a header line or smuggle a new one. It
// allocates only when v has such a character.
func sanitize(v string) string {
	v = strings.Trim(v, " \t")
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			b := []byte(v)
			for j := i; j < len(b); j++ {
				if c := b[j]; c < ' ' && c != '\t' || c == 0x7f {
					b[j] = ' '
				}
			}
			return strings.Trim(string(b), " \t")
		}
	}
	return v
}

// cleanPath makes a rendered path absolute and resolves its dot segments
// as the gateway cleans the paths it routes (httpwire.CleanPath).
func cleanPath(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return httpwire.CleanPath(p)
}

// escapeQuery percent-encodes the bytes of a rendered query that cannot
// appear in one: controls, space, '"', '#', '<', '>', '\\', '^', '`', '{',
// '|', '}', non-ASCII bytes, and a '%' that does not begin an escape. What
// may appear ('&', '=', '+', escapes) is kept, so a template can build a
// query of several parameters. It allocates only when it must encode.
func escapeQuery(q string) string {
	bad := func(i int) bool {
		switch c := q[i]; {
		case c <= ' ' || c >= 0x7f:
			return true
		case c == '"' || c == '#' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}':
			return true
		case c == '%':
			return i+2 >= len(q) || !ishex(q[i+1]) || !ishex(q[i+2])
		}
		return false
	}
	first := -1
	for i := 0; i < len(q); i++ {
		if bad(i) {
			first = i
			break
		}
	}
	if first < 0 {
		return q
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(q) + 8)
	b.WriteString(q[:first])
	for i := first; i < len(q); i++ {
		if bad(i) {
			b.WriteByte('%')
			b.WriteByte(hex[q[i]>>4])
			b.WriteByte(hex[q[i]&15])
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// location builds a redirect's Location for x, whose path and query (as
// the rules before rewrote them) are path and query.
func (r *redirectAction) location(x *Exchange, caps []capture, path, query string) string {
	scheme := r.scheme
	if scheme == "" {
		scheme = "http"
		if v, ok := x.read(source{kind: srcVar, v: RequestScheme}); ok && v != "" {
			scheme = v
		}
	}
	host := r.host
	if host == "" {
		host, _ = x.read(source{kind: srcVar, v: Host})
	}
	port := r.port
	if port == 0 && r.scheme == "" {
		if v, ok := x.read(source{kind: srcVar, v: ServerPort}); ok {
			port, _ = strconv.Atoi(v)
		}
	}
	if scheme == "http" && port == 80 || scheme == "https" && port == 443 {
		port = 0
	}
	if r.path != nil {
		path = cleanPath(r.path.render(x, caps, nil))
	}
	u := url.URL{Scheme: scheme, Host: host, Path: path}
	if port != 0 {
		u.Host = net.JoinHostPort(host, strconv.Itoa(port))
	} else if strings.Contains(host, ":") {
		u.Host = "[" + host + "]" // an IPv6 literal
	}
	if !r.dropQuery {
		u.RawQuery = query
	}
	return u.String()
}
