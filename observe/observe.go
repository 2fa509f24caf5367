package observe

import (
	"context"
	"net/http"
	"time"
)

// Observer receives the gateway's events. Its methods may be called
// concurrently and on the request path: they must return quickly and never
// block. Embed [Nop] to implement only some of them.
type Observer interface {
	// Request is called once per request, when its response has been
	// sent (or the connection cut).
	Request(Request)
	// ClientHandshake is called once per frontend TLS handshake.
	ClientHandshake(ClientHandshake)
	// BackendHandshake is called once per backend TLS handshake: the data
	// path's, the probes' and the dry run's.
	BackendHandshake(BackendHandshake)
	// Reload is called once per configuration change: Update, and
	// certificate files that changed.
	Reload(Reload)
}

// Nop is an Observer that does nothing, to embed.
type Nop struct{}

func (Nop) Request(Request)                   {}
func (Nop) ClientHandshake(ClientHandshake)   {}
func (Nop) BackendHandshake(BackendHandshake) {}
func (Nop) Reload(Reload)                     {}

// Request is a request the gateway served.
type Request struct {
	// Listener, Rule, Pool and Setting name what served the request; ""
	// where it did not get that far (no listener accepted its host; a
	// redirect has no pool).
	Listener, Rule, Pool, Setting string
	// Member is the member that answered, address:port; "" if none.
	Member string
	// Method is the request's method as sent: bound it before using it as
	// a label (see [MethodLabel]).
	Method string
	// Proto is "HTTP/1.0", "HTTP/1.1" or "HTTP/2.0".
	Proto string
	// Status is the status the client got; 0 when the connection was cut
	// before a response head.
	Status int
	// Code is the failure's code (the gateway's ErrorCode, a backendtls
	// reason, or a refusal's), "" when none.
	Code string
	// Received and Sent are the request and response body bytes.
	Received, Sent int64
	// Duration is from the request's arrival to its end.
	Duration time.Duration
	// BackendConnect is the time to connect to the member and, for HTTPS,
	// complete the TLS handshake, when the request needed a new
	// connection; zero when it reused one (or has no backend).
	BackendConnect time.Duration
	// BackendFirstByte is from the start of the backend attempt that
	// answered (connecting included) to its response head; zero without a
	// backend response. BackendLastByte is to the end of its body.
	BackendFirstByte, BackendLastByte time.Duration
	// ClientTLS is the client connection's TLS, zero for plain HTTP.
	ClientTLS TLS
	// BackendTLS is the backend connection's TLS, zero for HTTP backends
	// or when none was reached.
	BackendTLS TLS
}

// TLS is the outcome of a TLS connection.
type TLS struct {
	// Version is the TLS version (tls.VersionTLS13, ...); 0 for none.
	Version uint16
	// CipherSuite is the negotiated suite.
	CipherSuite uint16
	// Resumed is set when the connection resumed a session.
	Resumed bool
}

// ClientHandshake is a frontend TLS handshake.
type ClientHandshake struct {
	// Port is the frontend port.
	Port int
	// Listener names the listener whose certificate was chosen by SNI; ""
	// when the handshake failed before.
	Listener string
	// Failure classifies a failed handshake ("" when it succeeded): one of
	// "protocol-version", "no-shared-cipher", "unknown-sni", "bad-certificate"
	// (a client that refused the listener's certificate), "timeout",
	// "eof" (the client left), "not-tls" (plain HTTP to a TLS port),
	// "other".
	Failure string
	TLS     TLS
	// Duration is the handshake's.
	Duration time.Duration
}

// BackendHandshake is a TLS handshake with a pool member.
type BackendHandshake struct {
	Pool, Setting, Member string
	// Use is "traffic" (the data path), "probe" or "check" (dry run).
	Use string
	// Reason is the backendtls reason of a failed verification or
	// handshake ("untrusted-root", ...); "" when it succeeded.
	Reason string
	TLS    TLS
	// NotAfter is the expiry of the leaf certificate the member presented,
	// zero when it presented none.
	NotAfter time.Time
	// Duration is the handshake's (without the TCP connect).
	Duration time.Duration
}

// Reload is a configuration change.
type Reload struct {
	// Source is "update" (Gateway.Update) or "file" (a new version of a
	// certificate source: a watched certificate, CA or CRL file, or a
	// certsource.Source of one's own).
	Source string
	// Generation is the configuration generation now serving.
	Generation uint64
	// Err is why the change was refused (the old configuration keeps
	// serving), nil when it applied.
	Err error
}

// Tracer opens spans around requests and their backend attempts. The
// gateway calls it only when one is configured: without one, tracing costs
// nothing.
type Tracer interface {
	// StartRequest opens the span of a request and returns the context
	// that carries it, and the span.
	StartRequest(ctx context.Context, r *http.Request) (context.Context, RequestSpan)
}

// RequestSpan is the span of one request.
type RequestSpan interface {
	// StartAttempt opens the span of a backend attempt as a child of the
	// request's, and writes the trace context into the header sent to
	// the backend (W3C traceparent for OpenTelemetry).
	StartAttempt(ctx context.Context, a Attempt, header http.Header) AttemptSpan
	// End closes the span with the request's outcome.
	End(Request)
}

// Attempt is a backend attempt as it starts.
type Attempt struct {
	Pool, Setting, Member string
	// SNI is the server name sent, "" for none or plain HTTP.
	SNI string
	// Retry is set for a second attempt, on another member.
	Retry bool
}

// AttemptSpan is the span of one backend attempt.
type AttemptSpan interface {
	End(AttemptResult)
}

// AttemptResult is how a backend attempt ended.
type AttemptResult struct {
	// Status is the backend's status, 0 when none came.
	Status int
	// Reason is the failure's code ("timeout", a backendtls reason, ...),
	// "" when the backend answered.
	Reason string
	// TLS is the backend connection's TLS (zero for HTTP).
	TLS TLS
	// Err is the failure, nil when the backend answered.
	Err error
}

// MethodLabel bounds a request method for use as a metric label: the
// methods of RFC 9110 and PATCH as they are, anything else "other".
func MethodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "other"
}

// StatusClass is a status's class: "2xx", ...; "none" for 0.
func StatusClass(status int) string {
	switch {
	case status >= 100 && status < 600:
		return [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}[status/100-1]
	}
	return "none"
}
