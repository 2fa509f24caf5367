package h1

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"time"

	"github.com/e2etls/e2etls/internal/httpwire"
)

// response is the http.ResponseWriter of a request on a conn.
type response struct {
	httpwire.Response
	c          *conn
	req        *http.Request
	headSent   bool
	bw         *bufio.Writer
	pending    []byte // body written before the head, when no length was declared
	chunked    bool
	closeAfter bool
	hijacked   bool
	err        error
}

// maxPending is how much body a response without a declared length may
// write before its head goes out with chunked framing; a response that
// ends within it gets a Content-Length.
const maxPending = 4 << 10

func (w *response) reset(r *http.Request) {
	h, c, pending := w.Fields, w.c, w.pending
	clear(h)
	*w = response{c: c, req: r, pending: pending[:0]}
	w.Response.Reset(h, r.Method)
	w.closeAfter = r.Close || c.s.shutting.Load()
}

func (w *response) WriteHeader(code int) {
	if w.hijacked {
		return
	}
	if w.Response.WriteHeader(code, true) {
		w.writeInterim(code)
	}
}

// writeInterim sends a 1xx response with the header set so far.
func (w *response) writeInterim(code int) {
	if !w.req.ProtoAtLeast(1, 1) {
		return // HTTP/1.0 clients get no interim responses (RFC 9110 section 15.2)
	}
	w.writer()
	w.bw.WriteString(statusLine(code))
	writeHeaderFields(w.bw, w.Fields, false)
	w.bw.WriteString("\r\n")
	if err := w.bw.Flush(); err != nil && w.err == nil {
		w.err = err
	}
}

func (w *response) writer() {
	if w.bw == nil {
		w.bw = getWriter(w.c.nc)
	}
}

func (w *response) Write(p []byte) (int, error) {
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	if w.Status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	n, send, err := w.Accept(len(p), w.err)
	if !send {
		return n, err
	}
	if !w.headSent {
		if w.Declared < 0 && len(w.pending)+len(p) <= maxPending {
			w.pending = append(w.pending, p...)
			return len(p), nil
		}
		w.sendHead(false)
	}
	return len(p), w.writeBody(p)
}

// writeBody writes p after the head, as a chunk when chunked.
func (w *response) writeBody(p []byte) error {
	if len(p) == 0 || w.err != nil {
		return w.err
	}
	if w.chunked {
		var hex [16]byte
		w.bw.Write(strconv.AppendInt(hex[:0], int64(len(p)), 16))
		w.bw.WriteString("\r\n")
		w.bw.Write(p)
		_, w.err = w.bw.WriteString("\r\n")
	} else {
		_, w.err = w.bw.Write(p)
	}
	return w.err
}

// sendHead writes the status line and header fields, choosing the framing:
// the declared Content-Length; at the end of a handler that declared none,
// the length it wrote; chunked for an HTTP/1.1 stream; for an HTTP/1.0
// stream, the end of the connection.
func (w *response) sendHead(final bool) {
	w.headSent = true
	w.writer()
	bw := w.bw
	bw.WriteString(statusLine(w.Status))
	writeHeaderFields(bw, w.Fields, w.Trailers)
	if _, ok := w.Fields["Date"]; !ok {
		bw.WriteString("Date: ")
		bw.WriteString(httpwire.Date())
		bw.WriteString("\r\n")
	}
	if w.c.body.continueNeeded {
		// The client waits for 100 Continue before it sends the body the
		// handler did not read: the connection cannot carry on.
		w.closeAfter = true
	}
	switch {
	case w.NoBody || w.Declared >= 0:
	case final && (w.LengthKnown() || !w.req.ProtoAtLeast(1, 1)):
		bw.WriteString("Content-Length: ")
		var num [20]byte
		bw.Write(strconv.AppendInt(num[:0], int64(len(w.pending)), 10))
		bw.WriteString("\r\n")
	case w.req.ProtoAtLeast(1, 1):
		w.chunked = true
		bw.WriteString("Transfer-Encoding: chunked\r\n")
	default:
		w.closeAfter = true
	}
	switch {
	case w.closeAfter:
		bw.WriteString("Connection: close\r\n")
	case !w.req.ProtoAtLeast(1, 1):
		bw.WriteString("Connection: keep-alive\r\n")
	}
	_, w.err = bw.WriteString("\r\n")
	if len(w.pending) > 0 {
		p := w.pending
		w.pending = w.pending[:0]
		w.writeBody(p)
	}
}

// writeHeaderFields writes the fields of h that go in a head.
func writeHeaderFields(bw *bufio.Writer, h http.Header, announced bool) {
	for k, vv := range h {
		if !httpwire.InHead(h, k, announced) {
			continue
		}
		for _, v := range vv {
			bw.WriteString(k)
			bw.WriteString(": ")
			bw.WriteString(httpwire.HeaderValue(textproto.TrimString(v)))
			bw.WriteString("\r\n")
		}
	}
}

func (w *response) Flush() { w.FlushError() }

// FlushError sends what the handler has written, the head first.
func (w *response) FlushError() error {
	if w.hijacked {
		return http.ErrHijacked
	}
	if w.Status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.headSent {
		w.sendHead(false)
	}
	if w.err == nil {
		w.err = w.bw.Flush()
	}
	return w.err
}

// finish completes the response after the handler returned: the head if
// it is still unsent, the last chunk and trailers, one flush. The
// connection closes after it when the response or the request said so,
// the response came up short of its Content-Length, or the handler left
// too much of the request body unread.
func (w *response) finish() error {
	if w.Status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	body := &w.c.body
	if !body.done.Load() && !w.closeAfter && !body.continueNeeded {
		// Read what is left of the body before the head goes out, so that
		// the head can say whether the connection stays open.
		if !body.discard(maxDiscardBody) {
			w.closeAfter = true
		}
	} else if !body.done.Load() {
		w.closeAfter = true
	}
	if !w.headSent {
		w.sendHead(true)
	}
	if w.chunked {
		w.bw.WriteString("0\r\n")
		httpwire.EachTrailer(w.Fields, func(name, value string) {
			w.bw.WriteString(name + ": " + value + "\r\n")
		})
		w.bw.WriteString("\r\n")
	}
	if w.Short() {
		w.closeAfter = true // the client must see the connection end
	}
	if w.err == nil {
		w.err = w.bw.Flush()
	}
	putWriter(w.bw)
	w.bw = nil
	if cap(w.pending) > maxPending {
		w.pending = nil
	}
	return w.err
}

// Hijack hands the connection to the handler (an upgrade): its buffered
// reader, which may hold bytes the client sent after the request, and a
// writer. The server no longer reads, writes or closes it.
func (w *response) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.hijacked {
		return nil, nil, http.ErrHijacked
	}
	if w.headSent {
		return nil, nil, errors.New("gateway: hijack after the response head was sent")
	}
	c := w.c
	c.stopWatch()
	w.hijacked = true
	if w.bw != nil {
		putWriter(w.bw)
		w.bw = nil
	}
	c.nc.SetDeadline(time.Time{})
	c.s.conns.Forget(c)
	return c.nc, bufio.NewReadWriter(c.br, bufio.NewWriter(c.nc)), nil
}

var statusLines = func() (t [600]string) {
	for code := 100; code < 600; code++ {
		if text := http.StatusText(code); text != "" {
			t[code] = "HTTP/1.1 " + strconv.Itoa(code) + " " + text + "\r\n"
		}
	}
	return t
}()

func statusLine(code int) string {
	if code < len(statusLines) && statusLines[code] != "" {
		return statusLines[code]
	}
	return "HTTP/1.1 " + strconv.Itoa(code) + " status code " + strconv.Itoa(code) + "\r\n"
}

// Header returns the response header map.
func (w *response) Header() http.Header { return w.Fields }
