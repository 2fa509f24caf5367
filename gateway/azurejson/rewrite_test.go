package azurejson

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/rewrite"
)

// rewriteCorpusSets are the rewrite rule sets of testdata/azure/rewrite-sets.json:
// Azure's documented examples.
func rewriteCorpusSets() []rewrite.RuleSet {
	query, none := "id={var_uri_path_1}&title={var_uri_path_2}", ""
	return []rewrite.RuleSet{
		{Name: "security-headers", Rules: []rewrite.Rule{
			{Name: "hsts", Sequence: 100, Actions: rewrite.ActionSet{ResponseHeaders: []rewrite.HeaderAction{{Name: "Strict-Transport-Security", Value: "max-age=31536000"}}}},
			{Name: "remove-server", Sequence: 101, Actions: rewrite.ActionSet{ResponseHeaders: []rewrite.HeaderAction{{Name: "Server"}}}},
			{Name: "xff-without-port", Sequence: 102, Actions: rewrite.ActionSet{RequestHeaders: []rewrite.HeaderAction{{Name: "X-Forwarded-For", Value: "{var_add_x_forwarded_for_proxy}"}}}},
			{Name: "fix-location", Sequence: 200,
				Conditions: []rewrite.Condition{{Variable: "http_resp_Location", Pattern: `(https?):\/\/.*azurewebsites\.net(.*)$`, IgnoreCase: true}},
				Actions:    rewrite.ActionSet{ResponseHeaders: []rewrite.HeaderAction{{Name: "Location", Value: "{http_resp_Location_1}://contoso.com{http_resp_Location_2}"}}}},
			{Name: "secure-cookies", Sequence: 300, Actions: rewrite.ActionSet{ResponseHeaders: []rewrite.HeaderAction{{
				Name: "Set-Cookie", Value: "{http_resp_Set-Cookie_1}; Secure; HttpOnly", ValueMatcher: &rewrite.ValueMatcher{Pattern: "^(session=[^;]*)"},
			}}}},
		}},
		{Name: "listing-reroute", Rules: []rewrite.Rule{
			{Name: "shoes", Sequence: 100,
				Conditions: []rewrite.Condition{{Variable: "var_query_string", Pattern: "category=shoes", IgnoreCase: true}},
				Actions:    rewrite.ActionSet{URL: &rewrite.URLAction{ModifiedPath: "/listing1", Reroute: true}}},
			{Name: "bags", Sequence: 101,
				Conditions: []rewrite.Condition{{Variable: "var_query_string", Pattern: "category=bags", IgnoreCase: true}},
				Actions:    rewrite.ActionSet{URL: &rewrite.URLAction{ModifiedPath: "/listing2", Reroute: true}}},
		}},
		{Name: "friendly-urls", Rules: []rewrite.Rule{
			{Name: "article", Sequence: 100,
				Conditions: []rewrite.Condition{{Variable: "var_uri_path", Pattern: ".*article/(.*)/(.*)", IgnoreCase: true}},
				Actions:    rewrite.ActionSet{URL: &rewrite.URLAction{ModifiedPath: "/article.aspx", ModifiedQueryString: &query}}},
			{Name: "no-query", Sequence: 200,
				Conditions: []rewrite.Condition{
					{Variable: "var_uri_path", Pattern: "^/article/?$", IgnoreCase: true},
					{Variable: "var_query_string", Pattern: "^debug=", Negate: true},
				},
				Actions: rewrite.ActionSet{URL: &rewrite.URLAction{ModifiedQueryString: &none}}},
		}},
	}
}

// TestCorpusRewriteSets reads Azure's rewrite examples as a REST GET
// returns them: the sets, and the references of a basic rule, a URL path
// map's default and a path rule.
func TestCorpusRewriteSets(t *testing.T) {
	doc := readCorpus(t, "rewrite-sets.json", Options{})
	assert.Equal(t, "agw-rewrite", doc.Name)
	http := gateway.BackendHTTPSetting{Name: "http", Protocol: gateway.HTTP, Port: 8080, RequestTimeout: 20 * time.Second}
	require.Equal(t, gateway.Config{
		Listeners: []gateway.Listener{
			{Name: "shop", Protocol: gateway.HTTP, Port: 80, HostNames: []string{"www.contoso.com"}},
			{Name: "api", Protocol: gateway.HTTP, Port: 80, HostNames: []string{"api.contoso.com"}},
		},
		Pools: []gateway.Pool{
			{Name: "generic", Members: []gateway.Member{{Address: "10.4.1.4"}}},
			{Name: "shoes", Members: []gateway.Member{{Address: "10.4.2.4"}}},
			{Name: "bags", Members: []gateway.Member{{Address: "10.4.3.4"}}},
			{Name: "api", Members: []gateway.Member{{Address: "contoso.azurewebsites.net"}}},
		},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{http},
		Rules: []gateway.Rule{
			{Name: "shop", Priority: 100, Listener: "shop", URLPathMap: "listings"},
			{Name: "api", Priority: 200, Listener: "api", Pool: "api", BackendHTTPSetting: "http", RewriteRuleSet: "security-headers"},
		},
		URLPathMaps: []gateway.URLPathMap{{
			Name: "listings", DefaultPool: "generic", DefaultBackendHTTPSetting: "http", DefaultRewriteRuleSet: "listing-reroute",
			PathRules: []gateway.PathRule{
				{Name: "shoes", Paths: []string{"/listing1"}, Pool: "shoes", BackendHTTPSetting: "http"},
				{Name: "bags", Paths: []string{"/listing2"}, Pool: "bags", BackendHTTPSetting: "http"},
				{Name: "articles", Paths: []string{"/article/*"}, Pool: "generic", BackendHTTPSetting: "http", RewriteRuleSet: "friendly-urls"},
			},
		}},
		RewriteRuleSets: rewriteCorpusSets(),
		DisableHTTP2:    true,
	}, doc.Config)
	assert.Contains(t, ignoredAt(doc, "rewriteRuleSets[0]"), "provisioningState", "a set's state is Azure's")
}

// armGateway is a minimal gateway resource around props, one HTTP
// listener "web" (with listener, the listener's extra properties) on
// port 80 routed to pool "p" with setting "s".
func armGateway(listener, props string) string {
	id := func(coll, name string) string {
		return `{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/applicationGateways/gw/` + coll + `/` + name + `"}`
	}
	return `{"name": "gw", "properties": {
  "frontendIPConfigurations": [{"name": "f", "properties": {"privateIPAddress": "127.0.0.1"}}],
  "frontendPorts": [{"name": "p80", "properties": {"port": 80}}],
  "httpListeners": [{"name": "web", "properties": {"protocol": "Http", "frontendIPConfiguration": ` + id("frontendIPConfigurations", "f") + `, "frontendPort": ` + id("frontendPorts", "p80") + listener + `}}],
  "backendAddressPools": [{"name": "p", "properties": {"backendAddresses": [{"ipAddress": "10.0.0.4"}]}}],
  "backendHttpSettingsCollection": [{"name": "s", "properties": {"protocol": "Http", "port": 80}}],
  "requestRoutingRules": [{"name": "r", "properties": {"ruleType": "Basic", "priority": 1, "httpListener": ` + id("httpListeners", "web") + `, "backendAddressPool": ` + id("backendAddressPools", "p") + `, "backendHttpSettings": ` + id("backendHttpSettingsCollection", "s") + `}}]` + props + `}}`
}

// TestCustomErrorConfigurations reads Azure's customErrorConfigurations,
// at the top level and in a listener, in the resource and the flat
// format, and refuses statuses Azure serves no page for, each at its
// place.
func TestCustomErrorConfigurations(t *testing.T) {
	doc, err := Read([]byte(armGateway(
		`, "customErrorConfigurations": [{"statusCode": "HttpStatus403", "customErrorPageUrl": "https://pages.example/403.html"}]`,
		`, "customErrorConfigurations": [{"statusCode": "HttpStatus502", "customErrorPageUrl": "https://pages.example/502.html"}, {"statusCode": "httpstatus503", "customErrorPageUrl": "https://pages.example/503.htm"}]`,
	)), Options{})
	require.NoError(t, err)
	assert.Equal(t, []gateway.CustomErrorPage{{StatusCode: 502, PageURL: "https://pages.example/502.html"}, {StatusCode: 503, PageURL: "https://pages.example/503.htm"}}, doc.Config.CustomErrorPages)
	assert.Equal(t, []gateway.CustomErrorPage{{StatusCode: 403, PageURL: "https://pages.example/403.html"}}, doc.Config.Listeners[0].CustomErrorPages)

	_, err = Read([]byte(armGateway("",
		`, "customErrorConfigurations": [{"statusCode": "HttpStatus404", "customErrorPageUrl": "https://pages.example/404.html"}, {"statusCode": "HttpStatus418"}, {"customErrorPageUrl": 5}]`,
	)), Options{})
	require.Error(t, err)
	for _, want := range []string{
		`properties: customErrorConfigurations[0]: statusCode: "HttpStatus404": Azure's API names it but serves no custom page for 404`,
		`properties: customErrorConfigurations[1]: statusCode: want "HttpStatus400", "HttpStatus403", "HttpStatus405", "HttpStatus408", "HttpStatus500", "HttpStatus502", "HttpStatus503" or "HttpStatus504", got string "HttpStatus418"`,
		`properties: customErrorConfigurations[1]: customErrorPageUrl: missing`,
		`properties: customErrorConfigurations[2]: customErrorPageUrl: want a string, got number 5`,
		`properties: customErrorConfigurations[2]: statusCode: missing`,
	} {
		assert.Contains(t, err.Error(), want)
	}

	// The flat format: a page file is relative to the document's directory.
	dir := t.TempDir()
	page := filepath.Join(dir, "pages", "502.html")
	require.NoError(t, os.MkdirAll(filepath.Dir(page), 0o755))
	require.NoError(t, os.WriteFile(page, []byte("<!DOCTYPE html><p>later</p>"), 0o644))
	conf := filepath.Join(dir, "gw.json")
	require.NoError(t, os.WriteFile(conf, []byte(`{
  "httpListeners": [{"name": "web", "protocol": "Http", "port": 80,
    "customErrorConfigurations": [{"statusCode": "HttpStatus500", "customErrorPageUrl": "https://pages.example/500.html"}]}],
  "backendAddressPools": [{"name": "p", "backendAddresses": [{"ipAddress": "127.0.0.1", "port": 1}]}],
  "backendHttpSettings": [{"name": "s", "protocol": "Http", "port": 80}],
  "requestRoutingRules": [{"name": "r", "ruleType": "Basic", "httpListener": "web", "backendAddressPool": "p", "backendHttpSettings": "s"}],
  "customErrorConfigurations": [{"statusCode": "HttpStatus502", "customErrorPageUrl": "pages/502.html"}]
}`), 0o644))
	cfg, err := Load(conf)
	require.NoError(t, err)
	assert.Equal(t, []gateway.CustomErrorPage{{StatusCode: 502, PageURL: page}}, cfg.CustomErrorPages)
	assert.Equal(t, []gateway.CustomErrorPage{{StatusCode: 500, PageURL: "https://pages.example/500.html"}}, cfg.Listeners[0].CustomErrorPages)
}

// TestFlatRewriteRuleSets reads rewrite rule sets in the flat format, with
// their references checked like every other.
func TestFlatRewriteRuleSets(t *testing.T) {
	doc := `{
  "httpListeners": [{"name": "web", "protocol": "Http", "port": 80}],
  "backendAddressPools": [{"name": "p", "backendAddresses": [{"ipAddress": "127.0.0.1", "port": 1}]}],
  "backendHttpSettings": [{"name": "s", "protocol": "Http", "port": 80}],
  "requestRoutingRules": [{"name": "r", "ruleType": "PathBasedRouting", "httpListener": "web", "urlPathMap": "m"}],
  "urlPathMaps": [{"name": "m", "defaultBackendAddressPool": "p", "defaultBackendHttpSettings": "s", "defaultRewriteRuleSet": "listing",
    "pathRules": [{"name": "shoes", "paths": ["/listing1"], "backendAddressPool": "p", "backendHttpSettings": "s", "rewriteRuleSet": "security"}]}],
  "rewriteRuleSets": [
    {"name": "security", "rewriteRules": [{"name": "hsts", "ruleSequence": 100, "actionSet": {"responseHeaderConfigurations": [{"headerName": "Strict-Transport-Security", "headerValue": "max-age=31536000"}]}}]},
    {"name": "listing", "rewriteRules": [{"name": "shoes", "ruleSequence": 100,
      "conditions": [{"variable": "var_query_string", "pattern": "category=shoes"}],
      "actionSet": {"urlConfiguration": {"modifiedPath": "/listing1", "reroute": true}}}]}
  ]
}`
	cfg, err := Parse([]byte(doc), "")
	require.NoError(t, err)
	assert.Equal(t, "listing", cfg.URLPathMaps[0].DefaultRewriteRuleSet)
	assert.Equal(t, "security", cfg.URLPathMaps[0].PathRules[0].RewriteRuleSet)
	require.Len(t, cfg.RewriteRuleSets, 2)
	assert.Equal(t, rewrite.RuleSet{Name: "listing", Rules: []rewrite.Rule{{Name: "shoes", Sequence: 100,
		Conditions: []rewrite.Condition{{Variable: "var_query_string", Pattern: "category=shoes"}},
		Actions:    rewrite.ActionSet{URL: &rewrite.URLAction{ModifiedPath: "/listing1", Reroute: true}}}}}, cfg.RewriteRuleSets[1])
	g, err := gateway.New(withOffline(cfg))
	require.NoError(t, err)
	require.NoError(t, g.Close())

	// A misspelt reference, a misspelt field and a wrong type, all at once.
	bad := strings.Replace(doc, `"rewriteRuleSet": "security"`, `"rewriteRuleSet": "securty"`, 1)
	bad = strings.Replace(bad, `"reroute": true`, `"reroute": "yes"`, 1)
	bad = strings.Replace(bad, `"headerValue"`, `"headervalue"`, 1)
	_, err = Parse([]byte(bad), "")
	require.Error(t, err)
	for _, want := range []string{
		`pathRules[0] ("shoes"): rewriteRuleSet: unknown rewriteRuleSets element "securty" (did you mean "security"?)`,
		`rewriteRules[0] ("hsts"): actionSet: responseHeaderConfigurations[0]: unknown field "headervalue" (did you mean "headerValue"?)`,
		`rewriteRules[0] ("shoes"): actionSet: urlConfiguration: reroute: want true or false, got string "yes"`,
	} {
		assert.Contains(t, err.Error(), want)
	}
}

// TestWriteRewritesAndErrorPages writes rewrite rule sets and custom error
// pages and reads them back; what Azure cannot carry is left out with
// OnDrop, or refused.
func TestWriteRewritesAndErrorPages(t *testing.T) {
	doc := readCorpus(t, "rewrite-sets.json", Options{})
	cfg := doc.Config
	cfg.CustomErrorPages = []gateway.CustomErrorPage{{StatusCode: 502, PageURL: "https://pages.example/502.html"}}
	cfg.Listeners = append([]gateway.Listener(nil), cfg.Listeners...)
	cfg.Listeners[1].CustomErrorPages = []gateway.CustomErrorPage{{StatusCode: 403, PageURL: "https://pages.example/[403].html"}}
	for _, write := range []func(gateway.Config, WriteOptions) ([]byte, error){WriteResource, WriteTemplate} {
		out, err := write(cfg, writeOptions("agw-rewrite", Options{}))
		require.NoError(t, err)
		opts := Options{}
		if strings.Contains(string(out), `"$schema"`) {
			opts.Parameters = templateParameters(t, out)
		}
		back, err := Read(out, opts)
		require.NoError(t, err, "%s", out)
		assert.Equal(t, explicit(cfg), back.Config)
	}

	// A delete is written as Azure's empty value, which reads back as the
	// same rewrite.
	del := cfg
	del.CustomErrorPages = nil
	del.RewriteRuleSets = append(slices.Clone(cfg.RewriteRuleSets), rewrite.RuleSet{Name: "d", Rules: []rewrite.Rule{{Name: "r", Actions: rewrite.ActionSet{
		ResponseHeaders: []rewrite.HeaderAction{{Name: "Server", Op: rewrite.DeleteHeader}},
	}}}})
	del.Rules = append([]gateway.Rule(nil), del.Rules...)
	del.Rules[1].RewriteRuleSet = "d"
	out, err := WriteResource(del, writeOptions("agw-rewrite", Options{}))
	require.NoError(t, err)
	back, err := Read(out, Options{})
	require.NoError(t, err)
	assert.Equal(t, []rewrite.HeaderAction{{Name: "Server"}}, back.Config.RewriteRuleSets[3].Rules[0].Actions.ResponseHeaders)

	// What only e2etls has.
	extra := cfg
	extra.CustomErrorPages = []gateway.CustomErrorPage{{StatusCode: 502, PageURL: "/srv/pages/502.html"}}
	extra.RewriteRuleSets = append(slices.Clone(cfg.RewriteRuleSets), rewrite.RuleSet{Name: "gw-api", Rules: []rewrite.Rule{
		{Name: "add", Actions: rewrite.ActionSet{RequestHeaders: []rewrite.HeaderAction{{Name: "X-A", Value: "1", Op: rewrite.AddHeader}}}},
		{Name: "redirect", Actions: rewrite.ActionSet{Redirect: &rewrite.RedirectAction{Scheme: "https"}}},
	}})
	var dropped []string
	wopts := writeOptions("agw-rewrite", Options{})
	wopts.OnDrop = func(d Dropped) { dropped = append(dropped, d.String()) }
	_, err = WriteResource(extra, wopts)
	require.NoError(t, err)
	assert.Equal(t, []string{
		`rewriteRuleSet "gw-api": rule "add": RequestHeaders[0]: Op: "add": Azure sets or deletes headers; it cannot add a value to one`,
		`rewriteRuleSet "gw-api": rule "redirect": Actions.Redirect: a rewrite rule that redirects is the Gateway API's RequestRedirect filter; Azure redirects with routing rules (redirectConfigurations)`,
		`CustomErrorPages: status 502: the page is the local file "/srv/pages/502.html": Azure reads a custom error page from a URL (customErrorPageUrl, such as a storage blob); upload the page and give its URL`,
	}, dropped)
	_, err = WriteResource(extra, writeOptions("agw-rewrite", Options{}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `azurejson: CustomErrorPages: status 502: the page is the local file "/srv/pages/502.html"`)

	// References to sets the configuration lacks are refused.
	missing := cfg
	missing.Rules = append([]gateway.Rule(nil), cfg.Rules...)
	missing.Rules[1].RewriteRuleSet = "nope"
	_, err = WriteResource(missing, writeOptions("agw-rewrite", Options{}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `azurejson: rule "api": RewriteRuleSet: unknown rewriteRuleSet "nope"`)
}
