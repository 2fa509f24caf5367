package gateway

import (
	"cmp"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/e2etls/e2etls/internal/dataplane"
	"github.com/e2etls/e2etls/internal/frontend"
	"github.com/e2etls/e2etls/internal/upstream"
	"github.com/e2etls/e2etls/policy"
	"github.com/e2etls/e2etls/probe"
	"github.com/e2etls/e2etls/rewrite"
	"github.com/e2etls/e2etls/routing"
)

// Defaults, as in Azure Application Gateway.
const (
	defaultRequestTimeout    = 20 * time.Second
	defaultDrainTimeout      = 30 * time.Second
	defaultReadHeaderTimeout = 10 * time.Second
	defaultIdleTimeout       = 75 * time.Second
	defaultAffinityCookie    = "ApplicationGatewayAffinity"
	defaultProbeHost         = "127.0.0.1"
	maxRequestTimeout        = 86400 * time.Second
	maxDrainTimeout          = 3600 * time.Second
	// passiveHold is how long a member of a setting without probes stays
	// out of rotation once traffic took it out: the default probe's
	// interval, in which a probe could have brought it back.
	passiveHold = 30 * time.Second
)

// problems collects configuration errors, each with its path.
type problems []error

func (p *problems) add(path, format string, args ...any) {
	*p = append(*p, fmt.Errorf("gateway: %s: %s", path, fmt.Sprintf(format, args...)))
}

func (p *problems) wrap(path string, err error) {
	if err == nil {
		return
	}
	// errors.Join results are split so that each problem keeps its own line and path.
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			p.wrap(path, e)
		}
		return
	}
	*p = append(*p, fmt.Errorf("gateway: %s: %w", path, err))
}

// wrapTrimmed is wrap for the errors of a package whose messages start
// with prefix ("probe: "), which path names already (probe "p"): the
// prefix is left out of the message, so that no word comes twice, and the
// error still unwraps to the package's.
func (p *problems) wrapTrimmed(path, prefix string, err error) {
	if err == nil {
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			p.wrapTrimmed(path, prefix, e)
		}
		return
	}
	if msg := err.Error(); strings.HasPrefix(msg, prefix) {
		err = &trimmedError{msg: strings.TrimPrefix(msg, prefix), err: err}
	}
	p.wrap(path, err)
}

// prefix adds the problems of a lower package that carry their path
// already: "gateway: " is put before each.
func (p *problems) prefix(errs []error) {
	for _, err := range errs {
		*p = append(*p, fmt.Errorf("gateway: %w", err))
	}
}

// trimmedError is err with a shorter message.
type trimmedError struct {
	msg string
	err error
}

func (e *trimmedError) Error() string { return e.msg }
func (e *trimmedError) Unwrap() error { return e.err }

func (p problems) err() error { return errors.Join(p...) }

func q(s string) string { return strconv.Quote(s) }

func validPort(p int) bool { return p >= 1 && p <= 65535 }

// compile validates cfg and builds the snapshot a gateway serves from:
// it resolves cfg into a dataplane.Plan (names into references, defaults
// into values, trust into backendtls configurations) and builds the
// plan's snapshot. All problems are reported at once.
func compile(cfg Config, gen uint64, e *env) (*dataplane.Snapshot, error) {
	var errs problems
	plan := &dataplane.Plan{
		Generation:     gen,
		Pools:          make(map[string][]dataplane.PoolMember),
		Settings:       make(map[string]*dataplane.Setting),
		AffinityKey:    cfg.AffinityKey,
		DetailedErrors: cfg.DetailedErrors,
		AccessLog:      e.accessLog,
		Observer:       cfg.Observer,
		Tracer:         cfg.Tracer,
		ErrorPages:     e.pages,
	}
	gwPolicy := cfg.SSLPolicy
	if gwPolicy.IsZero() {
		gwPolicy = policy.Default()
	}
	if err := gwPolicy.Validate(); err != nil {
		errs.wrap("sslPolicy", err)
	}

	certs := uniqueNames(&errs, "sslCertificate", len(cfg.SSLCertificates), func(i int) string { return cfg.SSLCertificates[i].Name })
	roots := uniqueNames(&errs, "trustedRootCertificate", len(cfg.TrustedRootCertificates), func(i int) string { return cfg.TrustedRootCertificates[i].Name })
	auths := uniqueNames(&errs, "authenticationCertificate", len(cfg.AuthenticationCertificates), func(i int) string { return cfg.AuthenticationCertificates[i].Name })
	// Listeners' and rules' names, ports and references to each other are
	// routing's to report (routing.Compile below), once.
	maps := uniqueNames(&errs, "urlPathMap", len(cfg.URLPathMaps), func(i int) string { return cfg.URLPathMaps[i].Name })
	redirects := uniqueNames(&errs, "redirect", len(cfg.Redirects), func(i int) string { return cfg.Redirects[i].Name })
	pools := uniqueNames(&errs, "pool", len(cfg.Pools), func(i int) string { return cfg.Pools[i].Name })
	settings := uniqueNames(&errs, "backendHttpSetting", len(cfg.BackendHTTPSettings), func(i int) string { return cfg.BackendHTTPSettings[i].Name })
	probes := uniqueNames(&errs, "probe", len(cfg.Probes), func(i int) string { return cfg.Probes[i].Name })

	if len(cfg.Listeners) == 0 {
		errs.add("config", "no listeners: a gateway needs at least one")
	}
	checkTicketKeys(&errs, cfg.SessionTicketKeys)
	rewrites := compileRewrites(&errs, cfg.RewriteRuleSets)
	rewritesOK := rewrites != nil
	checkErrorPages(&errs, "", cfg.CustomErrorPages)

	// SSL profiles and trusted client certificates (profile.go).
	profs := compileProfiles(&errs, cfg, e.auth)

	// Listener certificates.
	for _, c := range cfg.SSLCertificates {
		if err := dataplane.CheckKeyPair(c.Certificate); err != nil {
			errs.add("sslCertificate "+q(c.Name), "%v", err)
		}
	}
	for _, c := range cfg.TrustedRootCertificates {
		if c.Certificate == nil {
			errs.add("trustedRootCertificate "+q(c.Name), "no certificate")
		}
	}
	for _, c := range cfg.AuthenticationCertificates {
		if c.Certificate == nil {
			errs.add("authenticationCertificate "+q(c.Name), "no certificate")
		}
	}

	// Listeners.
	portAddr := make(map[int]string)
	for _, l := range cfg.Listeners {
		path := "listener " + q(l.Name)
		pl := dataplane.Listener{Name: l.Name, Port: l.Port, HTTPS: l.Protocol == HTTPS, Certificate: l.SSLCertificate}
		if a, ok := portAddr[l.Port]; ok && a != l.Address {
			errs.add(path, "address %q differs from %q of another listener on port %d: listeners sharing a port share one socket", l.Address, a, l.Port)
		}
		portAddr[l.Port] = l.Address
		if l.Address != "" && !upstream.IsIP(l.Address) {
			errs.add(path, "address %q is not an IP address", l.Address)
		}
		prof := profs.listener(&errs, path, l)
		checkErrorPages(&errs, path, l.CustomErrorPages)
		pol := l.SSLPolicy
		if pol.IsZero() {
			pol = prof.PolicyOr(gwPolicy)
		} else if err := pol.Validate(); err != nil {
			errs.wrap(path+": sslPolicy", err)
		}
		switch l.Protocol {
		case HTTPS:
			// An HTTPS listener without a certificate is one served only
			// through Handler, in a server that does the TLS handshake
			// itself: ServePort refuses its port.
			ci, ok := certs[l.SSLCertificate]
			if l.SSLCertificate != "" && !ok {
				errs.add(path, "unknown sslCertificate %q", l.SSLCertificate)
				break
			}
			var cert *tls.Certificate
			if l.SSLCertificate != "" {
				cert = &cfg.SSLCertificates[ci].Certificate
			}
			protos := frontend.Protocols
			if cfg.DisableHTTP2 {
				protos = frontend.ProtocolsHTTP1
			}
			tc, err := dataplane.ListenerTLS(pol, cert, protos)
			if err != nil {
				break // reported above
			}
			pl.TLS = tc
			prof.Apply(&pl, tc, e.auth)
		case HTTP:
			if l.SSLCertificate != "" {
				errs.add(path, "HTTP listener cannot have an sslCertificate (%q)", l.SSLCertificate)
			}
		default:
			errs.add(path, "protocol %q: want %q or %q", l.Protocol, HTTP, HTTPS)
		}
		plan.Listeners = append(plan.Listeners, pl)
	}

	// Probes.
	probeSpecs := make(map[string]probe.Spec, len(cfg.Probes))
	for _, p := range cfg.Probes {
		path := "probe " + q(p.Name)
		if p.Host != "" && p.PickHostNameFromBackendHTTPSettings {
			errs.add(path, "host %q and pickHostNameFromBackendHttpSettings are exclusive", p.Host)
		}
		spec, err := probeSpec(p)
		if err != nil {
			errs.wrapTrimmed(path, "probe: ", err)
			continue
		}
		probeSpecs[p.Name] = spec
	}

	// Backend settings.
	for _, bs := range cfg.BackendHTTPSettings {
		path := "backendHttpSetting " + q(bs.Name)
		st, ok := compileSetting(&errs, path, bs, gwPolicy, roots, auths, probes, cfg)
		if ok {
			st.Trust.SessionCache = e.sessions.Get(bs.Name)
			plan.Settings[bs.Name] = st
		}
	}

	// Pools.
	for _, p := range cfg.Pools {
		path := "pool " + q(p.Name)
		seen := make(map[string]bool)
		for j, m := range p.Members {
			mpath := fmt.Sprintf("%s: member %d", path, j)
			if m.Address == "" {
				errs.add(mpath, "no address")
				continue
			}
			if !upstream.IsIP(m.Address) && !upstream.ValidFQDN(m.Address) {
				errs.add(mpath, "address %q is neither an IP address nor a valid FQDN", m.Address)
			}
			if m.Port != 0 && !validPort(m.Port) {
				errs.add(mpath, "port %d out of range 1-65535", m.Port)
			}
			k := net.JoinHostPort(strings.ToLower(m.Address), strconv.Itoa(m.Port))
			if seen[k] {
				errs.add(mpath, "duplicate member %s", m.Address)
			}
			seen[k] = true
			plan.Pools[p.Name] = append(plan.Pools[p.Name], dataplane.PoolMember{Address: m.Address, Port: m.Port})
		}
	}

	// Rules, URL path maps and redirects, translated for routing.
	rc := routing.Config{}
	for _, l := range cfg.Listeners {
		rc.Listeners = append(rc.Listeners, routing.Listener{
			Name: l.Name, Port: l.Port, HTTPS: l.Protocol == HTTPS, HostNames: l.HostNames, RequireSNI: l.RequireSNI,
		})
	}
	target := func(path, pool, setting string) (routing.Target, bool) {
		ok := true
		if pool == "" {
			errs.add(path, "no backend pool")
			ok = false
		} else if _, found := pools[pool]; !found {
			errs.add(path, "unknown pool %q", pool)
			ok = false
		}
		if setting == "" {
			errs.add(path, "no backend HTTP setting")
			ok = false
		} else if _, found := settings[setting]; !found {
			errs.add(path, "unknown backend HTTP setting %q", setting)
			ok = false
		}
		// Names that are missing or unknown (reported above) still go to
		// routing, which checks the rest of the rule; no set is built for
		// them.
		t := routing.Target{Pool: cmp.Or(pool, "?"), Setting: cmp.Or(setting, "?")}
		if i, ok := settings[setting]; ok {
			t.PathOverride = cfg.BackendHTTPSettings[i].Path
		}
		return t, ok
	}
	placeholder := routing.Target{Pool: "?", Setting: "?"}
	redirectOf := func(path, name string) *routing.Redirect {
		ri, ok := redirects[name]
		if !ok {
			errs.add(path, "unknown redirect %q", name)
			return nil
		}
		rd := cfg.Redirects[ri]
		return &routing.Redirect{Status: cmp.Or(rd.Status, 301), TargetListener: rd.TargetListener, TargetURL: rd.TargetURL, IncludePath: rd.IncludePath, IncludeQuery: rd.IncludeQuery}
	}
	// pathTarget resolves a URL path map's default or one of its path
	// rules: a pool and setting, or a redirect (then the target is zero).
	// fields names the fields in messages.
	pathTarget := func(path, pool, setting, redirect string, fields [3]string) (routing.Target, *routing.Redirect) {
		switch {
		case redirect != "" && (pool != "" || setting != ""):
			errs.add(path, "set %s and %s, or %s, not both", fields[0], fields[1], fields[2])
			return placeholder, nil
		case redirect != "":
			if rd := redirectOf(path, redirect); rd != nil {
				return routing.Target{}, rd
			}
			return placeholder, nil
		case pool == "" && setting == "":
			errs.add(path, "set %s and %s, or %s", fields[0], fields[1], fields[2])
			return placeholder, nil
		}
		t, _ := target(path, pool, setting)
		return t, nil
	}
	// set resolves a rewrite rule set reference.
	set := func(path, field, name string) *rewrite.Set {
		return rewriteSet(&errs, path, field, name, rewrites, rewritesOK)
	}
	// weighted resolves a path rule's weighted backends: the routing target
	// (the first backend's, whose setting's path every backend shares)
	// and the split.
	weighted := func(path string, wbs []WeightedBackend) (routing.Target, []dataplane.Weighted) {
		var first routing.Target
		var split []dataplane.Weighted
		total := 0
		for j, wb := range wbs {
			wpath := fmt.Sprintf("%s: weightedBackend %d", path, j)
			if wb.Weight < 0 || wb.Weight > dataplane.MaxWeight {
				errs.add(wpath, "weight %d out of range 0-%d", wb.Weight, dataplane.MaxWeight)
			} else {
				total += wb.Weight
			}
			t, ok := target(wpath, wb.Pool, wb.BackendHTTPSetting)
			if j == 0 {
				first = t
			} else if ok && t.PathOverride != first.PathOverride {
				errs.add(wpath, "backendHttpSetting %q overrides the path with %q, backendHttpSetting %q of weightedBackend 0 with %q: the backends of one rule must send the same path",
					wb.BackendHTTPSetting, t.PathOverride, wbs[0].BackendHTTPSetting, first.PathOverride)
			}
			split = append(split, dataplane.Weighted{Target: dataplane.Target{Pool: t.Pool, Setting: t.Setting}, Weight: wb.Weight})
		}
		if total == 0 {
			errs.add(path, "weightedBackends: no weight is positive, so no request could be served")
		}
		return first, split
	}
	ruleTargets := make([][]routing.Target, len(cfg.Rules))
	ruleRewrites := make([][]*rewrite.Set, len(cfg.Rules))       // parallel to ruleTargets
	ruleSplits := make([][][]dataplane.Weighted, len(cfg.Rules)) // parallel to ruleTargets
	plan.Rules = make([]dataplane.Rule, len(cfg.Rules))
	for i, r := range cfg.Rules {
		path := "rule " + q(r.Name)
		rr := routing.Rule{Name: r.Name, Listener: r.Listener, Priority: r.Priority}
		plan.Rules[i].Name = r.Name
		kinds := 0
		if r.Pool != "" || r.BackendHTTPSetting != "" {
			kinds++
		}
		if r.URLPathMap != "" {
			kinds++
		}
		if r.Redirect != "" {
			kinds++
		}
		switch {
		case kinds != 1:
			errs.add(path, "set exactly one of (pool and backendHttpSetting), urlPathMap or redirect")
			rr.Target = placeholder
		case r.RewriteRuleSet != "" && r.Redirect != "":
			errs.add(path, "rewriteRuleSet %q: a redirect rule forwards nothing to rewrite", r.RewriteRuleSet)
		case r.RewriteRuleSet != "" && r.URLPathMap != "":
			errs.add(path, "rewriteRuleSet %q: a PathBased rule's rewrite sets are its URL path map's (defaultRewriteRuleSet, and each path rule's rewriteRuleSet)", r.RewriteRuleSet)
		}
		switch {
		case kinds != 1:
		case r.Redirect != "":
			if rr.Redirect = redirectOf(path, r.Redirect); rr.Redirect == nil {
				rr.Target = placeholder
			}
		case r.URLPathMap != "":
			mi, ok := maps[r.URLPathMap]
			if !ok {
				errs.add(path, "unknown urlPathMap %q", r.URLPathMap)
				rr.Target = placeholder
				break
			}
			m := cfg.URLPathMaps[mi]
			mpath := "urlPathMap " + q(m.Name)
			// A redirect keeps its place in ts with a zero target.
			def, defRedirect := pathTarget(mpath+": default", m.DefaultPool, m.DefaultBackendHTTPSetting, m.DefaultRedirect,
				[3]string{"defaultPool", "defaultBackendHttpSetting", "defaultRedirect"})
			pm := &routing.PathMap{Name: m.Name, Default: def, DefaultRedirect: defRedirect, CaseSensitive: m.CaseSensitive}
			ts := []routing.Target{def}
			rws := []*rewrite.Set{set(mpath, "defaultRewriteRuleSet", m.DefaultRewriteRuleSet)}
			splits := [][]dataplane.Weighted{nil}
			if m.DefaultRewriteRuleSet != "" && m.DefaultRedirect != "" {
				errs.add(mpath, "defaultRewriteRuleSet %q: the default redirects (defaultRedirect %q), so nothing is forwarded to rewrite", m.DefaultRewriteRuleSet, m.DefaultRedirect)
			}
			for _, pr := range m.PathRules {
				prPath := mpath + ": pathRule " + q(pr.Name)
				var t routing.Target
				var rd *routing.Redirect
				var split []dataplane.Weighted
				switch {
				case len(pr.WeightedBackends) > 0 && (pr.Pool != "" || pr.BackendHTTPSetting != "" || pr.Redirect != ""):
					errs.add(prPath, "set pool and backendHttpSetting, weightedBackends or redirect, only one")
					t = placeholder
				case len(pr.WeightedBackends) > 0:
					t, split = weighted(prPath, pr.WeightedBackends)
				default:
					t, rd = pathTarget(prPath, pr.Pool, pr.BackendHTTPSetting, pr.Redirect,
						[3]string{"pool", "backendHttpSetting", "redirect"})
				}
				pm.Rules = append(pm.Rules, routing.PathRule{Name: pr.Name, Paths: pr.Paths, Match: pr.Match, Target: t, Redirect: rd})
				ts = append(ts, t)
				splits = append(splits, split)
				rws = append(rws, set(prPath, "rewriteRuleSet", pr.RewriteRuleSet))
				if pr.RewriteRuleSet != "" && pr.Redirect != "" {
					errs.add(prPath, "rewriteRuleSet %q: the path rule redirects (redirect %q), so nothing is forwarded to rewrite", pr.RewriteRuleSet, pr.Redirect)
				}
			}
			rr.PathMap = pm
			ruleTargets[i] = ts
			ruleRewrites[i] = rws
			ruleSplits[i] = splits
		default:
			t, _ := target(path, r.Pool, r.BackendHTTPSetting)
			rr.Target = t
			ruleTargets[i] = []routing.Target{t}
			rw := set(path, "rewriteRuleSet", r.RewriteRuleSet)
			if rw.Reroutes() {
				errs.add(path, "rewriteRuleSet %q reroutes (a urlConfiguration with reroute), which needs a PathBased rule: a Basic rule has no URL path map to evaluate again (Azure refuses it too)", r.RewriteRuleSet)
			}
			ruleRewrites[i] = []*rewrite.Set{rw}
		}
		rc.Rules = append(rc.Rules, rr)
	}
	for _, rd := range cfg.Redirects {
		if rd.Status != 0 && rd.Status != 301 && rd.Status != 302 && rd.Status != 303 && rd.Status != 307 {
			errs.add("redirect "+q(rd.Name), "status %d: want 301, 302, 303 or 307", rd.Status)
		}
	}
	if t, err := routing.Compile(rc); err != nil {
		routingProblems(&errs, err)
	} else {
		plan.Table = t
	}

	// The targets of every rule whose pool and setting are valid, even
	// when other parts have problems, so that theirs are reported too.
	// Their rewrite sets go along, index for index, for the rules that
	// have any: the others cost a request nothing.
	valid := func(t dataplane.Target) bool {
		_, ok := pools[t.Pool]
		return ok && plan.Settings[t.Setting] != nil
	}
	for i, ts := range ruleTargets {
		plan.SetRuleTargets(i, ts, ruleRewrites[i], ruleSplits[i], valid)
	}
	// Every backend a rule may send to, weighted ones included.
	backends := make([][]routing.Target, len(ruleTargets))
	for i, ts := range ruleTargets {
		backends[i] = slices.Clone(ts)
		for _, sp := range ruleSplits[i] {
			for _, w := range sp {
				backends[i] = append(backends[i], routing.Target{Pool: w.Pool, Setting: w.Setting})
			}
		}
	}
	checkMemberPorts(&errs, cfg, backends, pools, settings)
	snap, problems := dataplane.Build(plan, &e.dp)
	errs.prefix(problems)
	if len(errs) > 0 {
		return nil, errs.err()
	}
	return snap, nil
}

// checkMemberPorts reports each member that has no port of its own in a
// pool that a rule serves with a backend setting that has none either:
// nothing says where to dial it. Each pair of pool and setting is checked
// once, however many rules use it.
func checkMemberPorts(errs *problems, cfg Config, ruleTargets [][]routing.Target, pools, settings map[string]int) {
	seen := make(map[routing.Target]bool)
	for _, ts := range ruleTargets {
		for _, t := range ts {
			pi, okPool := pools[t.Pool]
			si, okSetting := settings[t.Setting]
			if !okPool || !okSetting || seen[t] {
				continue
			}
			seen[t] = true
			bs := cfg.BackendHTTPSettings[si]
			if bs.Port != 0 {
				continue
			}
			for j, m := range cfg.Pools[pi].Members {
				if m.Port == 0 && m.Address != "" {
					errs.add("backendHttpSetting "+q(bs.Name), "no port, and member %d (%s) of pool %q has none of its own: give the setting a port, or every member of the pools it serves one", j, m.Address, t.Pool)
				}
			}
		}
	}
}

// routingProblems adds routing.Compile's problems, each with its place in
// the gateway's words: "gateway: rule "api": unknown listener "web"".
func routingProblems(errs *problems, err error) {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			routingProblems(errs, e)
		}
		return
	}
	if re, ok := err.(*routing.Error); ok {
		*errs = append(*errs, fmt.Errorf("gateway: %s: %w", re.Where, re.Err))
		return
	}
	errs.wrap("routing", err)
}

// uniqueNames maps the names of n things of a kind to their index, the
// first for a name given twice, and reports each thing without a name or
// with another's.
func uniqueNames(errs *problems, kind string, n int, name func(int) string) map[string]int {
	m := make(map[string]int, n)
	for i := 0; i < n; i++ {
		nm := name(i)
		if nm == "" {
			errs.add(fmt.Sprintf("%s %d", kind, i), "no name")
			continue
		}
		if _, dup := m[nm]; dup {
			errs.add(kind+" "+q(nm), "duplicate name")
			continue
		}
		m[nm] = i
	}
	return m
}

func probeSpec(p Probe) (probe.Spec, error) {
	spec := probe.Default()
	switch p.Protocol {
	case HTTP:
		spec.Scheme = "http"
	case HTTPS:
		spec.Scheme = "https"
	default:
		return spec, fmt.Errorf("protocol %q: want %q or %q", p.Protocol, HTTP, HTTPS)
	}
	spec.Host = p.Host
	if p.Path != "" {
		spec.Path = p.Path
	}
	spec.Port = p.Port
	if p.Interval != 0 {
		spec.Interval = p.Interval
	}
	if p.Timeout != 0 {
		spec.Timeout = p.Timeout
	}
	if p.UnhealthyThreshold != 0 {
		spec.UnhealthyThreshold = p.UnhealthyThreshold
	}
	if len(p.StatusCodes) > 0 {
		r, err := probe.ParseStatusRanges(p.StatusCodes)
		if err != nil {
			return spec, err
		}
		spec.StatusCodes = r
	}
	spec.Body = p.Body
	return spec, spec.Validate()
}
