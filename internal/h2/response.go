package h2

import (
	"context"
	"net/http"
	"net/textproto"
	"strconv"
	"sync"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/e2etls/e2etls/internal/httpwire"
)

// response is the http.ResponseWriter of a stream.
type response struct {
	httpwire.Response
	st       *stream
	headSent bool
	ended    bool // END_STREAM sent
	pending  []byte
	err      error
}

func (w *response) Header() http.Header { return w.Fields }

func (w *response) WriteHeader(code int) {
	// 101 does not exist in HTTP/2: it is dropped like an interim status.
	if w.Response.WriteHeader(code, false) && code != http.StatusSwitchingProtocols {
		w.writeInterim(code, w.Fields)
	}
}

// writeInterim sends a 1xx response with the fields of h.
func (w *response) writeInterim(code int, h http.Header) {
	if w.err != nil || w.headSent {
		return
	}
	c := w.st.c
	if err := w.checkOpen(); err != nil {
		w.err = err
		return
	}
	w.err = c.write(func() error {
		c.hbuf.Reset()
		c.henc.WriteField(hpack.HeaderField{Name: ":status", Value: strconv.Itoa(code)})
		encodeFields(c, h, false)
		return c.writeHeaderBlock(w.st.id, false)
	})
}

// sendContinue answers Expect: 100-continue when the body is first read,
// unless the response head went out first. The body may be read outside
// the handler's goroutine (an HTTP/2 backend's transport reads it), so
// this touches only what the write lock guards.
func (st *stream) sendContinue() {
	c := st.c
	c.mu.Lock()
	gone := st.reset || c.closed
	c.mu.Unlock()
	if gone {
		return
	}
	c.write(func() error {
		if st.w.headSent {
			return nil
		}
		c.hbuf.Reset()
		c.henc.WriteField(hpack.HeaderField{Name: ":status", Value: "100"})
		return c.writeHeaderBlock(st.id, false)
	})
}

// checkOpen reports whether the stream can still be written.
func (w *response) checkOpen() error {
	c := w.st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case w.st.reset:
		return errStreamReset
	case c.closed:
		return httpwire.ErrClientGone
	}
	return nil
}

func (w *response) Write(p []byte) (int, error) {
	if w.Status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if n, send, err := w.Accept(len(p), w.err); !send {
		return n, err
	}
	if !w.headSent && len(w.pending)+len(p) <= h2MaxPending {
		if w.pending == nil {
			w.pending = (*pendingPool.Get().(*[]byte))[:0]
		}
		w.pending = append(w.pending, p...)
		return len(p), nil
	}
	if err := w.send(p, false, false); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (w *response) Flush() { w.FlushError() }

// FlushError sends the head and what the handler has written.
func (w *response) FlushError() error {
	if w.Status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return w.err
	}
	if w.headSent && len(w.pending) == 0 {
		return nil
	}
	return w.send(nil, false, false)
}

// send writes the head if it is unsent, the pending body and p, ending
// the stream with the last of them when end is set. final says the
// handler has returned: a head still unsent then declares the length.
func (w *response) send(p []byte, end, final bool) error {
	if w.err != nil {
		return w.err
	}
	st, c := w.st, w.st.c
	data := p
	if len(w.pending) > 0 {
		data = append(w.pending, p...)
		w.pending = data[:0]
	}
	if w.NoBody {
		data = nil
	}
	for first := true; first || len(data) > 0; first = false {
		// HEADERS are not flow-controlled: a head goes out at once, with
		// as much of the body as the windows allow.
		n, err := w.takeWindow(len(data), w.headSent)
		if err != nil {
			w.err = err
			return err
		}
		chunk := data[:n]
		data = data[n:]
		last := end && len(data) == 0
		w.err = c.writeFrames(func() error {
			if !w.headSent {
				w.headSent = true
				if err := w.writeHead(final, last && len(chunk) == 0); err != nil {
					return err
				}
			}
			if len(chunk) > 0 || last && !w.ended {
				w.ended = last
				return c.fr.WriteData(st.id, last, chunk)
			}
			return nil
		}, final)
		if w.err != nil {
			return w.err
		}
	}
	return nil
}

var (
	pendingPool   = sync.Pool{New: func() any { b := make([]byte, 0, h2MaxPending); return &b }}
	headerMapPool sync.Pool
)

func getHeaderMap() http.Header {
	if h, ok := headerMapPool.Get().(http.Header); ok {
		return h
	}
	return make(http.Header, 8)
}

// release returns the response's buffers once the handler has returned
// and the response is done (the handler keeps none of them).
func (w *response) release() {
	if p := w.pending; cap(p) == h2MaxPending {
		p = p[:0]
		pendingPool.Put(&p)
	}
	w.pending = nil
	if h := w.Fields; len(h) <= 64 {
		clear(h)
		headerMapPool.Put(h)
	}
	w.Fields = nil
}

// takeWindow takes up to a frame of n bytes from the windows, waiting
// for some when wait is set and they are closed. n == 0 takes nothing.
func (w *response) takeWindow(n int, wait bool) (int, error) {
	st, c := w.st, w.st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		switch {
		case st.reset:
			return 0, errStreamReset
		case c.closed:
			return 0, httpwire.ErrClientGone
		}
		if n == 0 {
			return 0, nil
		}
		allow := min(int64(n), c.sendWindow, st.sendWindow, int64(c.maxFrame))
		if allow > 0 {
			c.sendWindow -= allow
			st.sendWindow -= allow
			return int(allow), nil
		}
		if !wait {
			return 0, nil
		}
		c.cond.Wait()
	}
}

// writeHead encodes and writes the response head, under the write lock.
func (w *response) writeHead(final, endStream bool) error {
	c := w.st.c
	c.hbuf.Reset()
	var num [20]byte
	c.henc.WriteField(hpack.HeaderField{Name: ":status", Value: string(strconv.AppendInt(num[:0], int64(w.Status), 10))})
	encodeFields(c, w.Fields, w.Trailers)
	if _, ok := w.Fields["Date"]; !ok {
		c.henc.WriteField(hpack.HeaderField{Name: "date", Value: httpwire.Date()})
	}
	if final && w.LengthKnown() {
		// The handler has returned: all it wrote is about to follow.
		c.henc.WriteField(hpack.HeaderField{Name: "content-length", Value: string(strconv.AppendInt(num[:0], w.Written, 10))})
	}
	if endStream {
		w.ended = true
	}
	return c.writeHeaderBlock(w.st.id, endStream)
}

// encodeFields encodes h's fields in lower case, without trailers (when
// announced is set, those named in Trailer), names that are not tokens,
// and HTTP/1 connection fields.
func encodeFields(c *conn, h http.Header, announced bool) {
	for k, vv := range h {
		if !httpwire.InHead(h, k, announced) {
			continue
		}
		name := lowerH2Key(k)
		if connSpecific[name] || name == "te" {
			continue
		}
		for _, v := range vv {
			c.henc.WriteField(hpack.HeaderField{Name: name, Value: httpwire.HeaderValue(textproto.TrimString(v))})
		}
	}
}

// writeHeaderBlock writes the encoded block in c.hbuf as HEADERS and
// CONTINUATION frames of the client's frame size.
func (c *conn) writeHeaderBlock(id uint32, endStream bool) error {
	c.mu.Lock()
	max := c.maxFrame
	c.mu.Unlock()
	block := c.hbuf.Bytes()
	first := block[:min(len(block), max)]
	rest := block[len(first):]
	if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: first,
		EndStream: endStream, EndHeaders: len(rest) == 0}); err != nil {
		return err
	}
	for len(rest) > 0 {
		frag := rest[:min(len(rest), max)]
		rest = rest[len(frag):]
		if err := c.fr.WriteContinuation(id, len(rest) == 0, frag); err != nil {
			return err
		}
	}
	return nil
}

// finish ends the response after the handler returned: the head if still
// unsent, the pending body, the trailers, END_STREAM.
func (w *response) finish() {
	if w.Status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil || w.ended {
		return
	}
	trailers := w.trailerFields()
	if len(trailers) == 0 {
		w.send(nil, true, true)
		return
	}
	if err := w.send(nil, false, true); err != nil {
		return
	}
	c := w.st.c
	if w.checkOpen() != nil {
		return
	}
	w.err = c.write(func() error {
		c.hbuf.Reset()
		for _, f := range trailers {
			c.henc.WriteField(f)
		}
		w.ended = true
		return c.writeHeaderBlock(w.st.id, true)
	})
}

// trailerFields are the response's trailers: those announced in the
// Trailer header and set after the head, and those set with
// http.TrailerPrefix.
func (w *response) trailerFields() []hpack.HeaderField {
	var out []hpack.HeaderField
	if w.NoBody && !w.IsHead {
		return nil
	}
	httpwire.EachTrailer(w.Fields, func(name, value string) {
		out = append(out, hpack.HeaderField{Name: lowerH2Key(name), Value: value})
	})
	return out
}

// shutdown sends GOAWAY on every connection, closes those without
// streams, and waits until the others have finished theirs, or for ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.shutting.Store(true)
	s.conns.StopAccepting(func(c *conn) {
		// A connection whose client stopped reading holds its write lock
		// in a blocked write: its GOAWAY waits in a goroutine of its own,
		// which Close (ctx ending) releases, so that Shutdown still
		// honours ctx.
		go c.shutdownGoAway()
	})
	select {
	case <-s.conns.Done():
		s.stopWorkers()
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// shutdownGoAway tells the client that no new stream will be served, and
// closes the connection if it has no stream left.
func (c *conn) shutdownGoAway() {
	c.mu.Lock()
	if !c.prefaceDone {
		// The server's first frame must be SETTINGS: a connection still
		// in its preface is closed instead.
		c.mu.Unlock()
		c.conn.Close()
		return
	}
	last := c.lastStream
	c.goingAway = true
	c.mu.Unlock()
	c.write(func() error { return c.fr.WriteGoAway(last, http2.ErrCodeNo, nil) })
	c.mu.Lock()
	c.idleCheckLocked() // closes the connection if it has no stream
	c.mu.Unlock()
}

// close closes every connection at once.
func (s *Server) Close() {
	s.init()
	s.shutting.Store(true)
	s.conns.StopAccepting(func(c *conn) { c.conn.Close() })
	s.stopWorkers()
}

func (s *Server) stopWorkers() {
	s.quitOnce.Do(func() { close(s.quit) })
}
