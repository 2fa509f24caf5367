package backendtls

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/policy"
)

// statuses renders a report's checks as "name=status ...".
func statuses(r *Report) string {
	var parts []string
	for _, c := range r.Checks {
		parts = append(parts, c.Name+"="+c.Status.String())
	}
	return strings.Join(parts, " ")
}

func TestCheck(t *testing.T) {
	p := newPKI()
	clientRoot := tlstest.NewRoot(ec("Client Root"))
	gatewayCert := clientRoot.NewLeaf(ec("gateway", func(o *tlstest.Options) {
		o.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}))
	requireClientCert := func(o *tlstest.ServerOptions) { o.ClientCAs = clientRoot.Pool() }
	chain := Config{ServerName: "backend.example", TrustedRootCertificates: x509s(p.root), Time: clock}
	with := func(c Config, f func(*Config)) Config { f(&c); return c }

	tests := []struct {
		name     string
		version  uint16
		server   []func(*tlstest.ServerOptions)
		cfg      Config
		want     Reason // 0: OK
		statuses string
		chainLen int
	}{
		{
			name: "passes", cfg: chain, chainLen: 2,
			statuses: "policy=pass key=pass signature=pass key-usage=pass validity=pass chain=pass identity=pass pins=skipped authentication-certificates=skipped custom=skipped",
		},
		{
			name: "passes with pins and custom verifier", chainLen: 2,
			cfg: with(chain, func(c *Config) {
				c.PinnedPublicKeys = []Pin{PinOf(p.leaf.Certificate)}
				c.Verifier = VerifyMinimums()
			}),
			statuses: "policy=pass key=pass signature=pass key-usage=pass validity=pass chain=pass identity=pass pins=pass authentication-certificates=skipped custom=pass",
		},
		{
			name: "reports every failure", want: ReasonHostnameMismatch, chainLen: 2,
			cfg: with(chain, func(c *Config) {
				c.ServerName = "other.example"
				c.AuthenticationCertificates = x509s(p.other)
				c.Verifier = VerifyMinimums()
			}),
			statuses: "policy=pass key=pass signature=pass key-usage=pass validity=pass chain=pass identity=fail pins=skipped authentication-certificates=fail custom=skipped",
		},
		{
			name: "policy refused", want: ReasonPolicy, cfg: chain,
			server:   []func(*tlstest.ServerOptions){func(o *tlstest.ServerOptions) { o.MinVersion, o.MaxVersion = tls.VersionTLS10, tls.VersionTLS11 }},
			statuses: "policy=fail key=skipped signature=skipped key-usage=skipped validity=skipped chain=skipped identity=skipped pins=skipped authentication-certificates=skipped custom=skipped",
		},
		{
			name: "client certificate required, TLS 1.2", version: tls.VersionTLS12, want: ReasonHandshake, cfg: chain, chainLen: 2,
			server:   []func(*tlstest.ServerOptions){requireClientCert},
			statuses: "policy=pass key=pass signature=pass key-usage=pass validity=pass chain=pass identity=pass pins=skipped authentication-certificates=skipped custom=skipped",
		},
		{
			name: "client certificate required, TLS 1.3", version: tls.VersionTLS13, want: ReasonHandshake, cfg: chain, chainLen: 2,
			server:   []func(*tlstest.ServerOptions){requireClientCert},
			statuses: "policy=pass key=pass signature=pass key-usage=pass validity=pass chain=pass identity=pass pins=skipped authentication-certificates=skipped custom=skipped",
		},
		{
			name: "client certificate accepted, TLS 1.3", version: tls.VersionTLS13, chainLen: 2,
			cfg:      with(chain, func(c *Config) { c.ClientCertificates = []tls.Certificate{gatewayCert.FullChain()} }),
			server:   []func(*tlstest.ServerOptions){requireClientCert},
			statuses: "policy=pass key=pass signature=pass key-usage=pass validity=pass chain=pass identity=pass pins=skipped authentication-certificates=skipped custom=skipped",
		},
		{
			name: "insecure", cfg: Config{InsecureSkipVerify: true}, chainLen: 2,
			statuses: "policy=skipped key=skipped signature=skipped key-usage=skipped validity=skipped chain=skipped identity=skipped pins=skipped authentication-certificates=skipped custom=skipped",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := serve(t, p.leaf.FullChain(), tt.version, tt.server...)
			r, err := Check(context.Background(), s.Addr, tt.cfg)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if got := statuses(r); got != tt.statuses {
				t.Errorf("checks:\n got %s\nwant %s", got, tt.statuses)
			}
			if len(r.Chain) != tt.chainLen {
				t.Errorf("%d certificates in the chain; want %d", len(r.Chain), tt.chainLen)
			}
			if tt.want == 0 {
				if !r.OK() {
					t.Fatalf("report not OK: %v\n%s", r.Err, r)
				}
				return
			}
			if reason, _ := ReasonOf(r.Err); r.OK() || reason != tt.want {
				t.Fatalf("Err = %v; want %v\n%s", r.Err, tt.want, r)
			}
			for _, c := range r.Checks {
				if c.Status == Fail && (c.Detail == "" || c.Fix == "") {
					t.Errorf("failed check %s lacks detail or fix: %+v", c.Name, c)
				}
			}
		})
	}
}

// TestCheckReport pins the whole text of a report.
func TestCheckReport(t *testing.T) {
	p := newPKI()
	s := serve(t, p.leaf.FullChain(), tls.VersionTLS13)
	r, err := Check(context.Background(), s.Addr, Config{
		ServerName: "front.example", Identity: "backend.example",
		TrustedRootCertificates: x509s(p.root), PinnedPublicKeys: []Pin{PinOf(p.other.Certificate)}, Time: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	pin := PinOf(p.leaf.Certificate).String()
	want := fmt.Sprintf(`backend %[1]s: FAILED (pin-mismatch)
  SNI "front.example", identity "backend.example"
  negotiated TLSv1_3, %[4]s
  certificate 0: CN=backend.example
    issuer CN=Test Intermediate; valid 2025-01-01T00:00:00Z to 2035-01-01T00:00:00Z
    names DNS:backend.example, IP:127.0.0.1
    key %[2]s
  certificate 1: CN=Test Intermediate
    issuer CN=Test Root; valid 2025-01-01T00:00:00Z to 2035-01-01T00:00:00Z
    key %[3]s; CA
  pass    policy                      TLSv1_3 with %[4]s is allowed by the policy
  pass    key                         ECDSA key on P-256
  pass    signature                   signed with ECDSA-SHA256
  pass    key-usage                   extended key usages [serverAuth] allow server authentication
  pass    validity                    valid from 2025-01-01T00:00:00Z to 2035-01-01T00:00:00Z
  pass    chain                       "CN=backend.example" <- "CN=Test Intermediate" <- "CN=Test Root" ends at a trusted root
  pass    identity                    valid for "backend.example" (certificate names: DNS:backend.example, IP:127.0.0.1)
  fail    pins                        backend certificate "CN=backend.example" has public key %[2]s, which is not among the 1 pinned keys
                                      fix: if the backend's key changed on purpose, add this pin next to the old one until every backend has rotated; otherwise this is not the expected backend
  skipped authentication-certificates not checked: no AuthenticationCertificates
  skipped custom                      not checked: no custom Verifier
  error: backendtls: backend "backend.example" (SNI "front.example"): backend certificate "CN=backend.example" has public key %[2]s, which is not among the 1 pinned keys; if the backend's key changed on purpose, add this pin next to the old one until every backend has rotated; otherwise this is not the expected backend
`, s.Addr, pin, PinOf(p.inter.Certificate), policy.CipherSuiteName(r.CipherSuite))
	if got := r.String(); got != want {
		t.Errorf("report:\n%s\nwant:\n%s", got, want)
	}
	if r.Address != s.Addr || r.ServerName != "front.example" || r.Identity != "backend.example" || r.Version != tls.VersionTLS13 {
		t.Errorf("report fields: %+v", r)
	}
}

func TestCheckErrors(t *testing.T) {
	p := newPKI()
	valid := Config{ServerName: "backend.example", TrustedRootCertificates: x509s(p.root), Time: clock}

	// A port with nothing listening.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	if r, err := Check(context.Background(), closed, valid); err == nil || r != nil || !strings.HasPrefix(err.Error(), "backendtls: connecting to "+closed+": ") {
		t.Errorf("Check(closed port) = %v, %v", r, err)
	}

	if r, err := Check(context.Background(), closed, Config{}); err == nil || r != nil || !strings.HasPrefix(err.Error(), "backendtls: no backend identity") {
		t.Errorf("Check(invalid Config) = %v, %v", r, err)
	}

	s := serve(t, p.leaf.FullChain(), 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r, err := Check(ctx, s.Addr, valid); err == nil || r != nil {
		t.Errorf("Check(cancelled) = %v, %v", r, err)
	}

	// A backend that speaks plain HTTP.
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	r, err := Check(context.Background(), plain.Listener.Addr().String(), valid)
	if err != nil {
		t.Fatal(err)
	}
	if reason, _ := ReasonOf(r.Err); reason != ReasonHandshake || !strings.Contains(r.Err.Error(), "did not answer with TLS") {
		t.Errorf("plain HTTP backend: %v", r.Err)
	}
}

func TestCheckStatusString(t *testing.T) {
	for s, want := range map[CheckStatus]string{Pass: "pass", Fail: "fail", Skipped: "skipped", 0: "CheckStatus(0)"} {
		if got := s.String(); got != want {
			t.Errorf("CheckStatus(%d).String() = %q; want %q", int(s), got, want)
		}
	}
}
