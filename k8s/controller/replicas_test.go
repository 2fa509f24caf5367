package controller

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestReplicas runs two replicas on one API server: both serve verified
// traffic, exactly one leads, both use the affinity key of the one shared
// Secret, so an affinity cookie from one replica sends the client to the
// same backend through the other; when the leader stops, the other takes
// the Lease and writes the status of a later change, keeping another
// controller's entries. (Experimental-channel CRDs: sessionPersistence.)
func TestReplicas(t *testing.T) {
	w := startWorldWith(t, "experimental")
	ctx := w.ctx
	sh := w.shop()
	a, b := w.replica("replica-a"), w.replica("replica-b")
	for _, r := range []*replica{a, b} {
		w.reachWeb(t, r.client(sh.listenerRoot))
	}
	w.eventually(t, 20*time.Second, "exactly one replica leads", func() error {
		if a.ctl.Leading() == b.ctl.Leading() {
			return fmt.Errorf("leading: a %v, b %v", a.ctl.Leading(), b.ctl.Leading())
		}
		return nil
	})
	a.ctl.mu.Lock()
	ka := a.ctl.sharedKey
	a.ctl.mu.Unlock()
	b.ctl.mu.Lock()
	kb := b.ctl.sharedKey
	b.ctl.mu.Unlock()
	if len(ka) != 32 || !bytes.Equal(ka, kb) {
		t.Fatalf("affinity keys differ or are not 32 bytes: %x, %x", ka, kb)
	}

	t.Run("affinity holds across replicas", func(t *testing.T) { w.stickyAcrossReplicas(t, sh, a, b) })
	t.Run("TLS sessions resume across replicas", func(t *testing.T) { w.resumeAcrossReplicas(t, sh, a, b) })

	// Another controller's entry in the route's status.
	other := gatewayv1.RouteParentStatus{
		ParentRef:      gatewayv1.ParentReference{Name: "elsewhere"},
		ControllerName: "example.net/other-controller",
		Conditions: []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted",
			LastTransitionTime: metav1.Now(), ObservedGeneration: 1}},
	}
	w.eventually(t, 30*time.Second, "our status written, then another controller's entry added", func() error {
		r, err := w.gw.GatewayV1().HTTPRoutes("app").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if len(r.Status.Parents) != 1 {
			return fmt.Errorf("parents %+v: want ours only, first", r.Status.Parents)
		}
		r.Status.Parents = append(r.Status.Parents, other)
		_, err = w.gw.GatewayV1().HTTPRoutes("app").UpdateStatus(ctx, r, metav1.UpdateOptions{})
		return err
	})

	leader, follower := a, b
	if b.ctl.Leading() {
		leader, follower = b, a
	}
	w.stopReplica(leader)
	w.eventually(t, 20*time.Second, "the other replica takes the Lease", func() error {
		if !follower.ctl.Leading() {
			return fmt.Errorf("not leading")
		}
		return nil
	})
	w.eventually(t, 10*time.Second, "a spec change", func() error {
		r, err := w.gw.GatewayV1().HTTPRoutes("app").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		r.Spec.Hostnames = append(r.Spec.Hostnames, "www.example.com")
		_, err = w.gw.GatewayV1().HTTPRoutes("app").Update(ctx, r, metav1.UpdateOptions{})
		return err
	})
	w.eventually(t, 30*time.Second, "the new leader writes the status of generation 2, keeping the other entry", func() error {
		r, err := w.gw.GatewayV1().HTTPRoutes("app").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if r.Generation != 2 {
			return fmt.Errorf("generation %d", r.Generation)
		}
		var mine, theirs *gatewayv1.RouteParentStatus
		for i := range r.Status.Parents {
			switch r.Status.Parents[i].ControllerName {
			case DefaultControllerName:
				mine = &r.Status.Parents[i]
			case other.ControllerName:
				theirs = &r.Status.Parents[i]
			}
		}
		if theirs == nil || len(r.Status.Parents) != 2 {
			return fmt.Errorf("parents %+v: the other controller's entry is gone", r.Status.Parents)
		}
		if mine == nil {
			return fmt.Errorf("parents %+v: ours is gone", r.Status.Parents)
		}
		return hasCondition(mine.Conditions, "Accepted", metav1.ConditionTrue, "Accepted", 2)
	})
	w.reachWeb(t, follower.client(sh.listenerRoot))
	c := follower.client(sh.listenerRoot)
	w.eventually(t, 10*time.Second, "the new hostname is served", func() error {
		code, body, err := get(c, "https://www.example.com/api/x")
		if err != nil || code != 200 {
			return fmt.Errorf("%d %s %v", code, body, err)
		}
		return nil
	})
}

// stickyAcrossReplicas routes sticky.example.com to a Service of two plain
// HTTP backends with cookie session persistence: a cookie issued through
// one replica sends every later request through either replica to the same
// backend, while requests without it reach both.
func (w *world) stickyAcrossReplicas(t *testing.T, sh *shop, a, b *replica) {
	ctx := w.ctx
	names := []string{"pair-1", "pair-2"}
	for _, name := range names {
		srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) { fmt.Fprint(rw, name) }))
		t.Cleanup(srv.Close)
		_, portStr, _ := net.SplitHostPort(srv.Listener.Addr().String())
		port, _ := strconv.Atoi(portStr)
		w.ok(w.kube.DiscoveryV1().EndpointSlices("app").Create(ctx, &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: "pair"}},
			AddressType: discoveryv1.AddressTypeFQDN,
			Ports:       []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(port)), Protocol: ptr(corev1.ProtocolTCP)}},
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{name + backendDomain}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)}}},
		}, metav1.CreateOptions{}))
	}
	w.ok(w.kube.CoreV1().Services("app").Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "pair"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}},
	}, metav1.CreateOptions{}))
	w.ok(w.gw.GatewayV1().HTTPRoutes("app").Create(ctx, &gatewayv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Name: "sticky"},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Namespace: ptr(gatewayv1.Namespace("infra")), Name: "gw"}}},
			Hostnames:       []gatewayv1.Hostname{"sticky.example.com"},
			Rules: []gatewayv1.HTTPRouteRule{{
				BackendRefs:        []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "pair", Port: ptr(gatewayv1.PortNumber(80))}}}},
				SessionPersistence: &gatewayv1.SessionPersistence{SessionName: ptr("sticky")},
			}},
		},
	}, metav1.CreateOptions{}))

	ca, cb := a.client(sh.listenerRoot), b.client(sh.listenerRoot)
	send := func(c *http.Client, cookie *http.Cookie) (string, *http.Cookie, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://sticky.example.com/", nil)
		if cookie != nil {
			req.AddCookie(cookie)
		}
		resp, err := c.Do(req)
		if err != nil {
			return "", nil, err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		if resp.StatusCode != http.StatusOK {
			return "", nil, fmt.Errorf("status %d: %s", resp.StatusCode, body)
		}
		for _, ck := range resp.Cookies() {
			if ck.Name == "sticky" {
				return string(body), ck, nil
			}
		}
		return string(body), nil, nil
	}
	// Both replicas serve the route and both backends are in rotation.
	seen := map[string]bool{}
	w.eventually(t, 30*time.Second, "both replicas reach both backends without a cookie", func() error {
		for _, c := range []*http.Client{ca, cb} {
			name, _, err := send(c, nil)
			if err != nil {
				return err
			}
			seen[name] = true
		}
		if len(seen) != 2 {
			return fmt.Errorf("backends reached so far: %v", seen)
		}
		return nil
	})
	first, cookie, err := send(ca, nil)
	if err != nil || cookie == nil {
		t.Fatalf("first request through replica a: %q, cookie %v, %v", first, cookie, err)
	}
	for i := 0; i < 10; i++ {
		c := []*http.Client{ca, cb}[i%2]
		name, _, err := send(c, cookie)
		if err != nil || name != first {
			t.Fatalf("request %d with the cookie from replica a went to %q (%v), want %q", i, name, err, first)
		}
	}
}

// resumeAcrossReplicas: the replicas share the session ticket keys of the
// shared Secret, so a TLS session made with one resumes on the other; an
// edit of the Secret's keys applies at once (a session under a key that
// was dropped no longer resumes).
func (w *world) resumeAcrossReplicas(t *testing.T, sh *shop, a, b *replica) {
	ctx := w.ctx
	dial := func(r *replica, cache tls.ClientSessionCache) (bool, error) {
		c := r.client(sh.listenerRoot)
		tr := c.Transport.(*http.Transport)
		tr.TLSClientConfig.ClientSessionCache = cache
		tr.DisableKeepAlives = true
		resp, err := c.Get("https://shop.example.com/api/resume")
		if err != nil {
			return false, err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		return resp.TLS.DidResume, nil
	}
	resumes := func(from, to *replica) error {
		cache := tls.NewLRUClientSessionCache(1)
		if _, err := dial(from, cache); err != nil {
			return err
		}
		ok, err := dial(to, cache)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("a session of one replica does not resume on the other")
		}
		return nil
	}
	if err := resumes(a, b); err != nil {
		t.Fatal(err)
	}
	if err := resumes(b, a); err != nil {
		t.Fatal(err)
	}

	// A session made now, then a new key replaces the old one.
	old := tls.NewLRUClientSessionCache(1)
	if _, err := dial(a, old); err != nil {
		t.Fatal(err)
	}
	s, err := w.kube.CoreV1().Secrets("e2etls-system").Get(ctx, "e2etls-gateway-shared", metav1.GetOptions{})
	w.ok(s, err)
	if len(s.Data[SessionTicketKeysField]) != 32 {
		t.Fatalf("shared Secret ticket keys: %d bytes, want one key of 32", len(s.Data[SessionTicketKeysField]))
	}
	fresh := make([]byte, 32)
	rand.Read(fresh)
	s.Data[SessionTicketKeysField] = fresh
	w.ok(w.kube.CoreV1().Secrets("e2etls-system").Update(ctx, s, metav1.UpdateOptions{}))
	w.eventually(t, 15*time.Second, "the new key is in force on both replicas", func() error {
		for _, r := range []*replica{a, b} {
			r.ctl.mu.Lock()
			k := r.ctl.shared.tickets
			r.ctl.mu.Unlock()
			if len(k) != 1 || !bytes.Equal(k[0][:], fresh) {
				return fmt.Errorf("replica keys %x", k)
			}
		}
		return nil
	})
	if ok, err := dial(b, old); err != nil || ok {
		t.Fatalf("a session under the dropped key: resumed %v, %v; want a full handshake", ok, err)
	}
	if err := resumes(a, b); err != nil {
		t.Fatalf("under the new key: %v", err)
	}
}
