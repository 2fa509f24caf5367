package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Cell is one measurement: one workload against one server in one round.
type Cell struct {
	Workload, Target string
	Round            int
	Tool             string // wrk, h2load or loadgen
	Output           string // the tool's output file; h2load's log is Output+".log"
	ServerTicks      int64  // CPU ticks of the server under test over the cell
	BackendTicks     int64  // CPU ticks of the backend worker over the cell
	BackendRequests  int    // requests the backend logged from this server
	BackendNewConns  int    // of them, first requests on a connection: handshakes
	BackendResumed   int    // of those handshakes, resumed sessions
	CPU0Busy         int    // percent of CPU 0 (load generator, backend) busy over the cell
	CPU1Busy         int    // percent of CPU 1 (the server under test) busy over the cell
	Measure          Measure
}

// cellColumns is the header run.sh writes.
var cellColumns = []string{"workload", "target", "round", "tool", "output", "server_ticks", "backend_ticks",
	"backend_requests", "backend_new_conns", "backend_resumed", "cpu0_busy", "cpu1_busy"}

// readCells reads run.sh's cells.tsv and parses each cell's tool output.
func readCells(path string) ([]Cell, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var cells []Cell
	line := 0
	for sc.Scan() {
		line++
		fields := strings.Split(sc.Text(), "\t")
		if line == 1 {
			if !slices.Equal(fields, cellColumns) {
				return nil, fmt.Errorf("%s:1: header %q: want %q", path, fields, cellColumns)
			}
			continue
		}
		c, err := parseCell(fields)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		cells = append(cells, c)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return cells, nil
}

// parseCell parses one row of cells.tsv and the output it names.
func parseCell(f []string) (Cell, error) {
	if len(f) != len(cellColumns) {
		return Cell{}, fmt.Errorf("%d columns, want %d", len(f), len(cellColumns))
	}
	c := Cell{Workload: f[0], Target: f[1], Tool: f[3], Output: f[4]}
	ints := []*int64{&c.ServerTicks, &c.BackendTicks}
	for i, p := range ints {
		n, err := strconv.ParseInt(f[5+i], 10, 64)
		if err != nil {
			return Cell{}, fmt.Errorf("%s: %w", cellColumns[5+i], err)
		}
		*p = n
	}
	for i, p := range []*int{&c.Round, &c.BackendRequests, &c.BackendNewConns, &c.BackendResumed, &c.CPU0Busy, &c.CPU1Busy} {
		col := []int{2, 7, 8, 9, 10, 11}[i]
		n, err := strconv.Atoi(f[col])
		if err != nil {
			return Cell{}, fmt.Errorf("%s: %w", cellColumns[col], err)
		}
		*p = n
	}
	out, err := os.ReadFile(c.Output)
	if err != nil {
		return Cell{}, err
	}
	switch c.Tool {
	case "wrk":
		c.Measure, err = parseWrk(string(out))
	case "loadgen":
		c.Measure, err = parseLoadgen(string(out))
	case "h2load":
		var log *os.File
		if log, err = os.Open(c.Output + ".log"); err == nil {
			c.Measure, err = parseH2load(string(out), log)
			log.Close()
		}
	default:
		err = fmt.Errorf("unknown tool %q", c.Tool)
	}
	if err != nil {
		return Cell{}, fmt.Errorf("%s: %w", c.Output, err)
	}
	return c, nil
}

// cpuPerRequest is ticks of CPU time per request, in microseconds.
func cpuPerRequest(ticks int64, clkTck, requests int) float64 {
	if requests == 0 {
		return 0
	}
	return float64(ticks) * 1e6 / float64(clkTck) / float64(requests)
}

// Summary is the medians over rounds of one workload on one server.
type Summary struct {
	Workload, Target string
	Rounds           int
	RPS              float64
	P50, P99         time.Duration
	CPUPerReq        float64         // server CPU, µs per request
	RoundRPS         map[int]float64 // each round's rate, for paired comparisons
	Errors           int             // summed over rounds
	BackendRequests  int             // summed over rounds
	BackendNewConns  int
	BackendResumed   int
}

// summarize groups cells by workload and server, in the order they first
// appear, and takes medians over rounds.
func summarize(cells []Cell, clkTck int) []Summary {
	type key struct{ w, t string }
	var order []key
	groups := map[key][]Cell{}
	for _, c := range cells {
		k := key{c.Workload, c.Target}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], c)
	}
	out := make([]Summary, 0, len(order))
	for _, k := range order {
		g := groups[k]
		s := Summary{Workload: k.w, Target: k.t, Rounds: len(g), RoundRPS: map[int]float64{}}
		var rps, p50, p99, cpu []float64
		for _, c := range g {
			rps = append(rps, c.Measure.RPS)
			s.RoundRPS[c.Round] = c.Measure.RPS
			p50 = append(p50, float64(c.Measure.P50))
			p99 = append(p99, float64(c.Measure.P99))
			cpu = append(cpu, cpuPerRequest(c.ServerTicks, clkTck, c.Measure.Requests))
			s.Errors += c.Measure.Errors
			s.BackendRequests += c.BackendRequests
			s.BackendNewConns += c.BackendNewConns
			s.BackendResumed += c.BackendResumed
		}
		s.RPS = median(rps)
		s.P50, s.P99 = time.Duration(median(p50)), time.Duration(median(p99))
		s.CPUPerReq = median(cpu)
		out = append(out, s)
	}
	return out
}

// median of xs; the mean of the middle two for an even count.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// find returns the summary of workload w on target t.
func find(sums []Summary, w, t string) (Summary, bool) {
	for _, s := range sums {
		if s.Workload == w && s.Target == t {
			return s, true
		}
	}
	return Summary{}, false
}

// workloadNames label the workloads of run.sh.
var workloadNames = map[string]string{
	"keepalive": "1. HTTP/1.1 keep-alive, 32 conns, 1 KiB",
	"newconn":   "2. new TLS conn per request, 32 conc., 1 KiB",
	"h2":        "3. HTTP/2, 32 conns x 10 streams, 1 KiB",
	"post4k":    "4. POST 4 KiB, 32 conns, 1 KiB answer",
	"get1m":     "5. GET 1 MiB, 8 conns",
}

// targetNames label the servers.
var targetNames = map[string]string{
	"e2etls": "e2etls", "nginx": "NGINX", "haproxy": "HAProxy", "caddy": "Caddy", "direct": "direct (backend)",
}

func label(m map[string]string, k string) string {
	if v, ok := m[k]; ok {
		return v
	}
	return k
}

// fmtLatency prints µs below 1 ms, else ms.
func fmtLatency(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%d µs", d.Microseconds())
	}
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

// ratio is a/b with two decimals, or "-" when b is zero.
func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

// writeReport writes the Markdown tables.
func writeReport(w io.Writer, cells []Cell, clkTck int, memory string) error {
	sums := summarize(cells, clkTck)
	rounds := 0
	for _, s := range sums {
		rounds = max(rounds, s.Rounds)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "## Results (medians of %d rounds)\n\n", rounds)
	fmt.Fprintln(bw, "Server CPU is the server under test's user+system time per request (for direct: the backend's). "+
		"vs NGINX and vs direct divide the median req/s. CPU vs NGINX is NGINX's CPU per request divided by the server's: "+
		"the throughput ratio the two would have if each had a core to itself, which other work on the machine disturbs less than req/s. "+
		"For workload 5, req/s is also MiB/s.")
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "| Workload | Server | req/s | p50 | p99 | server CPU µs/req | vs NGINX | vs direct | CPU vs NGINX | errors |")
	fmt.Fprintln(bw, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, s := range sums {
		ng, _ := find(sums, s.Workload, "nginx")
		di, _ := find(sums, s.Workload, "direct")
		fmt.Fprintf(bw, "| %s | %s | %.0f | %s | %s | %.1f | %s | %s | %s | %d |\n",
			label(workloadNames, s.Workload), label(targetNames, s.Target), s.RPS, fmtLatency(s.P50), fmtLatency(s.P99),
			s.CPUPerReq, ratio(s.RPS, ng.RPS), ratio(s.RPS, di.RPS), ratio(ng.CPUPerReq, s.CPUPerReq), s.Errors)
	}

	fmt.Fprintf(bw, "\n## Backend connections (summed over %d rounds, from the backend's access log)\n\n", rounds)
	fmt.Fprintln(bw, "A new connection is a request with $connection_requests = 1, i.e. one backend TLS handshake; resumed means $ssl_session_reused = r. Direct cells count the clients' own connections.")
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "| Workload | Server | backend requests | new backend connections | of them resumed | resumed share |")
	fmt.Fprintln(bw, "| --- | --- | ---: | ---: | ---: | ---: |")
	for _, s := range sums {
		share := "-"
		if s.BackendNewConns > 0 {
			share = fmt.Sprintf("%.1f%%", 100*float64(s.BackendResumed)/float64(s.BackendNewConns))
		}
		fmt.Fprintf(bw, "| %s | %s | %d | %d | %d | %s |\n", label(workloadNames, s.Workload), label(targetNames, s.Target),
			s.BackendRequests, s.BackendNewConns, s.BackendResumed, share)
	}

	fmt.Fprintln(bw, "\n## Issue 7's targets for e2etls")
	fmt.Fprintln(bw)
	for _, t := range targets(sums, memory) {
		fmt.Fprintf(bw, "- %s\n", t)
	}

	fmt.Fprintln(bw, "\n<details><summary>Every cell</summary>")
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "Server's core share is the server's CPU time over the cell's length: well below CPU1 busy means other work took CPU 1 from it.")
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "| Workload | Server | round | requests | req/s | p50 | p99 | server CPU µs/req | backend CPU µs/req | errors | backend new conns | resumed | CPU0 busy | CPU1 busy | server's core share |")
	fmt.Fprintln(bw, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, c := range cells {
		m := c.Measure
		share := 0.0
		if m.Seconds > 0 {
			share = 100 * float64(c.ServerTicks) / float64(clkTck) / m.Seconds
		}
		fmt.Fprintf(bw, "| %s | %s | %d | %d | %.0f | %s | %s | %.1f | %.1f | %d | %d | %d | %d%% | %d%% | %.0f%% |\n", c.Workload, c.Target, c.Round,
			m.Requests, m.RPS, fmtLatency(m.P50), fmtLatency(m.P99),
			cpuPerRequest(c.ServerTicks, clkTck, m.Requests), cpuPerRequest(c.BackendTicks, clkTck, m.Requests),
			m.Errors, c.BackendNewConns, c.BackendResumed, c.CPU0Busy, c.CPU1Busy, share)
	}
	fmt.Fprintln(bw, "\n</details>")
	return bw.Flush()
}

// pairedRatios is a's rate over b's in each round, in round order.
func pairedRatios(a, b Summary) string {
	var rounds []int
	for r := range a.RoundRPS {
		if _, ok := b.RoundRPS[r]; ok {
			rounds = append(rounds, r)
		}
	}
	slices.Sort(rounds)
	parts := make([]string, len(rounds))
	for i, r := range rounds {
		parts[i] = ratio(a.RoundRPS[r], b.RoundRPS[r])
	}
	return strings.Join(parts, ", ")
}

// targets checks issue 7's targets; memory is the idleconns result line
// ("" if not measured).
func targets(sums []Summary, memory string) []string {
	var out []string
	verdict := func(ok bool) string {
		if ok {
			return "**met**"
		}
		return "**missed**"
	}
	vsNGINX := func(w string, want float64, what string) {
		e, ok1 := find(sums, w, "e2etls")
		n, ok2 := find(sums, w, "nginx")
		if !ok1 || !ok2 || n.RPS == 0 {
			out = append(out, what+": not measured")
			return
		}
		r := e.RPS / n.RPS
		out = append(out, fmt.Sprintf("%s: %.0f vs NGINX %.0f req/s = %.2fx (target >= %.1fx): %s; per round %s; by CPU per request %s",
			what, e.RPS, n.RPS, r, want, verdict(r >= want), pairedRatios(e, n), ratio(n.CPUPerReq, e.CPUPerReq)))
		if w == "keepalive" {
			out = append(out, fmt.Sprintf("%s p99: %s vs NGINX %s (target: no worse): %s", what, fmtLatency(e.P99), fmtLatency(n.P99), verdict(e.P99 <= n.P99)))
		}
	}
	vsNGINX("keepalive", 1.0, "Keep-alive (1)")
	vsNGINX("newconn", 1.2, "New connection per request (2)")
	vsNGINX("h2", 0.8, "HTTP/2 (3)")

	if ka, ok := find(sums, "keepalive", "e2etls"); ok {
		out = append(out, fmt.Sprintf("Backend handshakes under keep-alive (1): %d for %d requests over %d rounds (target: none per request): %s",
			ka.BackendNewConns, ka.BackendRequests, ka.Rounds, verdict(ka.BackendRequests > 0 && ka.BackendNewConns*100 < ka.BackendRequests)))
	}
	newConns, resumed := 0, 0
	for _, s := range sums {
		if s.Target == "e2etls" {
			newConns += s.BackendNewConns
			resumed += s.BackendResumed
		}
	}
	if newConns > 0 {
		share := 100 * float64(resumed) / float64(newConns)
		out = append(out, fmt.Sprintf("New backend connections that resumed a TLS session, all e2etls cells: %d of %d = %.1f%% (target >= 95%%): %s",
			resumed, newConns, share, verdict(share >= 95)))
	} else {
		out = append(out, "New backend connections that resumed a TLS session: e2etls opened none during the cells (its pool was warm from the warm-up)")
	}
	if memory != "" {
		kib := -1.0
		for f := range strings.FieldsSeq(memory) {
			if v, ok := strings.CutPrefix(f, "kib_per_conn="); ok {
				kib, _ = strconv.ParseFloat(v, 64)
			}
		}
		if kib >= 0 {
			out = append(out, fmt.Sprintf("Memory per idle keep-alive frontend TLS connection: %.1f KiB (target <= 40 KiB): %s", kib, verdict(kib <= 40)))
		} else {
			out = append(out, fmt.Sprintf("Memory: unreadable result %q", strings.TrimSpace(memory)))
		}
	}
	return out
}
