package gateway_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
)

// The frontend's own HTTP/1.x server, seen by a client on a raw TLS
// connection: framing, keep-alive, Expect, unread bodies, hang-ups.

// framingBackend answers by path, for the framing tests.
func framingBackend(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	switch r.URL.Path {
	case "/stream": // no length: chunked to HTTP/1.1 clients, with a trailer
		w.Header().Set("Trailer", "X-Sum")
		w.Write([]byte("part1,"))
		w.(http.Flusher).Flush()
		w.Write([]byte("part2"))
		w.Header().Set("X-Sum", "11")
	case "/nocontent":
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("X-Body-Length", strconv.Itoa(len(body)))
		w.Header().Set("X-Trailer", r.Trailer.Get("X-T"))
		w.Header().Set("Content-Length", "5")
		w.Write([]byte("hello"))
	}
}

func startFraming(t *testing.T, fe gateway.Frontend) (*gatewaytest.PKI, int) {
	t.Helper()
	pki := gatewaytest.NewPKI()
	srv := pki.StartBackend(t, http.HandlerFunc(framingBackend), "api.internal")
	cfg := probedConfig(pki, srv.Member())
	cfg.Listeners[0].HostNames = []string{"shop.example"} // other hosts get 404
	gw := startWith(t, fe, cfg)
	return pki, gw.Port("web")
}

// exchange writes req on conn and reads one response.
func exchangeRaw(t *testing.T, conn *tls.Conn, br *bufio.Reader, req, method string) (*http.Response, string) {
	t.Helper()
	_, err := io.WriteString(conn, req)
	require.NoError(t, err)
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

func TestFrontendFraming(t *testing.T) {
	eachFrontend(t, testFrontendFraming)
}

func testFrontendFraming(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki, port := startFraming(t, fe)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			conn := dialTLS(t, pki, port, "shop.example", v, "http/1.1")
			br := bufio.NewReader(conn)

			// HEAD: the backend's length, no body, the connection goes on.
			resp, body := exchangeRaw(t, conn, br, "HEAD / HTTP/1.1\r\nHost: shop.example\r\n\r\n", "HEAD")
			assert.Equal(t, 200, resp.StatusCode)
			assert.Equal(t, int64(5), resp.ContentLength)
			assert.Empty(t, body)

			// A chunked request body with a trailer reaches the backend whole.
			resp, body = exchangeRaw(t, conn, br, "POST /echo HTTP/1.1\r\nHost: shop.example\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n"+
				"3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nX-T: t1\r\n\r\n", "POST")
			assert.Equal(t, "hello", body)
			assert.Equal(t, "7", resp.Header.Get("X-Body-Length"))
			assert.Equal(t, "t1", resp.Header.Get("X-Trailer"))

			// A stream without a length goes chunked, its trailer after it.
			resp, body = exchangeRaw(t, conn, br, "GET /stream HTTP/1.1\r\nHost: shop.example\r\n\r\n", "GET")
			assert.Equal(t, []string{"chunked"}, resp.TransferEncoding)
			assert.Equal(t, "part1,part2", body)
			assert.Equal(t, "11", resp.Trailer.Get("X-Sum"))

			// 204 has neither body nor length.
			resp, body = exchangeRaw(t, conn, br, "GET /nocontent HTTP/1.1\r\nHost: shop.example\r\n\r\n", "GET")
			assert.Equal(t, 204, resp.StatusCode)
			assert.Empty(t, resp.Header.Values("Content-Length"))
			assert.Empty(t, body)

			// The gateway's own answers carry their length.
			resp, body = exchangeRaw(t, conn, br, "GET / HTTP/1.1\r\nHost: unknown.example\r\n\r\n", "GET")
			assert.Equal(t, 404, resp.StatusCode)
			assert.Equal(t, int64(len(body)), resp.ContentLength)
			assert.NotEmpty(t, resp.Header.Get("Date"))

			// Expect: 100-continue gets its interim answer before the body is sent.
			_, err := io.WriteString(conn, "POST /echo HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
			require.NoError(t, err)
			line, err := br.ReadString('\n')
			require.NoError(t, err)
			assert.Equal(t, "HTTP/1.1 100 Continue\r\n", line)
			_, err = br.ReadString('\n')
			require.NoError(t, err)
			_, err = io.WriteString(conn, "wxyz")
			require.NoError(t, err)
			resp, err = http.ReadResponse(br, nil)
			require.NoError(t, err)
			io.Copy(io.Discard, resp.Body)
			assert.Equal(t, "4", resp.Header.Get("X-Body-Length"))

			// Connection: close is honoured after the answer.
			resp, _ = exchangeRaw(t, conn, br, "GET / HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n", "GET")
			assert.True(t, resp.Close)
			requireClosed(t, conn, br)
		})
	}
}

func TestFrontendHTTP10(t *testing.T) {
	eachFrontend(t, testFrontendHTTP10)
}

func testFrontendHTTP10(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki, port := startFraming(t, fe)
	conn := dialTLS(t, pki, port, "shop.example", tls.VersionTLS13, "http/1.1")
	br := bufio.NewReader(conn)

	// keep-alive asked for: kept, and said so.
	resp, body := exchangeRaw(t, conn, br, "GET / HTTP/1.0\r\nHost: shop.example\r\nConnection: keep-alive\r\n\r\n", "GET")
	assert.Equal(t, "hello", body)
	assert.Equal(t, "keep-alive", resp.Header.Get("Connection"))

	// A stream to an HTTP/1.0 client ends with the connection: no chunking.
	resp, body = exchangeRaw(t, conn, br, "GET /stream HTTP/1.0\r\nHost: shop.example\r\nConnection: keep-alive\r\n\r\n", "GET")
	assert.Empty(t, resp.TransferEncoding)
	assert.Equal(t, "part1,part2", body)
	requireClosed(t, conn, br)

	// Without keep-alive, the connection closes after the answer. A client
	// that offers only http/1.0 by ALPN is served.
	conn = dialTLS(t, pki, port, "shop.example", tls.VersionTLS13, "http/1.0")
	assert.Equal(t, "http/1.0", conn.ConnectionState().NegotiatedProtocol)
	br = bufio.NewReader(conn)
	_, body = exchangeRaw(t, conn, br, "GET / HTTP/1.0\r\nHost: shop.example\r\n\r\n", "GET")
	assert.Equal(t, "hello", body)
	requireClosed(t, conn, br)
}

func TestFrontendRefusesWhatItCannotServe(t *testing.T) {
	eachFrontend(t, testFrontendRefusesWhatItCannotServe)
}

func testFrontendRefusesWhatItCannotServe(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki, port := startFraming(t, fe)
	for _, tt := range []struct {
		name, req string
		status    int
		reason    string
	}{
		{"HTTP/2 request line", "GET / HTTP/2.0\r\nHost: shop.example\r\n\r\n", 505, "unsupported-version"},
		{"unknown expectation", "GET / HTTP/1.1\r\nHost: shop.example\r\nExpect: magic\r\n\r\n", 417, "unsupported-expect"},
		{"method not a token", "G(T / HTTP/1.1\r\nHost: shop.example\r\n\r\n", 400, "malformed-request-line"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn := dialTLS(t, pki, port, "shop.example", tls.VersionTLS13, "http/1.1")
			br := bufio.NewReader(conn)
			_, err := io.WriteString(conn, tt.req)
			require.NoError(t, err)
			r := readRaw(t, br)
			assert.Equal(t, tt.status, r.status, r.body)
			// net/http answers with the same status, in its own words.
			assert.Equal(t, byFrontend(fe, tt.reason, ""), r.reason)
			requireClosed(t, conn, br)
		})
	}
}

// TestFrontendUnreadBody: a request answered without its body being read
// (here: no listener for its host) keeps the connection when the body is
// small enough to skip, and closes it, after the answer, when it is not.
func TestFrontendUnreadBody(t *testing.T) {
	eachFrontend(t, testFrontendUnreadBody)
}

func testFrontendUnreadBody(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki, port := startFraming(t, fe)
	conn := dialTLS(t, pki, port, "shop.example", tls.VersionTLS13, "http/1.1")
	br := bufio.NewReader(conn)
	small := strings.Repeat("s", 10<<10)
	resp, _ := exchangeRaw(t, conn, br, "POST / HTTP/1.1\r\nHost: nobody.example\r\nContent-Length: "+strconv.Itoa(len(small))+"\r\n\r\n"+small, "POST")
	assert.Equal(t, 404, resp.StatusCode)
	assert.False(t, resp.Close)
	_, body := exchangeRaw(t, conn, br, "GET / HTTP/1.1\r\nHost: shop.example\r\n\r\n", "GET")
	assert.Equal(t, "hello", body, "the connection serves on after a skipped body")

	big := 1 << 20
	_, err := fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: nobody.example\r\nContent-Length: %d\r\n\r\n", big)
	require.NoError(t, err)
	go func() { // the gateway answers before reading it all
		conn.Write([]byte(strings.Repeat("b", big)))
	}()
	resp, err = http.ReadResponse(br, nil)
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	assert.Equal(t, 404, resp.StatusCode)
	assert.True(t, resp.Close, "a body too large to skip closes the connection, and says so")
}

// startHangingBackend starts a backend whose requests (but probes) wait up
// to 10 s for their context to end; each signals started when it arrives,
// and cancelled counts those whose context ended.
func startHangingBackend(t *testing.T, pki *gatewaytest.PKI) (*gatewaytest.Backend, <-chan struct{}, *atomic.Int32) {
	cancelled := new(atomic.Int32)
	started := make(chan struct{}, 1)
	srv := pki.StartBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			return
		}
		started <- struct{}{}
		select {
		case <-r.Context().Done():
			cancelled.Add(1)
		case <-time.After(10 * time.Second):
		}
	}), "api.internal")
	return srv, started, cancelled
}

// TestFrontendNoticesClientHangUp: a client that closes its connection
// while its request waits on the backend has that request cancelled at the
// backend.
func TestFrontendNoticesClientHangUp(t *testing.T) {
	eachFrontend(t, testFrontendNoticesClientHangUp)
}

func testFrontendNoticesClientHangUp(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	srv, started, cancelled := startHangingBackend(t, pki)
	gw := startWith(t, fe, probedConfig(pki, srv.Member()))
	conn := dialTLS(t, pki, gw.Port("web"), "shop.example", tls.VersionTLS13, "http/1.1")
	_, err := io.WriteString(conn, "GET /slow HTTP/1.1\r\nHost: shop.example\r\n\r\n")
	require.NoError(t, err)
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("the request never reached the backend")
	}
	start := time.Now()
	conn.Close()
	waitFor(t, "the backend request to be cancelled", func() bool { return cancelled.Load() == 1 })
	assert.Less(t, time.Since(start), 3*time.Second)
}

// TestFrontendPipelinedBehindSlowRequest: a request pipelined behind one
// that waits on its backend (long enough for the server to watch the
// connection for a hang-up, which reads ahead) is served whole, in order.
func TestFrontendPipelinedBehindSlowRequest(t *testing.T) {
	eachFrontend(t, testFrontendPipelinedBehindSlowRequest)
}

func testFrontendPipelinedBehindSlowRequest(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	srv := pki.StartBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(400 * time.Millisecond)
		}
		io.WriteString(w, r.URL.Path)
	}), "api.internal")
	gw := startWith(t, fe, probedConfig(pki, srv.Member()))
	for _, second := range []string{
		"GET /second HTTP/1.1\r\nHost: shop.example\r\n\r\n",
		"POST /second HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 3\r\n\r\nabc",
	} {
		conn := dialTLS(t, pki, gw.Port("web"), "shop.example", tls.VersionTLS13, "http/1.1")
		br := bufio.NewReader(conn)
		_, err := io.WriteString(conn, "GET /slow HTTP/1.1\r\nHost: shop.example\r\n\r\n"+second)
		require.NoError(t, err)
		for _, want := range []string{"/slow", "/second"} {
			resp, err := http.ReadResponse(br, nil)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			assert.Equal(t, want, string(body))
		}
		conn.Close()
	}
}

// rawBackend answers every request (but probes) with raw, as the bytes a
// hostile or broken backend would send.
func rawBackend(raw string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		brw.WriteString(raw)
		brw.Flush()
	})
}

// TestBackendTrailersStayTrailers: trailer fields of a backend's chunked
// answer never reach the head of the client's response, and fields that
// must not be trailers (Content-Length, Transfer-Encoding) are dropped, so
// a backend cannot frame the client's connection.
func TestBackendTrailersStayTrailers(t *testing.T) {
	eachFrontend(t, testBackendTrailersStayTrailers)
}

func testBackendTrailersStayTrailers(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	for _, tt := range []struct{ name, body string }{
		{"empty body", "0\r\nContent-Length: 50\r\nTransfer-Encoding: chunked\r\nX-Sum: 3\r\n\r\n"},
		{"with a body", "3\r\nabc\r\n0\r\nContent-Length: 50\r\nTransfer-Encoding: chunked\r\nX-Sum: 3\r\n\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pki := gatewaytest.NewPKI()
			srv := pki.StartBackend(t, rawBackend("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"+
				"Trailer: Content-Length, Transfer-Encoding, X-Sum\r\nConnection: close\r\n\r\n"+tt.body), "api.internal")
			gw := startWith(t, fe, probedConfig(pki, srv.Member()))
			conn := dialTLS(t, pki, gw.Port("web"), "shop.example", tls.VersionTLS13, "http/1.1")
			_, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n")
			require.NoError(t, err)
			br := bufio.NewReader(conn)
			// The head, read raw: one framing, no trailer values in it.
			var head []string
			for {
				line, err := br.ReadString('\n')
				require.NoError(t, err)
				if line == "\r\n" {
					break
				}
				head = append(head, strings.TrimRight(line, "\r\n"))
			}
			joined := strings.ToLower(strings.Join(head, "\n"))
			assert.Equal(t, 1, strings.Count(joined, "transfer-encoding: chunked"), "head: %q", head)
			assert.NotContains(t, joined, "content-length:", "head: %q", head)
			assert.NotContains(t, joined, "x-sum:", "head: %q", head)
			// The body and the one valid trailer after it.
			rest, err := io.ReadAll(io.LimitReader(br, 1<<10))
			require.NoError(t, err)
			assert.Contains(t, string(rest), "X-Sum: 3\r\n")
			assert.NotContains(t, strings.ToLower(string(rest)), "content-length")
		})
	}
}

// TestBackendContentLengthSigned: a Content-Length with a sign is not a
// number net/http or the gateway accepts: 502, nothing relayed.
func TestBackendContentLengthSigned(t *testing.T) {
	eachFrontend(t, testBackendContentLengthSigned)
}

func testBackendContentLengthSigned(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	srv := pki.StartBackend(t, rawBackend("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello"), "api.internal")
	gw := startWith(t, fe, probedConfig(pki, srv.Member()))
	conn := dialTLS(t, pki, gw.Port("web"), "shop.example", tls.VersionTLS13, "http/1.1")
	_, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: shop.example\r\n\r\n")
	require.NoError(t, err)
	r := readRaw(t, bufio.NewReader(conn))
	assert.Equal(t, http.StatusBadGateway, r.status, r.body)
	assert.Contains(t, r.body, "Content-Length")
}

// TestFrontendHangUpAfterHeaderTimeout: the head's deadline does not end
// the watch for a hang-up of a request that waits longer than it.
func TestFrontendHangUpAfterHeaderTimeout(t *testing.T) {
	eachFrontend(t, testFrontendHangUpAfterHeaderTimeout)
}

func testFrontendHangUpAfterHeaderTimeout(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	srv, started, cancelled := startHangingBackend(t, pki)
	cfg := probedConfig(pki, srv.Member())
	cfg.ReadHeaderTimeout = 300 * time.Millisecond
	gw := startWith(t, fe, cfg)
	conn := dialTLS(t, pki, gw.Port("web"), "shop.example", tls.VersionTLS13, "http/1.1")
	_, err := io.WriteString(conn, "GET /slow HTTP/1.1\r\nHost: shop.example\r\n\r\n")
	require.NoError(t, err)
	<-started
	time.Sleep(time.Second) // past the head's deadline
	conn.Close()
	waitFor(t, "the backend request to be cancelled", func() bool { return cancelled.Load() == 1 })
}

// TestFrontendExpectContinueEdges: 100-continue is ignored where it means
// nothing (HTTP/1.0, no body), as net/http does, and keeps the connection.
func TestFrontendExpectContinueEdges(t *testing.T) {
	eachFrontend(t, testFrontendExpectContinueEdges)
}

func testFrontendExpectContinueEdges(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki, port := startFraming(t, fe)
	conn := dialTLS(t, pki, port, "shop.example", tls.VersionTLS13, "http/1.1")
	br := bufio.NewReader(conn)
	resp, body := exchangeRaw(t, conn, br, "GET / HTTP/1.1\r\nHost: shop.example\r\nExpect: 100-continue\r\n\r\n", "GET")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "hello", body)
	assert.False(t, resp.Close, "no body was expected, so nothing was left unread")
	resp, body = exchangeRaw(t, conn, br, "POST / HTTP/1.0\r\nHost: shop.example\r\nConnection: keep-alive\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi", "POST")
	assert.Equal(t, 200, resp.StatusCode, "HTTP/1.0 has no 100-continue: the expectation is ignored")
	assert.Equal(t, "2", resp.Header.Get("X-Body-Length"))
	assert.Equal(t, "hello", body)
}

// TestFrontendIdleTimeout: a keep-alive connection with no request closes
// at the idle timeout, on either frontend.
func TestFrontendIdleTimeout(t *testing.T) {
	eachFrontend(t, testFrontendIdleTimeout)
}

func testFrontendIdleTimeout(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	srv := pki.StartBackend(t, http.HandlerFunc(framingBackend), "api.internal")
	cfg := probedConfig(pki, srv.Member())
	cfg.IdleTimeout = 500 * time.Millisecond
	gw := startWith(t, fe, cfg)
	conn := dialTLS(t, pki, gw.Port("web"), "shop.example", tls.VersionTLS13, "http/1.1")
	br := bufio.NewReader(conn)
	_, body := exchangeRaw(t, conn, br, "GET / HTTP/1.1\r\nHost: shop.example\r\n\r\n", "GET")
	require.Equal(t, "hello", body)
	start := time.Now()
	requireClosed(t, conn, br)
	assert.GreaterOrEqual(t, time.Since(start), 400*time.Millisecond)
	assert.Less(t, time.Since(start), 3*time.Second)
}

// TestBackendContentTypeNotSniffed: a backend answer without Content-Type
// reaches the client without one, over HTTP/1.1 and HTTP/2: the gateway
// does not guess (net/http's server would sniff "text/html" from the body,
// turning a backend's untyped bytes into a page a browser renders).
func TestBackendContentTypeNotSniffed(t *testing.T) {
	eachFrontend(t, testBackendContentTypeNotSniffed)
}

func testBackendContentTypeNotSniffed(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	const page = "<html><script>alert(1)</script></html>"
	srv := pki.StartBackend(t, rawBackend("HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(len(page))+"\r\nConnection: close\r\n\r\n"+page), "api.internal")
	gw := startWith(t, fe, probedConfig(pki, srv.Member()))
	for _, c := range []*http.Client{newH1Client(t, pki), newClient(t, pki)} {
		r := get(t, c, gw.URL("web", "shop.example")+"/upload/1")
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, page, r.body)
		assert.Empty(t, r.header.Values("Content-Type"), "%s", r.resp.Proto)
	}
}
