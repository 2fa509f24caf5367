// Command gen writes the test certificates of the Azure document corpus and
// fills them into the documents: every testdata/azure/*.json.in becomes
// the *.json beside it, ${NAME} replaced by the value named NAME. Run it
// from the package directory:
//
//	go run ./testdata/azure/gen
//
// The certificates are made up for tests (ECDSA P-256, valid 2025 to 2125)
// and are no secret; their keys are written beside them.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"log"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// Password is the password of the corpus's PFX files.
const Password = "corpus-test-only"

const dir = "testdata/azure"

type cert struct {
	c   *x509.Certificate
	key *ecdsa.PrivateKey
}

var serial int64

func mint(cn string, dns []string, ca bool, parent *cert) *cert {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"e2etls test corpus"}},
		DNSNames:              dns,
		NotBefore:             time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2125, 1, 1, 0, 0, 0, 0, time.UTC),
		BasicConstraintsValid: true,
		IsCA:                  ca,
	}
	if ca {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.c, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		log.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		log.Fatal(err)
	}
	return &cert{c: c, key: key}
}

func pemOf(certs ...*cert) string {
	var b strings.Builder
	for _, c := range certs {
		pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.c.Raw})
	}
	return b.String()
}

func keyPEM(c *cert) string {
	der, err := x509.MarshalPKCS8PrivateKey(c.key)
	if err != nil {
		log.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func pfx(leaf *cert, cas []*cert, password string) string {
	var caCerts []*x509.Certificate
	for _, c := range cas {
		caCerts = append(caCerts, c.c)
	}
	der, err := pkcs12.Modern2023.Encode(leaf.key, leaf.c, caCerts, password)
	if err != nil {
		log.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// pkcs7 is a certificates-only PKCS#7 bundle, as Azure's publicCertData.
func pkcs7(certs ...*cert) string {
	var raw []byte
	for _, c := range certs {
		raw = append(raw, c.c.Raw...)
	}
	sd := struct {
		Version          int
		DigestAlgorithms asn1.RawValue
		ContentInfo      struct{ ContentType asn1.ObjectIdentifier }
		Certificates     asn1.RawValue `asn1:"optional,tag:0"`
		SignerInfos      asn1.RawValue
	}{
		Version:          1,
		DigestAlgorithms: asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: []byte{}},
		Certificates:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: raw},
		SignerInfos:      asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: []byte{}},
	}
	sd.ContentInfo.ContentType = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	inner, err := asn1.Marshal(sd)
	if err != nil {
		log.Fatal(err)
	}
	der, err := asn1.Marshal(struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue // [0] EXPLICIT
	}{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: inner}})
	if err != nil {
		log.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

func main() {
	root := mint("Contoso Test Root CA", nil, true, nil)
	inter := mint("Contoso Test Issuing CA", nil, true, root)
	www := mint("www.contoso.com", []string{"www.contoso.com", "contoso.com"}, false, inter)
	api := mint("api.contoso.com", []string{"api.contoso.com", "*.api.contoso.com"}, false, root)
	legacy := mint("legacy.contoso.local", []string{"legacy.contoso.local"}, false, nil)
	other := mint("Unrelated Test CA", nil, true, nil)

	files := map[string]string{
		"certs/root.pem":        pemOf(root),
		"certs/root.key":        keyPEM(root), // for tests that mint backends under the corpus root
		"certs/inter.pem":       pemOf(inter),
		"certs/www.pem":         pemOf(www, inter),
		"certs/www.key":         keyPEM(www),
		"certs/www-both.pem":    pemOf(www, inter) + keyPEM(www),
		"certs/api.pem":         pemOf(api),
		"certs/api.key":         keyPEM(api),
		"certs/legacy.pem":      pemOf(legacy),
		"certs/legacy.key":      keyPEM(legacy),
		"certs/www.pfx.b64":     pfx(www, []*cert{root, inter}, ""), // as Key Vault keeps it: no password
		"certs/wrong-order.pem": pemOf(inter, www) + keyPEM(www),
	}
	values := map[string]string{
		"PASSWORD":           Password,
		"WWW_PFX":            pfx(www, []*cert{root, inter}, Password), // root first, as Windows exports
		"API_PFX":            pfx(api, nil, Password),
		"WWW_P7B":            pkcs7(www, inter),
		"API_P7B":            pkcs7(api),
		"ROOT_DER":           base64.StdEncoding.EncodeToString(root.c.Raw),
		"ROOT_PEM":           jsonText(pemOf(root)),
		"ROOT_P7B":           pkcs7(root),
		"LEGACY_DER":         base64.StdEncoding.EncodeToString(legacy.c.Raw),
		"NOKEY_PFX":          trustStore(www, inter),
		"STRAY_PFX":          pfx(www, []*cert{inter, other}, Password),
		"WRONG_PASSWORD_PFX": pfx(www, nil, "another password"),
	}
	for name, content := range files {
		write(filepath.Join(dir, name), content)
	}
	ins, err := filepath.Glob(filepath.Join(dir, "*.json.in"))
	if err != nil {
		log.Fatal(err)
	}
	ref := regexp.MustCompile(`\$\{([A-Z_0-9]+)\}`)
	for _, in := range ins {
		data, err := os.ReadFile(in)
		if err != nil {
			log.Fatal(err)
		}
		out := ref.ReplaceAllStringFunc(string(data), func(m string) string {
			v, ok := values[m[2:len(m)-1]]
			if !ok {
				log.Fatalf("%s: no value for %s", in, m)
			}
			return v
		})
		write(strings.TrimSuffix(in, ".in"), out)
	}
}

func trustStore(certs ...*cert) string {
	var cs []*x509.Certificate
	for _, c := range certs {
		cs = append(cs, c.c)
	}
	der, err := pkcs12.Modern2023.EncodeTrustStore(cs, Password)
	if err != nil {
		log.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

func write(name, content string) {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		log.Fatal(err)
	}
}
