package rewrite

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// typicalSet is the typical set: add HSTS, delete Server, and one
// regex condition with a capture group written into a request header.
func typicalSet(tb testing.TB) *Set {
	return mustSet(tb, RuleSet{Name: "typical", Rules: []Rule{
		{Name: "hsts", Sequence: 100, Actions: ActionSet{ResponseHeaders: []HeaderAction{
			{Name: "Strict-Transport-Security", Value: "max-age=31536000; includeSubDomains"},
		}}},
		{Name: "server", Sequence: 100, Actions: ActionSet{ResponseHeaders: []HeaderAction{
			{Name: "Server"},
		}}},
		{Name: "tenant", Sequence: 200,
			Conditions: []Condition{{Variable: "http_req_Host", Pattern: `^([a-z0-9-]+)\.shop\.example$`}},
			Actions: ActionSet{RequestHeaders: []HeaderAction{
				{Name: "X-Tenant", Value: "{http_req_Host_1}"},
			}}},
	}})
}

// benchExchange is a request and response as the gateway would prepare
// them, with HTTPVars over a real *http.Request.
type benchExchange struct {
	vars       HTTPVars
	req, out   http.Header
	resp, rout http.Header
	host, path string
}

func newBenchExchange(host string) *benchExchange {
	r := httptest.NewRequest("GET", "https://"+host+"/catalog/items?page=2", nil)
	r.RemoteAddr = "203.0.113.7:51234"
	r.Header.Set("User-Agent", "bench/1.0")
	r.Header.Set("Accept", "text/html")
	return &benchExchange{
		vars: HTTPVars{Request: r, ServerPort: 443},
		req:  r.Header,
		out:  make(http.Header, 8),
		resp: http.Header{"Server": {"nginx"}, "Content-Type": {"text/html"}},
		rout: make(http.Header, 8),
		host: r.Host,
		path: r.URL.Path,
	}
}

// run is one exchange through s, resetting the outgoing maps as the
// gateway's pooled exchange does.
func (b *benchExchange) run(s *Set, x *Exchange) {
	clear(b.out)
	for k, vv := range b.req {
		b.out[k] = vv
	}
	*x = Exchange{Vars: &b.vars, Request: b.req, Host: b.host, RequestOut: b.out, Path: b.path}
	s.Request(x)
	clear(b.rout)
	for k, vv := range b.resp {
		b.rout[k] = vv
	}
	x.Status, x.Response, x.ResponseOut = 200, b.resp, b.rout
	s.Response(x)
}

// BenchmarkNoRewrite is a route without a rewrite set: the gateway's call
// on a nil *Set.
func BenchmarkNoRewrite(b *testing.B) {
	e := newBenchExchange("acme.shop.example")
	var s *Set
	x := new(Exchange)
	b.ReportAllocs()
	for b.Loop() {
		e.run(s, x)
	}
}

// BenchmarkNoMatch is a set whose only rule's condition does not match.
func BenchmarkNoMatch(b *testing.B) {
	e := newBenchExchange("www.example.com")
	s := mustSet(b, rules(Rule{
		Conditions: []Condition{{Variable: "http_req_Host", Pattern: `^([a-z0-9-]+)\.shop\.example$`}},
		Actions:    ActionSet{RequestHeaders: []HeaderAction{{Name: "X-Tenant", Value: "{http_req_Host_1}"}}},
	}))
	x := new(Exchange)
	b.ReportAllocs()
	for b.Loop() {
		e.run(s, x)
	}
}

// BenchmarkTypical is the typical set on a request that its
// condition matches: the target is at most 1 µs and 3 allocations.
func BenchmarkTypical(b *testing.B) {
	e := newBenchExchange("acme.shop.example")
	s := typicalSet(b)
	x := new(Exchange)
	b.ReportAllocs()
	for b.Loop() {
		e.run(s, x)
	}
	if got := x.RequestOut.Get("X-Tenant"); got != "acme" {
		b.Fatalf("X-Tenant = %q", got)
	}
}

// BenchmarkAzureMix is a larger set: the Location fix, security headers,
// the X-Forwarded-For without ports and a query-based URL rewrite.
func BenchmarkAzureMix(b *testing.B) {
	e := newBenchExchange("www.contoso.com")
	e.resp["Location"] = []string{"https://contoso.azurewebsites.net/next"}
	e.req["X-Forwarded-For"] = []string{"198.51.100.1"}
	s := mustSet(b, RuleSet{Name: "mix", Rules: []Rule{
		{Name: "location", Sequence: 100,
			Conditions: []Condition{{Variable: "http_resp_Location", Pattern: `(https?):\/\/.*azurewebsites\.net(.*)$`}},
			Actions: ActionSet{ResponseHeaders: []HeaderAction{
				{Name: "Location", Value: "{http_resp_Location_1}://{var_host}{http_resp_Location_2}"},
			}}},
		{Name: "security", Sequence: 100, Actions: ActionSet{ResponseHeaders: []HeaderAction{
			{Name: "Strict-Transport-Security", Value: "max-age=31536000"},
			{Name: "X-Content-Type-Options", Value: "nosniff"},
			{Name: "Server"},
		}}},
		{Name: "xff", Sequence: 100, Actions: ActionSet{RequestHeaders: []HeaderAction{
			{Name: "X-Forwarded-For", Value: "{var_add_x_forwarded_for_proxy}"},
		}}},
		{Name: "catalog", Sequence: 200,
			Conditions: []Condition{{Variable: "var_uri_path", Pattern: "^/catalog/(.+)$"}},
			Actions:    ActionSet{URL: &URLAction{ModifiedPath: "/shop.aspx", ModifiedQueryString: new("section={var_uri_path_1}")}}},
	}})
	x := new(Exchange)
	b.ReportAllocs()
	for b.Loop() {
		e.run(s, x)
	}
}

// TestAllocations holds the engine to its allocation budget.
func TestAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	x := new(Exchange)
	tests := []struct {
		name string
		set  *Set
		host string
		max  float64
	}{
		{"no set", nil, "acme.shop.example", 0},
		{"no match", typicalSet(t), "www.example.com", 0},
		{"typical", typicalSet(t), "acme.shop.example", 3},
	}
	for _, tt := range tests {
		e := newBenchExchange(tt.host)
		if got := testing.AllocsPerRun(200, func() { e.run(tt.set, x) }); got > tt.max {
			t.Errorf("%s: %v allocations per exchange; want at most %v", tt.name, got, tt.max)
		}
	}
}
