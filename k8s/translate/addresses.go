package translate

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"net/netip"

	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// assignAddresses gives every served Gateway an address of its own from
// Options.AddressPool, oldest Gateway first: the first of its
// spec.addresses, else the one its status already reports (so that an
// address does not move while its Gateway lives), else one chosen by a
// hash of its namespace/name, the next free one on a collision.
func (t *translator) assignAddresses() {
	pool := t.opts.AddressPool.Masked()
	taken := map[netip.Addr]*gatewayState{}
	var rest []*gatewayState
	for _, gs := range t.gws {
		if gs.refusedReason != "" {
			continue
		}
		if len(gs.obj.Spec.Addresses) > 0 {
			t.requestedAddress(gs, pool, taken)
			continue
		}
		for _, a := range gs.obj.Status.Addresses {
			ip, err := netip.ParseAddr(a.Value)
			if (a.Type == nil || *a.Type == gatewayv1.IPAddressType) && err == nil && usable(pool, ip) && taken[ip] == nil {
				gs.addr = ip
				taken[ip] = gs
				break
			}
		}
		if !gs.addr.IsValid() {
			rest = append(rest, gs)
		}
	}
	size := poolSize(pool)
	for _, gs := range rest {
		h := fnv.New64a()
		h.Write([]byte(gs.key.String()))
		start := h.Sum64() % size
		for i := uint64(0); i < size && i < uint64(len(taken))+1; i++ {
			ip := nthAddr(pool, (start+i)%size)
			if taken[ip] == nil {
				gs.addr = ip
				taken[ip] = gs
				break
			}
		}
		if !gs.addr.IsValid() {
			gs.noAddr, gs.noAddrReason = fmt.Sprintf("every address of the controller's pool %s is taken", pool), gatewayv1.GatewayReasonAddressNotAssigned
		}
	}
}

// requestedAddress gives gs the address its spec.addresses ask for: an
// address of a type other than IPAddress refuses the Gateway
// (UnsupportedAddress); one outside the pool, or an older Gateway's, leaves
// it without an address (Programmed=False, AddressNotUsable); a Gateway is
// served on one address, so more than one usable address refuses it too.
func (t *translator) requestedAddress(gs *gatewayState, pool netip.Prefix, taken map[netip.Addr]*gatewayState) {
	var ips []netip.Addr
	for _, a := range gs.obj.Spec.Addresses {
		if a.Type != nil && *a.Type != gatewayv1.IPAddressType {
			gs.refusedReason = string(gatewayv1.GatewayReasonUnsupportedAddress)
			gs.refusedMessage = fmt.Sprintf("address %q of type %s: only IPAddress is supported", a.Value, *a.Type)
			return
		}
		ip, err := netip.ParseAddr(a.Value)
		if err != nil {
			gs.refusedReason = string(gatewayv1.GatewayReasonUnsupportedAddress)
			gs.refusedMessage = fmt.Sprintf("address %q is not an IP address", a.Value)
			return
		}
		ips = append(ips, ip.Unmap())
	}
	for _, ip := range ips {
		switch {
		case !usable(pool, ip):
			gs.noAddr, gs.noAddrReason = fmt.Sprintf("address %s is not a usable address of the controller's pool %s", ip, pool), gatewayv1.GatewayReasonAddressNotUsable
			return
		case taken[ip] != nil:
			gs.noAddr, gs.noAddrReason = fmt.Sprintf("address %s is the older Gateway %s's", ip, taken[ip].key), gatewayv1.GatewayReasonAddressNotUsable
			return
		}
	}
	if len(ips) > 1 {
		gs.refusedReason = string(gatewayv1.GatewayReasonUnsupportedAddress)
		gs.refusedMessage = "more than one address: a Gateway is served on one"
		return
	}
	gs.addr = ips[0]
	taken[ips[0]] = gs
}

// poolSize is the number of usable addresses of pool (at most 2^62): for
// IPv4 without the network and broadcast addresses of a pool of more than
// two.
func poolSize(pool netip.Prefix) uint64 {
	hostBits := pool.Addr().BitLen() - pool.Bits()
	if hostBits > 62 {
		hostBits = 62
	}
	n := uint64(1) << hostBits
	if pool.Addr().Is4() && n > 2 {
		n -= 2
	}
	return n
}

// nthAddr is the usable address of pool with index i (0 <= i < poolSize).
func nthAddr(pool netip.Prefix, i uint64) netip.Addr {
	if pool.Addr().Is4() && pool.Bits() < 31 {
		i++ // skip the network address
	}
	b := pool.Addr().As16()
	lo := binary.BigEndian.Uint64(b[8:]) + i
	binary.BigEndian.PutUint64(b[8:], lo)
	ip := netip.AddrFrom16(b)
	if pool.Addr().Is4() {
		ip = ip.Unmap()
	}
	return ip
}

// usable reports whether ip is one of pool's usable addresses.
func usable(pool netip.Prefix, ip netip.Addr) bool {
	ip = ip.Unmap()
	if !pool.Contains(ip) {
		return false
	}
	if ip.Is4() && pool.Bits() < 31 {
		return ip != pool.Addr() && ip != nthAddr(pool, poolSize(pool)) // network, broadcast
	}
	return true
}
