package gateway_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
)

// A gateway in front of two HTTPS backends: one whose certificate chains to
// the trusted root and names the setting's host, and one that does not,
// which receives nothing. The client learns only that the gateway failed,
// with the request's ID; the operator learns why, from the backend health
// report (and the log).
func Example() {
	root := tlstest.NewRoot(tlstest.Options{CommonName: "Corp Root", KeyType: tlstest.ECDSAP256})
	rogue := tlstest.NewRoot(tlstest.Options{CommonName: "Rogue Root", KeyType: tlstest.ECDSAP256})
	serve := func(issuer *tlstest.Cert) *tlstest.Server {
		leaf := issuer.NewLeaf(tlstest.Options{DNSNames: []string{"orders.internal"}, KeyType: tlstest.ECDSAP256})
		return tlstest.NewServer(tlstest.ServerOptions{Name: "orders", Certificate: leaf.TLSCertificate(issuer)})
	}
	good := serve(root)
	defer good.Close()
	bad := serve(rogue)
	defer bad.Close()

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	setting := func(name string) gateway.BackendHTTPSetting {
		return gateway.BackendHTTPSetting{Name: name, Protocol: gateway.HTTPS, Port: 443,
			HostName: "orders.internal", TrustedRootCertificates: []string{"corp-root"}}
	}
	gw, err := gateway.New(gateway.Config{
		Logger:                  slog.New(slog.NewTextHandler(io.Discard, nil)),
		SSLCertificates:         []gateway.SSLCertificate{{Name: "front", Certificate: root.NewLeaf(tlstest.Options{DNSNames: []string{"shop.example"}, KeyType: tlstest.ECDSAP256}).FullChain()}},
		TrustedRootCertificates: []gateway.NamedCertificate{{Name: "corp-root", Certificate: root.Certificate}},
		Listeners:               []gateway.Listener{{Name: "web", Protocol: gateway.HTTPS, Address: "127.0.0.1", Port: port, SSLCertificate: "front"}},
		Pools: []gateway.Pool{
			{Name: "orders", Members: []gateway.Member{{Address: "127.0.0.1", Port: good.Port()}}},
			{Name: "impostor", Members: []gateway.Member{{Address: "127.0.0.1", Port: bad.Port()}}},
		},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{setting("orders-tls"), setting("impostor-tls")},
		URLPathMaps: []gateway.URLPathMap{{Name: "paths", DefaultPool: "orders", DefaultBackendHTTPSetting: "orders-tls",
			PathRules: []gateway.PathRule{{Name: "legacy", Paths: []string{"/legacy/*"}, Pool: "impostor", BackendHTTPSetting: "impostor-tls"}}}},
		Rules: []gateway.Rule{{Name: "all", Listener: "web", URLPathMap: "paths"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	go gw.ServePort(port, ln)
	defer gw.Close()

	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: root.Pool(), ServerName: "shop.example"},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, ln.Addr().String())
		},
	}}
	for _, path := range []string{"/orders/7", "/legacy/report"} {
		resp, err := client.Get("https://shop.example" + path)
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(path, resp.StatusCode)
		if resp.StatusCode != http.StatusOK {
			fmt.Println(strings.HasPrefix(string(body), "502 Bad Gateway (request ID "), strings.Contains(string(body), "Rogue"))
		}
	}
	for _, h := range gw.BackendHealth() {
		if h.Pool == "impostor" {
			fmt.Println(h.Pool, h.State, h.ReasonCode)
		}
	}
	fmt.Println("handshakes the impostor completed:", bad.Handshakes())
	// Output:
	// /orders/7 200
	// /legacy/report 502
	// true false
	// impostor Unhealthy untrusted-root
	// handshakes the impostor completed: 0
}
