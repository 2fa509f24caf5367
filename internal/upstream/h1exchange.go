package upstream

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/e2etls/e2etls/internal/httpwire"
)

// errStaleConn is a pooled connection the backend had closed before the
// request reached it: nothing was processed, so the request may be sent
// again on a fresh connection.
var errStaleConn = errors.New("gateway: backend closed an idle connection")

// roundTrip sends req (URL path and query, Host and headers already set for
// the backend) on a connection to ep and reads the response head. Its
// deadline covers the dial, the request and the response head; the body
// then streams without one. The response body returns the connection to the
// pool when read to the end, and closes it otherwise.
func (c *h1Client) roundTrip(ctx context.Context, ep *Endpoint, req *http.Request, deadline time.Time, trip *Trip) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		bc, err := c.get(ctx, ep, deadline, trip)
		if err != nil {
			return nil, err
		}
		resp, err := c.exchange(ctx, bc, req, deadline)
		if err == nil {
			return resp, nil
		}
		bc.close()
		// A connection the backend closed while idle is retried once for a
		// request that is safe to repeat (it may have been processed
		// before the close, as net/http's transport also assumes).
		if errors.Is(err, errStaleConn) && attempt == 0 && req.Body == nil && httpwire.Idempotent(req.Method) {
			continue
		}
		return nil, err
	}
}

func (c *h1Client) exchange(ctx context.Context, bc *backendConn, req *http.Request, deadline time.Time) (*http.Response, error) {
	bc.inUse.Store(true)
	bc.conn.SetDeadline(deadline)
	if bc.drained.Load() {
		// The drain ended while the connection was handed out; its abort
		// may have come before the deadline above replaced it.
		return nil, fmt.Errorf("%w: connection to a drained member", ErrDrained)
	}
	// Until the exchange ends (the body is read or closed), ending ctx
	// aborts it: the client left. (The end of the member's drain time
	// aborts it too: see newBackendConn.)
	stop := context.AfterFunc(ctx, bc.abort)
	ok := false
	defer func() {
		if !ok {
			stop()
		}
	}()
	if err := writeRequest(bc.bw, req); err != nil {
		return nil, c.ioError(ctx, bc, err, false)
	}
	if req.Body != nil {
		if err := writeBody(bc.bw, req); err != nil {
			return nil, c.ioError(ctx, bc, err, false)
		}
	}
	if err := bc.bw.Flush(); err != nil {
		return nil, c.ioError(ctx, bc, err, false)
	}
	var resp *http.Response
	for {
		var err error
		if _, err = bc.br.Peek(1); err != nil {
			return nil, c.ioError(ctx, bc, err, true)
		}
		var frame bodyFrame
		resp, frame, err = readResponseHead(bc.br, req)
		if err != nil {
			if errors.Is(err, errBadResponse) {
				return nil, err
			}
			return nil, c.ioError(ctx, bc, err, false)
		}
		// Interim responses other than 101 are consumed here; the client's
		// own 100-continue is answered by the frontend server.
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			continue
		}
		body := &pooledBody{c: c, bc: bc, stop: stop, reusable: !resp.Close && !req.Close, frame: frame}
		if frame.kind == frameChunked {
			body.chunks = httpwire.ChunkedReader{BR: bc.br, Trailer: &resp.Trailer}
		}
		resp.Body = body
		break
	}
	bc.conn.SetDeadline(time.Time{})
	resp.TLS = bc.tls
	ok = true
	if resp.StatusCode == http.StatusSwitchingProtocols {
		stop() // an upgraded connection lives on its own
		resp.Body = &upgradedConn{bc: bc}
		return resp, nil
	}
	if b := resp.Body.(*pooledBody); b.frame.kind == frameNone {
		b.finish(true)
	}
	return resp, nil
}

// ioError explains a failed exchange. A connection that had served requests
// before and failed before any byte of the response arrived was closed by
// the backend while idle (unless ctx ended or the deadline passed).
func (c *h1Client) ioError(ctx context.Context, bc *backendConn, err error, beforeResponse bool) error {
	if bc.drained.Load() {
		return fmt.Errorf("%w: %v", ErrDrained, err)
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if httpwire.IsTimeoutErr(err) {
		return ErrRequestTimeout
	}
	if bc.reused && (beforeResponse || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isConnReset(err)) {
		return fmt.Errorf("%w: %v", errStaleConn, err)
	}
	return err
}

func isConnReset(err error) bool {
	s := err.Error()
	return strings.Contains(s, "connection reset") || strings.Contains(s, "broken pipe")
}

// writeRequest writes the request line and headers. The caller has removed
// hop-by-hop headers and set Host; framing headers are set here.
func writeRequest(w *bufio.Writer, req *http.Request) error {
	w.WriteString(req.Method)
	w.WriteByte(' ')
	w.WriteString(req.URL.RequestURI())
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(req.Host)
	w.WriteString("\r\n")
	for k, vv := range req.Header {
		if k == "Host" || k == "Content-Length" || k == "Transfer-Encoding" || k == "Expect" {
			continue
		}
		for _, v := range vv {
			w.WriteString(k)
			w.WriteString(": ")
			w.WriteString(httpwire.HeaderValue(v))
			w.WriteString("\r\n")
		}
	}
	switch {
	case req.Body == nil:
		if req.Method == http.MethodPost || req.Method == http.MethodPut || req.Method == http.MethodPatch {
			w.WriteString("Content-Length: 0\r\n")
		}
	case req.ContentLength > 0:
		w.WriteString("Content-Length: ")
		w.WriteString(strconv.FormatInt(req.ContentLength, 10))
		w.WriteString("\r\n")
	default:
		w.WriteString("Transfer-Encoding: chunked\r\n")
	}
	if req.Close {
		w.WriteString("Connection: close\r\n")
	}
	_, err := w.WriteString("\r\n")
	return err
}

// writeBody streams the request body, chunked when its length is unknown,
// and passes the request's trailers on. Each piece is flushed as soon as it
// is read, so a slow upload reaches the backend as it arrives; a small body
// still leaves in one write with the request head.
func writeBody(w *bufio.Writer, req *http.Request) error {
	bp := httpwire.GetBuffer()
	defer httpwire.PutBuffer(bp)
	buf := *bp
	chunked := req.ContentLength <= 0
	var body io.Reader = req.Body
	if !chunked {
		body = io.LimitReader(req.Body, req.ContentLength)
	}
	var sent int64
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			sent += int64(n)
			if chunked {
				w.WriteString(strconv.FormatInt(int64(n), 16))
				w.WriteString("\r\n")
			}
			w.Write(buf[:n])
			if chunked {
				w.WriteString("\r\n")
			}
			if err := w.Flush(); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	if !chunked {
		if sent < req.ContentLength {
			return io.ErrUnexpectedEOF
		}
		return nil
	}
	w.WriteString("0\r\n")
	for k, vv := range req.Trailer {
		for _, v := range vv {
			w.WriteString(k + ": " + httpwire.HeaderValue(v) + "\r\n")
		}
	}
	_, err := w.WriteString("\r\n")
	return err
}

// pooledBody is a response body that gives its connection back to the
// pool once read to the end.
type pooledBody struct {
	c        *h1Client
	bc       *backendConn
	frame    bodyFrame
	chunks   httpwire.ChunkedReader
	stop     func() bool // unregisters the exchange's cancellation
	reusable bool
	done     bool
	err      error // the error that ended the body early
}

func (b *pooledBody) Read(p []byte) (int, error) {
	if b.done {
		if b.err != nil {
			return 0, b.err
		}
		return 0, io.EOF
	}
	var n int
	var err error
	switch b.frame.kind {
	case frameNone:
		err = io.EOF
	case frameLength:
		if b.frame.length == 0 {
			err = io.EOF
			break
		}
		if int64(len(p)) > b.frame.length {
			p = p[:b.frame.length]
		}
		n, err = b.bc.br.Read(p)
		b.frame.length -= int64(n)
		switch {
		case b.frame.length == 0:
			err = io.EOF
		case err == io.EOF:
			err = io.ErrUnexpectedEOF
		}
	case frameChunked:
		n, err = b.chunks.Read(p)
	case frameEOF:
		n, err = b.bc.br.Read(p)
	}
	if err == io.EOF {
		b.finish(b.frame.kind != frameEOF)
	} else if err != nil {
		b.err = err
		b.finish(false)
	}
	return n, err
}

func (b *pooledBody) Close() error {
	b.finish(false)
	return nil
}

func (b *pooledBody) finish(clean bool) {
	if b.done {
		return
	}
	b.done = true
	if !b.stop() || b.bc.drained.Load() {
		clean = false // the cancellation fired: the connection's deadline is spent
	}
	if clean && b.reusable && b.bc.br.Buffered() == 0 {
		b.c.put(b.bc)
		return
	}
	b.bc.close()
}

// upgradedConn is the backend side of a switched protocol (101): reads come
// through the buffered reader, writes go straight to the connection.
type upgradedConn struct{ bc *backendConn }

func (u *upgradedConn) Read(p []byte) (int, error)  { return u.bc.br.Read(p) }
func (u *upgradedConn) Write(p []byte) (int, error) { return u.bc.conn.Write(p) }
func (u *upgradedConn) Close() error {
	if u.bc.stopDrain != nil {
		u.bc.stopDrain()
	}
	return u.bc.conn.Close()
}
