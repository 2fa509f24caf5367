package h1

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/e2etls/e2etls/internal/httpwire"
)

// maxVersionBytes bounds the request line's version field.
const maxVersionBytes = 64

// errConnRead is a connection that failed or ended before a whole head
// arrived: nothing is answered.
var errConnRead = &httpwire.Refusal{}

var headPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// readRequest reads and parses a request head into the connection's reused
// request, refusing in the same pass what a gateway must not pass on. A
// refusal with status 0 means the connection failed or ended: nothing is
// answered. The request returned with a refusal is nil when the head did
// not parse.
func (c *conn) readRequest() (*http.Request, *httpwire.Refusal) {
	c.nc.SetReadDeadline(time.Now().Add(c.s.Timeouts.ReadHeader()))
	hp := headPool.Get().(*[]byte)
	head := (*hp)[:0]
	defer func() {
		*hp = head[:0]
		headPool.Put(hp)
	}()
	// Leading empty lines are skipped, as RFC 9112 section 2.2 allows.
	lines := 0
	requestLine := 0 // bytes of the request line, once read
	lineStart := 0   // where the line being read starts in head
	partial := false // the last read ended inside a line longer than the buffer
	for {
		line, err := c.br.ReadSlice('\n')
		if !partial {
			lineStart = len(head)
		}
		if err == bufio.ErrBufferFull {
			head = append(head, line...)
			if r := headTooLarge(len(head), requestLine); r != nil {
				return nil, r
			}
			partial = true
			continue
		}
		if err != nil {
			return nil, errConnRead
		}
		partial = false
		head = append(head, line...)
		n := len(head) - lineStart
		blank := n == 1 || n == 2 && head[lineStart] == '\r'
		if blank && lineStart == 0 {
			head = head[:0]
			continue
		}
		if r := headTooLarge(len(head), requestLine); r != nil {
			return nil, r
		}
		if blank {
			break
		}
		if requestLine == 0 {
			requestLine = len(head)
			continue
		}
		// A line that continues the previous one (obsolete line folding),
		// or that starts with CR, is refused before anything is parsed.
		switch head[lineStart] {
		case ' ', '\t':
			return nil, httpwire.RefuseLineFolding
		case '\r':
			return nil, httpwire.RefuseHeaderLine
		}
		lines++
	}
	return c.parseHead(string(head), lines)
}

// headTooLarge refuses a head that has grown past the limits: n bytes so
// far, the request line's length once read (0 while it is being read).
func headTooLarge(n, requestLine int) *httpwire.Refusal {
	switch {
	case requestLine == 0 && n > httpwire.MaxURIBytes+2*maxVersionBytes:
		return httpwire.RefuseURITooLong
	case requestLine > 0 && n-requestLine > httpwire.MaxHeaderBytes:
		return httpwire.RefuseHeadersTooLarge
	}
	return nil
}

// parseHead fills the connection's request from head, the request line
// and header lines through the empty line.
func (c *conn) parseHead(head string, lines int) (*http.Request, *httpwire.Refusal) {
	r := c.req
	*r = *c.template
	clear(c.header)
	r.Header = c.header
	r.RemoteAddr = c.remote
	r.TLS = c.tls

	line, rest := httpwire.NextLine(head)
	method, after, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(after, " ")
	switch {
	case !ok1 || !ok2:
		if len(line) > httpwire.MaxURIBytes {
			return nil, httpwire.RefuseURITooLong
		}
		return nil, httpwire.RefuseRequestLine
	case len(method) > httpwire.MaxURIBytes || len(target) > httpwire.MaxURIBytes ||
		len(method)+len(target) > httpwire.MaxURIBytes+maxVersionBytes:
		return nil, httpwire.RefuseURITooLong
	case len(proto) > maxVersionBytes:
		return nil, httpwire.RefuseRequestLine
	case !httpwire.ValidMethod(method):
		return nil, httpwire.RefuseMethod
	}
	major, minor, ok := http.ParseHTTPVersion(proto)
	if !ok {
		return nil, httpwire.RefuseRequestLine
	}
	r.Method, r.RequestURI, r.Proto, r.ProtoMajor, r.ProtoMinor = method, target, proto, major, minor
	if !c.parseTarget(r, method, target) {
		return nil, httpwire.RefuseTarget
	}

	values := make([]string, 0, lines)
	for {
		line, rest = httpwire.NextLine(rest)
		if line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !httpguts.ValidHeaderFieldName(name) {
			return nil, httpwire.RefuseHeaderName
		}
		value = strings.Trim(value, " \t")
		if !httpguts.ValidHeaderFieldValue(value) {
			return nil, httpwire.RefuseHeaderValue
		}
		key := textproto.CanonicalMIMEHeaderKey(name)
		vv := c.header[key]
		if vv == nil && len(values) < cap(values) {
			// Values share one backing array; each field's slice is
			// capped so that an append copies.
			i := len(values)
			values = values[:i+1]
			values[i] = value
			c.header[key] = values[i : i+1 : i+1]
		} else {
			c.header[key] = append(vv, value)
		}
	}
	return c.finishHead(r)
}

// parseTarget sets r.URL from the request target as url.ParseRequestURI
// would, without allocating for the usual origin-form target.
func (c *conn) parseTarget(r *http.Request, method, target string) bool {
	c.url = url.URL{}
	r.URL = &c.url
	if httpwire.ParseOriginForm(&c.url, target) {
		return true
	}
	raw := target
	authority := method == http.MethodConnect && !strings.HasPrefix(target, "/")
	if authority {
		raw = "http://" + target
	}
	u, err := url.ParseRequestURI(raw)
	if err != nil {
		return false
	}
	if authority {
		u.Scheme = ""
	}
	c.url = *u
	return true
}

// finishHead checks the parsed header and sets the request's host, framing
// and body, as net/http's server does, refusing the framings a gateway must
// not pass on: Content-Length with Transfer-Encoding, differing or
// malformed Content-Lengths, Transfer-Encoding in HTTP/1.0 or other than
// one "chunked".
func (c *conn) finishHead(r *http.Request) (*http.Request, *httpwire.Refusal) {
	h := r.Header
	var cl int64 = -1
	for _, v := range h["Content-Length"] {
		n, ok := httpwire.ParseContentLength(v)
		if !ok || cl >= 0 && n != cl {
			return nil, httpwire.RefuseContentLength
		}
		cl = n
	}
	http10 := r.ProtoMajor < 1 || r.ProtoMajor == 1 && r.ProtoMinor == 0
	te := h["Transfer-Encoding"]
	switch {
	case len(te) > 0 && cl >= 0:
		return nil, httpwire.RefuseAmbiguousLength
	case len(te) > 0 && http10:
		return nil, httpwire.RefuseHTTP10Chunked
	case len(te) > 1 || len(te) == 1 && !strings.EqualFold(strings.Trim(te[0], " \t"), "chunked"):
		return nil, httpwire.RefuseTransferEncoding
	case r.ProtoMajor != 1:
		return nil, httpwire.RefuseVersion
	}

	hosts := h["Host"]
	switch {
	case len(hosts) > 1:
		return nil, httpwire.RefuseManyHosts
	case len(hosts) == 1 && !httpguts.ValidHostHeader(hosts[0]):
		return nil, httpwire.RefuseBadHost
	case len(hosts) == 0 && r.ProtoAtLeast(1, 1) && r.Method != http.MethodConnect:
		return nil, httpwire.RefuseNoHost
	}
	r.Host = r.URL.Host
	if r.Host == "" && len(hosts) == 1 {
		r.Host = hosts[0]
	}
	delete(h, "Host")

	conn := h["Connection"]
	if http10 {
		r.Close = !httpguts.HeaderValuesContainsToken(conn, "keep-alive")
	} else {
		r.Close = httpguts.HeaderValuesContainsToken(conn, "close")
	}

	b := &c.body
	*b = body{c: c}
	if len(te) > 0 {
		delete(h, "Transfer-Encoding")
		r.TransferEncoding = httpwire.ChunkedEncoding
		r.ContentLength = -1
		b.chunked = true
		b.chunks = httpwire.ChunkedReader{BR: c.br, Trailer: &r.Trailer, Strict: true}
		if announced := h["Trailer"]; len(announced) > 0 {
			delete(h, "Trailer") // as net/http: the names are r.Trailer's keys
			for _, k := range httpwire.TrailerNames(announced) {
				switch k {
				case "Transfer-Encoding", "Trailer", "Content-Length":
					return nil, httpwire.RefuseHeaderName
				}
				if r.Trailer == nil {
					r.Trailer = make(http.Header)
				}
				r.Trailer[k] = nil
			}
		}
		r.Body = b
		return r, nil
	}
	if cl >= 0 {
		if vv := h["Content-Length"]; len(vv) > 1 {
			h["Content-Length"] = vv[:1]
		}
		r.ContentLength = cl
		b.remain = cl
	}
	if r.ContentLength == 0 {
		r.Body = http.NoBody
		b.done.Store(true)
		return r, nil
	}
	r.Body = b
	return r, nil
}

// body is a request body: Content-Length bytes, or chunked.
type body struct {
	c              *conn
	chunked        bool
	chunks         httpwire.ChunkedReader
	remain         int64 // Content-Length: bytes left
	continueNeeded bool  // Expect: 100-continue, not yet answered
	closed         bool
	err            error       // sticky read error
	done           atomic.Bool // read to its end
}

func (b *body) Read(p []byte) (int, error) {
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	if b.done.Load() {
		return 0, io.EOF
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.continueNeeded {
		b.continueNeeded = false
		if !b.c.w.headSent && b.c.w.Status == 0 {
			if _, err := io.WriteString(b.c.nc, "HTTP/1.1 100 Continue\r\n\r\n"); err != nil {
				b.err = err
				return 0, err
			}
		}
	}
	n, err := b.read(p)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

func (b *body) read(p []byte) (int, error) {
	if b.chunked {
		n, err := b.chunks.Read(p)
		switch {
		case err == io.EOF:
			b.done.Store(true)
		case errors.Is(err, httpwire.ErrMalformedChunked):
			b.c.bodyBroken(err)
		}
		return n, err
	}
	if int64(len(p)) > b.remain {
		p = p[:b.remain]
	}
	n, err := b.c.br.Read(p)
	b.remain -= int64(n)
	if b.remain == 0 {
		b.done.Store(true)
		return n, io.EOF
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (b *body) Close() error {
	b.closed = true
	return nil
}

// discard reads and drops up to max bytes of what the handler left of the
// body; it reports whether the body ended.
func (b *body) discard(max int64) bool {
	if b.done.Load() {
		return true
	}
	if b.continueNeeded || b.err != nil {
		return false // the client waits for 100 Continue, or the body broke
	}
	b.closed = false
	n, _ := io.CopyN(io.Discard, b, max)
	return n < max && b.done.Load()
}
