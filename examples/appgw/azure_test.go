package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"math/big"
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

// corpus is azurejson's corpus of Azure documents.
const corpus = "../../gateway/azurejson/testdata/azure"

// corpusBackend mints a backend certificate for name under the corpus's
// test root, whose key the corpus keeps for this.
func corpusBackend(t *testing.T, name string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(filepath.Join(corpus, "certs", "root.pem"), filepath.Join(corpus, "certs", "root.key"))
	if err != nil {
		t.Fatal(err)
	}
	root, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, root, &key.PublicKey, pair.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(root)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// azureDoc writes the corpus's REST PUT body with its frontend port, its
// pool and its backend port pointed at the test's loopback addresses, and
// enableHttp2 as given; nothing else changes.
func azureDoc(t *testing.T, port int, backend string, http2 bool) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpus, "rest-put-body.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	host, bport, _ := strings.Cut(backend, ":")
	props := doc["properties"].(map[string]any)
	props["frontendPorts"].([]any)[0].(map[string]any)["properties"].(map[string]any)["port"] = port
	props["backendAddressPools"].([]any)[0].(map[string]any)["properties"].(map[string]any)["backendAddresses"] = []any{map[string]any{"ipAddress": host}}
	props["backendHttpSettingsCollection"].([]any)[0].(map[string]any)["properties"].(map[string]any)["port"] = json.Number(bport)
	props["enableHttp2"] = http2
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "agw.json")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestServeAzureDocument runs the program on an Azure document (a REST PUT
// body of the corpus, its PFX listener certificates inline) in front of a
// real TLS backend on loopback: the listener serves the PFX's certificate
// by SNI, the backend is verified against the document's trusted root with
// its sniName as SNI while the Host header is its hostName, and
// enableHttp2 decides whether clients get HTTP/2.
func TestServeAzureDocument(t *testing.T) {
	cert, pool := corpusBackend(t, "backend-tls.contoso.internal")
	backend := tlstest.NewServer(tlstest.ServerOptions{Name: "azure-backend", Certificate: cert})
	defer backend.Close()

	for _, http2 := range []bool{true, false} {
		t.Run(fmt.Sprintf("enableHttp2=%t", http2), func(t *testing.T) {
			port := freePort(t)
			path := azureDoc(t, port, backend.Addr, http2)

			var out bytes.Buffer
			if code := run([]string{"-config", path, "-public-address", "127.0.0.1", "-check"}, &out, &out, nil); code != 0 {
				t.Fatalf("-check: exit %d\n%s", code, out.String())
			}
			for _, want := range []string{"resource document:", "gatewayIPConfigurations", "1 of 1 HTTPS backends would be trusted"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("-check output lacks %q:\n%s", want, out.String())
				}
			}

			var logs lockedBuffer
			sigs := make(chan os.Signal, 1)
			exited := make(chan int, 1)
			go func() {
				exited <- run([]string{"-config", path, "-public-address", "127.0.0.1"}, &logs, &logs, sigs)
			}()
			defer func() {
				sigs <- syscall.SIGTERM
				select {
				case code := <-exited:
					if code != 0 {
						t.Errorf("exit %d; log:\n%s", code, logs.String())
					}
				case <-time.After(15 * time.Second):
					t.Error("no exit within 15s of SIGTERM")
				}
			}()

			tr := &http.Transport{
				TLSClientConfig:   &tls.Config{RootCAs: pool, ServerName: "www.contoso.com", NextProtos: []string{"h2", "http/1.1"}},
				ForceAttemptHTTP2: true,
				DisableKeepAlives: true,
			}
			defer tr.CloseIdleConnections()
			client := &http.Client{Timeout: 5 * time.Second, Transport: tr}
			url := fmt.Sprintf("https://127.0.0.1:%d/orders?id=7", port)
			var resp *http.Response
			var err error
			for deadline := time.Now().Add(10 * time.Second); ; {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Host = "www.contoso.com" // the listeners are multi-site
				if resp, err = client.Do(req); err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("gateway not serving within 10s: %v; log:\n%s", err, logs.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			defer resp.Body.Close()
			var e tlstest.Echo
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, %v; log:\n%s", resp.StatusCode, err, logs.String())
			}
			if e.Server != "azure-backend" || e.SNI != "backend-tls.contoso.internal" || e.Host != "backend.contoso.internal" || e.Path != "/orders" || e.RawQuery != "id=7" {
				t.Errorf("backend saw server %q, SNI %q, Host %q, path %q?%q", e.Server, e.SNI, e.Host, e.Path, e.RawQuery)
			}
			if got := resp.TLS.PeerCertificates[0].Subject.CommonName; got != "www.contoso.com" {
				t.Errorf("listener presented %q, want the PFX's www.contoso.com", got)
			}
			wantProto := "HTTP/1.1"
			if http2 {
				wantProto = "HTTP/2.0"
			}
			if resp.Proto != wantProto {
				t.Errorf("client got %s, want %s (enableHttp2 %t)", resp.Proto, wantProto, http2)
			}
		})
	}
}
