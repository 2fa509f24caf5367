package h2

import (
	"io"
	"net/http"
	"sync"

	"golang.org/x/net/http2"

	"github.com/e2etls/e2etls/internal/httpwire"
)

// dispatch runs st on an idle worker, or on a new one.
func (s *Server) dispatch(st *stream) {
	select {
	case s.work <- st:
	default:
		go s.worker(st)
	}
}

// worker serves streams until the server stops or enough workers idle.
func (s *Server) worker(st *stream) {
	for {
		st.run()
		if s.idleWorkers.Add(1) > h2MaxIdleWorkers {
			s.idleWorkers.Add(-1)
			return
		}
		select {
		case st = <-s.work:
			s.idleWorkers.Add(-1)
		case <-s.quit:
			s.idleWorkers.Add(-1)
			return
		}
	}
}

// run serves the stream: the handler, or the stream's refusal, then the
// end of the response, and hands the slot to a queued stream.
func (st *stream) run() {
	c := st.c
	w := &st.w
	aborted := false
	if st.refuse != nil {
		c.s.Refuse(w, st.req, st.refuse)
	} else {
		aborted = httpwire.RunHandler(c.s.Log, c.s.Handler, w, st.req)
	}
	if aborted {
		c.mu.Lock()
		reset := st.reset
		c.mu.Unlock()
		if !reset {
			c.streamError(st.id, http2.ErrCodeInternal)
		}
	} else {
		w.finish()
	}
	st.body.closeBody()
	st.cancel(errStreamClosed)
	w.release()

	c.mu.Lock()
	st.handlerDone = true
	var next *stream
	c.running--
	for len(c.queue) > 0 && !c.closed && next == nil {
		next = c.queue[0]
		c.queue = c.queue[1:]
		if next.reset {
			next = nil // reset while it waited
			continue
		}
		next.started = true
		c.running++
	}
	rst := false
	if c.streams[st.id] == st {
		rst = !st.remoteClosed // the client still sends a body no one reads
		delete(c.streams, st.id)
	}
	c.idleCheckLocked()
	if c.running == 0 {
		c.cond.Broadcast() // shutdown waits for the handlers
	}
	c.mu.Unlock()
	if rst {
		c.write(func() error { return c.fr.WriteRSTStream(st.id, http2.ErrCodeNo) })
	}
	if next != nil {
		c.s.dispatch(next)
	}
}

// body is a stream's request body, buffered up to the stream's window.
type body struct {
	st             *stream
	mu             sync.Mutex
	cond           sync.Cond
	buf            []byte
	off            int
	err            error // io.EOF after END_STREAM, or why the stream ended
	closed         bool  // the handler closed it or returned: data is dropped
	continueNeeded bool
	trailer        http.Header // received, not yet in the request's Trailer
}

func (b *body) wait() {
	if b.cond.L == nil {
		b.cond.L = &b.mu
	}
	b.cond.Wait()
}

func (b *body) signal() {
	if b.cond.L != nil {
		b.cond.Broadcast()
	}
}

// write buffers data from a DATA frame; it reports false when the body
// is no longer read.
func (b *body) write(p []byte) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || b.err != nil {
		return false
	}
	if b.off == len(b.buf) {
		b.buf, b.off = b.buf[:0], 0
	} else if b.off > 0 && len(b.buf)+len(p) > cap(b.buf) {
		// Move the unread rest to the front before growing: the buffer
		// stays within the stream's window, however long the body.
		b.buf = b.buf[:copy(b.buf, b.buf[b.off:])]
		b.off = 0
	}
	b.buf = append(b.buf, p...)
	b.signal()
	return true
}

// end marks the body complete, with the request's trailers, if any. They
// reach the request's Trailer map when the body's reader sees the end
// (see Read): the handler may be using the request meanwhile.
func (b *body) end(trailer http.Header) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return
	}
	b.trailer = trailer
	b.err = io.EOF
	b.signal()
}

// fail ends the body with err, unless it already ended.
func (b *body) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		b.err = err
	}
	b.signal()
}

func (b *body) Read(p []byte) (int, error) {
	st := b.st
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return 0, http.ErrBodyReadAfterClose
	}
	if b.continueNeeded {
		b.continueNeeded = false
		if b.err == nil && b.off == len(b.buf) {
			b.mu.Unlock()
			st.sendContinue()
			b.mu.Lock()
		}
	}
	for b.off == len(b.buf) && b.err == nil {
		b.wait()
	}
	if b.off == len(b.buf) {
		err := b.err
		if err == io.EOF && b.trailer != nil {
			// As net/http: the announced trailers (the keys of
			// r.Trailer) take their values in the goroutine that reads
			// the body, before it sees io.EOF; others are dropped.
			if r := st.req; r.Trailer != nil {
				for k := range r.Trailer {
					if vv, ok := b.trailer[k]; ok {
						r.Trailer[k] = vv
					}
				}
			}
			b.trailer = nil
		}
		b.mu.Unlock()
		return 0, err
	}
	n := copy(p, b.buf[b.off:])
	b.off += n
	if b.off == len(b.buf) {
		b.buf, b.off = b.buf[:0], 0
	}
	b.mu.Unlock()
	st.c.refund(st, int64(n))
	return n, nil
}

func (b *body) Close() error {
	b.closeBody()
	return nil
}

// closeBody drops what is buffered and what arrives later, refunding it.
func (b *body) closeBody() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	n := len(b.buf) - b.off
	b.buf, b.off = nil, 0
	b.signal()
	b.mu.Unlock()
	if b.st != nil {
		b.st.c.refund(b.st, int64(n))
	}
}
