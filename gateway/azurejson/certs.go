package azurejson

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/gateway"
)

// sslCertificate converts an sslCertificates element: a listener's
// certificate with its key, from data (a base64 PFX) and password, or from
// the local file the options map the certificate's name to.
func (a *armDecoder) sslCertificate(s *sub) gateway.SSLCertificate {
	c := gateway.SSLCertificate{Name: s.name}
	o := s.p
	hint := fmt.Sprintf("give the certificate and its key as a local file (PEM, or the PFX Key Vault holds) with Options.CertificateFiles[%s] (appgw -cert %s=FILE)", quote(s.name), s.name)
	if file, ok := a.certFor(s.name); ok {
		for _, k := range []string{"data", "password", "keyVaultSecretId", "hsm"} {
			if v := o.get(k); v != nil {
				a.note(v.off, join(o.path, k), k, "replaced by the local file "+quote(file)+" (Options.CertificateFiles)")
			}
		}
		data, err := a.readLocal(file)
		if err == nil {
			c.Certificate, err = parseKeyPairFile(data)
		}
		if err != nil {
			o.failf("", "certificate file %s: %v", quote(file), err)
			return c
		}
		if pub := o.get("publicCertData"); pub != nil && pub.kind == kindString {
			a.checkPublicCert(o, pub.text, c.Certificate, file)
		}
		return c
	}
	switch {
	case o.has("data"):
		der, err := decodeBase64(o.str("data"))
		if err != nil {
			o.failf("data", "not base64 (data holds a PFX file, base64-encoded): %v", err)
			return c
		}
		pair, err := decodePFX(der, o.str("password"))
		if err != nil {
			o.fail("data", err)
			return c
		}
		c.Certificate = pair
	case o.has("keyVaultSecretId"):
		o.failf("keyVaultSecretId", "%s: a certificate kept in Azure Key Vault cannot be read here: %s", quote(o.str("keyVaultSecretId")), hint)
	case o.has("hsm"):
		o.failf("hsm", "a key kept in Azure Managed HSM cannot be used here: %s", hint)
	case o.has("publicCertData"):
		o.failf("publicCertData", "Azure returns a listener certificate's public part only, never its private key: %s", hint)
	default:
		o.failf("", "no certificate: set data (a base64 PFX) and password, or keyVaultSecretId")
	}
	return c
}

// checkPublicCert reports a local certificate whose leaf is not the one
// publicCertData (Azure's copy) holds.
func (a *armDecoder) checkPublicCert(o *object, data string, pair tls.Certificate, file string) {
	certs, err := parseCertData(data)
	if err != nil {
		o.failf("publicCertData", "%v", err)
		return
	}
	for _, c := range certs {
		if pair.Leaf != nil && c.Equal(pair.Leaf) {
			return
		}
	}
	got := "none"
	if len(certs) > 0 {
		got = certName(certs[0])
	}
	o.failf("publicCertData", "the certificate in %s (%s) is not the one Azure holds (%s): give the file of this certificate", quote(file), certName(pair.Leaf), got)
}

// namedCertificate converts a trustedRootCertificates (keyVault true) or
// authenticationCertificates element: one certificate, from data or from
// the local file the options map its name to.
func (a *armDecoder) namedCertificate(s *sub, keyVault bool) gateway.NamedCertificate {
	c := gateway.NamedCertificate{Name: s.name}
	o := s.p
	var (
		certs []*x509.Certificate
		err   error
		key   = "data"
	)
	if file, ok := a.certFor(s.name); ok {
		for _, k := range []string{"data", "keyVaultSecretId"} {
			if v := o.get(k); v != nil {
				a.note(v.off, join(o.path, k), k, "replaced by the local file "+quote(file)+" (Options.CertificateFiles)")
			}
		}
		var data []byte
		if data, err = a.readLocal(file); err == nil {
			certs, err = parseCertData(string(data))
		}
		if err != nil {
			o.failf("", "certificate file %s: %v", quote(file), err)
			return c
		}
		key = ""
	} else {
		switch {
		case o.has("data"):
			certs, err = parseCertData(o.str("data"))
		case keyVault && o.has("keyVaultSecretId"):
			o.failf("keyVaultSecretId", "%s: a certificate kept in Azure Key Vault cannot be read here: give it as a local file with Options.CertificateFiles[%s] (appgw -cert %s=FILE)",
				quote(o.str("keyVaultSecretId")), quote(s.name), s.name)
			return c
		default:
			if !o.has("data") {
				o.failf("", "no certificate: set data (the certificate, base64 DER or PEM)")
			}
			return c
		}
	}
	switch {
	case err != nil:
		o.fail(key, err)
	case len(certs) != 1:
		o.failf(key, "holds %d certificates, want exactly one", len(certs))
	default:
		c.Certificate = certs[0]
	}
	return c
}

// parseCertData parses certificates given as PEM, base64 DER, DER or a
// base64 PKCS#7 bundle (as Azure returns publicCertData).
func parseCertData(data string) ([]*x509.Certificate, error) {
	trimmed := strings.TrimSpace(data)
	if !strings.Contains(trimmed, "-----BEGIN") {
		if der, err := decodeBase64(trimmed); err == nil && isPKCS7(der) {
			return parsePKCS7(der)
		}
		if len(trimmed) > 0 && trimmed[0] == 0x30 && isPKCS7([]byte(data)) {
			return parsePKCS7([]byte(data))
		}
	}
	return backendtls.ParseCertificates([]byte(data))
}

// decodeBase64 decodes standard base64, with or without padding, ignoring
// white space (exports wrap long lines).
func decodeBase64(s string) ([]byte, error) {
	s = strings.Join(strings.Fields(s), "")
	if der, err := base64.StdEncoding.DecodeString(s); err == nil {
		return der, nil
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// oidSignedData is PKCS#7 signed data, the certificate bundle format.
var oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}

// isPKCS7 reports whether der is a PKCS#7 signed-data structure.
func isPKCS7(der []byte) bool {
	var ci struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"explicit,tag:0,optional"`
	}
	_, err := asn1.Unmarshal(der, &ci)
	return err == nil && ci.ContentType.Equal(oidSignedData)
}

// parsePKCS7 returns the certificates of a PKCS#7 signed-data bundle.
func parsePKCS7(der []byte) ([]*x509.Certificate, error) {
	var ci struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"tag:0,optional"` // [0] EXPLICIT: Bytes is the inner value
	}
	if _, err := asn1.Unmarshal(der, &ci); err != nil {
		return nil, fmt.Errorf("not a PKCS#7 bundle: %w", err)
	}
	var sd struct {
		Version          int
		DigestAlgorithms asn1.RawValue
		ContentInfo      asn1.RawValue
		Certificates     asn1.RawValue `asn1:"optional,tag:0"`
		CRLs             asn1.RawValue `asn1:"optional,tag:1"`
		SignerInfos      asn1.RawValue
	}
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, fmt.Errorf("not a PKCS#7 certificate bundle: %w", err)
	}
	certs, err := x509.ParseCertificates(sd.Certificates.Bytes)
	if err != nil {
		return nil, fmt.Errorf("PKCS#7 bundle: %w", err)
	}
	if len(certs) == 0 {
		return nil, errors.New("the PKCS#7 bundle holds no certificate")
	}
	return certs, nil
}

// decodePFX decodes a listener certificate from a PFX (PKCS#12) file: its
// private key, the certificate of that key and the chain above it. PKCS#12
// gives its certificates no order, so the chain is ordered from the leaf
// up; a certificate that belongs to no chain of the leaf is an error.
func decodePFX(der []byte, password string) (tls.Certificate, error) {
	key, first, cas, err := pkcs12.DecodeChain(der, password)
	switch {
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		return tls.Certificate{}, errors.New("wrong password for the PFX (password)")
	case err != nil && strings.Contains(err.Error(), "private key missing"):
		return tls.Certificate{}, errors.New("the PFX holds no private key: a listener needs its certificate's key; export the PFX with the private key")
	case err != nil && strings.Contains(err.Error(), "certificate missing"):
		return tls.Certificate{}, errors.New("the PFX holds no certificate")
	case err != nil:
		return tls.Certificate{}, fmt.Errorf("not a usable PFX (PKCS#12) file: %w", err)
	}
	all := append([]*x509.Certificate{first}, cas...)
	leaf := -1
	for i, c := range all {
		if keyMatches(key, c) {
			leaf = i
			break
		}
	}
	if leaf < 0 {
		return tls.Certificate{}, errors.New("no certificate in the PFX is that of its private key")
	}
	chain := []*x509.Certificate{all[leaf]}
	rest := append(append([]*x509.Certificate(nil), all[:leaf]...), all[leaf+1:]...)
	for len(rest) > 0 {
		last := chain[len(chain)-1]
		if bytes.Equal(last.RawIssuer, last.RawSubject) && last.CheckSignatureFrom(last) == nil {
			break // a self-signed root ends the chain
		}
		i := issuerIn(last, rest)
		if i < 0 {
			break
		}
		chain = append(chain, rest[i])
		rest = append(rest[:i], rest[i+1:]...)
	}
	if len(rest) > 0 {
		return tls.Certificate{}, fmt.Errorf("the PFX holds %s, which is not in the chain of its leaf %s: remove it", certName(rest[0]), certName(chain[0]))
	}
	pair := tls.Certificate{PrivateKey: key, Leaf: chain[0]}
	for _, c := range chain {
		pair.Certificate = append(pair.Certificate, c.Raw)
	}
	return pair, nil
}

// issuerIn returns the index of the certificate of certs that issued c, or
// -1.
func issuerIn(c *x509.Certificate, certs []*x509.Certificate) int {
	for i, p := range certs {
		if bytes.Equal(c.RawIssuer, p.RawSubject) && c.CheckSignatureFrom(p) == nil {
			return i
		}
	}
	return -1
}

// keyMatches reports whether key is the private key of c.
func keyMatches(key any, c *x509.Certificate) bool {
	s, ok := key.(crypto.Signer)
	if !ok {
		return false
	}
	pub, ok := s.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(c.PublicKey)
}

// certName names a certificate in messages by its subject.
func certName(c *x509.Certificate) string {
	if c == nil {
		return "no certificate"
	}
	if s := c.Subject.String(); s != "" {
		return strconv.Quote(s)
	}
	return "the certificate with serial " + c.SerialNumber.String()
}

// parseKeyPairFile parses a local listener certificate: PEM holding the
// chain, leaf first, and the private key; or a PFX without password, raw or
// base64 (as Key Vault keeps a certificate's secret).
func parseKeyPairFile(data []byte) (tls.Certificate, error) {
	if bytes.Contains(data, []byte("-----BEGIN")) {
		return parsePEMKeyPair(data, data)
	}
	der := data
	if d, err := decodeBase64(string(data)); err == nil {
		der = d
	}
	return decodePFX(der, "")
}

// parsePEMKeyPair parses a PEM chain and key, checking that the chain runs
// from the leaf (the certificate of the key) to its root, each certificate
// followed by its issuer.
func parsePEMKeyPair(certPEM, keyPEM []byte) (tls.Certificate, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	var certs []*x509.Certificate
	for rest := certPEM; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if c, perr := x509.ParseCertificate(b.Bytes); perr == nil {
			certs = append(certs, c)
		}
	}
	if err != nil {
		// Say which certificate is the key's when it is not the first.
		if p, kerr := tls.X509KeyPair(certPEM, keyPEM); kerr != nil && len(certs) > 1 && p.PrivateKey == nil {
			if b, _ := pem.Decode(keyPEM); b != nil {
				for rest := keyPEM; ; {
					var kb *pem.Block
					if kb, rest = pem.Decode(rest); kb == nil {
						break
					}
					key, perr := parsePrivateKey(kb.Bytes)
					if perr != nil {
						continue
					}
					for i, c := range certs[1:] {
						if keyMatches(key, c) {
							return tls.Certificate{}, fmt.Errorf("the chain is out of order: the leaf %s, the certificate of the key, is certificate %d; list the leaf first, then each issuer", certName(c), i+2)
						}
					}
				}
			}
		}
		return tls.Certificate{}, err
	}
	for i := 1; i < len(certs); i++ {
		if issuerIn(certs[i-1], certs[i:i+1]) < 0 {
			return tls.Certificate{}, fmt.Errorf("the chain is out of order: certificate %d (%s) did not issue certificate %d (%s); list the leaf first, then each issuer", i+1, certName(certs[i]), i, certName(certs[i-1]))
		}
	}
	return pair, nil
}

// parsePrivateKey parses a PKCS#8, PKCS#1 or SEC 1 private key.
func parsePrivateKey(der []byte) (any, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	return x509.ParseECPrivateKey(der)
}
