package main

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Measure is what one load tool reported for one cell.
type Measure struct {
	Requests int     // requests completed successfully
	Errors   int     // failed requests: socket errors, timeouts, non-2xx/3xx statuses
	Seconds  float64 // length of the measurement
	RPS      float64 // successful requests per second of Seconds
	P50, P99 time.Duration
}

var (
	wrkRequests = regexp.MustCompile(`(?m)^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),`)
	wrkRPS      = regexp.MustCompile(`(?m)^Requests/sec:\s+([\d.]+)`)
	wrkPct      = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$`)
	wrkSocket   = regexp.MustCompile(`(?m)^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkNon2xx   = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses: (\d+)`)

	h2Finished = regexp.MustCompile(`(?m)^finished in ([\d.]+)(us|ms|s|m|h), ([\d.]+) req/s`)
	h2Requests = regexp.MustCompile(`(?m)^requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout`)
)

// unit converts a number and a wrk or h2load time unit to a duration.
func unit(num, u string) (time.Duration, error) {
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, err
	}
	scale := map[string]float64{"us": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9}[u]
	if scale == 0 {
		return 0, fmt.Errorf("unknown time unit %q", u)
	}
	return time.Duration(f * scale), nil
}

// atoi converts regexp-checked digits.
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// parseWrk reads the output of wrk --latency.
func parseWrk(out string) (Measure, error) {
	var m Measure
	r := wrkRequests.FindStringSubmatch(out)
	if r == nil {
		return m, fmt.Errorf("wrk: no \"N requests in T\" line")
	}
	m.Requests = atoi(r[1])
	d, err := unit(r[2], r[3])
	if err != nil {
		return m, fmt.Errorf("wrk: duration: %w", err)
	}
	m.Seconds = d.Seconds()
	if m.Seconds <= 0 {
		return m, fmt.Errorf("wrk: duration %s", r[2]+r[3])
	}
	rps := wrkRPS.FindStringSubmatch(out)
	if rps == nil {
		return m, fmt.Errorf("wrk: no Requests/sec line")
	}
	m.RPS, _ = strconv.ParseFloat(rps[1], 64) // of every answer; corrected below
	found := 0
	for _, p := range wrkPct.FindAllStringSubmatch(out, -1) {
		d, err := unit(p[2], p[3])
		if err != nil {
			return m, fmt.Errorf("wrk: %s%% latency: %w", p[1], err)
		}
		if p[1] == "50" {
			m.P50 = d
			found |= 1
		} else {
			m.P99 = d
			found |= 2
		}
	}
	// A cell in which no request completed has 0.00us latencies.
	if found != 3 || (m.Requests > 0 && (m.P50 == 0 || m.P99 == 0)) {
		return m, fmt.Errorf("wrk: no 50%% and 99%% latency lines (run wrk with --latency)")
	}
	non2xx := 0
	if n := wrkNon2xx.FindStringSubmatch(out); n != nil {
		non2xx = atoi(n[1])
	}
	if s := wrkSocket.FindStringSubmatch(out); s != nil {
		m.Errors = atoi(s[1]) + atoi(s[2]) + atoi(s[3]) + atoi(s[4])
	}
	// wrk counts answers other than 2xx/3xx as requests; here they are
	// errors. wrk's rate uses the exact run time, which it prints rounded.
	if m.Requests > 0 {
		m.RPS *= float64(m.Requests-non2xx) / float64(m.Requests)
	}
	m.Errors += non2xx
	m.Requests -= non2xx
	return m, nil
}

// parseH2load reads h2load's summary and the per-request log written with
// --log-file (tab-separated: start time, status, microseconds to the end of
// the response).
func parseH2load(out string, log io.Reader) (Measure, error) {
	var m Measure
	f := h2Finished.FindStringSubmatch(out)
	if f == nil {
		return m, fmt.Errorf("h2load: no \"finished in\" line")
	}
	d, err := unit(f[1], f[2])
	if err != nil {
		return m, fmt.Errorf("h2load: duration: %w", err)
	}
	m.Seconds = d.Seconds()
	if m.Seconds <= 0 {
		return m, fmt.Errorf("h2load: duration %s", f[1]+f[2])
	}
	r := h2Requests.FindStringSubmatch(out)
	if r == nil {
		return m, fmt.Errorf("h2load: no \"requests:\" line")
	}
	done := atoi(r[1])
	m.Requests = atoi(r[2])
	m.Errors = atoi(r[3]) + atoi(r[4]) + atoi(r[5])
	// h2load's rate is of every request done over the -D duration.
	m.RPS, _ = strconv.ParseFloat(f[3], 64)
	if done > 0 {
		m.RPS *= float64(m.Requests) / float64(done)
	}
	lat, err := readH2Log(log)
	if err != nil {
		return m, err
	}
	if len(lat) == 0 {
		return m, fmt.Errorf("h2load: the --log-file has no requests")
	}
	slices.Sort(lat)
	m.P50, m.P99 = percentile(lat, 50), percentile(lat, 99)
	return m, nil
}

// readH2Log reads the latencies of successful (2xx) requests.
func readH2Log(r io.Reader) ([]time.Duration, error) {
	var lat []time.Duration
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 3 {
			return nil, fmt.Errorf("h2load log line %d: %q: want start, status, duration", line, sc.Text())
		}
		if !strings.HasPrefix(f[1], "2") {
			continue
		}
		us, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("h2load log line %d: duration: %w", line, err)
		}
		lat = append(lat, time.Duration(us)*time.Microsecond)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("h2load log: %w", err)
	}
	return lat, nil
}

// percentile returns the p-th percentile (nearest rank) of sorted.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := max((p*len(sorted)+99)/100, 1)
	return sorted[rank-1]
}

// parseLoadgen reads the key=value line of bench/cmd/loadgen.
func parseLoadgen(out string) (Measure, error) {
	var m Measure
	for line := range strings.Lines(out) {
		if !strings.HasPrefix(line, "requests=") {
			continue
		}
		kv := map[string]string{}
		for f := range strings.FieldsSeq(line) {
			k, v, _ := strings.Cut(f, "=")
			kv[k] = v
		}
		for _, k := range []string{"requests", "errors", "resumed", "seconds", "rps", "p50_us", "p99_us"} {
			if _, ok := kv[k]; !ok {
				return m, fmt.Errorf("loadgen: result line has no %s", k)
			}
		}
		if kv["resumed"] != "0" {
			return m, fmt.Errorf("loadgen: %s handshakes resumed; the workload needs full handshakes", kv["resumed"])
		}
		m.Requests, m.Errors = atoi(kv["requests"]), atoi(kv["errors"])
		m.Seconds, _ = strconv.ParseFloat(kv["seconds"], 64)
		if m.Seconds <= 0 {
			return m, fmt.Errorf("loadgen: seconds=%s", kv["seconds"])
		}
		m.RPS = float64(m.Requests) / m.Seconds
		m.P50 = time.Duration(atoi(kv["p50_us"])) * time.Microsecond
		m.P99 = time.Duration(atoi(kv["p99_us"])) * time.Microsecond
		return m, nil
	}
	return m, fmt.Errorf("loadgen: no \"requests=\" result line")
}
