package gateway

import "crypto/rand"

// ticketKeys is the session ticket key state of a gateway: whether keys of
// Config.SessionTicketKeys are in force on its listeners.
type ticketKeys struct {
	set bool
}

// applyTicketKeys puts keys in force on every HTTPS port and on the
// tickets of listeners with client authentication: the first key
// encrypts, all decrypt. Nil keeps crypto/tls's own rotating keys, unless
// keys were in force, which are then replaced by a fresh random key.
// Called with updateMu held (or from New).
func (g *Gateway) applyTicketKeys(keys [][32]byte) {
	if len(keys) == 0 {
		if !g.tickets.set {
			return
		}
		var k [32]byte
		rand.Read(k[:])
		keys = [][32]byte{k}
		g.tickets.set = false
	} else {
		g.tickets.set = true
	}
	g.mu.Lock()
	for _, p := range g.ports {
		if p.fp.TLS != nil {
			p.fp.TLS.SetSessionTicketKeys(keys)
		}
	}
	g.mu.Unlock()
	if g.env.auth != nil {
		g.env.auth.SetTicketKeys(keys)
	}
}

// checkTicketKeys reports keys that cannot be meant: all zero bytes (an
// unset array).
func checkTicketKeys(errs *problems, keys [][32]byte) {
	for i, k := range keys {
		if k == ([32]byte{}) {
			errs.add("sessionTicketKeys", "key %d is all zero bytes: not a key (give 32 random bytes)", i)
		}
	}
}
