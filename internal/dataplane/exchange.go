package dataplane

import (
	"crypto/tls"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/e2etls/e2etls/clientauth"
	"github.com/e2etls/e2etls/internal/accesslog"
	"github.com/e2etls/e2etls/observe"
	"github.com/e2etls/e2etls/policy"
)

// exchange is one request's trip through the gateway: what the access log,
// the observer and the error responses need. It is pooled; everything in it
// is reset between requests.
type exchange struct {
	rw          responseWriter
	start       time.Time
	requestID   string
	listener    *Listener
	scheme      string // forwarded as X-Forwarded-Proto
	port        string // forwarded as X-Forwarded-Port
	rule, pool  string
	setting     string
	member      string
	backendTLS  *tls.ConnectionState
	client      *clientauth.Verdict // the client certificate's, on a listener with client authentication
	backendTime time.Duration       // to the response head of the attempt that answered
	lastByte    time.Duration       // to the end of its body
	connect     time.Duration       // the new connection of the attempt that answered, if any
	status      int                 // the backend's
	reason      string
	msg         string // the failure's account, as detailed errors give it
	err         error
	aborted     bool // the client connection was aborted, after logging
	body        countingBody
	span        observe.RequestSpan

	// The backend request of the HTTP/1.1 path, reused with the exchange.
	out       http.Request
	outURL    url.URL
	outHeader http.Header

	rec accesslog.Record

	rewriting rewriting // the route's rewrite set at work, if any
}

var exchangePool = sync.Pool{New: func() any { return new(exchange) }}

// getExchange returns a reset exchange for a request that started at start.
func getExchange(w http.ResponseWriter, start time.Time) *exchange {
	x := exchangePool.Get().(*exchange)
	header := x.outHeader
	*x = exchange{rw: responseWriter{ResponseWriter: w}, outHeader: header, start: start}
	return x
}

func putExchange(x *exchange) {
	header := x.outHeader
	if len(header) > 64 {
		header = nil // do not keep an outsized map in the pool
	}
	clear(header)
	*x = exchange{outHeader: header}
	exchangePool.Put(x)
}

// responseWriter records the status and size of a response for the access
// log; it unwraps for http.ResponseController.
type responseWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 || w.status < 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *responseWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// countingBody counts the bytes of a request body as the backend request
// reads them.
type countingBody struct {
	rc io.ReadCloser
	n  int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.n += int64(n)
	return n, err
}

func (b *countingBody) Close() error { return b.rc.Close() }

// RequestIDHeader carries a request's ID to the backend, and back to the
// client in the gateway's own error responses.
const RequestIDHeader = "X-Request-Id"

// maxRequestIDBytes bounds a request ID a client sends.
const maxRequestIDBytes = 128

// requestID is the ID of r: the client's X-Request-ID when it is one value
// of at most 128 bytes of letters, digits and "-_.:+=/", else a new one of
// 32 hex digits.
func requestID(r *http.Request) string {
	if v := r.Header[RequestIDHeader]; len(v) == 1 && validRequestID(v[0]) {
		return v[0]
	}
	var b [32]byte
	const hex = "0123456789abcdef"
	for i, u := range [2]uint64{rand.Uint64(), rand.Uint64()} {
		for j := 0; j < 16; j++ {
			b[i*16+j] = hex[u>>(4*j)&0xf]
		}
	}
	return string(b[:])
}

func validRequestID(s string) bool {
	if s == "" || len(s) > maxRequestIDBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == ':' || c == '+' || c == '=' || c == '/') {
			return false
		}
	}
	return true
}

func tlsSummary(cs *tls.ConnectionState) string {
	if cs == nil {
		return ""
	}
	s := policy.VersionName(cs.Version) + " " + policy.CipherSuiteName(cs.CipherSuite)
	if cs.DidResume {
		s += " resumed"
	}
	return s
}

func tlsOf(cs *tls.ConnectionState) observe.TLS {
	if cs == nil {
		return observe.TLS{}
	}
	return observe.TLS{Version: cs.Version, CipherSuite: cs.CipherSuite, Resumed: cs.DidResume}
}

func (s *Snapshot) accessLog(r *http.Request, x *exchange) {
	if x.aborted {
		return // logged before the abort
	}
	s.logExchange(r, x, slog.LevelInfo)
}

func (s *Snapshot) accessLogAbort(r *http.Request, x *exchange) {
	s.logExchange(r, x, slog.LevelWarn)
}

// logExchange reports a request: to the access log (its Writer, else the
// Logger at Info), to the Logger at Warn when it failed, to the observer
// and to its span.
func (s *Snapshot) logExchange(r *http.Request, x *exchange, level slog.Level) {
	took := time.Since(x.start)
	if x.err != nil && level < slog.LevelWarn && x.reason != CodeClientGone && x.reason != CodeNoListener {
		level = slog.LevelWarn
	}
	status := x.rw.status
	if x.aborted {
		status = 0 // the client saw the connection cut
	}
	if o := s.plan.Observer; o != nil || x.span != nil {
		ev := s.event(r, x, status, took)
		if o != nil {
			o.Request(ev)
		}
		if x.span != nil {
			x.span.End(ev)
		}
	}
	if w := s.plan.AccessLog; w != nil {
		s.fillRecord(&x.rec, r, x, status, took)
		w.Log(&x.rec)
		if level < slog.LevelWarn {
			return // the error log gets failures only
		}
	}
	ctx := r.Context()
	if !s.env.Log.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 24)
	if x.listener != nil {
		attrs = append(attrs, slog.String("listener", x.listener.Name))
	}
	attrs = append(attrs,
		slog.String("rule", x.rule),
		slog.String("method", r.Method),
		slog.String("host", r.Host),
		slog.String("path", r.URL.Path),
		slog.String("proto", r.Proto),
		slog.String("client", r.RemoteAddr),
		slog.String("user_agent", r.UserAgent()),
		slog.Int("status", status),
		slog.Int64("bytes_received", x.body.n),
		slog.Int64("bytes_sent", x.rw.bytes),
		slog.String("duration", took.String()),
		slog.String("request_id", x.requestID),
	)
	if r.TLS != nil {
		attrs = append(attrs, slog.String("client_tls", tlsSummary(r.TLS)))
	}
	if x.pool != "" {
		attrs = append(attrs, slog.String("pool", x.pool), slog.String("setting", x.setting), slog.String("member", x.member),
			slog.String("backend_duration", x.backendTime.String()))
	}
	if x.backendTLS != nil {
		attrs = append(attrs, slog.String("backend_tls", tlsSummary(x.backendTLS)))
	}
	attrs = clientCertificateAttrs(attrs, x)
	if x.reason != "" {
		attrs = append(attrs, slog.String("reason", x.reason))
	}
	switch {
	case x.err != nil:
		attrs = append(attrs, slog.Any("error", x.err)) // the error value, for handlers that branch on it
	case x.msg != "":
		attrs = append(attrs, slog.String("error", x.msg))
	}
	s.env.Log.LogAttrs(ctx, level, "request", attrs...)
}

// event is the observer's view of a request.
func (s *Snapshot) event(r *http.Request, x *exchange, status int, took time.Duration) observe.Request {
	ev := observe.Request{
		Rule: x.rule, Pool: x.pool, Setting: x.setting, Member: x.member,
		Method: r.Method, Proto: r.Proto, Status: status, Code: x.reason,
		Received: x.body.n, Sent: x.rw.bytes, Duration: took,
		BackendConnect: x.connect, BackendFirstByte: x.backendTime, BackendLastByte: x.lastByte,
		ClientTLS: tlsOf(r.TLS), BackendTLS: tlsOf(x.backendTLS),
	}
	if x.listener != nil {
		ev.Listener = x.listener.Name
	}
	return ev
}

// fillRecord fills an access-log record.
func (s *Snapshot) fillRecord(rec *accesslog.Record, r *http.Request, x *exchange, status int, took time.Duration) {
	*rec = accesslog.Record{
		Time: x.start, Method: r.Method, URI: r.RequestURI, Proto: r.Proto, Host: r.Host, OrigHost: r.Host,
		UserAgent: r.UserAgent(), Status: status, Received: x.body.n, Sent: x.rw.bytes, TimeTaken: took,
		Rule: x.rule, Pool: x.pool, Setting: x.setting, Member: x.member, ServerStatus: x.status,
		ServerLatency: x.backendTime, RequestID: x.requestID, Reason: x.reason,
	}
	rec.ClientIP, rec.ClientPort, _ = net.SplitHostPort(r.RemoteAddr)
	if x.listener != nil {
		rec.Listener = x.listener.Name
	}
	if r.TLS != nil {
		rec.SSLProtocol, rec.SSLCipher, rec.SSLResumed = policy.VersionName(r.TLS.Version), policy.CipherSuiteName(r.TLS.CipherSuite), r.TLS.DidResume
	}
	if cs := x.backendTLS; cs != nil {
		rec.BackendSSLProtocol, rec.BackendSSLCipher, rec.BackendSSLResumed = policy.VersionName(cs.Version), policy.CipherSuiteName(cs.CipherSuite), cs.DidResume
	}
	if v := x.client; v != nil {
		rec.ClientVerify = v.ClientCertificateVerification()
		if v.Certificate != nil {
			rec.ClientCertFingerprint = clientauth.Fingerprint(v.Certificate)
			rec.ClientCertIssuer = clientauth.Issuer(v.Certificate)
		}
	}
	switch {
	case x.msg != "":
		rec.Error = x.msg
	case x.err != nil:
		rec.Error = x.err.Error()
	}
}
