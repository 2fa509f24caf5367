package gateway_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
)

// TestClientChosenHostsCannotLockOutAMember: when the SNI comes from the
// client's Host (no host name in the setting), a client that sends Hosts the
// backend's certificate does not cover neither takes the member out of
// rotation for everyone nor fills its table of endpoints.
func TestClientChosenHostsCannotLockOutAMember(t *testing.T) {
	pki := gatewaytest.NewPKI()
	backend := pki.StartBackend(t, nil, "shop.example")
	cfg := basicConfig(pki, "", backend.Member())
	cfg.SSLCertificates = []gateway.SSLCertificate{pki.SSLCertificate("front", "shop.example", "*.junk.example")}
	cfg.Probes = []gateway.Probe{hourProbe("p", "/", 3)}
	cfg.Probes[0].Host = "shop.example"
	cfg.BackendHTTPSettings[0].Probe = "p"
	gw := gatewaytest.Start(t, cfg)
	client := pki.Client()
	get := func(host string) *http.Response {
		t.Helper()
		resp, err := client.Get(gw.URL("web", host) + "/")
		require.NoError(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for i := 0; i < 300; i++ { // more distinct hosts than a member keeps endpoints for
		resp := get("h" + strconv.Itoa(i) + ".junk.example")
		require.Equal(t, http.StatusBadGateway, resp.StatusCode)
		require.Equal(t, "hostname-mismatch", resp.Header.Get("X-E2etls-Error"))
	}
	resp := get("shop.example")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the legitimate host was locked out: %s", resp.Header.Get("X-E2etls-Error"))
	h := gw.BackendHealth()
	require.Len(t, h, 1)
	assert.NotEqual(t, "Unhealthy", h[0].State)
}

// TestFrontendSessionsResumeAcrossUpdate: TLS sessions survive a
// configuration swap (the ticket keys belong to the port, not to a
// generation).
func TestFrontendSessionsResumeAcrossUpdate(t *testing.T) {
	pki := gatewaytest.NewPKI()
	backend := pki.StartBackend(t, nil, "api.internal")
	cfg := basicConfig(pki, "api.internal", backend.Member())
	gw := gatewaytest.Start(t, cfg)
	client := pki.Client()
	tr := client.Transport.(*http.Transport)
	tr.TLSClientConfig.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	tr.DisableKeepAlives = true
	get := func() *http.Response {
		t.Helper()
		resp, err := client.Get(gw.URL("web", "shop.example") + "/")
		require.NoError(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		return resp
	}
	get()
	assert.True(t, get().TLS.DidResume, "no resumption before Update")
	require.NoError(t, gw.Update(gw.Config))
	assert.True(t, get().TLS.DidResume, "no resumption after Update")
}

// TestHealthShowsARefusedCertificate: the health report names the
// certificate a member presented even when the probe refused it.
func TestHealthShowsARefusedCertificate(t *testing.T) {
	pki := gatewaytest.NewPKI()
	rogue := gatewaytest.NewPKI()
	backend := rogue.StartBackend(t, nil, "api.internal")
	cfg := basicConfig(pki, "api.internal", backend.Member())
	cfg.Probes = []gateway.Probe{hourProbe("p", "/", 1)}
	cfg.BackendHTTPSettings[0].Probe = "p"
	gw := gatewaytest.Start(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	gw.ProbeNow(ctx)
	h := gw.BackendHealth()
	require.Len(t, h, 1)
	assert.Equal(t, "Unhealthy", h[0].State)
	require.NotNil(t, h[0].Certificate, "no certificate in the health report")
	assert.Equal(t, "CN=api.internal", h[0].Certificate.Subject)
	assert.Equal(t, "CN=gatewaytest root", h[0].Certificate.Issuer)
	assert.True(t, h[0].Certificate.Refused, "the report says the certificate was refused")

	// A trusted one, after the backend changes it, is no longer marked.
	backend.SetCertificate(pki.Leaf("api.internal").FullChain())
	gw.ProbeNow(ctx)
	h = gw.BackendHealth()
	assert.Equal(t, "Healthy", h[0].State)
	assert.False(t, h[0].Certificate.Refused)
}

// TestIdempotentRequestRetriedAfterBrokenConnection: a member that takes the
// request and drops the connection without answering (as one restarting
// does) costs an idempotent request nothing: it is retried on another
// member. A POST, which may have had effects, is not.
func TestIdempotentRequestRetriedAfterBrokenConnection(t *testing.T) {
	pki := gatewaytest.NewPKI()
	var dropped atomic.Int32
	broken := pki.StartBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" { // the probe
			return
		}
		dropped.Add(1)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}), "api.internal")
	good := pki.StartBackend(t, nil, "api.internal")
	cfg := basicConfig(pki, "api.internal", broken.Member(), good.Member())
	cfg.Probes = []gateway.Probe{hourProbe("p", "/", 3)}
	cfg.BackendHTTPSettings[0].Probe = "p"
	gw := gatewaytest.Start(t, cfg)
	client := pki.Client()
	for i := 0; i < 4; i++ { // round-robin reaches the broken member first at least once
		resp, err := client.Get(gw.URL("web", "shop.example") + "/orders")
		require.NoError(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, "GET %d: %s", i, resp.Header.Get("X-E2etls-Error"))
	}
	require.NotZero(t, dropped.Load(), "the broken member was never tried; the test proves nothing")

	failed := 0
	for i := 0; i < 4; i++ {
		resp, err := client.Post(gw.URL("web", "shop.example")+"/orders", "text/plain", nil)
		require.NoError(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusBadGateway {
			failed++
		}
	}
	assert.NotZero(t, failed, "a POST the broken member dropped was replayed on another member")
}

// TestAffinityCookieOfUnhealthyMemberFallsBack: a cookie naming a member out
// of rotation is not honoured: the request goes to a healthy member, which
// sets its own cookie. The CORS cookie alone (what a cross-site request
// carries) pins like the base cookie.
func TestAffinityCookieOfUnhealthyMemberFallsBack(t *testing.T) {
	pki := gatewaytest.NewPKI()
	var aDown atomic.Bool
	echo := func(name string, down *atomic.Bool) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/healthz" && down != nil && down.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			tlstest.EchoHandler(name).ServeHTTP(w, r)
		})
	}
	a := pki.StartBackend(t, echo("a", &aDown), "api.internal")
	b := pki.StartBackend(t, echo("b", nil), "api.internal")
	cfg := basicConfig(pki, "api.internal", a.Member(), b.Member())
	cfg.BackendHTTPSettings[0].CookieBasedAffinity = true
	cfg.Probes = []gateway.Probe{hourProbe("p", "/healthz", 1)}
	cfg.BackendHTTPSettings[0].Probe = "p"
	gw := gatewaytest.Start(t, cfg)
	pctx, pcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer pcancel()
	gw.ProbeNow(pctx) // settle probe results before the test changes health
	client := pki.Client()
	url := gw.URL("web", "shop.example") + "/"
	send := func(cookie string) (server string, setCookie []string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, url, nil)
		require.NoError(t, err)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var e tlstest.Echo
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
		return e.Server, resp.Header.Values("Set-Cookie")
	}
	// Learn a's cookie value.
	var aValue string
	for i := 0; i < 4 && aValue == ""; i++ {
		if server, set := send(""); server == "a" {
			aValue = strings.TrimPrefix(strings.Split(set[0], ";")[0], "ApplicationGatewayAffinity=")
		}
	}
	require.NotEmpty(t, aValue, "round robin never reached a")

	for i := 0; i < 3; i++ {
		server, set := send("ApplicationGatewayAffinityCORS=" + aValue)
		assert.Equal(t, "a", server, "the CORS cookie alone did not pin")
		assert.Empty(t, set, "a pinned request was re-cookied")
	}

	aDown.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	gw.ProbeNow(ctx)
	for i := 0; i < 3; i++ {
		server, set := send("ApplicationGatewayAffinity=" + aValue)
		assert.Equal(t, "b", server, "the cookie of an unhealthy member was honoured")
		require.NotEmpty(t, set, "the fallback member set no cookie")
		assert.NotContains(t, set[0], aValue)
	}
}
