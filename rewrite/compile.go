package rewrite

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// Azure's limits that this package enforces.
const maxSequence = 1000

// Compile validates the rule sets and compiles each into a [Set], keyed by
// the set's name. It reports every problem it finds, joined with
// [errors.Join]; each is an [*Error] that says where the problem is, such as
//
//	rewrite: ruleSet "x": rule "y": condition 1: pattern "(": error parsing regexp: missing closing ): `(`
//	rewrite: ruleSet "x": rule "z": request header "Content-Length": cannot be rewritten: it frames the message
//
// Every regular expression is compiled here, once; evaluation compiles
// nothing.
func Compile(sets []RuleSet) (map[string]*Set, error) {
	c := &compiler{}
	out := make(map[string]*Set, len(sets))
	first := make(map[string]int, len(sets))
	for i := range sets {
		rs := &sets[i]
		where := fmt.Sprintf("ruleSet %q", rs.Name)
		switch j, dup := first[rs.Name]; {
		case rs.Name == "":
			where = fmt.Sprintf("ruleSet[%d]", i)
			c.fail(where, errors.New("name is required"))
		case dup:
			where = fmt.Sprintf("ruleSet[%d]", i)
			c.fail(where, fmt.Errorf("name %q is also ruleSet[%d]'s", rs.Name, j))
		default:
			first[rs.Name] = i
		}
		if s := c.set(where, rs); s != nil && rs.Name != "" {
			if _, taken := out[rs.Name]; !taken {
				out[rs.Name] = s
			}
		}
	}
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	return out, nil
}

type compiler struct {
	errs []error
}

func (c *compiler) fail(where string, err error) {
	c.errs = append(c.errs, &Error{Where: where, Err: err})
}

func (c *compiler) set(where string, rs *RuleSet) *Set {
	s := &Set{name: rs.Name}
	names := make(map[string]int, len(rs.Rules))
	type entry struct {
		seq int
		r   *rule
	}
	var entries []entry
	unconditionalReroutes := 0
	for j := range rs.Rules {
		rl := &rs.Rules[j]
		rw := fmt.Sprintf("%s: rule %q", where, rl.Name)
		switch k, dup := names[rl.Name]; {
		case rl.Name == "":
			rw = fmt.Sprintf("%s: rule[%d]", where, j)
			c.fail(rw, errors.New("name is required"))
		case dup:
			rw = fmt.Sprintf("%s: rule[%d]", where, j)
			c.fail(rw, fmt.Errorf("name %q is also rule[%d]'s", rl.Name, k))
		default:
			names[rl.Name] = j
		}
		if rl.Sequence < 0 || rl.Sequence > maxSequence {
			c.fail(rw, fmt.Errorf("sequence %d is not in 1-%d", rl.Sequence, maxSequence))
		}
		r := c.rule(rw, rl)
		if r == nil {
			continue
		}
		seq := rl.Sequence
		if seq == 0 {
			seq = maxSequence + 1
		}
		entries = append(entries, entry{seq, r})
		if r.url != nil && r.url.reroute {
			s.reroutes = true
			if len(r.conds) == 0 {
				unconditionalReroutes++
			}
		}
	}
	if n := len(rs.Rules); n > 0 && unconditionalReroutes == n {
		c.fail(where, errors.New("every rule reroutes without a condition, so the path map would be evaluated again forever "+
			"(Azure requires a condition or a rule without reroute)"))
	}
	slices.SortStableFunc(entries, func(a, b entry) int { return cmp.Compare(a.seq, b.seq) })
	for _, e := range entries {
		if len(e.r.reqHeaders) > 0 || e.r.hostAction != nil || e.r.url != nil || e.r.redirect != nil {
			s.request = append(s.request, e.r)
		}
		if len(e.r.resp) > 0 {
			s.response = append(s.response, e.r)
		}
	}
	return s
}

// ruleCtx is what the values of a rule may refer to.
type ruleCtx struct {
	conds []cond
	used  []bool // a value refers to the condition's groups
	// request is set while compiling a request-phase value, which may not
	// read the response.
	request bool
	// matcher is the ValueMatcher of the action whose value is compiled,
	// and matcherSrc the source naming it (the action's own header).
	matcher    *regexp.Regexp
	negated    bool
	matcherSrc source
	usesMatch  bool
	// incomplete is set when a condition failed to compile: references
	// that might have named it are then not reported.
	incomplete bool
}

func (c *compiler) rule(where string, rl *Rule) *rule {
	ok := true
	fail := func(w string, err error) {
		c.fail(w, err)
		ok = false
	}
	r := &rule{name: rl.Name}
	a := &rl.Actions
	requestActions := len(a.RequestHeaders) > 0 || a.URL != nil || a.Redirect != nil
	if !requestActions && len(a.ResponseHeaders) == 0 {
		fail(where, errors.New("no action: a rule needs a request header, response header, URL or redirect action"))
	}
	if a.Redirect != nil && (len(a.RequestHeaders) > 0 || a.URL != nil) {
		fail(where, errors.New("a redirect cannot be combined with request header or URL actions: the request is not forwarded"))
	}

	ctx := &ruleCtx{}
	for k := range rl.Conditions {
		cd := &rl.Conditions[k]
		cw := fmt.Sprintf("%s: condition %d", where, k+1)
		src, err := parseSource(cd.Variable)
		if cd.Variable == "" {
			err = errors.New("variable is required")
		}
		if err != nil {
			fail(cw, err)
			ctx.incomplete = true
			ctx.conds = append(ctx.conds, cond{slot: -1}) // keeps the numbering
			continue
		}
		if src.response() && requestActions {
			fail(cw, fmt.Errorf("%s is part of the response, but the rule has request actions, which run before there is one", src))
		}
		re, err := compilePattern(cd.Pattern, cd.IgnoreCase)
		if err != nil {
			fail(cw, err)
			// Kept, without a pattern, so that the values referring to
			// it are still checked.
			ctx.incomplete = true
		}
		ctx.conds = append(ctx.conds, cond{src: src, re: re, negate: cd.Negate, slot: -1})
	}
	ctx.used = make([]bool, len(ctx.conds))

	ctx.request = true
	for i := range a.RequestHeaders {
		h := &a.RequestHeaders[i]
		hw := headerWhere(where, "request header", i, h.Name)
		act, host, good := c.headerAction(hw, h, true, ctx)
		if !good {
			ok = false
			continue
		}
		if host != nil {
			r.hostAction = host
			continue
		}
		r.reqHeaders = append(r.reqHeaders, act)
	}
	if u := a.URL; u != nil {
		uw := where + ": url"
		ua := &urlAction{reroute: u.Reroute}
		if u.ModifiedPath == "" && u.ModifiedQueryString == nil {
			fail(uw, errors.New("modifiedPath and modifiedQueryString are both empty: the action changes nothing"))
		}
		if u.Reroute && u.ModifiedPath == "" {
			fail(uw, errors.New("reroute without modifiedPath would evaluate the path map again on the same path"))
		}
		if u.ModifiedPath != "" {
			t, good := c.template(uw+": modifiedPath", u.ModifiedPath, ctx)
			ok = ok && good
			ua.path = &t
		}
		if u.ModifiedQueryString != nil {
			t, good := c.template(uw+": modifiedQueryString", *u.ModifiedQueryString, ctx)
			ok = ok && good
			ua.query = &t
		}
		r.url = ua
	}
	if rd := a.Redirect; rd != nil {
		ra, good := c.redirect(where+": redirect", rd, ctx)
		ok = ok && good
		r.redirect = ra
	}

	ctx.request = false
	for i := range a.ResponseHeaders {
		h := &a.ResponseHeaders[i]
		hw := headerWhere(where, "response header", i, h.Name)
		act, _, good := c.headerAction(hw, h, false, ctx)
		if !good {
			ok = false
			continue
		}
		r.resp = append(r.resp, act)
	}
	if !ok {
		return nil
	}

	// Conditions whose groups a value uses keep their captures; number
	// them, and point the parts at their slots.
	slotOf := make([]int, len(ctx.conds))
	for k := range ctx.conds {
		slotOf[k] = -1
		if ctx.used[k] {
			slotOf[k] = r.slots
			ctx.conds[k].slot = r.slots
			r.slots++
		}
	}
	renumber := func(t *template) {
		if t == nil {
			return
		}
		for i := range t.parts {
			if t.parts[i].kind == partCapture {
				t.parts[i].slot = slotOf[t.parts[i].slot]
			}
		}
	}
	for i := range r.reqHeaders {
		renumber(&r.reqHeaders[i].value)
	}
	for i := range r.resp {
		renumber(&r.resp[i].value)
	}
	renumber(r.hostAction)
	if r.url != nil {
		renumber(r.url.path)
		renumber(r.url.query)
	}
	if r.redirect != nil {
		renumber(r.redirect.path)
	}
	r.conds = ctx.conds
	return r
}

func headerWhere(where, kind string, i int, name string) string {
	if name == "" {
		return fmt.Sprintf("%s: %s[%d]", where, kind, i)
	}
	return fmt.Sprintf("%s: %s %q", where, kind, name)
}

// compilePattern compiles a condition's or matcher's pattern, explaining
// the PCRE constructs that RE2 lacks.
func compilePattern(pattern string, ignoreCase bool) (*regexp.Regexp, error) {
	if pattern == "" {
		return nil, errors.New(`pattern is required (".*" tests that the variable has a value)`)
	}
	expr := pattern
	if ignoreCase {
		expr = "(?i)" + pattern
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		msg := fmt.Sprintf("pattern %q: %v", pattern, err)
		for _, p := range []string{"(?=", "(?!", "(?<=", "(?<!", "(?>", `\1`, `\2`, "*+", "++", "?+"} {
			if strings.Contains(pattern, p) {
				msg += " (patterns are RE2: no lookahead, lookbehind, atomic groups, possessive quantifiers or backreferences)"
				break
			}
		}
		return nil, errors.New(msg)
	}
	return re, nil
}

// protectedHeader says why the header key (canonical) cannot be rewritten,
// or returns "" if it can. X-Forwarded-For and Host have their own rules.
func protectedHeader(key string, request bool) string {
	switch key {
	case "Connection", "Keep-Alive", "Te", "Trailer", "Transfer-Encoding", "Upgrade":
		return "a hop-by-hop header, which the gateway manages for each connection"
	case "Content-Length":
		return "it frames the message"
	}
	if strings.HasPrefix(key, "Proxy-") {
		return "a hop-by-hop header, which the gateway manages for each connection"
	}
	if request {
		switch key {
		case "X-Forwarded-Proto", "X-Forwarded-Port", "X-Original-Host":
			return "the gateway sets it"
		case "X-Forwarded-Client-Cert":
			return "the gateway's client certificate forwarding owns it"
		}
	}
	return ""
}

// The only values X-Forwarded-For may be set to: the gateway's own list
// without ports, or the client's address alone.
const (
	xffProxy    = "{var_add_x_forwarded_for_proxy}"
	xffClientIP = "{var_client_ip}"
)

// headerAction compiles h. For a set of the request's Host header it returns
// the value's template as host instead.
func (c *compiler) headerAction(where string, h *HeaderAction, request bool, ctx *ruleCtx) (act headerAction, host *template, ok bool) {
	ok = true
	fail := func(err error) {
		c.fail(where, err)
		ok = false
	}
	switch {
	case h.Name == "":
		fail(errors.New("name is required"))
		return act, nil, false
	case !validHeaderName(h.Name):
		fail(errors.New("not a valid header name"))
		return act, nil, false
	}
	key := canonicalHeader(h.Name)
	act = headerAction{op: h.Op, key: key}
	if h.Op > DeleteHeader {
		fail(fmt.Errorf("unknown operation %v", h.Op))
	}
	if why := protectedHeader(key, request); why != "" {
		fail(fmt.Errorf("cannot be rewritten: %s", why))
	} else if alias := canonicalHeader(strings.ReplaceAll(h.Name, "_", "-")); alias != key &&
		(protectedHeader(alias, request) != "" || request && (alias == "Host" || alias == "X-Forwarded-For")) {
		// CGI-style backends read "X_Forwarded_For" as X-Forwarded-For.
		fail(fmt.Errorf("cannot be rewritten: backends that read '_' as '-' take it for %s, which a rule cannot write", alias))
	}
	if request && key == "Host" {
		switch {
		case h.Op != SetHeader || h.Value == "":
			fail(errors.New("the Host header can only be set to a value, never deleted or added to (as in Azure)"))
		case h.ValueMatcher != nil:
			fail(errors.New("the Host header has one value: a value matcher does not apply"))
		}
	}
	if request && key == "X-Forwarded-For" && (h.Op != SetHeader || h.ValueMatcher != nil || h.Value != xffProxy && h.Value != xffClientIP) {
		fail(fmt.Errorf("the gateway sets X-Forwarded-For; a rule may only set it to %s (the list without ports) or %s", xffProxy, xffClientIP))
	}
	if h.Op == DeleteHeader && h.Value != "" {
		fail(errors.New("a delete has no value"))
	}
	if h.ValueMatcher != nil {
		if h.Op == AddHeader {
			fail(errors.New("a value matcher selects values to set or delete; it does not apply to add"))
		}
		re, err := compilePattern(h.ValueMatcher.Pattern, h.ValueMatcher.IgnoreCase)
		if err != nil {
			fail(fmt.Errorf("value matcher: %w", err))
		} else {
			act.matcher, act.negate = re, h.ValueMatcher.Negate
		}
	}
	if !ok {
		return act, nil, false
	}
	if h.Op != DeleteHeader {
		ctx.matcher, ctx.negated, ctx.usesMatch = act.matcher, act.negate, false
		kind := srcRespHeader
		if request {
			kind = srcReqHeader
		}
		ctx.matcherSrc = source{kind: kind, name: key}
		t, good := c.template(where, h.Value, ctx)
		act.capture = ctx.usesMatch
		ctx.matcher = nil
		if !good {
			return act, nil, false
		}
		act.value = t
	}
	if act.op == SetHeader && h.Value == "" && act.matcher == nil {
		act.op = DeleteHeader // Azure's delete
	}
	if request && key == "Host" {
		if act.value.isStatic() && !validHost(act.value.staticText()) {
			c.fail(where, fmt.Errorf("%q is not a valid host[:port]", act.value.staticText()))
			return act, nil, false
		}
		return act, &act.value, true
	}
	return act, nil, true
}

func validHeaderName(name string) bool { return validCookieName(name) }

// validHost reports whether h is a valid Host header value: host[:port].
func validHost(h string) bool { return h != "" && httpguts.ValidHostHeader(h) }

// template compiles a value, resolving its references against ctx.
func (c *compiler) template(where, value string, ctx *ruleCtx) (template, bool) {
	toks, err := tokenize(value)
	if err != nil {
		c.fail(where, err)
		return template{}, false
	}
	var t template
	ok := true
	for _, tk := range toks {
		if !tk.ref {
			if i := strings.IndexFunc(tk.text, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }); i >= 0 {
				c.fail(where, fmt.Errorf("control character %q in the value", tk.text[i]))
				ok = false
				continue
			}
			t.parts = append(t.parts, part{kind: partLit, lit: tk.text})
			continue
		}
		p, err := ctx.resolve(tk.text)
		if err != nil {
			c.fail(where, fmt.Errorf("{%s}: %w", tk.text, err))
			ok = false
			continue
		}
		t.parts = append(t.parts, p)
	}
	if len(t.parts) == 1 && t.parts[0].kind == partLit {
		if lit := strings.Trim(t.parts[0].lit, " \t"); lit != "" {
			t.parts[0].lit = lit
			t.static = []string{lit}
		} else {
			t.parts = nil
		}
	}
	return t, ok
}

// resolve compiles the reference {name}.
func (ctx *ruleCtx) resolve(name string) (part, error) {
	if base, n, isGroup := splitGroup(name); isGroup {
		if src, err := parseSource(base); err == nil {
			// The action's own value matcher first, then the rule's
			// conditions in order.
			if ctx.matcher != nil && src == ctx.matcherSrc {
				if ctx.negated {
					return part{}, errors.New("the value matcher is negated and captures nothing")
				}
				if n > ctx.matcher.NumSubexp() {
					return part{}, fmt.Errorf("the value matcher has %d groups", ctx.matcher.NumSubexp())
				}
				ctx.usesMatch = true
				return part{kind: partMatcher, group: n}, nil
			}
			negated := -1
			for k := range ctx.conds {
				cd := &ctx.conds[k]
				if cd.src != src {
					continue
				}
				if cd.negate {
					negated = k
					continue
				}
				if cd.re == nil {
					return part{kind: partCapture, slot: k, group: n}, nil
				}
				if n > cd.re.NumSubexp() {
					return part{}, fmt.Errorf("condition %d has %d groups", k+1, cd.re.NumSubexp())
				}
				if ctx.request && src.response() {
					return part{}, errors.New("a request action cannot read the response")
				}
				ctx.used[k] = true
				return part{kind: partCapture, slot: k, group: n}, nil
			}
			if negated >= 0 {
				return part{}, fmt.Errorf("condition %d is negated and captures nothing", negated+1)
			}
			// A cookie's name may end in _N; any other reference ending
			// in _N is meant as a group.
			if src.kind != srcCookie && !ctx.incomplete {
				return part{}, fmt.Errorf("no condition of the rule reads %s, whose group %d this would be", base, n)
			}
		}
	}
	src, err := parseSource(name)
	if err != nil {
		return part{}, err
	}
	if ctx.request && src.response() {
		return part{}, fmt.Errorf("%s is part of the response, which a request action cannot read", src)
	}
	return part{kind: partSource, src: src}, nil
}

// splitGroup splits "base_N", N a group number from 1, into base and N.
func splitGroup(name string) (base string, n int, ok bool) {
	i := strings.LastIndexByte(name, '_')
	if i <= 0 || i == len(name)-1 {
		return "", 0, false
	}
	digits := name[i+1:]
	for j := 0; j < len(digits); j++ {
		if digits[j] < '0' || digits[j] > '9' {
			return "", 0, false
		}
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 1 || len(digits) > 3 {
		return "", 0, false
	}
	return name[:i], n, true
}

func (c *compiler) redirect(where string, rd *RedirectAction, ctx *ruleCtx) (*redirectAction, bool) {
	ok := true
	fail := func(err error) {
		c.fail(where, err)
		ok = false
	}
	ra := &redirectAction{status: rd.Status, scheme: rd.Scheme, host: rd.Host, port: rd.Port, dropQuery: rd.DropQuery}
	switch rd.Status {
	case 0:
		ra.status = 302
	case 301, 302, 303, 307, 308:
	default:
		fail(fmt.Errorf("status %d is not 301, 302, 303, 307 or 308", rd.Status))
	}
	switch rd.Scheme {
	case "", "http", "https":
	default:
		fail(fmt.Errorf("scheme %q is not http or https", rd.Scheme))
	}
	if rd.Host != "" && !validRedirectHost(rd.Host) {
		fail(fmt.Errorf("host %q is not a host name or IP address (without a port)", rd.Host))
	}
	if rd.Port < 0 || rd.Port > 65535 {
		fail(fmt.Errorf("port %d is not in 1-65535", rd.Port))
	}
	if rd.Scheme != "" && rd.Port == 0 {
		ra.port = 80
		if rd.Scheme == "https" {
			ra.port = 443
		}
	}
	if rd.Path != "" {
		t, good := c.template(where+": path", rd.Path, ctx)
		ok = ok && good
		ra.path = &t
	}
	return ra, ok
}

// validRedirectHost reports whether h is an IP address or a DNS name made of
// letters, digits, '-', '_' and non-empty dot-separated labels.
func validRedirectHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return len(h) <= 253
}
