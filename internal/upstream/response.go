package upstream

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"strings"
	"sync"

	"github.com/e2etls/e2etls/internal/httpwire"
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
	line, rest := httpwire.NextLine(head)
	proto, status, ok := strings.Cut(line, " ")
	if !ok {
		return nil, bodyFrame{}, badResponse("status line %q", httpwire.Clip(line))
	}
	major, minor, ok := http.ParseHTTPVersion(proto)
	if !ok || major != 1 {
		return nil, bodyFrame{}, badResponse("status line %q: not HTTP/1.x", httpwire.Clip(line))
	}
	code, _, _ := strings.Cut(status, " ")
	if len(code) != 3 || code[0] < '1' || code[0] > '9' || code[1] < '0' || code[1] > '9' || code[2] < '0' || code[2] > '9' {
		return nil, bodyFrame{}, badResponse("status line %q: no three-digit status code", httpwire.Clip(line))
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
		line, rest = httpwire.NextLine(rest)
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
			return nil, bodyFrame{}, badResponse("header line %q", httpwire.Clip(line))
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
			n, ok := httpwire.ParseContentLength(v)
			if !ok || cl >= 0 && n != cl {
				return nil, bodyFrame{}, badResponse("Content-Length %q", httpwire.Clip(strings.Join(vv, ", ")))
			}
			cl = n
		}
		if len(vv) > 1 {
			h["Content-Length"] = vv[:1]
		}
	}
	te := h["Transfer-Encoding"]
	if len(te) > 0 && (len(te) != 1 || !strings.EqualFold(textproto.TrimString(te[0]), "chunked")) {
		return nil, bodyFrame{}, badResponse("unsupported Transfer-Encoding %q", httpwire.Clip(strings.Join(te, ", ")))
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
		resp.TransferEncoding = httpwire.ChunkedEncoding
		resp.ContentLength = -1
		if announced := h["Trailer"]; len(announced) > 0 {
			for _, k := range httpwire.TrailerNames(announced) {
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

var headPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}
