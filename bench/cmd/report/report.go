package main

import (
	"bufio"
	"fmt"
	"io"
	"maps"
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
	LoadTicks        int64  // CPU ticks of the load generator over the cell
	ServerCores      int    // CPUs the server under test may use
	LogLines         int    // access-log records the server wrote for the cell; -1 when it writes no log
	LogBytes         int64  // their size
	Measure          Measure
	// Problem says why the tool's output gave no result (the tool failed
	// or was killed); such a cell is left out of the medians.
	Problem string
}

// cellColumns is the header run.sh writes.
var cellColumns = []string{"workload", "target", "round", "tool", "output", "server_ticks", "backend_ticks",
	"backend_requests", "backend_new_conns", "backend_resumed", "cpu0_busy", "cpu1_busy", "load_ticks", "server_cores"}

// logColumns is the header of run.sh's logs.tsv: the access-log records
// each server wrote for each of its cells.
var logColumns = []string{"workload", "target", "round", "lines", "bytes"}

// readTSV reads a tab-separated file whose first row must be header, and
// calls row for each further row with its line number.
func readTSV(path string, header []string, row func(line int, fields []string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		fields := strings.Split(sc.Text(), "\t")
		if line == 1 {
			if !slices.Equal(fields, header) {
				return fmt.Errorf("%s:1: header %q: want %q", path, fields, header)
			}
			continue
		}
		if err := row(line, fields); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if line == 0 {
		return fmt.Errorf("%s: empty; want the header %q", path, header)
	}
	return nil
}

// readCells reads run.sh's cells.tsv and parses each cell's tool output.
func readCells(path string) ([]Cell, error) {
	var cells []Cell
	err := readTSV(path, cellColumns, func(_ int, fields []string) error {
		c, err := parseCell(fields)
		if err != nil {
			return err
		}
		cells = append(cells, c)
		return nil
	})
	return cells, err
}

// cellKey names a cell in logs.tsv.
func cellKey(workload, target string, round int) string {
	return workload + "/" + target + "/" + strconv.Itoa(round)
}

// logCount is what a server's access log held for one cell.
type logCount struct {
	lines int
	bytes int64
}

// readLogs reads run.sh's logs.tsv: access-log records per cell.
func readLogs(path string) (map[string]logCount, error) {
	counts := map[string]logCount{}
	err := readTSV(path, logColumns, func(_ int, f []string) error {
		if len(f) != len(logColumns) {
			return fmt.Errorf("%d columns, want %d", len(f), len(logColumns))
		}
		round, err := strconv.Atoi(f[2])
		if err != nil {
			return fmt.Errorf("round: %w", err)
		}
		n, err := strconv.Atoi(f[3])
		if err != nil || n < 0 {
			return fmt.Errorf("lines: %q", f[3])
		}
		b, err := strconv.ParseInt(f[4], 10, 64)
		if err != nil || b < 0 {
			return fmt.Errorf("bytes: %q", f[4])
		}
		counts[cellKey(f[0], f[1], round)] = logCount{n, b}
		return nil
	})
	return counts, err
}

// attachLogs sets each cell's LogLines from readLogs' result; cells of
// servers that write no access log keep -1.
func attachLogs(cells []Cell, counts map[string]logCount) {
	for i := range cells {
		c := &cells[i]
		if n, ok := counts[cellKey(c.Workload, c.Target, c.Round)]; ok {
			c.LogLines, c.LogBytes = n.lines, n.bytes
		}
	}
}

// parseCell parses one row of cells.tsv and the output it names.
func parseCell(f []string) (Cell, error) {
	if len(f) != len(cellColumns) {
		return Cell{}, fmt.Errorf("%d columns, want %d", len(f), len(cellColumns))
	}
	c := Cell{Workload: f[0], Target: f[1], Tool: f[3], Output: f[4], LogLines: -1}
	for i, p := range []*int64{&c.ServerTicks, &c.BackendTicks, &c.LoadTicks} {
		col := []int{5, 6, 12}[i]
		n, err := strconv.ParseInt(f[col], 10, 64)
		if err != nil {
			return Cell{}, fmt.Errorf("%s: %w", cellColumns[col], err)
		}
		*p = n
	}
	for i, p := range []*int{&c.Round, &c.BackendRequests, &c.BackendNewConns, &c.BackendResumed, &c.CPU0Busy, &c.CPU1Busy, &c.ServerCores} {
		col := []int{2, 7, 8, 9, 10, 11, 13}[i]
		n, err := strconv.Atoi(f[col])
		if err != nil {
			return Cell{}, fmt.Errorf("%s: %w", cellColumns[col], err)
		}
		*p = n
	}
	if c.ServerCores < 1 {
		return Cell{}, fmt.Errorf("server_cores: %d", c.ServerCores)
	}
	out, err := os.ReadFile(c.Output)
	if err != nil {
		c.Problem = err.Error()
		return c, nil
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
		return Cell{}, fmt.Errorf("unknown tool %q", c.Tool)
	}
	if err != nil {
		c.Problem = fmt.Sprintf("%s: %v", c.Output, err)
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

// coresUsed is ticks of CPU time over the cell's length, in cores.
func coresUsed(ticks int64, clkTck int, seconds float64) float64 {
	if seconds <= 0 {
		return 0
	}
	return float64(ticks) / float64(clkTck) / seconds
}

// Summary is the medians over rounds of one workload on one server.
type Summary struct {
	Workload, Target string
	Rounds           int
	RPS              float64
	P50, P99         time.Duration
	CPUPerReq        float64         // server CPU, µs per request
	RoundRPS         map[int]float64 // each round's rate, for paired ratios
	RoundCPU         map[int]float64 // each round's CPU per request
	Errors           int             // summed over rounds
	BackendRequests  int             // summed over rounds
	BackendNewConns  int
	BackendResumed   int
	ServerCores      int     // CPUs the server may use
	CoresUsed        float64 // median of the server's CPU time over each cell's length
	LoadCores        float64 // median of the load generator's CPU time over each cell's length
	CPU0Busy         float64 // median percent
	LogPerReq        float64 // access-log records per request over every round; -1 when no log
	LogRecordBytes   float64 // the records' mean size
}

// summarize groups cells by workload and server, in the order they first
// appear, and takes medians over rounds.
func summarize(cells []Cell, clkTck int) []Summary {
	type key struct{ w, t string }
	var order []key
	groups := map[key][]Cell{}
	for _, c := range cells {
		if c.Problem != "" {
			continue
		}
		k := key{c.Workload, c.Target}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], c)
	}
	out := make([]Summary, 0, len(order))
	for _, k := range order {
		g := groups[k]
		s := Summary{Workload: k.w, Target: k.t, Rounds: len(g), RoundRPS: map[int]float64{}, RoundCPU: map[int]float64{}, LogPerReq: -1}
		var rps, p50, p99, cpu, used, load, busy []float64
		logLines, logReqs, logBytes := 0, 0, int64(0)
		for _, c := range g {
			m := c.Measure
			perReq := cpuPerRequest(c.ServerTicks, clkTck, m.Requests)
			rps = append(rps, m.RPS)
			s.RoundRPS[c.Round] = m.RPS
			s.RoundCPU[c.Round] = perReq
			p50 = append(p50, float64(m.P50))
			p99 = append(p99, float64(m.P99))
			cpu = append(cpu, perReq)
			used = append(used, coresUsed(c.ServerTicks, clkTck, m.Seconds))
			load = append(load, coresUsed(c.LoadTicks, clkTck, m.Seconds))
			busy = append(busy, float64(c.CPU0Busy))
			s.Errors += m.Errors
			s.BackendRequests += c.BackendRequests
			s.BackendNewConns += c.BackendNewConns
			s.BackendResumed += c.BackendResumed
			s.ServerCores = max(s.ServerCores, c.ServerCores)
			if c.LogLines >= 0 {
				logLines += c.LogLines
				logBytes += c.LogBytes
				logReqs += m.Requests + m.Errors
			}
		}
		s.RPS = median(rps)
		s.P50, s.P99 = time.Duration(median(p50)), time.Duration(median(p99))
		s.CPUPerReq = median(cpu)
		s.CoresUsed, s.LoadCores, s.CPU0Busy = median(used), median(load), median(busy)
		if logReqs > 0 {
			s.LogPerReq = float64(logLines) / float64(logReqs)
		}
		if logLines > 0 {
			s.LogRecordBytes = float64(logBytes) / float64(logLines)
		}
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

// pairedRounds are the rounds both a and b have, in order.
func pairedRounds(a, b Summary) []int {
	var rounds []int
	for r := range a.RoundRPS {
		if _, ok := b.RoundRPS[r]; ok {
			rounds = append(rounds, r)
		}
	}
	slices.Sort(rounds)
	return rounds
}

// rpsRatio is the median over the rounds both ran of a's rate over b's:
// each round's cells ran seconds apart, so a round's ratio is less
// disturbed by the machine's other work than a ratio of medians.
func rpsRatio(a, b Summary) (float64, bool) {
	var rs []float64
	for _, r := range pairedRounds(a, b) {
		if b.RoundRPS[r] > 0 {
			rs = append(rs, a.RoundRPS[r]/b.RoundRPS[r])
		}
	}
	return median(rs), len(rs) > 0
}

// cpuRatio is the median over the rounds both ran of b's CPU per request
// over a's: above 1 when a spends less CPU on a request than b.
func cpuRatio(a, b Summary) (float64, bool) {
	var rs []float64
	for _, r := range pairedRounds(a, b) {
		if a.RoundCPU[r] > 0 {
			rs = append(rs, b.RoundCPU[r]/a.RoundCPU[r])
		}
	}
	return median(rs), len(rs) > 0
}

// fmtRatio prints a ratio with two decimals, or "-" when there is none.
func fmtRatio(r float64, ok bool) string {
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.2fx", r)
}

// pairedRatios is a's rate over b's in each round, in round order.
func pairedRatios(a, b Summary) string {
	var parts []string
	for _, r := range pairedRounds(a, b) {
		parts = append(parts, fmtRatio(a.RoundRPS[r]/b.RoundRPS[r], b.RoundRPS[r] > 0))
	}
	return strings.Join(parts, ", ")
}

// workloadOrder and workloadNames label the workloads of run.sh.
var workloadOrder = []string{"keepalive", "keepalive256", "keepalive1024", "newconn", "h2", "post4k", "get1m"}

var workloadNames = map[string]string{
	"keepalive":     "1. HTTP/1.1 keep-alive, 32 conns, 1 KiB",
	"keepalive256":  "1b. HTTP/1.1 keep-alive, 256 conns, 1 KiB",
	"keepalive1024": "1c. HTTP/1.1 keep-alive, 1,024 conns, 1 KiB",
	"newconn":       "2. new TLS conn per request, 32 conc., 1 KiB",
	"h2":            "3. HTTP/2, 32 conns x 10 streams, 1 KiB",
	"post4k":        "4. POST 4 KiB, 32 conns, 1 KiB answer",
	"get1m":         "5. GET 1 MiB, 8 conns",
}

// conns are the client connections of the keep-alive workloads.
var conns = map[string]string{"keepalive": "32", "keepalive256": "256", "keepalive1024": "1,024"}

// targetNames label the servers; e2etls-base gets its commit in writeReport.
var targetNames = map[string]string{
	"e2etls": "e2etls (access log, metrics)", "nginx": "NGINX (access log)", "haproxy": "HAProxy (httplog)",
	"caddy": "Caddy (access log)", "direct": "direct (backend)",
	"e2etls-off": "e2etls, logs off", "nginx-off": "NGINX, logs off", "e2etls-base": "e2etls before issue 15, logs off",
	"e2etls-2c": "e2etls GOMAXPROCS=2 (access log, metrics)", "nginx-2c": "NGINX 2 workers (access log)",
	"e2etls-2p": "e2etls 2 processes x GOMAXPROCS=1, SO_REUSEPORT (access log, metrics)",
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

// fmtLog prints access-log records per request and their mean size, "-"
// for a server without a log.
func fmtLog(s Summary) string {
	if s.LogPerReq < 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f (%.0f B)", s.LogPerReq, s.LogRecordBytes)
}

func verdict(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**missed**"
}

// report holds what writeReport writes from.
type report struct {
	w         *bufio.Writer
	cells     []Cell
	sums      []Summary
	clkTck    int
	rounds    int
	memory    string
	workloads []string          // in run.sh's order, those that ran
	names     map[string]string // targetNames, e2etls-base's with its commit
}

// roundsText is "1 round" or "N rounds".
func (r *report) roundsText() string {
	if r.rounds == 1 {
		return "1 round"
	}
	return fmt.Sprintf("%d rounds", r.rounds)
}

// name labels target t.
func (r *report) name(t string) string { return label(r.names, t) }

// writeReport writes the Markdown tables. memory is idleconns' result line
// ("" if not measured); base names the commit e2etls-base was built from.
func writeReport(w io.Writer, cells []Cell, clkTck int, memory, base string) error {
	names := maps.Clone(targetNames)
	if base != "" {
		names["e2etls-base"] = "e2etls " + base + " (before issue 15), logs off"
	}
	r := &report{w: bufio.NewWriter(w), cells: cells, sums: summarize(cells, clkTck), clkTck: clkTck, memory: memory, names: names}
	for _, s := range r.sums {
		r.rounds = max(r.rounds, s.Rounds)
		if !slices.Contains(r.workloads, s.Workload) {
			r.workloads = append(r.workloads, s.Workload)
		}
	}
	slices.SortStableFunc(r.workloads, func(a, b string) int {
		ia, ib := slices.Index(workloadOrder, a), slices.Index(workloadOrder, b)
		if ia < 0 {
			ia = len(workloadOrder)
		}
		if ib < 0 {
			ib = len(workloadOrder)
		}
		return ia - ib
	})
	bw := r.w
	fmt.Fprintln(bw, "Ratios are medians over rounds of the round's ratio (the cells of a round ran seconds apart): "+
		"vs NGINX divides the server's req/s by NGINX's; CPU vs NGINX divides NGINX's CPU per request by the server's, "+
		"the throughput ratio the two would have if each had a core to itself, which other work on the machine disturbs less than req/s. "+
		"Server CPU is the server's user+system time per request (for direct: the backend's). "+
		"Log records/req is the server's access-log lines over its requests (wrk's requests cut off at the end of a cell are logged too), and the records' mean size. "+
		"For workload 5, req/s is also MiB/s.")
	fmt.Fprintln(bw)
	r.results("Results: access logs on, as production runs them", "nginx", []string{"e2etls", "nginx", "haproxy", "caddy", "direct"})
	r.results("Results: access logs off", "nginx-off", []string{"e2etls-off", "nginx-off", "e2etls-base"})
	r.loggingCost()
	r.connectionCount()
	r.twoCores()
	r.redesign()
	r.targets()
	r.backendConnections()
	r.problems()
	r.everyCell()
	return bw.Flush()
}

// results writes one table of medians: the servers of targets that ran,
// each workload, ratios to ref and to direct.
func (r *report) results(title, ref string, targets []string) {
	var rows []Summary
	for _, w := range r.workloads {
		for _, t := range targets {
			if s, ok := find(r.sums, w, t); ok {
				rows = append(rows, s)
			}
		}
	}
	if len(rows) == 0 {
		return
	}
	bw := r.w
	fmt.Fprintf(bw, "## %s (medians of %s)\n\n", title, r.roundsText())
	fmt.Fprintf(bw, "Ratios are to %s.\n\n", r.name(ref))
	fmt.Fprintln(bw, "| Workload | Server | req/s | p50 | p99 | server CPU µs/req | vs NGINX | CPU vs NGINX | vs direct | log records/req | errors |")
	fmt.Fprintln(bw, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, s := range rows {
		ng, okN := find(r.sums, s.Workload, ref)
		di, okD := find(r.sums, s.Workload, "direct")
		vsN, okV := rpsRatio(s, ng)
		cpuN, okC := cpuRatio(s, ng)
		vsD, okVD := rpsRatio(s, di)
		fmt.Fprintf(bw, "| %s | %s | %.0f | %s | %s | %.1f | %s | %s | %s | %s | %d |\n",
			label(workloadNames, s.Workload), r.name(s.Target), s.RPS, fmtLatency(s.P50), fmtLatency(s.P99),
			s.CPUPerReq, fmtRatio(vsN, okN && okV), fmtRatio(cpuN, okN && okC), fmtRatio(vsD, okD && okVD), fmtLog(s), s.Errors)
	}
	fmt.Fprintln(bw)
}

// loggingCost compares e2etls as deployed with e2etls-off, workload by
// workload, and NGINX with nginx-off beside it (issue 17: at most 5%).
func (r *report) loggingCost() {
	type row struct {
		w      string
		on     Summary
		off    Summary
		ratio  float64
		cpu    float64
		ngx    string
		ngxCPU string
	}
	var rows []row
	for _, w := range r.workloads {
		on, ok1 := find(r.sums, w, "e2etls")
		off, ok2 := find(r.sums, w, "e2etls-off")
		ratio, ok3 := rpsRatio(on, off)
		if !ok1 || !ok2 || !ok3 {
			continue
		}
		cpu, _ := cpuRatio(on, off)
		ngx, ngxCPU := "-", "-"
		if n, ok := find(r.sums, w, "nginx"); ok {
			if nOff, ok := find(r.sums, w, "nginx-off"); ok {
				nr, okR := rpsRatio(n, nOff)
				nc, okC := cpuRatio(n, nOff)
				ngx, ngxCPU = fmtRatio(nr, okR), fmtRatio(nc, okC)
			}
		}
		rows = append(rows, row{w, on, off, ratio, cpu, ngx, ngxCPU})
	}
	if len(rows) == 0 {
		return
	}
	bw := r.w
	fmt.Fprintln(bw, "## Cost of the access log and metrics")
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "e2etls as deployed (access log to a file, metrics, -log-level info) against e2etls with both off, in the same rounds; "+
		"on/off is the median of the rounds' req/s ratios, CPU off/on the median of e2etls-off's CPU per request over e2etls's. "+
		"NGINX's own cost (its buffered access log against access_log off) is beside it. Issue 17's target: the cost at most 5% of req/s (on/off at least 0.95x).")
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "| Workload | e2etls req/s | e2etls-off req/s | on/off | cost | CPU µs/req on | CPU µs/req off | CPU off/on | NGINX on/off | NGINX CPU off/on | target |")
	fmt.Fprintln(bw, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
	for _, x := range rows {
		fmt.Fprintf(bw, "| %s | %.0f | %.0f | %.2fx | %.1f%% | %.1f | %.1f | %.2fx | %s | %s | %s |\n",
			label(workloadNames, x.w), x.on.RPS, x.off.RPS, x.ratio, 100*(1-x.ratio), x.on.CPUPerReq, x.off.CPUPerReq, x.cpu, x.ngx, x.ngxCPU,
			verdict(x.ratio >= 0.95))
	}
	fmt.Fprintln(bw)
}

// connectionCount is keep-alive e2etls against NGINX at 32, 256 and 1,024
// connections, logs on and off (issue 18).
func (r *report) connectionCount() {
	var ws []string
	for _, w := range []string{"keepalive", "keepalive256", "keepalive1024"} {
		_, ok1 := find(r.sums, w, "e2etls")
		_, ok2 := find(r.sums, w, "nginx")
		_, ok3 := find(r.sums, w, "e2etls-off")
		_, ok4 := find(r.sums, w, "nginx-off")
		if (ok1 && ok2) || (ok3 && ok4) {
			ws = append(ws, w)
		}
	}
	if len(ws) < 2 {
		return
	}
	bw := r.w
	fmt.Fprintln(bw, "## Connection count: HTTP/1.1 keep-alive, 1 KiB, one core each")
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "Each server on CPU 1; the load generator (wrk, one thread) and the backend share CPU 0, whose busy share and the load generator's own CPU (in cores) are the medians over the cells of both servers with logs on. "+
		"Issue 18's target on the 2-core machine: with logs on both sides, at least 1.0x NGINX at 32 and 256 connections.")
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "| connections | e2etls req/s | NGINX req/s | vs NGINX | CPU vs NGINX | e2etls p99 | NGINX p99 | logs off: vs NGINX | logs off: CPU vs NGINX | load generator CPU | CPU0 busy | target |")
	fmt.Fprintln(bw, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
	for _, w := range ws {
		e, okE := find(r.sums, w, "e2etls")
		n, okN := find(r.sums, w, "nginx")
		eo, okEO := find(r.sums, w, "e2etls-off")
		no, okNO := find(r.sums, w, "nginx-off")
		vs, okV := rpsRatio(e, n)
		cpu, okC := cpuRatio(e, n)
		vsOff, okVO := rpsRatio(eo, no)
		cpuOff, okCO := cpuRatio(eo, no)
		target := "-"
		if w != "keepalive1024" && okE && okN && okV {
			target = ">= 1.0x: " + verdict(vs >= 1.0)
		}
		fmt.Fprintf(bw, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", conns[w],
			rpsOr(e, okE), rpsOr(n, okN), fmtRatio(vs, okE && okN && okV), fmtRatio(cpu, okE && okN && okC),
			p99Or(e, okE), p99Or(n, okN),
			fmtRatio(vsOff, okEO && okNO && okVO), fmtRatio(cpuOff, okEO && okNO && okCO),
			loadOr(e, n, okE && okN), busyOr(e, n, okE && okN), target)
	}
	fmt.Fprintln(bw)
}

func rpsOr(s Summary, ok bool) string {
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.0f", s.RPS)
}

func p99Or(s Summary, ok bool) string {
	if !ok {
		return "-"
	}
	return fmtLatency(s.P99)
}

// loadOr is the load generator's CPU, the median over both servers' cells.
func loadOr(a, b Summary, ok bool) string {
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.2f cores", (a.LoadCores+b.LoadCores)/2)
}

func busyOr(a, b Summary, ok bool) string {
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", (a.CPU0Busy+b.CPU0Busy)/2)
}

// twoCoreTargets are the e2etls servers of the two-core phase, in the
// order of its table: one process of GOMAXPROCS=2, and two processes of
// GOMAXPROCS=1 sharing the port with SO_REUSEPORT.
var twoCoreTargets = []string{"e2etls-2c", "e2etls-2p"}

// twoCores is the two-core phase: e2etls with GOMAXPROCS=2 and e2etls as
// two processes of GOMAXPROCS=1 against NGINX with two workers, all
// logging, everything on CPUs 0-1 (issue 18).
func (r *report) twoCores() {
	var ws []string
	for _, w := range r.workloads {
		_, okN := find(r.sums, w, "nginx-2c")
		okE := false
		for _, t := range twoCoreTargets {
			if _, ok := find(r.sums, w, t); ok {
				okE = true
			}
		}
		if okN && okE {
			ws = append(ws, w)
		}
	}
	if len(ws) == 0 {
		return
	}
	bw := r.w
	fmt.Fprintln(bw, "## Two cores: e2etls (GOMAXPROCS=2; 2 processes with SO_REUSEPORT) against NGINX with 2 workers")
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "All as production runs them (access logs on; e2etls with metrics), and the backend and the load generator (two threads) too, unpinned on CPUs 0-1: "+
		"the server gets what the load generator and the backend leave it, so the cores it used (its CPU time over the cell) say how far it was the bottleneck. "+
		"e2etls-2c is one gateway process with GOMAXPROCS=2; e2etls-2p two gateway processes with GOMAXPROCS=1 each on one port with SO_REUSEPORT "+
		"(the kernel spreads the connections between them; their CPU is the sum of both). "+
		"Ratios are to NGINX with 2 workers; load generator CPU is its CPU time over each of that server's cells (median), in cores of the two. "+
		"Issue 18's target: at least 1.0x NGINX at 256 connections (and at least 95% of its cores used, which a server sharing 2 cores with its load cannot show here).")
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "| Workload | Server | req/s | vs NGINX | server CPU µs/req | CPU vs NGINX | p99 | cores used | load generator CPU | target |")
	fmt.Fprintln(bw, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
	var pairs []string // e2etls-2p against e2etls-2c
	for _, w := range ws {
		n, _ := find(r.sums, w, "nginx-2c")
		for _, t := range append(slices.Clone(twoCoreTargets), "nginx-2c") {
			s, ok := find(r.sums, w, t)
			if !ok {
				continue
			}
			vs, okV := rpsRatio(s, n)
			cpu, okC := cpuRatio(s, n)
			target := "-"
			if w == "keepalive256" && t != "nginx-2c" && okV {
				target = ">= 1.0x: " + verdict(vs >= 1.0)
			}
			fmt.Fprintf(bw, "| %s | %s | %.0f | %s | %.1f | %s | %s | %.2f of %d | %.2f cores | %s |\n", label(workloadNames, w), r.name(t),
				s.RPS, fmtRatio(vs, okV), s.CPUPerReq, fmtRatio(cpu, okC), fmtLatency(s.P99), s.CoresUsed, s.ServerCores, s.LoadCores, target)
		}
		c, ok1 := find(r.sums, w, "e2etls-2c")
		p, ok2 := find(r.sums, w, "e2etls-2p")
		vs, okV := rpsRatio(p, c)
		cpu, okC := cpuRatio(p, c)
		if ok1 && ok2 && okV {
			pairs = append(pairs, fmt.Sprintf("%s %s by req/s, %s by CPU per request", w, fmtRatio(vs, okV), fmtRatio(cpu, okC)))
		}
	}
	fmt.Fprintln(bw)
	if len(pairs) > 0 {
		fmt.Fprintf(bw, "Two processes (e2etls-2p) against one of GOMAXPROCS=2 (e2etls-2c), medians of the rounds' ratios: %s.\n\n", strings.Join(pairs, "; "))
	}
}

// redesign is issue 15's before/after: e2etls-base and e2etls-off, both
// with logs off, in the same rounds, each against nginx-off.
func (r *report) redesign() {
	var ws []string
	for _, w := range r.workloads {
		_, ok1 := find(r.sums, w, "e2etls-base")
		_, ok2 := find(r.sums, w, "e2etls-off")
		if ok1 && ok2 {
			ws = append(ws, w)
		}
	}
	if len(ws) == 0 {
		return
	}
	bw := r.w
	fmt.Fprintln(bw, "## Redesign: before vs after (issue 15)")
	fmt.Fprintln(bw)
	fmt.Fprintf(bw, "Before: %s; after: e2etls-off; both bench/cmd/gateway with -log-level warn and no access log, in the same rounds. "+
		"Issue 15's rule: the ratios to NGINX (here NGINX with logs off) no worse after the change than before.\n\n", r.name("e2etls-base"))
	fmt.Fprintln(bw, "| Workload | before req/s | after req/s | after/before | CPU before/after | before vs NGINX | after vs NGINX | before CPU vs NGINX | after CPU vs NGINX | no worse |")
	fmt.Fprintln(bw, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
	for _, w := range ws {
		b, _ := find(r.sums, w, "e2etls-base")
		a, _ := find(r.sums, w, "e2etls-off")
		ab, okAB := rpsRatio(a, b)
		cpu, okC := cpuRatio(a, b)
		n, okN := find(r.sums, w, "nginx-off")
		bn, okB := rpsRatio(b, n)
		an, okA := rpsRatio(a, n)
		bc, okBC := cpuRatio(b, n)
		ac, okAC := cpuRatio(a, n)
		ok := "-"
		if okN && okA && okB {
			ok = verdict(an >= bn)
		}
		fmt.Fprintf(bw, "| %s | %.0f | %.0f | %s | %s | %s | %s | %s | %s | %s |\n", label(workloadNames, w), b.RPS, a.RPS,
			fmtRatio(ab, okAB), fmtRatio(cpu, okC), fmtRatio(bn, okN && okB), fmtRatio(an, okN && okA),
			fmtRatio(bc, okN && okBC), fmtRatio(ac, okN && okAC), ok)
	}
	fmt.Fprintln(bw)
}

// backendConnections is the backend's count of each server's requests,
// handshakes and resumed sessions.
func (r *report) backendConnections() {
	bw := r.w
	fmt.Fprintf(bw, "## Backend connections (summed over %s, from the backend's access log)\n\n", r.roundsText())
	fmt.Fprintln(bw, "A new connection is a request with $connection_requests = 1, i.e. one backend TLS handshake; resumed means $ssl_session_reused = r. Direct cells count the clients' own connections.")
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "| Workload | Server | backend requests | new backend connections | of them resumed | resumed share |")
	fmt.Fprintln(bw, "| --- | --- | ---: | ---: | ---: | ---: |")
	for _, s := range r.sums {
		share := "-"
		if s.BackendNewConns > 0 {
			share = fmt.Sprintf("%.1f%%", 100*float64(s.BackendResumed)/float64(s.BackendNewConns))
		}
		fmt.Fprintf(bw, "| %s | %s | %d | %d | %d | %s |\n", label(workloadNames, s.Workload), r.name(s.Target),
			s.BackendRequests, s.BackendNewConns, s.BackendResumed, share)
	}
	fmt.Fprintln(bw)
}

// problems lists the cells whose tool gave no result.
func (r *report) problems() {
	var bad []Cell
	for _, c := range r.cells {
		if c.Problem != "" {
			bad = append(bad, c)
		}
	}
	if len(bad) == 0 {
		return
	}
	bw := r.w
	fmt.Fprintln(bw, "## Cells without a result (left out of the medians)")
	fmt.Fprintln(bw)
	for _, c := range bad {
		fmt.Fprintf(bw, "- %s %s round %d: %s\n", c.Workload, c.Target, c.Round, c.Problem)
	}
	fmt.Fprintln(bw)
}

// everyCell lists the cells.
func (r *report) everyCell() {
	bw := r.w
	fmt.Fprintln(bw, "<details><summary>Every cell</summary>")
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "Server's cores used is the server's CPU time over the cell's length (of the cores it may use): well below CPU1 busy in a pinned cell means other work took CPU 1 from it. Load CPU is the load generator's, in cores.")
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "| Workload | Server | round | requests | req/s | p50 | p99 | server CPU µs/req | backend CPU µs/req | errors | backend new conns | resumed | log records | CPU0 busy | CPU1 busy | server's cores used | load CPU |")
	fmt.Fprintln(bw, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, c := range r.cells {
		if c.Problem != "" {
			continue
		}
		m := c.Measure
		logs := "-"
		if c.LogLines >= 0 {
			logs = strconv.Itoa(c.LogLines)
		}
		fmt.Fprintf(bw, "| %s | %s | %d | %d | %.0f | %s | %s | %.1f | %.1f | %d | %d | %d | %s | %d%% | %d%% | %.2f of %d | %.2f |\n", c.Workload, c.Target, c.Round,
			m.Requests, m.RPS, fmtLatency(m.P50), fmtLatency(m.P99),
			cpuPerRequest(c.ServerTicks, r.clkTck, m.Requests), cpuPerRequest(c.BackendTicks, r.clkTck, m.Requests),
			m.Errors, c.BackendNewConns, c.BackendResumed, logs, c.CPU0Busy, c.CPU1Busy,
			coresUsed(c.ServerTicks, r.clkTck, m.Seconds), c.ServerCores, coresUsed(c.LoadTicks, r.clkTck, m.Seconds))
	}
	fmt.Fprintln(bw, "\n</details>")
}
