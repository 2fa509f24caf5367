package controller

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/e2etls/e2etls/backendtls/tlstest"
)

// echoOf sends a request with the given header lines and decodes the
// backend's echo; the response is returned too.
func echoOf(c *http.Client, method, rawURL string, header ...string) (*http.Response, tlstest.Echo, error) {
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		return nil, tlstest.Echo{}, err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, tlstest.Echo{}, err
	}
	defer resp.Body.Close()
	var e tlstest.Echo
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
			return resp, e, fmt.Errorf("not an echo: %w", err)
		}
	}
	return resp, e, nil
}

// routingFeatures runs the HTTPRoute features gateway.Config gained for the
// Gateway API against a real API server: header matches, weighted
// backendRefs, header modifiers and a URL rewrite (whose host name changes
// the Host header, never the SNI), a redirect, case-sensitive paths, and a
// BackendTLSPolicy whose subjectAltNames replace the hostname as the
// identity.
func (w *world) routingFeatures(t *testing.T, c *http.Client) {
	ctx := w.ctx
	root := tlstest.NewRoot(tlstest.Options{CommonName: "features root"})
	w.caConfigMap("features-ca", root)
	blue := tlstest.NewServer(tlstest.ServerOptions{Name: "blue", Certificate: root.NewLeaf(tlstest.Options{DNSNames: []string{"web.app.internal"}}).TLSCertificate()})
	t.Cleanup(blue.Close)
	green := tlstest.NewServer(tlstest.ServerOptions{Name: "green", Certificate: root.NewLeaf(tlstest.Options{DNSNames: []string{"web.app.internal"}}).TLSCertificate()})
	t.Cleanup(green.Close)
	spiffe, _ := url.Parse("spiffe://app.internal/ns/app/sa/web")
	// Valid for the SPIFFE ID, not for web.app.internal, the SNI.
	workload := tlstest.NewServer(tlstest.ServerOptions{Name: "workload", Certificate: root.NewLeaf(tlstest.Options{DNSNames: []string{"pod.internal"}, URIs: []*url.URL{spiffe}}).TLSCertificate()})
	t.Cleanup(workload.Close)
	for name, srv := range map[string]*tlstest.Server{"blue": blue, "green": green, "workload": workload, "impostor": workload} {
		w.policy(name+"-tls", name, "features-ca")
		w.service(name, srv.Port())
	}
	for name, uri := range map[string]string{"workload-tls": spiffe.String(), "impostor-tls": "spiffe://app.internal/ns/app/sa/other"} {
		p, err := w.gw.GatewayV1().BackendTLSPolicies("app").Get(ctx, name, metav1.GetOptions{})
		w.ok(p, err)
		p.Spec.Validation.SubjectAltNames = []gatewayv1.SubjectAltName{{Type: gatewayv1.URISubjectAltNameType, URI: gatewayv1.AbsoluteURI(uri)}}
		w.ok(w.gw.GatewayV1().BackendTLSPolicies("app").Update(ctx, p, metav1.UpdateOptions{}))
	}
	weighted := func(names ...string) []gatewayv1.HTTPBackendRef {
		var out []gatewayv1.HTTPBackendRef
		for _, n := range names {
			ref := svcRef(n)[0]
			ref.Weight = ptr(int32(1))
			out = append(out, ref)
		}
		return out
	}
	exact := func(p string) []gatewayv1.HTTPRouteMatch {
		return []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{Type: ptr(gatewayv1.PathMatchExact), Value: ptr(p)}}}
	}
	headerMatch := prefix("/h")
	headerMatch[0].Headers = []gatewayv1.HTTPHeaderMatch{{Name: "x-tenant", Value: "blue"}}
	w.ok(w.gw.GatewayV1().HTTPRoutes("app").Create(ctx, &gatewayv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Name: "features"},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Namespace: ptr(gatewayv1.Namespace("infra")), Name: "gw"}}},
			Hostnames:       []gatewayv1.Hostname{"features.example.com"},
			Rules: []gatewayv1.HTTPRouteRule{
				{Matches: headerMatch, BackendRefs: svcRef("blue")},
				{Matches: prefix("/h"), BackendRefs: svcRef("green")},
				{Matches: prefix("/split"), BackendRefs: weighted("blue", "green")},
				{Matches: prefix("/mod"), BackendRefs: svcRef("blue"), Filters: []gatewayv1.HTTPRouteFilter{
					{Type: gatewayv1.HTTPRouteFilterRequestHeaderModifier, RequestHeaderModifier: &gatewayv1.HTTPHeaderFilter{
						Set: []gatewayv1.HTTPHeader{{Name: "X-Set", Value: "set"}}, Remove: []string{"X-Drop"}}},
					{Type: gatewayv1.HTTPRouteFilterResponseHeaderModifier, ResponseHeaderModifier: &gatewayv1.HTTPHeaderFilter{
						Add: []gatewayv1.HTTPHeader{{Name: "X-Resp", Value: "added"}}}},
					{Type: gatewayv1.HTTPRouteFilterURLRewrite, URLRewrite: &gatewayv1.HTTPURLRewriteFilter{
						Hostname: ptr(gatewayv1.PreciseHostname("rewritten.example.com")),
						Path:     &gatewayv1.HTTPPathModifier{Type: gatewayv1.PrefixMatchHTTPPathModifier, ReplacePrefixMatch: ptr("/api")}}},
				}},
				{Matches: exact("/old"), Filters: []gatewayv1.HTTPRouteFilter{{Type: gatewayv1.HTTPRouteFilterRequestRedirect, RequestRedirect: &gatewayv1.HTTPRequestRedirectFilter{
					Hostname: ptr(gatewayv1.PreciseHostname("new.example.com")), StatusCode: ptr(301),
					Path: &gatewayv1.HTTPPathModifier{Type: gatewayv1.FullPathHTTPPathModifier, ReplaceFullPath: ptr("/new")}}}}},
				{Matches: prefix("/spiffe"), BackendRefs: svcRef("workload")},
				{Matches: prefix("/impostor"), BackendRefs: svcRef("impostor")},
			},
		},
	}, metav1.CreateOptions{}))

	base := "https://features.example.com"
	w.eventually(t, 30*time.Second, "the route is served", func() error {
		resp, e, err := echoOf(c, http.MethodGet, base+"/h/x", "X-Tenant", "blue")
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || e.Server != "blue" {
			return fmt.Errorf("status %d, server %q", resp.StatusCode, e.Server)
		}
		return nil
	})
	check := func(what, method, path string, want string, header ...string) tlstest.Echo {
		t.Helper()
		resp, e, err := echoOf(c, method, base+path, header...)
		if err != nil || resp.StatusCode != http.StatusOK || e.Server != want {
			t.Fatalf("%s: %v, status %v, server %q; want %s", what, err, resp, e.Server, want)
		}
		if e.SNI != "web.app.internal" {
			t.Fatalf("%s: SNI %q, want the policy's hostname", what, e.SNI)
		}
		return e
	}
	check("header match", "GET", "/h/x", "blue", "X-Tenant", "blue")
	check("header match fails: the next rule", "GET", "/h/x", "green", "X-Tenant", "red")
	e := check("the client's Host reaches the backend", "GET", "/h/x", "green")
	if e.Host != "features.example.com" {
		t.Errorf("backend Host %q, want the client's", e.Host)
	}
	if resp, _, err := echoOf(c, "GET", base+"/H/x"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("/H/x: %v %v; want 404 (paths are case-sensitive)", resp, err)
	}

	counts := map[string]int{}
	for i := 0; i < 20; i++ {
		_, e, err := echoOf(c, "GET", base+"/split")
		if err != nil {
			t.Fatal(err)
		}
		counts[e.Server]++
	}
	if counts["blue"] < 8 || counts["green"] < 8 {
		t.Errorf("20 requests split %v, want about 10 each", counts)
	}

	resp, e, err := echoOf(c, "GET", base+"/mod/orders?x=1", "X-Drop", "secret")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/mod: %v %v", resp, err)
	}
	if e.Path != "/api/orders" || e.RawQuery != "x=1" || e.Host != "rewritten.example.com" || e.SNI != "web.app.internal" ||
		e.Header.Get("X-Set") != "set" || e.Header.Get("X-Drop") != "" || resp.Header.Get("X-Resp") != "added" {
		t.Errorf("URL rewrite and header modifiers: echo %+v, response header %v", e, resp.Header)
	}

	noFollow := *c
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, _, err = echoOf(&noFollow, "GET", base+"/old?q=1")
	if err != nil || resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "https://new.example.com/new?q=1" {
		t.Errorf("redirect: %v, %v", resp, err)
	}

	check("subjectAltNames replace the hostname", "GET", "/spiffe/x", "workload")
	resp, _, err = echoOf(c, "GET", base+"/impostor/x")
	if err != nil || resp.StatusCode != http.StatusBadGateway {
		t.Errorf("a backend without the policy's SAN: %v, %v; want 502", resp, err)
	}
}
