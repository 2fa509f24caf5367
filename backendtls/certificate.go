package backendtls

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// CertificateInfo describes a certificate for reports and logs.
type CertificateInfo struct {
	Subject, Issuer     string   // RFC 2253 distinguished names
	DNSNames            []string // DNS subject alternative names
	IPAddresses         []net.IP // IP subject alternative names
	URIs                []string // URI subject alternative names
	NotBefore, NotAfter time.Time
	Pin                 Pin  // the pin of its public key
	SelfSigned          bool // subject equals issuer and its own key signed it
	IsCA                bool // it asserts CA:TRUE
}

// DescribeCertificate returns the facts about c that help diagnose it.
func DescribeCertificate(c *x509.Certificate) CertificateInfo {
	info := CertificateInfo{
		Subject:     c.Subject.String(),
		Issuer:      c.Issuer.String(),
		DNSNames:    c.DNSNames,
		IPAddresses: c.IPAddresses,
		NotBefore:   c.NotBefore,
		NotAfter:    c.NotAfter,
		Pin:         PinOf(c),
		SelfSigned:  selfSigned(c),
		IsCA:        c.BasicConstraintsValid && c.IsCA,
	}
	for _, u := range c.URIs {
		info.URIs = append(info.URIs, u.String())
	}
	return info
}

// selfSigned reports whether c's subject equals its issuer and c's own key
// verifies its signature (an insecure but genuine signature counts).
func selfSigned(c *x509.Certificate) bool {
	if !bytes.Equal(c.RawSubject, c.RawIssuer) {
		return false
	}
	err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature)
	var insecure x509.InsecureAlgorithmError
	return err == nil || errors.As(err, &insecure)
}

// subjectName names c in messages: its subject, or its SANs if the
// subject is empty.
func subjectName(c *x509.Certificate) string {
	if s := c.Subject.String(); s != "" {
		return s
	}
	return "empty subject, " + certNames(c, false)
}

// ParseCertificates parses one or more certificates in any of the forms
// certificates are exchanged in: PEM ("CERTIFICATE" blocks, any number,
// text between blocks allowed), the base64 of a DER certificate (Azure's
// .cer export), or raw DER (one or more concatenated). It refuses empty
// input, private keys, PEM blocks of other types, trailing data and
// anything that is not a certificate, naming what it found and where.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	certs, err := parseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("backendtls: %w", err)
	}
	return certs, nil
}

// LoadCertificates reads the file at path and parses it with
// [ParseCertificates]. Errors name the file.
func LoadCertificates(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("backendtls: reading certificates: %w", err)
	}
	certs, err := parseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("backendtls: %s: %w", path, err)
	}
	return certs, nil
}

// ErrPrivateKey is wrapped by the errors of [ParseCertificates] and
// [LoadCertificates] when the input holds a private key where a
// certificate belongs.
var ErrPrivateKey = errors.New("a private key is not a certificate: never give a private key as trust material")

func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("no certificate data: the input is empty")
	}
	if bytes.Contains(trimmed, []byte("-----BEGIN")) {
		return parsePEM(trimmed)
	}
	if trimmed[0] == 0x30 { // an ASN.1 SEQUENCE: DER
		return parseDER(data, "DER input")
	}
	der, err := decodeBase64(trimmed)
	if err != nil {
		return nil, fmt.Errorf("input is neither PEM, base64 nor DER: %w", err)
	}
	return parseDER(der, "base64 input")
}

func parsePEM(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := data
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch {
		case block.Type == "CERTIFICATE":
		case strings.HasSuffix(block.Type, "PRIVATE KEY"):
			return nil, fmt.Errorf("PEM block %d is a %q: %w", n, block.Type, ErrPrivateKey)
		default:
			return nil, fmt.Errorf("PEM block %d has type %q, want \"CERTIFICATE\"", n, block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d is not a valid certificate: %w", n, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM block found: a \"-----BEGIN\" line has no matching \"-----END\" line or is malformed")
	}
	if rest = bytes.TrimSpace(rest); len(rest) > 0 {
		return nil, fmt.Errorf("unparsable data after PEM block %d: %q", len(certs), abbreviate(rest))
	}
	return certs, nil
}

func parseDER(der []byte, what string) ([]*x509.Certificate, error) {
	certs, err := x509.ParseCertificates(der)
	if err == nil && len(certs) > 0 {
		return certs, nil
	}
	if isPrivateKeyDER(der) {
		return nil, fmt.Errorf("%s is a private key: %w", what, ErrPrivateKey)
	}
	if err == nil {
		err = errors.New("no certificate found")
	}
	return nil, fmt.Errorf("%s is not a valid certificate: %w", what, err)
}

func isPrivateKeyDER(der []byte) bool {
	if _, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return true
	}
	if _, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return true
	}
	_, err := x509.ParseECPrivateKey(der)
	return err == nil
}

// decodeBase64 decodes standard base64, ignoring line breaks and spaces.
func decodeBase64(data []byte) ([]byte, error) {
	compact := bytes.Map(func(r rune) rune {
		switch r {
		case '\n', '\r', ' ', '\t':
			return -1
		}
		return r
	}, data)
	der := make([]byte, base64.StdEncoding.DecodedLen(len(compact)))
	n, err := base64.StdEncoding.Decode(der, compact)
	if err != nil {
		return nil, fmt.Errorf("invalid base64: %w", err)
	}
	return der[:n], nil
}

func abbreviate(b []byte) string {
	const max = 32
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
