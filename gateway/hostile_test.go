package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
)

// countingBackend echoes requests and counts those that are neither probes
// (path /healthz) nor a steadyClient's (path /steady); with gate set,
// requests to /block wait for it.
type countingBackend struct {
	name     string
	hits     atomic.Int32
	inflight atomic.Int32
	peak     atomic.Int32 // the most /block requests in flight at once
	gate     atomic.Pointer[gate]
}

func (b *countingBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" {
		return
	}
	if r.URL.Path != "/steady" {
		b.hits.Add(1)
	}
	if g := b.gate.Load(); r.URL.Path == "/block" && g != nil {
		n := b.inflight.Add(1)
		for p := b.peak.Load(); n > p && !b.peak.CompareAndSwap(p, n); p = b.peak.Load() {
		}
		g.wait(r.Context())
		b.inflight.Add(-1)
	}
	tlstest.EchoHandler(b.name).ServeHTTP(w, r)
}

// probedConfig is basicConfig whose probes go to /healthz once an hour, so
// that backends count traffic only.
func probedConfig(pki *gatewaytest.PKI, members ...gateway.Member) gateway.Config {
	cfg := basicConfig(pki, "api.internal", members...)
	cfg.Probes = []gateway.Probe{hourProbe("p", "/healthz", 3)}
	cfg.BackendHTTPSettings[0].Probe = "p"
	return cfg
}

// dialTLS opens a TLS connection to the gateway's port with the given SNI
// and ALPN protocols, for requests a client library would not send.
func dialTLS(t *testing.T, pki *gatewaytest.PKI, port int, sni string, version uint16, protos ...string) *tls.Conn {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		&tls.Config{ServerName: sni, RootCAs: pki.Pool(), NextProtos: protos, MinVersion: version, MaxVersion: version})
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	return conn
}

// rawResponse is a response read off a raw connection.
type rawResponse struct {
	status int
	reason string // X-E2etls-Error
	body   string
}

func readRaw(t *testing.T, br *bufio.Reader) rawResponse {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	return rawResponse{status: resp.StatusCode, reason: resp.Header.Get("X-E2etls-Error"), body: string(body)}
}

// requireClosed reads what is left of conn and fails unless the gateway
// closes it within a few seconds, with nothing more sent.
func requireClosed(t *testing.T, conn net.Conn, br *bufio.Reader) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	rest, err := io.ReadAll(br)
	var ne net.Error
	require.False(t, errors.As(err, &ne) && ne.Timeout(), "the gateway kept the connection open")
	assert.Empty(t, string(rest), "bytes after the answer")
}

// steadyClient sends GETs to url until stop is closed and counts what
// went right and wrong: the "other clients are unaffected" half of the
// hostile tests.
type steadyClient struct {
	ok, failed atomic.Int32
	stop       chan struct{}
	done       chan struct{}
	lastErr    atomic.Value
}

func startSteadyClient(t *testing.T, c *http.Client, url string) *steadyClient {
	s := &steadyClient{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for i := 0; i < 100000; i++ {
			select {
			case <-s.stop:
				return
			default:
			}
			resp, err := c.Get(url)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			if err != nil {
				s.failed.Add(1)
				s.lastErr.Store(err.Error())
				continue
			}
			s.ok.Add(1)
		}
	}()
	t.Cleanup(s.finish)
	return s
}

func (s *steadyClient) finish() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
}

// check stops the client and asserts that every one of its requests
// succeeded.
func (s *steadyClient) check(t *testing.T) {
	t.Helper()
	s.finish()
	assert.Positive(t, s.ok.Load(), "the steady client got no answer")
	assert.Zero(t, s.failed.Load(), "the steady client failed: %v", s.lastErr.Load())
}

// TestBadRequestsHTTP1 sends what a client library would refuse to send,
// over raw TLS connections: each gets its status, is never forwarded, and
// its connection is closed, while another client is served throughout.
func TestBadRequestsHTTP1(t *testing.T) {
	eachFrontend(t, testBadRequestsHTTP1)
}

func testBadRequestsHTTP1(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	backend := &countingBackend{name: "b"}
	srv := pki.StartBackend(t, backend, "api.internal")
	gw := startWith(t, fe, probedConfig(pki, srv.Member()))
	steady := startSteadyClient(t, newClient(t, pki), gw.URL("web", "shop.example")+"/steady")
	defer steady.check(t)

	long := strings.Repeat("a", 33<<10)
	// net/http's answers, where they differ from the own server's: its own
	// 400, 431 and 501 pages carry no X-E2etls-Error and close the
	// connection; what it accepts is forwarded once, framed as it read it,
	// and the connection serves on.
	var (
		nhRefused = func(status int) *netHTTPWant { return &netHTTPWant{status: status} }
		nhGuard   = func(status int, reason string) *netHTTPWant {
			return &netHTTPWant{status: status, reason: reason, kept: true}
		}
		nhAccepted = &netHTTPWant{status: 200, forwarded: true, kept: true}
	)
	tests := []struct {
		name    string
		request string
		status  int
		reason  string // the gateway's X-E2etls-Error
		netHTTP *netHTTPWant
	}{
		{"malformed request line", "GARBAGE\r\n\r\n", 400, "malformed-request-line", nhRefused(400)},
		{"no version", "GET /\r\nHost: shop.example\r\n\r\n", 400, "malformed-request-line", nhRefused(400)},
		{"bad version", "GET / HTTP/1.1x\r\nHost: shop.example\r\n\r\n", 400, "malformed-request-line", nhRefused(400)},
		{"space in target", "GET /a b HTTP/1.1\r\nHost: shop.example\r\n\r\n", 400, "malformed-request-line", nhRefused(400)},
		{"control byte in target", "GET /a\x7fb HTTP/1.1\r\nHost: shop.example\r\n\r\n", 400, "malformed-request-line", nhRefused(400)},
		// net/http reads a head of up to its MaxHeaderBytes and 4 KiB more;
		// the gateway's guard refuses what is over its limits in that.
		{"header fields over 32 KiB", "GET / HTTP/1.1\r\nHost: shop.example\r\nX-Big: " + long + "\r\n\r\n", 431, "headers-too-large", nhGuard(431, "headers-too-large")},
		{"many small header fields over 32 KiB", "GET / HTTP/1.1\r\nHost: shop.example\r\n" + strings.Repeat("X-A: "+strings.Repeat("b", 90)+"\r\n", 400) + "\r\n", 431, "headers-too-large", nhGuard(431, "headers-too-large")},
		{"URI over 32 KiB", "GET /" + long + " HTTP/1.1\r\nHost: shop.example\r\n\r\n", 414, "uri-too-long", nhGuard(414, "uri-too-long")},
		// Beyond net/http's head limit, its own 431, whatever part is long.
		{"URI of 1 MiB", "GET /" + strings.Repeat("u", 1<<20) + " HTTP/1.1\r\nHost: shop.example\r\n\r\n", 414, "uri-too-long", nhRefused(431)},
		// net/http frames by Transfer-Encoding, drops Content-Length and
		// keeps the connection (RFC 9112 section 6.1 says to close it).
		{"Content-Length and Transfer-Encoding", "POST / HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "ambiguous-length", nhAccepted},
		{"Transfer-Encoding and Content-Length", "POST / HTTP/1.1\r\nHost: shop.example\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400, "ambiguous-length", nhAccepted},
		{"two differing Content-Lengths", "POST / HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400, "bad-content-length", nhRefused(400)},
		{"unknown Transfer-Encoding", "POST / HTTP/1.1\r\nHost: shop.example\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "unsupported-transfer-encoding", nhRefused(501)},
		{"chunked under another coding", "POST / HTTP/1.1\r\nHost: shop.example\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, "unsupported-transfer-encoding", nhRefused(501)},
		// net/http ignores Transfer-Encoding in HTTP/1.0: the request has no
		// body, and the connection (no keep-alive) closes after it.
		{"chunked in HTTP/1.0", "POST / HTTP/1.0\r\nHost: shop.example\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "bad-transfer-encoding", &netHTTPWant{status: 200, forwarded: true}},
		{"invalid header name", "GET / HTTP/1.1\r\nHost: shop.example\r\nBad Name: x\r\n\r\n", 400, "malformed-header", nhRefused(400)},
		{"header name with a colon-less line", "GET / HTTP/1.1\r\nHost: shop.example\r\nNoColon\r\n\r\n", 400, "malformed-header", nhRefused(400)},
		{"invalid header value", "GET / HTTP/1.1\r\nHost: shop.example\r\nX-A: a\x00b\r\n\r\n", 400, "malformed-header", nhRefused(400)},
		// net/http joins the folded lines with a space ("1 2").
		{"obsolete line folding", "GET / HTTP/1.1\r\nHost: shop.example\r\nX-A: 1\r\n 2\r\n\r\n", 400, "obsolete-line-folding", nhAccepted},
		{"obsolete line folding with a tab", "GET / HTTP/1.1\r\nHost: shop.example\r\nX-A: 1\r\n\t2\r\n\r\n", 400, "obsolete-line-folding", nhAccepted},
		{"missing Host", "GET / HTTP/1.1\r\n\r\n", 400, "missing-host", nhRefused(400)},
		{"two Hosts", "GET / HTTP/1.1\r\nHost: shop.example\r\nHost: other.example\r\n\r\n", 400, "bad-host", nhRefused(400)},
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, tt := range tests {
			t.Run(tls.VersionName(v)+"/"+tt.name, func(t *testing.T) {
				want := netHTTPWant{status: tt.status, reason: tt.reason}
				if fe == gateway.FrontendNetHTTP {
					want = *tt.netHTTP
				}
				before := backend.hits.Load()
				conn := dialTLS(t, pki, gw.Port("web"), "shop.example", v, "http/1.1")
				// Write in the background: the gateway may answer before it
				// has read everything.
				written := make(chan error, 1)
				go func() {
					_, err := io.WriteString(conn, tt.request)
					written <- err
					close(written)
				}()
				br := bufio.NewReader(conn)
				r := readRaw(t, br)
				assert.Equal(t, want.status, r.status, r.body)
				assert.Equal(t, want.reason, r.reason)
				if want.kept {
					// The connection serves the next request.
					require.NoError(t, <-written)
					_, err := io.WriteString(conn, "GET /after HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n")
					require.NoError(t, err)
					assert.Equal(t, http.StatusOK, readRaw(t, br).status)
					before++
				}
				requireClosed(t, conn, br)
				conn.Close()
				<-written
				if want.forwarded {
					before++ // once, as net/http framed it
				}
				assert.Equal(t, before, backend.hits.Load(), "requests that reached the backend")
			})
		}
	}
}

// netHTTPWant is how net/http's server answers a request where the own
// server's answer differs.
type netHTTPWant struct {
	status    int
	reason    string // X-E2etls-Error: empty for net/http's own answers
	forwarded bool   // the request reached the backend, once
	kept      bool   // the connection serves on after the answer
}

// TestPipelinedBadRequest: a bad request after a good one on the same
// connection is refused after the good one is answered, in order. The bad
// one is a CL.TE smuggling attempt: read by its Content-Length, its body
// holds a second request. net/http reads it by its Transfer-Encoding, so
// that hidden request is served as one of its own, on a connection that
// stays open: the gateway then disagrees with any HTTP/1.1 intermediary
// in front of it that frames by Content-Length.
func TestPipelinedBadRequest(t *testing.T) {
	eachFrontend(t, testPipelinedBadRequest)
}

func testPipelinedBadRequest(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	backend := &countingBackend{name: "b"}
	srv := pki.StartBackend(t, backend, "api.internal")
	gw := startWith(t, fe, probedConfig(pki, srv.Member()))

	conn := dialTLS(t, pki, gw.Port("web"), "shop.example", tls.VersionTLS13, "http/1.1")
	hidden := "0\r\n\r\nGET /hidden HTTP/1.1\r\nHost: shop.example\r\n\r\n"
	_, err := io.WriteString(conn, "GET /first HTTP/1.1\r\nHost: shop.example\r\n\r\n"+
		"POST /second HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 3\r\n\r\nabc"+
		"POST /smuggle HTTP/1.1\r\nHost: shop.example\r\nContent-Length: "+strconv.Itoa(len(hidden))+"\r\nTransfer-Encoding: chunked\r\n\r\n"+hidden+
		"GET /never HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	if fe == gateway.FrontendNetHTTP {
		for _, path := range []string{"/first", "/second", "/smuggle", "/hidden", "/never"} {
			r := readRaw(t, br)
			require.Equal(t, http.StatusOK, r.status, r.body)
			var e tlstest.Echo
			require.NoError(t, json.Unmarshal([]byte(r.body), &e), r.body)
			assert.Equal(t, path, e.Path)
		}
		requireClosed(t, conn, br)
		assert.Equal(t, int32(5), backend.hits.Load(), "each request as net/http framed it, the hidden one too")
		return
	}
	assert.Equal(t, http.StatusOK, readRaw(t, br).status)
	assert.Equal(t, http.StatusOK, readRaw(t, br).status)
	r := readRaw(t, br)
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "ambiguous-length", r.reason)
	requireClosed(t, conn, br)
	assert.Equal(t, int32(2), backend.hits.Load(), "only the two good requests were forwarded")
}

// TestSlowClient: a client that sends its head a line at a time is cut off
// when the header timeout ends, and so is one that never finishes its TLS
// handshake, and an HTTP/2 client that never sends its preface; other
// clients are served meanwhile.
func TestSlowClient(t *testing.T) {
	eachFrontend(t, testSlowClient)
}

func testSlowClient(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	backend := &countingBackend{name: "b"}
	srv := pki.StartBackend(t, backend, "api.internal")
	cfg := probedConfig(pki, srv.Member())
	cfg.ReadHeaderTimeout = time.Second
	gw := startWith(t, fe, cfg)
	steady := startSteadyClient(t, newClient(t, pki), gw.URL("web", "shop.example")+"/steady")
	defer steady.check(t)
	before := backend.hits.Load()

	t.Run("head a line at a time", func(t *testing.T) {
		conn := dialTLS(t, pki, gw.Port("web"), "shop.example", tls.VersionTLS13, "http/1.1")
		start := time.Now()
		_, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: shop.example\r\n")
		require.NoError(t, err)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		var lines int
		for lines = 0; lines < 50; lines++ {
			<-tick.C
			if _, err := fmt.Fprintf(conn, "X-Line-%d: %d\r\n", lines, lines); err != nil {
				break
			}
			// A closed connection shows on the next write or on a read.
			conn.SetReadDeadline(time.Now().Add(time.Millisecond))
			if _, err := conn.Read(make([]byte, 1)); err != nil && !isTimeout(err) {
				break
			}
		}
		elapsed := time.Since(start)
		assert.Less(t, lines, 20, "the gateway read %d header lines, one each 200 ms", lines)
		assert.GreaterOrEqual(t, elapsed, 900*time.Millisecond)
		assert.Less(t, elapsed, 4*time.Second)
	})
	t.Run("handshake never finished", func(t *testing.T) {
		conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(gw.Port("web"))), 5*time.Second)
		require.NoError(t, err)
		defer conn.Close()
		start := time.Now()
		_, err = conn.Write([]byte{0x16, 0x03, 0x01}) // the start of a TLS record, no more
		require.NoError(t, err)
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = io.ReadAll(conn)
		require.False(t, isTimeout(err), "the gateway kept a half-finished handshake open")
		assert.Less(t, time.Since(start), 4*time.Second)
	})
	t.Run("HTTP/2 preface never sent", func(t *testing.T) {
		conn := dialTLS(t, pki, gw.Port("web"), "shop.example", tls.VersionTLS13, "h2")
		// net/http alone would wait a fixed 10 s (its http2prefaceTimeout):
		// the adapter closes the connection at ReadHeaderTimeout.
		start := time.Now()
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := io.Copy(io.Discard, conn)
		require.False(t, isTimeout(err), "the gateway kept a connection without a preface open")
		assert.GreaterOrEqual(t, time.Since(start), 900*time.Millisecond)
		assert.Less(t, time.Since(start), 4*time.Second)
	})
	assert.Equal(t, before, backend.hits.Load())
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestPlainHTTPToTLSPort: plain HTTP on the TLS port gets net/http's 400.
func TestPlainHTTPToTLSPort(t *testing.T) {
	eachFrontend(t, testPlainHTTPToTLSPort)
}

func testPlainHTTPToTLSPort(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	srv := pki.StartBackend(t, &countingBackend{name: "b"}, "api.internal")
	gw := startWith(t, fe, probedConfig(pki, srv.Member()))
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(gw.Port("web"))), 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	_, err = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: shop.example\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

// TestBadRequestsPlainHTTPListener: an HTTP listener scans requests too.
func TestBadRequestsPlainHTTPListener(t *testing.T) {
	eachFrontend(t, testBadRequestsPlainHTTPListener)
}

func testBadRequestsPlainHTTPListener(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	backend := &countingBackend{name: "b"}
	srv := pki.StartBackend(t, backend, "api.internal")
	cfg := probedConfig(pki, srv.Member())
	cfg.SSLCertificates = nil
	cfg.Listeners = []gateway.Listener{{Name: "web", Protocol: gateway.HTTP, Port: 80}}
	gw := startWith(t, fe, cfg)
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(gw.Port("web"))), 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, err = io.WriteString(conn, "GET /ok HTTP/1.1\r\nHost: shop.example\r\n\r\n"+
		"POST / HTTP/1.1\r\nHost: shop.example\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\nConnection: close\r\n\r\n0\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	assert.Equal(t, http.StatusOK, readRaw(t, br).status)
	r := readRaw(t, br)
	if fe == gateway.FrontendNetHTTP {
		// net/http frames it by Transfer-Encoding (see TestBadRequestsHTTP1).
		assert.Equal(t, http.StatusOK, r.status, r.body)
		requireClosed(t, conn, br)
		assert.Equal(t, int32(2), backend.hits.Load())
		return
	}
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "ambiguous-length", r.reason)
	requireClosed(t, conn, br)
	assert.Equal(t, int32(1), backend.hits.Load())
}

// h2Conn is a raw HTTP/2 client connection for frames a client library
// would not send.
type h2Conn struct {
	t    *testing.T
	conn *tls.Conn
	fr   *http2.Framer
	enc  *hpack.Encoder
	buf  bytes.Buffer
	// authority is the :authority of the requests block encodes.
	authority string
}

// dialH2 opens an HTTP/2 connection for shop.example and exchanges
// SETTINGS (both acked).
func dialH2(t *testing.T, pki *gatewaytest.PKI, port int) *h2Conn {
	t.Helper()
	return dialH2SNI(t, pki, port, "shop.example")
}

func dialH2SNI(t *testing.T, pki *gatewaytest.PKI, port int, sni string) *h2Conn {
	t.Helper()
	conn := dialTLS(t, pki, port, sni, tls.VersionTLS13, "h2")
	require.Equal(t, "h2", conn.ConnectionState().NegotiatedProtocol)
	c := &h2Conn{t: t, conn: conn, fr: http2.NewFramer(conn, conn), authority: sni}
	c.fr.ReadMetaHeaders = hpack.NewDecoder(65536, nil)
	c.fr.MaxHeaderListSize = 1 << 20
	c.enc = hpack.NewEncoder(&c.buf)
	_, err := io.WriteString(conn, http2.ClientPreface)
	require.NoError(t, err)
	require.NoError(t, c.fr.WriteSettings())
	gotSettings, gotAck := false, false
	for !gotSettings || !gotAck {
		f, err := c.fr.ReadFrame()
		require.NoError(t, err)
		if sf, ok := f.(*http2.SettingsFrame); ok {
			if sf.IsAck() {
				gotAck = true
			} else {
				gotSettings = true
				require.NoError(t, c.fr.WriteSettingsAck())
			}
		}
	}
	return c
}

// block encodes a request head for path with extra header fields.
func (c *h2Conn) block(path string, extra ...hpack.HeaderField) []byte {
	c.buf.Reset()
	for _, f := range append([]hpack.HeaderField{
		{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "https"},
		{Name: ":authority", Value: c.authority}, {Name: ":path", Value: path},
	}, extra...) {
		c.enc.WriteField(f)
	}
	return bytes.Clone(c.buf.Bytes())
}

// send writes a request head on stream id, split into a HEADERS frame and
// CONTINUATION frames of at most 16 KiB.
func (c *h2Conn) send(id uint32, block []byte, endStream bool) error {
	const max = 16 << 10
	first := block[:min(len(block), max)]
	rest := block[len(first):]
	if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: first, EndStream: endStream, EndHeaders: len(rest) == 0}); err != nil {
		return err
	}
	for len(rest) > 0 {
		frag := rest[:min(len(rest), max)]
		rest = rest[len(frag):]
		if err := c.fr.WriteContinuation(id, len(rest) == 0, frag); err != nil {
			return err
		}
	}
	return nil
}

// h2Outcome is how the gateway answered a stream, or ended the connection.
type h2Outcome struct {
	status    int
	reason    string
	rst       http2.ErrCode // RST_STREAM's code, when the stream was reset
	reset     bool
	goAway    bool
	goAwayErr http2.ErrCode
	closed    bool // the connection ended without GOAWAY
}

// await reads frames until stream id is answered or reset, or the
// connection ends.
func (c *h2Conn) await(id uint32) h2Outcome {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			require.False(c.t, isTimeout(err), "no answer on stream %d", id)
			return h2Outcome{closed: true}
		}
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			if f.StreamID == id {
				st, _ := strconv.Atoi(f.PseudoValue("status"))
				var reason string
				for _, hf := range f.RegularFields() {
					if hf.Name == "x-e2etls-error" {
						reason = hf.Value
					}
				}
				return h2Outcome{status: st, reason: reason}
			}
		case *http2.RSTStreamFrame:
			if f.StreamID == id {
				return h2Outcome{reset: true, rst: f.ErrCode}
			}
		case *http2.GoAwayFrame:
			return h2Outcome{goAway: true, goAwayErr: f.ErrCode}
		case *http2.PingFrame:
			if !f.IsAck() {
				c.fr.WritePing(true, f.Data)
			}
		}
	}
}

// TestHTTP2Limits: oversized header lists, CONTINUATION floods, too many
// concurrent streams and rapid resets are bounded by the frontend's limits,
// the connection closed where HTTP/2 says so, nothing of a refused request
// forwarded, and other clients served throughout.
func TestHTTP2Limits(t *testing.T) {
	eachFrontend(t, testHTTP2Limits)
}

func testHTTP2Limits(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	g := newGate(t)
	backend := &countingBackend{name: "b"}
	backend.gate.Store(g)
	srv := tlstest.NewServer(tlstest.ServerOptions{Name: "b", Certificate: pki.Leaf("api.internal").FullChain(),
		NextProtos: []string{"h2", "http/1.1"}, Handler: backend})
	t.Cleanup(srv.Close)
	cfg := probedConfig(pki, gateway.Member{Address: "127.0.0.1", Port: srv.Port()})
	cfg.BackendHTTPSettings[0].HTTP2 = true // resets cancel backend streams, not connections
	cfg.IdleTimeout = time.Second
	gw := startWith(t, fe, cfg)
	steady := startSteadyClient(t, newClient(t, pki), gw.URL("web", "shop.example")+"/steady")
	defer steady.check(t)
	forwarded := backend.hits.Load

	t.Run("header fields over 32 KiB", func(t *testing.T) {
		before := forwarded()
		c := dialH2(t, pki, gw.Port("web"))
		require.NoError(t, c.send(1, c.block("/", hpack.HeaderField{Name: "x-big", Value: strings.Repeat("a", 40<<10)}), true))
		o := c.await(1)
		assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, o.status)
		assert.Equal(t, "headers-too-large", o.reason)
		assert.Equal(t, before, forwarded())
	})
	t.Run("URI over 32 KiB", func(t *testing.T) {
		before := forwarded()
		c := dialH2(t, pki, gw.Port("web"))
		require.NoError(t, c.send(1, c.block("/"+strings.Repeat("u", 33<<10)), true))
		o := c.await(1)
		assert.Equal(t, http.StatusRequestURITooLong, o.status)
		assert.Equal(t, "uri-too-long", o.reason)
		assert.Equal(t, before, forwarded())
	})
	t.Run("header list over the advertised size", func(t *testing.T) {
		before := forwarded()
		c := dialH2(t, pki, gw.Port("web"))
		var fields []hpack.HeaderField
		for i := 0; i < 200; i++ {
			fields = append(fields, hpack.HeaderField{Name: "x-f" + strconv.Itoa(i), Value: strings.Repeat("v", 500)})
		}
		require.NoError(t, c.send(1, c.block("/", fields...), true))
		o := c.await(1)
		assert.True(t, o.goAway && o.goAwayErr == http2.ErrCodeProtocol || o.status == http.StatusRequestHeaderFieldsTooLarge,
			"want GOAWAY PROTOCOL_ERROR or 431, got %+v", o)
		assert.Equal(t, before, forwarded())
	})
	t.Run("CONTINUATION flood", func(t *testing.T) {
		before := forwarded()
		c := dialH2(t, pki, gw.Port("web"))
		head := c.block("/")
		require.NoError(t, c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: head, EndStream: true}))
		// Each fragment adds a new 1 KiB field (a literal without indexing).
		frag := []byte{0x00, 0x07}
		frag = append(frag, "x-flood"...)
		frag = append(frag, 0x7f, 0x81, 0x07) // a 1000-byte string
		frag = append(frag, strings.Repeat("f", 1000)...)
		flooded := make(chan int, 1)
		go func() {
			n := 0
			for ; n < 100000; n++ {
				if c.fr.WriteContinuation(1, false, frag) != nil {
					break
				}
			}
			flooded <- n
		}()
		o := c.await(1)
		c.conn.Close()
		n := <-flooded
		assert.True(t, o.goAway || o.closed, "want the connection closed, got %+v", o)
		if o.goAway {
			assert.Equal(t, http2.ErrCodeProtocol, o.goAwayErr)
		}
		assert.Less(t, n, 100000, "the gateway read the whole flood")
		assert.Equal(t, before, forwarded())
	})
	t.Run("empty CONTINUATION flood ends at the idle timeout", func(t *testing.T) {
		c := dialH2(t, pki, gw.Port("web"))
		require.NoError(t, c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: c.block("/"), EndStream: true}))
		start := time.Now()
		var err error
		for i := 0; i < 1000000 && err == nil && time.Since(start) < 8*time.Second; i++ {
			err = c.fr.WriteContinuation(1, false, nil)
		}
		require.Error(t, err, "the gateway still reads an endless header block")
		assert.Less(t, time.Since(start), 6*time.Second)
	})
	t.Run("too many concurrent streams", func(t *testing.T) {
		before := forwarded()
		c := dialH2(t, pki, gw.Port("web"))
		const limit = 250
		for i := 0; i < limit; i++ {
			require.NoError(t, c.send(uint32(2*i+1), c.block("/block"), true))
		}
		waitFor(t, "250 streams at the backend", func() bool { return backend.inflight.Load() == limit })
		over := uint32(2*limit + 1)
		require.NoError(t, c.send(over, c.block("/block"), true))
		o := c.await(over)
		require.True(t, o.reset, "stream %d beyond the limit: %+v", over, o)
		assert.Contains(t, []http2.ErrCode{http2.ErrCodeProtocol, http2.ErrCodeRefusedStream}, o.rst)
		assert.Equal(t, int32(limit), backend.peak.Load())
		// Releasing the streams answers all of them; the connection stays.
		g.open()
		answered := 0
		c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for answered < limit {
			f, err := c.fr.ReadFrame()
			require.NoError(t, err)
			if h, ok := f.(*http2.MetaHeadersFrame); ok {
				assert.Equal(t, "200", h.PseudoValue("status"))
				answered++
			}
		}
		assert.Equal(t, before+limit, forwarded())
	})
	t.Run("rapid reset", func(t *testing.T) {
		g2 := newGate(t)
		backend.gate.Store(g2)
		backend.peak.Store(0)
		defer backend.gate.Store(g)
		before := forwarded()
		c := dialH2(t, pki, gw.Port("web"))
		const n = 2000
		var err error
		for i := 0; i < n && err == nil; i++ {
			id := uint32(2*i + 1)
			if err = c.send(id, c.block("/block"), true); err == nil {
				err = c.fr.WriteRSTStream(id, http2.ErrCodeCancel)
			}
		}
		// Either the gateway is still there for this connection, or it
		// closed it with ENHANCE_YOUR_CALM.
		if err == nil {
			err = c.fr.WritePing(false, [8]byte{1})
		}
		c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		pong, goAway := false, false
		for err == nil && !pong {
			var f http2.Frame
			if f, err = c.fr.ReadFrame(); err != nil {
				break
			}
			switch f := f.(type) {
			case *http2.PingFrame:
				pong = f.IsAck()
			case *http2.GoAwayFrame:
				assert.Equal(t, http2.ErrCodeEnhanceYourCalm, f.ErrCode)
				goAway = true
				err = io.EOF
			}
		}
		require.False(t, isTimeout(err), "the attacked connection hung")
		assert.LessOrEqual(t, backend.peak.Load(), int32(250), "handlers beyond the stream limit ran at once")
		t.Logf("rapid reset: %d streams, %d reached the backend, at most %d at once; connection kept: %v, GOAWAY: %v, end: %v",
			n, forwarded()-before, backend.peak.Load(), pong, goAway, err)
		g2.open()
	})
}

// TestCraftedHostCannotReachAnotherSite: on a connection whose SNI chose
// site a, no spelling of site b's name in Host or in an absolute-form
// request target reaches b's backend: 421, as for the plain name.
func TestCraftedHostCannotReachAnotherSite(t *testing.T) {
	eachFrontend(t, testCraftedHostCannotReachAnotherSite)
}

func testCraftedHostCannotReachAnotherSite(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	ba, bb := &countingBackend{name: "a"}, &countingBackend{name: "b"}
	a := pki.StartBackend(t, ba, "api.internal")
	b := pki.StartBackend(t, bb, "api.internal")
	cfg := multiSiteConfig(pki, a, b, false)
	cfg.SSLCertificates[1] = pki.SSLCertificate("b", "xn--bcher-kva.example")
	cfg.Listeners[1].HostNames = []string{"bücher.example"}
	cfg.Probes = []gateway.Probe{hourProbe("p", "/healthz", 3)}
	cfg.BackendHTTPSettings[0].Probe = "p"
	gw := startWith(t, fe, cfg)
	port := strconv.Itoa(gw.Port("a"))

	// The IDN site is reachable by its own name. (net/http refuses a Host
	// that is not ASCII with 400.)
	for _, host := range []string{"xn--bcher-kva.example", "XN--BCHER-KVA.example.:" + port} {
		conn := dialTLS(t, pki, gw.Port("a"), "xn--bcher-kva.example", tls.VersionTLS13, "http/1.1")
		_, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: "+host+"\r\n\r\n")
		require.NoError(t, err)
		r := readRaw(t, bufio.NewReader(conn))
		require.Equal(t, http.StatusOK, r.status, "Host %q: %s", host, r.body)
		assert.Contains(t, r.body, `"Server":"b"`)
	}
	require.Equal(t, int32(2), bb.hits.Load())

	// Each answer as "status reason" (reason: X-E2etls-Error, none for
	// the server's own answers), or "reset" for an HTTP/2 stream reset
	// with PROTOCOL_ERROR. An empty netHTTP column means as the own server.
	tests := []struct {
		name, target, host string
		h1, h1NetHTTP      string
		h2, h2NetHTTP      string // "" with an absolute-form target: HTTP/1.1 only
	}{
		{"port", "/", "xn--bcher-kva.example:" + port, "421 misdirected", "", "421 misdirected", ""},
		{"trailing dot", "/", "xn--bcher-kva.example.", "421 misdirected", "", "421 misdirected", ""},
		{"upper case", "/", "XN--BCHER-KVA.EXAMPLE", "421 misdirected", "", "421 misdirected", ""},
		// A Host that is not ASCII is refused by both servers over HTTP/1.1;
		// HTTP/2 lets it through in :authority, to the listener match.
		{"IDN", "/", "bücher.example", "400 bad-host", "400", "421 misdirected", ""},
		{"IDN upper case with port and dot", "/", "BÜCHER.EXAMPLE.:" + port, "400 bad-host", "400", "421 misdirected", ""},
		{"absolute form", "https://xn--bcher-kva.example/", "a.example", "421 misdirected", "", "", ""},
		{"absolute form with port", "https://bücher.example:" + port + "/x", "a.example", "421 misdirected", "", "", ""},
		// net/http's HTTP/2 server resets a stream whose :authority has
		// userinfo; the own server lets the name reach the listener match,
		// which knows no such host.
		{"userinfo", "/", "a.example@xn--bcher-kva.example", "400 bad-host", "400", "404 no-listener", "reset"},
		{"unknown", "/", "c.example", "404 no-listener", "", "404 no-listener", ""},
	}
	want := func(own, netHTTP string) string {
		if fe == gateway.FrontendNetHTTP && netHTTP != "" {
			return netHTTP
		}
		return own
	}
	for _, tt := range tests {
		t.Run("HTTP/1.1 "+tt.name, func(t *testing.T) {
			before := bb.hits.Load()
			conn := dialTLS(t, pki, gw.Port("a"), "a.example", tls.VersionTLS13, "http/1.1")
			_, err := io.WriteString(conn, "GET "+tt.target+" HTTP/1.1\r\nHost: "+tt.host+"\r\n\r\n")
			require.NoError(t, err)
			r := readRaw(t, bufio.NewReader(conn))
			assert.Equal(t, want(tt.h1, tt.h1NetHTTP), strings.TrimSpace(strconv.Itoa(r.status)+" "+r.reason), r.body)
			assert.Equal(t, before, bb.hits.Load(), "site b's backend was reached through site a's connection")
		})
		if tt.h2 != "" {
			t.Run("HTTP/2 "+tt.name, func(t *testing.T) {
				before := bb.hits.Load()
				c := dialH2SNI(t, pki, gw.Port("a"), "a.example")
				c.authority = tt.host
				require.NoError(t, c.send(1, c.block(tt.target), true))
				o := c.await(1)
				got := strings.TrimSpace(strconv.Itoa(o.status) + " " + o.reason)
				if o.reset && o.rst == http2.ErrCodeProtocol {
					got = "reset"
				}
				assert.Equal(t, want(tt.h2, tt.h2NetHTTP), got, "%+v", o)
				assert.Equal(t, before, bb.hits.Load(), "site b's backend was reached through site a's connection")
			})
		}
	}
}

// TestClientHostIdentityIsNormalised: with neither a host name in the
// setting nor one picked from the member, the client's Host becomes the
// backend SNI and expected identity; however it is spelled, that is the
// name the listener accepted, never something else.
func TestClientHostIdentityIsNormalised(t *testing.T) {
	eachFrontend(t, testClientHostIdentityIsNormalised)
}

func testClientHostIdentityIsNormalised(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	bk := &countingBackend{name: "b"}
	srv := pki.StartBackend(t, bk, "www.shop.example", "xn--bcher-kva.example")
	cfg := probedConfig(pki, srv.Member())
	cfg.BackendHTTPSettings[0].HostName = ""
	cfg.Probes[0].Host = "www.shop.example"
	cfg.SSLCertificates = []gateway.SSLCertificate{pki.SSLCertificate("front", "*.shop.example", "xn--bcher-kva.example")}
	cfg.Listeners[0].HostNames = []string{"*.shop.example", "bücher.example"}
	gw := startWith(t, fe, cfg)
	port := strconv.Itoa(gw.Port("web"))

	// HTTP/2 lets an internationalised name through in :authority. The
	// listener accepts it (as its A-label), and the backend identity and SNI
	// are that same A-label.
	for _, authority := range []string{"bücher.example", "BÜCHER.example."} {
		t.Run("HTTP/2 "+authority, func(t *testing.T) {
			before := bk.hits.Load()
			c := dialH2SNI(t, pki, gw.Port("web"), "xn--bcher-kva.example")
			c.authority = authority
			require.NoError(t, c.send(1, c.block("/"), true))
			o := c.await(1)
			require.Equal(t, http.StatusOK, o.status, "outcome %+v", o)
			// The backend connection's SNI is checked from the echo in the
			// xn--bcher-kva.example row below (LastSNI races with probes).
			assert.Equal(t, before+1, bk.hits.Load())
		})
	}
	tests := []struct {
		host, wantSNI string
		status        int
	}{
		{"www.shop.example", "www.shop.example", 200},
		{"WWW.Shop.Example.:" + port, "www.shop.example", 200},
		{"xn--bcher-kva.example", "xn--bcher-kva.example", 200},
		{"evil.example", "", 404},
		// Last: the backend's certificate does not name it, which takes
		// the member out of rotation.
		{"other.shop.example", "other.shop.example", 502},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			conn := dialTLS(t, pki, gw.Port("web"), "www.shop.example", tls.VersionTLS13, "http/1.1")
			_, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: "+tt.host+"\r\n\r\n")
			require.NoError(t, err)
			r := readRaw(t, bufio.NewReader(conn))
			require.Equal(t, tt.status, r.status, r.body)
			if tt.status == http.StatusOK {
				var e tlstest.Echo // the SNI of the backend connection that served it, fresh or pooled
				require.NoError(t, json.Unmarshal([]byte(r.body), &e), r.body)
				assert.Equal(t, tt.wantSNI, e.SNI)
			}
			if tt.status == http.StatusBadGateway {
				assert.Equal(t, "hostname-mismatch", r.reason)
			}
		})
	}
}

// TestHandlerChecksHeadLimits: Handler, mounted in a server of one's own,
// applies the URI and header limits too.
func TestHandlerChecksHeadLimits(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	bk := &countingBackend{name: "b"}
	srv := pki.StartBackend(t, bk, "api.internal")
	cfg := probedConfig(pki, srv.Member())
	cfg.Listeners = []gateway.Listener{{Name: "web", Protocol: gateway.HTTP, Port: 8080}}
	cfg.SSLCertificates = nil
	gw, err := gateway.New(cfg)
	require.NoError(t, err)
	defer gw.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	own := &http.Server{Handler: gw.Handler(), MaxHeaderBytes: 1 << 20}
	go own.Serve(ln)
	defer own.Shutdown(context.Background())
	c := &http.Client{Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	base := "http://" + ln.Addr().String()

	resp, err := c.Get(base + "/" + strings.Repeat("u", 33<<10))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestURITooLong, resp.StatusCode)
	req, _ := http.NewRequest(http.MethodGet, base+"/", nil)
	req.Header.Set("X-Big", strings.Repeat("h", 33<<10))
	resp, err = c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, resp.StatusCode)
	assert.Zero(t, bk.hits.Load())
}

// TestLogsCarryNoSecrets: whatever a request carries (credentials, cookies,
// a query), and whatever goes wrong (a refused request, a backend that
// fails verification), the log at Debug level holds none of the secrets,
// nor any private key.
func TestLogsCarryNoSecrets(t *testing.T) {
	eachFrontend(t, testLogsCarryNoSecrets)
}

func testLogsCarryNoSecrets(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	good := pki.StartBackend(t, &countingBackend{name: "good"}, "api.internal")
	rogue := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	bad := tlstest.NewServer(tlstest.ServerOptions{Certificate: rogue.NewLeaf(tlstest.Options{DNSNames: []string{"api.internal"}, KeyType: tlstest.ECDSAP256}).FullChain()})
	t.Cleanup(bad.Close)
	var logs logBuffer
	cfg := probedConfig(pki, good.Member(), gateway.Member{Address: "127.0.0.1", Port: bad.Port()})
	cfg.Logger = logs.logger()
	clientCert := pki.Leaf("gateway.client")
	cc := clientCert.FullChain()
	cfg.BackendHTTPSettings[0].ClientCertificate = &cc
	gw := startWith(t, fe, cfg)
	c := newH1Client(t, pki)

	const secret = "s3cr3t-7f1c9e"
	for i := 0; i < 4; i++ { // both members, twice
		get(t, c, gw.URL("web", "shop.example")+"/p?token="+secret,
			"Authorization", "Bearer "+secret, "Cookie", "session="+secret, "X-Api-Key", secret)
	}
	// Refused by the own server's framing (net/http forwards it), by the
	// head limits (both), and by net/http's parser (its own 400).
	for _, req := range []string{
		"POST /?token=" + secret + " HTTP/1.1\r\nHost: shop.example\r\nAuthorization: " + secret + "\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"GET /?token=" + secret + " HTTP/1.1\r\nHost: shop.example\r\nAuthorization: " + secret + "\r\nX-Big: " + strings.Repeat(secret, 4<<10) + "\r\n\r\n",
		"GET /?token=" + secret + " HTTP/1.1\r\nHost: shop.example\r\nBad " + secret + ": x\r\n\r\n",
	} {
		conn := dialTLS(t, pki, gw.Port("web"), "shop.example", tls.VersionTLS13, "http/1.1")
		_, err := io.WriteString(conn, req)
		require.NoError(t, err)
		readRaw(t, bufio.NewReader(conn))
		conn.Close()
	}
	gw.Close()

	out := logs.String()
	require.Contains(t, out, "is not a trusted root", "the verification failure was logged")
	require.Contains(t, out, "headers-too-large", "the refusal was logged")
	if fe == gateway.FrontendOwn {
		require.Contains(t, out, "ambiguous-length", "the refusal was logged")
		require.Contains(t, out, "malformed-header", "the refusal was logged")
	} else {
		// net/http answers what it cannot parse with its own 400: the
		// gateway never sees the request, and the access log has no record.
		assert.NotContains(t, out, "malformed-header")
		assert.NotContains(t, out, "status=400")
	}
	assert.NotContains(t, out, secret)
	for _, key := range [][]byte{pki.Root.KeyPEM(), clientCert.KeyPEM()} {
		assert.NotContains(t, out, string(key))
		block := strings.Join(strings.Split(string(key), "\n")[1:3], "")
		assert.NotContains(t, out, block, "a line of a private key")
	}
}
