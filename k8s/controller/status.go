package controller

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/e2etls/e2etls/k8s/translate"
)

// writeStatus writes what differs between the translation's statuses and
// the cached objects': the served GatewayClasses and Gateways whole, and
// this controller's entries of HTTPRoute parents and BackendTLSPolicy
// ancestors (other controllers' entries are kept). A condition keeps its
// lastTransitionTime while its status does not change. When the data
// plane refused the configuration (applyErr), every served Gateway says
// Programmed=False with the error.
func (c *Controller) writeStatus(ctx context.Context, res *translate.Result, applyErr error, planeErrs map[types.NamespacedName]error) error {
	now := metav1.Now()
	var errs []error
	api := c.gwc.GatewayV1()

	for name, st := range res.GatewayClasses {
		obj, err := c.listers.classes.Get(name)
		if err != nil {
			continue
		}
		want := obj.Status.DeepCopy()
		want.Conditions = mergeConditions(obj.Status.Conditions, st.Conditions, now)
		if equality.Semantic.DeepEqual(obj.Status, *want) {
			continue
		}
		cp := obj.DeepCopy()
		cp.Status = *want
		if _, err := api.GatewayClasses().UpdateStatus(ctx, cp, metav1.UpdateOptions{}); err != nil {
			errs = append(errs, fmt.Errorf("GatewayClass %s: %w", name, err))
		}
	}

	for key, st := range res.Gateways {
		obj, err := c.listers.gateways.Gateways(key.Namespace).Get(key.Name)
		if err != nil {
			continue
		}
		if err := cmp.Or(applyErr, planeErrs[key]); err != nil {
			reason, msg := gatewayv1.GatewayReasonInvalid, "the data plane refused the configuration, the previous one keeps serving: "
			var be *bindError
			if errors.As(err, &be) {
				reason, msg = gatewayv1.GatewayReasonAddressNotUsable, "the Gateway's address cannot be served: "
			}
			for i := range st.Conditions {
				if st.Conditions[i].Type == string(gatewayv1.GatewayConditionProgrammed) {
					st.Conditions[i].Status = metav1.ConditionFalse
					st.Conditions[i].Reason = string(reason)
					st.Conditions[i].Message = truncate(msg + err.Error())
				}
			}
		}
		want := st.DeepCopy()
		want.Conditions = mergeConditions(obj.Status.Conditions, st.Conditions, now)
		for i := range want.Listeners {
			var old []metav1.Condition
			for _, ol := range obj.Status.Listeners {
				if ol.Name == want.Listeners[i].Name {
					old = ol.Conditions
				}
			}
			want.Listeners[i].Conditions = mergeConditions(old, want.Listeners[i].Conditions, now)
		}
		if equality.Semantic.DeepEqual(obj.Status, *want) {
			continue
		}
		cp := obj.DeepCopy()
		cp.Status = *want
		if _, err := api.Gateways(key.Namespace).UpdateStatus(ctx, cp, metav1.UpdateOptions{}); err != nil {
			errs = append(errs, fmt.Errorf("Gateway %s: %w", key, err))
		}
	}

	routes, err := c.listers.routes.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("controller: list HTTPRoutes: %w", err)
	}
	for _, obj := range routes {
		key := types.NamespacedName{Namespace: obj.Namespace, Name: obj.Name}
		mine := res.HTTPRoutes[key]
		var parents []gatewayv1.RouteParentStatus
		for _, p := range obj.Status.Parents {
			if p.ControllerName != c.cfg.ControllerName {
				parents = append(parents, p)
			}
		}
		for _, p := range mine {
			var old []metav1.Condition
			for _, op := range obj.Status.Parents {
				if op.ControllerName == c.cfg.ControllerName && reflect.DeepEqual(op.ParentRef, p.ParentRef) {
					old = op.Conditions
				}
			}
			p.Conditions = mergeConditions(old, p.Conditions, now)
			parents = append(parents, p)
		}
		if len(parents) > 32 { // the API's limit
			parents = parents[:32]
		}
		if parents == nil {
			parents = []gatewayv1.RouteParentStatus{}
		}
		if equality.Semantic.DeepEqual(normalizeParents(obj.Status.Parents), parents) {
			continue
		}
		cp := obj.DeepCopy()
		cp.Status.Parents = parents
		if _, err := api.HTTPRoutes(obj.Namespace).UpdateStatus(ctx, cp, metav1.UpdateOptions{}); err != nil {
			errs = append(errs, fmt.Errorf("HTTPRoute %s: %w", key, err))
		}
	}

	policies, err := c.listers.policies.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("controller: list BackendTLSPolicies: %w", err)
	}
	for _, obj := range policies {
		key := types.NamespacedName{Namespace: obj.Namespace, Name: obj.Name}
		mine := res.BackendTLSPolicies[key]
		var ancestors []gatewayv1.PolicyAncestorStatus
		for _, a := range obj.Status.Ancestors {
			if a.ControllerName != c.cfg.ControllerName {
				ancestors = append(ancestors, a)
			}
		}
		for _, a := range mine {
			var old []metav1.Condition
			for _, oa := range obj.Status.Ancestors {
				if oa.ControllerName == c.cfg.ControllerName && reflect.DeepEqual(oa.AncestorRef, a.AncestorRef) {
					old = oa.Conditions
				}
			}
			a.Conditions = mergeConditions(old, a.Conditions, now)
			ancestors = append(ancestors, a)
		}
		if len(ancestors) > 16 { // the API's limit
			ancestors = ancestors[:16]
		}
		if ancestors == nil {
			ancestors = []gatewayv1.PolicyAncestorStatus{}
		}
		if equality.Semantic.DeepEqual(normalizeAncestors(obj.Status.Ancestors), ancestors) {
			continue
		}
		cp := obj.DeepCopy()
		cp.Status.Ancestors = ancestors
		if _, err := api.BackendTLSPolicies(obj.Namespace).UpdateStatus(ctx, cp, metav1.UpdateOptions{}); err != nil {
			errs = append(errs, fmt.Errorf("BackendTLSPolicy %s: %w", key, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("controller: status: %w", errors.Join(errs...))
	}
	return nil
}

func normalizeParents(p []gatewayv1.RouteParentStatus) []gatewayv1.RouteParentStatus {
	if p == nil {
		return []gatewayv1.RouteParentStatus{}
	}
	return p
}

func normalizeAncestors(a []gatewayv1.PolicyAncestorStatus) []gatewayv1.PolicyAncestorStatus {
	if a == nil {
		return []gatewayv1.PolicyAncestorStatus{}
	}
	return a
}

// mergeConditions returns want with each condition's lastTransitionTime
// taken from old when the condition of that type kept its status, else now.
func mergeConditions(old, want []metav1.Condition, now metav1.Time) []metav1.Condition {
	out := make([]metav1.Condition, len(want))
	for i, w := range want {
		w.LastTransitionTime = now
		for _, o := range old {
			if o.Type == w.Type && o.Status == w.Status {
				w.LastTransitionTime = o.LastTransitionTime
			}
		}
		out[i] = w
	}
	return out
}

// truncate keeps a condition message within the API's 32768 bytes.
func truncate(s string) string {
	const max = 32768
	if len(s) <= max {
		return s
	}
	return s[:max-3] + "..."
}
