package backendtls

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/e2etls/e2etls/backendtls/tlstest"
)

func TestParseCertificates(t *testing.T) {
	p := newPKI()
	leafPEM, interPEM := p.leaf.CertPEM(), p.inter.CertPEM()
	b64 := []byte(base64.StdEncoding.EncodeToString(p.leaf.Certificate.Raw))
	wrapped := []byte(strings.Join(chunks(string(b64), 64), "\r\n") + "\r\n")

	tests := []struct {
		name    string
		in      []byte
		want    []*tlstest.Cert
		wantErr string
	}{
		{name: "one PEM", in: leafPEM, want: []*tlstest.Cert{p.leaf}},
		{name: "PEM bundle with text between", in: concat([]byte("subject=CN = backend.example\n"), leafPEM, []byte("\n# intermediate\n"), interPEM, []byte("\n\n")),
			want: []*tlstest.Cert{p.leaf, p.inter}},
		{name: "base64 DER (.cer)", in: b64, want: []*tlstest.Cert{p.leaf}},
		{name: "base64 DER with line breaks", in: wrapped, want: []*tlstest.Cert{p.leaf}},
		{name: "raw DER", in: p.leaf.Certificate.Raw, want: []*tlstest.Cert{p.leaf}},
		{name: "concatenated DER", in: concat(p.leaf.Certificate.Raw, p.inter.Certificate.Raw), want: []*tlstest.Cert{p.leaf, p.inter}},
		{name: "empty", in: nil, wantErr: "backendtls: no certificate data: the input is empty"},
		{name: "blank", in: []byte(" \n\t\n"), wantErr: "backendtls: no certificate data: the input is empty"},
		{name: "PEM private key", in: concat(leafPEM, p.leaf.KeyPEM()),
			wantErr: `backendtls: PEM block 2 is a "PRIVATE KEY": a private key is not a certificate: never give a private key as trust material`},
		{name: "PEM RSA private key", in: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte{1}}),
			wantErr: `backendtls: PEM block 1 is a "RSA PRIVATE KEY": a private key is not a certificate: never give a private key as trust material`},
		{name: "DER private key", in: pemBytes(p.leaf.KeyPEM()),
			wantErr: "backendtls: DER input is a private key: a private key is not a certificate: never give a private key as trust material"},
		{name: "base64 private key", in: []byte(base64.StdEncoding.EncodeToString(pemBytes(p.leaf.KeyPEM()))),
			wantErr: "backendtls: base64 input is a private key: a private key is not a certificate: never give a private key as trust material"},
		{name: "other PEM type", in: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: []byte{1}}),
			wantErr: `backendtls: PEM block 1 has type "CERTIFICATE REQUEST", want "CERTIFICATE"`},
		{name: "corrupt PEM certificate", in: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x03, 1, 2, 3}}),
			wantErr: "backendtls: PEM block 1 is not a valid certificate: x509: malformed tbs certificate"},
		{name: "unterminated PEM", in: []byte("-----BEGIN CERTIFICATE-----\nMIIB\n"),
			wantErr: `backendtls: no PEM block found: a "-----BEGIN" line has no matching "-----END" line or is malformed`},
		{name: "trailing garbage", in: concat(leafPEM, []byte("garbage")),
			wantErr: `backendtls: unparsable data after PEM block 1: "garbage"`},
		{name: "not base64", in: []byte("hello, world"),
			wantErr: "backendtls: input is neither PEM, base64 nor DER: invalid base64: illegal base64 data at input byte 5"},
		{name: "base64 of garbage", in: []byte("aGVsbG8="),
			wantErr: "backendtls: base64 input is not a valid certificate: x509: malformed certificate"},
		{name: "DER garbage", in: []byte{0x30, 0x01, 0x00},
			wantErr: "backendtls: DER input is not a valid certificate: x509: malformed tbs certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCertificates(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v\n           want %s", err, tt.wantErr)
				}
				if strings.Contains(tt.name, "private key") && !errors.Is(err, ErrPrivateKey) {
					t.Errorf("error does not wrap ErrPrivateKey")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d certificates; want %d", len(got), len(tt.want))
			}
			for i := range got {
				if !got[i].Equal(tt.want[i].Certificate) {
					t.Errorf("certificate %d is %s", i, got[i].Subject)
				}
			}
		})
	}
}

func chunks(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func pemBytes(data []byte) []byte {
	b, _ := pem.Decode(data)
	return b.Bytes
}

func TestLoadCertificates(t *testing.T) {
	p := newPKI()
	dir := t.TempDir()
	good := filepath.Join(dir, "roots.pem")
	if err := os.WriteFile(good, concat(p.root.CertPEM(), p.otherRoot.CertPEM()), 0o600); err != nil {
		t.Fatal(err)
	}
	certs, err := LoadCertificates(good)
	if err != nil || len(certs) != 2 {
		t.Fatalf("LoadCertificates = %d certificates, %v", len(certs), err)
	}

	key := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(key, p.leaf.KeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadCertificates(key)
	if want := "backendtls: " + key + `: PEM block 1 is a "PRIVATE KEY": a private key is not a certificate: never give a private key as trust material`; err == nil || err.Error() != want {
		t.Errorf("error = %v; want %s", err, want)
	}

	missing := filepath.Join(dir, "missing.pem")
	_, err = LoadCertificates(missing)
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("error = %v; want one naming %s and wrapping os.ErrNotExist", err, missing)
	}

	// The fixed malformed files in testdata.
	for file, want := range map[string]string{
		"corrupted.pem": "PEM block 1 is not a valid certificate: x509: malformed tbs certificate",
		"not-pem.txt":   "input is neither PEM, base64 nor DER: invalid base64: illegal base64 data at input byte 20",
	} {
		path := filepath.Join("testdata", file)
		_, err := LoadCertificates(path)
		if want := "backendtls: " + path + ": " + want; err == nil || err.Error() != want {
			t.Errorf("LoadCertificates(%s) = %v; want %s", file, err, want)
		}
	}
}

func TestDescribeCertificate(t *testing.T) {
	p := newPKI()
	info := DescribeCertificate(p.leaf.Certificate)
	if info.Subject != "CN=backend.example" || info.Issuer != "CN=Test Intermediate" ||
		len(info.DNSNames) != 1 || info.DNSNames[0] != "backend.example" ||
		len(info.IPAddresses) != 1 || !info.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)) ||
		!info.NotBefore.Equal(notBefore) || !info.NotAfter.Equal(notAfter) ||
		info.Pin != PinOf(p.leaf.Certificate) || info.SelfSigned || info.IsCA {
		t.Errorf("leaf: %+v", info)
	}
	if info := DescribeCertificate(p.root.Certificate); !info.SelfSigned || !info.IsCA {
		t.Errorf("root: SelfSigned %v, IsCA %v", info.SelfSigned, info.IsCA)
	}
	self := tlstest.NewSelfSignedLeaf(ec("self.example", dns("self.example")))
	if info := DescribeCertificate(self.Certificate); !info.SelfSigned || info.IsCA {
		t.Errorf("self-signed leaf: SelfSigned %v, IsCA %v", info.SelfSigned, info.IsCA)
	}
}

func FuzzParseCertificates(f *testing.F) {
	c := tlstest.NewSelfSignedLeaf(tlstest.Options{KeyType: tlstest.ECDSAP256, DNSNames: []string{"fuzz.example"}})
	f.Add(c.CertPEM())
	f.Add(c.Certificate.Raw)
	f.Add([]byte(base64.StdEncoding.EncodeToString(c.Certificate.Raw)))
	f.Add(c.KeyPEM())
	f.Add(concat(c.CertPEM(), []byte("junk")))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"))
	f.Add([]byte{0x30, 0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := ParseCertificates(data)
		if err != nil {
			if certs != nil || !strings.HasPrefix(err.Error(), "backendtls: ") {
				t.Fatalf("ParseCertificates = %d certificates, %v", len(certs), err)
			}
			return
		}
		if len(certs) == 0 {
			t.Fatal("no error and no certificate")
		}
		// Whatever parses survives a round trip through PEM.
		var buf bytes.Buffer
		for _, c := range certs {
			if err := pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}); err != nil {
				t.Fatal(err)
			}
		}
		again, err := ParseCertificates(buf.Bytes())
		if err != nil || len(again) != len(certs) {
			t.Fatalf("PEM round trip: %d certificates, %v; want %d", len(again), err, len(certs))
		}
		for i := range certs {
			if !again[i].Equal(certs[i]) {
				t.Fatalf("certificate %d changed in the round trip", i)
			}
		}
	})
}
