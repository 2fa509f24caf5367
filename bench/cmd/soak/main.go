// Command soak runs the e2etls gateway in-process under mixed load for a
// long time and reports whether it keeps working: error counts, RSS, heap
// and goroutines over time.
//
//	go run ./bench/cmd/soak -duration 10m
//
// Everything is on loopback: two HTTPS backends (HTTP/1.1 and HTTP/2 by
// ALPN, with an upgrade echo), the gateway in front of them with end-to-end
// TLS, and the load: HTTP/1.1 keep-alive, HTTP/1.1 with a new connection
// (and a full TLS handshake) per request, HTTP/2 GETs and POSTs, and
// WebSocket-style upgrades echoing data. Meanwhile the backends restart in
// turn (a graceful stop, a pause, a start on the same port) and the
// configuration is swapped through Gateway.Update.
//
// Every response is checked: the status, and a body that must be exactly
// what the backend sent. A failure while a backend is restarting (from its
// stop until the probes have seen it back) is counted as expected if the
// gateway answered it with its own 502 or 504; any other failure is
// unexpected. The command exits 1 if there was an unexpected error or if a
// goroutine outlived the gateway's Close.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command's flags.
type options struct {
	duration time.Duration // how long the load runs
	reload   time.Duration // between configuration swaps
	restart  time.Duration // between backend restarts
	down     time.Duration // how long a restarted backend stays down
	sample   time.Duration // between report lines
	rate     int           // requests per second per load worker
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.DurationVar(&o.duration, "duration", 10*time.Minute, "how long the load runs")
	fs.DurationVar(&o.reload, "reload", 30*time.Second, "interval between configuration updates")
	fs.DurationVar(&o.restart, "restart", 45*time.Second, "interval between backend restarts (they alternate)")
	fs.DurationVar(&o.down, "down", 2*time.Second, "how long a restarting backend stays down")
	fs.DurationVar(&o.sample, "sample", 30*time.Second, "interval between report lines")
	fs.IntVar(&o.rate, "rate", 40, "requests per second of each load worker")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.duration <= 0 || o.reload <= 0 || o.restart <= 0 || o.sample <= 0 || o.rate <= 0 || o.down < 0 {
		fmt.Fprintln(stderr, "soak: -duration, -reload, -restart, -sample and -rate must be positive")
		return 2
	}
	rep, err := soak(o, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "soak: %v\n", err)
		return 1
	}
	if rep.unexpected > 0 || rep.leaked > 0 {
		return 1
	}
	return 0
}

// report is the outcome of a soak.
type report struct {
	ok, expected, unexpected int64
	leaked                   int // goroutines left after Close
}

// soak runs the whole thing and writes its report to w.
func soak(o options, w io.Writer) (report, error) {
	baseline := runtime.NumGoroutine()
	root := tlstest.NewRoot(tlstest.Options{CommonName: "soak root", KeyType: tlstest.ECDSAP256})
	backends := make([]*backend, 2)
	for i := range backends {
		b, err := startBackend("b"+strconv.Itoa(i), root.NewLeaf(tlstest.Options{DNSNames: []string{"api.internal"}, KeyType: tlstest.ECDSAP256}).FullChain())
		if err != nil {
			return report{}, err
		}
		backends[i] = b
	}
	defer func() {
		for _, b := range backends {
			b.stop(context.Background())
		}
	}()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return report{}, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	front := root.NewLeaf(tlstest.Options{DNSNames: []string{"soak.example"}, KeyType: tlstest.ECDSAP256}).FullChain()
	cfgs := [2]gateway.Config{config(root, front, port, backends, false), config(root, front, port, backends, true)}
	gw, err := gateway.New(cfgs[0])
	if err != nil {
		ln.Close()
		return report{}, err
	}
	served := make(chan error, 1)
	go func() { served <- gw.ServePort(port, ln) }()

	st := &stats{start: time.Now()}
	ctx, cancel := context.WithTimeout(context.Background(), o.duration)
	defer cancel()
	base := "https://soak.example:" + strconv.Itoa(port)
	pool := root.Pool()
	var load sync.WaitGroup
	workers := []struct {
		name string
		n    int
		fn   func(context.Context, *worker) error
	}{
		{"h1-keepalive", 3, func(ctx context.Context, wk *worker) error { return wk.get(ctx, base+"/small", smallBody) }},
		{"h1-newconn", 2, func(ctx context.Context, wk *worker) error { return wk.get(ctx, base+"/small", smallBody) }},
		{"h2-get", 3, func(ctx context.Context, wk *worker) error { return wk.get(ctx, base+"/big", bigBody) }},
		{"h2-post", 2, func(ctx context.Context, wk *worker) error { return wk.post(ctx, base+"/post", postBody) }},
		{"websocket", 2, func(ctx context.Context, wk *worker) error { return wk.websocket(ctx, port) }},
	}
	for _, kind := range workers {
		for i := 0; i < kind.n; i++ {
			wk := newWorker(kind.name, pool, port)
			load.Add(1)
			go func() {
				defer load.Done()
				defer wk.close()
				tick := time.NewTicker(time.Second / time.Duration(o.rate))
				defer tick.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-tick.C:
					}
					err := kind.fn(ctx, wk)
					if ctx.Err() != nil && err != nil {
						return // the soak ended mid-request
					}
					st.record(kind.name, err, backends)
				}
			}()
		}
	}

	fmt.Fprintf(w, "soak: %v of mixed load on 127.0.0.1:%d (Go %s, GOMAXPROCS %d); update every %v, backend restart every %v (down %v)\n",
		o.duration, port, runtime.Version(), runtime.GOMAXPROCS(0), o.reload, o.restart, o.down)
	fmt.Fprintf(w, "%8s %9s %9s %10s %10s %9s %10s %8s %8s\n", "elapsed", "requests", "ok", "expected", "unexpected", "RSS MiB", "heap MiB", "gorout.", "updates")
	reloads := time.NewTicker(o.reload)
	defer reloads.Stop()
	restarts := time.NewTicker(o.restart)
	defer restarts.Stop()
	samples := time.NewTicker(o.sample)
	defer samples.Stop()
	updates, next := 0, 0
	st.line(w, updates)
	var restarting sync.WaitGroup
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-reloads.C:
			updates++
			if err := gw.Update(cfgs[updates%2]); err != nil {
				st.fail("update", err)
			}
		case <-restarts.C:
			b := backends[next%2]
			next++
			restarting.Add(1)
			go func() {
				defer restarting.Done()
				b.restart(ctx, o.down, func(err error) { st.fail("backend restart", err) })
			}()
		case <-samples.C:
			st.line(w, updates)
		}
	}
	load.Wait()
	restarting.Wait()
	st.line(w, updates)

	// Close everything and look for goroutines left over.
	closeErr := gw.Close()
	if err := <-served; !errors.Is(err, gateway.ErrGatewayClosed) {
		st.fail("serve", err)
	}
	if closeErr != nil {
		st.fail("close", closeErr)
	}
	for _, b := range backends {
		b.stop(context.Background())
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > baseline && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	rep := st.summary(w)
	rep.leaked = max(0, runtime.NumGoroutine()-baseline)
	fmt.Fprintf(w, "goroutines: %d before the gateway started, %d after Close (leaked: %d)\n", baseline, runtime.NumGoroutine(), rep.leaked)
	if rep.leaked > 0 {
		buf := make([]byte, 1<<20)
		fmt.Fprintf(w, "%s\n", buf[:runtime.Stack(buf, true)])
	}
	return rep, nil
}

// config is the gateway's configuration: one HTTPS listener, one pool of
// both backends, re-encrypted over HTTP/1.1 (the clients speak HTTP/1.1 or
// HTTP/2 to the gateway); alt swaps the members' order, turns affinity on
// and changes the probe, so every Update builds a new trust generation and
// new pools.
func config(root *tlstest.Cert, front tls.Certificate, port int, bs []*backend, alt bool) gateway.Config {
	members := []gateway.Member{bs[0].member(), bs[1].member()}
	if alt {
		members[0], members[1] = members[1], members[0]
	}
	probe := gateway.Probe{Name: "p", Protocol: gateway.HTTPS, Path: "/healthz", Interval: time.Second, Timeout: 2 * time.Second, UnhealthyThreshold: 1}
	if alt {
		probe.StatusCodes = []string{"200-299"}
	}
	return gateway.Config{
		Logger:                  slog.New(slog.NewTextHandler(io.Discard, nil)),
		SSLCertificates:         []gateway.SSLCertificate{{Name: "front", Certificate: front}},
		TrustedRootCertificates: []gateway.NamedCertificate{{Name: "root", Certificate: root.Certificate}},
		Listeners:               []gateway.Listener{{Name: "web", Protocol: gateway.HTTPS, Address: "127.0.0.1", Port: port, SSLCertificate: "front"}},
		Pools:                   []gateway.Pool{{Name: "app", Members: members}},
		Probes:                  []gateway.Probe{probe},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{{
			Name: "tls", Protocol: gateway.HTTPS, Port: 443, HostName: "api.internal",
			TrustedRootCertificates: []string{"root"}, Probe: "p",
			RequestTimeout: 10 * time.Second, CookieBasedAffinity: alt,
		}},
		Rules: []gateway.Rule{{Name: "all", Listener: "web", Pool: "app", BackendHTTPSetting: "tls"}},
	}
}

// The bodies the backends send and the load checks.
var (
	smallBody = []byte("small response\n")
	bigBody   = bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	postBody  = bytes.Repeat([]byte("p"), 4096)
)

// backend is an HTTPS backend on a fixed loopback port that can be stopped
// and started again on that port.
type backend struct {
	name string
	addr string
	cert tls.Certificate

	mu  sync.Mutex
	srv *http.Server
	ws  map[net.Conn]struct{} // upgraded connections, which Shutdown does not see
	wg  sync.WaitGroup        // Serve and upgraded connections

	down atomic.Int64 // when it last went down (unix ns), 0 when never
	up   atomic.Int64 // when it last came back
}

func startBackend(name string, cert tls.Certificate) (*backend, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &backend{name: name, addr: ln.Addr().String(), cert: cert, ws: make(map[net.Conn]struct{})}
	b.serve(ln)
	return b, nil
}

func (b *backend) member() gateway.Member {
	_, p, _ := net.SplitHostPort(b.addr)
	n, _ := strconv.Atoi(p)
	return gateway.Member{Address: "127.0.0.1", Port: n}
}

func (b *backend) serve(ln net.Listener) {
	srv := &http.Server{
		Handler:           http.HandlerFunc(b.handle),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{b.cert}, NextProtos: []string{"h2", "http/1.1"}},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(slog.NewTextHandler(io.Discard, nil), slog.LevelDebug),
	}
	b.mu.Lock()
	b.srv = srv
	b.mu.Unlock()
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		srv.ServeTLS(ln, "", "")
	}()
}

func (b *backend) handle(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/healthz":
	case "/small":
		w.Write(smallBody)
	case "/big":
		w.Write(bigBody)
	case "/post":
		body, err := io.ReadAll(r.Body)
		if err != nil || !bytes.Equal(body, postBody) {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		w.Write(body)
	case "/ws":
		b.upgrade(w, r)
	default:
		http.NotFound(w, r)
	}
}

// upgrade answers 101 and echoes what the client sends until it closes.
func (b *backend) upgrade(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		http.Error(w, "upgrade required", http.StatusUpgradeRequired)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	b.mu.Lock()
	b.ws[conn] = struct{}{}
	b.wg.Add(1)
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.ws, conn)
		b.mu.Unlock()
		conn.Close()
		b.wg.Done()
	}()
	brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
	if brw.Flush() != nil {
		return
	}
	io.Copy(conn, brw)
}

// stop shuts the backend down gracefully (in-flight requests finish) and
// closes its upgraded connections.
func (b *backend) stop(ctx context.Context) {
	b.mu.Lock()
	srv := b.srv
	b.srv = nil
	b.mu.Unlock()
	if srv == nil {
		return
	}
	b.down.Store(time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if srv.Shutdown(ctx) != nil {
		srv.Close()
	}
	b.mu.Lock()
	for c := range b.ws {
		c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}

// restart stops the backend, waits down, and starts it on the same port.
func (b *backend) restart(ctx context.Context, down time.Duration, fail func(error)) {
	b.stop(ctx)
	select {
	case <-time.After(down):
	case <-ctx.Done():
	}
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // the port may linger for a moment
		if ln, err = net.Listen("tcp", b.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		fail(fmt.Errorf("%s: listen on %s again: %w", b.name, b.addr, err))
		return
	}
	b.serve(ln)
	b.up.Store(time.Now().UnixNano())
}

// restarting reports whether t falls in a restart of b: from its stop until
// the probes have had time to see it back (two probe intervals).
func (b *backend) restarting(t time.Time) bool {
	down, up := b.down.Load(), b.up.Load()
	if down == 0 {
		return false
	}
	ns := t.UnixNano()
	return ns >= down && (up < down || ns <= up+int64(3*time.Second))
}

// worker is one load generator with its own client.
type worker struct {
	name   string
	client *http.Client
	tls    *tls.Config
	port   int
}

func newWorker(name string, pool *x509.CertPool, port int) *worker {
	tc := &tls.Config{RootCAs: pool, ServerName: "soak.example"}
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		TLSClientConfig: tc,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		},
		ForceAttemptHTTP2:   strings.HasPrefix(name, "h2"),
		DisableKeepAlives:   name == "h1-newconn",
		MaxIdleConnsPerHost: 4,
	}
	if !tr.ForceAttemptHTTP2 {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		tc.NextProtos = []string{"http/1.1"}
	}
	return &worker{name: name, client: &http.Client{Transport: tr, Timeout: 30 * time.Second}, tls: tc, port: port}
}

func (wk *worker) close() { wk.client.CloseIdleConnections() }

// gatewayError is a failure the gateway answered itself (its 502 or 504),
// as opposed to a transport error or a wrong response.
type gatewayError struct {
	status int
	reason string
}

func (e *gatewayError) Error() string { return fmt.Sprintf("gateway %d (%s)", e.status, e.reason) }

func (wk *worker) check(resp *http.Response, err error, want []byte) error {
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("reading the body: %w", err)
	}
	if reason := resp.Header.Get("X-E2etls-Error"); reason != "" {
		return &gatewayError{status: resp.StatusCode, reason: reason}
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	if wk.name != "h1-newconn" && wk.name != "h1-keepalive" && resp.ProtoMajor != 2 {
		return fmt.Errorf("%s answered over %s", wk.name, resp.Proto)
	}
	if !bytes.Equal(body, want) {
		return fmt.Errorf("wrong body: %d bytes, want %d", len(body), len(want))
	}
	return nil
}

func (wk *worker) get(ctx context.Context, url string, want []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := wk.client.Do(req)
	return wk.check(resp, err, want)
}

func (wk *worker) post(ctx context.Context, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := wk.client.Do(req)
	return wk.check(resp, err, body)
}

// websocket upgrades a connection through the gateway and echoes ten
// messages over it.
func (wk *worker) websocket(ctx context.Context, port int) error {
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: wk.tls}
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: soak.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n"); err != nil {
		return err
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return wk.check(resp, nil, nil)
	}
	msg := make([]byte, 512)
	got := make([]byte, len(msg))
	for i := 0; i < 10; i++ {
		for j := range msg {
			msg[j] = byte('a' + (i+j)%26)
		}
		if _, err := c.Write(msg); err != nil {
			return err
		}
		if _, err := io.ReadFull(br, got); err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
		if !bytes.Equal(got, msg) {
			return fmt.Errorf("message %d came back changed", i)
		}
	}
	return nil
}

// stats counts outcomes, and keeps a few examples of each kind of failure.
type stats struct {
	start time.Time
	ok    atomic.Int64

	mu         sync.Mutex
	requests   int64
	expected   map[string]int64 // by kind of failure
	unexpected map[string]int64
	examples   map[string]string
	maxRSS     int64
	maxG       int
	first      [2]int64 // RSS and goroutines at the first sample after a minute
}

func (s *stats) record(kind string, err error, bs []*backend) {
	if err == nil {
		s.ok.Add(1)
		s.mu.Lock()
		s.requests++
		s.mu.Unlock()
		return
	}
	now := time.Now()
	var ge *gatewayError
	during := false
	for _, b := range bs {
		during = during || b.restarting(now)
	}
	// During a backend restart the gateway may answer a request it
	// could not retry (a POST, an upgrade, a response cut short) with its
	// own 502 or 504, and a stream the backend cut shows as truncated.
	expected := during && (errors.As(err, &ge) && (ge.status == http.StatusBadGateway || ge.status == http.StatusGatewayTimeout) ||
		kind == "websocket" || strings.Contains(err.Error(), "reading the body"))
	key := kind + ": "
	if ge != nil {
		key += ge.Error()
	} else {
		key += trimAddr(err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if s.expected == nil {
		s.expected, s.unexpected, s.examples = map[string]int64{}, map[string]int64{}, map[string]string{}
	}
	if expected {
		s.expected[key]++
	} else {
		s.unexpected[key]++
		if _, ok := s.examples[key]; !ok {
			s.examples[key] = fmt.Sprintf("%s at %v", err, now.Sub(s.start).Round(time.Millisecond))
		}
	}
}

// fail records an error of the harness itself (an Update refused, a port
// that could not be bound again), which counts as unexpected.
func (s *stats) fail(what string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unexpected == nil {
		s.expected, s.unexpected, s.examples = map[string]int64{}, map[string]int64{}, map[string]string{}
	}
	s.unexpected[what+": "+err.Error()]++
}

// trimAddr removes port numbers from an error message, so that the same
// failure on different connections is counted as one kind.
func trimAddr(msg string) string {
	fields := strings.Fields(msg)
	for i, f := range fields {
		if h, _, err := net.SplitHostPort(strings.TrimRight(f, ":,")); err == nil && net.ParseIP(h) != nil {
			fields[i] = h + ":*"
		}
	}
	return strings.Join(fields, " ")
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// line writes one sample: counts so far, RSS, heap, goroutines.
func (s *stats) line(w io.Writer, updates int) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss := readRSS()
	g := runtime.NumGoroutine()
	s.mu.Lock()
	s.maxRSS, s.maxG = max(s.maxRSS, rss), max(s.maxG, g)
	elapsed := time.Since(s.start)
	if s.first[0] == 0 && elapsed >= time.Minute {
		s.first = [2]int64{rss, int64(g)}
	}
	fmt.Fprintf(w, "%8s %9d %9d %10d %10d %9.1f %10.1f %8d %8d\n", elapsed.Round(time.Second), s.requests, s.ok.Load(),
		sum(s.expected), sum(s.unexpected), float64(rss)/(1<<20), float64(ms.HeapInuse)/(1<<20), g, updates)
	s.mu.Unlock()
}

// summary writes the failures by kind and the peaks, and returns the totals.
func (s *stats) summary(w io.Writer) report {
	s.mu.Lock()
	defer s.mu.Unlock()
	rep := report{ok: s.ok.Load(), expected: sum(s.expected), unexpected: sum(s.unexpected)}
	fmt.Fprintf(w, "requests: %d, ok: %d, expected failures (during a backend restart): %d, unexpected: %d\n",
		s.requests, rep.ok, rep.expected, rep.unexpected)
	for _, m := range []struct {
		title string
		m     map[string]int64
	}{{"expected", s.expected}, {"unexpected", s.unexpected}} {
		keys := make([]string, 0, len(m.m))
		for k := range m.m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %s %6d  %s", m.title, m.m[k], k)
			if ex := s.examples[k]; ex != "" {
				fmt.Fprintf(w, " (first: %s)", ex)
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintf(w, "peak RSS %.1f MiB, peak goroutines %d", float64(s.maxRSS)/(1<<20), s.maxG)
	if s.first[0] > 0 {
		fmt.Fprintf(w, " (after the first minute: RSS %.1f MiB, goroutines %d)", float64(s.first[0])/(1<<20), s.first[1])
	}
	fmt.Fprintln(w)
	return rep
}

// readRSS returns the process's resident set size in bytes, 0 where
// /proc is not there.
func readRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) == 2 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n << 10
			}
		}
	}
	return 0
}
