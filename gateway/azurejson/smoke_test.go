package azurejson

import (
	"path/filepath"
	"testing"
)

func TestSmokeCorpus(t *testing.T) {
	files, _ := filepath.Glob("testdata/azure/*.json")
	for _, f := range files {
		opts := Options{PrivateAddress: "127.0.0.1", CertificateFiles: map[string]string{"www-contoso": "testdata/azure/certs/www-both.pem", "www": "testdata/azure/certs/www.pfx.b64"}}
		if filepath.Base(f) == "template-export.json" {
			opts.Parameters, _ = readFile("testdata/azure/template-export.parameters.json")
			opts.CertificateFiles = nil
		}
		if filepath.Base(f) == "rest-put-body.json" {
			opts.CertificateFiles = nil
		}
		doc, err := ReadFile(f, opts)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		t.Logf("%s: %s %q, %d listeners, %d notes", f, doc.Format, doc.Name, len(doc.Config.Listeners), len(doc.Ignored))
	}
}
