package backendtls

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/e2etls/e2etls/policy"
)

// Verifier verifies a backend connection once its handshake has completed
// (or resumed). Its method has the signature of tls.Config.VerifyConnection,
// so v.VerifyConnection can be assigned to that field directly. A Verifier
// must be safe for concurrent use.
type Verifier interface {
	VerifyConnection(cs tls.ConnectionState) error
}

// VerifierFunc adapts a function to a [Verifier].
type VerifierFunc func(cs tls.ConnectionState) error

// VerifyConnection returns f(cs).
func (f VerifierFunc) VerifyConnection(cs tls.ConnectionState) error { return f(cs) }

// builtin is a built-in check. It takes a pointer to avoid copying the
// connection state from check to check, and returns a typed error so that
// callers can fill in names and classify without allocating on success.
type builtin interface {
	Verifier
	verify(cs *tls.ConnectionState) *VerificationError
}

// Compile-time interface guards.
var (
	_ Verifier = VerifierFunc(nil)
	_ Verifier = all(nil)
	_ builtin  = policyVerifier{}
	_ builtin  = keyVerifier{}
	_ builtin  = signatureVerifier{}
	_ builtin  = keyUsageVerifier{}
	_ builtin  = minimumsVerifier{}
	_ builtin  = validityVerifier{}
	_ builtin  = (*chainVerifier)(nil)
	_ builtin  = identityVerifier{}
	_ builtin  = sanVerifier{}
	_ builtin  = pinsVerifier{}
	_ builtin  = authVerifier{}
)

// asError converts a possibly nil *VerificationError to an error without
// producing a non-nil interface holding a nil pointer.
func asError(e *VerificationError) error {
	if e == nil {
		return nil
	}
	return e
}

// leafOf returns the backend's leaf certificate, or an error if the
// backend presented none.
func leafOf(cs *tls.ConnectionState) (*x509.Certificate, *VerificationError) {
	if len(cs.PeerCertificates) == 0 {
		return nil, &VerificationError{
			Reason: ReasonHandshake,
			detail: "backend presented no certificate",
			fix:    "configure a certificate on the backend",
		}
	}
	return cs.PeerCertificates[0], nil
}

// All returns a Verifier that runs vs in order and returns the first error.
// It panics if any of vs is nil.
func All(vs ...Verifier) Verifier {
	for i, v := range vs {
		if v == nil {
			panic(fmt.Sprintf("backendtls: All: verifier %d is nil", i))
		}
	}
	return all(append([]Verifier(nil), vs...))
}

type all []Verifier

func (a all) VerifyConnection(cs tls.ConnectionState) error {
	for _, v := range a {
		if err := v.VerifyConnection(cs); err != nil {
			return err
		}
	}
	return nil
}

// VerifyPolicy returns a Verifier that refuses a connection whose
// negotiated version or cipher suite lies outside p (the zero Policy means
// policy.Default()). A tls.Config to which p was applied never negotiates
// anything else; this check guards configurations assembled otherwise. It
// fails with [ReasonPolicy].
func VerifyPolicy(p policy.Policy) Verifier { return policyVerifier{p} }

type policyVerifier struct{ p policy.Policy }

func (v policyVerifier) VerifyConnection(cs tls.ConnectionState) error { return asError(v.verify(&cs)) }

func (v policyVerifier) verify(cs *tls.ConnectionState) *VerificationError {
	if v.p.Allows(cs.Version, cs.CipherSuite) {
		return nil
	}
	return &VerificationError{
		Reason: ReasonPolicy,
		detail: fmt.Sprintf("backend negotiated %s with %s, which the TLS policy does not allow",
			policy.VersionName(cs.Version), policy.CipherSuiteName(cs.CipherSuite)),
		fix: "apply the policy to the client configuration (ClientConfig does), or change the policy",
	}
}

// VerifyMinimums returns a Verifier that applies the minimums every trust
// mode enforces to the backend's leaf certificate: an RSA key of at least
// 2048 bits, an ECDSA key on P-256 or larger, or Ed25519 ([ReasonWeakKey]);
// no MD5 or SHA-1 signature ([ReasonWeakSignature]); and, if the leaf lists
// extended key usages, serverAuth or any among them ([ReasonKeyUsage]).
// [VerifyChain] applies the same minimums to the rest of the chain.
func VerifyMinimums() Verifier { return minimumsVerifier{} }

type minimumsVerifier struct{}

func (v minimumsVerifier) VerifyConnection(cs tls.ConnectionState) error {
	return asError(v.verify(&cs))
}

func (minimumsVerifier) verify(cs *tls.ConnectionState) *VerificationError {
	leaf, err := leafOf(cs)
	if err != nil {
		return err
	}
	return checkLeafMinimums(leaf)
}

// keyVerifier, signatureVerifier and keyUsageVerifier are the three parts
// of minimumsVerifier, run separately by Check.
type (
	keyVerifier       struct{}
	signatureVerifier struct{}
	keyUsageVerifier  struct{}
)

func (v keyVerifier) VerifyConnection(cs tls.ConnectionState) error { return asError(v.verify(&cs)) }

func (keyVerifier) verify(cs *tls.ConnectionState) *VerificationError {
	leaf, err := leafOf(cs)
	if err != nil {
		return err
	}
	if p := keyProblem(leaf); p != "" {
		return weakKeyError(leaf, p, "backend certificate")
	}
	return nil
}

func (v signatureVerifier) VerifyConnection(cs tls.ConnectionState) error {
	return asError(v.verify(&cs))
}

func (signatureVerifier) verify(cs *tls.ConnectionState) *VerificationError {
	leaf, err := leafOf(cs)
	if err != nil {
		return err
	}
	if weakSignature(leaf) {
		return weakSignatureError(leaf, "backend certificate")
	}
	return nil
}

func (v keyUsageVerifier) VerifyConnection(cs tls.ConnectionState) error {
	return asError(v.verify(&cs))
}

func (keyUsageVerifier) verify(cs *tls.ConnectionState) *VerificationError {
	leaf, err := leafOf(cs)
	if err != nil {
		return err
	}
	if allowsServerAuth(leaf) {
		return nil
	}
	return keyUsageError(leaf, "backend certificate")
}

// VerifyValidity returns a Verifier that refuses a backend leaf certificate
// outside its validity period at now() ([ReasonExpired],
// [ReasonNotYetValid]). If now is nil, time.Now is used.
func VerifyValidity(now func() time.Time) Verifier {
	if now == nil {
		now = time.Now
	}
	return validityVerifier{now}
}

type validityVerifier struct{ now func() time.Time }

func (v validityVerifier) VerifyConnection(cs tls.ConnectionState) error {
	return asError(v.verify(&cs))
}

func (v validityVerifier) verify(cs *tls.ConnectionState) *VerificationError {
	leaf, err := leafOf(cs)
	if err != nil {
		return err
	}
	return checkValidity(leaf, v.now(), "backend certificate")
}

const timeFormat = time.RFC3339

func checkValidity(c *x509.Certificate, now time.Time, role string) *VerificationError {
	switch {
	case now.After(c.NotAfter):
		return &VerificationError{
			Reason: ReasonExpired, Certificate: c,
			detail: fmt.Sprintf("%s %q (issuer %q) expired at %s (valid from %s)", role, subjectName(c), c.Issuer.String(),
				c.NotAfter.UTC().Format(timeFormat), c.NotBefore.UTC().Format(timeFormat)),
			fix: "renew it on the backend",
		}
	case now.Before(c.NotBefore):
		return &VerificationError{
			Reason: ReasonNotYetValid, Certificate: c,
			detail: fmt.Sprintf("%s %q (issuer %q) is not valid until %s (valid to %s)", role, subjectName(c), c.Issuer.String(),
				c.NotBefore.UTC().Format(timeFormat), c.NotAfter.UTC().Format(timeFormat)),
			fix: "install a certificate that is valid now, or check the gateway's clock",
		}
	}
	return nil
}

// VerifyIdentity returns a Verifier that requires the backend's leaf to be
// valid for identity, a DNS name or an IP address, per RFC 6125: an IP
// address matches IP subject alternative names only; a DNS name matches the
// DNS subject alternative names (a wildcard "*.example.com" covers exactly
// one left-most label, never "example.com" itself, never a partial label
// such as "f*.example.com", and only under a parent of two labels or more,
// so "*.com" matches nothing), ignoring ASCII case and a trailing dot;
// the subject common name is consulted only when the certificate has no
// DNS and no IP subject alternative name. It fails with
// [ReasonHostnameMismatch].
func VerifyIdentity(identity string) Verifier {
	return identityVerifier{parseIdentity(identity), true}
}

// VerifyIdentityWithoutCommonName is [VerifyIdentity] without the common
// name fallback: only subject alternative names count.
func VerifyIdentityWithoutCommonName(identity string) Verifier {
	return identityVerifier{parseIdentity(identity), false}
}

type identityVerifier struct {
	id         identity
	cnFallback bool
}

func (v identityVerifier) VerifyConnection(cs tls.ConnectionState) error {
	return asError(v.verify(&cs))
}

func (v identityVerifier) verify(cs *tls.ConnectionState) *VerificationError {
	leaf, err := leafOf(cs)
	if err != nil {
		return err
	}
	if v.id.matches(leaf, v.cnFallback) {
		return nil
	}
	e := &VerificationError{Reason: ReasonHostnameMismatch, Identity: v.id.raw, Certificate: leaf}
	if v.id.isIP() {
		e.detail = fmt.Sprintf("backend certificate %q is not valid for IP address %s: it is valid for %s",
			subjectName(leaf), v.id.raw, certNames(leaf, v.cnFallback))
		e.fix = fmt.Sprintf("an IP identity matches IP subject alternative names only: reissue the certificate with IP:%s, or expect a DNS name it has", v.id.raw)
	} else {
		e.detail = fmt.Sprintf("backend certificate %q is not valid for %q: it is valid for %s",
			subjectName(leaf), v.id.raw, certNames(leaf, v.cnFallback))
		e.fix = fmt.Sprintf("set the host name (SNI) or expected identity to one of those names, or reissue the certificate with DNS:%s", v.id.name)
	}
	if len(leaf.URIs) > 0 {
		// Identity takes DNS names and IP addresses only: a URI (such as
		// a SPIFFE ID) is expected through SubjectAltNames, which New
		// accepts.
		byURI := fmt.Sprintf("SubjectAltNames: []backendtls.SAN{{Type: backendtls.SANURI, Value: %q}}", leaf.URIs[0].String())
		named := len(leaf.DNSNames) > 0 || len(leaf.IPAddresses) > 0 || v.cnFallback && leaf.Subject.CommonName != ""
		if named {
			e.fix += "; to trust it by its URI instead, expect " + byURI
		} else {
			want := "DNS:" + v.id.name
			if v.id.isIP() {
				want = "IP:" + v.id.raw
			}
			e.fix = "the certificate names the backend by URI only: expect " + byURI + ", or reissue the certificate with " + want
		}
	}
	return e
}

// VerifyPins returns a Verifier that requires the backend's leaf public key
// to be one of pins ([ReasonPinMismatch]). Pin the current and the next key
// so that the backend can rotate without an outage.
func VerifyPins(pins ...Pin) Verifier { return pinsVerifier{append([]Pin(nil), pins...)} }

type pinsVerifier struct{ pins []Pin }

func (v pinsVerifier) VerifyConnection(cs tls.ConnectionState) error { return asError(v.verify(&cs)) }

func (v pinsVerifier) verify(cs *tls.ConnectionState) *VerificationError {
	leaf, err := leafOf(cs)
	if err != nil {
		return err
	}
	pin := PinOf(leaf)
	for _, p := range v.pins {
		if p == pin {
			return nil
		}
	}
	return &VerificationError{
		Reason: ReasonPinMismatch, Certificate: leaf,
		detail: fmt.Sprintf("backend certificate %q has public key %s, which is not among the %d pinned keys",
			subjectName(leaf), pin, len(v.pins)),
		fix: "if the backend's key changed on purpose, add this pin next to the old one until every backend has rotated; otherwise this is not the expected backend",
	}
}

// VerifyAuthenticationCertificates returns a Verifier that requires the
// backend's leaf to equal one of certs byte for byte, as Azure Application
// Gateway v1's authentication certificates do ([ReasonLeafNotAllowed]).
// The rest of the chain is not consulted.
func VerifyAuthenticationCertificates(certs ...*x509.Certificate) Verifier {
	return authVerifier{append([]*x509.Certificate(nil), certs...)}
}

type authVerifier struct{ certs []*x509.Certificate }

func (v authVerifier) VerifyConnection(cs tls.ConnectionState) error { return asError(v.verify(&cs)) }

func (v authVerifier) verify(cs *tls.ConnectionState) *VerificationError {
	leaf, err := leafOf(cs)
	if err != nil {
		return err
	}
	for _, c := range v.certs {
		if bytes.Equal(c.Raw, leaf.Raw) {
			return nil
		}
	}
	return &VerificationError{
		Reason: ReasonLeafNotAllowed, Certificate: leaf,
		detail: fmt.Sprintf("backend certificate %q (issuer %q, serial %s) is not one of the %d authentication certificates",
			subjectName(leaf), leaf.Issuer.String(), leaf.SerialNumber.Text(16), len(v.certs)),
		fix: "add this exact certificate to AuthenticationCertificates, or serve an allowed certificate on the backend",
	}
}

// customVerifier wraps a user's Verifier: errors that are not already
// *VerificationError get ReasonCustom.
type customVerifier struct{ v Verifier }

func (c customVerifier) VerifyConnection(cs tls.ConnectionState) error { return asError(c.verify(&cs)) }

func (c customVerifier) verify(cs *tls.ConnectionState) *VerificationError {
	err := c.v.VerifyConnection(*cs)
	if err == nil {
		return nil
	}
	var ve *VerificationError
	if errors.As(err, &ve) {
		return ve
	}
	e := &VerificationError{Reason: ReasonCustom, Err: err, detail: "custom verifier refused the backend: " + err.Error()}
	if len(cs.PeerCertificates) > 0 {
		e.Certificate = cs.PeerCertificates[0]
	}
	return e
}
