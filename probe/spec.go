package probe

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Defaults of a [Spec], which are those of Azure Application Gateway's default
// probe.
const (
	DefaultScheme             = "https"
	DefaultPath               = "/"
	DefaultInterval           = 30 * time.Second
	DefaultTimeout            = 30 * time.Second
	DefaultUnhealthyThreshold = 3
)

// Limits of a [Spec].
const (
	// MaxBodyMatch is the longest Spec.Body, in characters, as in Azure.
	MaxBodyMatch = 4090
	// MaxBodyBytes is how much of a response body Check reads to look for
	// Spec.Body. It is more than MaxBodyMatch characters of UTF-8 can take,
	// so a match near the start of a large page is always found. A body that
	// holds the text only after MaxBodyBytes does not match.
	MaxBodyBytes = 64 << 10
	// MaxDuration is the longest Spec.Interval and Spec.Timeout (Azure's
	// 86,400 s).
	MaxDuration = 24 * time.Hour
	// MaxUnhealthyThreshold is the largest Spec.UnhealthyThreshold.
	MaxUnhealthyThreshold = 20
)

// Spec describes a health probe: what request to send and which answers are
// healthy. It is set by struct literal; every zero field means Azure's
// default, so Spec{} is the default probe (see [Default]).
//
// Spec carries no trust settings: certificates are verified by the
// [Target]'s Transport, which the gateway builds from the same configuration
// as the data path.
type Spec struct {
	// Scheme is "http" or "https". If empty, "https".
	Scheme string

	// Host is the Host header. If empty, the Target's Host, and if that is
	// empty too, the host of the dial address. Host never decides the TLS
	// server name (SNI): the Target's Transport does.
	Host string

	// Path is the request path, which must start with "/" and may carry a
	// query. If empty, "/".
	Path string

	// Port replaces the port of the Target's Address, 1..65535. If zero, the
	// Address's own port.
	Port int

	// Interval is the time from the start of one probe of a target to the
	// start of the next, up to MaxDuration. A probe that takes longer delays
	// the next one instead of overlapping it. If zero, 30 s.
	Interval time.Duration

	// Timeout bounds one probe, from dialling to reading the body, up to
	// MaxDuration. If zero, 30 s.
	Timeout time.Duration

	// UnhealthyThreshold is how many consecutive failed probes take a target
	// out of rotation, 1..20. Check does not use it: it is the threshold to
	// give NewHealth for the target. If zero, 3.
	UnhealthyThreshold int

	// StatusCodes are the healthy status codes. If nil or empty, 200-399.
	StatusCodes []StatusRange

	// Body is text that the response body must contain, compared byte for
	// byte (no pattern), within the first MaxBodyBytes of the body. At most
	// MaxBodyMatch characters. If empty, the body is not read.
	Body string
}

// Default returns Azure Application Gateway's default probe with every value
// spelt out: GET https://<target>/ every 30 s, a 30 s timeout, three failures
// to go unhealthy, status 200-399 healthy, no body match.
//
// Host is left empty so that the Target's Host is sent; for Azure's default
// probe the gateway sets the Target's Host to the backend setting's host
// name, or to "127.0.0.1" when it names none.
func Default() Spec {
	return Spec{
		Scheme:             DefaultScheme,
		Path:               DefaultPath,
		Interval:           DefaultInterval,
		Timeout:            DefaultTimeout,
		UnhealthyThreshold: DefaultUnhealthyThreshold,
		StatusCodes:        []StatusRange{{Min: 200, Max: 399}},
	}
}

// Validate reports every problem of s, each naming the field, joined with
// [errors.Join]. Zero fields are valid: they take their defaults.
func (s Spec) Validate() error {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("probe: "+format, args...))
	}
	switch s.Scheme {
	case "", "http", "https":
	default:
		add("Scheme %q is not %q or %q", s.Scheme, "http", "https")
	}
	if s.Host != "" && !validHost(s.Host) {
		add("Host %q is not a valid Host header", s.Host)
	}
	if s.Path != "" {
		if s.Path[0] != '/' {
			add("Path %q does not start with %q", s.Path, "/")
		} else if i := invalidPathByte(s.Path); i >= 0 {
			add("Path %q has the invalid character %q at offset %d", s.Path, s.Path[i], i)
		}
	}
	if s.Port < 0 || s.Port > 65535 {
		add("Port %d is out of range 1..65535 (0 means the target's port)", s.Port)
	}
	for _, d := range [...]struct {
		name string
		v    time.Duration
	}{{"Interval", s.Interval}, {"Timeout", s.Timeout}} {
		if d.v < 0 {
			add("%s %v is negative (0 means 30s)", d.name, d.v)
		} else if d.v > MaxDuration {
			add("%s %v is longer than %v", d.name, d.v, MaxDuration)
		}
	}
	if s.UnhealthyThreshold < 0 || s.UnhealthyThreshold > MaxUnhealthyThreshold {
		add("UnhealthyThreshold %d is out of range 1..%d (0 means %d)", s.UnhealthyThreshold, MaxUnhealthyThreshold, DefaultUnhealthyThreshold)
	}
	for i, r := range s.StatusCodes {
		if problem := r.problem(); problem != "" {
			add("StatusCodes[%d] %d-%d: %s", i, r.Min, r.Max, problem)
		}
	}
	if n := utf8.RuneCountInString(s.Body); n > MaxBodyMatch {
		add("Body is %d characters long; at most %d are allowed", n, MaxBodyMatch)
	}
	return errors.Join(errs...)
}

// invalidPathByte returns the offset of the first byte that cannot appear in
// a request path (a space, a control character, or "#"), or -1.
func invalidPathByte(p string) int {
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c == 0x7f || c == '#' {
			return i
		}
	}
	return -1
}

// withDefaults returns s with every zero field set to its default.
func (s Spec) withDefaults() Spec {
	if s.Scheme == "" {
		s.Scheme = DefaultScheme
	}
	if s.Path == "" {
		s.Path = DefaultPath
	}
	if s.Interval == 0 {
		s.Interval = DefaultInterval
	}
	if s.Timeout == 0 {
		s.Timeout = DefaultTimeout
	}
	if s.UnhealthyThreshold == 0 {
		s.UnhealthyThreshold = DefaultUnhealthyThreshold
	}
	return s
}

// statusOK reports whether code is one of s.StatusCodes (200-399 when none).
func (s Spec) statusOK(code int) bool {
	if len(s.StatusCodes) == 0 {
		return code >= 200 && code <= 399
	}
	for _, r := range s.StatusCodes {
		if r.contains(code) {
			return true
		}
	}
	return false
}

// expected returns a copy of the healthy status ranges, for an error.
func (s Spec) expected() []StatusRange {
	if len(s.StatusCodes) == 0 {
		return []StatusRange{{Min: 200, Max: 399}}
	}
	return append([]StatusRange(nil), s.StatusCodes...)
}

// validHost reports whether h can be sent as a Host header: a host name, an
// IPv4 address or a bracketed IPv6 address, with an optional port. It checks
// characters only (RFC 3986 reg-name, IP-literal and port characters), as
// net/http does before sending.
func validHost(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~!$&'()*+,;=:[]%", c) >= 0:
		default:
			return false
		}
	}
	return true
}
