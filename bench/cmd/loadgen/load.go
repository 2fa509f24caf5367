package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Config is one load run.
type Config struct {
	// Address is the server's host:port. Required.
	Address string
	// Path is the request target. Empty means "/".
	Path string
	// Host is the Host header. Empty means Address.
	Host string
	// TLS is the client configuration. Required. Its ClientSessionCache must
	// be nil: every connection does a full handshake.
	TLS *tls.Config
	// Concurrency is the number of workers, each with one connection at a
	// time. Zero means 1.
	Concurrency int
	// Duration is how long workers start new requests. Required.
	Duration time.Duration
	// Timeout bounds each request, handshake included. Zero means 5 s.
	Timeout time.Duration
	// Method is GET or POST. Empty means GET.
	Method string
	// BodySize is the size of a POST body. Zero means no body.
	BodySize int
}

// Result is what a run measured. Latencies run from the start of the dial
// to the end of the response body.
type Result struct {
	Requests int           // requests answered 200 with a whole body
	Errors   int           // requests that failed (any reason, any status but 200)
	Resumed  int           // handshakes that resumed a session; must be 0
	Elapsed  time.Duration // first request's start to the last one's end
	P50, P99 time.Duration
	Mean     time.Duration
	// FirstErrors holds up to 5 distinct error messages.
	FirstErrors []error
}

// RPS is Requests per second of Elapsed.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// String is the result as one line of key=value pairs.
func (r Result) String() string {
	return fmt.Sprintf("requests=%d errors=%d resumed=%d seconds=%.3f rps=%.1f p50_us=%d p99_us=%d mean_us=%d",
		r.Requests, r.Errors, r.Resumed, r.Elapsed.Seconds(), r.RPS(),
		r.P50.Microseconds(), r.P99.Microseconds(), r.Mean.Microseconds())
}

// Run sends requests as cfg says until cfg.Duration has passed and every
// request in flight has ended.
func Run(cfg Config) (Result, error) {
	if cfg.TLS == nil || cfg.Address == "" || cfg.Duration <= 0 {
		return Result{}, errors.New("loadgen: Address, TLS and Duration are required")
	}
	if cfg.TLS.ClientSessionCache != nil {
		return Result{}, errors.New("loadgen: TLS.ClientSessionCache must be nil: every request needs a full handshake")
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 1
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	req, err := requestBytes(cfg)
	if err != nil {
		return Result{}, err
	}

	type workerResult struct {
		lat     []time.Duration
		errs    int
		resumed int
		first   []error
	}
	results := make([]workerResult, cfg.Concurrency)
	start := time.Now()
	stop := start.Add(cfg.Duration)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			w := &results[i]
			w.lat = make([]time.Duration, 0, 4096)
			br := bufio.NewReaderSize(nil, 4096)
			for time.Now().Before(stop) {
				t0 := time.Now()
				resumed, err := once(cfg, req, br)
				if resumed {
					w.resumed++
				}
				if err != nil {
					w.errs++
					if len(w.first) < 5 {
						w.first = append(w.first, err)
					}
					continue
				}
				w.lat = append(w.lat, time.Since(t0))
			}
		})
	}
	wg.Wait()
	res := Result{Elapsed: time.Since(start)}
	var all []time.Duration
	seen := map[string]bool{}
	for _, w := range results {
		all = append(all, w.lat...)
		res.Errors += w.errs
		res.Resumed += w.resumed
		for _, e := range w.first {
			if !seen[e.Error()] && len(res.FirstErrors) < 5 {
				seen[e.Error()] = true
				res.FirstErrors = append(res.FirstErrors, e)
			}
		}
	}
	res.Requests = len(all)
	if len(all) > 0 {
		slices.Sort(all)
		res.P50 = percentile(all, 50)
		res.P99 = percentile(all, 99)
		var sum time.Duration
		for _, d := range all {
			sum += d
		}
		res.Mean = sum / time.Duration(len(all))
	}
	return res, nil
}

// percentile returns the p-th percentile (nearest rank) of sorted.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

// requestBytes is the whole request, written at once on every connection.
func requestBytes(cfg Config) ([]byte, error) {
	method := cfg.Method
	if method == "" {
		method = http.MethodGet
	}
	if method != http.MethodGet && method != http.MethodPost {
		return nil, fmt.Errorf("loadgen: method %q: want GET or POST", method)
	}
	if method == http.MethodGet && cfg.BodySize > 0 {
		return nil, errors.New("loadgen: a body needs method POST")
	}
	path, host := cfg.Path, cfg.Host
	if path == "" {
		path = "/"
	}
	if host == "" {
		host = cfg.Address
	}
	b := fmt.Appendf(nil, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: e2etls-loadgen\r\nConnection: close\r\n", method, path, host)
	if method == http.MethodPost {
		b = fmt.Appendf(b, "Content-Type: application/octet-stream\r\nContent-Length: %s\r\n", strconv.Itoa(cfg.BodySize))
	}
	b = append(b, "\r\n"...)
	for range cfg.BodySize {
		b = append(b, 'x')
	}
	return b, nil
}

// once does one request on a new connection; it reports whether the
// handshake resumed a session.
func once(cfg Config, req []byte, br *bufio.Reader) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
	defer cancel()
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", cfg.Address)
	if err != nil {
		return false, err
	}
	defer raw.Close()
	deadline, _ := ctx.Deadline()
	if err := raw.SetDeadline(deadline); err != nil {
		return false, err
	}
	conn := tls.Client(raw, cfg.TLS)
	if err := conn.HandshakeContext(ctx); err != nil {
		return false, fmt.Errorf("handshake: %w", err)
	}
	resumed := conn.ConnectionState().DidResume
	if _, err := conn.Write(req); err != nil {
		return resumed, fmt.Errorf("write: %w", err)
	}
	br.Reset(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return resumed, fmt.Errorf("read response: %w", err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return resumed, fmt.Errorf("read body: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return resumed, fmt.Errorf("status %s", resp.Status)
	}
	return resumed, nil
}
