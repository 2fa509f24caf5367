package h2

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/e2etls/e2etls/internal/httpwire"
)

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
	h2MaxQueued = 4 * httpwire.MaxConcurrentStreams
	// h2MaxIdleWorkers bounds the worker goroutines kept for later
	// streams (each keeps its stack, a few KiB) until the server stops.
	h2MaxIdleWorkers = 2 * httpwire.MaxConcurrentStreams
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

// Server serves HTTP/2 connections. Set its fields, then call ServeConn
// for each connection; Shutdown or Close once. It must not be copied after
// first use.
type Server struct {
	httpwire.ServerConfig

	once     sync.Once
	conns    *httpwire.ConnSet[*conn]
	shutting atomic.Bool

	work        chan *stream // idle workers wait here
	idleWorkers atomic.Int32
	quit        chan struct{} // closed when the server stops: workers end
	quitOnce    sync.Once
}

func (s *Server) init() {
	s.once.Do(func() {
		s.conns = httpwire.NewConnSet[*conn]()
		s.work = make(chan *stream)
		s.quit = make(chan struct{})
	})
}

// conn is one client HTTP/2 connection.
type conn struct {
	s      *Server
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
	streams     map[uint32]*stream // open and half-closed streams
	lastStream  uint32             // the highest stream the client opened
	running     int                // handlers running
	queue       []*stream          // streams waiting for a handler slot
	sendWindow  int64              // the connection's send window
	initWindow  int64              // the client's SETTINGS_INITIAL_WINDOW_SIZE
	recvWindow  int64              // what the client may still send over all streams
	recvUnacked int64              // consumed, not yet refunded
	goingAway   bool               // GOAWAY sent: no new streams
	closed      bool
	readDone    bool // the frame reader ended
	idleSince   bool // the read deadline is the idle timeout's
	lingering   bool // Shutdown is closing the connection
	prefaceDone bool // the server's SETTINGS went out: frames may follow
	peerGoAway  bool // the client sent GOAWAY
	gotSettings bool // the reader's: the client's first SETTINGS came
}

// stream is one request and its response.
type stream struct {
	c      *conn
	id     uint32
	ctx    context.Context
	cancel context.CancelCauseFunc
	req    *http.Request
	url    url.URL
	body   body
	w      response
	refuse *httpwire.Refusal // answer this instead of running the handler

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

// ServeConn serves an HTTP/2 connection until it closes. Every stream's
// request context derives from ctx, which carries the connection's values
// (httpwire.ConnValue) and must not end before nc does. It runs in the
// goroutine that did the handshake.
func (s *Server) ServeConn(ctx context.Context, nc net.Conn) {
	s.init()
	c := &conn{s: s, conn: nc, remote: nc.RemoteAddr().String(),
		streams: make(map[uint32]*stream), sendWindow: h2DefaultWindow, initWindow: h2DefaultWindow,
		recvWindow: h2ConnWindow, maxFrame: h2DefaultFrameSize}
	c.cond.L = &c.mu
	if tc, ok := nc.(*tls.Conn); ok {
		cs := tc.ConnectionState()
		c.tls = &cs
	}
	c.ctx, c.cancel = context.WithCancelCause(ctx)
	c.zero = (&http.Request{}).WithContext(c.ctx)
	c.fr = http2.NewFramer(connWriter{c}, nc)
	c.fr.SetMaxReadFrameSize(h2DefaultFrameSize)
	c.fr.MaxHeaderListSize = httpwire.ServerHeaderBytes
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	c.fr.ReadMetaHeaders.SetMaxStringLength(httpwire.ServerHeaderBytes)
	c.fr.SetReuseFrames()
	c.henc = hpack.NewEncoder(&c.hbuf)
	if !s.conns.Add(c) {
		nc.Close()
		return
	}

	err := c.serve()
	c.shutdown(err)
	s.conns.Forget(c)
}

// connWriter is the Framer's writer: the pooled buffer of whoever holds
// wmu.
type connWriter struct{ c *conn }

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
func (c *conn) write(fn func() error) error { return c.writeFrames(fn, false) }

// writeFrames is write; with batch set, a writer that finds no other
// waiting yields once before it flushes, so that the responses of other
// streams that are ready to go (their backends answered in the same
// poll) join the same system call.
func (c *conn) writeFrames(fn func() error, batch bool) error {
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
func (c *conn) serve() error {
	c.conn.SetReadDeadline(time.Now().Add(c.s.Timeouts.ReadHeader()))
	var preface [len(http2.ClientPreface)]byte
	if _, err := io.ReadFull(c.conn, preface[:]); err != nil {
		return err
	}
	if string(preface[:]) != http2.ClientPreface {
		return errors.New("gateway: the client did not send the HTTP/2 connection preface")
	}
	err := c.write(func() error {
		if err := c.fr.WriteSettings(
			http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: httpwire.MaxConcurrentStreams},
			http2.Setting{ID: http2.SettingInitialWindowSize, Val: h2StreamWindow},
			http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: httpwire.ServerHeaderBytes},
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
	c.conn.SetReadDeadline(time.Now().Add(c.s.Timeouts.Idle()))
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
			if httpwire.IsTimeoutErr(err) {
				// The idle timeout (or a header block that took longer):
				// GOAWAY tells the client no stream was lost.
				c.mu.Lock()
				last := c.lastStream
				c.goingAway = true
				c.mu.Unlock()
				c.conn.SetWriteDeadline(time.Now().Add(httpwire.RefusalLinger))
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
func (c *conn) goAway(code http2.ErrCode, err error) error {
	c.mu.Lock()
	last := c.lastStream
	c.goingAway = true
	c.mu.Unlock()
	c.conn.SetWriteDeadline(time.Now().Add(httpwire.RefusalLinger)) // the connection ends: a client that does not read cannot hold it
	c.write(func() error { return c.fr.WriteGoAway(last, code, nil) })
	c.s.Log.LogAttrs(context.Background(), slog.LevelDebug, "gateway: HTTP/2 connection error",
		slog.String("client", c.remote), slog.String("code", code.String()),
		slog.String("error", err.Error()))
	return err
}

// shutdown ends the connection after its reader stopped: every stream's
// context ends, waiting writers wake, and the connection is closed once
// the handlers have returned.
func (c *conn) shutdown(cause error) {
	c.mu.Lock()
	c.readDone = true
	c.closed = true
	for _, st := range c.queue {
		st.cancel(httpwire.ErrClientGone)
	}
	c.queue = nil
	c.cond.Broadcast()
	c.mu.Unlock()
	c.cancel(httpwire.ErrClientGone)
	for _, st := range c.allStreams() {
		st.body.fail(httpwire.ErrClientGone)
	}
	if cause != nil && !errors.Is(cause, io.EOF) && !httpwire.IsTimeoutErr(cause) && !errors.Is(cause, net.ErrClosed) {
		httpwire.CloseWrite(c.conn) // let a GOAWAY reach the client before the close
	}
	c.conn.Close()
	c.mu.Lock()
	for c.running > 0 {
		c.cond.Wait()
	}
	c.mu.Unlock()
}

func (c *conn) allStreams() []*stream {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*stream, 0, len(c.streams))
	for _, st := range c.streams {
		out = append(out, st)
	}
	return out
}

// process handles one frame.
func (c *conn) process(f http2.Frame) error {
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

func (c *conn) onSettings(f *http2.SettingsFrame) error {
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

func (c *conn) onWindowUpdate(f *http2.WindowUpdateFrame) error {
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

func (c *conn) onReset(f *http2.RSTStreamFrame) error {
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
func (c *conn) closeStreamLocked(st *stream) (unstarted bool) {
	st.reset = true
	delete(c.streams, st.id)
	c.cond.Broadcast()
	c.idleCheckLocked()
	return !st.started
}

// streamError resets stream id with code.
func (c *conn) streamError(id uint32, code http2.ErrCode) error {
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
func (c *conn) selfDependent(id uint32) error {
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
func (c *conn) idleCheckLocked() {
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
		c.conn.SetReadDeadline(time.Now().Add(c.s.Timeouts.Idle()))
	} else {
		c.conn.SetReadDeadline(time.Time{})
	}
}

// linger ends a connection that Shutdown (or the client's GOAWAY) left
// without streams: it sends
// TLS close_notify and FIN, and gives the client a second to close its
// side, so that nothing it sent unread (WINDOW_UPDATEs) resets the
// connection before it has read the last responses and the GOAWAY.
func (c *conn) linger() {
	c.conn.SetWriteDeadline(time.Now().Add(time.Second))
	c.wmu.Lock()
	httpwire.CloseWrite(c.conn)
	c.wmu.Unlock()
	c.conn.SetReadDeadline(time.Now().Add(time.Second))
}
