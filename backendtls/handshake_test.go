package backendtls

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"testing"

	"github.com/e2etls/e2etls/backendtls/tlstest"
)

func TestHandshakeFunc(t *testing.T) {
	p := newPKI()
	clientRoot := tlstest.NewRoot(ec("Client Root"))
	gatewayCert := clientRoot.NewLeaf(ec("gateway", func(o *tlstest.Options) {
		o.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}))
	requireClientCert := func(o *tlstest.ServerOptions) { o.ClientCAs = clientRoot.Pool() }
	base := Config{ServerName: "backend.example", TrustedRootCertificates: x509s(p.root), Time: clock}
	withCert := base
	withCert.ClientCertificates = []tls.Certificate{gatewayCert.FullChain()}

	tests := []struct {
		name    string
		version uint16
		server  func(*tlstest.ServerOptions)
		cfg     Config
		want    Reason // 0: success
		onRead  Reason // for success: the reason the first read fails with, 0 for none
	}{
		{name: "TLS 1.2 success", version: tls.VersionTLS12, cfg: base},
		{name: "TLS 1.3 success", version: tls.VersionTLS13, cfg: base},
		{name: "TLS 1.2 client certificate presented", version: tls.VersionTLS12, server: requireClientCert, cfg: withCert},
		{name: "TLS 1.2 client certificate missing", version: tls.VersionTLS12, server: requireClientCert, cfg: base, want: ReasonHandshake},
		{name: "TLS 1.3 client certificate missing", version: tls.VersionTLS13, server: requireClientCert, cfg: base, onRead: ReasonHandshake},
		{name: "verification failure", version: tls.VersionTLS13, cfg: Config{ServerName: "other.example", TrustedRootCertificates: x509s(p.root), Time: clock},
			want: ReasonHostnameMismatch},
		{name: "policy", version: 0, server: func(o *tlstest.ServerOptions) { o.MinVersion, o.MaxVersion = tls.VersionTLS10, tls.VersionTLS11 },
			cfg: base, want: ReasonPolicy},
		{name: "policy, suite", version: 0, server: func(o *tlstest.ServerOptions) {
			o.MaxVersion, o.CipherSuites = tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305}
		}, cfg: base, want: ReasonPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mods []func(*tlstest.ServerOptions)
			if tt.server != nil {
				mods = append(mods, tt.server)
			}
			s := serve(t, p.leaf.FullChain(), tt.version, mods...)
			tlsCfg, err := tt.cfg.ClientConfig()
			if err != nil {
				t.Fatal(err)
			}
			conn, err := net.Dial("tcp", s.Addr)
			if err != nil {
				t.Fatal(err)
			}
			tc, err := Handshake(context.Background(), conn, tlsCfg)
			if tt.want != 0 {
				if r, _ := ReasonOf(err); r != tt.want {
					t.Fatalf("Handshake: %v; want %v", err, tt.want)
				}
				var ve *VerificationError
				errors.As(err, &ve)
				if ve.ServerName != "backend.example" && ve.ServerName != "other.example" {
					t.Errorf("ServerName = %q", ve.ServerName)
				}
				if _, werr := conn.Write([]byte{0}); werr == nil {
					t.Errorf("conn still open after a failed Handshake")
				}
				return
			}
			if err != nil {
				t.Fatalf("Handshake: %v", err)
			}
			defer tc.Close()
			if _, err := io.WriteString(tc, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil && tt.onRead == 0 {
				t.Fatal(err)
			}
			_, err = io.ReadAll(tc)
			if tt.onRead == 0 {
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				return
			}
			if r, _ := ReasonOf(ClassifyHandshakeError(err)); r != tt.onRead {
				t.Fatalf("first read: %v; want %v", err, tt.onRead)
			}
		})
	}
}
