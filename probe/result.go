package probe

import (
	"crypto/tls"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Kind classifies the outcome of a probe, so that callers can branch and
// report without parsing messages.
type Kind int

// The kinds of probe outcome.
const (
	// KindOK is a healthy answer.
	KindOK Kind = iota
	// KindTimeout is no complete answer within Spec.Timeout.
	KindTimeout
	// KindDNS is a backend host name that did not resolve.
	KindDNS
	// KindConnect is a TCP connection that could not be made.
	KindConnect
	// KindTLS is a failed TLS handshake, including a backend certificate
	// that failed verification.
	KindTLS
	// KindStatus is a status code outside Spec.StatusCodes.
	KindStatus
	// KindBody is a response body without Spec.Body.
	KindBody
	// KindOther is anything else: a probe that could not be sent (invalid
	// Spec or Target), a cancelled probe, a malformed response.
	KindOther
)

var kindNames = [...]string{
	KindOK:      "ok",
	KindTimeout: "timeout",
	KindDNS:     "dns",
	KindConnect: "connect",
	KindTLS:     "tls",
	KindStatus:  "status",
	KindBody:    "body",
	KindOther:   "other",
}

// String returns the kind's lowercase name, such as "timeout".
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Result is the outcome of one probe of one target. Probes return results and
// never log: the caller decides what to record and report.
type Result struct {
	// Target is the Target's Name.
	Target string
	// Healthy reports whether the probe succeeded.
	Healthy bool
	// Kind classifies the outcome; KindOK when Healthy.
	Kind Kind
	// StatusCode is the response's status code, or 0 when there was no
	// response.
	StatusCode int
	// Latency is the time from the start of the probe until the answer was
	// judged (after the body was read, when Spec.Body is set) or the probe
	// failed.
	Latency time.Duration
	// Time is when the probe started.
	Time time.Time
	// Err is why the probe failed, nil when Healthy. It is an [*Error] when
	// the probe was sent, and the error of [Spec.Validate] or of the Target
	// when it could not be.
	Err error
	// TLS is the state of the TLS connection when a handshake completed
	// (its PeerCertificates are what the backend presented); nil otherwise.
	TLS *tls.ConnectionState
}

// Message returns one line that says what happened, for backend-health
// reports, for instance:
//
//	the backend did not answer the health probe within the 30s timeout
//	status code 503 did not match the probe: expected 200-399
//	response body does not contain "ready"
//
// A failed certificate verification gives the verification error's own
// message. A healthy result gives "status code 200 matched the probe".
func (r Result) Message() string {
	if r.Healthy {
		return "status code " + strconv.Itoa(r.StatusCode) + " matched the probe"
	}
	if r.Err == nil {
		return "no probe result"
	}
	return describe(r.Err)
}

// describe returns the one-line message for err: the message of an [*Error],
// the verification error's own message for a TLS failure, and else err's
// text.
func describe(err error) string {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.message()
	}
	if classify(err) == KindTLS {
		return tlsMessage(err, "")
	}
	return oneLine(err.Error())
}

// oneLine joins the lines of s (as errors.Join writes them) with "; ".
func oneLine(s string) string {
	if !strings.Contains(s, "\n") {
		return s
	}
	return strings.ReplaceAll(s, "\n", "; ")
}
