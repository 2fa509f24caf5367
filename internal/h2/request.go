package h2

import (
	"context"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/http2"

	"github.com/e2etls/e2etls/internal/httpwire"
)

// connSpecific are the header fields HTTP/2 forbids (RFC 9113 section
// 8.2.2).
var connSpecific = map[string]bool{
	"connection": true, "keep-alive": true, "proxy-connection": true,
	"transfer-encoding": true, "upgrade": true,
}

func (c *conn) onHeaders(f *http2.MetaHeadersFrame) error {
	id := f.StreamID
	if id%2 == 0 {
		return http2.ConnectionError(http2.ErrCodeProtocol)
	}
	c.mu.Lock()
	if st := c.streams[id]; st != nil {
		c.mu.Unlock()
		return c.onTrailers(st, f)
	}
	if id <= c.lastStream {
		c.mu.Unlock()
		return http2.ConnectionError(http2.ErrCodeProtocol)
	}
	c.lastStream = id
	if f.HasPriority() && f.Priority.StreamDep == id {
		c.mu.Unlock()
		return c.write(func() error { return c.fr.WriteRSTStream(id, http2.ErrCodeProtocol) })
	}
	if c.goingAway {
		c.mu.Unlock()
		return nil // beyond the GOAWAY's last stream: ignored
	}
	if len(c.streams) >= httpwire.MaxConcurrentStreams {
		c.mu.Unlock()
		return c.write(func() error { return c.fr.WriteRSTStream(id, http2.ErrCodeRefusedStream) })
	}
	c.mu.Unlock()

	st := &stream{c: c, id: id, declared: -1}
	r, code := c.newRequest(st, f)
	if code != http2.ErrCodeNo {
		return c.write(func() error { return c.fr.WriteRSTStream(id, code) })
	}
	st.req = r
	st.w = response{st: st}
	st.w.Reset(getHeaderMap(), r.Method)
	st.body.st = st
	if f.StreamEnded() {
		st.remoteClosed = true
		st.body.err = io.EOF
	}

	c.mu.Lock()
	if c.running >= httpwire.MaxConcurrentStreams && len(c.queue) >= h2MaxQueued {
		// Streams the client reset still hold their handlers, and it
		// keeps opening more (rapid reset).
		c.mu.Unlock()
		st.cancel(errConnGoingAway)
		return http2.ConnectionError(http2.ErrCodeEnhanceYourCalm)
	}
	st.sendWindow = c.initWindow
	st.recvWindow = h2StreamWindow
	c.streams[id] = st
	if c.running >= httpwire.MaxConcurrentStreams {
		c.queue = append(c.queue, st)
		c.idleCheckLocked()
		c.mu.Unlock()
		return nil
	}
	c.running++
	st.started = true
	c.idleCheckLocked()
	c.mu.Unlock()
	c.s.dispatch(st)
	return nil
}

// newRequest builds a stream's request from its head. A head HTTP/2
// calls malformed returns the code to reset the stream with.
func (c *conn) newRequest(st *stream, f *http2.MetaHeadersFrame) (*http.Request, http2.ErrCode) {
	var method, path, scheme, authority string
	for _, hf := range f.PseudoFields() {
		switch hf.Name {
		case ":method":
			method = hf.Value
		case ":path":
			path = hf.Value
		case ":scheme":
			scheme = hf.Value
		case ":authority":
			authority = hf.Value
		default: // :protocol (extended CONNECT is not offered), :status
			return nil, http2.ErrCodeProtocol
		}
	}
	isConnect := method == http.MethodConnect
	switch {
	case method == "" || !httpwire.ValidMethod(method):
		return nil, http2.ErrCodeProtocol
	case isConnect && (path != "" || scheme != "" || authority == ""):
		return nil, http2.ErrCodeProtocol
	case !isConnect && (path == "" || scheme != "https" && scheme != "http"):
		return nil, http2.ErrCodeProtocol
	}
	regular := f.RegularFields()
	h := make(http.Header, len(regular))
	values := make([]string, len(regular)) // one backing array for the values
	var cookies []string
	for i, hf := range regular {
		if connSpecific[hf.Name] || hf.Name == "te" && hf.Value != "trailers" {
			return nil, http2.ErrCodeProtocol
		}
		if hf.Name == "cookie" {
			cookies = append(cookies, hf.Value)
			continue
		}
		k := canonicalH2Key(hf.Name)
		if vv := h[k]; vv == nil {
			values[i] = hf.Value
			h[k] = values[i : i+1 : i+1]
		} else {
			h[k] = append(vv, hf.Value)
		}
	}
	if len(cookies) > 0 {
		h["Cookie"] = []string{strings.Join(cookies, "; ")}
	}

	st.ctx, st.cancel = context.WithCancelCause(c.ctx)
	r := c.zero.WithContext(st.ctx)
	r.Method = method
	r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/2.0", 2, 0
	r.Header = h
	r.RemoteAddr = c.remote
	r.TLS = c.tls
	r.ContentLength = -1
	if hosts := h["Host"]; len(hosts) > 0 {
		delete(h, "Host")
		switch {
		case len(hosts) > 1:
			st.refuse = httpwire.RefuseManyHosts
		case authority == "":
			authority = hosts[0]
		case hosts[0] != authority:
			st.refuse = httpwire.RefuseHostMismatch
		}
	}
	r.Host = authority
	if isConnect {
		r.URL = &url.URL{Host: authority}
		r.RequestURI = authority
	} else {
		r.URL = &st.url
		if !httpwire.ParseOriginForm(&st.url, path) {
			u, err := url.ParseRequestURI(path)
			if err != nil {
				st.cancel(errStreamClosed)
				return nil, http2.ErrCodeProtocol
			}
			r.URL = u
		}
		r.RequestURI = path
	}
	if cl := h["Content-Length"]; len(cl) > 0 {
		n, ok := httpwire.ParseContentLength(cl[0])
		if !ok || len(cl) > 1 && cl[1] != cl[0] {
			st.cancel(errStreamClosed)
			return nil, http2.ErrCodeProtocol
		}
		h["Content-Length"] = cl[:1]
		st.declared = n
		r.ContentLength = n
	}
	if announced := h["Trailer"]; len(announced) > 0 {
		delete(h, "Trailer")
		for _, k := range httpwire.TrailerNames(announced) {
			if !httpguts.ValidTrailerHeader(k) {
				continue
			}
			if r.Trailer == nil {
				r.Trailer = make(http.Header)
			}
			r.Trailer[k] = nil
		}
	}
	if f.StreamEnded() {
		if st.declared > 0 {
			st.cancel(errStreamClosed)
			return nil, http2.ErrCodeProtocol
		}
		r.Body = http.NoBody
		r.ContentLength = 0
	} else {
		r.Body = &st.body
		if ex := h["Expect"]; len(ex) > 0 && strings.EqualFold(textproto.TrimString(ex[0]), "100-continue") {
			st.body.continueNeeded = true
		}
	}
	switch {
	case f.Truncated:
		st.refuse = httpwire.RefuseHeaderListTooLarge
	case st.refuse != nil: // a bad Host, refused above
	case len(r.RequestURI) > httpwire.MaxURIBytes:
		st.refuse = httpwire.RefuseURITooLong
	case httpwire.HeaderBytes(r) > httpwire.MaxHeaderBytes:
		st.refuse = httpwire.RefuseHeadersTooLarge
	}
	return r, http2.ErrCodeNo
}

// canonicalH2Key is the canonical form of a lower-case field name.
func canonicalH2Key(name string) string {
	if k, ok := commonCanonical[name]; ok {
		return k
	}
	return textproto.CanonicalMIMEHeaderKey(name)
}

var commonCanonical, commonLower = func() (map[string]string, map[string]string) {
	canon, lower := map[string]string{}, map[string]string{}
	for _, k := range []string{
		"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Accept-Ranges",
		"Access-Control-Allow-Credentials", "Access-Control-Allow-Headers", "Access-Control-Allow-Methods",
		"Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Access-Control-Max-Age",
		"Access-Control-Request-Headers", "Access-Control-Request-Method", "Age", "Allow",
		"Authorization", "Cache-Control", "Content-Disposition", "Content-Encoding",
		"Content-Language", "Content-Length", "Content-Location", "Content-Range", "Content-Type",
		"Cookie", "Date", "Etag", "Expect", "Expires", "From", "Host", "If-Match",
		"If-Modified-Since", "If-None-Match", "If-Range", "If-Unmodified-Since", "Last-Modified",
		"Link", "Location", "Max-Forwards", "Origin", "Pragma", "Proxy-Authenticate",
		"Proxy-Authorization", "Range", "Referer", "Refresh", "Retry-After", "Server",
		"Set-Cookie", "Strict-Transport-Security", "Trailer", "User-Agent", "Vary", "Via",
		"Www-Authenticate", "X-Content-Type-Options", "X-E2etls-Error", "X-Forwarded-For",
		"X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Proto", "X-Original-Host",
		"X-Request-Id", "X-Frame-Options", "X-Ms-Client-Ip",
	} {
		l := strings.ToLower(k)
		canon[l], lower[k] = k, l
	}
	return canon, lower
}()

// lowerH2Key is the HTTP/2 (lower-case) form of a field name.
func lowerH2Key(k string) string {
	if l, ok := commonLower[k]; ok {
		return l
	}
	return strings.ToLower(k)
}

func (c *conn) onTrailers(st *stream, f *http2.MetaHeadersFrame) error {
	c.mu.Lock()
	remoteClosed := st.remoteClosed
	c.mu.Unlock()
	if remoteClosed {
		return c.streamError(st.id, http2.ErrCodeStreamClosed)
	}
	if !f.StreamEnded() || len(f.PseudoFields()) > 0 {
		return c.streamError(st.id, http2.ErrCodeProtocol)
	}
	if st.declared >= 0 && st.received != st.declared {
		return c.streamError(st.id, http2.ErrCodeProtocol)
	}
	c.mu.Lock()
	st.remoteClosed = true
	c.mu.Unlock()
	var trailer http.Header
	for _, hf := range f.RegularFields() {
		k := canonicalH2Key(hf.Name)
		if !httpguts.ValidTrailerHeader(k) {
			return c.streamError(st.id, http2.ErrCodeProtocol) // as net/http
		}
		if trailer == nil {
			trailer = make(http.Header)
		}
		trailer[k] = append(trailer[k], hf.Value)
	}
	st.body.end(trailer)
	c.streamRemoteDone(st)
	return nil
}

func (c *conn) onData(f *http2.DataFrame) error {
	id := f.StreamID
	n := int64(f.Length) // padding included: it counts against the windows
	data := f.Data()
	c.mu.Lock()
	if n > c.recvWindow {
		c.mu.Unlock()
		return http2.ConnectionError(http2.ErrCodeFlowControl)
	}
	c.recvWindow -= n
	st := c.streams[id]
	if st == nil || st.remoteClosed {
		c.mu.Unlock()
		if id > c.lastStream {
			return http2.ConnectionError(http2.ErrCodeProtocol)
		}
		c.refund(nil, n)
		return c.streamError(id, http2.ErrCodeStreamClosed)
	}
	if n > st.recvWindow {
		c.mu.Unlock()
		c.refund(nil, n)
		return c.streamError(id, http2.ErrCodeFlowControl)
	}
	st.recvWindow -= n
	st.received += int64(len(data))
	if st.declared >= 0 && (st.received > st.declared || f.StreamEnded() && st.received != st.declared) {
		c.mu.Unlock()
		c.refund(nil, n)
		return c.streamError(id, http2.ErrCodeProtocol)
	}
	if f.StreamEnded() {
		st.remoteClosed = true
	}
	c.mu.Unlock()
	if pad := n - int64(len(data)); pad > 0 {
		c.refund(st, pad)
	}
	if len(data) > 0 && !st.body.write(data) {
		c.refund(st, int64(len(data))) // the handler is done with the body
	}
	if f.StreamEnded() {
		st.body.end(nil)
		c.streamRemoteDone(st)
	}
	return nil
}

// refund gives n bytes of consumed body back to the client's windows, in
// WINDOW_UPDATEs once a quarter of a window is due. st is nil for data of
// a closed stream, which only the connection's window gets back.
func (c *conn) refund(st *stream, n int64) {
	if n <= 0 {
		return
	}
	var connInc, streamInc int64
	c.mu.Lock()
	c.recvUnacked += n
	if c.recvUnacked >= h2ConnWindow/4 {
		connInc = c.recvUnacked
		c.recvUnacked = 0
		c.recvWindow += connInc
	}
	if st != nil && !st.remoteClosed && !st.reset {
		st.recvUnacked += n
		if st.recvUnacked >= h2StreamWindow/4 {
			streamInc = st.recvUnacked
			st.recvUnacked = 0
			st.recvWindow += streamInc
		}
	}
	c.mu.Unlock()
	if connInc == 0 && streamInc == 0 {
		return
	}
	c.write(func() error {
		if connInc > 0 {
			if err := c.fr.WriteWindowUpdate(0, uint32(connInc)); err != nil {
				return err
			}
		}
		if streamInc > 0 {
			return c.fr.WriteWindowUpdate(st.id, uint32(streamInc))
		}
		return nil
	})
}

// streamRemoteDone notes that the client finished sending on st; the
// stream closes if its response is done too.
func (c *conn) streamRemoteDone(st *stream) {
	c.mu.Lock()
	if st.handlerDone && c.streams[st.id] == st {
		delete(c.streams, st.id)
		c.idleCheckLocked()
	}
	c.mu.Unlock()
}
