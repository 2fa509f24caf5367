package gateway

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
)

// The frontend's HTTP/1.x server.
//
// net/http's server costs a gateway more than the proxying itself on small
// keep-alive requests: it starts a goroutine per request that reads ahead
// to notice a client hanging up (one more read, and two deadline changes,
// per request), allocates a fresh request, header map, URL and context per
// request, and holds a 4 KiB reader and a 4 KiB writer for every idle
// connection. h1Server serves the HTTP/1.x connections of a frontend port
// itself, behind the same requestScanner as before:
//
//   - one goroutine per connection, the one that did the TLS handshake;
//     requests are served in it one after the other;
//   - the request, its header map, URL and response header map are reused
//     from one request of a connection to the next (the handler keeps none
//     of them past its return); a request head is one string allocation
//     and one slice of header values;
//   - an idle connection holds no buffers: it waits for the first byte of
//     its next request in a one-byte read, and takes a pooled reader and
//     writer only while it serves;
//   - a client hanging up is noticed by a read started only when a request
//     has been waiting on its backend for clientWatchDelay, so fast
//     requests pay nothing for it;
//   - a response whose length the handler did not declare gets a
//     Content-Length when it fits the buffer, chunked framing otherwise;
//     head and body leave in one write when they fit.
//
// HTTP/2 connections go to h2Server (h2server.go; see frontListener).

// clientWatchDelay is how long a request waits before a read watches its
// client connection for a hang-up.
const clientWatchDelay = 100 * time.Millisecond

// maxDiscardBody is how much of a request body the server reads and drops
// after the handler left it unread, to keep the connection; a longer rest
// closes the connection, as net/http does.
const maxDiscardBody = 256 << 10

var errClientGone = errors.New("gateway: the client closed its connection")

// h1Server serves the HTTP/1.x connections of one frontend port.
type h1Server struct {
	g                 *Gateway
	port              int
	handler           http.Handler
	readHeaderTimeout time.Duration
	idleTimeout       time.Duration

	conns    connSet[*h1Conn]
	shutting atomic.Bool
}

func newH1Server(g *Gateway, port int, h http.Handler, readHeader, idle time.Duration) *h1Server {
	return &h1Server{g: g, port: port, handler: h, readHeaderTimeout: readHeader, idleTimeout: idle,
		conns: newConnSet[*h1Conn]()}
}

// Connection states.
const (
	connIdle   int32 = iota // waiting for a request (or its first byte)
	connActive              // serving a request
	connClosed              // closed by Shutdown or Close
)

// h1Conn is one client connection and the state reused across its
// requests.
type h1Conn struct {
	s      *h1Server
	conn   net.Conn   // the scanned connection: *frontConn or *tlsFrontConn
	fc     *frontConn // conn's frontConn
	tls    *tls.ConnectionState
	remote string
	state  atomic.Int32

	ctx    context.Context // every request's context: ends when the client is gone
	cancel context.CancelCauseFunc

	pre  prefixReader
	br   *bufio.Reader // while serving, or always for plain HTTP
	keep bool          // keep br across idle periods (plain HTTP: no record buffer below)

	template *http.Request // zero but for its context
	req      *http.Request
	url      url.URL
	header   http.Header
	body     h1Body
	w        h1Response

	watch        *time.Timer // starts the client watch
	watching     sync.WaitGroup
	watchMu      sync.Mutex
	watchOn      bool // a watch read is running
	watchStopped bool // the request ended: a firing timer does nothing
	watchB       [1]byte
	watchN       int
}

// serveConn serves c, a handshaken connection, until it closes. It runs in
// the goroutine that accepted c.
func (s *h1Server) serveConn(conn net.Conn, fc *frontConn) {
	c := &h1Conn{s: s, conn: conn, fc: fc, remote: conn.RemoteAddr().String()}
	if !s.conns.add(c) {
		conn.Close()
		return
	}

	if tc, ok := conn.(*tlsFrontConn); ok {
		cs := tc.ConnectionState()
		c.tls = &cs
	} else {
		c.keep = true
	}
	c.ctx, c.cancel = context.WithCancelCause(context.Background())
	c.template = (&http.Request{}).WithContext(c.ctx)
	c.req = new(http.Request)
	c.header = make(http.Header, 16)
	c.w.header = make(http.Header, 16)
	c.w.c = c
	c.body.c = c

	hijacked := false
	defer func() {
		if !hijacked {
			c.conn.Close()
		}
		c.cancel(errClientGone)
		if c.watch != nil {
			c.watch.Stop()
		}
		if c.br != nil && !hijacked {
			putReader(c.br)
			c.br = nil
		}
		s.conns.forget(c)
	}()
	hijacked = c.serve()
}

// serve runs the connection's request loop; it reports whether the
// connection was hijacked.
func (c *h1Conn) serve() (hijacked bool) {
	timeout := c.s.readHeaderTimeout
	for {
		// Wait for the next request. Bytes already buffered (a pipelined
		// request) need no wait.
		if c.br == nil || c.br.Buffered() == 0 && c.pre.n == 0 {
			if c.br != nil {
				c.conn.SetReadDeadline(time.Now().Add(timeout))
				if _, err := c.br.Peek(1); err != nil {
					return false
				}
			} else if !c.idleRead(timeout) {
				return false
			}
		}
		if !c.state.CompareAndSwap(connIdle, connActive) {
			return false // closed by Shutdown while idle
		}
		if c.br == nil {
			c.pre.r = c.conn
			c.br = getReader(&c.pre)
		}
		keepAlive, hijacked := c.serveRequest()
		if hijacked {
			return true
		}
		if !keepAlive {
			return false
		}
		if !c.keep && c.br.Buffered() == 0 && c.pre.n == 0 {
			putReader(c.br)
			c.br = nil
		}
		c.state.Store(connIdle)
		if c.s.shutting.Load() {
			return false
		}
		timeout = c.s.idleTimeout
	}
}

// idleRead waits for the first byte of a TLS connection's next request,
// into c.pre, holding no buffer meanwhile. It reports whether a byte came.
func (c *h1Conn) idleRead(timeout time.Duration) bool {
	c.conn.SetReadDeadline(time.Now().Add(timeout))
	n, _ := c.conn.Read(c.pre.b[:])
	c.pre.n = n
	return n > 0
}

// shutdown closes idle connections, lets active ones finish their request
// (they close after it) and waits for them, or for ctx.
func (s *h1Server) shutdown(ctx context.Context) error {
	s.shutting.Store(true)
	s.conns.stopAccepting(nil)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		s.closeIdle()
		select {
		case <-s.conns.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func (s *h1Server) closeIdle() {
	s.conns.each(func(c *h1Conn) {
		if c.state.CompareAndSwap(connIdle, connClosed) {
			c.conn.Close()
		}
	})
}

// close closes every connection at once.
func (s *h1Server) close() {
	s.shutting.Store(true)
	s.conns.stopAccepting(func(c *h1Conn) {
		c.state.Store(connClosed)
		c.conn.Close()
	})
}

// serveRequest reads one request and serves it. It reports whether the
// connection may serve another, and whether the handler hijacked it.
func (c *h1Conn) serveRequest() (keepAlive, hijacked bool) {
	r, ref := c.readRequest()
	if ref != nil {
		if ref.status != 0 {
			c.refuse(ref)
		}
		return false, false
	}
	w := &c.w
	w.reset(r)
	if r.ContentLength != 0 {
		// The body has no deadline of its own (net/http's ReadTimeout
		// is not set either); slow bodies are bounded by the backend's.
		c.conn.SetReadDeadline(time.Time{})
	}
	if r.ProtoMajor != 1 {
		c.refuse(refuseVersion)
		return false, false
	}
	if ex := r.Header["Expect"]; len(ex) > 0 {
		// As net/http: 100-continue is answered when the body is first
		// read, and only matters for an HTTP/1.1 request with a body; any
		// other expectation is refused.
		if !strings.EqualFold(textproto.TrimString(ex[0]), "100-continue") {
			c.refuse(refuseExpect)
			return false, false
		}
		c.body.continueNeeded = r.ProtoAtLeast(1, 1) && r.ContentLength != 0
	}

	c.startWatch()
	aborted := runHandler(c.s.g, c.s.handler, w, r, c.remote)
	c.stopWatch()
	if w.hijacked {
		return false, true
	}
	if aborted {
		return false, false
	}
	if err := w.finish(); err != nil {
		return false, false
	}
	if w.closeAfter || c.ctx.Err() != nil {
		return false, false
	}
	return true, false
}

// refuse answers a request head that cannot be served, in the gateway's
// format, and lets the connection close.
func (c *h1Conn) refuse(ref *refusal) {
	c.s.g.log.LogAttrs(context.Background(), slog.LevelInfo, "request refused",
		slog.Int("port", c.s.port), slog.String("client", c.remote),
		slog.Int("status", ref.status), slog.String("reason", ref.reason))
	c.conn.SetWriteDeadline(time.Now().Add(refusalLinger))
	if _, err := c.conn.Write(refusalResponse(ref)); err == nil {
		// Drain briefly, so that the client reads the answer before the
		// close resets the connection.
		closeWrite(c.fc.Conn)
		c.fc.Conn.SetReadDeadline(time.Now().Add(refusalLinger))
		io.CopyN(io.Discard, c.fc.Conn, 1<<20)
	}
}

// Refusals of heads that pass the scanner but that no server may accept.
var (
	refuseMethod = &refusal{http.StatusBadRequest, "malformed-request-line",
		"the request's method is not a token (RFC 9110 section 9)"}
	refuseTarget = &refusal{http.StatusBadRequest, "malformed-request-line",
		"the request target is not an absolute path or an absolute URI"}
	refuseHeaderName = &refusal{http.StatusBadRequest, "malformed-header",
		"a header line has no colon, or its name is not a token"}
	refuseHeaderValue = &refusal{http.StatusBadRequest, "malformed-header",
		"a header value contains a control character"}
	refuseNoHost = &refusal{http.StatusBadRequest, "missing-host",
		"an HTTP/1.1 request must carry one Host header (RFC 9112 section 3.2)"}
	refuseManyHosts = &refusal{http.StatusBadRequest, "bad-host",
		"the request has more than one Host header"}
	refuseBadHost = &refusal{http.StatusBadRequest, "bad-host",
		"the request's Host header is not a valid host[:port]"}
	refuseVersion = &refusal{http.StatusHTTPVersionNotSupported, "unsupported-version",
		"the request's HTTP version is not 1.0 or 1.1 (HTTP/2 is offered by TLS ALPN)"}
	refuseExpect = &refusal{http.StatusExpectationFailed, "unsupported-expect",
		"the request's Expect is not 100-continue"}
	refuseHeadTooLarge = &refusal{http.StatusRequestHeaderFieldsTooLarge, "headers-too-large",
		"the request head is larger than the server accepts"}
	// connection errors: no answer.
	errConnRead = &refusal{}
)

// readRequest reads and parses a request head into the connection's
// reused request. A refusal with status 0 means the connection failed or
// ended: nothing is answered.
func (c *h1Conn) readRequest() (*http.Request, *refusal) {
	c.conn.SetReadDeadline(time.Now().Add(c.s.readHeaderTimeout))
	hp := headPool.Get().(*[]byte)
	head := (*hp)[:0]
	defer func() {
		*hp = head[:0]
		headPool.Put(hp)
	}()
	// Leading empty lines are skipped, as RFC 9112 section 2.2 allows.
	lines := 0
	partial := false // the last read ended inside a line longer than the buffer
	for {
		line, err := c.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			head = append(head, line...)
			if len(head) > serverHeaderBytes {
				return nil, refuseHeadTooLarge
			}
			partial = true
			continue
		}
		if err != nil {
			return nil, errConnRead
		}
		blank := !partial && (len(line) == 1 || len(line) == 2 && line[0] == '\r')
		partial = false
		if blank && len(head) == 0 {
			continue
		}
		head = append(head, line...)
		if len(head) > serverHeaderBytes {
			return nil, refuseHeadTooLarge
		}
		if blank {
			break
		}
		lines++
	}
	return c.parseHead(string(head), lines)
}

var headPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// parseHead fills the connection's request from head, the request line and
// header lines through the empty line.
func (c *h1Conn) parseHead(head string, lines int) (*http.Request, *refusal) {
	r := c.req
	*r = *c.template
	clear(c.header)
	r.Header = c.header
	r.RemoteAddr = c.remote
	r.TLS = c.tls

	line, rest := nextLine(head)
	method, after, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(after, " ")
	if !ok1 || !ok2 {
		return nil, refuseRequestLine
	}
	if !validMethod(method) {
		return nil, refuseMethod
	}
	major, minor, ok := http.ParseHTTPVersion(proto)
	if !ok {
		return nil, refuseRequestLine
	}
	r.Method, r.RequestURI, r.Proto, r.ProtoMajor, r.ProtoMinor = method, target, proto, major, minor
	if !c.parseTarget(r, method, target) {
		return nil, refuseTarget
	}

	values := make([]string, 0, lines)
	for {
		line, rest = nextLine(rest)
		if line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !httpguts.ValidHeaderFieldName(name) {
			return nil, refuseHeaderName
		}
		value = strings.Trim(value, " \t")
		if !httpguts.ValidHeaderFieldValue(value) {
			return nil, refuseHeaderValue
		}
		key := textproto.CanonicalMIMEHeaderKey(name)
		vv := c.header[key]
		if vv == nil && len(values) < cap(values) {
			// Values share one backing array; each field's slice is
			// capped so that an append copies.
			i := len(values)
			values = values[:i+1]
			values[i] = value
			c.header[key] = values[i : i+1 : i+1]
		} else {
			c.header[key] = append(vv, value)
		}
	}
	return c.finishHead(r)
}

// nextLine returns the first line of s without its line ending, and the
// rest.
func nextLine(s string) (line, rest string) {
	i := strings.IndexByte(s, '\n')
	if i < 0 {
		return s, ""
	}
	line, rest = s[:i], s[i+1:]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, rest
}

// validMethod reports whether m is a token (RFC 9110 section 9.1).
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		if !httpguts.IsTokenRune(rune(m[i])) {
			return false
		}
	}
	return true
}

// pathSafe marks the bytes net/url keeps as they are in a path: a path of
// only these needs no unescaping and has no RawPath.
var pathSafe = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-_.~$&+,/:;=@" {
		t[c] = true
	}
	return t
}()

// parseTarget sets r.URL from the request target as url.ParseRequestURI
// would, without allocating for the usual origin-form target.
func (c *h1Conn) parseTarget(r *http.Request, method, target string) bool {
	c.url = url.URL{}
	r.URL = &c.url
	if parseOriginForm(&c.url, target) {
		return true
	}
	raw := target
	authority := method == http.MethodConnect && !strings.HasPrefix(target, "/")
	if authority {
		raw = "http://" + target
	}
	u, err := url.ParseRequestURI(raw)
	if err != nil {
		return false
	}
	if authority {
		u.Scheme = ""
	}
	c.url = *u
	return true
}

// parseOriginForm sets u from an origin-form target (an absolute path and
// query) without allocating, as url.ParseRequestURI would, when every byte
// of it is one net/url keeps as it is; it reports false otherwise, leaving
// u unset.
func parseOriginForm(u *url.URL, target string) bool {
	if len(target) == 0 || target[0] != '/' {
		return false
	}
	path, query, hasQuery := strings.Cut(target, "?")
	for i := 0; i < len(path); i++ {
		if !pathSafe[path[i]] {
			return false
		}
	}
	for i := 0; i < len(query); i++ {
		if query[i] < 0x20 || query[i] == 0x7f {
			return false
		}
	}
	u.Path, u.RawQuery = path, query
	u.ForceQuery = hasQuery && query == ""
	return true
}

var chunkedEncoding = []string{"chunked"}

// finishHead checks the parsed header and sets the request's host,
// framing and body, as net/http's server does.
func (c *h1Conn) finishHead(r *http.Request) (*http.Request, *refusal) {
	h := r.Header
	hosts := h["Host"]
	switch {
	case len(hosts) > 1:
		return nil, refuseManyHosts
	case len(hosts) == 1 && !httpguts.ValidHostHeader(hosts[0]):
		return nil, refuseBadHost
	case len(hosts) == 0 && r.ProtoAtLeast(1, 1) && r.Method != http.MethodConnect:
		return nil, refuseNoHost
	}
	r.Host = r.URL.Host
	if r.Host == "" && len(hosts) == 1 {
		r.Host = hosts[0]
	}
	delete(h, "Host")

	conn := h["Connection"]
	if r.ProtoMajor == 1 && r.ProtoMinor == 0 || r.ProtoMajor < 1 {
		r.Close = !httpguts.HeaderValuesContainsToken(conn, "keep-alive")
	} else {
		r.Close = httpguts.HeaderValuesContainsToken(conn, "close")
	}

	b := &c.body
	*b = h1Body{c: c}
	// The scanner has refused every other combination: one "chunked", or
	// equal Content-Lengths, or neither.
	if te := h["Transfer-Encoding"]; len(te) > 0 {
		delete(h, "Transfer-Encoding")
		r.TransferEncoding = chunkedEncoding
		r.ContentLength = -1
		b.chunked = true
		b.chunks = chunkedReader{br: c.br, trailer: &r.Trailer}
		if announced := h["Trailer"]; len(announced) > 0 {
			delete(h, "Trailer") // as net/http: the names are r.Trailer's keys
			for _, k := range trailerNames(announced) {
				switch k {
				case "Transfer-Encoding", "Trailer", "Content-Length":
					return nil, refuseHeaderName
				}
				if r.Trailer == nil {
					r.Trailer = make(http.Header)
				}
				r.Trailer[k] = nil
			}
		}
		r.Body = b
		return r, nil
	}
	if cl := h["Content-Length"]; len(cl) > 0 {
		n, ok := parseContentLength(cl[0])
		if !ok {
			return nil, refuseContentLength
		}
		if len(cl) > 1 {
			h["Content-Length"] = cl[:1]
		}
		r.ContentLength = n
		b.remain = n
	}
	if r.ContentLength == 0 {
		r.Body = http.NoBody
		b.done.Store(true)
		return r, nil
	}
	r.Body = b
	return r, nil
}

// h1Body is a request body: Content-Length bytes, or chunked.
type h1Body struct {
	c              *h1Conn
	chunked        bool
	chunks         chunkedReader
	remain         int64 // Content-Length: bytes left
	continueNeeded bool  // Expect: 100-continue, not yet answered
	closed         bool
	err            error       // sticky read error
	done           atomic.Bool // read to its end
}

func (b *h1Body) Read(p []byte) (int, error) {
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	if b.done.Load() {
		return 0, io.EOF
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.continueNeeded {
		b.continueNeeded = false
		if !b.c.w.headSent && b.c.w.status == 0 {
			if _, err := io.WriteString(b.c.conn, "HTTP/1.1 100 Continue\r\n\r\n"); err != nil {
				b.err = err
				return 0, err
			}
		}
	}
	n, err := b.read(p)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

func (b *h1Body) read(p []byte) (int, error) {
	if b.chunked {
		n, err := b.chunks.Read(p)
		if err == io.EOF {
			b.done.Store(true)
		}
		return n, err
	}
	if int64(len(p)) > b.remain {
		p = p[:b.remain]
	}
	n, err := b.c.br.Read(p)
	b.remain -= int64(n)
	if b.remain == 0 {
		b.done.Store(true)
		return n, io.EOF
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (b *h1Body) Close() error {
	b.closed = true
	return nil
}

// discard reads and drops up to max bytes of what the handler left of the
// body; it reports whether the body ended.
func (b *h1Body) discard(max int64) bool {
	if b.done.Load() {
		return true
	}
	if b.continueNeeded || b.err != nil {
		return false // the client waits for 100 Continue, or the body broke
	}
	b.closed = false
	n, _ := io.CopyN(io.Discard, b, max)
	return n < max && b.done.Load()
}

// prefixReader returns its byte, if it holds one, before reading from r:
// the byte an idle connection's one-byte read, or a client watch, took.
type prefixReader struct {
	b [1]byte
	n int
	r io.Reader
}

func (p *prefixReader) Read(b []byte) (int, error) {
	if p.n > 0 && len(b) > 0 {
		b[0] = p.b[0]
		p.n = 0
		return 1, nil
	}
	return p.r.Read(b)
}

var readerPool, writerPool sync.Pool

func getReader(r io.Reader) *bufio.Reader {
	if v := readerPool.Get(); v != nil {
		br := v.(*bufio.Reader)
		br.Reset(r)
		return br
	}
	return bufio.NewReaderSize(r, 4<<10)
}

func putReader(br *bufio.Reader) {
	br.Reset(nil)
	readerPool.Put(br)
}

func getWriter(w io.Writer) *bufio.Writer {
	if v := writerPool.Get(); v != nil {
		bw := v.(*bufio.Writer)
		bw.Reset(w)
		return bw
	}
	return bufio.NewWriterSize(w, 8<<10)
}

func putWriter(bw *bufio.Writer) {
	bw.Reset(nil)
	writerPool.Put(bw)
}

// startWatch arms the client watch for a request.
func (c *h1Conn) startWatch() {
	c.watchMu.Lock()
	c.watchOn, c.watchStopped = false, false
	c.watchMu.Unlock()
	if c.watch == nil {
		c.watch = time.AfterFunc(clientWatchDelay, c.watchFire)
	} else {
		c.watch.Reset(clientWatchDelay)
	}
}

// watchFire runs when a request has been served for clientWatchDelay: once
// its body has been read, a one-byte read notices a client that hangs up
// and ends the connection's context, which aborts the backend exchange.
func (c *h1Conn) watchFire() {
	c.watchMu.Lock()
	defer c.watchMu.Unlock()
	if c.watchStopped {
		return
	}
	if !c.body.done.Load() {
		c.watch.Reset(clientWatchDelay) // the handler still reads the body
		return
	}
	c.watchOn = true
	c.watching.Add(1)
	// The head's deadline may still be set (a request without a body):
	// the watch must outlast it.
	c.conn.SetReadDeadline(time.Time{})
	go c.watchRead()
}

func (c *h1Conn) watchRead() {
	defer c.watching.Done()
	n, err := c.conn.Read(c.watchB[:])
	c.watchN = n
	if n == 0 && !isTimeoutErr(err) {
		c.cancel(errClientGone)
	}
}

// stopWatch ends the client watch after the handler returned, keeping the
// byte a watch read took (the start of a pipelined request).
func (c *h1Conn) stopWatch() {
	c.watchMu.Lock()
	c.watchStopped = true
	on := c.watchOn
	c.watchMu.Unlock()
	c.watch.Stop()
	if !on {
		return
	}
	c.conn.SetReadDeadline(time.Unix(1, 0))
	c.watching.Wait()
	c.watchMu.Lock()
	c.watchOn = false
	c.watchMu.Unlock()
	if c.watchN == 1 {
		c.pre.b[0], c.pre.n = c.watchB[0], 1
	}
	c.watchN = 0
}

func isTimeoutErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// h1Response is the http.ResponseWriter of a request on an h1Conn.
type h1Response struct {
	c          *h1Conn
	req        *http.Request
	header     http.Header
	status     int
	headSent   bool
	bw         *bufio.Writer
	pending    []byte // body written before the head, when no length was declared
	declared   int64  // the handler's Content-Length, or -1
	written    int64
	chunked    bool
	noBody     bool // HEAD, or a status without a body
	isHead     bool
	trailers   bool // the handler announced trailers
	closeAfter bool
	hijacked   bool
	err        error
}

// maxPending is how much body a response without a declared length may
// write before its head goes out with chunked framing; a response that
// ends within it gets a Content-Length.
const maxPending = 4 << 10

func (w *h1Response) reset(r *http.Request) {
	h, c, pending := w.header, w.c, w.pending
	clear(h)
	*w = h1Response{c: c, req: r, header: h, declared: -1, pending: pending[:0]}
	w.isHead = r.Method == http.MethodHead
	w.closeAfter = r.Close || c.s.shutting.Load()
}

func (w *h1Response) Header() http.Header { return w.header }

func (w *h1Response) WriteHeader(code int) {
	if w.hijacked || w.status != 0 {
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		w.writeInterim(code)
		return
	}
	w.status = code
	w.noBody = w.isHead || code == http.StatusNoContent || code == http.StatusNotModified || code < 200
	if cl := w.header["Content-Length"]; len(cl) > 0 {
		if n, ok := parseContentLength(cl[0]); ok {
			w.declared = n
			if len(cl) > 1 || cl[0] != strconv.FormatInt(n, 10) {
				w.header["Content-Length"] = []string{strconv.FormatInt(n, 10)}
			}
		} else {
			delete(w.header, "Content-Length")
		}
	}
	// Trailers are announced in the head; their values follow the body, so
	// the body is chunked whatever its size (see sendHead).
	w.trailers = len(w.header["Trailer"]) > 0
}

// writeInterim sends a 1xx response with the header set so far.
func (w *h1Response) writeInterim(code int) {
	if !w.req.ProtoAtLeast(1, 1) {
		return // HTTP/1.0 clients get no interim responses (RFC 9110 section 15.2)
	}
	w.writer()
	w.bw.WriteString(statusLine(code))
	writeHeaderFields(w.bw, w.header, false)
	w.bw.WriteString("\r\n")
	if err := w.bw.Flush(); err != nil && w.err == nil {
		w.err = err
	}
}

func (w *h1Response) writer() {
	if w.bw == nil {
		w.bw = getWriter(w.c.conn)
	}
}

func (w *h1Response) Write(p []byte) (int, error) {
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.noBody {
		if w.isHead {
			return len(p), nil
		}
		return 0, http.ErrBodyNotAllowed
	}
	if w.err != nil {
		return 0, w.err
	}
	if w.declared >= 0 && w.written+int64(len(p)) > w.declared {
		return 0, http.ErrContentLength
	}
	w.written += int64(len(p))
	if !w.headSent {
		if w.declared < 0 && len(w.pending)+len(p) <= maxPending {
			w.pending = append(w.pending, p...)
			return len(p), nil
		}
		w.sendHead(false)
	}
	return len(p), w.writeBody(p)
}

// writeBody writes p after the head, as a chunk when chunked.
func (w *h1Response) writeBody(p []byte) error {
	if len(p) == 0 || w.err != nil {
		return w.err
	}
	if w.chunked {
		var hex [16]byte
		w.bw.Write(strconv.AppendInt(hex[:0], int64(len(p)), 16))
		w.bw.WriteString("\r\n")
		w.bw.Write(p)
		_, w.err = w.bw.WriteString("\r\n")
	} else {
		_, w.err = w.bw.Write(p)
	}
	return w.err
}

// sendHead writes the status line and header fields, choosing the framing:
// the declared Content-Length; at the end of a handler that declared none,
// the length it wrote; chunked for an HTTP/1.1 stream; for an HTTP/1.0
// stream, the end of the connection.
func (w *h1Response) sendHead(final bool) {
	w.headSent = true
	w.writer()
	bw := w.bw
	bw.WriteString(statusLine(w.status))
	writeHeaderFields(bw, w.header, w.trailers)
	if _, ok := w.header["Date"]; !ok {
		bw.WriteString("Date: ")
		bw.WriteString(httpDate())
		bw.WriteString("\r\n")
	}
	if b := &w.c.body; b.continueNeeded {
		// The client waits for 100 Continue before it sends the body the
		// handler did not read: the connection cannot carry on.
		w.closeAfter = true
	}
	switch {
	case w.noBody || w.declared >= 0:
	case final && !(w.trailers || hasPrefixedTrailer(w.header)) || final && !w.req.ProtoAtLeast(1, 1):
		bw.WriteString("Content-Length: ")
		var num [20]byte
		bw.Write(strconv.AppendInt(num[:0], int64(len(w.pending)), 10))
		bw.WriteString("\r\n")
	case w.req.ProtoAtLeast(1, 1):
		w.chunked = true
		bw.WriteString("Transfer-Encoding: chunked\r\n")
	default:
		w.closeAfter = true
	}
	switch {
	case w.closeAfter:
		bw.WriteString("Connection: close\r\n")
	case !w.req.ProtoAtLeast(1, 1):
		bw.WriteString("Connection: keep-alive\r\n")
	}
	_, w.err = bw.WriteString("\r\n")
	if len(w.pending) > 0 {
		p := w.pending
		w.pending = w.pending[:0]
		w.writeBody(p)
	}
}

// writeHeaderFields writes h's fields, leaving out trailers (set with
// http.TrailerPrefix, or, when announced is set, named in the Trailer
// field: their values come after the body) and names that are not tokens.
func writeHeaderFields(bw *bufio.Writer, h http.Header, announced bool) {
	for k, vv := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) || !httpguts.ValidHeaderFieldName(k) ||
			announced && isAnnouncedTrailer(h, k) {
			continue
		}
		for _, v := range vv {
			bw.WriteString(k)
			bw.WriteString(": ")
			bw.WriteString(headerValue(textproto.TrimString(v)))
			bw.WriteString("\r\n")
		}
	}
}

// isAnnouncedTrailer reports whether the Trailer field of h names k.
func isAnnouncedTrailer(h http.Header, k string) bool {
	for _, f := range h["Trailer"] {
		for f != "" {
			var name string
			name, f, _ = strings.Cut(f, ",")
			if strings.EqualFold(textproto.TrimString(name), k) {
				return true
			}
		}
	}
	return false
}

// hasPrefixedTrailer reports whether h holds a trailer set with
// http.TrailerPrefix.
func hasPrefixedTrailer(h http.Header) bool {
	for k := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			return true
		}
	}
	return false
}

func (w *h1Response) Flush() { w.FlushError() }

// FlushError sends what the handler has written, the head first.
func (w *h1Response) FlushError() error {
	if w.hijacked {
		return http.ErrHijacked
	}
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.headSent {
		w.sendHead(false)
	}
	if w.err == nil {
		w.err = w.bw.Flush()
	}
	return w.err
}

// finish completes the response after the handler returned: the head if
// it is still unsent, the last chunk and trailers, one flush. The
// connection closes after it when the response or the request said so,
// the response came up short of its Content-Length, or the handler left
// too much of the request body unread.
func (w *h1Response) finish() error {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	body := &w.c.body
	if !body.done.Load() && !w.closeAfter && !body.continueNeeded {
		// Read what is left of the body before the head goes out, so that
		// the head can say whether the connection stays open.
		if !body.discard(maxDiscardBody) {
			w.closeAfter = true
		}
	} else if !body.done.Load() {
		w.closeAfter = true
	}
	if !w.headSent {
		w.sendHead(true)
	}
	if w.chunked {
		w.bw.WriteString("0\r\n")
		w.writeTrailers()
		w.bw.WriteString("\r\n")
	}
	if !w.noBody && w.declared >= 0 && w.written < w.declared {
		w.closeAfter = true // short: the client must see the connection end
	}
	if w.err == nil {
		w.err = w.bw.Flush()
	}
	putWriter(w.bw)
	w.bw = nil
	if cap(w.pending) > maxPending {
		w.pending = nil
	}
	return w.err
}

// writeTrailers writes the trailer fields: those announced in the Trailer
// header and set after the head, and those set with http.TrailerPrefix.
func (w *h1Response) writeTrailers() {
	for _, f := range w.header["Trailer"] {
		for _, k := range strings.Split(f, ",") {
			k = textproto.CanonicalMIMEHeaderKey(textproto.TrimString(k))
			if !httpguts.ValidTrailerHeader(k) {
				continue
			}
			for _, v := range w.header[k] {
				w.bw.WriteString(k + ": " + headerValue(v) + "\r\n")
			}
		}
	}
	for k, vv := range w.header {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok && httpguts.ValidHeaderFieldName(name) && httpguts.ValidTrailerHeader(name) {
			for _, v := range vv {
				w.bw.WriteString(name + ": " + headerValue(v) + "\r\n")
			}
		}
	}
}

// Hijack hands the connection to the handler (an upgrade): its buffered
// reader, which may hold bytes the client sent after the request, and a
// writer. The server no longer reads, writes or closes it.
func (w *h1Response) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.hijacked {
		return nil, nil, http.ErrHijacked
	}
	if w.headSent {
		return nil, nil, errors.New("gateway: hijack after the response head was sent")
	}
	c := w.c
	c.stopWatch()
	w.hijacked = true
	if w.bw != nil {
		putWriter(w.bw)
		w.bw = nil
	}
	c.fc.opaque.Store(true)
	c.conn.SetDeadline(time.Time{})
	c.s.conns.forget(c)
	return c.conn, bufio.NewReadWriter(c.br, bufio.NewWriter(c.conn)), nil
}

var statusLines = func() (t [600]string) {
	for code := 100; code < 600; code++ {
		if text := http.StatusText(code); text != "" {
			t[code] = "HTTP/1.1 " + strconv.Itoa(code) + " " + text + "\r\n"
		}
	}
	return t
}()

func statusLine(code int) string {
	if code < len(statusLines) && statusLines[code] != "" {
		return statusLines[code]
	}
	return "HTTP/1.1 " + strconv.Itoa(code) + " status code " + strconv.Itoa(code) + "\r\n"
}

type cachedDate struct {
	sec  int64
	text string
}

var dateCache atomic.Pointer[cachedDate]

// httpDate is the current time in the Date header's format, made once a
// second.
func httpDate() string {
	now := time.Now()
	if d := dateCache.Load(); d != nil && d.sec == now.Unix() {
		return d.text
	}
	d := &cachedDate{sec: now.Unix(), text: now.UTC().Format(http.TimeFormat)}
	dateCache.Store(d)
	return d.text
}
