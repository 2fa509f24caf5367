package gateway

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/probe"
)

// buildProbe prepares a member's health probe: Host and SNI are the custom
// probe's host, else the setting's host name, else the member's FQDN; an IP
// address is never sent as SNI. The probe's TLS configuration comes from the
// same backendtls.Config as the data path's, with the probe's own SNI, and
// its transport never reuses connections, so every probe re-verifies.
func (s *snapshot) buildProbe(m *memberState) error {
	st := m.set.setting
	host := ""
	switch {
	case st.probeHost != "":
		host = st.probeHost
	case st.cfg.HostName != "":
		host = st.cfg.HostName
	case !m.ip:
		host = m.address
	}
	host = strings.TrimSuffix(host, ".")
	header := host
	if header == "" {
		header = defaultProbeHost
	}
	var tc *tls.Config
	if st.https {
		c := st.trust
		c.ServerName = host
		if st.probeHost == "" && st.cfg.ServerName != "" {
			c.ServerName = strings.TrimSuffix(st.cfg.ServerName, ".")
		}
		var err error
		if tc, err = c.ClientConfig(); err != nil {
			if host == "" {
				return fmt.Errorf("the health probe has no host name to send as SNI and verify: the member is an IP address and the setting takes its host from each client request; give the probe a host or set the setting's hostName: %w", err)
			}
			return fmt.Errorf("health probe: %w", err)
		}
		// Every probe is a full handshake, so that it sees the certificate
		// the member presents now: a resumed session would verify the one
		// it presented when the session began. And a probe speaks
		// HTTP/1.1, whatever the setting offers the data path.
		tc.ClientSessionCache = nil
		// Remember the leaf the member presents, before it is judged, so the
		// health report can show a refused certificate too.
		verify, seen := tc.VerifyConnection, &m.code.seen
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) > 0 {
				seen.Store(cs.PeerCertificates[0])
			}
			if verify == nil { // InsecureSkipVerify: nothing to check
				return nil
			}
			return verify(cs)
		}
		tc.NextProtos = []string{"http/1.1"}
	}
	m.probe = probe.Target{
		Name:      m.set.pool + "/" + st.cfg.Name + "/" + m.hostKey,
		Address:   m.hostKey,
		Host:      header,
		Transport: s.env.probeTransport(m, tc, probeTimeout(st.probe)),
	}
	return nil
}

// stopProbeDials cancels the dials and handshakes that s's probes left
// running once their monitor has closed: net/http detaches dials from the
// probe's context, so they would otherwise last until the probe timeout.
func stopProbeDials(s *snapshot) {
	for _, bs := range s.setList {
		for _, m := range bs.members {
			if t, ok := m.probe.Transport.(interface{ CloseIdleConnections() }); ok {
				t.CloseIdleConnections()
			}
		}
	}
}

// resultCode is the short name of a probe's outcome: "" when healthy, the
// backendtls reason of a verification failure (the name the data path puts
// in X-E2etls-Error), else the probe's Kind.
func resultCode(r probe.Result) string {
	if r.Healthy {
		return ""
	}
	if reason, ok := backendtls.ReasonOf(r.Err); ok {
		return reason.String()
	}
	return r.Kind.String()
}

// probeTimeout is the timeout of a probe with spec.
func probeTimeout(spec probe.Spec) time.Duration {
	if spec.Timeout <= 0 {
		return probe.DefaultTimeout
	}
	return spec.Timeout
}

// startProbes starts probing every member of s.
func (g *Gateway) startProbes(s *snapshot) *probe.Monitor {
	var entries []probe.Entry
	for _, bs := range s.setList {
		for _, m := range bs.members {
			code := m.code
			entries = append(entries, probe.Entry{Target: m.probe, Spec: bs.setting.probe, Health: m.health,
				OnResult: func(r probe.Result) { code.set(resultCode(r)) }})
		}
	}
	mon := probe.NewMonitor(entries)
	mon.Start()
	return mon
}

// MemberHealth is the health of one pool member under one backend setting,
// like a row of Azure's backend health view.
type MemberHealth struct {
	Pool    string `json:"pool"`
	Setting string `json:"backendHttpSetting"`
	// Member is the member's address and port.
	Member string `json:"member"`
	// State is "Healthy", "Unhealthy" or "Unknown" (not probed yet; in
	// rotation).
	State string `json:"state"`
	// Reason says why the member is unhealthy, or what its last probe
	// found; empty when healthy.
	Reason string `json:"reason,omitempty"`
	// ReasonCode is Reason's short name, empty when Reason is: for a
	// backend that failed verification, the backendtls reason
	// ("untrusted-root", "hostname-mismatch", ...), the name the data path
	// puts in X-E2etls-Error for the same failure; otherwise the probe's
	// outcome ("timeout", "connect", "dns", "status", "body", "tls",
	// "other"), or "backend-aborted" when the data path saw a response
	// broken off.
	ReasonCode string `json:"reasonCode,omitempty"`
	// Probe names the custom probe, or "default".
	Probe     string        `json:"probe"`
	LastCheck time.Time     `json:"lastCheck,omitzero"`
	Latency   time.Duration `json:"latency"`
	// Certificate describes the member's leaf certificate: the one refused
	// by the last failed verification (probe or traffic), else the one its
	// last successful TLS probe saw. Nil before any handshake.
	Certificate *CertificateSummary `json:"certificate,omitempty"`
}

// CertificateSummary describes a backend's certificate.
type CertificateSummary struct {
	Subject  string    `json:"subject"`
	Issuer   string    `json:"issuer"`
	NotAfter time.Time `json:"notAfter"`
}

// BackendHealth reports every member of every pool under every backend
// setting that a rule uses.
func (g *Gateway) BackendHealth() []MemberHealth {
	s := g.snap.Load()
	var out []MemberHealth
	for _, bs := range s.setList {
		for _, m := range bs.members {
			sn := m.health.Snapshot()
			mh := MemberHealth{
				Pool: bs.pool, Setting: bs.setting.cfg.Name, Member: m.hostKey,
				State: sn.State.String(), Reason: sn.Reason, Probe: bs.setting.probeName,
				LastCheck: sn.LastCheck, Latency: sn.Latency, Certificate: peerSummary(cmp.Or(m.code.seen.Load(), sn.Peer)),
			}
			if mh.Reason != "" {
				mh.ReasonCode = m.code.get()
			}
			if mh.Probe == "" {
				mh.Probe = "default"
			}
			if stale := g.env.resolver.staleReason(m.address); stale != "" {
				if mh.Reason != "" {
					mh.Reason += "; "
				}
				mh.Reason += stale
			}
			out = append(out, mh)
		}
	}
	return out
}

// HealthHandler serves BackendHealth as JSON when the request asks for it
// (Accept: application/json, or ?format=json) and as a small HTML page
// otherwise.
func (g *Gateway) HealthHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rows := g.BackendHealth()
		w.Header().Set("Cache-Control", "no-store")
		if r.URL.Query().Get("format") == "json" || strings.Contains(r.Header.Get("Accept"), "application/json") {
			w.Header().Set("Content-Type", "application/json")
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			enc.Encode(rows)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		healthPage.Execute(w, rows)
	})
}

var healthPage = template.Must(template.New("health").Funcs(template.FuncMap{
	"ms": func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) },
	"t": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format(time.RFC3339)
	},
}).Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Backend health</title>
<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
.Healthy{color:#070}.Unhealthy{color:#b00}.Unknown{color:#777}</style></head>
<body><h1>Backend health</h1>
<table><tr><th>Pool</th><th>Setting</th><th>Member</th><th>State</th><th>Reason</th><th>Probe</th><th>Last check</th><th>Latency</th><th>Certificate</th></tr>
{{range .}}<tr><td>{{.Pool}}</td><td>{{.Setting}}</td><td>{{.Member}}</td><td class="{{.State}}">{{.State}}</td><td>{{.Reason}}</td><td>{{.Probe}}</td><td>{{t .LastCheck}}</td><td>{{ms .Latency}}</td>
<td>{{with .Certificate}}{{.Subject}}<br>issued by {{.Issuer}}<br>expires {{t .NotAfter}}{{end}}</td></tr>
{{end}}</table></body></html>
`))

// ProbeNow probes every member once, now, and returns when every probe has
// finished or ctx ends: a readiness check before serving, or a way to see
// fresh health without waiting for the next interval.
func (g *Gateway) ProbeNow(ctx context.Context) {
	g.mu.Lock()
	mon := g.monitor
	g.mu.Unlock()
	if mon != nil {
		mon.CheckAll(ctx)
	}
}
