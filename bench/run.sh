#!/usr/bin/env bash
# bench/run.sh: the end-to-end TLS load benchmark of issue 7.
#
# One interleaved run, on loopback, of the same end-to-end TLS proxying
# through five servers (A e2etls, B NGINX, C HAProxy, D Caddy, E the backend
# directly), five workloads each, ROUNDS rounds; results go to
# bench/RESULTS.md, everything generated (certificates, keys, configs, raw
# tool output, profiles) to bench/out/ (gitignored).
#
#   bench/run.sh                         # the real run: 10 s cells, 3 rounds (~16 min)
#   DURATION=2 ROUNDS=1 bench/run.sh     # a quick trial; writes bench/out/RESULTS.md only
#
# Environment: DURATION (seconds per cell, default 10), ROUNDS (default 3),
# IDLE_CONNS (memory test, default 10000), SKIP_INSTALL=1 (no apt-get),
# TARGETS and WORKLOADS (space-separated subsets, for trials; the full run
# uses all),
# RESULTS (output file; default bench/RESULTS.md for the full run, else
# bench/out/RESULTS.md).
#
# CPU pinning (the machine has 2 cores): every proxy runs on CPU 1 with one
# worker or thread (e2etls and Caddy with GOMAXPROCS=1); the load generators
# run on CPU 0, and so does the NGINX backend, which therefore shares a core
# with the load generator. In the "direct" cells the backend's worker is the
# server under test, so it is moved to CPU 1 (taskset -p) for those cells
# only, and back to CPU 0 afterwards.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
OUT=$BENCH/out
CONF=$BENCH/conf
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
IDLE_CONNS=${IDLE_CONNS:-10000}
read -ra TARGETS <<<"${TARGETS:-e2etls nginx haproxy caddy direct}"
read -ra WORKLOADS <<<"${WORKLOADS:-keepalive newconn h2 post4k get1m}"
if [[ -z ${RESULTS:-} ]]; then
	if [[ $DURATION -ge 10 && $ROUNDS -ge 3 && ${#TARGETS[@]} -eq 5 && ${#WORKLOADS[@]} -eq 5 ]]; then RESULTS=$BENCH/RESULTS.md; else RESULTS=$OUT/RESULTS.md; fi
fi

# Frontend ports of the servers under test, and the backend port each of
# them reaches (one per proxy, so the backend's log tells them apart).
P_DIRECT=18443
P_E2ETLS=18441 B_E2ETLS=18450
P_NGINX=18442 B_NGINX=18451
P_HAPROXY=18444 B_HAPROXY=18452
P_CADDY=18445 B_CADDY=18453
P_PROFILE=18446 P_MEMORY=18447
CONNS=32         # connections of workloads 1-4
H2_STREAMS=10    # concurrent streams per HTTP/2 connection
BIG_CONNS=8      # connections of the 1 MiB workload

log() { printf '%s bench: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- processes: every one started here is stopped on exit, by its pid ---
PIDS=()
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for _ in $(seq 50); do
		local alive=0
		for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[[ $alive == 0 ]] && break
		sleep 0.2
	done
	for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_port PORT: until something accepts on 127.0.0.1:PORT (at most 10 s).
wait_port() {
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	die "nothing listens on 127.0.0.1:$1 after 10 s"
}

# port_free PORT: fail if something already listens there.
port_free() {
	if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then die "port $1 is in use; stop what listens there"; fi
}

# cpustat: "busy total" jiffies of CPU 0 and CPU 1, from /proc/stat.
cpustat() {
	awk '$1 == "cpu0" || $1 == "cpu1" { t = 0; for (i = 2; i <= NF; i++) t += $i; printf "%d %d ", t - $5 - $6, t }' /proc/stat
}

# busy_pct B0 T0 B1 T1: percent busy between two cpustat readings of one CPU.
busy_pct() { if (($4 > $2)); then echo $((100 * ($3 - $1) / ($4 - $2))); else echo 0; fi; }

# cputicks PID: utime+stime of the process, in clock ticks.
cputicks() {
	local stat
	stat=$(<"/proc/$1/stat")
	stat=${stat##*) }   # fields from 3 on; comm may contain spaces
	local f=($stat)
	echo $((f[11] + f[12]))
}

# child_of PID: the one child of an NGINX master (its single worker).
child_of() {
	local kids
	for _ in $(seq 50); do
		kids=$(cat "/proc/$1/task/$1/children" 2>/dev/null || true)
		if [[ -n $kids ]]; then echo "${kids%% *}"; return 0; fi
		sleep 0.1
	done
	die "process $1 has no child (NGINX worker) after 5 s"
}

# --- 1. install ---
if [[ ${SKIP_INSTALL:-0} != 1 ]]; then
	missing=()
	for tool in nginx haproxy caddy wrk h2load taskset openssl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
	if [[ ${#missing[@]} -gt 0 ]]; then
		log "installing nginx haproxy caddy wrk nghttp2-client (missing: ${missing[*]})"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx haproxy caddy wrk nghttp2-client
	fi
fi
for tool in nginx haproxy caddy wrk h2load taskset openssl go; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[[ $(nproc) -ge 2 ]] || die "needs 2 CPUs for the pinning (proxy on 1, load on 0)"
ulimit -n "$(ulimit -Hn)"
[[ $(ulimit -n) -gt $((IDLE_CONNS + 1000)) ]] || die "ulimit -n is $(ulimit -n); the memory test needs more than $((IDLE_CONNS + 1000))"
for p in $P_DIRECT $P_E2ETLS $B_E2ETLS $P_NGINX $B_NGINX $P_HAPROXY $B_HAPROXY $P_CADDY $B_CADDY $P_PROFILE $P_MEMORY; do port_free "$p"; done

# --- 2. build, certificates, configurations ---
rm -rf "$OUT"
mkdir -p "$OUT"/{bin,raw,tmp,www,caddy-data,caddy-config}
log "building bench/cmd/* into $OUT/bin"
(cd "$ROOT" && go build -o "$OUT/bin/" ./bench/cmd/...)
# What the gateway binary was built from (other people commit while this runs).
LIBDIRS=(gateway backendtls policy routing probe)
GIT_REV=$(cd "$ROOT" && git rev-parse --short HEAD)
GIT_DIRTY=$(cd "$ROOT" && git status --porcelain -- "${LIBDIRS[@]}" | awk '{ print $2 }' | tr '\n' ' ')
(cd "$ROOT" && git diff HEAD -- "${LIBDIRS[@]}") >"$OUT/uncommitted.diff"

log "minting certificates (ECDSA P-256): private root, frontend, backend"
(
	cd "$OUT"
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key -out root.pem \
		-days 7 -sha256 -subj "/CN=e2etls bench root" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	for leaf in frontend:"DNS:www.example.test,IP:127.0.0.1" backend:"DNS:backend.internal"; do
		name=${leaf%%:*} san=${leaf#*:}
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$name.key" -out "$name.csr" \
			-subj "/CN=${san#DNS:}" 2>/dev/null
		printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
			"$san" >"$name.ext"
		openssl x509 -req -in "$name.csr" -CA root.pem -CAkey root.key -CAcreateserial -days 7 -sha256 \
			-extfile "$name.ext" -out "$name.pem" 2>/dev/null
	done
	cat frontend.pem frontend.key >frontend-haproxy.pem
	openssl verify -CAfile root.pem frontend.pem backend.pem >/dev/null
	head -c 1048576 /dev/urandom >www/1m
)

render() { # render TEMPLATE OUTPUT
	sed -e "s|@OUT@|$OUT|g" -e "s|@P_DIRECT@|$P_DIRECT|g" \
		-e "s|@P_NGINX@|$P_NGINX|g" -e "s|@P_HAPROXY@|$P_HAPROXY|g" -e "s|@P_CADDY@|$P_CADDY|g" \
		-e "s|@B_E2ETLS@|$B_E2ETLS|g" -e "s|@B_NGINX@|$B_NGINX|g" -e "s|@B_HAPROXY@|$B_HAPROXY|g" -e "s|@B_CADDY@|$B_CADDY|g" \
		"$CONF/$1" >"$OUT/$2"
}
render backend.nginx.conf backend.nginx.conf
render proxy.nginx.conf proxy.nginx.conf
render haproxy.cfg haproxy.cfg
render Caddyfile Caddyfile

# --- 3. start the backend (CPU 0) and the proxies (CPU 1) ---
log "starting the NGINX backend on CPU 0"
taskset -c 0 nginx -c "$OUT/backend.nginx.conf" -g 'daemon off;' &
BACKEND_MASTER=$!
PIDS+=("$BACKEND_MASTER")
BACKEND=$(child_of "$BACKEND_MASTER")
wait_port "$P_DIRECT"

log "starting the proxies on CPU 1"
GOMAXPROCS=1 taskset -c 1 "$OUT/bin/gateway" -listen "127.0.0.1:$P_E2ETLS" -cert "$OUT/frontend.pem" -key "$OUT/frontend.key" \
	-backend "127.0.0.1:$B_E2ETLS" -backend-host backend.internal -root "$OUT/root.pem" -log-level warn 2>"$OUT/gateway.log" &
PID_E2ETLS=$!
PIDS+=("$PID_E2ETLS")
taskset -c 1 nginx -c "$OUT/proxy.nginx.conf" -g 'daemon off;' &
NGINX_MASTER=$!
PIDS+=("$NGINX_MASTER")
PID_NGINX=$(child_of "$NGINX_MASTER")
taskset -c 1 haproxy -db -f "$OUT/haproxy.cfg" 2>"$OUT/haproxy.log" &
PID_HAPROXY=$!
PIDS+=("$PID_HAPROXY")
GOMAXPROCS=1 XDG_DATA_HOME="$OUT/caddy-data" XDG_CONFIG_HOME="$OUT/caddy-config" \
	taskset -c 1 caddy run --config "$OUT/Caddyfile" --adapter caddyfile 2>"$OUT/caddy.log" &
PID_CADDY=$!
PIDS+=("$PID_CADDY")
for p in $P_E2ETLS $P_NGINX $P_HAPROXY $P_CADDY; do wait_port "$p"; done

port_of() { case $1 in e2etls) echo $P_E2ETLS ;; nginx) echo $P_NGINX ;; haproxy) echo $P_HAPROXY ;; caddy) echo $P_CADDY ;; direct) echo $P_DIRECT ;; esac; }
backend_port_of() { case $1 in e2etls) echo $B_E2ETLS ;; nginx) echo $B_NGINX ;; haproxy) echo $B_HAPROXY ;; caddy) echo $B_CADDY ;; direct) echo $P_DIRECT ;; esac; }
pid_of() { case $1 in e2etls) echo "$PID_E2ETLS" ;; nginx) echo "$PID_NGINX" ;; haproxy) echo "$PID_HAPROXY" ;; caddy) echo "$PID_CADDY" ;; direct) echo "$BACKEND" ;; esac; }

# servername_of TARGET: the name a verifying client expects of the server's
# certificate (the proxies present the frontend's; direct is the backend).
servername_of() { if [[ $1 == direct ]]; then echo backend.internal; else echo www.example.test; fi; }

# Smoke test: every server answers 1 KiB, 1 MiB and a 4 KiB POST, verified
# against the private root (the proxies verify the backend themselves).
for t in "${TARGETS[@]}"; do
	sn=$(servername_of "$t")
	url=https://$sn:$(port_of "$t")
	c=(curl -sS --fail --cacert "$OUT/root.pem" --resolve "$sn:$(port_of "$t"):127.0.0.1")
	[[ $("${c[@]}" "$url/" | wc -c) == 1024 ]] || die "$t: GET / is not the 1 KiB body"
	[[ $("${c[@]}" "$url/1m" | wc -c) == 1048576 ]] || die "$t: GET /1m is not 1 MiB"
	[[ $(head -c 4096 /dev/zero | "${c[@]}" --data-binary @- "$url/post" | wc -c) == 1024 ]] ||
		die "$t: POST /post did not answer 1 KiB"
	[[ $("${c[@]}" --http2 -o /dev/null -w '%{http_version}' "$url/") == 2 ]] || die "$t: no HTTP/2 on the frontend"
done
log "smoke test passed: every server answers GET /, GET /1m and POST /post through verified TLS"

# --- 4. the interleaved run ---
# command_for WORKLOAD PORT OUTFILE SERVERNAME: the load command of one cell,
# on CPU 0; timeout bounds it even if a tool hangs.
command_for() {
	local url=https://127.0.0.1:$2
	local run="timeout -k 5 $((DURATION + 30)) taskset -c 0"
	case $1 in
	keepalive) echo "$run wrk -t1 -c$CONNS -d${DURATION}s --latency $url/" ;;
	newconn) echo "$run env GOMAXPROCS=1 $OUT/bin/loadgen -url $url/ -servername $4 -insecure -c $CONNS -d ${DURATION}s" ;;
	h2) echo "$run h2load -t1 -c$CONNS -m$H2_STREAMS -D $DURATION --log-file=$3.log $url/" ;;
	post4k) echo "$run wrk -t1 -c$CONNS -d${DURATION}s --latency -s $CONF/post.lua $url/post" ;;
	get1m) echo "$run wrk -t1 -c$BIG_CONNS -d${DURATION}s --latency $url/1m" ;;
	esac
}
tool_of() { case $1 in newconn) echo loadgen ;; h2) echo h2load ;; *) echo wrk ;; esac; }

CELLS=$OUT/cells.tsv
printf 'workload\ttarget\tround\ttool\toutput\tserver_ticks\tbackend_ticks\tbackend_requests\tbackend_new_conns\tbackend_resumed\tcpu0_busy\tcpu1_busy\n' >"$CELLS"
: >"$OUT/commands.txt"
for w in "${WORKLOADS[@]}"; do echo "$w: $(command_for "$w" PORT bench/out/raw/CELL SERVERNAME)" | sed "s|$OUT|bench/out|g; s|$CONF|bench/conf|g" >>"$OUT/commands.txt"; done

run_cell() { # run_cell WORKLOAD TARGET ROUND
	local w=$1 t=$2 r=$3
	local f=$OUT/raw/$w-$t-r$r.txt pid bport cmd t0 t1 b0 b1 off0 off1 counts s0 s1
	pid=$(pid_of "$t")
	bport=$(backend_port_of "$t")
	cmd=$(command_for "$w" "$(port_of "$t")" "$f" "$(servername_of "$t")")
	[[ $t == direct ]] && taskset -pc 1 "$BACKEND" >/dev/null
	off0=$(stat -c %s "$OUT/backend-access.log")
	t0=$(cputicks "$pid")
	b0=$(cputicks "$BACKEND")
	s0=($(cpustat))
	$cmd >"$f" 2>&1 || log "$w $t round $r: load command exited $? (see $f)"
	s1=($(cpustat))
	sleep 0.5 # requests still inside a proxy finish and are logged
	t1=$(cputicks "$pid")
	b1=$(cputicks "$BACKEND")
	off1=$(stat -c %s "$OUT/backend-access.log")
	[[ $t == direct ]] && taskset -pc 0 "$BACKEND" >/dev/null
	counts=$(tail -c +$((off0 + 1)) "$OUT/backend-access.log" | head -c $((off1 - off0)) |
		awk -v p="$bport" '$1 == p { n++; if ($3 == 1) { c++; if ($4 == "r") rs++ } } END { print n+0, c+0, rs+0 }')
	read -r breq bnew bres <<<"$counts"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$w" "$t" "$r" "$(tool_of "$w")" "$f" \
		$((t1 - t0)) $((b1 - b0)) "$breq" "$bnew" "$bres" \
		"$(busy_pct "${s0[0]}" "${s0[1]}" "${s1[0]}" "${s1[1]}")" "$(busy_pct "${s0[2]}" "${s0[3]}" "${s1[2]}" "${s1[3]}")" >>"$CELLS"
	log "$w $t round $r: $(grep -m1 -E 'Requests/sec|finished in|^requests=' "$f" || echo 'no result line')"
}

log "warm-up: 2 s of keep-alive load on each server"
for t in "${TARGETS[@]}"; do timeout -k 5 30 taskset -c 0 wrk -t1 -c$CONNS -d2s "https://127.0.0.1:$(port_of "$t")/" >/dev/null; done

START=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "interleaved run: $ROUNDS rounds x ${#WORKLOADS[@]} workloads x ${#TARGETS[@]} servers x ${DURATION}s"
for r in $(seq "$ROUNDS"); do
	for w in "${WORKLOADS[@]}"; do
		for t in "${TARGETS[@]}"; do run_cell "$w" "$t" "$r"; done
	done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- 5. CPU (and allocation) profiles of e2etls under workloads 1, 3 and 2 ---
# profile_under WHAT GATEWAY_FLAGS... -- LOAD_COMMAND...: a fresh gateway
# with the given profile flags, under the load command for DURATION, then
# stopped (it writes its profiles as it exits).
profile_under() {
	local what=$1 flags=()
	shift
	while [[ $1 != -- ]]; do flags+=("$1"); shift; done
	shift
	log "profiling e2etls under $what load (${DURATION}s)"
	GOMAXPROCS=1 taskset -c 1 "$OUT/bin/gateway" -listen "127.0.0.1:$P_PROFILE" -cert "$OUT/frontend.pem" -key "$OUT/frontend.key" \
		-backend "127.0.0.1:$B_E2ETLS" -backend-host backend.internal -root "$OUT/root.pem" -log-level warn \
		"${flags[@]}" 2>>"$OUT/gateway-profile.log" &
	PID_PROFILE=$!
	PIDS+=("$PID_PROFILE")
	wait_port "$P_PROFILE"
	timeout -k 5 $((DURATION + 30)) taskset -c 0 "$@"
	kill -TERM "$PID_PROFILE"
	wait "$PID_PROFILE" || die "the profiled gateway exited $?"
}
top_of() { (cd "$ROOT" && go tool pprof -top "$@" 2>/dev/null); } # top_of PPROF_FLAGS... PROFILE
: >"$OUT/gateway-profile.log"

profile_under keep-alive -cpuprofile "$OUT/cpu.prof" -memprofile "$OUT/allocs.prof" -- \
	wrk -t1 -c$CONNS -d"${DURATION}s" --latency "https://127.0.0.1:$P_PROFILE/" >"$OUT/raw/profile-wrk.txt"
top_of -nodecount=30 "$OUT/bin/gateway" "$OUT/cpu.prof" >"$OUT/pprof-cpu.txt"
top_of -cum -nodecount=40 "$OUT/bin/gateway" "$OUT/cpu.prof" >"$OUT/pprof-cpu-cum.txt"
top_of -nodecount=30 -sample_index=alloc_space "$OUT/bin/gateway" "$OUT/allocs.prof" >"$OUT/pprof-alloc-space.txt"
top_of -nodecount=30 -sample_index=alloc_objects "$OUT/bin/gateway" "$OUT/allocs.prof" >"$OUT/pprof-alloc-objects.txt"

profile_under HTTP/2 -cpuprofile "$OUT/cpu-h2.prof" -- \
	h2load -t1 -c$CONNS -m$H2_STREAMS -D "$DURATION" "https://127.0.0.1:$P_PROFILE/" >"$OUT/raw/profile-h2load.txt"
top_of -nodecount=30 "$OUT/bin/gateway" "$OUT/cpu-h2.prof" >"$OUT/pprof-cpu-h2.txt"

profile_under new-connection -cpuprofile "$OUT/cpu-newconn.prof" -- \
	env GOMAXPROCS=1 "$OUT/bin/loadgen" -url "https://127.0.0.1:$P_PROFILE/" \
	-servername www.example.test -insecure -c $CONNS -d "${DURATION}s" >"$OUT/raw/profile-loadgen.txt"
top_of -nodecount=30 "$OUT/bin/gateway" "$OUT/cpu-newconn.prof" >"$OUT/pprof-cpu-newconn.txt"

# --- 6. memory per idle keep-alive frontend connection ---
log "memory: $IDLE_CONNS idle keep-alive TLS connections to a fresh e2etls gateway"
GOMAXPROCS=1 taskset -c 1 "$OUT/bin/gateway" -listen "127.0.0.1:$P_MEMORY" -cert "$OUT/frontend.pem" -key "$OUT/frontend.key" \
	-backend "127.0.0.1:$B_E2ETLS" -backend-host backend.internal -root "$OUT/root.pem" -log-level warn 2>"$OUT/gateway-memory.log" &
PID_MEMORY=$!
PIDS+=("$PID_MEMORY")
wait_port "$P_MEMORY"
curl -sS --fail --cacert "$OUT/root.pem" -o /dev/null "https://127.0.0.1:$P_MEMORY/" # backend pool and TLS state warm
MEMORY_CMD="timeout -k 5 600 taskset -c 0 env GOMAXPROCS=1 $OUT/bin/idleconns -addr 127.0.0.1:$P_MEMORY -ca $OUT/root.pem -pid $PID_MEMORY -n $IDLE_CONNS"
$MEMORY_CMD >"$OUT/memory.txt"
kill -TERM "$PID_MEMORY"
wait "$PID_MEMORY" || true

# --- 7. RESULTS ---
log "writing $RESULTS"
versions() {
	echo "- $(nginx -v 2>&1), $(haproxy -v | head -1), Caddy $(caddy version), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), $(h2load --version)"
	echo "- $(go version); $(openssl version); Linux $(uname -r)"
	echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') x $(nproc)"
	echo "- e2etls built at the start of the run from commit $GIT_REV$([[ -n $GIT_DIRTY ]] && echo " plus uncommitted changes to: $GIT_DIRTY(diff of tracked files kept in bench/out/uncommitted.diff)")"
}
{
	echo "# e2etls load benchmark (issue 7)"
	echo
	echo "Run of \`bench/run.sh\` started $START: $ROUNDS interleaved rounds (e2etls, NGINX, HAProxy, Caddy, direct) of five workloads, ${DURATION} s per cell."
	echo "The machine's load average was $LOAD_BEFORE before the run and $LOAD_AFTER after it: other engineers' tests ran on the same 2 cores, so cells are noisy; medians over rounds damp that, they do not remove it."
	echo
	echo "## Setup"
	echo
	versions
	echo "- Certificates: ECDSA P-256, a private root, a frontend leaf (www.example.test, 127.0.0.1), a backend leaf (backend.internal); minted by openssl in run.sh."
	echo "- Backend: NGINX, one worker, HTTPS only (HTTP/2 too on the port clients reach directly): 1 KiB body at every path, 1 MiB file at /1m, POSTs read and answered with the 1 KiB body; keep-alive 300 s, keepalive_requests 1e8; TLS 1.2 and 1.3, session cache and tickets on. Configuration: bench/conf/backend.nginx.conf."
	echo "- Proxies, each verifying the backend against the private root with SNI and expected name backend.internal, HTTP/1.1 to the backend, HTTP/1.1 and HTTP/2 to clients, TLS 1.2 and 1.3:"
	echo "  - e2etls: bench/cmd/gateway (the configuration of examples/appgw/gateway.json from flags: default policy AppGwSslPolicy20220101, trusted root, host name override), GOMAXPROCS=1, -log-level warn (no access log)."
	echo "  - NGINX: bench/conf/proxy.nginx.conf (one worker, proxy_ssl_verify on, proxy_ssl_trusted_certificate, proxy_ssl_name, proxy_ssl_server_name on, proxy_ssl_session_reuse on, upstream keepalive 512, keepalive_requests 1e8 both sides, TLSv1.3 listed, proxy_max_temp_file_size 0)."
	echo "  - HAProxy: bench/conf/haproxy.cfg (nbthread 1; server ... ssl verify required ca-file sni verifyhost; http-reuse always)."
	echo "  - Caddy: bench/conf/Caddyfile (admin off, reverse_proxy with the http transport's tls, tls_trusted_ca_certs, tls_server_name, 512 idle connections per host), GOMAXPROCS=1."
	echo "  - direct: the backend itself, no proxy."
	echo "- Pinning (2 cores): each proxy on CPU 1; load generators on CPU 0; the backend on CPU 0 too, sharing that core with the load generator, except in the direct cells, where its worker is moved to CPU 1 (taskset -p) so that the server under test always has CPU 1 to itself."
	echo "- Server CPU per request: utime+stime deltas of the server process (NGINX: its worker; direct: the backend worker) from /proc/<pid>/stat over the cell, divided by the requests completed; clock tick $(getconf CLK_TCK) Hz."
	echo "- Workload 2 uses bench/cmd/loadgen: a new TCP and TLS connection for every request, no session cache (it counts resumed handshakes; they must be 0), offering X25519, P-256 and P-384 like the OpenSSL clients do; like wrk and h2load it does not verify the server's chain (-insecure), to leave CPU 0 for the handshakes themselves (the smoke test before the run verifies every server with curl)."
	echo "- CPU0/CPU1 busy: share of each core not idle over the cell (/proc/stat), whoever used it; CPU 1 below ~95% in a proxy cell means the proxy was not the bottleneck (the load generator on CPU 0 was, or the machine's other work)."
	echo
	echo "Commands (PORT is the server's port, CELL the raw output file, SERVERNAME www.example.test, or backend.internal for direct):"
	echo
	echo '```'
	cat "$OUT/commands.txt"
	echo '```'
	echo
	"$OUT/bin/report" -cells "$CELLS" -clk-tck "$(getconf CLK_TCK)" -memory "$OUT/memory.txt"
	echo
	echo "## Memory: idle keep-alive frontend connections"
	echo
	echo "A fresh e2etls gateway (GOMAXPROCS=1, CPU 1) after one warm-up request; $IDLE_CONNS clients each complete a full TLS 1.3 handshake and one HTTP/1.1 keep-alive request, then stay idle; VmRSS of the gateway is read before and 5 s after the last one opened:"
	echo
	echo '```'
	echo "$ ${MEMORY_CMD//$OUT/bench/out}"
	cat "$OUT/memory.txt"
	echo '```'
	echo
	echo "## Profile of e2etls under workload 1"
	echo
	echo "A separate gateway with -cpuprofile and -memprofile under the keep-alive workload for ${DURATION} s ($(grep -m1 Requests/sec "$OUT/raw/profile-wrk.txt" | tr -s ' ') with profiling on)."
	echo
	echo '```'
	echo "$ go tool pprof -top -nodecount=30 bench/out/bin/gateway bench/out/cpu.prof"
	sed -n '1,40p' "$OUT/pprof-cpu.txt"
	echo '```'
	echo
	echo '```'
	echo "$ go tool pprof -top -cum -nodecount=40 bench/out/bin/gateway bench/out/cpu.prof"
	sed -n '1,50p' "$OUT/pprof-cpu-cum.txt"
	echo '```'
	echo
	echo '```'
	echo "$ go tool pprof -top -nodecount=30 -sample_index=alloc_space bench/out/bin/gateway bench/out/allocs.prof"
	sed -n '1,40p' "$OUT/pprof-alloc-space.txt"
	echo '```'
	echo
	echo "## Profile of e2etls under workload 3 (HTTP/2)"
	echo
	echo "A separate gateway with -cpuprofile under the HTTP/2 workload for ${DURATION} s ($(grep -m1 'finished in' "$OUT/raw/profile-h2load.txt" | tr -s ' ') with profiling on)."
	echo
	echo '```'
	echo "$ go tool pprof -top -nodecount=30 bench/out/bin/gateway bench/out/cpu-h2.prof"
	sed -n '1,40p' "$OUT/pprof-cpu-h2.txt"
	echo '```'
	echo
	echo "## Profile of e2etls under workload 2 (new connections)"
	echo
	echo "A separate gateway with -cpuprofile under the new-connection workload for ${DURATION} s ($(tr -s ' ' <"$OUT/raw/profile-loadgen.txt" | head -c 200) with profiling on)."
	echo
	echo '```'
	echo "$ go tool pprof -top -nodecount=30 bench/out/bin/gateway bench/out/cpu-newconn.prof"
	sed -n '1,40p' "$OUT/pprof-cpu-newconn.txt"
	echo '```'
	echo
	echo "## Log output of the servers during the run"
	echo
	for f in gateway.log gateway-profile.log gateway-memory.log haproxy.log caddy.log nginx-proxy-error.log backend-error.log; do
		echo "- $f: $(wc -l <"$OUT/$f" 2>/dev/null || echo 0) lines$( [[ -s $OUT/$f ]] && echo "; first: \`$(head -c 300 "$OUT/$f" | head -1 | tr '`' "'")\`")"
	done
} >"$RESULTS"
log "done: $RESULTS"
