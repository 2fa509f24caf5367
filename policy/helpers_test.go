package policy

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"
)

// testServerName is the DNS name in both test certificates.
const testServerName = "policy.test"

// testPKI holds two self-signed server certificates, minted in memory once per test
// binary, and a pool that trusts both.
type testPKI struct {
	rsa, ecdsa tls.Certificate
	roots      *x509.CertPool
}

var (
	pkiOnce sync.Once
	pki     testPKI
	pkiErr  error
)

// certs returns the shared test certificates: an RSA-2048 and an ECDSA P-256 one.
func certs(t testing.TB) *testPKI {
	t.Helper()
	pkiOnce.Do(func() {
		rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			pkiErr = err
			return
		}
		ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			pkiErr = err
			return
		}
		pki.roots = x509.NewCertPool()
		if pki.rsa, pkiErr = selfSigned(rsaKey, 1, pki.roots); pkiErr != nil {
			return
		}
		pki.ecdsa, pkiErr = selfSigned(ecKey, 2, pki.roots)
	})
	if pkiErr != nil {
		t.Fatalf("minting test certificates: %v", pkiErr)
	}
	return &pki
}

func selfSigned(key crypto.Signer, serial int64, roots *x509.CertPool) (tls.Certificate, error) {
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: testServerName},
		DNSNames:              []string{testServerName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// withServerCerts returns cfg with both test certificates installed; crypto/tls picks
// the one the client's suites and signature algorithms support.
func withServerCerts(t testing.TB, cfg *tls.Config) *tls.Config {
	p := certs(t)
	cfg.Certificates = []tls.Certificate{p.rsa, p.ecdsa}
	return cfg
}

// withClientTrust returns cfg trusting both test certificates for testServerName.
func withClientTrust(t testing.TB, cfg *tls.Config) *tls.Config {
	cfg.RootCAs = certs(t).roots
	cfg.ServerName = testServerName
	return cfg
}

// outcome is what one loopback handshake produced on each side.
type outcome struct {
	state     tls.ConnectionState // the client's view; valid when clientErr is nil
	clientErr error
	serverErr error
}

// handshakeTimeout bounds every handshake, so a broken test fails instead of hanging.
const handshakeTimeout = 10 * time.Second

// handshake runs one real TLS handshake over TCP on 127.0.0.1 between a server and a
// client, and returns when both sides have finished.
func handshake(t testing.TB, server, client *tls.Config) outcome {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	serverDone := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			serverDone <- err
			return
		}
		defer c.Close()
		if err := c.SetDeadline(time.Now().Add(handshakeTimeout)); err != nil {
			serverDone <- err
			return
		}
		serverDone <- tls.Server(c, server).Handshake()
	}()

	var out outcome
	conn, err := net.DialTimeout("tcp", ln.Addr().String(), handshakeTimeout)
	if err != nil {
		ln.Close() // unblocks Accept, so the server goroutine ends
		<-serverDone
		t.Fatal(err)
	}
	if err := conn.SetDeadline(time.Now().Add(handshakeTimeout)); err != nil {
		out.clientErr = err
	} else {
		tc := tls.Client(conn, client)
		out.clientErr = tc.Handshake()
		out.state = tc.ConnectionState()
	}
	conn.Close()
	out.serverErr = <-serverDone
	return out
}

// checkGoroutines fails the test if it leaves more goroutines running than it found,
// after a bounded wait for goroutines that are already on their way out.
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		n := runtime.NumGoroutine()
		for n > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
			n = runtime.NumGoroutine()
		}
		if n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("goroutines: %d before, %d after\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
	})
}

// wantErrorText fails the test unless err is non-nil with exactly the message want.
func wantErrorText(t testing.TB, err error, want string) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("error = nil; want %q", want)
	case err.Error() != want:
		t.Errorf("error =\n\t%s\nwant\n\t%s", err, want)
	}
}
