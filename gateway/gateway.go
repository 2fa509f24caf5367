package gateway

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/e2etls/e2etls/probe"
)

// ErrGatewayClosed is returned by Serve, ServePort and ListenAndServe after
// Shutdown or Close, and by Update on a closed gateway.
var ErrGatewayClosed = errors.New("gateway: closed")

// Gateway is an end-to-end TLS application gateway. Create one with [New];
// it is safe for concurrent use. Like net/http.Server, it cannot be reused
// after Shutdown or Close.
type Gateway struct {
	log  *slog.Logger
	env  *env
	snap atomic.Pointer[snapshot]

	updateMu sync.Mutex // serialises Update, Shutdown and Close

	mu        sync.Mutex
	closed    bool
	frontends map[int]*frontend
	monitor   *probe.Monitor
	hijacked  map[*hijackedPair]struct{}

	bg   sync.WaitGroup // retirement of old generations
	stop chan struct{}  // closed by Shutdown and Close
}

// frontend is one frontend port: an http.Server shared by the listeners on it.
type frontend struct {
	port      int
	address   string
	https     bool
	srv       *http.Server // runs the port's listeners: Serve, Shutdown
	h1        *h1Server    // HTTP/1.x
	h2        *h2Server    // HTTP/2
	tlsConfig *tls.Config
}

// New validates cfg and returns a gateway ready to serve it. Every problem
// in cfg is reported at once, each with its path:
//
//	gateway: rule "api": unknown pool "web"
//
// New starts the health probes; call Close or Shutdown to stop them.
func New(cfg Config) (*Gateway, error) {
	g := &Gateway{
		log:       cfg.Logger,
		frontends: make(map[int]*frontend),
		hijacked:  make(map[*hijackedPair]struct{}),
		stop:      make(chan struct{}),
	}
	if g.log == nil {
		g.log = slog.Default()
	}
	g.env = &env{
		affinityKey: cfg.AffinityKey,
		dial:        cfg.DialContext,
		resolver:    newResolver(cfg.Resolver),
		sessions:    new(sessionCaches),
	}
	if g.env.affinityKey == nil {
		g.env.affinityKey = make([]byte, 32)
		rand.Read(g.env.affinityKey)
	}
	if g.env.dial == nil {
		d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
		g.env.dial = d.DialContext
	}
	s, err := compile(cfg, 1, g.env)
	if err != nil {
		return nil, err
	}
	g.snap.Store(s)
	for _, ls := range s.listeners {
		f := g.frontends[ls.cfg.Port]
		if f == nil {
			f = g.newFrontend(cfg, ls)
			g.frontends[ls.cfg.Port] = f
		}
	}
	g.warnInsecure(s)
	g.monitor = g.startProbes(s)
	return g, nil
}

func (g *Gateway) newFrontend(cfg Config, ls *listenerState) *frontend {
	f := &frontend{port: ls.cfg.Port, address: ls.cfg.Address, https: ls.cfg.Protocol == HTTPS}
	readHeader := cfg.ReadHeaderTimeout
	if readHeader == 0 {
		readHeader = defaultReadHeaderTimeout
	}
	idle := cfg.IdleTimeout
	if idle == 0 {
		idle = defaultIdleTimeout
	}
	f.srv = &http.Server{
		Handler:           &portHandler{g: g, port: f.port},
		ReadHeaderTimeout: readHeader,
		IdleTimeout:       idle,
		MaxHeaderBytes:    serverHeaderBytes,
		ErrorLog:          slog.NewLogLogger(g.log.Handler(), slog.LevelDebug),
	}
	f.h1 = newH1Server(g, f.port, f.srv.Handler, readHeader, idle)
	f.h2 = newH2Server(g, f.port, f.srv.Handler, readHeader, idle)
	if f.https {
		port := f.port
		// The per-listener configs GetConfigForClient returns set no
		// session ticket keys, so crypto/tls uses this long-lived config's,
		// which it rotates itself: clients resume across listeners on the
		// port and across Updates.
		f.tlsConfig = &tls.Config{
			NextProtos: frontendProtocols,
			GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
				s := g.snap.Load()
				li, ok := s.table.CertificateFor(port, hello.ServerName)
				if !ok {
					return nil, fmt.Errorf("gateway: port %d has no listener for SNI %q and requires SNI", port, hello.ServerName)
				}
				return s.listeners[li].tlsConfig, nil
			},
		}
		f.srv.TLSConfig = f.tlsConfig
	}
	return f
}

// portHandler serves the requests that arrive on one frontend port.
type portHandler struct {
	g    *Gateway
	port int
}

func (h *portHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor >= 2 && !h.g.checkHead(w, r) { // HTTP/1 passed the frontConn's scanner
		return
	}
	s := h.g.acquire()
	defer s.inflight.Add(-1)
	h.g.serve(s, h.port, w, r, true)
}

// acquire returns the current configuration with the request counted in
// it. Counting and then checking that it is still current means a
// generation that Update has retired, and found idle, never serves again.
func (g *Gateway) acquire() *snapshot {
	for {
		s := g.snap.Load()
		s.inflight.Add(1)
		if g.snap.Load() == s {
			return s
		}
		s.inflight.Add(-1)
	}
}

// Handler returns the gateway's routing and proxying as an http.Handler, to
// mount in a server of your own. A request is routed as if it arrived on the
// frontend port its connection's local address has; when that is not a
// configured port and the configuration has exactly one frontend port, on
// that one. Otherwise it gets 404.
func (g *Gateway) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.checkHead(w, r) {
			return
		}
		s := g.acquire()
		defer s.inflight.Add(-1)
		port := 0
		if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			if _, p, err := net.SplitHostPort(a.String()); err == nil {
				port, _ = strconv.Atoi(p)
			}
		}
		if !slices.Contains(s.table.Ports(), port) {
			if ports := s.table.Ports(); len(ports) == 1 {
				port = ports[0]
			}
		}
		g.serve(s, port, w, r, false)
	})
}

// ServePort serves the listeners of frontend port `port` on ln, which the
// caller has bound (on any address and port: tests bind 127.0.0.1:0). HTTPS
// listeners' TLS is done here; pass a plain TCP listener. It blocks until
// the gateway is shut down or closed, then returns ErrGatewayClosed.
func (g *Gateway) ServePort(port int, ln net.Listener) error {
	g.mu.Lock()
	f := g.frontends[port]
	closed := g.closed
	g.mu.Unlock()
	if closed {
		ln.Close()
		return ErrGatewayClosed
	}
	if f == nil {
		ln.Close()
		return fmt.Errorf("gateway: no listener on frontend port %d", port)
	}
	err := f.srv.Serve(g.newFrontListener(ln, f))
	if errors.Is(err, http.ErrServerClosed) {
		return ErrGatewayClosed
	}
	return err
}

// Serve serves a configuration with a single frontend port on ln. See
// ServePort.
func (g *Gateway) Serve(ln net.Listener) error {
	ports := g.snap.Load().table.Ports()
	if len(ports) != 1 {
		ln.Close()
		return fmt.Errorf("gateway: Serve needs a configuration with one frontend port, this one has %d: use ServePort", len(ports))
	}
	return g.ServePort(ports[0], ln)
}

// ListenAndServe binds every frontend port on its listeners' address and
// serves them until Shutdown or Close, then returns ErrGatewayClosed. If a
// port cannot be bound, nothing is served and the error is returned.
func (g *Gateway) ListenAndServe() error {
	g.mu.Lock()
	fronts := make([]*frontend, 0, len(g.frontends))
	for _, f := range g.frontends {
		fronts = append(fronts, f)
	}
	g.mu.Unlock()
	lns := make([]net.Listener, 0, len(fronts))
	for _, f := range fronts {
		ln, err := net.Listen("tcp", net.JoinHostPort(f.address, strconv.Itoa(f.port)))
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return fmt.Errorf("gateway: listen on port %d: %w", f.port, err)
		}
		lns = append(lns, ln)
	}
	errc := make(chan error, len(fronts))
	for i, f := range fronts {
		go func() { errc <- g.ServePort(f.port, lns[i]) }()
	}
	var first error
	for range fronts {
		if err := <-errc; err != nil && !errors.Is(err, ErrGatewayClosed) && first == nil {
			first = err
			g.Close()
		}
	}
	if first != nil {
		return first
	}
	return ErrGatewayClosed
}

// Shutdown stops accepting connections, lets in-flight requests finish and
// closes idle connections, like net/http.Server.Shutdown; upgraded
// connections (WebSocket) are closed once the rest have drained or ctx ends.
// It stops the health probes. It returns ctx's error if ctx ends first.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.updateMu.Lock()
	defer g.updateMu.Unlock()
	fronts, first := g.markClosed()
	if !first {
		return nil
	}
	var wg sync.WaitGroup
	errs := make([]error, len(fronts))
	for i, f := range fronts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var h1err, h2err error
			var both sync.WaitGroup
			both.Add(2)
			go func() {
				defer both.Done()
				h1err = f.h1.shutdown(ctx)
			}()
			go func() {
				defer both.Done()
				h2err = f.h2.shutdown(ctx)
			}()
			err := f.srv.Shutdown(ctx)
			both.Wait()
			errs[i] = errors.Join(err, h1err, h2err)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		// ctx ended first: what is still running is cut off.
		for _, f := range fronts {
			f.srv.Close()
			f.h1.close()
			f.h2.close()
		}
		g.release()
		return err
	}
	g.release()
	return nil
}

// Close closes every listener and connection at once, without draining, and
// stops the health probes.
func (g *Gateway) Close() error {
	g.updateMu.Lock()
	defer g.updateMu.Unlock()
	fronts, first := g.markClosed()
	if !first {
		return nil
	}
	var errs []error
	for _, f := range fronts {
		errs = append(errs, f.srv.Close())
		f.h1.close()
		f.h2.close()
	}
	g.release()
	return errors.Join(errs...)
}

func (g *Gateway) markClosed() ([]*frontend, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil, false
	}
	g.closed = true
	close(g.stop)
	fronts := make([]*frontend, 0, len(g.frontends))
	for _, f := range g.frontends {
		fronts = append(fronts, f)
	}
	return fronts, true
}

// release stops what outlives the servers: probes, upgraded connections,
// backend connections and the retirement of old generations.
func (g *Gateway) release() {
	g.mu.Lock()
	mon := g.monitor
	g.monitor = nil
	pairs := make([]*hijackedPair, 0, len(g.hijacked))
	for p := range g.hijacked {
		pairs = append(pairs, p)
	}
	g.mu.Unlock()
	if mon != nil {
		mon.Close()
	}
	for _, p := range pairs {
		p.client.Close()
		p.backend.Close()
	}
	g.bg.Wait()
	s := g.snap.Load()
	stopProbeDials(s)
	s.closeIdle(true)
	for _, bs := range s.setList {
		for _, m := range bs.members {
			m.drainCancel()
		}
	}
}

type hijackedPair struct {
	client  net.Conn
	backend interface{ Close() error }
}

func (g *Gateway) trackHijacked(client net.Conn, backend interface{ Close() error }) (untrack func()) {
	p := &hijackedPair{client: client, backend: backend}
	g.mu.Lock()
	closed := g.closed
	if !closed {
		g.hijacked[p] = struct{}{}
	}
	g.mu.Unlock()
	if closed {
		client.Close()
		backend.Close()
	}
	return func() {
		g.mu.Lock()
		delete(g.hijacked, p)
		g.mu.Unlock()
	}
}

// Update validates cfg and, if it is valid, swaps it in atomically: new
// requests see the new rules, pools and trust at once; requests in flight
// finish on the configuration they started with. Backend connections
// verified under the old configuration are closed once idle; members no
// longer in their pool keep serving requests already holding them for
// their setting's drain time. A cfg with problems is rejected with every
// problem listed, and the old configuration keeps serving.
//
// Update cannot add, remove or re-address frontend ports, or change a
// port's protocol: those need a new Gateway. Listener certificates, host
// names, policies, rules, pools, settings and probes can all change.
func (g *Gateway) Update(cfg Config) error {
	g.updateMu.Lock()
	defer g.updateMu.Unlock()
	g.mu.Lock()
	closed := g.closed
	g.mu.Unlock()
	if closed {
		return ErrGatewayClosed
	}
	old := g.snap.Load()
	s, err := compile(cfg, old.gen+1, g.env)
	if err != nil {
		return err
	}
	if err := g.sameFrontends(s); err != nil {
		return err
	}
	carryHealth(old, s)
	mon := g.startProbes(s)
	g.snap.Store(s)
	g.warnInsecure(s)

	g.mu.Lock()
	oldMon := g.monitor
	g.monitor = mon
	g.mu.Unlock()
	if oldMon != nil {
		oldMon.Close()
	}
	stopProbeDials(old)
	g.retire(old, s)
	g.log.Info("gateway: configuration updated", slog.Uint64("generation", s.gen))
	return nil
}

func (g *Gateway) sameFrontends(s *snapshot) error {
	var errs problems
	seen := make(map[int]bool)
	for _, ls := range s.listeners {
		f := g.frontends[ls.cfg.Port]
		path := "listener " + q(ls.cfg.Name)
		switch {
		case f == nil:
			errs.add(path, "Update cannot add frontend port %d: create a new Gateway", ls.cfg.Port)
		case f.https != (ls.cfg.Protocol == HTTPS):
			errs.add(path, "Update cannot change the protocol of frontend port %d", ls.cfg.Port)
		case f.address != ls.cfg.Address:
			errs.add(path, "Update cannot change the address of frontend port %d from %q to %q", ls.cfg.Port, f.address, ls.cfg.Address)
		}
		seen[ls.cfg.Port] = true
	}
	for port := range g.frontends {
		if !seen[port] {
			errs.add("config", "Update cannot remove frontend port %d: create a new Gateway", port)
		}
	}
	return errs.err()
}

// carryHealth keeps the health of members present in both configurations,
// except a verdict on a member's certificate or handshake (probe.KindTLS):
// the new configuration's trust judges the member afresh, at once.
func carryHealth(old, s *snapshot) {
	for k, bs := range s.sets {
		obs := old.sets[k]
		if obs == nil || obs.setting.probe.UnhealthyThreshold != bs.setting.probe.UnhealthyThreshold {
			continue
		}
		prev := make(map[string]*memberState, len(obs.members))
		for _, m := range obs.members {
			prev[m.hostKey] = m
		}
		for _, m := range bs.members {
			if pm := prev[m.hostKey]; pm != nil && pm.health.Snapshot().Kind != probe.KindTLS {
				m.health, m.code = pm.health, pm.code
			}
		}
	}
}

// retire drains an old generation: its idle backend connections close now,
// removed members' requests are cut after their drain time, and the rest of
// its connections close once its in-flight requests are done.
func (g *Gateway) retire(old, s *snapshot) {
	old.closeIdle(false)
	var removed []*memberState
	for k, bs := range old.sets {
		keep := make(map[string]bool)
		if nbs := s.sets[k]; nbs != nil {
			for _, m := range nbs.members {
				keep[m.hostKey] = true
			}
		}
		for _, m := range bs.members {
			if !keep[m.hostKey] {
				removed = append(removed, m)
			}
		}
	}
	g.bg.Add(1)
	go func() {
		defer g.bg.Done()
		defer func() {
			for _, bs := range old.setList {
				for _, m := range bs.members {
					m.drainCancel()
				}
			}
			old.closeIdle(true)
		}()
		timers := make([]*time.Timer, 0, len(removed))
		for _, m := range removed {
			timers = append(timers, time.AfterFunc(m.set.setting.drain, m.drainCancel))
		}
		defer func() {
			for _, t := range timers {
				t.Stop()
			}
		}()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-g.stop:
				return
			case <-tick.C:
				old.closeIdle(false)
				if old.inflight.Load() == 0 {
					return
				}
			}
		}
	}()
}

func (g *Gateway) warnInsecure(s *snapshot) {
	for _, name := range s.insecure {
		g.log.Warn("gateway: backend verification is OFF (InsecureSkipVerify): any backend, or anyone on the path to it, can impersonate it; for tests only",
			slog.String("setting", name))
	}
}
