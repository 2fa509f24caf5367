package dataplane

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/internal/upstream"
	"github.com/e2etls/e2etls/probe"
)

// observation is what observe is told about a member.
type observation int

const (
	byProbe   observation = iota // a probe's result
	byTraffic                    // the data path's verdict: out at once
	heldOver                     // the hold of a member without probes is over
)

// observe is the only place a member's health and reason change: a probe's
// result (counted towards the unhealthy threshold), the data path's
// verdict that takes the member out of rotation at once (for the
// setting's PassiveHold when its probes are off), or the end of that
// hold. code is the failure's short name ("" when healthy). A change of
// the member's state is logged with its reason.
func (m *member) observe(r probe.Result, by observation, code string) {
	was := m.health.Healthy()
	switch by {
	case byTraffic:
		m.health.MarkUnhealthy(r.Err)
	case heldOver:
		if !m.health.Reinstate() {
			return
		}
	default:
		m.health.Record(r)
	}
	st := m.status
	st.mu.Lock()
	st.code = code
	var ve *backendtls.VerificationError
	if by == byTraffic && errors.As(r.Err, &ve) && len(ve.Presented) > 0 {
		st.seen, st.refused = ve.Presented[0], true
	}
	hold := m.set.setting.PassiveHold
	if by == byTraffic && m.set.setting.ProbeOff {
		st.heldUntil.Store(r.Time.Add(hold).UnixNano())
	}
	st.mu.Unlock()
	now := m.health.Healthy()
	if now == was {
		return
	}
	attrs := []slog.Attr{
		slog.String("pool", m.set.pool), slog.String("setting", m.set.setting.Name),
		slog.String("member", m.HostKey),
	}
	if now {
		if by == heldOver {
			attrs = append(attrs, slog.String("by", "hold over"), slog.Duration("hold", hold))
		}
		m.log.LogAttrs(context.Background(), slog.LevelInfo, "gateway: member back in rotation", attrs...)
		return
	}
	sn := m.health.Snapshot()
	attrs = append(attrs, slog.String("reason", code), slog.String("error", sn.Reason))
	switch {
	case by == byTraffic && m.set.setting.ProbeOff:
		attrs = append(attrs, slog.String("by", "traffic"), slog.Duration("hold", hold))
	case by == byTraffic:
		attrs = append(attrs, slog.String("by", "traffic"))
	default:
		attrs = append(attrs, slog.String("by", "probe"), slog.Int("failures", sn.ConsecutiveFailures))
	}
	m.log.LogAttrs(context.Background(), slog.LevelWarn, "gateway: member out of rotation", attrs...)
}

// fail takes the member out of rotation for err, seen on the data path.
func (m *member) fail(err error, code string) {
	m.observe(probe.Result{Healthy: false, Err: err, Time: time.Now()}, byTraffic, code)
}

// probed records a probe's result.
func (m *member) probed(r probe.Result) { m.observe(r, byProbe, resultCode(r)) }

// inRotation reports whether the member may be given a request. A member
// of a setting without probes that the data path took out comes back once
// its hold is over: the first request to ask after that brings it back.
func (m *member) inRotation() bool {
	if m.health.Healthy() {
		return true
	}
	if !m.set.setting.ProbeOff {
		return false
	}
	until := m.status.heldUntil.Load()
	if until == 0 || time.Now().UnixNano() < until {
		return false
	}
	if m.status.heldUntil.CompareAndSwap(until, 0) {
		m.observe(probe.Result{Healthy: true, Time: time.Now()}, heldOver, "")
	}
	return m.health.Healthy()
}

// resultCode is the short name of a probe's outcome: "" when healthy, the
// backendtls reason of a verification failure (the name the data path puts
// in ErrorHeader), else the probe's Kind.
func resultCode(r probe.Result) string {
	if r.Healthy {
		return ""
	}
	if reason, ok := backendtls.ReasonOf(r.Err); ok {
		return reason.String()
	}
	return r.Kind.String()
}

// StartProbes starts probing every member of s and returns the monitor,
// which the caller closes.
func (s *Snapshot) StartProbes() *probe.Monitor {
	var entries []probe.Entry
	for _, bs := range s.setList {
		if bs.setting.ProbeOff {
			continue
		}
		for _, m := range bs.members {
			entries = append(entries, probe.Entry{Target: m.probe, Spec: bs.setting.Probe, OnResult: m.probed})
		}
	}
	mon := probe.NewMonitor(entries)
	mon.Start()
	return mon
}

// StopProbeDials cancels the dials and handshakes that s's probes left
// running once their monitor has closed: net/http detaches dials from the
// probe's context, so they would otherwise last until the probe timeout.
func (s *Snapshot) StopProbeDials() {
	for _, bs := range s.setList {
		for _, m := range bs.members {
			if t, ok := m.probe.Transport.(interface{ CloseIdleConnections() }); ok {
				t.CloseIdleConnections()
			}
		}
	}
}

// MemberReport is one member's health under one setting.
type MemberReport struct {
	Pool, Setting string
	// Member is the member's address and port; Address its address alone.
	Member, Address string
	// Probe names the custom probe, "" for the default one; ProbeOff is
	// set when the setting's probes are off.
	Probe    string
	ProbeOff bool
	Health   probe.Snapshot
	// Code is the short name of the failure in Health.Reason.
	Code string
	// Certificate is the leaf the member last presented: the one refused
	// by the last failed verification (probe or traffic), else the one its
	// last TLS probe saw; nil before any handshake.
	Certificate *x509.Certificate
	// CertificateRefused is set when Certificate failed verification.
	CertificateRefused bool
	// Stale explains a DNS lookup that fails while the last good address
	// is used, "" when there is none.
	Stale string
}

// Report reports every member of every pool under every setting a rule
// uses.
func (s *Snapshot) Report() []MemberReport {
	var out []MemberReport
	for _, bs := range s.setList {
		for _, m := range bs.members {
			st := m.status
			st.mu.Lock()
			code, seen, refused := st.code, st.seen, st.refused
			st.mu.Unlock()
			sn := m.health.Snapshot()
			if seen == nil {
				seen, refused = sn.Peer, false
			}
			r := MemberReport{
				Pool: bs.pool, Setting: bs.setting.Name, Member: m.HostKey, Address: m.Address,
				Probe: bs.setting.ProbeName, ProbeOff: bs.setting.ProbeOff, Health: sn, Certificate: seen, CertificateRefused: refused && seen != nil,
				Stale: s.env.Dialer.Resolver().StaleReason(m.Address),
			}
			if sn.Reason != "" {
				r.Code = code
			}
			out = append(out, r)
		}
	}
	return out
}

// CarryHealth keeps the health of members present in both snapshots,
// except a verdict on a member's certificate or handshake (probe.KindTLS):
// the new configuration's trust judges the member afresh, at once.
func CarryHealth(old, s *Snapshot) {
	for k, bs := range s.sets {
		obs := old.sets[k]
		if obs == nil || obs.setting.Probe.UnhealthyThreshold != bs.setting.Probe.UnhealthyThreshold ||
			obs.setting.ProbeOff != bs.setting.ProbeOff {
			// Turning probes on or off starts the members afresh: a
			// member out of rotation would otherwise wait for a probe,
			// or a hold, that never comes.
			continue
		}
		prev := make(map[string]*member, len(obs.members))
		for _, m := range obs.members {
			prev[m.HostKey] = m
		}
		for _, m := range bs.members {
			if pm := prev[m.HostKey]; pm != nil && pm.health.Snapshot().Kind != probe.KindTLS {
				m.health, m.status = pm.health, pm.status
			}
		}
	}
}

// Retire drains s, replaced by next: its idle backend connections close
// now, removed members' requests are cut after their drain time, and the
// rest of its connections close once its in-flight requests are done, or
// when stop closes; then done, if not nil, runs. It returns at once; wg
// counts the work it leaves running.
func Retire(s, next *Snapshot, stop <-chan struct{}, wg *sync.WaitGroup, done func()) {
	s.pool.CloseIdle(false)
	var removed []*member
	for k, bs := range s.sets {
		keep := make(map[string]bool)
		if nbs := next.sets[k]; nbs != nil {
			for _, m := range nbs.members {
				keep[m.HostKey] = true
			}
		}
		for _, m := range bs.members {
			if !keep[m.HostKey] {
				removed = append(removed, m)
			}
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if done != nil {
			defer done()
		}
		defer s.Close()
		timers := make([]*time.Timer, 0, len(removed))
		for _, m := range removed {
			timers = append(timers, time.AfterFunc(m.set.setting.Drain, m.EndDrain))
		}
		defer func() {
			for _, t := range timers {
				t.Stop()
			}
		}()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				s.pool.CloseIdle(false)
				if s.inFlight() == 0 {
					return
				}
			}
		}
	}()
}

// Close ends what s still holds: every member's exchanges and connections.
func (s *Snapshot) Close() {
	for _, bs := range s.setList {
		for _, m := range bs.members {
			m.EndDrain()
		}
	}
	s.pool.CloseIdle(true)
}

// CheckTarget is a member of an HTTPS setting as the dry run checks it.
type CheckTarget struct {
	Pool, Setting string
	Member        *upstream.Member
	// ServerName is the SNI to check with ("" for none): the setting's
	// host name, the member's FQDN, or, when the setting takes its host
	// from each request, the probe's host.
	ServerName string
	// Trust is the setting's trust for ServerName, as the dry run uses it.
	Trust backendtls.Config
}

// CheckTargets lists every member of every HTTPS setting a rule uses.
func (s *Snapshot) CheckTargets() []CheckTarget {
	var out []CheckTarget
	for _, bs := range s.setList {
		if !bs.setting.HTTPS {
			continue
		}
		for _, m := range bs.members {
			t := CheckTarget{Pool: bs.pool, Setting: bs.setting.Name, Member: m.Member}
			if ep := m.Fixed(); ep != nil {
				t.ServerName = ep.SNI
			} else {
				t.ServerName = m.probeHost()
			}
			t.Trust = upstream.Trust(bs.setting.Trust, t.ServerName, upstream.UseCheck)
			out = append(out, t)
		}
	}
	return out
}
