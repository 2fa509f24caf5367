package translate

import (
	"fmt"
	"strings"
	"time"

	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

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

// ruleOut is one HTTPRoute rule translated, or the reason it cannot be.
type ruleOut struct {
	matches     []pathMatch
	target      backendTarget
	unsupported string // non-empty: the rule is left out, this says why
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
		if msg := filter(&rule.Filters[i]); msg != "" {
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
	if len(rule.Matches) == 0 {
		out.matches = []pathMatch{{path: "/"}}
	}
	for i := range rule.Matches {
		m, msg := match(&rule.Matches[i])
		if msg != "" {
			return fail("match %d: %s", i, msg)
		}
		out.matches = append(out.matches, m)
	}
	target, msg := t.backendRefs(r, rule.BackendRefs)
	if msg != "" {
		return fail("%s", msg)
	}
	target.timeout = timeout
	if !target.unavailable {
		target.affinity = aff
	}
	out.target = target
	return out
}

// match translates one HTTPRouteMatch: the path, then each kind of match
// gateway.Config may learn (headers, query parameters, method), each in a
// function of its own.
func match(m *gatewayv1.HTTPRouteMatch) (pathMatch, string) {
	pm, msg := pathMatchOf(m.Path)
	if msg != "" {
		return pm, msg
	}
	if msg := headerMatches(m.Headers); msg != "" {
		return pm, msg
	}
	if msg := queryParamMatches(m.QueryParams); msg != "" {
		return pm, msg
	}
	if msg := methodMatch(m.Method); msg != "" {
		return pm, msg
	}
	return pm, ""
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

// headerMatches: gateway.Config has no header matches yet.
func headerMatches(h []gatewayv1.HTTPHeaderMatch) string {
	if len(h) == 0 {
		return ""
	}
	return "header matches are not supported yet"
}

// queryParamMatches: gateway.Config has no query parameter matches yet.
func queryParamMatches(q []gatewayv1.HTTPQueryParamMatch) string {
	if len(q) == 0 {
		return ""
	}
	return "query parameter matches are not supported yet"
}

// methodMatch: gateway.Config has no method matches yet.
func methodMatch(m *gatewayv1.HTTPMethod) string {
	if m == nil {
		return ""
	}
	return "method matches are not supported yet"
}

// filter translates one filter; today every kind is refused with a message
// naming it, one function per kind so that support slots in.
func filter(f *gatewayv1.HTTPRouteFilter) string {
	switch f.Type {
	case gatewayv1.HTTPRouteFilterRequestHeaderModifier:
		return requestHeaderModifier(f.RequestHeaderModifier)
	case gatewayv1.HTTPRouteFilterResponseHeaderModifier:
		return responseHeaderModifier(f.ResponseHeaderModifier)
	case gatewayv1.HTTPRouteFilterRequestRedirect:
		return requestRedirect(f.RequestRedirect)
	case gatewayv1.HTTPRouteFilterURLRewrite:
		return urlRewrite(f.URLRewrite)
	case gatewayv1.HTTPRouteFilterRequestMirror:
		return "filter RequestMirror is not supported yet"
	default:
		return fmt.Sprintf("filter %s is not supported", f.Type)
	}
}

func requestHeaderModifier(*gatewayv1.HTTPHeaderFilter) string {
	return "filter RequestHeaderModifier is not supported yet"
}

func responseHeaderModifier(*gatewayv1.HTTPHeaderFilter) string {
	return "filter ResponseHeaderModifier is not supported yet"
}

func requestRedirect(*gatewayv1.HTTPRequestRedirectFilter) string {
	return "filter RequestRedirect is not supported yet"
}

func urlRewrite(*gatewayv1.HTTPURLRewriteFilter) string {
	return "filter URLRewrite is not supported yet"
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
// default (20 s). The gateway's range is 1 s to 24 h: a shorter timeout
// becomes 1 s, "0s" (none) becomes 24 h.
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
	if d < time.Second {
		d = time.Second
	}
	return d, ""
}
