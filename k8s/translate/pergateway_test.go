package translate

import (
	"net/netip"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestPerGateway: with an address pool, Gateways whose listeners would
// conflict on a shared port each get an address and a data plane of their
// own, on the ports they declare; routes reach only the planes of their
// parents.
func TestPerGateway(t *testing.T) {
	p := newPKI(t)
	in := p.base()
	opts := p.options()
	opts.AddressPool = netip.MustParsePrefix("127.77.0.0/24")
	second := in.Gateways[0].DeepCopy()
	second.Name, second.CreationTimestamp = "second", metav1.NewTime(epoch.Add(1))
	second.Spec.Listeners = append(second.Spec.Listeners, gatewayv1.Listener{Name: "alt", Port: 8080, Protocol: gatewayv1.HTTPProtocolType},
		gatewayv1.Listener{Name: "clash", Port: 8080, Protocol: gatewayv1.HTTPSProtocolType, Hostname: ptr(gatewayv1.Hostname("x.example.com")),
			TLS: &gatewayv1.ListenerTLSConfig{CertificateRefs: []gatewayv1.SecretObjectReference{{Name: "listener-cert"}}}})
	in.Gateways = append(in.Gateways, second)
	res := mustTranslate(t, in, opts)

	if len(res.Planes) != 2 {
		t.Fatalf("planes %v, want one per Gateway", res.Planes)
	}
	first, other := res.Planes[nsName("infra", "gw")], res.Planes[nsName("infra", "second")]
	if first.Address == other.Address || !opts.AddressPool.Contains(first.Address) || !opts.AddressPool.Contains(other.Address) {
		t.Fatalf("addresses %v and %v: want two distinct ones in the pool", first.Address, other.Address)
	}
	if len(first.Ports) != 2 || len(other.Ports) != 3 || other.Ports[2].Number != 8080 || other.Ports[2].Protocol != "Http" {
		t.Fatalf("ports %+v and %+v", first.Ports, other.Ports)
	}
	for key, pl := range res.Planes {
		st := res.Gateways[key]
		wantCond(t, conditionOf(st.Conditions, "Programmed"), metav1.ConditionTrue, "Programmed")
		if len(st.Addresses) != 1 || st.Addresses[0].Value != pl.Address.String() {
			t.Errorf("%s: status addresses %+v, want %s", key, st.Addresses, pl.Address)
		}
		acceptedByGateway(t, pl.Config)
	}
	wantCond(t, listenerCond(t, res, "infra", "second", "clash", "Conflicted"), metav1.ConditionTrue, "ProtocolConflict")
	wantCond(t, listenerCond(t, res, "infra", "second", "http", "Conflicted"), metav1.ConditionFalse, "NoConflicts")
	// The route names the first Gateway only.
	if findMap(&first.Config, "infra/gw/https/shop.example.com") == nil {
		t.Errorf("the route is not on its parent's plane")
	}
	if findMap(&other.Config, "infra/gw/https/shop.example.com") != nil || findMap(&other.Config, "infra/second/https/shop.example.com") != nil {
		t.Errorf("the route is on another Gateway's plane")
	}

	// The address stays while the Gateway lives, even when an older one
	// would hash to it.
	for _, g := range in.Gateways {
		g.Status.Addresses = res.Gateways[nsName(g.Namespace, g.Name)].Addresses
	}
	again := mustTranslate(t, in, opts)
	for key, pl := range res.Planes {
		if again.Planes[key].Address != pl.Address {
			t.Errorf("%s moved from %s to %s", key, pl.Address, again.Planes[key].Address)
		}
	}

	// spec.addresses: honoured in the pool, refused outside it or taken.
	in.Gateways[1].Spec.Addresses = []gatewayv1.GatewaySpecAddress{{Type: ptr(gatewayv1.IPAddressType), Value: "127.77.0.200"}}
	res = mustTranslate(t, in, opts)
	if a := res.Planes[nsName("infra", "second")].Address; a != netip.MustParseAddr("127.77.0.200") {
		t.Errorf("requested address: got %s", a)
	}
	for _, bad := range []string{"10.0.0.1", "127.77.0.0", "127.77.0.255", first.Address.String()} {
		in.Gateways[1].Spec.Addresses[0].Value = bad
		res = mustTranslate(t, in, opts)
		st := res.Gateways[nsName("infra", "second")]
		wantCond(t, conditionOf(st.Conditions, "Accepted"), metav1.ConditionTrue, "ListenersNotValid") // its "clash" listener
		wantCond(t, conditionOf(st.Conditions, "Programmed"), metav1.ConditionFalse, "AddressNotUsable")
		wantCond(t, listenerCond(t, res, "infra", "second", "http", "Programmed"), metav1.ConditionFalse, "Pending")
		if res.Planes[nsName("infra", "second")] != nil {
			t.Errorf("address %s: a plane for a Gateway without an address", bad)
		}
	}
	for _, bad := range [][]gatewayv1.GatewaySpecAddress{
		{{Type: ptr(gatewayv1.HostnameAddressType), Value: "gw.example.com"}},
		{{Value: "not an address"}},
		{{Value: "127.77.0.200"}, {Value: "127.77.0.201"}},
	} {
		in.Gateways[1].Spec.Addresses = bad
		res = mustTranslate(t, in, opts)
		wantCond(t, conditionOf(res.Gateways[nsName("infra", "second")].Conditions, "Accepted"), metav1.ConditionFalse, "UnsupportedAddress")
	}

	// A full pool: the younger Gateway has no address.
	in.Gateways[1].Spec.Addresses = nil
	in.Gateways[1].Status.Addresses = nil
	opts.AddressPool = netip.MustParsePrefix("127.77.0.0/30") // two usable addresses
	third := in.Gateways[1].DeepCopy()
	third.Name, third.CreationTimestamp = "third", metav1.NewTime(epoch.Add(2))
	in.Gateways = append(in.Gateways, third)
	for _, g := range in.Gateways {
		g.Status.Addresses = nil
	}
	res = mustTranslate(t, in, opts)
	wantCond(t, conditionOf(res.Gateways[nsName("infra", "third")].Conditions, "Programmed"), metav1.ConditionFalse, "AddressNotAssigned")
	if len(res.Planes) != 2 {
		t.Errorf("planes %d, want 2", len(res.Planes))
	}
}

func TestNthAddr(t *testing.T) {
	for _, tc := range []struct {
		pool string
		size uint64
		i    uint64
		want string
	}{
		{"127.77.0.0/24", 254, 0, "127.77.0.1"},
		{"127.77.0.0/24", 254, 253, "127.77.0.254"},
		{"127.77.0.0/31", 2, 1, "127.77.0.1"},
		{"fd00::/120", 256, 0, "fd00::"},
		{"fd00::/64", 1 << 62, 5, "fd00::5"},
	} {
		pool := netip.MustParsePrefix(tc.pool)
		if n := poolSize(pool); n != tc.size {
			t.Errorf("poolSize(%s) = %d, want %d", pool, n, tc.size)
		}
		if got := nthAddr(pool, tc.i); got.String() != tc.want {
			t.Errorf("nthAddr(%s, %d) = %s, want %s", pool, tc.i, got, tc.want)
		}
	}
}
