package tlstest

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

var versions = []struct {
	name    string
	version uint16
}{
	{"TLSv12", tls.VersionTLS12},
	{"TLSv13", tls.VersionTLS13},
}

// pki is a root and a leaf for "backend.example" and 127.0.0.1.
type pki struct {
	root, leaf *Cert
}

func newPKI() pki {
	root := NewRoot(Options{KeyType: ECDSAP256})
	leaf := root.NewIntermediate(Options{KeyType: ECDSAP256}).NewLeaf(Options{
		KeyType:     ECDSAP256,
		DNSNames:    []string{"backend.example"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	})
	return pki{root, leaf}
}

// client returns an HTTP client for exactly one TLS version that trusts root.
func client(root *Cert, version uint16, mod func(*tls.Config)) *http.Client {
	cfg := &tls.Config{
		RootCAs:    root.Pool(),
		ServerName: "backend.example",
		MinVersion: version,
		MaxVersion: version,
	}
	if mod != nil {
		mod(cfg)
	}
	return &http.Client{
		Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true},
		Timeout:   10 * time.Second,
	}
}

func get(t *testing.T, c *http.Client, url, host string) (Echo, *http.Response) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	req.Header.Set("X-Test", "yes")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var e Echo
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatalf("decoding echo: %v", err)
	}
	return e, resp
}

func TestServerEcho(t *testing.T) {
	p := newPKI()
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			s := NewServer(ServerOptions{Name: "b1", Certificate: p.leaf.FullChain()})
			defer s.Close()
			if !strings.HasPrefix(s.Addr, "127.0.0.1:") || s.URL != "https://"+s.Addr {
				t.Errorf("Addr %q, URL %q", s.Addr, s.URL)
			}
			if want := "127.0.0.1:" + strconv.Itoa(s.Port()); s.Port() == 0 || s.Addr != want {
				t.Errorf("Port() = %d; Addr %q", s.Port(), s.Addr)
			}
			e, resp := get(t, client(p.root, v.version, nil), s.URL+"/a/b?x=1&y=2", "front.example")
			want := Echo{
				Server: "b1", SNI: "backend.example", Host: "front.example", Method: "GET",
				Path: "/a/b", RawQuery: "x=1&y=2", Proto: "HTTP/1.1",
				TLSVersion: tls.VersionName(v.version), CipherSuite: tls.CipherSuiteName(resp.TLS.CipherSuite),
			}
			if got := e.Header.Get("X-Test"); got != "yes" {
				t.Errorf("Header X-Test = %q", got)
			}
			e.Header = nil
			if fmt.Sprintf("%+v", e) != fmt.Sprintf("%+v", want) {
				t.Errorf("echo = %+v\nwant %+v", e, want)
			}
			if got := resp.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q", got)
			}
			if s.Handshakes() != 1 || s.ResumedHandshakes() != 0 || s.LastSNI() != "backend.example" {
				t.Errorf("Handshakes %d, ResumedHandshakes %d, LastSNI %q; want 1, 0, backend.example",
					s.Handshakes(), s.ResumedHandshakes(), s.LastSNI())
			}
		})
	}
}

func TestServerNoSNIAndDefaultName(t *testing.T) {
	p := newPKI()
	s := NewServer(ServerOptions{Certificate: p.leaf.FullChain()})
	defer s.Close()
	// An IP literal as server name sends no SNI; the leaf has the IP SAN.
	e, _ := get(t, client(p.root, tls.VersionTLS13, func(c *tls.Config) { c.ServerName = "" }), s.URL, "")
	if e.SNI != "" || s.LastSNI() != "" || e.Server != s.Addr {
		t.Errorf("SNI %q, LastSNI %q, Server %q; want no SNI and the address as name", e.SNI, s.LastSNI(), e.Server)
	}
}

func TestServerResumption(t *testing.T) {
	p := newPKI()
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			s := NewServer(ServerOptions{Certificate: p.leaf.FullChain()})
			defer s.Close()
			c := client(p.root, v.version, func(c *tls.Config) { c.ClientSessionCache = tls.NewLRUClientSessionCache(0) })
			first, _ := get(t, c, s.URL, "")
			second, _ := get(t, c, s.URL, "")
			if first.DidResume || !second.DidResume {
				t.Errorf("DidResume = %v, %v; want false, true", first.DidResume, second.DidResume)
			}
			if s.Handshakes() != 2 || s.ResumedHandshakes() != 1 {
				t.Errorf("Handshakes %d, ResumedHandshakes %d; want 2, 1", s.Handshakes(), s.ResumedHandshakes())
			}
		})
	}
}

func TestServerSetCertificate(t *testing.T) {
	p, q := newPKI(), newPKI()
	s := NewServer(ServerOptions{Certificate: p.leaf.FullChain()})
	defer s.Close()
	both := p.root.Pool()
	both.AddCert(q.root.Certificate)
	c := client(p.root, tls.VersionTLS13, func(c *tls.Config) { c.RootCAs = both })

	_, resp := get(t, c, s.URL, "")
	if got := resp.TLS.PeerCertificates[0]; !got.Equal(p.leaf.Certificate) {
		t.Fatalf("before rotation the server presented %s", got.Subject)
	}
	s.SetCertificate(q.leaf.FullChain())
	_, resp = get(t, c, s.URL, "")
	if got := resp.TLS.PeerCertificates[0]; !got.Equal(q.leaf.Certificate) {
		t.Fatalf("after rotation the server presented %s", got.Subject)
	}
	wantPanic(t, "tlstest: SetCertificate: empty certificate", func() { s.SetCertificate(tls.Certificate{}) })
}

func TestServerClientCertificate(t *testing.T) {
	p := newPKI()
	clientRoot := NewRoot(Options{KeyType: ECDSAP256})
	clientLeaf := clientRoot.NewLeaf(Options{
		CommonName: "gateway", KeyType: ECDSAP256,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			s := NewServer(ServerOptions{Certificate: p.leaf.FullChain(), ClientCAs: clientRoot.Pool()})
			defer s.Close()

			_, err := client(p.root, v.version, nil).Get(s.URL)
			if err == nil {
				t.Fatalf("request without a client certificate succeeded")
			}
			e, _ := get(t, client(p.root, v.version, func(c *tls.Config) {
				c.Certificates = []tls.Certificate{clientLeaf.FullChain()}
			}), s.URL, "")
			if e.ClientCert != "CN=gateway" {
				t.Errorf("ClientCert = %q; want CN=gateway", e.ClientCert)
			}
			if s.Handshakes() != 1 {
				t.Errorf("Handshakes = %d; want 1 (the failed one is not counted)", s.Handshakes())
			}
		})
	}
}

func TestServerVersionsAndSuites(t *testing.T) {
	p := newPKI()
	tests := []struct {
		name    string
		opts    ServerOptions
		client  func(*tls.Config)
		wantErr string
		want    string
	}{
		{
			name:    "server TLS 1.3 only, client TLS 1.2",
			opts:    ServerOptions{MinVersion: tls.VersionTLS13},
			client:  func(c *tls.Config) { c.MinVersion, c.MaxVersion = tls.VersionTLS12, tls.VersionTLS12 },
			wantErr: "protocol version not supported",
		},
		{
			name: "server suite list honoured",
			opts: ServerOptions{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305}},
			client: func(c *tls.Config) {
				c.MaxVersion = tls.VersionTLS12
			},
			want: "TLS 1.2 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
		},
		{
			name: "no common suite",
			opts: ServerOptions{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305}},
			client: func(c *tls.Config) {
				c.MaxVersion = tls.VersionTLS12
				c.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
			},
			wantErr: "handshake failure",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Certificate = p.leaf.FullChain()
			s := NewServer(tt.opts)
			defer s.Close()
			c := client(p.root, 0, tt.client)
			resp, err := c.Get(s.URL)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v; want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := tls.VersionName(resp.TLS.Version) + " " + tls.CipherSuiteName(resp.TLS.CipherSuite); got != tt.want {
				t.Errorf("negotiated %s; want %s", got, tt.want)
			}
		})
	}
}

func TestServerHTTP2(t *testing.T) {
	p := newPKI()
	s := NewServer(ServerOptions{Certificate: p.leaf.FullChain(), NextProtos: []string{"h2", "http/1.1"}})
	defer s.Close()
	c := client(p.root, tls.VersionTLS13, nil)
	c.Transport.(*http.Transport).ForceAttemptHTTP2 = true
	e, _ := get(t, c, s.URL, "")
	if e.Proto != "HTTP/2.0" {
		t.Errorf("Proto = %q; want HTTP/2.0", e.Proto)
	}
	// Without "h2" the server speaks HTTP/1.1 even to an HTTP/2 client.
	s1 := NewServer(ServerOptions{Certificate: p.leaf.FullChain()})
	defer s1.Close()
	if e, _ := get(t, c, s1.URL, ""); e.Proto != "HTTP/1.1" {
		t.Errorf("default Proto = %q; want HTTP/1.1", e.Proto)
	}
}

func TestServerTCP6(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	ln.Close()
	p := newPKI()
	s := NewServer(ServerOptions{Certificate: p.leaf.FullChain(), Network: "tcp6"})
	defer s.Close()
	if !strings.HasPrefix(s.URL, "https://[::1]:") {
		t.Fatalf("URL = %q", s.URL)
	}
	if e, _ := get(t, client(p.root, tls.VersionTLS13, nil), s.URL, ""); e.SNI != "backend.example" {
		t.Errorf("SNI = %q", e.SNI)
	}
}

// TestServerCloseLeavesNoGoroutines closes a server that has a connection
// in each state: handshaking (a TCP client that never speaks), idle
// keep-alive, and hijacked with its handler still running.
func TestServerCloseLeavesNoGoroutines(t *testing.T) {
	p := newPKI()
	before := runtime.NumGoroutine()

	hijacked := make(chan struct{})
	handlerDone := make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle("/", EchoHandler("h"))
	mux.HandleFunc("/hijack", func(w http.ResponseWriter, r *http.Request) {
		defer close(handlerDone)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		close(hijacked)
		// Block until Close closes the connection.
		_, _ = io.Copy(io.Discard, conn)
	})
	s := NewServer(ServerOptions{Certificate: p.leaf.FullChain(), Handler: mux})

	silent, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()

	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.root.Pool(), ServerName: "backend.example"}}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	hc, err := tls.Dial("tcp", s.Addr, &tls.Config{RootCAs: p.root.Pool(), ServerName: "backend.example"})
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Close()
	fmt.Fprintf(hc, "GET /hijack HTTP/1.1\r\nHost: x\r\n\r\n")
	<-hijacked

	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return within 10s")
	}
	<-handlerDone
	s.Close() // idempotent

	// The hijacked and idle connections were closed by the server.
	if _, err := bufio.NewReader(hc).ReadByte(); err == nil {
		t.Errorf("hijacked connection still open after Close")
	}
	tr.CloseIdleConnections()
	silent.Close()
	hc.Close()
	waitGoroutines(t, before)
}

// waitGoroutines waits, for at most 5s, until no more goroutines run than
// before.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
