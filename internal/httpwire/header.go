package httpwire

import (
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
)

// ChunkedEncoding is the TransferEncoding of a chunked message.
var ChunkedEncoding = []string{"chunked"}

// TrailerNames are the canonical field names a Trailer header announces.
func TrailerNames(fields []string) []string {
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

// ParseContentLength parses a Content-Length value: decimal digits only
// (no sign, as net/http), around optional whitespace.
func ParseContentLength(v string) (int64, bool) {
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

// HeaderValue replaces CR and LF with spaces: the servers have refused
// them from clients and the backend parser from backends; this keeps a
// value set by code from splitting a head.
func HeaderValue(v string) string {
	if strings.ContainsAny(v, "\r\n") {
		return strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
	}
	return v
}

// InHead reports whether field k of a response header h goes in the head:
// not a trailer (set with http.TrailerPrefix, or, when announced is set,
// named in the Trailer field: its values come after the body), and a token.
func InHead(h http.Header, k string, announced bool) bool {
	return !strings.HasPrefix(k, http.TrailerPrefix) && httpguts.ValidHeaderFieldName(k) &&
		!(announced && isAnnouncedTrailer(h, k))
}

// isAnnouncedTrailer reports whether the Trailer field of h names k.
func isAnnouncedTrailer(h http.Header, k string) bool {
	for _, f := range h["Trailer"] {
		for f != "" {
			var name string
			name, f, _ = strings.Cut(f, ",")
			if strings.EqualFold(textproto.TrimString(name), k) {
				return true
			}
		}
	}
	return false
}

// HasPrefixedTrailer reports whether h holds a trailer set with
// http.TrailerPrefix.
func HasPrefixedTrailer(h http.Header) bool {
	for k := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			return true
		}
	}
	return false
}

// EachTrailer calls fn for every trailer field of a response header h once
// its body is written: those announced in the Trailer field and set after
// the head, and those set with http.TrailerPrefix. Fields that must not be
// trailers are left out.
func EachTrailer(h http.Header, fn func(name, value string)) {
	for _, f := range h["Trailer"] {
		for _, k := range strings.Split(f, ",") {
			k = textproto.CanonicalMIMEHeaderKey(textproto.TrimString(k))
			if !httpguts.ValidTrailerHeader(k) {
				continue
			}
			for _, v := range h[k] {
				fn(k, HeaderValue(v))
			}
		}
	}
	for k, vv := range h {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok && httpguts.ValidHeaderFieldName(name) && httpguts.ValidTrailerHeader(name) {
			for _, v := range vv {
				fn(name, HeaderValue(v))
			}
		}
	}
}

// ValidMethod reports whether m is a token (RFC 9110 section 9.1).
func ValidMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		if !httpguts.IsTokenRune(rune(m[i])) {
			return false
		}
	}
	return true
}

// pathSafe marks the bytes net/url keeps as they are in a path: a path of
// only these needs no unescaping and has no RawPath.
var pathSafe = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-_.~$&+,/:;=@" {
		t[c] = true
	}
	return t
}()

// ParseOriginForm sets u from an origin-form target (an absolute path and
// query) without allocating, as url.ParseRequestURI would, when every byte
// of it is one net/url keeps as it is; it reports false otherwise, leaving
// u unset.
func ParseOriginForm(u *url.URL, target string) bool {
	if len(target) == 0 || target[0] != '/' {
		return false
	}
	path, query, hasQuery := strings.Cut(target, "?")
	for i := 0; i < len(path); i++ {
		if !pathSafe[path[i]] {
			return false
		}
	}
	for i := 0; i < len(query); i++ {
		if query[i] < 0x20 || query[i] == 0x7f {
			return false
		}
	}
	u.Path, u.RawQuery = path, query
	u.ForceQuery = hasQuery && query == ""
	return true
}

// NextLine returns the first line of s without its line ending (LF or
// CRLF), and the rest.
func NextLine(s string) (line, rest string) {
	i := strings.IndexByte(s, '\n')
	if i < 0 {
		return s, ""
	}
	line, rest = s[:i], s[i+1:]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, rest
}

// Clip shortens s for an error message.
func Clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

type cachedDate struct {
	sec  int64
	text string
}

var dateCache atomic.Pointer[cachedDate]

// Date is the current time in the Date header's format, made once a
// second.
func Date() string {
	now := time.Now()
	if d := dateCache.Load(); d != nil && d.sec == now.Unix() {
		return d.text
	}
	d := &cachedDate{sec: now.Unix(), text: now.UTC().Format(http.TimeFormat)}
	dateCache.Store(d)
	return d.text
}
