package httpwire

import (
	"fmt"
	"net/http"
	"strconv"
)

// Response is the state a server's http.ResponseWriter keeps, and the rules
// it applies whatever the protocol: the status, the declared length, what
// was written, whether the response may have a body, and whether it
// announced trailers. The HTTP/1.x and HTTP/2 servers embed one each and
// frame the result their way.
type Response struct {
	Fields   http.Header // the response header: the ResponseWriter's Header()
	Status   int         // 0 until the final status is set
	Declared int64       // the handler's Content-Length, -1 if none
	Written  int64       // body bytes accepted so far
	NoBody   bool        // HEAD, or a status without a body
	IsHead   bool
	Trailers bool // the head announced trailers in a Trailer field
}

// Reset makes r the state of a new response to a request with method.
func (r *Response) Reset(h http.Header, method string) {
	*r = Response{Fields: h, Declared: -1, IsHead: method == http.MethodHead}
}

// WriteHeader applies http.ResponseWriter.WriteHeader's rules to code. It
// reports interim for a 1xx status, which the caller sends (or drops)
// itself and which does not end the head; with switching set, 101 is a
// final status (HTTP/1.1's protocol switch). A second final status is
// ignored. It panics on a code outside 100-999, as net/http does.
func (r *Response) WriteHeader(code int, switching bool) (interim bool) {
	if r.Status != 0 {
		return false
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code < 200 && !(switching && code == http.StatusSwitchingProtocols) {
		return true
	}
	r.Status = code
	r.NoBody = r.IsHead || code == http.StatusNoContent || code == http.StatusNotModified || code < 200
	if cl := r.Fields["Content-Length"]; len(cl) > 0 {
		if n, ok := ParseContentLength(cl[0]); ok {
			r.Declared = n
			if len(cl) > 1 || cl[0] != strconv.FormatInt(n, 10) {
				r.Fields["Content-Length"] = []string{strconv.FormatInt(n, 10)}
			}
		} else {
			delete(r.Fields, "Content-Length")
		}
	}
	// Trailers are announced in the head; their values follow the body.
	r.Trailers = len(r.Fields["Trailer"]) > 0
	return false
}

// Accept applies http.ResponseWriter.Write's rules to a write of n bytes,
// after the status is set: it returns what Write returns when nothing is to
// be sent (a HEAD response swallows the body; a status without one refuses
// it; sticky is an earlier write error), and send when the n bytes are to
// be sent, which it counts.
func (r *Response) Accept(n int, sticky error) (written int, send bool, err error) {
	if r.NoBody {
		if r.IsHead {
			return n, false, nil
		}
		return 0, false, http.ErrBodyNotAllowed
	}
	if sticky != nil {
		return 0, false, sticky
	}
	if r.Declared >= 0 && r.Written+int64(n) > r.Declared {
		return 0, false, http.ErrContentLength
	}
	r.Written += int64(n)
	return n, true, nil
}

// LengthKnown reports whether a head sent once the handler has returned
// may declare the length written: there is a body, no length was declared,
// and no trailers are to follow it.
func (r *Response) LengthKnown() bool {
	return !r.NoBody && r.Declared < 0 && !r.Trailers && !HasPrefixedTrailer(r.Fields)
}

// Short reports whether the body came up short of its declared length.
func (r *Response) Short() bool {
	return !r.NoBody && r.Declared >= 0 && r.Written < r.Declared
}
