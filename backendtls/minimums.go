package backendtls

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"slices"
)

// Minimum key sizes, enforced in every trust mode.
const (
	minRSABits   = 2048
	minECDSABits = 256
)

// keyProblem describes why c's public key is too weak, or returns "".
func keyProblem(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < minRSABits {
			return fmt.Sprintf("a %d-bit RSA key", n)
		}
		return ""
	case *ecdsa.PublicKey:
		if n := k.Curve.Params().BitSize; n < minECDSABits {
			return "an ECDSA key on " + k.Curve.Params().Name
		}
		return ""
	case ed25519.PublicKey:
		return ""
	}
	return fmt.Sprintf("a %v key, which is not accepted", c.PublicKeyAlgorithm)
}

// weakSignature reports whether c is signed with MD2, MD5 or SHA-1.
func weakSignature(c *x509.Certificate) bool {
	switch c.SignatureAlgorithm {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		return true
	}
	return false
}

// allowsServerAuth reports whether c's extended key usages, if any, allow
// TLS server authentication.
func allowsServerAuth(c *x509.Certificate) bool {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true
	}
	return slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageServerAuth) || slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageAny)
}

// ekuNames lists c's extended key usages for messages.
func ekuNames(c *x509.Certificate) string {
	var names []string
	for _, u := range c.ExtKeyUsage {
		names = append(names, u.String())
	}
	for _, oid := range c.UnknownExtKeyUsage {
		names = append(names, oid.String())
	}
	return fmt.Sprint(names)
}

// checkLeafMinimums applies the minimums to the leaf in every mode.
// It does not allocate unless it fails.
func checkLeafMinimums(leaf *x509.Certificate) *VerificationError {
	if p := keyProblem(leaf); p != "" {
		return weakKeyError(leaf, p, "backend certificate")
	}
	if weakSignature(leaf) {
		return weakSignatureError(leaf, "backend certificate")
	}
	if !allowsServerAuth(leaf) {
		return keyUsageError(leaf, "backend certificate")
	}
	return nil
}

func keyUsageError(c *x509.Certificate, role string) *VerificationError {
	return &VerificationError{
		Reason: ReasonKeyUsage, Certificate: c,
		detail: fmt.Sprintf("%s %q does not allow TLS server authentication: its extended key usages are %s",
			role, subjectName(c), ekuNames(c)),
		fix: "reissue it with the serverAuth extended key usage (or none at all)",
	}
}

func weakKeyError(c *x509.Certificate, problem, role string) *VerificationError {
	return &VerificationError{
		Reason: ReasonWeakKey, Certificate: c,
		detail: fmt.Sprintf("%s %q has %s, below the minimum of %d-bit RSA or ECDSA P-256", role, subjectName(c), problem, minRSABits),
		fix:    "reissue it with an RSA key of at least 2048 bits, an ECDSA key on P-256 or larger, or Ed25519",
	}
}

func weakSignatureError(c *x509.Certificate, role string) *VerificationError {
	return &VerificationError{
		Reason: ReasonWeakSignature, Certificate: c,
		detail: fmt.Sprintf("%s %q is signed with %v, which is insecure", role, subjectName(c), c.SignatureAlgorithm),
		fix:    "reissue it with a SHA-256 or stronger signature",
	}
}
