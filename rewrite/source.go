package rewrite

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/e2etls/e2etls/internal/suggest"
)

// srcKind is where a variable's value comes from.
type srcKind uint8

const (
	srcVar        srcKind = iota + 1 // a server variable
	srcCookie                        // a request cookie
	srcReqHeader                     // a request header as the client sent it
	srcRespHeader                    // a response header as the backend sent it
)

// A source is a parsed variable: what a condition tests and what a
// reference renders.
type source struct {
	kind srcKind
	v    Variable // srcVar
	name string   // srcCookie: the cookie; srcReqHeader, srcRespHeader: the canonical header name
}

// response reports whether s exists only once the backend has answered.
func (s source) response() bool {
	return s.kind == srcRespHeader || s.kind == srcVar && responseVariable(s.v)
}

// String returns s in Azure's syntax, with the header name in canonical form.
func (s source) String() string {
	switch s.kind {
	case srcVar:
		return "var_" + s.v.String()
	case srcCookie:
		return "var_cookie_" + s.name
	case srcReqHeader:
		return "http_req_" + s.name
	case srcRespHeader:
		return "http_resp_" + s.name
	}
	return "?"
}

// parseSource parses a variable in Azure's syntax (var_..., http_req_...,
// http_resp_...).
func parseSource(s string) (source, error) {
	switch {
	case strings.HasPrefix(s, "var_"):
		name := s[len("var_"):]
		if cookie, ok := strings.CutPrefix(name, "cookie_"); ok {
			if !validCookieName(cookie) {
				return source{}, fmt.Errorf("%q: %q is not a valid cookie name", s, cookie)
			}
			return source{kind: srcCookie, name: cookie}, nil
		}
		if v, ok := LookupVariable(name); ok {
			return source{kind: srcVar, v: v}, nil
		}
		msg := fmt.Sprintf("unknown server variable %q", name)
		if near := suggest.Closest(name, variableNames(), 2); near != "" {
			msg += fmt.Sprintf(" (did you mean var_%s?)", near)
		}
		return source{}, errors.New(msg)
	case strings.HasPrefix(s, "http_req_"):
		name := s[len("http_req_"):]
		if !httpguts.ValidHeaderFieldName(name) {
			return source{}, fmt.Errorf("%q: %q is not a valid header name", s, name)
		}
		return source{kind: srcReqHeader, name: textproto.CanonicalMIMEHeaderKey(name)}, nil
	case strings.HasPrefix(s, "http_resp_"):
		name := s[len("http_resp_"):]
		if !httpguts.ValidHeaderFieldName(name) {
			return source{}, fmt.Errorf("%q: %q is not a valid header name", s, name)
		}
		return source{kind: srcRespHeader, name: textproto.CanonicalMIMEHeaderKey(name)}, nil
	}
	msg := fmt.Sprintf("unknown variable %q: variables begin with var_, http_req_ or http_resp_", s)
	for _, p := range []string{"var_", "http_req_", "http_resp_"} {
		if len(s) > len(p) && strings.EqualFold(s[:len(p)], p) {
			msg = fmt.Sprintf("unknown variable %q: the prefix is %s, in lower case", s, p)
		}
	}
	return source{}, errors.New(msg)
}

// validCookieName reports whether name is a cookie-name (RFC 6265: a token).
func validCookieName(name string) bool {
	return name != "" && httpguts.ValidHeaderFieldName(name)
}

// read returns the value of s in x, and false if x has none.
func (x *Exchange) read(s source) (string, bool) {
	switch s.kind {
	case srcVar:
		switch s.v {
		case URIPath:
			if x.seen {
				return x.seenPath, true
			}
			return x.Path, true
		case QueryString:
			if x.seen {
				return x.seenQuery, true
			}
			return x.RawQuery, true
		case HTTPStatus:
			if x.Status < 100 || x.Status > 999 {
				return "", false
			}
			return statusString(x.Status), true
		}
		if x.Vars == nil {
			return "", false
		}
		return x.Vars.Var(s.v)
	case srcCookie:
		return cookieValue(x.Request["Cookie"], s.name)
	case srcReqHeader:
		if s.name == "Host" {
			return x.Host, x.Host != ""
		}
		return joined(x.Request[s.name])
	case srcRespHeader:
		return joined(x.Response[s.name])
	}
	return "", false
}

// joined returns a header's values as one field value, joined with ", " as
// RFC 9110 section 5.3 allows; it allocates only for a repeated header.
func joined(vv []string) (string, bool) {
	switch len(vv) {
	case 0:
		return "", false
	case 1:
		return vv[0], true
	}
	return strings.Join(vv, ", "), true
}

// cookieValue returns the value of the cookie name in the request's Cookie
// header lines, and false if it is absent. It scans the lines in place,
// without allocating; surrounding double quotes are kept, as in the header.
func cookieValue(lines []string, name string) (string, bool) {
	for _, line := range lines {
		for line != "" {
			var pair string
			pair, line, _ = strings.Cut(line, ";")
			pair = textproto.TrimString(pair)
			k, v, ok := strings.Cut(pair, "=")
			if ok && textproto.TrimString(k) == name {
				return textproto.TrimString(v), true
			}
		}
	}
	return "", false
}

// statusString formats a three-digit status code without allocating.
func statusString(code int) string {
	const digits = "0123456789"
	if code >= 100 && code <= 599 {
		i := (code - 100) * 3
		return statusCodes[i : i+3]
	}
	return string([]byte{digits[code/100%10], digits[code/10%10], digits[code%10]})
}

// canonicalHeader returns name's canonical form, the key of an http.Header.
func canonicalHeader(name string) string { return http.CanonicalHeaderKey(name) }
