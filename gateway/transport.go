package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/e2etls/e2etls/backendtls"
)

// newTransport returns the pooled transport of one configuration
// generation. It pools connections per endpoint (member, setting, SNI); the
// URL host it sees is the endpoint's id, and its dialers turn that back into
// the member's address and TLS configuration.
func newTransport(s *snapshot) *http.Transport {
	return &http.Transport{
		DialContext:            s.dialPlain,
		DialTLSContext:         s.dialTLS,
		ForceAttemptHTTP2:      true, // used only where a setting offers h2 by ALPN
		MaxIdleConnsPerHost:    1024,
		IdleConnTimeout:        90 * time.Second,
		DisableCompression:     true, // a proxy passes Accept-Encoding through untouched
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		ReadBufferSize:         32 << 10,
		WriteBufferSize:        32 << 10,
	}
}

// dialError is a failure to reach or verify a backend: nothing of the
// request was sent, so another member may be tried.
type dialError struct {
	member string
	err    error
}

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

func (s *snapshot) lookup(addr string) (*endpoint, error) {
	v, ok := s.endpoints.Load(addr)
	if !ok {
		return nil, fmt.Errorf("gateway: internal error: no backend endpoint %q", addr)
	}
	return v.(*endpoint), nil
}

// dialPlain and dialTLS are the data path's dialers. net/http dials with a
// context detached from the request's, so that a connection a cancelled
// request started can serve the next one; the dialers therefore bound the
// dial and the handshake themselves, by the setting's request timeout (the
// probes' dialers by the probe's timeout), so that a backend that accepts
// TCP and never answers TLS does not hold a connection and a goroutine until
// it hangs up.
func (s *snapshot) dialPlain(ctx context.Context, _, addr string) (net.Conn, error) {
	ep, err := s.lookup(addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, ep.member.set.setting.timeout, errRequestTimeout)
	defer cancel()
	conn, err := s.env.dialMember(ctx, ep.member, ep.member.port)
	if err != nil {
		return nil, &dialError{member: ep.member.hostKey, err: timeoutCause(ctx, err)}
	}
	return conn, nil
}

func (s *snapshot) dialTLS(ctx context.Context, _, addr string) (net.Conn, error) {
	ep, err := s.lookup(addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, ep.member.set.setting.timeout, errRequestTimeout)
	defer cancel()
	conn, err := s.env.handshake(ctx, ep.member, ep.member.port, ep.tlsConfig, !ep.fromClient)
	if err != nil {
		if ep.fromClient {
			s.endpoints.Delete(ep.id)
		}
		return nil, &dialError{member: ep.member.hostKey, err: timeoutCause(ctx, err)}
	}
	s.adopt(ep)
	return conn, nil
}

// dialEndpoint opens a connection for h1Client: TCP to the member, and for
// HTTPS settings the verifying handshake. h1Client bounds it by the
// request's deadline.
func (s *snapshot) dialEndpoint(ctx context.Context, ep *endpoint) (net.Conn, error) {
	var conn net.Conn
	var err error
	if ep.tlsConfig != nil {
		conn, err = s.env.handshake(ctx, ep.member, ep.member.port, ep.tlsConfig, !ep.fromClient)
	} else {
		conn, err = s.env.dialMember(ctx, ep.member, ep.member.port)
	}
	if err != nil {
		if ep.fromClient {
			s.endpoints.Delete(ep.id) // a provisional endpoint is never kept
		}
		return nil, &dialError{member: ep.member.hostKey, err: err}
	}
	s.adopt(ep)
	return conn, nil
}

// closeIdle closes the idle backend connections of a generation; with final
// set, connections that come back later are closed too.
func (s *snapshot) closeIdle(final bool) {
	s.transport.CloseIdleConnections()
	s.h1.closeIdle(final)
}

// timeoutCause marks err, a dial's, as a request timeout when ctx's
// deadline is what ended the dial.
func timeoutCause(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), errRequestTimeout) {
		return fmt.Errorf("%w (%w)", errRequestTimeout, err)
	}
	return err
}

// dialMember opens a TCP connection to a member on port.
func (e *env) dialMember(ctx context.Context, m *memberState, port int) (net.Conn, error) {
	ip, err := e.resolver.resolve(ctx, m.address)
	if err != nil {
		return nil, err
	}
	return e.dial(ctx, "tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
}

// handshake dials a member and runs the TLS handshake, whose VerifyConnection
// does the backend verification. On the data path (passive), a verification
// failure takes the member out of rotation at once; a probe's failure counts
// towards its threshold instead.
func (e *env) handshake(ctx context.Context, m *memberState, port int, tc *tls.Config, passive bool) (net.Conn, error) {
	conn, err := e.dialMember(ctx, m, port)
	if err != nil {
		return nil, err
	}
	tconn, err := backendtls.Handshake(ctx, conn, tc)
	if err != nil {
		if reason, ok := backendtls.ReasonOf(err); ok && passive {
			m.health.MarkUnhealthy(err)
			m.code.set(reason.String())
		}
		return nil, err
	}
	return tconn, nil
}

// probeTransport is a member's health-probe transport: the same trust as the
// data path (tc comes from the same backendtls.Config), its own SNI, and no
// connection reuse, so every probe handshakes and verifies afresh. Dials
// and handshakes end after timeout, the probe's.
func (e *env) probeTransport(m *memberState, tc *tls.Config, timeout time.Duration) http.RoundTripper {
	port := func(addr string) int {
		_, p, err := net.SplitHostPort(addr)
		if err != nil {
			return m.port
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			return m.port
		}
		return n
	}
	return alertClassifier{&http.Transport{
		DisableKeepAlives:  true,
		DisableCompression: true,
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			return e.dialMember(ctx, m, port(addr))
		},
		DialTLSContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			return e.handshake(ctx, m, port(addr), tc, false)
		},
	}}
}

// classifyAlert turns a TLS alert that a backend sent after the gateway's
// side of the handshake had completed into the handshake failure it is: at
// TLS 1.3 a backend verifies the client certificate (or its absence) after
// the client has finished, so its refusal arrives as an alert on the first
// read. The data path and the probes classify alike, so both report the
// same reason.
func classifyAlert(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" {
		if _, ok := backendtls.ReasonOf(err); !ok {
			return backendtls.ClassifyHandshakeError(err)
		}
	}
	return err
}

// alertClassifier is a probe transport whose errors go through
// classifyAlert, as the data path's do.
type alertClassifier struct{ rt http.RoundTripper }

func (a alertClassifier) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := a.rt.RoundTrip(r)
	if err != nil {
		return nil, classifyAlert(err)
	}
	return resp, nil
}

// CloseIdleConnections also cancels the dials in progress (see
// http.Transport.CloseIdleConnections).
func (a alertClassifier) CloseIdleConnections() {
	if t, ok := a.rt.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
}

// resolver resolves FQDN members and keeps the last good answer when a later
// lookup fails, as Azure does.
type resolver struct {
	r   Resolver
	ttl time.Duration

	mu    sync.Mutex
	cache map[string]*resolved
}

type resolved struct {
	addr    string
	at      time.Time
	lastErr error // the latest lookup failure while serving the last good address
}

func newResolver(r Resolver) *resolver {
	if r == nil {
		r = net.DefaultResolver
	}
	return &resolver{r: r, ttl: 30 * time.Second, cache: make(map[string]*resolved)}
}

func (r *resolver) resolve(ctx context.Context, host string) (string, error) {
	if isIP(host) {
		return host, nil
	}
	r.mu.Lock()
	c := r.cache[host]
	if c != nil && time.Since(c.at) < r.ttl {
		r.mu.Unlock()
		return c.addr, nil
	}
	r.mu.Unlock()

	addrs, err := r.r.LookupHost(ctx, host)
	if err == nil && len(addrs) == 0 {
		err = errors.New("no addresses")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		if c != nil {
			c.lastErr = err
			return c.addr, nil
		}
		return "", fmt.Errorf("could not resolve backend %s: %w", host, err)
	}
	r.cache[host] = &resolved{addr: addrs[0], at: time.Now()}
	return addrs[0], nil
}

// staleReason reports a failing lookup for host that is being bridged by the
// last good address, or "" when there is none.
func (r *resolver) staleReason(host string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.cache[host]; c != nil && c.lastErr != nil {
		return fmt.Sprintf("DNS lookup of %s fails (%v); using the last good address %s", host, c.lastErr, c.addr)
	}
	return ""
}

// sessionCaches keeps one TLS client session cache per backend setting
// across configuration generations, so backend connections resume after an
// Update. Resumption is safe across trust changes: VerifyConnection runs on
// resumed sessions too.
type sessionCaches struct {
	mu sync.Mutex
	m  map[string]tls.ClientSessionCache
}

func (c *sessionCaches) get(setting string) tls.ClientSessionCache {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]tls.ClientSessionCache)
	}
	sc := c.m[setting]
	if sc == nil {
		sc = tls.NewLRUClientSessionCache(1024)
		c.m[setting] = sc
	}
	return sc
}
