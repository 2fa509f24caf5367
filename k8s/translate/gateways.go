package translate

import (
	"crypto/tls"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/e2etls/e2etls/gateway"
)

// gatewayState is a served Gateway during translation.
type gatewayState struct {
	obj       *gatewayv1.Gateway
	key       types.NamespacedName
	listeners []*listenerState
	// refused, when set, refuses the whole Gateway (Accepted=False) with
	// this reason and message.
	refusedReason, refusedMessage string
	// addr is the Gateway's own address with Options.AddressPool; noAddr
	// says why it has none (the pool is full).
	addr         netip.Addr
	noAddr       string
	noAddrReason gatewayv1.GatewayConditionReason
}

// listenerState is one listener of a served Gateway.
type listenerState struct {
	gw       *gatewayState
	spec     *gatewayv1.Listener
	host     string // lower-cased; "" accepts any host
	protocol gateway.Protocol

	// Accepted condition.
	accepted                    bool
	acceptedReason, acceptedMsg string
	conflicted                  bool
	conflictReason, conflictMsg string
	resolved                    bool
	resolvedReason, resolvedMsg string
	supportedKinds              []gatewayv1.RouteGroupKind
	allowsHTTPRoute             bool
	certName                    string // SSLCertificate of an HTTPS listener
	cert                        *tls.Certificate
	attached                    int32
	hosts                       map[string][]*pathEntry // effective host -> path rules
}

// programmed reports whether the listener is in the data plane.
func (l *listenerState) programmed() bool {
	return l.valid() && l.gw.noAddr == ""
}

// valid reports whether the listener can be served, its Gateway's address
// aside.
func (l *listenerState) valid() bool {
	return l.gw.refusedReason == "" && l.accepted && !l.conflicted && l.resolved
}

// gateways validates the served Gateways and their listeners.
func (t *translator) gateways() {
	var gws []*gatewayv1.Gateway
	for _, g := range t.in.Gateways {
		if t.servedClasses[string(g.Spec.GatewayClassName)] != nil {
			gws = append(gws, g)
		}
	}
	slices.SortFunc(gws, func(a, b *gatewayv1.Gateway) int {
		return olderFirst(a.CreationTimestamp, b.CreationTimestamp, nsName(a.Namespace, a.Name), nsName(b.Namespace, b.Name))
	})
	// Listeners already placed, per port and host: the first wins, as the
	// specification's conflict rules say (within a Gateway, and here
	// across the Gateways that share this data plane).
	type portHost struct {
		gw   types.NamespacedName // with AddressPool: Gateways do not share ports
		port int32
		host string
	}
	taken := map[portHost]*listenerState{}
	protocols := map[portHost]*listenerState{} // the first listener on a Gateway's port, with AddressPool
	for _, g := range gws {
		gs := &gatewayState{obj: g, key: nsName(g.Namespace, g.Name)}
		t.gws = append(t.gws, gs)
		t.gwByName[gs.key] = gs
		if reason, msg := t.unsupportedGatewayFields(g); reason != "" {
			gs.refusedReason, gs.refusedMessage = reason, msg
		}
		for i := range g.Spec.Listeners {
			l := &listenerState{gw: gs, spec: &g.Spec.Listeners[i], hosts: map[string][]*pathEntry{}}
			gs.listeners = append(gs.listeners, l)
			if l.spec.Hostname != nil {
				l.host = strings.ToLower(string(*l.spec.Hostname))
			}
			t.listener(l)
			if !l.accepted || gs.refusedReason != "" {
				continue
			}
			var k portHost
			if t.perGateway() {
				k.gw = gs.key
				pk := portHost{gw: gs.key, port: l.spec.Port}
				if prev := protocols[pk]; prev != nil && prev.protocol != l.protocol {
					l.conflicted = true
					l.conflictReason = string(gatewayv1.ListenerReasonProtocolConflict)
					l.conflictMsg = fmt.Sprintf("port %d is served as %s by listener %q", l.spec.Port, prev.protocol, prev.spec.Name)
					continue
				} else if prev == nil {
					protocols[pk] = l
				}
			}
			k.port, k.host = l.spec.Port, l.host
			if prev := taken[k]; prev != nil {
				l.conflicted = true
				l.conflictReason = string(gatewayv1.ListenerReasonHostnameConflict)
				l.conflictMsg = fmt.Sprintf("port %d with hostname %q is already served by listener %q of Gateway %s", l.spec.Port, hostOrAny(l.host), prev.spec.Name, prev.gw.key)
				continue
			}
			taken[k] = l
		}
	}
}

func hostOrAny(h string) string {
	if h == "" {
		return "*"
	}
	return h
}

// unsupportedGatewayFields refuses Gateway fields this controller cannot
// honour; ignoring them could weaken what the Gateway asks for.
func (t *translator) unsupportedGatewayFields(g *gatewayv1.Gateway) (reason, msg string) {
	if g.Spec.TLS != nil && (g.Spec.TLS.Frontend != nil || g.Spec.TLS.Backend != nil) {
		return "UnsupportedValue", "spec.tls (frontend client-certificate validation, backend client certificate) is not supported yet"
	}
	for _, a := range g.Spec.Addresses {
		if t.perGateway() {
			break // assignAddresses
		}
		if !slices.ContainsFunc(t.opts.Addresses, func(s gatewayv1.GatewayStatusAddress) bool { return s.Value == a.Value }) {
			return string(gatewayv1.GatewayReasonUnsupportedAddress),
				fmt.Sprintf("address %q is not one this controller serves on (its addresses are set by its flags)", a.Value)
		}
	}
	if g.Spec.AllowedListeners != nil && g.Spec.AllowedListeners.Namespaces != nil &&
		g.Spec.AllowedListeners.Namespaces.From != nil && *g.Spec.AllowedListeners.Namespaces.From != gatewayv1.NamespacesFromNone {
		return "UnsupportedValue", "allowedListeners (ListenerSets) is not supported yet"
	}
	return "", ""
}

// listener validates one listener: protocol and port against the served
// ports, TLS certificate references, allowed route kinds.
func (t *translator) listener(l *listenerState) {
	l.accepted, l.resolved = true, true
	switch l.spec.Protocol {
	case gatewayv1.HTTPProtocolType:
		l.protocol = gateway.HTTP
	case gatewayv1.HTTPSProtocolType:
		l.protocol = gateway.HTTPS
	default:
		l.accepted = false
		l.acceptedReason = string(gatewayv1.ListenerReasonUnsupportedProtocol)
		l.acceptedMsg = fmt.Sprintf("protocol %q is not supported: e2etls serves HTTP and HTTPS", l.spec.Protocol)
		return
	}
	served := t.perGateway() // a Gateway apart is served on every port it declares
	for _, p := range t.opts.Ports {
		if p.Number == l.spec.Port {
			if p.Protocol != l.protocol {
				l.accepted = false
				l.acceptedReason = string(gatewayv1.ListenerReasonPortUnavailable)
				l.acceptedMsg = fmt.Sprintf("port %d is served as %s, not %s (ports and their protocols are fixed by the controller's flags)", p.Number, p.Protocol, l.protocol)
				return
			}
			served = true
		}
	}
	if !served {
		l.accepted = false
		l.acceptedReason = string(gatewayv1.ListenerReasonPortUnavailable)
		l.acceptedMsg = fmt.Sprintf("port %d is not served by this controller: it serves %s (fixed by its flags)", l.spec.Port, t.servedPorts())
		return
	}
	if l.host != "" && strings.Count(l.host, "*") > 0 && !strings.HasPrefix(l.host, "*.") {
		l.accepted = false
		l.acceptedReason = string(gatewayv1.ListenerReasonUnsupportedValue)
		l.acceptedMsg = fmt.Sprintf("hostname %q: a wildcard must be the whole first label", l.host)
		return
	}
	t.routeKinds(l)
	if l.protocol == gateway.HTTPS {
		t.listenerTLS(l)
	} else if l.spec.TLS != nil {
		l.accepted = false
		l.acceptedReason = string(gatewayv1.ListenerReasonUnsupportedValue)
		l.acceptedMsg = "an HTTP listener takes no tls"
	}
}

func (t *translator) servedPorts() string {
	var s []string
	for _, p := range t.opts.Ports {
		s = append(s, fmt.Sprintf("%d/%s", p.Number, p.Protocol))
	}
	if len(s) == 0 {
		return "no port"
	}
	return strings.Join(s, ", ")
}

// routeKinds resolves allowedRoutes.kinds: HTTPRoute is the only kind an
// HTTP or HTTPS listener takes here.
func (t *translator) routeKinds(l *listenerState) {
	httpRoute := gatewayv1.RouteGroupKind{Group: ptr(gatewayv1.Group(groupGateway)), Kind: kindHTTPRoute}
	if l.spec.AllowedRoutes == nil || len(l.spec.AllowedRoutes.Kinds) == 0 {
		l.supportedKinds = []gatewayv1.RouteGroupKind{httpRoute}
		l.allowsHTTPRoute = true
		return
	}
	var bad []string
	for _, k := range l.spec.AllowedRoutes.Kinds {
		group := groupGateway
		if k.Group != nil {
			group = string(*k.Group)
		}
		if group == groupGateway && k.Kind == kindHTTPRoute {
			if !l.allowsHTTPRoute {
				l.supportedKinds = append(l.supportedKinds, httpRoute)
			}
			l.allowsHTTPRoute = true
			continue
		}
		bad = append(bad, fmt.Sprintf("%s/%s", group, k.Kind))
	}
	if l.supportedKinds == nil {
		l.supportedKinds = []gatewayv1.RouteGroupKind{}
	}
	if len(bad) > 0 {
		l.resolved = false
		l.resolvedReason = string(gatewayv1.ListenerReasonInvalidRouteKinds)
		l.resolvedMsg = fmt.Sprintf("route kinds %s are not supported on an %s listener: only %s/HTTPRoute", strings.Join(bad, ", "), l.protocol, groupGateway)
	}
}

// listenerTLS resolves an HTTPS listener's certificate: mode Terminate and
// the first certificateRef, a Secret of type kubernetes.io/tls (in another
// namespace only with a ReferenceGrant).
func (t *translator) listenerTLS(l *listenerState) {
	cfg := l.spec.TLS
	if cfg == nil || len(cfg.CertificateRefs) == 0 {
		l.resolved = false
		l.resolvedReason = string(gatewayv1.ListenerReasonInvalidCertificateRef)
		l.resolvedMsg = "an HTTPS listener needs tls.certificateRefs"
		return
	}
	if cfg.Mode != nil && *cfg.Mode != gatewayv1.TLSModeTerminate {
		l.accepted = false
		l.acceptedReason = string(gatewayv1.ListenerReasonUnsupportedValue)
		l.acceptedMsg = fmt.Sprintf("tls.mode %q is not supported on HTTPS: only Terminate", *cfg.Mode)
		return
	}
	if len(cfg.Options) > 0 {
		l.accepted = false
		l.acceptedReason = string(gatewayv1.ListenerReasonUnsupportedValue)
		l.acceptedMsg = "tls.options are not supported: the TLS policy is the controller's"
		return
	}
	if len(cfg.CertificateRefs) > 1 {
		l.resolved = false
		l.resolvedReason = string(gatewayv1.ListenerReasonInvalidCertificateRef)
		l.resolvedMsg = "more than one certificateRef is not supported: a listener serves one certificate"
		return
	}
	ref := cfg.CertificateRefs[0]
	group, kind := groupCore, kindSecret
	if ref.Group != nil {
		group = string(*ref.Group)
	}
	if ref.Kind != nil {
		kind = string(*ref.Kind)
	}
	ns := l.gw.obj.Namespace
	if ref.Namespace != nil {
		ns = string(*ref.Namespace)
	}
	where := fmt.Sprintf("certificateRef %s/%s", ns, ref.Name)
	if group != groupCore || kind != kindSecret {
		l.resolved = false
		l.resolvedReason = string(gatewayv1.ListenerReasonInvalidCertificateRef)
		l.resolvedMsg = fmt.Sprintf("%s: kind %q of group %q is not supported: only core Secrets", where, kind, group)
		return
	}
	if !t.refAllowed(groupGateway, kindGateway, l.gw.obj.Namespace, groupCore, kindSecret, ns, string(ref.Name)) {
		l.resolved = false
		l.resolvedReason = string(gatewayv1.ListenerReasonRefNotPermitted)
		l.resolvedMsg = fmt.Sprintf("%s: no ReferenceGrant in namespace %q allows Gateways of namespace %q to reference it", where, ns, l.gw.obj.Namespace)
		return
	}
	sec := t.secrets[nsName(ns, string(ref.Name))]
	if sec == nil {
		l.resolved = false
		l.resolvedReason = string(gatewayv1.ListenerReasonInvalidCertificateRef)
		l.resolvedMsg = where + ": Secret not found"
		return
	}
	if sec.Type != corev1.SecretTypeTLS {
		l.resolved = false
		l.resolvedReason = string(gatewayv1.ListenerReasonInvalidCertificateRef)
		l.resolvedMsg = fmt.Sprintf("%s: Secret type is %q, not %q", where, sec.Type, corev1.SecretTypeTLS)
		return
	}
	cert, err := tls.X509KeyPair(sec.Data[corev1.TLSCertKey], sec.Data[corev1.TLSPrivateKeyKey])
	if err != nil {
		l.resolved = false
		l.resolvedReason = string(gatewayv1.ListenerReasonInvalidCertificateRef)
		l.resolvedMsg = fmt.Sprintf("%s: %s and %s: %v", where, corev1.TLSCertKey, corev1.TLSPrivateKeyKey, err)
		return
	}
	l.cert = &cert
	l.certName = "secret/" + ns + "/" + string(ref.Name)
}

// allowsNamespace reports whether a route in namespace ns may attach to l.
func (t *translator) allowsNamespace(l *listenerState, ns string) bool {
	from := gatewayv1.NamespacesFromSame
	var sel *metav1.LabelSelector
	if ar := l.spec.AllowedRoutes; ar != nil && ar.Namespaces != nil {
		if ar.Namespaces.From != nil {
			from = *ar.Namespaces.From
		}
		sel = ar.Namespaces.Selector
	}
	switch from {
	case gatewayv1.NamespacesFromAll:
		return true
	case gatewayv1.NamespacesFromSame:
		return ns == l.gw.obj.Namespace
	case gatewayv1.NamespacesFromSelector:
		if sel == nil {
			return false
		}
		s, err := metav1.LabelSelectorAsSelector(sel)
		if err != nil {
			return false
		}
		n := t.namespaces[ns]
		return n != nil && s.Matches(labels.Set(n.Labels))
	default: // None, or a value this version does not know
		return false
	}
}

// gatewayStatuses sets the status of every served Gateway.
func (t *translator) gatewayStatuses() {
	for _, gs := range t.gws {
		gen := gs.obj.Generation
		st := gatewayv1.GatewayStatus{Addresses: slices.Clone(t.opts.Addresses)}
		if t.perGateway() {
			st.Addresses = nil
			if gs.addr.IsValid() {
				st.Addresses = []gatewayv1.GatewayStatusAddress{{Type: ptr(gatewayv1.IPAddressType), Value: gs.addr.String()}}
			}
		}
		valid := 0
		for _, l := range gs.listeners {
			ls := gatewayv1.ListenerStatus{
				Name:           l.spec.Name,
				SupportedKinds: l.supportedKinds,
				AttachedRoutes: l.attached,
			}
			if ls.SupportedKinds == nil {
				ls.SupportedKinds = []gatewayv1.RouteGroupKind{}
			}
			acc := condition(string(gatewayv1.ListenerConditionAccepted), true, string(gatewayv1.ListenerReasonAccepted), "", gen)
			if !l.accepted {
				acc = condition(string(gatewayv1.ListenerConditionAccepted), false, l.acceptedReason, l.acceptedMsg, gen)
			} else if gs.refusedReason != "" {
				acc = condition(string(gatewayv1.ListenerConditionAccepted), false, string(gatewayv1.ListenerReasonUnsupportedValue), "the Gateway is not accepted: "+gs.refusedMessage, gen)
			}
			conf := condition(string(gatewayv1.ListenerConditionConflicted), false, string(gatewayv1.ListenerReasonNoConflicts), "", gen)
			if l.conflicted {
				conf = condition(string(gatewayv1.ListenerConditionConflicted), true, l.conflictReason, l.conflictMsg, gen)
			}
			res := condition(string(gatewayv1.ListenerConditionResolvedRefs), true, string(gatewayv1.ListenerReasonResolvedRefs), "", gen)
			if !l.resolved {
				res = condition(string(gatewayv1.ListenerConditionResolvedRefs), false, l.resolvedReason, l.resolvedMsg, gen)
			}
			prog := condition(string(gatewayv1.ListenerConditionProgrammed), true, string(gatewayv1.ListenerReasonProgrammed), "", gen)
			switch {
			case !l.valid():
				prog = condition(string(gatewayv1.ListenerConditionProgrammed), false, string(gatewayv1.ListenerReasonInvalid), "the listener is not in the data plane: see its other conditions", gen)
			case !l.programmed():
				valid++
				prog = condition(string(gatewayv1.ListenerConditionProgrammed), false, string(gatewayv1.ListenerReasonPending), "the Gateway has no address: "+gs.noAddr, gen)
			default:
				valid++
			}
			ls.Conditions = []metav1.Condition{acc, conf, res, prog}
			st.Listeners = append(st.Listeners, ls)
		}
		switch {
		case gs.refusedReason != "":
			st.Conditions = append(st.Conditions, condition(string(gatewayv1.GatewayConditionAccepted), false, gs.refusedReason, gs.refusedMessage, gen))
		case valid < len(gs.listeners):
			st.Conditions = append(st.Conditions, condition(string(gatewayv1.GatewayConditionAccepted), valid > 0, string(gatewayv1.GatewayReasonListenersNotValid),
				fmt.Sprintf("%d of %d listeners are not valid: see the listeners' conditions", len(gs.listeners)-valid, len(gs.listeners)), gen))
		default:
			st.Conditions = append(st.Conditions, condition(string(gatewayv1.GatewayConditionAccepted), true, string(gatewayv1.GatewayReasonAccepted), "", gen))
		}
		switch {
		case gs.refusedReason == "" && gs.noAddr != "":
			st.Conditions = append(st.Conditions, condition(string(gatewayv1.GatewayConditionProgrammed), false, string(gs.noAddrReason), gs.noAddr, gen))
		case valid > 0 && gs.refusedReason == "":
			st.Conditions = append(st.Conditions, condition(string(gatewayv1.GatewayConditionProgrammed), true, string(gatewayv1.GatewayReasonProgrammed), "", gen))
		default:
			st.Conditions = append(st.Conditions, condition(string(gatewayv1.GatewayConditionProgrammed), false, string(gatewayv1.GatewayReasonInvalid), "no listener is in the data plane", gen))
		}
		t.res.Gateways[gs.key] = st
	}
}

func ptr[T any](v T) *T { return &v }
