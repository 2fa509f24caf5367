package clientauth

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"strings"
	"time"
)

// Azure Application Gateway's mutual-authentication server variables, which
// rewrite rules use as {var_client_certificate} and so on. Their values
// follow NGINX's $ssl_client_* variables, on which Azure's are modelled.
const (
	// VarClientCertificate is the client certificate in PEM, URL-encoded
	// (NGINX's $ssl_client_escaped_cert; Azure sends it so: backends
	// URL-decode it). See [EscapedPEM].
	VarClientCertificate = "client_certificate"
	// VarClientCertificateSubject is the subject DN, RFC 2253. See [Subject].
	VarClientCertificateSubject = "client_certificate_subject"
	// VarClientCertificateIssuer is the issuer DN, RFC 2253. See [Issuer].
	VarClientCertificateIssuer = "client_certificate_issuer"
	// VarClientCertificateSerial is the serial number, uppercase
	// hexadecimal. See [Serial].
	VarClientCertificateSerial = "client_certificate_serial"
	// VarClientCertificateFingerprint is the SHA-1 fingerprint, lowercase
	// hexadecimal. See [Fingerprint].
	VarClientCertificateFingerprint = "client_certificate_fingerprint"
	// VarClientCertificateStartDate is the start of validity, as
	// "Jan  2 15:04:05 2006 GMT". See [StartDate].
	VarClientCertificateStartDate = "client_certificate_start_date"
	// VarClientCertificateEndDate is the end of validity, in the same
	// format. See [EndDate].
	VarClientCertificateEndDate = "client_certificate_end_date"
	// VarClientCertificateVerification is SUCCESS, FAILED:reason, NONE or
	// PASSTHROUGH. See [Verdict.ClientCertificateVerification].
	VarClientCertificateVerification = "client_certificate_verification"
)

// ServerVariableNames returns the names of the mutual-authentication
// server variables, in Azure's documented order.
func ServerVariableNames() []string {
	return []string{
		VarClientCertificate, VarClientCertificateEndDate, VarClientCertificateFingerprint,
		VarClientCertificateIssuer, VarClientCertificateSerial, VarClientCertificateStartDate,
		VarClientCertificateSubject, VarClientCertificateVerification,
	}
}

// ServerVariable returns the value of the mutual-authentication server
// variable name for this connection, and whether name is one of them.
// Without a client certificate every variable is "" except
// client_certificate_verification, which is "NONE". The values describe
// the certificate the client sent, verified or not: in Passthrough mode
// the backend must consult client_certificate_verification before it
// trusts any of them.
func (v *Verdict) ServerVariable(name string) (string, bool) {
	if name == VarClientCertificateVerification {
		return v.ClientCertificateVerification(), true
	}
	var f func(*x509.Certificate) string
	switch name {
	case VarClientCertificate:
		f = EscapedPEM
	case VarClientCertificateSubject:
		f = Subject
	case VarClientCertificateIssuer:
		f = Issuer
	case VarClientCertificateSerial:
		f = Serial
	case VarClientCertificateFingerprint:
		f = Fingerprint
	case VarClientCertificateStartDate:
		f = StartDate
	case VarClientCertificateEndDate:
		f = EndDate
	default:
		return "", false
	}
	if v.Certificate == nil {
		return "", true
	}
	return f(v.Certificate), true
}

// EscapedPEM returns c as one PEM "CERTIFICATE" block, URL-encoded: every
// byte but the unreserved characters of RFC 3986 (letters, digits, '-',
// '.', '_', '~') as %XX, so that "+", "/", "=", spaces and new lines are
// escaped. This is NGINX's $ssl_client_escaped_cert, what Azure sends as
// client_certificate, and Envoy's Cert in X-Forwarded-Client-Cert. "" for
// nil.
func EscapedPEM(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	return escape(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

// escapedChain is the URL-encoded concatenation of the certificates' PEM
// blocks, in order (Envoy's Chain).
func escapedChain(certs []*x509.Certificate) string {
	var b strings.Builder
	for _, c := range certs {
		if c != nil {
			b.WriteString(EscapedPEM(c))
		}
	}
	return b.String()
}

func escape(s []byte) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for _, c := range s {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// Subject returns c's subject DN in RFC 2253 form, most specific first,
// such as "CN=client,O=Example" (NGINX's $ssl_client_s_dn). "" for nil.
func Subject(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	return c.Subject.String()
}

// Issuer returns c's issuer DN in RFC 2253 form (NGINX's
// $ssl_client_i_dn). "" for nil.
func Issuer(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	return c.Issuer.String()
}

// Serial returns c's serial number in uppercase hexadecimal, two digits
// per byte, such as "0A1B" (NGINX's $ssl_client_serial, as OpenSSL prints
// it). "" for nil.
func Serial(c *x509.Certificate) string {
	if c == nil || c.SerialNumber == nil {
		return ""
	}
	n := c.SerialNumber
	sign := ""
	if n.Sign() < 0 {
		sign = "-"
	}
	b := n.Bytes()
	if len(b) == 0 {
		return "00"
	}
	return sign + strings.ToUpper(hex.EncodeToString(b))
}

// Fingerprint returns the SHA-1 of c's DER in lowercase hexadecimal, as
// Azure documents client_certificate_fingerprint and NGINX computes
// $ssl_client_fingerprint. SHA-1 identifies a certificate here; it proves
// nothing. "" for nil.
func Fingerprint(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	sum := sha1.Sum(c.Raw)
	return hex.EncodeToString(sum[:])
}

// dateFormat is OpenSSL's ASN1_TIME_print format, which NGINX's
// $ssl_client_v_start and $ssl_client_v_end use.
const dateFormat = "Jan _2 15:04:05 2006 GMT"

// StartDate returns c's NotBefore as "Jan  2 15:04:05 2006 GMT", in UTC
// (NGINX's $ssl_client_v_start). "" for nil.
func StartDate(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	return c.NotBefore.UTC().Format(dateFormat)
}

// EndDate returns c's NotAfter in StartDate's format (NGINX's
// $ssl_client_v_end). "" for nil.
func EndDate(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	return c.NotAfter.UTC().Format(dateFormat)
}

// ParseDate reads a date written by StartDate or EndDate.
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(dateFormat, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("clientauth: date %q: %w", s, err)
	}
	return t, nil
}
