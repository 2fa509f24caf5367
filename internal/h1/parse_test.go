package h1

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"golang.org/x/net/http/httpguts"

	"github.com/e2etls/e2etls/internal/httpwire"
)

// parsed is a request the server's parser read off a stream, with its body.
type parsed struct {
	req  *http.Request
	body []byte
	end  int // the offset after the request (head and body)
}

// parseStream reads the requests of a client's byte stream with the
// server's own reading and parsing, one after the other, reading each body
// to its end as a handler would: the requests it read completely, and the
// refusal that stopped it (httpwire.RefuseChunked for a malformed body).
// br's buffer is as small as bufio allows, so that heads arrive in parts.
func parseStream(t testing.TB, stream []byte) ([]parsed, *httpwire.Refusal) {
	nc, other := net.Pipe() // for the deadlines and a broken body's close; bytes come from br
	defer nc.Close()
	defer other.Close()
	s := &Server{ServerConfig: httpwire.ServerConfig{Log: slog.New(slog.DiscardHandler), Timeouts: httpwire.NewTimeouts(time.Minute, time.Minute)}}
	src := bytes.NewReader(stream)
	c := &conn{s: s, nc: nc, template: new(http.Request), req: new(http.Request), header: make(http.Header)}
	c.br = bufio.NewReaderSize(src, 16)
	var out []parsed
	for {
		if _, err := c.br.Peek(1); err != nil {
			return out, nil
		}
		r, ref := c.readRequest()
		if ref != nil {
			if ref == errConnRead {
				return out, nil
			}
			return out, ref
		}
		// The parser reuses its request: keep a copy.
		cp := *r
		cp.Header = r.Header.Clone()
		u := *r.URL
		cp.URL = &u
		body, err := io.ReadAll(r.Body)
		if errors.Is(err, httpwire.ErrMalformedChunked) {
			return out, httpwire.RefuseChunked
		}
		if err != nil {
			return out, nil // the stream ended inside the body
		}
		cp.Trailer = r.Trailer.Clone()
		out = append(out, parsed{req: &cp, body: body, end: len(stream) - src.Len() - c.br.Buffered()})
	}
}

// goRequests parses stream as net/http's server does and returns the
// requests it read completely (head, body and trailer), stopping at the
// first it refuses or whose body fails.
func goRequests(stream []byte) (ends []int, reqs []*http.Request, bodies [][]byte) {
	src := bytes.NewReader(stream)
	br := bufio.NewReaderSize(src, 4096)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return
		}
		ends = append(ends, len(stream)-src.Len()-br.Buffered())
		reqs = append(reqs, req)
		bodies = append(bodies, body)
	}
}

func endsOf(ps []parsed) []int {
	var ends []int
	for _, p := range ps {
		ends = append(ends, p.end)
	}
	return ends
}

func TestParseStream(t *testing.T) {
	long := strings.Repeat("a", httpwire.MaxURIBytes)
	tests := []struct {
		name   string
		stream string
		ends   []int // offsets where requests end
		want   *httpwire.Refusal
	}{
		{"get", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", []int{27}, nil},
		{"bare LF", "GET / HTTP/1.1\nHost: a\n\n", []int{24}, nil},
		{"pipelined", "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n", []int{27, 55}, nil},
		{"content-length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: a\r\n\r\n", []int{50, 77}, nil},
		{"content-length with spaces", "POST / HTTP/1.1\r\nHost: a\r\ncontent-length:  2 \r\n\r\nab", []int{51}, nil},
		{"equal content-lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", []int{67}, nil},
		{"chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n3;x=y\r\nabc\r\nA \r\n0123456789\r\n0\r\nT: v\r\n\r\n", []int{95}, nil},
		{"http/1.0", "GET / HTTP/1.0\r\n\r\n", []int{18}, nil},
		{"uri at the limit", "GET /" + long[1:] + " HTTP/1.1\r\nHost: a\r\n\r\n", []int{httpwire.MaxURIBytes + 26}, nil},
		{"leading empty lines", "\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", []int{30}, nil},

		{"uri too long", "GET /" + long + " HTTP/1.1\r\n\r\n", nil, httpwire.RefuseURITooLong},
		{"request line too long", "GET /" + long + long, nil, httpwire.RefuseURITooLong},
		{"headers too large", "GET / HTTP/1.1\r\nX: " + long + "\r\n\r\n", nil, httpwire.RefuseHeadersTooLarge},
		{"content-length and chunked", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", nil, httpwire.RefuseAmbiguousLength},
		{"chunked and content-length", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", nil, httpwire.RefuseAmbiguousLength},
		{"differing content-lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy", nil, httpwire.RefuseContentLength},
		{"bad content-length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\nxy", nil, httpwire.RefuseContentLength},
		{"signed content-length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\nx", nil, httpwire.RefuseContentLength},
		{"gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", nil, httpwire.RefuseTransferEncoding},
		{"gzip, chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", nil, httpwire.RefuseTransferEncoding},
		{"two transfer-encodings", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", nil, httpwire.RefuseTransferEncoding},
		{"chunked in http/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", nil, httpwire.RefuseHTTP10Chunked},
		{"obs-fold", "GET / HTTP/1.1\r\nX-A: 1\r\n 2\r\n\r\n", nil, httpwire.RefuseLineFolding},
		{"obs-fold tab", "GET / HTTP/1.1\r\nX-A: 1\r\n\t2\r\n\r\n", nil, httpwire.RefuseLineFolding},
		{"no version", "GET /\r\n\r\n", nil, httpwire.RefuseRequestLine},
		{"method only", "GET\r\n\r\n", nil, httpwire.RefuseRequestLine},
		{"bad version", "GET / HTTP/1.1x\r\n\r\n", nil, httpwire.RefuseRequestLine},
		{"space in target", "GET /a b HTTP/1.1\r\n\r\n", nil, httpwire.RefuseRequestLine},
		{"CR line start", "GET / HTTP/1.1\r\n\rX: y\r\n\r\n", nil, httpwire.RefuseHeaderLine},
		{"no host", "GET / HTTP/1.1\r\n\r\n", nil, httpwire.RefuseNoHost},
		{"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", nil, httpwire.RefuseManyHosts},
		{"HTTP/2 version", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", nil, httpwire.RefuseVersion},
		{"bare LF in chunk line", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", nil, httpwire.RefuseChunked},
		{"no CRLF after chunk", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n", nil, httpwire.RefuseChunked},
		{"17 hex digits", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000001\r\nx\r\n0\r\n\r\n", nil, httpwire.RefuseChunked},
		{"tiny chunks flood", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + strings.Repeat("1;"+strings.Repeat("e", 100)+"\r\nx\r\n", 300) + "0\r\n\r\n", nil, httpwire.RefuseChunked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ref := parseStream(t, []byte(tt.stream))
			assert.Equal(t, tt.want, ref)
			assert.Equal(t, tt.ends, endsOf(got))
			if tt.want == nil {
				ends, _, _ := goRequests([]byte(tt.stream))
				if tt.name != "leading empty lines" { // net/http refuses them but after a POST
					assert.Equal(t, tt.ends, ends, "net/http's framing")
				}
			}
		})
	}
}

// FuzzRequestStream checks the server's parser against net/http's: every
// request net/http reads completely, the parser reads too, ending at the
// same byte, with the same method, target, URL, host, header fields,
// length, connection handling, body and trailers, unless it refused the
// request for one of the reasons it is strict for; and it never refuses a
// request for a reason net/http would not.
func FuzzRequestStream(f *testing.F) {
	seeds := []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: 1\r\n\r\nGET / HTTP/1.0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n",
		"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\nHost: a\ncontent-length:  4 \n\nabcdGET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /a/b?x=1&y=%20 HTTP/1.1\r\nHost: a.example:8443\r\nX-A: 1\r\nx-a: 2\r\nuser-agent: u\r\n\r\n",
		"GET http://b.example/p?q HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\nConnection: close\r\n\r\nhello, world",
		"POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n0\r\nX-T: 1\r\n\r\n",
		"GET /%7Ea/b;c HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
		"CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n",
		"GET /?? HTTP/1.1\nHost: a\nX:  spaced  \n\n",
		"GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, stream []byte) {
		got, ref := parseStream(t, stream)
		goEnds, reqs, bodies := goRequests(stream)
		for k, end := range goEnds {
			if k < len(got) {
				if got[k].end != end {
					t.Fatalf("request %d: net/http ends it at %d, the parser at %d (%q)", k, end, got[k].end, stream)
				}
				sameRequest(t, got[k], reqs[k], bodies[k], stream)
				continue
			}
			// The parser refused request k, which net/http read.
			if ref == nil {
				t.Fatalf("request %d: net/http reads it, the parser does not (%q)", k, stream)
			}
			start := 0
			if k > 0 {
				start = goEnds[k-1]
			}
			if !mayRefuse(ref, reqs[k], strings.ToLower(string(stream[start:end])), end-start) {
				t.Fatalf("request %d: refused (%s) although net/http reads it: %q", k, ref.Reason, stream[start:end])
			}
			return
		}
	})
}

// mayRefuse reports whether ref is a refusal the parser may make of req,
// a request http.ReadRequest reads, whose bytes are raw (lower-cased, n of
// them): one net/http's server makes too (ReadRequest alone does not check
// the Host header or the version), or one the parser is stricter for.
func mayRefuse(ref *httpwire.Refusal, req *http.Request, raw string, n int) bool {
	head, body := splitHead(raw)
	switch ref {
	case httpwire.RefuseNoHost:
		return req.ProtoAtLeast(1, 1) && len(hostFields(head)) == 0 && req.Method != http.MethodConnect
	case httpwire.RefuseBadHost:
		hosts := hostFields(head)
		return len(hosts) > 0 && !httpguts.ValidHostHeader(hosts[0])
	case httpwire.RefuseVersion:
		return req.ProtoMajor != 1
	case httpwire.RefuseHeaderName, httpwire.RefuseHeaderValue:
		// net/http's server checks every field after ReadRequest.
		for k, vv := range req.Header {
			if !httpguts.ValidHeaderFieldName(k) {
				return true
			}
			for _, v := range vv {
				if !httpguts.ValidHeaderFieldValue(v) {
					return true
				}
			}
		}
		return false
	case httpwire.RefuseURITooLong:
		return len(req.RequestURI)+len(req.Method) > httpwire.MaxURIBytes
	case httpwire.RefuseHeadersTooLarge:
		return n > httpwire.MaxHeaderBytes
	case httpwire.RefuseLineFolding:
		return strings.Contains(head, "\n ") || strings.Contains(head, "\n\t")
	case httpwire.RefuseAmbiguousLength:
		// Before HTTP/1.1 net/http drops Transfer-Encoding and frames by
		// Content-Length; the parser refuses the pair in every version.
		te := len(req.TransferEncoding) > 0 || !req.ProtoAtLeast(1, 1) && strings.Contains(head, "transfer-encoding")
		return te && strings.Contains(head, "content-length")
	case httpwire.RefuseHTTP10Chunked:
		return !req.ProtoAtLeast(1, 1) && strings.Contains(head, "transfer-encoding")
	case httpwire.RefuseChunked:
		// net/http takes bare LFs in chunked framing; the parser wants
		// CRLF. It also refuses floods of tiny chunks beyond net/http's
		// excess limit, counted the same way.
		return hasBareLF(body) || strings.Count(body, "\n") > 64
	}
	return false
}

// sameRequest fails t unless the parser's request p equals net/http's.
func sameRequest(t *testing.T, p parsed, want *http.Request, body, stream []byte) {
	t.Helper()
	got := p.req
	for k, vv := range want.Header {
		if k == "Host" {
			continue
		}
		if !reflect.DeepEqual(got.Header[k], vv) {
			t.Fatalf("header %q: parser %q, net/http %q (%q)", k, got.Header[k], vv, stream)
		}
	}
	delete(want.Header, "Host")
	if len(got.Header) != len(want.Header) {
		t.Fatalf("header: parser %v, net/http %v (%q)", got.Header, want.Header, stream)
	}
	if got.Method != want.Method || got.RequestURI != want.RequestURI || got.Host != want.Host ||
		got.Proto != want.Proto || got.Close != want.Close || got.ContentLength != want.ContentLength ||
		!reflect.DeepEqual(got.TransferEncoding, want.TransferEncoding) {
		t.Fatalf("parser %s %s %s host %q close %v length %d te %v; net/http %s %s %s host %q close %v length %d te %v (%q)",
			got.Method, got.RequestURI, got.Proto, got.Host, got.Close, got.ContentLength, got.TransferEncoding,
			want.Method, want.RequestURI, want.Proto, want.Host, want.Close, want.ContentLength, want.TransferEncoding, stream)
	}
	if *got.URL != *want.URL {
		t.Fatalf("URL: parser %#v, net/http %#v (%q)", *got.URL, *want.URL, stream)
	}
	if !bytes.Equal(p.body, body) {
		t.Fatalf("body: parser %q, net/http %q (%q)", p.body, body, stream)
	}
	if len(got.Trailer)+len(want.Trailer) > 0 && !reflect.DeepEqual(got.Trailer, want.Trailer) {
		t.Fatalf("trailer: parser %v, net/http %v (%q)", got.Trailer, want.Trailer, stream)
	}
}

// hostFields are the values of the Host fields of a lower-cased head
// (ReadRequest removes them from the header it returns).
func hostFields(head string) []string {
	var hosts []string
	for _, line := range strings.Split(head, "\n")[1:] {
		if v, ok := strings.CutPrefix(line, "host:"); ok {
			hosts = append(hosts, strings.Trim(v, " \t\r"))
		}
	}
	return hosts
}

// splitHead splits raw at the end of its head, the first empty line, which
// ends with CRLF or a bare LF (as does each line before it).
func splitHead(raw string) (head, body string) {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\n' {
			continue
		}
		switch rest := raw[i+1:]; {
		case strings.HasPrefix(rest, "\n"):
			return raw[:i], rest[1:]
		case strings.HasPrefix(rest, "\r\n"):
			return raw[:i], rest[2:]
		}
	}
	return raw, ""
}

func hasBareLF(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' && (i == 0 || s[i-1] != '\r') {
			return true
		}
	}
	return false
}
