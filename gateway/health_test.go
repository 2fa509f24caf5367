package gateway_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
)

// healthzEcho echoes requests and answers /healthz with 200, or 503 while
// sick is set.
type healthzEcho struct {
	name string
	sick atomic.Bool
	hits atomic.Int32 // non-probe requests
}

func (h *healthzEcho) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" {
		if h.sick.Load() {
			http.Error(w, "sick", http.StatusServiceUnavailable)
		}
		return
	}
	h.hits.Add(1)
	tlstest.EchoHandler(h.name).ServeHTTP(w, r)
}

func TestUnhealthyMembersLeaveRotation(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	a, b := &healthzEcho{name: "a"}, &healthzEcho{name: "b"}
	ab := pki.StartBackend(t, a, "api.internal")
	bb := pki.StartBackend(t, b, "api.internal")
	a.sick.Store(true)
	cfg := basicConfig(pki, "api.internal", ab.Member(), bb.Member())
	cfg.Probes = []gateway.Probe{{Name: "healthz", Protocol: gateway.HTTPS, Path: "/healthz", Interval: 50 * time.Millisecond, Timeout: 2 * time.Second, UnhealthyThreshold: 2}}
	cfg.BackendHTTPSettings[0].Probe = "healthz"
	gw := gatewaytest.Start(t, cfg)
	c := newClient(t, pki)
	url := gw.URL("web", "shop.example") + "/"
	state := func(m *gatewaytest.Backend) func() string {
		return func() string { return healthOf(t, gw.Gateway, m.Addr).State }
	}
	waitState := func(m *gatewaytest.Backend, want string) {
		t.Helper()
		waitFor(t, m.Addr+" "+want, func() bool { return state(m)() == want })
	}

	waitState(ab, "Unhealthy")
	waitState(bb, "Healthy")
	h := healthOf(t, gw.Gateway, ab.Addr)
	assert.Equal(t, "status code 503 did not match the probe: expected 200-399", h.Reason)
	assert.Equal(t, "status", h.ReasonCode)
	before := a.hits.Load()
	for i := 0; i < 6; i++ {
		r := get(t, c, url)
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, "b", r.echo.Server)
	}
	assert.Equal(t, before, a.hits.Load(), "an unhealthy member got traffic")

	// None healthy: 502 naming the pool.
	b.sick.Store(true)
	waitState(bb, "Unhealthy")
	r := get(t, c, url)
	assert.Equal(t, http.StatusBadGateway, r.status)
	assert.Equal(t, "no-healthy-backend", r.header.Get("X-E2etls-Error"))
	assert.Equal(t, "e2etls", r.header.Get("Server"))
	assert.Contains(t, r.body, `no healthy member in pool "app" for setting "tls"`)
	assert.Contains(t, r.body, "status code 503 did not match the probe")

	// One success brings a member back.
	a.sick.Store(false)
	waitState(ab, "Healthy")
	h = healthOf(t, gw.Gateway, ab.Addr)
	assert.Empty(t, h.Reason)
	assert.Empty(t, h.ReasonCode)
	for i := 0; i < 3; i++ {
		r := get(t, c, url)
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, "a", r.echo.Server)
	}
}

func TestBackendHealthReport(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	a, b := &healthzEcho{name: "a"}, &healthzEcho{name: "b"}
	ab := pki.StartBackend(t, a, "api.internal")
	bb := pki.StartBackend(t, b, "api.internal")
	b.sick.Store(true)
	cfg := basicConfig(pki, "api.internal", ab.Member(), bb.Member())
	cfg.Probes = []gateway.Probe{hourProbe("healthz", "/healthz", 1)}
	cfg.BackendHTTPSettings[0].Probe = "healthz"
	// A second setting over the same pool, with the default probe: health
	// is per pool, setting and member.
	cfg.BackendHTTPSettings = append(cfg.BackendHTTPSettings, gateway.BackendHTTPSetting{
		Name: "plain-default", Protocol: gateway.HTTPS, Port: 443, HostName: "api.internal", TrustedRootCertificates: []string{"root"}})
	cfg.Listeners = append(cfg.Listeners, gateway.Listener{Name: "other", Protocol: gateway.HTTPS, Port: 444, SSLCertificate: "front"})
	cfg.Rules = append(cfg.Rules, gateway.Rule{Name: "other", Listener: "other", Pool: "app", BackendHTTPSetting: "plain-default"})
	gw := gatewaytest.Start(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	gw.ProbeNow(ctx)

	rows := gw.BackendHealth()
	require.Len(t, rows, 4)
	type key struct{ setting, member string }
	byKey := map[key]gateway.MemberHealth{}
	for _, h := range rows {
		assert.Equal(t, "app", h.Pool)
		byKey[key{h.Setting, h.Member}] = h
	}
	for _, tt := range []struct {
		setting, probe string
		member         *gatewaytest.Backend
		state, reason  string
		code           string
	}{
		{"tls", "healthz", ab, "Healthy", "", ""},
		{"tls", "healthz", bb, "Unhealthy", "status code 503 did not match the probe: expected 200-399", "status"},
		{"plain-default", "default", ab, "Healthy", "", ""},
		{"plain-default", "default", bb, "Healthy", "", ""}, // "/" answers 200
	} {
		h, ok := byKey[key{tt.setting, tt.member.Addr}]
		require.True(t, ok, "no row for %s %s", tt.setting, tt.member.Addr)
		assert.Equal(t, tt.probe, h.Probe)
		assert.Equal(t, tt.state, h.State)
		assert.Equal(t, tt.reason, h.Reason)
		assert.Equal(t, tt.code, h.ReasonCode)
		assert.False(t, h.LastCheck.Before(start.Add(-time.Second)), "last check %v", h.LastCheck)
		assert.False(t, h.LastCheck.After(time.Now()))
		assert.Positive(t, h.Latency)
		require.NotNil(t, h.Certificate)
		assert.Equal(t, tt.member.Cert.Certificate.Subject.String(), h.Certificate.Subject)
		assert.Equal(t, "CN=gatewaytest root", h.Certificate.Issuer)
		assert.True(t, tt.member.Cert.Certificate.NotAfter.Equal(h.Certificate.NotAfter))
	}

	handler := gw.HealthHandler()
	t.Run("JSON", func(t *testing.T) {
		for _, req := range []*http.Request{
			httptest.NewRequest(http.MethodGet, "/health", nil),
			httptest.NewRequest(http.MethodGet, "/health?format=json", nil),
		} {
			if req.URL.RawQuery == "" {
				req.Header.Set("Accept", "application/json")
			}
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, req)
			assert.Equal(t, http.StatusOK, rec.Code)
			assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			var doc struct {
				Members   []map[string]any `json:"members"`
				Listeners []map[string]any `json:"listeners"`
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &doc), rec.Body.String())
			got := doc.Members
			require.Len(t, got, 4)
			require.Len(t, doc.Listeners, 2)
			assert.Equal(t, "CN=shop.example", doc.Listeners[0]["subject"])
			var sick map[string]any
			for _, row := range got {
				if row["member"] == bb.Addr && row["backendHttpSetting"] == "tls" {
					sick = row
				}
			}
			require.NotNil(t, sick, rec.Body.String())
			assert.Equal(t, "app", sick["pool"])
			assert.Equal(t, "Unhealthy", sick["state"])
			assert.Equal(t, "status", sick["reasonCode"])
			assert.Equal(t, "healthz", sick["probe"])
			assert.Contains(t, sick["reason"], "status code 503")
			assert.NotEmpty(t, sick["lastCheck"])
			// The latency carries its unit.
			lat, err := time.ParseDuration(sick["latency"].(string))
			require.NoError(t, err, "latency %v", sick["latency"])
			assert.Positive(t, lat)
			cert, _ := sick["certificate"].(map[string]any)
			assert.Equal(t, "CN=api.internal", cert["subject"])
			assert.Equal(t, "CN=gatewaytest root", cert["issuer"])
		}
	})
	t.Run("HTML", func(t *testing.T) {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/health", nil))
		assert.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
		body := rec.Body.String()
		assert.Contains(t, body, "<table>")
		assert.Equal(t, 4, strings.Count(body, "<tr><td>app</td>"))
		assert.Contains(t, body, `<td class="Unhealthy">Unhealthy</td>`+"\n"+`<td class="reason">status code 503 did not match the probe: expected 200-399<br><span class="small">status</span></td>`)
		assert.Contains(t, body, "<td>"+bb.Addr+"</td>")
		assert.Contains(t, body, `CN=api.internal<br><span class="small">issued by CN=gatewaytest root`)
		// tlstest's certificates expire a day after they are made: in
		// red, as hours.
		assert.Regexp(t, `<span class="alarm">expires in 2[34] hours</span>`, body)
		assert.Contains(t, body, "<h2>Listener certificates</h2>")
	})
}

// verdict is what one path (traffic or probe) concluded about a backend:
// the reason's short name, "" for trusted.
type verdict struct {
	trusted bool
	reason  string
	message string
}

// proxyVerdict sends one request through a gateway serving cfg.
func proxyVerdict(t *testing.T, pki *gatewaytest.PKI, cfg gateway.Config) verdict {
	t.Helper()
	gw := gatewaytest.Start(t, cfg)
	c := newClient(t, pki)
	r := get(t, c, gw.URL("web", "shop.example")+"/")
	switch r.status {
	case http.StatusOK:
		return verdict{trusted: true}
	case http.StatusBadGateway:
		return verdict{reason: r.header.Get("X-E2etls-Error"), message: r.body}
	}
	t.Fatalf("proxy: status %d: %s", r.status, r.body)
	return verdict{}
}

// probeVerdict probes a gateway with cfg once, without any traffic.
func probeVerdict(t *testing.T, cfg gateway.Config) verdict {
	t.Helper()
	var logs logBuffer
	cfg.Logger = logs.logger()
	gw, err := gateway.New(cfg)
	require.NoError(t, err)
	defer gw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	gw.ProbeNow(ctx)
	rows := gw.BackendHealth()
	require.Len(t, rows, 1)
	h := rows[0]
	require.NotEqual(t, "Unknown", h.State)
	return verdict{trusted: h.State == "Healthy", reason: h.ReasonCode, message: h.Reason}
}

// TestTrafficAndProbesAgree is the proof that probes and traffic share one
// trust logic: for every backend certificate problem that a real handshake
// can show, a request through the proxy and a health probe, each in a
// gateway of its own, reach the same verdict for the same reason.
func TestTrafficAndProbesAgree(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	rogue := tlstest.NewRoot(tlstest.Options{CommonName: "rogue root", KeyType: tlstest.ECDSAP256})
	rsaRoot := tlstest.NewRoot(tlstest.Options{CommonName: "RSA root", KeyType: tlstest.RSA2048})
	issuing := pki.Root.NewIntermediate(tlstest.Options{CommonName: "Issuing CA", KeyType: tlstest.ECDSAP256})
	leaf := func(o tlstest.Options) *tlstest.Cert {
		if o.DNSNames == nil {
			o.DNSNames = []string{"api.internal"}
		}
		if o.KeyType == tlstest.RSA2048 {
			o.KeyType = tlstest.ECDSAP256 // distinct keys, so pins differ
		}
		return pki.Root.NewLeaf(o)
	}
	good := leaf(tlstest.Options{})
	other := leaf(tlstest.Options{})

	tests := []struct {
		name    string
		server  tlstest.ServerOptions // Certificate and versions; the echo handler
		setting func(*gateway.Config) // changes to basicConfig's setting and trust
		reason  string                // "" for trusted
		only    uint16                // run at this version only; 0 for both
		plain   bool                  // the backend speaks plain HTTP, not TLS
	}{
		{name: "trusted", server: tlstest.ServerOptions{Certificate: good.FullChain()}},
		{name: "trusted through an intermediate", server: tlstest.ServerOptions{
			Certificate: issuing.NewLeaf(tlstest.Options{DNSNames: []string{"api.internal"}, KeyType: tlstest.ECDSAP256}).FullChain()}},
		{name: "untrusted root", reason: "untrusted-root", server: tlstest.ServerOptions{
			Certificate: rogue.NewLeaf(tlstest.Options{DNSNames: []string{"api.internal"}, KeyType: tlstest.ECDSAP256}).TLSCertificate(rogue)}},
		{name: "intermediate missing", reason: "intermediate-missing", server: tlstest.ServerOptions{
			Certificate: issuing.NewLeaf(tlstest.Options{DNSNames: []string{"api.internal"}, KeyType: tlstest.ECDSAP256}).TLSCertificate()}},
		{name: "leaf not an authentication certificate", reason: "leaf-not-allowed",
			server: tlstest.ServerOptions{Certificate: good.FullChain()},
			setting: func(cfg *gateway.Config) {
				cfg.AuthenticationCertificates = []gateway.NamedCertificate{{Name: "auth", Certificate: other.Certificate}}
				cfg.BackendHTTPSettings[0].TrustedRootCertificates = nil
				cfg.BackendHTTPSettings[0].AuthenticationCertificates = []string{"auth"}
			}},
		{name: "authentication certificate", server: tlstest.ServerOptions{Certificate: good.FullChain()},
			setting: func(cfg *gateway.Config) {
				cfg.AuthenticationCertificates = []gateway.NamedCertificate{{Name: "auth", Certificate: good.Certificate}}
				cfg.BackendHTTPSettings[0].TrustedRootCertificates = nil
				cfg.BackendHTTPSettings[0].AuthenticationCertificates = []string{"auth"}
			}},
		{name: "pin mismatch", reason: "pin-mismatch", server: tlstest.ServerOptions{Certificate: good.FullChain()},
			setting: func(cfg *gateway.Config) {
				cfg.BackendHTTPSettings[0].PinnedPublicKeys = []backendtls.Pin{backendtls.PinOf(other.Certificate)}
			}},
		{name: "next key pinned", server: tlstest.ServerOptions{Certificate: good.FullChain()},
			setting: func(cfg *gateway.Config) {
				cfg.BackendHTTPSettings[0].PinnedPublicKeys = []backendtls.Pin{backendtls.PinOf(other.Certificate), backendtls.PinOf(good.Certificate)}
			}},
		{name: "host name mismatch", reason: "hostname-mismatch", server: tlstest.ServerOptions{
			Certificate: leaf(tlstest.Options{DNSNames: []string{"other.internal"}}).FullChain()}},
		{name: "expired", reason: "expired", server: tlstest.ServerOptions{
			Certificate: leaf(tlstest.Options{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)}).FullChain()}},
		{name: "not yet valid", reason: "not-yet-valid", server: tlstest.ServerOptions{
			Certificate: leaf(tlstest.Options{NotBefore: time.Now().Add(time.Hour), NotAfter: time.Now().Add(48 * time.Hour)}).FullChain()}},
		{name: "RSA 1024 key", reason: "weak-key", server: tlstest.ServerOptions{
			Certificate: pki.Root.NewLeaf(tlstest.Options{DNSNames: []string{"api.internal"}, KeyType: tlstest.RSA1024}).FullChain()}},
		{name: "SHA-1 signature", reason: "weak-signature",
			server: tlstest.ServerOptions{Certificate: rsaRoot.NewLeaf(tlstest.Options{DNSNames: []string{"api.internal"},
				KeyType: tlstest.ECDSAP256, SignatureAlgorithm: x509.SHA1WithRSA}).FullChain()},
			setting: func(cfg *gateway.Config) {
				cfg.TrustedRootCertificates = []gateway.NamedCertificate{{Name: "root", Certificate: rsaRoot.Certificate}}
			}},
		{name: "clientAuth-only key usage", reason: "key-usage", server: tlstest.ServerOptions{
			Certificate: leaf(tlstest.Options{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}).FullChain()}},
		{name: "backend speaks TLS 1.1 only", reason: "policy", only: tls.VersionTLS12, server: tlstest.ServerOptions{
			Certificate: good.FullChain(), MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}},
		{name: "backend's suites outside the policy", reason: "policy", only: tls.VersionTLS12, server: tlstest.ServerOptions{
			Certificate: good.FullChain(), MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}}},
		{name: "custom verifier refuses", reason: "custom", server: tlstest.ServerOptions{Certificate: good.FullChain()},
			setting: func(cfg *gateway.Config) {
				cfg.BackendHTTPSettings[0].Verifier = backendtls.VerifierFunc(func(cs tls.ConnectionState) error {
					return errors.New("serial number not on the allow list")
				})
			}},
		{name: "custom verifier accepts", server: tlstest.ServerOptions{Certificate: good.FullChain()},
			setting: func(cfg *gateway.Config) {
				cfg.BackendHTTPSettings[0].Verifier = backendtls.VerifierFunc(func(cs tls.ConnectionState) error {
					if cs.PeerCertificates[0].Subject.CommonName != "api.internal" {
						return fmt.Errorf("unexpected subject %s", cs.PeerCertificates[0].Subject)
					}
					return nil
				})
			}},
		// At TLS 1.2 a Go backend refuses a missing client certificate with
		// the handshake_failure alert, which also means "no common version,
		// suite or curve": backendtls reports policy, and its message names
		// both causes. At TLS 1.3 the refusal (certificate_required) arrives
		// after the gateway's side of the handshake has finished.
		{name: "backend requires a client certificate", reason: "handshake", server: tlstest.ServerOptions{
			Certificate: good.FullChain(), ClientCAs: rogue.Pool()}},
		{name: "backend speaks plain HTTP", reason: "handshake", plain: true},
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, tt := range tests {
			if tt.only != 0 && tt.only != v {
				continue
			}
			t.Run(tls.VersionName(v)+"/"+tt.name, func(t *testing.T) {
				var port int
				if tt.plain {
					srv := httptest.NewServer(tlstest.EchoHandler("plain"))
					t.Cleanup(srv.Close)
					port = srv.Listener.Addr().(*net.TCPAddr).Port
				} else {
					so := tt.server
					if so.MaxVersion == 0 {
						so.MaxVersion = v
					}
					srv := tlstest.NewServer(so)
					t.Cleanup(srv.Close)
					port = srv.Port()
				}
				want := tt.reason
				config := func(threshold int) gateway.Config {
					cfg := basicConfig(pki, "api.internal", gateway.Member{Address: "127.0.0.1", Port: port})
					cfg.Probes = []gateway.Probe{hourProbe("p", "/", threshold)}
					cfg.BackendHTTPSettings[0].Probe = "p"
					if tt.setting != nil {
						tt.setting(&cfg)
					}
					return cfg
				}
				// Traffic: a threshold the gateway's own first probe cannot
				// reach, so the request is judged by the data path alone.
				byProxy := proxyVerdict(t, pki, config(20))
				// Probes: a gateway that sees no traffic.
				byProbe := probeVerdict(t, config(1))

				assert.Equal(t, want == "", byProxy.trusted, "traffic: %s", byProxy.message)
				assert.Equal(t, want, byProxy.reason, "traffic: %s", byProxy.message)
				assert.Equal(t, want == "", byProbe.trusted, "probe: %s", byProbe.message)
				assert.Equal(t, want, byProbe.reason, "probe: %s", byProbe.message)
				if want != "" {
					assert.Contains(t, byProxy.message, "backendtls: ")
					assert.Contains(t, byProbe.message, "backendtls: ")
				}
			})
		}
	}
}
