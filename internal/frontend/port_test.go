package frontend_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/internal/frontend"
	"github.com/e2etls/e2etls/internal/httpwire"
)

// TestAfterHandshake: the value AfterHandshake returns for a connection,
// after its handshake and before any request is read, is in the context of
// every request of that connection, over HTTP/1.1 and HTTP/2, with the
// gateway's own servers and net/http's; each connection gets its own.
func TestAfterHandshake(t *testing.T) {
	before := runtime.NumGoroutine()
	root := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	leaf := root.NewLeaf(tlstest.Options{DNSNames: []string{"port.example"}, KeyType: tlstest.ECDSAP256})
	log := slog.New(slog.DiscardHandler)
	timeouts := httpwire.NewTimeouts(5*time.Second, 5*time.Second)

	for _, servers := range []string{"own", "net/http"} {
		for _, proto := range []string{"http/1.1", "h2"} {
			t.Run(servers+" "+proto, func(t *testing.T) {
				type connValue struct{ n int64 }
				var conns, hooked atomic.Int64
				h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					v, ok := httpwire.ConnValue(r.Context()).(*connValue)
					if !ok {
						http.Error(w, "no connection value", http.StatusInternalServerError)
						return
					}
					w.Header().Set("X-Conn", string(rune('0'+v.n)))
					io.WriteString(w, r.Proto)
				})
				p := &frontend.Port{Name: "test", Log: log, Timeouts: timeouts,
					TLS: &tls.Config{Certificates: []tls.Certificate{leaf.FullChain()}, NextProtos: frontend.Protocols},
					AfterHandshake: func(ctx context.Context, c *tls.Conn) any {
						if !c.ConnectionState().HandshakeComplete {
							t.Error("AfterHandshake before the handshake completed")
						}
						hooked.Add(1)
						return &connValue{n: conns.Add(1)}
					},
				}
				if servers == "own" {
					p.HTTP1, p.HTTP2 = frontend.Own(h, nil, log, timeouts)
				} else {
					s := frontend.NetHTTP(h, log, timeouts)
					p.HTTP1, p.HTTP2 = s, s
				}
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				served := make(chan error, 1)
				go func() { served <- p.Serve(ln) }()

				for c := 1; c <= 2; c++ { // two connections, two requests each
					tr := &http.Transport{
						TLSClientConfig:   &tls.Config{RootCAs: root.Pool(), ServerName: "port.example", NextProtos: []string{proto}},
						ForceAttemptHTTP2: proto == "h2",
					}
					if proto != "h2" {
						tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
					}
					client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
					for range 2 {
						resp, err := client.Get("https://" + ln.Addr().String() + "/")
						if err != nil {
							t.Fatal(err)
						}
						body, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							t.Fatalf("status %d: %s", resp.StatusCode, body)
						}
						if want := map[string]string{"h2": "HTTP/2.0", "http/1.1": "HTTP/1.1"}[proto]; string(body) != want {
							t.Errorf("served as %s; want %s", body, want)
						}
						if got := resp.Header.Get("X-Conn"); got != string(rune('0'+c)) {
							t.Errorf("connection %d's request carried connection %s's value", c, got)
						}
					}
					tr.CloseIdleConnections()
				}
				if hooked.Load() != 2 {
					t.Errorf("AfterHandshake ran %d times for 2 connections", hooked.Load())
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if err := p.Shutdown(ctx); err != nil {
					t.Fatal(err)
				}
				if err := <-served; !errors.Is(err, frontend.ErrClosed) {
					t.Fatalf("Serve: %v", err)
				}
			})
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines before, %d after", before, n)
	}
}
