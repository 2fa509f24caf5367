package revocation

import (
	"strconv"
	"time"
)

// Status is what a revocation check found out about a certificate.
type Status int

// Statuses. The zero Status is not a valid status.
const (
	// Good: the issuer's CRL or OCSP responder says the certificate is not
	// revoked.
	Good Status = iota + 1
	// Revoked: the certificate has been revoked.
	Revoked
	// Unknown: the status could not be established: no CRL from the
	// issuer, a CRL or response past its next update, a responder that is
	// unreachable, answers "unknown" or sends a response that does not
	// verify. Whether Unknown refuses the certificate (hard fail) or lets
	// it through (soft fail) is the caller's policy.
	Unknown
)

// String returns "good", "revoked" or "unknown".
func (s Status) String() string {
	switch s {
	case Good:
		return "good"
	case Revoked:
		return "revoked"
	case Unknown:
		return "unknown"
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// Method names the source of a Result.
type Method string

// Methods.
const (
	MethodCRL  Method = "crl"
	MethodOCSP Method = "ocsp"
)

// Result is the revocation status of one certificate, as one method found
// it.
type Result struct {
	// Status is the outcome.
	Status Status
	// Method is the check that produced the result.
	Method Method
	// RevokedAt is when the certificate was revoked, for Revoked.
	RevokedAt time.Time
	// ReasonCode is the RFC 5280 revocation reason (0 unspecified,
	// 1 keyCompromise, ...), for Revoked.
	ReasonCode int
	// Until is how long the result may be relied on: the next update of
	// the CRL or of the OCSP response (or the cache lifetime of a response
	// without one, or of a failure). Zero means no bound is known.
	Until time.Time
	// Err explains an Unknown result; it is nil otherwise.
	Err error
}

// reasonNames are RFC 5280's CRLReason names, by code.
var reasonNames = [...]string{
	0: "unspecified", 1: "keyCompromise", 2: "cACompromise", 3: "affiliationChanged",
	4: "superseded", 5: "cessationOfOperation", 6: "certificateHold", 8: "removeFromCRL",
	9: "privilegeWithdrawn", 10: "aACompromise",
}

// ReasonName returns the RFC 5280 name of a revocation reason code, such as
// "keyCompromise", or "reason N" for an unknown code.
func ReasonName(code int) string {
	if code >= 0 && code < len(reasonNames) && reasonNames[code] != "" {
		return reasonNames[code]
	}
	return "reason " + strconv.Itoa(code)
}
