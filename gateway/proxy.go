package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/idna"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/policy"
)

var (
	errRequestTimeout = errors.New("gateway: backend did not answer within the request timeout")
	errDrained        = errors.New("gateway: member removed from its pool and its drain time is over")
)

// hopHeaders are removed from requests and responses in both directions,
// with every header named in Connection (RFC 9110 section 7.6.1).
var hopHeaders = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

func removeHopHeaders(h http.Header) {
	for _, f := range h["Connection"] {
		for f != "" {
			var name string
			name, f, _ = strings.Cut(f, ",")
			if name = textproto.TrimString(name); name != "" && !strings.EqualFold(name, "keep-alive") && !strings.EqualFold(name, "close") {
				h.Del(name)
			}
		}
	}
	for _, name := range hopHeaders {
		delete(h, name)
	}
}

// backendHeader copies a request's header for the backend into out (a new
// map if nil, else cleared first), without the hop-by-hop fields. The value
// slices are shared with the client's request, which the gateway never
// modifies; fields the gateway sets get new slices.
func backendHeader(h, out http.Header) http.Header {
	if out == nil {
		out = make(http.Header, len(h)+4)
	} else {
		clear(out)
	}
	for k, vv := range h {
		out[k] = vv
	}
	removeHopHeaders(out)
	return out
}

func upgradeType(h http.Header) string {
	if httpguts.HeaderValuesContainsToken(h["Connection"], "upgrade") {
		return h.Get("Upgrade")
	}
	return ""
}

// exchange is one request's trip through the gateway, for the access log.
type exchange struct {
	rw          responseWriter
	listener    *listenerState
	rule, pool  string
	setting     string
	member      string
	backendTLS  *tls.ConnectionState
	backendTime time.Duration
	reason      string
	err         error
	aborted     bool // the client connection was aborted, after logging

	// The backend request of the HTTP/1.1 path, reused with the exchange.
	out       http.Request
	outURL    url.URL
	outHeader http.Header
}

var exchangePool = sync.Pool{New: func() any { return new(exchange) }}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// serve routes and proxies one request that arrived on frontend port.
// ownTLS says the gateway terminated the request's TLS itself (not a
// server the gateway's Handler is mounted in), so its SNI chose the
// certificate.
func (g *Gateway) serve(s *snapshot, port int, w http.ResponseWriter, r *http.Request, ownTLS bool) {
	start := time.Now()
	x := exchangePool.Get().(*exchange)
	header := x.outHeader
	*x = exchange{rw: responseWriter{ResponseWriter: w}, outHeader: header}
	defer func() {
		g.accessLog(r, x, start)
		header := x.outHeader
		if len(header) > 64 {
			header = nil // do not keep an outsized map in the pool
		}
		clear(header)
		*x = exchange{outHeader: header}
		exchangePool.Put(x)
	}()
	w = &x.rw

	rt, ok := s.table.Route(port, r.Host, cleanPath(r.URL.Path), r.URL.RawQuery)
	if !ok {
		g.fail(w, x, http.StatusNotFound, "no-listener", fmt.Sprintf("no listener on port %d accepts host %q", port, r.Host), nil)
		return
	}
	x.listener = s.listeners[rt.Listener]
	x.rule = s.cfg.Rules[rt.Rule].Name
	if ownTLS && r.TLS != nil && misdirected(s, port, r, x.listener) {
		g.fail(w, x, http.StatusMisdirectedRequest, "misdirected",
			fmt.Sprintf("host %q is not served by the certificate of this connection (SNI %q): open a connection for that host", r.Host, r.TLS.ServerName), nil)
		return
	}
	if rt.Redirect != nil {
		w.Header().Set("Location", rt.Redirect.Location)
		w.Header().Set("Server", serverName)
		w.WriteHeader(rt.Redirect.Status)
		return
	}
	set := s.routes[rt.Rule][rt.PathRule+1]
	x.pool, x.setting = set.pool, set.setting.cfg.Name
	g.proxy(s, set, rt.Path, w, r, x)
}

const serverName = "e2etls"

// misdirected reports whether a request's Host belongs to a listener whose
// certificate the connection did not present and whose name that
// certificate does not cover: the client sent SNI for one site and Host for
// another (domain fronting, or a reused HTTP/2 connection), which RFC 9110
// answers with 421 so the client retries on a connection of its own.
func misdirected(s *snapshot, port int, r *http.Request, hostListener *listenerState) bool {
	li, ok := s.table.CertificateFor(port, r.TLS.ServerName)
	if !ok || li == hostListener.index {
		return false
	}
	sni := s.listeners[li]
	if sni.cfg.SSLCertificate == hostListener.cfg.SSLCertificate {
		return false
	}
	if leaf := sni.tlsConfig.Certificates[0].Leaf; leaf != nil {
		return leaf.VerifyHostname(requestHost(r.Host)) != nil
	}
	return true
}

// fail answers with the gateway's own one-line error response.
func (g *Gateway) fail(w http.ResponseWriter, x *exchange, status int, reason, msg string, err error) {
	x.reason, x.err = reason, err
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Server", serverName)
	h.Set("X-E2etls-Error", reason)
	w.WriteHeader(status)
	msg = strings.NewReplacer("\r", " ", "\n", " ").Replace(msg)
	io.WriteString(w, fmt.Sprintf("%d %s: %s\n", status, http.StatusText(status), msg))
}

func (g *Gateway) proxy(s *snapshot, set *backendSet, path string, w http.ResponseWriter, r *http.Request, x *exchange) {
	st := set.setting
	m, fromCookie := set.pick(r)
	if m == nil {
		g.fail(w, x, http.StatusBadGateway, "no-healthy-backend", noHealthyMessage(set), nil)
		return
	}

	host := requestHost(r.Host)
	// The backend request lives in the pooled exchange for the HTTP/1.1
	// client, which is done with it when proxy returns; net/http's HTTP/2
	// transport may still hold its request afterwards, so it gets its own.
	var out *http.Request
	if st.cfg.HTTP2 {
		out = &http.Request{Header: backendHeader(r.Header, nil), URL: new(url.URL)}
	} else {
		if x.outHeader == nil {
			x.outHeader = make(http.Header, len(r.Header)+4)
		}
		x.out = http.Request{Header: backendHeader(r.Header, x.outHeader), URL: &x.outURL}
		out = &x.out
	}
	out.Method, out.Proto, out.ProtoMajor, out.ProtoMinor = r.Method, "HTTP/1.1", 1, 1
	out.Body, out.ContentLength = r.Body, r.ContentLength
	out.Trailer = r.Trailer // filled in once the body has been read
	if r.ContentLength == 0 {
		out.Body = nil
	}
	if up := upgradeType(r.Header); up != "" {
		out.Header.Set("Connection", "Upgrade")
		out.Header.Set("Upgrade", up)
	}
	if te := r.Header.Values("Te"); len(te) > 0 {
		for _, v := range te {
			if strings.Contains(strings.ToLower(v), "trailers") {
				out.Header.Set("Te", "trailers")
			}
		}
	}
	g.forwardedHeaders(out.Header, r, x.listener)
	*out.URL = url.URL{Path: path, RawQuery: r.URL.RawQuery}
	if path == r.URL.Path {
		out.URL.RawPath = r.URL.RawPath
	}
	out.URL.Scheme = "http"
	if st.https {
		out.URL.Scheme = "https"
	}

	for attempt := 0; ; attempt++ {
		x.member = m.hostKey
		switch st.mode {
		case hostFixed:
			out.Host = st.cfg.HostName
		case hostPick:
			out.Host = m.address
		default:
			out.Host = clientHostHeader(r.Host, host)
		}
		ep, err := s.endpointFor(m, host)
		if err != nil {
			g.fail(w, x, http.StatusBadGateway, "backend-setting", err.Error(), err)
			return
		}
		out.URL.Host = ep.id

		t0 := time.Now()
		var resp *http.Response
		release := func() {}
		if st.cfg.HTTP2 {
			resp, release, err = s.roundTripH2(r.Context(), m, out, st.timeout)
		} else {
			// The client's context aborts the exchange when the client
			// leaves; the connection itself watches the member's drain.
			resp, err = s.h1.roundTrip(r.Context(), ep, out, t0.Add(st.timeout))
		}
		x.backendTime = time.Since(t0)
		if err == nil {
			func() {
				defer release()
				g.respond(w, r, out, resp, set, m, fromCookie, x)
			}()
			return
		}
		err = classifyAlert(err)
		if r.Context().Err() != nil {
			x.reason, x.err = "client-gone", r.Context().Err()
			return
		}
		timedOut := errors.Is(err, errRequestTimeout)
		var de *dialError
		dialFailed := errors.As(err, &de)
		// Another member gets one more try when the request has no body to
		// replay and either nothing of it was sent (the connection or its
		// verification failed) or it is idempotent (a timeout, or a backend
		// that broke the connection before answering, as one restarting does).
		// A request cut because its member's drain time ended is not retried:
		// draining ends what the member holds, as configured.
		drained := errors.Is(err, errDrained)
		if attempt == 0 && out.Body == nil && !drained && (dialFailed || idempotent(r.Method)) {
			if next := set.pickAfter(m); next != nil {
				g.log.LogAttrs(r.Context(), slog.LevelWarn, "gateway: retrying on another member",
					slog.String("pool", set.pool), slog.String("setting", st.cfg.Name),
					slog.String("member", m.hostKey), slog.String("next", next.hostKey), slog.String("error", err.Error()))
				m, fromCookie = next, false
				continue
			}
		}
		switch {
		case timedOut:
			g.fail(w, x, http.StatusGatewayTimeout, "timeout",
				fmt.Sprintf("backend %s (pool %q, setting %q) did not answer within %v", m.hostKey, set.pool, st.cfg.Name, st.timeout), err)
		case drained:
			g.fail(w, x, http.StatusBadGateway, "drained", fmt.Sprintf("backend %s was removed from pool %q and its drain time is over", m.hostKey, set.pool), err)
		default:
			reason := "backend-unreachable"
			if rs, ok := backendtls.ReasonOf(err); ok {
				reason = rs.String()
				if !dialFailed { // refused after the handshake (classifyAlert); handshake marked the others
					m.health.MarkUnhealthy(err)
					m.code.set(reason)
				}
			}
			g.fail(w, x, http.StatusBadGateway, reason,
				fmt.Sprintf("backend %s (pool %q, setting %q): %s", m.hostKey, set.pool, st.cfg.Name, unwrapTransportError(err)), err)
		}
		return
	}
}

// roundTripH2 sends out through net/http's transport (HTTP/2 by ALPN),
// with a context that ends when the client leaves, when the member's drain
// time is over, or after timeout until the response head. An error carries
// the cause (errDrained, errRequestTimeout). release ends the context once
// the response has been relayed.
func (s *snapshot) roundTripH2(client context.Context, m *memberState, out *http.Request, timeout time.Duration) (*http.Response, func(), error) {
	ctx, cancel := context.WithCancelCause(client)
	stopDrain := context.AfterFunc(m.drainCtx, func() { cancel(errDrained) })
	timer := time.AfterFunc(timeout, func() { cancel(errRequestTimeout) })
	resp, err := s.transport.RoundTrip(out.WithContext(ctx))
	timer.Stop()
	release := func() {
		stopDrain()
		cancel(nil)
	}
	if err != nil {
		cause := context.Cause(ctx)
		release()
		if cause != nil && cause != context.Canceled && !errors.Is(err, cause) {
			err = fmt.Errorf("%w: %w", cause, err)
		}
		return nil, nil, err
	}
	return resp, release, nil
}

// unwrapTransportError strips net/http's url.Error wrapper from a message.
func unwrapTransportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

func noHealthyMessage(set *backendSet) string {
	if len(set.members) == 0 {
		return fmt.Sprintf("pool %q has no members", set.pool)
	}
	reason := ""
	for _, m := range set.members {
		if sn := m.health.Snapshot(); sn.Reason != "" {
			reason = fmt.Sprintf(" (%s: %s)", m.hostKey, sn.Reason)
			break
		}
	}
	return fmt.Sprintf("no healthy member in pool %q for setting %q%s", set.pool, set.setting.cfg.Name, reason)
}

// requestHost is the client's Host without its port, lower-cased, without a
// trailing dot: the SNI and identity in client-Host mode.
func requestHost(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	} else if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	h = strings.TrimSuffix(h, ".")
	upper := false
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c >= utf8.RuneSelf {
			// An internationalised name: its A-label, as routing matched it.
			if a, err := idna.Lookup.ToASCII(h); err == nil {
				return a
			}
			return strings.ToLower(h)
		}
		upper = upper || c >= 'A' && c <= 'Z'
	}
	if upper {
		return strings.ToLower(h)
	}
	return h
}

// clientHostHeader is the Host sent to the backend in client-Host mode: the
// client's own, unless it is an internationalised name, which goes as its
// A-label (ascii, from requestHost) with the client's port, as a Host
// header must be ASCII.
func clientHostHeader(raw, ascii string) string {
	for i := 0; i < len(raw); i++ {
		if raw[i] >= utf8.RuneSelf {
			if _, port, err := net.SplitHostPort(raw); err == nil {
				return net.JoinHostPort(ascii, port)
			}
			return ascii
		}
	}
	return raw
}

// forwardedHeaders sets X-Forwarded-For (the client's IP:port appended to any
// incoming list), X-Forwarded-Proto, X-Forwarded-Port and X-Original-Host.
func (g *Gateway) forwardedHeaders(h http.Header, r *http.Request, l *listenerState) {
	xff := r.RemoteAddr
	if prior := r.Header["X-Forwarded-For"]; len(prior) > 0 {
		xff = strings.Join(prior, ", ") + ", " + xff
	}
	// One backing array for the four values; each field's slice is capped
	// so that an append elsewhere copies.
	v := make([]string, 4)
	v[0], v[1], v[2], v[3] = xff, l.scheme, l.portStr, r.Host
	h["X-Forwarded-For"] = v[0:1:1]
	h["X-Forwarded-Proto"] = v[1:2:2]
	h["X-Forwarded-Port"] = v[2:3:3]
	h["X-Original-Host"] = v[3:4:4]
}

// pick chooses a member for a request: the one its affinity cookie names
// when that one is healthy, else the next healthy member round-robin.
func (s *backendSet) pick(r *http.Request) (*memberState, bool) {
	if name := s.setting.cookie; name != "" {
		// Cross-site requests carry only the CORS variant (SameSite=None).
		c, err := r.Cookie(name)
		if err != nil {
			c, err = r.Cookie(s.setting.corsCookie)
		}
		if err == nil {
			if m := s.byCookie[c.Value]; m != nil && m.health.Healthy() {
				return m, true
			}
		}
	}
	n := uint64(len(s.members))
	if n == 0 {
		return nil, false
	}
	start := s.next.Add(1)
	for i := uint64(0); i < n; i++ {
		if m := s.members[(start+i)%n]; m.health.Healthy() {
			return m, false
		}
	}
	return nil, false
}

// pickAfter chooses the healthy member that follows failed in the pool, for
// a retry. It leaves the round-robin cursor alone, so a slow member does not
// shift every later request onto itself.
func (s *backendSet) pickAfter(failed *memberState) *memberState {
	n := len(s.members)
	at := 0
	for i, m := range s.members {
		if m == failed {
			at = i
		}
	}
	for i := 1; i < n; i++ {
		if m := s.members[(at+i)%n]; m.health.Healthy() {
			return m
		}
	}
	return nil
}

func (g *Gateway) respond(w http.ResponseWriter, r, out *http.Request, resp *http.Response, set *backendSet, m *memberState, fromCookie bool, x *exchange) {
	defer resp.Body.Close()
	x.backendTLS = resp.TLS
	if resp.StatusCode == http.StatusSwitchingProtocols {
		g.upgrade(w, r, out, resp, x)
		return
	}
	removeHopHeaders(resp.Header)
	h := w.Header()
	for k, vv := range resp.Header {
		h[k] = vv
	}
	if set.setting.cookie != "" && !fromCookie {
		h.Add("Set-Cookie", set.setting.cookie+"="+m.cookie+"; Path=/")
		h.Add("Set-Cookie", set.setting.corsCookie+"="+m.cookie+"; Path=/; SameSite=None; Secure")
	}
	for k := range resp.Trailer {
		if !httpguts.ValidTrailerHeader(k) {
			delete(resp.Trailer, k) // never relayed as a trailer, let alone in the head
		}
	}
	announced := len(resp.Trailer)
	if announced > 0 {
		keys := make([]string, 0, len(resp.Trailer))
		for k := range resp.Trailer {
			keys = append(keys, k)
		}
		h["Trailer"] = []string{strings.Join(keys, ", ")}
	}
	w.WriteHeader(resp.StatusCode)

	flush := resp.ContentLength == -1 || strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream")
	if err := copyBody(w, resp.Body, flush); err != nil {
		if errors.Is(err, errClientWrite) || r.Context().Err() != nil {
			// The client left (the read was aborted because of it): not
			// the backend's fault.
			x.reason, x.err = "client-gone", err
			return
		}
		if m.drainCtx.Err() != nil {
			// The member was removed and its drain time is over.
			x.reason, x.err = "drained", err
		} else {
			// The backend broke mid-response.
			x.reason, x.err = "backend-aborted", err
			m.health.MarkUnhealthy(fmt.Errorf("backend broke off a response: %w", err))
			m.code.set("backend-aborted")
		}
		// Abort the client connection so the client sees a truncated
		// response, never a complete-looking one.
		x.aborted = true
		g.accessLogAbort(r, x)
		panic(http.ErrAbortHandler)
	}
	if len(resp.Trailer) == announced {
		for k, vv := range resp.Trailer {
			if httpguts.ValidTrailerHeader(k) {
				h[k] = vv
			}
		}
		return
	}
	for k, vv := range resp.Trailer {
		if httpguts.ValidTrailerHeader(k) {
			h[http.TrailerPrefix+k] = vv
		}
	}
}

var errClientWrite = errors.New("gateway: writing to the client failed")

// copyBody streams a response body to the client with a pooled buffer,
// flushing after every read when the response is a stream.
func copyBody(w http.ResponseWriter, body io.Reader, flush bool) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	rc := http.NewResponseController(w)
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return fmt.Errorf("%w: %v", errClientWrite, err)
			}
			if flush {
				if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
					return fmt.Errorf("%w: %v", errClientWrite, err)
				}
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// upgrade joins the client and backend connections after a 101 response
// (WebSocket and other HTTP/1.1 upgrades).
func (g *Gateway) upgrade(w http.ResponseWriter, r, out *http.Request, resp *http.Response, x *exchange) {
	reqUp, respUp := upgradeType(out.Header), upgradeType(resp.Header)
	if !strings.EqualFold(reqUp, respUp) {
		g.fail(w, x, http.StatusBadGateway, "bad-upgrade", fmt.Sprintf("backend switched to protocol %q, the client asked for %q", respUp, reqUp), nil)
		return
	}
	backConn, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		g.fail(w, x, http.StatusBadGateway, "bad-upgrade", "backend connection cannot be upgraded", nil)
		return
	}
	clientConn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		g.fail(w, x, http.StatusBadGateway, "bad-upgrade", "client connection cannot be upgraded: "+err.Error(), err)
		return
	}
	x.rw.status = http.StatusSwitchingProtocols
	untrack := g.trackHijacked(clientConn, backConn)
	defer untrack()
	defer clientConn.Close()
	defer backConn.Close()
	removeHopHeaders(resp.Header)
	resp.Header.Set("Connection", "Upgrade")
	resp.Header.Set("Upgrade", respUp)
	fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\n")
	if err := resp.Header.Write(brw); err != nil {
		return
	}
	brw.WriteString("\r\n")
	if err := brw.Flush(); err != nil {
		return
	}
	done := make(chan struct{}, 2)
	go func() {
		io.Copy(backConn, brw) // client -> backend, including anything already buffered
		done <- struct{}{}
	}()
	go func() {
		io.Copy(clientConn, backConn)
		done <- struct{}{}
	}()
	<-done // one side ended: close both (deferred), which ends the other copy
	clientConn.Close()
	backConn.Close()
	<-done
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

func tlsSummary(cs *tls.ConnectionState) string {
	if cs == nil {
		return ""
	}
	s := policy.VersionName(cs.Version) + " " + tls.CipherSuiteName(cs.CipherSuite)
	if cs.DidResume {
		s += " resumed"
	}
	return s
}

func (g *Gateway) accessLog(r *http.Request, x *exchange, start time.Time) {
	if x.aborted {
		return // logged before the abort
	}
	g.logExchange(r, x, start, slog.LevelInfo)
}

func (g *Gateway) accessLogAbort(r *http.Request, x *exchange) {
	g.logExchange(r, x, time.Time{}, slog.LevelWarn)
}

func (g *Gateway) logExchange(r *http.Request, x *exchange, start time.Time, level slog.Level) {
	if x.err != nil && level < slog.LevelWarn && x.reason != "client-gone" && x.reason != "no-listener" {
		level = slog.LevelWarn
	}
	ctx := r.Context()
	if !g.log.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 18)
	if x.listener != nil {
		attrs = append(attrs, slog.String("listener", x.listener.cfg.Name))
	}
	attrs = append(attrs,
		slog.String("rule", x.rule),
		slog.String("method", r.Method),
		slog.String("host", r.Host),
		slog.String("path", r.URL.Path),
		slog.String("client", r.RemoteAddr),
		slog.Int("status", x.rw.status),
		slog.Int64("bytes", x.rw.bytes),
	)
	if !start.IsZero() {
		attrs = append(attrs, slog.Duration("duration", time.Since(start)))
	}
	if r.TLS != nil {
		attrs = append(attrs, slog.String("client_tls", tlsSummary(r.TLS)))
	}
	if x.pool != "" {
		attrs = append(attrs, slog.String("pool", x.pool), slog.String("setting", x.setting), slog.String("member", x.member),
			slog.Duration("backend_duration", x.backendTime))
	}
	if x.backendTLS != nil {
		attrs = append(attrs, slog.String("backend_tls", tlsSummary(x.backendTLS)))
	}
	if x.reason != "" {
		attrs = append(attrs, slog.String("reason", x.reason))
	}
	if x.err != nil {
		attrs = append(attrs, slog.String("error", x.err.Error()))
	}
	g.log.LogAttrs(ctx, level, "request", attrs...)
}
