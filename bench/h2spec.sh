#!/usr/bin/env bash
# bench/h2spec.sh: HTTP/2 conformance of the gateway's frontend, checked
# with h2spec (github.com/summerwind/h2spec, every section, strict mode)
# against bench/cmd/gateway in front of the NGINX backend of bench/run.sh.
# Run it after bench/run.sh, whose certificates, configurations and
# binaries in bench/out/ it reuses. h2spec is built from the Go module
# proxy into bench/out/bin. Everything listens on loopback and stops by
# itself. It exits non-zero when a case fails.
#
#   bash bench/h2spec.sh
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$BENCH/out
[[ -x $OUT/bin/gateway && -f $OUT/backend.nginx.conf ]] || { echo "run bench/run.sh first" >&2; exit 1; }
(cd "$BENCH/.." && go build -o "$OUT/bin/" ./bench/cmd/gateway)
if [[ ! -x $OUT/bin/h2spec ]]; then
	# h2spec 2.2.1 predates Go modules: -mod=mod resolves its imports.
	GOFLAGS=-mod=mod GOBIN=$OUT/bin go install github.com/summerwind/h2spec/cmd/h2spec@v2.2.1+incompatible
fi

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

nginx -c "$OUT/backend.nginx.conf" -g 'daemon off;' &
PIDS+=($!)
"$OUT/bin/gateway" -listen 127.0.0.1:18461 -cert "$OUT/frontend.pem" -key "$OUT/frontend.key" \
	-backend 127.0.0.1:18450 -backend-host backend.internal -root "$OUT/root.pem" -log-level warn 2>"$OUT/h2spec-gateway.log" &
PIDS+=($!)
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/18461) 2>/dev/null && break; sleep 0.1; done

timeout 600 "$OUT/bin/h2spec" -S -t -k -h 127.0.0.1 -p 18461 -o 5 -j "$OUT/h2spec-junit.xml" | tee "$OUT/h2spec.txt" | tail -4
