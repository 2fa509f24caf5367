package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
	"github.com/e2etls/e2etls/probe"
)

// probeSeen is what a backend saw of one probe.
type probeSeen struct {
	path, host, sni, userAgent string
}

// probeRecorder records the requests it gets and answers them with its
// status, 200 unless set.
type probeRecorder struct {
	mu     sync.Mutex
	seen   []probeSeen
	status atomic.Int32
}

func (p *probeRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.seen = append(p.seen, probeSeen{r.URL.Path, r.Host, r.TLS.ServerName, r.UserAgent()})
	p.mu.Unlock()
	if s := p.status.Load(); s != 0 {
		w.WriteHeader(int(s))
	}
}

func (p *probeRecorder) requests() []probeSeen {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]probeSeen(nil), p.seen...)
}

// TestProbePointedElsewhere: a custom probe with a host, port and path of
// its own probes that endpoint, not the member's port, announces itself
// with the probe's User-Agent, and its answer alone decides the member's
// health.
func TestProbePointedElsewhere(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	var member, health probeRecorder
	backend := pki.StartBackend(t, &member, "api.internal")
	side := pki.StartBackend(t, &health, "health.internal")
	cfg := basicConfig(pki, "api.internal", backend.Member())
	cfg.BackendHTTPSettings[0].Probe = "side"
	p := hourProbe("side", "/healthz", 1)
	p.Host, p.Port = "health.internal", side.Port()
	cfg.Probes = []gateway.Probe{p}
	gw := gatewaytest.Start(t, cfg)
	awaitFirstProbe(t, gw.Gateway)

	assert.Empty(t, member.requests(), "the member's own port is not probed")
	require.Equal(t, []probeSeen{{"/healthz", "health.internal", "health.internal", probe.UserAgent()}}, health.requests())
	assert.True(t, strings.HasPrefix(probe.UserAgent(), "e2etls-probe/"), probe.UserAgent())
	assert.Equal(t, "Healthy", healthOf(t, gw.Gateway, backend.Addr).State)

	// The member answers traffic, but its probe endpoint says it is down.
	health.status.Store(http.StatusServiceUnavailable)
	gw.ProbeNow(context.Background())
	h := healthOf(t, gw.Gateway, backend.Addr)
	assert.Equal(t, "Unhealthy", h.State)
	assert.Equal(t, "status", h.ReasonCode)
	r := get(t, newClient(t, pki), gw.URL("web", "shop.example")+"/")
	assert.Equal(t, http.StatusBadGateway, r.status)
	assert.Equal(t, string(gateway.CodeNoHealthyBackend), r.header.Get(gateway.ErrorHeader))
	assert.Empty(t, member.requests(), "nothing reaches a member out of rotation")
}

// TestProbesOff: a setting with DisableProbe sends its members no probe,
// not even on ProbeNow; they are in rotation from the start, and traffic
// alone takes one out: a member that cannot be reached leaves rotation
// (the request is retried on another), and the next requests skip it.
func TestProbesOff(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	var seenA, seenB atomic.Int32
	counting := func(name string, n *atomic.Int32) http.Handler {
		echo := tlstest.EchoHandler(name)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			echo.ServeHTTP(w, r)
		})
	}
	a := pki.StartBackend(t, counting("a", &seenA), "api.internal")
	b := pki.StartBackend(t, counting("b", &seenB), "api.internal")
	cfg := basicConfig(pki, "api.internal", a.Member(), b.Member())
	cfg.BackendHTTPSettings[0].DisableProbe = true
	gw := gatewaytest.Start(t, cfg)

	gw.ProbeNow(context.Background())
	assert.Zero(t, seenA.Load()+seenB.Load(), "no probe reached a member")
	for _, m := range []*gatewaytest.Backend{a, b} {
		h := healthOf(t, gw.Gateway, m.Addr)
		assert.Equal(t, "Unknown", h.State)
		assert.Equal(t, "none", h.Probe)
	}

	b.Close()
	c := newClient(t, pki)
	for range 4 {
		resp, echo := getEcho(t, c, gw.URL("web", "shop.example")+"/")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "a", echo.Server)
	}
	h := healthOf(t, gw.Gateway, b.Addr)
	assert.Equal(t, "Unhealthy", h.State)
	assert.Equal(t, string(gateway.CodeBackendUnreachable), h.ReasonCode)
	assert.Contains(t, h.Reason, "connection refused")
	assert.Equal(t, "Unknown", healthOf(t, gw.Gateway, a.Addr).State)
	assert.EqualValues(t, 4, seenA.Load())

	cfg.BackendHTTPSettings[0].Probe = "p"
	cfg.Probes = []gateway.Probe{hourProbe("p", "/", 3)}
	_, err := gateway.New(cfg)
	require.EqualError(t, err, `gateway: backendHttpSetting "tls": probe "p" and disableProbe are exclusive: a setting with probes off has no probe`)
}
