package main

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
)

// pki writes a root, a frontend leaf and its key to dir.
func pki(t *testing.T, dir string) (root *tlstest.Cert, o options) {
	t.Helper()
	root = tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	front := root.NewLeaf(tlstest.Options{KeyType: tlstest.ECDSAP256, DNSNames: []string{"www.example.test"}})
	o = options{
		certFile: filepath.Join(dir, "front.pem"), keyFile: filepath.Join(dir, "front.key"),
		rootFile: filepath.Join(dir, "root.pem"), backendHost: "backend.internal",
	}
	require.NoError(t, os.WriteFile(o.certFile, front.CertPEM(), 0o600))
	require.NoError(t, os.WriteFile(o.keyFile, front.KeyPEM(), 0o600))
	require.NoError(t, os.WriteFile(o.rootFile, root.CertPEM(), 0o600))
	return root, o
}

func TestGatewayProxiesToVerifiedBackend(t *testing.T) {
	root, o := pki(t, t.TempDir())
	backendLeaf := root.NewLeaf(tlstest.Options{KeyType: tlstest.ECDSAP256, DNSNames: []string{"backend.internal"}})
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			before := runtime.NumGoroutine()
			backend := tlstest.NewServer(tlstest.ServerOptions{Certificate: backendLeaf.FullChain(), MaxVersion: version})
			defer backend.Close()
			o.listen, o.backend = "127.0.0.1:18999", backend.Addr
			cfg, err := buildConfig(o)
			require.NoError(t, err)
			gw, err := gateway.New(cfg)
			require.NoError(t, err)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			served := make(chan error, 1)
			go func() { served <- gw.ServePort(18999, ln) }()

			client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
				TLSClientConfig: &tls.Config{RootCAs: root.Pool(), ServerName: "www.example.test", MaxVersion: version},
			}}
			resp, err := client.Get("https://" + ln.Addr().String() + "/hello")
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			assert.Contains(t, string(body), "/hello")
			assert.Equal(t, "backend.internal", backend.LastSNI())
			client.CloseIdleConnections()

			require.NoError(t, gw.Close())
			require.True(t, errors.Is(<-served, gateway.ErrGatewayClosed))
			backend.Close()
			// Every goroutine of the gateway, the backend and the client ends.
			deadline := time.Now().Add(5 * time.Second)
			for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			assert.LessOrEqual(t, runtime.NumGoroutine(), before, "goroutines leaked")
		})
	}
}

func TestBuildConfigRefusesBadFlags(t *testing.T) {
	dir := t.TempDir()
	_, good := pki(t, dir)
	good.listen, good.backend = "127.0.0.1:18441", "127.0.0.1:18450"
	notPEM := filepath.Join(dir, "not.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("hello"), 0o600))
	for _, tc := range []struct {
		name   string
		change func(*options)
		want   []string
	}{
		{"missing files", func(o *options) { o.certFile, o.rootFile = "", "" }, []string{"-cert, -key and -root are required"}},
		{"listen and backend", func(o *options) { o.listen, o.backend = "localhost", "127.0.0.1:99999" },
			[]string{`-listen "localhost"`, `-backend "127.0.0.1:99999": port must be 1..65535`}},
		{"key pair", func(o *options) { o.keyFile = notPEM }, []string{"-key " + notPEM}},
		{"root", func(o *options) { o.rootFile = notPEM }, []string{"-root", "no CERTIFICATE block"}},
		{"root missing", func(o *options) { o.rootFile = filepath.Join(dir, "none.pem") }, []string{"-root", "no such file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := good
			tc.change(&o)
			_, err := buildConfig(o)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	cfg, err := buildConfig(good)
	require.NoError(t, err)
	assert.Equal(t, 18441, cfg.Listeners[0].Port)
	assert.Equal(t, "127.0.0.1", cfg.Listeners[0].Address)
	assert.Equal(t, 18450, cfg.BackendHTTPSettings[0].Port)
	assert.Equal(t, "backend.internal", cfg.BackendHTTPSettings[0].HostName)
	assert.Equal(t, "bench-root", cfg.TrustedRootCertificates[0].Name)
}

func TestRunRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-log-level", "loud"},
		{"-cert", "x"},
		{"-nope"},
	} {
		var stderr bytes.Buffer
		assert.Equal(t, 2, run(args, &stderr, nil), "%v", args)
		assert.NotEmpty(t, stderr.String(), "%v", args)
	}
}

// freePort returns a loopback port that nothing listened on a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// TestRunAsDeployed runs the command as bench/run.sh's production target
// does: the access log to a file, metrics served; a request shows in both,
// and the log is flushed and counted when the command stops.
func TestRunAsDeployed(t *testing.T) {
	dir := t.TempDir()
	root, o := pki(t, dir)
	backendLeaf := root.NewLeaf(tlstest.Options{KeyType: tlstest.ECDSAP256, DNSNames: []string{"backend.internal"}})
	backend := tlstest.NewServer(tlstest.ServerOptions{Certificate: backendLeaf.FullChain()})
	defer backend.Close()
	listen, metricsAddr, logPath := freePort(t), freePort(t), filepath.Join(dir, "access.log")

	var stderr bytes.Buffer
	sigs := make(chan os.Signal, 1)
	code := make(chan int, 1)
	go func() {
		code <- run([]string{"-listen", listen, "-cert", o.certFile, "-key", o.keyFile, "-root", o.rootFile,
			"-backend", backend.Addr, "-access-log", logPath, "-metrics-addr", metricsAddr}, &stderr, sigs)
	}()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: root.Pool(), ServerName: "www.example.test"},
	}}
	defer client.CloseIdleConnections()
	var resp *http.Response
	var err error
	for range 100 { // until the gateway listens: at most 100 tries, 5 s
		if resp, err = client.Get("https://" + listen + "/logged"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	require.NoError(t, err)
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	mresp, err := client.Get("http://" + metricsAddr + "/metrics")
	require.NoError(t, err)
	exposition, err := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	require.NoError(t, err)
	assert.Contains(t, string(exposition), `status_class="2xx"} 1`)
	assert.Contains(t, string(exposition), "e2etls_requests_total{")

	sigs <- os.Interrupt
	select {
	case c := <-code:
		require.Equal(t, 0, c, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("the gateway did not stop within 10 s of SIGINT")
	}
	assert.Contains(t, stderr.String(), "gateway: access log: 1 records written, 0 dropped")
	logged, err := os.ReadFile(logPath)
	require.NoError(t, err)
	assert.Equal(t, 1, bytes.Count(logged, []byte("\n")), string(logged))
	assert.Contains(t, string(logged), "requestUri=/logged")
	assert.Contains(t, string(logged), "httpStatus=200")
}

func TestRunRefusesBadLogAndMetricsFlags(t *testing.T) {
	dir := t.TempDir()
	_, o := pki(t, dir)
	base := []string{"-listen", freePort(t), "-cert", o.certFile, "-key", o.keyFile, "-root", o.rootFile}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-access-log", ""}, "-access-log: want a file or off"},
		{[]string{"-access-log", dir}, "-access-log: open " + dir},
		{[]string{"-metrics-addr", "nowhere"}, "-metrics-addr"},
	} {
		var stderr bytes.Buffer
		assert.Equal(t, 2, run(append(base, tc.args...), &stderr, nil), "%v", tc.args)
		assert.Contains(t, stderr.String(), tc.want, "%v", tc.args)
	}
}
