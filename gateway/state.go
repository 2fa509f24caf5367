package gateway

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/policy"
	"github.com/e2etls/e2etls/probe"
	"github.com/e2etls/e2etls/routing"
)

// snapshot is one validated configuration and the runtime state built from
// it. Everything in it is immutable after compile, except the atomics and
// the lazily filled endpoint maps, which are safe for concurrent use.
type snapshot struct {
	cfg       Config
	gen       uint64
	env       *env
	policy    policy.Policy
	table     *routing.Table
	listeners []*listenerState // aligned with cfg.Listeners
	routes    [][]*backendSet  // [rule][0] is a Basic rule's or a map's default target; [rule][1+i] path rule i
	settings  map[string]*settingState
	sets      map[setKey]*backendSet
	setList   []*backendSet   // sets in a stable order, for health reports
	transport *http.Transport // pools HTTP/2 backend connections of this generation
	h1        *h1Client       // pools HTTP/1.1 backend connections of this generation
	endpoints sync.Map        // endpoint id ("e12:443") -> *endpoint, for the transport's dialers
	nextID    atomic.Uint64
	inflight  atomic.Int64 // requests being served from this snapshot
	insecure  []string     // settings with InsecureSkipVerify, for the warning
}

// env is what outlives a configuration: the gateway's clock-free hooks and
// caches shared by every generation.
type env struct {
	affinityKey []byte
	dial        func(ctx context.Context, network, address string) (net.Conn, error)
	resolver    *resolver
	sessions    *sessionCaches
}

type listenerState struct {
	index     int
	cfg       Listener
	scheme    string      // "http" or "https"
	portStr   string      // X-Forwarded-Port
	tlsConfig *tls.Config // HTTPS only: certificate and policy
}

type hostMode int

const (
	hostFixed  hostMode = iota // the setting's host name
	hostPick                   // the member's FQDN
	hostClient                 // the client's Host, one its listener accepts
)

type settingState struct {
	cfg        BackendHTTPSetting
	https      bool
	mode       hostMode
	trust      backendtls.Config // template: ServerName and Identity are set per endpoint
	timeout    time.Duration
	drain      time.Duration
	cookie     string // affinity cookie name, "" when affinity is off
	corsCookie string
	probe      probe.Spec
	probeHost  string // the custom probe's host, "" when none
	probeName  string
}

type setKey struct{ pool, setting string }

// backendSet is a pool served with one backend setting: health, balancing
// and affinity are per (pool, setting, member), as in Azure.
type backendSet struct {
	pool     string
	setting  *settingState
	members  []*memberState
	byCookie map[string]*memberState
	next     atomic.Uint64 // round-robin cursor
}

// memberState is one pool member under one setting.
type memberState struct {
	set     *backendSet
	address string // IP or FQDN as configured
	port    int
	hostKey string // address:port, the member's identity for cookies and health
	ip      bool
	cookie  string // affinity cookie value
	health  *probe.Health
	code    *reasonCode // the short name of health's reason; travels with health
	probe   probe.Target
	fixed   *endpoint // the endpoint when SNI does not depend on the request

	dynMu sync.Mutex
	dyn   map[string]*endpoint // client-Host mode: host -> endpoint

	drainCtx    context.Context // cancelled when a removed member's drain time is over
	drainCancel context.CancelFunc
}

// reasonCode holds the short name of a member's last failure, "" when none:
// a backendtls reason ("untrusted-root"), a probe outcome kind ("status"), or
// "backend-aborted". It is set next to the member's Health, which keeps the
// one-line message.
type reasonCode struct {
	v atomic.Pointer[string]
	// seen is the leaf certificate the member presented to its last probe
	// handshake, verified or refused: health reports show it either way.
	seen atomic.Pointer[x509.Certificate]
}

func (c *reasonCode) set(s string) { c.v.Store(&s) }

func (c *reasonCode) get() string {
	if p := c.v.Load(); p != nil {
		return *p
	}
	return ""
}

// endpoint is a member with one SNI and expected identity: a connection pool
// of its own in the transport.
type endpoint struct {
	id        string // the URL host the transport pools by
	member    *memberState
	sni       string
	tlsConfig *tls.Config // nil for HTTP settings
	// fromClient marks an endpoint whose SNI is a client's Host (the
	// setting has no host name): its failures say nothing about the member
	// as other clients reach it, so they never take the member out of
	// rotation.
	fromClient bool
	lastUsed   atomic.Int64 // unix nanoseconds, for evicting client-Host endpoints
}

// maxDynamicEndpoints bounds the distinct client host names one member keeps
// endpoints (and pooled connections) for in client-Host mode; the least
// recently used is evicted beyond it.
const maxDynamicEndpoints = 256

func (s *snapshot) newEndpoint(m *memberState, sni string) (*endpoint, error) {
	ep := &endpoint{
		id:     "e" + strconv.FormatUint(s.nextID.Add(1), 10) + ":" + strconv.Itoa(m.port),
		member: m,
		sni:    sni,
	}
	if m.set.setting.https {
		c := m.set.setting.trust
		c.ServerName = sni
		tc, err := c.ClientConfig()
		if err != nil {
			return nil, err
		}
		ep.tlsConfig = tc
	}
	s.endpoints.Store(ep.id, ep)
	return ep, nil
}

// endpointFor returns the endpoint that serves a request for host on m. In
// client-Host mode a new host gets a provisional endpoint, which is kept
// (adopt) only once a connection to it has been verified, so hosts a
// client makes up cannot crowd out the real ones.
func (s *snapshot) endpointFor(m *memberState, host string) (*endpoint, error) {
	if m.fixed != nil {
		return m.fixed, nil
	}
	m.dynMu.Lock()
	ep := m.dyn[host]
	m.dynMu.Unlock()
	if ep != nil {
		ep.lastUsed.Store(time.Now().UnixNano())
		return ep, nil
	}
	ep, err := s.newEndpoint(m, host)
	if err != nil {
		return nil, err
	}
	ep.fromClient = true
	ep.lastUsed.Store(time.Now().UnixNano())
	return ep, nil
}

// adopt keeps a client-Host endpoint once a connection to it has been
// verified, evicting the least recently used one beyond the bound.
func (s *snapshot) adopt(ep *endpoint) {
	if !ep.fromClient {
		return
	}
	m := ep.member
	var evicted *endpoint
	m.dynMu.Lock()
	if cur := m.dyn[ep.sni]; cur == nil {
		if m.dyn == nil {
			m.dyn = make(map[string]*endpoint)
		}
		if len(m.dyn) >= maxDynamicEndpoints {
			for _, e := range m.dyn {
				if evicted == nil || e.lastUsed.Load() < evicted.lastUsed.Load() {
					evicted = e
				}
			}
			delete(m.dyn, evicted.sni)
		}
		m.dyn[ep.sni] = ep
	}
	m.dynMu.Unlock()
	if evicted != nil {
		s.dropEndpoint(evicted)
	}
}

// dropEndpoint forgets an endpoint and closes its idle connections.
func (s *snapshot) dropEndpoint(ep *endpoint) {
	s.endpoints.Delete(ep.id)
	s.h1.closeEndpoint(ep)
}

func compileSetting(errs *problems, path string, bs BackendHTTPSetting, gwPolicy policy.Policy, roots, auths, probes map[string]int, cfg Config) (*settingState, bool) {
	n := len(*errs)
	st := &settingState{cfg: bs, timeout: bs.RequestTimeout, probe: probe.Default()}
	switch bs.Protocol {
	case HTTPS:
		st.https = true
	case HTTP:
	default:
		errs.add(path, "protocol %q: want %q or %q", bs.Protocol, HTTP, HTTPS)
	}
	if !validPort(bs.Port) {
		errs.add(path, "port %d out of range 1-65535", bs.Port)
	}
	if st.timeout == 0 {
		st.timeout = defaultRequestTimeout
	} else if st.timeout < time.Second || st.timeout > maxRequestTimeout {
		errs.add(path, "requestTimeout %v out of range 1s-24h", bs.RequestTimeout)
	}
	st.drain = defaultDrainTimeout
	if bs.ConnectionDraining.Enabled && bs.ConnectionDraining.DrainTimeout != 0 {
		st.drain = bs.ConnectionDraining.DrainTimeout
		if st.drain < time.Second || st.drain > maxDrainTimeout {
			errs.add(path, "connectionDraining.drainTimeout %v out of range 1s-3600s", st.drain)
		}
	}
	if bs.CookieBasedAffinity {
		st.cookie = bs.AffinityCookieName
		if st.cookie == "" {
			st.cookie = defaultAffinityCookie
		}
		if !validCookieName(st.cookie) {
			errs.add(path, "affinityCookieName %q is not a valid cookie name", st.cookie)
		}
		st.corsCookie = st.cookie + "CORS"
	} else if bs.AffinityCookieName != "" {
		errs.add(path, "affinityCookieName %q set but cookieBasedAffinity is off", bs.AffinityCookieName)
	}
	if bs.Path != "" && !strings.HasPrefix(bs.Path, "/") {
		errs.add(path, "path %q must start with /", bs.Path)
	}
	switch {
	case bs.HostName != "" && bs.PickHostNameFromBackendAddress:
		errs.add(path, "hostName %q and pickHostNameFromBackendAddress are exclusive", bs.HostName)
	case bs.HostName != "":
		st.mode = hostFixed
		h := strings.TrimSuffix(bs.HostName, ".")
		if !isIP(h) && !validFQDN(h) {
			errs.add(path, "hostName %q is neither a DNS name nor an IP address", bs.HostName)
		}
	case bs.PickHostNameFromBackendAddress:
		st.mode = hostPick
	default:
		st.mode = hostClient
	}

	// The probe.
	if bs.Probe != "" {
		pi, ok := probes[bs.Probe]
		if !ok {
			errs.add(path, "unknown probe %q", bs.Probe)
		} else {
			p := cfg.Probes[pi]
			if p.Protocol != bs.Protocol && (p.Protocol == HTTP || p.Protocol == HTTPS) {
				errs.add(path, "probe %q speaks %s but the setting speaks %s: they must match", p.Name, p.Protocol, bs.Protocol)
			}
			if spec, err := probeSpec(p); err == nil {
				st.probe = spec
			}
			st.probeHost = p.Host
			st.probeName = p.Name
		}
	} else if bs.Protocol == HTTP {
		st.probe.Scheme = "http"
	}

	// Backend trust.
	if !st.https {
		tlsFields := []struct {
			set  bool
			name string
		}{
			{len(bs.TrustedRootCertificates) > 0, "trustedRootCertificates"},
			{len(bs.AuthenticationCertificates) > 0, "authenticationCertificates"},
			{len(bs.PinnedPublicKeys) > 0, "pinnedPublicKeys"},
			{bs.Identity != "", "identity"},
			{bs.ServerName != "", "serverName"},
			{bs.Verifier != nil, "verifier"},
			{bs.ClientCertificate != nil, "clientCertificate"},
			{!bs.SSLPolicy.IsZero(), "sslPolicy"},
			{bs.HTTP2, "http2 (HTTP/2 to backends needs TLS)"},
			{bs.InsecureSkipVerify, "insecureSkipVerify"},
		}
		for _, f := range tlsFields {
			if f.set {
				errs.add(path, "%s applies to HTTPS settings only", f.name)
			}
		}
		return st, len(*errs) == n
	}
	if len(bs.TrustedRootCertificates) > 0 && len(bs.AuthenticationCertificates) > 0 {
		errs.add(path, "trustedRootCertificates and authenticationCertificates cannot be combined: use roots (v2) or exact leaf certificates (v1)")
	}
	tc := backendtls.Config{
		Identity:           bs.Identity,
		PinnedPublicKeys:   bs.PinnedPublicKeys,
		Verifier:           bs.Verifier,
		InsecureSkipVerify: bs.InsecureSkipVerify,
		Policy:             bs.SSLPolicy,
		NextProtos:         []string{"http/1.1"},
	}
	if tc.Policy.IsZero() {
		tc.Policy = gwPolicy
	}
	if bs.HTTP2 {
		tc.NextProtos = []string{"h2", "http/1.1"}
	}
	if bs.ClientCertificate != nil {
		tc.ClientCertificates = []tls.Certificate{*bs.ClientCertificate}
	}
	for _, name := range bs.TrustedRootCertificates {
		i, ok := roots[name]
		if !ok {
			errs.add(path, "unknown trustedRootCertificate %q", name)
			continue
		}
		if c := cfg.TrustedRootCertificates[i].Certificate; c != nil {
			tc.TrustedRootCertificates = append(tc.TrustedRootCertificates, c)
		}
	}
	for _, name := range bs.AuthenticationCertificates {
		i, ok := auths[name]
		if !ok {
			errs.add(path, "unknown authenticationCertificate %q", name)
			continue
		}
		if c := cfg.AuthenticationCertificates[i].Certificate; c != nil {
			tc.AuthenticationCertificates = append(tc.AuthenticationCertificates, c)
		}
	}
	// Check the trust material once with a representative name; each
	// endpoint's config is built from this template.
	check := tc
	check.ServerName = "backend.invalid"
	if bs.HostName != "" {
		check.ServerName = strings.TrimSuffix(bs.HostName, ".")
	}
	if bs.ServerName != "" { // Config.ServerName (azurejson's sniName)
		check.ServerName = strings.TrimSuffix(bs.ServerName, ".")
	}
	if err := check.Validate(); err != nil {
		errs.wrap(path, err)
	}
	st.trust = tc
	return st, len(*errs) == n
}

// validCookieName reports whether name is an RFC 6265 token.
func validCookieName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

// backendSet returns the set for t, building it on first use.
func (s *snapshot) backendSet(t routing.Target) (*backendSet, error) {
	k := setKey{t.Pool, t.Setting}
	if bs := s.sets[k]; bs != nil {
		return bs, nil
	}
	st := s.settings[t.Setting]
	var pool Pool
	for _, p := range s.cfg.Pools {
		if p.Name == t.Pool {
			pool = p
		}
	}
	bs := &backendSet{pool: t.Pool, setting: st, byCookie: make(map[string]*memberState)}
	for _, m := range pool.Members {
		ms := &memberState{set: bs, address: strings.TrimSuffix(m.Address, "."), port: m.Port, ip: isIP(m.Address)}
		if ms.port == 0 {
			ms.port = st.cfg.Port
		}
		ms.hostKey = net.JoinHostPort(ms.address, strconv.Itoa(ms.port))
		ms.cookie = affinityValue(s.env.affinityKey, ms.hostKey)
		ms.health = probe.NewHealth(st.probe.UnhealthyThreshold)
		ms.code = new(reasonCode)
		ms.drainCtx, ms.drainCancel = context.WithCancel(context.Background())
		path := fmt.Sprintf("pool %q: member %s with backendHttpSetting %q", t.Pool, ms.hostKey, t.Setting)
		if sni := strings.TrimSuffix(st.cfg.ServerName, "."); sni != "" && st.https && !(st.mode == hostPick && ms.ip) {
			// ServerName fixes the SNI whatever gives the Host header.
			ep, err := s.newEndpoint(ms, sni)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			ms.fixed = ep
			bs.members = append(bs.members, ms)
			bs.byCookie[ms.cookie] = ms
			continue
		}
		switch st.mode {
		case hostFixed:
			ep, err := s.newEndpoint(ms, strings.TrimSuffix(st.cfg.HostName, "."))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			ms.fixed = ep
		case hostPick:
			if ms.ip {
				return nil, fmt.Errorf("%s: the setting picks the host name from the backend address, but %s is an IP address: use an FQDN member or set hostName", path, ms.address)
			}
			ep, err := s.newEndpoint(ms, ms.address)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			ms.fixed = ep
		}
		bs.members = append(bs.members, ms)
		bs.byCookie[ms.cookie] = ms
	}
	s.sets[k] = bs
	s.setList = append(s.setList, bs)
	return bs, nil
}

// affinityValue is the affinity cookie value of a member: a keyed hash of its
// identity, 32 hex characters as Azure's cookies are.
func affinityValue(key []byte, member string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(member))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// peerSummary describes a backend certificate for health reports and logs.
func peerSummary(c *x509.Certificate) *CertificateSummary {
	if c == nil {
		return nil
	}
	return &CertificateSummary{Subject: c.Subject.String(), Issuer: c.Issuer.String(), NotAfter: c.NotAfter}
}
