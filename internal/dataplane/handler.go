package dataplane

import (
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/e2etls/e2etls/internal/httpwire"
)

// Current holds the snapshot a gateway serves from now.
type Current struct {
	p atomic.Pointer[Snapshot]
}

// Load returns the current snapshot.
func (c *Current) Load() *Snapshot { return c.p.Load() }

// Store makes s current.
func (c *Current) Store(s *Snapshot) { c.p.Store(s) }

// Acquire returns the current snapshot with a request counted in it, and
// the token the caller gives Release when the request is done. Counting
// and then checking that it is still current means a snapshot that Update
// has retired, and found idle, never serves again.
func (c *Current) Acquire() (*Snapshot, Token) {
	for {
		s := c.p.Load()
		t := Token(0)
		if len(s.inflight) > 1 {
			t = Token(rand.Uint32() & uint32(len(s.inflight)-1))
		}
		s.inflight[t].n.Add(1)
		if c.p.Load() == s {
			return s, t
		}
		s.inflight[t].n.Add(-1)
	}
}

// Token is where Acquire counted a request.
type Token uint32

// Release ends a request counted by Acquire.
func (s *Snapshot) Release(t Token) { s.inflight[t].n.Add(-1) }

// inFlight counts the requests the snapshot serves.
func (s *Snapshot) inFlight() int64 {
	var n int64
	for i := range s.inflight {
		n += s.inflight[i].n.Load()
	}
	return n
}

// PortHandler serves the requests of one frontend port of the gateway's
// own frontend from c's current snapshot. With guard set, requests whose
// target or header fields exceed httpwire's limits are refused first: the
// servers that do not check them (net/http's) need it.
func PortHandler(c *Current, port int, guard bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, tok := c.Acquire()
		defer s.Release(tok)
		if guard {
			if ref := httpwire.CheckHead(r); ref != nil {
				s.Refuse(w, r, ref)
				return
			}
		}
		s.Serve(Ingress{Port: port, Own: true}, w, r)
	})
}

// MountedHandler serves requests from c's current snapshot in a server of
// someone else's (the gateway's Handler). A request is routed as if it
// arrived on the frontend port its connection's local address has; when
// that is not a configured port and the configuration has exactly one
// frontend port, on that one. Requests whose target or header fields
// exceed httpwire's limits are refused, and once stopping is set every
// request gets 503.
func MountedHandler(c *Current, stopping *atomic.Bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, tok := c.Acquire()
		defer s.Release(tok)
		if stopping.Load() {
			s.Refuse(w, r, refuseShuttingDown)
			return
		}
		if ref := httpwire.CheckHead(r); ref != nil {
			s.Refuse(w, r, ref)
			return
		}
		port := 0
		if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			if _, p, err := net.SplitHostPort(a.String()); err == nil {
				port, _ = strconv.Atoi(p)
			}
		}
		if ports := s.Table().Ports(); !slices.Contains(ports, port) && len(ports) == 1 {
			port = ports[0]
		}
		s.Serve(Ingress{Port: port}, w, r)
	})
}

var refuseShuttingDown = &httpwire.Refusal{Status: http.StatusServiceUnavailable, Reason: CodeShuttingDown,
	Message: "the gateway is shutting down"}

// Refuser answers a refused request from c's current snapshot: the
// RefuseFunc of the gateway's own servers.
func Refuser(c *Current) httpwire.RefuseFunc {
	return func(w http.ResponseWriter, r *http.Request, ref *httpwire.Refusal) {
		s, tok := c.Acquire()
		defer s.Release(tok)
		s.Refuse(w, r, ref)
	}
}

// Refuse answers r with ref in the gateway's error format and logs it;
// nothing of r is forwarded.
func (s *Snapshot) Refuse(w http.ResponseWriter, r *http.Request, ref *httpwire.Refusal) {
	x := getExchange(w, time.Now())
	x.requestID = requestID(r)
	s.fail(&x.rw, x, ref.Status, ref.Reason, ref.Message, nil)
	s.accessLog(r, x)
	putExchange(x)
}

// Hijacked tracks upgraded connection pairs (WebSocket), which outlive
// their requests and their snapshot, so that the gateway's Close can end
// them. The zero value is ready to use.
type Hijacked struct {
	mu     sync.Mutex
	closed bool
	pairs  map[*hijackedPair]struct{}
}

type hijackedPair struct {
	client  net.Conn
	backend io.Closer
}

// Track records a pair until untrack is called; once Close has run, it
// closes the pair at once.
func (h *Hijacked) Track(client net.Conn, backend io.Closer) (untrack func()) {
	p := &hijackedPair{client: client, backend: backend}
	h.mu.Lock()
	closed := h.closed
	if !closed {
		if h.pairs == nil {
			h.pairs = make(map[*hijackedPair]struct{})
		}
		h.pairs[p] = struct{}{}
	}
	h.mu.Unlock()
	if closed {
		client.Close()
		backend.Close()
	}
	return func() {
		h.mu.Lock()
		delete(h.pairs, p)
		h.mu.Unlock()
	}
}

// Close closes every pair tracked, and every pair tracked from now on.
func (h *Hijacked) Close() {
	h.mu.Lock()
	h.closed = true
	pairs := make([]*hijackedPair, 0, len(h.pairs))
	for p := range h.pairs {
		pairs = append(pairs, p)
	}
	h.mu.Unlock()
	for _, p := range pairs {
		p.client.Close()
		p.backend.Close()
	}
}
