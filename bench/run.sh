#!/usr/bin/env bash
# bench/run.sh: the end-to-end TLS load benchmark (issues 7, 15, 17, 18).
#
# One interleaved run, on loopback, of the same end-to-end TLS proxying
# through several servers, each workload against each server, ROUNDS rounds;
# then a two-core phase, CPU profiles of e2etls and its memory per idle
# connection. Results go to bench/RESULTS.md; everything generated
# (certificates, keys, configurations, raw tool output, access logs,
# profiles) to bench/out/ (gitignored).
#
#   bench/run.sh                              # the real run: 10 s cells, 3 rounds (about 27 min)
#   EXTRA_TARGETS=e2etls-base bench/run.sh    # the same plus issue 15's before/after (about 31 min)
#   DURATION=2 ROUNDS=1 bench/run.sh          # a quick trial (about 3 min); writes bench/out/RESULTS.md only
#
# Targets (servers under test); every round runs them in this order:
#   e2etls       bench/cmd/gateway as a deployment runs it: its asynchronous
#                access log to a file in bench/out, Prometheus metrics
#                (-metrics-addr, scraped once in the middle of each of its
#                cells), -log-level info
#   nginx        NGINX, one worker, access_log ... combined buffer=64k flush=1s
#   e2etls-off   bench/cmd/gateway with no access log and no metrics, -log-level warn
#   e2etls-base  the same, built from BASE_COMMIT (a9a45c6, the commit before
#                issue 15's redesign, in a git worktree under bench/out); not in
#                the default set: add it with EXTRA_TARGETS=e2etls-base
#   nginx-off    a second NGINX, access_log off, on its own port
#   haproxy      HAProxy, one thread, option httplog to stdout, appended to a file
#   caddy        Caddy, GOMAXPROCS=1, its access log to a file
#   direct       the backend itself, no proxy
# Workloads: keepalive (HTTP/1.1 keep-alive, 32 connections), keepalive256,
# keepalive1024 (the same with 256 and 1,024 connections; these two run on
# CONN_TARGETS only), newconn (a new TLS connection per request), h2 (HTTP/2,
# 32 connections x 10 streams), post4k, get1m.
#
# Two-core phase, after the interleaved run (issue 18): e2etls-2c
# (GOMAXPROCS=2, as deployed: access log and metrics) and e2etls-2p (two
# bench/cmd/gateway processes of GOMAXPROCS=1 sharing one frontend port with
# -reuseport, SO_REUSEPORT: the kernel spreads new connections between them;
# each as deployed, both appending to one access-log file, each serving
# metrics on its own port, scraped both; their CPU is the sum of both)
# against nginx-2c (two workers, access log), on the TWO_CORE workloads;
# every server, the backend and the load generator (two threads) share CPUs
# 0-1 unpinned; the load generator's CPU share is recorded for every cell,
# and the requests and connections each e2etls-2p process served (its
# e2etls_requests_total and e2etls_frontend_handshakes_total before and
# after the cell) and its CPU ticks in bench/out/processes.tsv.
#
# Environment: DURATION (seconds per cell, default 10), ROUNDS (default 3),
# TARGETS (default "e2etls nginx e2etls-off nginx-off haproxy caddy direct"),
# EXTRA_TARGETS (added to TARGETS, e.g. e2etls-base), WORKLOADS (default
# "keepalive keepalive256 keepalive1024 newconn h2 post4k get1m"),
# CONN_TARGETS (the targets that run keepalive256 and keepalive1024, default
# "e2etls nginx e2etls-off e2etls-base nginx-off"), TWO_CORE (workloads of
# the two-core phase, default "keepalive keepalive256"; "none" skips it),
# BASE_COMMIT (default a9a45c6), IDLE_CONNS (memory test, default 10000),
# SKIP_INSTALL=1 (no apt-get), RESULTS (output file; default
# bench/RESULTS.md for a full run: DURATION >= 10, ROUNDS >= 3, every
# default target, workload and two-core workload; else bench/out/RESULTS.md).
#
# Time: about DURATION + 0.9 s per cell. The default set is 43 cells a
# round (5 workloads x 7 targets, 2 connection-count workloads x 4 targets)
# and 6 two-core cells a round (2 workloads x 3 targets): at DURATION=10
# and ROUNDS=3, 23.4 + 3.3 min, plus about 1.5 min of building, smoke test,
# warm-up, profiles and the memory test: 28 min (e2etls-2p's 2 cells a
# round add 1.1 min). e2etls-base adds 7 cells a round (3.8 min). The
# default set at DURATION=2 ROUNDS=1 took 3.2 min on the 2-core machine
# before e2etls-2p, 3.8 min with e2etls-base.
#
# CPU pinning (the machine has 2 cores): in the interleaved run every proxy
# runs on CPU 1 with one worker or thread (e2etls and Caddy with
# GOMAXPROCS=1); the load generators run on CPU 0, and so does the NGINX
# backend, which therefore shares a core with the load generator. In the
# "direct" cells the backend's worker is the server under test, so it is
# moved to CPU 1 (taskset -p) for those cells only, and back to CPU 0
# afterwards; in the two-core cells it may use both CPUs.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
OUT=$BENCH/out
CONF=$BENCH/conf
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
IDLE_CONNS=${IDLE_CONNS:-10000}
BASE_COMMIT=${BASE_COMMIT:-a9a45c6}
ALL_TARGETS=(e2etls nginx e2etls-off e2etls-base nginx-off haproxy caddy direct) # the order of a round
DEFAULT_TARGETS="e2etls nginx e2etls-off nginx-off haproxy caddy direct"
DEFAULT_WORKLOADS="keepalive keepalive256 keepalive1024 newconn h2 post4k get1m"
DEFAULT_TWO_CORE="keepalive keepalive256"
read -ra WANT_TARGETS <<<"${TARGETS:-$DEFAULT_TARGETS} ${EXTRA_TARGETS:-}"
read -ra WORKLOADS <<<"${WORKLOADS:-$DEFAULT_WORKLOADS}"
read -ra CONN_TARGETS <<<"${CONN_TARGETS:-e2etls nginx e2etls-off e2etls-base nginx-off}"
TWO_CORE=${TWO_CORE:-$DEFAULT_TWO_CORE}
[[ $TWO_CORE == none ]] && TWO_CORE=
read -ra TWO_CORE_WORKLOADS <<<"$TWO_CORE"

log() { printf '%s bench: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# has WORD LIST...: whether WORD is one of LIST.
has() {
	local w=$1 x
	shift
	for x in "$@"; do [[ $x == "$w" ]] && return 0; done
	return 1
}

# TARGETS: the wanted targets in the order of ALL_TARGETS.
for t in "${WANT_TARGETS[@]}"; do has "$t" "${ALL_TARGETS[@]}" || die "unknown target $t (known: ${ALL_TARGETS[*]})"; done
TARGETS=()
for t in "${ALL_TARGETS[@]}"; do has "$t" "${WANT_TARGETS[@]}" && TARGETS+=("$t"); done
[[ ${#TARGETS[@]} -gt 0 ]] || die "no target selected"
for w in "${WORKLOADS[@]}" "${TWO_CORE_WORKLOADS[@]}"; do
	has "$w" $DEFAULT_WORKLOADS || die "unknown workload $w (known: $DEFAULT_WORKLOADS)"
done
TWO_CORE_TARGETS=()
[[ ${#TWO_CORE_WORKLOADS[@]} -gt 0 ]] && TWO_CORE_TARGETS=(e2etls-2c e2etls-2p nginx-2c)

if [[ -z ${RESULTS:-} ]]; then
	full=1
	[[ $DURATION -ge 10 && $ROUNDS -ge 3 && $IDLE_CONNS -ge 10000 && $TWO_CORE == "$DEFAULT_TWO_CORE" ]] || full=0
	for t in $DEFAULT_TARGETS; do has "$t" "${TARGETS[@]}" || full=0; done
	for w in $DEFAULT_WORKLOADS; do has "$w" "${WORKLOADS[@]}" || full=0; done
	if [[ $full == 1 ]]; then RESULTS=$BENCH/RESULTS.md; else RESULTS=$OUT/RESULTS.md; fi
fi

# Frontend ports of the servers under test, the backend port each of them
# reaches (one per server, so the backend's log tells them apart), and the
# metrics ports of the gateways that serve metrics (e2etls-2p: one per
# process). (18461 is h2spec.sh's.)
declare -A PORT=([e2etls]=18441 [nginx]=18442 [direct]=18443 [haproxy]=18444 [caddy]=18445
	[e2etls-off]=18454 [nginx-off]=18455 [e2etls-base]=18456 [e2etls-2c]=18457 [nginx-2c]=18458 [e2etls-2p]=18448)
declare -A BPORT=([e2etls]=18450 [nginx]=18451 [direct]=18443 [haproxy]=18452 [caddy]=18453
	[e2etls-off]=18464 [nginx-off]=18465 [e2etls-base]=18466 [e2etls-2c]=18467 [nginx-2c]=18468 [e2etls-2p]=18471)
declare -A MPORT=([e2etls]=18459 [e2etls-2c]=18469 [e2etls-2p]="18472 18473")
P_PROFILE=18446 M_PROFILE=18460
P_MEMORY=18447 M_MEMORY=18470
# CORES: the CPUs a server may use; LOGF: its access log, if it writes one;
# PROC: the processes whose CPU time is the server's (NGINX: its workers;
# e2etls-2p: both gateways), separated by spaces; LISTENERS: the sockets
# listening on its port, where there are several (SO_REUSEPORT).
declare -A CORES=() LOGF=() PROC=() LISTENERS=()
ERR_LOGS=() # stderr files in bench/out besides TARGET.log (e2etls-2p's)
H2_STREAMS=10 # concurrent streams per HTTP/2 connection
BIG_CONNS=8   # connections of the 1 MiB workload

# conns_of WORKLOAD: its client connections.
conns_of() { case $1 in keepalive256) echo 256 ;; keepalive1024) echo 1024 ;; get1m) echo $BIG_CONNS ;; *) echo 32 ;; esac; }

# applies WORKLOAD TARGET: whether the interleaved run has this cell.
applies() {
	case $1 in
	keepalive256 | keepalive1024) has "$2" "${CONN_TARGETS[@]}" ;;
	*) return 0 ;;
	esac
}

# --- processes: every one started here is stopped on exit, by its pid ---
PIDS=()
SCRAPE_PID=
BASE_SRC=
cleanup() {
	local pid
	[[ -n $SCRAPE_PID ]] && kill -TERM "$SCRAPE_PID" 2>/dev/null
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for _ in $(seq 50); do
		local alive=0
		for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[[ $alive == 0 ]] && break
		sleep 0.2
	done
	for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [[ -n $BASE_SRC ]]; then (cd "$ROOT" && git worktree remove --force "$BASE_SRC" 2>/dev/null) || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# forget PID: a process this script waited for leaves the list cleanup kills.
forget() {
	local keep=() pid
	for pid in "${PIDS[@]}"; do [[ $pid != "$1" ]] && keep+=("$pid"); done
	PIDS=("${keep[@]}")
}

# wait_port PORT: until something accepts on 127.0.0.1:PORT (at most 10 s).
wait_port() {
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	die "nothing listens on 127.0.0.1:$1 after 10 s"
}

# listeners PORT: the TCP sockets listening on 127.0.0.1:PORT (several
# with SO_REUSEPORT), from /proc/net/tcp.
listeners() {
	awk -v a="$(printf '0100007F:%04X' "$1")" '$2 == a && $4 == "0A" { n++ } END { print n + 0 }' /proc/net/tcp
}

# wait_listeners PORT N: until N sockets listen on 127.0.0.1:PORT (10 s).
wait_listeners() {
	for _ in $(seq 100); do
		(($(listeners "$1") >= $2)) && return 0
		sleep 0.1
	done
	die "$(listeners "$1") sockets listen on 127.0.0.1:$1 after 10 s; want $2"
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

# cputicks PID...: utime+stime of the processes, in clock ticks.
cputicks() {
	local stat pid sum=0
	for pid in "$@"; do
		stat=$(<"/proc/$pid/stat")
		stat=${stat##*) } # fields from 3 on; comm may contain spaces
		local f=($stat)
		sum=$((sum + f[11] + f[12]))
	done
	echo $sum
}

# childticks: cutime+cstime of this shell: the CPU time of the commands it
# ran and waited for (the load generators), in clock ticks.
childticks() {
	local stat
	stat=$(<"/proc/$$/stat")
	stat=${stat##*) }
	local f=($stat)
	echo $((f[13] + f[14]))
}

# children_of PID N: the N children of an NGINX master (its workers).
children_of() {
	local kids
	for _ in $(seq 50); do
		kids=$(cat "/proc/$1/task/$1/children" 2>/dev/null || true)
		read -ra k <<<"$kids"
		if [[ ${#k[@]} -ge $2 ]]; then echo "${k[*]}"; return 0; fi
		sleep 0.1
	done
	die "process $1 has not $2 children (NGINX workers) after 5 s"
}

# --- 1. install ---
if [[ ${SKIP_INSTALL:-0} != 1 ]]; then
	missing=()
	for tool in nginx haproxy caddy wrk h2load taskset openssl curl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
	if [[ ${#missing[@]} -gt 0 ]]; then
		log "installing nginx haproxy caddy wrk nghttp2-client curl (missing: ${missing[*]})"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx haproxy caddy wrk nghttp2-client curl
	fi
fi
for tool in nginx haproxy caddy wrk h2load taskset openssl curl fallocate go git; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[[ $(nproc) -ge 2 ]] || die "needs 2 CPUs for the pinning (proxy on 1, load on 0)"
ulimit -n "$(ulimit -Hn)"
[[ $(ulimit -n) -gt $((IDLE_CONNS + 1000)) ]] || die "ulimit -n is $(ulimit -n); the memory test needs more than $((IDLE_CONNS + 1000))"
# (A gateway of this user left listening with SO_REUSEPORT would even share
# e2etls-2p's port silently.) MPORT's values are unquoted: lists of ports.
for p in "${PORT[@]}" "${BPORT[@]}" ${MPORT[@]} $P_PROFILE $M_PROFILE $P_MEMORY $M_MEMORY; do port_free "$p"; done

# --- 2. build, certificates, configurations ---
RUN_START=$SECONDS
rm -rf "$OUT"
mkdir -p "$OUT"/{bin,raw,tmp,www,caddy-data,caddy-config}
log "building bench/cmd/* into $OUT/bin"
(cd "$ROOT" && go build -o "$OUT/bin/" ./bench/cmd/...)
# What the gateway binary was built from (other people commit while this runs).
GIT_REV=$(cd "$ROOT" && git rev-parse --short HEAD)
GIT_DIRTY=$(cd "$ROOT" && git status --porcelain -- . ':!bench' | awk '{ print $2 }' | tr '\n' ' ')
(cd "$ROOT" && git diff HEAD -- . ':!bench') >"$OUT/uncommitted.diff"
BASE_REV=
if has e2etls-base "${TARGETS[@]}"; then
	# The gateway before issue 15's redesign, from its own worktree (removed
	# again at once; "add -f" overrides the registration a killed run left).
	BASE_REV=$(cd "$ROOT" && git rev-parse --short "$BASE_COMMIT^{commit}") || die "BASE_COMMIT $BASE_COMMIT is not a commit"
	log "building bench/cmd/gateway of commit $BASE_REV (e2etls-base) in a worktree under $OUT"
	BASE_SRC=$OUT/base-src
	(cd "$ROOT" && git worktree add -f --detach -q "$BASE_SRC" "$BASE_REV")
	(cd "$BASE_SRC" && go build -o "$OUT/bin/gateway-base" ./bench/cmd/gateway)
	(cd "$ROOT" && git worktree remove --force "$BASE_SRC")
	BASE_SRC=
fi

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

render() { # render TEMPLATE OUTPUT [SED_EXPRESSION...]
	local in=$1 out=$2
	shift 2
	local extra=()
	for e in "$@"; do extra+=(-e "$e"); done
	sed -e "s|@OUT@|$OUT|g" -e "s|@P_DIRECT@|${PORT[direct]}|g" \
		-e "s|@P_HAPROXY@|${PORT[haproxy]}|g" -e "s|@P_CADDY@|${PORT[caddy]}|g" \
		-e "s|@B_E2ETLS@|${BPORT[e2etls]}|g" -e "s|@B_NGINX@|${BPORT[nginx]}|g" -e "s|@B_HAPROXY@|${BPORT[haproxy]}|g" -e "s|@B_CADDY@|${BPORT[caddy]}|g" \
		-e "s|@B_E2ETLS_OFF@|${BPORT[e2etls-off]}|g" -e "s|@B_NGINX_OFF@|${BPORT[nginx-off]}|g" -e "s|@B_E2ETLS_BASE@|${BPORT[e2etls-base]}|g" \
		-e "s|@B_E2ETLS_2C@|${BPORT[e2etls-2c]}|g" -e "s|@B_NGINX_2C@|${BPORT[nginx-2c]}|g" -e "s|@B_E2ETLS_2P@|${BPORT[e2etls-2p]}|g" \
		"${extra[@]}" "$CONF/$in" >"$OUT/$out"
	! grep -n '@[A-Z0-9_]*@' "$OUT/$out" || die "$out: placeholders left"
}
render backend.nginx.conf backend.nginx.conf
render haproxy.cfg haproxy.cfg
render Caddyfile Caddyfile
# render_nginx TARGET FILE NAME WORKERS ACCESS_LOG: one NGINX proxy instance.
render_nginx() {
	render proxy.nginx.conf "$2" "s|@NAME@|$3|g" "s|@WORKERS@|$4|g" "s|@PORT@|${PORT[$1]}|g" \
		"s|@BACKEND_PORT@|${BPORT[$1]}|g" "s|@ACCESS_LOG@|$5|g"
}
NGINX_LOG_FORMAT="combined buffer=64k flush=1s"
render_nginx nginx proxy.nginx.conf nginx-proxy 1 "$OUT/nginx-access.log $NGINX_LOG_FORMAT"
render_nginx nginx-off proxy-off.nginx.conf nginx-off 1 off
render_nginx nginx-2c proxy-2c.nginx.conf nginx-2c 2 "$OUT/nginx-2c-access.log $NGINX_LOG_FORMAT"

# --- 3. start the backend (CPU 0) and the servers under test ---
log "starting the NGINX backend on CPU 0"
taskset -c 0 nginx -c "$OUT/backend.nginx.conf" -g 'daemon off;' &
BACKEND_MASTER=$!
PIDS+=("$BACKEND_MASTER")
BACKEND=$(children_of "$BACKEND_MASTER" 1)
wait_port "${PORT[direct]}"
PROC[direct]=$BACKEND CORES[direct]=1

# ncpus CPUS: how many CPUs a taskset list of single CPUs ("0,1") names.
ncpus() { echo $(($(tr -cd , <<<"$1" | wc -c) + 1)); }

# gateway_proc TARGET BINARY CPUS GOMAXPROCS STDERR GATEWAY_FLAGS...: one
# bench/cmd/gateway process of TARGET, on its ports, added to PROC[TARGET].
gateway_proc() {
	local t=$1 bin=$2 cpus=$3 procs=$4 errf=$5
	shift 5
	GOMAXPROCS=$procs taskset -c "$cpus" "$bin" -listen "127.0.0.1:${PORT[$t]}" -cert "$OUT/frontend.pem" -key "$OUT/frontend.key" \
		-backend "127.0.0.1:${BPORT[$t]}" -backend-host backend.internal -root "$OUT/root.pem" "$@" 2>"$errf" &
	PROC[$t]="${PROC[$t]:+${PROC[$t]} }$!"
	PIDS+=("$!")
}
# start_gateway TARGET BINARY CPUS GATEWAY_FLAGS...: one bench/cmd/gateway,
# GOMAXPROCS the number of CPUS, its stderr to bench/out/TARGET.log.
start_gateway() {
	local t=$1 bin=$2 cpus=$3
	shift 3
	CORES[$t]=$(ncpus "$cpus")
	gateway_proc "$t" "$bin" "$cpus" "${CORES[$t]}" "$OUT/$t.log" "$@"
}
# start_deployed TARGET CPUS: e2etls as a deployment runs it, with
# examples/appgw's defaults: the access log on (to a file), metrics served,
# -log-level info.
start_deployed() {
	LOGF[$1]=$OUT/$1-access.log
	start_gateway "$1" "$OUT/bin/gateway" "$2" -log-level info -access-log "${LOGF[$1]}" -metrics-addr "127.0.0.1:${MPORT[$1]}"
}
# start_reuseport TARGET CPUS: e2etls as deployed, one process of
# GOMAXPROCS=1 per CPU, all of them on every CPU of CPUS (unpinned), on one
# frontend port with -reuseport (SO_REUSEPORT: the kernel hashes each new
# connection to one of the listening sockets); they append to one access-log
# file (each flush is one write(2) of whole records with O_APPEND, so the
# records do not interleave), serve metrics on the ports of MPORT[TARGET],
# one each, and write their stderr to bench/out/TARGET-N.log.
start_reuseport() {
	local t=$1 cpus=$2 i=0 mp
	LOGF[$t]=$OUT/$t-access.log
	CORES[$t]=$(ncpus "$cpus")
	for mp in ${MPORT[$t]}; do
		i=$((i + 1))
		gateway_proc "$t" "$OUT/bin/gateway" "$cpus" 1 "$OUT/$t-$i.log" \
			-reuseport -log-level info -access-log "${LOGF[$t]}" -metrics-addr "127.0.0.1:$mp"
		ERR_LOGS+=("$t-$i.log")
	done
	((i == ${CORES[$t]})) || die "$t: ${CORES[$t]} CPUs but $i metrics ports (one process per CPU)"
	LISTENERS[$t]=$i
}
# start_nginx TARGET CONF CPUS WORKERS [ACCESS_LOG]
start_nginx() {
	local t=$1 master
	taskset -c "$3" nginx -c "$OUT/$2" -g 'daemon off;' &
	master=$!
	PIDS+=("$master")
	PROC[$t]=$(children_of "$master" "$4")
	CORES[$t]=$4
	[[ -n ${5:-} ]] && LOGF[$t]=$5
	return 0
}
# start TARGET: start one server under test.
start() {
	case $1 in
	e2etls) start_deployed e2etls 1 ;;
	e2etls-off) start_gateway e2etls-off "$OUT/bin/gateway" 1 -log-level warn ;;
	e2etls-base) start_gateway e2etls-base "$OUT/bin/gateway-base" 1 -log-level warn ;;
	e2etls-2c) start_deployed e2etls-2c 0,1 ;;
	e2etls-2p) start_reuseport e2etls-2p 0,1 ;;
	nginx) start_nginx nginx proxy.nginx.conf 1 1 "$OUT/nginx-access.log" ;;
	nginx-off) start_nginx nginx-off proxy-off.nginx.conf 1 1 ;;
	nginx-2c) start_nginx nginx-2c proxy-2c.nginx.conf 0,1 2 "$OUT/nginx-2c-access.log" ;;
	haproxy)
		LOGF[haproxy]=$OUT/haproxy-access.log
		taskset -c 1 haproxy -db -f "$OUT/haproxy.cfg" >>"${LOGF[haproxy]}" 2>"$OUT/haproxy.log" &
		PROC[haproxy]=$! CORES[haproxy]=1
		PIDS+=("$!")
		;;
	caddy)
		LOGF[caddy]=$OUT/caddy-access.log
		GOMAXPROCS=1 XDG_DATA_HOME="$OUT/caddy-data" XDG_CONFIG_HOME="$OUT/caddy-config" \
			taskset -c 1 caddy run --config "$OUT/Caddyfile" --adapter caddyfile 2>"$OUT/caddy.log" &
		PROC[caddy]=$! CORES[caddy]=1
		PIDS+=("$!")
		;;
	direct) ;;
	esac
}
STARTED=("${TARGETS[@]}" "${TWO_CORE_TARGETS[@]}")
log "starting the servers under test: ${STARTED[*]}"
for t in "${STARTED[@]}"; do start "$t"; done
for t in "${STARTED[@]}"; do
	wait_port "${PORT[$t]}"
	[[ -n ${LISTENERS[$t]:-} ]] && wait_listeners "${PORT[$t]}" "${LISTENERS[$t]}"
	for mp in ${MPORT[$t]:-}; do wait_port "$mp"; done
done

# servername_of TARGET: the name a verifying client expects of the server's
# certificate (the proxies present the frontend's; direct is the backend).
servername_of() { if [[ $1 == direct ]]; then echo backend.internal; else echo www.example.test; fi; }

# Smoke test: every server answers 1 KiB, 1 MiB and a 4 KiB POST, verified
# against the private root (the proxies verify the backend themselves), and
# HTTP/2; the deployed gateways serve metrics, and every process of one has
# counted requests (e2etls-2p: until the kernel has given each process a
# connection, GET / on new connections, at most 64).
for t in "${STARTED[@]}"; do
	sn=$(servername_of "$t")
	url=https://$sn:${PORT[$t]}
	c=(curl -sS --fail --max-time 10 --cacert "$OUT/root.pem" --resolve "$sn:${PORT[$t]}:127.0.0.1")
	[[ $("${c[@]}" "$url/" | wc -c) == 1024 ]] || die "$t: GET / is not the 1 KiB body"
	[[ $("${c[@]}" "$url/1m" | wc -c) == 1048576 ]] || die "$t: GET /1m is not 1 MiB"
	[[ $(head -c 4096 /dev/zero | "${c[@]}" --data-binary @- "$url/post" | wc -c) == 1024 ]] ||
		die "$t: POST /post did not answer 1 KiB"
	[[ $("${c[@]}" --http2 -o /dev/null -w '%{http_version}' "$url/") == 2 ]] || die "$t: no HTTP/2 on the frontend"
	i=0
	for mp in ${MPORT[$t]:-}; do
		i=$((i + 1))
		m=$OUT/raw/smoke-$t.metrics
		[[ -n ${LISTENERS[$t]:-} ]] && m=$OUT/raw/smoke-$t-$i.metrics
		for _ in $(seq 64); do
			curl -sS --fail --max-time 10 -o "$m" "http://127.0.0.1:$mp/metrics"
			grep -q '^e2etls_requests_total{' "$m" && break
			[[ -n ${LISTENERS[$t]:-} ]] || break
			"${c[@]}" -o /dev/null "$url/"
		done
		grep -q '^e2etls_requests_total{' "$m" || die "$t: GET /metrics on port $mp has no e2etls_requests_total"
	done
done
log "smoke test passed: every server answers GET /, GET /1m and POST /post through verified TLS"

# --- 4. the interleaved run ---
# command_for WORKLOAD PORT OUTFILE SERVERNAME CORES: the load command of one
# cell, on CPU 0 (on CPUs 0-1 with two threads when the server has 2 cores);
# timeout bounds it even if a tool hangs.
command_for() {
	local url=https://127.0.0.1:$2 cpus=0 threads=1 c
	if [[ $5 == 2 ]]; then cpus=0,1 threads=2; fi
	c=$(conns_of "$1")
	local run="timeout -k 5 $((DURATION + 30)) taskset -c $cpus"
	case $1 in
	keepalive | keepalive256 | keepalive1024) echo "$run wrk -t$threads -c$c -d${DURATION}s --latency $url/" ;;
	newconn) echo "$run env GOMAXPROCS=$threads $OUT/bin/loadgen -url $url/ -servername $4 -insecure -c $c -d ${DURATION}s" ;;
	h2) echo "$run h2load -t$threads -c$c -m$H2_STREAMS -D $DURATION --log-file=$3.log $url/" ;;
	post4k) echo "$run wrk -t$threads -c$c -d${DURATION}s --latency -s $CONF/post.lua $url/post" ;;
	get1m) echo "$run wrk -t$threads -c$c -d${DURATION}s --latency $url/1m" ;;
	esac
}
tool_of() { case $1 in newconn) echo loadgen ;; h2) echo h2load ;; *) echo wrk ;; esac; }

CELLS=$OUT/cells.tsv
LOGS=$OUT/logs.tsv
PROCS=$OUT/processes.tsv
printf 'workload\ttarget\tround\ttool\toutput\tserver_ticks\tbackend_ticks\tbackend_requests\tbackend_new_conns\tbackend_resumed\tcpu0_busy\tcpu1_busy\tload_ticks\tserver_cores\n' >"$CELLS"
printf 'workload\ttarget\tround\tlines\tbytes\n' >"$LOGS"
printf 'workload\ttarget\tround\tprocess\tpid\trequests\tconnections\tticks\n' >"$PROCS"
: >"$OUT/commands.txt"
for w in "${WORKLOADS[@]}"; do echo "$w: $(command_for "$w" PORT bench/out/raw/CELL SERVERNAME 1)" >>"$OUT/commands.txt"; done
for w in "${TWO_CORE_WORKLOADS[@]}"; do echo "$w (two cores): $(command_for "$w" PORT bench/out/raw/CELL SERVERNAME 2)" >>"$OUT/commands.txt"; done
sed -i "s|$OUT|bench/out|g; s|$CONF|bench/conf|g" "$OUT/commands.txt"

# The access log of a server holds the records of its last cell from
# LOG_OFF (the bytes already counted) on, until its next cell (or the end of
# the run), by when every buffer (NGINX's and the gateway's flush after 1 s)
# has been written: collect_log counts them into logs.tsv and frees the
# counted part of the file (fallocate --punch-hole), so that the logs take
# no disk space while each writer keeps its offset. (The files are not
# truncated: HAProxy clears O_APPEND on its stdout when it makes it
# non-blocking, and would go on writing at its old offset.)
declare -A LOG_PENDING=() LOG_OFF=()
collect_log() { # collect_log TARGET
	local t=$1 f=${LOGF[$1]:-} size off
	[[ -n $f && -e $f ]] || return 0
	size=$(stat -c %s "$f")
	off=${LOG_OFF[$t]:-0}
	if [[ -n ${LOG_PENDING[$t]:-} ]]; then
		read -r pw pr <<<"${LOG_PENDING[$t]}"
		printf '%s\t%s\t%s\t%s\t%s\n' "$pw" "$t" "$pr" "$({ tail -c +$((off + 1)) "$f" || true; } | head -c $((size - off)) | wc -l)" $((size - off)) >>"$LOGS"
	fi
	if ((size > off)); then fallocate --punch-hole --offset 0 --length "$size" "$f" 2>/dev/null || true; fi
	LOG_OFF[$t]=$size
	LOG_PENDING[$t]=
}

# counts_of MPORT: "REQUESTS HANDSHAKES": the requests a gateway's
# e2etls_requests_total and the client TLS handshakes (the connections it
# accepted) its e2etls_frontend_handshakes_total have counted since it
# started, each summed over its series; "-1 -1" if GET /metrics fails.
counts_of() {
	local m
	m=$(curl -sS --fail --max-time 10 "http://127.0.0.1:$1/metrics") || { echo -1 -1; return 0; }
	awk '/^e2etls_requests_total\{/ { n += $NF } /^e2etls_frontend_handshakes_total\{/ { h += $NF } END { printf "%d %d\n", n, h }' <<<"$m"
}

run_cell() { # run_cell WORKLOAD TARGET ROUND
	local w=$1 t=$2 r=$3
	local f=$OUT/raw/$w-$t-r$r.txt bport=${BPORT[$t]} cores=${CORES[$t]} cmd t0 t1 b0 b1 l0 l1 off0 off1 counts s0 s1 mp i n p q h
	local -a pids mports req0=() req1=() hs0=() hs1=() pt0=() pt1=()
	read -ra pids <<<"${PROC[$t]}"
	read -ra mports <<<"${MPORT[$t]:-}"
	cmd=$(command_for "$w" "${PORT[$t]}" "$f" "$(servername_of "$t")" "$cores")
	collect_log "$t"
	[[ $t == direct ]] && taskset -pc 1 "$BACKEND" >/dev/null
	[[ $cores == 2 ]] && taskset -pc 0,1 "$BACKEND" >/dev/null
	if [[ ${#mports[@]} -gt 0 ]]; then # scraped as Prometheus would, once in the cell (each process)
		(
			sleep "$(((DURATION + 1) / 2))"
			if [[ ${#mports[@]} == 1 ]]; then
				timeout -k 2 10 taskset -c 0 curl -sS -o "$OUT/raw/$w-$t-r$r.metrics" "http://127.0.0.1:${mports[0]}/metrics"
			else
				for i in "${!mports[@]}"; do
					timeout -k 2 10 taskset -c 0 curl -sS -o "$OUT/raw/$w-$t-r$r-$((i + 1)).metrics" "http://127.0.0.1:${mports[$i]}/metrics" || exit
				done
			fi
		) &
		SCRAPE_PID=$!
	fi
	# The requests and connections each process of a multi-process server
	# serves in the cell (its counters before and after, outside the cell's
	# CPU readings), and the CPU ticks each uses.
	if [[ ${#mports[@]} -gt 1 ]]; then for mp in "${mports[@]}"; do read -r q h <<<"$(counts_of "$mp")" && req0+=("$q") hs0+=("$h"); done; fi
	off0=$(stat -c %s "$OUT/backend-access.log")
	if [[ ${#mports[@]} -gt 1 ]]; then for p in "${pids[@]}"; do pt0+=("$(cputicks "$p")"); done; fi
	t0=$(cputicks "${pids[@]}")
	b0=$(cputicks "$BACKEND")
	s0=($(cpustat))
	l0=$(childticks)
	$cmd >"$f" 2>&1 || log "$w $t round $r: load command exited $? (see $f)"
	l1=$(childticks)
	s1=($(cpustat))
	sleep 0.5 # requests still inside a proxy finish
	t1=$(cputicks "${pids[@]}")
	if [[ ${#mports[@]} -gt 1 ]]; then for p in "${pids[@]}"; do pt1+=("$(cputicks "$p")"); done; fi
	b1=$(cputicks "$BACKEND")
	off1=$(stat -c %s "$OUT/backend-access.log")
	if [[ ${#mports[@]} -gt 1 ]]; then
		for mp in "${mports[@]}"; do read -r q h <<<"$(counts_of "$mp")" && req1+=("$q") hs1+=("$h"); done
		for i in "${!mports[@]}"; do
			n=- h=-
			((req0[i] >= 0 && req1[i] >= 0)) && n=$((req1[i] - req0[i])) h=$((hs1[i] - hs0[i]))
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$w" "$t" "$r" $((i + 1)) "${pids[$i]}" "$n" "$h" $((pt1[i] - pt0[i])) >>"$PROCS"
		done
	fi
	if [[ -n $SCRAPE_PID ]]; then
		wait "$SCRAPE_PID" || log "$w $t round $r: the metrics scrape failed"
		SCRAPE_PID=
	fi
	[[ $t == direct || $cores == 2 ]] && taskset -pc 0 "$BACKEND" >/dev/null
	counts=$({ tail -c +$((off0 + 1)) "$OUT/backend-access.log" || true; } | head -c $((off1 - off0)) |
		awk -v p="$bport" '$1 == p { n++; if ($3 == 1) { c++; if ($4 == "r") rs++ } } END { print n+0, c+0, rs+0 }')
	read -r breq bnew bres <<<"$counts"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$w" "$t" "$r" "$(tool_of "$w")" "$f" \
		$((t1 - t0)) $((b1 - b0)) "$breq" "$bnew" "$bres" \
		"$(busy_pct "${s0[0]}" "${s0[1]}" "${s1[0]}" "${s1[1]}")" "$(busy_pct "${s0[2]}" "${s0[3]}" "${s1[2]}" "${s1[3]}")" \
		$((l1 - l0)) "$cores" >>"$CELLS"
	[[ -n ${LOGF[$t]:-} ]] && LOG_PENDING[$t]="$w $r"
	log "$w $t round $r: $(grep -m1 -E 'Requests/sec|finished in|^requests=' "$f" || echo 'no result line')"
}

# warm_conns TARGET: the most keep-alive connections its cells will open,
# so that the warm-up fills the server's backend pool for them.
warm_conns() {
	local n=32 w
	local -a ws=("${WORKLOADS[@]}")
	[[ ${CORES[$1]:-1} == 2 ]] && ws=("${TWO_CORE_WORKLOADS[@]}")
	for w in "${ws[@]}"; do
		case $w in keepalive256 | keepalive1024) applies "$w" "$1" || [[ ${CORES[$1]:-1} == 2 ]] || continue ;; esac
		(($(conns_of "$w") > n)) && n=$(conns_of "$w")
	done
	echo "$n"
}
log "warm-up: 2 s of keep-alive load on each server, with as many connections as its cells will open"
for t in "${TARGETS[@]}" "${TWO_CORE_TARGETS[@]}"; do
	timeout -k 5 30 taskset -c 0 wrk -t1 -c"$(warm_conns "$t")" -d2s "https://127.0.0.1:${PORT[$t]}/" >/dev/null
done

START=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
CELLS_PER_ROUND=0
for w in "${WORKLOADS[@]}"; do for t in "${TARGETS[@]}"; do applies "$w" "$t" && CELLS_PER_ROUND=$((CELLS_PER_ROUND + 1)); done; done
log "interleaved run: $ROUNDS rounds x $CELLS_PER_ROUND cells x ${DURATION}s (targets ${TARGETS[*]}; workloads ${WORKLOADS[*]})"
for r in $(seq "$ROUNDS"); do
	for w in "${WORKLOADS[@]}"; do
		for t in "${TARGETS[@]}"; do applies "$w" "$t" && run_cell "$w" "$t" "$r"; done
	done
done

# --- 5. the two-core phase ---
if [[ ${#TWO_CORE_WORKLOADS[@]} -gt 0 ]]; then
	log "two-core phase: $ROUNDS rounds x ${#TWO_CORE_WORKLOADS[@]} workloads x ${TWO_CORE_TARGETS[*]}, unpinned on CPUs 0-1"
	for r in $(seq "$ROUNDS"); do
		for w in "${TWO_CORE_WORKLOADS[@]}"; do
			for t in "${TWO_CORE_TARGETS[@]}"; do run_cell "$w" "$t" "$r"; done
		done
	done
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# The access logs of every server's last cell, and the deployed gateway's
# own account of the run: requests counted by its metrics, access-log
# records written and dropped.
sleep 2
for t in "${!LOG_PENDING[@]}"; do collect_log "$t"; done
# metrics_line LABEL MPORT: requests, written and dropped from GET /metrics.
metrics_line() {
	curl -sS --fail --max-time 10 "http://127.0.0.1:$2/metrics" | awk -v t="$1" '
		/^e2etls_requests_total\{/ { req += $NF }
		/^e2etls_access_log_records_total\{result="written"\}/ { w = $NF }
		/^e2etls_access_log_records_total\{result="dropped"\}/ { d = $NF }
		END { printf "%s: %d requests counted by e2etls_requests_total since it started (warm-up and smoke test included), access log records: %d written, %d dropped", t, req, w, d }'
}
METRICS_SUMMARY=()
for t in "${STARTED[@]}"; do
	read -ra mports <<<"${MPORT[$t]:-}"
	for i in "${!mports[@]}"; do
		label=$t
		((${#mports[@]} > 1)) && label="$t process $((i + 1)) of ${#mports[@]} (metrics on :${mports[$i]})"
		METRICS_SUMMARY+=("$(metrics_line "$label" "${mports[$i]}")")
	done
done
# process_split: what processes.tsv says of each multi-process server's
# cells, "keepalive round 1: 51.2% / 48.8% of 123456 requests (connections
# 16 / 16, CPU time 50% / 50%); ...".
process_split() {
	awk -F'\t' 'NR > 1 {
		k = $2 "\t" $1 " round " $3
		if (!(k in n)) order[++m] = k
		n[k]++; v[k, n[k]] = $6; conn[k, n[k]] = $7; c[k, n[k]] = $8; ticks[k] += $8
		if ($6 == "-") bad[k] = 1; else sum[k] += $6
	}
	END {
		for (j = 1; j <= m; j++) {
			k = order[j]; split(k, kt, "\t")
			if (kt[1] != last) { if (last != "") printf "\n"; printf "%s: ", kt[1]; last = kt[1]; sep = "" }
			printf "%s%s: ", sep, kt[2]; sep = "; "
			if (bad[k] || sum[k] == 0) { printf "not counted"; continue }
			for (p = 1; p <= n[k]; p++) printf "%s%.1f%%", (p > 1 ? " / " : ""), 100 * v[k, p] / sum[k]
			printf " of %d requests (connections ", sum[k]
			for (p = 1; p <= n[k]; p++) printf "%s%d", (p > 1 ? " / " : ""), conn[k, p]
			if (ticks[k] > 0) for (p = 1; p <= n[k]; p++) printf "%s%.0f%%", (p > 1 ? " / " : ", CPU time "), 100 * c[k, p] / ticks[k]
			printf ")"
		}
		if (m > 0) printf "\n"
	}' "$PROCS"
}

# --- 6. CPU (and allocation) profiles of e2etls, as deployed ---
# profile_under WHAT GATEWAY_FLAGS... -- LOAD_COMMAND...: a fresh gateway
# as deployed (access log, metrics) with the given profile flags, under the
# load command for DURATION, then stopped (it writes its profiles as it
# exits).
profile_under() {
	local what=$1 flags=()
	shift
	while [[ $1 != -- ]]; do flags+=("$1"); shift; done
	shift
	log "profiling e2etls under $what load (${DURATION}s)"
	GOMAXPROCS=1 taskset -c 1 "$OUT/bin/gateway" -listen "127.0.0.1:$P_PROFILE" -cert "$OUT/frontend.pem" -key "$OUT/frontend.key" \
		-backend "127.0.0.1:${BPORT[e2etls]}" -backend-host backend.internal -root "$OUT/root.pem" \
		-log-level info -access-log "$OUT/profile-access.log" -metrics-addr "127.0.0.1:$M_PROFILE" \
		"${flags[@]}" 2>>"$OUT/gateway-profile.log" &
	local pid=$!
	PIDS+=("$pid")
	wait_port "$P_PROFILE"
	timeout -k 5 $((DURATION + 30)) taskset -c 0 "$@"
	kill -TERM "$pid"
	wait "$pid" || die "the profiled gateway exited $?"
	forget "$pid"
	: >"$OUT/profile-access.log"
}
top_of() { (cd "$ROOT" && go tool pprof -top "$@" 2>/dev/null); } # top_of PPROF_FLAGS... PROFILE
: >"$OUT/gateway-profile.log"

profile_under keep-alive -cpuprofile "$OUT/cpu.prof" -memprofile "$OUT/allocs.prof" -- \
	wrk -t1 -c32 -d"${DURATION}s" --latency "https://127.0.0.1:$P_PROFILE/" >"$OUT/raw/profile-wrk.txt"
top_of -nodecount=30 "$OUT/bin/gateway" "$OUT/cpu.prof" >"$OUT/pprof-cpu.txt"
top_of -cum -nodecount=40 "$OUT/bin/gateway" "$OUT/cpu.prof" >"$OUT/pprof-cpu-cum.txt"
top_of -nodecount=30 -sample_index=alloc_space "$OUT/bin/gateway" "$OUT/allocs.prof" >"$OUT/pprof-alloc-space.txt"
top_of -nodecount=30 -sample_index=alloc_objects "$OUT/bin/gateway" "$OUT/allocs.prof" >"$OUT/pprof-alloc-objects.txt"

profile_under HTTP/2 -cpuprofile "$OUT/cpu-h2.prof" -- \
	h2load -t1 -c32 -m$H2_STREAMS -D "$DURATION" "https://127.0.0.1:$P_PROFILE/" >"$OUT/raw/profile-h2load.txt"
top_of -nodecount=30 "$OUT/bin/gateway" "$OUT/cpu-h2.prof" >"$OUT/pprof-cpu-h2.txt"

profile_under new-connection -cpuprofile "$OUT/cpu-newconn.prof" -- \
	env GOMAXPROCS=1 "$OUT/bin/loadgen" -url "https://127.0.0.1:$P_PROFILE/" \
	-servername www.example.test -insecure -c 32 -d "${DURATION}s" >"$OUT/raw/profile-loadgen.txt"
top_of -nodecount=30 "$OUT/bin/gateway" "$OUT/cpu-newconn.prof" >"$OUT/pprof-cpu-newconn.txt"

# --- 7. memory per idle keep-alive frontend connection ---
log "memory: $IDLE_CONNS idle keep-alive TLS connections to a fresh e2etls gateway (as deployed)"
GOMAXPROCS=1 taskset -c 1 "$OUT/bin/gateway" -listen "127.0.0.1:$P_MEMORY" -cert "$OUT/frontend.pem" -key "$OUT/frontend.key" \
	-backend "127.0.0.1:${BPORT[e2etls]}" -backend-host backend.internal -root "$OUT/root.pem" \
	-log-level info -access-log "$OUT/memory-access.log" -metrics-addr "127.0.0.1:$M_MEMORY" 2>"$OUT/gateway-memory.log" &
PID_MEMORY=$!
PIDS+=("$PID_MEMORY")
wait_port "$P_MEMORY"
curl -sS --fail --max-time 10 --cacert "$OUT/root.pem" -o /dev/null "https://127.0.0.1:$P_MEMORY/" # backend pool and TLS state warm
MEMORY_CMD="timeout -k 5 600 taskset -c 0 env GOMAXPROCS=1 $OUT/bin/idleconns -addr 127.0.0.1:$P_MEMORY -ca $OUT/root.pem -pid $PID_MEMORY -n $IDLE_CONNS"
$MEMORY_CMD >"$OUT/memory.txt"
kill -TERM "$PID_MEMORY"
wait "$PID_MEMORY" || true
forget "$PID_MEMORY"
RUN_MINUTES=$(((SECONDS - RUN_START + 30) / 60))

# --- 8. RESULTS ---
log "writing $RESULTS"
versions() {
	echo "- $(nginx -v 2>&1), $(haproxy -v | head -1), Caddy $(caddy version), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), $(h2load --version)"
	echo "- $(go version); $(openssl version); Linux $(uname -r)"
	echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') x $(nproc)"
	echo "- e2etls built at the start of the run from commit $GIT_REV$([[ -n $GIT_DIRTY ]] && echo " plus uncommitted changes to: $GIT_DIRTY(diff of tracked files kept in bench/out/uncommitted.diff)")$([[ -n $BASE_REV ]] && echo "; e2etls-base from commit $BASE_REV")"
}
human_list() { # human_list WORD...: "a, b and c"
	local n=$#
	if ((n == 1)); then echo "$1"; return; fi
	local out="" i=0 x
	for x in "$@"; do
		i=$((i + 1))
		if ((i == 1)); then out=$x; elif ((i == n)); then out="$out and $x"; else out="$out, $x"; fi
	done
	echo "$out"
}
{
	echo "# e2etls load benchmark (issues 7, 15, 17 and 18)"
	echo
	echo "Run of \`bench/run.sh\` started $START: $ROUNDS interleaved round$( ((ROUNDS > 1)) && echo s) of $CELLS_PER_ROUND cells ($(human_list "${TARGETS[@]}"); workloads $(human_list "${WORKLOADS[@]}")), ${DURATION} s per cell$([[ ${#TWO_CORE_WORKLOADS[@]} -gt 0 ]] && echo ", then the two-core phase ($(human_list "${TWO_CORE_TARGETS[@]}"); $(human_list "${TWO_CORE_WORKLOADS[@]}"); $ROUNDS round$( ((ROUNDS > 1)) && echo s))"); the whole run took $RUN_MINUTES min."
	echo "The machine's load average was $LOAD_BEFORE before the run and $LOAD_AFTER after it: other engineers' work on the same 2 cores makes cells noisy; medians over rounds of paired ratios damp that, they do not remove it."
	echo
	echo "## Setup"
	echo
	versions
	echo "- Certificates: ECDSA P-256, a private root, a frontend leaf (www.example.test, 127.0.0.1), a backend leaf (backend.internal); minted by openssl in run.sh."
	echo "- Backend: NGINX, one worker, HTTPS only (HTTP/2 too on the port clients reach directly): 1 KiB body at every path, 1 MiB file at /1m, POSTs read and answered with the 1 KiB body; keep-alive 300 s, keepalive_requests 1e8; TLS 1.2 and 1.3, session cache and tickets on; a short access log of its own (port, connection, request number, resumption, status), from which run.sh counts each server's backend requests and handshakes. Configuration: bench/conf/backend.nginx.conf."
	echo "- Servers under test, each verifying the backend against the private root with SNI and expected name backend.internal, HTTP/1.1 to the backend, HTTP/1.1 and HTTP/2 to clients, TLS 1.2 and 1.3. With access logs on, as production runs them:"
	echo "  - e2etls: bench/cmd/gateway (the configuration of examples/appgw/gateway.json from flags: default policy AppGwSslPolicy20220101, trusted root, host name override) as a deployment runs it: GOMAXPROCS=1, \`-access-log bench/out/e2etls-access.log\` (the gateway's asynchronous access log, text, every request), \`-metrics-addr\` (observe/prommetrics; GET /metrics once in the middle of each of its cells, as a Prometheus server would scrape it), \`-log-level info\`."
	echo "  - NGINX: bench/conf/proxy.nginx.conf (one worker, \`access_log ... combined buffer=64k flush=1s\`, proxy_ssl_verify on, proxy_ssl_trusted_certificate, proxy_ssl_name, proxy_ssl_server_name on, proxy_ssl_session_reuse on, upstream keepalive 1024, keepalive_requests 1e8 both sides, TLSv1.3 listed, proxy_max_temp_file_size 0)."
	echo "  - HAProxy: bench/conf/haproxy.cfg (nbthread 1; \`option httplog\`, \`log stdout format raw\`, stdout appended to a file, no syslog daemon; server ... ssl verify required ca-file sni verifyhost; http-reuse always)."
	echo "  - Caddy: bench/conf/Caddyfile (admin off, \`log { output file ... }\` (JSON, rolling off), reverse_proxy with the http transport's tls, tls_trusted_ca_certs, tls_server_name, 1,024 idle connections per host), GOMAXPROCS=1."
	echo "  - direct: the backend itself, no proxy."
	echo "- With access logs off: e2etls-off (bench/cmd/gateway, \`-log-level warn\`, no access log, no metrics) and nginx-off (a second NGINX, the same configuration with \`access_log off\`, on its own port)$([[ -n $BASE_REV ]] && echo "; e2etls-base: bench/cmd/gateway built from commit $BASE_REV (before issue 15's redesign) with the same flags as e2etls-off")."
	if has e2etls-2p "${TWO_CORE_TARGETS[@]}"; then
		echo "- e2etls-2p (two-core phase): the design proposed for many cores, one gateway process per core: two bench/cmd/gateway processes as deployed (\`-log-level info\`, access log, metrics), GOMAXPROCS=1 each, both unpinned on CPUs 0-1, on one frontend port with \`-reuseport\` (SO_REUSEPORT: the kernel hashes each new connection to one of the two listening sockets, so each process gets about half of a cell's connections, not exactly half), reaching the backend on one port of their own; both append to one access-log file (each flush of a process is one write of whole records with O_APPEND), each serves metrics on its own port (both scraped in the middle of each cell); their CPU is the sum of both processes'. Requests each process served, from its e2etls_requests_total before and after each cell, the connections it accepted in the cell (e2etls_frontend_handshakes_total) and its share of their CPU time (bench/out/processes.tsv):"
		process_split | sed 's/^/  - /'
	fi
	echo "- Every access log is counted after each cell (records per request and their size in the tables) and the counted part freed (fallocate --punch-hole), so that the files take no disk space; the deployed gateways' own account at the end of the run (GET /metrics):"
	for m in "${METRICS_SUMMARY[@]}"; do echo "  - $m"; done
	echo "- Pinning (2 cores): in the interleaved run each server on CPU 1; load generators on CPU 0; the backend on CPU 0 too, sharing that core with the load generator, except in the direct cells, where its worker is moved to CPU 1 (taskset -p) so that the server under test always has CPU 1 to itself. In the two-core phase, e2etls-2c (GOMAXPROCS=2, as deployed), e2etls-2p (two processes of GOMAXPROCS=1, as deployed) and nginx-2c (two workers, access log) may use CPUs 0-1, and so do the backend and the load generator (two threads)."
	echo "- Server CPU per request: utime+stime deltas of the server process (NGINX: its workers; e2etls-2p: both processes; direct: the backend worker) from /proc/<pid>/stat over the cell, divided by the requests completed; clock tick $(getconf CLK_TCK) Hz. Load generator CPU: the load command's own user+system time (cutime+cstime of run.sh), in cores."
	echo "- Workload 2 uses bench/cmd/loadgen: a new TCP and TLS connection for every request, no session cache (it counts resumed handshakes; they must be 0), offering X25519, P-256 and P-384 like the OpenSSL clients do; like wrk and h2load it does not verify the server's chain (-insecure), to leave CPU 0 for the handshakes themselves (the smoke test before the run verifies every server with curl)."
	echo "- wrk and h2load open their connections inside each cell: the cells with 256 and 1,024 connections include as many full TLS handshakes on the server (about 0.35 ms of a core each, 0.1 s and 0.4 s a cell), for every server alike. Every server's backend pool is filled before the run (warm-up with as many connections as its cells open)."
	echo "- CPU0/CPU1 busy: share of each core not idle over the cell (/proc/stat), whoever used it; CPU 1 below ~95% in a pinned cell means the server was not the bottleneck (the load generator on CPU 0 was, or the machine's other work)."
	echo
	echo "Commands (PORT is the server's port, CELL the raw output file, SERVERNAME www.example.test, or backend.internal for direct):"
	echo
	echo '```'
	cat "$OUT/commands.txt"
	echo '```'
	echo
	"$OUT/bin/report" -cells "$CELLS" -logs "$LOGS" -clk-tck "$(getconf CLK_TCK)" -memory "$OUT/memory.txt" ${BASE_REV:+-base "$BASE_REV"}
	echo
	cat "$BENCH/many-cores.md"
	echo
	echo "## Memory: idle keep-alive frontend connections"
	echo
	echo "A fresh e2etls gateway as deployed (GOMAXPROCS=1, CPU 1, access log and metrics on) after one warm-up request; $IDLE_CONNS clients each complete a full TLS 1.3 handshake and one HTTP/1.1 keep-alive request, then stay idle; VmRSS of the gateway is read before and 5 s after the last one opened:"
	echo
	echo '```'
	echo "$ ${MEMORY_CMD//$OUT/bench/out}"
	cat "$OUT/memory.txt"
	echo '```'
	echo
	echo "## Profile of e2etls under workload 1"
	echo
	echo "A separate gateway as deployed (access log, metrics) with -cpuprofile and -memprofile under the keep-alive workload for ${DURATION} s ($(grep -m1 Requests/sec "$OUT/raw/profile-wrk.txt" | tr -s ' ') with profiling on)."
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
	echo "A separate gateway as deployed with -cpuprofile under the HTTP/2 workload for ${DURATION} s ($(grep -m1 'finished in' "$OUT/raw/profile-h2load.txt" | tr -s ' ') with profiling on)."
	echo
	echo '```'
	echo "$ go tool pprof -top -nodecount=30 bench/out/bin/gateway bench/out/cpu-h2.prof"
	sed -n '1,40p' "$OUT/pprof-cpu-h2.txt"
	echo '```'
	echo
	echo "## Profile of e2etls under workload 2 (new connections)"
	echo
	echo "A separate gateway as deployed with -cpuprofile under the new-connection workload for ${DURATION} s ($(tr -s ' ' <"$OUT/raw/profile-loadgen.txt" | head -c 200) with profiling on)."
	echo
	echo '```'
	echo "$ go tool pprof -top -nodecount=30 bench/out/bin/gateway bench/out/cpu-newconn.prof"
	sed -n '1,40p' "$OUT/pprof-cpu-newconn.txt"
	echo '```'
	echo
	echo "## Log output of the servers during the run (their error logs and stderr; the access logs are counted above)"
	echo
	for f in "${STARTED[@]/%/.log}" "${ERR_LOGS[@]}" gateway-profile.log gateway-memory.log nginx-proxy-error.log nginx-off-error.log nginx-2c-error.log backend-error.log; do
		[[ -e $OUT/$f ]] || continue
		echo "- $f: $(wc -l <"$OUT/$f") lines$([[ -s $OUT/$f ]] && echo "; first: \`$(head -c 300 "$OUT/$f" | head -1 | tr '`' "'")\`")"
	done
} >"$RESULTS"
log "done: $RESULTS"
