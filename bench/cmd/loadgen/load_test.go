package main

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls/tlstest"
)

// waitGoroutines waits, bounded, until no more goroutines run than before.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), before, "goroutines leaked")
}

func TestRunFullHandshakeEveryRequest(t *testing.T) {
	root := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	leaf := root.NewLeaf(tlstest.Options{KeyType: tlstest.ECDSAP256, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}})
	for _, tc := range []struct {
		name    string
		version uint16
		method  string
		body    int
	}{
		{"TLS1.2 GET", tls.VersionTLS12, http.MethodGet, 0},
		{"TLS1.3 GET", tls.VersionTLS13, http.MethodGet, 0},
		{"TLS1.3 POST 4KiB", tls.VersionTLS13, http.MethodPost, 4096},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			var gotBody atomic.Int64
			srv := tlstest.NewServer(tlstest.ServerOptions{
				Certificate: leaf.FullChain(),
				MaxVersion:  tc.version,
				Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					n, _ := io.Copy(io.Discard, r.Body)
					gotBody.Store(n)
					io.WriteString(w, strings.Repeat("a", 1024))
				}),
			})
			cfg := Config{
				Address: srv.Addr, Path: "/x", Method: tc.method, BodySize: tc.body,
				TLS:         &tls.Config{RootCAs: root.Pool(), ServerName: "127.0.0.1"},
				Concurrency: 1, Duration: 150 * time.Millisecond,
			}
			res, err := Run(cfg)
			srv.Close()
			require.NoError(t, err)
			require.Empty(t, res.FirstErrors)
			assert.Positive(t, res.Requests)
			assert.Zero(t, res.Errors)
			assert.Zero(t, res.Resumed)
			// One full handshake per request, none resumed, although the
			// server issues session tickets.
			assert.Equal(t, res.Requests, srv.Handshakes())
			assert.Zero(t, srv.ResumedHandshakes())
			assert.Equal(t, int64(tc.body), gotBody.Load())
			assert.LessOrEqual(t, res.P50, res.P99)
			assert.Positive(t, res.RPS())
			waitGoroutines(t, before)
		})
	}
}

func TestRunCountsFailures(t *testing.T) {
	root := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	other := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	leaf := root.NewLeaf(tlstest.Options{KeyType: tlstest.ECDSAP256, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}})
	srv := tlstest.NewServer(tlstest.ServerOptions{Certificate: leaf.FullChain()})
	defer srv.Close()
	res, err := Run(Config{
		Address: srv.Addr,
		TLS:     &tls.Config{RootCAs: other.Pool(), ServerName: "127.0.0.1"},
		// Two workers over 50 ms: a bounded number of refused handshakes.
		Concurrency: 2, Duration: 50 * time.Millisecond,
	})
	require.NoError(t, err)
	assert.Zero(t, res.Requests)
	assert.Positive(t, res.Errors)
	require.Len(t, res.FirstErrors, 1, "the same error is reported once")
	assert.Contains(t, res.FirstErrors[0].Error(), "handshake")
	assert.Contains(t, res.String(), "requests=0 ")
}

func TestRunRefusesBadConfig(t *testing.T) {
	good := &tls.Config{ServerName: "x"}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no TLS", Config{Address: "127.0.0.1:1", Duration: time.Second}, "required"},
		{"no duration", Config{Address: "127.0.0.1:1", TLS: good}, "required"},
		{"session cache", Config{Address: "127.0.0.1:1", Duration: time.Second,
			TLS: &tls.Config{ClientSessionCache: tls.NewLRUClientSessionCache(1)}}, "ClientSessionCache"},
		{"method", Config{Address: "127.0.0.1:1", Duration: time.Second, TLS: good, Method: "PUT"}, `method "PUT"`},
		{"GET body", Config{Address: "127.0.0.1:1", Duration: time.Second, TLS: good, BodySize: 3}, "POST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(tc.cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestRequestBytes(t *testing.T) {
	b, err := requestBytes(Config{Address: "127.0.0.1:8443", Method: "POST", BodySize: 5, Path: "/p?q=1"})
	require.NoError(t, err)
	assert.Equal(t, "POST /p?q=1 HTTP/1.1\r\nHost: 127.0.0.1:8443\r\nUser-Agent: e2etls-loadgen\r\nConnection: close\r\n"+
		"Content-Type: application/octet-stream\r\nContent-Length: 5\r\n\r\nxxxxx", string(b))
	b, err = requestBytes(Config{Address: "a:1", Host: "www.example.test"})
	require.NoError(t, err)
	assert.Equal(t, "GET / HTTP/1.1\r\nHost: www.example.test\r\nUser-Agent: e2etls-loadgen\r\nConnection: close\r\n\r\n", string(b))
}

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tc := range []struct {
		sorted []time.Duration
		p      int
		want   time.Duration
	}{
		{ms(7), 50, 7 * time.Millisecond},
		{ms(7), 99, 7 * time.Millisecond},
		{ms(1, 2), 50, 1 * time.Millisecond},
		{ms(1, 2), 99, 2 * time.Millisecond},
		{ms(hundred...), 50, 50 * time.Millisecond},
		{ms(hundred...), 99, 99 * time.Millisecond},
	} {
		assert.Equal(t, tc.want, percentile(tc.sorted, tc.p), "p%d of %v", tc.p, tc.sorted)
	}
}

func TestParseCurves(t *testing.T) {
	got, err := parseCurves("X25519, P256,X25519MLKEM768")
	require.NoError(t, err)
	assert.Equal(t, []tls.CurveID{tls.X25519, tls.CurveP256, tls.X25519MLKEM768}, got)
	_, err = parseCurves("X25519,secp256r1")
	require.ErrorContains(t, err, `unknown group "secp256r1"`)
}

func TestNewConfig(t *testing.T) {
	dir := t.TempDir()
	root := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	ca := dir + "/root.pem"
	require.NoError(t, os.WriteFile(ca, root.CertPEM(), 0o600))
	require.NoError(t, os.WriteFile(dir+"/bad.pem", []byte("no"), 0o600))

	cfg, err := newConfig("https://127.0.0.1:8443/a?b=1", ca, false, "", "", "X25519")
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:8443", cfg.Address)
	assert.Equal(t, "/a?b=1", cfg.Path)
	assert.Equal(t, "127.0.0.1:8443", cfg.Host)
	assert.Equal(t, "127.0.0.1", cfg.TLS.ServerName)
	assert.NotNil(t, cfg.TLS.RootCAs)
	assert.False(t, cfg.TLS.InsecureSkipVerify)
	assert.Nil(t, cfg.TLS.ClientSessionCache)

	cfg, err = newConfig("https://127.0.0.1:8443/", "", true, "www.example.test", "h", "P256")
	require.NoError(t, err)
	assert.True(t, cfg.TLS.InsecureSkipVerify)
	assert.Equal(t, "www.example.test", cfg.TLS.ServerName)
	assert.Equal(t, "h", cfg.Host)

	for _, tc := range []struct {
		url, ca string
		want    string
	}{
		{"", ca, "-url is required"},
		{"https://127.0.0.1:8443/", "", "-ca unless -insecure"},
		{"http://127.0.0.1:8443/", ca, "want https://host:port/path"},
		{"https://127.0.0.1/", ca, "want https://host:port/path"},
		{"https://127.0.0.1:8443/", dir + "/bad.pem", "no PEM certificate"},
		{"https://127.0.0.1:8443/", dir + "/none.pem", "no such file"},
	} {
		_, err := newConfig(tc.url, tc.ca, false, "", "", "X25519")
		assert.ErrorContains(t, err, tc.want, "%s %s", tc.url, tc.ca)
	}
}

func TestRunInsecureStillFullHandshakes(t *testing.T) {
	root := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	leaf := root.NewLeaf(tlstest.Options{KeyType: tlstest.ECDSAP256, DNSNames: []string{"elsewhere.test"}})
	srv := tlstest.NewServer(tlstest.ServerOptions{Certificate: leaf.FullChain()})
	defer srv.Close()
	var out, errOut bytes.Buffer
	code := run([]string{"-url", "https://" + srv.Addr + "/", "-insecure", "-c", "2", "-d", "100ms"}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	assert.Contains(t, out.String(), "errors=0 resumed=0 ")
	assert.Positive(t, srv.Handshakes())
	assert.Zero(t, srv.ResumedHandshakes())
}
