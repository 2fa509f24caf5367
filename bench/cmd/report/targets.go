package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// targets writes the issues' targets for e2etls, each checked.
func (r *report) targets() {
	lines := r.targetLines()
	bw := r.w
	fmt.Fprintln(bw, "## Targets for e2etls")
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "e2etls as deployed (access log, metrics) against NGINX with its buffered access log, unless a line says otherwise; "+
		"ratios are medians over rounds of the round's ratio, followed by each round's.")
	fmt.Fprintln(bw)
	for _, l := range lines {
		fmt.Fprintf(bw, "- %s\n", l)
	}
	fmt.Fprintln(bw)
}

// targetLines checks issues 7, 15, 17 and 18's targets.
func (r *report) targetLines() []string {
	var out []string
	sums := r.sums
	// vsNGINX checks a ratio of req/s of e (the server) to n (NGINX).
	vsNGINX := func(w, e, n string, want float64, what string) {
		es, ok1 := find(sums, w, e)
		ns, ok2 := find(sums, w, n)
		ratio, ok3 := rpsRatio(es, ns)
		if !ok1 || !ok2 || !ok3 {
			out = append(out, what+": not measured")
			return
		}
		cpu, okC := cpuRatio(es, ns)
		out = append(out, fmt.Sprintf("%s: %.0f vs NGINX %.0f req/s = %.2fx (target >= %.1fx): %s; per round %s; by CPU per request %s",
			what, es.RPS, ns.RPS, ratio, want, verdict(ratio >= want), pairedRatios(es, ns), fmtRatio(cpu, okC)))
	}
	vsNGINX("keepalive", "e2etls", "nginx", 1.0, "Keep-alive, 32 connections (1; issue 17)")
	if e, ok := find(sums, "keepalive", "e2etls"); ok {
		if n, ok := find(sums, "keepalive", "nginx"); ok {
			out = append(out, fmt.Sprintf("Keep-alive (1) p99: %s vs NGINX %s (issue 7's target: no worse): %s", fmtLatency(e.P99), fmtLatency(n.P99), verdict(e.P99 <= n.P99)))
		}
	}
	vsNGINX("newconn", "e2etls", "nginx", 1.2, "New connection per request (2; issues 7 and 17)")
	vsNGINX("h2", "e2etls", "nginx", 1.0, "HTTP/2 (3; issue 17)")

	// Issue 17: the cost of access log plus metrics, every workload.
	var costs []string
	worst, worstW, n := 2.0, "", 0
	for _, w := range r.workloads {
		on, ok1 := find(sums, w, "e2etls")
		off, ok2 := find(sums, w, "e2etls-off")
		ratio, ok3 := rpsRatio(on, off)
		if !ok1 || !ok2 || !ok3 {
			continue
		}
		n++
		costs = append(costs, fmt.Sprintf("%s %.1f%%", w, 100*(1-ratio)))
		if ratio < worst {
			worst, worstW = ratio, w
		}
	}
	if n == 0 {
		out = append(out, "Cost of access log plus metrics (issue 17): not measured (needs e2etls and e2etls-off)")
	} else {
		out = append(out, fmt.Sprintf("Cost of access log plus metrics, e2etls against e2etls-off (issue 17's target: at most 5%% of req/s): %s; the largest %.1f%% (%s): %s",
			strings.Join(costs, ", "), 100*(1-worst), worstW, verdict(worst >= 0.95)))
	}

	// Issue 18: connection counts and two cores.
	vsNGINX("keepalive256", "e2etls", "nginx", 1.0, "Keep-alive, 256 connections (1b; issue 18)")
	for _, tc := range []struct{ t, what, short string }{
		{"e2etls-2c", "e2etls GOMAXPROCS=2", "e2etls GOMAXPROCS=2"},
		{"e2etls-2p", "e2etls as 2 processes of GOMAXPROCS=1 sharing the port (SO_REUSEPORT)", "e2etls's 2 processes"},
	} {
		e, ok := find(sums, "keepalive256", tc.t)
		if !ok {
			continue
		}
		vsNGINX("keepalive256", tc.t, "nginx-2c", 1.0, "Two cores, keep-alive, 256 connections, "+tc.what+" against NGINX with 2 workers (issue 18)")
		out = append(out, fmt.Sprintf("Two cores, 256 connections: %s used %.2f of %d cores (issue 18 asks at least 95%%; the load generator used %.2f cores of the same two)",
			tc.short, e.CoresUsed, e.ServerCores, e.LoadCores))
	}

	// Issue 7: backend connections.
	if ka, ok := find(sums, "keepalive", "e2etls"); ok {
		out = append(out, fmt.Sprintf("Backend handshakes under keep-alive (1): %d for %d requests over %d rounds (issue 7's target: none per request): %s",
			ka.BackendNewConns, ka.BackendRequests, ka.Rounds, verdict(ka.BackendRequests > 0 && ka.BackendNewConns*100 < ka.BackendRequests)))
	}
	newConns, resumed := 0, 0
	for _, s := range sums {
		if slices.Contains([]string{"e2etls", "e2etls-off", "e2etls-2c", "e2etls-2p"}, s.Target) {
			newConns += s.BackendNewConns
			resumed += s.BackendResumed
		}
	}
	if newConns > 0 {
		share := 100 * float64(resumed) / float64(newConns)
		out = append(out, fmt.Sprintf("New backend connections that resumed a TLS session, all e2etls cells of this commit: %d of %d = %.1f%% (issue 7's target >= 95%%): %s",
			resumed, newConns, share, verdict(share >= 95)))
	} else {
		out = append(out, "New backend connections that resumed a TLS session: e2etls opened none during the cells (its pool was warm from the warm-up)")
	}

	// Issue 15: before and after.
	var worse []string
	m := 0
	for _, w := range r.workloads {
		b, ok1 := find(sums, w, "e2etls-base")
		a, ok2 := find(sums, w, "e2etls-off")
		n, ok3 := find(sums, w, "nginx-off")
		bn, ok4 := rpsRatio(b, n)
		an, ok5 := rpsRatio(a, n)
		if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
			continue
		}
		m++
		if an < bn {
			worse = append(worse, fmt.Sprintf("%s %.2fx after, %.2fx before", w, an, bn))
		}
	}
	if m > 0 {
		line := fmt.Sprintf("Issue 15's redesign, ratios to NGINX (logs off) no worse than before, in %d of %d workloads", m-len(worse), m)
		if len(worse) > 0 {
			line += " (worse: " + strings.Join(worse, "; ") + ")"
		}
		out = append(out, line+": "+verdict(len(worse) == 0))
	}

	// Issue 18 (and 7): memory.
	if r.memory != "" {
		kib, n := -1.0, "?"
		for f := range strings.FieldsSeq(r.memory) {
			if v, ok := strings.CutPrefix(f, "kib_per_conn="); ok {
				kib, _ = strconv.ParseFloat(v, 64)
			}
			if v, ok := strings.CutPrefix(f, "conns="); ok {
				n = v
			}
		}
		if kib >= 0 {
			out = append(out, fmt.Sprintf("Memory per idle keep-alive frontend TLS connection at %s connections: %.1f KiB (issue 18's target at 10000: <= 40 KiB): %s", n, kib, verdict(kib <= 40)))
		} else {
			out = append(out, fmt.Sprintf("Memory: unreadable result %q", strings.TrimSpace(r.memory)))
		}
	}
	return out
}
