#!/usr/bin/env bash
# bench/prometheus.sh: a real Prometheus server (Debian's prometheus package)
# scrapes a gateway under load, and its HTTP API is asked for what an
# operator alerts on: when each backend member's certificate expires (and
# that the series moves when a member renews its certificate), and how many
# backend handshakes failed and why.
#
# It runs bench/cmd/healthdemo on loopback: 15 requests/s to each path, one
# backend from an untrusted root, one whose certificate is renewed after
# 20 s, and for the load four keep-alive clients as fast as they can; it
# stops everything it started.
#
#   bash bench/prometheus.sh
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
OUT=$BENCH/out/prometheus
rm -rf "$OUT" && mkdir -p "$OUT"
if ! command -v prometheus >/dev/null 2>&1; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null
fi
ADMIN=127.0.0.1:${ADMIN_PORT:-19181}
PROM=127.0.0.1:${PROM_PORT:-19090}
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT

(cd "$ROOT" && go build -o "$OUT/healthdemo" ./bench/cmd/healthdemo)
"$OUT/healthdemo" -admin "$ADMIN" -duration 90s -renew-after 20s -load 4 >"$OUT/healthdemo.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://$ADMIN/metrics" >/dev/null && break; sleep 0.1; done

cat >"$OUT/prometheus.yml" <<YML
global:
  scrape_interval: 2s
  evaluation_interval: 2s
scrape_configs:
  - job_name: e2etls
    static_configs:
      - targets: ["$ADMIN"]
YML
prometheus --config.file="$OUT/prometheus.yml" --storage.tsdb.path="$OUT/data" \
	--web.listen-address="$PROM" >"$OUT/prometheus.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://$PROM/-/ready" >/dev/null && break; sleep 0.2; done
echo "prometheus ready; scraping $ADMIN every 2 s; waiting 40 s (the payments backend renews at 20 s)"
sleep 40

query() { # query PROMQL: the API's result, one line per series
	curl -sG "http://$PROM/api/v1/query" --data-urlencode "query=$1" |
		python3 -c 'import json,sys
d=json.load(sys.stdin)
assert d["status"]=="success", d
for r in d["data"]["result"]:
    print(" ".join(f"{k}={v}" for k,v in sorted(r["metric"].items()) if k not in ("job","instance")), "=>", r["value"][1])'
}
fail=0
echo
echo "== days left on each backend member's certificate"
days=$(query 'round((e2etls_backend_certificate_not_after_seconds - time()) / 86400)')
echo "$days"
echo "$days" | grep -q 'pool=payments.*=> 400' || { echo "FAIL: the payments renewal is not in the series"; fail=1; }
echo "$days" | grep -q 'pool=orders.*=> 20' || { echo "FAIL: no 20-day series for orders"; fail=1; }
echo
echo "== the payments member's expiry over the run (distinct values: before and after renewal)"
vals=$(curl -sG "http://$PROM/api/v1/query" --data-urlencode 'query=count_values("v", e2etls_backend_certificate_not_after_seconds{pool="payments"}[60s:2s])' |
	python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["data"]["result"]))' 2>/dev/null || echo 0)
curl -sG "http://$PROM/api/v1/query" --data-urlencode 'query=e2etls_backend_certificate_not_after_seconds{pool="payments"}[60s]' |
	python3 -c 'import json,sys
d=json.load(sys.stdin)
for r in d["data"]["result"]:
    seen=sorted({v for _,v in r["values"]})
    print("distinct not_after values:", seen)
    sys.exit(0 if len(seen)==2 else 1)' || { echo "FAIL: want two values (before and after the renewal)"; fail=1; }
echo
echo "== backend handshakes that failed, by reason (last minute)"
fails=$(query 'sum by (pool, result) (increase(e2etls_backend_handshakes_total{result!="ok"}[1m]))')
echo "$fails"
echo "$fails" | grep -q 'pool=legacy result=untrusted-root' || { echo "FAIL: no untrusted-root handshake failures"; fail=1; }
echo
echo "== requests per second by pool and status class"
query 'sum by (pool, status_class) (rate(e2etls_requests_total[30s]))'
echo
echo "== members by state"
query 'e2etls_backend_members > 0'
exit $fail
