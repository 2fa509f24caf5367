package gateway

import (
	"cmp"
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"
)

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
	var out []MemberHealth
	for _, r := range g.cur.Load().Report() {
		mh := MemberHealth{
			Pool: r.Pool, Setting: r.Setting, Member: r.Member,
			State: r.Health.State.String(), Reason: r.Health.Reason, ReasonCode: r.Code,
			Probe: cmp.Or(r.Probe, "default"), LastCheck: r.Health.LastCheck, Latency: r.Health.Latency,
			Certificate: peerSummary(r.Certificate),
		}
		if r.Stale != "" {
			if mh.Reason != "" {
				mh.Reason += "; "
			}
			mh.Reason += r.Stale
		}
		out = append(out, mh)
	}
	return out
}

// peerSummary describes a backend certificate for health reports.
func peerSummary(c *x509.Certificate) *CertificateSummary {
	if c == nil {
		return nil
	}
	return &CertificateSummary{Subject: c.Subject.String(), Issuer: c.Issuer.String(), NotAfter: c.NotAfter}
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

// ListenerCertificate is a listener's certificate as it is served now.
type ListenerCertificate struct {
	Listener    string `json:"listener"`
	Certificate string `json:"sslCertificate"`
	Subject     string `json:"subject"`
	Issuer      string `json:"issuer"`
	// NotAfter is the leaf's expiry.
	NotAfter time.Time `json:"notAfter"`
}

// ListenerCertificates reports the certificate of every HTTPS listener.
func (g *Gateway) ListenerCertificates() []ListenerCertificate {
	var out []ListenerCertificate
	for _, l := range g.cur.Load().Plan().Listeners {
		if l.TLS == nil || len(l.TLS.Certificates) == 0 || l.TLS.Certificates[0].Leaf == nil {
			continue
		}
		leaf := l.TLS.Certificates[0].Leaf
		out = append(out, ListenerCertificate{Listener: l.Name, Certificate: l.Certificate,
			Subject: leaf.Subject.String(), Issuer: leaf.Issuer.String(), NotAfter: leaf.NotAfter})
	}
	return out
}
