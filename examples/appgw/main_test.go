package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/e2etls/e2etls/backendtls/tlstest"
)

// writeConfig writes a gateway.json whose one backend is srv, trusting root.
func writeConfig(t *testing.T, srv *tlstest.Server, root *tlstest.Cert, extra string) string {
	t.Helper()
	dir := t.TempDir()
	front := root.NewLeaf(tlstest.Options{DNSNames: []string{"www.example.test"}, KeyType: tlstest.ECDSAP256})
	for name, data := range map[string][]byte{"root.pem": root.CertPEM(), "front.pem": front.CertPEM(), "front.key": front.KeyPEM()} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	port := srv.Addr[strings.LastIndexByte(srv.Addr, ':')+1:]
	cfg := fmt.Sprintf(`{
  "sslCertificates": [{"name": "www", "certFile": "front.pem", "keyFile": "front.key"}],
  "trustedRootCertificates": [{"name": "root", "certFile": "root.pem"}],
  "httpListeners": [{"name": "https", "protocol": "Https", "address": "127.0.0.1", "port": 18443, "sslCertificate": "www"%s}],
  "backendAddressPools": [{"name": "app", "backendAddresses": [{"ipAddress": "127.0.0.1", "port": %s}]}],
  "backendHttpSettings": [{"name": "app-tls", "protocol": "Https", "port": 443, "hostName": "backend.internal", "trustedRootCertificates": ["root"]}],
  "requestRoutingRules": [{"name": "app", "ruleType": "Basic", "httpListener": "https", "backendAddressPool": "app", "backendHttpSettings": "app-tls"}]
}`, extra, port)
	path := filepath.Join(dir, "gateway.json")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheck(t *testing.T) {
	root := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	good := tlstest.NewServer(tlstest.ServerOptions{Certificate: root.NewLeaf(tlstest.Options{DNSNames: []string{"backend.internal"}, KeyType: tlstest.ECDSAP256}).FullChain()})
	defer good.Close()
	wrongName := tlstest.NewServer(tlstest.ServerOptions{Certificate: root.NewLeaf(tlstest.Options{DNSNames: []string{"other.internal"}, KeyType: tlstest.ECDSAP256}).FullChain()})
	defer wrongName.Close()

	tests := []struct {
		name     string
		path     string
		code     int
		contains []string
	}{
		{"trusted", writeConfig(t, good, root, ""), 0, []string{"trusted", "1 of 1 HTTPS backends would be trusted"}},
		{"refused", writeConfig(t, wrongName, root, ""), 1, []string{"REFUSED", "fail    identity", "0 of 1 HTTPS backends would be trusted"}},
		{"typo in the file", writeConfig(t, good, root, `, "hostname": "x"`), 2, []string{`unknown field "hostname"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run([]string{"-config", tt.path, "-check"}, &out, &errOut)
			all := out.String() + errOut.String()
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s", code, tt.code, all)
			}
			for _, c := range tt.contains {
				if !strings.Contains(all, c) {
					t.Errorf("output lacks %q:\n%s", c, all)
				}
			}
		})
	}
}

func TestFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(nil, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "-config is required") {
		t.Errorf("no flags: exit %d, %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"-config", "x.json", "-log-format", "xml"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), `-log-format "xml"`) {
		t.Errorf("bad log format: exit %d, %q", code, errOut.String())
	}
}
