package routing

import (
	"strings"
	"testing"
)

func TestRouteRequestMatches(t *testing.T) {
	m := &PathMap{
		Name:          "m",
		Default:       target("default"),
		CaseSensitive: true,
		Rules: []PathRule{
			{Name: "exact-get", Paths: []string{"/items"}, Match: Match{Method: "GET"}, Target: target("exact-get")},
			{Name: "v2", Paths: []string{"/api/*"}, Match: Match{Headers: []HeaderMatch{{Name: "version", Value: "two"}}}, Target: target("v2")},
			{Name: "beta", Paths: []string{"/api/*"}, Match: Match{Headers: []HeaderMatch{{Name: "X-Tier", Value: `beta-\d+`, Regexp: true}}}, Target: target("beta")},
			{Name: "both", Paths: []string{"/api/*"}, Match: Match{
				Headers:     []HeaderMatch{{Name: "X-A", Value: "1"}},
				QueryParams: []QueryParamMatch{{Name: "mode", Value: "fast"}},
			}, Target: target("both")},
			{Name: "query", Paths: []string{"/api/*"}, Match: Match{QueryParams: []QueryParamMatch{{Name: "q v", Value: "a&b"}}}, Target: target("query")},
			{Name: "query-re", Paths: []string{"/api/*"}, Match: Match{QueryParams: []QueryParamMatch{{Name: "id", Value: `[0-9]+`, Regexp: true}}}, Target: target("query-re")},
			{Name: "api", Paths: []string{"/api/*"}, Target: target("api")},
			{Name: "post", Paths: []string{"/*"}, Match: Match{Method: "POST"}, Target: target("post")},
			{Name: "items-any", Paths: []string{"/items"}, Target: target("items-any")},
		},
	}
	tab := mustCompile(t, pathMapConfig(m))
	h := func(kv ...string) map[string][]string {
		out := map[string][]string{}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = append(out[kv[i]], kv[i+1])
		}
		return out
	}
	tests := []struct {
		name string
		path string
		req  Request
		want string
	}{
		{"method matches", "/items", Request{Method: "GET"}, "exact-get"},
		{"method is case-sensitive", "/items", Request{Method: "get"}, "items-any"},
		{"other method falls through", "/items", Request{Method: "HEAD"}, "items-any"},
		{"header exact", "/api/x", Request{Header: h("Version", "two")}, "v2"},
		{"header value case matters", "/api/x", Request{Header: h("Version", "Two")}, "api"},
		{"header regexp", "/api/x", Request{Header: h("X-Tier", "beta-12")}, "beta"},
		{"header regexp is anchored", "/api/x", Request{Header: h("X-Tier", "xbeta-12")}, "api"},
		{"header regexp whole value", "/api/x", Request{Header: h("X-Tier", "beta-12x")}, "api"},
		{"repeated header joined with commas", "/api/x", Request{Header: h("Version", "two", "Version", "three")}, "api"},
		{"header and query both", "/api/x", Request{Header: h("X-A", "1"), RawQuery: "a=b&mode=fast"}, "both"},
		{"header without query", "/api/x", Request{Header: h("X-A", "1")}, "api"},
		{"query decoded", "/api/x", Request{RawQuery: "q+v=a%26b"}, "query"},
		{"query first value", "/api/x", Request{RawQuery: "id=7&id=x"}, "query-re"},
		{"query first value refuses", "/api/x", Request{RawQuery: "id=x&id=7"}, "api"},
		{"query semicolon pair skipped", "/api/x", Request{RawQuery: "id=7;x=1"}, "api"},
		{"query bad escape skipped", "/api/x", Request{RawQuery: "id=%zz&id=8"}, "query-re"},
		{"earlier rule first even if later also matches", "/api/x", Request{Header: h("Version", "two", "X-Tier", "beta-1")}, "v2"},
		{"post on any path", "/other", Request{Method: "POST"}, "post"},
		{"no match: default", "/other", Request{Method: "GET"}, "default"},
		{"case-sensitive path", "/API/x", Request{Method: "GET"}, "default"},
		{"case-sensitive path, post", "/API/x", Request{Method: "POST"}, "post"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := tab.RouteRequest(80, "example.com", tt.path, tt.req)
			if !ok || r.Target.Pool != tt.want {
				t.Fatalf("RouteRequest(%q, %+v) = %+v, %v; want pool %q", tt.path, tt.req, r, ok, tt.want)
			}
		})
	}
	// Route sees no method and no header.
	if r, _ := tab.Route(80, "example.com", "/items", ""); r.Target.Pool != "items-any" {
		t.Errorf("Route(/items) = %q; want items-any", r.Target.Pool)
	}
}

func TestCaseSensitivePathMap(t *testing.T) {
	for _, sensitive := range []bool{false, true} {
		m := &PathMap{
			Name: "m", Default: target("default"), CaseSensitive: sensitive,
			Rules: []PathRule{
				{Name: "foo", Paths: []string{"/Foo", "/Foo/*"}, Target: target("foo")},
				{Name: "lower", Paths: []string{"/foo/*"}, Target: target("lower")},
				{Name: "uni", Paths: []string{"/Bücher"}, Target: target("uni")},
			},
		}
		tab, err := Compile(pathMapConfig(m))
		if !sensitive {
			// Folded, "/foo/*" repeats "/Foo/*".
			if err == nil || !strings.Contains(err.Error(), `path "/foo/*": repeats a path of path rule[0]`) {
				t.Fatalf("Compile (case-insensitive) = %v; want the repeated path refused", err)
			}
			m.Rules = append(m.Rules[:1], m.Rules[2])
			tab = mustCompile(t, pathMapConfig(m))
		} else if err != nil {
			t.Fatal(err)
		}
		tests := []struct{ path, insensitive, sensitive string }{
			{"/Foo", "foo", "foo"},
			{"/foo", "foo", "default"},
			{"/Foo/x", "foo", "foo"},
			{"/foo/x", "foo", "lower"},
			{"/FOO/x", "foo", "default"},
			{"/Bücher", "uni", "uni"},
			{"/BÜCHER", "uni", "default"},
		}
		for _, tt := range tests {
			want := tt.insensitive
			if sensitive {
				want = tt.sensitive
			}
			if r, _ := tab.Route(80, "h", tt.path, ""); r.Target.Pool != want {
				t.Errorf("CaseSensitive %v: Route(%q) = %q; want %q", sensitive, tt.path, r.Target.Pool, want)
			}
		}
	}
}

func TestMatchCompileErrors(t *testing.T) {
	m := &PathMap{
		Name: "m", Default: target("d"),
		Rules: []PathRule{
			{Name: "a", Paths: []string{"/a"}, Target: target("a"), Match: Match{
				Method:      "GE T",
				Headers:     []HeaderMatch{{Name: "X:Y", Value: "1"}, {Name: "v", Value: "1"}, {Name: "V", Value: "2"}, {Name: "re", Value: "(", Regexp: true}, {Name: "nl", Value: "a\nb"}},
				QueryParams: []QueryParamMatch{{Value: "x"}, {Name: "q", Value: "1"}, {Name: "q", Value: "2"}, {Name: "r", Value: "[", Regexp: true}},
			}},
			{Name: "plain", Paths: []string{"/b"}, Target: target("b")},
			{Name: "repeat", Paths: []string{"/b"}, Match: Match{Method: "GET"}, Target: target("c")},
			{Name: "behind", Paths: []string{"/c"}, Match: Match{Method: "GET"}, Target: target("c")},
			{Name: "ok", Paths: []string{"/c"}, Target: target("c")},
		},
	}
	_, err := Compile(pathMapConfig(m))
	if err == nil {
		t.Fatal("Compile: no error")
	}
	for _, want := range []string{
		`path rule "a": match: method "GE T" is not an HTTP token`,
		`path rule "a": match: header "X:Y": name is not an HTTP token`,
		`path rule "a": match: header "V": listed twice (names ignore case)`,
		`path rule "a": match: header "re": regular expression "(": error parsing regexp`,
		`path rule "a": match: header "nl": value "a\nb" holds CR, LF or NUL`,
		`path rule "a": match: query parameter: name is required`,
		`path rule "a": match: query parameter "q": listed twice`,
		`path rule "a": match: query parameter "r": regular expression "["`,
		`path rule "repeat": path "/b": repeats a path of path rule[1], which has no match conditions: no request reaches this rule by it`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), `path rule "ok"`) {
		t.Errorf("a path repeated behind a rule with a Match is refused:\n%v", err)
	}
}

func TestRouteRequestAllocs(t *testing.T) {
	m := &PathMap{
		Name: "m", Default: target("d"), CaseSensitive: true,
		Rules: []PathRule{
			{Name: "h", Paths: []string{"/api/*"}, Match: Match{Method: "GET", Headers: []HeaderMatch{{Name: "X-V", Value: "v[0-9]", Regexp: true}}}, Target: target("h")},
			{Name: "q", Paths: []string{"/api/*"}, Match: Match{QueryParams: []QueryParamMatch{{Name: "a", Value: "1"}}}, Target: target("q")},
			{Name: "api", Paths: []string{"/api/*"}, Target: target("api")},
		},
	}
	tab := mustCompile(t, pathMapConfig(m))
	req := Request{Method: "GET", Header: map[string][]string{"X-V": {"v2"}}, RawQuery: "b=2&a=1"}
	n := testing.AllocsPerRun(100, func() {
		if r, _ := tab.RouteRequest(80, "h", "/api/x", req); r.Target.Pool != "h" {
			t.Fatal(r.Target.Pool)
		}
		req.Method = "PUT"
		if r, _ := tab.RouteRequest(80, "h", "/api/x", req); r.Target.Pool != "q" {
			t.Fatal(r.Target.Pool)
		}
		req.Method = "GET"
	})
	if n != 0 {
		t.Errorf("RouteRequest allocates %v times; want 0", n)
	}
}
