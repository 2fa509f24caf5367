#!/usr/bin/env bash
# bench/soak.sh: the soak test of issue 8.
#
# Runs the e2etls gateway in-process (bench/cmd/soak) for DURATION under
# mixed load on loopback: HTTP/1.1 keep-alive, HTTP/1.1 with a new
# connection per request, HTTP/2 GETs and POSTs, WebSocket upgrades; the two
# backends restart in turn and the configuration is swapped through
# Gateway.Update every RELOAD. Every response is checked. It prints a line
# every SAMPLE (requests, failures expected during a backend restart,
# unexpected failures, RSS, heap, goroutines) and a summary, and exits 1 on
# any unexpected failure or a goroutine that outlives Close.
#
#   bench/soak.sh                          # the real run: 10 minutes
#   DURATION=1m RELOAD=10s bench/soak.sh   # a quick trial
#
# Environment: DURATION (default 10m), RELOAD (30s), RESTART (45s), DOWN
# (2s, how long a restarting backend stays down), SAMPLE (30s), RATE
# (requests per second per load worker, 40; there are 12 workers), OUT
# (the report file, default a new file in ${TMPDIR:-/tmp}).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$(mktemp "${TMPDIR:-/tmp}/e2etls-soak.XXXXXX")}
BIN=$(mktemp -d "${TMPDIR:-/tmp}/e2etls-soak-bin.XXXXXX")
trap 'rm -rf "$BIN"' EXIT

(cd "$ROOT" && go build -o "$BIN/soak" ./bench/cmd/soak)
echo "soak: commit $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown), report in $OUT"
"$BIN/soak" \
	-duration "${DURATION:-10m}" -reload "${RELOAD:-30s}" -restart "${RESTART:-45s}" \
	-down "${DOWN:-2s}" -sample "${SAMPLE:-30s}" -rate "${RATE:-40}" | tee "$OUT"
