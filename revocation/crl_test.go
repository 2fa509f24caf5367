package revocation

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/e2etls/e2etls/backendtls/tlstest"
)

var (
	t0   = time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)
	ecdh = tlstest.Options{KeyType: tlstest.ECDSAP256, NotBefore: t0.AddDate(-1, 0, 0), NotAfter: t0.AddDate(1, 0, 0)}
)

func opts(cn string) tlstest.Options { o := ecdh; o.CommonName = cn; return o }

func TestCRLSetCheck(t *testing.T) {
	root := tlstest.NewRoot(opts("CRL Root"))
	inter := root.NewIntermediate(opts("CRL Intermediate"))
	good, bad := inter.NewClientLeaf(opts("good")), inter.NewClientLeaf(opts("bad"))
	underRoot := root.NewClientLeaf(opts("under root"))
	revokedAt := t0.Add(-48 * time.Hour)
	interCRL := inter.NewCRL(tlstest.CRLOptions{
		Revoked:    []tlstest.Revoked{{Cert: bad, At: revokedAt, Reason: 1}},
		ThisUpdate: t0.Add(-24 * time.Hour), NextUpdate: t0.Add(24 * time.Hour), Number: 3,
	})
	set, err := NewCRLSet([]*x509.RevocationList{interCRL}, []*x509.Certificate{root.Certificate, inter.Certificate})
	if err != nil {
		t.Fatal(err)
	}
	if set.Len() != 1 {
		t.Errorf("Len = %d", set.Len())
	}

	r := set.Check(good.Certificate, inter.Certificate, t0, false)
	if r.Status != Good || r.Method != MethodCRL || !r.Until.Equal(t0.Add(24*time.Hour)) || r.Err != nil {
		t.Errorf("good: %+v", r)
	}
	r = set.Check(bad.Certificate, inter.Certificate, t0, false)
	if r.Status != Revoked || !r.RevokedAt.Equal(revokedAt) || r.ReasonCode != 1 || !r.Until.IsZero() {
		t.Errorf("revoked: %+v", r)
	}
	// A stale CRL cannot show a revocation made since: Unknown unless allowed.
	late := t0.Add(25 * time.Hour)
	r = set.Check(good.Certificate, inter.Certificate, late, false)
	if r.Status != Unknown || r.Err == nil || r.Err.Error() != `revocation: the CRL of "CN=CRL Intermediate" (number 3) is past its next update, 2030-06-02T00:00:00Z: install a current CRL` {
		t.Errorf("stale: %+v", r)
	}
	if r = set.Check(good.Certificate, inter.Certificate, late, true); r.Status != Good {
		t.Errorf("stale, allowed: %+v", r)
	}
	if r = set.Check(bad.Certificate, inter.Certificate, late, false); r.Status != Revoked {
		t.Errorf("a stale CRL still proves a revocation: %+v", r)
	}
	r = set.Check(underRoot.Certificate, root.Certificate, t0, false)
	if r.Status != Unknown || r.Err.Error() != `revocation: no CRL from "CN=CRL Root"` {
		t.Errorf("no CRL for the issuer: %+v", r)
	}
	var empty *CRLSet
	if r = empty.Check(good.Certificate, inter.Certificate, t0, false); r.Status != Unknown {
		t.Errorf("nil set: %+v", r)
	}

	// A CA re-keyed under the same name has its own CRLs.
	rekeyed := root.NewIntermediate(opts("CRL Intermediate"))
	if r = set.Check(good.Certificate, rekeyed.Certificate, t0, false); r.Status != Unknown {
		t.Errorf("CRL of another key used: %+v", r)
	}
}

func TestNewCRLSetKeepsTheNewest(t *testing.T) {
	ca := tlstest.NewRoot(opts("Newest Root"))
	leaf := ca.NewClientLeaf(opts("leaf"))
	old := ca.NewCRL(tlstest.CRLOptions{ThisUpdate: t0.Add(-time.Hour), NextUpdate: t0.Add(time.Hour), Number: 1})
	cur := ca.NewCRL(tlstest.CRLOptions{Revoked: []tlstest.Revoked{{Cert: leaf}}, ThisUpdate: t0.Add(-time.Hour), NextUpdate: t0.Add(time.Hour), Number: 2})
	for _, order := range [][]*x509.RevocationList{{old, cur}, {cur, old}} {
		set, err := NewCRLSet(order, []*x509.Certificate{ca.Certificate})
		if err != nil {
			t.Fatal(err)
		}
		if r := set.Check(leaf.Certificate, ca.Certificate, t0, false); r.Status != Revoked {
			t.Errorf("CRL number 2 not used: %+v", r)
		}
	}
}

func TestNewCRLSetErrors(t *testing.T) {
	ca := tlstest.NewRoot(opts("Trusted Root"))
	other := tlstest.NewRoot(opts("Other Root"))
	impostor := tlstest.NewRoot(opts("Trusted Root")) // same name, other key

	tampered := ca.NewCRL(tlstest.CRLOptions{Number: 5})
	raw := append([]byte(nil), tampered.Raw...)
	raw[len(raw)-3] ^= 0xff // inside the signature
	tampered, err := x509.ParseRevocationList(raw)
	if err != nil {
		t.Fatal(err)
	}

	deltaTmpl := &x509.RevocationList{Number: big.NewInt(9), ThisUpdate: t0, NextUpdate: t0.Add(time.Hour),
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 27}, Critical: true, Value: []byte{2, 1, 8}}}}
	deltaDER, err := x509.CreateRevocationList(rand.Reader, deltaTmpl, ca.Certificate, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	delta, err := x509.ParseRevocationList(deltaDER)
	if err != nil {
		t.Fatal(err)
	}

	_, err = NewCRLSet([]*x509.RevocationList{
		ca.NewCRL(tlstest.CRLOptions{Number: 1}),
		other.NewCRL(tlstest.CRLOptions{Number: 2}),
		impostor.NewCRL(tlstest.CRLOptions{Number: 3}),
		nil,
		tampered,
		delta,
	}, []*x509.Certificate{ca.Certificate})
	if err == nil {
		t.Fatal("no error")
	}
	got := strings.Split(err.Error(), "\n")
	want := []string{
		`revocation: CRL 1 (issuer "CN=Other Root", number 2) is from a CA that is not trusted here: give the CRLs of the trusted CAs only`,
		`revocation: CRL 2 (issuer "CN=Trusted Root", number 3) does not verify against the CA of that name: x509: ECDSA verification failure`,
		`revocation: CRL 3 is nil`,
		`revocation: CRL 4 (issuer "CN=Trusted Root", number 5) does not verify against the CA of that name: x509: ECDSA verification failure`,
		`revocation: CRL 5 (issuer "CN=Trusted Root", number 9) is a delta CRL, which is not supported: give the full CRL`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n got %s\nwant %s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseCRLs(t *testing.T) {
	ca := tlstest.NewRoot(opts("Parse Root"))
	a, b := ca.NewCRL(tlstest.CRLOptions{Number: 1}), ca.NewCRL(tlstest.CRLOptions{Number: 2})
	pemData := append(append(append([]byte(nil), tlstest.CRLPEM(a)...), ca.CertPEM()...), tlstest.CRLPEM(b)...)
	got, err := ParseCRLs(pemData)
	if err != nil || len(got) != 2 || got[0].Number.Int64() != 1 || got[1].Number.Int64() != 2 {
		t.Fatalf("PEM: %v, %v", got, err)
	}
	got, err = ParseCRLs(a.Raw)
	if err != nil || len(got) != 1 {
		t.Fatalf("DER: %v, %v", got, err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"PEM without CRL", ca.CertPEM(), "revocation: no X509 CRL block in the PEM data"},
		{"garbage", []byte("not a CRL"), "revocation: neither PEM nor a DER CRL: "},
		{"bad PEM CRL", []byte("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"), "revocation: CRL block 0: "},
	} {
		if _, err := ParseCRLs(tc.data); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: %v; want %q...", tc.name, err, tc.want)
		}
	}

	dir := t.TempDir()
	f1, f2 := filepath.Join(dir, "a.crl"), filepath.Join(dir, "b.pem")
	if err := os.WriteFile(f1, a.Raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f2, tlstest.CRLPEM(b), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err = LoadCRLs(f1, f2)
	if err != nil || len(got) != 2 {
		t.Fatalf("LoadCRLs: %v, %v", got, err)
	}
	if _, err := LoadCRLs(filepath.Join(dir, "missing.crl")); err == nil || !strings.Contains(err.Error(), "missing.crl") {
		t.Errorf("missing file: %v", err)
	}
	bad := filepath.Join(dir, "bad.crl")
	if err := os.WriteFile(bad, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCRLs(f1, bad); err == nil || !strings.HasSuffix(err.Error(), "(in "+bad+")") {
		t.Errorf("bad file: %v", err)
	}
}

func TestReasonAndStatusNames(t *testing.T) {
	for code, want := range map[int]string{0: "unspecified", 1: "keyCompromise", 4: "superseded", 7: "reason 7", 10: "aACompromise", 42: "reason 42", -1: "reason -1"} {
		if got := ReasonName(code); got != want {
			t.Errorf("ReasonName(%d) = %q; want %q", code, got, want)
		}
	}
	for s, want := range map[Status]string{Good: "good", Revoked: "revoked", Unknown: "unknown", 0: "Status(0)"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q", int(s), s.String())
		}
	}
}
