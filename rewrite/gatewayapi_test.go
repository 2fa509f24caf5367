package rewrite

import (
	"net/http"
	"net/url"
	"reflect"
	"testing"
)

// TestReplacePrefixMatch checks the Gateway API's table of
// HTTPPathModifier ReplacePrefixMatch results, for URL rewrites and
// redirects.
func TestReplacePrefixMatch(t *testing.T) {
	tests := []struct {
		path, prefix, replacement, want string
		selected                        bool
	}{
		{"/foo/bar", "/foo", "/xyz", "/xyz/bar", true},
		{"/foo/bar", "/foo", "/xyz/", "/xyz/bar", true},
		{"/foo/bar", "/foo/", "/xyz", "/xyz/bar", true},
		{"/foo/bar", "/foo/", "/xyz/", "/xyz/bar", true},
		{"/foo", "/foo", "/xyz", "/xyz", true},
		{"/foo/", "/foo", "/xyz", "/xyz/", true},
		{"/foo/bar", "/foo", "", "/bar", true},
		{"/foo/", "/foo", "", "/", true},
		{"/foo", "/foo", "", "/", true},
		{"/foo/", "/foo", "/", "/", true},
		{"/foo", "/foo", "/", "/", true},
		{"/bar", "/", "/xyz", "/xyz/bar", true},
		{"/", "/", "/xyz", "/xyz/", true},
		{"/a.b/c", "/a.b", "/{x}", "/{x}/c", true},
		{"/foobar", "/foo", "/xyz", "/foobar", false}, // not a whole segment
		{"/Foo/bar", "/foo", "/xyz", "/Foo/bar", false},
		{"/axb/c", "/a.b", "/y", "/axb/c", false}, // the prefix is literal
	}
	for _, tt := range tests {
		cond, path := ReplacePrefixMatch(tt.prefix, tt.replacement)
		rw := mustSet(t, rules(Rule{Conditions: []Condition{cond}, Actions: ActionSet{URL: &URLAction{ModifiedPath: path}}}))
		x := exchange(nil, "", tt.path, "", nil)
		res := rw.Request(x)
		if x.Path != tt.want || res.URLChanged != tt.selected {
			t.Errorf("rewrite %q, prefix %q -> %q: %q, %v; want %q, %v", tt.path, tt.prefix, tt.replacement, x.Path, res.URLChanged, tt.want, tt.selected)
		}

		rd := mustSet(t, rules(Rule{Conditions: []Condition{cond}, Actions: ActionSet{Redirect: &RedirectAction{Path: path}}}))
		x = exchange(testVars{Host: "a.example", RequestScheme: "https", ServerPort: "443"}, "", tt.path, "", nil)
		res = rd.Request(x)
		want := ""
		if tt.selected {
			want = "https://a.example" + (&url.URL{Path: tt.want}).EscapedPath()
		}
		if res.Location != want {
			t.Errorf("redirect %q, prefix %q -> %q: %q; want %q", tt.path, tt.prefix, tt.replacement, res.Location, want)
		}
	}
}

// TestGatewayAPIFilters maps an HTTPRoute rule's filters onto one rule set,
// as the Kubernetes translation does: RequestHeaderModifier (set, add,
// remove), ResponseHeaderModifier, and URLRewrite (hostname and path).
func TestGatewayAPIFilters(t *testing.T) {
	cond, path := ReplacePrefixMatch("/api/v1", "/v1")
	set := mustSet(t, RuleSet{Name: "httproute/default/shop/rule0", Rules: []Rule{
		{Name: "requestHeaderModifier", Actions: ActionSet{RequestHeaders: []HeaderAction{
			{Name: "X-Set", Value: Literal("{literal}")},
			{Name: "My-Header", Op: AddHeader, Value: Literal("bar,baz")},
			{Name: "X-Remove", Op: DeleteHeader},
		}}},
		{Name: "responseHeaderModifier", Actions: ActionSet{ResponseHeaders: []HeaderAction{
			{Name: "X-Frame-Options", Value: "DENY"},
			{Name: "Server", Op: DeleteHeader},
		}}},
		{Name: "urlRewrite", Conditions: []Condition{cond}, Actions: ActionSet{
			RequestHeaders: []HeaderAction{{Name: "Host", Value: Literal("shop.internal")}},
			URL:            &URLAction{ModifiedPath: path},
		}},
	}})
	x := exchange(nil, "shop.example.com", "/api/v1/items", "page=2",
		http.Header{"My-Header": {"foo"}, "X-Remove": {"1"}, "X-Set": {"old"}})
	res := set.Request(x)
	if res.Host != "shop.internal" || !res.URLChanged || res.Reroute {
		t.Errorf("Result = %+v", res)
	}
	if x.Path != "/v1/items" || x.RawQuery != "page=2" {
		t.Errorf("URL = %q ? %q", x.Path, x.RawQuery)
	}
	want := http.Header{"My-Header": {"foo", "bar,baz"}, "X-Set": {"{literal}"}}
	if !reflect.DeepEqual(x.RequestOut, want) {
		t.Errorf("RequestOut = %q; want %q", x.RequestOut, want)
	}
	respond(x, 200, http.Header{"Server": {"envoy"}})
	set.Response(x)
	if want := (http.Header{"X-Frame-Options": {"DENY"}}); !reflect.DeepEqual(x.ResponseOut, want) {
		t.Errorf("ResponseOut = %q; want %q", x.ResponseOut, want)
	}
}
