package translate

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/e2etls/e2etls/rewrite"
	"github.com/e2etls/e2etls/routing"
)

// pathMatch is a path match gateway.Config can express.
type pathMatch struct {
	exact bool
	path  string // without a trailing slash for prefixes, except "/"
}

// patterns are the gateway.PathRule patterns of a match: a prefix matches
// whole path elements, so "/foo" matches "/foo" and "/foo/..." but not
// "/foobar".
func (m pathMatch) patterns() []string {
	switch {
	case m.exact:
		return []string{m.path}
	case m.path == "/":
		return []string{"/*"}
	default:
		return []string{m.path, m.path + "/*"}
	}
}

// matchOut is one HTTPRouteMatch translated: its path, the conditions
// beyond the path, and the rule's filters as rewrite rules for requests it
// matches (a ReplacePrefixMatch depends on the match's prefix).
type matchOut struct {
	path     pathMatch
	cond     routing.Match
	rewrites []rewrite.Rule // nil: the rule has no filter
}

// ruleOut is one HTTPRoute rule translated, or the reason it cannot be.
type ruleOut struct {
	matches []matchOut
	// backends are the rule's backendRefs of positive weight; none (no
	// backendRef, or every weight zero) answers 500.
	backends    []weightedTarget
	unsupported string // non-empty: the rule is left out, this says why
}

// weightedTarget is one backendRef of a rule and its weight.
type weightedTarget struct {
	target backendTarget
	weight int32
}

// translateRule translates one rule. A rule that needs a feature
// gateway.Config lacks is left out whole, never translated as a broader
// rule; unsupported says which feature.
func (t *translator) translateRule(r *routeState, idx int, rule *gatewayv1.HTTPRouteRule) ruleOut {
	var out ruleOut
	where := fmt.Sprintf("rule %d", idx)
	if rule.Name != nil && *rule.Name != "" {
		where = fmt.Sprintf("rule %q", *rule.Name)
	}
	fail := func(format string, args ...any) ruleOut {
		return ruleOut{unsupported: where + ": " + fmt.Sprintf(format, args...)}
	}
	for i := range rule.Filters {
		if msg := filterSupported(&rule.Filters[i]); msg != "" {
			return fail("filter %d: %s", i, msg)
		}
	}
	if rule.Retry != nil {
		return fail("retry is not supported yet (the gateway retries idempotent requests on its own terms)")
	}
	aff, msg := sessionPersistence(rule.SessionPersistence)
	if msg != "" {
		return fail("%s", msg)
	}
	timeout, msg := timeouts(rule.Timeouts)
	if msg != "" {
		return fail("%s", msg)
	}
	matches := rule.Matches
	if len(matches) == 0 {
		matches = []gatewayv1.HTTPRouteMatch{{}}
	}
	for i := range matches {
		pm, cond, msg := match(&matches[i])
		if msg != "" {
			return fail("match %d: %s", i, msg)
		}
		rws, msg := filterRules(rule.Filters, pm)
		if msg != "" {
			return fail("%s", msg)
		}
		out.matches = append(out.matches, matchOut{path: pm, cond: cond, rewrites: rws})
	}
	backends, msg := t.backendRefs(r, rule.BackendRefs)
	if msg != "" {
		return fail("%s", msg)
	}
	for i := range backends {
		backends[i].target.timeout = timeout
		if !backends[i].target.unavailable {
			backends[i].target.affinity = aff
		}
	}
	out.backends = backends
	return out
}

// match translates one HTTPRouteMatch: the path, then the headers, query
// parameters and method.
func match(m *gatewayv1.HTTPRouteMatch) (pathMatch, routing.Match, string) {
	var cond routing.Match
	pm, msg := pathMatchOf(m.Path)
	if msg != "" {
		return pm, cond, msg
	}
	if cond.Headers, msg = headerMatches(m.Headers); msg != "" {
		return pm, cond, msg
	}
	if cond.QueryParams, msg = queryParamMatches(m.QueryParams); msg != "" {
		return pm, cond, msg
	}
	if m.Method != nil {
		cond.Method = string(*m.Method)
	}
	return pm, cond, ""
}

// pathMatchOf translates a path match. The default is PathPrefix "/".
func pathMatchOf(p *gatewayv1.HTTPPathMatch) (pathMatch, string) {
	typ, value := gatewayv1.PathMatchPathPrefix, "/"
	if p != nil {
		if p.Type != nil {
			typ = *p.Type
		}
		if p.Value != nil {
			value = *p.Value
		}
	}
	if strings.Contains(value, "*") {
		// A literal '*' in a Gateway API path would be a wildcard in a
		// gateway path pattern.
		return pathMatch{}, fmt.Sprintf("path %q: '*' cannot be matched literally", value)
	}
	switch typ {
	case gatewayv1.PathMatchExact:
		if err := routing.ValidatePathPattern(value); err != nil {
			return pathMatch{}, fmt.Sprintf("path %q: %v", value, err)
		}
		return pathMatch{exact: true, path: value}, ""
	case gatewayv1.PathMatchPathPrefix:
		if value != "/" {
			value = strings.TrimSuffix(value, "/")
		}
		if err := routing.ValidatePathPattern(value); err != nil {
			return pathMatch{}, fmt.Sprintf("path %q: %v", value, err)
		}
		return pathMatch{path: value}, ""
	default:
		return pathMatch{}, fmt.Sprintf("path match type %q is not supported", typ)
	}
}

// headerMatches translates header matches, Exact or RegularExpression (Go's
// RE2, anchored: the whole value must match). Of entries with equivalent
// names (which ignore case) only the first counts, as the specification
// says.
func headerMatches(hs []gatewayv1.HTTPHeaderMatch) ([]routing.HeaderMatch, string) {
	var out []routing.HeaderMatch
	seen := map[string]bool{}
	for _, h := range hs {
		name := strings.ToLower(string(h.Name))
		if seen[name] {
			continue
		}
		seen[name] = true
		hm := routing.HeaderMatch{Name: string(h.Name), Value: h.Value}
		typ := gatewayv1.HeaderMatchExact
		if h.Type != nil {
			typ = *h.Type
		}
		switch typ {
		case gatewayv1.HeaderMatchExact:
		case gatewayv1.HeaderMatchRegularExpression:
			if _, err := regexp.Compile(h.Value); err != nil {
				return nil, fmt.Sprintf("header %q: regular expression %q is not valid RE2 (Go's syntax): %v", h.Name, h.Value, err)
			}
			hm.Regexp = true
		default:
			return nil, fmt.Sprintf("header %q: match type %q is not supported", h.Name, typ)
		}
		out = append(out, hm)
	}
	return out, ""
}

// queryParamMatches translates query parameter matches as headerMatches
// does headers; names are case-sensitive, and a repeated parameter is
// matched by its first value.
func queryParamMatches(qs []gatewayv1.HTTPQueryParamMatch) ([]routing.QueryParamMatch, string) {
	var out []routing.QueryParamMatch
	seen := map[string]bool{}
	for _, q := range qs {
		name := string(q.Name)
		if seen[name] {
			continue
		}
		seen[name] = true
		qm := routing.QueryParamMatch{Name: name, Value: q.Value}
		typ := gatewayv1.QueryParamMatchExact
		if q.Type != nil {
			typ = *q.Type
		}
		switch typ {
		case gatewayv1.QueryParamMatchExact:
		case gatewayv1.QueryParamMatchRegularExpression:
			if _, err := regexp.Compile(q.Value); err != nil {
				return nil, fmt.Sprintf("query parameter %q: regular expression %q is not valid RE2 (Go's syntax): %v", q.Name, q.Value, err)
			}
			qm.Regexp = true
		default:
			return nil, fmt.Sprintf("query parameter %q: match type %q is not supported", q.Name, typ)
		}
		out = append(out, qm)
	}
	return out, ""
}

// filterSupported says why a filter cannot be translated, "" if it can.
func filterSupported(f *gatewayv1.HTTPRouteFilter) string {
	switch f.Type {
	case gatewayv1.HTTPRouteFilterRequestHeaderModifier:
		if f.RequestHeaderModifier == nil {
			return "RequestHeaderModifier without requestHeaderModifier"
		}
	case gatewayv1.HTTPRouteFilterResponseHeaderModifier:
		if f.ResponseHeaderModifier == nil {
			return "ResponseHeaderModifier without responseHeaderModifier"
		}
	case gatewayv1.HTTPRouteFilterRequestRedirect:
		if f.RequestRedirect == nil {
			return "RequestRedirect without requestRedirect"
		}
	case gatewayv1.HTTPRouteFilterURLRewrite:
		if f.URLRewrite == nil {
			return "URLRewrite without urlRewrite"
		}
	case gatewayv1.HTTPRouteFilterRequestMirror:
		return "filter RequestMirror is not supported yet"
	default:
		return fmt.Sprintf("filter %s is not supported", f.Type)
	}
	return ""
}

// filterRules translates a rule's filters, for the requests its match pm
// selects, into rewrite rules, one per filter in filter order (see package
// rewrite, "The Kubernetes Gateway API"). Nil means no filter. The rules
// are compiled here once, so that a header the gateway owns (such as
// X-Forwarded-Proto) leaves the rule out with its reason instead of
// failing the whole configuration.
func filterRules(fs []gatewayv1.HTTPRouteFilter, pm pathMatch) ([]rewrite.Rule, string) {
	var rules []rewrite.Rule
	for i := range fs {
		f := &fs[i]
		rule := rewrite.Rule{Name: fmt.Sprintf("filter %d (%s)", i, f.Type)}
		switch f.Type {
		case gatewayv1.HTTPRouteFilterRequestHeaderModifier:
			rule.Actions.RequestHeaders = headerActions(f.RequestHeaderModifier)
		case gatewayv1.HTTPRouteFilterResponseHeaderModifier:
			rule.Actions.ResponseHeaders = headerActions(f.ResponseHeaderModifier)
		case gatewayv1.HTTPRouteFilterRequestRedirect:
			rd := f.RequestRedirect
			act := &rewrite.RedirectAction{}
			if rd.Scheme != nil {
				act.Scheme = *rd.Scheme
			}
			if rd.Hostname != nil {
				act.Host = string(*rd.Hostname)
			}
			if rd.Port != nil {
				act.Port = int(*rd.Port)
			}
			if rd.StatusCode != nil {
				act.Status = *rd.StatusCode
			}
			if rd.Path != nil {
				cond, path, msg := pathModifier(rd.Path, pm)
				if msg != "" {
					return nil, fmt.Sprintf("filter %d: requestRedirect: %s", i, msg)
				}
				rule.Conditions, act.Path = cond, path
			}
			rule.Actions.Redirect = act
		case gatewayv1.HTTPRouteFilterURLRewrite:
			rw := f.URLRewrite
			if rw.Hostname != nil {
				// The Host header only: the SNI and the identity the
				// backend proves stay its BackendTLSPolicy's.
				rule.Actions.RequestHeaders = []rewrite.HeaderAction{{Name: "Host", Value: rewrite.Literal(string(*rw.Hostname))}}
			}
			if rw.Path != nil {
				cond, path, msg := pathModifier(rw.Path, pm)
				if msg != "" {
					return nil, fmt.Sprintf("filter %d: urlRewrite: %s", i, msg)
				}
				rule.Conditions = cond
				rule.Actions.URL = &rewrite.URLAction{ModifiedPath: path}
			}
		}
		a := &rule.Actions
		if a.RequestHeaders == nil && a.ResponseHeaders == nil && a.URL == nil && a.Redirect == nil {
			continue // an empty modifier changes nothing
		}
		rules = append(rules, rule)
	}
	if len(rules) == 0 {
		return nil, ""
	}
	if _, err := rewrite.Compile([]rewrite.RuleSet{{Name: "filters", Rules: rules}}); err != nil {
		msg := strings.ReplaceAll(err.Error(), "\n", "; ")
		return nil, "filters: " + strings.ReplaceAll(msg, `rewrite: rewriteRuleSet "filters": `, "")
	}
	return rules, ""
}

// headerActions are a header filter's set, add and remove, in that order.
// Values are literal: a '{' in a Gateway API value is not a reference.
func headerActions(h *gatewayv1.HTTPHeaderFilter) []rewrite.HeaderAction {
	var out []rewrite.HeaderAction
	for _, s := range h.Set {
		out = append(out, rewrite.HeaderAction{Name: string(s.Name), Value: rewrite.Literal(s.Value), Op: rewrite.SetHeader})
	}
	for _, a := range h.Add {
		out = append(out, rewrite.HeaderAction{Name: string(a.Name), Value: rewrite.Literal(a.Value), Op: rewrite.AddHeader})
	}
	for _, r := range h.Remove {
		out = append(out, rewrite.HeaderAction{Name: r, Op: rewrite.DeleteHeader})
	}
	return out
}

// pathModifier translates a redirect's or URL rewrite's path: a full
// replacement, or the replacement of the prefix the match selected, which
// needs a PathPrefix match.
func pathModifier(m *gatewayv1.HTTPPathModifier, pm pathMatch) ([]rewrite.Condition, string, string) {
	switch m.Type {
	case gatewayv1.FullPathHTTPPathModifier:
		if m.ReplaceFullPath == nil {
			return nil, "", "ReplaceFullPath without replaceFullPath"
		}
		return nil, rewrite.Literal(*m.ReplaceFullPath), ""
	case gatewayv1.PrefixMatchHTTPPathModifier:
		if m.ReplacePrefixMatch == nil {
			return nil, "", "ReplacePrefixMatch without replacePrefixMatch"
		}
		if pm.exact {
			return nil, "", "ReplacePrefixMatch needs a PathPrefix match, and this match is Exact"
		}
		cond, path := rewrite.ReplacePrefixMatch(pm.path, *m.ReplacePrefixMatch)
		return []rewrite.Condition{cond}, path, ""
	default:
		return nil, "", fmt.Sprintf("path modifier type %q is not supported", m.Type)
	}
}

// affinity is cookie-based session persistence: the gateway's affinity
// cookie, whose value is a keyed hash of the member (the key is shared by
// the replicas, so every replica honours it).
type affinity struct {
	cookie string // "" means the gateway's default name
}

// sessionPersistence translates a rule's sessionPersistence (experimental
// channel): a session cookie, optionally named, is the gateway's cookie
// affinity. Header-based persistence, timeouts and permanent cookies have
// no counterpart yet. Nil means none.
func sessionPersistence(sp *gatewayv1.SessionPersistence) (*affinity, string) {
	if sp == nil {
		return nil, ""
	}
	if sp.Type != nil && *sp.Type != gatewayv1.CookieBasedSessionPersistence {
		return nil, fmt.Sprintf("sessionPersistence type %q is not supported yet: only Cookie", *sp.Type)
	}
	if sp.AbsoluteTimeout != nil {
		return nil, "sessionPersistence absoluteTimeout is not supported yet"
	}
	if sp.CookieConfig != nil && sp.CookieConfig.LifetimeType != nil && *sp.CookieConfig.LifetimeType != gatewayv1.SessionCookieLifetimeType {
		return nil, fmt.Sprintf("sessionPersistence cookie lifetime %q is not supported yet: only Session", *sp.CookieConfig.LifetimeType)
	}
	a := &affinity{}
	if sp.SessionName != nil {
		a.cookie = *sp.SessionName
		if !validCookieName(a.cookie) {
			return nil, fmt.Sprintf("sessionName %q is not a valid cookie name", a.cookie)
		}
	}
	return a, ""
}

// validCookieName reports whether s is an RFC 6265 cookie name (a token).
func validCookieName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`()<>@,;:\"/[]?={}`, r) {
			return false
		}
	}
	return true
}

// maxTimeout is the longest request timeout gateway.Config takes; the
// specification's "0s" (no timeout) becomes it.
const maxTimeout = 86400 * time.Second

// timeouts maps a rule's timeouts onto BackendHTTPSetting.RequestTimeout,
// which bounds each attempt until the backend's response head: that is
// backendRequest when it is set, else request. Zero means the gateway's
// default (20 s). The gateway's range is 1 ms to 24 h: "0s" (none) becomes
// 24 h.
func timeouts(ts *gatewayv1.HTTPRouteTimeouts) (time.Duration, string) {
	if ts == nil {
		return 0, ""
	}
	pick := ts.Request
	if ts.BackendRequest != nil {
		pick = ts.BackendRequest
	}
	if pick == nil {
		return 0, ""
	}
	d, err := time.ParseDuration(string(*pick))
	if err != nil || d < 0 {
		return 0, fmt.Sprintf("timeout %q is not a valid duration", *pick)
	}
	if d == 0 || d > maxTimeout {
		d = maxTimeout
	}
	return max(d, time.Millisecond), ""
}
