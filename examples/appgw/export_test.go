package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/e2etls/e2etls/backendtls/tlstest"
)

const (
	testSubnet   = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/appgw"
	testPublicIP = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/pip"
)

// TestExportAndCheck exports an Azure document (the corpus's REST PUT body,
// pointed at a real TLS backend on loopback) as a resource document and as
// a template, and runs -check on each: the written certificates, trust
// and references are what the gateway then uses, over a real handshake.
func TestExportAndCheck(t *testing.T) {
	cert, _ := corpusBackend(t, "backend-tls.contoso.internal")
	backend := tlstest.NewServer(tlstest.ServerOptions{Name: "azure-backend", Certificate: cert})
	defer backend.Close()
	path := azureDoc(t, freePort(t), backend.Addr, true)
	dir := t.TempDir()
	resource, template := filepath.Join(dir, "agw.json"), filepath.Join(dir, "agw.template.json")
	t.Setenv(passwordEnv, "export-test-only")

	var out, errOut bytes.Buffer
	code := run([]string{"-config", path, "-public-address", "127.0.0.1",
		"-export-arm", resource, "-export-template", template, "-export-name", "agw-put",
		"-export-subnet-id", testSubnet, "-export-public-ip-id", testPublicIP}, &out, &errOut, nil)
	if code != 0 {
		t.Fatalf("export: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"wrote the resource document " + resource, "wrote the ARM template " + template} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	info, err := os.Stat(resource)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("the resource document, which holds the PFX password, has mode %v", info.Mode().Perm())
	}

	// The template's parameters, as its deployment would give them.
	params := filepath.Join(dir, "agw.parameters.json")
	data, err := json.Marshal(map[string]any{"parameters": map[string]any{
		"subnetId":               map[string]any{"value": testSubnet},
		"publicIPAddressId":      map[string]any{"value": testPublicIP},
		"sslCertificatePassword": map[string]any{"value": "export-test-only"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(params, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-config", resource},
		{"-config", template, "-parameters", params},
	} {
		out.Reset()
		args = append(args, "-public-address", "127.0.0.1", "-check")
		if code := run(args, &out, &out, nil); code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, out.String())
		}
		if !strings.Contains(out.String(), "1 of 1 HTTPS backends would be trusted") {
			t.Errorf("%v: output lacks the trusted backend:\n%s", args, out.String())
		}
	}
}

// TestExportRefusals: what Azure cannot carry is refused by name unless
// -export-drop lists it; a missing password or private address is said.
func TestExportRefusals(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "agw.json")
	sample := "gateway.json" // a member port, which Azure has not
	tests := []struct {
		name     string
		password string
		args     []string
		code     int
		contains []string
	}{
		{"refused", "pw", []string{"-config", sample, "-export-arm", out, "-export-subnet-id", testSubnet}, 2, []string{
			`pool "app": member 0: Port: a member's own port`,
			"-export-drop leaves out what Azure cannot carry",
		}},
		{"dropped", "pw", []string{"-config", sample, "-export-arm", out, "-export-subnet-id", testSubnet, "-export-drop"}, 0, []string{
			`appgw: left out of the Azure document: pool "app": member 0: Port: a member's own port`,
			"wrote the resource document",
		}},
		{"no password", "", []string{"-config", sample, "-export-arm", out, "-export-subnet-id", testSubnet, "-export-drop"}, 2, []string{
			"set it in the environment variable APPGW_PFX_PASSWORD",
		}},
		{"no subnet", "pw", []string{"-config", sample, "-export-arm", out, "-export-drop"}, 2, []string{
			"WriteOptions.SubnetID: empty",
		}},
		{"private address replaced", "pw", []string{"-config", sample, "-private-address", "127.0.0.2", "-export-template", out}, 2, []string{
			"give the address to write with -export-private-ip",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(passwordEnv, tt.password)
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr, nil)
			all := stdout.String() + stderr.String()
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
