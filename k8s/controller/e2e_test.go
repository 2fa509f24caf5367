package controller

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/k8s/internal/apiservertest"
	"github.com/e2etls/e2etls/k8s/translate"
)

// world is a control plane, its clients, and the replicas started on it.
type world struct {
	t    *testing.T
	ctx  context.Context
	kube kubernetes.Interface
	gw   gatewayclient.Interface
	cfg  *rest.Config
}

// replica is one running controller, serving port 443 (HTTPS) on a
// loopback listener.
type replica struct {
	ctl  *Controller
	addr string
	stop context.CancelFunc
	done chan error
}

func ptr[T any](v T) *T { return &v }

// ok fails the test on err; it takes a call's two results.
func (w *world) ok(_ any, err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// startWorld starts the control plane with the standard-channel CRDs and
// creates the namespaces.
func startWorld(t *testing.T) *world { return startWorldWith(t, "standard") }

// startWorldWith is startWorld with the CRDs of a release channel.
func startWorldWith(t *testing.T, channel string) *world {
	s := apiservertest.StartWith(t, apiservertest.Options{Channel: channel})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	w := &world{t: t, ctx: ctx, cfg: s.Config, kube: kubernetes.NewForConfigOrDie(s.Config), gw: gatewayclient.NewForConfigOrDie(s.Config)}
	// Cleanups run last first: this one after the replicas have stopped.
	t.Cleanup(func() { checkLeaks(t) })
	for _, ns := range []string{"e2etls-system", "infra", "app"} {
		w.ok(w.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}))
	}
	return w
}

// replica starts a controller; it is stopped when the test ends, or by
// stopReplica.
func (w *world) replica(identity string) *replica {
	t := w.t
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := New(Config{
		Kube:          w.cfg,
		Ports:         []translate.Port{{Number: 443, Protocol: gateway.HTTPS}},
		Listeners:     map[int32]net.Listener{443: ln},
		Addresses:     []gatewayv1.GatewayStatusAddress{{Type: ptr(gatewayv1.IPAddressType), Value: "127.0.0.1"}},
		Namespace:     "e2etls-system",
		Identity:      identity,
		LeaseDuration: 4 * time.Second,
		RenewDeadline: 3 * time.Second,
		RetryPeriod:   250 * time.Millisecond,
		Debounce:      50 * time.Millisecond,
		Logger:        slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})).With("replica", identity),
		Resolver:      loopbackResolver{},
		// The test reads why a request failed in the response.
		DetailedErrors: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(w.ctx)
	r := &replica{ctl: ctl, addr: ln.Addr().String(), stop: stop, done: make(chan error, 1)}
	go func() { r.done <- ctl.Run(runCtx) }()
	t.Cleanup(func() { w.stopReplica(r) })
	return r
}

// stopReplica ends a replica's Run and waits for it (at most 45 s).
func (w *world) stopReplica(r *replica) {
	r.stop()
	select {
	case err, ok := <-r.done:
		if ok && err != nil {
			w.t.Errorf("Run: %v", err)
		}
		if ok {
			close(r.done)
		}
	case <-time.After(45 * time.Second):
		w.t.Errorf("Run did not return within 45 s of its context ending")
	}
}

// loopbackResolver resolves the names under backendDomain to 127.0.0.1 and
// no others. The API server refuses loopback addresses in EndpointSlices of
// type IPv4 and IPv6, so the tests' loopback backends are registered by
// name, in EndpointSlices of type FQDN.
type loopbackResolver struct{}

const backendDomain = ".backends.e2etls.test"

func (loopbackResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	if strings.HasSuffix(host, backendDomain) {
		return []string{"127.0.0.1"}, nil
	}
	return nil, &net.DNSError{Err: "not a test backend name", Name: host, IsNotFound: true}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// eventually polls f every 100 ms for at most d.
func (w *world) eventually(t *testing.T, d time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not within %v: %v", what, d, err)
}

// client returns an HTTPS client that trusts root and reaches every host
// at a replica's port 443.
func (r *replica) client(root *tlstest.Cert) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: root.Pool()},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, r.addr)
			},
		},
	}
}

func get(c *http.Client, url string) (int, string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, string(b), err
}

// service creates a Service with one port named https and an EndpointSlice
// whose one ready endpoint is the loopback backend on port, by name (see
// loopbackResolver).
func (w *world) service(name string, port int) {
	w.ok(w.kube.CoreV1().Services("app").Create(w.ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "https", Port: 8443, Protocol: corev1.ProtocolTCP}}},
	}, metav1.CreateOptions{}))
	w.ok(w.kube.DiscoveryV1().EndpointSlices("app").Create(w.ctx, &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: name + "-1", Labels: map[string]string{discoveryv1.LabelServiceName: name}},
		AddressType: discoveryv1.AddressTypeFQDN,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr("https"), Port: ptr(int32(port)), Protocol: ptr(corev1.ProtocolTCP)}},
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{name + backendDomain}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)}}},
	}, metav1.CreateOptions{}))
}

func (w *world) policy(name, svc, caConfigMap string) {
	w.ok(w.gw.GatewayV1().BackendTLSPolicies("app").Create(w.ctx, &gatewayv1.BackendTLSPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: gatewayv1.BackendTLSPolicySpec{
			TargetRefs: []gatewayv1.LocalPolicyTargetReferenceWithSectionName{{
				LocalPolicyTargetReference: gatewayv1.LocalPolicyTargetReference{Group: "", Kind: "Service", Name: gatewayv1.ObjectName(svc)},
				SectionName:                ptr(gatewayv1.SectionName("https")),
			}},
			Validation: gatewayv1.BackendTLSPolicyValidation{
				Hostname:          "web.app.internal",
				CACertificateRefs: []gatewayv1.LocalObjectReference{{Group: "", Kind: "ConfigMap", Name: gatewayv1.ObjectName(caConfigMap)}},
			},
		},
	}, metav1.CreateOptions{}))
}

func (w *world) caConfigMap(name string, roots ...*tlstest.Cert) {
	var pem []byte
	for _, r := range roots {
		pem = append(pem, r.CertPEM()...)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string]string{"ca.crt": string(pem)}}
	if _, err := w.kube.CoreV1().ConfigMaps("app").Get(w.ctx, name, metav1.GetOptions{}); err == nil {
		w.ok(w.kube.CoreV1().ConfigMaps("app").Update(w.ctx, cm, metav1.UpdateOptions{}))
		return
	}
	w.ok(w.kube.CoreV1().ConfigMaps("app").Create(w.ctx, cm, metav1.CreateOptions{}))
}

func hasCondition(cs []metav1.Condition, typ string, status metav1.ConditionStatus, reason string, gen int64) error {
	for _, c := range cs {
		if c.Type == typ {
			if c.Status != status || c.Reason != reason || c.ObservedGeneration != gen {
				return fmt.Errorf("%s is %s/%s (observedGeneration %d): %s; want %s/%s (generation %d)", typ, c.Status, c.Reason, c.ObservedGeneration, c.Message, status, reason, gen)
			}
			if c.LastTransitionTime.IsZero() {
				return fmt.Errorf("%s has no lastTransitionTime", typ)
			}
			return nil
		}
	}
	return fmt.Errorf("no %s condition in %+v", typ, cs)
}

// shop is the objects and backends most tests share: a GatewayClass, a
// Gateway with an HTTPS listener for *.example.com (certificate from a
// Secret), an HTTPRoute for shop.example.com/api to Service web, whose
// EndpointSlice names a loopback TLS backend, and a BackendTLSPolicy for it
// with a CA ConfigMap.
type shop struct {
	listenerRoot, rootA, rootB *tlstest.Cert
	leafA, leafB               *tlstest.Cert
	web                        *tlstest.Server
}

func prefix(p string) []gatewayv1.HTTPRouteMatch {
	return []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{Type: ptr(gatewayv1.PathMatchPathPrefix), Value: ptr(p)}}}
}

func svcRef(name string) []gatewayv1.HTTPBackendRef {
	return []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(name), Port: ptr(gatewayv1.PortNumber(8443))}}}}
}

func (w *world) shop() *shop {
	t, ctx := w.t, w.ctx
	sh := &shop{
		listenerRoot: tlstest.NewRoot(tlstest.Options{CommonName: "listener root"}),
		rootA:        tlstest.NewRoot(tlstest.Options{CommonName: "backend root A"}),
		rootB:        tlstest.NewRoot(tlstest.Options{CommonName: "backend root B"}),
	}
	listenerLeaf := sh.listenerRoot.NewLeaf(tlstest.Options{DNSNames: []string{"*.example.com"}})
	sh.leafA = sh.rootA.NewLeaf(tlstest.Options{DNSNames: []string{"web.app.internal"}})
	sh.leafB = sh.rootB.NewLeaf(tlstest.Options{DNSNames: []string{"web.app.internal"}})
	sh.web = tlstest.NewServer(tlstest.ServerOptions{Name: "web", Certificate: sh.leafA.TLSCertificate()})
	t.Cleanup(sh.web.Close)

	w.ok(w.kube.CoreV1().Secrets("infra").Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "listener-cert"},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{corev1.TLSCertKey: listenerLeaf.CertPEM(), corev1.TLSPrivateKeyKey: listenerLeaf.KeyPEM()},
	}, metav1.CreateOptions{}))
	w.caConfigMap("web-ca", sh.rootA)
	w.service("web", sh.web.Port())
	w.policy("web-tls", "web", "web-ca")
	w.ok(w.gw.GatewayV1().GatewayClasses().Create(ctx, &gatewayv1.GatewayClass{
		ObjectMeta: metav1.ObjectMeta{Name: "e2etls"},
		Spec:       gatewayv1.GatewayClassSpec{ControllerName: DefaultControllerName},
	}, metav1.CreateOptions{}))
	w.ok(w.gw.GatewayV1().Gateways("infra").Create(ctx, &gatewayv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Name: "gw"},
		Spec: gatewayv1.GatewaySpec{
			GatewayClassName: "e2etls",
			Listeners: []gatewayv1.Listener{{
				Name: "https", Port: 443, Protocol: gatewayv1.HTTPSProtocolType, Hostname: ptr(gatewayv1.Hostname("*.example.com")),
				TLS:           &gatewayv1.ListenerTLSConfig{CertificateRefs: []gatewayv1.SecretObjectReference{{Name: "listener-cert"}}},
				AllowedRoutes: &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{From: ptr(gatewayv1.NamespacesFromAll)}},
			}},
		},
	}, metav1.CreateOptions{}))
	w.ok(w.gw.GatewayV1().HTTPRoutes("app").Create(ctx, &gatewayv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Namespace: ptr(gatewayv1.Namespace("infra")), Name: "gw"}}},
			Hostnames:       []gatewayv1.Hostname{"shop.example.com"},
			Rules:           []gatewayv1.HTTPRouteRule{{Matches: prefix("/api"), BackendRefs: svcRef("web")}},
		},
	}, metav1.CreateOptions{}))
	return sh
}

// reachWeb waits until a request through r reaches the web backend,
// verified (SNI web.app.internal).
func (w *world) reachWeb(t *testing.T, c *http.Client) {
	t.Helper()
	w.eventually(t, 30*time.Second, "a request through the gateway reaches the backend", func() error {
		code, body, err := get(c, "https://shop.example.com/api/orders")
		if err != nil {
			return err
		}
		if code != http.StatusOK {
			return fmt.Errorf("status %d: %s", code, body)
		}
		var e tlstest.Echo
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			return fmt.Errorf("not an echo: %q", body)
		}
		if e.Server != "web" || e.SNI != "web.app.internal" || e.Path != "/api/orders" {
			return fmt.Errorf("echo %+v: want server web, SNI web.app.internal, path /api/orders", e)
		}
		return nil
	})
}

// TestEndToEnd runs the controller against a real API server: a Gateway
// with an HTTPS listener, an HTTPRoute, a Service whose EndpointSlice
// points at a loopback TLS backend and a BackendTLSPolicy with a CA
// ConfigMap; then a CA rotation, and a policy whose CA reference is
// invalid.
func TestEndToEnd(t *testing.T) {
	w := startWorld(t)
	ctx := w.ctx
	sh := w.shop()
	rep := w.replica("replica-a")
	web, rootB, leafB := sh.web, sh.rootB, sh.leafB
	locked := tlstest.NewServer(tlstest.ServerOptions{Name: "locked", Certificate: sh.leafA.TLSCertificate()})
	defer locked.Close()

	c := rep.client(sh.listenerRoot)
	t.Run("verified traffic", func(t *testing.T) {
		w.reachWeb(t, c)
		if code, _, err := get(c, "https://shop.example.com/elsewhere"); err != nil || code != http.StatusNotFound {
			t.Errorf("unmatched path: %d, %v; want 404", code, err)
		}
		if code, _, err := get(c, "https://other.example.com/api/orders"); err != nil || code != http.StatusNotFound {
			t.Errorf("host no route names: %d, %v; want 404", code, err)
		}
		rec := httptest.NewRecorder()
		rep.ctl.HealthHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		if rec.Code != http.StatusOK {
			t.Errorf("/readyz = %d %s", rec.Code, rec.Body)
		}
	})

	t.Run("status", func(t *testing.T) {
		w.eventually(t, 30*time.Second, "statuses written", func() error {
			gc, err := w.gw.GatewayV1().GatewayClasses().Get(ctx, "e2etls", metav1.GetOptions{})
			if err != nil {
				return err
			}
			if err := hasCondition(gc.Status.Conditions, "Accepted", metav1.ConditionTrue, "Accepted", gc.Generation); err != nil {
				return fmt.Errorf("GatewayClass: %w", err)
			}
			g, err := w.gw.GatewayV1().Gateways("infra").Get(ctx, "gw", metav1.GetOptions{})
			if err != nil {
				return err
			}
			if err := hasCondition(g.Status.Conditions, "Programmed", metav1.ConditionTrue, "Programmed", g.Generation); err != nil {
				return fmt.Errorf("Gateway: %w", err)
			}
			if len(g.Status.Listeners) != 1 || g.Status.Listeners[0].AttachedRoutes != 1 {
				return fmt.Errorf("Gateway listeners %+v: want one with one attached route", g.Status.Listeners)
			}
			if len(g.Status.Addresses) != 1 || g.Status.Addresses[0].Value != "127.0.0.1" {
				return fmt.Errorf("Gateway addresses %+v", g.Status.Addresses)
			}
			r, err := w.gw.GatewayV1().HTTPRoutes("app").Get(ctx, "web", metav1.GetOptions{})
			if err != nil {
				return err
			}
			if len(r.Status.Parents) != 1 {
				return fmt.Errorf("HTTPRoute parents %+v", r.Status.Parents)
			}
			if err := hasCondition(r.Status.Parents[0].Conditions, "Accepted", metav1.ConditionTrue, "Accepted", r.Generation); err != nil {
				return fmt.Errorf("HTTPRoute: %w", err)
			}
			if err := hasCondition(r.Status.Parents[0].Conditions, "ResolvedRefs", metav1.ConditionTrue, "ResolvedRefs", r.Generation); err != nil {
				return fmt.Errorf("HTTPRoute: %w", err)
			}
			p, err := w.gw.GatewayV1().BackendTLSPolicies("app").Get(ctx, "web-tls", metav1.GetOptions{})
			if err != nil {
				return err
			}
			if len(p.Status.Ancestors) != 1 || p.Status.Ancestors[0].AncestorRef.Name != "gw" {
				return fmt.Errorf("BackendTLSPolicy ancestors %+v", p.Status.Ancestors)
			}
			return hasCondition(p.Status.Ancestors[0].Conditions, "Accepted", metav1.ConditionTrue, "Accepted", p.Generation)
		})
		if !rep.ctl.Leading() {
			t.Error("the only replica does not lead")
		}
		lease, err := w.kube.CoordinationV1().Leases("e2etls-system").Get(ctx, "e2etls-gateway", metav1.GetOptions{})
		if err != nil || lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity != "replica-a" {
			t.Errorf("Lease: %v, %+v", err, lease)
		}
		sec, err := w.kube.CoreV1().Secrets("e2etls-system").Get(ctx, "e2etls-gateway-shared", metav1.GetOptions{})
		if err != nil || len(sec.Data[AffinityKeyField]) != 32 {
			t.Errorf("shared Secret: %v", err)
		}
	})

	t.Run("CA change applies at once", func(t *testing.T) {
		// The backend still presents leaf A. Once the policy trusts only
		// root B, the pooled connection verified under A must not be used
		// again: requests fail at once, on a fresh handshake that the new
		// trust refuses (a reused connection would have answered 200).
		w.caConfigMap("web-ca", rootB)
		w.eventually(t, 15*time.Second, "requests to the backend fail under the new CA", func() error {
			code, body, err := get(c, "https://shop.example.com/api/x")
			if err != nil {
				return err
			}
			if code != http.StatusBadGateway || !strings.Contains(body, "backend root A") {
				return fmt.Errorf("status %d: %s; want 502 naming the untrusted root A", code, body)
			}
			return nil
		})
		// The backend rotates to leaf B: it is verified under root B.
		web.SetCertificate(leafB.TLSCertificate())
		rep.ctl.Gateway().ProbeNow(ctx)
		w.eventually(t, 30*time.Second, "the rotated backend is reached", func() error {
			code, body, err := get(c, "https://shop.example.com/api/x")
			if err != nil {
				return err
			}
			if code != http.StatusOK {
				return fmt.Errorf("status %d: %s", code, body)
			}
			return nil
		})
	})

	t.Run("invalid CA reference fails closed", func(t *testing.T) {
		// The policy first, so that the Service is never without it.
		w.policy("locked-tls", "locked", "no-such-configmap")
		w.service("locked", locked.Port())
		r, err := w.gw.GatewayV1().HTTPRoutes("app").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		r.Spec.Rules = append(r.Spec.Rules, gatewayv1.HTTPRouteRule{Matches: prefix("/locked"), BackendRefs: svcRef("locked")})
		w.ok(w.gw.GatewayV1().HTTPRoutes("app").Update(ctx, r, metav1.UpdateOptions{}))
		w.eventually(t, 30*time.Second, "the policy's status says why", func() error {
			p, err := w.gw.GatewayV1().BackendTLSPolicies("app").Get(ctx, "locked-tls", metav1.GetOptions{})
			if err != nil {
				return err
			}
			if len(p.Status.Ancestors) != 1 {
				return fmt.Errorf("ancestors %+v", p.Status.Ancestors)
			}
			cs := p.Status.Ancestors[0].Conditions
			if err := hasCondition(cs, "ResolvedRefs", metav1.ConditionFalse, "InvalidCACertificateRef", p.Generation); err != nil {
				return err
			}
			return hasCondition(cs, "Accepted", metav1.ConditionFalse, "NoValidCACertificate", p.Generation)
		})
		for i := 0; i < 3; i++ {
			code, body, err := get(c, "https://shop.example.com/locked/")
			if err != nil || code != http.StatusInternalServerError {
				t.Fatalf("request to the locked backend: %d %q %v; want 500", code, body, err)
			}
		}
		rep.ctl.Gateway().ProbeNow(ctx)
		if n := locked.Handshakes(); n != 0 {
			t.Fatalf("the backend with an invalid CA reference completed %d handshakes, want 0", n)
		}
	})

	t.Run("routing features", func(t *testing.T) { w.routingFeatures(t, c) })

	t.Run("listener certificate rotation", func(t *testing.T) {
		root2 := tlstest.NewRoot(tlstest.Options{CommonName: "listener root 2"})
		leaf2 := root2.NewLeaf(tlstest.Options{DNSNames: []string{"*.example.com"}})
		w.ok(w.kube.CoreV1().Secrets("infra").Update(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "listener-cert"},
			Type:       corev1.SecretTypeTLS,
			Data:       map[string][]byte{corev1.TLSCertKey: leaf2.CertPEM(), corev1.TLSPrivateKeyKey: leaf2.KeyPEM()},
		}, metav1.UpdateOptions{}))
		c2 := rep.client(root2)
		w.eventually(t, 15*time.Second, "the new listener certificate is served", func() error {
			code, body, err := get(c2, "https://shop.example.com/api/x")
			if err != nil {
				return err
			}
			if code != http.StatusOK {
				return fmt.Errorf("status %d: %s", code, body)
			}
			return nil
		})
	})
}
