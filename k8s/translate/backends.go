package translate

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/e2etls/e2etls/gateway"
)

// backendTarget is where a rule's requests go: a Service port, or the
// fixed 500 answer.
type backendTarget struct {
	unavailable bool // answer 500, dial nothing
	svc         types.NamespacedName
	port        corev1.ServicePort
	policy      *policyState // nil: plain HTTP
	timeout     time.Duration
	affinity    *affinity // nil: round-robin
}

// backendRefs resolves a rule's backendRefs into the backends of positive
// weight (the default weight is 1). A backendRef of weight 0 is resolved
// too, so that its status tells of a bad reference, but gets no request.
// References that cannot be resolved are recorded on the route (its
// ResolvedRefs) and answer 500 for their share of the requests, as the
// specification requires. None left (no backendRef, or every weight zero)
// makes the rule answer 500.
func (t *translator) backendRefs(r *routeState, refs []gatewayv1.HTTPBackendRef) ([]weightedTarget, string) {
	var out []weightedTarget
	for i := range refs {
		if msg := backendRefFilters(refs[i].Filters); msg != "" {
			return nil, fmt.Sprintf("backendRef %d: %s", i, msg)
		}
	}
	for i := range refs {
		w := int32(1)
		if refs[i].Weight != nil {
			w = *refs[i].Weight
		}
		tg := t.resolveBackend(r, &refs[i].BackendRef)
		if w <= 0 {
			continue
		}
		out = append(out, weightedTarget{target: tg, weight: w})
	}
	return out, ""
}

// backendRefFilters: gateway.Config has no per-backend filters yet.
func backendRefFilters(fs []gatewayv1.HTTPRouteFilter) string {
	if len(fs) == 0 {
		return ""
	}
	return "backendRef filters are not supported yet"
}

// resolveBackend resolves one backendRef to a Service port, recording
// problems on the route; a reference that does not resolve answers 500.
func (t *translator) resolveBackend(r *routeState, ref *gatewayv1.BackendRef) backendTarget {
	group, kind := groupCore, kindService
	if ref.Group != nil {
		group = string(*ref.Group)
	}
	if ref.Kind != nil {
		kind = string(*ref.Kind)
	}
	ns := r.obj.Namespace
	if ref.Namespace != nil {
		ns = string(*ref.Namespace)
	}
	where := fmt.Sprintf("backendRef %s/%s", ns, ref.Name)
	fail := func(reason gatewayv1.RouteConditionReason, format string, args ...any) backendTarget {
		r.refProblem(reason, where+": "+fmt.Sprintf(format, args...))
		return backendTarget{unavailable: true}
	}
	if group != groupCore || kind != kindService {
		return fail(gatewayv1.RouteReasonInvalidKind, "kind %q of group %q is not supported: only core Services", kind, group)
	}
	if !t.refAllowed(groupGateway, kindHTTPRoute, r.obj.Namespace, groupCore, kindService, ns, string(ref.Name)) {
		return fail(gatewayv1.RouteReasonRefNotPermitted, "no ReferenceGrant in namespace %q allows HTTPRoutes of namespace %q to reference it", ns, r.obj.Namespace)
	}
	key := nsName(ns, string(ref.Name))
	svc := t.services[key]
	if svc == nil {
		return fail(gatewayv1.RouteReasonBackendNotFound, "Service not found")
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return fail(gatewayv1.RouteReasonUnsupportedProtocol, "Services of type ExternalName are not supported")
	}
	if ref.Port == nil {
		return fail(gatewayv1.RouteReasonBackendNotFound, "port is required for a Service")
	}
	i := slices.IndexFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Port == *ref.Port })
	if i < 0 {
		return fail(gatewayv1.RouteReasonBackendNotFound, "Service has no port %d", *ref.Port)
	}
	port := svc.Spec.Ports[i]
	if port.Protocol != "" && port.Protocol != corev1.ProtocolTCP {
		return fail(gatewayv1.RouteReasonUnsupportedProtocol, "port %d is %s, not TCP", port.Port, port.Protocol)
	}
	return backendTarget{svc: key, port: port, policy: t.policyForPort(key, port)}
}

// members lists the ready endpoints of a Service port, each with its
// endpoint port, from the Service's EndpointSlices; duplicates once.
func (t *translator) members(svc types.NamespacedName, port corev1.ServicePort) []gateway.Member {
	var out []gateway.Member
	seen := map[string]bool{}
	for _, es := range t.slices[svc] {
		var num int32 = -1
		for _, p := range es.Ports {
			name := ""
			if p.Name != nil {
				name = *p.Name
			}
			proto := corev1.ProtocolTCP
			if p.Protocol != nil {
				proto = *p.Protocol
			}
			if name == port.Name && proto == corev1.ProtocolTCP && p.Port != nil {
				num = *p.Port
				break
			}
		}
		if num < 1 || num > 65535 {
			continue
		}
		for _, ep := range es.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			for _, a := range ep.Addresses {
				if es.AddressType != discoveryv1.AddressTypeFQDN && net.ParseIP(a) == nil {
					continue
				}
				k := net.JoinHostPort(a, strconv.Itoa(int(num)))
				if seen[k] {
					continue
				}
				seen[k] = true
				out = append(out, gateway.Member{Address: a, Port: int(num)})
				break // one address per endpoint: the others are the same endpoint
			}
		}
	}
	slices.SortFunc(out, func(a, b gateway.Member) int {
		if a.Address != b.Address {
			if a.Address < b.Address {
				return -1
			}
			return 1
		}
		return a.Port - b.Port
	})
	return out
}
