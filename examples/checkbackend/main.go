// Command checkbackend dry-runs a live backend against a backend trust
// configuration and prints every check and what to fix: would the gateway
// trust this backend, and if not, why?
//
//	go run ./examples/checkbackend -addr 10.0.0.4:443 -host api.internal -root ca.pem
//
// -root, -auth-cert and -pin may be repeated. With no -root, -auth-cert or
// -pin the backend must chain to a well-known CA (the system pool). It exits
// 0 when the backend would be trusted, 1 when it would be refused and 2 when
// no handshake could be attempted. With -insecure nothing is checked: it
// prints what the backend presents, says NOT VERIFIED, and exits 0.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/policy"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("checkbackend", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg backendtls.Config
	addr := fs.String("addr", "", "backend address, host:port (required)")
	fs.StringVar(&cfg.ServerName, "host", "", "host name to send as SNI and expect in the certificate (an IP address sends no SNI and is matched against IP SANs)")
	fs.StringVar(&cfg.Identity, "identity", "", "expected identity when it differs from -host")
	policyName := fs.String("policy", "", "TLS policy, e.g. AppGwSslPolicy20220101S (default AppGwSslPolicy20220101)")
	timeout := fs.Duration("timeout", 10*time.Second, "connect and handshake timeout")
	insecure := fs.Bool("insecure", false, "check nothing (to see what the backend presents)")
	fs.Func("root", "trusted root certificate file (PEM or base64/DER .cer); repeatable", func(path string) error {
		cs, err := backendtls.LoadCertificates(path)
		cfg.TrustedRootCertificates = append(cfg.TrustedRootCertificates, cs...)
		return err
	})
	fs.Func("auth-cert", "authentication certificate file: the backend's leaf must equal it; repeatable", func(path string) error {
		cs, err := backendtls.LoadCertificates(path)
		cfg.AuthenticationCertificates = append(cfg.AuthenticationCertificates, cs...)
		return err
	})
	fs.Func("pin", `public-key pin "sha256/<base64>" of the backend's key; repeatable`, func(s string) error {
		p, err := backendtls.ParsePin(s)
		cfg.PinnedPublicKeys = append(cfg.PinnedPublicKeys, p)
		return err
	})
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *addr == "" {
		fmt.Fprintln(stderr, "checkbackend: -addr is required")
		fs.Usage()
		return 2
	}
	if *policyName != "" {
		p, err := policy.Predefined(*policyName)
		if err != nil {
			fmt.Fprintln(stderr, "checkbackend:", err)
			return 2
		}
		cfg.Policy = p
	}
	cfg.InsecureSkipVerify = *insecure
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	report, err := backendtls.Check(ctx, *addr, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "checkbackend:", err)
		return 2
	}
	fmt.Fprint(stdout, report.String())
	if *insecure {
		fmt.Fprintln(stdout, "NOT VERIFIED: -insecure checked nothing; the lines above only describe what the backend presented")
	}
	if !report.OK() {
		return 1
	}
	return 0
}
