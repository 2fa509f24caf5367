package backendtls

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/e2etls/e2etls/backendtls/tlstest"
)

// Every fixture certificate is valid from notBefore to notAfter, and every
// Config's clock says now, so that messages with dates are deterministic.
var (
	notBefore = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	notAfter  = time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC)
	now       = time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)
)

func clock() time.Time { return now }

var versions = []struct {
	name    string
	version uint16
}{
	{"TLSv12", tls.VersionTLS12},
	{"TLSv13", tls.VersionTLS13},
}

// ec returns options for an ECDSA P-256 certificate named cn, valid over
// the fixture period, modified by mods.
func ec(cn string, mods ...func(*tlstest.Options)) tlstest.Options {
	o := tlstest.Options{CommonName: cn, KeyType: tlstest.ECDSAP256, NotBefore: notBefore, NotAfter: notAfter}
	for _, m := range mods {
		m(&o)
	}
	return o
}

// dns sets the DNS names.
func dns(names ...string) func(*tlstest.Options) {
	return func(o *tlstest.Options) { o.DNSNames = names }
}

// pki is the shared fixture: a root, an intermediate and a leaf for
// "backend.example" and 127.0.0.1, plus an unrelated root and leaf.
type pki struct {
	root, inter, leaf *tlstest.Cert
	otherRoot, other  *tlstest.Cert
}

func newPKI() pki {
	var p pki
	p.root = tlstest.NewRoot(ec("Test Root"))
	p.inter = p.root.NewIntermediate(ec("Test Intermediate"))
	p.leaf = p.inter.NewLeaf(ec("backend.example", dns("backend.example"), func(o *tlstest.Options) {
		o.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}))
	p.otherRoot = tlstest.NewRoot(ec("Other Root"))
	p.other = p.otherRoot.NewIntermediate(ec("Other Intermediate")).NewLeaf(ec("backend.example", dns("backend.example")))
	return p
}

// serve starts a tlstest server for the test, serving cert at exactly
// version (0: any).
func serve(t *testing.T, cert tls.Certificate, version uint16, mods ...func(*tlstest.ServerOptions)) *tlstest.Server {
	t.Helper()
	o := tlstest.ServerOptions{Name: "backend", Certificate: cert, MinVersion: version, MaxVersion: version}
	for _, m := range mods {
		m(&o)
	}
	s := tlstest.NewServer(o)
	t.Cleanup(s.Close)
	return s
}

// fetch makes one request to s with cfg's ClientConfig over a fresh
// connection and returns the echo, or the error net/http returned.
func fetch(t *testing.T, cfg *Config, s *tlstest.Server) (tlstest.Echo, error) {
	t.Helper()
	tlsCfg, err := cfg.ClientConfig()
	if err != nil {
		t.Fatalf("ClientConfig: %v", err)
	}
	return fetchWith(t, tlsCfg, s)
}

func fetchWith(t *testing.T, tlsCfg *tls.Config, s *tlstest.Server) (tlstest.Echo, error) {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: tlsCfg, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, err := c.Get(s.URL + "/")
	if err != nil {
		return tlstest.Echo{}, err
	}
	defer resp.Body.Close()
	var e tlstest.Echo
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatalf("decoding echo: %v", err)
	}
	return e, nil
}

func pool(certs ...*tlstest.Cert) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c.Certificate)
	}
	return p
}

func x509s(certs ...*tlstest.Cert) []*x509.Certificate {
	out := make([]*x509.Certificate, len(certs))
	for i, c := range certs {
		out[i] = c.Certificate
	}
	return out
}

// waitGoroutines fails t unless, within 5s, no more goroutines run than
// before.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
