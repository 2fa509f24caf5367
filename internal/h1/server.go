package h1

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/e2etls/e2etls/internal/httpwire"
)

// ClientWatchDelay is how long a request is served before a read watches
// its client connection for a hang-up.
const ClientWatchDelay = 100 * time.Millisecond

// maxDiscardBody is how much of a request body the server reads and drops
// after the handler left it unread, to keep the connection; a longer rest
// closes the connection, as net/http does.
const maxDiscardBody = 256 << 10

// Server serves HTTP/1.x connections. Set its fields, then call ServeConn
// for each connection; Shutdown or Close once. It must not be copied after
// first use.
type Server struct {
	httpwire.ServerConfig

	once     sync.Once
	conns    *httpwire.ConnSet[*conn]
	shutting atomic.Bool
}

func (s *Server) init() {
	s.once.Do(func() { s.conns = httpwire.NewConnSet[*conn]() })
}

// Connection states.
const (
	connIdle   int32 = iota // waiting for a request (or its first byte)
	connActive              // serving a request
	connClosed              // closed by Shutdown or Close
)

// conn is one client connection and the state reused across its requests.
type conn struct {
	s      *Server
	nc     net.Conn
	tls    *tls.ConnectionState
	remote string
	state  atomic.Int32
	broken atomic.Bool // a malformed body cut the connection

	ctx    context.Context // every request's context: ends when the client is gone
	cancel context.CancelCauseFunc

	pre  prefixReader
	br   *bufio.Reader // while serving, or always for plain HTTP
	keep bool          // keep br across idle periods (plain HTTP: no record buffer below)

	template *http.Request // zero but for its context
	req      *http.Request
	url      url.URL
	header   http.Header
	body     body
	w        response

	watch        *time.Timer // starts the client watch
	watching     sync.WaitGroup
	watchMu      sync.Mutex
	watchOn      bool // a watch read is running
	watchStopped bool // the request ended: a firing timer does nothing
	watchB       [1]byte
	watchN       int
}

// ServeConn serves nc, a handshaken connection (a *tls.Conn, or plain TCP
// for an HTTP listener), until it closes. Every request's context derives
// from ctx, which carries the connection's values (httpwire.ConnValue) and
// must not end before nc does. It runs in the caller's goroutine; after
// Shutdown or Close it closes nc at once.
func (s *Server) ServeConn(ctx context.Context, nc net.Conn) {
	s.init()
	c := &conn{s: s, nc: nc, remote: nc.RemoteAddr().String()}
	if !s.conns.Add(c) {
		nc.Close()
		return
	}
	if tc, ok := nc.(*tls.Conn); ok {
		cs := tc.ConnectionState()
		c.tls = &cs
	} else {
		c.keep = true
	}
	c.ctx, c.cancel = context.WithCancelCause(ctx)
	c.template = (&http.Request{}).WithContext(c.ctx)
	c.req = new(http.Request)
	c.header = make(http.Header, 16)
	c.w.Fields = make(http.Header, 16)
	c.w.c = c
	c.body.c = c

	hijacked := false
	defer func() {
		if !hijacked {
			c.nc.Close()
		}
		c.cancel(httpwire.ErrClientGone)
		if c.watch != nil {
			c.watch.Stop()
		}
		if c.br != nil && !hijacked {
			putReader(c.br)
			c.br = nil
		}
		s.conns.Forget(c)
	}()
	hijacked = c.serve()
}

// serve runs the connection's request loop; it reports whether the
// connection was hijacked.
func (c *conn) serve() (hijacked bool) {
	timeout := c.s.Timeouts.ReadHeader()
	for {
		// Wait for the next request. Bytes already buffered (a pipelined
		// request) need no wait.
		if c.br == nil || c.br.Buffered() == 0 && c.pre.n == 0 {
			if c.br != nil {
				c.nc.SetReadDeadline(time.Now().Add(timeout))
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
			c.pre.r = c.nc
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
		timeout = c.s.Timeouts.Idle()
	}
}

// idleRead waits for the first byte of a TLS connection's next request,
// into c.pre, holding no buffer meanwhile. It reports whether a byte came.
func (c *conn) idleRead(timeout time.Duration) bool {
	c.nc.SetReadDeadline(time.Now().Add(timeout))
	n, _ := c.nc.Read(c.pre.b[:])
	c.pre.n = n
	return n > 0
}

// Shutdown closes idle connections, lets active ones finish their request
// (they close after it) and waits for them, or for ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.shutting.Store(true)
	s.conns.StopAccepting(nil)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		s.closeIdle()
		select {
		case <-s.conns.Done():
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func (s *Server) closeIdle() {
	s.conns.Each(func(c *conn) {
		if c.state.CompareAndSwap(connIdle, connClosed) {
			c.nc.Close()
		}
	})
}

// Close closes every connection at once.
func (s *Server) Close() {
	s.init()
	s.shutting.Store(true)
	s.conns.StopAccepting(func(c *conn) {
		c.state.Store(connClosed)
		c.nc.Close()
	})
}

// serveRequest reads one request and serves it. It reports whether the
// connection may serve another, and whether the handler hijacked it.
func (c *conn) serveRequest() (keepAlive, hijacked bool) {
	r, ref := c.readRequest()
	if ref != nil {
		if ref.Status != 0 {
			c.refuse(r, ref)
		}
		return false, false
	}
	w := &c.w
	w.reset(r)
	if r.ContentLength != 0 {
		// The body has no deadline of its own (net/http's ReadTimeout
		// is not set either); slow bodies are bounded by the handler's.
		c.nc.SetReadDeadline(time.Time{})
	}
	if ex := r.Header["Expect"]; len(ex) > 0 {
		// As net/http: 100-continue is answered when the body is first
		// read, and only matters for an HTTP/1.1 request with a body; any
		// other expectation is refused.
		if !strings.EqualFold(strings.TrimSpace(ex[0]), "100-continue") {
			c.refuse(r, httpwire.RefuseExpect)
			return false, false
		}
		c.body.continueNeeded = r.ProtoAtLeast(1, 1) && r.ContentLength != 0
	}

	c.startWatch()
	aborted := httpwire.RunHandler(c.s.Log, c.s.Handler, w, r)
	c.stopWatch()
	if w.hijacked {
		return false, true
	}
	if aborted || c.broken.Load() {
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

// refuse answers a request the server will not serve through the server's
// RefuseFunc, on a connection that then closes, and drains the connection
// briefly so that the client reads the answer before the close resets it.
func (c *conn) refuse(r *http.Request, ref *httpwire.Refusal) {
	if r == nil {
		// The head did not parse: the answer is to a request of which
		// only the connection is known.
		r = c.template.WithContext(c.ctx)
		r.Method, r.URL, r.Proto, r.ProtoMajor, r.ProtoMinor = "", &url.URL{}, "HTTP/1.1", 1, 1
		r.Header = http.Header{}
		r.RemoteAddr, r.TLS = c.remote, c.tls
	}
	c.body = body{c: c}
	c.body.done.Store(true) // nothing of the request is read
	w := &c.w
	w.reset(r)
	w.closeAfter = true
	c.nc.SetWriteDeadline(time.Now().Add(httpwire.RefusalLinger))
	c.s.Refuse(w, r, ref)
	if err := w.finish(); err == nil {
		httpwire.CloseWrite(c.nc)
		c.nc.SetReadDeadline(time.Now().Add(httpwire.RefusalLinger))
		io.CopyN(io.Discard, c.nc, 1<<20)
	}
}

// bodyBroken ends a connection whose request body has broken framing: the
// handler's reads fail, nothing more is written, and the connection closes
// without an answer (a handler is already serving the request).
func (c *conn) bodyBroken(err error) {
	if c.broken.Swap(true) {
		return
	}
	c.s.Log.LogAttrs(context.Background(), slog.LevelInfo, "request refused",
		slog.String("client", c.remote), slog.String("reason", httpwire.RefuseChunked.Reason),
		slog.String("error", err.Error()))
	c.nc.Close()
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

// The buffers a connection holds only while it serves a request.
var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4<<10) }}
	writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 8<<10) }}
)

func getReader(r io.Reader) *bufio.Reader {
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

func putReader(br *bufio.Reader) { br.Reset(nil); readerPool.Put(br) }

func getWriter(w io.Writer) *bufio.Writer {
	bw := writerPool.Get().(*bufio.Writer)
	bw.Reset(w)
	return bw
}

func putWriter(bw *bufio.Writer) { bw.Reset(nil); writerPool.Put(bw) }

// startWatch arms the client watch for a request.
func (c *conn) startWatch() {
	c.watchMu.Lock()
	c.watchOn, c.watchStopped = false, false
	c.watchMu.Unlock()
	if c.watch == nil {
		c.watch = time.AfterFunc(ClientWatchDelay, c.watchFire)
	} else {
		c.watch.Reset(ClientWatchDelay)
	}
}

// watchFire runs when a request has been served for ClientWatchDelay: once
// its body has been read, a one-byte read notices a client that hangs up
// and ends the connection's context, which aborts the handler's work.
func (c *conn) watchFire() {
	c.watchMu.Lock()
	defer c.watchMu.Unlock()
	if c.watchStopped {
		return
	}
	if !c.body.done.Load() {
		c.watch.Reset(ClientWatchDelay) // the handler still reads the body
		return
	}
	c.watchOn = true
	c.watching.Add(1)
	// The head's deadline may still be set (a request without a body):
	// the watch must outlast it.
	c.nc.SetReadDeadline(time.Time{})
	go c.watchRead()
}

func (c *conn) watchRead() {
	defer c.watching.Done()
	n, err := c.nc.Read(c.watchB[:])
	c.watchN = n
	if n == 0 && !httpwire.IsTimeoutErr(err) {
		c.cancel(httpwire.ErrClientGone)
	}
}

// stopWatch ends the client watch after the handler returned, keeping the
// byte a watch read took (the start of a pipelined request).
func (c *conn) stopWatch() {
	c.watchMu.Lock()
	c.watchStopped = true
	on := c.watchOn
	c.watchMu.Unlock()
	c.watch.Stop()
	if !on {
		return
	}
	c.nc.SetReadDeadline(time.Unix(1, 0))
	c.watching.Wait()
	c.watchMu.Lock()
	c.watchOn = false
	c.watchMu.Unlock()
	if c.watchN == 1 {
		c.pre.b[0], c.pre.n = c.watchB[0], 1
	}
	c.watchN = 0
}
