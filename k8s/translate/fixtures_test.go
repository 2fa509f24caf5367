package translate

import (
	"crypto/tls"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
)

const testController = "e2etls.dev/gateway-controller"

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func meta(ns, name string, ageRank int) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Namespace:         ns,
		Name:              name,
		Generation:        3,
		CreationTimestamp: metav1.NewTime(epoch.Add(time.Duration(ageRank) * time.Minute)),
	}
}

// pki is a test PKI: a root, a leaf for the listener, a root for backends.
type pki struct {
	listenerRoot *tlstest.Cert
	listenerLeaf *tlstest.Cert
	backendRoot  *tlstest.Cert
	fallback     tls.Certificate
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	lr := tlstest.NewRoot(tlstest.Options{CommonName: "listener root"})
	br := tlstest.NewRoot(tlstest.Options{CommonName: "backend root"})
	return &pki{
		listenerRoot: lr,
		listenerLeaf: lr.NewLeaf(tlstest.Options{DNSNames: []string{"*.example.com", "example.com"}}),
		backendRoot:  br,
		fallback:     tlstest.NewSelfSignedLeaf(tlstest.Options{DNSNames: []string{"fallback.invalid"}}).TLSCertificate(),
	}
}

func (p *pki) options() Options {
	return Options{
		ControllerName:      testController,
		Ports:               []Port{{Number: 80, Protocol: gateway.HTTP}, {Number: 443, Protocol: gateway.HTTPS}},
		Addresses:           []gatewayv1.GatewayStatusAddress{{Type: ptr(gatewayv1.IPAddressType), Value: "127.0.0.1"}},
		NotFound:            "127.0.0.1:1404",
		Unavailable:         "127.0.0.1:1500",
		FallbackCertificate: &p.fallback,
	}
}

// base is a served world: a class, a Gateway with an HTTPS listener for
// *.example.com and an HTTP listener, a route to Service web port 8443
// with two ready endpoints and one not ready, a BackendTLSPolicy with a CA
// ConfigMap.
func (p *pki) base() Input {
	class := &gatewayv1.GatewayClass{ObjectMeta: meta("", "e2etls", 0), Spec: gatewayv1.GatewayClassSpec{ControllerName: testController}}
	other := &gatewayv1.GatewayClass{ObjectMeta: meta("", "other", 0), Spec: gatewayv1.GatewayClassSpec{ControllerName: "example.net/other"}}
	gw := &gatewayv1.Gateway{
		ObjectMeta: meta("infra", "gw", 0),
		Spec: gatewayv1.GatewaySpec{
			GatewayClassName: "e2etls",
			Listeners: []gatewayv1.Listener{
				{
					Name: "https", Port: 443, Protocol: gatewayv1.HTTPSProtocolType, Hostname: ptr(gatewayv1.Hostname("*.example.com")),
					TLS:           &gatewayv1.ListenerTLSConfig{CertificateRefs: []gatewayv1.SecretObjectReference{{Name: "listener-cert"}}},
					AllowedRoutes: &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{From: ptr(gatewayv1.NamespacesFromAll)}},
				},
				{
					Name: "http", Port: 80, Protocol: gatewayv1.HTTPProtocolType,
					AllowedRoutes: &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{From: ptr(gatewayv1.NamespacesFromAll)}},
				},
			},
		},
	}
	route := &gatewayv1.HTTPRoute{
		ObjectMeta: meta("app", "web", 1),
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Namespace: ptr(gatewayv1.Namespace("infra")), Name: "gw", SectionName: ptr(gatewayv1.SectionName("https"))}}},
			Hostnames:       []gatewayv1.Hostname{"shop.example.com"},
			Rules: []gatewayv1.HTTPRouteRule{{
				Matches:     []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{Type: ptr(gatewayv1.PathMatchPathPrefix), Value: ptr("/api")}}},
				BackendRefs: []gatewayv1.HTTPBackendRef{backendRef("", "web", 8443)},
				Timeouts:    &gatewayv1.HTTPRouteTimeouts{Request: ptr(gatewayv1.Duration("10s"))},
			}},
		},
	}
	svc := &corev1.Service{
		ObjectMeta: meta("app", "web", 0),
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "https", Port: 8443, Protocol: corev1.ProtocolTCP}, {Name: "plain", Port: 8080, Protocol: corev1.ProtocolTCP}}},
	}
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: "app", Name: "web-abc", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr("https"), Port: ptr(int32(9443))}, {Name: ptr("plain"), Port: ptr(int32(9080))}},
		Endpoints: []discoveryv1.Endpoint{
			{Addresses: []string{"10.0.0.2"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)}},
			{Addresses: []string{"10.0.0.1"}},
			{Addresses: []string{"10.0.0.3"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(false)}},
		},
	}
	policy := &gatewayv1.BackendTLSPolicy{
		ObjectMeta: meta("app", "web-tls", 1),
		Spec: gatewayv1.BackendTLSPolicySpec{
			TargetRefs: []gatewayv1.LocalPolicyTargetReferenceWithSectionName{{LocalPolicyTargetReference: gatewayv1.LocalPolicyTargetReference{Group: "", Kind: "Service", Name: "web"}, SectionName: ptr(gatewayv1.SectionName("https"))}},
			Validation: gatewayv1.BackendTLSPolicyValidation{
				Hostname:          "web.app.internal",
				CACertificateRefs: []gatewayv1.LocalObjectReference{{Group: "", Kind: "ConfigMap", Name: "web-ca"}},
			},
		},
	}
	return Input{
		GatewayClasses:     []*gatewayv1.GatewayClass{class, other},
		Gateways:           []*gatewayv1.Gateway{gw},
		HTTPRoutes:         []*gatewayv1.HTTPRoute{route},
		BackendTLSPolicies: []*gatewayv1.BackendTLSPolicy{policy},
		Namespaces:         []*corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "infra"}}, {ObjectMeta: metav1.ObjectMeta{Name: "app", Labels: map[string]string{"team": "shop"}}}},
		Services:           []*corev1.Service{svc},
		EndpointSlices:     []*discoveryv1.EndpointSlice{es},
		Secrets: []*corev1.Secret{{
			ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "listener-cert"},
			Type:       corev1.SecretTypeTLS,
			Data:       map[string][]byte{corev1.TLSCertKey: p.listenerLeaf.CertPEM(), corev1.TLSPrivateKeyKey: p.listenerLeaf.KeyPEM()},
		}},
		ConfigMaps: []*corev1.ConfigMap{{
			ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "web-ca"},
			Data:       map[string]string{"ca.crt": string(p.backendRoot.CertPEM())},
		}},
	}
}

func backendRef(ns, name string, port int32) gatewayv1.HTTPBackendRef {
	ref := gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(name), Port: ptr(port)}}}
	if ns != "" {
		ref.Namespace = ptr(gatewayv1.Namespace(ns))
	}
	return ref
}

func mustTranslate(t *testing.T, in Input, opts Options) *Result {
	t.Helper()
	res, err := Translate(in, opts)
	if err != nil {
		t.Fatalf("Translate: %v", err)
	}
	return res
}

func findSetting(cfg *gateway.Config, name string) *gateway.BackendHTTPSetting {
	for i := range cfg.BackendHTTPSettings {
		if cfg.BackendHTTPSettings[i].Name == name {
			return &cfg.BackendHTTPSettings[i]
		}
	}
	return nil
}

func findPool(cfg *gateway.Config, name string) *gateway.Pool {
	for i := range cfg.Pools {
		if cfg.Pools[i].Name == name {
			return &cfg.Pools[i]
		}
	}
	return nil
}

func findMap(cfg *gateway.Config, name string) *gateway.URLPathMap {
	for i := range cfg.URLPathMaps {
		if cfg.URLPathMaps[i].Name == name {
			return &cfg.URLPathMaps[i]
		}
	}
	return nil
}

// routeCond returns a condition of the first parent status of a route.
func routeCond(t *testing.T, res *Result, ns, name, typ string) *metav1.Condition {
	t.Helper()
	ps := res.HTTPRoutes[nsName(ns, name)]
	if len(ps) == 0 {
		t.Fatalf("route %s/%s has no parent status", ns, name)
	}
	return conditionOf(ps[0].Conditions, typ)
}

func policyCond(t *testing.T, res *Result, ns, name, typ string) *metav1.Condition {
	t.Helper()
	as := res.BackendTLSPolicies[nsName(ns, name)]
	if len(as) == 0 {
		t.Fatalf("policy %s/%s has no ancestor status", ns, name)
	}
	return conditionOf(as[0].Conditions, typ)
}

func listenerCond(t *testing.T, res *Result, ns, gw, listener, typ string) *metav1.Condition {
	t.Helper()
	st, ok := res.Gateways[nsName(ns, gw)]
	if !ok {
		t.Fatalf("gateway %s/%s has no status", ns, gw)
	}
	for _, l := range st.Listeners {
		if string(l.Name) == listener {
			return conditionOf(l.Conditions, typ)
		}
	}
	t.Fatalf("gateway %s/%s has no listener %q in its status", ns, gw, listener)
	return nil
}

func wantCond(t *testing.T, c *metav1.Condition, status metav1.ConditionStatus, reason string) {
	t.Helper()
	if c == nil {
		t.Fatalf("condition missing, want %s/%s", status, reason)
	}
	if c.Status != status || c.Reason != reason {
		t.Fatalf("condition %s = %s/%s (%q), want %s/%s", c.Type, c.Status, c.Reason, c.Message, status, reason)
	}
	if c.ObservedGeneration != 3 {
		t.Fatalf("condition %s observedGeneration = %d, want 3", c.Type, c.ObservedGeneration)
	}
}

// acceptedByGateway checks that gateway.New accepts a translated
// configuration, and closes the gateway.
func acceptedByGateway(t *testing.T, cfg gateway.Config) {
	t.Helper()
	g, err := gateway.New(cfg)
	if err != nil {
		t.Fatalf("gateway.New refuses the translation: %v", err)
	}
	g.Close()
}
