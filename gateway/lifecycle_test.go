package gateway_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
)

// blockingEcho echoes requests; those to /block signal entered and wait for
// the gate first.
func blockingEcho(name string, g *gate, entered chan<- struct{}) http.Handler {
	echo := tlstest.EchoHandler(name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/block" {
			entered <- struct{}{}
			g.wait(r.Context())
		}
		echo.ServeHTTP(w, r)
	})
}

// reply is the outcome of a request sent in the background.
type reply struct {
	r   result
	err error
}

// goGet sends GET url in a goroutine and delivers the outcome on the
// returned channel.
func goGet(c *http.Client, url string) <-chan reply {
	ch := make(chan reply, 1)
	go func() {
		resp, err := c.Get(url)
		if err != nil {
			ch <- reply{err: err}
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		ch <- reply{r: result{status: resp.StatusCode, header: resp.Header, body: string(body), resp: resp}, err: err}
	}()
	return ch
}

func TestShutdownDrains(t *testing.T) {
	eachFrontend(t, testShutdownDrains)
}

func testShutdownDrains(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	g := newGate(t)
	entered := make(chan struct{}, 1)
	backend := pki.StartBackend(t, blockingEcho("b", g, entered), "api.internal")
	var logs logBuffer
	cfg := basicConfig(pki, "api.internal", backend.Member())
	cfg.Logger = logs.logger()
	cfg.Frontend = fe
	gw, err := gateway.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { gw.Close() })
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- gw.Serve(ln) }()
	port := ln.Addr().(*net.TCPAddr).Port
	url := "https://shop.example:" + strconv.Itoa(port)
	c := newClient(t, pki)

	// A request in flight.
	inflight := goGet(c, url+"/block")
	select {
	case <-entered:
	case rp := <-inflight:
		t.Fatalf("the request did not wait: %+v", rp)
	}

	shutdown := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shutdown <- gw.Shutdown(ctx)
	}()
	// Shutdown stops accepting at once...
	waitFor(t, "the listener to close", func() bool {
		conn, err := net.DialTimeout("tcp4", ln.Addr().String(), time.Second)
		if err == nil {
			conn.Close()
		}
		return err != nil
	})
	// ...but waits for the request in flight.
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	case err := <-served:
		assert.ErrorIs(t, err, gateway.ErrGatewayClosed, "Serve returns when the listener closes")
	}
	g.open()
	rp := <-inflight
	require.NoError(t, rp.err)
	assert.Equal(t, http.StatusOK, rp.r.status)
	require.NoError(t, <-shutdown)
	assert.ErrorIs(t, gw.Update(basicConfig(pki, "api.internal", backend.Member())), gateway.ErrGatewayClosed)
	assert.ErrorIs(t, gw.Serve(ln), gateway.ErrGatewayClosed)
}

func TestShutdownDeadline(t *testing.T) {
	eachFrontend(t, testShutdownDeadline)
}

func testShutdownDeadline(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	g := newGate(t)
	entered := make(chan struct{}, 1)
	backend := pki.StartBackend(t, blockingEcho("b", g, entered), "api.internal")
	gw := startWith(t, fe, basicConfig(pki, "api.internal", backend.Member()))
	c := newClient(t, pki)

	inflight := goGet(c, gw.URL("web", "shop.example")+"/block")
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := gw.Shutdown(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	rp := <-inflight
	assert.Error(t, rp.err, "the request still running when Shutdown gave up is cut off")
}

func TestUpdateRefusesBadConfig(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	backend := startEcho(t, pki, "old", "api.internal")
	gw := gatewaytest.Start(t, basicConfig(pki, "api.internal", backend.Member()))
	c := newClient(t, pki)
	url := gw.URL("web", "shop.example") + "/"

	bad := gw.Config
	bad.Rules = []gateway.Rule{{Name: "all", Listener: "web", Pool: "nope", BackendHTTPSetting: "tls"}}
	bad.BackendHTTPSettings = append([]gateway.BackendHTTPSetting(nil), bad.BackendHTTPSettings...)
	bad.BackendHTTPSettings[0].RequestTimeout = time.Millisecond / 2
	err := gw.Update(bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `gateway: rule "all": unknown pool "nope"`)
	assert.Contains(t, err.Error(), `gateway: backendHttpSetting "tls": requestTimeout 500µs out of range 1ms-24h`)
	r := get(t, c, url)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "old", r.echo.Server)

	// Frontend ports cannot change in place.
	moved := gw.Config
	moved.Listeners = []gateway.Listener{{Name: "web", Protocol: gateway.HTTPS, Address: "127.0.0.1", Port: gw.Port("web") + 1, SSLCertificate: "front"}}
	err = gw.Update(moved)
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf(`listener "web": adding frontend port %d needs a restart`, gw.Port("web")+1))
	assert.Contains(t, err.Error(), fmt.Sprintf("removing frontend port %d needs a restart", gw.Port("web")))
	r = get(t, c, url)
	assert.Equal(t, http.StatusOK, r.status)
}

func TestUpdateSwapsTrust(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	rootB := tlstest.NewRoot(tlstest.Options{CommonName: "root B", KeyType: tlstest.ECDSAP256})
	srv := tlstest.NewServer(tlstest.ServerOptions{Name: "b",
		// The chain includes root B, so that an untrusted root is what fails.
		Certificate: rootB.NewLeaf(tlstest.Options{DNSNames: []string{"api.internal"}, KeyType: tlstest.ECDSAP256}).TLSCertificate(rootB)})
	t.Cleanup(srv.Close)
	cfg := basicConfig(pki, "api.internal", gateway.Member{Address: "127.0.0.1", Port: srv.Port()})
	cfg.Probes = []gateway.Probe{hourProbe("p", "/", 3)}
	cfg.BackendHTTPSettings[0].Probe = "p"
	gw := gatewaytest.Start(t, cfg)
	c := newClient(t, pki)
	url := gw.URL("web", "shop.example") + "/"

	r := get(t, c, url)
	assert.Equal(t, http.StatusBadGateway, r.status)
	assert.Equal(t, "untrusted-root", r.header.Get("X-E2etls-Error"))
	require.Equal(t, "Unhealthy", gw.BackendHealth()[0].State, "the data path took the member out of rotation")

	// Trust root B: the very next request is verified under it.
	next := gw.Config
	next.TrustedRootCertificates = []gateway.NamedCertificate{{Name: "root", Certificate: rootB.Certificate}}
	require.NoError(t, gw.Update(next))
	r = get(t, c, url)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "b", r.echo.Server)

	// And back: refused again at once.
	require.NoError(t, gw.Update(gw.Config))
	r = get(t, c, url)
	assert.Equal(t, http.StatusBadGateway, r.status)
	assert.Equal(t, "untrusted-root", r.header.Get("X-E2etls-Error"))
}

func TestUpdateClosesConnectionsOfOldTrust(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	srv := startEcho(t, pki, "b", "api.internal")
	elsewhere := startEcho(t, pki, "probes", "api.internal")
	cfg := basicConfig(pki, "api.internal", srv.Member())
	// Probes go to another server, so that srv counts traffic's handshakes only.
	cfg.Probes = []gateway.Probe{hourProbe("p", "/", 3)}
	cfg.Probes[0].Port = elsewhere.Port()
	cfg.BackendHTTPSettings[0].Probe = "p"
	gw := gatewaytest.Start(t, cfg)
	c := newClient(t, pki)
	url := gw.URL("web", "shop.example") + "/"

	for i := 0; i < 3; i++ {
		r := get(t, c, url)
		require.Equal(t, http.StatusOK, r.status)
	}
	assert.Equal(t, 1, srv.Handshakes(), "one pooled backend connection")

	// A new generation of trust (another root added) verifies afresh: the
	// idle connection verified under the old trust is closed, not reused.
	other := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	next := gw.Config
	next.TrustedRootCertificates = append(next.TrustedRootCertificates, gateway.NamedCertificate{Name: "other", Certificate: other.Certificate})
	next.BackendHTTPSettings = append([]gateway.BackendHTTPSetting(nil), next.BackendHTTPSettings...)
	next.BackendHTTPSettings[0].TrustedRootCertificates = []string{"root", "other"}
	require.NoError(t, gw.Update(next))
	for i := 0; i < 3; i++ {
		r := get(t, c, url)
		require.Equal(t, http.StatusOK, r.status)
	}
	assert.Equal(t, 2, srv.Handshakes(), "one new backend connection after the Update, then reused")
}

func TestUpdateRemovesMember(t *testing.T) {
	for _, tt := range []struct {
		name  string
		drain time.Duration // 0: draining disabled (30 s)
		// cut: the drain time ends before the request does.
		cut bool
	}{
		{"request finishes", 0, false},
		{"drain time over", time.Second, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			pki := gatewaytest.NewPKI()
			g := newGate(t)
			entered := make(chan struct{}, 2)
			var removedHits atomic.Int32
			removed := pki.StartBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/healthz" {
					removedHits.Add(1)
				}
				blockingEcho("removed", g, entered).ServeHTTP(w, r)
			}), "api.internal")
			kept := startEcho(t, pki, "kept", "api.internal")
			cfg := basicConfig(pki, "api.internal", removed.Member(), kept.Member())
			cfg.Probes = []gateway.Probe{hourProbe("p", "/healthz", 3)}
			cfg.BackendHTTPSettings[0].Probe = "p"
			if tt.drain > 0 {
				cfg.BackendHTTPSettings[0].ConnectionDraining = gateway.ConnectionDraining{Enabled: true, DrainTimeout: tt.drain}
			}
			gw := gatewaytest.Start(t, cfg)
			c := newClient(t, pki)
			url := gw.URL("web", "shop.example")

			// Hold a request on the member to be removed (round robin
			// reaches it within two requests).
			var inflight <-chan reply
			for i := 0; i < 2 && inflight == nil; i++ {
				ch := goGet(c, url+"/block")
				select {
				case <-entered:
					inflight = ch
				case rp := <-ch:
					require.NoError(t, rp.err)
					require.Equal(t, http.StatusOK, rp.r.status)
				}
			}
			require.NotNil(t, inflight, "no request reached the member to be removed")

			next := gw.Config
			next.Pools = []gateway.Pool{{Name: "app", Members: []gateway.Member{kept.Member()}}}
			require.NoError(t, gw.Update(next))
			hits := removedHits.Load()
			for i := 0; i < 4; i++ {
				r := get(t, c, url+"/new")
				require.Equal(t, http.StatusOK, r.status)
				assert.Equal(t, "kept", r.echo.Server)
			}
			assert.Equal(t, hits, removedHits.Load(), "new requests reached the removed member")
			rows := gw.BackendHealth()
			require.Len(t, rows, 1)
			assert.Equal(t, kept.Addr, rows[0].Member)

			if tt.cut {
				start := time.Now()
				rp := <-inflight
				require.NoError(t, rp.err)
				assert.Equal(t, http.StatusBadGateway, rp.r.status)
				assert.Equal(t, "drained", rp.r.header.Get("X-E2etls-Error"))
				assert.Less(t, time.Since(start), 10*time.Second)
				return
			}
			select {
			case rp := <-inflight:
				t.Fatalf("the draining request ended early: %+v", rp)
			default:
			}
			g.open()
			rp := <-inflight
			require.NoError(t, rp.err)
			assert.Equal(t, http.StatusOK, rp.r.status, rp.r.body)
		})
	}
}

func TestHandlerMountsInOwnServer(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	backend := startEcho(t, pki, "b", "api.internal")
	cfg := basicConfig(pki, "api.internal", backend.Member())
	cfg.Listeners = []gateway.Listener{{Name: "web", Protocol: gateway.HTTP, Port: 8080}}
	cfg.SSLCertificates = nil
	var logs logBuffer
	cfg.Logger = logs.logger()
	gw, err := gateway.New(cfg)
	require.NoError(t, err)
	defer gw.Close()
	srv := httptest.NewServer(gw.Handler())
	defer srv.Close()
	defer srv.Client().CloseIdleConnections()

	resp, err := srv.Client().Get(srv.URL + "/mounted?q=1")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var e tlstest.Echo
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(body, &e), "%s", body)
	assert.Equal(t, "/mounted", e.Path)
	assert.Equal(t, "q=1", e.RawQuery)
	assert.Equal(t, "api.internal", e.SNI)
	// The connection the request came on, not the listener: the server
	// the handler is mounted in listens on its own port.
	assert.Equal(t, "http", e.Header.Get("X-Forwarded-Proto"))
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	assert.Equal(t, port, e.Header.Get("X-Forwarded-Port"))

	// After Shutdown the handler says so, instead of blaming a backend.
	require.NoError(t, gw.Shutdown(context.Background()))
	resp2, err := srv.Client().Get(srv.URL + "/late")
	require.NoError(t, err)
	late, _ := io.ReadAll(resp2.Body)
	resp2.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp2.StatusCode)
	// gateway.New without DetailedErrors: the client learns the status and
	// the request's ID, the log why.
	assert.Empty(t, resp2.Header.Get(gateway.ErrorHeader))
	assert.Regexp(t, `^503 Service Unavailable \(request ID [0-9a-f]{32}\)\n$`, string(late))
	assert.Contains(t, logs.String(), "the gateway is shutting down")
}

// TestHandlerHTTPSListenerNeedsNoCertificate: an HTTPS listener served
// only through Handler, in a server that does the TLS handshake with a
// certificate of its own, needs no SSLCertificate; the gateway's own
// servers refuse to serve it, and Update refuses to take the certificate
// away from a port they serve.
func TestHandlerHTTPSListenerNeedsNoCertificate(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	backend := startEcho(t, pki, "b", "api.internal")
	cfg := basicConfig(pki, "api.internal", backend.Member())
	cfg.SSLCertificates = nil
	cfg.Listeners[0].SSLCertificate = ""
	var logs logBuffer
	cfg.Logger = logs.logger()
	gw, err := gateway.New(cfg)
	require.NoError(t, err)
	defer gw.Close()

	srv := httptest.NewUnstartedServer(gw.Handler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.Leaf("shop.example").FullChain()}}
	srv.StartTLS()
	defer srv.Close()
	c := newClient(t, pki)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	resp, echo := getEcho(t, c, "https://shop.example:"+port+"/orders")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "/orders", echo.Path)
	assert.Equal(t, "https", echo.Header.Get("X-Forwarded-Proto"))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	err = gw.ServePort(443, ln)
	require.EqualError(t, err, `gateway: listener "web": HTTPS listener has no sslCertificate: the gateway's own servers need one for the TLS handshake on port 443 (only Handler, mounted in a server that does the handshake itself, serves a listener without one)`)

	// A port the gateway's own servers serve (a request came through)
	// keeps its certificate.
	served := gatewaytest.Start(t, basicConfig(pki, "api.internal", backend.Member()))
	resp, _ = getEcho(t, c, served.URL("web", "shop.example")+"/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	next := served.Config
	next.Listeners = []gateway.Listener{next.Listeners[0]}
	next.Listeners[0].SSLCertificate = ""
	err = served.Update(next)
	require.ErrorContains(t, err, `gateway: listener "web": HTTPS listener has no sslCertificate`)
	resp, _ = getEcho(t, c, served.URL("web", "shop.example")+"/")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the old configuration still serves")
}

// TestShutdownEndsUpgradedConnections: an upgraded (WebSocket) connection
// has no request in flight to drain: Shutdown returns at once and ends it,
// on either frontend.
func TestShutdownEndsUpgradedConnections(t *testing.T) {
	eachFrontend(t, testShutdownEndsUpgradedConnections)
}

func testShutdownEndsUpgradedConnections(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	backend := pki.StartBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "" {
			return // probes
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
		brw.Flush()
		io.Copy(conn, brw) // echo until the gateway closes
	}), "api.internal")
	gw := startWith(t, fe, basicConfig(pki, "api.internal", backend.Member()))
	conn := dialTLS(t, pki, gw.Port("web"), "shop.example", tls.VersionTLS13, "http/1.1")
	_, err := io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: shop.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nping")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	echo := make([]byte, 4)
	_, err = io.ReadFull(br, echo)
	require.NoError(t, err)
	require.Equal(t, "ping", string(echo))

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, gw.Shutdown(ctx))
	assert.Less(t, time.Since(start), time.Second)
	requireClosed(t, conn, br)
}
