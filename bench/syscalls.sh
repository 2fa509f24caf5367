#!/usr/bin/env bash
# bench/syscalls.sh: system calls per request of e2etls and NGINX under the
# keep-alive (wrk) and HTTP/2 (h2load) workloads of bench/run.sh, counted
# from /proc/PID/io (syscr: read calls, syscw: write calls). Run it after
# bench/run.sh, whose certificates, configurations and binaries in
# bench/out/ it reuses. Everything listens on loopback and stops by itself.
#
#   bash bench/syscalls.sh [DURATION_SECONDS]
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$BENCH/out
D=${1:-5}
[[ -x $OUT/bin/gateway && -f $OUT/proxy.nginx.conf ]] || { echo "run bench/run.sh first" >&2; exit 1; }
(cd "$BENCH/.." && go build -o "$OUT/bin/" ./bench/cmd/gateway)

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

taskset -c 0 nginx -c "$OUT/backend.nginx.conf" -g 'daemon off;' &
PIDS+=($!)
GOMAXPROCS=1 taskset -c 1 "$OUT/bin/gateway" -listen 127.0.0.1:18441 -cert "$OUT/frontend.pem" -key "$OUT/frontend.key" \
	-backend 127.0.0.1:18450 -backend-host backend.internal -root "$OUT/root.pem" -log-level warn 2>"$OUT/syscalls-gateway.log" &
GW=$!
PIDS+=("$GW")
taskset -c 1 nginx -c "$OUT/proxy.nginx.conf" -g 'daemon off;' &
NM=$!
PIDS+=("$NM")
sleep 2
NW=$(pgrep -P "$NM" | head -1)

io() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/io"; }
printf '| workload | server | requests | read calls per request | write calls per request |\n| --- | --- | ---: | ---: | ---: |\n'
for wl in keepalive h2; do
	for t in "e2etls 18441 $GW" "NGINX 18442 $NW"; do
		read -r name port pid <<<"$t"
		r0=$(io "$pid" syscr) w0=$(io "$pid" syscw)
		if [[ $wl == h2 ]]; then
			reqs=$(timeout -k 5 $((D + 30)) taskset -c 0 h2load -t1 -c32 -m10 -D "$D" "https://127.0.0.1:$port/" | awk '/^requests:/{print $4}')
		else
			reqs=$(timeout -k 5 $((D + 30)) taskset -c 0 wrk -t1 -c32 -d"${D}s" "https://127.0.0.1:$port/" | awk '/requests in/{print $1}')
		fi
		r1=$(io "$pid" syscr) w1=$(io "$pid" syscw)
		awk -v w="$wl" -v n="$name" -v q="$reqs" -v r=$((r1 - r0)) -v x=$((w1 - w0)) \
			'BEGIN { printf "| %s | %s | %d | %.2f | %.2f |\n", w, n, q, r / q, x / q }'
	done
done
