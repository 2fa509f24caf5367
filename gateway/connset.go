package gateway

import (
	"log/slog"
	"net/http"
	"runtime"
	"sync"
)

// connSet is the set of connections a frontend server is serving, for
// Shutdown and Close: once closing, it takes no new connection, and done
// closes when the last one is forgotten.
type connSet[C comparable] struct {
	mu      sync.Mutex
	conns   map[C]struct{}
	closing bool
	done    chan struct{}
}

func newConnSet[C comparable]() connSet[C] {
	return connSet[C]{conns: make(map[C]struct{}), done: make(chan struct{})}
}

// add records c; it reports false, recording nothing, once the set is
// closing.
func (s *connSet[C]) add(c C) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

// forget removes c.
func (s *connSet[C]) forget(c C) {
	s.mu.Lock()
	delete(s.conns, c)
	s.signalDoneLocked()
	s.mu.Unlock()
}

// stopAccepting marks the set closing and calls fn, if not nil, for each
// connection, under the set's lock.
func (s *connSet[C]) stopAccepting(fn func(C)) {
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

// each calls fn for each connection, under the set's lock.
func (s *connSet[C]) each(fn func(C)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		fn(c)
	}
}

// signalDoneLocked closes done once the set is closing and empty.
func (s *connSet[C]) signalDoneLocked() {
	if !s.closing || len(s.conns) > 0 {
		return
	}
	select {
	case <-s.done:
	default:
		close(s.done)
	}
}

// runHandler runs h for a frontend server; it reports whether h ended the
// response by panicking (http.ErrAbortHandler, or a bug, which is logged).
func runHandler(g *Gateway, h http.Handler, w http.ResponseWriter, r *http.Request, client string) (aborted bool) {
	defer func() {
		if v := recover(); v != nil {
			aborted = true
			if v != http.ErrAbortHandler {
				buf := make([]byte, 64<<10)
				buf = buf[:runtime.Stack(buf, false)]
				g.log.Error("gateway: panic serving a request",
					slog.String("client", client), slog.Any("panic", v), slog.String("stack", string(buf)))
			}
		}
	}()
	h.ServeHTTP(w, r)
	return false
}
