package rewrite

import (
	"net/http"
	"reflect"
	"testing"
)

// TestAzureExamples runs each rewrite example of Azure's documentation
// ("Rewrite HTTP headers and URL with Application Gateway", its portal
// how-tos, and the mutual authentication and Set-Cookie pages) that uses
// supported variables, as Azure describes its effect.
func TestAzureExamples(t *testing.T) {
	clientVars := testVars{
		ClientIP:    "203.0.113.7",
		ClientPort:  "51234",
		Host:        "contoso.com",
		RequestURI:  "/fashion/shirts",
		HTTPMethod:  "GET",
		HTTPVersion: "HTTP/1.1",
		// add_x_forwarded_for_proxy as the gateway computes it for a
		// client that sent "X-Forwarded-For: 198.51.100.1".
		AddXForwardedForProxy: "198.51.100.1, 203.0.113.7",
	}
	tests := []struct {
		name     string
		set      RuleSet
		host     string
		path     string
		query    string
		req      http.Header
		resp     http.Header
		status   int
		wantReq  http.Header // RequestOut after Request
		wantPath string
		wantQ    string
		wantRes  Result
		wantResp http.Header // ResponseOut after Response
	}{
		{
			// "Remove port information from the X-Forwarded-For header":
			// set it to add_x_forwarded_for_proxy.
			name: "x-forwarded-for without ports",
			set: rules(Rule{Sequence: 100, Actions: ActionSet{RequestHeaders: []HeaderAction{
				{Name: "X-Forwarded-For", Value: "{var_add_x_forwarded_for_proxy}"},
			}}}),
			path:     "/",
			req:      http.Header{"X-Forwarded-For": {"198.51.100.1:4000, 203.0.113.7:51234"}},
			wantReq:  http.Header{"X-Forwarded-For": {"198.51.100.1, 203.0.113.7"}},
			wantPath: "/",
		},
		{
			// The alternative the same section gives: the client's IP
			// alone, here in a header of its own.
			name: "client ip without port",
			set: rules(Rule{Sequence: 100, Actions: ActionSet{RequestHeaders: []HeaderAction{
				{Name: "X-Client-IP", Value: "{var_client_ip}"},
			}}}),
			path:     "/",
			wantReq:  http.Header{"X-Client-Ip": {"203.0.113.7"}},
			wantPath: "/",
		},
		{
			// "Modify a redirection URL": the backend (App Service)
			// redirects to its own host name; the rule puts the
			// gateway's back, from the Location header's captures.
			name: "location header of a backend redirect",
			set: rules(Rule{
				Sequence:   100,
				Conditions: []Condition{{Variable: "http_resp_Location", Pattern: `(https?):\/\/.*azurewebsites\.net(.*)$`, IgnoreCase: true}},
				Actions: ActionSet{ResponseHeaders: []HeaderAction{
					{Name: "Location", Value: "{http_resp_Location_1}://contoso.com{http_resp_Location_2}"},
				}},
			}),
			path:     "/path1",
			status:   302,
			resp:     http.Header{"Location": {"https://contoso.azurewebsites.net/path2?x=1"}},
			wantPath: "/path1",
			wantReq:  http.Header{},
			wantResp: http.Header{"Location": {"https://contoso.com/path2?x=1"}},
		},
		{
			// The same, with "the server variable host to set the
			// hostname to match the original request".
			name: "location header with var_host",
			set: rules(Rule{
				Sequence:   100,
				Conditions: []Condition{{Variable: "http_resp_Location", Pattern: `(https?):\/\/.*azurewebsites\.net(.*)$`}},
				Actions: ActionSet{ResponseHeaders: []HeaderAction{
					{Name: "Location", Value: "{http_resp_Location_1}://{var_host}{http_resp_Location_2}"},
				}},
			}),
			path:     "/",
			status:   301,
			resp:     http.Header{"Location": {"http://contoso.azurewebsites.net/"}},
			wantPath: "/",
			wantReq:  http.Header{},
			wantResp: http.Header{"Location": {"http://contoso.com/"}},
		},
		{
			// A backend redirect elsewhere does not match the condition.
			name: "location header left alone",
			set: rules(Rule{
				Sequence:   100,
				Conditions: []Condition{{Variable: "http_resp_Location", Pattern: `(https?):\/\/.*azurewebsites\.net(.*)$`}},
				Actions: ActionSet{ResponseHeaders: []HeaderAction{
					{Name: "Location", Value: "{http_resp_Location_1}://contoso.com{http_resp_Location_2}"},
				}},
			}),
			path:     "/",
			status:   302,
			resp:     http.Header{"Location": {"https://login.example.com/"}},
			wantPath: "/",
			wantReq:  http.Header{},
			wantResp: http.Header{"Location": {"https://login.example.com/"}},
		},
		{
			// "Implement security HTTP headers to prevent
			// vulnerabilities", for all responses.
			name: "security headers",
			set: rules(Rule{Sequence: 100, Actions: ActionSet{ResponseHeaders: []HeaderAction{
				{Name: "Strict-Transport-Security", Value: "max-age=31536000"},
				{Name: "X-XSS-Protection", Value: "1; mode=block"},
				{Name: "Content-Security-Policy", Value: "default-src 'self'"},
			}}}),
			path:     "/",
			status:   200,
			resp:     http.Header{"Content-Type": {"text/html"}},
			wantPath: "/",
			wantReq:  http.Header{},
			wantResp: http.Header{
				"Content-Type":              {"text/html"},
				"Strict-Transport-Security": {"max-age=31536000"},
				"X-Xss-Protection":          {"1; mode=block"},
				"Content-Security-Policy":   {"default-src 'self'"},
			},
		},
		{
			// "Delete unwanted headers": an empty value deletes.
			name: "delete server and x-powered-by",
			set: rules(Rule{Sequence: 100, Actions: ActionSet{ResponseHeaders: []HeaderAction{
				{Name: "Server"},
				{Name: "X-Powered-By", Value: ""},
			}}}),
			path:     "/",
			status:   200,
			resp:     http.Header{"Server": {"Microsoft-IIS/10.0"}, "X-Powered-By": {"ASP.NET"}, "Etag": {`"1"`}},
			wantPath: "/",
			wantReq:  http.Header{},
			wantResp: http.Header{"Etag": {`"1"`}},
		},
		{
			// "Check for the presence of a header": the rule runs only
			// when the request has the header.
			name: "presence of a header: present",
			set: rules(Rule{
				Sequence:   100,
				Conditions: []Condition{{Variable: "http_req_X-Debug", Pattern: ".*"}},
				Actions:    ActionSet{ResponseHeaders: []HeaderAction{{Name: "X-Debug-Backend", Value: "web-1"}}},
			}),
			path:     "/",
			req:      http.Header{"X-Debug": {""}},
			status:   200,
			wantPath: "/",
			wantReq:  http.Header{"X-Debug": {""}},
			wantResp: http.Header{"X-Debug-Backend": {"web-1"}},
		},
		{
			name: "presence of a header: absent",
			set: rules(Rule{
				Sequence:   100,
				Conditions: []Condition{{Variable: "http_req_X-Debug", Pattern: ".*"}},
				Actions:    ActionSet{ResponseHeaders: []HeaderAction{{Name: "X-Debug-Backend", Value: "web-1"}}},
			}),
			path:     "/",
			status:   200,
			wantPath: "/",
			wantReq:  http.Header{},
			wantResp: http.Header{},
		},
		{
			// The WAF section's example: if Accept is text/html, rewrite
			// it to image/png.
			name: "accept header",
			set: rules(Rule{
				Sequence:   100,
				Conditions: []Condition{{Variable: "http_req_Accept", Pattern: "^text/html$"}},
				Actions:    ActionSet{RequestHeaders: []HeaderAction{{Name: "Accept", Value: "image/png"}}},
			}),
			path:     "/",
			req:      http.Header{"Accept": {"text/html"}},
			wantPath: "/",
			wantReq:  http.Header{"Accept": {"image/png"}},
		},
		{
			// "Rewrite query string parameters based on the URL":
			// /fashion/shirts becomes /buy.aspx?category=fashion&product=shirts.
			name: "query string from the path",
			set: rules(Rule{
				Sequence:   100,
				Conditions: []Condition{{Variable: "var_uri_path", Pattern: "/(.+)/(.+)"}},
				Actions: ActionSet{URL: &URLAction{
					ModifiedPath:        "buy.aspx",
					ModifiedQueryString: new("category={var_uri_path_1}&product={var_uri_path_2}"),
				}},
			}),
			path:     "/fashion/shirts",
			wantPath: "/buy.aspx",
			wantQ:    "category=fashion&product=shirts",
			wantReq:  http.Header{},
			wantRes:  Result{URLChanged: true},
		},
		{
			// "Parameter based path selection", the first of the three
			// rules matching: the path becomes /listing1 and the path map
			// is evaluated again.
			name:     "parameter based path selection: shoes",
			set:      listingRules(),
			path:     "/listing",
			query:    "category=shoes",
			wantPath: "/listing1",
			wantQ:    "category=shoes",
			wantReq:  http.Header{},
			wantRes:  Result{URLChanged: true, Reroute: true},
		},
		{
			name:     "parameter based path selection: bags",
			set:      listingRules(),
			path:     "/listing",
			query:    "category=bags",
			wantPath: "/listing2",
			wantQ:    "category=bags",
			wantReq:  http.Header{},
			wantRes:  Result{URLChanged: true, Reroute: true},
		},
		{
			// No rule matches: the request goes to the default path
			// unchanged.
			name:     "parameter based path selection: any",
			set:      listingRules(),
			path:     "/listing",
			query:    "category=any",
			wantPath: "/listing",
			wantQ:    "category=any",
			wantReq:  http.Header{},
		},
		{
			// A header captured into another: the User-Agent example of
			// the captures section.
			name: "request header capture",
			set: rules(Rule{
				Sequence:   100,
				Conditions: []Condition{{Variable: "http_req_User-Agent", Pattern: `^(\w+)/(\d+)`}},
				Actions:    ActionSet{RequestHeaders: []HeaderAction{{Name: "X-Client-Product", Value: "{http_req_User-Agent_1} {http_req_User-Agent_2}"}}},
			}),
			path:     "/",
			req:      http.Header{"User-Agent": {"Mozilla/5.0 (X11)"}},
			wantPath: "/",
			wantReq:  http.Header{"User-Agent": {"Mozilla/5.0 (X11)"}, "X-Client-Product": {"Mozilla 5"}},
		},
		{
			// "How to rewrite cookie path" (Microsoft Q&A): a Set-Cookie
			// path rewritten with the header's captures; with a value
			// matcher the other Set-Cookie headers survive, which Azure's
			// plain rewrite drops (its documented limitation).
			name: "set-cookie path with a value matcher",
			set: rules(Rule{
				Sequence: 100,
				Actions: ActionSet{ResponseHeaders: []HeaderAction{{
					Name:         "Set-Cookie",
					Value:        "{http_resp_Set-Cookie_1}path=/newpath{http_resp_Set-Cookie_2}",
					ValueMatcher: &ValueMatcher{Pattern: `^(session=.*)path=/[^;]*(.*)$`},
				}}},
			}),
			path:   "/",
			status: 200,
			resp: http.Header{"Set-Cookie": {
				"session=abc; path=/oldpath; HttpOnly",
				"ApplicationGatewayAffinity=c1a2; Path=/",
			}},
			wantPath: "/",
			wantReq:  http.Header{},
			wantResp: http.Header{"Set-Cookie": {
				"session=abc; path=/newpath; HttpOnly",
				"ApplicationGatewayAffinity=c1a2; Path=/",
			}},
		},
		{
			// Azure's documented limitation, kept: setting a header that
			// has several values replaces them all.
			name: "set-cookie without a value matcher",
			set: rules(Rule{Sequence: 100, Actions: ActionSet{ResponseHeaders: []HeaderAction{
				{Name: "Set-Cookie", Value: "only=1"},
			}}}),
			path:     "/",
			status:   200,
			resp:     http.Header{"Set-Cookie": {"a=1", "b=2"}},
			wantPath: "/",
			wantReq:  http.Header{},
			wantResp: http.Header{"Set-Cookie": {"only=1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustSet(t, tt.set)
			x := exchange(clientVars, tt.host, tt.path, tt.query, tt.req)
			res := s.Request(x)
			if res != tt.wantRes {
				t.Errorf("Request = %+v; want %+v", res, tt.wantRes)
			}
			if x.Path != tt.wantPath || x.RawQuery != tt.wantQ {
				t.Errorf("URL = %q ? %q; want %q ? %q", x.Path, x.RawQuery, tt.wantPath, tt.wantQ)
			}
			if !reflect.DeepEqual(x.RequestOut, tt.wantReq) {
				t.Errorf("RequestOut = %v; want %v", x.RequestOut, tt.wantReq)
			}
			if tt.wantResp != nil {
				respond(x, tt.status, tt.resp)
				s.Response(x)
				if !reflect.DeepEqual(x.ResponseOut, tt.wantResp) {
					t.Errorf("ResponseOut = %v; want %v", x.ResponseOut, tt.wantResp)
				}
			}
		})
	}
}

// listingRules is the rewrite set of "Parameter based path selection".
func listingRules() RuleSet {
	rule := func(name, category, path string) Rule {
		return Rule{
			Name:       name,
			Sequence:   100,
			Conditions: []Condition{{Variable: "var_query_string", Pattern: "category=" + category}},
			Actions:    ActionSet{URL: &URLAction{ModifiedPath: path, Reroute: true}},
		}
	}
	return RuleSet{Name: "listing", Rules: []Rule{
		rule("shoes", "shoes", "/listing1"),
		rule("bags", "bags", "/listing2"),
		rule("accessories", "accessories", "/listing3"),
	}}
}

// TestAzureClientCertificate passes the client certificate variables of
// mutual authentication to the backend, as Azure's mTLS pages show, and
// removes what a client without a certificate sends in those headers
// itself (the variables have no value, so the set deletes).
func TestAzureClientCertificate(t *testing.T) {
	set := mustSet(t, rules(Rule{Sequence: 100, Actions: ActionSet{RequestHeaders: []HeaderAction{
		{Name: "X-Client-Cert", Value: "{var_client_certificate}"},
		{Name: "X-Client-Cert-Subject", Value: "{var_client_certificate_subject}"},
		{Name: "X-Client-Cert-Issuer", Value: "{var_client_certificate_issuer}"},
		{Name: "X-Client-Cert-Serial", Value: "{var_client_certificate_serial}"},
		{Name: "X-Client-Cert-Fingerprint", Value: "{var_client_certificate_fingerprint}"},
		{Name: "X-Client-Cert-Start", Value: "{var_client_certificate_start_date}"},
		{Name: "X-Client-Cert-End", Value: "{var_client_certificate_end_date}"},
		{Name: "X-Client-Cert-Verification", Value: "{var_client_certificate_verification}"},
	}}}))

	withCert := testVars{
		ClientCertificate:             "-----BEGIN%20CERTIFICATE-----%0AMIIB...%0A-----END%20CERTIFICATE-----%0A",
		ClientCertificateSubject:      "CN=client.example,O=Contoso",
		ClientCertificateIssuer:       "CN=Contoso Client CA",
		ClientCertificateSerial:       "0A1B2C",
		ClientCertificateFingerprint:  "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B",
		ClientCertificateStartDate:    "Jan  1 00:00:00 2026 GMT",
		ClientCertificateEndDate:      "Jan  1 00:00:00 2027 GMT",
		ClientCertificateVerification: "SUCCESS",
	}
	x := exchange(withCert, "api.contoso.com", "/", "", nil)
	set.Request(x)
	want := http.Header{
		"X-Client-Cert":              {withCert[ClientCertificate]},
		"X-Client-Cert-Subject":      {"CN=client.example,O=Contoso"},
		"X-Client-Cert-Issuer":       {"CN=Contoso Client CA"},
		"X-Client-Cert-Serial":       {"0A1B2C"},
		"X-Client-Cert-Fingerprint":  {"9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B"},
		"X-Client-Cert-Start":        {"Jan  1 00:00:00 2026 GMT"},
		"X-Client-Cert-End":          {"Jan  1 00:00:00 2027 GMT"},
		"X-Client-Cert-Verification": {"SUCCESS"},
	}
	if !reflect.DeepEqual(x.RequestOut, want) {
		t.Errorf("with a certificate: RequestOut = %v; want %v", x.RequestOut, want)
	}

	forged := http.Header{"X-Client-Cert-Subject": {"CN=admin"}, "X-Client-Cert-Verification": {"SUCCESS"}}
	x = exchange(testVars{ClientCertificateVerification: "NONE"}, "api.contoso.com", "/", "", forged)
	set.Request(x)
	want = http.Header{"X-Client-Cert-Verification": {"NONE"}}
	if !reflect.DeepEqual(x.RequestOut, want) {
		t.Errorf("without a certificate: RequestOut = %v; want %v", x.RequestOut, want)
	}
	if got := forged["X-Client-Cert-Subject"]; len(got) != 1 || got[0] != "CN=admin" {
		t.Errorf("the client's header was modified: %v", forged)
	}
}

// TestAzureHostCannotBeDeleted: "It isn't possible to create a rewrite rule
// to delete the host header ... it results in an error."
func TestAzureHostCannotBeDeleted(t *testing.T) {
	_, err := Compile([]RuleSet{rules(Rule{Sequence: 100, Actions: ActionSet{RequestHeaders: []HeaderAction{{Name: "Host"}}}})})
	want := `rewrite: ruleSet "set": rule "r1": request header "Host": the Host header can only be set to a value, never deleted or added to (as in Azure)`
	if err == nil || err.Error() != want {
		t.Errorf("Compile = %v; want %s", err, want)
	}
}
