package translate

import (
	"slices"
	"strings"
	"testing"

	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/rewrite"
	"github.com/e2etls/e2etls/routing"
)

// TestMatchConditions: header, query parameter and method matches become
// the path rules' conditions, of equivalent names only the first, and the
// rules are ordered by the specification's precedence among equal paths:
// a method first, then more header matches, then more query matches.
func TestMatchConditions(t *testing.T) {
	p := newPKI(t)
	in := p.base()
	prefix := &gatewayv1.HTTPPathMatch{Type: ptr(gatewayv1.PathMatchPathPrefix), Value: ptr("/api")}
	in.HTTPRoutes[0].Spec.Rules[0].Matches = []gatewayv1.HTTPRouteMatch{
		{Path: prefix, QueryParams: []gatewayv1.HTTPQueryParamMatch{{Name: "q", Value: "1"}, {Name: "q", Value: "2"}, {Name: "Q", Value: "3", Type: ptr(gatewayv1.QueryParamMatchRegularExpression)}}},
		{Path: prefix, Headers: []gatewayv1.HTTPHeaderMatch{{Name: "Version", Value: "2"}, {Name: "version", Value: "3"}}},
		{Path: prefix, Headers: []gatewayv1.HTTPHeaderMatch{{Name: "A", Value: "1"}, {Name: "B", Value: "b.*", Type: ptr(gatewayv1.HeaderMatchRegularExpression)}}},
		{Path: prefix, Method: ptr(gatewayv1.HTTPMethodPost)},
		{Path: prefix},
	}
	res := mustTranslate(t, in, p.options())
	m := findMap(&res.Config, "infra/gw/https/shop.example.com")
	var got []routing.Match
	for _, r := range m.PathRules {
		got = append(got, r.Match)
	}
	want := []routing.Match{
		{Method: "POST"},
		{Headers: []routing.HeaderMatch{{Name: "A", Value: "1"}, {Name: "B", Value: "b.*", Regexp: true}}},
		{Headers: []routing.HeaderMatch{{Name: "Version", Value: "2"}}},
		{QueryParams: []routing.QueryParamMatch{{Name: "q", Value: "1"}, {Name: "Q", Value: "3", Regexp: true}}},
		{},
	}
	if len(got) != len(want) {
		t.Fatalf("path rules %+v", m.PathRules)
	}
	for i := range want {
		if got[i].Method != want[i].Method || !slices.Equal(got[i].Headers, want[i].Headers) || !slices.Equal(got[i].QueryParams, want[i].QueryParams) {
			t.Errorf("path rule %d: match %+v, want %+v", i, got[i], want[i])
		}
		if !slices.Equal(m.PathRules[i].Paths, []string{"/api", "/api/*"}) {
			t.Errorf("path rule %d: paths %q", i, m.PathRules[i].Paths)
		}
	}
	acceptedByGateway(t, res.Config)
}

// TestWeights: backendRefs of positive weight become weighted backends,
// weight 0 is left out, and an unresolved backendRef answers 500 for its
// share; one backend left is a plain pool.
func TestWeights(t *testing.T) {
	p := newPKI(t)
	in := p.base()
	a, b, zero, bad := backendRef("", "web", 8443), backendRef("", "web", 8080), backendRef("", "web", 8080), backendRef("", "gone", 80)
	a.Weight, b.Weight, zero.Weight, bad.Weight = ptr(int32(70)), ptr(int32(20)), ptr(int32(0)), ptr(int32(10))
	r := &in.HTTPRoutes[0].Spec.Rules[0]
	r.BackendRefs = []gatewayv1.HTTPBackendRef{a, zero, b, bad}
	single := r.DeepCopy()
	single.Matches[0].Path.Value = ptr("/one")
	single.BackendRefs = []gatewayv1.HTTPBackendRef{a, zero}
	in.HTTPRoutes[0].Spec.Rules = append(in.HTTPRoutes[0].Spec.Rules, *single)
	res := mustTranslate(t, in, p.options())
	m := findMap(&res.Config, "infra/gw/https/shop.example.com")
	var split, one *gateway.PathRule
	for i := range m.PathRules {
		switch m.PathRules[i].Paths[0] {
		case "/api":
			split = &m.PathRules[i]
		case "/one":
			one = &m.PathRules[i]
		}
	}
	wantSplit := []gateway.WeightedBackend{
		{Pool: "app/web:8443", BackendHTTPSetting: "app/web:8443/timeout=10s", Weight: 70},
		{Pool: "app/web:8080", BackendHTTPSetting: "app/web:8080/timeout=10s", Weight: 20},
		{Pool: fixedUnavailable, BackendHTTPSetting: fixedUnavailable, Weight: 10},
	}
	if split == nil || split.Pool != "" || !slices.Equal(split.WeightedBackends, wantSplit) {
		t.Fatalf("split rule %+v, want weighted backends %+v", split, wantSplit)
	}
	if one == nil || one.Pool != "app/web:8443" || one.WeightedBackends != nil {
		t.Fatalf("single rule %+v", one)
	}
	wantCond(t, routeCond(t, res, "app", "web", "ResolvedRefs"), "False", "BackendNotFound")
	acceptedByGateway(t, res.Config)
}

// TestFilters: header modifiers, redirects and URL rewrites become one
// rewrite rule set per match, a ReplacePrefixMatch with that match's
// prefix.
func TestFilters(t *testing.T) {
	p := newPKI(t)
	in := p.base()
	r := &in.HTTPRoutes[0].Spec.Rules[0]
	r.Matches = append(r.Matches, gatewayv1.HTTPRouteMatch{Path: &gatewayv1.HTTPPathMatch{Type: ptr(gatewayv1.PathMatchPathPrefix), Value: ptr("/v1/")}})
	r.Filters = []gatewayv1.HTTPRouteFilter{
		{Type: gatewayv1.HTTPRouteFilterRequestHeaderModifier, RequestHeaderModifier: &gatewayv1.HTTPHeaderFilter{
			Set: []gatewayv1.HTTPHeader{{Name: "X-Set", Value: "a{b}"}}, Add: []gatewayv1.HTTPHeader{{Name: "X-Add", Value: "c"}}, Remove: []string{"X-Remove"}}},
		{Type: gatewayv1.HTTPRouteFilterResponseHeaderModifier, ResponseHeaderModifier: &gatewayv1.HTTPHeaderFilter{Set: []gatewayv1.HTTPHeader{{Name: "X-Resp", Value: "d"}}}},
		{Type: gatewayv1.HTTPRouteFilterURLRewrite, URLRewrite: &gatewayv1.HTTPURLRewriteFilter{
			Hostname: ptr(gatewayv1.PreciseHostname("rewritten.example")),
			Path:     &gatewayv1.HTTPPathModifier{Type: gatewayv1.PrefixMatchHTTPPathModifier, ReplacePrefixMatch: ptr("/v2")}}},
	}
	redirect := gatewayv1.HTTPRouteRule{
		Matches: []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{Type: ptr(gatewayv1.PathMatchExact), Value: ptr("/old")}}},
		Filters: []gatewayv1.HTTPRouteFilter{{Type: gatewayv1.HTTPRouteFilterRequestRedirect, RequestRedirect: &gatewayv1.HTTPRequestRedirectFilter{
			Scheme: ptr("https"), Hostname: ptr(gatewayv1.PreciseHostname("new.example")), Port: ptr(gatewayv1.PortNumber(8443)), StatusCode: ptr(301),
			Path: &gatewayv1.HTTPPathModifier{Type: gatewayv1.FullPathHTTPPathModifier, ReplaceFullPath: ptr("/new")}}}},
	}
	in.HTTPRoutes[0].Spec.Rules = append(in.HTTPRoutes[0].Spec.Rules, redirect)
	res := mustTranslate(t, in, p.options())
	wantCond(t, routeCond(t, res, "app", "web", "Accepted"), "True", "Accepted")
	sets := map[string]rewrite.RuleSet{}
	for _, s := range res.Config.RewriteRuleSets {
		sets[s.Name] = s
	}
	m := findMap(&res.Config, "infra/gw/https/shop.example.com")
	byPath := map[string]gateway.PathRule{}
	for _, pr := range m.PathRules {
		byPath[pr.Paths[0]] = pr
	}
	api, v1, old := sets[byPath["/api"].RewriteRuleSet], sets[byPath["/v1"].RewriteRuleSet], sets[byPath["/old"].RewriteRuleSet]
	if len(api.Rules) != 3 || len(v1.Rules) != 3 || len(old.Rules) != 1 {
		t.Fatalf("rule sets: /api %+v, /v1 %+v, /old %+v", api, v1, old)
	}
	hdr := api.Rules[0].Actions.RequestHeaders
	wantHdr := []rewrite.HeaderAction{{Name: "X-Set", Value: "a{{b}}"}, {Name: "X-Add", Value: "c", Op: rewrite.AddHeader}, {Name: "X-Remove", Op: rewrite.DeleteHeader}}
	if !slices.EqualFunc(hdr, wantHdr, func(a, b rewrite.HeaderAction) bool { return a.Name == b.Name && a.Value == b.Value && a.Op == b.Op }) {
		t.Errorf("request header actions %+v, want %+v", hdr, wantHdr)
	}
	if a := api.Rules[1].Actions.ResponseHeaders; len(a) != 1 || a[0].Name != "X-Resp" {
		t.Errorf("response header actions %+v", a)
	}
	for _, tc := range []struct {
		set    rewrite.RuleSet
		prefix string
	}{{api, "/api"}, {v1, "/v1"}} {
		rw := tc.set.Rules[2]
		if h := rw.Actions.RequestHeaders; len(h) != 1 || h[0].Name != "Host" || h[0].Value != "rewritten.example" {
			t.Errorf("host rewrite %+v", h)
		}
		cond, path := rewrite.ReplacePrefixMatch(tc.prefix, "/v2")
		if len(rw.Conditions) != 1 || rw.Conditions[0] != cond || rw.Actions.URL == nil || rw.Actions.URL.ModifiedPath != path {
			t.Errorf("prefix %s: URL rewrite %+v, want condition %+v and path %q", tc.prefix, rw, cond, path)
		}
	}
	rd := old.Rules[0].Actions.Redirect
	if rd == nil || *rd != (rewrite.RedirectAction{Status: 301, Scheme: "https", Host: "new.example", Port: 8443, Path: "/new"}) {
		t.Errorf("redirect %+v", rd)
	}
	if byPath["/old"].Pool != fixedUnavailable {
		t.Errorf("a rule without backendRefs answers 500 if ever proxied: pool %q", byPath["/old"].Pool)
	}
	if !strings.HasPrefix(byPath["/api"].RewriteRuleSet, "#filters/") {
		t.Errorf("rule set name %q", byPath["/api"].RewriteRuleSet)
	}
	acceptedByGateway(t, res.Config)
}
