package tlstest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"sync/atomic"
	"time"
)

// Options describes a certificate to mint. Every field is optional.
type Options struct {
	// CommonName is the subject common name. If empty, the first of
	// DNSNames is used, or else a unique name such as "tlstest root 3"
	// (unique names keep chain building unambiguous).
	CommonName string

	// DNSNames, IPAddresses and URIs are the subject alternative names.
	// If all are empty, the certificate has no SAN extension.
	DNSNames    []string
	IPAddresses []net.IP
	URIs        []*url.URL

	// KeyType is the certificate's key type; the zero value is RSA2048.
	// RSA keys come from a small per-process pool (see [NewKey]), so two
	// certificates minted far apart may share an RSA key; use Key, or an
	// ECDSA or Ed25519 key type, when distinct keys matter (pins).
	KeyType KeyType

	// Key, if non-nil, is used as the certificate's private key and
	// KeyType is ignored. Use it to renew a certificate with the same key.
	Key crypto.Signer

	// NotBefore and NotAfter bound the validity period. A zero NotBefore
	// means one hour ago; a zero NotAfter means 24 hours from now.
	NotBefore, NotAfter time.Time

	// ExtKeyUsage lists the extended key usages. If nil, leaves get
	// serverAuth and CAs get no extended key usage extension.
	ExtKeyUsage []x509.ExtKeyUsage

	// NoExtKeyUsage, if true, omits the extended key usage extension
	// even on leaves (which then may be used for any purpose).
	NoExtKeyUsage bool

	// SignatureAlgorithm is the algorithm the issuer signs with. If zero,
	// Go's default for the issuer's key. The insecure algorithms
	// x509.SHA1WithRSA, x509.MD5WithRSA and x509.ECDSAWithSHA1, which
	// x509.CreateCertificate refuses or which verifiers reject, are
	// supported so that tests can show weak-signature failures.
	SignatureAlgorithm x509.SignatureAlgorithm

	// NotCA, for NewRoot only, mints a self-signed certificate that does
	// not assert CA:TRUE (basic constraints present, cA false) but can
	// still be used to issue certificates: a "root" that verifiers must
	// refuse as an invalid CA. It is ignored by other constructors.
	NotCA bool

	// OCSPServers are the OCSP responder URLs written in the certificate's
	// authority information access extension, where revocation checkers
	// look for a responder. If nil, the certificate names none.
	OCSPServers []string

	// CRLDistributionPoints are the URLs of the CRLs that cover the
	// certificate. If nil, the certificate names none.
	CRLDistributionPoints []string

	// EmptySubject, for leaves, mints the certificate with an empty
	// subject, as SPIFFE workload certificates often are: it is then named
	// by its subject alternative names only, which must not all be empty.
	// CommonName is ignored. It is ignored by CA constructors, whose unique
	// names keep chain building unambiguous.
	EmptySubject bool

	// PolicyOIDs are certificate policy identifiers. If nil, the
	// certificate has no certificate policies extension.
	PolicyOIDs []x509.OID
}

// Cert is a certificate with its private key and issuer.
type Cert struct {
	// Certificate is the parsed certificate.
	Certificate *x509.Certificate
	// Key is the certificate's private key.
	Key crypto.Signer
	// Issuer is the certificate that signed this one, nil if self-signed.
	Issuer *Cert
}

type kind int

const (
	kindRoot kind = iota
	kindIntermediate
	kindLeaf
)

func (k kind) String() string {
	switch k {
	case kindRoot:
		return "root"
	case kindIntermediate:
		return "intermediate"
	}
	return "leaf"
}

// nameSeq makes default common names unique within the process.
var nameSeq atomic.Uint64

// NewRoot mints a self-signed CA certificate (or, with Options.NotCA, a
// self-signed certificate without CA:TRUE). It panics if o is unusable.
func NewRoot(o Options) *Cert {
	return mint(o, kindRoot, nil)
}

// NewIntermediate mints a CA certificate issued by c.
// It panics if o is unusable.
func (c *Cert) NewIntermediate(o Options) *Cert {
	if c == nil {
		panic("tlstest: NewIntermediate called on a nil *Cert")
	}
	return mint(o, kindIntermediate, c)
}

// NewLeaf mints an end-entity certificate issued by c.
// It panics if o is unusable.
func (c *Cert) NewLeaf(o Options) *Cert {
	if c == nil {
		panic("tlstest: NewLeaf called on a nil *Cert")
	}
	return mint(o, kindLeaf, c)
}

// NewClientLeaf mints an end-entity certificate issued by c for TLS client
// authentication: unless o.ExtKeyUsage says otherwise, its extended key
// usage is clientAuth only. Name the client with o.CommonName, o.URIs (a
// SPIFFE ID), o.DNSNames or o.IPAddresses. It panics if o is unusable.
func (c *Cert) NewClientLeaf(o Options) *Cert {
	if c == nil {
		panic("tlstest: NewClientLeaf called on a nil *Cert")
	}
	if o.ExtKeyUsage == nil {
		o.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	return mint(o, kindLeaf, c)
}

// NewOCSPResponder mints a delegated OCSP responder certificate issued by
// c (RFC 6960 section 4.2.2.2): an end-entity certificate whose extended
// key usage is OCSPSigning, which may sign OCSP responses about the
// certificates c issued. It panics if o is unusable.
func (c *Cert) NewOCSPResponder(o Options) *Cert {
	if c == nil {
		panic("tlstest: NewOCSPResponder called on a nil *Cert")
	}
	if o.ExtKeyUsage == nil {
		o.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}
	}
	return mint(o, kindLeaf, c)
}

// NewSelfSignedLeaf mints a self-signed end-entity certificate (not a CA),
// the kind that backends often serve and that a client can trust only by
// trusting that exact certificate or its key. It panics if o is unusable.
func NewSelfSignedLeaf(o Options) *Cert {
	return mint(o, kindLeaf, nil)
}

// TLSCertificate returns c with its key and exactly the given certificates
// after it, in that order, for a server to present. Passing none, or the
// wrong ones, serves a broken chain on purpose; [Cert.FullChain] serves
// the correct one.
func (c *Cert) TLSCertificate(intermediates ...*Cert) tls.Certificate {
	chain := make([][]byte, 0, 1+len(intermediates))
	chain = append(chain, c.Certificate.Raw)
	for _, ic := range intermediates {
		chain = append(chain, ic.Certificate.Raw)
	}
	return tls.Certificate{Certificate: chain, PrivateKey: c.Key, Leaf: c.Certificate}
}

// FullChain returns c followed by every issuer up to, but excluding, the
// self-signed root: the chain a correctly configured server presents.
func (c *Cert) FullChain() tls.Certificate {
	var chain []*Cert
	for p := c.Issuer; p != nil && p.Issuer != nil; p = p.Issuer {
		chain = append(chain, p)
	}
	return c.TLSCertificate(chain...)
}

// CertPEM returns the certificate as one PEM "CERTIFICATE" block.
func (c *Cert) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate.Raw})
}

// KeyPEM returns the private key as one PEM "PRIVATE KEY" (PKCS #8) block.
// It panics if the key cannot be marshalled.
func (c *Cert) KeyPEM() []byte {
	der, err := x509.MarshalPKCS8PrivateKey(c.Key)
	if err != nil {
		panic(fmt.Sprintf("tlstest: marshalling private key: %v", err))
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// Pool returns a new certificate pool holding only c.
func (c *Cert) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.Certificate)
	return p
}

func mint(o Options, k kind, issuer *Cert) *Cert {
	key := o.Key
	if key == nil {
		key = pool.key(o.KeyType)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: o.CommonName},
		DNSNames:              o.DNSNames,
		IPAddresses:           o.IPAddresses,
		URIs:                  o.URIs,
		NotBefore:             o.NotBefore,
		NotAfter:              o.NotAfter,
		BasicConstraintsValid: true,
		Policies:              o.PolicyOIDs,
		OCSPServer:            o.OCSPServers,
		CRLDistributionPoints: o.CRLDistributionPoints,
	}
	if k == kindLeaf && o.EmptySubject {
		if len(o.DNSNames)+len(o.IPAddresses)+len(o.URIs) == 0 {
			panic("tlstest: Options.EmptySubject needs at least one subject alternative name")
		}
		tmpl.Subject = pkix.Name{}
	} else if tmpl.Subject.CommonName == "" {
		if len(o.DNSNames) > 0 {
			tmpl.Subject.CommonName = o.DNSNames[0]
		} else {
			tmpl.Subject.CommonName = fmt.Sprintf("tlstest %v %d", k, nameSeq.Add(1))
		}
	}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = now.Add(-time.Hour)
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = now.Add(24 * time.Hour)
	}
	switch {
	case k == kindRoot && o.NotCA:
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign
	case k != kindLeaf:
		tmpl.IsCA = true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	default:
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		if _, ok := key.(*rsa.PrivateKey); ok {
			tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
		}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	if o.ExtKeyUsage != nil {
		tmpl.ExtKeyUsage = o.ExtKeyUsage
	}
	if o.NoExtKeyUsage {
		tmpl.ExtKeyUsage = nil
	}
	parent, signer := tmpl, key
	if issuer != nil {
		parent, signer = issuer.Certificate, issuer.Key
	}
	if insecureAlgorithm(o.SignatureAlgorithm) {
		// x509.CreateCertificate refuses MD5 (and Go may refuse SHA-1 in
		// future): mint with a secure algorithm, then re-sign.
		tmpl.SignatureAlgorithm = 0
	} else {
		tmpl.SignatureAlgorithm = o.SignatureAlgorithm
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		panic(fmt.Sprintf("tlstest: creating %v certificate %q: %v", k, tmpl.Subject.CommonName, err))
	}
	if insecureAlgorithm(o.SignatureAlgorithm) {
		der, err = resign(der, o.SignatureAlgorithm, signer)
		if err != nil {
			panic(fmt.Sprintf("tlstest: signing %v certificate %q with %v: %v", k, tmpl.Subject.CommonName, o.SignatureAlgorithm, err))
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(fmt.Sprintf("tlstest: parsing minted certificate %q: %v", tmpl.Subject.CommonName, err))
	}
	return &Cert{Certificate: cert, Key: key, Issuer: issuer}
}

func randomSerial() *big.Int {
	limit := new(big.Int).Lsh(big.NewInt(1), 127)
	n, err := rand.Int(rand.Reader, limit)
	if err != nil {
		panic(fmt.Sprintf("tlstest: generating serial number: %v", err))
	}
	return n.Add(n, big.NewInt(1))
}
