package upstream

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// h1Backend is a plain HTTP backend that counts its new connections.
func h1Backend(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func testClient(srv *httptest.Server) (*h1Client, *Endpoint) {
	ep := &Endpoint{ID: "e1:80"}
	c := newH1Client(func(ctx context.Context, _ *Endpoint) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", srv.Listener.Addr().String())
	})
	return c, ep
}

func newOut(method, path string, body io.Reader, length int64) *http.Request {
	r := &http.Request{Method: method, URL: &url.URL{Path: path}, Host: "backend.internal", Header: http.Header{"X-Test": {"1"}}, ContentLength: length}
	if body != nil {
		r.Body = io.NopCloser(body)
	}
	return r
}

func do(t *testing.T, c *h1Client, ep *Endpoint, r *http.Request, timeout time.Duration) (*http.Response, string, error) {
	t.Helper()
	resp, err := c.roundTrip(context.Background(), ep, r, time.Now().Add(timeout), nil)
	if err != nil {
		return nil, "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b), err
}

func TestH1ClientReusesConnections(t *testing.T) {
	srv, conns := h1Backend(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Method+" "+r.Host+" "+r.URL.RequestURI()+" "+r.Header.Get("X-Test"))
	})
	c, ep := testClient(srv)
	defer c.closeIdle(true)
	for i := 0; i < 5; i++ {
		resp, body, err := do(t, c, ep, newOut("GET", "/a/b", nil, 0), 5*time.Second)
		if err != nil || resp.StatusCode != 200 || body != "GET backend.internal /a/b 1" {
			t.Fatalf("request %d: %v %v %q", i, resp, err, body)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 5 sequential requests; want 1", n)
	}
}

func TestH1ClientBodies(t *testing.T) {
	srv, _ := h1Backend(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, strings.Join(r.TransferEncoding, ",")+"|"+string(b)+"|"+r.Trailer.Get("X-Sum"))
	})
	c, ep := testClient(srv)
	defer c.closeIdle(true)

	_, body, err := do(t, c, ep, newOut("POST", "/", strings.NewReader("hello"), 5), 5*time.Second)
	if err != nil || body != "|hello|" {
		t.Errorf("content-length body: %q, %v", body, err)
	}
	r := newOut("POST", "/", strings.NewReader("streamed body"), -1)
	r.Trailer = http.Header{"X-Sum": {"42"}}
	_, body, err = do(t, c, ep, r, 5*time.Second)
	if err != nil || body != "chunked|streamed body|42" {
		t.Errorf("chunked body: %q, %v", body, err)
	}
}

func TestH1ClientRetriesStaleConnection(t *testing.T) {
	srv, conns := h1Backend(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	c, ep := testClient(srv)
	defer c.closeIdle(true)
	if _, body, err := do(t, c, ep, newOut("GET", "/", nil, 0), 5*time.Second); err != nil || body != "ok" {
		t.Fatalf("first: %q %v", body, err)
	}
	srv.CloseClientConnections() // the backend drops the idle connection
	time.Sleep(50 * time.Millisecond)
	if _, body, err := do(t, c, ep, newOut("GET", "/", nil, 0), 5*time.Second); err != nil || body != "ok" {
		t.Fatalf("after the backend closed the idle connection: %q %v", body, err)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections; want 2", n)
	}
}

func TestH1ClientUnreadBodyClosesConnection(t *testing.T) {
	srv, conns := h1Backend(t, func(w http.ResponseWriter, r *http.Request) { w.Write(make([]byte, 1<<20)) })
	c, ep := testClient(srv)
	defer c.closeIdle(true)
	resp, err := c.roundTrip(context.Background(), ep, newOut("GET", "/", nil, 0), time.Now().Add(5*time.Second), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Read(make([]byte, 10))
	resp.Body.Close()
	if _, _, err := do(t, c, ep, newOut("GET", "/", nil, 0), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections; want 2 (a half-read response must not be pooled)", n)
	}
}

func TestH1ClientTimeoutAndCancel(t *testing.T) {
	release := make(chan struct{})
	srv, _ := h1Backend(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stream" {
			w.Write([]byte("first"))
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c, ep := testClient(srv)
	defer c.closeIdle(true)

	start := time.Now()
	_, err := c.roundTrip(context.Background(), ep, newOut("GET", "/", nil, 0), time.Now().Add(200*time.Millisecond), nil)
	if !errors.Is(err, ErrRequestTimeout) {
		t.Errorf("slow head: err = %v; want ErrRequestTimeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("timeout took %v", d)
	}

	ctx, cancel := context.WithCancelCause(context.Background())
	resp, err := c.roundTrip(ctx, ep, newOut("GET", "/stream", nil, 0), time.Now().Add(5*time.Second), nil)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "first" {
		t.Fatalf("first bytes: %q %v", buf, err)
	}
	cancel(ErrDrained)
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Error("reading the body after cancellation succeeded")
	}
	resp.Body.Close()
}

func TestH1ClientSkipsInterimResponses(t *testing.T) {
	srv, _ := h1Backend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		io.WriteString(w, "final")
	})
	c, ep := testClient(srv)
	defer c.closeIdle(true)
	resp, body, err := do(t, c, ep, newOut("GET", "/", nil, 0), 5*time.Second)
	if err != nil || resp.StatusCode != 200 || body != "final" {
		t.Errorf("got %v %q %v", resp, body, err)
	}
}

func TestH1ClientSweepsIdleConnections(t *testing.T) {
	var closed atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			closed.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c, ep := testClient(srv)
	defer c.closeIdle(true)
	c.idleFor = 100 * time.Millisecond
	other := &Endpoint{ID: "e2:80"}
	if _, _, err := do(t, c, other, newOut("GET", "/", nil, 0), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	// Traffic to another endpoint sweeps the connection other left idle.
	if _, _, err := do(t, c, ep, newOut("GET", "/", nil, 0), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for closed.Load() < 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if closed.Load() < 1 {
		t.Error("the connection idle past idleFor was not closed")
	}
	if n := idleCount(c, other); n != 0 {
		t.Errorf("the swept endpoint still has %d idle connections", n)
	}
}

// idleCount counts ep's idle connections in c.
func idleCount(c *h1Client, ep *Endpoint) int {
	n := 0
	if p := ep.idle.Load(); p != nil {
		for i := range p.shards {
			p.shards[i].mu.Lock()
			n += len(p.shards[i].list)
			p.shards[i].mu.Unlock()
		}
	}
	return n
}

// TestH1ClientShards: with many requests at once, connections spread over
// the shards and are reused from them: no more connections than requests
// in flight, and every one back in the pool after.
func TestH1ClientShards(t *testing.T) {
	srv, conns := h1Backend(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	c, ep := testClient(srv)
	defer c.closeIdle(true)
	c.shards = 8
	const parallel = 16
	var wg sync.WaitGroup
	for g := 0; g < parallel; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, body, err := do(t, c, ep, newOut("GET", "/", nil, 0), 5*time.Second); err != nil || body != "ok" {
					t.Errorf("%q %v", body, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := conns.Load(); n > parallel {
		t.Errorf("%d connections for %d requests at a time", n, parallel)
	}
	if got, want := idleCount(c, ep), int(conns.Load()); got != want {
		t.Errorf("%d idle connections after the load; want all %d back", got, want)
	}
}
