package azurejson

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/e2etls/e2etls/backendtls/tlstest"
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
