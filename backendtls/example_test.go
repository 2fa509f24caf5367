package backendtls_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/backendtls/tlstest"
)

// A custom Verifier runs after the built-in checks (chain, identity,
// minimums) have passed, so it checks only what they do not: here, the
// backend's SPIFFE ID.
func ExampleConfig_customVerifier() {
	root := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	id, _ := url.Parse("spiffe://example.org/payments")
	leaf := root.NewLeaf(tlstest.Options{
		KeyType:  tlstest.ECDSAP256,
		DNSNames: []string{"payments.internal"},
		URIs:     []*url.URL{id},
	})
	backend := tlstest.NewServer(tlstest.ServerOptions{Certificate: leaf.FullChain()})
	defer backend.Close()

	requireSPIFFEID := func(want string) backendtls.Verifier {
		return backendtls.VerifierFunc(func(cs tls.ConnectionState) error {
			for _, u := range cs.PeerCertificates[0].URIs {
				if u.String() == want {
					return nil
				}
			}
			return fmt.Errorf("SPIFFE ID %s not found", want)
		})
	}

	for _, want := range []string{"spiffe://example.org/payments", "spiffe://example.org/billing"} {
		cfg := backendtls.Config{
			ServerName:              "payments.internal",
			TrustedRootCertificates: []*x509.Certificate{root.Certificate},
			Verifier:                requireSPIFFEID(want),
		}
		tlsConfig, err := cfg.ClientConfig()
		if err != nil {
			fmt.Println(err)
			return
		}
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig}}
		resp, err := client.Get(backend.URL)
		client.CloseIdleConnections()
		if err != nil {
			reason, _ := backendtls.ReasonOf(err)
			var ve *backendtls.VerificationError
			errors.As(err, &ve)
			fmt.Printf("%s: refused (%v): %v\n", want, reason, ve)
			continue
		}
		resp.Body.Close()
		fmt.Printf("%s: %s\n", want, resp.Status)
	}
	// Output:
	// spiffe://example.org/payments: 200 OK
	// spiffe://example.org/billing: refused (custom): backendtls: backend "payments.internal": custom verifier refused the backend: SPIFFE ID spiffe://example.org/billing not found
}

// Check dry-runs a Config against a live backend and reports every check.
func ExampleCheck() {
	root := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	inter := root.NewIntermediate(tlstest.Options{CommonName: "Issuing CA", KeyType: tlstest.ECDSAP256})
	leaf := inter.NewLeaf(tlstest.Options{KeyType: tlstest.ECDSAP256, DNSNames: []string{"api.internal"}})
	// The backend forgets to send its intermediate.
	backend := tlstest.NewServer(tlstest.ServerOptions{Certificate: leaf.TLSCertificate()})
	defer backend.Close()

	report, err := backendtls.Check(context.Background(), backend.Addr, backendtls.Config{
		ServerName:              "api.internal",
		TrustedRootCertificates: []*x509.Certificate{root.Certificate},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("ok:", report.OK())
	for _, c := range report.Checks {
		fmt.Printf("%-8s %s\n", c.Status, c.Name)
	}
	for _, c := range report.Checks {
		if c.Status == backendtls.Fail {
			fmt.Println("fix:", c.Fix)
		}
	}
	// Output:
	// ok: false
	// pass     policy
	// pass     key
	// pass     signature
	// pass     key-usage
	// pass     validity
	// fail     chain
	// pass     identity
	// skipped  pins
	// skipped  authentication-certificates
	// skipped  custom
	// fix: configure the backend to send its full chain (leaf, then intermediates); if "CN=Issuing CA" is a root, add it to TrustedRootCertificates
}

func ExampleParsePin() {
	pin, err := backendtls.ParsePin("sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(pin)
	_, err = backendtls.ParsePin("sha1/2jmj7l5rSw0yVb/vlWAYkK/YBwk=")
	fmt.Println(err)
	// Output:
	// sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
	// backendtls: pin "sha1/2jmj7l5rSw0yVb/vlWAYkK/YBwk=": unsupported hash "sha1", want "sha256/<base64>" or 64 hexadecimal digits
}
