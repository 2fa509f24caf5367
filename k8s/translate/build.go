package translate

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/types"

	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/rewrite"
)

// Names of the parts every translated configuration has. They contain "#",
// which no Kubernetes name does, so they cannot collide with the names
// derived from objects.
const (
	fixedNotFound    = "#not-found"   // pool, setting and probe of the 404 backend
	fixedUnavailable = "#unavailable" // pool, setting and probe of the 500 backend
	probeHTTP        = "#reachable-http"
	probeHTTPS       = "#reachable-https"
	fallbackCert     = "#fallback"
	placeholderHost  = "no-gateway-listener.e2etls.invalid"
)

// builder assembles the gateway.Config.
type builder struct {
	t        *translator
	gws      []*gatewayState // the Gateways the data plane serves
	cfg      *gateway.Config
	pools    map[string]bool
	settings map[string]bool
	certs    map[string]bool
	roots    map[*policyState][]string
	rewrites map[string]bool
}

// build computes the statuses that depend on attachments and assembles the
// data plane's configuration: one for every Gateway sharing Options.Ports,
// or, with Options.AddressPool, one per Gateway.
func (t *translator) build() {
	t.gatewayStatuses()
	t.policyStatuses()
	if !t.perGateway() {
		b := t.newBuilder(&t.res.Config, t.gws)
		for _, p := range t.opts.Ports {
			b.port(p)
		}
		return
	}
	t.res.Planes = map[types.NamespacedName]*Plane{}
	for _, gs := range t.gws {
		if !gs.addr.IsValid() || gs.refusedReason != "" {
			continue
		}
		// A Gateway's ports: those of its listeners of a served protocol,
		// programmed or not (a port whose listeners all fail answers 404:
		// the port set changes only with the listeners' ports).
		protocols := map[int32]gateway.Protocol{}
		var ports []Port
		for _, l := range gs.listeners {
			if l.protocol == "" {
				continue
			}
			if _, ok := protocols[l.spec.Port]; !ok {
				protocols[l.spec.Port] = l.protocol
				ports = append(ports, Port{Number: l.spec.Port, Protocol: l.protocol})
			}
		}
		if len(ports) == 0 {
			continue
		}
		slices.SortFunc(ports, func(a, c Port) int { return int(a.Number) - int(c.Number) })
		pl := &Plane{Address: gs.addr, Ports: ports}
		b := t.newBuilder(&pl.Config, []*gatewayState{gs})
		for _, p := range ports {
			b.port(p)
		}
		t.res.Planes[gs.key] = pl
	}
}

// newBuilder starts the configuration of a data plane serving gws.
func (t *translator) newBuilder(cfg *gateway.Config, gws []*gatewayState) *builder {
	b := &builder{
		t:        t,
		gws:      gws,
		cfg:      cfg,
		pools:    map[string]bool{},
		settings: map[string]bool{},
		certs:    map[string]bool{},
		roots:    map[*policyState][]string{},
		rewrites: map[string]bool{},
	}
	b.fixed(fixedNotFound, t.opts.NotFound, "404")
	b.fixed(fixedUnavailable, t.opts.Unavailable, "500")
	b.cfg.Probes = append(b.cfg.Probes,
		// Kubernetes readiness already decides which endpoints are in a
		// pool; the probes check that a member answers at all, and for
		// HTTPS that it proves its identity, with the same trust as
		// traffic.
		gateway.Probe{Name: probeHTTP, Protocol: gateway.HTTP, StatusCodes: []string{"200-599"}},
		gateway.Probe{Name: probeHTTPS, Protocol: gateway.HTTPS, StatusCodes: []string{"200-599"}},
	)
	return b
}

// fixed adds the pool, setting and probe of a fixed-answer backend.
func (b *builder) fixed(name, addr, status string) {
	host, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)
	b.cfg.Pools = append(b.cfg.Pools, gateway.Pool{Name: name, Members: []gateway.Member{{Address: host}}})
	b.cfg.BackendHTTPSettings = append(b.cfg.BackendHTTPSettings, gateway.BackendHTTPSetting{
		Name: name, Protocol: gateway.HTTP, Port: port, Probe: name,
	})
	b.cfg.Probes = append(b.cfg.Probes, gateway.Probe{Name: name, Protocol: gateway.HTTP, StatusCodes: []string{status}})
}

// dpListener is one data-plane listener: a Gateway listener narrowed to one
// effective host name.
type dpListener struct {
	l       *listenerState
	host    string
	entries []*pathEntry
}

// port emits the listeners of one frontend port, most specific host first.
func (b *builder) port(p Port) {
	byHost := map[string]*dpListener{}
	for _, gs := range b.gws {
		for _, l := range gs.listeners {
			if l.spec.Port != p.Number || !l.programmed() {
				continue
			}
			hosts := []string{l.host}
			for h := range l.hosts {
				if h != l.host {
					hosts = append(hosts, h)
				}
			}
			for _, h := range hosts {
				prev := byHost[h]
				// A host name two Gateway listeners make effective belongs
				// to the listener whose own host name is the more specific,
				// which is the one a request for it meets.
				if prev == nil || specificity(l.host, prev.l.host) < 0 {
					byHost[h] = &dpListener{l: l, host: h, entries: l.hosts[h]}
				}
			}
		}
	}
	var dls []*dpListener
	for _, d := range byHost {
		dls = append(dls, d)
	}
	slices.SortFunc(dls, func(a, c *dpListener) int { return specificity(a.host, c.host) })
	if len(dls) == 0 {
		b.placeholder(p)
		return
	}
	for _, d := range dls {
		b.listener(p, d)
	}
}

// specificity orders host names most specific first: exact names, then
// wildcards with the longest suffix first, then "" (any host).
func specificity(a, c string) int {
	rank := func(h string) int {
		switch {
		case h == "":
			return 2
		case strings.HasPrefix(h, "*"):
			return 1
		default:
			return 0
		}
	}
	if ra, rc := rank(a), rank(c); ra != rc {
		return ra - rc
	}
	if len(a) != len(c) {
		return len(c) - len(a)
	}
	return strings.Compare(a, c)
}

// placeholder keeps a served port that no Gateway listener uses in the
// data plane (a gateway.Gateway cannot add ports later): a listener for an
// invalid name, so that every request on the port gets 404.
func (b *builder) placeholder(p Port) {
	name := fmt.Sprintf("#port-%d", p.Number)
	ln := gateway.Listener{Name: name, Protocol: p.Protocol, Port: int(p.Number), HostNames: []string{placeholderHost}}
	if p.Protocol == gateway.HTTPS {
		if !b.certs[fallbackCert] {
			b.certs[fallbackCert] = true
			b.cfg.SSLCertificates = append(b.cfg.SSLCertificates, gateway.SSLCertificate{Name: fallbackCert, Certificate: *b.t.opts.FallbackCertificate})
		}
		ln.SSLCertificate = fallbackCert
	}
	b.cfg.Listeners = append(b.cfg.Listeners, ln)
	b.cfg.Rules = append(b.cfg.Rules, gateway.Rule{Name: name, Listener: name, Pool: fixedNotFound, BackendHTTPSetting: fixedNotFound})
}

// listener emits one data-plane listener, its rule and its URL path map.
func (b *builder) listener(p Port, d *dpListener) {
	l := d.l
	name := fmt.Sprintf("%s/%s/%s", l.gw.key, l.spec.Name, hostOrAny(d.host))
	ln := gateway.Listener{Name: name, Protocol: p.Protocol, Port: int(p.Number)}
	if d.host != "" {
		ln.HostNames = []string{d.host}
	}
	if p.Protocol == gateway.HTTPS {
		if !b.certs[l.certName] {
			b.certs[l.certName] = true
			b.cfg.SSLCertificates = append(b.cfg.SSLCertificates, gateway.SSLCertificate{Name: l.certName, Certificate: *l.cert})
		}
		ln.SSLCertificate = l.certName
	}
	b.cfg.Listeners = append(b.cfg.Listeners, ln)
	entries := slices.Clone(d.entries)
	slices.SortStableFunc(entries, lessEntry)
	if len(entries) == 0 {
		b.cfg.Rules = append(b.cfg.Rules, gateway.Rule{Name: name, Listener: name, Pool: fixedNotFound, BackendHTTPSetting: fixedNotFound})
		return
	}
	m := gateway.URLPathMap{Name: name, DefaultPool: fixedNotFound, DefaultBackendHTTPSetting: fixedNotFound, CaseSensitive: true}
	// A pattern that an earlier entry without conditions has is never
	// reached through a later one: it is left out of the later entry (the
	// gateway refuses unreachable repeats).
	claimed := map[string]bool{}
	for i, e := range entries {
		var paths []string
		for _, p := range e.m.path.patterns() {
			if !claimed[p] {
				paths = append(paths, p)
			}
		}
		if e.m.cond.IsZero() {
			for _, p := range paths {
				claimed[p] = true
			}
		}
		if len(paths) == 0 {
			continue
		}
		pr := gateway.PathRule{
			Name:           fmt.Sprintf("%d %s rule %d match %d", i, e.route.key, e.rule, e.match),
			Paths:          paths,
			Match:          e.m.cond,
			RewriteRuleSet: b.rewriteSet(e),
		}
		switch len(e.backends) {
		case 0:
			pr.Pool, pr.BackendHTTPSetting = fixedUnavailable, fixedUnavailable
		case 1:
			pr.Pool, pr.BackendHTTPSetting = b.target(e.backends[0].target)
		default:
			for _, w := range e.backends {
				pool, setting := b.target(w.target)
				pr.WeightedBackends = append(pr.WeightedBackends, gateway.WeightedBackend{Pool: pool, BackendHTTPSetting: setting, Weight: int(w.weight)})
			}
		}
		m.PathRules = append(m.PathRules, pr)
	}
	b.cfg.URLPathMaps = append(b.cfg.URLPathMaps, m)
	b.cfg.Rules = append(b.cfg.Rules, gateway.Rule{Name: name, Listener: name, URLPathMap: name})
}

// rewriteSet adds the rewrite rule set of an entry's filters, once however
// many listeners the entry is on, and returns its name; "" for none.
func (b *builder) rewriteSet(e *pathEntry) string {
	if len(e.m.rewrites) == 0 {
		return ""
	}
	name := fmt.Sprintf("#filters/%s/%d/%d", e.route.key, e.rule, e.match)
	if !b.rewrites[name] {
		b.rewrites[name] = true
		b.cfg.RewriteRuleSets = append(b.cfg.RewriteRuleSets, rewrite.RuleSet{Name: name, Rules: e.m.rewrites})
	}
	return name
}

// target returns the pool and setting a rule's requests go to, adding them
// on first use.
func (b *builder) target(tg backendTarget) (pool, setting string) {
	if tg.unavailable || (tg.policy != nil && !tg.policy.usable) {
		return fixedUnavailable, fixedUnavailable
	}
	pool = fmt.Sprintf("%s:%d", tg.svc, tg.port.Port)
	if !b.pools[pool] {
		b.pools[pool] = true
		b.cfg.Pools = append(b.cfg.Pools, gateway.Pool{Name: pool, Members: b.t.members(tg.svc, tg.port)})
	}
	setting = pool
	if tg.timeout > 0 {
		setting += "/timeout=" + tg.timeout.String()
	}
	if tg.affinity != nil {
		setting += "/affinity=" + tg.affinity.cookie
	}
	if b.settings[setting] {
		return pool, setting
	}
	b.settings[setting] = true
	s := gateway.BackendHTTPSetting{
		Name:           setting,
		Protocol:       gateway.HTTP,
		Port:           int(tg.port.Port),
		RequestTimeout: tg.timeout,
		Probe:          probeHTTP,
	}
	if tg.affinity != nil {
		s.CookieBasedAffinity = true
		s.AffinityCookieName = tg.affinity.cookie
	}
	if pol := tg.policy; pol != nil {
		s.Protocol = gateway.HTTPS
		s.Probe = probeHTTPS
		// The host name is the SNI, and the identity the backend's
		// certificate must prove unless subjectAltNames replace it; the
		// Host header stays the client's.
		s.ServerName = pol.hostname
		s.SubjectAltNames = pol.sans
		s.TrustedRootCertificates = b.policyRoots(pol)
	}
	b.cfg.BackendHTTPSettings = append(b.cfg.BackendHTTPSettings, s)
	return pool, setting
}

// policyRoots adds a policy's CA certificates as trusted roots, once, and
// returns their names. None means the well-known CAs.
func (b *builder) policyRoots(p *policyState) []string {
	if names, ok := b.roots[p]; ok {
		return names
	}
	var names []string
	for i, c := range p.roots {
		n := fmt.Sprintf("#policy/%s/%d", p.key, i)
		names = append(names, n)
		b.cfg.TrustedRootCertificates = append(b.cfg.TrustedRootCertificates, gateway.NamedCertificate{Name: n, Certificate: c})
	}
	b.roots[p] = names
	return names
}
