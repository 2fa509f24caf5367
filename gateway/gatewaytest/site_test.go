package gatewaytest_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
)

// checkLeaks fails t if, after its cleanups and a bounded wait, more
// goroutines run than when it was called. Call it first.
func checkLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<20)
			t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
	})
}

// echoOf gets url through c and decodes the echo.
func echoOf(t *testing.T, c *http.Client, url string) tlstest.Echo {
	t.Helper()
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var e tlstest.Echo
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
	return e
}

// TestProxyDefaults: with no handler, one echo backend; with several,
// round-robin over them; the backend sees end-to-end TLS to backend.test
// and the gateway's forwarded headers, and no probe ever; the Config is
// the documented one, which Update changes.
func TestProxyDefaults(t *testing.T) {
	checkLeaks(t)
	t.Run("no handler", func(t *testing.T) {
		site := gatewaytest.Proxy(t)
		require.Len(t, site.Backends, 1)
		e := echoOf(t, site.Client(), site.URL+"/a?b=1")
		assert.Equal(t, "backend-0", e.Server)
		assert.Equal(t, "backend.test", e.SNI)
		assert.Equal(t, "backend.test", e.Host)
		assert.Equal(t, "/a", e.Path)
		assert.Equal(t, "https", e.Header.Get("X-Forwarded-Proto"))
		assert.Regexp(t, `^https://gateway\.test:\d+$`, site.URL)
	})
	t.Run("round-robin", func(t *testing.T) {
		site := gatewaytest.Proxy(t, nil, nil, nil)
		seen := map[string]int{}
		for range 6 {
			seen[echoOf(t, site.Client(), site.URL+"/").Server]++
		}
		assert.Equal(t, map[string]int{"backend-0": 2, "backend-1": 2, "backend-2": 2}, seen)
		site.Gateway.ProbeNow(context.Background())
		for _, b := range site.Backends {
			assert.Equal(t, 1, b.Handshakes(), "%s: the gateway's one pooled connection; a probe would have handshaken afresh", b.Addr)
		}
	})
	t.Run("update", func(t *testing.T) {
		site := gatewaytest.Proxy(t)
		cfg := site.Gateway.Config
		cfg.BackendHTTPSettings[0].Path = "/v2/"
		require.NoError(t, site.Gateway.Update(cfg))
		assert.Equal(t, "/v2/x", echoOf(t, site.Client(), site.URL+"/x").Path)
	})
}

// TestNewSite: the site without a test, closed by its caller, leaves no
// goroutine behind.
func TestNewSite(t *testing.T) {
	checkLeaks(t)
	site, err := gatewaytest.NewSite(slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	assert.Equal(t, "backend-0", echoOf(t, site.Client(), site.URL+"/").Server)
	require.NoError(t, site.Close())
}
