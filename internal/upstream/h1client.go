package upstream

import (
	"bufio"
	"context"
	"crypto/tls"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// h1Client sends HTTP/1.1 requests to backends over connections it pools
// per endpoint. Unlike http.Transport it does the whole exchange in the
// calling goroutine (no read and write loops to hand off to), writes each
// request head with one buffered write, and keeps as many idle connections
// per endpoint as the load needs, up to maxIdle.
//
// An endpoint's idle connections are split into shards, each behind a
// lock of its own, so that requests served on many cores at once do not
// queue for one lock twice per request: a request takes a connection from
// a shard chosen at random (the others when it is empty) and gives it back
// to that shard.
type h1Client struct {
	dial    func(ctx context.Context, ep *Endpoint) (net.Conn, error)
	maxIdle int
	idleFor time.Duration
	shards  int

	pools     sync.Map     // *Endpoint -> *idlePool, for sweeps and closing
	lastSweep atomic.Int64 // unix nanoseconds
	closed    atomic.Bool
}

// idlePool is one endpoint's idle connections.
type idlePool struct {
	shards []idleShard
}

// idleShard is a share of an endpoint's idle connections, oldest first.
type idleShard struct {
	mu   sync.Mutex
	list []*backendConn
	_    [40]byte // the next shard's lock on another cache line
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
	shard    int  // the shard of its endpoint's idle pool it returns to

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
	n := 1
	for n < runtime.GOMAXPROCS(0) && n < 64 {
		n *= 2
	}
	return &h1Client{dial: dial, maxIdle: 1024, idleFor: 90 * time.Second, shards: n}
}

// pool returns ep's idle pool, making it on first use.
func (c *h1Client) pool(ep *Endpoint) *idlePool {
	if p := ep.idle.Load(); p != nil {
		return p
	}
	p := &idlePool{shards: make([]idleShard, c.shards)}
	if !ep.idle.CompareAndSwap(nil, p) {
		return ep.idle.Load()
	}
	c.pools.Store(ep, p)
	return p
}

// get returns an idle connection to ep, or dials one by deadline.
func (c *h1Client) get(ctx context.Context, ep *Endpoint, deadline time.Time, trip *Trip) (*backendConn, error) {
	p := c.pool(ep)
	now := time.Now()
	first := 0
	if len(p.shards) > 1 {
		first = int(rand.Uint32()) & (len(p.shards) - 1)
	}
	var expired []*backendConn
	for k := range p.shards {
		i := (first + k) & (len(p.shards) - 1)
		sh := &p.shards[i]
		sh.mu.Lock()
		for len(sh.list) > 0 {
			bc := sh.list[len(sh.list)-1]
			sh.list[len(sh.list)-1] = nil
			sh.list = sh.list[:len(sh.list)-1]
			if now.Sub(bc.lastUsed) < c.idleFor && !bc.drained.Load() {
				sh.mu.Unlock()
				closeAll(expired)
				bc.shard = i
				return bc, nil
			}
			expired = append(expired, bc)
		}
		sh.mu.Unlock()
	}
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
	bc := newBackendConn(ep, conn)
	bc.shard = first
	return bc, nil
}

func closeAll(conns []*backendConn) {
	for _, bc := range conns {
		bc.close()
	}
}

// put returns a connection whose exchange ended cleanly to its shard. Now
// and then it also sweeps every endpoint's connections that have been idle
// for idleFor, so an endpoint no longer used does not keep its connections.
func (c *h1Client) put(bc *backendConn) {
	bc.inUse.Store(false)
	if bc.drained.Load() || c.closed.Load() {
		bc.close()
		return
	}
	now := time.Now()
	bc.lastUsed = now
	bc.reused = true
	p := c.pool(bc.ep)
	sh := &p.shards[bc.shard]
	sh.mu.Lock()
	if len(sh.list)*len(p.shards) >= c.maxIdle {
		sh.mu.Unlock()
		bc.close()
		return
	}
	sh.list = append(sh.list, bc)
	sh.mu.Unlock()
	if c.closed.Load() {
		// closeIdle(true) ran meanwhile: what came back after it closes.
		c.closeIdle(true)
	}
	if last := c.lastSweep.Load(); now.UnixNano()-last >= int64(c.idleFor/4) && c.lastSweep.CompareAndSwap(last, now.UnixNano()) {
		c.sweep(now)
	}
}

// sweep closes the connections idle for idleFor or longer, in every
// endpoint's shards.
func (c *h1Client) sweep(now time.Time) {
	var expired []*backendConn
	c.pools.Range(func(_, v any) bool {
		for i := range v.(*idlePool).shards {
			sh := &v.(*idlePool).shards[i]
			sh.mu.Lock()
			expired = sh.sweepLocked(now, c.idleFor, expired)
			sh.mu.Unlock()
		}
		return true
	})
	closeAll(expired)
}

// sweepLocked moves the shard's connections idle for idleFor or longer to
// expired. The list is oldest first, so they are a prefix of it.
func (sh *idleShard) sweepLocked(now time.Time, idleFor time.Duration, expired []*backendConn) []*backendConn {
	n := 0
	for n < len(sh.list) && now.Sub(sh.list[n].lastUsed) >= idleFor {
		n++
	}
	if n == 0 {
		return expired
	}
	expired = append(expired, sh.list[:n]...)
	rest := make([]*backendConn, len(sh.list)-n, max(cap(sh.list)/2, len(sh.list)-n))
	copy(rest, sh.list[n:])
	sh.list = rest
	return expired
}

// closeEndpoint closes the idle connections of an endpoint that is being
// forgotten.
func (c *h1Client) closeEndpoint(ep *Endpoint) {
	c.pools.Delete(ep)
	if p := ep.idle.Load(); p != nil {
		p.closeAll()
	}
}

// closeAll closes every idle connection of the pool.
func (p *idlePool) closeAll() {
	for i := range p.shards {
		sh := &p.shards[i]
		sh.mu.Lock()
		list := sh.list
		sh.list = nil
		sh.mu.Unlock()
		closeAll(list)
	}
}

// closeIdle closes every idle connection; with final set, connections
// returned later are closed too.
func (c *h1Client) closeIdle(final bool) {
	if final {
		c.closed.Store(true)
	}
	c.pools.Range(func(_, v any) bool {
		v.(*idlePool).closeAll()
		return true
	})
}
