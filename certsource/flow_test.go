package certsource_test

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/certsource"
	"github.com/e2etls/e2etls/clientauth"
)

// TestGatewayReloadFlow runs the loop the gateway runs for a listener
// whose client CRLs come from a file: build from the sources' current
// values, swap atomically, wait for a change; a new value that the build
// refuses (a CRL of another CA) keeps the previous configuration and is
// counted.
func TestGatewayReloadFlow(t *testing.T) {
	before := runtime.NumGoroutine()
	ec := tlstest.Options{KeyType: tlstest.ECDSAP256}
	root := tlstest.NewRoot(ec)
	inter := root.NewIntermediate(ec)
	alice, bob := inter.NewClientLeaf(ec), inter.NewClientLeaf(ec)
	crlFile := filepath.Join(t.TempDir(), "clients.crl")
	writeCRL := func(data []byte) {
		t.Helper()
		tmp := crlFile + ".tmp" // write and rename, as careful tools do
		if err := os.WriteFile(tmp, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, crlFile); err != nil {
			t.Fatal(err)
		}
	}
	writeCRL(tlstest.CRLPEM(inter.NewCRL(tlstest.CRLOptions{Number: 1})))

	crls, err := certsource.WatchCRLs(certsource.Options{Interval: 10 * time.Millisecond}, crlFile)
	if err != nil {
		t.Fatal(err)
	}
	var (
		current  atomic.Pointer[clientauth.Verifier]
		rebuilds atomic.Int64 // successful builds
		refused  atomic.Int64 // builds refused: the old configuration stays
	)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			list, changed := crls.Current()
			v, err := clientauth.New(clientauth.Config{
				TrustedClientCertificates: [][]*x509.Certificate{{root.Certificate, inter.Certificate}},
				CRLs:                      list,
			})
			if err != nil {
				refused.Add(1) // the gateway logs err and counts it in its reload metric
			} else {
				current.Store(v)
				rebuilds.Add(1)
			}
			if certsource.WaitAny(ctx, changed) != nil {
				return
			}
		}
	})
	verified := func(c *tlstest.Cert) bool {
		v := current.Load()
		return v != nil && v.VerifyCertificates(context.Background(), []*x509.Certificate{c.Certificate}).Verified
	}
	eventually := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	eventually("the first build", func() bool { return verified(alice) && verified(bob) })
	writeCRL(tlstest.CRLPEM(inter.NewCRL(tlstest.CRLOptions{Number: 2, Revoked: []tlstest.Revoked{{Cert: alice}}})))
	eventually("alice's revocation to take effect", func() bool { return !verified(alice) })
	if !verified(bob) {
		t.Fatal("bob refused")
	}
	good := current.Load()

	// A CRL of another CA parses, but the build refuses it.
	writeCRL(tlstest.CRLPEM(tlstest.NewRoot(ec).NewCRL(tlstest.CRLOptions{Number: 3})))
	eventually("the bad CRL to be refused", func() bool { return refused.Load() == 1 })
	if current.Load() != good || verified(alice) || !verified(bob) {
		t.Fatal("a refused build replaced the configuration")
	}
	if rebuilds.Load() != 2 {
		t.Errorf("%d builds; want 2", rebuilds.Load())
	}

	cancel()
	wg.Wait()
	if err := crls.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: %d before, %d after", before, runtime.NumGoroutine())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
