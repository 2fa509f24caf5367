#!/bin/bash
# Profiles of the gateway (bench/out/prof's harness: the appgw configuration
# with access log and metrics) at GOMAXPROCS=$PN on cores 0..PN-1, under wrk
# with 256 connections on cores 11-15, the NGINX backend on 6-10.
set -u
B=$(cd "$(dirname "$0")" && pwd); R=$(mktemp -d); OUTD=${OUT:-/tmp}; PN=${PN:-2}
if [ "$(nproc)" -ge 16 ]; then BE=6-10; LG=11-15; GW=0-$((PN-1)); WT=5; C=256; else BE=0; LG=0; GW=1; PN=1; WT=1; C=32; fi
LD=("$B/lib/ld-linux-x86-64.so.2" --library-path "$B/lib")
body=$(printf 'a%.0s' $(seq 1023))
cat > $R/be.conf <<CONF
worker_processes 5; daemon off; user root; pid $R/be.pid; error_log $R/be.err warn;
events { worker_connections 16384; }
http { access_log off; client_body_temp_path $R/bb; proxy_temp_path $R/bp; fastcgi_temp_path $R/bf; uwsgi_temp_path $R/bu; scgi_temp_path $R/bs;
  keepalive_timeout 120s; keepalive_requests 100000000;
  ssl_certificate $B/certs/backend.crt; ssl_certificate_key $B/certs/backend.key; ssl_protocols TLSv1.2 TLSv1.3; ssl_session_cache shared:BE:10m;
  server { listen 127.0.0.1:9443 ssl; server_name backend.test; location = / { default_type text/plain; return 200 "$body\n"; } } }
CONF
PIDS=(); cleanup() { for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done; sleep 0.5; for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done; }
trap cleanup EXIT
waitport() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never up"; return 1; }
taskset -c $BE "${LD[@]}" "$B/bin/nginx" -p $R -c $R/be.conf -e $R/be.err & PIDS+=($!); waitport 9443 || exit 1
mkdir -p $OUTD/prof
GODEBUG=schedtrace=1000 GOMAXPROCS=$PN taskset -c $GW "$B/bin/profgw" -cert $B/certs/frontend.crt -key $B/certs/frontend.key \
  -root $B/certs/ca.crt -host backend.test -bport 9443 -port 8445 -profile-dir $OUTD/prof -profile-after 3s -profile-for 5s \
  > $OUTD/prof/sched.txt 2>&1 & gpid=$!; PIDS+=($gpid)
waitport 8445 || { tail $OUTD/prof/sched.txt; exit 1; }
t0=$(awk '{print $14+$15}' /proc/$gpid/stat)
taskset -c $LG "${LD[@]}" "$B/bin/wrk" -t$WT -c$C -d12s -H 'Host: gw.test' https://127.0.0.1:8445/ > $OUTD/prof/wrk.txt 2>&1
t1=$(awk '{print $14+$15}' /proc/$gpid/stat)
echo "profile n=$PN: $(grep Requests/sec $OUTD/prof/wrk.txt) ticks=$((t1-t0)) over 12s (max $((PN*100*12)))"
sleep 2; ls -la $OUTD/prof
