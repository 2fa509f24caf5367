// Command report turns the cells of a bench/run.sh run into the Markdown
// tables of bench/RESULTS.md: medians over rounds of requests per second,
// p50 and p99 latency and server CPU per request, each server's ratio to
// NGINX and to the backend served directly, the backend connections each
// proxy opened and resumed, and issue 7's targets checked for e2etls.
//
//	report -cells bench/out/cells.tsv -clk-tck 100 -memory bench/out/memory.txt
//
// cells.tsv has a header row and one row per cell: workload, target, round,
// tool (wrk, h2load or loadgen), the tool's output file (h2load's
// --log-file is that name plus ".log"), the server's and the backend's CPU
// ticks over the cell, and the backend's request, new-connection and
// resumed-session counts for that server.
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
	memory := ""
	if *memoryPath != "" {
		b, err := os.ReadFile(*memoryPath)
		if err != nil {
			fmt.Fprintf(stderr, "report: -memory: %v\n", err)
			return 1
		}
		memory = string(b)
	}
	if err := writeReport(stdout, cells, *clkTck, memory); err != nil {
		fmt.Fprintf(stderr, "report: %v\n", err)
		return 1
	}
	return 0
}
