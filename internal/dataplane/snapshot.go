package dataplane

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/bits"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/e2etls/e2etls/internal/upstream"
	"github.com/e2etls/e2etls/probe"
	"github.com/e2etls/e2etls/routing"
)

// Env is what the snapshots of one gateway share and outlives each of
// them.
type Env struct {
	// Dialer opens every backend connection: data path, probes, dry run.
	Dialer *upstream.Dialer
	// Log receives the access log and every error handled.
	Log *slog.Logger
	// Hijacked tracks upgraded connections, which outlive their requests.
	Hijacked *Hijacked
}

// defaultProbeHost is the Host of a probe that has no name to send.
const defaultProbeHost = "127.0.0.1"

// Snapshot is one configuration generation and the state built from it.
// Everything in it is immutable after Build, except members' health and
// the connection pool, which are safe for concurrent use.
type Snapshot struct {
	plan     *Plan
	env      *Env
	routes   [][]slot // [rule][0] is a basic rule's or a map's default target; [rule][1+i] path rule i
	sets     map[Target]*backendSet
	setList  []*backendSet // in a stable order, for health reports
	pool     *upstream.Pool
	fwd      []forwarded // per listener
	inflight []inflight  // requests being served from this snapshot, in shards
}

// inflight counts requests in one shard: a request adds to a shard picked
// at random and takes from the same one, so that requests on many cores do
// not all write one cache line twice.
type inflight struct {
	n atomic.Int64
	_ [56]byte
}

// forwarded is what a listener's requests carry in X-Forwarded-Proto and
// X-Forwarded-Port.
type forwarded struct{ scheme, port string }

// slot is what a route's target serves with: one backend set, or a split
// among several; both nil for a path map's redirect.
type slot struct {
	set   *backendSet
	split *split
}

// backendSet returns the backend set a request is served by.
func (sl *slot) backendSet() *backendSet {
	if sl.split != nil {
		return sl.split.pick()
	}
	return sl.set
}

// split spreads requests over weighted backend sets: the n-th request takes
// the point frac(n/φ) of [0, 1) (a Weyl sequence, whose points fill the
// interval evenly at every length), scaled to the total weight, and goes to
// the set whose share of the total holds it. So every prefix of the
// requests is split in proportion to the weights, within a few requests,
// with one atomic add and no lock.
type split struct {
	sets  []*backendSet // with a positive weight
	cum   []uint64      // the running sum of their weights
	total uint64
	n     atomic.Uint64
}

// weylStep is 2^64/φ, odd: successive multiples fill [0, 2^64) evenly.
const weylStep = 0x9E3779B97F4A7C15

func (sp *split) pick() *backendSet {
	x := sp.n.Add(1) * weylStep
	r, _ := bits.Mul64(x, sp.total) // floor(x * total / 2^64), in [0, total)
	for i, c := range sp.cum {
		if r < c {
			return sp.sets[i]
		}
	}
	return sp.sets[len(sp.sets)-1]
}

// backendSet is a pool served with one backend setting: health, balancing
// and affinity are per (pool, setting, member), as in Azure.
type backendSet struct {
	pool     string
	setting  *Setting
	members  []*member
	byCookie map[string]*member
	next     atomic.Uint64 // round-robin cursor
}

// member is one pool member under one setting.
type member struct {
	*upstream.Member
	set    *backendSet
	cookie string        // affinity cookie value
	health *probe.Health // carried across generations with status
	status *memberStatus
	probe  probe.Target
	log    *slog.Logger
}

// memberStatus is what a member's health report shows besides its
// probe.Health: the short name of its last failure, and the last
// certificate it presented.
type memberStatus struct {
	mu   sync.Mutex
	code string // "" when healthy or never failed
	// seen is the leaf certificate the member presented to its last TLS
	// handshake with a probe, or the one the data path refused.
	seen *x509.Certificate
	// refused is set when seen was refused.
	refused bool
	// heldUntil is when a member of a setting without probes that the
	// data path took out comes back (unix nanoseconds), 0 when it is not
	// held.
	heldUntil atomic.Int64
}

// Build makes the snapshot of plan. It returns the problems that only
// show once members meet their settings (an IP member of a setting that
// picks its host name from the member; a probe with no host name to verify),
// each with its place.
func Build(plan *Plan, env *Env) (*Snapshot, []error) {
	s := &Snapshot{plan: plan, env: env, sets: make(map[Target]*backendSet), pool: upstream.NewPool(env.Dialer)}
	n := 1
	for n < runtime.GOMAXPROCS(0) && n < 64 {
		n *= 2
	}
	s.inflight = make([]inflight, n)
	var errs []error
	for _, l := range plan.Listeners {
		f := forwarded{scheme: "http", port: strconv.Itoa(l.Port)}
		if l.HTTPS {
			f.scheme = "https"
		}
		s.fwd = append(s.fwd, f)
	}
	s.routes = make([][]slot, len(plan.Rules))
	failed := make(map[Target]bool) // reported once, for the first rule that uses it
	for i, r := range plan.Rules {
		for j, t := range r.Targets {
			if t == (Target{}) { // a path map's redirect: routing answers it
				s.routes[i] = append(s.routes[i], slot{})
				continue
			}
			if j < len(r.Splits) && r.Splits[j] != nil {
				sp := &split{}
				for _, w := range r.Splits[j] {
					if failed[w.Target] {
						continue
					}
					bs, err := s.backendSet(w.Target)
					if err != nil {
						failed[w.Target] = true
						errs = append(errs, fmt.Errorf("rule %q: %w", r.Name, err))
						continue
					}
					if w.Weight > 0 {
						sp.total += uint64(w.Weight)
						sp.sets = append(sp.sets, bs)
						sp.cum = append(sp.cum, sp.total)
					}
				}
				if len(sp.sets) == 0 {
					errs = append(errs, fmt.Errorf("rule %q: a split with no backend of positive weight", r.Name))
					s.routes[i] = append(s.routes[i], slot{})
					continue
				}
				s.routes[i] = append(s.routes[i], slot{set: sp.sets[0], split: sp})
				continue
			}
			if failed[t] {
				continue
			}
			bs, err := s.backendSet(t)
			if err != nil {
				failed[t] = true
				errs = append(errs, fmt.Errorf("rule %q: %w", r.Name, err))
				continue
			}
			s.routes[i] = append(s.routes[i], slot{set: bs})
		}
	}
	for _, bs := range s.setList {
		if bs.setting.ProbeOff {
			continue // no probe to build, nor a probe host to need
		}
		for _, m := range bs.members {
			if err := s.buildProbe(m); err != nil {
				errs = append(errs, fmt.Errorf("pool %q: member %s with backendHttpSetting %q: %w", bs.pool, m.HostKey, bs.setting.Name, err))
			}
		}
	}
	return s, errs
}

// Generation is the snapshot's configuration generation.
func (s *Snapshot) Generation() uint64 { return s.plan.Generation }

// Table is the snapshot's routing table.
func (s *Snapshot) Table() *routing.Table { return s.plan.Table }

// Plan is the plan the snapshot was built from.
func (s *Snapshot) Plan() *Plan { return s.plan }

// backendSet returns the set of t, building it on first use.
func (s *Snapshot) backendSet(t Target) (*backendSet, error) {
	if bs := s.sets[t]; bs != nil {
		return bs, nil
	}
	st := s.plan.Settings[t.Setting]
	bs := &backendSet{pool: t.Pool, setting: st, byCookie: make(map[string]*member)}
	for _, pm := range s.plan.Pools[t.Pool] {
		port := pm.Port
		if port == 0 {
			port = st.Port
		}
		var trust = &st.Trust
		if !st.HTTPS {
			trust = nil
		}
		m := &member{
			Member: upstream.NewMember(strings.TrimSuffix(pm.Address, "."), port, trust, st.Timeout, st.HTTP2),
			set:    bs,
			health: probe.NewHealth(st.Probe.UnhealthyThreshold),
			status: new(memberStatus),
			log:    s.env.Log,
		}
		m.Member.Pool, m.Member.Setting = t.Pool, t.Setting
		m.Member.SeenLeaf = m.seeLeaf
		m.cookie = affinityValue(s.plan.AffinityKey, m.HostKey)
		path := fmt.Sprintf("pool %q: member %s with backendHttpSetting %q", t.Pool, m.HostKey, t.Setting)
		switch {
		case st.ServerName != "" && st.HTTPS && !(st.HostMode == HostPick && m.IP):
			// ServerName fixes the SNI whatever gives the Host header.
			if err := s.pool.FixSNI(m.Member, st.ServerName); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			bs.members = append(bs.members, m)
			bs.byCookie[m.cookie] = m
			continue
		}
		switch st.HostMode {
		case HostFixed:
			if err := s.pool.FixSNI(m.Member, st.HostName); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		case HostPick:
			if m.IP {
				return nil, fmt.Errorf("%s: the setting picks the host name from the backend address, but %s is an IP address: use an FQDN member or set hostName", path, m.Address)
			}
			if err := s.pool.FixSNI(m.Member, m.Address); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		}
		bs.members = append(bs.members, m)
		bs.byCookie[m.cookie] = m
	}
	s.sets[t] = bs
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

// buildProbe prepares a member's health probe: Host and SNI are the custom
// probe's host, else the setting's host name, else the member's FQDN; an IP
// address is never sent as SNI. The probe's TLS configuration comes from the
// setting's trust like the data path's (upstream.ClientTLS), and its
// transport never reuses connections, so every probe re-verifies.
func (s *Snapshot) buildProbe(m *member) error {
	st := m.set.setting
	host := ""
	switch {
	case st.ProbeHost != "":
		host = st.ProbeHost
	case st.HostName != "":
		host = st.HostName
	case !m.IP:
		host = m.Address
	}
	host = strings.TrimSuffix(host, ".")
	header := host
	if header == "" {
		header = defaultProbeHost
	}
	var tc *tls.Config
	if st.HTTPS {
		sni := host
		if st.ProbeHost == "" && st.ServerName != "" {
			sni = st.ServerName
		}
		var err error
		if tc, err = upstream.ClientTLS(st.Trust, sni, upstream.UseProbe); err != nil {
			if host == "" {
				return fmt.Errorf("the health probe has no host name to send as SNI and verify: the member is an IP address and the setting takes its host from each client request; give the probe a host or set the setting's hostName: %w", err)
			}
			return fmt.Errorf("health probe: %w", err)
		}
	}
	m.probe = probe.Target{
		Name:      m.set.pool + "/" + st.Name + "/" + m.HostKey,
		Address:   m.HostKey,
		Host:      header,
		Transport: upstream.ProbeTransport(s.env.Dialer, m.Member, tc, probeTimeout(st.Probe)),
	}
	return nil
}

// seeLeaf records the leaf certificate the member presented to a
// handshake (probe or traffic), and whether it was trusted.
func (m *member) seeLeaf(c *x509.Certificate, trusted bool) {
	st := m.status
	st.mu.Lock()
	st.seen, st.refused = c, !trusted
	st.mu.Unlock()
}

// probeTimeout is the timeout of a probe with spec.
func probeTimeout(spec probe.Spec) time.Duration {
	if spec.Timeout <= 0 {
		return probe.DefaultTimeout
	}
	return spec.Timeout
}

// ProbeHost is the Host a member's probe sends, or "" for none (an IP
// member probed with no host name: its probe sends 127.0.0.1 and no SNI).
func (m *member) probeHost() string {
	if m.probe.Host == defaultProbeHost {
		return ""
	}
	return m.probe.Host
}
