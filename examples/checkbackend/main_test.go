package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/e2etls/e2etls/backendtls/tlstest"
)

func TestCheckBackend(t *testing.T) {
	root := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	srv := tlstest.NewServer(tlstest.ServerOptions{Certificate: root.NewLeaf(tlstest.Options{DNSNames: []string{"api.internal"}, KeyType: tlstest.ECDSAP256}).FullChain()})
	defer srv.Close()
	rootFile := filepath.Join(t.TempDir(), "root.pem")
	if err := os.WriteFile(rootFile, root.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"trusted", []string{"-addr", srv.Addr, "-host", "api.internal", "-root", rootFile}, 0, "pass    identity"},
		{"wrong host", []string{"-addr", srv.Addr, "-host", "web.internal", "-root", rootFile}, 1, "fail    identity"},
		{"well-known CAs", []string{"-addr", srv.Addr, "-host", "api.internal"}, 1, "fail    chain"},
		{"no address", []string{"-host", "api.internal"}, 2, "-addr is required"},
		{"bad pin", []string{"-addr", srv.Addr, "-pin", "sha256/nope"}, 2, "pin"},
		{"insecure says so", []string{"-addr", srv.Addr, "-insecure"}, 0, "NOT VERIFIED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(tt.args, &out, &errOut)
			all := out.String() + errOut.String()
			if code != tt.code || !strings.Contains(all, tt.contains) {
				t.Errorf("exit %d, want %d; output lacks %q?\n%s", code, tt.code, tt.contains, all)
			}
		})
	}
}
