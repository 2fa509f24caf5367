package controller

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestReplicas runs two replicas on one API server: both serve verified
// traffic, exactly one leads, both use the affinity key of the one shared
// Secret; when the leader stops, the other takes the Lease and writes the
// status of a later change, keeping another controller's entries.
func TestReplicas(t *testing.T) {
	w := startWorld(t)
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
