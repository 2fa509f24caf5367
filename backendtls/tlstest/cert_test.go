package tlstest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"testing"
	"time"
)

func TestChainVerifies(t *testing.T) {
	root := NewRoot(Options{KeyType: ECDSAP256})
	inter := root.NewIntermediate(Options{KeyType: ECDSAP256})
	leaf := inter.NewLeaf(Options{KeyType: ECDSAP256, DNSNames: []string{"backend.example"}})

	if root.Issuer != nil || inter.Issuer != root || leaf.Issuer != inter {
		t.Fatalf("issuers: root %p, inter %p (want %p), leaf %p (want %p)", root.Issuer, inter.Issuer, root, leaf.Issuer, inter)
	}
	if !root.Certificate.IsCA || !inter.Certificate.IsCA || leaf.Certificate.IsCA {
		t.Errorf("IsCA: root %v, inter %v, leaf %v; want true, true, false",
			root.Certificate.IsCA, inter.Certificate.IsCA, leaf.Certificate.IsCA)
	}
	if got := leaf.Certificate.Subject.CommonName; got != "backend.example" {
		t.Errorf("leaf CN = %q; want the first DNS name", got)
	}

	inters := x509.NewCertPool()
	inters.AddCert(inter.Certificate)
	if _, err := leaf.Certificate.Verify(x509.VerifyOptions{
		DNSName: "backend.example", Roots: root.Pool(), Intermediates: inters,
	}); err != nil {
		t.Fatalf("Verify with intermediate: %v", err)
	}
	_, err := leaf.Certificate.Verify(x509.VerifyOptions{Roots: root.Pool()})
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("Verify without intermediate: %v; want x509.UnknownAuthorityError", err)
	}
}

func TestFullChainAndTLSCertificate(t *testing.T) {
	root := NewRoot(Options{KeyType: ECDSAP256})
	i1 := root.NewIntermediate(Options{KeyType: ECDSAP256})
	i2 := i1.NewIntermediate(Options{KeyType: ECDSAP256})
	leaf := i2.NewLeaf(Options{KeyType: ECDSAP256})
	self := NewSelfSignedLeaf(Options{KeyType: ECDSAP256})

	tests := []struct {
		name string
		got  tls.Certificate
		want []*Cert
	}{
		{"full chain excludes root", leaf.FullChain(), []*Cert{leaf, i2, i1}},
		{"self-signed full chain", self.FullChain(), []*Cert{self}},
		{"root full chain", root.FullChain(), []*Cert{root}},
		{"exactly as given", leaf.TLSCertificate(i1, root), []*Cert{leaf, i1, root}},
		{"leaf only", leaf.TLSCertificate(), []*Cert{leaf}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.got.Certificate) != len(tt.want) {
				t.Fatalf("chain length = %d; want %d", len(tt.got.Certificate), len(tt.want))
			}
			for i, c := range tt.want {
				if !bytes.Equal(c.Certificate.Raw, tt.got.Certificate[i]) {
					t.Errorf("certificate %d = %s; want %s", i, subjectOf(tt.got.Certificate[i]), c.Certificate.Subject)
				}
			}
			if tt.got.Leaf != tt.want[0].Certificate || tt.got.PrivateKey != tt.want[0].Key {
				t.Errorf("Leaf or PrivateKey is not the leaf's")
			}
		})
	}
}

func subjectOf(der []byte) string {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return err.Error()
	}
	return c.Subject.String()
}

func TestKeyTypes(t *testing.T) {
	tests := []struct {
		kt   KeyType
		name string
		ok   func(crypto.PublicKey) bool
	}{
		{RSA2048, "RSA-2048", rsaBits(2048)},
		{RSA1024, "RSA-1024", rsaBits(1024)},
		{RSA3072, "RSA-3072", rsaBits(3072)},
		{RSA4096, "RSA-4096", rsaBits(4096)},
		{ECDSAP256, "ECDSA-P256", curve("P-256")},
		{ECDSAP384, "ECDSA-P384", curve("P-384")},
		{ECDSAP224, "ECDSA-P224", curve("P-224")},
		{Ed25519, "Ed25519", func(k crypto.PublicKey) bool { _, ok := k.(ed25519.PublicKey); return ok }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.kt.String(); got != tt.name {
				t.Errorf("String() = %q; want %q", got, tt.name)
			}
			c := NewSelfSignedLeaf(Options{KeyType: tt.kt})
			if !tt.ok(c.Certificate.PublicKey) || !tt.ok(c.Key.Public()) {
				t.Errorf("keys are %T / %T; want %s", c.Certificate.PublicKey, c.Key, tt.name)
			}
			pair, err := tls.X509KeyPair(c.CertPEM(), c.KeyPEM())
			if err != nil {
				t.Fatalf("X509KeyPair(CertPEM, KeyPEM): %v", err)
			}
			if !bytes.Equal(pair.Certificate[0], c.Certificate.Raw) {
				t.Errorf("CertPEM does not round-trip")
			}
		})
	}
	if got := KeyType(99).String(); got != "KeyType(99)" {
		t.Errorf("KeyType(99).String() = %q", got)
	}
	wantPanic(t, "tlstest: unknown key type 99", func() { NewKey(99) })
}

func rsaBits(n int) func(crypto.PublicKey) bool {
	return func(k crypto.PublicKey) bool {
		r, ok := k.(*rsa.PublicKey)
		return ok && r.N.BitLen() == n
	}
}

func curve(name string) func(crypto.PublicKey) bool {
	return func(k crypto.PublicKey) bool {
		e, ok := k.(*ecdsa.PublicKey)
		return ok && e.Curve.Params().Name == name
	}
}

func TestKeys(t *testing.T) {
	a := NewSelfSignedLeaf(Options{})
	b := NewSelfSignedLeaf(Options{})
	if a.Key.(*rsa.PrivateKey).Equal(b.Key) {
		t.Errorf("consecutive pooled RSA keys are equal")
	}
	e1, e2 := NewSelfSignedLeaf(Options{KeyType: ECDSAP256}), NewSelfSignedLeaf(Options{KeyType: ECDSAP256})
	if e1.Key.(*ecdsa.PrivateKey).Equal(e2.Key) {
		t.Errorf("ECDSA keys are equal")
	}
	key := NewKey(ECDSAP256)
	if c := NewSelfSignedLeaf(Options{Key: key, KeyType: RSA1024}); c.Key != key {
		t.Errorf("Options.Key was not used")
	}
}

func TestWeakSignatures(t *testing.T) {
	tests := []struct {
		alg    x509.SignatureAlgorithm
		issuer KeyType
		hash   crypto.Hash
	}{
		{x509.SHA1WithRSA, RSA2048, crypto.SHA1},
		{x509.MD5WithRSA, RSA2048, crypto.MD5},
		{x509.ECDSAWithSHA1, ECDSAP256, crypto.SHA1},
	}
	for _, tt := range tests {
		t.Run(tt.alg.String(), func(t *testing.T) {
			root := NewRoot(Options{KeyType: tt.issuer})
			leaf := root.NewLeaf(Options{KeyType: ECDSAP256, SignatureAlgorithm: tt.alg, DNSNames: []string{"weak.example"}})
			self := NewSelfSignedLeaf(Options{KeyType: tt.issuer, SignatureAlgorithm: tt.alg})
			for _, c := range []struct {
				name           string
				cert, signedBy *Cert
			}{{"issued", leaf, root}, {"self-signed", self, self}} {
				x := c.cert.Certificate
				if x.SignatureAlgorithm != tt.alg {
					t.Errorf("%s: SignatureAlgorithm = %v", c.name, x.SignatureAlgorithm)
				}
				// Go refuses to check the signature in a chain...
				if c.signedBy.Certificate.IsCA {
					var insecure x509.InsecureAlgorithmError
					if err := x.CheckSignatureFrom(c.signedBy.Certificate); !errors.As(err, &insecure) {
						t.Errorf("%s: CheckSignatureFrom = %v; want x509.InsecureAlgorithmError", c.name, err)
					}
				}
				// ...but it is a genuine signature by the issuer's key.
				h := tt.hash.New()
				h.Write(x.RawTBSCertificate)
				switch pub := c.signedBy.Certificate.PublicKey.(type) {
				case *rsa.PublicKey:
					if err := rsa.VerifyPKCS1v15(pub, tt.hash, h.Sum(nil), x.Signature); err != nil {
						t.Errorf("%s: signature: %v", c.name, err)
					}
				case *ecdsa.PublicKey:
					if !ecdsa.VerifyASN1(pub, h.Sum(nil), x.Signature) {
						t.Errorf("%s: signature does not verify", c.name)
					}
				}
			}
			if !slices.Equal(leaf.Certificate.DNSNames, []string{"weak.example"}) {
				t.Errorf("re-signing lost the SANs: %v", leaf.Certificate.DNSNames)
			}
		})
	}
	wantPanic(t, `tlstest: signing leaf certificate "x" with SHA1-RSA: issuer key is ECDSA, not RSA`,
		func() {
			NewSelfSignedLeaf(Options{CommonName: "x", KeyType: ECDSAP256, SignatureAlgorithm: x509.SHA1WithRSA})
		})
	wantPanic(t, `tlstest: signing leaf certificate "x" with ECDSA-SHA1: issuer key is RSA, not ECDSA`,
		func() { NewSelfSignedLeaf(Options{CommonName: "x", SignatureAlgorithm: x509.ECDSAWithSHA1}) })
}

func TestRootNotCA(t *testing.T) {
	root := NewRoot(Options{KeyType: ECDSAP256, NotCA: true})
	x := root.Certificate
	if !x.BasicConstraintsValid || x.IsCA {
		t.Errorf("BasicConstraintsValid %v, IsCA %v; want true, false", x.BasicConstraintsValid, x.IsCA)
	}
	if err := x.CheckSignature(x.SignatureAlgorithm, x.RawTBSCertificate, x.Signature); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	leaf := root.NewLeaf(Options{KeyType: ECDSAP256, DNSNames: []string{"a.example"}})
	if err := x.CheckSignature(leaf.Certificate.SignatureAlgorithm, leaf.Certificate.RawTBSCertificate, leaf.Certificate.Signature); err != nil {
		t.Errorf("leaf not signed by the non-CA root: %v", err)
	}
	if _, err := leaf.Certificate.Verify(x509.VerifyOptions{Roots: root.Pool(), DNSName: "a.example"}); err == nil {
		t.Errorf("a leaf issued by a non-CA root verified")
	}
}

func TestOptions(t *testing.T) {
	nb := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	na := time.Date(2021, 1, 2, 3, 4, 5, 0, time.UTC)
	spiffe, err := url.Parse("spiffe://example.org/backend")
	if err != nil {
		t.Fatal(err)
	}
	oid, err := x509.ParseOID("1.3.6.1.4.1.99999.1")
	if err != nil {
		t.Fatal(err)
	}
	root := NewRoot(Options{KeyType: ECDSAP256})
	c := root.NewLeaf(Options{
		CommonName:  "cn.example",
		DNSNames:    []string{"a.example", "*.b.example"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
		URIs:        []*url.URL{spiffe},
		KeyType:     ECDSAP384,
		NotBefore:   nb,
		NotAfter:    na,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		PolicyOIDs:  []x509.OID{oid},
	}).Certificate
	got := fmt.Sprintf("%s|%v|%v|%v|%s|%s|%v|%v", c.Subject.CommonName, c.DNSNames, c.IPAddresses, c.URIs,
		c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339), c.ExtKeyUsage, c.Policies)
	want := "cn.example|[a.example *.b.example]|[127.0.0.1 ::1]|[spiffe://example.org/backend]|" +
		"2020-01-02T03:04:05Z|2021-01-02T03:04:05Z|[clientAuth]|[1.3.6.1.4.1.99999.1]"
	if got != want {
		t.Errorf("certificate fields:\n got %s\nwant %s", got, want)
	}

	before := time.Now()
	d := root.NewLeaf(Options{KeyType: ECDSAP256}).Certificate
	if dt := d.NotBefore.Sub(before.Add(-time.Hour)); dt < -2*time.Second || dt > 2*time.Second {
		t.Errorf("default NotBefore = %v; want about an hour ago", d.NotBefore)
	}
	if dt := d.NotAfter.Sub(before.Add(24 * time.Hour)); dt < -2*time.Second || dt > 2*time.Second {
		t.Errorf("default NotAfter = %v; want about a day from now", d.NotAfter)
	}
	if !slices.Equal(d.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("default leaf ExtKeyUsage = %v; want serverAuth", d.ExtKeyUsage)
	}
	if len(root.Certificate.ExtKeyUsage) != 0 {
		t.Errorf("default CA ExtKeyUsage = %v; want none", root.Certificate.ExtKeyUsage)
	}
	if e := root.NewLeaf(Options{KeyType: ECDSAP256, NoExtKeyUsage: true}).Certificate; len(e.ExtKeyUsage) != 0 {
		t.Errorf("NoExtKeyUsage: ExtKeyUsage = %v", e.ExtKeyUsage)
	}
	for cn, re := range map[string]string{
		d.Subject.CommonName:                `^tlstest leaf \d+$`,
		root.Certificate.Subject.CommonName: `^tlstest root \d+$`,
		root.NewIntermediate(Options{KeyType: ECDSAP256}).Certificate.Subject.CommonName: `^tlstest intermediate \d+$`,
	} {
		if !regexp.MustCompile(re).MatchString(cn) {
			t.Errorf("default CN %q does not match %s", cn, re)
		}
	}
	if r2 := NewRoot(Options{KeyType: ECDSAP256}); r2.Certificate.Subject.CommonName == root.Certificate.Subject.CommonName {
		t.Errorf("two roots got the same default CN %q", root.Certificate.Subject.CommonName)
	}
}

func TestPanics(t *testing.T) {
	var nilCert *Cert
	wantPanic(t, "tlstest: NewLeaf called on a nil *Cert", func() { nilCert.NewLeaf(Options{}) })
	wantPanic(t, "tlstest: NewIntermediate called on a nil *Cert", func() { nilCert.NewIntermediate(Options{}) })
	wantPanic(t, `tlstest: creating leaf certificate "x": x509: requested SignatureAlgorithm does not match private key type`,
		func() {
			NewSelfSignedLeaf(Options{CommonName: "x", KeyType: ECDSAP256, SignatureAlgorithm: x509.SHA256WithRSA})
		})
	wantPanic(t, "tlstest: ServerOptions.Certificate is required", func() { NewServer(ServerOptions{}) })
	cert := NewSelfSignedLeaf(Options{KeyType: ECDSAP256}).FullChain()
	wantPanic(t, `tlstest: ServerOptions.Network "udp": want "tcp4" or "tcp6"`, func() { NewServer(ServerOptions{Certificate: cert, Network: "udp"}) })
}

// wantPanic checks that f panics with the string want.
func wantPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		if got := recover(); got != want {
			t.Errorf("panic = %v; want %q", got, want)
		}
	}()
	f()
}
