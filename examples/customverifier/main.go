// Command customverifier shows a custom backendtls.Verifier composed with
// the built-in checks: the gateway trusts a backend only if its certificate
// chains to the private root, is valid for the setting's host name, AND
// carries the SPIFFE ID of the payments service as a URI SAN. The custom
// check runs after every built-in check has passed, on fresh and resumed
// sessions alike.
//
//	go run ./examples/customverifier
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
)

// requireSPIFFEID refuses a backend whose leaf certificate does not carry id
// as a URI SAN.
func requireSPIFFEID(id string) backendtls.Verifier {
	return backendtls.VerifierFunc(func(cs tls.ConnectionState) error {
		leaf := cs.PeerCertificates[0]
		var got []string
		for _, u := range leaf.URIs {
			if u.String() == id {
				return nil
			}
			got = append(got, u.String())
		}
		if len(got) == 0 {
			return fmt.Errorf("certificate %q has no SPIFFE ID; want %s", leaf.Subject.CommonName, id)
		}
		return fmt.Errorf("certificate %q has SPIFFE ID %s; want %s", leaf.Subject.CommonName, strings.Join(got, ", "), id)
	})
}

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "customverifier:", err)
		os.Exit(1)
	}
}

func run(out io.Writer) error {
	root := tlstest.NewRoot(tlstest.Options{CommonName: "Example Root", KeyType: tlstest.ECDSAP256})
	spiffe := func(s string) []*url.URL { u, _ := url.Parse(s); return []*url.URL{u} }
	start := func(name string, uris []*url.URL) *tlstest.Server {
		leaf := root.NewLeaf(tlstest.Options{CommonName: name, DNSNames: []string{"payments.internal"}, URIs: uris, KeyType: tlstest.ECDSAP256})
		return tlstest.NewServer(tlstest.ServerOptions{Name: name, Certificate: leaf.FullChain()})
	}
	good := start("payments-1", spiffe("spiffe://example.org/payments"))
	defer good.Close()
	impostor := start("billing-1", spiffe("spiffe://example.org/billing")) // same CA, same host name
	defer impostor.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	member := func(s *tlstest.Server) gateway.Member {
		return gateway.Member{Address: "127.0.0.1", Port: s.Port()}
	}
	setting := func(name string) gateway.BackendHTTPSetting {
		return gateway.BackendHTTPSetting{
			Name: name, Protocol: gateway.HTTPS, Port: 443, HostName: "payments.internal",
			TrustedRootCertificates: []string{"root"},
			Verifier:                requireSPIFFEID("spiffe://example.org/payments"),
		}
	}
	gw, err := gateway.New(gateway.Config{
		// The tour shows why a request failed in the response itself; a
		// production gateway leaves this off, and clients then get a
		// generic page with the request's ID (the log has the reason).
		DetailedErrors:          true,
		Logger:                  slog.New(slog.NewTextHandler(io.Discard, nil)),
		SSLCertificates:         []gateway.SSLCertificate{{Name: "front", Certificate: root.NewLeaf(tlstest.Options{DNSNames: []string{"shop.example"}, KeyType: tlstest.ECDSAP256}).FullChain()}},
		TrustedRootCertificates: []gateway.NamedCertificate{{Name: "root", Certificate: root.Certificate}},
		Listeners:               []gateway.Listener{{Name: "web", Protocol: gateway.HTTPS, Address: "127.0.0.1", Port: port, SSLCertificate: "front"}},
		Pools: []gateway.Pool{
			{Name: "payments", Members: []gateway.Member{member(good)}},
			{Name: "impostor", Members: []gateway.Member{member(impostor)}},
		},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{setting("payments-tls"), setting("impostor-tls")},
		URLPathMaps: []gateway.URLPathMap{{Name: "paths", DefaultPool: "payments", DefaultBackendHTTPSetting: "payments-tls",
			PathRules: []gateway.PathRule{{Name: "impostor", Paths: []string{"/impostor/*"}, Pool: "impostor", BackendHTTPSetting: "impostor-tls"}}}},
		Rules: []gateway.Rule{{Name: "all", Listener: "web", URLPathMap: "paths"}},
	})
	if err != nil {
		ln.Close()
		return err
	}
	go gw.ServePort(port, ln)
	defer gw.Close()

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: root.Pool(), ServerName: "shop.example"},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, ln.Addr().String())
		},
	}}
	for _, path := range []string{"/pay", "/impostor/pay"} {
		resp, err := client.Get("https://shop.example" + path)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Fprintf(out, "GET %-13s -> %d", path, resp.StatusCode)
		if reason := resp.Header.Get("X-E2etls-Error"); reason != "" {
			fmt.Fprintf(out, " (reason %s)\n  %s\n", reason, strings.TrimSpace(string(body)))
		} else {
			fmt.Fprintln(out)
		}
	}
	if impostor.Handshakes() != 0 {
		return errors.New("the impostor completed a handshake")
	}
	fmt.Fprintln(out, "The impostor chains to the trusted root and is valid for payments.internal, yet received nothing.")
	return nil
}
