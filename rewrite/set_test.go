package rewrite

import (
	"net/http"
	"reflect"
	"testing"
)

func setHeader(name, value string) ActionSet {
	return ActionSet{RequestHeaders: []HeaderAction{{Name: name, Value: value}}}
}

func TestRuleOrder(t *testing.T) {
	// Each rule sets X-Order; the last to run wins.
	tests := []struct {
		name  string
		rules []Rule
		want  string
	}{
		{"sequence decides", []Rule{
			{Name: "late", Sequence: 20, Actions: setHeader("X-Order", "late")},
			{Name: "early", Sequence: 10, Actions: setHeader("X-Order", "early")},
		}, "late"},
		{"ties keep listed order", []Rule{
			{Name: "first", Sequence: 10, Actions: setHeader("X-Order", "first")},
			{Name: "second", Sequence: 10, Actions: setHeader("X-Order", "second")},
		}, "second"},
		{"no sequence runs last", []Rule{
			{Name: "none", Actions: setHeader("X-Order", "none")},
			{Name: "max", Sequence: 1000, Actions: setHeader("X-Order", "max")},
		}, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := exchange(nil, "", "/", "", nil)
			mustSet(t, RuleSet{Name: "s", Rules: tt.rules}).Request(x)
			if got := x.RequestOut.Get("X-Order"); got != tt.want {
				t.Errorf("X-Order = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestConditions(t *testing.T) {
	vars := testVars{ClientIP: "10.1.2.3", HTTPMethod: "GET", SSLEnabled: ""}
	req := http.Header{
		"User-Agent": {"Mozilla/5.0"},
		"Accept":     {"text/html", "application/json"},
		"Cookie":     {"theme=dark; session=s3cr3t", "lang=en"},
	}
	tests := []struct {
		name string
		cond []Condition
		want bool
	}{
		{"pattern found anywhere", []Condition{{Variable: "http_req_User-Agent", Pattern: "zilla"}}, true},
		{"anchored", []Condition{{Variable: "http_req_User-Agent", Pattern: "^zilla"}}, false},
		{"case matters", []Condition{{Variable: "http_req_User-Agent", Pattern: "MOZILLA"}}, false},
		{"ignore case", []Condition{{Variable: "http_req_User-Agent", Pattern: "MOZILLA", IgnoreCase: true}}, true},
		{"header name ignores case", []Condition{{Variable: "http_req_user-agent", Pattern: "Mozilla"}}, true},
		{"negate", []Condition{{Variable: "http_req_User-Agent", Pattern: "curl", Negate: true}}, true},
		{"negate of a match", []Condition{{Variable: "http_req_User-Agent", Pattern: "Mozilla", Negate: true}}, false},
		{"absent header fails", []Condition{{Variable: "http_req_X-Missing", Pattern: ".*"}}, false},
		{"absent header negated holds", []Condition{{Variable: "http_req_X-Missing", Pattern: ".*", Negate: true}}, true},
		{"repeated header joined", []Condition{{Variable: "http_req_Accept", Pattern: "^text/html, application/json$"}}, true},
		{"cookie", []Condition{{Variable: "var_cookie_session", Pattern: "^s3cr3t$"}}, true},
		{"cookie on a second line", []Condition{{Variable: "var_cookie_lang", Pattern: "^en$"}}, true},
		{"absent cookie", []Condition{{Variable: "var_cookie_sess", Pattern: ".*"}}, false},
		{"server variable", []Condition{{Variable: "var_client_ip", Pattern: `^10\.`}}, true},
		{"empty server variable has a value", []Condition{{Variable: "var_ssl_enabled", Pattern: "^$"}}, true},
		{"server variable without a value", []Condition{{Variable: "var_client_certificate", Pattern: ".*"}}, false},
		{"host header", []Condition{{Variable: "http_req_Host", Pattern: `^shop\.contoso\.com:8443$`}}, true},
		{"uri path", []Condition{{Variable: "var_uri_path", Pattern: "^/a/b$"}}, true},
		{"query string", []Condition{{Variable: "var_query_string", Pattern: "^q=1$"}}, true},
		{"all must hold", []Condition{
			{Variable: "var_http_method", Pattern: "^GET$"},
			{Variable: "var_uri_path", Pattern: "^/nope"},
		}, false},
		{"all hold", []Condition{
			{Variable: "var_http_method", Pattern: "^GET$"},
			{Variable: "var_uri_path", Pattern: "^/a"},
			{Variable: "http_req_X-Missing", Pattern: ".", Negate: true},
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustSet(t, rules(Rule{Conditions: tt.cond, Actions: setHeader("X-Hit", "1")}))
			x := exchange(vars, "shop.contoso.com:8443", "/a/b", "q=1", req)
			s.Request(x)
			if got := x.RequestOut.Get("X-Hit") == "1"; got != tt.want {
				t.Errorf("rule ran = %v; want %v", got, tt.want)
			}
		})
	}
}

// TestReadsWhatWasReceived: conditions and values read the client's
// request, never what a rule wrote, unless the two maps are one.
func TestReadsWhatWasReceived(t *testing.T) {
	set := mustSet(t, rules(
		Rule{Sequence: 1, Actions: setHeader("X-A", "written")},
		Rule{Sequence: 2, Conditions: []Condition{{Variable: "http_req_X-A", Pattern: "written"}}, Actions: setHeader("X-B", "saw it")},
		Rule{Sequence: 3, Actions: setHeader("X-C", "{http_req_X-A}")},
	))
	x := exchange(nil, "", "/", "", http.Header{"X-A": {"original"}})
	set.Request(x)
	want := http.Header{"X-A": {"written"}, "X-C": {"original"}}
	if !reflect.DeepEqual(x.RequestOut, want) {
		t.Errorf("separate maps: RequestOut = %v; want %v", x.RequestOut, want)
	}

	one := http.Header{"X-A": {"original"}}
	x = &Exchange{Request: one, RequestOut: one, Path: "/"}
	set.Request(x)
	want = http.Header{"X-A": {"written"}, "X-B": {"saw it"}, "X-C": {"written"}}
	if !reflect.DeepEqual(one, want) {
		t.Errorf("one map: header = %v; want %v", one, want)
	}
}

func TestHeaderOps(t *testing.T) {
	vars := testVars{ClientIP: "10.0.0.1", ClientCertificate: "line1\r\nline2\x00end", Host: ""}
	tests := []struct {
		name    string
		actions []HeaderAction
		in      http.Header
		want    http.Header
	}{
		{"set replaces every value",
			[]HeaderAction{{Name: "X-A", Value: "new"}},
			http.Header{"X-A": {"1", "2"}}, http.Header{"X-A": {"new"}}},
		{"set adds an absent header",
			[]HeaderAction{{Name: "x-a", Value: "{var_client_ip}"}},
			nil, http.Header{"X-A": {"10.0.0.1"}}},
		{"set to an empty rendering deletes",
			[]HeaderAction{{Name: "X-A", Value: "{var_client_certificate_subject}"}},
			http.Header{"X-A": {"forged"}}, http.Header{}},
		{"empty value deletes",
			[]HeaderAction{{Name: "X-A"}},
			http.Header{"X-A": {"1"}, "X-B": {"2"}}, http.Header{"X-B": {"2"}}},
		{"delete",
			[]HeaderAction{{Name: "X-A", Op: DeleteHeader}},
			http.Header{"X-A": {"1"}}, http.Header{}},
		{"delete of an absent header",
			[]HeaderAction{{Name: "X-A", Op: DeleteHeader}},
			nil, http.Header{}},
		{"add appends",
			[]HeaderAction{{Name: "X-A", Op: AddHeader, Value: "3"}, {Name: "X-A", Op: AddHeader, Value: "{var_client_ip}"}},
			http.Header{"X-A": {"1,2"}}, http.Header{"X-A": {"1,2", "3", "10.0.0.1"}}},
		{"add to an absent header",
			[]HeaderAction{{Name: "X-A", Op: AddHeader, Value: "1"}},
			nil, http.Header{"X-A": {"1"}}},
		{"add of an empty rendering adds nothing",
			[]HeaderAction{{Name: "X-A", Op: AddHeader, Value: "{var_client_user}"}},
			http.Header{"X-A": {"1"}}, http.Header{"X-A": {"1"}}},
		{"control characters become spaces",
			[]HeaderAction{{Name: "X-Cert", Value: " {var_client_certificate} "}},
			nil, http.Header{"X-Cert": {"line1  line2 end"}}},
		{"literal text is trimmed",
			[]HeaderAction{{Name: "X-A", Value: "  padded\t"}},
			nil, http.Header{"X-A": {"padded"}}},
		{"literal braces",
			[]HeaderAction{{Name: "X-A", Value: `{{"ip":"{var_client_ip}"}}`}},
			nil, http.Header{"X-A": {`{"ip":"10.0.0.1"}`}}},
		{"value matcher sets the matching values",
			[]HeaderAction{{Name: "X-A", Value: "<{http_req_X-A_1}>", ValueMatcher: &ValueMatcher{Pattern: "^b(.)$"}}},
			http.Header{"X-A": {"a1", "b2", "c3", "b4"}}, http.Header{"X-A": {"a1", "<2>", "c3", "<4>"}}},
		{"value matcher deletes the matching values",
			[]HeaderAction{{Name: "X-A", Op: DeleteHeader, ValueMatcher: &ValueMatcher{Pattern: "^B", IgnoreCase: true}}},
			http.Header{"X-A": {"a1", "b2", "c3"}}, http.Header{"X-A": {"a1", "c3"}}},
		{"value matcher negated",
			[]HeaderAction{{Name: "X-A", Op: DeleteHeader, ValueMatcher: &ValueMatcher{Pattern: "^b", Negate: true}}},
			http.Header{"X-A": {"a1", "b2", "c3"}}, http.Header{"X-A": {"b2"}}},
		{"value matcher deleting every value deletes the header",
			[]HeaderAction{{Name: "X-A", Op: DeleteHeader, ValueMatcher: &ValueMatcher{Pattern: "."}}},
			http.Header{"X-A": {"a1", "b2"}}, http.Header{}},
		{"value matcher without a match",
			[]HeaderAction{{Name: "X-A", Value: "x", ValueMatcher: &ValueMatcher{Pattern: "z"}}},
			http.Header{"X-A": {"a1"}}, http.Header{"X-A": {"a1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustSet(t, rules(Rule{Actions: ActionSet{RequestHeaders: tt.actions}}))
			x := exchange(vars, "", "/", "", tt.in)
			s.Request(x)
			if !reflect.DeepEqual(x.RequestOut, tt.want) {
				t.Errorf("RequestOut = %q; want %q", x.RequestOut, tt.want)
			}
		})
	}
}

// TestSharedSlices: a proxy's outgoing header shares its value slices with
// the client's; no action may write into them.
func TestSharedSlices(t *testing.T) {
	backing := make([]string, 1, 8) // room to append in place
	backing[0] = "client"
	rendered := make([]string, 1, 8)
	rendered[0] = "client"
	client := http.Header{"X-A": backing, "X-B": {"b1", "b2"}, "X-C": rendered}
	set := mustSet(t, rules(Rule{Actions: ActionSet{RequestHeaders: []HeaderAction{
		{Name: "X-A", Op: AddHeader, Value: "added"},
		{Name: "X-B", Value: "new", ValueMatcher: &ValueMatcher{Pattern: "b1"}},
		{Name: "X-C", Op: AddHeader, Value: "{http_req_X-A}"},
	}}}))
	x := exchange(nil, "", "/", "", client)
	set.Request(x)
	if got := backing[:2]; got[1] != "" {
		t.Errorf("add of a literal wrote into the client's slice: %q", got)
	}
	if got := rendered[:2]; got[1] != "" {
		t.Errorf("add of a rendered value wrote into the client's slice: %q", got)
	}
	if !reflect.DeepEqual(client, http.Header{"X-A": {"client"}, "X-B": {"b1", "b2"}, "X-C": {"client"}}) {
		t.Errorf("client header modified: %q", client)
	}
	want := http.Header{"X-A": {"client", "added"}, "X-B": {"new", "b2"}, "X-C": {"client", "client"}}
	if !reflect.DeepEqual(x.RequestOut, want) {
		t.Errorf("RequestOut = %q; want %q", x.RequestOut, want)
	}
	// A static value's slice is shared between requests: adding to it in
	// a later exchange must copy too.
	set = mustSet(t, rules(Rule{Actions: ActionSet{RequestHeaders: []HeaderAction{
		{Name: "X-S", Value: "static"},
		{Name: "X-S", Op: AddHeader, Value: "more"},
	}}}))
	x1, x2 := exchange(nil, "", "/", "", nil), exchange(nil, "", "/", "", nil)
	set.Request(x1)
	set.Request(x2)
	for _, x := range []*Exchange{x1, x2} {
		if got := x.RequestOut["X-S"]; !reflect.DeepEqual(got, []string{"static", "more"}) {
			t.Errorf("X-S = %q", got)
		}
	}
}

func TestHostRewrite(t *testing.T) {
	tests := []struct {
		value string
		host  string // Host of the exchange
		want  string
	}{
		{"internal.contoso.com", "www.contoso.com", "internal.contoso.com"},
		{"{http_req_X-Target}", "www.contoso.com", "backend.example:8443"},
		{"{var_host}.internal", "www.contoso.com", "www.contoso.com.internal"},
		{"{http_req_X-Bad}", "www.contoso.com", ""},     // not a valid host: no change
		{"{http_req_X-Missing}", "www.contoso.com", ""}, // empty: no change (Host is never deleted)
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			s := mustSet(t, rules(Rule{Actions: setHeader("Host", tt.value)}))
			x := exchange(testVars{Host: "www.contoso.com"}, tt.host, "/", "",
				http.Header{"X-Target": {"backend.example:8443"}, "X-Bad": {"a b/c"}})
			res := s.Request(x)
			if res.Host != tt.want {
				t.Errorf("Result.Host = %q; want %q", res.Host, tt.want)
			}
			if _, ok := x.RequestOut["Host"]; ok {
				t.Errorf("RequestOut has a Host key: %q", x.RequestOut)
			}
		})
	}
}

func TestURLRewrite(t *testing.T) {
	tests := []struct {
		name      string
		cond      []Condition
		url       URLAction
		path, q   string
		wantPath  string
		wantQuery string
		wantRes   Result
	}{
		{"path without a slash",
			nil, URLAction{ModifiedPath: "index.html"}, "/", "a=1",
			"/index.html", "a=1", Result{URLChanged: true}},
		{"dot segments of a capture are resolved",
			[]Condition{{Variable: "http_req_X-Page", Pattern: "(.*)"}}, URLAction{ModifiedPath: "/static/{http_req_X-Page_1}"}, "/", "",
			"/admin", "", Result{URLChanged: true}},
		{"trailing slash kept",
			nil, URLAction{ModifiedPath: "/a/./b/"}, "/", "",
			"/a/b/", "", Result{URLChanged: true}},
		{"query escaped",
			[]Condition{{Variable: "http_req_X-Q", Pattern: "(.*)"}}, URLAction{ModifiedQueryString: new("q={http_req_X-Q_1}&x=1")}, "/p", "old=1",
			"/p", "q=a%20b%23c%C3%A9%25zz%253&x=1", Result{URLChanged: true}},
		{"query removed",
			nil, URLAction{ModifiedQueryString: new("")}, "/p", "old=1",
			"/p", "", Result{URLChanged: true}},
		{"path only keeps the query",
			nil, URLAction{ModifiedPath: "/new"}, "/old", "keep=1",
			"/new", "keep=1", Result{URLChanged: true}},
		{"reroute",
			[]Condition{{Variable: "var_uri_path", Pattern: "^/old/(.*)$"}}, URLAction{ModifiedPath: "/new/{var_uri_path_1}", Reroute: true}, "/old/x", "",
			"/new/x", "", Result{URLChanged: true, Reroute: true}},
		{"no match",
			[]Condition{{Variable: "var_uri_path", Pattern: "^/old/(.*)$"}}, URLAction{ModifiedPath: "/new/{var_uri_path_1}", Reroute: true}, "/other", "",
			"/other", "", Result{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustSet(t, rules(Rule{Conditions: tt.cond, Actions: ActionSet{URL: &tt.url}}))
			x := exchange(nil, "", tt.path, tt.q, http.Header{"X-Page": {"../../admin"}, "X-Q": {"a b#cé%zz%3"}})
			res := s.Request(x)
			if res != tt.wantRes || x.Path != tt.wantPath || x.RawQuery != tt.wantQuery {
				t.Errorf("Request = %+v, %q ? %q; want %+v, %q ? %q", res, x.Path, x.RawQuery, tt.wantRes, tt.wantPath, tt.wantQuery)
			}
		})
	}
}

// TestBothPhases: a rule with request and response actions evaluates its
// conditions in the response phase on the URL its request phase saw, even
// though it rewrote that URL.
func TestBothPhases(t *testing.T) {
	s := mustSet(t, rules(Rule{
		Conditions: []Condition{{Variable: "var_uri_path", Pattern: "^/old/(.*)$"}},
		Actions: ActionSet{
			URL:             &URLAction{ModifiedPath: "/new/{var_uri_path_1}"},
			ResponseHeaders: []HeaderAction{{Name: "X-Was", Value: "{var_uri_path}, {var_uri_path_1}"}},
		},
	}))
	x := exchange(nil, "", "/old/page", "", nil)
	s.Request(x)
	if x.Path != "/new/page" {
		t.Fatalf("Path = %q", x.Path)
	}
	respond(x, 200, nil)
	s.Response(x)
	if got := x.ResponseOut.Get("X-Was"); got != "/old/page, page" {
		t.Errorf("X-Was = %q; want %q", got, "/old/page, page")
	}
}

func TestResponseConditions(t *testing.T) {
	s := mustSet(t, rules(
		Rule{Conditions: []Condition{{Variable: "var_http_status", Pattern: "^30[1278]$"}},
			Actions: ActionSet{ResponseHeaders: []HeaderAction{{Name: "X-Redirected", Value: "{var_http_status}"}}}},
		Rule{Conditions: []Condition{{Variable: "http_resp_Content-Type", Pattern: "^text/html"}, {Variable: "http_req_Accept", Pattern: "html"}},
			Actions: ActionSet{ResponseHeaders: []HeaderAction{{Name: "X-Html", Value: "yes"}}}},
	))
	tests := []struct {
		status int
		ctype  string
		want   http.Header
	}{
		{301, "text/plain", http.Header{"Content-Type": {"text/plain"}, "X-Redirected": {"301"}}},
		{200, "text/html; charset=utf-8", http.Header{"Content-Type": {"text/html; charset=utf-8"}, "X-Html": {"yes"}}},
		{0, "text/plain", http.Header{"Content-Type": {"text/plain"}}},
		{999, "text/plain", http.Header{"Content-Type": {"text/plain"}}},
	}
	for _, tt := range tests {
		x := exchange(nil, "", "/", "", http.Header{"Accept": {"text/html"}})
		s.Request(x)
		respond(x, tt.status, http.Header{"Content-Type": {tt.ctype}})
		s.Response(x)
		if !reflect.DeepEqual(x.ResponseOut, tt.want) {
			t.Errorf("status %d: ResponseOut = %q; want %q", tt.status, x.ResponseOut, tt.want)
		}
	}
}

func TestRedirect(t *testing.T) {
	vars := testVars{RequestScheme: "http", Host: "www.contoso.com", ServerPort: "8080"}
	tests := []struct {
		name   string
		rd     RedirectAction
		vars   testVars
		path   string
		query  string
		status int
		want   string
	}{
		{"defaults keep the request", RedirectAction{}, vars, "/a b", "q=1", 302, "http://www.contoso.com:8080/a%20b?q=1"},
		{"https scheme gets its port", RedirectAction{Scheme: "https", Status: 301}, vars, "/a", "", 301, "https://www.contoso.com/a"},
		{"explicit port", RedirectAction{Scheme: "https", Port: 8443}, vars, "/", "", 302, "https://www.contoso.com:8443/"},
		{"default port of the request left out", RedirectAction{}, testVars{RequestScheme: "http", Host: "a.example", ServerPort: "80"}, "/", "", 302, "http://a.example/"},
		{"http port 443 kept", RedirectAction{Port: 443}, vars, "/", "", 302, "http://www.contoso.com:443/"},
		{"host and path", RedirectAction{Host: "new.example", Path: "/moved{var_uri_path}", Status: 308}, vars, "/x", "y=2", 308, "http://new.example:8080/moved/x?y=2"},
		{"query dropped", RedirectAction{Status: 307, DropQuery: true}, vars, "/x", "y=2", 307, "http://www.contoso.com:8080/x"},
		{"IPv6 host", RedirectAction{Scheme: "https"}, testVars{Host: "2001:db8::1"}, "/", "", 302, "https://[2001:db8::1]/"},
		{"IPv6 host with a port", RedirectAction{Port: 8443}, testVars{Host: "2001:db8::1"}, "/", "", 302, "http://[2001:db8::1]:8443/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd := tt.rd
			s := mustSet(t, rules(
				Rule{Sequence: 1, Actions: ActionSet{Redirect: &rd}},
				Rule{Sequence: 2, Actions: setHeader("X-After", "1")},
			))
			x := exchange(tt.vars, "", tt.path, tt.query, nil)
			res := s.Request(x)
			if res.RedirectStatus != tt.status || res.Location != tt.want {
				t.Errorf("Request = %d %q; want %d %q", res.RedirectStatus, res.Location, tt.status, tt.want)
			}
			if len(x.RequestOut) != 0 {
				t.Errorf("a rule after the redirect ran: %q", x.RequestOut)
			}
		})
	}
}

func TestNilAndEmpty(t *testing.T) {
	var s *Set
	x := exchange(nil, "", "/p", "q", http.Header{"A": {"1"}})
	if res := s.Request(x); res != (Result{}) {
		t.Errorf("nil Request = %+v", res)
	}
	respond(x, 200, http.Header{"B": {"2"}})
	s.Response(x)
	if s.Reroutes() || s.HasRequestActions() || s.HasResponseActions() || s.Name() != "" {
		t.Errorf("nil set reports something")
	}
	if !reflect.DeepEqual(x.RequestOut, http.Header{"A": {"1"}}) || !reflect.DeepEqual(x.ResponseOut, http.Header{"B": {"2"}}) || x.Path != "/p" || x.RawQuery != "q" {
		t.Errorf("nil set changed the exchange: %+v", x)
	}
	// Without Vars, server variables have no value.
	s = mustSet(t, rules(Rule{Conditions: []Condition{{Variable: "var_client_ip", Pattern: ".*", Negate: true}}, Actions: setHeader("X-No-Vars", "{var_client_ip}x")}))
	x = exchange(nil, "", "/", "", nil)
	s.Request(x)
	if got := x.RequestOut.Get("X-No-Vars"); got != "x" {
		t.Errorf("X-No-Vars = %q; want %q", got, "x")
	}
}

func TestManyCaptures(t *testing.T) {
	// More conditions with captures than fit on the stack.
	var conds []Condition
	value := ""
	for i, h := range []string{"A", "B", "C", "D", "E", "F"} {
		conds = append(conds, Condition{Variable: "http_req_X-" + h, Pattern: "^(.)(.)$"})
		value += "{http_req_X-" + h + "_" + string(rune('1'+i%2)) + "}"
	}
	s := mustSet(t, rules(Rule{Conditions: conds, Actions: setHeader("X-All", value)}))
	req := http.Header{}
	for _, h := range []string{"A", "B", "C", "D", "E", "F"} {
		req["X-"+h] = []string{"a" + h}
	}
	x := exchange(nil, "", "/", "", req)
	s.Request(x)
	if got := x.RequestOut.Get("X-All"); got != "aBaDaF" {
		t.Errorf("X-All = %q; want %q", got, "aBaDaF")
	}
}

func TestStatusString(t *testing.T) {
	for code := 100; code <= 999; code++ {
		if got, want := statusString(code), itoa3(code); got != want {
			t.Fatalf("statusString(%d) = %q", code, got)
		}
	}
}

func itoa3(n int) string {
	return string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
}
