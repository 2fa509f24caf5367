package clientauth

import (
	"crypto/x509"
	"log/slog"
	"strconv"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/revocation"
)

// Reason says why a client certificate was not verified.
type Reason int

// Reasons. The zero Reason, ReasonNone, means there is nothing to report:
// the certificate was verified, or (in Passthrough mode without trusted
// CAs) not checked.
const (
	ReasonNone Reason = iota
	// ReasonNoCertificate: the client sent no certificate.
	ReasonNoCertificate
	// ReasonUntrusted: the certificate does not chain to a trusted CA
	// (unknown issuer, an intermediate missing from both the client's
	// chain and the configuration, a forged signature, a CA that may not
	// issue it).
	ReasonUntrusted
	// ReasonExpired: the certificate, or a CA of its chain, has expired.
	ReasonExpired
	// ReasonNotYetValid: the certificate, or a CA of its chain, is not
	// valid yet.
	ReasonNotYetValid
	// ReasonKeyUsage: the certificate's extended key usages (or its
	// chain's) do not allow TLS client authentication.
	ReasonKeyUsage
	// ReasonIssuerDNMismatch: with VerifyClientCertIssuerDN, the
	// certificate's issuer is not the issuer DN of its trusted chain.
	ReasonIssuerDNMismatch
	// ReasonIdentityMismatch: the certificate carries none of the
	// AllowedIdentities.
	ReasonIdentityMismatch
	// ReasonRevoked: the certificate's issuer revoked it (CRL or OCSP).
	ReasonRevoked
	// ReasonRevocationUnknown: its revocation status could not be
	// established and RevocationSoftFail is off (hard fail).
	ReasonRevocationUnknown
)

var reasonNames = [...]string{
	ReasonNone:              "none",
	ReasonNoCertificate:     "no-certificate",
	ReasonUntrusted:         "untrusted",
	ReasonExpired:           "expired",
	ReasonNotYetValid:       "not-yet-valid",
	ReasonKeyUsage:          "key-usage",
	ReasonIssuerDNMismatch:  "issuer-dn-mismatch",
	ReasonIdentityMismatch:  "identity-mismatch",
	ReasonRevoked:           "revoked",
	ReasonRevocationUnknown: "revocation-unknown",
}

// String returns the reason's kebab-case name, such as "expired" or
// "issuer-dn-mismatch", for logs and metrics.
func (r Reason) String() string {
	if r >= 0 && int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}

// Message returns what a client refused for this reason is told, one
// sentence for the body of an HTTP 400, as NGINX and Azure Application
// Gateway answer. It names the client's own problem and nothing of the
// gateway's configuration: no CA names, no revocation dates, no responder.
func (r Reason) Message() string {
	switch r {
	case ReasonNone:
		return ""
	case ReasonNoCertificate:
		return "No required SSL certificate was sent" // NGINX's and Azure's words
	case ReasonUntrusted:
		return "The client certificate is not trusted"
	case ReasonExpired:
		return "The client certificate has expired"
	case ReasonNotYetValid:
		return "The client certificate is not valid yet"
	case ReasonKeyUsage:
		return "The client certificate may not be used for client authentication"
	case ReasonIssuerDNMismatch:
		return "The client certificate was not issued by an allowed issuer"
	case ReasonIdentityMismatch:
		return "The client certificate's identity is not allowed"
	case ReasonRevoked:
		return "The client certificate has been revoked"
	case ReasonRevocationUnknown:
		return "The revocation status of the client certificate could not be checked"
	}
	return "The SSL certificate error" // NGINX's words for any other failure
}

// Verdict is the outcome of verifying one connection's client certificate.
type Verdict struct {
	// Mode is the mode of the Verifier that decided.
	Mode Mode
	// Allowed reports whether the request may go on: the certificate was
	// verified, or the mode is Passthrough. A request that is not allowed
	// gets HTTP 400 with Message as its reason, and reaches no backend.
	Allowed bool
	// Verified reports whether a certificate was presented and passed
	// every configured check.
	Verified bool
	// Reason says why the certificate was not verified; ReasonNone if it
	// was, or if it was not checked (Passthrough without trusted CAs).
	Reason Reason
	// Certificate is the client's certificate, nil if it sent none.
	Certificate *x509.Certificate
	// PeerCertificates are the certificates the client sent, its own
	// first, as tls.ConnectionState has them.
	PeerCertificates []*x509.Certificate
	// Chain is the verified chain, the client's certificate first and a
	// trusted root last; nil unless Verified.
	Chain []*x509.Certificate
	// Identity is the allowed identity the certificate matched; the zero
	// SAN if AllowedIdentities is not configured or it did not match.
	Identity backendtls.SAN
	// Revocation is the revocation check's result; its Status is zero if
	// revocation was not checked. With RevocationSoftFail a verified
	// certificate may have Status revocation.Unknown.
	Revocation revocation.Result
	// Err is the detailed cause of a failure, for the log only: it may
	// name CAs, responders and dates the client must not see. Nil if
	// Verified.
	Err error
	// Cached reports whether the verdict came from the verdict cache.
	Cached bool
}

// Message returns the one-sentence reason for the body of the HTTP 400
// that refuses a request in Strict mode (see [Reason.Message]), "" if the
// certificate was verified or not checked.
func (v *Verdict) Message() string { return v.Reason.Message() }

// ClientCertificateVerification returns Azure's (and NGINX's)
// client_certificate_verification: "SUCCESS" for a verified certificate,
// "NONE" when the client sent none, "FAILED:" followed by the reason name
// (such as "FAILED:expired") otherwise, and "PASSTHROUGH" for a
// certificate that Passthrough mode without trusted CAs did not check (the
// value Azure sends in that case).
func (v *Verdict) ClientCertificateVerification() string {
	switch {
	case v.Certificate == nil:
		return "NONE"
	case v.Verified:
		return "SUCCESS"
	case v.Reason == ReasonNone:
		return "PASSTHROUGH"
	}
	return "FAILED:" + v.Reason.String()
}

// Forwardable returns the client's certificates if they may be told to
// the backend as the client's identity (the certificate was verified),
// nil otherwise: what [XFCC] should be given.
func (v *Verdict) Forwardable() []*x509.Certificate {
	if !v.Verified {
		return nil
	}
	return v.PeerCertificates
}

// LogValue implements slog.LogValuer: the mode, outcome, reason, the
// certificate's subject, issuer and serial, the revocation status and
// method, and the error, for the access log.
func (v Verdict) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("mode", v.Mode.String()),
		slog.Bool("allowed", v.Allowed),
		slog.String("verification", v.ClientCertificateVerification()),
	}
	if v.Reason != ReasonNone {
		attrs = append(attrs, slog.String("reason", v.Reason.String()))
	}
	if c := v.Certificate; c != nil {
		attrs = append(attrs,
			slog.String("subject", c.Subject.String()),
			slog.String("issuer", c.Issuer.String()),
			slog.String("serial", Serial(c)))
	}
	if v.Revocation.Status != 0 {
		attrs = append(attrs, slog.String("revocation", string(v.Revocation.Method)+":"+v.Revocation.Status.String()))
	}
	if v.Err != nil {
		attrs = append(attrs, slog.String("error", v.Err.Error()))
	}
	return slog.GroupValue(attrs...)
}
