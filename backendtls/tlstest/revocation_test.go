package tlstest

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

func TestNewClientLeaf(t *testing.T) {
	root := NewRoot(Options{KeyType: ECDSAP256})
	id, _ := url.Parse("spiffe://example.org/client")
	c := root.NewClientLeaf(Options{KeyType: ECDSAP256, URIs: []*url.URL{id}, EmptySubject: true}).Certificate
	if !slices.Equal(c.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
		t.Errorf("EKU = %v; want clientAuth", c.ExtKeyUsage)
	}
	if c.Subject.String() != "" || len(c.URIs) != 1 || c.URIs[0].String() != id.String() {
		t.Errorf("subject %q, URIs %v", c.Subject, c.URIs)
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: root.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate does not verify for client auth: %v", err)
	}
	both := root.NewClientLeaf(Options{KeyType: ECDSAP256, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}).Certificate
	if len(both.ExtKeyUsage) != 2 {
		t.Errorf("explicit EKU ignored: %v", both.ExtKeyUsage)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("EmptySubject without SANs did not panic")
			}
		}()
		root.NewClientLeaf(Options{KeyType: ECDSAP256, EmptySubject: true})
	}()
}

func TestNewOCSPResponderCert(t *testing.T) {
	ca := NewRoot(Options{KeyType: ECDSAP256})
	r := ca.NewOCSPResponder(Options{KeyType: ECDSAP256}).Certificate
	if !slices.Equal(r.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}) || r.IsCA {
		t.Errorf("EKU %v, CA %v", r.ExtKeyUsage, r.IsCA)
	}
	leaf := ca.NewLeaf(Options{KeyType: ECDSAP256, OCSPServers: []string{"http://127.0.0.1:1/"}, CRLDistributionPoints: []string{"http://127.0.0.1:1/ca.crl"}}).Certificate
	if !slices.Equal(leaf.OCSPServer, []string{"http://127.0.0.1:1/"}) || !slices.Equal(leaf.CRLDistributionPoints, []string{"http://127.0.0.1:1/ca.crl"}) {
		t.Errorf("AIA %v, CDP %v", leaf.OCSPServer, leaf.CRLDistributionPoints)
	}
}

func TestNewCRL(t *testing.T) {
	ca := NewRoot(Options{KeyType: ECDSAP256})
	a, b := ca.NewClientLeaf(Options{KeyType: ECDSAP256}), ca.NewClientLeaf(Options{KeyType: ECDSAP256})
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	this, next := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)
	crl := ca.NewCRL(CRLOptions{Revoked: []Revoked{{Cert: a, At: at, Reason: 1}}, ThisUpdate: this, NextUpdate: next, Number: 7})
	if err := crl.CheckSignatureFrom(ca.Certificate); err != nil {
		t.Fatalf("CRL signature: %v", err)
	}
	if !crl.ThisUpdate.Equal(this) || !crl.NextUpdate.Equal(next) || crl.Number.Int64() != 7 {
		t.Errorf("this %v, next %v, number %v", crl.ThisUpdate, crl.NextUpdate, crl.Number)
	}
	if len(crl.RevokedCertificateEntries) != 1 {
		t.Fatalf("entries: %v", crl.RevokedCertificateEntries)
	}
	e := crl.RevokedCertificateEntries[0]
	if e.SerialNumber.Cmp(a.Certificate.SerialNumber) != 0 || !e.RevocationTime.Equal(at) || e.ReasonCode != 1 {
		t.Errorf("entry %+v", e)
	}
	if e.SerialNumber.Cmp(b.Certificate.SerialNumber) == 0 {
		t.Error("b revoked")
	}
	block, _ := pem.Decode(CRLPEM(crl))
	if block == nil || block.Type != "X509 CRL" || !bytes.Equal(block.Bytes, crl.Raw) {
		t.Errorf("CRLPEM: %v", block)
	}
	empty := ca.NewCRL(CRLOptions{})
	if len(empty.RevokedCertificateEntries) != 0 || empty.Number.Int64() != 1 || empty.NextUpdate.Sub(empty.ThisUpdate) != 24*time.Hour {
		t.Errorf("default CRL: %d entries, number %v, %v to %v", len(empty.RevokedCertificateEntries), empty.Number, empty.ThisUpdate, empty.NextUpdate)
	}
}

// startResponder starts an openssl OCSP responder for the test. It skips
// the test when openssl is missing, unless E2ETLS_REQUIRE_OPENSSL is set
// (as CI sets it), in which case it fails.
func startResponder(t *testing.T, o OCSPResponderOptions) *OCSPResponder {
	t.Helper()
	r, err := NewOCSPResponder(o)
	if errors.Is(err, ErrNoOpenSSL) && os.Getenv("E2ETLS_REQUIRE_OPENSSL") == "" {
		t.Skipf("%v (set E2ETLS_REQUIRE_OPENSSL to fail instead)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
	return r
}

func TestOCSPResponder(t *testing.T) {
	root := NewRoot(Options{KeyType: ECDSAP256})
	inter := root.NewIntermediate(Options{KeyType: ECDSAP256})
	for _, tc := range []struct {
		name   string
		signer *Cert
	}{{"delegated signer", inter.NewOCSPResponder(Options{KeyType: ECDSAP256})}, {"CA signs", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			r := startResponder(t, OCSPResponderOptions{CA: inter, Signer: tc.signer, NextUpdate: 90 * time.Second})
			leaf := inter.NewClientLeaf(Options{KeyType: ECDSAP256})
			query := func() *ocsp.Response {
				t.Helper()
				req, err := ocsp.CreateRequest(leaf.Certificate, inter.Certificate, nil)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := http.Post(r.URL, "application/ocsp-request", bytes.NewReader(req))
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				der, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				// The CA's own response embeds the CA, which x/crypto/ocsp
				// checks against the issuer: parse without it then.
				issuer := inter.Certificate
				if tc.signer == nil {
					issuer = nil
				}
				parsed, err := ocsp.ParseResponseForCert(der, leaf.Certificate, issuer)
				if err != nil {
					t.Fatal(err)
				}
				signer := inter
				if tc.signer != nil {
					signer = tc.signer
				}
				if err := parsed.CheckSignatureFrom(signer.Certificate); err != nil {
					t.Errorf("response not signed by the signer: %v", err)
				}
				return parsed
			}
			if got := query(); got.Status != ocsp.Unknown {
				t.Errorf("unlisted certificate: status %d; want unknown", got.Status)
			}
			if err := r.Good(leaf); err != nil {
				t.Fatal(err)
			}
			got := query()
			if got.Status != ocsp.Good {
				t.Errorf("good certificate: status %d", got.Status)
			}
			// -nmin rounds 90 s up to 2 minutes.
			if d := got.NextUpdate.Sub(got.ThisUpdate); d != 2*time.Minute {
				t.Errorf("nextUpdate - thisUpdate = %v; want 2m", d)
			}
			at := time.Now().Add(-time.Minute).Truncate(time.Second)
			if err := r.Revoke(leaf, at); err != nil {
				t.Fatal(err)
			}
			got = query()
			if got.Status != ocsp.Revoked || !got.RevokedAt.Equal(at) {
				t.Errorf("revoked certificate: status %d at %v; want revoked at %v", got.Status, got.RevokedAt, at)
			}
		})
	}
}

func TestOCSPResponderErrors(t *testing.T) {
	if _, err := NewOCSPResponder(OCSPResponderOptions{}); err == nil || err.Error() != "tlstest: OCSPResponderOptions.CA is required" {
		t.Errorf("no CA: %v", err)
	}
	ca := NewRoot(Options{KeyType: ECDSAP256})
	_, err := NewOCSPResponder(OCSPResponderOptions{CA: ca, OpenSSL: "tlstest-no-such-openssl"})
	if !errors.Is(err, ErrNoOpenSSL) {
		t.Errorf("missing openssl: %v; want ErrNoOpenSSL", err)
	}
	r := startResponder(t, OCSPResponderOptions{CA: ca})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := r.Good(ca.NewLeaf(Options{KeyType: ECDSAP256})); err == nil {
		t.Error("Good after Close succeeded")
	}
	if _, err := os.Stat(r.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("directory left behind: %v", err)
	}
}
