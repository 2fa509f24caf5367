package rewrite_test

import (
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"

	"github.com/e2etls/e2etls/rewrite"
	"github.com/e2etls/e2etls/routing"
)

// Security headers on every response, and the backend's Location fixed
// when it redirects to its own host name: two of Azure's documented
// rewrites.
func ExampleCompile() {
	sets, err := rewrite.Compile([]rewrite.RuleSet{{
		Name: "web",
		Rules: []rewrite.Rule{
			{
				Name: "security", Sequence: 100,
				Actions: rewrite.ActionSet{ResponseHeaders: []rewrite.HeaderAction{
					{Name: "Strict-Transport-Security", Value: "max-age=31536000"},
					{Name: "Server"}, // an empty value deletes
				}},
			},
			{
				Name: "location", Sequence: 200,
				Conditions: []rewrite.Condition{{
					Variable: "http_resp_Location",
					Pattern:  `(https?):\/\/.*azurewebsites\.net(.*)$`,
				}},
				Actions: rewrite.ActionSet{ResponseHeaders: []rewrite.HeaderAction{
					{Name: "Location", Value: "{http_resp_Location_1}://{var_host}{http_resp_Location_2}"},
				}},
			},
		},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := httptest.NewRequest("GET", "https://www.contoso.com/cart", nil)
	backend := http.Header{
		"Location": {"https://contoso.azurewebsites.net/login?next=/cart"},
		"Server":   {"Microsoft-IIS/10.0"},
	}
	x := &rewrite.Exchange{
		Vars:        &rewrite.HTTPVars{Request: r},
		Request:     r.Header,
		Host:        r.Host,
		Path:        r.URL.Path,
		Status:      http.StatusFound,
		Response:    backend,
		ResponseOut: backend.Clone(), // what the gateway relays
	}
	sets["web"].Response(x)
	for _, k := range slices.Sorted(maps.Keys(x.ResponseOut)) {
		fmt.Printf("%s: %s\n", k, x.ResponseOut.Get(k))
	}
	// Output:
	// Location: https://www.contoso.com/login?next=/cart
	// Strict-Transport-Security: max-age=31536000
}

// Compile reports every problem at once, each with its place.
func ExampleCompile_errors() {
	_, err := rewrite.Compile([]rewrite.RuleSet{{
		Name: "api",
		Rules: []rewrite.Rule{{
			Name:       "tenant",
			Sequence:   100,
			Conditions: []rewrite.Condition{{Variable: "http_req_Host", Pattern: `^(?<tenant>\w+)\.(?=api)`}},
			Actions: rewrite.ActionSet{RequestHeaders: []rewrite.HeaderAction{
				{Name: "X-Tenant", Value: "{var_clientip}"},
				{Name: "Content-Length", Value: "0"},
			}},
		}},
	}})
	fmt.Println(err)
	// Output:
	// rewrite: ruleSet "api": rule "tenant": condition 1: pattern "^(?<tenant>\\w+)\\.(?=api)": error parsing regexp: invalid or unsupported Perl syntax: `(?=` (patterns are RE2: no lookahead, lookbehind, atomic groups, possessive quantifiers or backreferences)
	// rewrite: ruleSet "api": rule "tenant": request header "X-Tenant": {var_clientip}: unknown server variable "clientip" (did you mean var_client_ip?)
	// rewrite: ruleSet "api": rule "tenant": request header "Content-Length": cannot be rewritten: it frames the message
}

// A request header from a capture group of a condition, and X-Forwarded-For
// without ports, as the gateway would call the engine before forwarding.
func ExampleSet_Request() {
	sets, err := rewrite.Compile([]rewrite.RuleSet{{
		Name: "tenants",
		Rules: []rewrite.Rule{{
			Name:       "tenant",
			Sequence:   100,
			Conditions: []rewrite.Condition{{Variable: "http_req_Host", Pattern: `^([a-z0-9-]+)\.shop\.example$`}},
			Actions: rewrite.ActionSet{RequestHeaders: []rewrite.HeaderAction{
				{Name: "X-Tenant", Value: "{http_req_Host_1}"},
				{Name: "X-Forwarded-For", Value: "{var_add_x_forwarded_for_proxy}"},
			}},
		}},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := httptest.NewRequest("GET", "https://acme.shop.example/cart", nil)
	r.RemoteAddr = "203.0.113.7:51234"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")

	// The header the gateway sends: the client's, with its own
	// X-Forwarded-For (addresses with ports).
	out := r.Header.Clone()
	out.Set("X-Forwarded-For", "198.51.100.1, 203.0.113.7:51234")
	x := &rewrite.Exchange{
		Vars:       &rewrite.HTTPVars{Request: r, ServerPort: 443},
		Request:    r.Header,
		Host:       r.Host,
		RequestOut: out,
		Path:       r.URL.Path,
		RawQuery:   r.URL.RawQuery,
	}
	res := sets["tenants"].Request(x)
	fmt.Println("X-Tenant:", out.Get("X-Tenant"))
	fmt.Println("X-Forwarded-For:", out.Get("X-Forwarded-For"))
	fmt.Printf("%+v\n", res)
	// Output:
	// X-Tenant: acme
	// X-Forwarded-For: 198.51.100.1, 203.0.113.7
	// {URLChanged:false Reroute:false Host: RedirectStatus:0 Location:}
}

// Azure's "parameter based path selection": the default path of a URL path
// map has a rewrite set whose rules move the request to a path rule chosen
// by the query, and ask for the path map to be evaluated again. This is the
// loop a gateway runs, bounded by MaxReroutes.
func ExampleSet_Request_reroute() {
	target := func(pool string) routing.Target { return routing.Target{Pool: pool, Setting: "https"} }
	tab, err := routing.Compile(routing.Config{
		Listeners: []routing.Listener{{Name: "shop", Port: 443, HTTPS: true}},
		Rules: []routing.Rule{{Name: "shop", Listener: "shop", PathMap: &routing.PathMap{
			Name:    "listings",
			Default: target("GenericList"),
			Rules: []routing.PathRule{
				{Name: "shoes", Paths: []string{"/listing1"}, Target: target("ShoesListBackendPool")},
				{Name: "bags", Paths: []string{"/listing2"}, Target: target("BagsListBackendPool")},
			},
		}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	byCategory := func(name, category, path string) rewrite.Rule {
		return rewrite.Rule{
			Name: name, Sequence: 100,
			Conditions: []rewrite.Condition{{Variable: "var_query_string", Pattern: "category=" + category}},
			Actions:    rewrite.ActionSet{URL: &rewrite.URLAction{ModifiedPath: path, Reroute: true}},
		}
	}
	sets, err := rewrite.Compile([]rewrite.RuleSet{{Name: "listing", Rules: []rewrite.Rule{
		byCategory("shoes", "shoes", "/listing1"),
		byCategory("bags", "bags", "/listing2"),
	}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The rewrite set of each path rule of rule 0 (index 0: the default).
	setFor := func(rt routing.Route) *rewrite.Set {
		if rt.PathRule == -1 {
			return sets["listing"]
		}
		return nil
	}

	for _, query := range []string{"category=shoes", "category=bags", "category=any"} {
		x := &rewrite.Exchange{Path: "/listing", RawQuery: query, RequestOut: http.Header{}}
		rt, _ := tab.Route(443, "www.contoso.com", x.Path, x.RawQuery)
		for n := 0; ; n++ {
			res := setFor(rt).Request(x)
			if !res.Reroute {
				break
			}
			if n == rewrite.MaxReroutes {
				fmt.Println("500: rewrite loop")
				return
			}
			rt, _ = tab.Route(443, "www.contoso.com", x.Path, x.RawQuery)
		}
		fmt.Printf("/listing?%s -> %s %s\n", query, rt.Target.Pool, x.Path)
	}
	// Output:
	// /listing?category=shoes -> ShoesListBackendPool /listing1
	// /listing?category=bags -> BagsListBackendPool /listing2
	// /listing?category=any -> GenericList /listing
}

// The Gateway API's URLRewrite filter with a ReplacePrefixMatch path.
func ExampleReplacePrefixMatch() {
	cond, path := rewrite.ReplacePrefixMatch("/api/v1", "/")
	sets, err := rewrite.Compile([]rewrite.RuleSet{{Name: "route", Rules: []rewrite.Rule{{
		Name:       "urlRewrite",
		Conditions: []rewrite.Condition{cond},
		Actions:    rewrite.ActionSet{URL: &rewrite.URLAction{ModifiedPath: path}},
	}}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range []string{"/api/v1/items/7", "/api/v1", "/api/v10"} {
		x := &rewrite.Exchange{Path: p}
		sets["route"].Request(x)
		fmt.Println(p, "->", x.Path)
	}
	// Output:
	// /api/v1/items/7 -> /items/7
	// /api/v1 -> /
	// /api/v10 -> /api/v10
}

// Literal makes a literal value of text that holds braces.
func ExampleLiteral() {
	fmt.Println(rewrite.Literal(`{"region":"eu"}`))
	// Output:
	// {{"region":"eu"}}
}
