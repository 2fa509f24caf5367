package httpwire

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// ErrMalformedChunked marks a chunked body whose framing is broken.
var ErrMalformedChunked = errors.New("malformed chunked body")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformedChunked, fmt.Sprintf(format, args...))
}

// ChunkedReader decodes a chunked body from BR and stores its trailer
// fields in *Trailer (created if nil). It relies on nothing else having
// validated the framing. Trailer fields that must not be trailers
// (Content-Length, Host, ...) are dropped.
//
// With Strict set, as for request bodies, it also refuses what a lenient
// parser behind the gateway might read differently: a framing line that
// does not end in CRLF, a chunk-size line over MaxChunkLine bytes, framing
// that outweighs its data (net/http's MaxChunkExcess rule against floods of
// tiny chunks), and a trailer section over MaxTrailerBytes.
type ChunkedReader struct {
	BR      *bufio.Reader
	Trailer *http.Header
	Strict  bool

	remain  int64 // bytes left of the current chunk
	inChunk bool  // between a chunk's size line and the CRLF after its data
	done    bool
	excess  int64
}

func (c *ChunkedReader) Read(p []byte) (int, error) {
	if c.done {
		return 0, io.EOF
	}
	for c.remain == 0 {
		if c.inChunk {
			l, err := c.line(2)
			if err != nil {
				return 0, err
			}
			if l != "" {
				return 0, malformed("no CRLF after a chunk's data")
			}
			c.inChunk = false
		}
		l, err := c.line(MaxChunkLine)
		if err != nil {
			return 0, err
		}
		size, ok := chunkSize(l)
		if !ok {
			return 0, malformed("chunk size line %q", Clip(l))
		}
		if c.Strict {
			c.excess += int64(len(l)) + 2 - 16 - 2*size
			c.excess = max(c.excess, 0)
			if c.excess > MaxChunkExcess {
				return 0, malformed("too much chunk framing for its data")
			}
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
	n, err := c.BR.Read(p)
	c.remain -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// line reads a line of chunked framing without its line ending; in strict
// mode the line, CRLF included, may not exceed limit bytes.
func (c *ChunkedReader) line(limit int) (string, error) {
	var long []byte
	for {
		l, err := c.BR.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long, l...)
			if len(long) > MaxChunkLine+MaxTrailerBytes || c.Strict && len(long) > limit {
				return "", malformed("a framing line is too long")
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
		if c.Strict {
			if len(l) > limit && limit > 2 {
				return "", malformed("a framing line is too long")
			}
			if len(l) < 2 || l[len(l)-2] != '\r' {
				return "", malformed("a framing line does not end in CRLF")
			}
		}
		s, _ := NextLine(string(l))
		return s, nil
	}
}

// readTrailer reads the trailer section after the last chunk.
func (c *ChunkedReader) readTrailer() error {
	size := 0
	for {
		l, err := c.line(MaxTrailerBytes)
		if err != nil {
			return err
		}
		size += len(l) + 2
		if size > MaxTrailerBytes {
			return malformed("the trailer section is too large")
		}
		if l == "" {
			return nil
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok || !httpguts.ValidHeaderFieldName(name) {
			return malformed("trailer line %q", Clip(l))
		}
		if !httpguts.ValidTrailerHeader(name) {
			continue // a field that must not be a trailer (Content-Length, Host, ...) is dropped
		}
		if *c.Trailer == nil {
			*c.Trailer = make(http.Header)
		}
		c.Trailer.Add(name, strings.Trim(value, " \t"))
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
