package gateway

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// The frontend's HTTP/2 server.
//
// net/http's HTTP/2 server writes a response's HEADERS and DATA frames in
// two system calls (the handler waits for its HEADERS to be written, and
// the connection flushes as soon as it has nothing else queued), and starts
// a fresh goroutine, which grows its stack, for every stream. h2Server
// serves the HTTP/2 connections of a frontend port itself, with
// golang.org/x/net/http2's Framer and HPACK:
//
//   - the goroutine that did the TLS handshake reads the connection's
//     frames; streams run on a pool of worker goroutines that keep their
//     grown stacks;
//   - a response small enough to buffer leaves as HEADERS and DATA in one
//     write, and writes of several streams that meet at the connection
//     share one flush: the last writer flushes, and the writer of a
//     response's end yields once before it flushes, so that other streams
//     whose backends answered at the same time add theirs (under the
//     HTTP/2 benchmark load, 0.2 client writes per response instead of
//     1.0);
//   - flow control both ways: a stream's request body is buffered up to
//     its window (h2StreamWindow) and the connection's bodies up to
//     h2ConnWindow, refunded as handlers read them; responses wait for the
//     client's windows;
//   - the limits net/http enforces: at most maxConcurrentStreams open
//     streams (REFUSED_STREAM beyond), at most that many handlers running,
//     with streams the client has reset still counted until their handler
//     returns (rapid reset: a client that queues more than
//     4*maxConcurrentStreams gets GOAWAY ENHANCE_YOUR_CALM); header lists
//     bounded by SETTINGS_MAX_HEADER_LIST_SIZE, and a header block that
//     exceeds it answered 431 without keeping its fields; CONTINUATION
//     floods end at the Framer's limit or the idle timeout;
//   - an idle connection (no stream) holds no write buffer and closes at
//     the idle timeout; Shutdown sends GOAWAY and closes each connection
//     when its streams are done.
//
// A client that accepts no byte for h2WriteTimeout while data waits for it
// loses its connection (net/http has no such bound by default).

const (
	// h2StreamWindow is the receive window of a stream: how much of a
	// request body the server buffers before the handler reads it.
	h2StreamWindow = 256 << 10
	// h2ConnWindow is the receive window of a connection, over all its
	// streams' bodies.
	h2ConnWindow = 1 << 20
	// h2MaxPending is how much response body is buffered before the head
	// is written: a response that ends within it leaves in one write,
	// with a content-length.
	h2MaxPending = 16 << 10
	// h2MaxQueued bounds the streams waiting for a handler slot.
	h2MaxQueued = 4 * maxConcurrentStreams
	// h2MaxIdleWorkers bounds the worker goroutines kept for later
	// streams (each keeps its stack, a few KiB) until the server stops.
	h2MaxIdleWorkers = 2 * maxConcurrentStreams
	// h2DefaultFrameSize is HTTP/2's initial SETTINGS_MAX_FRAME_SIZE.
	h2DefaultFrameSize = 16 << 10
	// h2DefaultWindow is HTTP/2's initial window size.
	h2DefaultWindow = 65535
	// h2WriteTimeout bounds one flush to the client: how long a client
	// may accept nothing while data waits for it.
	h2WriteTimeout = time.Minute
)

var (
	errStreamReset   = errors.New("gateway: the client reset the HTTP/2 stream")
	errStreamClosed  = errors.New("gateway: the HTTP/2 stream is closed")
	errConnGoingAway = errors.New("gateway: the HTTP/2 connection is closing")
)

// h2Server serves the HTTP/2 connections of one frontend port.
type h2Server struct {
	g                 *Gateway
	port              int
	handler           http.Handler
	readHeaderTimeout time.Duration
	idleTimeout       time.Duration

	conns    connSet[*h2Conn]
	shutting atomic.Bool

	work        chan *h2Stream // idle workers wait here
	idleWorkers atomic.Int32
	quit        chan struct{} // closed when the server stops: workers end
	quitOnce    sync.Once
}

func newH2Server(g *Gateway, port int, h http.Handler, readHeader, idle time.Duration) *h2Server {
	return &h2Server{g: g, port: port, handler: h, readHeaderTimeout: readHeader, idleTimeout: idle,
		conns: newConnSet[*h2Conn](),
		work:  make(chan *h2Stream), quit: make(chan struct{})}
}

// h2Conn is one client HTTP/2 connection.
type h2Conn struct {
	s      *h2Server
	conn   net.Conn
	tls    *tls.ConnectionState
	remote string
	fr     *http2.Framer
	zero   *http.Request // carries the connection's context
	ctx    context.Context
	cancel context.CancelCauseFunc

	// The write side: frames are written by whoever holds wmu, into a
	// pooled buffer that the last of the writers waiting flushes.
	wmu      sync.Mutex
	waiting  atomic.Int32 // writers waiting for or holding wmu
	bw       *bufio.Writer
	henc     *hpack.Encoder
	hbuf     bytes.Buffer
	werr     error
	maxFrame int // the client's SETTINGS_MAX_FRAME_SIZE (under mu for writers)

	// The connection's state, under mu; cond wakes writers waiting for
	// window.
	mu          sync.Mutex
	cond        sync.Cond
	streams     map[uint32]*h2Stream // open and half-closed streams
	lastStream  uint32               // the highest stream the client opened
	running     int                  // handlers running
	queue       []*h2Stream          // streams waiting for a handler slot
	sendWindow  int64                // the connection's send window
	initWindow  int64                // the client's SETTINGS_INITIAL_WINDOW_SIZE
	recvWindow  int64                // what the client may still send over all streams
	recvUnacked int64                // consumed, not yet refunded
	goingAway   bool                 // GOAWAY sent: no new streams
	closed      bool
	readDone    bool // the frame reader ended
	idleSince   bool // the read deadline is the idle timeout's
	lingering   bool // Shutdown is closing the connection
	prefaceDone bool // the server's SETTINGS went out: frames may follow
	peerGoAway  bool // the client sent GOAWAY
	gotSettings bool // the reader's: the client's first SETTINGS came
}

// h2Stream is one request and its response.
type h2Stream struct {
	c      *h2Conn
	id     uint32
	ctx    context.Context
	cancel context.CancelCauseFunc
	req    *http.Request
	url    url.URL
	body   h2Body
	w      h2Response
	refuse *refusal // answer this instead of running the handler

	// under c.mu
	sendWindow   int64
	recvWindow   int64
	recvUnacked  int64
	remoteClosed bool // END_STREAM received
	reset        bool // reset by either side: nothing more is written
	declared     int64
	received     int64
	started      bool // the handler was given a slot
	handlerDone  bool
}

// serveConn serves an HTTP/2 connection until it closes. It runs in the
// goroutine that did the handshake.
func (s *h2Server) serveConn(conn net.Conn) {
	c := &h2Conn{s: s, conn: conn, remote: conn.RemoteAddr().String(),
		streams: make(map[uint32]*h2Stream), sendWindow: h2DefaultWindow, initWindow: h2DefaultWindow,
		recvWindow: h2ConnWindow, maxFrame: h2DefaultFrameSize}
	c.cond.L = &c.mu
	if tc, ok := conn.(*tls.Conn); ok {
		cs := tc.ConnectionState()
		c.tls = &cs
	}
	c.ctx, c.cancel = context.WithCancelCause(context.Background())
	c.zero = (&http.Request{}).WithContext(c.ctx)
	c.fr = http2.NewFramer(connWriter{c}, conn)
	c.fr.SetMaxReadFrameSize(h2DefaultFrameSize)
	c.fr.MaxHeaderListSize = serverHeaderBytes
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	c.fr.ReadMetaHeaders.SetMaxStringLength(serverHeaderBytes)
	c.fr.SetReuseFrames()
	c.henc = hpack.NewEncoder(&c.hbuf)
	if !s.conns.add(c) {
		conn.Close()
		return
	}

	err := c.serve()
	c.shutdown(err)
	s.conns.forget(c)
}

// connWriter is the Framer's writer: the pooled buffer of whoever holds
// wmu.
type connWriter struct{ c *h2Conn }

func (w connWriter) Write(p []byte) (int, error) {
	c := w.c
	if c.bw == nil {
		c.bw = getH2Writer(c.conn)
	}
	return c.bw.Write(p)
}

var h2WriterPool sync.Pool

func getH2Writer(w io.Writer) *bufio.Writer {
	if v := h2WriterPool.Get(); v != nil {
		bw := v.(*bufio.Writer)
		bw.Reset(w)
		return bw
	}
	return bufio.NewWriterSize(w, 32<<10)
}

// write runs fn, which writes frames, under the write lock. The last
// writer waiting flushes, so writes of several streams share a system
// call; an idle connection keeps no buffer.
func (c *h2Conn) write(fn func() error) error { return c.writeFrames(fn, false) }

// writeFrames is write; with batch set, a writer that finds no other
// waiting yields once before it flushes, so that the responses of other
// streams that are ready to go (their backends answered in the same
// poll) join the same system call.
func (c *h2Conn) writeFrames(fn func() error, batch bool) error {
	c.waiting.Add(1)
	c.wmu.Lock()
	if c.werr == nil {
		if err := fn(); err != nil && c.werr == nil {
			c.werr = err
		}
	}
	if batch && c.werr == nil && c.waiting.Load() == 1 {
		c.wmu.Unlock()
		runtime.Gosched()
		c.wmu.Lock()
	}
	if c.waiting.Add(-1) == 0 && c.bw != nil {
		if c.werr == nil {
			// A client that takes nothing for h2WriteTimeout loses the
			// connection: a blocked write holds the write lock, which
			// the reader needs to answer PING, SETTINGS and resets.
			c.conn.SetWriteDeadline(time.Now().Add(h2WriteTimeout))
			c.werr = c.bw.Flush()
		}
		c.bw.Reset(nil)
		h2WriterPool.Put(c.bw)
		c.bw = nil
	}
	err := c.werr
	c.wmu.Unlock()
	if err != nil {
		c.conn.Close() // the reader ends too
	}
	return err
}

// serve reads the preface and then frames until the connection ends; it
// returns why it ended.
func (c *h2Conn) serve() error {
	c.conn.SetReadDeadline(time.Now().Add(c.s.readHeaderTimeout))
	var preface [len(http2.ClientPreface)]byte
	if _, err := io.ReadFull(c.conn, preface[:]); err != nil {
		return err
	}
	if string(preface[:]) != http2.ClientPreface {
		return errors.New("gateway: the client did not send the HTTP/2 connection preface")
	}
	err := c.write(func() error {
		if err := c.fr.WriteSettings(
			http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: maxConcurrentStreams},
			http2.Setting{ID: http2.SettingInitialWindowSize, Val: h2StreamWindow},
			http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: serverHeaderBytes},
		); err != nil {
			return err
		}
		return c.fr.WriteWindowUpdate(0, h2ConnWindow-h2DefaultWindow)
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.prefaceDone = true
	c.mu.Unlock()
	if c.s.shutting.Load() {
		// Shutdown began during the preface: no stream will be served.
		c.write(func() error { return c.fr.WriteGoAway(0, http2.ErrCodeNo, nil) })
		return errConnGoingAway
	}
	c.mu.Lock()
	c.idleSince = true
	c.conn.SetReadDeadline(time.Now().Add(c.s.idleTimeout))
	c.mu.Unlock()
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			var se http2.StreamError
			if errors.As(err, &se) {
				if err := c.streamError(se.StreamID, se.Code); err != nil {
					return err
				}
				continue
			}
			var ce http2.ConnectionError
			if errors.As(err, &ce) {
				return c.goAway(http2.ErrCode(ce), err)
			}
			if errors.Is(err, http2.ErrFrameTooLarge) {
				return c.goAway(http2.ErrCodeFrameSize, err)
			}
			if isTimeoutErr(err) {
				// The idle timeout (or a header block that took longer):
				// GOAWAY tells the client no stream was lost.
				c.mu.Lock()
				last := c.lastStream
				c.goingAway = true
				c.mu.Unlock()
				c.conn.SetWriteDeadline(time.Now().Add(refusalLinger))
				c.write(func() error { return c.fr.WriteGoAway(last, http2.ErrCodeNo, nil) })
			}
			return err
		}
		if err := c.process(f); err != nil {
			var ce http2.ConnectionError
			if errors.As(err, &ce) {
				return c.goAway(http2.ErrCode(ce), err)
			}
			return err
		}
	}
}

// goAway sends GOAWAY with code and returns err.
func (c *h2Conn) goAway(code http2.ErrCode, err error) error {
	c.mu.Lock()
	last := c.lastStream
	c.goingAway = true
	c.mu.Unlock()
	c.conn.SetWriteDeadline(time.Now().Add(refusalLinger)) // the connection ends: a client that does not read cannot hold it
	c.write(func() error { return c.fr.WriteGoAway(last, code, nil) })
	c.s.g.log.LogAttrs(context.Background(), slog.LevelDebug, "gateway: HTTP/2 connection error",
		slog.Int("port", c.s.port), slog.String("client", c.remote), slog.String("code", code.String()),
		slog.String("error", err.Error()))
	return err
}

// shutdown ends the connection after its reader stopped: every stream's
// context ends, waiting writers wake, and the connection is closed once
// the handlers have returned.
func (c *h2Conn) shutdown(cause error) {
	c.mu.Lock()
	c.readDone = true
	c.closed = true
	for _, st := range c.queue {
		st.cancel(errClientGone)
	}
	c.queue = nil
	c.cond.Broadcast()
	c.mu.Unlock()
	c.cancel(errClientGone)
	for _, st := range c.allStreams() {
		st.body.fail(errClientGone)
	}
	if cause != nil && !errors.Is(cause, io.EOF) && !isTimeoutErr(cause) && !errors.Is(cause, net.ErrClosed) {
		closeWrite(c.conn) // let a GOAWAY reach the client before the close
	}
	c.conn.Close()
	c.mu.Lock()
	for c.running > 0 {
		c.cond.Wait()
	}
	c.mu.Unlock()
}

func (c *h2Conn) allStreams() []*h2Stream {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*h2Stream, 0, len(c.streams))
	for _, st := range c.streams {
		out = append(out, st)
	}
	return out
}

// process handles one frame.
func (c *h2Conn) process(f http2.Frame) error {
	first := !c.gotSettings
	c.gotSettings = true
	if first {
		if sf, ok := f.(*http2.SettingsFrame); !ok || sf.IsAck() {
			return http2.ConnectionError(http2.ErrCodeProtocol)
		}
	}
	switch f := f.(type) {
	case *http2.SettingsFrame:
		return c.onSettings(f)
	case *http2.MetaHeadersFrame:
		return c.onHeaders(f)
	case *http2.DataFrame:
		return c.onData(f)
	case *http2.WindowUpdateFrame:
		return c.onWindowUpdate(f)
	case *http2.PingFrame:
		if f.IsAck() {
			return nil
		}
		return c.write(func() error { return c.fr.WritePing(true, f.Data) })
	case *http2.RSTStreamFrame:
		return c.onReset(f)
	case *http2.GoAwayFrame:
		// The client opens no more streams: answer with a GOAWAY and
		// close the connection when its streams are done, as net/http.
		c.mu.Lock()
		first := !c.peerGoAway
		c.peerGoAway = true
		c.mu.Unlock()
		if first {
			go c.shutdownGoAway()
		}
		return nil
	case *http2.PushPromiseFrame:
		return http2.ConnectionError(http2.ErrCodeProtocol) // clients must not push
	case *http2.PriorityFrame:
		if f.StreamDep == f.StreamID {
			return c.selfDependent(f.StreamID)
		}
		return nil // priorities are advice (RFC 9113 section 5.3), not followed
	case *http2.ContinuationFrame:
		return http2.ConnectionError(http2.ErrCodeProtocol)
	default:
		return nil // unknown frame types are ignored (RFC 9113 section 4.1)
	}
}

func (c *h2Conn) onSettings(f *http2.SettingsFrame) error {
	if f.IsAck() {
		return nil
	}
	if f.NumSettings() > 100 {
		// As net/http: a client has no use for more.
		return http2.ConnectionError(http2.ErrCodeProtocol)
	}
	// Settings apply in order (RFC 9113 section 6.5.3), so the last value
	// of each counts; the streams' windows are adjusted once per frame,
	// however many times the frame repeats the setting.
	initWindow, maxFrame := int64(-1), -1
	err := f.ForeachSetting(func(s http2.Setting) error {
		if err := s.Valid(); err != nil {
			return err
		}
		switch s.ID {
		case http2.SettingInitialWindowSize:
			initWindow = int64(s.Val)
		case http2.SettingMaxFrameSize:
			maxFrame = int(s.Val)
		case http2.SettingHeaderTableSize:
			c.wmu.Lock()
			c.henc.SetMaxDynamicTableSizeLimit(s.Val)
			c.wmu.Unlock()
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	if maxFrame > 0 {
		c.maxFrame = maxFrame
	}
	if initWindow >= 0 {
		delta := initWindow - c.initWindow
		c.initWindow = initWindow
		for _, st := range c.streams {
			st.sendWindow += delta
			if st.sendWindow > math.MaxInt32 {
				c.mu.Unlock()
				return http2.ConnectionError(http2.ErrCodeFlowControl)
			}
		}
		c.cond.Broadcast()
	}
	c.mu.Unlock()
	return c.write(func() error { return c.fr.WriteSettingsAck() })
}

func (c *h2Conn) onWindowUpdate(f *http2.WindowUpdateFrame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	inc := int64(f.Increment)
	if f.StreamID == 0 {
		if inc == 0 {
			return http2.ConnectionError(http2.ErrCodeProtocol)
		}
		c.sendWindow += inc
		if c.sendWindow > math.MaxInt32 {
			return http2.ConnectionError(http2.ErrCodeFlowControl)
		}
		c.cond.Broadcast()
		return nil
	}
	st := c.streams[f.StreamID]
	if st == nil {
		if f.StreamID > c.lastStream {
			return http2.ConnectionError(http2.ErrCodeProtocol) // an idle stream
		}
		return nil // a closed stream: allowed for a while
	}
	if inc == 0 {
		c.mu.Unlock()
		err := c.streamError(f.StreamID, http2.ErrCodeProtocol)
		c.mu.Lock()
		return err
	}
	st.sendWindow += inc
	if st.sendWindow > math.MaxInt32 {
		c.mu.Unlock()
		err := c.streamError(f.StreamID, http2.ErrCodeFlowControl)
		c.mu.Lock()
		return err
	}
	c.cond.Broadcast()
	return nil
}

func (c *h2Conn) onReset(f *http2.RSTStreamFrame) error {
	c.mu.Lock()
	if f.StreamID > c.lastStream {
		c.mu.Unlock()
		return http2.ConnectionError(http2.ErrCodeProtocol) // an idle stream
	}
	st := c.streams[f.StreamID]
	unstarted := false
	if st != nil {
		unstarted = c.closeStreamLocked(st)
	}
	c.mu.Unlock()
	if st != nil {
		st.cancel(errStreamReset)
		st.body.fail(errStreamReset)
		if unstarted {
			st.body.closeBody() // gives its window back
		}
	}
	return nil
}

// closeStreamLocked forgets a reset stream: nothing more is written on
// it. A stream still queued never runs, but keeps its place in the queue
// until a slot frees (it is skipped then), so that a client resetting
// streams faster than their handlers end still fills the queue and gets
// ENHANCE_YOUR_CALM (rapid reset), as with net/http. It reports whether
// the stream never started: its buffered body is then the caller's to
// drop (closeBody), outside c.mu.
func (c *h2Conn) closeStreamLocked(st *h2Stream) (unstarted bool) {
	st.reset = true
	delete(c.streams, st.id)
	c.cond.Broadcast()
	c.idleCheckLocked()
	return !st.started
}

// streamError resets stream id with code.
func (c *h2Conn) streamError(id uint32, code http2.ErrCode) error {
	c.mu.Lock()
	if id > c.lastStream {
		c.lastStream = id // a stream opened by a head that could not be read
	}
	st := c.streams[id]
	unstarted := false
	if st != nil {
		unstarted = c.closeStreamLocked(st)
	}
	c.mu.Unlock()
	if st != nil {
		st.cancel(errStreamClosed)
		st.body.fail(errStreamClosed)
		if unstarted {
			st.body.closeBody()
		}
	}
	return c.write(func() error { return c.fr.WriteRSTStream(id, code) })
}

// selfDependent resets a stream that a PRIORITY frame made depend on
// itself (RFC 7540 section 5.3.1, as net/http does), without opening it.
func (c *h2Conn) selfDependent(id uint32) error {
	c.mu.Lock()
	st := c.streams[id]
	c.mu.Unlock()
	if st != nil {
		return c.streamError(id, http2.ErrCodeProtocol)
	}
	return c.write(func() error { return c.fr.WriteRSTStream(id, http2.ErrCodeProtocol) })
}

// idleCheckLocked sets the idle timeout as the read deadline when the
// connection has no stream left, and clears it when one opens; with
// Shutdown in progress, a connection without streams is closed.
func (c *h2Conn) idleCheckLocked() {
	idle := len(c.streams) == 0 && c.running == 0
	if idle && c.goingAway && (c.s.shutting.Load() || c.peerGoAway) {
		if !c.lingering {
			c.lingering = true
			go c.linger()
		}
		return
	}
	if idle == c.idleSince || c.readDone {
		return
	}
	c.idleSince = idle
	if idle {
		c.conn.SetReadDeadline(time.Now().Add(c.s.idleTimeout))
	} else {
		c.conn.SetReadDeadline(time.Time{})
	}
}

// linger ends a connection that Shutdown (or the client's GOAWAY) left
// without streams: it sends
// TLS close_notify and FIN, and gives the client a second to close its
// side, so that nothing it sent unread (WINDOW_UPDATEs) resets the
// connection before it has read the last responses and the GOAWAY.
func (c *h2Conn) linger() {
	c.conn.SetWriteDeadline(time.Now().Add(time.Second))
	c.wmu.Lock()
	closeWrite(c.conn)
	c.wmu.Unlock()
	c.conn.SetReadDeadline(time.Now().Add(time.Second))
}

// connSpecific are the header fields HTTP/2 forbids (RFC 9113 section
// 8.2.2).
var connSpecific = map[string]bool{
	"connection": true, "keep-alive": true, "proxy-connection": true,
	"transfer-encoding": true, "upgrade": true,
}

var (
	refuseH2HostMismatch = &refusal{http.StatusBadRequest, "bad-host",
		"the request's Host header differs from its :authority (RFC 9113 section 8.3.1)"}
	refuseH2HeadTooLarge = &refusal{http.StatusRequestHeaderFieldsTooLarge, "headers-too-large",
		"the request's header list is larger than the server's SETTINGS_MAX_HEADER_LIST_SIZE"}
)

func (c *h2Conn) onHeaders(f *http2.MetaHeadersFrame) error {
	id := f.StreamID
	if id%2 == 0 {
		return http2.ConnectionError(http2.ErrCodeProtocol)
	}
	c.mu.Lock()
	if st := c.streams[id]; st != nil {
		c.mu.Unlock()
		return c.onTrailers(st, f)
	}
	if id <= c.lastStream {
		c.mu.Unlock()
		return http2.ConnectionError(http2.ErrCodeProtocol)
	}
	c.lastStream = id
	if f.HasPriority() && f.Priority.StreamDep == id {
		c.mu.Unlock()
		return c.write(func() error { return c.fr.WriteRSTStream(id, http2.ErrCodeProtocol) })
	}
	if c.goingAway {
		c.mu.Unlock()
		return nil // beyond the GOAWAY's last stream: ignored
	}
	if len(c.streams) >= maxConcurrentStreams {
		c.mu.Unlock()
		return c.write(func() error { return c.fr.WriteRSTStream(id, http2.ErrCodeRefusedStream) })
	}
	c.mu.Unlock()

	st := &h2Stream{c: c, id: id, declared: -1}
	r, code := c.newRequest(st, f)
	if code != http2.ErrCodeNo {
		return c.write(func() error { return c.fr.WriteRSTStream(id, code) })
	}
	st.req = r
	st.w = h2Response{st: st, header: getHeaderMap(), declared: -1, isHead: r.Method == http.MethodHead}
	st.body.st = st
	if f.StreamEnded() {
		st.remoteClosed = true
		st.body.err = io.EOF
	}

	c.mu.Lock()
	if c.running >= maxConcurrentStreams && len(c.queue) >= h2MaxQueued {
		// Streams the client reset still hold their handlers, and it
		// keeps opening more (rapid reset).
		c.mu.Unlock()
		st.cancel(errConnGoingAway)
		return http2.ConnectionError(http2.ErrCodeEnhanceYourCalm)
	}
	st.sendWindow = c.initWindow
	st.recvWindow = h2StreamWindow
	c.streams[id] = st
	if c.running >= maxConcurrentStreams {
		c.queue = append(c.queue, st)
		c.idleCheckLocked()
		c.mu.Unlock()
		return nil
	}
	c.running++
	st.started = true
	c.idleCheckLocked()
	c.mu.Unlock()
	c.s.dispatch(st)
	return nil
}

// newRequest builds a stream's request from its head. A head HTTP/2
// calls malformed returns the code to reset the stream with.
func (c *h2Conn) newRequest(st *h2Stream, f *http2.MetaHeadersFrame) (*http.Request, http2.ErrCode) {
	var method, path, scheme, authority string
	for _, hf := range f.PseudoFields() {
		switch hf.Name {
		case ":method":
			method = hf.Value
		case ":path":
			path = hf.Value
		case ":scheme":
			scheme = hf.Value
		case ":authority":
			authority = hf.Value
		default: // :protocol (extended CONNECT is not offered), :status
			return nil, http2.ErrCodeProtocol
		}
	}
	isConnect := method == http.MethodConnect
	switch {
	case method == "" || !validMethod(method):
		return nil, http2.ErrCodeProtocol
	case isConnect && (path != "" || scheme != "" || authority == ""):
		return nil, http2.ErrCodeProtocol
	case !isConnect && (path == "" || scheme != "https" && scheme != "http"):
		return nil, http2.ErrCodeProtocol
	}
	regular := f.RegularFields()
	h := make(http.Header, len(regular))
	values := make([]string, len(regular)) // one backing array for the values
	var cookies []string
	for i, hf := range regular {
		if connSpecific[hf.Name] || hf.Name == "te" && hf.Value != "trailers" {
			return nil, http2.ErrCodeProtocol
		}
		if hf.Name == "cookie" {
			cookies = append(cookies, hf.Value)
			continue
		}
		k := canonicalH2Key(hf.Name)
		if vv := h[k]; vv == nil {
			values[i] = hf.Value
			h[k] = values[i : i+1 : i+1]
		} else {
			h[k] = append(vv, hf.Value)
		}
	}
	if len(cookies) > 0 {
		h["Cookie"] = []string{strings.Join(cookies, "; ")}
	}

	st.ctx, st.cancel = context.WithCancelCause(c.ctx)
	r := c.zero.WithContext(st.ctx)
	r.Method = method
	r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/2.0", 2, 0
	r.Header = h
	r.RemoteAddr = c.remote
	r.TLS = c.tls
	r.ContentLength = -1
	if hosts := h["Host"]; len(hosts) > 0 {
		delete(h, "Host")
		switch {
		case len(hosts) > 1:
			st.refuse = refuseManyHosts
		case authority == "":
			authority = hosts[0]
		case hosts[0] != authority:
			st.refuse = refuseH2HostMismatch
		}
	}
	r.Host = authority
	if isConnect {
		r.URL = &url.URL{Host: authority}
		r.RequestURI = authority
	} else {
		r.URL = &st.url
		if !parseOriginForm(&st.url, path) {
			u, err := url.ParseRequestURI(path)
			if err != nil {
				st.cancel(errStreamClosed)
				return nil, http2.ErrCodeProtocol
			}
			r.URL = u
		}
		r.RequestURI = path
	}
	if cl := h["Content-Length"]; len(cl) > 0 {
		n, ok := parseContentLength(cl[0])
		if !ok || len(cl) > 1 && cl[1] != cl[0] {
			st.cancel(errStreamClosed)
			return nil, http2.ErrCodeProtocol
		}
		h["Content-Length"] = cl[:1]
		st.declared = n
		r.ContentLength = n
	}
	if announced := h["Trailer"]; len(announced) > 0 {
		delete(h, "Trailer")
		for _, k := range trailerNames(announced) {
			if !httpguts.ValidTrailerHeader(k) {
				continue
			}
			if r.Trailer == nil {
				r.Trailer = make(http.Header)
			}
			r.Trailer[k] = nil
		}
	}
	if f.StreamEnded() {
		if st.declared > 0 {
			st.cancel(errStreamClosed)
			return nil, http2.ErrCodeProtocol
		}
		r.Body = http.NoBody
		r.ContentLength = 0
	} else {
		r.Body = &st.body
		if ex := h["Expect"]; len(ex) > 0 && strings.EqualFold(textproto.TrimString(ex[0]), "100-continue") {
			st.body.continueNeeded = true
		}
	}
	if f.Truncated {
		st.refuse = refuseH2HeadTooLarge
	}
	return r, http2.ErrCodeNo
}

// canonicalH2Key is the canonical form of a lower-case field name.
func canonicalH2Key(name string) string {
	if k, ok := commonCanonical[name]; ok {
		return k
	}
	return textproto.CanonicalMIMEHeaderKey(name)
}

var commonCanonical, commonLower = func() (map[string]string, map[string]string) {
	canon, lower := map[string]string{}, map[string]string{}
	for _, k := range []string{
		"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Accept-Ranges",
		"Access-Control-Allow-Credentials", "Access-Control-Allow-Headers", "Access-Control-Allow-Methods",
		"Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Access-Control-Max-Age",
		"Access-Control-Request-Headers", "Access-Control-Request-Method", "Age", "Allow",
		"Authorization", "Cache-Control", "Content-Disposition", "Content-Encoding",
		"Content-Language", "Content-Length", "Content-Location", "Content-Range", "Content-Type",
		"Cookie", "Date", "Etag", "Expect", "Expires", "From", "Host", "If-Match",
		"If-Modified-Since", "If-None-Match", "If-Range", "If-Unmodified-Since", "Last-Modified",
		"Link", "Location", "Max-Forwards", "Origin", "Pragma", "Proxy-Authenticate",
		"Proxy-Authorization", "Range", "Referer", "Refresh", "Retry-After", "Server",
		"Set-Cookie", "Strict-Transport-Security", "Trailer", "User-Agent", "Vary", "Via",
		"Www-Authenticate", "X-Content-Type-Options", "X-E2etls-Error", "X-Forwarded-For",
		"X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Proto", "X-Original-Host",
		"X-Request-Id", "X-Frame-Options", "X-Ms-Client-Ip",
	} {
		l := strings.ToLower(k)
		canon[l], lower[k] = k, l
	}
	return canon, lower
}()

// lowerH2Key is the HTTP/2 (lower-case) form of a field name.
func lowerH2Key(k string) string {
	if l, ok := commonLower[k]; ok {
		return l
	}
	return strings.ToLower(k)
}

func (c *h2Conn) onTrailers(st *h2Stream, f *http2.MetaHeadersFrame) error {
	c.mu.Lock()
	remoteClosed := st.remoteClosed
	c.mu.Unlock()
	if remoteClosed {
		return c.streamError(st.id, http2.ErrCodeStreamClosed)
	}
	if !f.StreamEnded() || len(f.PseudoFields()) > 0 {
		return c.streamError(st.id, http2.ErrCodeProtocol)
	}
	if st.declared >= 0 && st.received != st.declared {
		return c.streamError(st.id, http2.ErrCodeProtocol)
	}
	c.mu.Lock()
	st.remoteClosed = true
	c.mu.Unlock()
	var trailer http.Header
	for _, hf := range f.RegularFields() {
		k := canonicalH2Key(hf.Name)
		if !httpguts.ValidTrailerHeader(k) {
			return c.streamError(st.id, http2.ErrCodeProtocol) // as net/http
		}
		if trailer == nil {
			trailer = make(http.Header)
		}
		trailer[k] = append(trailer[k], hf.Value)
	}
	st.body.end(trailer)
	c.streamRemoteDone(st)
	return nil
}

func (c *h2Conn) onData(f *http2.DataFrame) error {
	id := f.StreamID
	n := int64(f.Length) // padding included: it counts against the windows
	data := f.Data()
	c.mu.Lock()
	if n > c.recvWindow {
		c.mu.Unlock()
		return http2.ConnectionError(http2.ErrCodeFlowControl)
	}
	c.recvWindow -= n
	st := c.streams[id]
	if st == nil || st.remoteClosed {
		c.mu.Unlock()
		if id > c.lastStream {
			return http2.ConnectionError(http2.ErrCodeProtocol)
		}
		c.refund(nil, n)
		return c.streamError(id, http2.ErrCodeStreamClosed)
	}
	if n > st.recvWindow {
		c.mu.Unlock()
		c.refund(nil, n)
		return c.streamError(id, http2.ErrCodeFlowControl)
	}
	st.recvWindow -= n
	st.received += int64(len(data))
	if st.declared >= 0 && (st.received > st.declared || f.StreamEnded() && st.received != st.declared) {
		c.mu.Unlock()
		c.refund(nil, n)
		return c.streamError(id, http2.ErrCodeProtocol)
	}
	if f.StreamEnded() {
		st.remoteClosed = true
	}
	c.mu.Unlock()
	if pad := n - int64(len(data)); pad > 0 {
		c.refund(st, pad)
	}
	if len(data) > 0 && !st.body.write(data) {
		c.refund(st, int64(len(data))) // the handler is done with the body
	}
	if f.StreamEnded() {
		st.body.end(nil)
		c.streamRemoteDone(st)
	}
	return nil
}

// refund gives n bytes of consumed body back to the client's windows, in
// WINDOW_UPDATEs once a quarter of a window is due. st is nil for data of
// a closed stream, which only the connection's window gets back.
func (c *h2Conn) refund(st *h2Stream, n int64) {
	if n <= 0 {
		return
	}
	var connInc, streamInc int64
	c.mu.Lock()
	c.recvUnacked += n
	if c.recvUnacked >= h2ConnWindow/4 {
		connInc = c.recvUnacked
		c.recvUnacked = 0
		c.recvWindow += connInc
	}
	if st != nil && !st.remoteClosed && !st.reset {
		st.recvUnacked += n
		if st.recvUnacked >= h2StreamWindow/4 {
			streamInc = st.recvUnacked
			st.recvUnacked = 0
			st.recvWindow += streamInc
		}
	}
	c.mu.Unlock()
	if connInc == 0 && streamInc == 0 {
		return
	}
	c.write(func() error {
		if connInc > 0 {
			if err := c.fr.WriteWindowUpdate(0, uint32(connInc)); err != nil {
				return err
			}
		}
		if streamInc > 0 {
			return c.fr.WriteWindowUpdate(st.id, uint32(streamInc))
		}
		return nil
	})
}

// streamRemoteDone notes that the client finished sending on st; the
// stream closes if its response is done too.
func (c *h2Conn) streamRemoteDone(st *h2Stream) {
	c.mu.Lock()
	if st.handlerDone && c.streams[st.id] == st {
		delete(c.streams, st.id)
		c.idleCheckLocked()
	}
	c.mu.Unlock()
}

// dispatch runs st on an idle worker, or on a new one.
func (s *h2Server) dispatch(st *h2Stream) {
	select {
	case s.work <- st:
	default:
		go s.worker(st)
	}
}

// worker serves streams until the server stops or enough workers idle.
func (s *h2Server) worker(st *h2Stream) {
	for {
		st.run()
		if s.idleWorkers.Add(1) > h2MaxIdleWorkers {
			s.idleWorkers.Add(-1)
			return
		}
		select {
		case st = <-s.work:
			s.idleWorkers.Add(-1)
		case <-s.quit:
			s.idleWorkers.Add(-1)
			return
		}
	}
}

// run serves the stream: the handler, or the stream's refusal, then the
// end of the response, and hands the slot to a queued stream.
func (st *h2Stream) run() {
	c := st.c
	w := &st.w
	aborted := false
	if st.refuse != nil {
		c.s.g.refuseRequest(w, st.req, st.refuse)
	} else {
		aborted = runHandler(c.s.g, c.s.handler, w, st.req, c.remote)
	}
	if aborted {
		c.mu.Lock()
		reset := st.reset
		c.mu.Unlock()
		if !reset {
			c.streamError(st.id, http2.ErrCodeInternal)
		}
	} else {
		w.finish()
	}
	st.body.closeBody()
	st.cancel(errStreamClosed)
	w.release()

	c.mu.Lock()
	st.handlerDone = true
	var next *h2Stream
	c.running--
	for len(c.queue) > 0 && !c.closed && next == nil {
		next = c.queue[0]
		c.queue = c.queue[1:]
		if next.reset {
			next = nil // reset while it waited
			continue
		}
		next.started = true
		c.running++
	}
	rst := false
	if c.streams[st.id] == st {
		rst = !st.remoteClosed // the client still sends a body no one reads
		delete(c.streams, st.id)
	}
	c.idleCheckLocked()
	if c.running == 0 {
		c.cond.Broadcast() // shutdown waits for the handlers
	}
	c.mu.Unlock()
	if rst {
		c.write(func() error { return c.fr.WriteRSTStream(st.id, http2.ErrCodeNo) })
	}
	if next != nil {
		c.s.dispatch(next)
	}
}

// h2Body is a stream's request body, buffered up to the stream's window.
type h2Body struct {
	st             *h2Stream
	mu             sync.Mutex
	cond           sync.Cond
	buf            []byte
	off            int
	err            error // io.EOF after END_STREAM, or why the stream ended
	closed         bool  // the handler closed it or returned: data is dropped
	continueNeeded bool
	trailer        http.Header // received, not yet in the request's Trailer
}

func (b *h2Body) wait() {
	if b.cond.L == nil {
		b.cond.L = &b.mu
	}
	b.cond.Wait()
}

func (b *h2Body) signal() {
	if b.cond.L != nil {
		b.cond.Broadcast()
	}
}

// write buffers data from a DATA frame; it reports false when the body
// is no longer read.
func (b *h2Body) write(p []byte) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || b.err != nil {
		return false
	}
	if b.off == len(b.buf) {
		b.buf, b.off = b.buf[:0], 0
	} else if b.off > 0 && len(b.buf)+len(p) > cap(b.buf) {
		// Move the unread rest to the front before growing: the buffer
		// stays within the stream's window, however long the body.
		b.buf = b.buf[:copy(b.buf, b.buf[b.off:])]
		b.off = 0
	}
	b.buf = append(b.buf, p...)
	b.signal()
	return true
}

// end marks the body complete, with the request's trailers, if any. They
// reach the request's Trailer map when the body's reader sees the end
// (see Read): the handler may be using the request meanwhile.
func (b *h2Body) end(trailer http.Header) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return
	}
	b.trailer = trailer
	b.err = io.EOF
	b.signal()
}

// fail ends the body with err, unless it already ended.
func (b *h2Body) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		b.err = err
	}
	b.signal()
}

func (b *h2Body) Read(p []byte) (int, error) {
	st := b.st
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return 0, http.ErrBodyReadAfterClose
	}
	if b.continueNeeded {
		b.continueNeeded = false
		if b.err == nil && b.off == len(b.buf) {
			b.mu.Unlock()
			st.sendContinue()
			b.mu.Lock()
		}
	}
	for b.off == len(b.buf) && b.err == nil {
		b.wait()
	}
	if b.off == len(b.buf) {
		err := b.err
		if err == io.EOF && b.trailer != nil {
			// As net/http: the announced trailers (the keys of
			// r.Trailer) take their values in the goroutine that reads
			// the body, before it sees io.EOF; others are dropped.
			if r := st.req; r.Trailer != nil {
				for k := range r.Trailer {
					if vv, ok := b.trailer[k]; ok {
						r.Trailer[k] = vv
					}
				}
			}
			b.trailer = nil
		}
		b.mu.Unlock()
		return 0, err
	}
	n := copy(p, b.buf[b.off:])
	b.off += n
	if b.off == len(b.buf) {
		b.buf, b.off = b.buf[:0], 0
	}
	b.mu.Unlock()
	st.c.refund(st, int64(n))
	return n, nil
}

func (b *h2Body) Close() error {
	b.closeBody()
	return nil
}

// closeBody drops what is buffered and what arrives later, refunding it.
func (b *h2Body) closeBody() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	n := len(b.buf) - b.off
	b.buf, b.off = nil, 0
	b.signal()
	b.mu.Unlock()
	if b.st != nil {
		b.st.c.refund(b.st, int64(n))
	}
}

// h2Response is the http.ResponseWriter of a stream.
type h2Response struct {
	st       *h2Stream
	header   http.Header
	status   int
	headSent bool
	ended    bool // END_STREAM sent
	pending  []byte
	declared int64
	written  int64
	noBody   bool
	isHead   bool
	trailers bool
	err      error
}

func (w *h2Response) Header() http.Header { return w.header }

func (w *h2Response) WriteHeader(code int) {
	if w.status != 0 {
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code < 200 {
		if code != http.StatusSwitchingProtocols { // 101 does not exist in HTTP/2
			w.writeInterim(code, w.header)
		}
		return
	}
	w.status = code
	w.noBody = w.isHead || code == http.StatusNoContent || code == http.StatusNotModified
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
	w.trailers = len(w.header["Trailer"]) > 0
}

// writeInterim sends a 1xx response with the fields of h.
func (w *h2Response) writeInterim(code int, h http.Header) {
	if w.err != nil || w.headSent {
		return
	}
	c := w.st.c
	if err := w.checkOpen(); err != nil {
		w.err = err
		return
	}
	w.err = c.write(func() error {
		c.hbuf.Reset()
		c.henc.WriteField(hpack.HeaderField{Name: ":status", Value: strconv.Itoa(code)})
		encodeFields(c, h, false)
		return c.writeHeaderBlock(w.st.id, false)
	})
}

// sendContinue answers Expect: 100-continue when the body is first read,
// unless the response head went out first. The body may be read outside
// the handler's goroutine (an HTTP/2 backend's transport reads it), so
// this touches only what the write lock guards.
func (st *h2Stream) sendContinue() {
	c := st.c
	c.mu.Lock()
	gone := st.reset || c.closed
	c.mu.Unlock()
	if gone {
		return
	}
	c.write(func() error {
		if st.w.headSent {
			return nil
		}
		c.hbuf.Reset()
		c.henc.WriteField(hpack.HeaderField{Name: ":status", Value: "100"})
		return c.writeHeaderBlock(st.id, false)
	})
}

// checkOpen reports whether the stream can still be written.
func (w *h2Response) checkOpen() error {
	c := w.st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case w.st.reset:
		return errStreamReset
	case c.closed:
		return errClientGone
	}
	return nil
}

func (w *h2Response) Write(p []byte) (int, error) {
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
	if !w.headSent && len(w.pending)+len(p) <= h2MaxPending {
		if w.pending == nil {
			w.pending = (*pendingPool.Get().(*[]byte))[:0]
		}
		w.pending = append(w.pending, p...)
		return len(p), nil
	}
	if err := w.send(p, false, false); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (w *h2Response) Flush() { w.FlushError() }

// FlushError sends the head and what the handler has written.
func (w *h2Response) FlushError() error {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return w.err
	}
	if w.headSent && len(w.pending) == 0 {
		return nil
	}
	return w.send(nil, false, false)
}

// send writes the head if it is unsent, the pending body and p, ending
// the stream with the last of them when end is set. final says the
// handler has returned: a head still unsent then declares the length.
func (w *h2Response) send(p []byte, end, final bool) error {
	if w.err != nil {
		return w.err
	}
	st, c := w.st, w.st.c
	data := p
	if len(w.pending) > 0 {
		data = append(w.pending, p...)
		w.pending = data[:0]
	}
	if w.noBody {
		data = nil
	}
	for first := true; first || len(data) > 0; first = false {
		// HEADERS are not flow-controlled: a head goes out at once, with
		// as much of the body as the windows allow.
		n, err := w.takeWindow(len(data), w.headSent)
		if err != nil {
			w.err = err
			return err
		}
		chunk := data[:n]
		data = data[n:]
		last := end && len(data) == 0
		w.err = c.writeFrames(func() error {
			if !w.headSent {
				w.headSent = true
				if err := w.writeHead(final, last && len(chunk) == 0); err != nil {
					return err
				}
			}
			if len(chunk) > 0 || last && !w.ended {
				w.ended = last
				return c.fr.WriteData(st.id, last, chunk)
			}
			return nil
		}, final)
		if w.err != nil {
			return w.err
		}
	}
	return nil
}

var (
	pendingPool   = sync.Pool{New: func() any { b := make([]byte, 0, h2MaxPending); return &b }}
	headerMapPool sync.Pool
)

func getHeaderMap() http.Header {
	if h, ok := headerMapPool.Get().(http.Header); ok {
		return h
	}
	return make(http.Header, 8)
}

// release returns the response's buffers once the handler has returned
// and the response is done (the handler keeps none of them).
func (w *h2Response) release() {
	if p := w.pending; cap(p) == h2MaxPending {
		p = p[:0]
		pendingPool.Put(&p)
	}
	w.pending = nil
	if h := w.header; len(h) <= 64 {
		clear(h)
		headerMapPool.Put(h)
	}
	w.header = nil
}

// takeWindow takes up to a frame of n bytes from the windows, waiting
// for some when wait is set and they are closed. n == 0 takes nothing.
func (w *h2Response) takeWindow(n int, wait bool) (int, error) {
	st, c := w.st, w.st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		switch {
		case st.reset:
			return 0, errStreamReset
		case c.closed:
			return 0, errClientGone
		}
		if n == 0 {
			return 0, nil
		}
		allow := min(int64(n), c.sendWindow, st.sendWindow, int64(c.maxFrame))
		if allow > 0 {
			c.sendWindow -= allow
			st.sendWindow -= allow
			return int(allow), nil
		}
		if !wait {
			return 0, nil
		}
		c.cond.Wait()
	}
}

// writeHead encodes and writes the response head, under the write lock.
func (w *h2Response) writeHead(final, endStream bool) error {
	c := w.st.c
	c.hbuf.Reset()
	var num [20]byte
	c.henc.WriteField(hpack.HeaderField{Name: ":status", Value: string(strconv.AppendInt(num[:0], int64(w.status), 10))})
	encodeFields(c, w.header, w.trailers)
	if _, ok := w.header["Date"]; !ok {
		c.henc.WriteField(hpack.HeaderField{Name: "date", Value: httpDate()})
	}
	if final && w.declared < 0 && !w.noBody && !w.trailers && !hasPrefixedTrailer(w.header) {
		// The handler has returned: all it wrote is about to follow.
		c.henc.WriteField(hpack.HeaderField{Name: "content-length", Value: string(strconv.AppendInt(num[:0], w.written, 10))})
	}
	if endStream {
		w.ended = true
	}
	return c.writeHeaderBlock(w.st.id, endStream)
}

// encodeFields encodes h's fields in lower case, without trailers (when
// announced is set, those named in Trailer), names that are not tokens,
// and HTTP/1 connection fields.
func encodeFields(c *h2Conn, h http.Header, announced bool) {
	for k, vv := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) || !httpguts.ValidHeaderFieldName(k) ||
			announced && isAnnouncedTrailer(h, k) {
			continue
		}
		name := lowerH2Key(k)
		if connSpecific[name] || name == "te" {
			continue
		}
		for _, v := range vv {
			c.henc.WriteField(hpack.HeaderField{Name: name, Value: headerValue(textproto.TrimString(v))})
		}
	}
}

// writeHeaderBlock writes the encoded block in c.hbuf as HEADERS and
// CONTINUATION frames of the client's frame size.
func (c *h2Conn) writeHeaderBlock(id uint32, endStream bool) error {
	c.mu.Lock()
	max := c.maxFrame
	c.mu.Unlock()
	block := c.hbuf.Bytes()
	first := block[:min(len(block), max)]
	rest := block[len(first):]
	if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: first,
		EndStream: endStream, EndHeaders: len(rest) == 0}); err != nil {
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

// finish ends the response after the handler returned: the head if still
// unsent, the pending body, the trailers, END_STREAM.
func (w *h2Response) finish() {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil || w.ended {
		return
	}
	trailers := w.trailerFields()
	if len(trailers) == 0 {
		w.send(nil, true, true)
		return
	}
	if err := w.send(nil, false, true); err != nil {
		return
	}
	c := w.st.c
	if w.checkOpen() != nil {
		return
	}
	w.err = c.write(func() error {
		c.hbuf.Reset()
		for _, f := range trailers {
			c.henc.WriteField(f)
		}
		w.ended = true
		return c.writeHeaderBlock(w.st.id, true)
	})
}

// trailerFields are the response's trailers: those announced in the
// Trailer header and set after the head, and those set with
// http.TrailerPrefix.
func (w *h2Response) trailerFields() []hpack.HeaderField {
	var out []hpack.HeaderField
	if w.noBody && !w.isHead {
		return nil
	}
	for _, f := range w.header["Trailer"] {
		for _, k := range strings.Split(f, ",") {
			k = textproto.CanonicalMIMEHeaderKey(textproto.TrimString(k))
			if !httpguts.ValidTrailerHeader(k) {
				continue
			}
			for _, v := range w.header[k] {
				out = append(out, hpack.HeaderField{Name: lowerH2Key(k), Value: headerValue(v)})
			}
		}
	}
	for k, vv := range w.header {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok && httpguts.ValidHeaderFieldName(name) && httpguts.ValidTrailerHeader(name) {
			for _, v := range vv {
				out = append(out, hpack.HeaderField{Name: strings.ToLower(name), Value: headerValue(v)})
			}
		}
	}
	return out
}

// shutdown sends GOAWAY on every connection, closes those without
// streams, and waits until the others have finished theirs, or for ctx.
func (s *h2Server) shutdown(ctx context.Context) error {
	s.shutting.Store(true)
	s.conns.stopAccepting(func(c *h2Conn) {
		// A connection whose client stopped reading holds its write lock
		// in a blocked write: its GOAWAY waits in a goroutine of its own,
		// which Close (ctx ending) releases, so that Shutdown still
		// honours ctx.
		go c.shutdownGoAway()
	})
	select {
	case <-s.conns.done:
		s.stopWorkers()
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// shutdownGoAway tells the client that no new stream will be served, and
// closes the connection if it has no stream left.
func (c *h2Conn) shutdownGoAway() {
	c.mu.Lock()
	if !c.prefaceDone {
		// The server's first frame must be SETTINGS: a connection still
		// in its preface is closed instead.
		c.mu.Unlock()
		c.conn.Close()
		return
	}
	last := c.lastStream
	c.goingAway = true
	c.mu.Unlock()
	c.write(func() error { return c.fr.WriteGoAway(last, http2.ErrCodeNo, nil) })
	c.mu.Lock()
	c.idleCheckLocked() // closes the connection if it has no stream
	c.mu.Unlock()
}

// close closes every connection at once.
func (s *h2Server) close() {
	s.shutting.Store(true)
	s.conns.stopAccepting(func(c *h2Conn) { c.conn.Close() })
	s.stopWorkers()
}

func (s *h2Server) stopWorkers() {
	s.quitOnce.Do(func() { close(s.quit) })
}
