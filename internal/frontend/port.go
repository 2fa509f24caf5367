package frontend

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/e2etls/e2etls/internal/httpwire"
)

// ErrClosed is returned by Serve after Shutdown or Close.
var ErrClosed = errors.New("frontend: port closed")

// ConnServer serves the connections a Port hands it, after their TLS
// handshake (or plain, on an HTTP port).
type ConnServer interface {
	// ServeConn serves c until it closes. It may return before (a server
	// that serves connections in goroutines of its own). Every request's
	// context on c carries ctx's values (httpwire.ConnValue); ctx never
	// ends.
	ServeConn(ctx context.Context, c net.Conn)
	// Shutdown stops serving: idle connections close, active ones finish
	// their requests. It returns ctx's error if ctx ends first.
	Shutdown(ctx context.Context) error
	// Close closes every connection at once.
	Close()
}

// Protocols are the ALPN protocols an HTTPS port offers with HTTP/2 on. A
// client that offers only http/1.0 (curl --http1.0 does) is served by the
// HTTP/1.x server; one that offers no ALPN at all gets HTTP/1.1.
var Protocols = []string{"h2", "http/1.1", "http/1.0"}

// ProtocolsHTTP1 are the ALPN protocols an HTTPS port offers with HTTP/2
// off.
var ProtocolsHTTP1 = []string{"http/1.1", "http/1.0"}

// Port serves one frontend port on any number of listeners. Set its fields,
// then call Serve; Shutdown or Close once. It must not be copied after
// first use.
type Port struct {
	// Name names the port in log records ("port 443").
	Name string
	// TLS, when not nil, makes this an HTTPS port: every connection does
	// its handshake with it. Its NextProtos decide what ALPN offers
	// (Protocols or ProtocolsHTTP1).
	TLS *tls.Config
	// HTTP1 serves HTTP/1.x connections, and every connection of an HTTP
	// port. Required.
	HTTP1 ConnServer
	// HTTP2 serves the connections whose handshake chose "h2". Required
	// when TLS offers h2.
	HTTP2 ConnServer
	// Log receives failed handshakes (at Debug, as net/http logs them).
	// Required.
	Log *slog.Logger
	// Timeouts' ReadHeader bounds each TLS handshake. Required.
	Timeouts *httpwire.Timeouts
	// OnHandshake, if not nil, is told of every TLS handshake: the
	// connection state when it succeeded, the error when it failed (with
	// the SNI the client sent, "" if none or unknown), and how long it
	// took. It runs in the connection's goroutine and must not block.
	OnHandshake func(cs *tls.ConnectionState, sni string, err error, took time.Duration)
	// AfterHandshake, when set, runs after every successful TLS
	// handshake, resumed or not, in the connection's goroutine and before
	// the connection is handed to a server: no byte of a request is read
	// before it returns, and what it returns is attached to the context of
	// every request on the connection (httpwire.ConnValue), whichever
	// server serves it. The gateway verifies client certificates here. ctx
	// ends when the port stops. Nil means nothing is attached.
	AfterHandshake func(ctx context.Context, c *tls.Conn) any

	once      sync.Once
	ctx       context.Context // ends when the port stops: handshakes in progress end
	cancel    context.CancelFunc
	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	wg        sync.WaitGroup // accept loops and handshakes
}

func (p *Port) init() {
	p.once.Do(func() {
		p.ctx, p.cancel = context.WithCancel(context.Background())
		p.listeners = make(map[net.Listener]struct{})
	})
}

// Serve accepts connections on ln until the port stops, then returns
// ErrClosed; it returns the listener's error if accepting fails for good.
// It closes ln before it returns.
func (p *Port) Serve(ln net.Listener) error {
	p.init()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		ln.Close()
		return ErrClosed
	}
	p.listeners[ln] = struct{}{}
	p.wg.Add(1)
	p.mu.Unlock()
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		delete(p.listeners, ln)
		p.mu.Unlock()
		ln.Close()
	}()
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if p.ctx.Err() != nil {
				return ErrClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				// As net/http: wait and try again (file descriptors run out,
				// for one).
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				p.Log.LogAttrs(p.ctx, slog.LevelWarn, "gateway: accept failed; retrying",
					slog.String("port", p.Name), slog.String("error", err.Error()), slog.Duration("retry_in", backoff))
				select {
				case <-time.After(backoff):
					continue
				case <-p.ctx.Done():
					return ErrClosed
				}
			}
			return err
		}
		backoff = 0
		p.wg.Add(1)
		if p.TLS == nil {
			go p.servePlain(c)
		} else {
			go p.handshake(c)
		}
	}
}

// isTemporary reports an accept error that passes: out of file
// descriptors, a connection aborted before it was accepted.
func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

func (p *Port) servePlain(c net.Conn) {
	p.wg.Done()
	p.HTTP1.ServeConn(context.Background(), c)
}

func (p *Port) handshake(raw net.Conn) {
	tc := tls.Server(raw, p.TLS)
	if t := p.Timeouts.ReadHeader(); t > 0 {
		tc.SetDeadline(time.Now().Add(t))
	}
	start := time.Now()
	if err := tc.HandshakeContext(p.ctx); err != nil {
		if p.OnHandshake != nil && p.ctx.Err() == nil {
			p.OnHandshake(nil, tc.ConnectionState().ServerName, err, time.Since(start))
		}
		p.handshakeFailed(err)
		tc.Close()
		p.wg.Done()
		return
	}
	if p.OnHandshake != nil {
		cs := tc.ConnectionState()
		p.OnHandshake(&cs, cs.ServerName, nil, time.Since(start))
	}
	tc.SetDeadline(time.Time{})
	// The connection's context carries values only: it must not end when
	// the port stops, or Shutdown would cut the requests it lets finish.
	ctx := context.Background()
	if p.AfterHandshake != nil {
		ctx = httpwire.WithConnValue(ctx, p.AfterHandshake(p.ctx, tc))
	}
	p.wg.Done()
	if tc.ConnectionState().NegotiatedProtocol == "h2" {
		p.HTTP2.ServeConn(ctx, tc)
		return
	}
	p.HTTP1.ServeConn(ctx, tc)
}

// handshakeFailed logs a failed handshake, as net/http does, and answers a
// client that spoke plain HTTP to the TLS port.
func (p *Port) handshakeFailed(err error) {
	var re tls.RecordHeaderError
	if errors.As(err, &re) && re.Conn != nil && looksLikeHTTP(re.RecordHeader) {
		re.Conn.SetWriteDeadline(time.Now().Add(time.Second))
		io.WriteString(re.Conn, "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
		err = errors.New("client sent an HTTP request to an HTTPS server")
	}
	if p.ctx.Err() == nil {
		p.Log.LogAttrs(p.ctx, slog.LevelDebug, "gateway: TLS handshake failed",
			slog.String("port", p.Name), slog.String("error", err.Error()))
	}
}

func looksLikeHTTP(hdr [5]byte) bool {
	switch string(hdr[:]) {
	case "GET /", "HEAD ", "POST ", "PUT /", "OPTIO":
		return true
	}
	return false
}

// stopAccepting closes the listeners, ends the handshakes in progress and
// waits for them; it reports false if the port had already stopped.
func (p *Port) stopAccepting() bool {
	p.init()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return false
	}
	p.closed = true
	p.cancel()
	for ln := range p.listeners {
		ln.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return true
}

// Shutdown stops accepting and shuts the servers down: idle connections
// close, requests in flight finish. It returns ctx's error if ctx ends
// first; what still runs then is cut off.
func (p *Port) Shutdown(ctx context.Context) error {
	if !p.stopAccepting() {
		return nil
	}
	errs := make(chan error, 2)
	servers := p.servers()
	for _, s := range servers {
		go func() { errs <- s.Shutdown(ctx) }()
	}
	var first error
	for range servers {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		for _, s := range servers {
			s.Close()
		}
	}
	return first
}

// Close stops accepting and closes every connection at once.
func (p *Port) Close() error {
	if !p.stopAccepting() {
		return nil
	}
	for _, s := range p.servers() {
		s.Close()
	}
	return nil
}

// servers are the port's distinct servers.
func (p *Port) servers() []ConnServer {
	if p.HTTP2 == nil || p.HTTP2 == p.HTTP1 {
		return []ConnServer{p.HTTP1}
	}
	return []ConnServer{p.HTTP1, p.HTTP2}
}
