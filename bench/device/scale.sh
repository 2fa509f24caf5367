#!/bin/bash
# Many-core scaling of examples/appgw (GOMAXPROCS=N) against NGINX (N workers), HTTPS keep-alive, 1 KiB,
# both re-encrypting to an NGINX HTTPS backend with verification on. Carried binaries run through
# the carried loader (see pack.sh). Output: one line per sample; $OUT/scale-LOGS.txt. The JSON below is the
# flat azurejson format: change it if the loader changes. Knobs: NS, ROUNDS, DUR, WARM (warm-up seconds,
# default DUR), LOGS=off|on (on: NGINX buffered access log, the gateway with its default logging), and MODE:
#   scale (default)  both proxies at each N in NS, pinned to cores 0..N-1; output scale-LOGS.txt
#   exp              e2etls alone at CASES="GOMAXPROCS:CPUS ..." with its threads and context switches; exp-LOGS.txt
#   cg               both proxies at each N in NS inside a cgroup v2 CPU quota of QUOTA cores, free on
#                    cores 0-5 (GOMAXPROCS from the quota, as Go reads it); cg-LOGS.txt
set -u
B=$(cd "$(dirname "$0")" && pwd); R=$(mktemp -d); OUTD=${OUT:-/tmp}
LD=("$B/lib/ld-linux-x86-64.so.2" --library-path "$B/lib")
NS=${NS:-"1 2 4 6"} DUR=${DUR:-5} ROUNDS=${ROUNDS:-2} LOGS=${LOGS:-off} MODE=${MODE:-scale} QUOTA=${QUOTA:-2}
C=$(nproc)
if [ "$C" -ge 16 ]; then BE_CPUS=6-10; BE_W=5; LG_CPUS=11-15; LG_T=5; CONNS=256; else BE_CPUS=1; BE_W=1; LG_CPUS=0; LG_T=1; CONNS=32; fi
pxcpus() { if [ "$MODE" = cg ]; then echo 0-5; elif [ "$C" -ge 16 ]; then echo "0-$(( $1 - 1 ))"; else echo 1; fi; }
body=$(printf 'a%.0s' $(seq 1023))
be_conf() { cat <<CONF
worker_processes $BE_W; daemon off; user root; pid $R/be.pid; error_log $R/be.err warn;
events { worker_connections 16384; }
http { access_log off; client_body_temp_path $R/bb; proxy_temp_path $R/bp; fastcgi_temp_path $R/bf; uwsgi_temp_path $R/bu; scgi_temp_path $R/bs;
  keepalive_timeout 120s; keepalive_requests 100000000;
  ssl_certificate $B/certs/backend.crt; ssl_certificate_key $B/certs/backend.key; ssl_protocols TLSv1.2 TLSv1.3; ssl_session_cache shared:BE:10m;
  server { listen 127.0.0.1:9443 ssl; server_name backend.test; location = / { default_type text/plain; return 200 "$body\n"; } } }
CONF
}
px_conf() { local al="access_log off;"; [ "$LOGS" = on ] && al="access_log $R/px.access combined buffer=64k flush=1s;"
cat <<CONF
worker_processes $1; daemon off; user root; pid $R/px.pid; error_log $R/px.err warn;
events { worker_connections 16384; }
http { $al client_body_temp_path $R/pb; proxy_temp_path $R/pp; fastcgi_temp_path $R/pf; uwsgi_temp_path $R/pu; scgi_temp_path $R/ps;
  keepalive_timeout 120s; keepalive_requests 100000000; ssl_protocols TLSv1.2 TLSv1.3;
  upstream be { server 127.0.0.1:9443; keepalive 1024; keepalive_requests 100000000; keepalive_timeout 120s; }
  server { listen 127.0.0.1:8441 ssl http2; server_name gw.test; ssl_certificate $B/certs/frontend.crt; ssl_certificate_key $B/certs/frontend.key;
    location / { proxy_pass https://be; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_ssl_verify on; proxy_ssl_verify_depth 2;
      proxy_ssl_trusted_certificate $B/certs/ca.crt; proxy_ssl_name backend.test; proxy_ssl_server_name on; proxy_ssl_session_reuse on; proxy_ssl_protocols TLSv1.2 TLSv1.3; } } }
CONF
}
cat > $R/gw.json <<JSON
{ "sslPolicy": {"policyType": "Predefined", "policyName": "AppGwSslPolicy20220101"},
  "sslCertificates": [{"name": "fe", "certFile": "$B/certs/frontend.crt", "keyFile": "$B/certs/frontend.key"}],
  "trustedRootCertificates": [{"name": "ca", "certFile": "$B/certs/ca.crt"}],
  "httpListeners": [{"name": "l", "protocol": "Https", "address": "127.0.0.1", "port": 8445, "sslCertificate": "fe"}],
  "backendAddressPools": [{"name": "p", "backendAddresses": [{"ipAddress": "127.0.0.1", "port": 9443}]}],
  "backendHttpSettings": [{"name": "s", "protocol": "Https", "port": 9443, "hostName": "backend.test",
      "trustedRootCertificates": ["ca"], "cookieBasedAffinity": "Disabled", "requestTimeout": 20}],
  "requestRoutingRules": [{"name": "r", "ruleType": "Basic", "priority": 1, "httpListener": "l", "backendAddressPool": "p", "backendHttpSettings": "s"}] }
JSON
PIDS=(); cleanup() { for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done; sleep 0.5; for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done; }
trap cleanup EXIT
WRAP=()
if [ "$MODE" = cg ]; then
  CG=/sys/fs/cgroup/e2etls-bench
  mkdir -p $CG 2>/dev/null && echo "+cpu" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
  if ! { [ -w $CG/cpu.max ] && echo "$((QUOTA*100000)) 100000" > $CG/cpu.max; }; then echo "cgroup cpu.max not available: $(cat /sys/fs/cgroup/cgroup.controllers 2>&1)"; exit 0; fi
  echo "cgroup $CG cpu.max=$(cat $CG/cpu.max)"
  incg() { exec sh -c 'echo $$ > '$CG'/cgroup.procs && exec "$@"' incg "$@"; }
  WRAP=(incg)
fi
waitport() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never up"; return 1; }
be_conf > $R/be.conf; taskset -c $BE_CPUS "${LD[@]}" "$B/bin/nginx" -p $R -c $R/be.conf -e $R/be.err & PIDS+=($!); waitport 9443 || exit 1
echo "cpus=$C backend=$BE_CPUS x$BE_W wrk=$LG_CPUS t$LG_T c$CONNS dur=${DUR}s rounds=$ROUNDS logs=$LOGS ns='$NS' kernel=$(uname -r)"
rps() { taskset -c $LG_CPUS "${LD[@]}" "$B/bin/wrk" -t$LG_T -c$CONNS -d${DUR}s -H 'Host: gw.test' "https://127.0.0.1:$1/" 2>&1 | awk '/Requests\/sec/ {print $2} /Non-2xx|Socket errors/ {print "ERR:" $0 > "/dev/stderr"}'; }
ticks() { local t=0; for p in $(pgrep -P $1) $1; do [ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
if [ "$MODE" = exp ]; then
for r in $(seq $ROUNDS); do for cs in $CASES; do
  n=${cs%%:*}; cp=${cs#*:}
  gwargs=(-log-level warn -access-log off); [ "$LOGS" = on ] && gwargs=(-metrics-addr 127.0.0.1:9400)
  GOMAXPROCS=$n taskset -c $cp "$B/bin/appgw" -config $R/gw.json "${gwargs[@]}" > $R/gw.log 2>&1 & gpid=$!
  PIDS+=($gpid); waitport 8445 || { tail -3 $R/gw.log; exit 1; }
  WARM=${WARM:-$DUR}; D0=$DUR; DUR=$WARM; rps 8445 > /dev/null; DUR=$D0   # warm-up
  u0=$(ticks $gpid); cs0=$(awk '/ctxt/{print $2}' /proc/stat); b=$(rps 8445); u1=$(ticks $gpid)
  vol=0; inv=0; for t in /proc/$gpid/task/*; do v=$(awk '/^voluntary_ctxt_switches/{print $2}' $t/status); i=$(awk '/^nonvoluntary_ctxt_switches/{print $2}' $t/status); vol=$((vol+v)); inv=$((inv+i)); done
  echo "round=$r gomaxprocs=$n cpus=$cp e2etls_rps=$b e2etls_cpu_ticks=$((u1-u0)) threads=$(ls /proc/$gpid/task | wc -l) vol_cs=$vol invol_cs=$inv"
  kill -TERM $gpid; wait $gpid 2>/dev/null; sleep 0.5
done; done | tee $OUTD/exp-$LOGS.txt
exit 0
fi
for r in $(seq $ROUNDS); do for n in $NS; do
  px_conf $n > $R/px.conf; cp=$(pxcpus $n)
  "${WRAP[@]}" taskset -c $cp "${LD[@]}" "$B/bin/nginx" -p $R -c $R/px.conf -e $R/px.err & npid=$!
  gwargs=(-log-level warn -access-log off); [ "$LOGS" = on ] && gwargs=(-metrics-addr 127.0.0.1:9400)
  if [ "$MODE" = cg ]; then gmp=(); else gmp=(env GOMAXPROCS=$n); fi
  "${WRAP[@]}" "${gmp[@]}" taskset -c $cp "$B/bin/appgw" -config $R/gw.json "${gwargs[@]}" > $R/gw.log 2>&1 & gpid=$!
  PIDS+=($npid $gpid); waitport 8441 && waitport 8445 || { tail -3 $R/gw.log $R/px.err; exit 1; }
  WARM=${WARM:-$DUR}; D0=$DUR; DUR=$WARM; rps 8441 >/dev/null; rps 8445 > /dev/null; DUR=$D0   # warm-up
  t0=$(ticks $npid); a=$(rps 8441); t1=$(ticks $npid)
  u0=$(ticks $gpid); b=$(rps 8445); u1=$(ticks $gpid)
  echo "${WRAP:+cgroup quota=$QUOTA cores }round=$r n=$n nginx_rps=$a nginx_cpu_ticks=$((t1-t0)) e2etls_rps=$b e2etls_cpu_ticks=$((u1-u0)) ratio=$(awk -v a=$a -v b=$b 'BEGIN{printf "%.3f", b/a}')"
  kill -TERM $npid $gpid; wait $npid $gpid 2>/dev/null; sleep 0.5
done; done | tee $OUTD/$MODE-$LOGS.txt
