//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package gateway_test

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
)

// TestReusePort: two gateways with ReusePort bind the same port with
// ListenAndServe, as two processes of one machine would, and the kernel
// spreads new connections between them (each gateway here reaches its own
// backend, so the echo tells which one served); without ReusePort the
// second one fails and names the port; Update cannot change it.
func TestReusePort(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	port := freePort(t)
	start := func(name string, reuse bool) *gateway.Gateway {
		backend := pki.StartBackend(t, tlstest.EchoHandler(name), "api.internal")
		cfg := basicConfig(pki, "api.internal", backend.Member())
		cfg.Listeners[0].Port, cfg.Listeners[0].Address = port, "127.0.0.1"
		cfg.ReusePort = reuse
		cfg.DetailedErrors = true
		gw, err := gateway.New(cfg)
		require.NoError(t, err)
		served := make(chan error, 1)
		go func() { served <- gw.ListenAndServe() }()
		t.Cleanup(func() {
			gw.Close()
			select {
			case err := <-served:
				assert.ErrorIs(t, err, gateway.ErrGatewayClosed)
			case <-time.After(5 * time.Second):
				t.Error("ListenAndServe did not return after Close")
			}
		})
		return gw
	}
	first := start("first", true)
	start("second", true)

	url := fmt.Sprintf("https://shop.example:%d/", port)
	seen := map[string]int{}
	for i := 0; i < 64 && len(seen) < 2; i++ {
		c := pki.Client()
		c.Transport.(*http.Transport).DisableKeepAlives = true
		var resp *http.Response
		var echo tlstest.Echo
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			// The gateways may not have bound the port yet.
			if nc, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
				nc.Close()
				break
			}
			require.True(t, time.Now().Before(deadline), "the gateways never bound port %d", port)
		}
		resp, echo = getEcho(t, c, url)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		seen[echo.Server]++
	}
	assert.Len(t, seen, 2, "new connections reached both gateways: %v", seen)

	// Without ReusePort, the port is taken.
	cfg := basicConfig(pki, "api.internal", gateway.Member{Address: "127.0.0.1", Port: 1})
	cfg.Listeners[0].Port, cfg.Listeners[0].Address = port, "127.0.0.1"
	lone, err := gateway.New(cfg)
	require.NoError(t, err)
	err = lone.ListenAndServe()
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("gateway: listen on port %d", port))
	assert.True(t, errors.Is(err, errAddrInUse(t)), "%v", err)
	lone.Close()

	// ReusePort is fixed at New.
	err = first.Update(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "changing reusePort needs a restart")
}

// freePort returns a TCP port free on 127.0.0.1 a moment ago.
func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// errAddrInUse is the error of binding a bound port, as this system
// reports it.
func errAddrInUse(t *testing.T) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	_, err = net.Listen("tcp", ln.Addr().String())
	require.Error(t, err)
	var se interface{ Unwrap() error }
	for errors.As(err, &se) {
		next := se.Unwrap()
		if next == nil || !strings.Contains(err.Error(), next.Error()) {
			break
		}
		err = next
	}
	return err
}
