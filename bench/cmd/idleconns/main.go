// Command idleconns measures the memory a server spends on idle keep-alive
// TLS connections: it reads the server's resident set size (VmRSS in
// /proc/<pid>/status), opens -n connections that each complete a full TLS
// handshake and one HTTP/1.1 keep-alive request, holds them all idle, reads
// the RSS again after -settle, and prints the difference per connection.
//
//	idleconns -addr 127.0.0.1:18441 -ca out/root.pem -pid 1234 -n 10000
//
// Both processes need a file-descriptor limit above -n (ulimit -n).
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("idleconns", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "", "server host:port (required)")
	caFile := fs.String("ca", "", "PEM roots that verify the server (required)")
	serverName := fs.String("servername", "", "SNI and expected identity; empty means the host of -addr")
	pid := fs.Int("pid", 0, "the server's process id, whose VmRSS is measured (required)")
	n := fs.Int("n", 10000, "connections to open and hold")
	par := fs.Int("c", 16, "connections opened in parallel")
	settle := fs.Duration("settle", 5*time.Second, "wait after the last connection before measuring")
	path := fs.String("path", "/", "request target of each connection's one request")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *addr == "" || *caFile == "" || *pid <= 0 || *n <= 0 || *par <= 0 {
		fmt.Fprintln(stderr, "idleconns: -addr, -ca and -pid are required; -n and -c must be positive")
		return 2
	}
	pemData, err := os.ReadFile(*caFile)
	if err != nil {
		fmt.Fprintf(stderr, "idleconns: -ca: %v\n", err)
		return 2
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemData) {
		fmt.Fprintf(stderr, "idleconns: -ca %s: no PEM certificate\n", *caFile)
		return 2
	}
	if *serverName == "" {
		*serverName, _, _ = net.SplitHostPort(*addr)
	}
	res, err := Measure(Config{
		Address: *addr, Path: *path, PID: *pid, Conns: *n, Parallel: *par, Settle: *settle,
		TLS: &tls.Config{RootCAs: roots, ServerName: *serverName, NextProtos: []string{"http/1.1"}},
	})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintln(stdout, res.String())
	return 0
}

// Config is one measurement.
type Config struct {
	Address  string // server host:port
	Path     string // request target; empty means "/"
	PID      int    // server process whose RSS is read
	Conns    int    // connections to hold
	Parallel int    // connections opened at once; zero means 1
	Settle   time.Duration
	TLS      *tls.Config // client configuration; full handshakes unless it has a session cache
}

// Result is what Measure found. RSS figures are in KiB.
type Result struct {
	Conns      int
	RSSBefore  int64
	RSSAfter   int64
	OpenTime   time.Duration
	PerConnKiB float64
}

// String is the result as one line of key=value pairs.
func (r Result) String() string {
	return fmt.Sprintf("conns=%d rss_before_kib=%d rss_after_kib=%d kib_per_conn=%.1f open_seconds=%.1f",
		r.Conns, r.RSSBefore, r.RSSAfter, r.PerConnKiB, r.OpenTime.Seconds())
}

// Measure opens cfg.Conns idle keep-alive connections, measures, and closes
// them again before returning.
func Measure(cfg Config) (Result, error) {
	if cfg.Parallel <= 0 {
		cfg.Parallel = 1
	}
	if cfg.Path == "" {
		cfg.Path = "/"
	}
	before, err := rssKiB(cfg.PID)
	if err != nil {
		return Result{}, err
	}
	req := []byte("GET " + cfg.Path + " HTTP/1.1\r\nHost: " + cfg.Address + "\r\nUser-Agent: e2etls-idleconns\r\n\r\n")
	conns := make([]net.Conn, cfg.Conns)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()

	start := time.Now()
	next := make(chan int)
	errc := make(chan error, cfg.Parallel)
	var wg sync.WaitGroup
	for range cfg.Parallel {
		wg.Go(func() {
			for i := range next {
				c, err := open(cfg, req)
				if err != nil {
					errc <- fmt.Errorf("idleconns: connection %d: %w", i, err)
					return
				}
				conns[i] = c
			}
		})
	}
	var firstErr error
feed:
	for i := range conns {
		select {
		case next <- i:
		case firstErr = <-errc:
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil {
		select {
		case firstErr = <-errc:
		default:
		}
	}
	if firstErr != nil {
		return Result{}, firstErr
	}
	res := Result{Conns: cfg.Conns, RSSBefore: before, OpenTime: time.Since(start)}
	time.Sleep(cfg.Settle) // the server's memory settles; nothing to synchronise with
	if res.RSSAfter, err = rssKiB(cfg.PID); err != nil {
		return Result{}, err
	}
	res.PerConnKiB = float64(res.RSSAfter-res.RSSBefore) / float64(cfg.Conns)
	return res, nil
}

// open handshakes, sends one keep-alive request and reads its response,
// leaving the connection open and idle.
func open(cfg Config, req []byte) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", cfg.Address)
	if err != nil {
		return nil, err
	}
	deadline, _ := ctx.Deadline()
	raw.SetDeadline(deadline)
	c := tls.Client(raw, cfg.TLS)
	if err := c.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, fmt.Errorf("handshake: %w", err)
	}
	if _, err := c.Write(req); err != nil {
		c.Close()
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("status %s", resp.Status)
	}
	if err == nil && resp.Close {
		err = errors.New("the server closed the connection after the request")
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	raw.SetDeadline(time.Time{})
	return c, nil
}

// rssKiB reads VmRSS of process pid.
func rssKiB(pid int) (int64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("idleconns: %w", err)
	}
	return parseRSS(string(data))
}

// parseRSS finds "VmRSS:   1234 kB" in a /proc/<pid>/status text.
func parseRSS(status string) (int64, error) {
	for line := range strings.Lines(status) {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("idleconns: VmRSS line %q: want \"VmRSS: <n> kB\"", strings.TrimSpace(line))
		}
		return strconv.ParseInt(f[0], 10, 64)
	}
	return 0, errors.New("idleconns: no VmRSS line in /proc/<pid>/status")
}
