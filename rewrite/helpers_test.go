package rewrite

import (
	"net/http"
	"strconv"
	"testing"
)

// testVars is a Vars of fixed values.
type testVars map[Variable]string

func (m testVars) Var(v Variable) (string, bool) {
	s, ok := m[v]
	return s, ok
}

// mustSet compiles one rule set.
func mustSet(tb testing.TB, rs RuleSet) *Set {
	tb.Helper()
	if rs.Name == "" {
		rs.Name = "set"
	}
	sets, err := Compile([]RuleSet{rs})
	if err != nil {
		tb.Fatalf("Compile: %v", err)
	}
	return sets[rs.Name]
}

// rules makes a rule set of rules, named r1, r2, ... where unnamed.
func rules(rs ...Rule) RuleSet {
	for i := range rs {
		if rs[i].Name == "" {
			rs[i].Name = "r" + strconv.Itoa(i+1)
		}
	}
	return RuleSet{Name: "set", Rules: rs}
}

// exchange is a request through a proxy: RequestOut starts as a copy of
// the client's header sharing its value slices, as the gateway makes it.
func exchange(vars Vars, host, path, query string, req http.Header) *Exchange {
	if req == nil {
		req = http.Header{}
	}
	out := make(http.Header, len(req))
	for k, vv := range req {
		out[k] = vv
	}
	return &Exchange{Vars: vars, Request: req, Host: host, RequestOut: out, Path: path, RawQuery: query}
}

// respond sets the response half of x: ResponseOut starts as a copy of the
// backend's header.
func respond(x *Exchange, status int, resp http.Header) {
	if resp == nil {
		resp = http.Header{}
	}
	out := make(http.Header, len(resp))
	for k, vv := range resp {
		out[k] = vv
	}
	x.Status, x.Response, x.ResponseOut = status, resp, out
}
