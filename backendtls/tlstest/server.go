package tlstest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// ServerOptions configures a [Server]. Certificate is required; every
// other field is optional.
type ServerOptions struct {
	// Name identifies the server in [Echo.Server]. If empty, the server's
	// address is used.
	Name string

	// Certificate is what the server presents. REQUIRED.
	// [Server.SetCertificate] replaces it for later handshakes.
	Certificate tls.Certificate

	// MinVersion and MaxVersion bound the TLS versions the server accepts.
	// If zero, Go's defaults (TLS 1.2 to TLS 1.3).
	MinVersion, MaxVersion uint16

	// CipherSuites are the TLS 1.0-1.2 suites the server accepts. If nil,
	// Go's defaults.
	CipherSuites []uint16

	// NextProtos are the ALPN protocols offered. If nil, "http/1.1" only.
	// Include "h2" to serve HTTP/2.
	NextProtos []string

	// ClientCAs, if non-nil, makes the server require a client certificate
	// that verifies against it (a backend that wants mutual TLS). If nil,
	// no client certificate is requested.
	ClientCAs *x509.CertPool

	// Handler answers requests. If nil, EchoHandler(Name).
	Handler http.Handler

	// Network is "tcp4" to listen on 127.0.0.1 or "tcp6" to listen on ::1.
	// If empty, "tcp4".
	Network string
}

// Server is an HTTPS server listening on a loopback port, in the manner of
// net/http/httptest.Server, but one that counts its handshakes and records
// the SNI it receives. Its methods are safe for concurrent use.
type Server struct {
	// Addr is the listening address, such as "127.0.0.1:41234".
	Addr string
	// URL is the base URL, such as "https://127.0.0.1:41234".
	URL string

	port    int
	name    string
	cert    atomic.Pointer[tls.Certificate]
	ln      net.Listener
	conns   chan net.Conn // handshaken connections for http.Server
	http    *http.Server
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup // accept, handshake and Serve goroutines
	shakes  atomic.Int64
	resumed atomic.Int64
	once    sync.Once

	mu      sync.Mutex
	idle    sync.Cond // signalled when busy drops to zero
	lastSNI string
	// open holds every accepted connection, so Close can close it. The
	// value is true while the connection is counted in busy, false once
	// it has been hijacked (its handler is counted instead).
	open   map[net.Conn]bool
	busy   int // counted connections plus running handlers
	closed bool
}

// handshakeTimeout bounds how long a client may take to complete a handshake.
const handshakeTimeout = 10 * time.Second

// NewServer starts a server on a loopback port and returns it. Close it when
// done. NewServer panics if o has no certificate, names an unknown network,
// or the listener cannot be created.
func NewServer(o ServerOptions) *Server {
	if len(o.Certificate.Certificate) == 0 {
		panic("tlstest: ServerOptions.Certificate is required")
	}
	network, host := o.Network, "127.0.0.1"
	switch network {
	case "", "tcp4":
		network = "tcp4"
	case "tcp6":
		host = "::1"
	default:
		panic(fmt.Sprintf("tlstest: ServerOptions.Network %q: want \"tcp4\" or \"tcp6\"", o.Network))
	}
	ln, err := net.Listen(network, net.JoinHostPort(host, "0"))
	if err != nil {
		panic(fmt.Sprintf("tlstest: listening on %s: %v", network, err))
	}

	s := &Server{
		Addr:  ln.Addr().String(),
		port:  ln.Addr().(*net.TCPAddr).Port,
		name:  o.Name,
		ln:    ln,
		conns: make(chan net.Conn),
		open:  map[net.Conn]bool{},
	}
	s.idle.L = &s.mu
	s.URL = "https://" + s.Addr
	if s.name == "" {
		s.name = s.Addr
	}
	s.cert.Store(&o.Certificate)
	s.ctx, s.cancel = context.WithCancel(context.Background())

	nextProtos := o.NextProtos
	if nextProtos == nil {
		nextProtos = []string{"http/1.1"}
	}
	cfg := &tls.Config{
		MinVersion:   o.MinVersion,
		MaxVersion:   o.MaxVersion,
		CipherSuites: o.CipherSuites,
		NextProtos:   nextProtos,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return s.cert.Load(), nil
		},
	}
	if o.ClientCAs != nil {
		cfg.ClientCAs = o.ClientCAs
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}

	handler := o.Handler
	if handler == nil {
		handler = EchoHandler(s.name)
	}
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(slices.Contains(nextProtos, "h2"))
	s.http = &http.Server{
		Handler:           s.counted(handler),
		Protocols:         protocols,
		ReadHeaderTimeout: handshakeTimeout,
		ErrorLog:          discardLogger(),
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
		ConnState:         s.connState,
	}

	s.wg.Add(2)
	go s.accept(cfg)
	go func() {
		defer s.wg.Done()
		// Serve returns http.ErrServerClosed after Close.
		_ = s.http.Serve(&chanListener{s: s})
	}()
	return s
}

// accept accepts TCP connections and starts a handshake goroutine for each.
// It returns when the listener is closed.
func (s *Server) accept(cfg *tls.Config) {
	defer s.wg.Done()
	for {
		raw, err := s.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		if !s.track(raw) {
			raw.Close()
			return
		}
		s.wg.Add(1)
		go s.handshake(raw, tls.Server(raw, cfg))
	}
}

// handshake completes the TLS handshake of one connection, records it, and
// hands the connection to the HTTP server. A failed handshake closes it.
func (s *Server) handshake(raw net.Conn, c *tls.Conn) {
	defer s.wg.Done()
	ctx, cancel := context.WithTimeout(s.ctx, handshakeTimeout)
	err := c.HandshakeContext(ctx)
	cancel()
	if err != nil {
		c.Close()
		s.untrack(raw)
		return
	}
	cs := c.ConnectionState()
	s.shakes.Add(1)
	if cs.DidResume {
		s.resumed.Add(1)
	}
	s.mu.Lock()
	s.lastSNI = cs.ServerName
	s.mu.Unlock()
	select {
	case s.conns <- c:
		// The HTTP server owns the connection now; it closes it
		// and its ConnState hook untracks it.
	case <-s.ctx.Done():
		c.Close()
		s.untrack(raw)
	}
}

// track registers a raw connection so that Close can close it and wait for
// it. It reports false if the server is closed.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.open[c] = true
	s.busy++
	return true
}

// untrack forgets a connection that its owner has closed.
func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if counted, ok := s.open[c]; ok {
		delete(s.open, c)
		if counted {
			s.done()
		}
	}
}

// done decrements busy; s.mu must be held.
func (s *Server) done() {
	s.busy--
	if s.busy == 0 {
		s.idle.Broadcast()
	}
}

// connState follows connections owned by the HTTP server.
func (s *Server) connState(c net.Conn, state http.ConnState) {
	tc, ok := c.(*tls.Conn)
	if !ok {
		return
	}
	raw := tc.NetConn()
	switch state {
	case http.StateClosed:
		s.untrack(raw)
	case http.StateHijacked:
		// The handler owns the connection now and is counted while it
		// runs; Close still closes the connection.
		s.mu.Lock()
		if s.open[raw] {
			s.open[raw] = false
			s.done()
		}
		s.mu.Unlock()
	}
}

// counted wraps h so that Close waits for running handlers, including
// those that hijacked their connection.
func (s *Server) counted(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.busy++
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.done()
			s.mu.Unlock()
		}()
		h.ServeHTTP(w, r)
	})
}

// SetCertificate replaces the certificate that later handshakes present.
// Connections already established, and sessions resumed from tickets issued
// earlier, keep what they negotiated.
func (s *Server) SetCertificate(c tls.Certificate) {
	if len(c.Certificate) == 0 {
		panic("tlstest: SetCertificate: empty certificate")
	}
	s.cert.Store(&c)
}

// Port returns the port the server listens on, such as 41234: a pool
// member's port, with no address to parse.
func (s *Server) Port() int { return s.port }

// Handshakes returns how many handshakes the server has completed,
// resumed ones included. A TLS 1.3 client may finish its side of a
// handshake before the server does, so read this after a request has
// completed, not right after a bare handshake.
func (s *Server) Handshakes() int { return int(s.shakes.Load()) }

// ResumedHandshakes returns how many of [Server.Handshakes] resumed a session.
func (s *Server) ResumedHandshakes() int { return int(s.resumed.Load()) }

// LastSNI returns the server name sent in the last completed handshake, ""
// if none was sent or no handshake has completed.
func (s *Server) LastSNI() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastSNI
}

// Close closes the listener and every connection, whether handshaking,
// serving or hijacked, and waits for the server's goroutines and running
// handlers to return. It is safe to call more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		s.ln.Close()
		s.http.Close()
		s.mu.Lock()
		for c := range s.open {
			c.Close()
		}
		for s.busy > 0 {
			s.idle.Wait()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
}

// chanListener feeds handshaken connections to the HTTP server.
type chanListener struct{ s *Server }

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.s.conns:
		return c, nil
	case <-l.s.ctx.Done():
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error   { return nil }
func (l *chanListener) Addr() net.Addr { return l.s.ln.Addr() }

// Echo is what [EchoHandler] answers, as JSON: what the server saw of the
// request and of the TLS connection it came on.
type Echo struct {
	Server      string      // the server's name
	SNI         string      // the server name the client sent, "" if none
	Host        string      // the request's Host
	Method      string      // the request method
	Path        string      // the URL path
	RawQuery    string      // the URL query, without '?'
	Proto       string      // "HTTP/1.1" or "HTTP/2.0"
	TLSVersion  string      // such as "TLS 1.3"
	CipherSuite string      // such as "TLS_AES_128_GCM_SHA256"
	DidResume   bool        // whether the connection resumed a session
	ClientCert  string      // the subject of the client certificate, "" if none
	Header      http.Header // the request headers
}

// EchoHandler returns a handler that answers every request with 200 OK and
// an [Echo] in JSON naming the server name.
func EchoHandler(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := Echo{
			Server:   name,
			Host:     r.Host,
			Method:   r.Method,
			Path:     r.URL.Path,
			RawQuery: r.URL.RawQuery,
			Proto:    r.Proto,
			Header:   r.Header,
		}
		if cs := r.TLS; cs != nil {
			e.SNI = cs.ServerName
			e.TLSVersion = tls.VersionName(cs.Version)
			e.CipherSuite = tls.CipherSuiteName(cs.CipherSuite)
			e.DidResume = cs.DidResume
			if len(cs.PeerCertificates) > 0 {
				e.ClientCert = cs.PeerCertificates[0].Subject.String()
			}
		}
		w.Header().Set("Content-Type", "application/json")
		// An error here means the client went away; there is no one to tell.
		_ = json.NewEncoder(w).Encode(e)
	})
}
