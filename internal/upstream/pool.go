package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// maxDynamicEndpoints bounds the distinct client host names one member keeps
// endpoints (and pooled connections) for in client-Host mode; the least
// recently used is evicted beyond it.
const maxDynamicEndpoints = 256

// Pool is one configuration generation's connections to its backends: the
// endpoints of its members, the HTTP/1.1 client that pools connections per
// endpoint, and net/http's transport for settings that offer HTTP/2.
// Retiring a generation closes its pool (CloseIdle).
type Pool struct {
	dialer    *Dialer
	h1        *h1Client
	h2        *http.Transport
	endpoints sync.Map // Endpoint.ID -> *Endpoint, for the transport's dialers
	nextID    atomic.Uint64
}

// NewPool returns an empty pool that dials with d.
func NewPool(d *Dialer) *Pool {
	p := &Pool{dialer: d}
	p.h1 = newH1Client(p.dialEndpoint)
	p.h2 = &http.Transport{
		DialContext:            p.dialTransport,
		DialTLSContext:         p.dialTransport,
		ForceAttemptHTTP2:      true, // used only where a setting offers h2 by ALPN
		MaxIdleConnsPerHost:    1024,
		IdleConnTimeout:        90 * time.Second,
		DisableCompression:     true, // a proxy passes Accept-Encoding through untouched
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		ReadBufferSize:         32 << 10,
		WriteBufferSize:        32 << 10,
	}
	return p
}

func (p *Pool) newEndpoint(m *Member, sni string) (*Endpoint, error) {
	ep := &Endpoint{
		ID:     "e" + strconv.FormatUint(p.nextID.Add(1), 10) + ":" + strconv.Itoa(m.Port),
		Member: m,
		SNI:    sni,
	}
	if m.Trust != nil {
		tc, err := ClientTLS(*m.Trust, sni, UseTraffic)
		if err != nil {
			return nil, err
		}
		ep.TLS = tc
	}
	p.endpoints.Store(ep.ID, ep)
	return ep, nil
}

// FixSNI gives m the endpoint that serves all its requests: the SNI does
// not depend on the request (the setting's host name, or the member's
// FQDN).
func (p *Pool) FixSNI(m *Member, sni string) error {
	ep, err := p.newEndpoint(m, sni)
	if err != nil {
		return err
	}
	m.fixed = ep
	return nil
}

// Fixed is m's fixed endpoint, nil in client-Host mode.
func (m *Member) Fixed() *Endpoint { return m.fixed }

// Endpoint returns the endpoint that serves a request for host on m. In
// client-Host mode a new host gets a provisional endpoint, which is kept
// only once a connection to it has been verified, so that hosts a client
// makes up cannot crowd out the real ones.
func (p *Pool) Endpoint(m *Member, host string) (*Endpoint, error) {
	if m.fixed != nil {
		return m.fixed, nil
	}
	m.dynMu.Lock()
	ep := m.dyn[host]
	m.dynMu.Unlock()
	if ep != nil {
		ep.lastUsed.Store(time.Now().UnixNano())
		return ep, nil
	}
	ep, err := p.newEndpoint(m, host)
	if err != nil {
		return nil, err
	}
	ep.FromClient = true
	ep.lastUsed.Store(time.Now().UnixNano())
	return ep, nil
}

// adopt keeps a client-Host endpoint once a connection to it has been
// verified, evicting the least recently used one beyond the bound.
func (p *Pool) adopt(ep *Endpoint) {
	if !ep.FromClient {
		return
	}
	m := ep.Member
	var evicted *Endpoint
	m.dynMu.Lock()
	if cur := m.dyn[ep.SNI]; cur == nil {
		if m.dyn == nil {
			m.dyn = make(map[string]*Endpoint)
		}
		if len(m.dyn) >= maxDynamicEndpoints {
			for _, e := range m.dyn {
				if evicted == nil || e.lastUsed.Load() < evicted.lastUsed.Load() {
					evicted = e
				}
			}
			delete(m.dyn, evicted.SNI)
		}
		m.dyn[ep.SNI] = ep
	}
	m.dynMu.Unlock()
	if evicted != nil {
		p.endpoints.Delete(evicted.ID)
		p.h1.closeEndpoint(evicted)
	}
}

// Trip is what a RoundTrip tells of itself.
type Trip struct {
	// Connect is the time taken to connect to the member (and, for
	// HTTPS, to handshake) when the request needed a new connection; zero
	// when it reused one, and for members behind the HTTP/2 transport,
	// whose connections are not measured.
	Connect time.Duration
}

// RoundTrip sends out to ep and returns the response head; the body
// streams. The attempt ends when ctx ends (the client left), when the
// member's drain time is over (ErrDrained), or at deadline until the
// response head (ErrRequestTimeout). release ends the attempt's context
// once the response has been relayed. A failure to reach or verify the
// member is a *DialError; a backend's late refusal of the handshake is
// classified as its verification failure (ClassifyAlert). trip, if not nil,
// is told of the attempt.
func (p *Pool) RoundTrip(ctx context.Context, ep *Endpoint, out *http.Request, deadline time.Time, trip *Trip) (*http.Response, func(), error) {
	if !ep.Member.HTTP2 {
		// The client's context aborts the exchange when the client leaves;
		// the connection itself watches the member's drain.
		resp, err := p.h1.roundTrip(ctx, ep, out, deadline, trip)
		if err != nil {
			return nil, nil, ClassifyAlert(err)
		}
		return resp, func() {}, nil
	}
	out.URL.Host = ep.ID
	ctx, cancel := context.WithCancelCause(ctx)
	stopDrain := context.AfterFunc(ep.Member.drain, func() { cancel(ErrDrained) })
	timer := time.AfterFunc(time.Until(deadline), func() { cancel(ErrRequestTimeout) })
	resp, err := p.h2.RoundTrip(out.WithContext(ctx))
	timer.Stop()
	release := func() {
		stopDrain()
		cancel(nil)
	}
	if err != nil {
		cause := context.Cause(ctx)
		release()
		if cause != nil && cause != context.Canceled && !errors.Is(err, cause) {
			err = fmt.Errorf("%w: %w", cause, err)
		}
		return nil, nil, ClassifyAlert(err)
	}
	return resp, release, nil
}

func (p *Pool) lookup(addr string) (*Endpoint, error) {
	v, ok := p.endpoints.Load(addr)
	if !ok {
		return nil, fmt.Errorf("gateway: internal error: no backend endpoint %q", addr)
	}
	return v.(*Endpoint), nil
}

// dialTransport is the HTTP/2 transport's dialer, TLS or not. net/http dials
// with a context detached from the request's, so that a connection a
// cancelled request started can serve the next one; the dialers therefore
// bound the dial and the handshake themselves, by the member's timeout, so
// that a backend that accepts TCP and never answers TLS does not hold a
// connection and a goroutine until it hangs up.
func (p *Pool) dialTransport(ctx context.Context, _, addr string) (net.Conn, error) {
	ep, err := p.lookup(addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, ep.Member.Timeout, ErrRequestTimeout)
	defer cancel()
	return p.dialEndpoint(ctx, ep)
}

// dialEndpoint opens a connection to ep: TCP to the member, and for HTTPS
// settings the verifying handshake. Its caller bounds it.
func (p *Pool) dialEndpoint(ctx context.Context, ep *Endpoint) (net.Conn, error) {
	var conn net.Conn
	var err error
	if ep.TLS != nil {
		conn, err = p.dialer.Handshake(ctx, ep.Member, ep.Member.Port, ep.TLS, UseTraffic)
	} else {
		conn, err = p.dialer.Dial(ctx, ep.Member.Address, ep.Member.Port)
	}
	if err != nil {
		if ep.FromClient {
			p.endpoints.Delete(ep.ID) // a provisional endpoint is never kept
		}
		return nil, &DialError{Member: ep.Member.HostKey, FromClient: ep.FromClient, Err: timeoutCause(ctx, err)}
	}
	p.adopt(ep)
	return conn, nil
}

// CloseIdle closes the pool's idle connections; with final set,
// connections that come back later are closed too.
func (p *Pool) CloseIdle(final bool) {
	p.h2.CloseIdleConnections()
	p.h1.closeIdle(final)
}
