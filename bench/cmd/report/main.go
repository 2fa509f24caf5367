// Command report turns the cells of a bench/run.sh run into the Markdown
// tables of bench/RESULTS.md: medians over rounds of requests per second,
// p50 and p99 latency and server CPU per request, with access logs on (as
// production runs them) and off; each server's ratio to NGINX (the median
// over rounds of the round's ratio, of req/s and of CPU per request) and
// to the backend served directly; the cost of e2etls's access log and
// metrics; keep-alive at 32, 256 and 1,024 connections; the two-core
// phase (e2etls as one process of GOMAXPROCS=2 and as two of GOMAXPROCS=1
// sharing the port with SO_REUSEPORT, against NGINX with 2 workers);
// issue 15's before and after; the backend connections each proxy
// opened and resumed; and the targets of issues 7, 15, 17 and 18 checked
// for e2etls.
//
//	report -cells bench/out/cells.tsv -logs bench/out/logs.tsv -clk-tck 100 \
//		-memory bench/out/memory.txt -base a9a45c6
//
// cells.tsv has a header row and one row per cell: workload, target, round,
// tool (wrk, h2load or loadgen), the tool's output file (h2load's
// --log-file is that name plus ".log"), the server's and the backend's CPU
// ticks over the cell, the backend's request, new-connection and
// resumed-session counts for that server, CPU 0's and CPU 1's busy
// percent, the load generator's CPU ticks and the CPUs the server may use.
// logs.tsv has a header row and one row per cell of a server that writes
// an access log: workload, target, round, its records (lines) and bytes.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cellsPath := fs.String("cells", "", "cells.tsv written by bench/run.sh (required)")
	clkTck := fs.Int("clk-tck", 100, "clock ticks per second of /proc/<pid>/stat (getconf CLK_TCK)")
	memoryPath := fs.String("memory", "", "output of bench/cmd/idleconns, to check the memory target (optional)")
	logsPath := fs.String("logs", "", "logs.tsv written by bench/run.sh: access-log records per cell (optional)")
	base := fs.String("base", "", "the commit e2etls-base was built from, for its label (optional)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cellsPath == "" || *clkTck <= 0 {
		fmt.Fprintln(stderr, "report: -cells is required and -clk-tck must be positive")
		return 2
	}
	cells, err := readCells(*cellsPath)
	if err != nil {
		fmt.Fprintf(stderr, "report: %v\n", err)
		return 1
	}
	if *logsPath != "" {
		lines, err := readLogs(*logsPath)
		if err != nil {
			fmt.Fprintf(stderr, "report: -logs: %v\n", err)
			return 1
		}
		attachLogs(cells, lines)
	}
	memory := ""
	if *memoryPath != "" {
		b, err := os.ReadFile(*memoryPath)
		if err != nil {
			fmt.Fprintf(stderr, "report: -memory: %v\n", err)
			return 1
		}
		memory = string(b)
	}
	if err := writeReport(stdout, cells, *clkTck, memory, *base); err != nil {
		fmt.Fprintf(stderr, "report: %v\n", err)
		return 1
	}
	return 0
}
