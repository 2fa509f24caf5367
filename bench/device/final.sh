#!/bin/bash
# Final device run for issue 18: scaling with logs on (2 rounds) and off (1 round), the pinned-cores
# experiment (GOMAXPROCS=2 on 2 vs 3 cores), and both proxies under a 2-core cgroup quota.
D=$(cd "$(dirname "$0")" && pwd); export OUT=${OUT:-/tmp}
echo "start $(date -u +%T) cpus=$(nproc) $(uname -r)"
LOGS=on NS="1 2 4 6" ROUNDS=2 DUR=4 WARM=2 bash "$D/scale.sh" > "$OUT/run-on.log" 2>&1; echo "on done $(date -u +%T)"
LOGS=off NS="1 2 4 6" ROUNDS=1 DUR=4 WARM=2 bash "$D/scale.sh" > "$OUT/run-off.log" 2>&1; echo "off done $(date -u +%T)"
LOGS=on CASES="2:0-1 2:0-2" ROUNDS=1 DUR=4 WARM=2 MODE=exp bash "$D/scale.sh" > "$OUT/exp-run.log" 2>&1; echo "exp done $(date -u +%T)"
LOGS=on NS="2" QUOTA=2 ROUNDS=1 DUR=4 WARM=2 MODE=cg bash "$D/scale.sh" > "$OUT/cg-run.log" 2>&1; echo "cg done $(date -u +%T)"
for f in scale-on scale-off exp-on cg-on; do echo "== $f"; cat "$OUT/$f.txt" 2>/dev/null; done
grep -h "cgroup\|ERR" "$OUT/cg-run.log" "$OUT/run-on.log" | head -5
