package routing

import (
	"errors"
	"fmt"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
)

// A Match narrows a path rule to the requests that, besides a path the rule
// matches, have a method, header fields and query parameters it names: the
// Kubernetes Gateway API's HTTPRouteMatch. Every condition given must hold
// (a logical AND). The zero Match holds for every request.
//
// A request whose path a path rule with a Match matches, but whose other
// conditions do not hold, goes on to the next path rule in listed order
// whose pattern matches its path, and then to the path map's default. So a
// path rule may repeat a pattern of an earlier path rule when that earlier
// one has a Match.
type Match struct {
	// Method is the request method the rule matches, compared exactly
	// ("GET", not "get"). If empty, any method.
	Method string

	// Headers are header fields the request must have, each matching. At
	// most one per name (names ignore case). If empty, the header is not
	// looked at.
	Headers []HeaderMatch

	// QueryParams are query parameters the request must have, each
	// matching. At most one per name (names are case-sensitive). If empty,
	// the query is not looked at.
	QueryParams []QueryParamMatch
}

// IsZero reports whether m holds for every request.
func (m *Match) IsZero() bool {
	return m.Method == "" && len(m.Headers) == 0 && len(m.QueryParams) == 0
}

// A HeaderMatch holds when the request has the header field Name with a
// value that Value matches. A field the request sends on several lines is
// matched as its values joined with "," (RFC 9110, section 5.3); a field it
// does not send matches nothing.
type HeaderMatch struct {
	// Name is the field's name, matched without regard to case. It is
	// required and must be an HTTP token.
	Name string

	// Value is the value to match: compared exactly, case included, or,
	// with Regexp, a regular expression in Go's RE2 syntax (package regexp)
	// that must match the whole value, as if anchored with ^ and $.
	Value string

	// Regexp makes Value a regular expression. If false, Value is compared
	// exactly.
	Regexp bool
}

// A QueryParamMatch holds when the request's query has the parameter Name
// and its first value matches Value. Names and values are compared
// decoded (percent-escapes and '+' for a space, as net/url's ParseQuery
// does); a parameter the query does not have matches nothing.
type QueryParamMatch struct {
	// Name is the parameter's name, compared exactly. It is required.
	Name string

	// Value is the value to match, as in [HeaderMatch].
	Value string

	// Regexp makes Value a regular expression that must match the whole
	// value. If false, Value is compared exactly.
	Regexp bool
}

// A Request is what a path rule's [Match] reads of a request besides its
// host and path. The zero Request has no method, header fields or query.
type Request struct {
	// Method is the request's method.
	Method string

	// Header is the request's header, its keys in canonical form (as
	// net/http's Header holds them). It is only read. If nil, none.
	Header map[string][]string

	// RawQuery is the request's query without the '?', encoded, as
	// net/url's URL.RawQuery holds it. Redirects that include the query
	// use it too.
	RawQuery string
}

// A compiledMatch is a valid Match, ready to test requests.
type compiledMatch struct {
	method  string
	headers []valueCond // by canonical header key
	query   []valueCond // by decoded name
}

// A valueCond is a condition on one header field or query parameter.
type valueCond struct {
	key   string
	value string
	re    *regexp.Regexp // nil for an exact comparison
}

func (c *valueCond) holds(v string) bool {
	if c.re != nil {
		return c.re.MatchString(v)
	}
	return v == c.value
}

// compileMatch validates m and compiles it; nil for the zero Match.
func compileMatch(m *Match) (*compiledMatch, []error) {
	if m.IsZero() {
		return nil, nil
	}
	var errs []error
	cm := &compiledMatch{method: m.Method}
	if m.Method != "" && !validToken(m.Method) {
		errs = append(errs, fmt.Errorf("method %q is not an HTTP token", m.Method))
	}
	seen := make(map[string]bool)
	for _, h := range m.Headers {
		if !validToken(h.Name) {
			errs = append(errs, fmt.Errorf("header %q: name is not an HTTP token", h.Name))
			continue
		}
		key := textproto.CanonicalMIMEHeaderKey(h.Name)
		if seen[key] {
			errs = append(errs, fmt.Errorf("header %q: listed twice (names ignore case)", h.Name))
			continue
		}
		seen[key] = true
		c, err := valueCondOf(key, h.Value, h.Regexp)
		if err != nil {
			errs = append(errs, fmt.Errorf("header %q: %w", h.Name, err))
			continue
		}
		cm.headers = append(cm.headers, c)
	}
	clear(seen)
	for _, q := range m.QueryParams {
		if q.Name == "" {
			errs = append(errs, errors.New("query parameter: name is required"))
			continue
		}
		if seen[q.Name] {
			errs = append(errs, fmt.Errorf("query parameter %q: listed twice", q.Name))
			continue
		}
		seen[q.Name] = true
		c, err := valueCondOf(q.Name, q.Value, q.Regexp)
		if err != nil {
			errs = append(errs, fmt.Errorf("query parameter %q: %w", q.Name, err))
			continue
		}
		cm.query = append(cm.query, c)
	}
	return cm, errs
}

func valueCondOf(key, value string, isRegexp bool) (valueCond, error) {
	if strings.ContainsAny(value, "\r\n\x00") {
		return valueCond{}, fmt.Errorf("value %q holds CR, LF or NUL, which no request can send", value)
	}
	c := valueCond{key: key, value: value}
	if isRegexp {
		re, err := regexp.Compile(`^(?:` + value + `)$`)
		if err != nil {
			return valueCond{}, fmt.Errorf("regular expression %q: %w", value, err)
		}
		c.re = re
	}
	return c, nil
}

// validToken reports whether s is an HTTP token (RFC 9110, section 5.6.2).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// holds reports whether the request meets every condition of m.
func (m *compiledMatch) holds(req *Request) bool {
	if m.method != "" && req.Method != m.method {
		return false
	}
	for i := range m.headers {
		c := &m.headers[i]
		vv := req.Header[c.key]
		var v string
		switch len(vv) {
		case 0:
			return false
		case 1:
			v = vv[0]
		default:
			v = strings.Join(vv, ",")
		}
		if !c.holds(v) {
			return false
		}
	}
	for i := range m.query {
		c := &m.query[i]
		v, ok := queryValue(req.RawQuery, c.key)
		if !ok || !c.holds(v) {
			return false
		}
	}
	return true
}

// queryValue returns the first value of the parameter name in the encoded
// query raw, decoded as net/url's ParseQuery decodes it. A pair that does
// not decode is skipped, as ParseQuery skips it.
func queryValue(raw, name string) (string, bool) {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue // ParseQuery refuses ';' as a separator and skips the pair
		}
		k, v, _ := strings.Cut(pair, "=")
		if strings.ContainsAny(k, "%+") {
			dk, err := url.QueryUnescape(k)
			if err != nil {
				continue
			}
			k = dk
		}
		if k != name {
			continue
		}
		if strings.ContainsAny(v, "%+") {
			dv, err := url.QueryUnescape(v)
			if err != nil {
				continue
			}
			v = dv
		}
		return v, true
	}
	return "", false
}
