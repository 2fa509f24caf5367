package backendtls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strconv"
	"strings"
)

// Reason classifies why a backend failed verification.
type Reason int

// Reasons. The zero Reason is not a valid reason.
const (
	// ReasonUntrustedRoot: the chain does not end at a trusted root (or at
	// a well-known CA), or the root it ends at is not a CA.
	ReasonUntrustedRoot Reason = iota + 1
	// ReasonIntermediateMissing: the backend did not send the intermediate
	// certificate that issued its leaf.
	ReasonIntermediateMissing
	// ReasonLeafNotAllowed: the leaf is not one of the authentication
	// certificates.
	ReasonLeafNotAllowed
	// ReasonPinMismatch: the leaf's public key is not one of the pins.
	ReasonPinMismatch
	// ReasonHostnameMismatch: the leaf is not valid for the expected
	// identity: the host name or Identity, or none of the
	// SubjectAltNames (DNS, URI or IP) matched.
	ReasonHostnameMismatch
	// ReasonExpired: a certificate's validity period has ended.
	ReasonExpired
	// ReasonNotYetValid: a certificate's validity period has not begun.
	ReasonNotYetValid
	// ReasonWeakKey: a key is below RSA 2048 bits or ECDSA P-256.
	ReasonWeakKey
	// ReasonWeakSignature: a certificate is signed with SHA-1 or MD5.
	ReasonWeakSignature
	// ReasonKeyUsage: the leaf, or an intermediate, does not allow server
	// authentication.
	ReasonKeyUsage
	// ReasonPolicy: the backend offers no TLS version or cipher suite that
	// the TLS policy allows.
	ReasonPolicy
	// ReasonHandshake: the TLS handshake failed for another reason, such
	// as a backend that requires a client certificate.
	ReasonHandshake
	// ReasonCustom: the custom Verifier refused the connection.
	ReasonCustom
)

var reasonNames = [...]string{
	ReasonUntrustedRoot:       "untrusted-root",
	ReasonIntermediateMissing: "intermediate-missing",
	ReasonLeafNotAllowed:      "leaf-not-allowed",
	ReasonPinMismatch:         "pin-mismatch",
	ReasonHostnameMismatch:    "hostname-mismatch",
	ReasonExpired:             "expired",
	ReasonNotYetValid:         "not-yet-valid",
	ReasonWeakKey:             "weak-key",
	ReasonWeakSignature:       "weak-signature",
	ReasonKeyUsage:            "key-usage",
	ReasonPolicy:              "policy",
	ReasonHandshake:           "handshake",
	ReasonCustom:              "custom",
}

// String returns the reason's short kebab-case name, such as
// "untrusted-root" or "hostname-mismatch", suitable for logs and metrics.
func (r Reason) String() string {
	if r > 0 && int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}

// ParseReason returns the Reason whose String is name ("untrusted-root"),
// for those that read a reason back from a log, a header or a metric label.
func ParseReason(name string) (Reason, bool) {
	for r, n := range reasonNames {
		if n != "" && n == name {
			return Reason(r), true
		}
	}
	return 0, false
}

// Reasons lists every Reason, in order.
func Reasons() []Reason {
	out := make([]Reason, 0, len(reasonNames)-1)
	for r := range reasonNames {
		if r > 0 {
			out = append(out, Reason(r))
		}
	}
	return out
}

// VerificationError reports a backend that failed verification or whose
// handshake failed. Its message says what is wrong, with the names and
// dates that help, and what to fix, on one line.
type VerificationError struct {
	// Reason classifies the failure.
	Reason Reason
	// ServerName is the SNI sent, "" if none or unknown.
	ServerName string
	// Identity is the identity expected, "" if none or unknown.
	Identity string
	// Certificate is the certificate at fault, nil if none.
	Certificate *x509.Certificate
	// Err is the underlying cause, such as an x509 error, the custom
	// verifier's error or a TLS alert, nil if none.
	Err error
	// Presented is the chain the backend presented, leaf first, when the
	// failure is its verification (a configuration's VerifyConnection
	// refused it); nil when the handshake failed before.
	Presented []*x509.Certificate

	// detail and fix are the message; if detail is empty, Error uses a
	// generic text for Reason.
	detail, fix string
}

// Error returns "backendtls: " followed by a one-line account of the
// failure and its fix.
func (e *VerificationError) Error() string {
	var b strings.Builder
	b.WriteString("backendtls: ")
	switch {
	case e.Identity != "" && e.ServerName != "" && !sameName(e.Identity, e.ServerName):
		fmt.Fprintf(&b, "backend %q (SNI %q): ", e.Identity, e.ServerName)
	case e.Identity != "":
		fmt.Fprintf(&b, "backend %q: ", e.Identity)
	case e.ServerName != "":
		fmt.Fprintf(&b, "backend %q: ", e.ServerName)
	}
	detail, fix := e.detail, e.fix
	if detail == "" {
		detail, fix = genericMessage(e.Reason)
		if e.Certificate != nil {
			detail = fmt.Sprintf("certificate %q: %s", subjectName(e.Certificate), detail)
		}
		if e.Err != nil {
			detail += ": " + e.Err.Error()
		}
	}
	b.WriteString(detail)
	if fix != "" {
		b.WriteString("; ")
		b.WriteString(fix)
	}
	return b.String()
}

// Unwrap returns e.Err.
func (e *VerificationError) Unwrap() error { return e.Err }

// TLSReason returns e.Reason.String(). Packages that must not import
// backendtls recognise verification failures by this method, as they
// recognise timeouts by net.Error's Timeout.
func (e *VerificationError) TLSReason() string { return e.Reason.String() }

func genericMessage(r Reason) (detail, fix string) {
	switch r {
	case ReasonUntrustedRoot:
		return "certificate chain is not trusted", "add the backend's root to TrustedRootCertificates"
	case ReasonIntermediateMissing:
		return "intermediate certificate is missing from the chain the backend sent", "configure the backend to send its leaf followed by its intermediates"
	case ReasonLeafNotAllowed:
		return "certificate is not one of the authentication certificates", "add the backend's leaf to AuthenticationCertificates"
	case ReasonPinMismatch:
		return "public key is not pinned", "add the backend's key to PinnedPublicKeys"
	case ReasonHostnameMismatch:
		return "certificate is not valid for the expected identity", "reissue the certificate with the identity in its subject alternative names"
	case ReasonExpired:
		return "certificate has expired", "renew the backend's certificate"
	case ReasonNotYetValid:
		return "certificate is not valid yet", "check the certificate's dates and the gateway's clock"
	case ReasonWeakKey:
		return "key is too weak", "reissue the certificate with an RSA key of at least 2048 bits or an ECDSA key on P-256 or larger"
	case ReasonWeakSignature:
		return "certificate is signed with an insecure algorithm", "reissue the certificate with a SHA-256 or stronger signature"
	case ReasonKeyUsage:
		return "certificate is not valid for server authentication", "reissue the certificate with the serverAuth extended key usage"
	case ReasonPolicy:
		return "backend offers no TLS version or cipher suite the TLS policy allows", "enable a version and suite of the policy on the backend, or choose another policy"
	case ReasonHandshake:
		return "TLS handshake failed", "check the backend's TLS configuration"
	case ReasonCustom:
		return "refused by the custom verifier", ""
	}
	return "verification failed", ""
}

// ReasonOf returns the Reason of the first *VerificationError in err's
// chain, looking through whatever wraps it (url.Error, net.OpError, ...).
func ReasonOf(err error) (Reason, bool) {
	var ve *VerificationError
	if errors.As(err, &ve) {
		return ve.Reason, true
	}
	return 0, false
}

// ClassifyHandshakeError turns an error from dialling and handshaking with
// a backend into a *VerificationError where it is a TLS failure:
//   - an error that already holds a *VerificationError is returned as is;
//   - a refused protocol version or cipher suite, on either side
//     (alerts protocol_version, handshake_failure, insufficient_security)
//     gets ReasonPolicy;
//   - any other TLS failure (another alert, a reply that is not TLS, the
//     backend closing the connection mid-handshake) gets ReasonHandshake;
//   - other errors (connection refused, timeouts, context cancellation)
//     and nil are returned unchanged.
//
// The result's ServerName and Identity are empty; callers that know them
// may set them.
func ClassifyHandshakeError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := ReasonOf(err); ok {
		return err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return err
	}
	if errors.Is(err, net.ErrClosed) {
		return err
	}
	r, detail, fix, ok := classifyTLS(err)
	if !ok {
		return err
	}
	return &VerificationError{Reason: r, Err: err, detail: detail, fix: fix}
}

// Alert numbers (RFC 8446 section 6).
const (
	alertHandshakeFailure     = 40
	alertBadCertificate       = 42
	alertUnknownCA            = 48
	alertProtocolVersion      = 70
	alertInsufficientSecurity = 71
	alertCertificateRequired  = 116
)

var alertType = reflect.TypeFor[tls.AlertError]()

// alertCode returns the TLS alert number carried by err, which is either a
// tls.AlertError or the unexported alert type that crypto/tls puts inside
// a *net.OpError with Op "remote error" (both are uint8s).
func alertCode(err error) (uint8, bool) {
	if a, ok := errors.AsType[tls.AlertError](err); ok {
		return uint8(a), true
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" || op.Err == nil {
		return 0, false
	}
	v := reflect.ValueOf(op.Err)
	if v.Kind() != reflect.Uint8 || v.Type().PkgPath() != alertType.PkgPath() {
		return 0, false
	}
	return uint8(v.Uint()), true
}

func clientCertDetail(err error) string {
	return "backend refused the handshake (" + err.Error() + "), most likely because it requires a client certificate that was missing or not trusted"
}

const clientCertFix = "set ClientCertificates to a certificate the backend trusts"

// Local handshake failures that crypto/tls reports with plain errors.
var policyMessages = []string{
	"tls: server selected unsupported protocol version",
	"tls: no supported versions satisfy MinVersion and MaxVersion",
	"tls: server chose an unconfigured cipher suite",
	"tls: no cipher suite supported by both client and server",
	"tls: client offered only unsupported versions",
	"tls: server selected an invalid version",
	"tls: downgrade attempt detected",
}

func classifyTLS(err error) (r Reason, detail, fix string, ok bool) {
	if code, isAlert := alertCode(err); isAlert {
		switch code {
		case alertProtocolVersion, alertInsufficientSecurity:
			return ReasonPolicy,
				"backend refused every TLS version and cipher suite the policy offers (" + err.Error() + ")",
				"enable a version and cipher suite of the TLS policy on the backend, or choose a policy the backend supports", true
		case alertHandshakeFailure:
			// TLS 1.2 servers, Go's and OpenSSL's, also send this alert
			// when a required client certificate is missing.
			return ReasonPolicy,
				"backend refused the handshake (" + err.Error() + "): it supports no TLS version, cipher suite or curve of the policy, or, at TLS 1.2, it requires a client certificate that was not sent",
				"enable a version and cipher suite of the TLS policy on the backend, or choose a policy it supports; if it requires a client certificate, set ClientCertificates", true
		case alertCertificateRequired, alertBadCertificate, alertUnknownCA:
			return ReasonHandshake, clientCertDetail(err), clientCertFix, true
		}
		return ReasonHandshake, "TLS handshake failed (" + err.Error() + ")", "check the backend's TLS configuration", true
	}
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		return ReasonHandshake, "backend did not answer with TLS (" + err.Error() + ")",
			"check that the backend serves HTTPS on this port, or use HTTP", true
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ReasonHandshake, "backend closed the connection during the TLS handshake",
			"check the backend's TLS configuration and logs", true
	}
	if msg, found := tlsMessage(err); found {
		for _, p := range policyMessages {
			if strings.HasPrefix(msg, p) {
				return ReasonPolicy, "backend's TLS version or cipher suite is outside the TLS policy (" + msg + ")",
					"enable a version and cipher suite of the TLS policy on the backend, or choose a policy the backend supports", true
			}
		}
		return ReasonHandshake, "TLS handshake failed (" + msg + ")", "check the backend's TLS configuration", true
	}
	return 0, "", "", false
}

// tlsMessage finds, in err's tree, an error whose own message starts with
// "tls: ": crypto/tls reports most local handshake failures that way.
func tlsMessage(err error) (string, bool) {
	const depth = 16 // wrapping is shallow; bound the walk anyway
	var walk func(error, int) (string, bool)
	walk = func(e error, d int) (string, bool) {
		if e == nil || d > depth {
			return "", false
		}
		if msg := e.Error(); strings.HasPrefix(msg, "tls: ") {
			return msg, true
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			return walk(u.Unwrap(), d+1)
		case interface{ Unwrap() []error }:
			for _, inner := range u.Unwrap() {
				if m, ok := walk(inner, d+1); ok {
					return m, true
				}
			}
		}
		return "", false
	}
	return walk(err, 0)
}
