// Command appgw runs an e2etls gateway from a JSON file written with Azure
// Application Gateway's property names (see package
// github.com/e2etls/e2etls/gateway/azurejson for the format).
//
//	go run ./examples/appgw -config examples/appgw/gateway.json
//
// It serves until SIGTERM or SIGINT, then drains in-flight requests and
// exits 0. SIGHUP reloads the file through Gateway.Update: a bad file is
// logged and the running configuration keeps serving. An invalid file exits
// 2 before serving, printing every problem with its place.
//
// With -check it validates the file, dry-runs backend trust for every
// member (the same handshake and checks the gateway would do), prints a
// report and exits 1 if any member would be refused; nothing is served.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/azurejson"
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

	cfg, err := azurejson.Load(*configPath)
	if err != nil {
		fmt.Fprintf(stderr, "appgw: %s is invalid:\n%v\n", *configPath, err)
		return 2
	}
	cfg.Logger = logger

	if *check {
		return runCheck(cfg, *configPath, stdout, stderr)
	}

	gw, err := gateway.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "appgw: %s is invalid:\n%v\n", *configPath, err)
		return 2
	}
	var healthSrv *http.Server
	if *healthAddr != "" {
		ln, err := net.Listen("tcp", *healthAddr)
		if err != nil {
			fmt.Fprintf(stderr, "appgw: -health-addr: %v\n", err)
			gw.Close()
			return 2
		}
		healthSrv = &http.Server{Handler: gw.HealthHandler(), ReadHeaderTimeout: 5 * time.Second}
		go healthSrv.Serve(ln)
		logger.Info("appgw: backend health page", slog.String("url", "http://"+ln.Addr().String()+"/"))
	}

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
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				reload(gw, *configPath, logger)
				continue
			}
			logger.Info("appgw: draining", slog.String("signal", sig.String()), slog.Duration("timeout", *drain))
			ctx, cancel := context.WithTimeout(context.Background(), *drain)
			err := gw.Shutdown(ctx)
			cancel()
			if healthSrv != nil {
				healthSrv.Close()
			}
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
func reload(gw *gateway.Gateway, path string, logger *slog.Logger) {
	cfg, err := azurejson.Load(path)
	if err == nil {
		cfg.Logger = logger
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
