package httpwire

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
)

// ConnSet is the set of connections a server is serving, for Shutdown and
// Close: once closing, it takes no new connection, and Done closes when the
// last one is forgotten. The zero value is not ready: use NewConnSet.
type ConnSet[C comparable] struct {
	mu      sync.Mutex
	conns   map[C]struct{}
	closing bool
	done    chan struct{}
}

// NewConnSet returns an empty set.
func NewConnSet[C comparable]() *ConnSet[C] {
	return &ConnSet[C]{conns: make(map[C]struct{}), done: make(chan struct{})}
}

// Add records c; it reports false, recording nothing, once the set is
// closing.
func (s *ConnSet[C]) Add(c C) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

// Forget removes c.
func (s *ConnSet[C]) Forget(c C) {
	s.mu.Lock()
	delete(s.conns, c)
	s.signalDoneLocked()
	s.mu.Unlock()
}

// StopAccepting marks the set closing and calls fn, if not nil, for each
// connection, under the set's lock.
func (s *ConnSet[C]) StopAccepting(fn func(C)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing = true
	if fn != nil {
		for c := range s.conns {
			fn(c)
		}
	}
	s.signalDoneLocked()
}

// Each calls fn for each connection, under the set's lock.
func (s *ConnSet[C]) Each(fn func(C)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		fn(c)
	}
}

// Done is closed once the set is closing and empty.
func (s *ConnSet[C]) Done() <-chan struct{} { return s.done }

// signalDoneLocked closes done once the set is closing and empty.
func (s *ConnSet[C]) signalDoneLocked() {
	if !s.closing || len(s.conns) > 0 {
		return
	}
	select {
	case <-s.done:
	default:
		close(s.done)
	}
}

// RunHandler runs h for a server; it reports whether h ended the response
// by panicking (http.ErrAbortHandler, or a bug, which is logged with its
// stack).
func RunHandler(log *slog.Logger, h http.Handler, w http.ResponseWriter, r *http.Request) (aborted bool) {
	defer func() {
		if v := recover(); v != nil {
			aborted = true
			if v != http.ErrAbortHandler {
				buf := make([]byte, 64<<10)
				buf = buf[:runtime.Stack(buf, false)]
				log.Error("gateway: panic serving a request",
					slog.String("client", r.RemoteAddr), slog.Any("panic", v), slog.String("stack", string(buf)))
			}
		}
	}()
	h.ServeHTTP(w, r)
	return false
}

// CloseWrite ends the sending side of c: TLS close_notify, then TCP FIN.
func CloseWrite(c net.Conn) {
	if tc, ok := c.(*tls.Conn); ok {
		tc.CloseWrite()
		c = tc.NetConn()
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}

// IsTimeoutErr reports whether err is a network timeout (a deadline).
func IsTimeoutErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Idempotent reports whether a request with method may be sent again after
// a failure that may have reached the backend.
func Idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// ErrClientGone is the cause of a request context that ended because the
// client closed its connection.
var ErrClientGone = errors.New("gateway: the client closed its connection")

// BufferSize is the size of a Buffer.
const BufferSize = 32 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, BufferSize); return &b }}

// GetBuffer returns a pooled buffer of BufferSize bytes for copying bodies;
// give it back with PutBuffer.
func GetBuffer() *[]byte { return bufPool.Get().(*[]byte) }

// PutBuffer returns a buffer from GetBuffer.
func PutBuffer(b *[]byte) { bufPool.Put(b) }
