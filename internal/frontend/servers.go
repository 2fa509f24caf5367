package frontend

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/e2etls/e2etls/internal/h1"
	"github.com/e2etls/e2etls/internal/h2"
	"github.com/e2etls/e2etls/internal/httpwire"
)

// Own returns the gateway's own servers for a port: HTTP/1.x (internal/h1)
// and HTTP/2 (internal/h2), serving h and answering refusals with refuse.
func Own(h http.Handler, refuse httpwire.RefuseFunc, log *slog.Logger, t *httpwire.Timeouts) (http1, http2 ConnServer) {
	c := httpwire.ServerConfig{Handler: h, Refuse: refuse, Log: log, Timeouts: t}
	return &h1.Server{ServerConfig: c}, &h2.Server{ServerConfig: c}
}

// NetHTTP returns net/http's server for a port, serving h over HTTP/1.x
// and (for connections that chose h2) HTTP/2, with net/http's own parsing
// and limits: the same ConnServer serves both. Its timeouts are t's values
// now; a later change of t does not reach it. h must do what the own
// servers do before their handler runs and net/http does not: refuse a
// request target or header fields over httpwire's limits (see
// httpwire.CheckHead).
//
// An HTTP/2 client must send its preface within the read-header timeout,
// as with the own server (net/http alone waits a fixed 10 s). Its HTTP/2
// settings are the own server's: at most
// httpwire.MaxConcurrentStreams streams, a header list of
// httpwire.ServerHeaderBytes, frames of 16 KiB, request bodies buffered up
// to 256 KiB a stream and 1 MiB a connection. As with the own servers, a
// response without a Content-Type is sent without one (net/http would
// sniff one), and a panic in h is logged at Error and ends the response as
// a broken one; net/http's own messages (malformed HTTP/2 frames, for one)
// are logged at Debug.
func NetHTTP(h http.Handler, log *slog.Logger, t *httpwire.Timeouts) ConnServer {
	s := &netHTTP{
		h:      h,
		log:    log,
		conns:  make(chan net.Conn),
		done:   make(chan struct{}),
		served: make(chan struct{}),
		values: make(map[net.Conn]any),
	}
	s.srv = &http.Server{
		Handler:           s,
		ConnState:         s.connState,
		ReadHeaderTimeout: t.ReadHeader(),
		IdleTimeout:       t.Idle(),
		// net/http reads an HTTP/1.x head of up to MaxHeaderBytes and 4 KiB
		// more, and advertises MaxHeaderBytes and 320 bytes as HTTP/2's
		// SETTINGS_MAX_HEADER_LIST_SIZE: that is the own server's.
		MaxHeaderBytes: httpwire.ServerHeaderBytes - h2HeaderListPad,
		ErrorLog:       slog.NewLogLogger(log.With(slog.String("frontend", "net/http")).Handler(), slog.LevelDebug),
		HTTP2: &http.HTTP2Config{
			MaxConcurrentStreams:          httpwire.MaxConcurrentStreams,
			MaxReadFrameSize:              16 << 10,
			MaxReceiveBufferPerStream:     256 << 10,
			MaxReceiveBufferPerConnection: 1 << 20,
		},
	}
	// A connection's value (httpwire.ConnValue) reaches its requests
	// through the connection's context, which net/http makes as it accepts
	// the connection from connListener: ServeConn has recorded the value by
	// then, and it is taken out here.
	s.srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		s.mu.Lock()
		v, ok := s.values[c]
		delete(s.values, c)
		s.mu.Unlock()
		if !ok {
			return ctx
		}
		return httpwire.WithConnValue(ctx, v)
	}
	// The TLS handshake is done: net/http's server sees a *tls.Conn that
	// has negotiated its protocol and serves HTTP/2 on it when that is h2.
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetHTTP2(true)
	s.srv.Protocols = &p
	return s
}

// h2HeaderListPad is what net/http adds to MaxHeaderBytes for HTTP/2's
// header list size: 32 bytes of overhead for each of 10 fields.
const h2HeaderListPad = 10 * 32

// netHTTP runs one http.Server over the connections it is handed.
type netHTTP struct {
	srv    *http.Server
	h      http.Handler
	log    *slog.Logger
	conns  chan net.Conn
	done   chan struct{} // closed when the server stops
	served chan struct{} // closed when srv.Serve has returned

	// preface holds the HTTP/2 connections whose client preface is due,
	// with the timer that closes them if it does not come in time.
	preface sync.Map // net.Conn -> *prefaceWait

	mu      sync.Mutex
	started bool // srv.Serve runs (or ran)
	stopped bool
	addr    net.Addr
	values  map[net.Conn]any // connections handed over, until net/http takes their value
}

// ServeConn hands c to net/http's server, which serves it in a goroutine
// of its own; ctx's connection value (httpwire.ConnValue) goes with it.
// The first call starts the server.
func (s *netHTTP) ServeConn(ctx context.Context, c net.Conn) {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		c.Close()
		return
	}
	if v := httpwire.ConnValue(ctx); v != nil {
		s.values[c] = v
	}
	if !s.started {
		s.started = true
		s.addr = c.LocalAddr()
		go func() {
			defer close(s.served)
			s.srv.Serve(connListener{s})
		}()
	}
	s.mu.Unlock()
	h2 := false
	if tc, ok := c.(*tls.Conn); ok && s.srv.ReadHeaderTimeout > 0 && tc.ConnectionState().NegotiatedProtocol == "h2" {
		// net/http's HTTP/2 server waits a fixed 10 s for the client's
		// preface, whatever ReadHeaderTimeout says (and a read deadline
		// set here would not last: net/http clears the connection's
		// deadlines after its own, no-op, handshake). A timer closes the
		// connection unless connState learns in time that the preface came.
		h2 = true
		w := new(prefaceWait)
		s.preface.Store(c, w)
		w.timer = time.AfterFunc(s.srv.ReadHeaderTimeout, func() {
			if _, waiting := s.preface.LoadAndDelete(c); waiting {
				c.Close()
			}
		})
	}
	select {
	case s.conns <- c:
	case <-s.done:
		if h2 {
			s.forgetPreface(c)
		}
		s.mu.Lock()
		delete(s.values, c)
		s.mu.Unlock()
		c.Close()
	}
}

// prefaceWait is the timer of an HTTP/2 connection whose preface is due.
// It is set before the connection is handed to net/http, so connState,
// which runs after, reads it safely.
type prefaceWait struct{ timer *time.Timer }

// connState stops the preface timer of an HTTP/2 connection when net/http
// has read the preface: it then reports the connection active (and idle),
// which it reports of no HTTP/2 connection before.
func (s *netHTTP) connState(c net.Conn, st http.ConnState) {
	switch st {
	case http.StateActive, http.StateClosed, http.StateHijacked:
		s.forgetPreface(c)
	}
}

// forgetPreface stops c's preface timer, if it has one still running.
func (s *netHTTP) forgetPreface(c net.Conn) {
	if w, waiting := s.preface.LoadAndDelete(c); waiting {
		w.(*prefaceWait).timer.Stop()
	}
}

// ServeHTTP runs the handler as the own servers do. A response without a
// Content-Type goes out without one: net/http would sniff one from the
// body (a backend's untyped bytes could become "text/html"), unless the
// header holds the key, here with no value, which it then writes as
// nothing. A panic other than http.ErrAbortHandler is logged at Error with
// its stack, and then ends the response as http.ErrAbortHandler does
// (net/http would log it at Debug).
func (s *netHTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header()["Content-Type"] = nil
	if httpwire.RunHandler(s.log, s.h, w, r) {
		panic(http.ErrAbortHandler)
	}
}

// Shutdown stops the server as http.Server.Shutdown does: idle
// connections close, HTTP/2 connections get GOAWAY, requests in flight
// finish. It returns once srv.Serve has returned, or ctx's error.
func (s *netHTTP) Shutdown(ctx context.Context) error {
	started := s.stop()
	err := s.srv.Shutdown(ctx)
	if started {
		<-s.served // quick: Accept returns once done is closed
	}
	return err
}

// Close closes every connection at once, but hijacked ones (the gateway
// tracks and closes those itself).
func (s *netHTTP) Close() {
	started := s.stop()
	s.srv.Close()
	if started {
		<-s.served
	}
}

// stop makes ServeConn refuse connections and Accept return; it reports
// whether the server was started.
func (s *netHTTP) stop() (started bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stopped {
		s.stopped = true
		close(s.done)
	}
	return s.started
}

// connListener is the listener net/http's server accepts from: the
// connections ServeConn hands it.
type connListener struct{ s *netHTTP }

func (l connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.s.conns:
		return c, nil
	case <-l.s.done:
		return nil, net.ErrClosed
	}
}

func (l connListener) Close() error   { return nil }
func (l connListener) Addr() net.Addr { return l.s.addr }
