package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/e2etls/e2etls/backendtls/tlstest"
)

// TestMutualTLSAndFilesReloadThemselves runs the program on a flat file
// with a strict mutual-TLS listener (an SSL profile trusting a client CA
// chain from a file): a client with a certificate of that CA is served,
// one without gets 400 and the sentence saying so. Then, with no signal,
// the listener's certificate is rotated on disk and new connections get
// the new one; the client CA file is replaced by another CA's, and the old
// CA's clients are refused while the new one's are served; a broken CA
// file is refused and logged, and the gateway keeps serving.
func TestMutualTLSAndFilesReloadThemselves(t *testing.T) {
	ec := func(cn string) tlstest.Options { return tlstest.Options{CommonName: cn, KeyType: tlstest.ECDSAP256} }
	root := tlstest.NewRoot(ec("Server Root"))
	backend := tlstest.NewServer(tlstest.ServerOptions{Name: "app", Certificate: root.NewLeaf(tlstest.Options{DNSNames: []string{"backend.internal"}, KeyType: tlstest.ECDSAP256}).FullChain()})
	defer backend.Close()
	clientCA := tlstest.NewRoot(ec("Client CA"))
	alice := clientCA.NewClientLeaf(ec("alice"))
	newCA := tlstest.NewRoot(ec("New Client CA"))
	bob := newCA.NewClientLeaf(ec("bob"))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	write := func(name string, data []byte) {
		t.Helper()
		tmp := filepath.Join(dir, name+".tmp")
		if err := os.WriteFile(tmp, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	write("clients.pem", clientCA.CertPEM())
	path := writeConfigIn(t, dir, backend, root, `, "sslProfile": "mtls"`, port)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	write("gateway.json", []byte(strings.Replace(string(data), `"httpListeners"`,
		`"trustedClientCertificates": [{"name": "clients", "certFile": "clients.pem"}],
  "sslProfiles": [{"name": "mtls", "trustedClientCertificates": ["clients"], "clientAuthConfiguration": {"verifyClientAuthMode": "Strict"}}],
  "httpListeners"`, 1)))

	var out, logs lockedBuffer
	sigs := make(chan os.Signal, 1)
	exited := make(chan int, 1)
	go func() {
		exited <- run([]string{"-config", path, "-log-format", "json", "-access-log", "off", "-watch", "20ms"}, &out, &logs, sigs)
	}()

	type answer struct {
		status int
		body   string
		serial string // of the gateway's certificate
	}
	get := func(cert *tlstest.Cert) answer {
		t.Helper()
		tc := &tls.Config{RootCAs: root.Pool(), ServerName: "www.example.test"}
		if cert != nil {
			chain := cert.FullChain()
			tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &chain, nil }
		}
		client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: tc, DisableKeepAlives: true}}
		resp, err := client.Get(fmt.Sprintf("https://127.0.0.1:%d/", port))
		if err != nil {
			return answer{body: err.Error()}
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return answer{status: resp.StatusCode, body: string(body), serial: resp.TLS.PeerCertificates[0].SerialNumber.String()}
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
	waitFor("serving alice", func() bool { return get(alice).status == http.StatusOK })
	if a := get(nil); a.status != http.StatusBadRequest || !strings.HasPrefix(a.body, "400 Bad Request: No required SSL certificate was sent (request ID ") {
		t.Errorf("without a certificate: %d %q", a.status, a.body)
	}
	if a := get(bob); a.status != http.StatusBadRequest || !strings.HasPrefix(a.body, "400 Bad Request: The client certificate is not trusted") {
		t.Errorf("bob, of another CA: %d %q", a.status, a.body)
	}

	// The listener's certificate, rotated on disk: the key first, then the
	// certificate, as a careless tool would.
	front := root.NewLeaf(tlstest.Options{DNSNames: []string{"www.example.test"}, KeyType: tlstest.ECDSAP256})
	write("front.key", front.KeyPEM())
	write("front.pem", front.CertPEM())
	waitFor("the new listener certificate", func() bool { return get(alice).serial == front.Certificate.SerialNumber.String() })

	// The client CA, replaced.
	write("clients.pem", newCA.CertPEM())
	waitFor("the new client CA", func() bool { return get(bob).status == http.StatusOK })
	if a := get(alice); a.status != http.StatusBadRequest {
		t.Errorf("alice, of the old CA: %d %q", a.status, a.body)
	}

	// A broken CA file: refused, logged; the gateway keeps serving.
	write("clients.pem", []byte("-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n"))
	waitFor("the broken file refused", func() bool { return strings.Contains(logs.String(), "reload refused") })
	if a := get(bob); a.status != http.StatusOK {
		t.Errorf("after a refused file: %d %q", a.status, a.body)
	}

	sigs <- syscall.SIGTERM
	select {
	case code := <-exited:
		if code != 0 {
			t.Fatalf("exit %d after SIGTERM; log:\n%s", code, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit within 15s of SIGTERM")
	}
}
