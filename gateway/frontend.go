package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The frontend's defences that net/http does not provide on its own.
//
// net/http parses HTTP/1.1 leniently where a gateway must not: it accepts
// Content-Length together with Transfer-Encoding (dropping Content-Length),
// joins obsolete line folding into one value, ignores Transfer-Encoding in
// HTTP/1.0 requests, and counts the request line against the header limit
// (431 for a long URI). So the gateway does the frontend TLS handshake
// itself, serves each HTTP/1.x connection with its own server (h1Server)
// over a frontConn, whose requestScanner sees the plaintext before the
// server parses it and refuses such requests with the right status, before
// any of their head is parsed. HTTP/2 connections go to the port's own
// HTTP/2 server (h2Server) unwrapped: HTTP/2 framing has no such
// ambiguities, and the limits on the URI and the header fields are checked
// by checkHead.

// frontendProtocols are the ALPN protocols HTTPS listeners offer. A client
// that offers only http/1.0 (curl --http1.0 does) is served by the HTTP/1.x
// server; one that offers no ALPN at all gets HTTP/1.1.
var frontendProtocols = []string{"h2", "http/1.1", "http/1.0"}

// maxConcurrentStreams bounds the streams of one HTTP/2 client connection,
// and so the handlers it runs at once; h2Server closes a connection that
// keeps opening streams over it (rapid reset) with ENHANCE_YOUR_CALM, as
// net/http does.
const maxConcurrentStreams = 250

// refusalLinger bounds how long a refused connection is drained after its
// answer, so that the client reads the answer before the connection resets.
const refusalLinger = 500 * time.Millisecond

// errRefused ends a connection whose request was refused.
var errRefused = errors.New("gateway: request refused")

// frontListener is a frontend port's listener. It accepts connections in
// a goroutine of its own and gives each a goroutine that runs its TLS
// handshake (HTTPS), bounded by the server's ReadHeaderTimeout, and then
// serves it in that same goroutine: HTTP/1.x connections, wrapped in a
// frontConn, with the port's h1Server, HTTP/2 connections with its
// h2Server. net/http's server only runs the listener: its Accept returns
// no connection, only the listener's errors. Close stops accepting, ends
// the handshakes in progress and waits for them; connections already being
// served belong to their server.
type frontListener struct {
	net.Listener
	g         *Gateway
	port      int
	h1        *h1Server
	h2        *h2Server
	tlsConfig *tls.Config // nil for HTTP
	timeout   time.Duration

	errs   chan error // Accept's errors
	ctx    context.Context
	cancel context.CancelFunc
	once   sync.Once
	wg     sync.WaitGroup // the accept loop and the handshakes
}

func (g *Gateway) newFrontListener(ln net.Listener, f *frontend) net.Listener {
	l := &frontListener{Listener: ln, g: g, port: f.port, h1: f.h1, h2: f.h2}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	if f.https {
		l.tlsConfig = f.tlsConfig
		l.timeout = f.srv.ReadHeaderTimeout
	}
	l.errs = make(chan error)
	l.wg.Add(1)
	go l.acceptLoop()
	return l
}

func (l *frontListener) Accept() (net.Conn, error) {
	select {
	case err := <-l.errs:
		return nil, err
	case <-l.ctx.Done():
		return nil, net.ErrClosed
	}
}

// Close closes the listener, ends the handshakes in progress and waits for
// its goroutines.
func (l *frontListener) Close() error {
	var err error
	l.once.Do(func() {
		l.cancel()
		err = l.Listener.Close()
		l.wg.Wait()
	})
	return err
}

func (l *frontListener) acceptLoop() {
	defer l.wg.Done()
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			// net/http's Serve decides: it retries temporary errors after
			// a pause, during which this send waits.
			select {
			case l.errs <- err:
				continue
			case <-l.ctx.Done():
				return
			}
		}
		l.wg.Add(1)
		if l.tlsConfig == nil {
			go l.servePlain(c)
		} else {
			go l.handshake(c)
		}
	}
}

func (l *frontListener) servePlain(c net.Conn) {
	fc := &frontConn{Conn: c, l: l}
	l.wg.Done()
	l.h1.serveConn(fc, fc)
}

func (l *frontListener) handshake(raw net.Conn) {
	tc := tls.Server(raw, l.tlsConfig)
	if l.timeout > 0 {
		tc.SetDeadline(time.Now().Add(l.timeout))
	}
	if err := tc.HandshakeContext(l.ctx); err != nil {
		l.handshakeFailed(err)
		tc.Close()
		l.wg.Done()
		return
	}
	tc.SetDeadline(time.Time{})
	if tc.ConnectionState().NegotiatedProtocol == "h2" {
		l.wg.Done()
		l.h2.serveConn(tc)
		return
	}
	fc := &tlsFrontConn{frontConn{Conn: tc, l: l}}
	l.wg.Done()
	l.h1.serveConn(fc, &fc.frontConn)
}

// handshakeFailed logs a failed handshake, as net/http does, and answers a
// client that spoke plain HTTP to the TLS port.
func (l *frontListener) handshakeFailed(err error) {
	var re tls.RecordHeaderError
	if errors.As(err, &re) && re.Conn != nil && looksLikeHTTP(re.RecordHeader) {
		re.Conn.SetWriteDeadline(time.Now().Add(time.Second))
		io.WriteString(re.Conn, "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
		err = errors.New("client sent an HTTP request to an HTTPS server")
	}
	if l.ctx.Err() == nil {
		l.g.log.LogAttrs(l.ctx, slog.LevelDebug, "gateway: TLS handshake failed",
			slog.Int("port", l.port), slog.String("error", err.Error()))
	}
}

func looksLikeHTTP(hdr [5]byte) bool {
	switch string(hdr[:]) {
	case "GET /", "HEAD ", "POST ", "PUT /", "OPTIO":
		return true
	}
	return false
}

// frontConn is an HTTP/1.1 client connection whose requests pass its
// requestScanner before net/http reads them. Each Read returns bytes of one
// request at most, so a refusal of a request is decided when the requests
// before it have been answered and no handler is running: the connection
// then answers it itself, in the gateway's format, and ends.
type frontConn struct {
	net.Conn
	l       *frontListener
	scanner requestScanner
	carry   []byte      // bytes read past the end of a request
	rerr    error       // the error that came with carried bytes
	opaque  atomic.Bool // hijacked (an upgrade): no longer HTTP
	refused atomic.Bool
}

// tlsFrontConn is a frontConn over TLS. net/http takes the request's TLS
// state from its ConnectionState.
type tlsFrontConn struct{ frontConn }

// ConnectionState returns the TLS state of the connection.
func (c *tlsFrontConn) ConnectionState() tls.ConnectionState {
	return c.Conn.(*tls.Conn).ConnectionState()
}

func (c *frontConn) Read(p []byte) (int, error) {
	if c.refused.Load() {
		return 0, c.readError()
	}
	if len(c.carry) > 0 {
		b := c.carry[:min(len(p), len(c.carry))]
		n := len(b)
		if !c.opaque.Load() {
			var r *refusal
			if n, r = c.scanner.scan(b); r != nil {
				return 0, c.refuse(r, len(p) > 1)
			}
		}
		copy(p, b[:n])
		c.carry = c.carry[n:]
		if len(c.carry) == 0 {
			c.carry = nil
		}
		return n, nil
	}
	if err := c.rerr; err != nil {
		c.rerr = nil
		return 0, err
	}
	n, err := c.Conn.Read(p)
	if n == 0 || c.opaque.Load() {
		return n, err
	}
	used, r := c.scanner.scan(p[:n])
	if r != nil {
		return 0, c.refuse(r, len(p) > 1)
	}
	if used < n {
		c.carry = append([]byte(nil), p[used:n]...)
		c.rerr = err
		return used, nil
	}
	return n, err
}

func (c *frontConn) Write(p []byte) (int, error) {
	if c.refused.Load() {
		return 0, c.readError()
	}
	return c.Conn.Write(p)
}

func (c *frontConn) readError() error {
	return &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: errRefused}
}

// refuse ends the connection because of r. With answer set and r a refusal
// of a head (no handler is running), it first answers r and drains the
// connection briefly, so that the client reads the answer. net/http sees a
// read error and closes the connection without answering.
func (c *frontConn) refuse(r *refusal, answer bool) error {
	c.refused.Store(true)
	c.l.g.log.LogAttrs(context.Background(), slog.LevelInfo, "request refused",
		slog.Int("port", c.l.port), slog.String("client", c.RemoteAddr().String()),
		slog.Int("status", r.status), slog.String("reason", r.reason))
	if answer && r.status != 0 && !c.scanner.inBody() {
		c.Conn.SetWriteDeadline(time.Now().Add(refusalLinger))
		if _, err := c.Conn.Write(refusalResponse(r)); err == nil {
			closeWrite(c.Conn)
			c.Conn.SetReadDeadline(time.Now().Add(refusalLinger))
			io.CopyN(io.Discard, c.Conn, 1<<20)
		}
	}
	c.Conn.Close()
	return c.readError()
}

// closeWrite ends the sending side of c: TLS close_notify, then TCP FIN.
func closeWrite(c net.Conn) {
	if tc, ok := c.(*tls.Conn); ok {
		tc.CloseWrite()
		c = tc.NetConn()
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}

// refusalResponse is the gateway's one-line error response for r, as fail
// writes it, on a connection that closes.
func refusalResponse(r *refusal) []byte {
	text := http.StatusText(r.status)
	body := strconv.Itoa(r.status) + " " + text + ": " + r.message + "\n"
	return []byte("HTTP/1.1 " + strconv.Itoa(r.status) + " " + text + "\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"X-Content-Type-Options: nosniff\r\n" +
		"Cache-Control: no-store\r\n" +
		"Server: " + serverName + "\r\n" +
		"X-E2etls-Error: " + r.reason + "\r\n" +
		"Connection: close\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}

// checkHead refuses a request whose target or header fields exceed the
// limits, where no requestScanner saw it: HTTP/2 requests, and requests
// to Handler. It reports whether the request may proceed.
func (g *Gateway) checkHead(w http.ResponseWriter, r *http.Request) bool {
	var ref *refusal
	switch {
	case len(r.RequestURI) > maxURIBytes:
		ref = refuseURITooLong
	case headerBytes(r) > maxHeaderBytes:
		ref = refuseHeadersTooLarge
	default:
		return true
	}
	g.refuseRequest(w, r, ref)
	return false
}

// refuseRequest answers r with ref in the gateway's error format and logs
// it; nothing of r is forwarded.
func (g *Gateway) refuseRequest(w http.ResponseWriter, r *http.Request, ref *refusal) {
	x := &exchange{rw: responseWriter{ResponseWriter: w}}
	g.fail(&x.rw, x, ref.status, ref.reason, ref.message, nil)
	g.accessLog(r, x, time.Now())
}

// headerBytes is the size of a request's header fields as HTTP/1.1 would
// send them ("Name: value\r\n"), Host included; it stops counting past the
// limit.
func headerBytes(r *http.Request) int {
	n := len("Host: \r\n") + len(r.Host)
	for k, vv := range r.Header {
		for _, v := range vv {
			n += len(k) + len(v) + 4
		}
		if n > maxHeaderBytes {
			break
		}
	}
	return n
}
