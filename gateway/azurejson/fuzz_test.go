package azurejson

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
)

// FuzzParse checks that no input makes the loader panic, and that every
// failure is a join of *Error values whose messages carry the package
// prefix. Files are served from memory, so the target never touches the
// file system.
func FuzzParse(f *testing.F) {
	root := tlstest.NewRoot(tlstest.Options{CommonName: "Fuzz Root", KeyType: tlstest.ECDSAP256})
	leaf := root.NewLeaf(tlstest.Options{DNSNames: []string{"www.example"}, KeyType: tlstest.ECDSAP256})
	files := map[string][]byte{
		"certs/www.pem":           leaf.CertPEM(),
		"certs/www.key":           leaf.KeyPEM(),
		"certs/api.pem":           concat(leaf.CertPEM(), leaf.KeyPEM()),
		"certs/client.pem":        leaf.CertPEM(),
		"certs/client.key":        leaf.KeyPEM(),
		"certs/internal-root.cer": root.CertPEM(),
		"certs/legacy.cer":        leaf.Certificate.Raw,
	}
	readFile := func(name string) ([]byte, error) {
		if data, ok := files[name]; ok {
			return data, nil
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}

	sample, err := os.ReadFile(filepath.Join("testdata", "gateway.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample)
	for _, seed := range []string{
		``, `{}`, `[]`, `null`, `{"a":1} x`, "{\n  \"probes\": [\n",
		`{"httpListeners": [{"name": "web", "hostname": "x", "port": "80", "hostNames": [1]}]}`,
		`{"sslPolicy": {"minProtocolVersion": "TLSv1_2", "cipherSuites": ["RC4", 5]}}`,
		`{"backendHttpSettings": [{"name": "s", "requestTimeout": -3, "pinnedPublicKeys": ["sha256/abc"], "clientCertificate": "x"}]}`,
		`{"backendAddressPools": [{"name": "p", "backendAddresses": [{"ipAddress": "1.2.3.4", "fqdn": "a"}, {}]}]}`,
		`{"requestRoutingRules": [{"name": "r", "ruleType": "PathBasedRouting", "backendAddressPool": {"id": "x"}}]}`,
		`{"trustedRootCertificates": [{"name": "r", "data": "garbage"}, {"name": "s", "certFile": "nope"}]}`,
		`{"idleTimeout": 1e400, "readHeaderTimeout": 9223372037, "affinityKey": "%%"}`,
	} {
		f.Add([]byte(seed))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		_, err := read(data, Options{}, readFile)
		if err == nil {
			return
		}
		errs := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			errs = j.Unwrap()
		}
		for _, e := range errs {
			var ae *Error
			if !errors.As(e, &ae) {
				t.Fatalf("problem %T is not an *Error: %v", e, e)
			}
			if ae.Line < 1 || ae.Column < 1 {
				t.Fatalf("problem %q has no position: line %d, column %d", e, ae.Line, ae.Column)
			}
			if !strings.HasPrefix(e.Error(), "azurejson: ") {
				t.Fatalf("problem %q lacks the package prefix", e)
			}
		}
	})
}

// FuzzWrite checks that whatever configuration the reader makes of an
// input, the writer either refuses it with package-prefixed problems or
// writes a resource document and a template that the reader reads back,
// every reference resolving.
func FuzzWrite(f *testing.F) {
	// Documents without listener certificates: encrypting a PFX under the
	// fuzzer's instrumentation takes seconds.
	for _, name := range []string{"multisite-pathmaps.json", "pathmap-redirects.json", "probes-match.json", "waf-disabled.json"} {
		data, err := os.ReadFile(filepath.Join(corpus, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"httpListeners": [{"name": "a", "protocol": "Http", "port": 80, "hostNames": ["[x]"]}], "probes": [{"name": "p", "protocol": "Http", "match": {"body": "[b]"}}]}`))
	noFiles := func(name string) ([]byte, error) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		doc, err := read(data, Options{}, noFiles)
		if err != nil {
			return
		}
		opts := WriteOptions{SubnetID: testSubnet, PublicIPAddressID: testPublicIP, PrivateIPAddress: "10.0.0.1", CertificatePassword: testPassword, OnDrop: func(Dropped) {}}
		for _, write := range []func(gateway.Config, WriteOptions) ([]byte, error){WriteResource, WriteTemplate} {
			out, err := write(doc.Config, opts)
			if err != nil {
				for _, line := range strings.Split(err.Error(), "\n") {
					if !strings.HasPrefix(line, "azurejson: ") {
						t.Fatalf("problem %q lacks the package prefix", line)
					}
				}
				continue
			}
			ropts := Options{}
			if strings.Contains(string(out), `"$schema"`) {
				ropts.Parameters = templateParameters(t, out)
			}
			if _, err := Read(out, ropts); err != nil {
				t.Fatalf("the written document does not read back: %v\n%s", err, out)
			}
		}
	})
}
