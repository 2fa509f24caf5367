package rewrite

import (
	"errors"
	"strings"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	hdr := func(h ...HeaderAction) ActionSet { return ActionSet{RequestHeaders: h} }
	resp := func(h ...HeaderAction) ActionSet { return ActionSet{ResponseHeaders: h} }
	one := func(r Rule) []RuleSet {
		if r.Name == "" {
			r.Name = "y"
		}
		return []RuleSet{{Name: "x", Rules: []Rule{r}}}
	}
	const at = `rewrite: ruleSet "x": rule "y": `
	tests := []struct {
		name string
		sets []RuleSet
		want []string
	}{
		{
			name: "set names",
			sets: []RuleSet{{}, {Name: "a"}, {Name: "a"}},
			want: []string{
				`rewrite: ruleSet[0]: name is required`,
				`rewrite: ruleSet[2]: name "a" is also ruleSet[1]'s`,
			},
		},
		{
			name: "rule names and sequences",
			sets: []RuleSet{{Name: "x", Rules: []Rule{
				{Sequence: 1, Actions: resp(HeaderAction{Name: "A", Value: "1"})},
				{Name: "y", Sequence: -1, Actions: resp(HeaderAction{Name: "A", Value: "1"})},
				{Name: "y", Sequence: 1001, Actions: resp(HeaderAction{Name: "A", Value: "1"})},
			}}},
			want: []string{
				`rewrite: ruleSet "x": rule[0]: name is required`,
				`rewrite: ruleSet "x": rule "y": sequence -1 is not in 1-1000`,
				`rewrite: ruleSet "x": rule[2]: name "y" is also rule[1]'s`,
				`rewrite: ruleSet "x": rule[2]: sequence 1001 is not in 1-1000`,
			},
		},
		{
			name: "no action",
			sets: one(Rule{Conditions: []Condition{{Variable: "var_uri_path", Pattern: "/"}}}),
			want: []string{at + `no action: a rule needs a request header, response header, URL or redirect action`},
		},
		{
			name: "redirect with request actions",
			sets: one(Rule{Actions: ActionSet{Redirect: &RedirectAction{}, RequestHeaders: []HeaderAction{{Name: "A", Value: "1"}}}}),
			want: []string{at + `a redirect cannot be combined with request header or URL actions: the request is not forwarded`},
		},
		{
			name: "condition variables",
			sets: one(Rule{
				Conditions: []Condition{
					{Pattern: "a"},
					{Variable: "var_client_pi", Pattern: "a"},
					{Variable: "Var_client_ip", Pattern: "a"},
					{Variable: "client_ip", Pattern: "a"},
					{Variable: "http_req_X Y", Pattern: "a"},
					{Variable: "var_cookie_", Pattern: "a"},
					{Variable: "http_resp_Location", Pattern: "a"},
					{Variable: "var_http_status", Pattern: "a"},
				},
				Actions: hdr(HeaderAction{Name: "A", Value: "1"}),
			}),
			want: []string{
				at + `condition 1: variable is required`,
				at + `condition 2: unknown server variable "client_pi" (did you mean var_client_ip?)`,
				at + `condition 3: unknown variable "Var_client_ip": the prefix is var_, in lower case`,
				at + `condition 4: unknown variable "client_ip": variables begin with var_, http_req_ or http_resp_`,
				at + `condition 5: "http_req_X Y": "X Y" is not a valid header name`,
				at + `condition 6: "var_cookie_": "" is not a valid cookie name`,
				at + `condition 7: http_resp_Location is part of the response, but the rule has request actions, which run before there is one`,
				at + `condition 8: var_http_status is part of the response, but the rule has request actions, which run before there is one`,
			},
		},
		{
			name: "condition patterns",
			sets: one(Rule{
				Conditions: []Condition{
					{Variable: "var_uri_path"},
					{Variable: "var_uri_path", Pattern: "("},
					{Variable: "http_req_Referer", Pattern: `^(?!https://contoso\.com)`},
				},
				Actions: resp(HeaderAction{Name: "A", Value: "1"}),
			}),
			want: []string{
				at + `condition 1: pattern is required (".*" tests that the variable has a value)`,
				at + "condition 2: pattern \"(\": error parsing regexp: missing closing ): `(`",
				at + "condition 3: pattern \"^(?!https://contoso\\\\.com)\": error parsing regexp: invalid or unsupported Perl syntax: `(?!` " +
					"(patterns are RE2: no lookahead, lookbehind, atomic groups, possessive quantifiers or backreferences)",
			},
		},
		{
			name: "protected request headers",
			sets: one(Rule{Actions: hdr(
				HeaderAction{Name: "Content-Length", Value: "0"},
				HeaderAction{Name: "connection", Op: DeleteHeader},
				HeaderAction{Name: "Transfer-Encoding", Value: "chunked"},
				HeaderAction{Name: "TE", Op: DeleteHeader},
				HeaderAction{Name: "Upgrade", Value: "h2c"},
				HeaderAction{Name: "Proxy-Authorization", Op: DeleteHeader},
				HeaderAction{Name: "X-Forwarded-Proto", Value: "https"},
				HeaderAction{Name: "X-Forwarded-Port", Op: DeleteHeader},
				HeaderAction{Name: "X-Original-Host", Value: "a"},
				HeaderAction{Name: "X-Forwarded-Client-Cert", Value: "{var_client_certificate}"},
			)}),
			want: []string{
				at + `request header "Content-Length": cannot be rewritten: it frames the message`,
				at + `request header "connection": cannot be rewritten: a hop-by-hop header, which the gateway manages for each connection`,
				at + `request header "Transfer-Encoding": cannot be rewritten: a hop-by-hop header, which the gateway manages for each connection`,
				at + `request header "TE": cannot be rewritten: a hop-by-hop header, which the gateway manages for each connection`,
				at + `request header "Upgrade": cannot be rewritten: a hop-by-hop header, which the gateway manages for each connection`,
				at + `request header "Proxy-Authorization": cannot be rewritten: a hop-by-hop header, which the gateway manages for each connection`,
				at + `request header "X-Forwarded-Proto": cannot be rewritten: the gateway sets it`,
				at + `request header "X-Forwarded-Port": cannot be rewritten: the gateway sets it`,
				at + `request header "X-Original-Host": cannot be rewritten: the gateway sets it`,
				at + `request header "X-Forwarded-Client-Cert": cannot be rewritten: the gateway's client certificate forwarding owns it`,
			},
		},
		{
			name: "protected response headers",
			sets: one(Rule{Actions: resp(
				HeaderAction{Name: "Content-Length", Op: DeleteHeader},
				HeaderAction{Name: "Trailer", Value: "X"},
				HeaderAction{Name: "Keep-Alive", Value: "timeout=5"},
				HeaderAction{Name: "Proxy-Authenticate", Op: DeleteHeader},
			)}),
			want: []string{
				at + `response header "Content-Length": cannot be rewritten: it frames the message`,
				at + `response header "Trailer": cannot be rewritten: a hop-by-hop header, which the gateway manages for each connection`,
				at + `response header "Keep-Alive": cannot be rewritten: a hop-by-hop header, which the gateway manages for each connection`,
				at + `response header "Proxy-Authenticate": cannot be rewritten: a hop-by-hop header, which the gateway manages for each connection`,
			},
		},
		{
			name: "x-forwarded-for and host",
			sets: one(Rule{Actions: hdr(
				HeaderAction{Name: "X-Forwarded-For", Value: "{http_req_X-Real-IP}"},
				HeaderAction{Name: "X-Forwarded-For", Op: DeleteHeader},
				HeaderAction{Name: "X-Forwarded-For", Op: AddHeader, Value: "{var_client_ip}"},
				HeaderAction{Name: "Host", Op: AddHeader, Value: "a"},
				HeaderAction{Name: "Host", Value: "a b"},
				HeaderAction{Name: "Host", Value: "a", ValueMatcher: &ValueMatcher{Pattern: "b"}},
			)}),
			want: []string{
				at + `request header "X-Forwarded-For": the gateway sets X-Forwarded-For; a rule may only set it to {var_add_x_forwarded_for_proxy} (the list without ports) or {var_client_ip}`,
				at + `request header "X-Forwarded-For": the gateway sets X-Forwarded-For; a rule may only set it to {var_add_x_forwarded_for_proxy} (the list without ports) or {var_client_ip}`,
				at + `request header "X-Forwarded-For": the gateway sets X-Forwarded-For; a rule may only set it to {var_add_x_forwarded_for_proxy} (the list without ports) or {var_client_ip}`,
				at + `request header "Host": the Host header can only be set to a value, never deleted or added to (as in Azure)`,
				at + `request header "Host": "a b" is not a valid host[:port]`,
				at + `request header "Host": the Host header has one value: a value matcher does not apply`,
			},
		},
		{
			name: "header actions",
			sets: one(Rule{Actions: ActionSet{
				RequestHeaders: []HeaderAction{
					{Value: "1"},
					{Name: "X_Forwarded_For", Value: "1"},
					{Name: "content_length", Op: DeleteHeader},
					{Name: "X-A", Op: DeleteHeader, Value: "1"},
					{Name: "X-B", Op: AddHeader, Value: "1", ValueMatcher: &ValueMatcher{Pattern: "a"}},
					{Name: "X-C", Op: Op(7), Value: "1"},
					{Name: "X-D", Value: "1", ValueMatcher: &ValueMatcher{}},
				},
				ResponseHeaders: []HeaderAction{
					{Name: "X Y", Value: "1"},
					{Name: "X-E", Value: "a\r\nSet-Cookie: evil=1"},
				},
			}}),
			want: []string{
				at + `request header[0]: name is required`,
				at + `request header "X_Forwarded_For": cannot be rewritten: backends that read '_' as '-' take it for X-Forwarded-For, which a rule cannot write`,
				at + `request header "content_length": cannot be rewritten: backends that read '_' as '-' take it for Content-Length, which a rule cannot write`,
				at + `request header "X-A": a delete has no value`,
				at + `request header "X-B": a value matcher selects values to set or delete; it does not apply to add`,
				at + `request header "X-C": unknown operation Op(7)`,
				at + `request header "X-D": value matcher: pattern is required (".*" tests that the variable has a value)`,
				at + `response header "X Y": not a valid header name`,
				at + `response header "X-E": control character '\r' in the value`,
			},
		},
		{
			name: "references",
			sets: one(Rule{
				Conditions: []Condition{
					{Variable: "var_uri_path", Pattern: "^/(a)/(b)$"},
					{Variable: "http_req_Referer", Pattern: "x", Negate: true},
				},
				Actions: hdr(
					HeaderAction{Name: "X-1", Value: "{var_uri_path"},
					HeaderAction{Name: "X-2", Value: "a{}b"},
					HeaderAction{Name: "X-3", Value: "{var_nope}"},
					HeaderAction{Name: "X-4", Value: "{var_uri_path_3}"},
					HeaderAction{Name: "X-5", Value: "{http_req_Referer_1}"},
					HeaderAction{Name: "X-6", Value: "{var_client_ip_1}"},
					HeaderAction{Name: "X-7", Value: "{http_resp_Server}"},
					HeaderAction{Name: "X-8", Value: "{var_sent_bytes}"},
					HeaderAction{Name: "X-9", Value: "{{ok}} {var_uri_path_2} {var_cookie_a_1}"},
				),
			}),
			want: []string{
				at + `request header "X-1": '{' at byte 0 opens no reference (write "{{" for a literal brace)`,
				at + `request header "X-2": empty reference "{}" at byte 1 (write "{{}}" for literal braces)`,
				at + `request header "X-3": {var_nope}: unknown server variable "nope"`,
				at + `request header "X-4": {var_uri_path_3}: condition 1 has 2 groups`,
				at + `request header "X-5": {http_req_Referer_1}: condition 2 is negated and captures nothing`,
				at + `request header "X-6": {var_client_ip_1}: no condition of the rule reads var_client_ip, whose group 1 this would be`,
				at + `request header "X-7": {http_resp_Server}: http_resp_Server is part of the response, which a request action cannot read`,
				at + `request header "X-8": {var_sent_bytes}: var_sent_bytes is part of the response, which a request action cannot read`,
			},
		},
		{
			name: "url actions",
			sets: []RuleSet{{Name: "x", Rules: []Rule{
				{Name: "y", Conditions: []Condition{{Variable: "var_uri_path", Pattern: "a"}}, Actions: ActionSet{URL: &URLAction{}}},
				{Name: "z", Conditions: []Condition{{Variable: "var_uri_path", Pattern: "a"}}, Actions: ActionSet{URL: &URLAction{ModifiedQueryString: new("a=1"), Reroute: true}}},
			}}},
			want: []string{
				at + `url: modifiedPath and modifiedQueryString are both empty: the action changes nothing`,
				`rewrite: ruleSet "x": rule "z": url: reroute without modifiedPath would evaluate the path map again on the same path`,
			},
		},
		{
			name: "unconditional reroutes only",
			sets: []RuleSet{{Name: "x", Rules: []Rule{
				{Name: "y", Actions: ActionSet{URL: &URLAction{ModifiedPath: "/a", Reroute: true}}},
				{Name: "z", Actions: ActionSet{URL: &URLAction{ModifiedPath: "/b", Reroute: true}}},
			}}},
			want: []string{
				`rewrite: ruleSet "x": every rule reroutes without a condition, so the path map would be evaluated again forever (Azure requires a condition or a rule without reroute)`,
			},
		},
		{
			name: "redirects",
			sets: []RuleSet{{Name: "x", Rules: []Rule{
				{Name: "y", Actions: ActionSet{Redirect: &RedirectAction{Status: 200, Scheme: "ftp", Host: "a/b", Port: 70000, Path: "{x}"}}},
			}}},
			want: []string{
				at + `redirect: status 200 is not 301, 302, 303, 307 or 308`,
				at + `redirect: scheme "ftp" is not http or https`,
				at + `redirect: host "a/b" is not a host name or IP address (without a port)`,
				at + `redirect: port 70000 is not in 1-65535`,
				at + `redirect: path: {x}: unknown variable "x": variables begin with var_, http_req_ or http_resp_`,
			},
		},
		{
			name: "value matcher captures",
			sets: one(Rule{Actions: resp(
				HeaderAction{Name: "Set-Cookie", Value: "{http_resp_Set-Cookie_2}", ValueMatcher: &ValueMatcher{Pattern: "(a)"}},
				HeaderAction{Name: "Set-Cookie", Value: "{http_resp_Set-Cookie_1}", ValueMatcher: &ValueMatcher{Pattern: "(a)", Negate: true}},
			)}),
			want: []string{
				at + `response header "Set-Cookie": {http_resp_Set-Cookie_2}: the value matcher has 1 groups`,
				at + `response header "Set-Cookie": {http_resp_Set-Cookie_1}: the value matcher is negated and captures nothing`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sets, err := Compile(tt.sets)
			if err == nil {
				t.Fatalf("Compile succeeded; want errors:\n%s", strings.Join(tt.want, "\n"))
			}
			if sets != nil {
				t.Errorf("Compile returned sets with an error")
			}
			if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Compile errors:\n%s\nwant:\n%s", err, strings.Join(tt.want, "\n"))
			}
			var e *Error
			if !errors.As(err, &e) || e.Where == "" || e.Err == nil {
				t.Errorf("errors.As(%T, *Error) = %v, %+v", err, errors.As(err, &e), e)
			}
		})
	}
}

// TestCompileValid compiles what is allowed: the edge of each refusal
// above, and Azure's and Gateway API's usual sets.
func TestCompileValid(t *testing.T) {
	sets, err := Compile([]RuleSet{
		{Name: "empty"},
		{Name: "ok", Rules: []Rule{
			{Name: "a", Sequence: 1000, Actions: ActionSet{RequestHeaders: []HeaderAction{
				{Name: "X-Forwarded-For", Value: "{var_client_ip}"},
				{Name: "Host", Value: "internal.example:8443"},
				{Name: "X-Literal", Value: "{{json}}"},
				{Name: "X-Cookie", Value: "{var_cookie_session_2}"}, // a cookie named session_2
				{Name: "X-Forwarded-Host", Value: "{http_req_Host}"},
				{Name: "X_Real_IP", Value: "{var_client_ip}"}, // Gateway API allows any token
			}}},
			{Name: "b", Conditions: []Condition{{Variable: "http_resp_Content-Type", Pattern: "html"}},
				Actions: ActionSet{ResponseHeaders: []HeaderAction{{Name: "Upgrade-Insecure-Requests", Value: "1"}}}},
			{Name: "c", Conditions: []Condition{{Variable: "var_uri_path", Pattern: "^/old/(.*)"}},
				Actions: ActionSet{URL: &URLAction{ModifiedPath: "/new/{var_uri_path_1}", Reroute: true}}},
			{Name: "d", Actions: ActionSet{URL: &URLAction{ModifiedQueryString: new("")}}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 2 || sets["empty"] == nil || sets["ok"] == nil {
		t.Fatalf("sets = %v", sets)
	}
	if sets["empty"].Reroutes() || !sets["ok"].Reroutes() {
		t.Errorf("Reroutes: empty %v, ok %v; want false, true", sets["empty"].Reroutes(), sets["ok"].Reroutes())
	}
	if sets["empty"].HasRequestActions() || sets["empty"].HasResponseActions() {
		t.Errorf("an empty set has actions")
	}
	if !sets["ok"].HasRequestActions() || !sets["ok"].HasResponseActions() {
		t.Errorf("set ok has no actions")
	}
	if got := sets["ok"].Name(); got != "ok" {
		t.Errorf("Name = %q", got)
	}
}

func TestLookupVariable(t *testing.T) {
	n := 0
	for v := Variable(1); v < numVariables; v++ {
		name := v.String()
		got, ok := LookupVariable(name)
		if !ok || got != v {
			t.Errorf("LookupVariable(%q) = %v, %v; want %v", name, got, ok, v)
		}
		n++
	}
	if n != 29 {
		t.Errorf("%d variables; Azure documents 21 server variables and 8 mutual authentication variables", n)
	}
	for _, name := range []string{"", "cookie_a", "CLIENT_IP", "var_client_ip"} {
		if v, ok := LookupVariable(name); ok {
			t.Errorf("LookupVariable(%q) = %v", name, v)
		}
	}
	if got := Variable(0).String(); got != "Variable(0)" {
		t.Errorf("Variable(0) = %q", got)
	}
	if got := Op(9).String(); got != "Op(9)" {
		t.Errorf("Op(9) = %q", got)
	}
}
