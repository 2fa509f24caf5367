package clientauth_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/url"
	"time"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/clientauth"
)

// A strict listener that accepts one SPIFFE identity issued by one CA.
func Example() {
	root := tlstest.NewRoot(tlstest.Options{CommonName: "Client Root", KeyType: tlstest.ECDSAP256})
	issuing := root.NewIntermediate(tlstest.Options{CommonName: "Client Issuing CA", KeyType: tlstest.ECDSAP256})
	id, _ := url.Parse("spiffe://example.org/billing")
	client := issuing.NewClientLeaf(tlstest.Options{URIs: []*url.URL{id}, KeyType: tlstest.ECDSAP256})
	expired := issuing.NewClientLeaf(tlstest.Options{URIs: []*url.URL{id}, KeyType: tlstest.ECDSAP256,
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})

	v, err := clientauth.New(clientauth.Config{
		TrustedClientCertificates: [][]*x509.Certificate{{root.Certificate, issuing.Certificate}},
		VerifyClientCertIssuerDN:  true,
		AllowedIdentities:         []backendtls.SAN{{Type: backendtls.SANURI, Value: "spiffe://example.org/billing"}},
	})
	if err != nil {
		panic(err)
	}
	listener := &tls.Config{}
	v.ConfigureServer(listener) // the handshake asks for a certificate and always completes

	for _, c := range []*tlstest.Cert{client, expired, nil} {
		state := &tls.ConnectionState{} // what tls.Conn.ConnectionState returns after the handshake
		if c != nil {
			state.PeerCertificates = []*x509.Certificate{c.Certificate}
		}
		verdict := v.Verify(context.Background(), state)
		if !verdict.Allowed {
			fmt.Printf("400 %s (%s)\n", verdict.Message(), verdict.Reason)
			continue
		}
		fmt.Println("200, backend told", verdict.ClientCertificateVerification(), verdict.Identity)
	}
	// Output:
	// 200, backend told SUCCESS URI:spiffe://example.org/billing
	// 400 The client certificate has expired (expired)
	// 400 No required SSL certificate was sent (no-certificate)
}
