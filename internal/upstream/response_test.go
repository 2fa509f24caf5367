package upstream

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/e2etls/e2etls/internal/httpwire"
)

// FuzzResponseHead checks the backend side's response parser against
// http.ReadResponse: a response it accepts, net/http accepts too, with the
// same status, header fields and body.
func FuzzResponseHead(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"x\"\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\nuntil the end",
		"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 301 Moved\r\nLocation: /x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"HTTP/1.1 200\nContent-Length: 2\n\nok",
	} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, raw []byte, head bool) {
		method := http.MethodGet
		if head {
			method = http.MethodHead
		}
		req := &http.Request{Method: method}
		br := bufio.NewReader(bytes.NewReader(raw))
		got, frame, err := readResponseHead(br, req)
		if err != nil {
			return
		}
		conn, other := net.Pipe()
		defer other.Close()
		body := &pooledBody{bc: &backendConn{br: br, conn: conn}, frame: frame, stop: func() bool { return true }, c: &h1Client{}}
		if frame.kind == frameChunked {
			body.chunks = httpwire.ChunkedReader{BR: br, Trailer: &got.Trailer}
		}
		gotBody, gotErr := readSome(body)

		want, werr := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), req)
		if werr != nil {
			t.Fatalf("parser accepted what net/http refuses (%v): %q", werr, raw)
		}
		wantBody, wantErr := readSome(want.Body)
		if got.StatusCode != want.StatusCode || got.ProtoMajor != want.ProtoMajor || got.ProtoMinor != want.ProtoMinor {
			t.Fatalf("status: parser %d %s, net/http %d %s (%q)", got.StatusCode, got.Proto, want.StatusCode, want.Proto, raw)
		}
		for k, vv := range got.Header {
			switch k {
			case "Content-Length", "Connection", "Trailer", "Transfer-Encoding":
				// net/http moves or drops these; the proxy removes the
				// hop-by-hop ones and frames the body itself.
				continue
			}
			if !reflect.DeepEqual(vv, want.Header[k]) {
				t.Fatalf("header %q: parser %q, net/http %q (%q)", k, vv, want.Header[k], raw)
			}
		}
		if gotErr == nil && wantErr == nil && !bytes.Equal(gotBody, wantBody) {
			t.Fatalf("body: parser %q, net/http %q (%q)", gotBody, wantBody, raw)
		}
		if frame.kind == frameChunked && gotErr == nil && wantErr == nil && !reflect.DeepEqual(got.Trailer, want.Trailer) &&
			!(len(got.Trailer) == 0 && len(want.Trailer) == 0) {
			t.Fatalf("trailer: parser %v, net/http %v (%q)", got.Trailer, want.Trailer, raw)
		}
	})
}

func readSome(r io.Reader) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r, 1<<16))
}

func TestResponseHeadFraming(t *testing.T) {
	tests := []struct {
		name, raw, method string
		kind              frameKind
		length            int64
		close             bool
		err               string
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "GET", frameLength, 5, false, ""},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "GET", frameChunked, 0, false, ""},
		{"chunked wins over length, and the connection ends", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", "GET", frameChunked, 0, true, ""},
		{"until the end", "HTTP/1.1 200 OK\r\n\r\n", "GET", frameEOF, 0, true, ""},
		{"HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "HEAD", frameNone, 0, false, ""},
		{"204", "HTTP/1.1 204 No Content\r\n\r\n", "GET", frameNone, 0, false, ""},
		{"304", "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n", "GET", frameNone, 0, false, ""},
		{"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", "GET", frameLength, 0, true, ""},
		{"HTTP/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", "GET", frameLength, 0, false, ""},
		{"two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "GET", 0, 0, false, "Content-Length"},
		{"gzip coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "GET", 0, 0, false, "unsupported Transfer-Encoding"},
		{"HTTP/2 status line", "HTTP/2 200 OK\r\n\r\n", "GET", 0, 0, false, "not HTTP/1.x"},
		{"no status code", "HTTP/1.1 OK\r\n\r\n", "GET", 0, 0, false, "three-digit"},
		{"control byte in a value", "HTTP/1.1 200 OK\r\nX-A: a\x00b\r\n\r\n", "GET", 0, 0, false, "control character"},
		{"space in a name", "HTTP/1.1 200 OK\r\nX A: b\r\n\r\n", "GET", 0, 0, false, "header line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, frame, err := readResponseHead(bufio.NewReader(strings.NewReader(tt.raw)), &http.Request{Method: tt.method})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v; want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if frame.kind != tt.kind || frame.length != tt.length || resp.Close != tt.close {
				t.Errorf("frame %+v close %v; want kind %d length %d close %v", frame, resp.Close, tt.kind, tt.length, tt.close)
			}
		})
	}
}

func TestResponseHeadFoldsLines(t *testing.T) {
	resp, _, err := readResponseHead(bufio.NewReader(strings.NewReader("HTTP/1.1 200 OK\r\nX-A: 1\r\n\t 2\r\nETag: \"e\"\r\n\r\n")), &http.Request{Method: "GET"})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header["X-A"]; len(got) != 1 || got[0] != "1 2" {
		t.Errorf("X-A = %q; want the folded line joined with a space", got)
	}
	if got := resp.Header.Get("Etag"); got != `"e"` {
		t.Errorf("ETag = %q", got)
	}
}
