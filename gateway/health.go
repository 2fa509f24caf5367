package gateway

import (
	"cmp"
	"context"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/e2etls/e2etls/internal/healthpage"
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
	// Probe names the custom probe, or "default", or "none" when the
	// setting's probes are off (DisableProbe).
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
	// Refused is set when the certificate failed verification (see the
	// member's Reason).
	Refused bool `json:"refused,omitempty"`
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
		if r.ProbeOff {
			mh.Probe = "none"
		}
		if mh.Certificate != nil {
			mh.Certificate.Refused = r.CertificateRefused
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

// MarshalJSON writes the health with its latency in words with a unit
// ("1.25ms"), as time.Duration prints it: a bare number of nanoseconds is
// what a reader gets wrong.
func (h MemberHealth) MarshalJSON() ([]byte, error) {
	type plain MemberHealth
	return json.Marshal(struct {
		plain
		Latency string `json:"latency"`
	}{plain(h), h.Latency.String()})
}

// HealthHandler serves BackendHealth as JSON when the request asks for it
// (Accept: application/json, or ?format=json): the members, and the
// listeners' certificates. Otherwise it serves a page for people: each
// member's state and reason, and each certificate's expiry as a countdown,
// marked from 30 days before it (warning) and from 7 days (alarm).
func (g *Gateway) HealthHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rows := g.BackendHealth()
		listeners := g.ListenerCertificates()
		w.Header().Set("Cache-Control", "no-store")
		if r.URL.Query().Get("format") == "json" || strings.Contains(r.Header.Get("Accept"), "application/json") {
			w.Header().Set("Content-Type", "application/json")
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			enc.Encode(struct {
				Members   []MemberHealth        `json:"members"`
				Listeners []ListenerCertificate `json:"listeners"`
			}{rows, listeners})
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		healthpage.Write(w, rows, listeners, time.Now())
	})
}

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
