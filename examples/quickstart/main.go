// Command quickstart is a tour of e2etls in one process, with no files and
// no arguments: it mints a test PKI in memory, starts three HTTPS backends
// and a gateway on loopback, sends requests through it and prints what each
// backend saw, shows a backend with an untrusted certificate refused with
// its reason, prints the backend health table, and exits.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/policy"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(out io.Writer) error {
	// A test PKI: one root for the gateway's frontend certificates, one
	// private root that the backends' certificates chain to, and a rogue
	// root the gateway does not trust.
	frontRoot := tlstest.NewRoot(tlstest.Options{CommonName: "Quickstart Frontend Root", KeyType: tlstest.ECDSAP256})
	backendRoot := tlstest.NewRoot(tlstest.Options{CommonName: "Quickstart Backend Root", KeyType: tlstest.ECDSAP256})
	backendCA := backendRoot.NewIntermediate(tlstest.Options{CommonName: "Quickstart Backend Issuing CA", KeyType: tlstest.ECDSAP256})
	rogueRoot := tlstest.NewRoot(tlstest.Options{CommonName: "Rogue Root", KeyType: tlstest.ECDSAP256})

	backend := func(name, host string, issuer *tlstest.Cert, chain ...*tlstest.Cert) *tlstest.Server {
		leaf := issuer.NewLeaf(tlstest.Options{DNSNames: []string{host}, KeyType: tlstest.ECDSAP256})
		return tlstest.NewServer(tlstest.ServerOptions{Name: name, Certificate: leaf.TLSCertificate(chain...)})
	}
	web := backend("web-1", "web.internal", backendCA, backendCA)
	defer web.Close()
	api := backend("api-1", "api.internal", backendCA, backendCA)
	defer api.Close()
	legacy := backend("legacy-1", "legacy.internal", rogueRoot, rogueRoot) // sends its (untrusted) root
	defer legacy.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := ln.Addr().(*net.TCPAddr).Port

	member := func(s *tlstest.Server) gateway.Member {
		addr := s.Addr
		_, p, _ := net.SplitHostPort(addr)
		var n int
		fmt.Sscan(p, &n)
		return gateway.Member{Address: "127.0.0.1", Port: n}
	}
	setting := func(name, host string) gateway.BackendHTTPSetting {
		return gateway.BackendHTTPSetting{
			Name: name, Protocol: gateway.HTTPS, Port: 443, // each member's own port overrides 443
			HostName:                host,
			TrustedRootCertificates: []string{"backend-root"},
			Probe:                   "healthz",
		}
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := gateway.Config{
		// The tour shows why a request failed in the response itself; a
		// production gateway leaves this off, and clients then get a
		// generic page with the request's ID (the log has the reason).
		DetailedErrors: true,
		Logger:         logger,
		SSLPolicy:      policy.Default(),
		SSLCertificates: []gateway.SSLCertificate{
			{Name: "www", Certificate: frontRoot.NewLeaf(tlstest.Options{DNSNames: []string{"www.example.test"}, KeyType: tlstest.ECDSAP256}).FullChain()},
			{Name: "api", Certificate: frontRoot.NewLeaf(tlstest.Options{DNSNames: []string{"api.example.test"}, KeyType: tlstest.ECDSAP256}).FullChain()},
		},
		TrustedRootCertificates: []gateway.NamedCertificate{{Name: "backend-root", Certificate: backendRoot.Certificate}},
		Listeners: []gateway.Listener{
			{Name: "www", Protocol: gateway.HTTPS, Address: "127.0.0.1", Port: port, HostNames: []string{"www.example.test"}, SSLCertificate: "www"},
			{Name: "api", Protocol: gateway.HTTPS, Address: "127.0.0.1", Port: port, HostNames: []string{"api.example.test"}, SSLCertificate: "api"},
		},
		Pools: []gateway.Pool{
			{Name: "web", Members: []gateway.Member{member(web)}},
			{Name: "api", Members: []gateway.Member{member(api)}},
			{Name: "legacy", Members: []gateway.Member{member(legacy)}},
		},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{
			setting("web-tls", "web.internal"),
			setting("api-tls", "api.internal"),
			setting("legacy-tls", "legacy.internal"),
		},
		Probes: []gateway.Probe{{Name: "healthz", Protocol: gateway.HTTPS, PickHostNameFromBackendHTTPSettings: true, Path: "/healthz", Interval: 5 * time.Second, Timeout: 2 * time.Second}},
		URLPathMaps: []gateway.URLPathMap{{
			Name: "www-paths", DefaultPool: "web", DefaultBackendHTTPSetting: "web-tls",
			PathRules: []gateway.PathRule{
				{Name: "api", Paths: []string{"/api/*"}, Pool: "api", BackendHTTPSetting: "api-tls"},
				{Name: "legacy", Paths: []string{"/legacy/*"}, Pool: "legacy", BackendHTTPSetting: "legacy-tls"},
			},
		}},
		Rules: []gateway.Rule{
			{Name: "www", Listener: "www", Priority: 10, URLPathMap: "www-paths"},
			{Name: "api", Listener: "api", Priority: 20, Pool: "api", BackendHTTPSetting: "api-tls"},
		},
	}
	gw, err := gateway.New(cfg)
	if err != nil {
		ln.Close()
		return err
	}
	served := make(chan error, 1)
	go func() { served <- gw.ServePort(port, ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		gw.Shutdown(ctx)
		<-served
	}()

	fmt.Fprintf(out, "e2etls quickstart: a gateway on https://127.0.0.1:%d serving www.example.test and api.example.test,\n", port)
	fmt.Fprintf(out, "re-encrypting to three HTTPS backends whose certificates must chain to %q.\n\n", backendRoot.Certificate.Subject.CommonName)

	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: frontRoot.Pool()},
			ForceAttemptHTTP2: true,
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, network, ln.Addr().String())
			},
		},
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REQUEST\tSTATUS\tBACKEND\tSNI SEEN\tHOST SEEN\tCLIENT LEG\tBACKEND LEG")
	for _, u := range []string{
		"https://www.example.test/",
		"https://www.example.test/api/orders?id=7",
		"https://api.example.test/v1/items",
		"https://www.example.test/legacy/report",
	} {
		url := strings.Replace(u, ".test/", fmt.Sprintf(".test:%d/", port), 1)
		resp, err := client.Get(url)
		if err != nil {
			return fmt.Errorf("GET %s: %w", u, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("GET %s: %w", u, err)
		}
		clientLeg := resp.Proto + " " + tls.VersionName(resp.TLS.Version)
		if resp.StatusCode != http.StatusOK {
			fmt.Fprintf(tw, "GET %s\t%d\t-\t-\t-\t%s\t-\n", u, resp.StatusCode, clientLeg)
			tw.Flush()
			fmt.Fprintf(out, "  refused by the gateway: %s\n", strings.TrimSpace(string(body)))
			continue
		}
		var e tlstest.Echo
		if err := json.Unmarshal(body, &e); err != nil {
			return fmt.Errorf("GET %s: %w", u, err)
		}
		fmt.Fprintf(tw, "GET %s\t%d\t%s\t%s\t%s\t%s\t%s %s\n", u, resp.StatusCode, e.Server, e.SNI, e.Host, clientLeg, e.Proto, e.TLSVersion)
	}
	tw.Flush()
	if legacy.Handshakes() != 0 {
		return errors.New("the untrusted backend completed a handshake: it should never have")
	}
	fmt.Fprintf(out, "  the untrusted backend completed %d handshakes and received no request.\n\n", legacy.Handshakes())

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	gw.ProbeNow(ctx)
	fmt.Fprintln(out, "Backend health (probe: GET /healthz over the same trust as traffic):")
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "POOL\tSETTING\tMEMBER\tSTATE\tCERTIFICATE\tREASON")
	for _, h := range gw.BackendHealth() {
		cert := "-"
		if h.Certificate != nil {
			cert = h.Certificate.Subject
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.Pool, h.Setting, h.Member, h.State, cert, h.Reason)
	}
	return tw.Flush()
}
