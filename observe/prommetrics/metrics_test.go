package prommetrics_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
	"github.com/e2etls/e2etls/observe"
	"github.com/e2etls/e2etls/observe/prommetrics"
)

// scrape fetches the metrics over HTTP, as Prometheus does, and parses them.
func scrape(t *testing.T, url string) (map[string]*dto.MetricFamily, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	require.NoError(t, err)
	return families, body
}

// value is the value of the series of family whose labels include want,
// and whether there is one.
func value(families map[string]*dto.MetricFamily, family string, want map[string]string) (float64, bool) {
	f := families[family]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

// TestMetrics runs a gateway with Metrics as its observer over real TLS on
// loopback: requests are counted by route and status class with their
// backend timings; a backend whose certificate is rotated changes its
// expiry series; a backend that fails verification increments its reason's
// counters; a reload is counted. The exposition passes promtool's checks.
func TestMetrics(t *testing.T) {
	pki := gatewaytest.NewPKI()
	first := time.Now().Add(90 * 24 * time.Hour).Truncate(time.Second)
	second := time.Now().Add(400 * 24 * time.Hour).Truncate(time.Second)
	leaf := func(notAfter time.Time, issuer *tlstest.Cert) tls.Certificate {
		return issuer.NewLeaf(tlstest.Options{DNSNames: []string{"api.internal"}, KeyType: tlstest.ECDSAP256, NotAfter: notAfter}).TLSCertificate(issuer)
	}
	srv := tlstest.NewServer(tlstest.ServerOptions{Name: "api", Certificate: leaf(first, pki.Root)})
	t.Cleanup(srv.Close)
	member := srv.Addr

	m := prommetrics.New()
	cfg := gateway.Config{
		SSLCertificates:         []gateway.SSLCertificate{pki.SSLCertificate("front", "shop.example")},
		TrustedRootCertificates: []gateway.NamedCertificate{pki.TrustedRoot("root")},
		Listeners:               []gateway.Listener{{Name: "web", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "front"}},
		Pools:                   []gateway.Pool{{Name: "app", Members: []gateway.Member{{Address: "127.0.0.1", Port: srv.Port()}}}},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{{Name: "tls", Protocol: gateway.HTTPS, Port: 443,
			HostName: "api.internal", TrustedRootCertificates: []string{"root"}, Probe: "p"}},
		// A probe's failure alone does not take a member out of rotation,
		// so the refused member below is refused by a request's handshake
		// whether or not its first probe ran before.
		Probes:   []gateway.Probe{{Name: "p", Protocol: gateway.HTTPS, Path: "/", Interval: time.Hour, UnhealthyThreshold: 20}},
		Rules:    []gateway.Rule{{Name: "all", Listener: "web", Pool: "app", BackendHTTPSetting: "tls"}},
		Observer: m,
	}
	gw := gatewaytest.Start(t, cfg)
	m.Attach(gw.Gateway)
	ms := &http.Server{Handler: m.Handler()}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go ms.Serve(ln)
	t.Cleanup(func() { ms.Close() })
	metricsURL := "http://" + ln.Addr().String() + "/metrics"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	gw.ProbeNow(ctx)

	c := pki.Client()
	defer c.CloseIdleConnections()
	for i := 0; i < 3; i++ {
		resp, err := c.Get(gw.URL("web", "shop.example") + "/ok")
		require.NoError(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	route := map[string]string{"listener": "web", "rule": "all", "pool": "app", "setting": "tls"}
	fam, body := scrape(t, metricsURL)
	promtool(t, body)
	n, ok := value(fam, "e2etls_requests_total", with(route, "status_class", "2xx"))
	assert.True(t, ok)
	assert.Equal(t, 3.0, n)
	n, _ = value(fam, "e2etls_backend_first_byte_seconds", map[string]string{"pool": "app", "setting": "tls"})
	assert.Equal(t, 3.0, n, "three first-byte samples")
	n, _ = value(fam, "e2etls_backend_connect_seconds", map[string]string{"pool": "app", "setting": "tls"})
	assert.Equal(t, 1.0, n, "one new backend connection, reused twice")
	n, _ = value(fam, "e2etls_frontend_handshakes_total", map[string]string{"listener": "web", "result": "ok", "version": "TLSv1_3"})
	assert.GreaterOrEqual(t, n, 1.0)
	n, _ = value(fam, "e2etls_backend_members", map[string]string{"pool": "app", "setting": "tls", "state": "healthy"})
	assert.Equal(t, 1.0, n)
	notAfter, ok := value(fam, "e2etls_backend_certificate_not_after_seconds", map[string]string{"pool": "app", "setting": "tls", "member": member})
	require.True(t, ok)
	assert.Equal(t, float64(first.Unix()), notAfter)
	listenerNotAfter, ok := value(fam, "e2etls_listener_certificate_not_after_seconds", map[string]string{"listener": "web", "certificate": "front"})
	require.True(t, ok)
	assert.Greater(t, listenerNotAfter, float64(time.Now().Unix()))

	// Rotation: the member presents a certificate that expires later; the
	// next probe's handshake moves the series.
	srv.SetCertificate(leaf(second, pki.Root))
	gw.ProbeNow(ctx)
	fam, _ = scrape(t, metricsURL)
	notAfter, _ = value(fam, "e2etls_backend_certificate_not_after_seconds", map[string]string{"pool": "app", "setting": "tls", "member": member})
	assert.Equal(t, float64(second.Unix()), notAfter, "the expiry series follows the rotation")

	// A member whose certificate comes from another root: the data path
	// refuses it before any request reaches it.
	rogue := tlstest.NewRoot(tlstest.Options{CommonName: "Rogue Root", KeyType: tlstest.ECDSAP256})
	bad := tlstest.NewServer(tlstest.ServerOptions{Name: "rogue", Certificate: leaf(second, rogue)})
	t.Cleanup(bad.Close)
	next := gw.Config
	next.Pools = []gateway.Pool{{Name: "app", Members: []gateway.Member{{Address: "127.0.0.1", Port: bad.Port()}}}}
	require.NoError(t, gw.Update(next))
	before, _ := value(fam, "e2etls_backend_handshakes_total", map[string]string{"pool": "app", "setting": "tls", "use": "traffic", "result": "untrusted-root"})
	require.Zero(t, before)
	resp, err := c.Get(gw.URL("web", "shop.example") + "/refused")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadGateway, resp.StatusCode)
	fam, body = scrape(t, metricsURL)
	promtool(t, body)
	after, _ := value(fam, "e2etls_backend_handshakes_total", map[string]string{"pool": "app", "setting": "tls", "use": "traffic", "result": "untrusted-root"})
	assert.Equal(t, before+1, after, "the reason's handshake counter")
	n, _ = value(fam, "e2etls_request_failures_total", with(route, "code", "untrusted-root"))
	assert.Equal(t, 1.0, n, "the reason's request counter")
	n, _ = value(fam, "e2etls_backend_members", map[string]string{"pool": "app", "setting": "tls", "state": "unhealthy"})
	assert.Equal(t, 1.0, n, "out of rotation")
	n, _ = value(fam, "e2etls_config_reloads_total", map[string]string{"source": "update", "result": "ok"})
	assert.Equal(t, 1.0, n)
	n, _ = value(fam, "e2etls_config_generation", nil)
	assert.Equal(t, 2.0, n)
}

func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for a, b := range m {
		out[a] = b
	}
	return out
}

// promtool checks an exposition with Prometheus's own linter when promtool
// is installed (CI installs it and sets E2ETLS_REQUIRE_PROMTOOL).
func promtool(t *testing.T, exposition []byte) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("E2ETLS_REQUIRE_PROMTOOL") != "" {
			t.Fatalf("promtool is required (E2ETLS_REQUIRE_PROMTOOL is set): %v", err)
		}
		t.Log("promtool not installed: the exposition is not linted")
		return
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = bytes.NewReader(exposition)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "promtool check metrics:\n%s", out)
	assert.Empty(t, strings.TrimSpace(string(out)), "promtool's findings")
}

// BenchmarkRequest is the cost of counting one request, from every core at
// once.
func BenchmarkRequest(b *testing.B) {
	m := prommetrics.New()
	ev := observe.Request{Listener: "web", Rule: "all", Pool: "app", Setting: "tls", Method: "GET", Proto: "HTTP/1.1",
		Status: 200, Received: 0, Sent: 1024, Duration: 300 * time.Microsecond,
		BackendFirstByte: 200 * time.Microsecond, BackendLastByte: 250 * time.Microsecond}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Request(ev)
		}
	})
}
