package gateway

import (
	"bytes"
	"net/http"
)

// The limits of a request head, Azure v2's. net/http's own limit
// (http.Server.MaxHeaderBytes, which counts the request line and the header
// fields together and answers 431 for either) is set above their sum, so
// that each limit gets its own status.
const (
	maxURIBytes    = 32 << 10 // the request target: 414 beyond
	maxHeaderBytes = 32 << 10 // the header fields: 431 beyond
	// serverHeaderBytes is http.Server.MaxHeaderBytes: a request line and a
	// header section both at their limit, and room for the method and
	// version. It is also HTTP/2's advertised header list size.
	serverHeaderBytes = maxURIBytes + maxHeaderBytes + 1<<10
)

// Limits net/http applies to a chunked request body, mirrored so that the
// scanner refuses where net/http would fail.
const (
	maxChunkLine    = 4096     // a chunk-size line with its CRLF (net/http's bufio buffer)
	maxChunkExcess  = 16 << 10 // chunk framing beyond 16 bytes a chunk plus twice its data
	maxTrailerBytes = 4096     // a trailer section with its final CRLF
	maxVersionBytes = 64       // the request line's version field, before refusing it
)

// A refusal is why a request head is refused before net/http parses it: the
// status, the short reason name (the X-E2etls-Error header and the log's
// "reason") and a one-line message. A refusal inside a body (malformed
// chunked framing) has status 0: the request is already being served, so
// the connection is cut instead of answered.
type refusal struct {
	status  int
	reason  string
	message string
}

var (
	refuseURITooLong = &refusal{http.StatusRequestURITooLong, "uri-too-long",
		"the request target is longer than 32768 bytes"}
	refuseHeadersTooLarge = &refusal{http.StatusRequestHeaderFieldsTooLarge, "headers-too-large",
		"the request's header fields are larger than 32768 bytes"}
	refuseLineFolding = &refusal{http.StatusBadRequest, "obsolete-line-folding",
		"a header field continues on the next line (obsolete line folding, RFC 9112 section 5.2)"}
	refuseAmbiguousLength = &refusal{http.StatusBadRequest, "ambiguous-length",
		"the request has both Content-Length and Transfer-Encoding (RFC 9112 section 6.1)"}
	refuseContentLength = &refusal{http.StatusBadRequest, "bad-content-length",
		"the request's Content-Length is not a number, or two Content-Length fields differ"}
	refuseHTTP10Chunked = &refusal{http.StatusBadRequest, "bad-transfer-encoding",
		"an HTTP/1.0 request has Transfer-Encoding (RFC 9112 section 6.1)"}
	refuseTransferEncoding = &refusal{http.StatusNotImplemented, "unsupported-transfer-encoding",
		"the request's Transfer-Encoding is not a single \"chunked\""}
	refuseRequestLine = &refusal{http.StatusBadRequest, "malformed-request-line",
		"the request line is not METHOD SP TARGET SP HTTP/x.y"}
	refuseHeaderLine = &refusal{http.StatusBadRequest, "malformed-header",
		"a header line starts with CR"}
	refuseChunked = &refusal{0, "malformed-chunked-body", "the chunked request body is malformed"}
)

type scanState uint8

const (
	sStart        scanState = iota // before a request line: CR and LF are skipped
	sMethod                        // the method, up to the first SP
	sTarget                        // the request target, up to the second SP
	sVersion                       // the version, up to LF
	sLineStart                     // the first byte of a header line, or the empty line
	sEndCR                         // CR at the start of a line: LF must follow and ends the head
	sName                          // a field name, up to ':'
	sValue                         // a field value, up to LF
	sBody                          // Content-Length bytes of body
	sChunkSize                     // hex digits of a chunk-size line
	sChunkOWS                      // whitespace after the digits
	sChunkExt                      // a chunk extension, after ';'
	sChunkLF                       // LF after the chunk-size line's CR
	sChunkData                     // the chunk's data
	sChunkCR                       // CR after the data
	sChunkDataLF                   // LF after the data
	sTrailerStart                  // the first byte of a trailer line, or CR of the final CRLF
	sTrailer                       // a trailer line, up to CR
	sTrailerLF                     // LF after a trailer line's CR
	sTrailerEnd                    // LF of the final CRLF
)

type fieldKind uint8

const (
	fieldOther fieldKind = iota
	fieldContentLength
	fieldTransferEncoding
)

// A requestScanner follows the HTTP/1.1 request stream of one client
// connection byte by byte, as net/http will parse it, and refuses what
// net/http would accept but a gateway must not: Content-Length together
// with Transfer-Encoding, two Content-Length values, Transfer-Encoding in
// an HTTP/1.0 request, obsolete line folding (net/http joins folded lines),
// a request target over 32 KiB or header fields over 32 KiB. It follows
// bodies (Content-Length and chunked, with net/http's rules) to find where
// the next request head starts. It allocates nothing.
//
// Its zero value is ready for the first request of a connection.
type requestScanner struct {
	state scanState

	// The request line.
	line     int // bytes of method and target so far
	target   int // bytes of the target so far
	version  [maxVersionBytes]byte
	nversion int

	// The header section.
	header   int // bytes of the header lines so far
	field    fieldKind
	name     [len("transfer-encoding")]byte
	nname    int // bytes of the current field name; more than len(name) means "other"
	value    valueScanner
	http10   bool
	hasCL    bool
	cl       int64
	te       int  // Transfer-Encoding fields
	teBadVal bool // a Transfer-Encoding value other than "chunked"

	// The body.
	remain    uint64 // bytes of body or chunk data left
	chunkLine int    // bytes of the chunk-size line so far
	digits    int    // hex digits of the chunk size so far
	size      uint64 // the chunk size so far
	excess    int64  // net/http's chunk overhead count
	trailer   int    // bytes of the trailer section so far
}

// scan consumes b, which continues the stream. It stops right after the end
// of a request (head and body), so that the caller hands the bytes of one
// request at a time to net/http; n is how many bytes of b it consumed. A
// non-nil refusal ends the connection: nothing of b may be passed on.
func (s *requestScanner) scan(b []byte) (n int, r *refusal) {
	i := 0
	for i < len(b) {
		switch s.state {
		case sStart:
			for i < len(b) && (b[i] == '\r' || b[i] == '\n') {
				i++
			}
			if i < len(b) {
				*s = requestScanner{state: sMethod}
			}

		case sMethod:
			j := indexSPOrLF(b[i:])
			if j < 0 {
				s.line += len(b) - i
				i = len(b)
			} else {
				s.line += j
				i += j
				if b[i] == '\n' {
					return i, refuseRequestLine
				}
				i++ // SP
				s.state = sTarget
			}
			if s.line > maxURIBytes {
				return i, refuseURITooLong
			}

		case sTarget:
			j := indexSPOrLF(b[i:])
			k := j
			if j < 0 {
				k = len(b) - i
			}
			s.line += k
			s.target += k
			i += k
			if s.target > maxURIBytes || s.line > maxURIBytes+maxVersionBytes {
				return i, refuseURITooLong
			}
			if j >= 0 {
				if b[i] == '\n' {
					return i, refuseRequestLine
				}
				i++ // SP
				s.state = sVersion
			}

		case sVersion:
			j := bytes.IndexByte(b[i:], '\n')
			k := j
			if j < 0 {
				k = len(b) - i
			}
			if s.nversion+k > len(s.version) {
				return i, refuseRequestLine
			}
			s.nversion += copy(s.version[s.nversion:], b[i:i+k])
			i += k
			if j >= 0 {
				i++ // LF
				major, minor, ok := parseVersion(s.version[:s.nversion])
				if !ok {
					return i, refuseRequestLine
				}
				s.http10 = major < 1 || major == 1 && minor == 0
				s.state = sLineStart
			}

		case sLineStart:
			switch b[i] {
			case '\n':
				i++
				if r := s.endHead(); r != nil {
					return i, r
				}
				if s.state == sStart {
					return i, nil
				}
				continue
			case '\r':
				s.state = sEndCR
			case ' ', '\t':
				return i, refuseLineFolding
			default:
				s.state = sName
				s.nname = 0
				s.field = fieldOther
				continue // the byte is the name's first
			}
			i++

		case sEndCR:
			if b[i] != '\n' {
				return i, refuseHeaderLine
			}
			i++
			if r := s.endHead(); r != nil {
				return i, r
			}
			if s.state == sStart {
				return i, nil
			}

		case sName:
			for i < len(b) {
				c := b[i]
				if c == ':' || c == '\n' {
					break
				}
				if s.nname < len(s.name) {
					s.name[s.nname] = lower(c)
				}
				s.nname++
				i++
				s.header++
			}
			if s.header > maxHeaderBytes {
				return i, refuseHeadersTooLarge
			}
			if i == len(b) {
				break
			}
			if b[i] == ':' {
				i++
				s.header++
				s.field = s.fieldKind()
				s.value = valueScanner{}
				s.state = sValue
				break
			}
			// A line without a colon: net/http refuses it; the scanner
			// goes on as if it were a field.
			s.state = sValue

		case sValue:
			j := bytes.IndexByte(b[i:], '\n')
			k := j
			if j < 0 {
				k = len(b) - i
			}
			if s.field != fieldOther {
				s.value.feed(b[i:i+k], s.field)
			}
			i += k
			s.header += k
			if j >= 0 {
				i++ // LF
				s.header++
				if r := s.endField(); r != nil {
					return i, r
				}
				s.state = sLineStart
			}
			if s.header > maxHeaderBytes {
				return i, refuseHeadersTooLarge
			}

		case sBody:
			k := uint64(len(b) - i)
			if k >= s.remain {
				i += int(s.remain)
				s.remain = 0
				s.state = sStart
				return i, nil
			}
			s.remain -= k
			i = len(b)

		case sChunkSize, sChunkOWS, sChunkExt, sChunkLF:
			c := b[i]
			i++
			s.chunkLine++
			if s.chunkLine > maxChunkLine {
				return i, refuseChunked
			}
			switch s.state {
			case sChunkSize:
				switch {
				case c == ';':
					s.state = sChunkExt
				case c == ' ' || c == '\t':
					s.state = sChunkOWS
				case c == '\r':
					s.state = sChunkLF
				default:
					d, ok := unhex(c)
					if !ok || s.digits == 16 {
						return i, refuseChunked
					}
					s.size = s.size<<4 | uint64(d)
					s.digits++
				}
			case sChunkOWS:
				switch c {
				case ' ', '\t':
				case '\r':
					s.state = sChunkLF
				default:
					return i, refuseChunked
				}
			case sChunkExt:
				switch c {
				case '\r':
					s.state = sChunkLF
				case '\n':
					return i, refuseChunked
				}
			case sChunkLF:
				if c != '\n' || s.digits == 0 {
					return i, refuseChunked
				}
				// net/http's chunkedReader.beginChunk.
				s.excess += int64(s.chunkLine-2) + 2
				s.excess -= 16 + (2 * int64(s.size))
				s.excess = max(s.excess, 0)
				if s.excess > maxChunkExcess {
					return i, refuseChunked
				}
				s.remain, s.size, s.digits, s.chunkLine = s.size, 0, 0, 0
				if s.remain == 0 {
					s.state = sTrailerStart
				} else {
					s.state = sChunkData
				}
			}

		case sChunkData:
			k := uint64(len(b) - i)
			if k >= s.remain {
				i += int(s.remain)
				s.remain = 0
				s.state = sChunkCR
			} else {
				s.remain -= k
				i = len(b)
			}

		case sChunkCR, sChunkDataLF:
			want := byte('\r')
			if s.state == sChunkDataLF {
				want = '\n'
			}
			if b[i] != want {
				return i, refuseChunked
			}
			i++
			if s.state == sChunkCR {
				s.state = sChunkDataLF
			} else {
				s.state = sChunkSize
			}

		case sTrailerStart, sTrailer, sTrailerLF, sTrailerEnd:
			// Trailer lines end in CRLF: net/http needs the section to end
			// with CRLF CRLF.
			c := b[i]
			i++
			s.trailer++
			if s.trailer > maxTrailerBytes {
				return i, refuseChunked
			}
			switch s.state {
			case sTrailerStart:
				if c == '\r' {
					s.state = sTrailerEnd
				} else if c == '\n' {
					return i, refuseChunked
				} else {
					s.state = sTrailer
				}
			case sTrailer:
				if c == '\r' {
					s.state = sTrailerLF
				} else if c == '\n' {
					return i, refuseChunked
				}
			case sTrailerLF:
				if c != '\n' {
					return i, refuseChunked
				}
				s.state = sTrailerStart
			case sTrailerEnd:
				if c != '\n' {
					return i, refuseChunked
				}
				s.state = sStart
				return i, nil
			}
		}
	}
	return i, nil
}

// inBody reports whether the scanner is inside a request body, where a
// handler is serving the request.
func (s *requestScanner) inBody() bool { return s.state >= sBody }

func (s *requestScanner) fieldKind() fieldKind {
	name := s.name[:min(s.nname, len(s.name))]
	switch {
	case s.nname == len("content-length") && string(name) == "content-length":
		return fieldContentLength
	case s.nname == len("transfer-encoding") && string(name) == "transfer-encoding":
		return fieldTransferEncoding
	}
	return fieldOther
}

// endField records a Content-Length or Transfer-Encoding field.
func (s *requestScanner) endField() *refusal {
	switch s.field {
	case fieldContentLength:
		n, ok := s.value.contentLength()
		if !ok || s.hasCL && n != s.cl {
			return refuseContentLength
		}
		s.hasCL, s.cl = true, n
	case fieldTransferEncoding:
		s.te++
		if !s.value.isChunked() {
			s.teBadVal = true
		}
	}
	return nil
}

// endHead decides the framing of the body once the head is complete, as
// net/http does, and refuses the ambiguous ones.
func (s *requestScanner) endHead() *refusal {
	switch {
	case s.te > 0 && s.hasCL:
		return refuseAmbiguousLength
	case s.te > 0 && s.http10:
		return refuseHTTP10Chunked
	case s.te > 1 || s.teBadVal:
		return refuseTransferEncoding
	case s.te == 1:
		s.state = sChunkSize
	case s.cl > 0:
		s.remain = uint64(s.cl)
		s.state = sBody
	default:
		s.state = sStart
	}
	return nil
}

// valueScanner matches a Content-Length or Transfer-Encoding value as it
// streams by: net/http trims spaces and tabs (and the CR before LF) around
// a value; a Content-Length is then decimal digits; a Transfer-Encoding
// that net/http accepts is "chunked" in any case.
type valueScanner struct {
	started  bool // a non-space byte was seen
	trailing bool // a space after the token
	bad      bool
	n        int64 // Content-Length so far
	matched  int   // bytes of "chunked" matched
}

func (v *valueScanner) feed(b []byte, kind fieldKind) {
	for _, c := range b {
		if c == ' ' || c == '\t' || c == '\r' {
			if v.started {
				v.trailing = true
			}
			continue
		}
		if v.trailing {
			v.bad = true
			return
		}
		v.started = true
		if kind == fieldContentLength {
			d := int64(c - '0')
			if c < '0' || c > '9' || v.n > (1<<63-1-d)/10 {
				v.bad = true
				return
			}
			v.n = v.n*10 + d
			continue
		}
		if v.matched == len("chunked") || lower(c) != "chunked"[v.matched] {
			v.bad = true
			return
		}
		v.matched++
	}
}

func (v *valueScanner) contentLength() (int64, bool) {
	return v.n, v.started && !v.bad
}

func (v *valueScanner) isChunked() bool {
	return !v.bad && v.matched == len("chunked")
}

// parseVersion parses an HTTP version as net/http.ParseHTTPVersion does;
// a CR before the line's LF is not part of it.
func parseVersion(v []byte) (major, minor int, ok bool) {
	if n := len(v); n > 0 && v[n-1] == '\r' {
		v = v[:n-1]
	}
	if len(v) != len("HTTP/1.1") || string(v[:5]) != "HTTP/" || v[6] != '.' ||
		v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9' {
		return 0, 0, false
	}
	return int(v[5] - '0'), int(v[7] - '0'), true
}

func indexSPOrLF(b []byte) int {
	for i, c := range b {
		if c == ' ' || c == '\n' {
			return i
		}
	}
	return -1
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
