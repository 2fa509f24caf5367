// Command appgw runs an e2etls gateway from a JSON file: the output of az
// network application-gateway show (or the REST API, Resource Graph), an
// ARM template with its parameters file, or the flat format of package
// github.com/e2etls/e2etls/gateway/azurejson. The shape is told from the
// content.
//
//	go run ./examples/appgw -config examples/appgw/gateway.json
//	go run ./examples/appgw -config agw.json -private-address 127.0.0.1 -cert www=www.pem
//	go run ./examples/appgw -config template.json -parameters template.parameters.json
//
// It serves until SIGTERM or SIGINT, then drains in-flight requests and
// exits 0. SIGHUP reloads the file through Gateway.Update: a bad file is
// logged and the running configuration keeps serving. The file and the
// certificate, key and CRL files it names are also watched (-watch, every
// 5 s): a certificate rotated on disk is applied without a signal, the same
// way. An invalid file exits 2 before serving, printing every problem with
// its place.
//
// With -check it validates the file, prints every property it accepted
// and ignored, dry-runs backend trust for every member (the same handshake
// and checks the gateway would do), prints a report and exits 1 if any
// member would be refused; nothing is served.
//
// The access log is on, as NGINX's is: one line per request on stdout
// (-access-log - , the default), or appended to a file that SIGHUP reopens
// (for logrotate), in logfmt or JSON (-access-log-format), written off the
// request path. -metrics-addr serves Prometheus metrics at /metrics; the
// health page (-health-addr) may share its address. Clients get a generic
// error page with a request ID unless -detailed-errors is set.
//
// With -export-arm FILE (or -export-template FILE) it validates the file
// and writes its configuration as the Azure resource to deploy (the body
// of a REST PUT) or as an ARM template, then exits; nothing is served. The
// -export-* flags give what the configuration does not hold (see
// README.md); the listener certificates' PFX password comes from the
// environment variable APPGW_PFX_PASSWORD.
//
//	APPGW_PFX_PASSWORD=... go run ./examples/appgw -config agw.json -export-arm out.json \
//		-export-subnet-id /subscriptions/.../subnets/appgw -export-public-ip-id /subscriptions/.../publicIPAddresses/pip
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/azurejson"
	"github.com/e2etls/e2etls/observe/prommetrics"
)

func main() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, sigs))
}

// run is the program; sigs delivers SIGTERM, SIGINT and SIGHUP (tests send
// their own).
func run(args []string, stdout, stderr io.Writer, sigs <-chan os.Signal) int {
	fs := flag.NewFlagSet("appgw", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "path of the gateway's JSON configuration (required)")
	check := fs.Bool("check", false, "validate the file and dry-run backend trust for every member, then exit")
	logFormat := fs.String("log-format", "text", "log format on stderr: text or json")
	logLevel := fs.String("log-level", "info", "lowest level logged: debug, info, warn or error")
	healthAddr := fs.String("health-addr", "", "if set (e.g. 127.0.0.1:9090), serve the backend health page there")
	drain := fs.Duration("drain", 30*time.Second, "how long SIGTERM waits for in-flight requests")
	paramsPath := fs.String("parameters", "", "an ARM template's parameters file (deploymentParameters JSON)")
	publicAddr := fs.String("public-address", "", "IP address that listeners on a public frontend IP configuration bind (default all)")
	privateAddr := fs.String("private-address", "", "IP address to bind instead of every frontend's privateIPAddress (e.g. 127.0.0.1)")
	accessLogPath := fs.String("access-log", "-", "where the access log goes: - (stdout), a file path (appended; SIGHUP reopens it), or off")
	accessLogFormat := fs.String("access-log-format", "text", "access log format: text (logfmt) or json")
	metricsAddr := fs.String("metrics-addr", "", "if set (e.g. 127.0.0.1:9090), serve Prometheus metrics at /metrics there")
	watchEvery := fs.Duration("watch", 5*time.Second, "how often the configuration file and the certificate, key and CRL files it names are checked: a change is applied as SIGHUP would apply it; 0 turns watching off")
	detailedErrors := fs.Bool("detailed-errors", false, "say why in the gateway's own error responses (member, reason, advice): for debugging; clients otherwise get a generic page with a request ID")
	reusePort := fs.Bool("reuseport", false, "bind the listeners' ports with SO_REUSEPORT, so that several appgw processes (one per core or two, each with its GOMAXPROCS) share them; give them one affinityKey in the configuration")
	certs := certFlag{}
	fs.Var(certs, "cert", "NAME=FILE: a local file for the certificate NAME that the document cannot carry (Key Vault, publicCertData only); repeatable")
	var export exportFlags
	export.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *configPath == "" {
		fmt.Fprintln(stderr, "appgw: -config is required")
		fs.Usage()
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "appgw: -log-level %q: want debug, info, warn or error\n", *logLevel)
		return 2
	}
	opts := &slog.HandlerOptions{Level: level}
	var logger *slog.Logger
	switch *logFormat {
	case "text":
		logger = slog.New(slog.NewTextHandler(stderr, opts))
	case "json":
		logger = slog.New(slog.NewJSONHandler(stderr, opts))
	default:
		fmt.Fprintf(stderr, "appgw: -log-format %q: want text or json\n", *logFormat)
		return 2
	}

	loadOpts := azurejson.Options{
		ParametersName:   *paramsPath,
		CertificateFiles: certs,
		PublicAddress:    *publicAddr,
		PrivateAddress:   *privateAddr,
	}
	if *paramsPath != "" {
		data, err := os.ReadFile(*paramsPath)
		if err != nil {
			fmt.Fprintf(stderr, "appgw: -parameters: %v\n", err)
			return 2
		}
		loadOpts.Parameters = data
	}
	load := func() (*azurejson.Document, error) { return azurejson.ReadFile(*configPath, loadOpts) }
	doc, err := load()
	if err != nil {
		fmt.Fprintf(stderr, "appgw: %s is invalid:\n%v\n", *configPath, err)
		return 2
	}
	cfg := doc.Config
	cfg.Logger = logger
	cfg.DetailedErrors = *detailedErrors
	cfg.ReusePort = *reusePort

	if export.resource != "" || export.template != "" {
		return export.run(doc, *configPath, *publicAddr, *privateAddr, stdout, stderr)
	}
	if *check {
		printIgnored(stdout, doc)
		return runCheck(cfg, *configPath, stdout, stderr)
	}

	alog, err := openAccessLog(*accessLogPath, *accessLogFormat, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "appgw: %v\n", err)
		return 2
	}
	defer alog.close()
	cfg.AccessLog = alog.config
	var metrics *prommetrics.Metrics
	if *metricsAddr != "" {
		metrics = prommetrics.New()
		cfg.Observer = metrics
	}
	extras := func(c *gateway.Config) {
		c.Logger, c.DetailedErrors, c.AccessLog, c.ReusePort = logger, *detailedErrors, alog.config, *reusePort
		if metrics != nil {
			c.Observer = metrics
		}
	}

	gw, err := gateway.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "appgw: %s is invalid:\n%v\n", *configPath, err)
		return 2
	}
	if metrics != nil {
		metrics.Attach(gw)
	}
	servers, err := serveAdmin(gw, metrics, *healthAddr, *metricsAddr, logger)
	if err != nil {
		fmt.Fprintf(stderr, "appgw: %v\n", err)
		gw.Close()
		return 2
	}
	defer func() {
		for _, s := range servers {
			s.Close()
		}
	}()

	watch, err := newFileWatch(doc.Files, *watchEvery, load, logger)
	if err != nil {
		logger.Warn("appgw: not watching the configuration's files; SIGHUP reloads them", slog.String("error", err.Error()))
	}
	defer watch.close()

	served := make(chan error, 1)
	go func() { served <- gw.ListenAndServe() }()
	logger.Info("appgw: serving", slog.String("config", *configPath))

	for {
		select {
		case err := <-served:
			if errors.Is(err, gateway.ErrGatewayClosed) {
				return 0
			}
			logger.Error("appgw: serving failed", slog.String("error", err.Error()))
			gw.Close()
			return 1
		case <-watch.changed():
			watch.apply(gw, *configPath, extras)
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				if err := alog.reopen(); err != nil {
					logger.Error("appgw: reopening the access log", slog.String("error", err.Error()))
				}
				reload(gw, *configPath, load, extras, logger)
				continue
			}
			logger.Info("appgw: draining", slog.String("signal", sig.String()), slog.Duration("timeout", *drain))
			ctx, cancel := context.WithTimeout(context.Background(), *drain)
			err := gw.Shutdown(ctx)
			cancel()
			<-served
			if err != nil {
				logger.Warn("appgw: drain cut short", slog.String("error", err.Error()))
				return 1
			}
			logger.Info("appgw: stopped")
			return 0
		}
	}
}

// reload applies the file again; a bad file leaves the gateway as it was.
func reload(gw *gateway.Gateway, path string, load func() (*azurejson.Document, error), extras func(*gateway.Config), logger *slog.Logger) {
	doc, err := load()
	if err == nil {
		cfg := doc.Config
		extras(&cfg)
		err = gw.Update(cfg)
	}
	if err != nil {
		logger.Error("appgw: reload refused; the running configuration keeps serving", slog.String("config", path), slog.String("error", err.Error()))
		return
	}
	logger.Info("appgw: reloaded", slog.String("config", path))
}

func runCheck(cfg gateway.Config, path string, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	results, err := gateway.CheckBackends(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "appgw: %s is invalid:\n%v\n", path, err)
		return 2
	}
	refused := 0
	for _, r := range results {
		fmt.Fprintln(stdout, r.String())
		if !r.OK() {
			refused++
		}
	}
	fmt.Fprintf(stdout, "%d of %d HTTPS backends would be trusted\n", len(results)-refused, len(results))
	if refused > 0 {
		return 1
	}
	return 0
}

// certFlag collects -cert NAME=FILE.
type certFlag map[string]string

func (c certFlag) String() string {
	var parts []string
	for k, v := range c {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func (c certFlag) Set(s string) error {
	name, file, ok := strings.Cut(s, "=")
	if !ok || name == "" || file == "" {
		return fmt.Errorf("want NAME=FILE, got %q", s)
	}
	c[name] = file
	return nil
}

// printIgnored says what the document held that the gateway ignores,
// grouped by property: how often, the first place and why.
func printIgnored(w io.Writer, doc *azurejson.Document) {
	if len(doc.Ignored) == 0 {
		return
	}
	type group struct {
		first azurejson.Note
		n     int
	}
	var order []string
	groups := make(map[string]*group)
	for _, n := range doc.Ignored {
		key := n.Property + "\x00" + n.Reason
		g := groups[key]
		if g == nil {
			g = &group{first: n}
			groups[key] = g
			order = append(order, key)
		}
		g.n++
	}
	fmt.Fprintf(w, "%s document: %d properties accepted and ignored:\n", doc.Format, len(doc.Ignored))
	for _, key := range order {
		g := groups[key]
		where := g.first.Path
		if g.n > 1 {
			where += fmt.Sprintf(" and %d more", g.n-1)
		}
		fmt.Fprintf(w, "  %s (line %d: %s): %s\n", g.first.Property, g.first.Line, where, g.first.Reason)
	}
}
