// Command loadgen measures HTTPS request rate and latency with a new TLS
// connection for every request: a full handshake each time, never a
// resumed session (wrk and h2load resume when they reconnect, so they cannot
// measure this).
//
//	loadgen -url https://127.0.0.1:18441/ -ca out/root.pem -c 32 -d 10s
//
// Each of -c workers loops until -d has passed: dial, handshake (verifying
// the server against -ca unless -insecure), send one request with "Connection: close", read
// the whole response, close. It prints one line of key=value results:
//
//	requests=24180 errors=0 resumed=0 seconds=10.004 rps=2417.0 p50_us=12950 p99_us=21040 mean_us=13231
package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rawURL := fs.String("url", "", "https URL to request (required)")
	caFile := fs.String("ca", "", "PEM roots that verify the server (required unless -insecure)")
	insecure := fs.Bool("insecure", false, "do not verify the server's chain and name, as wrk and h2load do not (the handshake is still complete)")
	serverName := fs.String("servername", "", "SNI and expected server identity; empty means the URL's host")
	host := fs.String("host", "", "Host header; empty means the URL's host")
	conc := fs.Int("c", 32, "concurrent connections")
	dur := fs.Duration("d", 10*time.Second, "how long to send new requests")
	timeout := fs.Duration("timeout", 5*time.Second, "deadline of each request, handshake included")
	method := fs.String("method", "GET", "GET or POST")
	bodySize := fs.Int("body", 0, "POST body size in bytes")
	curves := fs.String("curves", "X25519,P256,P384", "key-exchange groups offered, in order: X25519, P256, P384, P521, X25519MLKEM768")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := newConfig(*rawURL, *caFile, *insecure, *serverName, *host, *curves)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	cfg.Concurrency, cfg.Duration, cfg.Timeout = *conc, *dur, *timeout
	cfg.Method, cfg.BodySize = *method, *bodySize
	res, err := Run(cfg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	for _, e := range res.FirstErrors {
		fmt.Fprintf(stderr, "loadgen: error: %v\n", e)
	}
	fmt.Fprintln(stdout, res.String())
	if res.Requests == 0 {
		return 1
	}
	return 0
}

// newConfig builds a Config from the command's flags.
func newConfig(rawURL, caFile string, insecure bool, serverName, host, curves string) (Config, error) {
	if rawURL == "" || (caFile == "" && !insecure) {
		return Config{}, errors.New("loadgen: -url is required, and -ca unless -insecure is set")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return Config{}, fmt.Errorf("loadgen: -url: %w", err)
	}
	if u.Scheme != "https" || u.Port() == "" {
		return Config{}, fmt.Errorf("loadgen: -url %q: want https://host:port/path", rawURL)
	}
	var roots *x509.CertPool
	if caFile != "" {
		pemData, err := os.ReadFile(caFile)
		if err != nil {
			return Config{}, fmt.Errorf("loadgen: -ca: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pemData) {
			return Config{}, fmt.Errorf("loadgen: -ca %s: no PEM certificate", caFile)
		}
	}
	groups, err := parseCurves(curves)
	if err != nil {
		return Config{}, err
	}
	if serverName == "" {
		serverName = u.Hostname()
	}
	if host == "" {
		host = u.Host
	}
	return Config{
		Address: u.Host,
		Path:    u.RequestURI(),
		Host:    host,
		TLS: &tls.Config{
			RootCAs:            roots,
			InsecureSkipVerify: insecure,
			ServerName:         serverName,
			CurvePreferences:   groups,
			NextProtos:         []string{"http/1.1"},
		},
	}, nil
}

// parseCurves parses a comma-separated list of group names.
func parseCurves(list string) ([]tls.CurveID, error) {
	known := map[string]tls.CurveID{
		"X25519": tls.X25519, "P256": tls.CurveP256, "P384": tls.CurveP384, "P521": tls.CurveP521,
		"X25519MLKEM768": tls.X25519MLKEM768,
	}
	var out []tls.CurveID
	for name := range strings.SplitSeq(list, ",") {
		id, ok := known[strings.TrimSpace(name)]
		if !ok {
			return nil, fmt.Errorf("loadgen: -curves: unknown group %q (want X25519, P256, P384, P521 or X25519MLKEM768)", name)
		}
		out = append(out, id)
	}
	return out, nil
}
