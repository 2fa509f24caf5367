package gateway_test

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
	"github.com/e2etls/e2etls/rewrite"
)

// iisBackend is an echo backend that names itself in a Server header, as
// IIS does, and answers /login-redirect with a redirect to its own
// azurewebsites.net name, as an App Service behind a gateway does.
func iisBackend(name string) http.Handler {
	echo := tlstest.EchoHandler(name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "Microsoft-IIS/10.0")
		if r.URL.Path == "/login-redirect" {
			w.Header().Set("Location", "https://contoso.azurewebsites.net/login?next=/cart")
			w.WriteHeader(http.StatusFound)
			return
		}
		echo.ServeHTTP(w, r)
	})
}

// rewriteConfig is Azure's documented rewrites on one HTTPS listener for
// shop.example and its subdomains, through a URL path map:
//
//   - the default path's set "site": HSTS added and Server removed on every
//     response, a backend's Location to its azurewebsites.net name
//     rebuilt from the condition's capture groups, X-Forwarded-For without
//     ports, the tenant of the host name in a request header, "parameter
//     based path selection" (category=shoes rerouted to the shoes path
//     rule), and a response header when a request header is present;
//   - /article/*: a friendly URL rewritten to the query string the
//     backend wants;
//   - /loop*: a set that reroutes to its own path rule forever;
//   - /client/*: a backend setting that takes the SNI from the client's
//     Host, and a set that rewrites the Host header to another name.
func rewriteConfig(pki *gatewaytest.PKI, generic, shoes, client *gatewaytest.Backend) gateway.Config {
	cfg := basicConfig(pki, "api.internal")
	cfg.SSLCertificates = []gateway.SSLCertificate{pki.SSLCertificate("front", "shop.example", "*.shop.example")}
	cfg.Pools = []gateway.Pool{
		{Name: "generic", Members: []gateway.Member{generic.Member()}},
		{Name: "shoes", Members: []gateway.Member{shoes.Member()}},
		{Name: "client", Members: []gateway.Member{client.Member()}},
	}
	cfg.BackendHTTPSettings = append(cfg.BackendHTTPSettings,
		gateway.BackendHTTPSetting{Name: "h2", Protocol: gateway.HTTPS, Port: 443, HostName: "api.internal", TrustedRootCertificates: []string{"root"}, HTTP2: true},
		gateway.BackendHTTPSetting{Name: "client-host", Protocol: gateway.HTTPS, Port: 443, TrustedRootCertificates: []string{"root"}, Probe: "shop"},
	)
	shopProbe := hourProbe("shop", "/", 3)
	shopProbe.Host = "shop.example"
	cfg.Probes = []gateway.Probe{shopProbe}
	cfg.URLPathMaps = []gateway.URLPathMap{{
		Name: "listings", DefaultPool: "generic", DefaultBackendHTTPSetting: "tls", DefaultRewriteRuleSet: "site",
		PathRules: []gateway.PathRule{
			{Name: "shoes", Paths: []string{"/listing1"}, Pool: "shoes", BackendHTTPSetting: "h2"},
			{Name: "articles", Paths: []string{"/article/*"}, Pool: "generic", BackendHTTPSetting: "tls", RewriteRuleSet: "friendly"},
			{Name: "loop", Paths: []string{"/loop*"}, Pool: "generic", BackendHTTPSetting: "tls", RewriteRuleSet: "loop"},
			{Name: "client", Paths: []string{"/client/*"}, Pool: "client", BackendHTTPSetting: "client-host", RewriteRuleSet: "hostswap"},
		},
	}}
	cfg.Rules = []gateway.Rule{{Name: "all", Listener: "web", URLPathMap: "listings"}}
	query := "id={var_uri_path_1}&title={var_uri_path_2}"
	cfg.RewriteRuleSets = []rewrite.RuleSet{
		{Name: "site", Rules: []rewrite.Rule{
			{Name: "security", Sequence: 100, Actions: rewrite.ActionSet{ResponseHeaders: []rewrite.HeaderAction{
				{Name: "Strict-Transport-Security", Value: "max-age=31536000"},
				{Name: "Server"}, // an empty value deletes
			}}},
			{Name: "location", Sequence: 200,
				Conditions: []rewrite.Condition{{Variable: "http_resp_Location", Pattern: `(https?):\/\/.*azurewebsites\.net(.*)$`}},
				Actions: rewrite.ActionSet{ResponseHeaders: []rewrite.HeaderAction{
					{Name: "Location", Value: "{http_resp_Location_1}://contoso.com{http_resp_Location_2}"},
				}}},
			{Name: "xff", Sequence: 300, Actions: rewrite.ActionSet{RequestHeaders: []rewrite.HeaderAction{
				{Name: "X-Forwarded-For", Value: "{var_add_x_forwarded_for_proxy}"},
			}}},
			{Name: "shoes", Sequence: 400,
				Conditions: []rewrite.Condition{{Variable: "var_query_string", Pattern: "category=shoes"}},
				Actions:    rewrite.ActionSet{URL: &rewrite.URLAction{ModifiedPath: "/listing1", Reroute: true}}},
			{Name: "tenant", Sequence: 500,
				Conditions: []rewrite.Condition{{Variable: "http_req_Host", Pattern: `^([a-z0-9-]+)\.shop\.example(:\d+)?$`}},
				Actions: rewrite.ActionSet{RequestHeaders: []rewrite.HeaderAction{
					{Name: "X-Tenant", Value: "{http_req_Host_1}"},
				}}},
			{Name: "private-if-authorized", Sequence: 600,
				Conditions: []rewrite.Condition{{Variable: "http_req_Authorization", Pattern: ".+"}},
				Actions: rewrite.ActionSet{ResponseHeaders: []rewrite.HeaderAction{
					{Name: "Cache-Control", Value: "private"},
				}}},
		}},
		{Name: "friendly", Rules: []rewrite.Rule{{Name: "article", Sequence: 100,
			Conditions: []rewrite.Condition{{Variable: "var_uri_path", Pattern: `^/article/(.*)/(.*)$`, IgnoreCase: true}},
			Actions:    rewrite.ActionSet{URL: &rewrite.URLAction{ModifiedPath: "article.aspx", ModifiedQueryString: &query}},
		}}},
		{Name: "loop", Rules: []rewrite.Rule{{Name: "again", Sequence: 100,
			Conditions: []rewrite.Condition{{Variable: "var_uri_path", Pattern: "^/loop"}},
			Actions:    rewrite.ActionSet{URL: &rewrite.URLAction{ModifiedPath: "{var_uri_path}", Reroute: true}},
		}}},
		{Name: "hostswap", Rules: []rewrite.Rule{{Name: "host", Sequence: 100, Actions: rewrite.ActionSet{RequestHeaders: []rewrite.HeaderAction{
			{Name: "Host", Value: "evil.example"},
		}}}}},
	}
	return cfg
}

// TestRewriteAzureExamples runs Azure's documented rewrite examples (those
// with variables the gateway supplies) through the gateway, over TLS on
// both legs.
func TestRewriteAzureExamples(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	generic := pki.StartBackend(t, iisBackend("generic"), "api.internal")
	shoesSrv := tlstest.NewServer(tlstest.ServerOptions{Name: "shoes", Certificate: pki.Leaf("api.internal").FullChain(), NextProtos: []string{"h2", "http/1.1"}})
	t.Cleanup(shoesSrv.Close)
	shoes := &gatewaytest.Backend{Server: shoesSrv}
	client := startEcho(t, pki, "client", "shop.example")
	var logs logBuffer
	cfg := rewriteConfig(pki, generic, shoes, client)
	cfg.Logger = logs.logger()
	gw := gatewaytest.Start(t, cfg)
	c := newClient(t, pki)
	base := gw.URL("web", "shop.example")

	t.Run("HSTS added, Server removed", func(t *testing.T) {
		r := get(t, c, base+"/cart")
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "generic", r.echo.Server)
		assert.Equal(t, "max-age=31536000", r.header.Get("Strict-Transport-Security"))
		assert.Empty(t, r.header.Values("Server"), "the backend's Server header is removed")
	})
	t.Run("presence of a request header", func(t *testing.T) {
		r := get(t, c, base+"/cart", "Authorization", "Bearer x")
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "private", r.header.Get("Cache-Control"))
		r = get(t, c, base+"/cart")
		assert.Empty(t, r.header.Values("Cache-Control"))
	})
	t.Run("Location of a backend redirect", func(t *testing.T) {
		r := get(t, c, base+"/login-redirect")
		require.Equal(t, http.StatusFound, r.status, r.body)
		assert.Equal(t, "https://contoso.com/login?next=/cart", r.header.Get("Location"))
		assert.Equal(t, "max-age=31536000", r.header.Get("Strict-Transport-Security"), "the rules of a set all apply")
	})
	t.Run("X-Forwarded-For without ports", func(t *testing.T) {
		r := get(t, c, base+"/x", "X-Forwarded-For", "198.51.100.1")
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, []string{"198.51.100.1, 127.0.0.1"}, r.echo.Header["X-Forwarded-For"])
		assert.Equal(t, "https", r.echo.Header.Get("X-Forwarded-Proto"), "the gateway's other headers stay")
	})
	t.Run("capture group of the host into a request header", func(t *testing.T) {
		r := get(t, c, gw.URL("web", "acme.shop.example")+"/x")
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "acme", r.echo.Header.Get("X-Tenant"))
		r = get(t, c, base+"/x")
		assert.Empty(t, r.echo.Header.Values("X-Tenant"), "no tenant in the bare name")
	})
	t.Run("query-string condition rerouted by the path map", func(t *testing.T) {
		r := get(t, c, base+"/listing?category=shoes", "X-Forwarded-For", "198.51.100.1")
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "shoes", r.echo.Server, "the path map chose the shoes rule for the rewritten path")
		assert.Equal(t, "/listing1", r.echo.Path)
		assert.Equal(t, "category=shoes", r.echo.RawQuery)
		assert.Equal(t, "HTTP/2.0", r.echo.Proto, "the shoes rule's setting speaks HTTP/2")
		assert.Equal(t, []string{"198.51.100.1, 127.0.0.1"}, r.echo.Header["X-Forwarded-For"], "the first set's header rewrites go along")
		assert.Empty(t, r.header.Values("Strict-Transport-Security"), "the response phase is the rerouted rule's, which has no set")

		r = get(t, c, base+"/listing?category=bags")
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "generic", r.echo.Server)
		assert.Equal(t, "/listing", r.echo.Path)
	})
	t.Run("friendly URL to a query string", func(t *testing.T) {
		r := get(t, c, base+"/article/123/fabrikam")
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "/article.aspx", r.echo.Path)
		assert.Equal(t, "id=123&title=fabrikam", r.echo.RawQuery)
	})
	t.Run("rewrite loop", func(t *testing.T) {
		r := get(t, c, base+"/loop/a")
		assert.Equal(t, http.StatusInternalServerError, r.status)
		assert.Equal(t, string(gateway.CodeRewriteLoop), r.header.Get(gateway.ErrorHeader))
		assert.Contains(t, r.body, "rewrite loop")
		assert.Contains(t, logs.String(), "reason=rewrite-loop")
	})
	t.Run("Host rewritten: SNI and identity stay the client's", func(t *testing.T) {
		// The setting takes SNI and identity from the client's Host
		// (shop.example, which the member's certificate covers); the rule
		// sets the Host header to a name the certificate does not cover.
		// Were it fed to SNI or verification, the request would fail.
		r := get(t, c, base+"/client/x")
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "client", r.echo.Server)
		assert.Equal(t, "evil.example", r.echo.Host)
		assert.Equal(t, "shop.example", r.echo.SNI)
	})
}

// TestRewriteRefused: what no rule may do is refused by New, every problem
// at once, each with its place.
func TestRewriteRefused(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	cfg := basicConfig(pki, "api.internal", gateway.Member{Address: "127.0.0.1", Port: 1})
	set := func(name string, req, resp []rewrite.HeaderAction) rewrite.RuleSet {
		return rewrite.RuleSet{Name: name, Rules: []rewrite.Rule{{Name: "r", Sequence: 1, Actions: rewrite.ActionSet{RequestHeaders: req, ResponseHeaders: resp}}}}
	}
	cfg.RewriteRuleSets = []rewrite.RuleSet{
		set("host-delete", []rewrite.HeaderAction{{Name: "Host", Op: rewrite.DeleteHeader}}, nil),
		set("hop", []rewrite.HeaderAction{{Name: "Connection", Value: "close"}, {Name: "Upgrade", Value: "h2c"}}, []rewrite.HeaderAction{{Name: "Transfer-Encoding", Value: "chunked"}}),
		set("length", nil, []rewrite.HeaderAction{{Name: "Content-Length", Value: "0"}}),
		set("forwarded", []rewrite.HeaderAction{{Name: "X-Forwarded-Proto", Value: "http"}, {Name: "X-Forwarded-For", Value: "203.0.113.9"}, {Name: "X_Forwarded_Port", Value: "1"}}, nil),
		set("request-id", []rewrite.HeaderAction{{Name: "X-Request-Id", Value: "mine"}}, nil),
		{Name: "reroute", Rules: []rewrite.Rule{{Name: "r", Sequence: 1,
			Conditions: []rewrite.Condition{{Variable: "var_uri_path", Pattern: "^/a"}},
			Actions:    rewrite.ActionSet{URL: &rewrite.URLAction{ModifiedPath: "/b", Reroute: true}}}}},
		{Name: "regex", Rules: []rewrite.Rule{{Name: "r", Sequence: 1,
			Conditions: []rewrite.Condition{{Variable: "var_uri_path", Pattern: "(?<=x)y"}},
			Actions:    rewrite.ActionSet{RequestHeaders: []rewrite.HeaderAction{{Name: "X-A", Value: "{var_nope}"}}}}}},
	}
	cfg.Rules[0].RewriteRuleSet = "reroute"
	cfg.Listeners = append(cfg.Listeners, gateway.Listener{Name: "second", Protocol: gateway.HTTPS, Port: 8443, SSLCertificate: "front"})
	cfg.Rules = append(cfg.Rules, gateway.Rule{Name: "second", Listener: "second", Pool: "app", BackendHTTPSetting: "tls", RewriteRuleSet: "missing"})

	_, err := gateway.New(cfg)
	require.Error(t, err)
	for _, want := range []string{
		`gateway: rewriteRuleSet "host-delete": rule "r": request header "Host": the Host header can only be set to a value, never deleted or added to (as in Azure)`,
		`gateway: rewriteRuleSet "hop": rule "r": request header "Connection": cannot be rewritten: a hop-by-hop header`,
		`gateway: rewriteRuleSet "hop": rule "r": request header "Upgrade": cannot be rewritten: a hop-by-hop header`,
		`gateway: rewriteRuleSet "hop": rule "r": response header "Transfer-Encoding": cannot be rewritten: a hop-by-hop header`,
		`gateway: rewriteRuleSet "length": rule "r": response header "Content-Length": cannot be rewritten: it frames the message`,
		`gateway: rewriteRuleSet "forwarded": rule "r": request header "X-Forwarded-Proto": cannot be rewritten: the gateway sets it`,
		`gateway: rewriteRuleSet "forwarded": rule "r": request header "X-Forwarded-For": the gateway sets X-Forwarded-For; a rule may only set it to {var_add_x_forwarded_for_proxy}`,
		`gateway: rewriteRuleSet "forwarded": rule "r": request header "X_Forwarded_Port": cannot be rewritten: backends that read '_' as '-' take it for X-Forwarded-Port`,
		`gateway: rewriteRuleSet "request-id": rule "r": request header "X-Request-Id": cannot be rewritten: the gateway sets it`,
		`gateway: rewriteRuleSet "regex": rule "r": condition 1: pattern "(?<=x)y": error parsing regexp`,
		`gateway: rewriteRuleSet "regex": rule "r": request header "X-A": {var_nope}: unknown server variable "nope"`,
	} {
		assert.Contains(t, err.Error(), want)
	}

	// With the sets valid, the references are checked.
	cfg.RewriteRuleSets = cfg.RewriteRuleSets[5:6]
	_, err = gateway.New(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `gateway: rule "all": rewriteRuleSet "reroute" reroutes (a urlConfiguration with reroute), which needs a PathBased rule`)
	assert.Contains(t, err.Error(), `gateway: rule "second": rewriteRuleSet: unknown rewriteRuleSet "missing"`)

	// Redirects forward nothing to rewrite.
	cfg.Rules = cfg.Rules[:1]
	cfg.Listeners = cfg.Listeners[:1]
	cfg.Redirects = []gateway.Redirect{{Name: "away", TargetURL: "https://elsewhere.example/"}}
	cfg.Rules[0] = gateway.Rule{Name: "all", Listener: "web", Redirect: "away", RewriteRuleSet: "reroute"}
	_, err = gateway.New(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `gateway: rule "all": rewriteRuleSet "reroute": a redirect rule forwards nothing to rewrite`)
}

// pageServer is an HTTPS server on loopback serving one error page whose
// body can change, with a certificate from pki (or another root).
func pageServer(t *testing.T, cert *tlstest.Cert, body *atomic.Value) *tlstest.Server {
	srv := tlstest.NewServer(tlstest.ServerOptions{Name: "pages", Certificate: cert.FullChain(),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/maintenance.html" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(body.Load().(string)))
		})})
	t.Cleanup(srv.Close)
	return srv
}

// TestCustomErrorPages: the gateway's own 502 for a backend that failed
// verification serves the listener's page, else the global one, from a
// file or an HTTPS URL; the reason stays in the header and the log; Update
// reads the pages again.
func TestCustomErrorPages(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	// The member presents a certificate for another name: verification
	// fails (hostname-mismatch) and the gateway answers 502 itself.
	backend := startEcho(t, pki, "wrong", "wrong.internal")
	dir := t.TempDir()
	file := filepath.Join(dir, "web-502.html")
	require.NoError(t, os.WriteFile(file, []byte("<!DOCTYPE html><h1>web is resting</h1>"), 0o644))
	var remote atomic.Value
	remote.Store("<!DOCTYPE html><h1>back soon</h1>")
	pages := pageServer(t, pki.Leaf("127.0.0.1"), &remote)

	var logs logBuffer
	cfg := basicConfig(pki, "api.internal", backend.Member())
	cfg.Logger = logs.logger()
	cfg.Listeners = []gateway.Listener{
		{Name: "web", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "front", HostNames: []string{"shop.example"},
			CustomErrorPages: []gateway.CustomErrorPage{{StatusCode: 502, PageURL: file}}},
		{Name: "other", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "front", HostNames: []string{"other.example"}},
		{Name: "plain", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "front", HostNames: []string{"plain.example"},
			CustomErrorPages: []gateway.CustomErrorPage{{StatusCode: 503, PageURL: file}}},
	}
	cfg.SSLCertificates = []gateway.SSLCertificate{pki.SSLCertificate("front", "shop.example", "other.example", "plain.example")}
	badRequest := filepath.Join(dir, "400.html")
	require.NoError(t, os.WriteFile(badRequest, []byte("<!DOCTYPE html><h1>bad request</h1>"), 0o644))
	cfg.CustomErrorPages = []gateway.CustomErrorPage{{StatusCode: 502, PageURL: pages.URL + "/maintenance.html"}, {StatusCode: 400, PageURL: badRequest}}
	cfg.Rules = []gateway.Rule{
		{Name: "web", Listener: "web", Pool: "app", BackendHTTPSetting: "tls"},
		{Name: "other", Listener: "other", Pool: "app", BackendHTTPSetting: "tls"},
		{Name: "plain", Listener: "plain", Pool: "app", BackendHTTPSetting: "tls"},
	}
	gw := gatewaytest.Start(t, cfg)
	c := newClient(t, pki)

	r := get(t, c, gw.URL("web", "shop.example")+"/")
	require.Equal(t, http.StatusBadGateway, r.status)
	assert.Equal(t, "<!DOCTYPE html><h1>web is resting</h1>", r.body, "the listener's own page, from a file")
	assert.Equal(t, "text/html; charset=utf-8", r.header.Get("Content-Type"))
	assert.Equal(t, "hostname-mismatch", r.header.Get(gateway.ErrorHeader), "detailed errors keep the reason header")
	assert.Regexp(t, `^[0-9a-f]{32}$`, r.header.Get("X-Request-Id"))
	assert.Contains(t, logs.String(), "reason=hostname-mismatch", "the log keeps the account")
	assert.Contains(t, logs.String(), "status=502")

	// A request the frontend refuses before routing it gets the global
	// page, whatever listener its Host names.
	conn := dialTLS(t, pki, gw.Port("web"), "shop.example", tls.VersionTLS13, "http/1.1")
	io.WriteString(conn, "POST / HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
	raw := readRaw(t, bufio.NewReader(conn))
	assert.Equal(t, http.StatusBadRequest, raw.status)
	assert.Equal(t, "ambiguous-length", raw.reason)
	assert.Equal(t, "<!DOCTYPE html><h1>bad request</h1>", raw.body)

	// A member that failed verification is out of rotation: the next 502s
	// are the gateway's own too (no-healthy-backend), with the same pages.
	r = get(t, c, gw.URL("other", "other.example")+"/")
	require.Equal(t, http.StatusBadGateway, r.status)
	assert.Equal(t, "<!DOCTYPE html><h1>back soon</h1>", r.body, "a listener without pages gets the global one, from an HTTPS URL")
	assert.NotEmpty(t, r.header.Get(gateway.ErrorHeader))

	r = get(t, c, gw.URL("plain", "plain.example")+"/")
	require.Equal(t, http.StatusBadGateway, r.status)
	assert.NotContains(t, r.body, "<h1>", "a listener with pages of its own uses only those, as in Azure")
	assert.Contains(t, r.body, "502 Bad Gateway")

	// Update reads the pages again.
	require.NoError(t, os.WriteFile(file, []byte("<!DOCTYPE html><h1>web is back soon</h1>"), 0o644))
	remote.Store("<!DOCTYPE html><h1>back very soon</h1>")
	require.NoError(t, gw.Update(gw.Config))
	r = get(t, c, gw.URL("web", "shop.example")+"/")
	assert.Equal(t, "<!DOCTYPE html><h1>web is back soon</h1>", r.body)
	r = get(t, c, gw.URL("other", "other.example")+"/")
	assert.Equal(t, "<!DOCTYPE html><h1>back very soon</h1>", r.body)

	// A page that cannot be read on Update keeps its copy; the Update
	// goes through and says so in the log.
	require.NoError(t, os.Remove(file))
	require.NoError(t, gw.Update(gw.Config))
	r = get(t, c, gw.URL("web", "shop.example")+"/")
	assert.Equal(t, "<!DOCTYPE html><h1>web is back soon</h1>", r.body)
	assert.Contains(t, logs.String(), "custom error pages could not all be read")
	assert.Contains(t, logs.String(), `listener \"web\": customErrorPage 502`)
}

// TestCustomErrorPagesRefused: New refuses pages it cannot serve, each with
// its place, the unreadable ones with the configuration's other problems.
func TestCustomErrorPagesRefused(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	dir := t.TempDir()
	good := filepath.Join(dir, "ok.html")
	require.NoError(t, os.WriteFile(good, []byte("<!DOCTYPE html><p>ok</p>"), 0o644))
	notHTML := filepath.Join(dir, "page.html")
	require.NoError(t, os.WriteFile(notHTML, []byte("plain text"), 0o644))
	var body atomic.Value
	body.Store("<!DOCTYPE html><p>x</p>")
	other := tlstest.NewRoot(tlstest.Options{CommonName: "not trusted", KeyType: tlstest.ECDSAP256})
	untrusted := pageServer(t, other.NewLeaf(tlstest.Options{IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyType: tlstest.ECDSAP256}), &body)

	cfg := basicConfig(pki, "api.internal", gateway.Member{Address: "127.0.0.1", Port: 1})
	cfg.CustomErrorPages = []gateway.CustomErrorPage{
		{StatusCode: 404, PageURL: good},
		{StatusCode: 502, PageURL: untrusted.URL + "/maintenance.html"},
		{StatusCode: 503, PageURL: "http://pages.example/503.html"},
		{StatusCode: 504, PageURL: filepath.Join(dir, "missing.html")},
		{StatusCode: 500, PageURL: notHTML},
		{StatusCode: 500, PageURL: good},
	}
	cfg.Listeners[0].CustomErrorPages = []gateway.CustomErrorPage{{StatusCode: 403, PageURL: filepath.Join(dir, "page.txt")}}
	cfg.Pools[0].Name = "other" // and a problem of another kind

	_, err := gateway.New(cfg)
	require.Error(t, err)
	for _, want := range []string{
		`gateway: customErrorPage 404: not a status Azure allows a custom error page for (400, 403, 405, 408, 500, 502, 503, 504)`,
		`gateway: customErrorPage 503: pageURL "http://pages.example/503.html": scheme "http": a page is loaded from an https URL or a file`,
		`gateway: customErrorPage 500: status 500 has a page already`,
		`gateway: listener "web": customErrorPage 403: pageURL "` + filepath.Join(dir, "page.txt") + `": the page's name must end in .htm or .html`,
		`gateway: customErrorPage 502: pageURL "` + untrusted.URL + `/maintenance.html": tls: failed to verify certificate`,
		`gateway: customErrorPage 504: pageURL "` + filepath.Join(dir, "missing.html") + `": open `,
		`gateway: customErrorPage 500: pageURL "` + notHTML + `": the page does not look like HTML`,
		`gateway: rule "all": unknown pool "app"`,
	} {
		assert.Contains(t, err.Error(), want)
	}
	assert.Equal(t, 1, strings.Count(err.Error(), "customErrorPage 404"), "each problem once")
}

// TestRewritePathOverride: a URL rewrite without reroute keeps the request
// on its route, and the backend setting's path override applies to the
// rewritten path as to a client's.
func TestRewritePathOverride(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	backend := startEcho(t, pki, "app", "api.internal")
	cfg := basicConfig(pki, "api.internal", backend.Member())
	cfg.BackendHTTPSettings[0].Path = "/app/"
	cfg.URLPathMaps = []gateway.URLPathMap{{Name: "m", DefaultPool: "app", DefaultBackendHTTPSetting: "tls", DefaultRewriteRuleSet: "v2",
		PathRules: []gateway.PathRule{{Name: "images", Paths: []string{"/images/*"}, Pool: "app", BackendHTTPSetting: "tls", RewriteRuleSet: "v2"}}}}
	cfg.Rules = []gateway.Rule{{Name: "all", Listener: "web", URLPathMap: "m"}}
	cfg.RewriteRuleSets = []rewrite.RuleSet{{Name: "v2", Rules: []rewrite.Rule{{Name: "v2", Sequence: 1,
		Conditions: []rewrite.Condition{{Variable: "var_uri_path", Pattern: `^/(images|old)/(.*)$`}},
		Actions:    rewrite.ActionSet{URL: &rewrite.URLAction{ModifiedPath: "/{var_uri_path_1}/v2/{var_uri_path_2}"}},
	}}}}
	gw := gatewaytest.Start(t, cfg)
	c := newClient(t, pki)
	for _, tt := range []struct{ path, want string }{
		{"/old/a", "/app/old/v2/a"},        // the default: the override is prepended
		{"/images/a.png", "/app/v2/a.png"}, // still the path rule: its literal "/images/" replaced
		{"/other", "/app/other"},           // no rewrite: the override as always
		{"/old/../images/x", "/app/v2/x"},  // cleaned before routing and rewriting
	} {
		r := get(t, c, gw.URL("web", "shop.example")+tt.path)
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, tt.want, r.echo.Path, tt.path)
	}
}

// TestCustomErrorPagesGeneric: without detailed errors, the page is all
// the client learns (with the request's ID); requests the gateway answers
// before routing them (a refused request head, the 503 of a gateway
// shutting down) get the global page.
func TestCustomErrorPagesGeneric(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	backend := startEcho(t, pki, "wrong", "wrong.internal")
	dir := t.TempDir()
	page := func(name, body string) string {
		file := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(file, []byte(body), 0o644))
		return file
	}
	var logs logBuffer
	cfg := basicConfig(pki, "api.internal", backend.Member())
	cfg.Logger = logs.logger()
	// A response rewrite applies to what is proxied, not to the gateway's
	// own answers.
	cfg.RewriteRuleSets = []rewrite.RuleSet{{Name: "hsts", Rules: []rewrite.Rule{{Name: "hsts", Actions: rewrite.ActionSet{
		ResponseHeaders: []rewrite.HeaderAction{{Name: "Strict-Transport-Security", Value: "max-age=31536000"}},
	}}}}}
	cfg.Rules[0].RewriteRuleSet = "hsts"
	cfg.CustomErrorPages = []gateway.CustomErrorPage{
		{StatusCode: 502, PageURL: page("502.html", "<!DOCTYPE html><p>bad gateway, sorry</p>")},
		{StatusCode: 503, PageURL: page("503.html", "<!DOCTYPE html><p>closing</p>")},
		{StatusCode: 400, PageURL: page("400.htm", "<!DOCTYPE html><p>bad request</p>")},
	}
	gw, err := gateway.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { gw.Close() })
	srv := httptest.NewServer(gw.Handler())
	t.Cleanup(srv.Close)
	client := srv.Client()
	t.Cleanup(client.CloseIdleConnections)

	r := get(t, client, srv.URL+"/")
	require.Equal(t, http.StatusBadGateway, r.status)
	assert.Equal(t, "<!DOCTYPE html><p>bad gateway, sorry</p>", r.body)
	assert.Empty(t, r.header.Get(gateway.ErrorHeader), "no reason header without detailed errors")
	assert.Empty(t, r.header.Values("Strict-Transport-Security"), "the gateway's own answer is not rewritten")
	id := r.header.Get("X-Request-Id")
	assert.Regexp(t, `^[0-9a-f]{32}$`, id)
	assert.Contains(t, logs.String(), "reason=hostname-mismatch")
	assert.Contains(t, logs.String(), "request_id="+id, "the log record is the response's")

	// A request head over the limits, refused before routing.
	r = get(t, client, srv.URL+"/", "X-Big", strings.Repeat("a", 40<<10))
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, r.status, "431 has no page: Azure allows none")
	assert.NotContains(t, r.body, "<p>")

	require.NoError(t, gw.Shutdown(t.Context()))
	r = get(t, client, srv.URL+"/late")
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	assert.Equal(t, "<!DOCTYPE html><p>closing</p>", r.body, "answered before routing: the global page")
}

// TestRewriteRedirects: a rule's redirect (the Gateway API's
// RequestRedirect) is answered by the gateway with the set's response
// headers; a reroute onto a path rule that redirects gets that redirect.
func TestRewriteRedirects(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	backend := startEcho(t, pki, "app", "api.internal")
	cfg := basicConfig(pki, "api.internal", backend.Member())
	cfg.Redirects = []gateway.Redirect{{Name: "archive", Status: 302, TargetURL: "https://archive.example/"}}
	cfg.URLPathMaps = []gateway.URLPathMap{{Name: "m", DefaultPool: "app", DefaultBackendHTTPSetting: "tls", DefaultRewriteRuleSet: "moves",
		PathRules: []gateway.PathRule{{Name: "old", Paths: []string{"/old/*"}, Redirect: "archive"}}}}
	cfg.Rules = []gateway.Rule{{Name: "all", Listener: "web", URLPathMap: "m"}}
	cfg.RewriteRuleSets = []rewrite.RuleSet{{Name: "moves", Rules: []rewrite.Rule{
		{Name: "gone", Sequence: 1,
			Conditions: []rewrite.Condition{{Variable: "var_uri_path", Pattern: "^/gone/(.*)$"}},
			Actions:    rewrite.ActionSet{Redirect: &rewrite.RedirectAction{Status: 308, Scheme: "https", Host: "new.example", Path: "/moved/{var_uri_path_1}"}}},
		{Name: "legacy", Sequence: 2,
			Conditions: []rewrite.Condition{{Variable: "var_uri_path", Pattern: "^/legacy$"}},
			Actions:    rewrite.ActionSet{URL: &rewrite.URLAction{ModifiedPath: "/old/x", Reroute: true}}},
		{Name: "mark", Sequence: 3, Actions: rewrite.ActionSet{ResponseHeaders: []rewrite.HeaderAction{{Name: "X-Moves", Value: "checked"}}}},
	}}}
	gw := gatewaytest.Start(t, cfg)
	c := newClient(t, pki)
	base := gw.URL("web", "shop.example")

	r := get(t, c, base+"/gone/a?q=1")
	assert.Equal(t, http.StatusPermanentRedirect, r.status)
	assert.Equal(t, "https://new.example/moved/a?q=1", r.header.Get("Location"))
	assert.Equal(t, "checked", r.header.Get("X-Moves"), "the set's response headers apply to its redirect")

	r = get(t, c, base+"/legacy")
	assert.Equal(t, http.StatusFound, r.status)
	assert.Equal(t, "https://archive.example/", r.header.Get("Location"))

	r = get(t, c, base+"/stays")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "checked", r.header.Get("X-Moves"))
	assert.Equal(t, "/stays", r.echo.Path)
}
