package certsource

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/backendtls/tlstest"
)

func ecLeaf(ca *tlstest.Cert, cn string) *tlstest.Cert {
	return ca.NewLeaf(tlstest.Options{CommonName: cn, DNSNames: []string{cn}, KeyType: tlstest.ECDSAP256})
}

func write(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// manual is Options for tests that poll by hand.
func manual(errs *[]error, reloads *int) Options {
	return Options{
		Interval: -1,
		OnError:  func(err error) { *errs = append(*errs, err) },
		OnReload: func() { *reloads++ },
	}
}

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func TestKeyPairRotation(t *testing.T) {
	ca := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	one, two := ecLeaf(ca, "one.example"), ecLeaf(ca, "two.example")
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	write(t, certFile, one.CertPEM())
	write(t, keyFile, one.KeyPEM())
	var errs []error
	var reloads int
	w, err := WatchKeyPair(certFile, keyFile, manual(&errs, &reloads))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cur, changed := w.Current()
	if cur.Leaf == nil || cur.Leaf.Subject.CommonName != "one.example" {
		t.Fatalf("initial value: %v", cur.Leaf)
	}
	if ok, err := w.Poll(); ok || err != nil {
		t.Fatalf("poll without change: %v, %v", ok, err)
	}

	// Written in two steps: the certificate first, which does not match
	// the old key. Nothing is reported, nothing changes.
	write(t, certFile, two.CertPEM())
	if ok, err := w.Poll(); ok || err != nil {
		t.Fatalf("half-written pair: %v, %v", ok, err)
	}
	if got, _ := w.Current(); got.Leaf.Subject.CommonName != "one.example" || closed(changed) {
		t.Fatal("a half-written pair was taken")
	}
	write(t, keyFile, two.KeyPEM())
	if ok, err := w.Poll(); !ok || err != nil {
		t.Fatalf("completed pair: %v, %v", ok, err)
	}
	if !closed(changed) {
		t.Error("the old value's channel is still open")
	}
	cur, changed2 := w.Current()
	if cur.Leaf.Subject.CommonName != "two.example" || closed(changed2) {
		t.Fatalf("new value %v", cur.Leaf.Subject)
	}
	s := w.Stats()
	if s.Reloads != 1 || s.Failures != 0 || reloads != 1 || len(errs) != 0 {
		t.Errorf("stats %+v, %d reloads, errors %v", s, reloads, errs)
	}
	// The value serves TLS.
	if _, err := cur.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: "two.example"}); err != nil {
		t.Error(err)
	}
	var _ tls.Certificate = *cur
}

func TestBadVersionReportedOnceAndKeptOut(t *testing.T) {
	ca := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	dir := t.TempDir()
	file := filepath.Join(dir, "ca.pem")
	write(t, file, ca.CertPEM())
	var errs []error
	var reloads int
	w, err := WatchCertificates(manual(&errs, &reloads), file)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var rep Reporter = w
	n0, failed, last := rep.Failures()
	if n0 != 0 || last != nil || failed == nil {
		t.Fatalf("Failures before any: %d, %v", n0, last)
	}
	_, changed := w.Current()

	write(t, file, []byte("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"))
	if ok, err := w.Poll(); ok || err != nil {
		t.Fatalf("first sight of a bad version: %v, %v (it must wait one poll)", ok, err)
	}
	select {
	case <-failed:
		t.Fatal("Failures signalled before the bad version was reported")
	default:
	}
	ok, err := w.Poll()
	select {
	case <-failed:
	default:
		t.Fatal("the report did not close the channel of Failures")
	}
	select {
	case <-changed:
		t.Fatal("a bad version closed the channel of Current")
	default:
	}
	if n, next, last := rep.Failures(); n != 1 || last == nil || last.Error() != err.Error() || next == failed {
		t.Fatalf("Failures after the report: %d, %v", n, last)
	}
	if ok || err == nil || !strings.HasPrefix(err.Error(), "certsource: reloading "+file+": "+file+": ") || !strings.HasSuffix(err.Error(), "(the previous version stays in force)") {
		t.Fatalf("second sight: %v, %v", ok, err)
	}
	if ok, err := w.Poll(); ok || err != nil {
		t.Fatalf("third sight: %v, %v; want no second report", ok, err)
	}
	if s := w.Stats(); s.Failures != 1 || s.LastError == nil || len(errs) != 1 {
		t.Errorf("stats %+v, errors %v", s, errs)
	}
	if got, _ := w.Current(); len(got) != 1 || !got[0].Equal(ca.Certificate) {
		t.Fatal("the bad version replaced the old one")
	}

	// Deleted, then restored as it was: the deletion is reported, the
	// restoration is no change.
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	w.Poll()
	if _, err := w.Poll(); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("deleted file: %v", err)
	}
	write(t, file, ca.CertPEM())
	if ok, err := w.Poll(); ok || err != nil {
		t.Fatalf("restored: %v, %v", ok, err)
	}
	other := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	write(t, file, append(other.CertPEM(), ca.CertPEM()...))
	if ok, err := w.Poll(); !ok || err != nil {
		t.Fatalf("good version: %v, %v", ok, err)
	}
	if s := w.Stats(); s.LastError != nil || s.Reloads != 1 || s.Failures != 2 {
		t.Errorf("stats %+v", s)
	}
}

// TestKubernetesSymlinkSwap updates files the way the kubelet updates a
// mounted Secret: the files are links into ..data, a link to a
// timestamped directory, which is replaced by renaming a new link over it.
func TestKubernetesSymlinkSwap(t *testing.T) {
	ca := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	one, two := ecLeaf(ca, "one.example"), ecLeaf(ca, "two.example")
	dir := t.TempDir()
	version := func(name string, c *tlstest.Cert) {
		d := filepath.Join(dir, name)
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(d, "tls.crt"), c.CertPEM())
		write(t, filepath.Join(d, "tls.key"), c.KeyPEM())
		if err := os.Symlink(name, filepath.Join(dir, "..data_tmp")); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	version("..2026_01_01", one)
	for _, f := range []string{"tls.crt", "tls.key"} {
		if err := os.Symlink(filepath.Join("..data", f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	var errs []error
	var reloads int
	w, err := WatchKeyPair(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), manual(&errs, &reloads))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	version("..2026_02_01", two)
	if ok, err := w.Poll(); !ok || err != nil {
		t.Fatalf("after the swap: %v, %v", ok, err)
	}
	if cur, _ := w.Current(); cur.Leaf.Subject.CommonName != "two.example" {
		t.Fatalf("value %v", cur.Leaf.Subject)
	}
}

// TestInPlaceRewriteSameSizeAndTime: a file rewritten in place, with the
// same size and modification time, soon after it was read, is still seen
// (its stat is too recent to be trusted).
func TestInPlaceRewriteSameSizeAndTime(t *testing.T) {
	a, b := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256}), tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	pa, pb := a.CertPEM(), b.CertPEM()
	for len(pa) != len(pb) { // same size, so that only the contents differ
		b = tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
		pb = b.CertPEM()
	}
	file := filepath.Join(t.TempDir(), "ca.pem")
	write(t, file, pa)
	info, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	var errs []error
	var reloads int
	w, err := WatchCertificates(manual(&errs, &reloads), file)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	f, err := os.OpenFile(file, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(pb, 0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Chtimes(file, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	if ok, err := w.Poll(); !ok || err != nil {
		t.Fatalf("in-place rewrite: %v, %v", ok, err)
	}
	if got, _ := w.Current(); !got[0].Equal(b.Certificate) {
		t.Fatal("old value kept")
	}
}

// TestPollingGoroutine: with an interval, changes arrive by themselves,
// and Close ends the goroutine.
func TestPollingGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	ca := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	crlFile := filepath.Join(t.TempDir(), "ca.crl")
	write(t, crlFile, tlstest.CRLPEM(ca.NewCRL(tlstest.CRLOptions{Number: 1})))
	var reloads atomic.Int64
	w, err := WatchCRLs(Options{Interval: 20 * time.Millisecond, OnReload: func() { reloads.Add(1) }}, crlFile)
	if err != nil {
		t.Fatal(err)
	}
	crls, changed := w.Current()
	if len(crls) != 1 || crls[0].Number.Int64() != 1 {
		t.Fatalf("initial CRLs %v", crls)
	}
	write(t, crlFile, ca.NewCRL(tlstest.CRLOptions{Number: 2}).Raw) // DER this time
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := WaitAny(ctx, nil, changed); err != nil {
		t.Fatalf("no change seen: %v", err)
	}
	if crls, _ := w.Current(); crls[0].Number.Int64() != 2 || reloads.Load() != 1 {
		t.Fatalf("CRLs %v, %d reloads", crls, reloads.Load())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: %d before, %d after Close", before, runtime.NumGoroutine())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWatchErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pem")
	empty := filepath.Join(dir, "empty.pem")
	write(t, empty, nil)
	junk := filepath.Join(dir, "junk.pem")
	write(t, junk, []byte("junk"))
	key := filepath.Join(dir, "key.pem")
	write(t, key, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"no files", func() error { _, err := WatchCertificates(Options{}); return err }(), "certsource: no file to watch"},
		{"nil parse", func() error { _, err := Watch[int](nil, Options{}, empty); return err }(), "certsource: nil parse function"},
		{"missing", func() error { _, err := WatchCertificates(Options{}, missing); return err }(), "certsource: open " + missing + ": no such file or directory"},
		{"empty", func() error { _, err := WatchCertificates(Options{}, empty); return err }(), "certsource: loading " + empty + ": " + empty + ": backendtls: no certificate data: the input is empty"},
		{"junk", func() error { _, err := WatchCertificates(Options{}, junk); return err }(), "certsource: loading " + junk + ": " + junk + ": backendtls: base64 input is not a valid certificate"},
		{"junk CRL", func() error { _, err := WatchCRLs(Options{}, junk); return err }(), "certsource: loading " + junk + ": " + junk + ": revocation: neither PEM nor a DER CRL: "},
		{"bad pair", func() error { _, err := WatchKeyPair(junk, key, Options{}); return err }(), "certsource: loading " + junk + ", " + key + ": certificate " + junk + " and key " + key + ": tls: "},
		{"wrong count", func() error { _, err := Watch(parseKeyPair, Options{}, junk); return err }(), "certsource: loading " + junk + ": a key pair needs a certificate file and a key file, not 1 files"},
	} {
		if tc.err == nil || !strings.HasPrefix(tc.err.Error(), tc.want) {
			t.Errorf("%s: %v; want %q...", tc.name, tc.err, tc.want)
		}
	}
}

// TestPrivateKeyIsNotTrustMaterial: a key file given as a CA bundle is
// refused, as backendtls refuses it.
func TestPrivateKeyIsNotTrustMaterial(t *testing.T) {
	ca := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	file := filepath.Join(t.TempDir(), "ca.pem")
	write(t, file, ca.KeyPEM())
	if _, err := WatchCertificates(Options{}, file); !errors.Is(err, backendtls.ErrPrivateKey) {
		t.Fatalf("%v; want backendtls.ErrPrivateKey", err)
	}
}

func TestStaticAndWaitAny(t *testing.T) {
	s := Static(42)
	v, ch := s.Current()
	if v != 42 || ch != nil {
		t.Fatalf("%v %v", v, ch)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := WaitAny(ctx, ch, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitAny on a static source: %v", err)
	}
	c := make(chan struct{})
	close(c)
	if err := WaitAny(context.Background(), ch, c); err != nil {
		t.Fatal(err)
	}
	var _ Source[int] = s
	var _ Source[*tls.Certificate] = (*Watcher[*tls.Certificate])(nil)
}

func TestFilesAndDER(t *testing.T) {
	ca := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	inter := ca.NewIntermediate(tlstest.Options{KeyType: tlstest.ECDSAP256})
	dir := t.TempDir()
	a, b := filepath.Join(dir, "root.cer"), filepath.Join(dir, "chain.pem")
	write(t, a, ca.Certificate.Raw)
	write(t, b, append(inter.CertPEM(), ca.CertPEM()...))
	w, err := WatchCertificates(Options{Interval: -1}, a, b)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	got, _ := w.Current()
	if len(got) != 3 || !got[0].Equal(ca.Certificate) || !got[1].Equal(inter.Certificate) {
		t.Fatalf("certificates %v", got)
	}
	if f := w.Files(); len(f) != 2 || f[0] != a {
		t.Errorf("Files = %v", f)
	}
}
