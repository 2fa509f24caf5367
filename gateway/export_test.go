package gateway

import "time"

// SetResolverTTL sets how long g trusts a resolved FQDN member address
// before it looks the name up again (30 s otherwise), so that tests can
// watch the last-known-good fallback without waiting.
func SetResolverTTL(g *Gateway, ttl time.Duration) {
	g.env.dp.Dialer.Resolver().SetTTL(ttl)
}
