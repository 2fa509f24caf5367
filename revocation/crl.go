package revocation

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"
)

// CRLSet holds certificate revocation lists, each verified against the CA
// that issued it, ready to answer for the certificates those CAs issued. It
// is immutable and safe for concurrent use. Build it with [NewCRLSet]; to
// take in new CRLs, build a new set and swap it in.
type CRLSet struct {
	byIssuer map[issuerKey]*crl
}

// issuerKey identifies a CA by name and key, so that two CAs that share a
// name but not a key (a re-keyed CA) keep their CRLs apart.
type issuerKey [sha256.Size]byte

func keyOf(ca *x509.Certificate) issuerKey {
	h := sha256.New()
	h.Write(ca.RawSubject)
	h.Write([]byte{0})
	h.Write(ca.RawSubjectPublicKeyInfo)
	var k issuerKey
	h.Sum(k[:0])
	return k
}

type crl struct {
	list    *x509.RevocationList
	issuer  *x509.Certificate
	revoked map[string]x509.RevocationListEntry // serial bytes -> entry
}

// NewCRLSet verifies every CRL against issuers: each must be signed by the
// issuer whose subject it names (with the cRLSign key usage if the issuer
// lists key usages), must not be a delta CRL, and must be the only CRL of
// its issuer or the one with the highest CRL number (older ones are
// dropped). Every problem is returned at once, naming the CRL by index,
// issuer and number. issuers are the CAs whose certificates will be
// checked; a CRL from any other CA is an error.
func NewCRLSet(crls []*x509.RevocationList, issuers []*x509.Certificate) (*CRLSet, error) {
	s := &CRLSet{byIssuer: make(map[issuerKey]*crl)}
	var errs []error
	for i, l := range crls {
		if l == nil {
			errs = append(errs, fmt.Errorf("revocation: CRL %d is nil", i))
			continue
		}
		name := crlName(i, l)
		if isDelta(l) {
			errs = append(errs, fmt.Errorf("revocation: %s is a delta CRL, which is not supported: give the full CRL", name))
			continue
		}
		var signer *x509.Certificate
		var sigErr error
		for _, ca := range issuers {
			if ca == nil || !bytes.Equal(ca.RawSubject, l.RawIssuer) {
				continue
			}
			if err := l.CheckSignatureFrom(ca); err != nil {
				sigErr = err
				continue
			}
			signer = ca
			break
		}
		if signer == nil {
			if sigErr != nil {
				errs = append(errs, fmt.Errorf("revocation: %s does not verify against the CA of that name: %w", name, sigErr))
			} else {
				errs = append(errs, fmt.Errorf("revocation: %s is from a CA that is not trusted here: give the CRLs of the trusted CAs only", name))
			}
			continue
		}
		k := keyOf(signer)
		if old, ok := s.byIssuer[k]; ok && newer(old.list, l) {
			continue
		}
		c := &crl{list: l, issuer: signer, revoked: make(map[string]x509.RevocationListEntry, len(l.RevokedCertificateEntries))}
		for _, e := range l.RevokedCertificateEntries {
			if e.SerialNumber != nil {
				c.revoked[string(e.SerialNumber.Bytes())] = e
			}
		}
		s.byIssuer[k] = c
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// oidDeltaCRLIndicator is RFC 5280 section 5.2.4's extension.
var oidDeltaCRLIndicator = asn1.ObjectIdentifier{2, 5, 29, 27}

func isDelta(l *x509.RevocationList) bool {
	for _, e := range l.Extensions {
		if e.Id.Equal(oidDeltaCRLIndicator) {
			return true
		}
	}
	return false
}

// newer reports whether a should be kept over b: a higher CRL number, or,
// without numbers, a later thisUpdate.
func newer(a, b *x509.RevocationList) bool {
	if a.Number != nil && b.Number != nil && a.Number.Cmp(b.Number) != 0 {
		return a.Number.Cmp(b.Number) > 0
	}
	return !b.ThisUpdate.After(a.ThisUpdate)
}

func crlName(i int, l *x509.RevocationList) string {
	name := fmt.Sprintf("CRL %d (issuer %q", i, l.Issuer.String())
	if l.Number != nil {
		name += ", number " + l.Number.String()
	}
	return name + ")"
}

// Len returns the number of CAs the set has a CRL for.
func (s *CRLSet) Len() int {
	if s == nil {
		return 0
	}
	return len(s.byIssuer)
}

// Check returns the status of cert, issued by issuer, at now:
//   - Revoked if issuer's CRL lists cert's serial number;
//   - Good if it does not, and the CRL is current (now before its next
//     update), or allowStale is set;
//   - Unknown if the set has no CRL from issuer, or the CRL is past its
//     next update and allowStale is not set (a stale CRL cannot show a
//     revocation made since, so hard failing is the safe default).
//
// The result's Until is the CRL's next update (zero if it has none).
func (s *CRLSet) Check(cert, issuer *x509.Certificate, now time.Time, allowStale bool) Result {
	r := Result{Method: MethodCRL, Status: Unknown}
	var c *crl
	if s != nil && issuer != nil {
		c = s.byIssuer[keyOf(issuer)]
	}
	if c == nil {
		name := "its issuer"
		if issuer != nil {
			name = fmt.Sprintf("%q", issuer.Subject.String())
		}
		r.Err = fmt.Errorf("revocation: no CRL from %s", name)
		return r
	}
	r.Until = c.list.NextUpdate
	if e, ok := c.revoked[string(cert.SerialNumber.Bytes())]; ok {
		r.Status, r.RevokedAt, r.ReasonCode = Revoked, e.RevocationTime, e.ReasonCode
		r.Until = time.Time{} // revocation is final
		return r
	}
	if !c.list.NextUpdate.IsZero() && now.After(c.list.NextUpdate) && !allowStale {
		r.Err = fmt.Errorf("revocation: the CRL of %q (number %v) is past its next update, %s: install a current CRL",
			c.issuer.Subject.String(), c.list.Number, c.list.NextUpdate.UTC().Format(time.RFC3339))
		return r
	}
	r.Status = Good
	return r
}

// ParseCRLs reads CRLs from data: PEM "X509 CRL" blocks (other blocks are
// skipped), or a single DER CRL. It returns an error if data holds none.
// Signatures are not checked here: [NewCRLSet] checks them.
func ParseCRLs(data []byte) ([]*x509.RevocationList, error) {
	var out []*x509.RevocationList
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "X509 CRL" {
			continue
		}
		l, err := x509.ParseRevocationList(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("revocation: CRL block %d: %w", len(out), err)
		}
		out = append(out, l)
	}
	if len(out) > 0 {
		return out, nil
	}
	if bytes.Contains(data, []byte("-----BEGIN")) {
		return nil, errors.New("revocation: no X509 CRL block in the PEM data")
	}
	l, err := x509.ParseRevocationList(data)
	if err != nil {
		return nil, fmt.Errorf("revocation: neither PEM nor a DER CRL: %w", err)
	}
	return []*x509.RevocationList{l}, nil
}

// LoadCRLs reads the CRLs of the files named, in order (see [ParseCRLs]),
// naming the file in any error.
func LoadCRLs(files ...string) ([]*x509.RevocationList, error) {
	var out []*x509.RevocationList
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("revocation: reading CRL file: %w", err)
		}
		crls, err := ParseCRLs(data)
		if err != nil {
			return nil, fmt.Errorf("%w (in %s)", err, f)
		}
		out = append(out, crls...)
	}
	return out, nil
}
