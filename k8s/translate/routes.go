package translate

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// routeState is an HTTPRoute with at least one served parent.
type routeState struct {
	obj   *gatewayv1.HTTPRoute
	key   types.NamespacedName
	rules []ruleOut
	// kept counts the rules translated; the others are unsupported.
	kept int
	// refReason and refMsgs describe backendRefs that did not resolve.
	refReason gatewayv1.RouteConditionReason
	refMsgs   []string
}

func (r *routeState) refProblem(reason gatewayv1.RouteConditionReason, msg string) {
	if r.refReason == "" {
		r.refReason = reason
	}
	if !slices.Contains(r.refMsgs, msg) {
		r.refMsgs = append(r.refMsgs, msg)
	}
}

// pathEntry is one match of one rule, bound for the URL path map of one
// effective host name.
type pathEntry struct {
	route    *routeState
	rule     int
	match    int
	m        matchOut
	backends []weightedTarget // none: answer 500
}

// routes attaches every HTTPRoute to its served parents, translates its
// rules and sets its parent statuses.
func (t *translator) routes() {
	rs := slices.Clone(t.in.HTTPRoutes)
	slices.SortFunc(rs, func(a, b *gatewayv1.HTTPRoute) int {
		return olderFirst(a.CreationTimestamp, b.CreationTimestamp, nsName(a.Namespace, a.Name), nsName(b.Namespace, b.Name))
	})
	for _, obj := range rs {
		served := false
		for _, p := range obj.Spec.ParentRefs {
			if t.parentGateway(obj, p) != nil {
				served = true
			}
		}
		if !served {
			continue
		}
		r := &routeState{obj: obj, key: nsName(obj.Namespace, obj.Name)}
		t.routeList = append(t.routeList, r)
		for i := range obj.Spec.Rules {
			out := t.translateRule(r, i, &obj.Spec.Rules[i])
			if out.unsupported == "" {
				r.kept++
			}
			r.rules = append(r.rules, out)
		}
		var statuses []gatewayv1.RouteParentStatus
		for _, p := range obj.Spec.ParentRefs {
			gs := t.parentGateway(obj, p)
			if gs == nil {
				continue
			}
			statuses = append(statuses, t.attach(r, gs, p))
		}
		t.res.HTTPRoutes[r.key] = statuses
	}
}

// parentGateway returns the served Gateway a parentRef names, or nil.
func (t *translator) parentGateway(r *gatewayv1.HTTPRoute, p gatewayv1.ParentReference) *gatewayState {
	if p.Group != nil && *p.Group != groupGateway {
		return nil
	}
	if p.Kind != nil && *p.Kind != kindGateway {
		return nil
	}
	ns := r.Namespace
	if p.Namespace != nil {
		ns = string(*p.Namespace)
	}
	return t.gwByName[nsName(ns, string(p.Name))]
}

// attach attaches a route to the listeners of one parent and returns the
// parent's status.
func (t *translator) attach(r *routeState, gs *gatewayState, p gatewayv1.ParentReference) gatewayv1.RouteParentStatus {
	gen := r.obj.Generation
	st := gatewayv1.RouteParentStatus{ParentRef: p, ControllerName: t.opts.ControllerName}
	accept := func(ok bool, reason gatewayv1.RouteConditionReason, msg string) {
		st.Conditions = append(st.Conditions, condition(string(gatewayv1.RouteConditionAccepted), ok, string(reason), msg, gen))
	}
	var candidates []*listenerState
	for _, l := range gs.listeners {
		if p.SectionName != nil && *p.SectionName != l.spec.Name {
			continue
		}
		if p.Port != nil && *p.Port != l.spec.Port {
			continue
		}
		candidates = append(candidates, l)
	}
	var allowed []*listenerState
	for _, l := range candidates {
		if l.allowsHTTPRoute && t.allowsNamespace(l, r.obj.Namespace) {
			allowed = append(allowed, l)
		}
	}
	type attachment struct {
		l     *listenerState
		hosts []string
	}
	var attached []attachment
	for _, l := range allowed {
		if hs := intersect(l.host, r.obj.Spec.Hostnames); len(hs) > 0 {
			attached = append(attached, attachment{l, hs})
		}
	}
	switch {
	case len(candidates) == 0:
		accept(false, gatewayv1.RouteReasonNoMatchingParent, "no listener of the Gateway matches the parentRef's sectionName and port")
	case len(allowed) == 0:
		accept(false, gatewayv1.RouteReasonNotAllowedByListeners, "the listeners' allowedRoutes do not admit this route's kind or namespace")
	case len(attached) == 0:
		accept(false, gatewayv1.RouteReasonNoMatchingListenerHostname, "no hostname of the route intersects a hostname of the listeners")
	case r.kept == 0 && len(r.rules) > 0:
		accept(false, gatewayv1.RouteReasonUnsupportedValue, "no rule can be served: "+r.unsupportedMessage())
	default:
		accept(true, gatewayv1.RouteReasonAccepted, "")
		for _, a := range attached {
			a.l.attached++
			if !a.l.programmed() {
				continue
			}
			for _, h := range a.hosts {
				a.l.hosts[h] = append(a.l.hosts[h], t.entries(r, gs)...)
			}
		}
	}
	if r.refReason != "" {
		st.Conditions = append(st.Conditions, condition(string(gatewayv1.RouteConditionResolvedRefs), false, string(r.refReason),
			strings.Join(r.refMsgs, "; ")+"; requests for these backends answer 500", gen))
	} else {
		st.Conditions = append(st.Conditions, condition(string(gatewayv1.RouteConditionResolvedRefs), true, string(gatewayv1.RouteReasonResolvedRefs), "", gen))
	}
	if r.kept > 0 && r.kept < len(r.rules) {
		st.Conditions = append(st.Conditions, condition(string(gatewayv1.RouteConditionPartiallyInvalid), true, string(gatewayv1.RouteReasonUnsupportedValue),
			"rules left out: "+r.unsupportedMessage(), gen))
	}
	return st
}

func (r *routeState) unsupportedMessage() string {
	var msgs []string
	for _, o := range r.rules {
		if o.unsupported != "" {
			msgs = append(msgs, o.unsupported)
		}
	}
	return strings.Join(msgs, "; ")
}

// entries lists a route's translated matches, and records the Gateway as an
// ancestor of the BackendTLSPolicies its backends are governed by.
func (t *translator) entries(r *routeState, gs *gatewayState) []*pathEntry {
	var out []*pathEntry
	for i, o := range r.rules {
		if o.unsupported != "" {
			continue
		}
		for _, b := range o.backends {
			if !b.target.unavailable {
				t.markAncestors(b.target, gs)
			}
		}
		for j, m := range o.matches {
			out = append(out, &pathEntry{route: r, rule: i, match: j, m: m, backends: o.backends})
		}
	}
	return out
}

// markAncestors records gs as an ancestor of every policy that targets the
// backend, the winner and the policies it won against.
func (t *translator) markAncestors(tg backendTarget, gs *gatewayState) {
	for _, p := range t.policyAll {
		for _, ref := range p.obj.Spec.TargetRefs {
			if ref.Group != groupCore || ref.Kind != kindService || nsName(p.obj.Namespace, string(ref.Name)) != tg.svc {
				continue
			}
			if ref.SectionName != nil && *ref.SectionName != "" && string(*ref.SectionName) != tg.port.Name {
				continue
			}
			if t.ancestors[p] == nil {
				t.ancestors[p] = map[types.NamespacedName]bool{}
			}
			t.ancestors[p][gs.key] = true
		}
	}
}

// lessEntry orders path rules by the specification's precedence: Exact
// before PathPrefix, longer paths first, a method match before none, more
// header matches first, more query parameter matches first, then the older
// route, then the route's namespace/name, then rule and match order.
func lessEntry(a, b *pathEntry) int {
	pa, pb := a.m.path, b.m.path
	if pa.exact != pb.exact {
		if pa.exact {
			return -1
		}
		return 1
	}
	if la, lb := len(pa.path), len(pb.path); la != lb {
		return lb - la
	}
	ca, cb := &a.m.cond, &b.m.cond
	if (ca.Method != "") != (cb.Method != "") {
		if ca.Method != "" {
			return -1
		}
		return 1
	}
	if ha, hb := len(ca.Headers), len(cb.Headers); ha != hb {
		return hb - ha
	}
	if qa, qb := len(ca.QueryParams), len(cb.QueryParams); qa != qb {
		return qb - qa
	}
	if a.route != b.route {
		return olderFirst(a.route.obj.CreationTimestamp, b.route.obj.CreationTimestamp, a.route.key, b.route.key)
	}
	if a.rule != b.rule {
		return a.rule - b.rule
	}
	return a.match - b.match
}

// intersect returns the host names a route with hostnames rh serves on a
// listener with host name lh ("" accepts any host): each route host name
// that the listener accepts, narrowed to the more specific of the two. No
// route host names means the listener's. The result is lower-cased,
// without duplicates; "" stands for any host. Empty means none intersect.
func intersect(lh string, rh []gatewayv1.Hostname) []string {
	if len(rh) == 0 {
		return []string{lh}
	}
	var out []string
	add := func(h string) {
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	for _, raw := range rh {
		h := strings.ToLower(string(raw))
		switch {
		case lh == "" || h == lh:
			add(h)
		case wildcardCovers(lh, h):
			add(h)
		case wildcardCovers(h, lh):
			add(lh)
		}
	}
	return out
}

// wildcardCovers reports whether wildcard pattern w ("*.example.com")
// covers h, an exact name or a narrower wildcard: "*" stands for one or
// more labels, as the specification says.
func wildcardCovers(w, h string) bool {
	suffix, ok := strings.CutPrefix(w, "*")
	if !ok {
		return false
	}
	return len(h) > len(suffix) && strings.HasSuffix(h, suffix) && h != w
}
