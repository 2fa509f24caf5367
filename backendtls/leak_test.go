package backendtls

import (
	"context"
	"runtime"
	"testing"
)

// TestNoGoroutineLeak runs handshakes that pass and fail, through
// ClientConfig and Check, and checks that every goroutine ends.
func TestNoGoroutineLeak(t *testing.T) {
	p := newPKI()
	before := runtime.NumGoroutine()
	func() {
		s := serve(t, p.leaf.FullChain(), 0)
		defer s.Close()
		good := Config{ServerName: "backend.example", TrustedRootCertificates: x509s(p.root), Time: clock}
		bad := Config{ServerName: "other.example", TrustedRootCertificates: x509s(p.root), Time: clock}
		if _, err := fetch(t, &good, s); err != nil {
			t.Fatal(err)
		}
		if _, err := fetch(t, &bad, s); err == nil {
			t.Fatal("mismatched name accepted")
		}
		for _, cfg := range []Config{good, bad} {
			if _, err := Check(context.Background(), s.Addr, cfg); err != nil {
				t.Fatal(err)
			}
		}
	}()
	waitGoroutines(t, before)
}
