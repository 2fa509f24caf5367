// Command healthdemo runs a gateway whose backends are in every state an
// operator should be able to tell apart, with its health page and
// Prometheus metrics on one admin address and light traffic of its own, for
// bench/health-screenshot.sh (what an operator sees, in headless Chromium)
// and bench/prometheus.sh (a real Prometheus server scraping it):
//
//   - orders-1: healthy, its certificate good for 400 days;
//   - orders-2: healthy, its certificate expiring in 20 days (warning);
//   - payments: healthy, its certificate expiring in 5 days (alarm), renewed
//     (400 days) -renew-after into the run;
//   - legacy: presents a certificate from a root the gateway does not
//     trust: out of rotation, every request to /legacy refused.
//
// Everything is on loopback; it stops by itself after -duration, or on
// SIGTERM or SIGINT.
//
//	go run ./bench/cmd/healthdemo -admin 127.0.0.1:9180 -duration 2m
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
	"github.com/e2etls/e2etls/observe/prommetrics"
)

func main() {
	admin := flag.String("admin", "127.0.0.1:9180", "address of the health page (/) and the metrics (/metrics)")
	duration := flag.Duration("duration", 2*time.Minute, "how long to run")
	renewAfter := flag.Duration("renew-after", 30*time.Second, "when the payments backend renews its certificate")
	load := flag.Int("load", 0, "clients sending requests to /orders as fast as they can, besides the light traffic")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	if err := run(ctx, *admin, *renewAfter, *load); err != nil {
		fmt.Fprintln(os.Stderr, "healthdemo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, admin string, renewAfter time.Duration, load int) error {
	pki := gatewaytest.NewPKI()
	rogue := tlstest.NewRoot(tlstest.Options{CommonName: "Rogue Root", KeyType: tlstest.ECDSAP256})
	leaf := func(issuer *tlstest.Cert, name string, life time.Duration) tls.Certificate {
		return issuer.NewLeaf(tlstest.Options{DNSNames: []string{name}, KeyType: tlstest.ECDSAP256, NotAfter: time.Now().Add(life)}).TLSCertificate(issuer)
	}
	day := 24 * time.Hour
	backend := func(name, host string, cert tls.Certificate) (*tlstest.Server, gateway.Member) {
		srv := tlstest.NewServer(tlstest.ServerOptions{Name: name, Certificate: cert})
		_, p, _ := net.SplitHostPort(srv.Addr)
		port, _ := strconv.Atoi(p)
		return srv, gateway.Member{Address: "127.0.0.1", Port: port}
	}
	o1, m1 := backend("orders-1", "orders.internal", leaf(pki.Root, "orders.internal", 400*day))
	defer o1.Close()
	o2, m2 := backend("orders-2", "orders.internal", leaf(pki.Root, "orders.internal", 20*day))
	defer o2.Close()
	pay, mp := backend("payments", "payments.internal", leaf(pki.Root, "payments.internal", 5*day))
	defer pay.Close()
	leg, ml := backend("legacy", "legacy.internal", leaf(rogue, "legacy.internal", 90*day))
	defer leg.Close()

	setting := func(name, host string) gateway.BackendHTTPSetting {
		return gateway.BackendHTTPSetting{Name: name, Protocol: gateway.HTTPS, Port: 443, HostName: host,
			TrustedRootCertificates: []string{"corp-root"}, Probe: "fast"}
	}
	metrics := prommetrics.New()
	front := pki.Root.NewLeaf(tlstest.Options{DNSNames: []string{"shop.example"}, KeyType: tlstest.ECDSAP256, NotAfter: time.Now().Add(60 * day)})
	cfg := gateway.Config{
		Logger:                  slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		SSLCertificates:         []gateway.SSLCertificate{{Name: "shop", Certificate: front.FullChain()}},
		TrustedRootCertificates: []gateway.NamedCertificate{pki.TrustedRoot("corp-root")},
		Listeners:               []gateway.Listener{{Name: "https", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "shop"}},
		Pools: []gateway.Pool{
			{Name: "orders", Members: []gateway.Member{m1, m2}},
			{Name: "payments", Members: []gateway.Member{mp}},
			{Name: "legacy", Members: []gateway.Member{ml}},
		},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{setting("orders-tls", "orders.internal"),
			setting("payments-tls", "payments.internal"), setting("legacy-tls", "legacy.internal")},
		Probes: []gateway.Probe{{Name: "fast", Protocol: gateway.HTTPS, Path: "/", Interval: 5 * time.Second, Timeout: 2 * time.Second}},
		URLPathMaps: []gateway.URLPathMap{{Name: "paths", DefaultPool: "orders", DefaultBackendHTTPSetting: "orders-tls",
			PathRules: []gateway.PathRule{
				{Name: "payments", Paths: []string{"/pay/*"}, Pool: "payments", BackendHTTPSetting: "payments-tls"},
				{Name: "legacy", Paths: []string{"/legacy/*"}, Pool: "legacy", BackendHTTPSetting: "legacy-tls"},
			}}},
		Rules:     []gateway.Rule{{Name: "shop", Listener: "https", URLPathMap: "paths"}},
		AccessLog: &gateway.AccessLog{Writer: io.Discard},
		Observer:  metrics,
	}
	gw, err := gatewaytest.NewGateway(cfg)
	if err != nil {
		return err
	}
	defer gw.Close()
	metrics.Attach(gw.Gateway)
	mux := http.NewServeMux()
	mux.Handle("/", gw.HealthHandler())
	mux.Handle("/metrics", metrics.Handler())
	ln, err := net.Listen("tcp", admin)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	probeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	gw.ProbeNow(probeCtx)
	cancel()
	fmt.Printf("healthdemo: health page http://%s/  metrics http://%s/metrics  frontend %s\n", ln.Addr(), ln.Addr(), gw.URL("https", "shop.example"))

	client := pki.Client()
	defer client.CloseIdleConnections()
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := 0; i < load; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := pki.Client()
			defer c.CloseIdleConnections()
			for ctx.Err() == nil {
				if resp, err := c.Get(gw.URL("https", "shop.example") + "/orders/" + strconv.Itoa(i)); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}()
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	renew := time.After(renewAfter)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-renew:
			pay.SetCertificate(leaf(pki.Root, "payments.internal", 400*day))
			fmt.Println("healthdemo: the payments backend renewed its certificate (400 days)")
		case <-tick.C:
			for _, path := range []string{"/orders/1", "/pay/7", "/legacy/report"} {
				if resp, err := client.Get(gw.URL("https", "shop.example") + path); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}
	}
}
