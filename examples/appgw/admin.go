package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/observe/prommetrics"
)

// accessLog is the gateway's access log as the flags set it: nil config
// for off, else a writer to stdout or to a file that reopen opens again.
type accessLog struct {
	config *gateway.AccessLog
	file   *reopenFile // nil unless it is a file
}

func openAccessLog(path, format string, stdout io.Writer) (*accessLog, error) {
	var f gateway.AccessLogFormat
	switch format {
	case "text":
		f = gateway.AccessLogText
	case "json":
		f = gateway.AccessLogJSON
	default:
		return nil, fmt.Errorf("-access-log-format %q: want text or json", format)
	}
	switch path {
	case "off":
		return &accessLog{}, nil
	case "-", "":
		return &accessLog{config: &gateway.AccessLog{Writer: stdout, Format: f}}, nil
	}
	rf := &reopenFile{path: path}
	if err := rf.reopen(); err != nil {
		return nil, fmt.Errorf("-access-log: %w", err)
	}
	return &accessLog{config: &gateway.AccessLog{Writer: rf, Format: f}, file: rf}, nil
}

func (a *accessLog) reopen() error {
	if a.file == nil {
		return nil
	}
	return a.file.reopen()
}

func (a *accessLog) close() {
	if a.file != nil {
		a.file.close()
	}
}

// reopenFile is a file the access log appends to, which reopen replaces
// with a fresh open of its path: logrotate moves the file and sends SIGHUP.
type reopenFile struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

func (r *reopenFile) reopen() error {
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	r.mu.Lock()
	old := r.f
	r.f = f
	r.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

func (r *reopenFile) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.f.Write(p)
}

func (r *reopenFile) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f != nil {
		r.f.Close()
	}
}

// serveAdmin serves the health page and the metrics on their addresses
// (one server when they share one).
func serveAdmin(gw *gateway.Gateway, metrics *prommetrics.Metrics, healthAddr, metricsAddr string, logger *slog.Logger) ([]*http.Server, error) {
	muxes := map[string]*http.ServeMux{}
	order := []string{}
	mux := func(addr string) *http.ServeMux {
		if m := muxes[addr]; m != nil {
			return m
		}
		m := http.NewServeMux()
		muxes[addr] = m
		order = append(order, addr)
		return m
	}
	if healthAddr != "" {
		mux(healthAddr).Handle("/", gw.HealthHandler())
	}
	if metricsAddr != "" {
		mux(metricsAddr).Handle("/metrics", metrics.Handler())
	}
	var servers []*http.Server
	for _, addr := range order {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			for _, s := range servers {
				s.Close()
			}
			return nil, fmt.Errorf("listen on %s: %w", addr, err)
		}
		srv := &http.Server{Handler: muxes[addr], ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		servers = append(servers, srv)
		url := "http://" + ln.Addr().String()
		if addr == healthAddr {
			logger.Info("appgw: backend health page", slog.String("url", url+"/"))
		}
		if addr == metricsAddr {
			logger.Info("appgw: metrics", slog.String("url", url+"/metrics"))
		}
	}
	return servers, nil
}
