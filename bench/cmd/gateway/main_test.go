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
		assert.Equal(t, 2, run(args, &stderr), "%v", args)
		assert.NotEmpty(t, stderr.String(), "%v", args)
	}
}
