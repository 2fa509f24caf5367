package upstream

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// h1Client sends HTTP/1.1 requests to backends over connections it pools
// per endpoint. Unlike http.Transport it does the whole exchange in the
// calling goroutine (no read and write loops to hand off to), writes each
// request head with one buffered write, and keeps as many idle connections
// per endpoint as the load needs, up to maxIdle.
type h1Client struct {
	dial    func(ctx context.Context, ep *Endpoint) (net.Conn, error)
	maxIdle int
	idleFor time.Duration

	mu        sync.Mutex
	idle      map[*Endpoint][]*backendConn // per endpoint, oldest first
	lastSweep time.Time
	closed    bool
}

// backendConn is one pooled HTTP/1.1 connection to an endpoint.
type backendConn struct {
	ep       *Endpoint
	conn     net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	tls      *tls.ConnectionState // nil for plain HTTP
	lastUsed time.Time
	reused   bool // served a request before

	abort     func()      // ends the exchange in progress: its read or write fails
	drained   atomic.Bool // the member's drain time ended: the connection is done
	inUse     atomic.Bool // in an exchange (not idle in the pool)
	stopDrain func() bool // unregisters the drain watch
}

// newBackendConn wraps a dialled connection. A connection to a member that
// Update removes is ended when the member's drain time is over, whether it
// is in an exchange or idle: one registration for the connection's life,
// none per request.
func newBackendConn(ep *Endpoint, conn net.Conn) *backendConn {
	bc := &backendConn{ep: ep, conn: conn, br: bufio.NewReaderSize(conn, 32<<10), bw: bufio.NewWriterSize(conn, 16<<10)}
	bc.abort = bc.abortExchange
	if tc, ok := conn.(*tls.Conn); ok {
		st := tc.ConnectionState()
		bc.tls = &st
	}
	if ep.Member != nil {
		bc.stopDrain = context.AfterFunc(ep.Member.drain, func() {
			bc.drained.Store(true)
			if bc.inUse.Load() {
				bc.abortExchange()
			} else {
				bc.conn.Close() // idle in the pool: get discards it
			}
		})
	}
	return bc
}

func (bc *backendConn) abortExchange() { bc.conn.SetDeadline(time.Unix(1, 0)) }

// close closes the connection and ends its drain watch.
func (bc *backendConn) close() {
	if bc.stopDrain != nil {
		bc.stopDrain()
	}
	bc.conn.Close()
}

func newH1Client(dial func(ctx context.Context, ep *Endpoint) (net.Conn, error)) *h1Client {
	return &h1Client{dial: dial, maxIdle: 1024, idleFor: 90 * time.Second, idle: make(map[*Endpoint][]*backendConn)}
}

// get returns an idle connection to ep, or dials one by deadline.
func (c *h1Client) get(ctx context.Context, ep *Endpoint, deadline time.Time, trip *Trip) (*backendConn, error) {
	now := time.Now()
	var expired []*backendConn
	c.mu.Lock()
	for list := c.idle[ep]; len(list) > 0; list = c.idle[ep] {
		bc := list[len(list)-1]
		list[len(list)-1] = nil
		c.idle[ep] = list[:len(list)-1]
		if now.Sub(bc.lastUsed) < c.idleFor && !bc.drained.Load() {
			c.mu.Unlock()
			closeAll(expired)
			return bc, nil
		}
		expired = append(expired, bc)
	}
	c.mu.Unlock()
	closeAll(expired)

	dctx, cancel := context.WithDeadlineCause(ctx, deadline, ErrRequestTimeout)
	defer cancel()
	dialStart := time.Now()
	conn, err := c.dial(dctx, ep)
	if trip != nil {
		trip.Connect = time.Since(dialStart)
	}
	if err != nil {
		return nil, err
	}
	return newBackendConn(ep, conn), nil
}

func closeAll(conns []*backendConn) {
	for _, bc := range conns {
		bc.close()
	}
}

// put returns a connection whose exchange ended cleanly to the pool. Now
// and then it also sweeps every endpoint's connections that have been idle
// for idleFor, so an endpoint no longer used does not keep its connections.
func (c *h1Client) put(bc *backendConn) {
	bc.inUse.Store(false)
	if bc.drained.Load() {
		bc.close()
		return
	}
	now := time.Now()
	bc.lastUsed = now
	bc.reused = true
	var expired []*backendConn
	c.mu.Lock()
	if c.closed || len(c.idle[bc.ep]) >= c.maxIdle {
		c.mu.Unlock()
		bc.close()
		return
	}
	c.idle[bc.ep] = append(c.idle[bc.ep], bc)
	if now.Sub(c.lastSweep) >= c.idleFor/4 {
		c.lastSweep = now
		expired = c.sweepLocked(now)
	}
	c.mu.Unlock()
	closeAll(expired)
}

// sweepLocked removes the connections idle for idleFor or longer. Each
// endpoint's list is oldest first, so they are a prefix of it.
func (c *h1Client) sweepLocked(now time.Time) []*backendConn {
	var expired []*backendConn
	for ep, list := range c.idle {
		n := 0
		for n < len(list) && now.Sub(list[n].lastUsed) >= c.idleFor {
			n++
		}
		if n == 0 {
			continue
		}
		expired = append(expired, list[:n]...)
		if n == len(list) {
			delete(c.idle, ep)
			continue
		}
		rest := make([]*backendConn, len(list)-n, cap(list))
		copy(rest, list[n:])
		c.idle[ep] = rest
	}
	return expired
}

// closeEndpoint closes the idle connections of an endpoint that is being
// forgotten.
func (c *h1Client) closeEndpoint(ep *Endpoint) {
	c.mu.Lock()
	list := c.idle[ep]
	delete(c.idle, ep)
	c.mu.Unlock()
	closeAll(list)
}

// closeIdle closes every idle connection; with final set, connections
// returned later are closed too.
func (c *h1Client) closeIdle(final bool) {
	c.mu.Lock()
	idle := c.idle
	c.idle = make(map[*Endpoint][]*backendConn)
	if final {
		c.closed = true
	}
	c.mu.Unlock()
	for _, list := range idle {
		for _, bc := range list {
			bc.close()
		}
	}
}
