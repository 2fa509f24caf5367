package translate

import (
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/e2etls/e2etls/gateway"
)

func TestIntersect(t *testing.T) {
	for _, tc := range []struct {
		listener string
		route    []gatewayv1.Hostname
		want     []string
	}{
		{"", nil, []string{""}},
		{"*.example.com", nil, []string{"*.example.com"}},
		{"", []gatewayv1.Hostname{"A.example.com"}, []string{"a.example.com"}},
		{"*.example.com", []gatewayv1.Hostname{"shop.example.com", "x.other.com"}, []string{"shop.example.com"}},
		{"*.example.com", []gatewayv1.Hostname{"a.b.example.com"}, []string{"a.b.example.com"}},
		{"*.example.com", []gatewayv1.Hostname{"example.com"}, nil},
		{"shop.example.com", []gatewayv1.Hostname{"*.example.com"}, []string{"shop.example.com"}},
		{"*.example.com", []gatewayv1.Hostname{"*.shop.example.com"}, []string{"*.shop.example.com"}},
		{"*.shop.example.com", []gatewayv1.Hostname{"*.example.com"}, []string{"*.shop.example.com"}},
		{"*.example.com", []gatewayv1.Hostname{"*.example.com"}, []string{"*.example.com"}},
		{"foo.example.com", []gatewayv1.Hostname{"bar.example.com"}, nil},
		{"*.example.com", []gatewayv1.Hostname{"xexample.com"}, nil},
	} {
		got := intersect(tc.listener, tc.route)
		if !slices.Equal(got, tc.want) {
			t.Errorf("intersect(%q, %v) = %q, want %q", tc.listener, tc.route, got, tc.want)
		}
	}
}

func TestPathMatch(t *testing.T) {
	prefix, exact, regex := gatewayv1.PathMatchPathPrefix, gatewayv1.PathMatchExact, gatewayv1.PathMatchRegularExpression
	for _, tc := range []struct {
		typ     *gatewayv1.PathMatchType
		value   string
		want    []string
		problem string
	}{
		{nil, "", []string{"/*"}, ""},
		{&prefix, "/", []string{"/*"}, ""},
		{&prefix, "/foo", []string{"/foo", "/foo/*"}, ""},
		{&prefix, "/foo/", []string{"/foo", "/foo/*"}, ""},
		{&exact, "/foo", []string{"/foo"}, ""},
		{&exact, "/foo/", []string{"/foo/"}, ""},
		{&prefix, "/a*b", nil, "cannot be matched literally"},
		{&regex, "/foo.*", nil, "cannot be matched literally"},
		{&regex, "/foo", nil, "not supported"},
	} {
		var pm *gatewayv1.HTTPPathMatch
		if tc.typ != nil || tc.value != "" {
			pm = &gatewayv1.HTTPPathMatch{Type: tc.typ, Value: &tc.value}
		}
		got, msg := pathMatchOf(pm)
		if tc.problem != "" {
			if !strings.Contains(msg, tc.problem) {
				t.Errorf("pathMatchOf(%v %q): problem %q, want one containing %q", tc.typ, tc.value, msg, tc.problem)
			}
			continue
		}
		if msg != "" || !slices.Equal(got.patterns(), tc.want) {
			t.Errorf("pathMatchOf(%v %q) = %q (%s), want %q", tc.typ, tc.value, got.patterns(), msg, tc.want)
		}
	}
}

func TestTimeouts(t *testing.T) {
	for _, tc := range []struct {
		ts   *gatewayv1.HTTPRouteTimeouts
		want time.Duration
		bad  bool
	}{
		{nil, 0, false},
		{&gatewayv1.HTTPRouteTimeouts{Request: ptr(gatewayv1.Duration("10s"))}, 10 * time.Second, false},
		{&gatewayv1.HTTPRouteTimeouts{Request: ptr(gatewayv1.Duration("10s")), BackendRequest: ptr(gatewayv1.Duration("2s"))}, 2 * time.Second, false},
		{&gatewayv1.HTTPRouteTimeouts{Request: ptr(gatewayv1.Duration("0s"))}, maxTimeout, false},
		{&gatewayv1.HTTPRouteTimeouts{Request: ptr(gatewayv1.Duration("500ms"))}, 500 * time.Millisecond, false},
		{&gatewayv1.HTTPRouteTimeouts{Request: ptr(gatewayv1.Duration("1us"))}, time.Millisecond, false},
		{&gatewayv1.HTTPRouteTimeouts{Request: ptr(gatewayv1.Duration("1h1m"))}, time.Hour + time.Minute, false},
		{&gatewayv1.HTTPRouteTimeouts{Request: ptr(gatewayv1.Duration("soon"))}, 0, true},
	} {
		got, msg := timeouts(tc.ts)
		if (msg != "") != tc.bad || got != tc.want {
			t.Errorf("timeouts(%+v) = %v, %q; want %v, bad %v", tc.ts, got, msg, tc.want, tc.bad)
		}
	}
}

// TestTranslateBase checks the whole translation of a served world, and
// that gateway.New accepts the configuration.
func TestTranslateBase(t *testing.T) {
	p := newPKI(t)
	res := mustTranslate(t, p.base(), p.options())
	cfg := &res.Config

	wantCond(t, conditionOf(res.GatewayClasses["e2etls"].Conditions, "Accepted"), metav1.ConditionTrue, "Accepted")
	if _, ok := res.GatewayClasses["other"]; ok {
		t.Errorf("status computed for a GatewayClass of another controller")
	}
	gst := res.Gateways[nsName("infra", "gw")]
	wantCond(t, conditionOf(gst.Conditions, "Accepted"), metav1.ConditionTrue, "Accepted")
	wantCond(t, conditionOf(gst.Conditions, "Programmed"), metav1.ConditionTrue, "Programmed")
	if len(gst.Addresses) != 1 || gst.Addresses[0].Value != "127.0.0.1" {
		t.Errorf("gateway addresses = %+v", gst.Addresses)
	}
	for _, l := range gst.Listeners {
		want := int32(0)
		if l.Name == "https" {
			want = 1
		}
		if l.AttachedRoutes != want {
			t.Errorf("listener %s attachedRoutes = %d, want %d", l.Name, l.AttachedRoutes, want)
		}
		wantCond(t, conditionOf(l.Conditions, "Programmed"), metav1.ConditionTrue, "Programmed")
		wantCond(t, conditionOf(l.Conditions, "ResolvedRefs"), metav1.ConditionTrue, "ResolvedRefs")
		wantCond(t, conditionOf(l.Conditions, "Conflicted"), metav1.ConditionFalse, "NoConflicts")
	}
	wantCond(t, routeCond(t, res, "app", "web", "Accepted"), metav1.ConditionTrue, "Accepted")
	wantCond(t, routeCond(t, res, "app", "web", "ResolvedRefs"), metav1.ConditionTrue, "ResolvedRefs")
	if ps := res.HTTPRoutes[nsName("app", "web")]; ps[0].ControllerName != testController || ps[0].ParentRef.Name != "gw" {
		t.Errorf("route parent status = %+v", ps[0])
	}
	wantCond(t, policyCond(t, res, "app", "web-tls", "Accepted"), metav1.ConditionTrue, "Accepted")
	wantCond(t, policyCond(t, res, "app", "web-tls", "ResolvedRefs"), metav1.ConditionTrue, "ResolvedRefs")

	// Listeners, most specific host first on 443; the HTTP port's basic
	// listener answers 404 (no route).
	var names []string
	for _, l := range cfg.Listeners {
		names = append(names, l.Name)
	}
	wantNames := []string{"infra/gw/http/*", "infra/gw/https/shop.example.com", "infra/gw/https/*.example.com"}
	if !slices.Equal(names, wantNames) {
		t.Fatalf("listeners = %q, want %q", names, wantNames)
	}
	m := findMap(cfg, "infra/gw/https/shop.example.com")
	if m == nil || len(m.PathRules) != 1 || !slices.Equal(m.PathRules[0].Paths, []string{"/api", "/api/*"}) {
		t.Fatalf("path map = %+v", m)
	}
	if m.DefaultPool != fixedNotFound {
		t.Errorf("default pool = %q, want the 404 backend", m.DefaultPool)
	}
	s := findSetting(cfg, m.PathRules[0].BackendHTTPSetting)
	if s == nil || s.Protocol != gateway.HTTPS || s.HostName != "" || s.ServerName != "web.app.internal" || s.RequestTimeout != 10*time.Second || len(s.TrustedRootCertificates) != 1 || s.InsecureSkipVerify {
		t.Fatalf("setting = %+v", s)
	}
	pool := findPool(cfg, m.PathRules[0].Pool)
	wantMembers := []gateway.Member{{Address: "10.0.0.1", Port: 9443}, {Address: "10.0.0.2", Port: 9443}}
	if pool == nil || !slices.Equal(pool.Members, wantMembers) {
		t.Fatalf("pool = %+v, want members %+v (the not-ready endpoint left out)", pool, wantMembers)
	}

	acceptedByGateway(t, *cfg)
}

func TestTranslateIsDeterministic(t *testing.T) {
	p := newPKI(t)
	in := p.base()
	a := mustTranslate(t, in, p.options())
	slices.Reverse(in.Gateways)
	slices.Reverse(in.GatewayClasses)
	b := mustTranslate(t, in, p.options())
	if len(a.Config.Listeners) != len(b.Config.Listeners) {
		t.Fatal("listener count differs")
	}
	for i := range a.Config.Listeners {
		if a.Config.Listeners[i].Name != b.Config.Listeners[i].Name {
			t.Fatalf("listener %d: %q vs %q", i, a.Config.Listeners[i].Name, b.Config.Listeners[i].Name)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	p := newPKI(t)
	o := p.options()
	o.FallbackCertificate = nil
	o.ControllerName = ""
	o.Unavailable = "localhost"
	o.Ports = append(o.Ports, Port{Number: 80, Protocol: "Tcp"})
	_, err := Translate(Input{}, o)
	for _, want := range []string{"ControllerName is empty", "needs Options.FallbackCertificate", "listed twice", `protocol "Tcp"`, `Options.Unavailable "localhost" is not a host:port`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Translate error %v, want it to contain %q", err, want)
		}
	}
}

// TestNoGatewayPlaceholders: served ports with no Gateway listener still
// have a listener (gateway.Config needs one per port) that answers 404.
func TestNoGatewayPlaceholders(t *testing.T) {
	p := newPKI(t)
	res := mustTranslate(t, Input{}, p.options())
	if len(res.Config.Listeners) != 2 {
		t.Fatalf("listeners = %+v", res.Config.Listeners)
	}
	for _, l := range res.Config.Listeners {
		if !slices.Equal(l.HostNames, []string{placeholderHost}) {
			t.Errorf("placeholder listener %q hosts %q", l.Name, l.HostNames)
		}
	}
	acceptedByGateway(t, res.Config)
}

func TestPrecedence(t *testing.T) {
	p := newPKI(t)
	in := p.base()
	rule := func(typ gatewayv1.PathMatchType, path string, port int32) gatewayv1.HTTPRouteRule {
		return gatewayv1.HTTPRouteRule{
			Matches:     []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{Type: &typ, Value: &path}}},
			BackendRefs: []gatewayv1.HTTPBackendRef{backendRef("", "web", port)},
		}
	}
	older := in.HTTPRoutes[0].DeepCopy()
	older.Name, older.CreationTimestamp = "older", metav1.NewTime(epoch)
	older.Spec.Rules = []gatewayv1.HTTPRouteRule{rule(gatewayv1.PathMatchPathPrefix, "/", 8080), rule(gatewayv1.PathMatchPathPrefix, "/api", 8080)}
	newer := in.HTTPRoutes[0].DeepCopy()
	newer.Name, newer.CreationTimestamp = "newer", metav1.NewTime(epoch.Add(time.Hour))
	newer.Spec.Rules = []gatewayv1.HTTPRouteRule{rule(gatewayv1.PathMatchPathPrefix, "/api", 8443), rule(gatewayv1.PathMatchExact, "/api", 8443), rule(gatewayv1.PathMatchPathPrefix, "/api/v1", 8443)}
	in.HTTPRoutes = []*gatewayv1.HTTPRoute{newer, older}
	res := mustTranslate(t, in, p.options())
	m := findMap(&res.Config, "infra/gw/https/shop.example.com")
	var got []string
	for _, r := range m.PathRules {
		got = append(got, strings.Join(r.Paths, ",")+" "+r.Pool)
	}
	want := []string{
		"/api app/web:8443",              // Exact first
		"/api/v1,/api/v1/* app/web:8443", // longest prefix
		"/api/* app/web:8080",            // equal prefixes: the older route (its "/api" is the Exact rule's)
		"/* app/web:8080",                // "/" last; the newer route's prefix "/api" is never reached
	}
	if !slices.Equal(got, want) {
		t.Fatalf("path rules:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !m.CaseSensitive {
		t.Errorf("path map not case-sensitive")
	}
	acceptedByGateway(t, res.Config)
	// Port 8080 has no policy: plain HTTP, the client's Host passed on.
	s := findSetting(&res.Config, "app/web:8080")
	if s == nil || s.Protocol != gateway.HTTP || s.HostName != "" {
		t.Fatalf("plain setting = %+v", s)
	}
	if pool := findPool(&res.Config, "app/web:8080"); pool == nil || pool.Members[0].Port != 9080 {
		t.Fatalf("plain pool = %+v", pool)
	}
}

// TestHostPrecedence: a host name made effective by two Gateway listeners
// belongs to the more specific one.
func TestHostPrecedence(t *testing.T) {
	p := newPKI(t)
	in := p.base()
	gw := in.Gateways[0]
	gw.Spec.Listeners = append(gw.Spec.Listeners, gatewayv1.Listener{
		Name: "shop", Port: 443, Protocol: gatewayv1.HTTPSProtocolType, Hostname: ptr(gatewayv1.Hostname("shop.example.com")),
		TLS:           gw.Spec.Listeners[0].TLS,
		AllowedRoutes: gw.Spec.Listeners[0].AllowedRoutes,
	})
	in.HTTPRoutes[0].Spec.ParentRefs[0].SectionName = nil // attaches to all listeners
	res := mustTranslate(t, in, p.options())
	var names []string
	for _, l := range res.Config.Listeners {
		names = append(names, l.Name)
	}
	want := []string{"infra/gw/http/shop.example.com", "infra/gw/http/*", "infra/gw/shop/shop.example.com", "infra/gw/https/*.example.com"}
	if !slices.Equal(names, want) {
		t.Fatalf("listeners = %q, want %q", names, want)
	}
	acceptedByGateway(t, res.Config)
}

func TestRouteStatus(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(in *Input)
		typ    string
		status metav1.ConditionStatus
		reason string
		// answers500 says the rule's requests go to the 500 backend.
		answers500 bool
	}{
		{"no matching section", func(in *Input) {
			in.HTTPRoutes[0].Spec.ParentRefs[0].SectionName = ptr(gatewayv1.SectionName("nope"))
		}, "Accepted", metav1.ConditionFalse, "NoMatchingParent", false},
		{"no matching port", func(in *Input) {
			in.HTTPRoutes[0].Spec.ParentRefs[0].Port = ptr(gatewayv1.PortNumber(80))
		}, "Accepted", metav1.ConditionFalse, "NoMatchingParent", false},
		{"not allowed: same namespace only", func(in *Input) {
			in.Gateways[0].Spec.Listeners[0].AllowedRoutes = nil
		}, "Accepted", metav1.ConditionFalse, "NotAllowedByListeners", false},
		{"allowed by selector", func(in *Input) {
			in.Gateways[0].Spec.Listeners[0].AllowedRoutes.Namespaces = &gatewayv1.RouteNamespaces{
				From: ptr(gatewayv1.NamespacesFromSelector), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "shop"}}}
		}, "Accepted", metav1.ConditionTrue, "Accepted", false},
		{"not allowed by selector", func(in *Input) {
			in.Gateways[0].Spec.Listeners[0].AllowedRoutes.Namespaces = &gatewayv1.RouteNamespaces{
				From: ptr(gatewayv1.NamespacesFromSelector), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "ops"}}}
		}, "Accepted", metav1.ConditionFalse, "NotAllowedByListeners", false},
		{"no matching hostname", func(in *Input) {
			in.HTTPRoutes[0].Spec.Hostnames = []gatewayv1.Hostname{"shop.example.org"}
		}, "Accepted", metav1.ConditionFalse, "NoMatchingListenerHostname", false},
		{"service not found", func(in *Input) {
			in.HTTPRoutes[0].Spec.Rules[0].BackendRefs = []gatewayv1.HTTPBackendRef{backendRef("", "gone", 80)}
		}, "ResolvedRefs", metav1.ConditionFalse, "BackendNotFound", true},
		{"service port not found", func(in *Input) {
			in.HTTPRoutes[0].Spec.Rules[0].BackendRefs = []gatewayv1.HTTPBackendRef{backendRef("", "web", 1)}
		}, "ResolvedRefs", metav1.ConditionFalse, "BackendNotFound", true},
		{"invalid kind", func(in *Input) {
			ref := backendRef("", "web", 8443)
			ref.Kind = ptr(gatewayv1.Kind("Pod"))
			in.HTTPRoutes[0].Spec.Rules[0].BackendRefs = []gatewayv1.HTTPBackendRef{ref}
		}, "ResolvedRefs", metav1.ConditionFalse, "InvalidKind", true},
		{"cross-namespace without grant", func(in *Input) {
			in.HTTPRoutes[0].Namespace = "other"
			in.HTTPRoutes[0].Spec.Rules[0].BackendRefs = []gatewayv1.HTTPBackendRef{backendRef("app", "web", 8443)}
		}, "ResolvedRefs", metav1.ConditionFalse, "RefNotPermitted", true},
		{"cross-namespace with grant", func(in *Input) {
			in.HTTPRoutes[0].Namespace = "other"
			in.HTTPRoutes[0].Spec.Rules[0].BackendRefs = []gatewayv1.HTTPBackendRef{backendRef("app", "web", 8443)}
			in.ReferenceGrants = []*gatewayv1.ReferenceGrant{{
				ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "allow"},
				Spec: gatewayv1.ReferenceGrantSpec{
					From: []gatewayv1.ReferenceGrantFrom{{Group: gatewayv1.GroupName, Kind: "HTTPRoute", Namespace: "other"}},
					To:   []gatewayv1.ReferenceGrantTo{{Group: "", Kind: "Service"}},
				},
			}}
		}, "ResolvedRefs", metav1.ConditionTrue, "ResolvedRefs", false},
		{"all weights zero", func(in *Input) {
			in.HTTPRoutes[0].Spec.Rules[0].BackendRefs[0].Weight = ptr(int32(0))
		}, "Accepted", metav1.ConditionTrue, "Accepted", true},
		{"header match", func(in *Input) {
			in.HTTPRoutes[0].Spec.Rules[0].Matches[0].Headers = []gatewayv1.HTTPHeaderMatch{{Name: "x", Value: "y"}}
		}, "Accepted", metav1.ConditionTrue, "Accepted", false},
		{"header match with an invalid regular expression", func(in *Input) {
			in.HTTPRoutes[0].Spec.Rules[0].Matches[0].Headers = []gatewayv1.HTTPHeaderMatch{{Type: ptr(gatewayv1.HeaderMatchRegularExpression), Name: "x", Value: "(?<=a)b"}}
		}, "Accepted", metav1.ConditionFalse, "UnsupportedValue", false},
		{"mirror filter unsupported, other rule kept", func(in *Input) {
			r := in.HTTPRoutes[0].Spec.Rules[0].DeepCopy()
			r.Filters = []gatewayv1.HTTPRouteFilter{{Type: gatewayv1.HTTPRouteFilterRequestMirror, RequestMirror: &gatewayv1.HTTPRequestMirrorFilter{}}}
			in.HTTPRoutes[0].Spec.Rules = append(in.HTTPRoutes[0].Spec.Rules, *r)
		}, "PartiallyInvalid", metav1.ConditionTrue, "UnsupportedValue", false},
		{"a header the gateway owns", func(in *Input) {
			in.HTTPRoutes[0].Spec.Rules[0].Filters = []gatewayv1.HTTPRouteFilter{{Type: gatewayv1.HTTPRouteFilterRequestHeaderModifier,
				RequestHeaderModifier: &gatewayv1.HTTPHeaderFilter{Set: []gatewayv1.HTTPHeader{{Name: "X-Forwarded-Proto", Value: "https"}}}}}
		}, "Accepted", metav1.ConditionFalse, "UnsupportedValue", false},
		{"ReplacePrefixMatch on an Exact match", func(in *Input) {
			r := &in.HTTPRoutes[0].Spec.Rules[0]
			r.Matches[0].Path.Type = ptr(gatewayv1.PathMatchExact)
			r.Filters = []gatewayv1.HTTPRouteFilter{{Type: gatewayv1.HTTPRouteFilterURLRewrite, URLRewrite: &gatewayv1.HTTPURLRewriteFilter{
				Path: &gatewayv1.HTTPPathModifier{Type: gatewayv1.PrefixMatchHTTPPathModifier, ReplacePrefixMatch: ptr("/v2")}}}}
		}, "Accepted", metav1.ConditionFalse, "UnsupportedValue", false},
		{"two weighted backends", func(in *Input) {
			in.HTTPRoutes[0].Spec.Rules[0].BackendRefs = append(in.HTTPRoutes[0].Spec.Rules[0].BackendRefs, backendRef("", "web", 8080))
		}, "Accepted", metav1.ConditionTrue, "Accepted", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPKI(t)
			in := p.base()
			tc.change(&in)
			res := mustTranslate(t, in, p.options())
			ns := in.HTTPRoutes[0].Namespace
			wantCond(t, routeCond(t, res, ns, "web", tc.typ), tc.status, tc.reason)
			m := findMap(&res.Config, "infra/gw/https/shop.example.com")
			got500 := m != nil && len(m.PathRules) > 0 && m.PathRules[0].Pool == fixedUnavailable
			if got500 != tc.answers500 {
				t.Fatalf("rule answers 500: %v, want %v (map %+v)", got500, tc.answers500, m)
			}
			acceptedByGateway(t, res.Config)
		})
	}
}

func TestListenerStatus(t *testing.T) {
	for _, tc := range []struct {
		name     string
		change   func(in *Input)
		listener string
		typ      string
		status   metav1.ConditionStatus
		reason   string
	}{
		{"port not served", func(in *Input) { in.Gateways[0].Spec.Listeners[1].Port = 8080 },
			"http", "Accepted", metav1.ConditionFalse, "PortUnavailable"},
		{"port served with other protocol", func(in *Input) { in.Gateways[0].Spec.Listeners[1].Port = 443 },
			"http", "Accepted", metav1.ConditionFalse, "PortUnavailable"},
		{"unsupported protocol", func(in *Input) { in.Gateways[0].Spec.Listeners[1].Protocol = gatewayv1.TCPProtocolType },
			"http", "Accepted", metav1.ConditionFalse, "UnsupportedProtocol"},
		{"secret missing", func(in *Input) { in.Secrets = nil },
			"https", "ResolvedRefs", metav1.ConditionFalse, "InvalidCertificateRef"},
		{"secret of wrong type", func(in *Input) { in.Secrets[0].Type = corev1.SecretTypeOpaque },
			"https", "ResolvedRefs", metav1.ConditionFalse, "InvalidCertificateRef"},
		{"key does not match", func(in *Input) {
			in.Secrets[0].Data[corev1.TLSPrivateKeyKey] = newPKI(t).listenerLeaf.KeyPEM()
		}, "https", "ResolvedRefs", metav1.ConditionFalse, "InvalidCertificateRef"},
		{"secret in other namespace without grant", func(in *Input) {
			in.Gateways[0].Spec.Listeners[0].TLS.CertificateRefs[0].Namespace = ptr(gatewayv1.Namespace("app"))
			in.Secrets[0].Namespace = "app"
		}, "https", "ResolvedRefs", metav1.ConditionFalse, "RefNotPermitted"},
		{"invalid route kind", func(in *Input) {
			in.Gateways[0].Spec.Listeners[0].AllowedRoutes.Kinds = []gatewayv1.RouteGroupKind{{Kind: "TCPRoute"}}
		}, "https", "ResolvedRefs", metav1.ConditionFalse, "InvalidRouteKinds"},
		{"hostname conflict", func(in *Input) {
			l := in.Gateways[0].Spec.Listeners[1]
			l.Name = "http2"
			in.Gateways[0].Spec.Listeners = append(in.Gateways[0].Spec.Listeners, l)
		}, "http2", "Conflicted", metav1.ConditionTrue, "HostnameConflict"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPKI(t)
			in := p.base()
			tc.change(&in)
			res := mustTranslate(t, in, p.options())
			wantCond(t, listenerCond(t, res, "infra", "gw", tc.listener, tc.typ), tc.status, tc.reason)
			wantCond(t, listenerCond(t, res, "infra", "gw", tc.listener, "Programmed"), metav1.ConditionFalse, "Invalid")
			for _, l := range res.Config.Listeners {
				if strings.HasPrefix(l.Name, "infra/gw/"+tc.listener+"/") {
					t.Fatalf("listener %q is in the data plane", l.Name)
				}
			}
			acceptedByGateway(t, res.Config)
		})
	}
}

func TestPolicyStatus(t *testing.T) {
	for _, tc := range []struct {
		name     string
		change   func(in *Input, p *pki)
		accepted string // reason of Accepted; "Accepted" means True
		resolved string // reason of ResolvedRefs; "ResolvedRefs" means True
		// want is the setting's protocol and roots, or "500".
		want string
	}{
		{"valid", func(*Input, *pki) {}, "Accepted", "ResolvedRefs", "Https roots=1"},
		{"configmap missing", func(in *Input, _ *pki) { in.ConfigMaps = nil }, "NoValidCACertificate", "InvalidCACertificateRef", "500"},
		{"configmap without ca.crt", func(in *Input, _ *pki) {
			in.ConfigMaps[0].Data = map[string]string{"ca.pem": "x"}
		}, "NoValidCACertificate", "InvalidCACertificateRef", "500"},
		{"configmap with garbage", func(in *Input, _ *pki) {
			in.ConfigMaps[0].Data = map[string]string{"ca.crt": "not a certificate"}
		}, "NoValidCACertificate", "InvalidCACertificateRef", "500"},
		{"intermediate instead of root", func(in *Input, p *pki) {
			in.ConfigMaps[0].Data = map[string]string{"ca.crt": string(p.backendRoot.NewIntermediate(tlstestOpts("int")).CertPEM())}
		}, "NoValidCACertificate", "InvalidCACertificateRef", "500"},
		{"one of two refs missing", func(in *Input, _ *pki) {
			v := &in.BackendTLSPolicies[0].Spec.Validation
			v.CACertificateRefs = append(v.CACertificateRefs, gatewayv1.LocalObjectReference{Kind: "ConfigMap", Name: "gone"})
		}, "Accepted", "InvalidCACertificateRef", "500"},
		{"invalid kind", func(in *Input, _ *pki) {
			in.BackendTLSPolicies[0].Spec.Validation.CACertificateRefs[0].Kind = "Pod"
		}, "NoValidCACertificate", "InvalidKind", "500"},
		{"secret CA", func(in *Input, p *pki) {
			in.BackendTLSPolicies[0].Spec.Validation.CACertificateRefs[0].Kind = "Secret"
			in.Secrets = append(in.Secrets, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "web-ca"}, Data: map[string][]byte{"ca.crt": p.backendRoot.CertPEM()}})
		}, "Accepted", "ResolvedRefs", "Https roots=1"},
		{"secret CA with a private key", func(in *Input, p *pki) {
			in.BackendTLSPolicies[0].Spec.Validation.CACertificateRefs[0].Kind = "Secret"
			in.Secrets = append(in.Secrets, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "web-ca"}, Data: map[string][]byte{
				"ca.crt": p.backendRoot.CertPEM(), corev1.TLSPrivateKeyKey: p.backendRoot.KeyPEM()}})
		}, "NoValidCACertificate", "InvalidCACertificateRef", "500"},
		{"well-known CAs", func(in *Input, _ *pki) {
			v := &in.BackendTLSPolicies[0].Spec.Validation
			v.CACertificateRefs = nil
			v.WellKnownCACertificates = ptr(gatewayv1.WellKnownCACertificatesSystem)
		}, "Accepted", "ResolvedRefs", "Https roots=0"},
		{"unknown well-known set", func(in *Input, _ *pki) {
			v := &in.BackendTLSPolicies[0].Spec.Validation
			v.CACertificateRefs = nil
			v.WellKnownCACertificates = ptr(gatewayv1.WellKnownCACertificatesType("example.com/mine"))
		}, "Invalid", "ResolvedRefs", "500"},
		{"subjectAltNames", func(in *Input, _ *pki) {
			in.BackendTLSPolicies[0].Spec.Validation.SubjectAltNames = []gatewayv1.SubjectAltName{
				{Type: gatewayv1.HostnameSubjectAltNameType, Hostname: "Web.App.Internal"},
				{Type: gatewayv1.URISubjectAltNameType, URI: "spiffe://app.internal/web"},
			}
		}, "Accepted", "ResolvedRefs", "Https roots=1 sans=DNS:web.app.internal,URI:spiffe://app.internal/web"},
		{"subjectAltName with a wildcard", func(in *Input, _ *pki) {
			in.BackendTLSPolicies[0].Spec.Validation.SubjectAltNames = []gatewayv1.SubjectAltName{{Type: gatewayv1.HostnameSubjectAltNameType, Hostname: "*.app.internal"}}
		}, "Invalid", "ResolvedRefs", "500"},
		{"subjectAltName URI not absolute", func(in *Input, _ *pki) {
			in.BackendTLSPolicies[0].Spec.Validation.SubjectAltNames = []gatewayv1.SubjectAltName{{Type: gatewayv1.URISubjectAltNameType, URI: "web"}}
		}, "Invalid", "ResolvedRefs", "500"},
		{"options refused", func(in *Input, _ *pki) {
			in.BackendTLSPolicies[0].Spec.Options = map[gatewayv1.AnnotationKey]gatewayv1.AnnotationValue{"example.com/min": "1.3"}
		}, "Invalid", "ResolvedRefs", "500"},
		{"whole-service policy", func(in *Input, _ *pki) {
			in.BackendTLSPolicies[0].Spec.TargetRefs[0].SectionName = nil
		}, "Accepted", "ResolvedRefs", "Https roots=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPKI(t)
			in := p.base()
			tc.change(&in, p)
			res := mustTranslate(t, in, p.options())
			acc, resd := metav1.ConditionFalse, metav1.ConditionFalse
			if tc.accepted == "Accepted" {
				acc = metav1.ConditionTrue
			}
			if tc.resolved == "ResolvedRefs" {
				resd = metav1.ConditionTrue
			}
			wantCond(t, policyCond(t, res, "app", "web-tls", "Accepted"), acc, tc.accepted)
			wantCond(t, policyCond(t, res, "app", "web-tls", "ResolvedRefs"), resd, tc.resolved)
			m := findMap(&res.Config, "infra/gw/https/shop.example.com")
			r := m.PathRules[0]
			got := "500"
			if r.Pool != fixedUnavailable {
				s := findSetting(&res.Config, r.BackendHTTPSetting)
				got = string(s.Protocol) + " roots=" + itoa(len(s.TrustedRootCertificates))
				if len(s.SubjectAltNames) > 0 {
					var sans []string
					for _, san := range s.SubjectAltNames {
						sans = append(sans, san.String())
					}
					got += " sans=" + strings.Join(sans, ",")
				}
				if s.ServerName != "web.app.internal" || s.HostName != "" {
					t.Errorf("setting SNI %q, host name %q: want the policy's hostname as SNI, the client's Host", s.ServerName, s.HostName)
				}
			}
			if got != tc.want {
				t.Fatalf("backend = %s, want %s", got, tc.want)
			}
			acceptedByGateway(t, res.Config)
		})
	}
}

// TestPolicyConflict: the older policy wins a target; the newer one is
// Conflicted, and its settings are not used even though it is valid.
func TestPolicyConflict(t *testing.T) {
	p := newPKI(t)
	in := p.base()
	newer := in.BackendTLSPolicies[0].DeepCopy()
	newer.Name = "a-newer" // sorts first by name: age must decide
	newer.CreationTimestamp = metav1.NewTime(epoch.Add(time.Hour))
	newer.Spec.Validation.Hostname = "other.internal"
	in.BackendTLSPolicies = append(in.BackendTLSPolicies, newer)
	res := mustTranslate(t, in, p.options())
	wantCond(t, policyCond(t, res, "app", "web-tls", "Accepted"), metav1.ConditionTrue, "Accepted")
	wantCond(t, policyCond(t, res, "app", "a-newer", "Accepted"), metav1.ConditionFalse, "Conflicted")
	s := findSetting(&res.Config, findMap(&res.Config, "infra/gw/https/shop.example.com").PathRules[0].BackendHTTPSetting)
	if s.ServerName != "web.app.internal" {
		t.Fatalf("setting SNI %q: the newer policy won", s.ServerName)
	}

	// Same age: namespace/name decides.
	newer.CreationTimestamp = in.BackendTLSPolicies[0].CreationTimestamp
	res = mustTranslate(t, in, p.options())
	wantCond(t, policyCond(t, res, "app", "web-tls", "Accepted"), metav1.ConditionFalse, "Conflicted")
	wantCond(t, policyCond(t, res, "app", "a-newer", "Accepted"), metav1.ConditionTrue, "Accepted")
}

// TestPolicyPortOverService: a policy naming the port wins over one for the
// whole Service, for that port only; other ports get the whole-Service one.
func TestPolicyPortOverService(t *testing.T) {
	p := newPKI(t)
	in := p.base()
	whole := in.BackendTLSPolicies[0].DeepCopy()
	whole.Name = "whole"
	whole.Spec.TargetRefs[0].SectionName = nil
	whole.Spec.Validation.Hostname = "whole.internal"
	in.BackendTLSPolicies = append(in.BackendTLSPolicies, whole)
	in.HTTPRoutes[0].Spec.Rules = append(in.HTTPRoutes[0].Spec.Rules, gatewayv1.HTTPRouteRule{
		Matches:     []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{Type: ptr(gatewayv1.PathMatchExact), Value: ptr("/plain")}}},
		BackendRefs: []gatewayv1.HTTPBackendRef{backendRef("", "web", 8080)},
	})
	res := mustTranslate(t, in, p.options())
	if s := findSetting(&res.Config, "app/web:8443/timeout=10s"); s == nil || s.ServerName != "web.app.internal" {
		t.Fatalf("8443 setting = %+v", s)
	}
	if s := findSetting(&res.Config, "app/web:8080"); s == nil || s.ServerName != "whole.internal" || s.Protocol != gateway.HTTPS {
		t.Fatalf("8080 setting = %+v", s)
	}
	wantCond(t, policyCond(t, res, "app", "whole", "Accepted"), metav1.ConditionTrue, "Accepted")
}

func TestSessionPersistence(t *testing.T) {
	cookie, header := gatewayv1.CookieBasedSessionPersistence, gatewayv1.HeaderBasedSessionPersistence
	permanent := gatewayv1.PermanentCookieLifetimeType
	for _, tc := range []struct {
		name    string
		sp      *gatewayv1.SessionPersistence
		cookie  string // the setting's AffinityCookieName; "-" means no affinity
		problem string
	}{
		{"none", nil, "-", ""},
		{"cookie, default name", &gatewayv1.SessionPersistence{Type: &cookie}, "", ""},
		{"cookie, named", &gatewayv1.SessionPersistence{SessionName: ptr("shop-session")}, "shop-session", ""},
		{"header", &gatewayv1.SessionPersistence{Type: &header}, "", "type \"Header\""},
		{"permanent", &gatewayv1.SessionPersistence{CookieConfig: &gatewayv1.CookieConfig{LifetimeType: &permanent}}, "", "lifetime"},
		{"timeout", &gatewayv1.SessionPersistence{AbsoluteTimeout: ptr(gatewayv1.Duration("1h"))}, "", "absoluteTimeout"},
		{"bad name", &gatewayv1.SessionPersistence{SessionName: ptr("a b")}, "", "not a valid cookie name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPKI(t)
			in := p.base()
			in.HTTPRoutes[0].Spec.Rules[0].SessionPersistence = tc.sp
			res := mustTranslate(t, in, p.options())
			if tc.problem != "" {
				c := routeCond(t, res, "app", "web", "Accepted")
				wantCond(t, c, metav1.ConditionFalse, "UnsupportedValue")
				if !strings.Contains(c.Message, tc.problem) {
					t.Fatalf("message %q, want it to contain %q", c.Message, tc.problem)
				}
				return
			}
			m := findMap(&res.Config, "infra/gw/https/shop.example.com")
			s := findSetting(&res.Config, m.PathRules[0].BackendHTTPSetting)
			got := "-"
			if s.CookieBasedAffinity {
				got = s.AffinityCookieName
			}
			if got != tc.cookie {
				t.Fatalf("affinity cookie %q, want %q (setting %+v)", got, tc.cookie, s)
			}
			acceptedByGateway(t, res.Config)
		})
	}
}
