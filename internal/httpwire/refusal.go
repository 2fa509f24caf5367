package httpwire

import (
	"log/slog"
	"net/http"
	"strconv"
)

// A Refusal is why a server answers a request itself instead of running
// its handler: the status, the short reason name (the gateway's error code)
// and a one-line message. A refusal with status 0 is a connection error:
// nothing can be answered, the connection ends.
type Refusal struct {
	Status  int
	Reason  string
	Message string
}

// RefuseFunc answers r with ref, in the format of whoever owns the server
// (the gateway's error page, its access log). r carries at least the
// client's address and TLS state; for a head that could not be parsed its
// method and URL are empty. It writes the whole answer; the server ends the
// response, and for HTTP/1.x the connection, after it returns.
type RefuseFunc func(w http.ResponseWriter, r *http.Request, ref *Refusal)

// ServerConfig is what a wire server (internal/h1, internal/h2) needs from
// its owner. Every field is required.
type ServerConfig struct {
	// Handler serves every request.
	Handler http.Handler
	// Refuse answers a request the server will not hand to Handler.
	Refuse RefuseFunc
	// Log receives handler panics, refusals of malformed bodies, and
	// connection errors (at Debug).
	Log *slog.Logger
	// Timeouts bound reading a request head (and HTTP/2's preface) and
	// waiting for the next request.
	Timeouts *Timeouts
}

// The reasons of the refusals: the gateway's error codes for requests its
// servers refuse before any handler runs.
const (
	ReasonURITooLong           = "uri-too-long"
	ReasonHeadersTooLarge      = "headers-too-large"
	ReasonLineFolding          = "obsolete-line-folding"
	ReasonAmbiguousLength      = "ambiguous-length"
	ReasonBadContentLength     = "bad-content-length"
	ReasonBadTransferEncoding  = "bad-transfer-encoding"
	ReasonUnsupportedTE        = "unsupported-transfer-encoding"
	ReasonMalformedRequestLine = "malformed-request-line"
	ReasonMalformedHeader      = "malformed-header"
	ReasonMissingHost          = "missing-host"
	ReasonBadHost              = "bad-host"
	ReasonUnsupportedVersion   = "unsupported-version"
	ReasonUnsupportedExpect    = "unsupported-expect"
	ReasonMalformedChunkedBody = "malformed-chunked-body"
)

// The refusals of a request head.
var (
	RefuseURITooLong = &Refusal{http.StatusRequestURITooLong, ReasonURITooLong,
		"the request target is longer than " + strconv.Itoa(MaxURIBytes) + " bytes"}
	RefuseHeadersTooLarge = &Refusal{http.StatusRequestHeaderFieldsTooLarge, ReasonHeadersTooLarge,
		"the request's header fields are larger than " + strconv.Itoa(MaxHeaderBytes) + " bytes"}
	RefuseHeadTooLarge = &Refusal{http.StatusRequestHeaderFieldsTooLarge, ReasonHeadersTooLarge,
		"the request head is larger than the server accepts"}
	RefuseLineFolding = &Refusal{http.StatusBadRequest, ReasonLineFolding,
		"a header field continues on the next line (obsolete line folding, RFC 9112 section 5.2)"}
	RefuseAmbiguousLength = &Refusal{http.StatusBadRequest, ReasonAmbiguousLength,
		"the request has both Content-Length and Transfer-Encoding (RFC 9112 section 6.1)"}
	RefuseContentLength = &Refusal{http.StatusBadRequest, ReasonBadContentLength,
		"the request's Content-Length is not a number, or two Content-Length fields differ"}
	RefuseHTTP10Chunked = &Refusal{http.StatusBadRequest, ReasonBadTransferEncoding,
		"an HTTP/1.0 request has Transfer-Encoding (RFC 9112 section 6.1)"}
	RefuseTransferEncoding = &Refusal{http.StatusNotImplemented, ReasonUnsupportedTE,
		"the request's Transfer-Encoding is not a single \"chunked\""}
	RefuseRequestLine = &Refusal{http.StatusBadRequest, ReasonMalformedRequestLine,
		"the request line is not METHOD SP TARGET SP HTTP/x.y"}
	RefuseMethod = &Refusal{http.StatusBadRequest, ReasonMalformedRequestLine,
		"the request's method is not a token (RFC 9110 section 9)"}
	RefuseTarget = &Refusal{http.StatusBadRequest, ReasonMalformedRequestLine,
		"the request target is not an absolute path or an absolute URI"}
	RefuseHeaderLine = &Refusal{http.StatusBadRequest, ReasonMalformedHeader,
		"a header line starts with CR"}
	RefuseHeaderName = &Refusal{http.StatusBadRequest, ReasonMalformedHeader,
		"a header line has no colon, or its name is not a token"}
	RefuseHeaderValue = &Refusal{http.StatusBadRequest, ReasonMalformedHeader,
		"a header value contains a control character"}
	RefuseNoHost = &Refusal{http.StatusBadRequest, ReasonMissingHost,
		"an HTTP/1.1 request must carry one Host header (RFC 9112 section 3.2)"}
	RefuseManyHosts = &Refusal{http.StatusBadRequest, ReasonBadHost,
		"the request has more than one Host header"}
	RefuseBadHost = &Refusal{http.StatusBadRequest, ReasonBadHost,
		"the request's Host header is not a valid host[:port]"}
	RefuseHostMismatch = &Refusal{http.StatusBadRequest, ReasonBadHost,
		"the request's Host header differs from its :authority (RFC 9113 section 8.3.1)"}
	RefuseVersion = &Refusal{http.StatusHTTPVersionNotSupported, ReasonUnsupportedVersion,
		"the request's HTTP version is not 1.0 or 1.1 (HTTP/2 is offered by TLS ALPN)"}
	RefuseExpect = &Refusal{http.StatusExpectationFailed, ReasonUnsupportedExpect,
		"the request's Expect is not 100-continue"}
	RefuseHeaderListTooLarge = &Refusal{http.StatusRequestHeaderFieldsTooLarge, ReasonHeadersTooLarge,
		"the request's header list is larger than the server's SETTINGS_MAX_HEADER_LIST_SIZE"}
	// RefuseChunked is a malformed chunked request body: the request is
	// already being served, so the connection is cut instead of answered.
	RefuseChunked = &Refusal{0, ReasonMalformedChunkedBody, "the chunked request body is malformed"}
)

// CheckHead returns the refusal of a parsed request whose target or header
// fields exceed the limits, or nil: the guard for requests no server of
// this module parsed (a handler mounted in a server of the caller's, or
// net/http's servers).
func CheckHead(r *http.Request) *Refusal {
	switch {
	case len(r.RequestURI) > MaxURIBytes:
		return RefuseURITooLong
	case HeaderBytes(r) > MaxHeaderBytes:
		return RefuseHeadersTooLarge
	}
	return nil
}

// HeaderBytes is the size of a request's header fields as HTTP/1.1 would
// send them ("Name: value\r\n"), Host included; it stops counting past
// MaxHeaderBytes.
func HeaderBytes(r *http.Request) int {
	n := len("Host: \r\n") + len(r.Host)
	for k, vv := range r.Header {
		for _, v := range vv {
			n += len(k) + len(v) + 4
		}
		if n > MaxHeaderBytes {
			break
		}
	}
	return n
}
