package tlstest

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"
)

// Revoked is one entry of a certificate revocation list.
type Revoked struct {
	// Cert is the revoked certificate. Required.
	Cert *Cert
	// At is when it was revoked. A zero At means an hour ago.
	At time.Time
	// Reason is the RFC 5280 reason code (1 keyCompromise, 4 superseded,
	// ...). Zero means unspecified, and the entry has no reason extension.
	Reason int
}

// CRLOptions describes a certificate revocation list. Every field is
// optional.
type CRLOptions struct {
	// Revoked lists the revoked certificates. If empty, the CRL revokes
	// nothing (a valid, empty CRL).
	Revoked []Revoked
	// ThisUpdate is the CRL's issue date. A zero ThisUpdate means an hour
	// ago.
	ThisUpdate time.Time
	// NextUpdate is when a newer CRL is due; past it the CRL is stale. A
	// zero NextUpdate means a day after ThisUpdate.
	NextUpdate time.Time
	// Number is the CRL number, which grows with each CRL of an issuer.
	// Zero means 1.
	Number int64
}

// NewCRL returns a CRL issued and signed by c, which must be a CA (every CA
// that tlstest mints may sign CRLs), as x509.CreateRevocationList makes it:
// version 2, with an authority key identifier and a CRL number. It panics
// if c cannot sign one.
func (c *Cert) NewCRL(o CRLOptions) *x509.RevocationList {
	if c == nil {
		panic("tlstest: NewCRL called on a nil *Cert")
	}
	now := time.Now()
	tmpl := &x509.RevocationList{
		ThisUpdate: o.ThisUpdate,
		NextUpdate: o.NextUpdate,
		Number:     big.NewInt(o.Number),
	}
	if tmpl.ThisUpdate.IsZero() {
		tmpl.ThisUpdate = now.Add(-time.Hour)
	}
	if tmpl.NextUpdate.IsZero() {
		tmpl.NextUpdate = tmpl.ThisUpdate.Add(24 * time.Hour)
	}
	if o.Number == 0 {
		tmpl.Number = big.NewInt(1)
	}
	for i, r := range o.Revoked {
		if r.Cert == nil {
			panic(fmt.Sprintf("tlstest: CRLOptions.Revoked[%d] has no certificate", i))
		}
		at := r.At
		if at.IsZero() {
			at = now.Add(-time.Hour)
		}
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{
			SerialNumber:   r.Cert.Certificate.SerialNumber,
			RevocationTime: at,
			ReasonCode:     r.Reason,
		})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, c.Certificate, c.Key)
	if err != nil {
		panic(fmt.Sprintf("tlstest: creating a CRL of %q: %v", c.Certificate.Subject, err))
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		panic(fmt.Sprintf("tlstest: parsing the CRL of %q: %v", c.Certificate.Subject, err))
	}
	return crl
}

// CRLPEM returns crl as one PEM "X509 CRL" block, the form CRL files take.
func CRLPEM(crl *x509.RevocationList) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: crl.Raw})
}
