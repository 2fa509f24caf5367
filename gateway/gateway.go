package gateway

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/e2etls/e2etls/internal/accesslog"
	"github.com/e2etls/e2etls/internal/dataplane"
	"github.com/e2etls/e2etls/internal/errorpage"
	"github.com/e2etls/e2etls/internal/frontend"
	"github.com/e2etls/e2etls/internal/httpwire"
	"github.com/e2etls/e2etls/internal/logswap"
	"github.com/e2etls/e2etls/internal/reload"
	"github.com/e2etls/e2etls/internal/upstream"
	"github.com/e2etls/e2etls/observe"
	"github.com/e2etls/e2etls/probe"
)

// ErrGatewayClosed is returned by Serve, ServePort and ListenAndServe after
// Shutdown or Close, and by Update on a closed gateway.
var ErrGatewayClosed = errors.New("gateway: closed")

// Gateway is an end-to-end TLS application gateway. Create one with [New];
// it is safe for concurrent use. Like net/http.Server, it cannot be reused
// after Shutdown or Close.
type Gateway struct {
	log       *slog.Logger // its handler follows Config.Logger across Updates
	logs      *logswap.Handler
	env       *env
	cur       dataplane.Current
	timeouts  *httpwire.Timeouts
	frontend  Frontend // fixed at New
	reusePort bool     // fixed at New

	updateMu sync.Mutex // serialises Update, Shutdown and Close

	// The running access log and the Config value it was made from; both
	// change only under updateMu.
	accessLog    *accesslog.Writer
	accessLogCfg *AccessLog

	mu       sync.Mutex
	closed   bool
	stopping atomic.Bool // Shutdown or Close began: Handler answers 503
	ports    map[int]*port
	monitor  *probe.Monitor

	bg   sync.WaitGroup // retirement of old generations
	stop chan struct{}  // closed by Shutdown and Close

	reloads reload.Loop // certificate sources (reload.go)

	tickets ticketKeys // session ticket keys (tickets.go); under updateMu
}

// env is what outlives a configuration generation.
type env struct {
	sessions upstream.SessionCaches
	dp       dataplane.Env
	// accessLog is the access log the next compile uses (nil: the Logger).
	accessLog *accesslog.Writer
	auth      *dataplane.ClientAuthEnv // nil for a dry run
	// pages are the custom error pages the next compile serves (nil:
	// none).
	pages *errorpage.Pages
}

// port is one frontend port, shared by the listeners on it.
type port struct {
	num     int
	address string
	https   bool
	fp      *frontend.Port
	serving bool // ServePort was called for it; guarded by Gateway.mu
}

// New validates cfg and returns a gateway ready to serve it. Every problem
// in cfg is reported at once, each with its path:
//
//	gateway: rule "api": unknown pool "web"
//
// New reads the custom error pages (see CustomErrorPage) and starts the
// health probes; call Close or Shutdown to stop them.
func New(cfg Config) (*Gateway, error) {
	cfg = withCanonicalProtocols(cfg)
	g := &Gateway{
		ports:     make(map[int]*port),
		stop:      make(chan struct{}),
		frontend:  cfg.Frontend,
		reusePort: cfg.ReusePort,
	}
	g.logs = logswap.New(cfg.Logger)
	g.log = slog.New(g.logs)
	g.env = &env{dp: dataplane.Env{
		Dialer:   upstream.NewDialer(cfg.DialContext, cfg.Resolver),
		Log:      g.log,
		Hijacked: new(dataplane.Hijacked),
	}, auth: dataplane.NewClientAuthEnv()}
	if err := checkFrontend(cfg); err != nil {
		return nil, err
	}
	cfg = withAffinityKey(cfg, nil)
	resolved, watched, srcErr := resolveSources(cfg, nil)
	alog, err := g.newAccessLog(cfg.AccessLog)
	if err != nil {
		return nil, err
	}
	g.env.accessLog = alog
	// The pages are read first so that a page that cannot be read is
	// reported with the configuration's other problems, all at once.
	pages, pagesErr := loadErrorPages(cfg, nil)
	g.env.pages = pages
	s, err := compile(resolved, 1, g.env)
	if err = errors.Join(srcErr, err, pagesErr); err != nil {
		if alog != nil {
			alog.Close()
		}
		return nil, err
	}
	g.accessLog, g.accessLogCfg = alog, cfg.AccessLog
	g.env.dp.Dialer.SetObserver(cfg.Observer)
	g.timeouts = httpwire.NewTimeouts(timeouts(cfg))
	g.cur.Store(s)
	for _, l := range s.Plan().Listeners {
		if g.ports[l.Port] == nil {
			g.ports[l.Port] = g.newPort(l.Port, listenerAddress(cfg, l.Port), l.HTTPS)
		}
	}
	g.applyTicketKeys(cfg.SessionTicketKeys)
	g.warnInsecure(cfg)
	g.monitor = s.StartProbes()
	g.startReloads(cfg, watched)
	return g, nil
}

// withAffinityKey returns cfg with its affinity key, or prev (the key of
// the configuration it replaces), or a new random key when it has none.
func withAffinityKey(cfg Config, prev []byte) Config {
	if cfg.AffinityKey == nil {
		if prev == nil {
			prev = make([]byte, 32)
			rand.Read(prev)
		}
		cfg.AffinityKey = prev
	}
	return cfg
}

// timeouts are cfg's connection timeouts, defaults applied.
func timeouts(cfg Config) (readHeader, idle time.Duration) {
	return cmp.Or(cfg.ReadHeaderTimeout, defaultReadHeaderTimeout), cmp.Or(cfg.IdleTimeout, defaultIdleTimeout)
}

// listenerAddress is the address of the listeners on port.
func listenerAddress(cfg Config, port int) string {
	for _, l := range cfg.Listeners {
		if l.Port == port {
			return l.Address
		}
	}
	return ""
}

// checkFrontend refuses an unknown Frontend.
func checkFrontend(cfg Config) error {
	switch cfg.Frontend {
	case FrontendOwn, FrontendNetHTTP:
		return nil
	}
	return fmt.Errorf("gateway: config: frontend %q: want %q (the gateway's own servers, the default) or %q", cfg.Frontend, FrontendOwn, FrontendNetHTTP)
}

func (g *Gateway) newPort(num int, address string, https bool) *port {
	p := &port{num: num, address: address, https: https}
	h := dataplane.PortHandler(&g.cur, num, g.frontend == FrontendNetHTTP)
	fp := &frontend.Port{Name: strconv.Itoa(num), Log: g.log, Timeouts: g.timeouts,
		OnHandshake: dataplane.HandshakeObserver(&g.cur, num)}
	if g.frontend == FrontendNetHTTP {
		s := frontend.NetHTTP(h, g.log, g.timeouts)
		fp.HTTP1, fp.HTTP2 = s, s
	} else {
		fp.HTTP1, fp.HTTP2 = frontend.Own(h, dataplane.Refuser(&g.cur), g.log, g.timeouts)
	}
	if https {
		// Every request carries its connection's SSL profile and client
		// certificate verdict, computed after the handshake (clientcert.go
		// in internal/dataplane).
		fp.AfterHandshake = dataplane.HandshakeHook(&g.cur, num)
		// The per-listener configs GetConfigForClient returns set no
		// session ticket keys, so crypto/tls uses this long-lived config's,
		// which it rotates itself: clients resume across listeners on the
		// port and across Updates.
		fp.TLS = &tls.Config{
			NextProtos:         frontend.Protocols,
			GetConfigForClient: dataplane.ListenerConfig(&g.cur, num),
		}
	}
	p.fp = fp
	return p
}

// Handler returns the gateway's routing and proxying as an http.Handler, to
// mount in a server of your own. A request is routed as if it arrived on the
// frontend port its connection's local address has; when that is not a
// configured port and the configuration has exactly one frontend port, on
// that one. Otherwise it gets 404.
//
// Your server does what the gateway's own frontend would: the TLS handshake
// (the listeners' certificates, SNI selection, RequireSNI and the TLS
// policy are not applied, so an HTTPS listener served only this way needs
// no SSLCertificate), HTTP parsing with its own framing rules (the own
// servers refuse ambiguous framing, obsolete line folding and oversized
// heads before a handler runs; here only the request target and header
// size limits are checked, after your server parsed the request), and its
// own timeouts. X-Forwarded-Proto and X-Forwarded-Port come from the
// connection the request arrived on. On a listener with client
// authentication (an SSL profile), each request is verified from its own
// r.TLS: your server must ask for client certificates
// (tls.RequestClientCert), or in Strict mode every request is refused. After Shutdown or Close the handler
// answers 503.
func (g *Gateway) Handler() http.Handler {
	return dataplane.MountedHandler(&g.cur, &g.stopping)
}

// ServePort serves the listeners of frontend port `port` on ln, which the
// caller has bound (on any address and port: tests bind 127.0.0.1:0). HTTPS
// listeners' TLS is done here; pass a plain TCP listener. It blocks until
// the gateway is shut down or closed, then returns ErrGatewayClosed.
func (g *Gateway) ServePort(port int, ln net.Listener) error {
	g.mu.Lock()
	p := g.ports[port]
	closed := g.closed
	var certless error
	if p != nil && !closed {
		if certless = certlessListeners(g.cur.Load().Plan(), port); certless == nil {
			p.serving = true
		}
	}
	g.mu.Unlock()
	if closed {
		ln.Close()
		return ErrGatewayClosed
	}
	if p == nil {
		ln.Close()
		return fmt.Errorf("gateway: no listener on frontend port %d", port)
	}
	if certless != nil {
		ln.Close()
		return certless
	}
	err := p.fp.Serve(ln)
	if errors.Is(err, frontend.ErrClosed) {
		return ErrGatewayClosed
	}
	return err
}

// certlessListeners reports the HTTPS listeners on port that have no
// certificate, which only Handler can serve.
func certlessListeners(plan *dataplane.Plan, port int) error {
	var errs problems
	for _, l := range plan.Listeners {
		if l.Port == port && l.HTTPS && len(l.TLS.Certificates) == 0 {
			errs.add("listener "+q(l.Name), "HTTPS listener has no sslCertificate: the gateway's own servers need one for the TLS handshake on port %d (only Handler, mounted in a server that does the handshake itself, serves a listener without one)", port)
		}
	}
	return errs.err()
}

// Serve serves a configuration with a single frontend port on ln. See
// ServePort.
func (g *Gateway) Serve(ln net.Listener) error {
	ports := g.cur.Load().Table().Ports()
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
	ports := make([]*port, 0, len(g.ports))
	for _, p := range g.ports {
		ports = append(ports, p)
	}
	g.mu.Unlock()
	lns := make([]net.Listener, 0, len(ports))
	for _, p := range ports {
		ln, err := frontend.Listen(g.reusePort, net.JoinHostPort(p.address, strconv.Itoa(p.num)))
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return fmt.Errorf("gateway: listen on port %d: %w", p.num, err)
		}
		lns = append(lns, ln)
	}
	errc := make(chan error, len(ports))
	for i, p := range ports {
		go func() { errc <- g.ServePort(p.num, lns[i]) }()
	}
	var first error
	for range ports {
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
	g.reloads.Stop() // before updateMu, which the loop may be waiting for
	g.updateMu.Lock()
	defer g.updateMu.Unlock()
	ports, first := g.markClosed()
	if !first {
		return nil
	}
	errs := make(chan error, len(ports))
	for _, p := range ports {
		go func() { errs <- p.fp.Shutdown(ctx) }()
	}
	var all []error
	for range ports {
		all = append(all, <-errs)
	}
	g.release()
	return errors.Join(all...)
}

// Close closes every listener and connection at once, without draining, and
// stops the health probes.
func (g *Gateway) Close() error {
	g.reloads.Stop() // before updateMu, which the loop may be waiting for
	g.updateMu.Lock()
	defer g.updateMu.Unlock()
	ports, first := g.markClosed()
	if !first {
		return nil
	}
	var errs []error
	for _, p := range ports {
		errs = append(errs, p.fp.Close())
	}
	g.release()
	return errors.Join(errs...)
}

func (g *Gateway) markClosed() ([]*port, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil, false
	}
	g.closed = true
	g.stopping.Store(true)
	close(g.stop)
	ports := make([]*port, 0, len(g.ports))
	for _, p := range g.ports {
		ports = append(ports, p)
	}
	return ports, true
}

// release stops what outlives the servers: probes, upgraded connections,
// backend connections and the retirement of old generations.
func (g *Gateway) release() {
	g.mu.Lock()
	mon := g.monitor
	g.monitor = nil
	g.mu.Unlock()
	if mon != nil {
		mon.Close()
	}
	g.env.dp.Hijacked.Close()
	g.bg.Wait()
	s := g.cur.Load()
	s.StopProbeDials()
	s.Close()
	if g.accessLog != nil {
		g.accessLog.Close() // writes what is queued
	}
}

// Update validates cfg and, if it is valid, swaps it in atomically: new
// requests see the new rules, pools and trust at once; requests in flight
// finish on the configuration they started with. Backend connections
// verified under the old configuration are closed once idle; members no
// longer in their pool keep serving requests already holding them for
// their setting's drain time. A cfg with problems is rejected with every
// problem listed, and the old configuration keeps serving. Custom error
// pages are read again: one that cannot be read keeps its previous copy
// (none for a new one) and is logged at Warn, without failing the Update.
//
// Every field of cfg applies, Logger, AffinityKey (a nil key keeps the
// current one), Resolver, DialContext and the timeouts included, except
// what only a new Gateway can change: the frontend ports (adding,
// removing, re-addressing one, or changing its protocol), Frontend, and,
// with the net/http frontend, the timeouts.
//
// Certificate sources (SSLCertificate.Source and the like) are read now,
// and from then on each new version they yield is applied as an Update
// with the new value would be: the reload is refused, logged and counted
// if the configuration it gives is invalid (see CertificateReloads).
func (g *Gateway) Update(cfg Config) error {
	g.updateMu.Lock()
	defer g.updateMu.Unlock()
	ws, err := g.update(cfg, nil, "update")
	if err != nil {
		return err
	}
	g.startReloads(cfg, ws)
	return nil
}

// update is Update with updateMu held, without restarting the reload
// loop: the loop calls it too, with the versions in force of the sources
// it does not reload pinned. It returns the sources it read (nil if it
// read none because the gateway is closed or cfg changes the frontends),
// even when it refuses cfg.
func (g *Gateway) update(cfg Config, pinned map[string]any, source string) ([]reload.Watched, error) {
	g.mu.Lock()
	closed := g.closed
	g.mu.Unlock()
	if closed {
		return nil, ErrGatewayClosed
	}
	old := g.cur.Load()
	cfg = withCanonicalProtocols(cfg)
	if err := g.sameFrontends(cfg); err != nil {
		return nil, err
	}
	cfg = withAffinityKey(cfg, old.Plan().AffinityKey)
	resolved, ws, srcErr := resolveSources(cfg, pinned)
	alog, oldLog := g.accessLog, (*accesslog.Writer)(nil)
	if cfg.AccessLog != g.accessLogCfg {
		var err error
		if alog, err = g.newAccessLog(cfg.AccessLog); err != nil {
			g.reloaded(cfg.Observer, source, old.Generation(), err)
			return ws, err
		}
		oldLog = g.accessLog
	}
	g.env.accessLog = alog
	// Every page is read again; one that fails keeps its copy.
	pages, pagesErr := loadErrorPages(cfg, old.Plan().ErrorPages)
	g.env.pages = pages
	s, err := compile(resolved, old.Generation()+1, g.env)
	if err == nil {
		err = g.servedCertificates(s)
	}
	if err = errors.Join(srcErr, err); err != nil {
		if alog != g.accessLog && alog != nil {
			alog.Close()
		}
		g.env.accessLog = g.accessLog
		g.reloaded(old.Plan().Observer, source, old.Generation(), err)
		return ws, err
	}
	g.accessLog, g.accessLogCfg = alog, cfg.AccessLog
	g.env.dp.Dialer.SetObserver(cfg.Observer)
	g.logs.Set(cfg.Logger)
	if pagesErr != nil {
		g.log.Warn("gateway: custom error pages could not all be read; those that failed keep their previous copy, if any",
			slog.String("error", pagesErr.Error()))
	}
	g.timeouts.Set(timeouts(cfg))
	g.env.dp.Dialer.SetDial(cfg.DialContext)
	g.env.dp.Dialer.SetResolver(cfg.Resolver)
	dataplane.CarryHealth(old, s)
	mon := s.StartProbes()
	g.cur.Store(s)
	g.applyTicketKeys(cfg.SessionTicketKeys)
	g.warnInsecure(cfg)

	g.mu.Lock()
	oldMon := g.monitor
	g.monitor = mon
	g.mu.Unlock()
	if oldMon != nil {
		oldMon.Close()
	}
	old.StopProbeDials()
	dataplane.Retire(old, s, g.stop, &g.bg, func() {
		if oldLog != nil {
			oldLog.Close() // the old configuration's requests are done
		}
	})
	g.log.Info("gateway: configuration updated", slog.Uint64("generation", s.Generation()))
	g.reloaded(cfg.Observer, source, s.Generation(), nil)
	return ws, nil
}

// servedCertificates refuses a snapshot that leaves an HTTPS listener on a
// port the gateway's own servers serve without a certificate.
func (g *Gateway) servedCertificates(s *dataplane.Snapshot) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	var errs []error
	for num, p := range g.ports {
		if p.serving {
			errs = append(errs, certlessListeners(s.Plan(), num))
		}
	}
	return errors.Join(errs...)
}

// reloaded tells o of an Update's outcome.
func (g *Gateway) reloaded(o observe.Observer, source string, gen uint64, err error) {
	if o != nil {
		o.Reload(observe.Reload{Source: source, Generation: gen, Err: err})
	}
}

// newAccessLog starts the access log of c, nil for none.
func (g *Gateway) newAccessLog(c *AccessLog) (*accesslog.Writer, error) {
	if c == nil {
		return nil, nil
	}
	var errs problems
	if c.Writer == nil {
		errs.add("accessLog", "no writer: set AccessLog.Writer, or leave AccessLog nil to log requests to Logger")
	}
	format := accesslog.Text
	switch c.Format {
	case AccessLogText:
	case AccessLogJSON:
		format = accesslog.JSON
	default:
		errs.add("accessLog", "format %q: want %q (text) or %q", c.Format, AccessLogText, AccessLogJSON)
	}
	if c.FlushInterval < 0 {
		errs.add("accessLog", "flushInterval %v is negative", c.FlushInterval)
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return accesslog.New(c.Writer, accesslog.Options{Format: format, FlushInterval: c.FlushInterval, Log: g.log}), nil
}

// Stats are a gateway's counters that are not per request.
type Stats struct {
	// Generation is the configuration generation serving, 1 for New's.
	Generation uint64
	// AccessLogWritten and AccessLogDropped count the access log's records
	// written and dropped (the writer did not keep up, or failed) since
	// New; both zero without an AccessLog.
	AccessLogWritten, AccessLogDropped uint64
}

// Stats returns the gateway's counters.
func (g *Gateway) Stats() Stats {
	g.updateMu.Lock()
	alog := g.accessLog
	g.updateMu.Unlock()
	st := Stats{Generation: g.cur.Load().Generation()}
	if alog != nil {
		as := alog.Stats()
		st.AccessLogWritten, st.AccessLogDropped = as.Written, as.Dropped
	}
	return st
}

// sameFrontends refuses a configuration whose frontend ports differ from
// the served ones, with the reason an operator needs.
func (g *Gateway) sameFrontends(cfg Config) error {
	var errs problems
	if cfg.Frontend != g.frontend {
		errs.add("config", "changing frontend from %q to %q needs a restart (a new Gateway)", g.frontend, cfg.Frontend)
	}
	if cfg.ReusePort != g.reusePort {
		errs.add("config", "changing reusePort needs a restart (a new Gateway): the ports are bound already")
	}
	if g.frontend == FrontendNetHTTP {
		rh, idle := timeouts(cfg)
		if rh != g.timeouts.ReadHeader() || idle != g.timeouts.Idle() {
			errs.add("config", "changing readHeaderTimeout or idleTimeout with the net/http frontend needs a restart (a new Gateway)")
		}
	}
	seen := make(map[int]bool)
	for _, l := range cfg.Listeners {
		p := g.ports[l.Port]
		path := "listener " + q(l.Name)
		switch {
		case p == nil:
			errs.add(path, "adding frontend port %d needs a restart (a new Gateway): Update cannot open a port", l.Port)
		case p.https != (l.Protocol == HTTPS):
			errs.add(path, "changing the protocol of frontend port %d needs a restart (a new Gateway)", l.Port)
		case p.address != l.Address:
			errs.add(path, "changing the address of frontend port %d from %q to %q needs a restart (a new Gateway)", l.Port, p.address, l.Address)
		}
		seen[l.Port] = true
	}
	for num := range g.ports {
		if !seen[num] {
			errs.add("config", "removing frontend port %d needs a restart (a new Gateway): Update cannot close a port", num)
		}
	}
	return errs.err()
}

func (g *Gateway) warnInsecure(cfg Config) {
	for _, bs := range cfg.BackendHTTPSettings {
		if bs.InsecureSkipVerify && bs.Protocol == HTTPS {
			g.log.Warn("gateway: backend verification is OFF (InsecureSkipVerify): any backend, or anyone on the path to it, can impersonate it; for tests only",
				slog.String("setting", bs.Name))
		}
	}
}
