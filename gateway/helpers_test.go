package gateway_test

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
)

// checkLeaks records the number of goroutines now and, when the test ends
// (after every cleanup registered later: gateways, backends, clients), fails
// it if more are left after a bounded wait. Call it first in a test; tests
// that use it must not run in parallel.
func checkLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<20)
			t.Errorf("%d goroutines before, %d after the test:\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
	})
}

// newClient is pki.Client() whose idle connections close when the test ends.
func newClient(t *testing.T, pki *gatewaytest.PKI) *http.Client {
	c := pki.Client()
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// newH1Client is newClient restricted to HTTP/1.1 (ALPN http/1.1 only).
func newH1Client(t *testing.T, pki *gatewaytest.PKI) *http.Client {
	c := newClient(t, pki)
	tr := c.Transport.(*http.Transport)
	tr.ForceAttemptHTTP2 = false
	tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
	return c
}

// result is a response with its body read.
type result struct {
	status int
	header http.Header
	body   string
	echo   tlstest.Echo // decoded when the body is an echo
	resp   *http.Response
}

// do sends req and reads the whole response.
func do(t *testing.T, c *http.Client, req *http.Request) result {
	t.Helper()
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	r := result{status: resp.StatusCode, header: resp.Header, body: string(body), resp: resp}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(t, json.Unmarshal(body, &r.echo), "body: %s", body)
	}
	return r
}

// get sends GET url with the given header lines ("Name", "value", ...).
func get(t *testing.T, c *http.Client, url string, header ...string) result {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	return do(t, c, req)
}

// startEcho starts a backend for names that echoes requests as server name.
func startEcho(t *testing.T, pki *gatewaytest.PKI, name string, names ...string) *gatewaytest.Backend {
	return pki.StartBackend(t, tlstest.EchoHandler(name), names...)
}

// hourProbe is a custom HTTPS probe that probes once at start (and on
// ProbeNow) and then every hour, with the given threshold and path.
func hourProbe(name, path string, threshold int) gateway.Probe {
	return gateway.Probe{Name: name, Protocol: gateway.HTTPS, Path: path, Interval: time.Hour, UnhealthyThreshold: threshold}
}

// waitFor polls cond every 10 ms for at most 5 s and fails the test if it
// never holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// healthOf returns the BackendHealth row of member (address:port).
func healthOf(t *testing.T, gw *gateway.Gateway, member string) gateway.MemberHealth {
	t.Helper()
	for _, h := range gw.BackendHealth() {
		if h.Member == member {
			return h
		}
	}
	t.Fatalf("no health row for member %s in %+v", member, gw.BackendHealth())
	return gateway.MemberHealth{}
}

// awaitFirstProbe waits (bounded) until every member has been probed once:
// the monitor probes at start, and a test that then changes a member's
// health must not race that first result.
func awaitFirstProbe(t *testing.T, gw *gateway.Gateway) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		done := true
		for _, h := range gw.BackendHealth() {
			done = done && !h.LastCheck.IsZero()
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("members not probed within 10s: %+v", gw.BackendHealth())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// frontends are the frontend servers the frontend suites run against: the
// gateway's own, and net/http's, which is their reference.
var frontends = []struct {
	name string
	fe   gateway.Frontend
}{{"own", gateway.FrontendOwn}, {"nethttp", gateway.FrontendNetHTTP}}

// eachFrontend runs f as a subtest per frontend. Where the two servers
// differ, the test states each one's behaviour (see byFrontend).
func eachFrontend(t *testing.T, f func(t *testing.T, fe gateway.Frontend)) {
	t.Helper()
	for _, x := range frontends {
		t.Run(x.name, func(t *testing.T) { f(t, x.fe) })
	}
}

// byFrontend returns own for the gateway's own servers and netHTTP for
// net/http's: what a test expects where the two differ.
func byFrontend[T any](fe gateway.Frontend, own, netHTTP T) T {
	if fe == gateway.FrontendNetHTTP {
		return netHTTP
	}
	return own
}

// startWith is gatewaytest.Start with cfg served by the frontend fe.
func startWith(t *testing.T, fe gateway.Frontend, cfg gateway.Config) *gatewaytest.Gateway {
	t.Helper()
	cfg.Frontend = fe
	return gatewaytest.Start(t, cfg)
}
