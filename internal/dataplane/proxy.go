package dataplane

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/idna"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/internal/httpwire"
	"github.com/e2etls/e2etls/internal/upstream"
	"github.com/e2etls/e2etls/observe"
	"github.com/e2etls/e2etls/routing"
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

// backendRequestHeader makes the header of the request to the backend in
// out (a new map if nil, else cleared first): the client's without the
// hop-by-hop fields, the upgrade and TE the gateway forwards, the
// X-Forwarded-* fields, the request's ID and X-Forwarded-Client-Cert as
// the listener's SSL profile says.
func (s *Snapshot) backendRequestHeader(r *http.Request, x *exchange, out http.Header) http.Header {
	out = backendHeader(r.Header, out)
	if up := upgradeType(r.Header); up != "" {
		out.Set("Connection", "Upgrade")
		out.Set("Upgrade", up)
	}
	if te := r.Header.Values("Te"); len(te) > 0 {
		for _, v := range te {
			if strings.Contains(strings.ToLower(v), "trailers") {
				out.Set("Te", "trailers")
			}
		}
	}
	forwardedHeaders(out, r, x.scheme, x.port)
	out[RequestIDHeader] = []string{x.requestID}
	forwardClientCert(out, x)
	return out
}

func upgradeType(h http.Header) string {
	if httpguts.HeaderValuesContainsToken(h["Connection"], "upgrade") {
		return h.Get("Upgrade")
	}
	return ""
}

// Ingress is how a request reached the gateway.
type Ingress struct {
	// Port is the frontend port the request is routed as arriving on.
	Port int
	// Own is set when the gateway's own frontend served the connection:
	// its TLS handshake (and SNI) chose the listener's certificate, and
	// the listener's scheme and port are the forwarded ones. Unset for a
	// request through the gateway's Handler in a server of someone
	// else's: the request's connection gives the scheme and port.
	Own bool
}

// Serve routes and proxies one request.
func (s *Snapshot) Serve(in Ingress, w http.ResponseWriter, r *http.Request) {
	x := getExchange(w, time.Now())
	x.requestID = requestID(r)
	if t := s.plan.Tracer; t != nil {
		var ctx context.Context
		ctx, x.span = t.StartRequest(r.Context(), r)
		r = r.WithContext(ctx)
	}
	defer func() {
		s.accessLog(r, x)
		putExchange(x)
	}()
	w = &x.rw

	clean := httpwire.CleanPath(r.URL.Path)
	rt, ok := s.plan.Table.RouteRequest(in.Port, r.Host, clean, routing.Request{Method: r.Method, Header: r.Header, RawQuery: r.URL.RawQuery})
	if !ok {
		s.fail(w, x, http.StatusNotFound, CodeNoListener, fmt.Sprintf("no listener on port %d accepts host %q", in.Port, r.Host), nil)
		return
	}
	x.listener = &s.plan.Listeners[rt.Listener]
	x.rule = s.plan.Rules[rt.Rule].Name
	if in.Own {
		x.scheme, x.port = s.fwd[rt.Listener].scheme, s.fwd[rt.Listener].port
		if r.TLS != nil && misdirected(s, in.Port, r, rt.Listener) {
			s.fail(w, x, http.StatusMisdirectedRequest, CodeMisdirected,
				fmt.Sprintf("host %q is not served by the certificate of this connection (SNI %q): open a connection for that host", r.Host, r.TLS.ServerName), nil)
			return
		}
	} else {
		x.scheme, x.port = connectionOf(r)
	}
	if !s.checkClientCertificate(in, w, r, x, rt.Listener) {
		return
	}
	if rt.Redirect != nil {
		w.Header().Set("Location", rt.Redirect.Location)
		w.Header().Set("Server", ServerName)
		w.WriteHeader(rt.Redirect.Status)
		return
	}
	path := rt.Path
	if rw := s.rewriteOf(rt); rw != nil {
		// The rewrite set may reroute the request: the backend set is the
		// route's it settles on.
		if rt, path, ok = s.rewriteRequest(in, rt, rw, clean, w, r, x); !ok {
			return
		}
	}
	set := s.routes[rt.Rule][rt.PathRule+1].backendSet()
	x.pool, x.setting = set.pool, set.setting.Name
	s.proxy(set, path, w, r, x)
}

// connectionOf is the scheme and local port of the connection r came on.
func connectionOf(r *http.Request) (scheme, port string) {
	scheme = "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, p, err := net.SplitHostPort(a.String()); err == nil {
			port = p
		}
	}
	return scheme, port
}

// ServerName is the Server header of the gateway's own responses.
const ServerName = "e2etls"

// misdirected reports whether a request's Host belongs to a listener whose
// certificate the connection did not present and whose name that
// certificate does not cover: the client sent SNI for one site and Host for
// another (domain fronting, or a reused HTTP/2 connection), which RFC 9110
// answers with 421 so the client retries on a connection of its own.
func misdirected(s *Snapshot, port int, r *http.Request, hostListener int) bool {
	li, ok := s.plan.Table.CertificateFor(port, r.TLS.ServerName)
	if !ok || li == hostListener {
		return false
	}
	sni, host := &s.plan.Listeners[li], &s.plan.Listeners[hostListener]
	if sni.Certificate == host.Certificate {
		return false
	}
	if len(sni.TLS.Certificates) == 0 {
		return false // a listener served only through Handler: no certificate chose it
	}
	if leaf := sni.TLS.Certificates[0].Leaf; leaf != nil {
		return leaf.VerifyHostname(requestHost(r.Host)) != nil
	}
	return true
}

// fail answers with the gateway's own error response: with detailed
// errors, a one-line account and the code in ErrorHeader; else a generic
// one-line page with the request's ID. RequestIDHeader carries the ID
// either way, and the account always goes to the log.
func (s *Snapshot) fail(w http.ResponseWriter, x *exchange, status int, reason, msg string, err error) {
	x.reason, x.err, x.msg = reason, err, msg // the log gets the account whatever the client sees
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Server", ServerName)
	h.Set(RequestIDHeader, x.requestID)
	if p := s.errorPage(x, status); p != nil {
		// The custom page replaces the body only: the log keeps the
		// account, and the reason header stays with detailed errors.
		if s.plan.DetailedErrors {
			h.Set(ErrorHeader, reason)
		}
		p.Write(w, status)
		return
	}
	var body string
	if s.plan.DetailedErrors {
		h.Set(ErrorHeader, reason)
		msg = strings.NewReplacer("\r", " ", "\n", " ").Replace(msg)
		body = fmt.Sprintf("%d %s: %s\n", status, http.StatusText(status), msg)
	} else {
		body = fmt.Sprintf("%d %s (request ID %s)\n", status, http.StatusText(status), x.requestID)
	}
	// No Content-Length: the server frames the body, and can still say
	// in the head that the connection closes.
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func (s *Snapshot) proxy(set *backendSet, path string, w http.ResponseWriter, r *http.Request, x *exchange) {
	st := set.setting
	m, fromCookie := set.pick(r)
	if m == nil {
		s.fail(w, x, http.StatusBadGateway, CodeNoHealthyBackend, noHealthyMessage(set), nil)
		return
	}

	host := requestHost(r.Host)
	// The backend request lives in the pooled exchange for the HTTP/1.1
	// client, which is done with it when proxy returns; net/http's HTTP/2
	// transport may still hold its request afterwards, so it gets its own.
	// A rewritten request's header is ready in the pooled map already.
	rw := &x.rewriting
	var out *http.Request
	switch {
	case st.HTTP2 && rw.active:
		out = &http.Request{Header: make(http.Header, len(x.outHeader)), URL: new(url.URL)}
		for k, vv := range x.outHeader {
			out.Header[k] = vv
		}
	case st.HTTP2:
		out = &http.Request{Header: s.backendRequestHeader(r, x, nil), URL: new(url.URL)}
	case rw.active:
		x.out = http.Request{Header: x.outHeader, URL: &x.outURL}
		out = &x.out
	default:
		if x.outHeader == nil {
			x.outHeader = make(http.Header, len(r.Header)+4)
		}
		x.out = http.Request{Header: s.backendRequestHeader(r, x, x.outHeader), URL: &x.outURL}
		out = &x.out
	}
	out.Method, out.Proto, out.ProtoMajor, out.ProtoMinor = r.Method, "HTTP/1.1", 1, 1
	out.ContentLength = r.ContentLength
	out.Trailer = r.Trailer // filled in once the body has been read
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		x.body.rc = r.Body
		out.Body = &x.body
	}
	if rw.active {
		// A URL the rules rewrote is escaped anew: the client's raw form
		// of its path no longer applies.
		*out.URL = url.URL{Path: path, RawQuery: rw.x.RawQuery}
		if !rw.urlChanged && path == r.URL.Path {
			out.URL.RawPath = r.URL.RawPath
		}
	} else {
		*out.URL = url.URL{Path: path, RawQuery: r.URL.RawQuery}
		if path == r.URL.Path {
			out.URL.RawPath = r.URL.RawPath
		}
	}
	out.URL.Scheme = "http"
	if st.HTTPS {
		out.URL.Scheme = "https"
	}

	for attempt := 0; ; attempt++ {
		x.member = m.HostKey
		switch st.HostMode {
		case HostFixed:
			out.Host = st.HostName
		case HostPick:
			out.Host = m.Address
		default:
			out.Host = clientHostHeader(r.Host, host)
		}
		if rw.host != "" {
			// A rule's Host goes in the header only: the endpoint, its
			// SNI and the identity it must prove come from host, the
			// client's, and the setting, as without the rule.
			out.Host = rw.host
		}
		ep, err := s.pool.Endpoint(m.Member, host)
		if err != nil {
			s.fail(w, x, http.StatusBadGateway, CodeBackendSetting, err.Error(), err)
			return
		}

		var span observe.AttemptSpan
		if x.span != nil {
			span = x.span.StartAttempt(r.Context(), observe.Attempt{Pool: set.pool, Setting: st.Name, Member: m.HostKey,
				SNI: ep.SNI, Retry: attempt > 0}, out.Header)
		}
		t0 := time.Now()
		var trip upstream.Trip
		resp, release, err := s.pool.RoundTrip(r.Context(), ep, out, t0.Add(st.Timeout), &trip)
		x.backendTime, x.connect = time.Since(t0), trip.Connect
		if err == nil {
			x.status = resp.StatusCode
			if span != nil {
				span.End(observe.AttemptResult{Status: resp.StatusCode, TLS: tlsOf(resp.TLS)})
			}
			func() {
				defer release()
				s.respond(w, r, out, resp, set, m, fromCookie, x)
			}()
			x.lastByte = time.Since(t0)
			return
		}
		if r.Context().Err() != nil {
			x.reason, x.err = CodeClientGone, r.Context().Err()
			if span != nil {
				span.End(observe.AttemptResult{Reason: CodeClientGone, Err: err})
			}
			return
		}
		var de *upstream.DialError
		dialFailed := errors.As(err, &de)
		if rs, ok := backendtls.ReasonOf(err); ok && !(dialFailed && de.FromClient) {
			// The member failed verification: out of rotation at once,
			// unless the name it failed for was a client's.
			m.fail(err, rs.String())
		} else if dialFailed && !de.FromClient && st.ProbeOff {
			// Without probes traffic is the only judge: a member that
			// could not be reached leaves rotation too, for its hold.
			m.fail(err, attemptReason(err))
		}
		if span != nil {
			span.End(observe.AttemptResult{Reason: attemptReason(err), Err: err})
		}
		timedOut := errors.Is(err, upstream.ErrRequestTimeout)
		// Another member gets one more try when the request has no body to
		// replay and either nothing of it was sent (the connection or its
		// verification failed) or it is idempotent (a timeout, or a backend
		// that broke the connection before answering, as one restarting does).
		// A request cut because its member's drain time ended is not retried:
		// draining ends what the member holds, as configured.
		drained := errors.Is(err, upstream.ErrDrained)
		if attempt == 0 && out.Body == nil && !drained && (dialFailed || httpwire.Idempotent(r.Method)) {
			if next := set.pickAfter(m); next != nil {
				s.env.Log.LogAttrs(r.Context(), slog.LevelWarn, "gateway: retrying on another member",
					slog.String("pool", set.pool), slog.String("setting", st.Name),
					slog.String("member", m.HostKey), slog.String("next", next.HostKey), slog.String("error", err.Error()))
				m, fromCookie = next, false
				continue
			}
		}
		switch {
		case timedOut:
			s.fail(w, x, http.StatusGatewayTimeout, CodeTimeout,
				fmt.Sprintf("backend %s (pool %q, setting %q) did not answer within %v", m.HostKey, set.pool, st.Name, st.Timeout), err)
		case drained:
			s.fail(w, x, http.StatusBadGateway, CodeDrained, fmt.Sprintf("backend %s was removed from pool %q and its drain time is over", m.HostKey, set.pool), err)
		default:
			reason := CodeBackendUnreachable
			if rs, ok := backendtls.ReasonOf(err); ok {
				reason = rs.String()
			}
			s.fail(w, x, http.StatusBadGateway, reason,
				fmt.Sprintf("backend %s (pool %q, setting %q): %s", m.HostKey, set.pool, st.Name, upstream.Message(err)), err)
		}
		return
	}
}

func noHealthyMessage(set *backendSet) string {
	if len(set.members) == 0 {
		return fmt.Sprintf("pool %q has no members", set.pool)
	}
	reason := ""
	for _, m := range set.members {
		if sn := m.health.Snapshot(); sn.Reason != "" {
			reason = fmt.Sprintf(" (%s: %s)", m.HostKey, sn.Reason)
			break
		}
	}
	return fmt.Sprintf("no healthy member in pool %q for setting %q%s", set.pool, set.setting.Name, reason)
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
// The scheme and port are those of the listener, or, for a request that
// came through a server of someone else's (the gateway's Handler), of the
// connection it came on.
func forwardedHeaders(h http.Header, r *http.Request, scheme, port string) {
	xff := r.RemoteAddr
	if prior := r.Header["X-Forwarded-For"]; len(prior) > 0 {
		xff = strings.Join(prior, ", ") + ", " + xff
	}
	// One backing array for the four values; each field's slice is capped
	// so that an append elsewhere copies.
	v := make([]string, 4)
	v[0], v[1], v[2], v[3] = xff, scheme, port, r.Host
	h["X-Forwarded-For"] = v[0:1:1]
	h["X-Forwarded-Proto"] = v[1:2:2]
	h["X-Forwarded-Port"] = v[2:3:3]
	h["X-Original-Host"] = v[3:4:4]
}

// pick chooses a member for a request: the one its affinity cookie names
// when that one is healthy, else the next healthy member round-robin.
func (s *backendSet) pick(r *http.Request) (*member, bool) {
	if name := s.setting.Cookie; name != "" {
		// Cross-site requests carry only the CORS variant (SameSite=None).
		c, err := r.Cookie(name)
		if err != nil {
			c, err = r.Cookie(s.setting.CORSCookie)
		}
		if err == nil {
			if m := s.byCookie[c.Value]; m != nil && m.inRotation() {
				return m, true
			}
		}
	}
	n := uint64(len(s.members))
	var start uint64
	switch n {
	case 0:
		return nil, false
	case 1: // no turn to take: the cursor's cache line is left alone
	default:
		start = s.next.Add(1)
	}
	for i := uint64(0); i < n; i++ {
		if m := s.members[(start+i)%n]; m.inRotation() {
			return m, false
		}
	}
	return nil, false
}

// pickAfter chooses the healthy member that follows failed in the pool, for
// a retry. It leaves the round-robin cursor alone, so a slow member does not
// shift every later request onto itself.
func (s *backendSet) pickAfter(failed *member) *member {
	n := len(s.members)
	at := 0
	for i, m := range s.members {
		if m == failed {
			at = i
		}
	}
	for i := 1; i < n; i++ {
		if m := s.members[(at+i)%n]; m.inRotation() {
			return m
		}
	}
	return nil
}

func (s *Snapshot) respond(w http.ResponseWriter, r, out *http.Request, resp *http.Response, set *backendSet, m *member, fromCookie bool, x *exchange) {
	defer resp.Body.Close()
	x.backendTLS = resp.TLS
	if resp.StatusCode == http.StatusSwitchingProtocols {
		s.upgrade(w, r, out, resp, x)
		return
	}
	removeHopHeaders(resp.Header)
	h := w.Header()
	for k, vv := range resp.Header {
		h[k] = vv
	}
	if rs := x.rewriting.set; rs != nil {
		rx := &x.rewriting.x
		rx.Status, rx.Response, rx.ResponseOut = resp.StatusCode, resp.Header, h
		rs.Response(rx)
	}
	if set.setting.Cookie != "" && !fromCookie {
		h.Add("Set-Cookie", set.setting.Cookie+"="+m.cookie+"; Path=/")
		h.Add("Set-Cookie", set.setting.CORSCookie+"="+m.cookie+"; Path=/; SameSite=None; Secure")
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
			x.reason, x.err = CodeClientGone, err
			return
		}
		if m.Drain().Err() != nil {
			// The member was removed and its drain time is over.
			x.reason, x.err = CodeDrained, err
		} else {
			// The backend broke mid-response.
			x.reason, x.err = CodeBackendAborted, err
			m.fail(fmt.Errorf("backend broke off a response: %w", err), CodeBackendAborted)
		}
		// Abort the client connection so the client sees a truncated
		// response, never a complete-looking one.
		x.aborted = true
		s.accessLogAbort(r, x)
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
	bp := httpwire.GetBuffer()
	defer httpwire.PutBuffer(bp)
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
func (s *Snapshot) upgrade(w http.ResponseWriter, r, out *http.Request, resp *http.Response, x *exchange) {
	reqUp, respUp := upgradeType(out.Header), upgradeType(resp.Header)
	if !strings.EqualFold(reqUp, respUp) {
		s.fail(w, x, http.StatusBadGateway, CodeBadUpgrade, fmt.Sprintf("backend switched to protocol %q, the client asked for %q", respUp, reqUp), nil)
		return
	}
	backConn, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		s.fail(w, x, http.StatusBadGateway, CodeBadUpgrade, "backend connection cannot be upgraded", nil)
		return
	}
	clientConn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		s.fail(w, x, http.StatusBadGateway, CodeBadUpgrade, "client connection cannot be upgraded: "+err.Error(), err)
		return
	}
	x.rw.status = http.StatusSwitchingProtocols
	untrack := s.env.Hijacked.Track(clientConn, backConn)
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

// attemptReason is the code of a failed backend attempt.
func attemptReason(err error) string {
	switch {
	case errors.Is(err, upstream.ErrRequestTimeout):
		return CodeTimeout
	case errors.Is(err, upstream.ErrDrained):
		return CodeDrained
	}
	if rs, ok := backendtls.ReasonOf(err); ok {
		return rs.String()
	}
	return CodeBackendUnreachable
}
