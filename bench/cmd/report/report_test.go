package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}

func TestParseWrk(t *testing.T) {
	for _, tc := range []struct {
		file string
		want Measure
	}{
		{"wrk.txt", Measure{Requests: 37224, Errors: 0, Seconds: 3.02, RPS: 12345.35,
			P50: 1990 * time.Microsecond, P99: 19140 * time.Microsecond}},
		// 1000 non-2xx answers leave the requests and the rate; socket
		// errors (10) and those answers are errors.
		{"wrk-errors.txt", Measure{Requests: 99000, Errors: 1010, Seconds: 10, RPS: 9900,
			P50: 812 * time.Microsecond, P99: 1500 * time.Millisecond}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			m, err := parseWrk(read(t, tc.file))
			require.NoError(t, err)
			assert.Equal(t, tc.want.Requests, m.Requests)
			assert.Equal(t, tc.want.Errors, m.Errors)
			assert.InDelta(t, tc.want.Seconds, m.Seconds, 1e-9)
			assert.InDelta(t, tc.want.RPS, m.RPS, 0.01)
			assert.Equal(t, tc.want.P50, m.P50)
			assert.Equal(t, tc.want.P99, m.P99)
		})
	}
}

func TestParseWrkRefusesIncompleteOutput(t *testing.T) {
	full := read(t, "wrk.txt")
	for _, tc := range []struct {
		name, out, want string
	}{
		{"empty", "", "requests in"},
		{"no --latency", strings.Replace(full, "     99%   19.14ms\n", "", 1), "--latency"},
		{"no rate", strings.Replace(full, "Requests/sec:", "Rate:", 1), "Requests/sec"},
		{"unit", strings.Replace(full, "99%   19.14ms", "99%   19.14ks", 1), "--latency"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseWrk(tc.out)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestParseH2load(t *testing.T) {
	log, err := os.Open(filepath.Join("testdata", "h2load.txt.log"))
	require.NoError(t, err)
	defer log.Close()
	m, err := parseH2load(read(t, "h2load.txt"), log)
	require.NoError(t, err)
	assert.Equal(t, 62360, m.Requests)
	assert.Zero(t, m.Errors)
	assert.InDelta(t, 3.01, m.Seconds, 1e-9)
	assert.InDelta(t, 20786.67, m.RPS, 0.01)
	// Nearest rank over the log's 200 requests: the 100th and 198th.
	assert.Equal(t, 97118*time.Microsecond, m.P50)
	assert.Equal(t, 131780*time.Microsecond, m.P99)
}

func TestParseH2loadLogs(t *testing.T) {
	summary := read(t, "h2load.txt")
	for _, tc := range []struct {
		name, log, want string
		p50             time.Duration
	}{
		{"non-2xx skipped", "1\t200\t10\n2\t502\t99999\n3\t200\t30\n", "", 10 * time.Microsecond},
		{"empty", "", "no requests", 0},
		{"short line", "1\t200\n", "line 1", 0},
		{"bad duration", "1\t200\tx\n", "line 1: duration", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := parseH2load(summary, strings.NewReader(tc.log))
			if tc.want != "" {
				require.ErrorContains(t, err, tc.want)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.p50, m.P50)
		})
	}
	_, err := parseH2load("nothing", strings.NewReader(""))
	require.ErrorContains(t, err, "finished in")
}

func TestParseLoadgen(t *testing.T) {
	m, err := parseLoadgen("loadgen: error: something\n" + read(t, "loadgen.txt"))
	require.NoError(t, err)
	assert.Equal(t, Measure{Requests: 3650, Seconds: 3.052, RPS: 3650 / 3.052,
		P50: 21368 * time.Microsecond, P99: 78374 * time.Microsecond}, m)

	for _, tc := range []struct{ out, want string }{
		{"", "no \"requests=\""},
		{"requests=5 errors=0 resumed=2 seconds=1 rps=5 p50_us=1 p99_us=2\n", "2 handshakes resumed"},
		{"requests=5 errors=0 resumed=0 rps=5 p50_us=1 p99_us=2\n", "no seconds"},
		{"requests=5 errors=0 resumed=0 seconds=0 rps=5 p50_us=1 p99_us=2\n", "seconds=0"},
	} {
		_, err := parseLoadgen(tc.out)
		assert.ErrorContains(t, err, tc.want, "%q", tc.out)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{9, 1, 5}, 5},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		assert.Equal(t, tc.want, median(tc.in), "%v", tc.in)
	}
}

// writeCells writes a cells.tsv whose rows point at loadgen outputs with
// the given rates, one file per row, and returns its path.
func writeCells(t *testing.T, rows [][]string, rps map[string]int) string {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString(strings.Join(cellColumns, "\t") + "\n")
	for i, r := range rows {
		out := filepath.Join(dir, fmt.Sprintf("cell%d.txt", i))
		n := rps[r[0]+"/"+r[1]+"/"+r[2]]
		require.NoError(t, os.WriteFile(out, fmt.Appendf(nil,
			"requests=%d errors=0 resumed=0 seconds=1.000 rps=%d p50_us=%d p99_us=%d mean_us=1\n", n, n, 1000+n, 5000+n), 0o644))
		row := append([]string{r[0], r[1], r[2], "loadgen", out}, r[3:]...)
		b.WriteString(strings.Join(row, "\t") + "\n")
	}
	path := filepath.Join(dir, "cells.tsv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path
}

func TestReport(t *testing.T) {
	rows := [][]string{
		// workload, target, round, server_ticks, backend_ticks, backend requests, new conns, resumed, cpu0, cpu1
		{"newconn", "e2etls", "1", "50", "1", "2000", "10", "10", "80", "99"},
		{"newconn", "nginx", "1", "50", "1", "1000", "0", "0", "80", "99"},
		{"newconn", "direct", "1", "50", "50", "4000", "4000", "0", "80", "99"},
		{"newconn", "e2etls", "2", "60", "1", "2400", "2", "1", "70", "98"},
		{"newconn", "nginx", "2", "50", "1", "1000", "0", "0", "80", "99"},
		{"newconn", "direct", "2", "50", "50", "4000", "4000", "0", "80", "99"},
		{"newconn", "e2etls", "3", "40", "1", "2200", "0", "0", "80", "99"},
		{"newconn", "nginx", "3", "50", "1", "1200", "0", "0", "80", "99"},
		{"newconn", "direct", "3", "50", "50", "4400", "4400", "0", "80", "99"},
	}
	rps := map[string]int{
		"newconn/e2etls/1": 2000, "newconn/e2etls/2": 2400, "newconn/e2etls/3": 2200,
		"newconn/nginx/1": 1000, "newconn/nginx/2": 1000, "newconn/nginx/3": 1200,
		"newconn/direct/1": 4000, "newconn/direct/2": 4000, "newconn/direct/3": 4400,
	}
	cells, err := readCells(writeCells(t, rows, rps))
	require.NoError(t, err)
	require.Len(t, cells, 9)

	sums := summarize(cells, 100)
	require.Len(t, sums, 3)
	e := sums[0]
	assert.Equal(t, "e2etls", e.Target)
	assert.Equal(t, 3, e.Rounds)
	assert.InDelta(t, 2200, e.RPS, 1e-9)
	assert.Equal(t, 3200*time.Microsecond, e.P50)
	// CPU per request: 50, 60 and 40 ticks of 10 ms over 2000, 2400 and
	// 2200 requests: 250, 250 and 181.8 µs; the median is 250.
	assert.InDelta(t, 250, e.CPUPerReq, 1e-9)
	assert.Equal(t, 12, e.BackendNewConns)
	assert.Equal(t, 11, e.BackendResumed)

	var out bytes.Buffer
	require.NoError(t, writeReport(&out, cells, 100, "conns=10000 rss_before_kib=1 rss_after_kib=2 kib_per_conn=38.5 open_seconds=4.0\n"))
	s := out.String()
	assert.Contains(t, s, "## Results (medians of 3 rounds)")
	assert.Contains(t, s, "| 2. new TLS conn per request, 32 conc., 1 KiB | e2etls | 2200 | 3.20 ms | 7.20 ms | 250.0 | 2.20x | 0.55x | 2.00x | 0 |")
	assert.Contains(t, s, "| 2. new TLS conn per request, 32 conc., 1 KiB | e2etls | 6600 | 12 | 11 | 91.7% |")
	assert.Contains(t, s, "New connection per request (2): 2200 vs NGINX 1000 req/s = 2.20x (target >= 1.2x): **met**; per round 2.00x, 2.40x, 1.83x; by CPU per request 2.00x")
	assert.Contains(t, s, "11 of 12 = 91.7% (target >= 95%): **missed**")
	assert.Contains(t, s, "Keep-alive (1): not measured")
	assert.Contains(t, s, "38.5 KiB (target <= 40 KiB): **met**")
	assert.Contains(t, s, "| newconn | e2etls | 2 | 2400 | 2400 | 3.40 ms | 7.40 ms | 250.0 | 4.2 | 0 | 2 | 1 | 70% | 98% | 60% |")
}

func TestReadCellsRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content, want string
	}{
		{"header", "workload\ttarget\n", "header"},
		{"columns", strings.Join(cellColumns, "\t") + "\nkeepalive\te2etls\n", ":2: 2 columns"},
		{"ticks", strings.Join(cellColumns, "\t") + "\nkeepalive\te2etls\t1\twrk\tx\tmany\t0\t0\t0\t0\t0\t0\n", "server_ticks"},
		{"tool", strings.Join(cellColumns, "\t") + "\nkeepalive\te2etls\t1\tab\t" + filepath.Join(dir, "tool") + "\t1\t0\t0\t0\t0\t0\t0\n", `unknown tool "ab"`},
		{"missing output", strings.Join(cellColumns, "\t") + "\nkeepalive\te2etls\t1\twrk\t" + filepath.Join(dir, "none") + "\t1\t0\t0\t0\t0\t0\t0\n", "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "tool"), []byte("x"), 0o644))
			path := filepath.Join(dir, tc.name+".tsv")
			require.NoError(t, os.WriteFile(path, []byte(tc.content), 0o644))
			_, err := readCells(path)
			require.ErrorContains(t, err, tc.want)
		})
	}
}
