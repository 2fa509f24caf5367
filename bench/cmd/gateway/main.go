// Command gateway is the e2etls gateway as the load benchmark runs it: one
// HTTPS listener re-encrypting every request to one backend whose
// certificate must chain to a private root and name the backend host. It is
// the configuration of examples/appgw/gateway.json (default TLS policy,
// trusted root, host name override, default probe) set from flags, plus CPU
// and allocation profiles for the benchmark.
//
//	GOMAXPROCS=1 go run ./bench/cmd/gateway -listen 127.0.0.1:18441 \
//		-cert out/frontend.pem -key out/frontend.key \
//		-backend 127.0.0.1:18450 -backend-host backend.internal -root out/root.pem \
//		-access-log out/e2etls-access.log -metrics-addr 127.0.0.1:18459
//
// With -access-log PATH and -metrics-addr it runs as examples/appgw does by
// default in a deployment: the gateway's asynchronous access log (text,
// appended to PATH) and Prometheus metrics (observe/prommetrics, served at
// /metrics). -access-log off (the default) writes no access log.
//
// It serves until SIGTERM or SIGINT, then closes every connection (which
// flushes the access log), says on stderr how many access-log records were
// written and dropped, writes the profiles it was asked for and exits 0.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/observe/prommetrics"
)

func main() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	os.Exit(run(os.Args[1:], os.Stderr, sigs))
}

// options are the command's flags.
type options struct {
	listen      string // frontend address, host:port
	certFile    string // frontend certificate chain (PEM)
	keyFile     string // frontend private key (PEM)
	backend     string // backend member, host:port
	backendHost string // Host, SNI and expected identity of the backend
	rootFile    string // the backend's trusted root (PEM)
	logLevel    string
	accessLog   string // "off" or the file the access log appends to
	metricsAddr string // "" or the address serving /metrics
	reusePort   bool   // bind the frontend port with SO_REUSEPORT
	cpuProfile  string
	memProfile  string
}

// run is the command; it serves until sigs delivers (tests send their own).
func run(args []string, stderr io.Writer, sigs <-chan os.Signal) int {
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.listen, "listen", "127.0.0.1:18441", "frontend HTTPS address")
	fs.StringVar(&o.certFile, "cert", "", "frontend certificate chain, PEM (required)")
	fs.StringVar(&o.keyFile, "key", "", "frontend private key, PEM (required)")
	fs.StringVar(&o.backend, "backend", "127.0.0.1:18450", "backend member address host:port")
	fs.StringVar(&o.backendHost, "backend-host", "backend.internal", "backend host name: Host header, SNI and expected certificate identity")
	fs.StringVar(&o.rootFile, "root", "", "trusted root of the backend's certificate, PEM (required)")
	fs.StringVar(&o.logLevel, "log-level", "warn", "lowest level logged: debug, info (access log), warn or error")
	fs.StringVar(&o.accessLog, "access-log", "off", "file the access log (text) is appended to, written off the request path; off for none")
	fs.StringVar(&o.metricsAddr, "metrics-addr", "", "if set (e.g. 127.0.0.1:18459), serve Prometheus metrics at /metrics there")
	fs.BoolVar(&o.reusePort, "reuseport", false, "bind the frontend port with SO_REUSEPORT, so that several processes share it")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	fs.StringVar(&o.memProfile, "memprofile", "", "write an allocation profile to this file at exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		fmt.Fprintf(stderr, "gateway: -log-level %q: want debug, info, warn or error\n", o.logLevel)
		return 2
	}
	cfg, err := buildConfig(o)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	var logFile *os.File
	if o.accessLog != "off" {
		if o.accessLog == "" {
			fmt.Fprintln(stderr, "gateway: -access-log: want a file or off")
			return 2
		}
		if logFile, err = os.OpenFile(o.accessLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err != nil {
			fmt.Fprintf(stderr, "gateway: -access-log: %v\n", err)
			return 2
		}
		defer logFile.Close()
		cfg.AccessLog = &gateway.AccessLog{Writer: logFile, Format: gateway.AccessLogText}
	}
	var metrics *prommetrics.Metrics
	if o.metricsAddr != "" {
		metrics = prommetrics.New()
		cfg.Observer = metrics
	}
	gw, err := gateway.New(cfg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if metrics != nil {
		metrics.Attach(gw)
		ln, err := net.Listen("tcp", o.metricsAddr)
		if err != nil {
			fmt.Fprintf(stderr, "gateway: -metrics-addr: %v\n", err)
			gw.Close()
			return 2
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metrics.Handler())
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }() // ErrServerClosed once closed below
		defer srv.Close()
	}

	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "gateway: -cpuprofile: %v\n", err)
			gw.Close()
			return 2
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "gateway: -cpuprofile: %v\n", err)
			gw.Close()
			return 2
		}
		defer pprof.StopCPUProfile()
	}

	served := make(chan error, 1)
	go func() { served <- gw.ListenAndServe() }()

	code := 0
	select {
	case err := <-served:
		fmt.Fprintf(stderr, "gateway: serving failed: %v\n", err)
		gw.Close()
		code = 1
	case <-sigs:
		gw.Close()
		if err := <-served; !errors.Is(err, gateway.ErrGatewayClosed) {
			fmt.Fprintf(stderr, "gateway: serving failed: %v\n", err)
			code = 1
		}
	}
	if logFile != nil {
		st := gw.Stats()
		fmt.Fprintf(stderr, "gateway: access log: %d records written, %d dropped\n", st.AccessLogWritten, st.AccessLogDropped)
	}
	if o.memProfile != "" {
		if err := writeAllocProfile(o.memProfile); err != nil {
			fmt.Fprintf(stderr, "gateway: -memprofile: %v\n", err)
			code = 1
		}
	}
	return code
}

// buildConfig turns the flags into the gateway's configuration.
func buildConfig(o options) (gateway.Config, error) {
	var errs []error
	if o.certFile == "" || o.keyFile == "" || o.rootFile == "" {
		errs = append(errs, errors.New("gateway: -cert, -key and -root are required"))
	}
	laddr, lport, err := splitHostPort("-listen", o.listen)
	if err != nil {
		errs = append(errs, err)
	}
	baddr, bport, err := splitHostPort("-backend", o.backend)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return gateway.Config{}, errors.Join(errs...)
	}
	front, err := tls.LoadX509KeyPair(o.certFile, o.keyFile)
	if err != nil {
		return gateway.Config{}, fmt.Errorf("gateway: -cert %s, -key %s: %w", o.certFile, o.keyFile, err)
	}
	root, err := loadCertificate(o.rootFile)
	if err != nil {
		return gateway.Config{}, fmt.Errorf("gateway: -root: %w", err)
	}
	return gateway.Config{
		ReusePort:               o.reusePort,
		SSLCertificates:         []gateway.SSLCertificate{{Name: "front", Certificate: front}},
		TrustedRootCertificates: []gateway.NamedCertificate{{Name: "bench-root", Certificate: root}},
		Listeners: []gateway.Listener{{
			Name: "https", Protocol: gateway.HTTPS, Address: laddr, Port: lport, SSLCertificate: "front",
		}},
		Pools: []gateway.Pool{{Name: "backend", Members: []gateway.Member{{Address: baddr}}}},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{{
			Name: "backend-tls", Protocol: gateway.HTTPS, Port: bport,
			HostName: o.backendHost, TrustedRootCertificates: []string{"bench-root"},
		}},
		Rules: []gateway.Rule{{Name: "all", Listener: "https", Pool: "backend", BackendHTTPSetting: "backend-tls"}},
	}, nil
}

// splitHostPort parses flag's host:port value, which needs a numeric port.
func splitHostPort(flag, hostport string) (string, int, error) {
	host, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return "", 0, fmt.Errorf("gateway: %s %q: %w", flag, hostport, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("gateway: %s %q: port must be 1..65535", flag, hostport)
	}
	return host, port, nil
}

// loadCertificate reads the first certificate of a PEM file.
func loadCertificate(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, fmt.Errorf("%s: no CERTIFICATE block", path)
		}
		if b.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			return c, nil
		}
	}
}

// writeAllocProfile writes the heap profile, whose alloc_space and
// alloc_objects samples cover every allocation since the start.
func writeAllocProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
