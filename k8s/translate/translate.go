package translate

import (
	"cmp"
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/e2etls/e2etls/gateway"
)

// Port is a frontend port the data plane serves.
type Port struct {
	// Number is the Gateway listener port, 1..65535. Required. It is the
	// port Gateway listeners name, which is also the gateway's frontend
	// port (X-Forwarded-Port); where the controller binds it is its own
	// business.
	Number int32
	// Protocol is gateway.HTTP or gateway.HTTPS. Required.
	Protocol gateway.Protocol
}

// Options configure a translation.
type Options struct {
	// ControllerName is the GatewayClass spec.controllerName served, such
	// as "e2etls.dev/gateway-controller". Required: no GatewayClass is
	// served without it.
	ControllerName gatewayv1.GatewayController
	// Ports are the frontend ports served. A Gateway listener on another
	// port, or on one of these with another protocol, is not accepted.
	// Nil means none, which accepts no listener.
	Ports []Port
	// Addresses are reported in every served Gateway's status.addresses.
	// Nil means none are reported.
	Addresses []gatewayv1.GatewayStatusAddress
	// NotFound and Unavailable are the host:port of plain HTTP backends that
	// answer every request with 404 and 500: paths no rule matches go to
	// NotFound, rules whose backend cannot be used (unresolved references,
	// unusable BackendTLSPolicy) to Unavailable. Both are required.
	NotFound, Unavailable string
	// FallbackCertificate is served by the placeholder listener of an HTTPS
	// port that no Gateway listener uses (a gateway.Gateway needs a
	// listener on every port it serves). Required when an HTTPS port is
	// served, and with AddressPool; a self-signed certificate for an
	// invalid name does.
	FallbackCertificate *tls.Certificate

	// AddressPool, when valid, serves every Gateway apart: each gets an
	// address of its own from the pool and a data plane of its own
	// (Result.Planes), with its listeners on the ports they declare (any
	// port, HTTP or HTTPS), so that Gateways never share a port, as the
	// specification's model of a Gateway with its own address has it.
	// Ports and Addresses are then not used. A Gateway's address is the
	// first of its spec.addresses (which must be an IPAddress in the pool,
	// else the Gateway is not accepted, reason UnsupportedAddress), else
	// the one its status.addresses already reports, else one chosen by a
	// hash of its namespace/name; older Gateways choose first, so every
	// replica computes the same addresses. The pool's first and last
	// addresses are not used for IPv4 (network and broadcast). The zero
	// Prefix means every Gateway shares Ports (Result.Config).
	AddressPool netip.Prefix
}

// Input holds the objects a translation reads. Objects are not modified.
// Nil slices mean none of that kind exist.
type Input struct {
	GatewayClasses     []*gatewayv1.GatewayClass
	Gateways           []*gatewayv1.Gateway
	HTTPRoutes         []*gatewayv1.HTTPRoute
	BackendTLSPolicies []*gatewayv1.BackendTLSPolicy
	ReferenceGrants    []*gatewayv1.ReferenceGrant
	Namespaces         []*corev1.Namespace
	Services           []*corev1.Service
	EndpointSlices     []*discoveryv1.EndpointSlice
	Secrets            []*corev1.Secret
	ConfigMaps         []*corev1.ConfigMap
}

// Result is a translation: the data-plane configuration and the status of
// every object the controller owns a part of. Conditions carry
// ObservedGeneration but a zero LastTransitionTime: the writer of the status
// sets it (and keeps the previous one when a condition did not change).
type Result struct {
	// Config is the data plane's configuration. Logger, AffinityKey,
	// SessionTicketKeys, Resolver and DialContext are left zero for the
	// caller to set. Zero with Options.AddressPool: see Planes.
	Config gateway.Config
	// Planes holds, with Options.AddressPool, the data plane of each
	// served Gateway that has an address and at least one listener of a
	// served protocol. Nil otherwise.
	Planes map[types.NamespacedName]*Plane
	// GatewayClasses maps the name of each served GatewayClass to its
	// status.
	GatewayClasses map[string]gatewayv1.GatewayClassStatus
	// Gateways maps each served Gateway to its status.
	Gateways map[types.NamespacedName]gatewayv1.GatewayStatus
	// HTTPRoutes maps each route with a served parent to the parent
	// statuses this controller owns (controllerName equal to
	// Options.ControllerName); entries of other controllers are not
	// included and must be kept by the writer.
	HTTPRoutes map[types.NamespacedName][]gatewayv1.RouteParentStatus
	// BackendTLSPolicies maps each policy that applies to a backend of a
	// served Gateway to its ancestor statuses owned by this controller.
	BackendTLSPolicies map[types.NamespacedName][]gatewayv1.PolicyAncestorStatus
}

// Plane is the data plane of one Gateway, with Options.AddressPool.
type Plane struct {
	// Address is the Gateway's address, to bind its ports on.
	Address netip.Addr
	// Ports are the Gateway's frontend ports, in increasing order, each
	// with the protocol of its first listener.
	Ports []Port
	// Config is the Gateway's configuration, as Result.Config is.
	Config gateway.Config
}

// Translate computes the data-plane configuration and the statuses. It
// never fails: what cannot be translated is reported in the statuses and
// left out of the configuration (fail closed). An error is returned only
// for invalid Options.
func Translate(in Input, opts Options) (*Result, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	t := newTranslator(in, opts)
	t.classes()
	t.gateways()
	if t.perGateway() {
		t.assignAddresses()
	}
	t.policies()
	t.routes()
	t.build()
	return t.res, nil
}

func (o *Options) validate() error {
	var errs []error
	if o.ControllerName == "" {
		errs = append(errs, fmt.Errorf("translate: Options.ControllerName is empty"))
	}
	for _, a := range []struct{ name, addr string }{{"NotFound", o.NotFound}, {"Unavailable", o.Unavailable}} {
		host, port, err := net.SplitHostPort(a.addr)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 1 || n > 65535 || host == "" {
			errs = append(errs, fmt.Errorf("translate: Options.%s %q is not a host:port", a.name, a.addr))
		}
	}
	seen := map[int32]bool{}
	for i, p := range o.Ports {
		if p.Number < 1 || p.Number > 65535 {
			errs = append(errs, fmt.Errorf("translate: Options.Ports[%d]: port %d out of range 1..65535", i, p.Number))
		}
		if p.Protocol != gateway.HTTP && p.Protocol != gateway.HTTPS {
			errs = append(errs, fmt.Errorf("translate: Options.Ports[%d]: protocol %q is neither %q nor %q", i, p.Protocol, gateway.HTTP, gateway.HTTPS))
		}
		if p.Protocol == gateway.HTTPS && o.FallbackCertificate == nil && !o.AddressPool.IsValid() {
			errs = append(errs, fmt.Errorf("translate: Options.Ports[%d]: an HTTPS port needs Options.FallbackCertificate", i))
		}
		if seen[p.Number] {
			errs = append(errs, fmt.Errorf("translate: Options.Ports[%d]: port %d listed twice", i, p.Number))
		}
		seen[p.Number] = true
	}
	if o.AddressPool.IsValid() && o.FallbackCertificate == nil {
		errs = append(errs, fmt.Errorf("translate: Options.AddressPool needs Options.FallbackCertificate"))
	}
	if len(errs) > 0 {
		return joinErrors(errs)
	}
	return nil
}

// perGateway reports whether every Gateway is served apart.
func (t *translator) perGateway() bool { return t.opts.AddressPool.IsValid() }

// translator holds the indexes and the intermediate state of one
// translation.
type translator struct {
	in   Input
	opts Options
	res  *Result

	servedClasses map[string]*gatewayv1.GatewayClass
	namespaces    map[string]*corev1.Namespace
	services      map[types.NamespacedName]*corev1.Service
	slices        map[types.NamespacedName][]*discoveryv1.EndpointSlice // by Service
	secrets       map[types.NamespacedName]*corev1.Secret
	configMaps    map[types.NamespacedName]*corev1.ConfigMap
	grants        map[string][]*gatewayv1.ReferenceGrant // by namespace

	gws       []*gatewayState                                // served Gateways, oldest first
	gwByName  map[types.NamespacedName]*gatewayState         // served Gateways
	policyFor map[policyTarget]*policyState                  // winning policy per target
	policyAll []*policyState                                 // every policy, in precedence order
	routeList []*routeState                                  // routes with a served parent
	ancestors map[*policyState]map[types.NamespacedName]bool // Gateways whose traffic a policy governs
}

func newTranslator(in Input, opts Options) *translator {
	t := &translator{
		in:   in,
		opts: opts,
		res: &Result{
			GatewayClasses:     map[string]gatewayv1.GatewayClassStatus{},
			Gateways:           map[types.NamespacedName]gatewayv1.GatewayStatus{},
			HTTPRoutes:         map[types.NamespacedName][]gatewayv1.RouteParentStatus{},
			BackendTLSPolicies: map[types.NamespacedName][]gatewayv1.PolicyAncestorStatus{},
		},
		servedClasses: map[string]*gatewayv1.GatewayClass{},
		namespaces:    map[string]*corev1.Namespace{},
		services:      map[types.NamespacedName]*corev1.Service{},
		slices:        map[types.NamespacedName][]*discoveryv1.EndpointSlice{},
		secrets:       map[types.NamespacedName]*corev1.Secret{},
		configMaps:    map[types.NamespacedName]*corev1.ConfigMap{},
		grants:        map[string][]*gatewayv1.ReferenceGrant{},
		gwByName:      map[types.NamespacedName]*gatewayState{},
		policyFor:     map[policyTarget]*policyState{},
		ancestors:     map[*policyState]map[types.NamespacedName]bool{},
	}
	for _, n := range in.Namespaces {
		t.namespaces[n.Name] = n
	}
	for _, s := range in.Services {
		t.services[nsName(s.Namespace, s.Name)] = s
	}
	for _, es := range in.EndpointSlices {
		svc := es.Labels[discoveryv1.LabelServiceName]
		if svc == "" {
			continue
		}
		k := nsName(es.Namespace, svc)
		t.slices[k] = append(t.slices[k], es)
	}
	for k := range t.slices {
		slices.SortFunc(t.slices[k], func(a, b *discoveryv1.EndpointSlice) int { return cmp.Compare(a.Name, b.Name) })
	}
	for _, s := range in.Secrets {
		t.secrets[nsName(s.Namespace, s.Name)] = s
	}
	for _, c := range in.ConfigMaps {
		t.configMaps[nsName(c.Namespace, c.Name)] = c
	}
	for _, g := range in.ReferenceGrants {
		t.grants[g.Namespace] = append(t.grants[g.Namespace], g)
	}
	return t
}

func nsName(ns, name string) types.NamespacedName {
	return types.NamespacedName{Namespace: ns, Name: name}
}

// classes finds the GatewayClasses served and sets their status.
func (t *translator) classes() {
	for _, c := range t.in.GatewayClasses {
		if c.Spec.ControllerName != t.opts.ControllerName {
			continue
		}
		cond := condition(string(gatewayv1.GatewayClassConditionStatusAccepted), true,
			string(gatewayv1.GatewayClassReasonAccepted), "served by "+string(t.opts.ControllerName), c.Generation)
		if c.Spec.ParametersRef != nil {
			// Its Gateways are not served: parameters that are ignored could
			// have asked for anything.
			cond = condition(string(gatewayv1.GatewayClassConditionStatusAccepted), false,
				string(gatewayv1.GatewayClassReasonInvalidParameters),
				"parametersRef is not supported: e2etls is configured by its command-line flags", c.Generation)
		} else {
			t.servedClasses[c.Name] = c
		}
		t.res.GatewayClasses[c.Name] = gatewayv1.GatewayClassStatus{Conditions: []metav1.Condition{cond}}
	}
}

// olderFirst orders objects by creation timestamp, then namespace/name: the
// specification's tie-break for conflicts.
func olderFirst(ta, tb metav1.Time, na, nb types.NamespacedName) int {
	if c := ta.Compare(tb.Time); c != 0 {
		return c
	}
	return cmp.Compare(na.String(), nb.String())
}
