package frontend

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/internal/httpwire"
)

// logBuffer is a slog handler's output, safe for concurrent writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// servers builds each kind of server a port can have around h.
var servers = []struct {
	name  string
	build func(h http.Handler, log *slog.Logger, t *httpwire.Timeouts) (http1, http2 ConnServer)
}{
	{"own", func(h http.Handler, log *slog.Logger, t *httpwire.Timeouts) (ConnServer, ConnServer) {
		refuse := func(w http.ResponseWriter, r *http.Request, ref *httpwire.Refusal) {
			http.Error(w, ref.Message, ref.Status)
		}
		return Own(h, refuse, log, t)
	}},
	{"nethttp", func(h http.Handler, log *slog.Logger, t *httpwire.Timeouts) (ConnServer, ConnServer) {
		s := NetHTTP(h, log, t)
		return s, s
	}},
}

// testPort serves h on a loopback HTTPS port with the given servers and
// returns its address and a client that trusts it (HTTP/2 when h2 is
// set). The port is closed when the test ends.
func testPort(t *testing.T, p *Port, h2 bool) (string, *http.Client) {
	t.Helper()
	root := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	leaf := root.NewLeaf(tlstest.Options{DNSNames: []string{"front.test"}, KeyType: tlstest.ECDSAP256})
	p.TLS = &tls.Config{Certificates: []tls.Certificate{leaf.FullChain()}, NextProtos: Protocols}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- p.Serve(ln) }()
	t.Cleanup(func() {
		p.Close()
		assert.ErrorIs(t, <-served, ErrClosed)
	})
	tr := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: root.Pool(), ServerName: "front.test"},
		ForceAttemptHTTP2: h2,
	}
	if !h2 {
		tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
	}
	t.Cleanup(tr.CloseIdleConnections)
	return "https://" + ln.Addr().String(), &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// TestHandlerPanics: a handler that panics breaks its response, never
// ends it as if it were whole; a panic other than http.ErrAbortHandler is
// logged at Error with its stack, by either kind of server.
func TestHandlerPanics(t *testing.T) {
	for _, sv := range servers {
		for _, h2 := range []bool{false, true} {
			name := sv.name + "/HTTP1"
			if h2 {
				name = sv.name + "/HTTP2"
			}
			t.Run(name, func(t *testing.T) {
				var logs logBuffer
				log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelError}))
				h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Length", "10")
					io.WriteString(w, "part")
					http.NewResponseController(w).Flush()
					switch r.URL.Path {
					case "/bug":
						panic("boom")
					case "/abort":
						panic(http.ErrAbortHandler)
					}
					io.WriteString(w, "-whole")
				})
				timeouts := httpwire.NewTimeouts(5*time.Second, 5*time.Second)
				p := &Port{Name: "test", Log: log, Timeouts: timeouts}
				p.HTTP1, p.HTTP2 = sv.build(h, log, timeouts)
				url, c := testPort(t, p, h2)

				for _, path := range []string{"/bug", "/abort"} {
					resp, err := c.Get(url + path)
					require.NoError(t, err, "the head was sent before the panic")
					body, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					require.Error(t, err, "%s: the client read a whole-looking body %q", path, body)
					assert.Equal(t, "part", string(body))
					assert.Equal(t, map[bool]int{false: 1, true: 2}[h2], resp.ProtoMajor)
				}
				resp, err := c.Get(url + "/ok")
				require.NoError(t, err)
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				require.NoError(t, err)
				assert.Equal(t, "part-whole", string(body))

				out := logs.String()
				assert.Equal(t, 1, strings.Count(out, "level=ERROR"), out)
				assert.Contains(t, out, "panic serving a request")
				assert.Contains(t, out, "boom")
				assert.Contains(t, out, "servers_test.go", "the stack")
			})
		}
	}
}

// TestNetHTTPStopsItsGoroutines: once Shutdown or Close has returned, the
// goroutine that runs net/http's server has returned too, whether or not
// a connection ever came.
func TestNetHTTPStopsItsGoroutines(t *testing.T) {
	for _, tt := range []struct {
		name     string
		connect  bool
		shutdown bool
	}{{"shutdown", true, true}, {"close", true, false}, {"shutdown unused", false, true}, {"close unused", false, false}} {
		t.Run(tt.name, func(t *testing.T) {
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			timeouts := httpwire.NewTimeouts(5*time.Second, 5*time.Second)
			s := NetHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), log, timeouts)
			p := &Port{Name: "test", Log: log, Timeouts: timeouts, HTTP1: s, HTTP2: s}
			url, c := testPort(t, p, false)
			if tt.connect {
				resp, err := c.Get(url)
				require.NoError(t, err)
				resp.Body.Close()
				c.CloseIdleConnections()
			}
			if tt.shutdown {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				require.NoError(t, p.Shutdown(ctx))
			} else {
				require.NoError(t, p.Close())
			}
			ns := s.(*netHTTP)
			select {
			case <-ns.served:
				assert.True(t, tt.connect, "the server ran without a connection")
			default:
				assert.False(t, tt.connect, "Serve still runs after the port stopped")
			}
			buf := make([]byte, 1<<20)
			assert.NotContains(t, string(buf[:runtime.Stack(buf, true)]), "(*Server).Serve(")
			// A connection handed over after the stop is closed.
			a, b := net.Pipe()
			defer b.Close()
			s.ServeConn(context.Background(), a)
			_, err := a.Write([]byte("x"))
			assert.True(t, errors.Is(err, io.ErrClosedPipe), "%v", err)
		})
	}
}
