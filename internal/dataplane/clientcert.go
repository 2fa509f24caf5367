package dataplane

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/e2etls/e2etls/clientauth"
	"github.com/e2etls/e2etls/internal/httpwire"
	"github.com/e2etls/e2etls/revocation"
	"github.com/e2etls/e2etls/rewrite"
)

// Client certificates at the front door (mutual TLS).
//
// The seam: the frontend runs HandshakeHook after every TLS handshake,
// resumed or not, before any byte of a request is read. It verifies the
// client certificate under the client authentication of the listener the
// handshake's SNI chose and attaches a *ClientConn to the connection, which
// every request on it, HTTP/1.x or HTTP/2, own servers or net/http's,
// carries in its context (httpwire.ConnValue). Serve then checks every
// request, after routing and before anything else (redirects included),
// in checkClientCertificate: the request's Host must belong to a listener
// of the same SSL profile as the handshake's (else 421: an HTTP/2
// connection coalesced across profiles, or an SNI for one site and a Host
// for another), and, on a listener with client authentication, the
// connection's verdict must allow it (else 400 with the verdict's one
// sentence, and nothing reaches a backend). A request without a
// connection value (the gateway's Handler in a server of someone else's)
// is verified from its own r.TLS, so no request skips the check.
//
// A connection's verdict holds while the listener's Verifier is the one
// that reached it and the verdict's facts hold (see verdictUntil): when an
// Update or a reload replaces the trusted CAs or the CRLs, the next request
// on a connection verified under the old Verifier is verified again under
// the new one, so no request is served under trust that was replaced.

// ClientAuth is the client authentication of a listener's SSL profile.
type ClientAuth struct {
	// Verifier decides on each connection's client certificate.
	Verifier *clientauth.Verifier
	// XFCC says what becomes of the X-Forwarded-Client-Cert header; its
	// By holds the URI SANs of the listener's certificate.
	XFCC clientauth.XFCC
}

// CodeClientCertificatePrefix starts the code of a request refused for its
// client certificate: "client-certificate-" followed by the
// clientauth.Reason's name, such as "client-certificate-expired".
const CodeClientCertificatePrefix = "client-certificate-"

// ClientCertificateCode is the failure code of a request refused for
// reason r.
func ClientCertificateCode(r clientauth.Reason) string {
	return CodeClientCertificatePrefix + r.String()
}

// ClientConn is what the frontend attaches to an HTTPS connection after
// its handshake: the SSL profile of the listener whose configuration the
// handshake used and, on a listener with client authentication, the
// verdict on the client's certificate. It is safe for concurrent use by
// the requests (HTTP/2 streams) of its connection.
type ClientConn struct {
	profile string
	state   atomic.Pointer[connVerdict]
}

// connVerdict is a verdict with the Verifier that reached it and how long
// it holds.
type connVerdict struct {
	verifier *clientauth.Verifier
	verdict  clientauth.Verdict
	until    time.Time
}

// HandshakeHook returns the frontend's AfterHandshake for frontend port
// port: it verifies the connection's client certificate under the
// listener its SNI selects in c's current snapshot, and returns the
// *ClientConn every request on the connection carries. ctx bounds an OCSP
// query.
func HandshakeHook(c *Current, port int) func(ctx context.Context, tc *tls.Conn) any {
	return func(ctx context.Context, tc *tls.Conn) any {
		cs := tc.ConnectionState()
		s, tok := c.Acquire()
		defer s.Release(tok)
		li, ok := s.plan.Table.CertificateFor(port, cs.ServerName)
		if !ok {
			return nil // an Update removed the listener since the handshake: its requests get 421
		}
		l := &s.plan.Listeners[li]
		cc := &ClientConn{profile: l.Profile}
		if l.ClientAuth != nil {
			cc.verify(ctx, l.ClientAuth.Verifier, &cs)
		}
		return cc
	}
}

// verdictUnder returns the connection's verdict under v, verifying the
// connection again if its verdict was reached by another Verifier (trust
// replaced by Update or a reload) or no longer holds.
func (c *ClientConn) verdictUnder(ctx context.Context, v *clientauth.Verifier, cs *tls.ConnectionState) *clientauth.Verdict {
	if cv := c.state.Load(); cv != nil && cv.verifier == v && (cv.until.IsZero() || time.Now().Before(cv.until)) {
		return &cv.verdict
	}
	return c.verify(ctx, v, cs)
}

func (c *ClientConn) verify(ctx context.Context, v *clientauth.Verifier, cs *tls.ConnectionState) *clientauth.Verdict {
	cv := &connVerdict{verifier: v, verdict: v.Verify(ctx, cs)}
	cv.until = verdictUntil(&cv.verdict, time.Now())
	c.state.Store(cv)
	return &cv.verdict
}

// Retry intervals of verdicts whose facts may change without a new
// Verifier.
const (
	notYetValidRetry = time.Minute      // the certificate may become valid
	unknownRetry     = 10 * time.Second // the responder may answer again (as the OCSP client's failure TTL)
)

// verdictUntil is when a connection's verdict stops holding (zero: while
// its Verifier is in force). A verified certificate's holds until the
// first certificate of its chain expires or its revocation answer's next
// update (briefly, if the status was unknown and soft fail let it
// through); a refusal that time may lift (not yet valid, revocation
// unknown) briefly; any other refusal (none sent, untrusted, revoked...)
// and an unchecked certificate (Passthrough without trusted CAs) while the
// Verifier is in force.
func verdictUntil(v *clientauth.Verdict, now time.Time) time.Time {
	switch {
	case v.Verified:
		var until time.Time
		earlier := func(t time.Time) {
			if !t.IsZero() && (until.IsZero() || t.Before(until)) {
				until = t
			}
		}
		for _, c := range v.Chain {
			earlier(c.NotAfter)
		}
		earlier(v.Revocation.Until)
		if v.Revocation.Status == revocation.Unknown {
			earlier(now.Add(unknownRetry))
		}
		return until
	case v.Reason == clientauth.ReasonNotYetValid:
		return now.Add(notYetValidRetry)
	case v.Reason == clientauth.ReasonRevocationUnknown:
		return now.Add(unknownRetry)
	}
	return time.Time{}
}

// checkClientCertificate is the client-certificate check of a request
// routed to listener li (see the top of this file); it reports whether
// the request may go on, and answers it otherwise.
func (s *Snapshot) checkClientCertificate(in Ingress, w http.ResponseWriter, r *http.Request, x *exchange, li int) bool {
	l := &s.plan.Listeners[li]
	cc, _ := httpwire.ConnValue(r.Context()).(*ClientConn)
	if in.Own && r.TLS != nil {
		profile, known := "", false
		if cc != nil {
			profile, known = cc.profile, true
		} else if hl, ok := s.plan.Table.CertificateFor(in.Port, r.TLS.ServerName); ok {
			profile, known = s.plan.Listeners[hl].Profile, true
		}
		if !known || profile != l.Profile {
			s.fail(w, x, http.StatusMisdirectedRequest, CodeMisdirected,
				fmt.Sprintf("host %q is served with another SSL profile than this connection (SNI %q): open a connection for that host", r.Host, r.TLS.ServerName), nil)
			return false
		}
	}
	ca := l.ClientAuth
	if ca == nil {
		return true
	}
	var v *clientauth.Verdict
	if cc != nil {
		v = cc.verdictUnder(r.Context(), ca.Verifier, r.TLS)
	} else {
		verdict := ca.Verifier.Verify(r.Context(), r.TLS)
		v = &verdict
	}
	x.client = v
	if v.Allowed {
		return true
	}
	s.refuseClientCertificate(w, x, v)
	return false
}

// refuseClientCertificate answers a request refused for its client
// certificate: 400 whose body is the verdict's one sentence, which the
// client may read with or without detailed errors, since it says nothing
// of the gateway's configuration, only what is wrong with the client's own
// certificate (as NGINX and Azure answer), and which no custom error page
// replaces: it is what the client needs to fix its certificate. Detailed
// errors add the code in ErrorHeader; without them the body ends with the
// request's ID instead.
func (s *Snapshot) refuseClientCertificate(w http.ResponseWriter, x *exchange, v *clientauth.Verdict) {
	code := ClientCertificateCode(v.Reason)
	x.reason, x.err, x.msg = code, v.Err, v.Message()
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Server", ServerName)
	h.Set(RequestIDHeader, x.requestID)
	body := fmt.Sprintf("400 Bad Request: %s (request ID %s)\n", v.Message(), x.requestID)
	if s.plan.DetailedErrors {
		h.Set(ErrorHeader, code)
		body = fmt.Sprintf("400 Bad Request: %s\n", v.Message())
	}
	w.WriteHeader(http.StatusBadRequest)
	io.WriteString(w, body)
}

// forwardClientCert sets or removes X-Forwarded-Client-Cert in the
// backend request's header h as the listener's profile says: by default
// (no profile, or no forwarding mode) whatever the client sent is removed.
func forwardClientCert(h http.Header, x *exchange) {
	var xfcc clientauth.XFCC
	if x.listener != nil && x.listener.ClientAuth != nil {
		xfcc = x.listener.ClientAuth.XFCC
	}
	if xfcc.Mode == clientauth.XFCCSanitize {
		delete(h, clientauth.XFCCHeader)
		return
	}
	var peer []*x509.Certificate
	if x.client != nil {
		peer = x.client.Forwardable()
	}
	xfcc.Apply(h, peer)
}

// clientCertificateAttrs appends the client certificate's verdict to an
// access log record, for a request of a listener with client
// authentication.
func clientCertificateAttrs(attrs []slog.Attr, x *exchange) []slog.Attr {
	if x.client == nil {
		return attrs
	}
	return append(attrs, slog.Any("client_certificate", *x.client))
}

// ClientCertificateVars returns the rewrite.Vars of the client certificate
// server variables (client_certificate, client_certificate_subject and the
// rest) for a request whose connection got verdict v, for
// rewrite.HTTPVars.ClientCertificate: nil when v is nil (a listener
// without client authentication: every variable has no value). Without a
// client certificate, client_certificate_verification is "NONE" and the
// other variables have no value.
func ClientCertificateVars(v *clientauth.Verdict) rewrite.Vars {
	if v == nil {
		return nil
	}
	return certVars{v}
}

// certVars answers the client certificate variables from a verdict.
type certVars struct{ v *clientauth.Verdict }

func (c certVars) Var(v rewrite.Variable) (string, bool) {
	value, ok := c.v.ServerVariable(v.String())
	if !ok || c.v.Certificate == nil && v != rewrite.ClientCertificateVerification {
		return "", false
	}
	return value, true
}
