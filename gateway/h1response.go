package gateway

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// The backend side's HTTP/1.1 response parsing. http.ReadResponse allocates
// some twenty objects per response (textproto's reader, a header map grown
// field by field, each value and most names as strings of their own, the
// transfer decoding state); readResponse reads a head into one string and
// its values into one slice, and frames the body itself, with net/http's
// rules where a backend gets them wrong: chunked framing wins over a
// Content-Length (and the connection is then not reused), a response with
// neither lasts until the connection ends.

// maxResponseHead bounds a backend's response head, as http.Transport's
// MaxResponseHeaderBytes does by default.
const maxResponseHead = 1 << 20

// errBadResponse marks a backend answer that is not HTTP/1.x.
var errBadResponse = errors.New("malformed HTTP response from the backend")

func badResponse(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadResponse, fmt.Sprintf(format, args...))
}

// readResponseHead reads one response head from br for req. The returned
// response's body is framed by frame; its Body is not set.
func readResponseHead(br *bufio.Reader, req *http.Request) (*http.Response, bodyFrame, error) {
	hp := headPool.Get().(*[]byte)
	head := (*hp)[:0]
	defer func() {
		*hp = head[:0]
		headPool.Put(hp)
	}()
	lines := 0
	partial := false
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			head = append(head, line...)
			if len(head) > maxResponseHead {
				return nil, bodyFrame{}, badResponse("the response head is larger than %d bytes", maxResponseHead)
			}
			partial = true
			continue
		}
		if err != nil {
			if err == io.EOF && len(head) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, bodyFrame{}, err
		}
		blank := !partial && (len(line) == 1 || len(line) == 2 && line[0] == '\r')
		partial = false
		head = append(head, line...)
		if len(head) > maxResponseHead {
			return nil, bodyFrame{}, badResponse("the response head is larger than %d bytes", maxResponseHead)
		}
		if blank {
			break
		}
		lines++
	}
	return parseResponseHead(string(head), lines, req)
}

// bodyFrame is how a response body ends.
type bodyFrame struct {
	kind   frameKind
	length int64 // frameLength
}

type frameKind uint8

const (
	frameNone    frameKind = iota // no body
	frameLength                   // Content-Length bytes
	frameChunked                  // chunked
	frameEOF                      // until the connection ends
)

func parseResponseHead(head string, lines int, req *http.Request) (*http.Response, bodyFrame, error) {
	line, rest := nextLine(head)
	proto, status, ok := strings.Cut(line, " ")
	if !ok {
		return nil, bodyFrame{}, badResponse("status line %q", clip(line))
	}
	major, minor, ok := http.ParseHTTPVersion(proto)
	if !ok || major != 1 {
		return nil, bodyFrame{}, badResponse("status line %q: not HTTP/1.x", clip(line))
	}
	code, _, _ := strings.Cut(status, " ")
	if len(code) != 3 || code[0] < '1' || code[0] > '9' || code[1] < '0' || code[1] > '9' || code[2] < '0' || code[2] > '9' {
		return nil, bodyFrame{}, badResponse("status line %q: no three-digit status code", clip(line))
	}
	resp := &http.Response{
		Status:     status,
		StatusCode: int(code[0]-'0')*100 + int(code[1]-'0')*10 + int(code[2]-'0'),
		Proto:      proto,
		ProtoMajor: major,
		ProtoMinor: minor,
		Header:     make(http.Header, lines),
		Request:    req,
	}
	values := make([]string, 0, lines)
	var last string // the last field's name, for obsolete line folding
	for {
		line, rest = nextLine(rest)
		if line == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			// Obsolete line folding: RFC 9112 section 5.2 lets a proxy
			// replace it with a space.
			vv := resp.Header[last]
			if len(vv) == 0 {
				return nil, bodyFrame{}, badResponse("a header line starts with whitespace")
			}
			if last == "Content-Length" || last == "Transfer-Encoding" {
				return nil, bodyFrame{}, badResponse("%s continues on a folded line", last)
			}
			more := strings.Trim(line, " \t")
			if !httpguts.ValidHeaderFieldValue(more) {
				return nil, bodyFrame{}, badResponse("header %q has a control character in its value", last)
			}
			// As net/http: the lines are joined with one space, and the
			// value's leading whitespace trimmed.
			vv[len(vv)-1] = strings.TrimLeft(vv[len(vv)-1]+" "+more, " \t")
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !httpguts.ValidHeaderFieldName(name) {
			return nil, bodyFrame{}, badResponse("header line %q", clip(line))
		}
		value = strings.Trim(value, " \t")
		if !httpguts.ValidHeaderFieldValue(value) {
			return nil, bodyFrame{}, badResponse("header %q has a control character in its value", name)
		}
		key := commonResponseKey(name)
		last = key
		if vv := resp.Header[key]; vv != nil {
			resp.Header[key] = append(vv, value)
			continue
		}
		i := len(values)
		values = append(values, value)
		resp.Header[key] = values[i : i+1 : i+1]
	}
	h := resp.Header
	resp.Close = major == 1 && minor == 0 && !httpguts.HeaderValuesContainsToken(h["Connection"], "keep-alive") ||
		httpguts.HeaderValuesContainsToken(h["Connection"], "close")

	// The body's framing (RFC 9112 section 6.3).
	noBody := req.Method == http.MethodHead || resp.StatusCode < 200 ||
		resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusNotModified
	var cl int64 = -1
	if vv := h["Content-Length"]; len(vv) > 0 {
		for _, v := range vv {
			n, ok := parseContentLength(v)
			if !ok || cl >= 0 && n != cl {
				return nil, bodyFrame{}, badResponse("Content-Length %q", clip(strings.Join(vv, ", ")))
			}
			cl = n
		}
		if len(vv) > 1 {
			h["Content-Length"] = vv[:1]
		}
	}
	te := h["Transfer-Encoding"]
	if len(te) > 0 && (len(te) != 1 || !strings.EqualFold(textproto.TrimString(te[0]), "chunked")) {
		return nil, bodyFrame{}, badResponse("unsupported Transfer-Encoding %q", clip(strings.Join(te, ", ")))
	}
	if len(te) > 0 && minor == 0 {
		// HTTP/1.0 has no chunked framing; net/http would read the body to
		// the connection's end, chunk lines and all.
		return nil, bodyFrame{}, badResponse("Transfer-Encoding in an HTTP/1.0 response")
	}
	if len(te) > 0 && !noBody {
		delete(h, "Transfer-Encoding")
		if cl >= 0 {
			// Chunked framing wins; such a backend is not trusted with
			// another response on the connection.
			delete(h, "Content-Length")
			resp.Close = true
		}
		resp.TransferEncoding = chunkedEncoding
		resp.ContentLength = -1
		if announced := h["Trailer"]; len(announced) > 0 {
			for _, k := range trailerNames(announced) {
				if httpguts.ValidTrailerHeader(k) {
					if resp.Trailer == nil {
						resp.Trailer = make(http.Header)
					}
					resp.Trailer[k] = nil
				}
			}
		}
		return resp, bodyFrame{kind: frameChunked}, nil
	}
	resp.ContentLength = cl
	switch {
	case noBody:
		if req.Method != http.MethodHead {
			resp.ContentLength = 0
		}
		return resp, bodyFrame{kind: frameNone}, nil
	case cl >= 0:
		return resp, bodyFrame{kind: frameLength, length: cl}, nil
	default:
		resp.Close = true
		return resp, bodyFrame{kind: frameEOF}, nil
	}
}

// trailerNames are the canonical field names a Trailer header announces.
func trailerNames(fields []string) []string {
	var names []string
	for _, f := range fields {
		for _, k := range strings.Split(f, ",") {
			if k = textproto.CanonicalMIMEHeaderKey(textproto.TrimString(k)); k != "" {
				names = append(names, k)
			}
		}
	}
	return names
}

// parseContentLength parses a Content-Length value: decimal digits only
// (no sign, as net/http), around optional whitespace.
func parseContentLength(v string) (int64, bool) {
	v = textproto.TrimString(v)
	if v == "" || len(v) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(v[i]-'0')
	}
	return n, true
}

// commonResponseKey is name in canonical form, without allocating for the
// names backends usually send (NGINX's "ETag" is not canonical).
func commonResponseKey(name string) string {
	switch name {
	case "ETag", "Etag":
		return "Etag"
	case "WWW-Authenticate":
		return "Www-Authenticate"
	}
	return textproto.CanonicalMIMEHeaderKey(name)
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// chunkedReader decodes a chunked body from br and stores its trailer
// fields in *trailer (created if nil). It relies on nothing else having
// validated the framing.
type chunkedReader struct {
	br      *bufio.Reader
	trailer *http.Header
	remain  int64 // bytes left of the current chunk
	inChunk bool  // between a chunk's size line and the CRLF after its data
	done    bool
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.done {
		return 0, io.EOF
	}
	for c.remain == 0 {
		if c.inChunk {
			l, err := c.line()
			if err != nil {
				return 0, err
			}
			if l != "" {
				return 0, errors.New("malformed chunked body: no CRLF after a chunk's data")
			}
			c.inChunk = false
		}
		l, err := c.line()
		if err != nil {
			return 0, err
		}
		size, ok := chunkSize(l)
		if !ok {
			return 0, fmt.Errorf("malformed chunked body: chunk size line %q", clip(l))
		}
		if size == 0 {
			if err := c.readTrailer(); err != nil {
				return 0, err
			}
			c.done = true
			return 0, io.EOF
		}
		c.remain, c.inChunk = size, true
	}
	if int64(len(p)) > c.remain {
		p = p[:c.remain]
	}
	n, err := c.br.Read(p)
	c.remain -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// line reads a line of chunked framing without its line ending.
func (c *chunkedReader) line() (string, error) {
	var long []byte
	for {
		l, err := c.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long, l...)
			if len(long) > maxChunkLine+maxTrailerBytes {
				return "", errors.New("malformed chunked body: a framing line is too long")
			}
			continue
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		if long != nil {
			l = append(long, l...)
		}
		s, _ := nextLine(string(l))
		return s, nil
	}
}

// readTrailer reads the trailer section after the last chunk.
func (c *chunkedReader) readTrailer() error {
	size := 0
	for {
		l, err := c.line()
		if err != nil {
			return err
		}
		if l == "" {
			return nil
		}
		if size += len(l); size > maxTrailerBytes {
			return errors.New("malformed chunked body: the trailer section is too large")
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok || !httpguts.ValidHeaderFieldName(name) {
			return fmt.Errorf("malformed chunked body: trailer line %q", clip(l))
		}
		if !httpguts.ValidTrailerHeader(name) {
			continue // a field that must not be a trailer (Content-Length, Host, ...) is dropped
		}
		if *c.trailer == nil {
			*c.trailer = make(http.Header)
		}
		c.trailer.Add(name, strings.Trim(value, " \t"))
	}
}

// chunkSize parses a chunk-size line: hex digits, then optional whitespace
// and extensions.
func chunkSize(line string) (int64, bool) {
	var n int64
	i := 0
	for ; i < len(line); i++ {
		c := line[i]
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			goto end
		}
		if i >= 15 {
			return 0, false
		}
		n = n<<4 | int64(d)
	}
end:
	if i == 0 {
		return 0, false
	}
	rest := strings.TrimLeft(line[i:], " \t")
	return n, rest == "" || rest[0] == ';'
}
