package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/e2etls/e2etls/backendtls/tlstest"
)

// writeConfig writes a gateway.json whose one backend is srv, trusting root.
func writeConfig(t *testing.T, srv *tlstest.Server, root *tlstest.Cert, extra string) string {
	t.Helper()
	return writeConfigIn(t, t.TempDir(), srv, root, extra, 18443)
}

// writeConfigIn writes dir/gateway.json (and its certificates) with the
// listener on 127.0.0.1:port.
func writeConfigIn(t *testing.T, dir string, srv *tlstest.Server, root *tlstest.Cert, extra string, port int) string {
	t.Helper()
	front := root.NewLeaf(tlstest.Options{DNSNames: []string{"www.example.test"}, KeyType: tlstest.ECDSAP256})
	for name, data := range map[string][]byte{"root.pem": root.CertPEM(), "front.pem": front.CertPEM(), "front.key": front.KeyPEM()} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	backendPort := srv.Port()
	cfg := fmt.Sprintf(`{
  "sslCertificates": [{"name": "www", "certFile": "front.pem", "keyFile": "front.key"}],
  "trustedRootCertificates": [{"name": "root", "certFile": "root.pem"}],
  "httpListeners": [{"name": "https", "protocol": "Https", "address": "127.0.0.1", "port": %d, "sslCertificate": "www"%s}],
  "backendAddressPools": [{"name": "app", "backendAddresses": [{"ipAddress": "127.0.0.1", "port": %d}]}],
  "backendHttpSettings": [{"name": "app-tls", "protocol": "Https", "port": 443, "hostName": "backend.internal", "trustedRootCertificates": ["root"]}],
  "requestRoutingRules": [{"name": "app", "ruleType": "Basic", "httpListener": "https", "backendAddressPool": "app", "backendHttpSettings": "app-tls"}]
}`, port, extra, backendPort)
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
			code := run([]string{"-config", tt.path, "-check"}, &out, &errOut, nil)
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
	if code := run(nil, &out, &errOut, nil); code != 2 || !strings.Contains(errOut.String(), "-config is required") {
		t.Errorf("no flags: exit %d, %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"-config", "x.json", "-log-format", "xml"}, &out, &errOut, nil); code != 2 || !strings.Contains(errOut.String(), `-log-format "xml"`) {
		t.Errorf("bad log format: exit %d, %q", code, errOut.String())
	}
}

// lockedBuffer is a bytes.Buffer safe for the program and the test at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeReloadAndDrain runs the program: it serves, a bad file on SIGHUP
// is refused while the old configuration keeps serving, a good one is
// applied, and SIGTERM drains and exits 0.
func TestServeReloadAndDrain(t *testing.T) {
	root := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	leaf := func() tls.Certificate {
		return root.NewLeaf(tlstest.Options{DNSNames: []string{"backend.internal"}, KeyType: tlstest.ECDSAP256}).FullChain()
	}
	first := tlstest.NewServer(tlstest.ServerOptions{Name: "first", Certificate: leaf()})
	defer first.Close()
	second := tlstest.NewServer(tlstest.ServerOptions{Name: "second", Certificate: leaf()})
	defer second.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	path := writeConfigIn(t, dir, first, root, "", port)

	var out, logs lockedBuffer
	sigs := make(chan os.Signal, 1)
	exited := make(chan int, 1)
	go func() { exited <- run([]string{"-config", path, "-log-format", "json"}, &out, &logs, sigs) }()

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: root.Pool(), ServerName: "www.example.test"}, DisableKeepAlives: true}}
	url := fmt.Sprintf("https://127.0.0.1:%d/", port)
	served := func() string {
		t.Helper()
		resp, err := client.Get(url)
		if err != nil {
			return "error: " + err.Error()
		}
		defer resp.Body.Close()
		var e tlstest.Echo
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != http.StatusOK {
			return fmt.Sprintf("status %d", resp.StatusCode)
		}
		return e.Server
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not happen within 10s; log:\n%s", what, logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("serving the first backend", func() bool { return served() == "first" })

	if err := os.WriteFile(path, []byte(`{"httpListeners": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	sigs <- syscall.SIGHUP
	waitFor("the bad file refused", func() bool { return strings.Contains(logs.String(), "reload refused") })
	if got := served(); got != "first" {
		t.Fatalf("after a refused reload: %s; want the first backend still", got)
	}

	writeConfigIn(t, dir, second, root, "", port)
	sigs <- syscall.SIGHUP
	waitFor("the good file applied", func() bool { return served() == "second" })

	sigs <- syscall.SIGTERM
	select {
	case code := <-exited:
		if code != 0 {
			t.Fatalf("exit %d after SIGTERM; log:\n%s", code, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit within 15s of SIGTERM")
	}
	if !strings.Contains(logs.String(), `"msg":"appgw: stopped"`) {
		t.Errorf("no stop record in the log:\n%s", logs.String())
	}
}
