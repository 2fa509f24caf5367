#!/usr/bin/env bash
# bench/health-screenshot.sh: what an operator sees on the backend health
# page, rendered by headless Chromium (Debian's chromium package) into
# bench/out/health.png. It runs bench/cmd/healthdemo (backends healthy,
# expiring in 20 and 5 days, and one from an untrusted root) on loopback,
# waits for its probes, takes the screenshot and stops it.
#
#   bash bench/health-screenshot.sh
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
OUT=$BENCH/out
mkdir -p "$OUT"
if ! command -v chromium >/dev/null 2>&1; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
ADMIN=127.0.0.1:${ADMIN_PORT:-19180}
(cd "$ROOT" && go build -o "$OUT/healthdemo" ./bench/cmd/healthdemo)
"$OUT/healthdemo" -admin "$ADMIN" -duration 60s -renew-after 1h >"$OUT/healthdemo.log" 2>&1 &
demo=$!
trap 'kill $demo 2>/dev/null || true; wait $demo 2>/dev/null || true' EXIT
for _ in $(seq 100); do
	curl -sf "http://$ADMIN/?format=json" >/dev/null && break
	sleep 0.1
done
sleep 3 # the first probes and some traffic
profile=$(mktemp -d)
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$profile" --hide-scrollbars --window-size=1500,900 \
	--screenshot="$OUT/health.png" "http://$ADMIN/" 2>"$OUT/chromium.log"
rm -rf "$profile"
curl -s "http://$ADMIN/" >"$OUT/health.html"
echo "screenshot: $OUT/health.png (page: $OUT/health.html)"
