package tlstest_test

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/e2etls/e2etls/backendtls/tlstest"
)

func ExampleNewServer() {
	root := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	leaf := root.NewIntermediate(tlstest.Options{KeyType: tlstest.ECDSAP256}).
		NewLeaf(tlstest.Options{KeyType: tlstest.ECDSAP256, DNSNames: []string{"backend.example"}})

	srv := tlstest.NewServer(tlstest.ServerOptions{Name: "backend-1", Certificate: leaf.FullChain()})
	defer srv.Close()

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs:    root.Pool(),
		ServerName: "backend.example",
		MinVersion: tls.VersionTLS13,
	}}}
	defer client.CloseIdleConnections()
	resp, err := client.Get(srv.URL + "/hello?x=1")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var echo tlstest.Echo
	if err := json.NewDecoder(resp.Body).Decode(&echo); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(echo.Server, echo.SNI, echo.Path, echo.RawQuery, echo.TLSVersion)
	fmt.Println("handshakes:", srv.Handshakes())
	// Output:
	// backend-1 backend.example /hello x=1 TLS 1.3
	// handshakes: 1
}

func ExampleCert_TLSCertificate() {
	root := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	inter := root.NewIntermediate(tlstest.Options{CommonName: "Inter", KeyType: tlstest.ECDSAP256})
	leaf := inter.NewLeaf(tlstest.Options{CommonName: "Leaf", KeyType: tlstest.ECDSAP256})

	// A misconfigured backend that forgot its intermediate.
	broken := leaf.TLSCertificate()
	fmt.Println("broken chain:", len(broken.Certificate), "certificate")
	full := leaf.FullChain()
	fmt.Println("full chain:", len(full.Certificate), "certificates")
	// Output:
	// broken chain: 1 certificate
	// full chain: 2 certificates
}
