#!/usr/bin/env bash
# bench/tlsscan.sh: independent scanners against the gateway's TLS policies
# (issue 8).
#
# Serves the gateway (bench/cmd/tlsscan) with two HTTPS listeners per
# predefined policy, one with an ECDSA and one with an RSA certificate, on
# 127.0.0.1:PORT and up, then scans every listener with sslscan and with
# testssl.sh (Debian packages) and checks that the protocol versions and
# cipher suites each found equal the policy's for that key type (at TLS 1.3
# the three suites crypto/tls always offers): no more, no fewer. Prints one
# PASS or FAIL line per listener and scanner, with the differences, and
# exits 1 if any differs.
#
#   bench/tlsscan.sh                # sslscan and testssl.sh (~2 min per listener for testssl.sh, JOBS at once)
#   TESTSSL=0 bench/tlsscan.sh      # sslscan only (seconds)
#
# Environment: PORT (first port, default 19440), JOBS (testssl.sh runs at
# once, default 4), TESTSSL (0 to skip it), SKIP_INSTALL=1 (no apt-get),
# OUT (directory for the raw scanner output, default a new one in
# ${TMPDIR:-/tmp}).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PORT=${PORT:-19440}
JOBS=${JOBS:-4}
TESTSSL=${TESTSSL:-1}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/e2etls-tlsscan.XXXXXX")}
mkdir -p "$OUT"

if [[ -z ${SKIP_INSTALL:-} ]] && ! { command -v sslscan && command -v testssl; } >/dev/null; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sslscan testssl.sh >/dev/null
fi
echo "sslscan $(dpkg-query -W -f='${Version}' sslscan 2>/dev/null || echo '?'), testssl.sh $(dpkg-query -W -f='${Version}' testssl.sh 2>/dev/null || echo '?'); raw output in $OUT"

(cd "$ROOT" && go build -o "$OUT/tlsscan" ./bench/cmd/tlsscan)
"$OUT/tlsscan" serve -port "$PORT" -plan "$OUT/plan.json" >"$OUT/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
	[[ -s $OUT/plan.json ]] && grep -q listeners "$OUT/serve.log" && break
	kill -0 "$server" 2>/dev/null || { cat "$OUT/serve.log"; exit 1; }
	sleep 0.1
done
ports=$(grep -o '"port": [0-9]*' "$OUT/plan.json" | grep -o '[0-9]*$')

failed=0
for p in $ports; do
	sslscan --no-colour --show-cipher-ids --xml="$OUT/sslscan-$p.xml" "127.0.0.1:$p" >"$OUT/sslscan-$p.txt" 2>&1
	"$OUT/tlsscan" check -plan "$OUT/plan.json" -port "$p" -sslscan "$OUT/sslscan-$p.xml" || failed=1
done

if [[ $TESTSSL != 0 ]]; then
	running=0
	for p in $ports; do
		rm -f "$OUT/testssl-$p.json"
		testssl --quiet --color 0 --warnings off --protocols --cipher-per-proto --mapping no-openssl \
			--jsonfile "$OUT/testssl-$p.json" "127.0.0.1:$p" >"$OUT/testssl-$p.txt" 2>&1 &
		running=$((running + 1))
		if ((running >= JOBS)); then
			wait -n || true
			running=$((running - 1))
		fi
	done
	while [[ -n $(jobs -p | grep -v "^$server\$") ]]; do wait -n || true; done
	for p in $ports; do
		"$OUT/tlsscan" check -plan "$OUT/plan.json" -port "$p" -testssl "$OUT/testssl-$p.json" || failed=1
	done
fi
exit "$failed"
