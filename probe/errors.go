package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
	"time"
)

// Error is why a probe that was sent failed. [Check] puts one in every
// unhealthy [Result] whose probe reached the network; Kind is the Result's.
// Its Error method returns "probe: " and the Result's Message.
type Error struct {
	// Kind classifies the failure; never KindOK.
	Kind Kind
	// Address is the host:port the probe dialled.
	Address string
	// Timeout is the probe's timeout (set for every Kind).
	Timeout time.Duration
	// StatusCode is the status received (KindStatus).
	StatusCode int
	// Expected are the healthy status codes (KindStatus).
	Expected []StatusRange
	// Body is the text the body lacked (KindBody).
	Body string
	// Err is the cause reported by the transport or the context; nil for
	// KindStatus and KindBody.
	Err error
}

// Error returns "probe: " and the one-line message of [Result.Message].
func (e *Error) Error() string { return "probe: " + e.message() }

// Unwrap returns the cause, so that errors.Is and errors.As reach the
// transport's error (a *tls.CertificateVerificationError, the gateway's
// verification error, a *net.OpError, ...).
func (e *Error) Unwrap() error { return e.Err }

// message is the Result's Message for e.
func (e *Error) message() string {
	switch e.Kind {
	case KindTimeout:
		if e.Timeout > 0 {
			return "the backend did not answer the health probe within the " + e.Timeout.String() + " timeout"
		}
		return "the backend did not answer the health probe within the timeout"
	case KindDNS:
		var dnsErr *net.DNSError
		if errors.As(e.Err, &dnsErr) {
			return fmt.Sprintf("could not resolve the backend's host name %q: %s; check that the name is right and resolvable from the gateway", dnsErr.Name, dnsErr.Err)
		}
	case KindConnect:
		return fmt.Sprintf("could not connect to the backend at %s: %s; check that it listens on the probe's port and nothing blocks it", e.Address, connectDetail(e.Err))
	case KindTLS:
		return tlsMessage(e.Err, e.Address)
	case KindStatus:
		return "status code " + strconv.Itoa(e.StatusCode) + " did not match the probe: expected " + formatRanges(e.Expected)
	case KindBody:
		return fmt.Sprintf("response body does not contain %q", e.Body)
	}
	switch {
	case e.Err == nil:
		return "the health probe to " + e.Address + " failed"
	case errors.Is(e.Err, context.Canceled):
		return "the health probe to " + e.Address + " was cancelled before the backend answered"
	}
	return "the health probe to " + e.Address + " failed: " + oneLine(e.Err.Error())
}

// classify returns the Kind of a failure cause.
func classify(err error) Kind {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Kind
	}
	if isTLS(err) {
		return KindTLS
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return KindDNS
	}
	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout() {
		return KindTimeout
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return KindConnect
	}
	return KindOther
}

// tlsReasoner is implemented by verification errors that carry a reason,
// such as the gateway's backend verification errors.
type tlsReasoner interface {
	error
	TLSReason() string
}

// isTLS reports whether err is a TLS handshake or certificate verification
// failure.
func isTLS(err error) bool {
	var (
		reasoner  tlsReasoner
		verifyErr *tls.CertificateVerificationError
		recordErr tls.RecordHeaderError
		alertErr  tls.AlertError
		authErr   x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		opErr     *net.OpError
	)
	switch {
	case errors.As(err, &reasoner), errors.As(err, &verifyErr), errors.As(err, &recordErr),
		errors.As(err, &alertErr), errors.As(err, &authErr), errors.As(err, &hostErr),
		errors.As(err, &invalid):
		return true
	case errors.As(err, &opErr):
		// crypto/tls reports alerts as *net.OpError "remote error" (sent
		// by the backend) and "local error" (sent to it).
		return opErr.Op == "remote error" || opErr.Op == "local error"
	}
	return false
}

// tlsMessage returns the message for a TLS failure: a verification error's
// own message, else what the handshake with addr reported.
func tlsMessage(err error, addr string) string {
	var (
		reasoner  tlsReasoner
		verifyErr *tls.CertificateVerificationError
		recordErr tls.RecordHeaderError
		authErr   x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &reasoner):
		return oneLine(reasoner.Error())
	case errors.As(err, &verifyErr):
		return oneLine(verifyErr.Error())
	case errors.As(err, &authErr):
		return authErr.Error()
	case errors.As(err, &hostErr):
		return hostErr.Error()
	case errors.As(err, &invalid):
		return invalid.Error()
	}
	at := "the backend"
	if addr != "" {
		at = "the backend at " + addr
	}
	if errors.As(err, &recordErr) {
		return "TLS handshake with " + at + " failed: " + recordErr.Error() + "; check that it serves HTTPS on the probe's port"
	}
	return "TLS handshake with " + at + " failed: " + oneLine(err.Error())
}

// connectDetail returns the reason a dial failed, such as "connection
// refused".
func connectDetail(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return opErr.Err.Error()
	}
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}
