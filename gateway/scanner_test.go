package gateway

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scanResult is what a requestScanner made of a stream: the offsets where
// requests ended, and the refusal that stopped it, if any.
type scanResult struct {
	ends    []int
	refusal *refusal
	at      int // the offset of the chunk the refusal came in
}

// scanAll feeds stream to a fresh scanner in pieces of at most piece bytes
// (all at once when piece is 0), as frontConn does: a scan stops at the end
// of each request.
func scanAll(stream []byte, piece int) scanResult {
	var s requestScanner
	var res scanResult
	inMessage := false
	for off := 0; off < len(stream); {
		end := len(stream)
		if piece > 0 {
			end = min(off+piece, len(stream))
		}
		n, r := s.scan(stream[off:end])
		if r != nil {
			res.refusal, res.at = r, off
			return res
		}
		if n == 0 && end > off {
			panic("scan consumed nothing")
		}
		consumed := stream[off : off+n]
		off += n
		if s.state != sStart {
			inMessage = true
		} else if inMessage || len(bytes.Trim(consumed, "\r\n")) > 0 {
			res.ends = append(res.ends, off)
			inMessage = false
		}
	}
	return res
}

// goRequests parses stream as net/http's server does and returns the offset
// after each request it read completely (head, body and trailer), stopping
// at the first it refuses or whose body fails.
func goRequests(stream []byte) (ends []int, reqs []*http.Request) {
	src := bytes.NewReader(stream)
	br := bufio.NewReaderSize(src, 4096)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return ends, reqs
		}
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return ends, reqs
		}
		ends = append(ends, len(stream)-src.Len()-br.Buffered())
		reqs = append(reqs, req)
	}
}

func TestRequestScanner(t *testing.T) {
	long := strings.Repeat("a", maxURIBytes)
	tests := []struct {
		name   string
		stream string
		ends   []int // offsets where requests end; nil with a refusal
		want   *refusal
	}{
		{"get", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", []int{27}, nil},
		{"bare LF", "GET / HTTP/1.1\nHost: a\n\n", []int{24}, nil},
		{"pipelined", "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n", []int{27, 55}, nil},
		{"content-length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: a\r\n\r\n", []int{50, 77}, nil},
		{"content-length with spaces", "POST / HTTP/1.1\r\ncontent-length:  2 \r\n\r\nab", []int{42}, nil},
		{"equal content-lengths", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", []int{58}, nil},
		{"chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n3;x=y\r\nabc\r\nA \r\n0123456789\r\n0\r\nT: v\r\n\r\n", []int{86}, nil},
		{"http/1.0", "GET / HTTP/1.0\r\n\r\n", []int{18}, nil},
		{"uri at the limit", "GET /" + long[1:] + " HTTP/1.1\r\nHost: a\r\n\r\n", []int{maxURIBytes + 26}, nil},

		{"uri too long", "GET /" + long + " HTTP/1.1\r\n\r\n", nil, refuseURITooLong},
		{"headers too large", "GET / HTTP/1.1\r\nX: " + long + "\r\n\r\n", nil, refuseHeadersTooLarge},
		{"content-length and chunked", "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", nil, refuseAmbiguousLength},
		{"chunked and content-length", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", nil, refuseAmbiguousLength},
		{"differing content-lengths", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy", nil, refuseContentLength},
		{"bad content-length", "POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\nxy", nil, refuseContentLength},
		{"signed content-length", "POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\nx", nil, refuseContentLength},
		{"gzip", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", nil, refuseTransferEncoding},
		{"gzip, chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", nil, refuseTransferEncoding},
		{"two transfer-encodings", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", nil, refuseTransferEncoding},
		{"chunked in http/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", nil, refuseHTTP10Chunked},
		{"obs-fold", "GET / HTTP/1.1\r\nX-A: 1\r\n 2\r\n\r\n", nil, refuseLineFolding},
		{"obs-fold tab", "GET / HTTP/1.1\r\nX-A: 1\r\n\t2\r\n\r\n", nil, refuseLineFolding},
		{"no version", "GET /\r\n\r\n", nil, refuseRequestLine},
		{"method only", "GET\r\n\r\n", nil, refuseRequestLine},
		{"bad version", "GET / HTTP/1.1x\r\n\r\n", nil, refuseRequestLine},
		{"space in target", "GET /a b HTTP/1.1\r\n\r\n", nil, refuseRequestLine},
		{"CR line start", "GET / HTTP/1.1\r\n\rX: y\r\n\r\n", nil, refuseHeaderLine},
		{"bare LF in chunk line", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", nil, refuseChunked},
		{"no CRLF after chunk", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n", nil, refuseChunked},
		{"space before extension", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3 ;x\r\nabc\r\n0\r\n\r\n", nil, refuseChunked},
		{"17 hex digits", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000001\r\nx\r\n0\r\n\r\n", nil, refuseChunked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, piece := range []int{0, 1, 7} {
				res := scanAll([]byte(tt.stream), piece)
				assert.Equal(t, tt.want, res.refusal, "pieces of %d", piece)
				assert.Equal(t, tt.ends, res.ends, "pieces of %d", piece)
			}
			if tt.want == nil {
				ends, _ := goRequests([]byte(tt.stream))
				assert.Equal(t, tt.ends, ends, "net/http's framing")
			}
		})
	}
}

// net/http's server skips CR and LF before a request line only after a
// POST, and refuses them otherwise; the scanner skips them always, which
// cannot put it out of step with net/http on a request net/http reads.
func TestRequestScannerSkipsLeadingCRLF(t *testing.T) {
	stream := "POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"
	res := scanAll([]byte(stream), 0)
	assert.Nil(t, res.refusal)
	assert.Equal(t, []int{39, len(stream)}, res.ends)
}

func TestRefusalResponse(t *testing.T) {
	for _, r := range []*refusal{refuseURITooLong, refuseHeadersTooLarge, refuseAmbiguousLength, refuseTransferEncoding} {
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(refusalResponse(r))), nil)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Equal(t, r.status, resp.StatusCode)
		assert.Equal(t, r.reason, resp.Header.Get("X-E2etls-Error"))
		assert.True(t, resp.Close)
		assert.Equal(t, strings.TrimSpace(string(body)), strings.TrimSpace(string(body)))
		assert.Contains(t, string(body), r.message)
	}
}

// FuzzRequestScanner checks the scanner against net/http's own parser: for
// every request net/http reads completely, the scanner ends it at the same
// byte, however the stream is split, unless it refused the request for one
// of the reasons it exists for; and it never refuses a request for a reason
// net/http would not.
func FuzzRequestScanner(f *testing.F) {
	seeds := []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: 1\r\n\r\nGET / HTTP/1.0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n",
		"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\nHost: a\ncontent-length:  4 \n\nabcdGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint8(i))
	}
	f.Fuzz(func(t *testing.T, stream []byte, split uint8) {
		whole := scanAll(stream, 0)
		pieces := scanAll(stream, 1+int(split%13))
		if whole.refusal != pieces.refusal || !equalInts(whole.ends, pieces.ends) {
			t.Fatalf("splitting changed the result: whole %+v, pieces of %d %+v", whole, 1+int(split%13), pieces)
		}
		goEnds, reqs := goRequests(stream)
		for k, end := range goEnds {
			if k < len(whole.ends) {
				if whole.ends[k] != end {
					t.Fatalf("request %d: net/http ends it at %d, the scanner at %d", k, end, whole.ends[k])
				}
				continue
			}
			// The scanner refused request k, which net/http read.
			r := whole.refusal
			if r == nil {
				t.Fatalf("request %d: net/http ends it at %d, the scanner not at all (ends %v)", k, end, whole.ends)
			}
			start := 0
			if k > 0 {
				start = goEnds[k-1]
			}
			head := strings.ToLower(string(stream[start:end]))
			ok := false
			switch r {
			case refuseURITooLong:
				ok = len(reqs[k].RequestURI)+len(reqs[k].Method) > maxURIBytes
			case refuseHeadersTooLarge:
				ok = end-start > maxHeaderBytes
			case refuseLineFolding:
				ok = strings.Contains(head, "\n ") || strings.Contains(head, "\n\t")
			case refuseAmbiguousLength:
				// Before HTTP/1.1 net/http drops Transfer-Encoding and
				// frames by Content-Length; the scanner refuses the pair
				// in every version.
				te := len(reqs[k].TransferEncoding) > 0 ||
					!reqs[k].ProtoAtLeast(1, 1) && strings.Contains(head, "transfer-encoding")
				ok = te && strings.Contains(head, "content-length")
			case refuseHTTP10Chunked:
				ok = !reqs[k].ProtoAtLeast(1, 1) && strings.Contains(head, "transfer-encoding")
			case refuseChunked:
				// net/http takes a bare LF as the end of a trailer section
				// when a CRLF CRLF follows somewhere in its buffer; the
				// scanner, which cannot look ahead, wants CRLF there.
				ok = hasBareLF(bodyOf(head))
			}
			if !ok {
				t.Fatalf("request %d: refused (%s) although net/http reads it: %q", k, r.reason, stream[start:end])
			}
			return
		}
	})
}

// bodyOf returns what follows the head of a request: the bytes after its
// first empty line.
func bodyOf(req string) string {
	for i := 0; i < len(req); i++ {
		if req[i] != '\n' {
			continue
		}
		if strings.HasPrefix(req[i+1:], "\n") {
			return req[i+2:]
		}
		if strings.HasPrefix(req[i+1:], "\r\n") {
			return req[i+3:]
		}
	}
	return ""
}

func hasBareLF(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' && (i == 0 || s[i-1] != '\r') {
			return true
		}
	}
	return false
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
