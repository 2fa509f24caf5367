package frontend

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync"

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
func NetHTTP(h http.Handler, log *slog.Logger, t *httpwire.Timeouts) ConnServer {
	s := &netHTTP{
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: t.ReadHeader(),
			IdleTimeout:       t.Idle(),
			MaxHeaderBytes:    httpwire.ServerHeaderBytes,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
			HTTP2: &http.HTTP2Config{
				MaxConcurrentStreams: httpwire.MaxConcurrentStreams,
			},
		},
		conns:  make(chan net.Conn),
		done:   make(chan struct{}),
		values: make(map[net.Conn]any),
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
	s.srv.TLSConfig = nil
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetHTTP2(true)
	s.srv.Protocols = &p
	return s
}

// netHTTP runs one http.Server over the connections it is handed.
type netHTTP struct {
	srv      *http.Server
	conns    chan net.Conn
	once     sync.Once
	stopOnce sync.Once
	done     chan struct{} // closed when the server stops
	addr     net.Addr

	mu     sync.Mutex
	values map[net.Conn]any // connections handed over, until net/http takes their value
}

// ServeConn hands c to net/http's server, which serves it in a goroutine
// of its own; ctx's connection value (httpwire.ConnValue) goes with it.
func (s *netHTTP) ServeConn(ctx context.Context, c net.Conn) {
	s.once.Do(func() {
		s.addr = c.LocalAddr()
		go s.srv.Serve(connListener{s})
	})
	if v := httpwire.ConnValue(ctx); v != nil {
		s.mu.Lock()
		s.values[c] = v
		s.mu.Unlock()
	}
	select {
	case s.conns <- c:
	case <-s.done:
		s.mu.Lock()
		delete(s.values, c)
		s.mu.Unlock()
		c.Close()
	}
}

func (s *netHTTP) Shutdown(ctx context.Context) error {
	s.stop()
	return s.srv.Shutdown(ctx)
}

func (s *netHTTP) Close() {
	s.stop()
	s.srv.Close()
}

func (s *netHTTP) stop() { s.stopOnce.Do(func() { close(s.done) }) }

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
