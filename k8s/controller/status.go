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
		parents := mergeStatuses(obj.Status.Parents, mine, 32, now,
			func(p *gatewayv1.RouteParentStatus) bool { return p.ControllerName == c.cfg.ControllerName },
			func(a, b *gatewayv1.RouteParentStatus) bool { return reflect.DeepEqual(a.ParentRef, b.ParentRef) },
			func(p *gatewayv1.RouteParentStatus) *[]metav1.Condition { return &p.Conditions })
		if equality.Semantic.DeepEqual(nonNil(obj.Status.Parents), parents) {
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
		ancestors := mergeStatuses(obj.Status.Ancestors, mine, 16, now,
			func(a *gatewayv1.PolicyAncestorStatus) bool { return a.ControllerName == c.cfg.ControllerName },
			func(a, b *gatewayv1.PolicyAncestorStatus) bool {
				return reflect.DeepEqual(a.AncestorRef, b.AncestorRef)
			},
			func(a *gatewayv1.PolicyAncestorStatus) *[]metav1.Condition { return &a.Conditions })
		if equality.Semantic.DeepEqual(nonNil(obj.Status.Ancestors), ancestors) {
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

// nonNil returns s, or an empty slice for nil: the API server writes an
// empty list where there is none.
func nonNil[S any](s []S) []S {
	if s == nil {
		return []S{}
	}
	return s
}

// mergeStatuses returns the status entries (route parents, policy
// ancestors) an object should have: those of other controllers in have,
// then ours, mine, each condition keeping its lastTransitionTime from our
// entry in have with the same reference (sameRef) while its status is
// unchanged; at most limit entries, the API's bound; never nil.
func mergeStatuses[S any](have, mine []S, limit int, now metav1.Time,
	ours func(*S) bool, sameRef func(a, b *S) bool, conditions func(*S) *[]metav1.Condition) []S {
	var out []S
	for i := range have {
		if !ours(&have[i]) {
			out = append(out, have[i])
		}
	}
	for _, m := range mine {
		var old []metav1.Condition
		for i := range have {
			if ours(&have[i]) && sameRef(&have[i], &m) {
				old = *conditions(&have[i])
			}
		}
		*conditions(&m) = mergeConditions(old, *conditions(&m), now)
		out = append(out, m)
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return nonNil(out)
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
