package main

import (
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls/tlstest"
)

func TestMeasureHoldsConnections(t *testing.T) {
	root := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	leaf := root.NewLeaf(tlstest.Options{KeyType: tlstest.ECDSAP256, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}})
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			srv := tlstest.NewServer(tlstest.ServerOptions{
				Certificate: leaf.FullChain(), MaxVersion: version,
				Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }),
			})
			defer srv.Close()
			res, err := Measure(Config{
				Address: srv.Addr, PID: os.Getpid(), Conns: 40, Parallel: 4,
				TLS: &tls.Config{RootCAs: root.Pool(), ServerName: "127.0.0.1"},
			})
			require.NoError(t, err)
			assert.Equal(t, 40, res.Conns)
			assert.Equal(t, 40, srv.Handshakes(), "one handshake per held connection")
			assert.Positive(t, res.RSSBefore)
			assert.Positive(t, res.RSSAfter)
			assert.Contains(t, res.String(), "conns=40 ")
		})
	}
}

func TestMeasureReportsRefusal(t *testing.T) {
	root := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	leaf := root.NewLeaf(tlstest.Options{KeyType: tlstest.ECDSAP256, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}})
	srv := tlstest.NewServer(tlstest.ServerOptions{
		Certificate: leaf.FullChain(),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Connection", "close")
			w.Write([]byte("bye"))
		}),
	})
	defer srv.Close()
	_, err := Measure(Config{
		Address: srv.Addr, PID: os.Getpid(), Conns: 5, Parallel: 2, Settle: time.Millisecond,
		TLS: &tls.Config{RootCAs: root.Pool(), ServerName: "127.0.0.1"},
	})
	require.ErrorContains(t, err, "closed the connection")
}

func TestParseRSS(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    int64
		wantErr string
	}{
		{"Name:\tx\nVmHWM:\t  900 kB\nVmRSS:\t  812 kB\nThreads: 3\n", 812, ""},
		{"VmRSS:\t12 MB\n", 0, "want"},
		{"Name:\tx\n", 0, "no VmRSS"},
	} {
		got, err := parseRSS(tc.in)
		if tc.wantErr != "" {
			assert.ErrorContains(t, err, tc.wantErr)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.want, got)
	}
}
