package upstream

import (
	"crypto/tls"
	"strings"
	"sync"

	"github.com/e2etls/e2etls/backendtls"
)

// Use is what a backend TLS configuration is for.
type Use int

const (
	// UseTraffic is the data path: sessions resume (from the setting's
	// session cache), ALPN offers what the setting allows.
	UseTraffic Use = iota
	// UseProbe is a health probe: a full handshake every time, so that it
	// sees the certificate the member presents now (a resumed session
	// would verify the one it presented when the session began), and
	// HTTP/1.1 whatever the setting offers the data path.
	UseProbe
	// UseCheck is the dry run (backendtls.Check): a full handshake, as a
	// probe.
	UseCheck
)

// String is the use's name in events: "traffic", "probe" or "check".
func (u Use) String() string {
	switch u {
	case UseProbe:
		return "probe"
	case UseCheck:
		return "check"
	}
	return "traffic"
}

// Trust returns the backend trust of one use of a setting's template for
// one backend name: the SNI sent and, unless the template names another
// identity, the identity expected. It is the only place the data path, the
// probes and the dry run derive their trust from a setting's, so all three
// verify a backend alike.
func Trust(template backendtls.Config, sni string, use Use) backendtls.Config {
	c := template
	c.ServerName = strings.TrimSuffix(sni, ".")
	if use != UseTraffic {
		c.SessionCache = nil
		c.NextProtos = []string{"http/1.1"}
	}
	return c
}

// ClientTLS is the *tls.Config of Trust(template, sni, use). Outside the
// data path it resumes no session: backendtls gives a configuration
// without a session cache one of its own, which would let a probe resume
// the session of the probe before.
func ClientTLS(template backendtls.Config, sni string, use Use) (*tls.Config, error) {
	c := Trust(template, sni, use)
	tc, err := c.ClientConfig()
	if err != nil {
		return nil, err
	}
	if use != UseTraffic {
		tc.ClientSessionCache = nil
	}
	return tc, nil
}

// SessionCaches keeps one TLS client session cache per backend setting
// across configuration generations, so backend connections resume after an
// Update. Resumption is safe across trust changes: VerifyConnection runs on
// resumed sessions too. The zero value is ready to use.
type SessionCaches struct {
	mu sync.Mutex
	m  map[string]tls.ClientSessionCache
}

// Get returns the cache of setting.
func (c *SessionCaches) Get(setting string) tls.ClientSessionCache {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]tls.ClientSessionCache)
	}
	sc := c.m[setting]
	if sc == nil {
		sc = tls.NewLRUClientSessionCache(1024)
		c.m[setting] = sc
	}
	return sc
}
