#!/usr/bin/env bash
# remote-cost.sh — what sampling a remote engine's containers costs lookout, per container, beside the local
# cgroup path: N idle containers on one private engine (issue 10, item 6), watched at a 1 s interval four ways:
#   cgroup    unix socket, --source cgroup (the local baseline: counters from the kernel's files)
#   api-unix  unix socket, --source api (the engine's stats API: one stream per container on engines before 25)
#   api-tcp   plain tcp://127.0.0.1 (a small forwarder to the unix socket; dockerd's tcp listener is TLS here)
#   api-tls   tcp://127.0.0.1 with TLS and a client certificate (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH)
# For each: lookout's own CPU (in a cgroup of its own, so threads count in nanoseconds), and what the engine
# (dockerd + containerd + shims) spends above its idle baseline, per container per minute, median of
# BENCH_RUNS rounds, printed with ratios against the cgroup path measured in the same run. A benchmark, never
# a test: it asserts nothing.
#   tests/bench/remote-cost.sh [N=100]
# Environment: BENCH_SECS (window per measurement, 30), BENCH_RUNS (1), BENCH_CSV (bench-remote.csv), LOOKOUT.
set -u
N=${1:-100}
SECS=${BENCH_SECS:-30}
RUNS=${BENCH_RUNS:-1}
CSV=${BENCH_CSV:-bench-remote.csv}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
LOOKOUT=${LOOKOUT:-$top_srcdir/lookout}
ENGINE_SKIP_STATUS=77
. "$top_srcdir/tests/lib/engine.sh"
engine_require
engine_start --tls
engine_image lookout-bench/busybox:latest >/dev/null

hz=$(getconf CLK_TCK)
WORK=$(mktemp -d /tmp/lookout-remote.XXXXXX)
engine_on_cleanup "rm -rf '$WORK'"

echo "remote-cost: starting $N containers" >&2
for i in $(seq 1 "$N"); do
	docker run -d --network none --name "idle$i" lookout-bench/busybox:latest sleep 100000000 >/dev/null ||
		{ echo "remote-cost: could not start container $i" >&2; exit 1; }
done

# Plain tcp to the same engine: a forwarder from 127.0.0.1:PORT to the unix socket (its CPU is not lookout's
# and is not counted).
TCP_PORT=$(engine_free_port)
/usr/bin/python3 - "$TCP_PORT" "$ENGINE_SOCK" <<'PY' &
import socket, sys, threading
port, path = int(sys.argv[1]), sys.argv[2]
def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(512)
while True:
    c, _ = srv.accept()
    u = socket.socket(socket.AF_UNIX)
    u.connect(path)
    threading.Thread(target=pump, args=(c, u), daemon=True).start()
    threading.Thread(target=pump, args=(u, c), daemon=True).start()
PY
FWD_PID=$!
engine_on_cleanup "kill $FWD_PID 2>/dev/null; wait $FWD_PID 2>/dev/null"
for _ in $(seq 1 50); do curl -s --max-time 2 "http://127.0.0.1:$TCP_PORT/_ping" | grep -qx OK && break; sleep 0.2; done

cpu_ms() {
	local total=0 p t
	for p in "$@"; do
		t=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null) || continue
		total=$((total + ${t:-0}))
	done
	echo $((total * 1000 / hz))
}
engine_pids() {
	{
		echo "$ENGINE_PID"
		pgrep -f "containerd.*$ENGINE_DIR" || true
		pgrep -f "containerd-shim.*$ENGINE_DIR" || true
		pgrep -f "containerd-shim.*-namespace $(basename "$ENGINE_DIR")" || true
	} | sort -u
}

# lookout runs in a cgroup of its own when one can be made (as compare.sh does); else its ticks from /proc.
CG_ROOT=
if [ -d /sys/fs/cgroup/cpuacct ] && mkdir "/sys/fs/cgroup/cpuacct/lookout-remote.$$" 2>/dev/null; then
	CG_ROOT=/sys/fs/cgroup/cpuacct/lookout-remote.$$
elif [ -f /sys/fs/cgroup/cgroup.controllers ] && mkdir "/sys/fs/cgroup/lookout-remote.$$" 2>/dev/null; then
	CG_ROOT=/sys/fs/cgroup/lookout-remote.$$
fi
[ -n "$CG_ROOT" ] && engine_on_cleanup "rmdir '$CG_ROOT'/* '$CG_ROOT' 2>/dev/null"
spawn() {
	TOOL_CG=
	if [ -n "$CG_ROOT" ]; then
		TOOL_CG="$CG_ROOT/t$BASHPID"
		mkdir "$TOOL_CG"
		sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$TOOL_CG" "$@" &
	else
		"$@" &
	fi
	TOOL_PID=$!
}
self_ms() {
	if [ -z "$TOOL_CG" ]; then
		cpu_ms "$TOOL_PID"
	elif [ -f "$TOOL_CG/cpuacct.usage" ]; then
		echo $(($(cat "$TOOL_CG/cpuacct.usage") / 1000000))
	else
		awk '$1 == "usage_usec" { printf "%d\n", $2 / 1000 }' "$TOOL_CG/cpu.stat"
	fi
}
stop_tool() {
	kill -TERM "$TOOL_PID" 2>/dev/null
	wait "$TOOL_PID" 2>/dev/null
	if [ -n "$TOOL_CG" ]; then
		for _ in $(seq 1 50); do rmdir "$TOOL_CG" 2>/dev/null && break; sleep 0.1; done
	fi
}

run_idle() {
	local e0 e1
	e0=$(cpu_ms $(engine_pids))
	sleep "$SECS"
	e1=$(cpu_ms $(engine_pids))
	echo "0 $((e1 - e0))"
}

# run_mode MODE: prints "self_ms engine_ms" over one window, once every container was sampled twice.
run_mode() {
	local mode=$1 out="$WORK/$1" host src=api s0 s1 e0 e1 rows
	local -a envs=(env -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH -u DOCKER_CONTEXT)
	case $mode in
	cgroup) host="unix://$ENGINE_SOCK" src=cgroup ;;
	api-unix) host="unix://$ENGINE_SOCK" ;;
	api-tcp) host="tcp://127.0.0.1:$TCP_PORT" ;;
	api-tls) host=$ENGINE_TLS_HOST envs+=(DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$ENGINE_CERT_PATH") ;;
	esac
	rm -rf "$out"
	spawn "${envs[@]}" "$LOOKOUT" --daemon --interval 1 --source "$src" --output-dir "$out" --status-every 0 \
		--listen off --host "$host"
	for _ in $(seq 1 900); do
		rows=$(grep -c ',running,' "$out/metrics.csv" 2>/dev/null)
		[ "${rows:-0}" -ge $((N * 2)) ] && break
		sleep 0.2
	done
	[ "${rows:-0}" -ge $((N * 2)) ] || echo "remote-cost: $mode never sampled all $N containers" >&2
	s0=$(self_ms); e0=$(cpu_ms $(engine_pids))
	sleep "$SECS"
	s1=$(self_ms); e1=$(cpu_ms $(engine_pids))
	stop_tool
	echo "$((s1 - s0)) $((e1 - e0))"
}

echo "n,run,mode,self_ms,engine_ms,window_s" >"$CSV"
for run in $(seq 1 "$RUNS"); do
	for mode in idle cgroup api-unix api-tcp api-tls; do
		echo "remote-cost: N=$N run $run/$RUNS: $mode" >&2
		if [ "$mode" = idle ]; then r=$(run_idle); else r=$(run_mode "$mode"); fi
		read -r self eng <<<"$r"
		echo "$N,$run,$mode,$self,$eng,$SECS" >>"$CSV"
	done
done

/usr/bin/python3 - "$CSV" "$(uptime)" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
by = {}
for r in rows:
    by.setdefault(r["mode"], []).append(r)
n = int(rows[0]["n"])
def per_min(rs, key):
    return statistics.median(float(r[key]) * 60.0 / float(r["window_s"]) for r in rs)
idle = per_min(by["idle"], "engine_ms")
print(f"\nN = {n} idle containers on one engine, 1 s interval; CPU ms per container per minute "
      f"(median of {len(by['idle'])} run(s)); load when done: {sys.argv[2].split('load average:')[-1].strip()}")
print(f"{'path':<10}{'lookout own':>13}{'engine>idle':>13}{'own / cgroup':>14}{'own+engine / cgroup':>21}")
base_own = per_min(by["cgroup"], "self_ms") / n
base_all = base_own + max(per_min(by["cgroup"], "engine_ms") - idle, 0) / n
for mode in ["cgroup", "api-unix", "api-tcp", "api-tls"]:
    rs = by.get(mode)
    if not rs:
        continue
    own = per_min(rs, "self_ms") / n
    eng = max(per_min(rs, "engine_ms") - idle, 0) / n
    r1 = own / base_own if base_own > 0 else float("inf")
    r2 = (own + eng) / base_all if base_all > 0 else float("inf")
    print(f"{mode:<10}{own:>13.2f}{eng:>13.2f}{r1:>13.1f}x{r2:>20.1f}x")
print(f"(engine idle: {idle:.0f} ms per minute in all; all rounds: {sys.argv[1]})")
PY
