#!/usr/bin/env bash
# compare.sh — what watching N idle containers at a 1 s interval costs, lookout beside the floor (a minimal
# reader of the same cgroup files through kept-open descriptors, tests/bench/floor.c), `docker stats`, and
# netdata and glances when installed. Everything runs against a private engine, so its containers are the
# only ones it made. For each tool: its own CPU (utime+stime of the tool and its children, /proc/PID/stat),
# what it makes dockerd + containerd + the shims spend above the idle engine (idle windows around it in the same
# round, interpolated to the tool's window), and its resident memory at the end. The engine's share counts only
# where it stands out of the idle engine's noise: the shims' when they served the tool's requests (their
# read/write calls), the daemons' when above idle by more than they move with nothing asking them anything;
# lookout is otherwise charged what its pings cost, measured here. Every figure is per minute, the median of
# BENCH_RUNS rounds, and printed with its ratio to lookout; all windows are also written as CSV.
# A benchmark, never a test.
#   tests/bench/compare.sh [N...]            (default: 100; `make bench` passes 10 100 300)
# Every tool, once ready, runs BENCH_SETTLE seconds more before its window: the window is the steady state, not
# the start-up (lookout's first inspects of N containers, docker stats' first round trips, and the garbage
# collection they leave dockerd with).
# Environment: BENCH_SECS (window per measurement, 30), BENCH_SETTLE (15), BENCH_ENGINE_SETTLE (60, after the
#   containers start), BENCH_RUNS (3), BENCH_CSV (bench-compare.csv),
#   BENCH_TOOLS (a subset of: lookout floor docker_stats netdata glances), LOOKOUT, FLOOR (the binaries).
set -u
NS=${*:-100}
SECS=${BENCH_SECS:-30}
SETTLE=${BENCH_SETTLE:-15}
ENGINE_SETTLE=${BENCH_ENGINE_SETTLE:-60}
RUNS=${BENCH_RUNS:-3}
CSV=${BENCH_CSV:-bench-compare.csv}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
LOOKOUT=${LOOKOUT:-$top_srcdir/lookout}
FLOOR=${FLOOR:-$(dirname "$LOOKOUT")/tests/bench/floor}
HISTORY_MEM=${HISTORY_MEM:-$(dirname "$LOOKOUT")/tests/bench/history-mem}
ENGINE_SKIP_STATUS=77
. "$top_srcdir/tests/lib/engine.sh"
engine_require
[ -x "$FLOOR" ] || { echo "compare: no floor reader at $FLOOR (make tests/bench/floor)" >&2; exit 2; }
engine_start
engine_image lookout-bench/busybox:latest >/dev/null

hz=$(getconf CLK_TCK)
WORK=$(mktemp -d /tmp/lookout-compare.XXXXXX)
engine_on_cleanup "rm -rf '$WORK'"

# descendants PID: the process and all its children, grandchildren, ...
descendants() {
	local p=$1 c
	echo "$p"
	for c in $(pgrep -P "$p" 2>/dev/null); do descendants "$c"; done
}
# cpu_ms PID...: utime+stime of the given processes, in ms (a vanished process counts 0). One read of all their
# stat files: at N = 300 there are over 300 shims, and a process per file took seconds.
cpu_ms() {
	local p
	for p in "$@"; do cat "/proc/$p/stat" 2>/dev/null; done |
		awk -v hz="$hz" '{ t += $14 + $15 } END { printf "%d\n", t * 1000 / hz }'
}
# io_ops PID...: read and write system calls so far of the given processes (/proc/PID/io syscr + syscw). A shim
# reads its socket for every request containerd forwards to it and writes the answer; idle, the shims of
# hundreds of containers make a handful a minute. Unlike CPU time, this count has no noise to speak of.
io_ops() {
	local p
	for p in "$@"; do cat "/proc/$p/io" 2>/dev/null; done |
		awk '$1 == "syscr:" || $1 == "syscw:" { t += $2 } END { printf "%d\n", t }'
}
rss_kb() {
	local total=0 p r
	for p in "$@"; do
		r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		total=$((total + ${r:-0}))
	done
	echo "$total"
}
# The engine's processes in two parts: the daemons that answer API requests (dockerd, containerd) and the
# shims, one per container. Idle shims alone spend several seconds a minute at N = 300 and vary by a few
# hundred ms from window to window: the daemons' part is the precise one.
shim_pids() {
	{
		pgrep -f "containerd-shim.*$ENGINE_DIR" || true
		pgrep -f "containerd-shim.*-namespace $(basename "$ENGINE_DIR")" || true
	} | sort -u
}
daemon_pids() {
	{
		echo "$ENGINE_PID"
		pgrep -f "containerd.*$ENGINE_DIR" || true
	} | sort -u | grep -vxF -f <(shim_pids; echo 0)
}

have_containers=0
grow_to() {
	local n=$1 i
	for i in $(seq $((have_containers + 1)) "$n"); do
		docker run -d --network none --name "idle$i" lookout-bench/busybox:latest sleep 100000000 >/dev/null ||
			{ echo "compare: could not start container $i" >&2; exit 1; }
	done
	have_containers=$n
}

# Each tool runs in a cgroup of its own, so its CPU is counted in nanoseconds, children and short-lived
# threads included (the kernel's clock ticks are 10 ms: too coarse for the floor). Without cgroup write
# access, the tool's process tree is read from /proc in ticks instead.
CG_ROOT=
if [ -d /sys/fs/cgroup/cpuacct ] && mkdir "/sys/fs/cgroup/cpuacct/lookout-bench.$$" 2>/dev/null; then
	CG_ROOT=/sys/fs/cgroup/cpuacct/lookout-bench.$$
elif [ -f /sys/fs/cgroup/cgroup.controllers ] && mkdir "/sys/fs/cgroup/lookout-bench.$$" 2>/dev/null; then
	CG_ROOT=/sys/fs/cgroup/lookout-bench.$$
fi
[ -n "$CG_ROOT" ] && engine_on_cleanup "rmdir '$CG_ROOT'/* '$CG_ROOT' 2>/dev/null"
# spawn CMD...: starts the command in the background (in a fresh cgroup when possible); sets TOOL_PID, TOOL_CG.
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
cg_cpu_ms() {
	if [ -f "$TOOL_CG/cpuacct.usage" ]; then
		echo $(($(cat "$TOOL_CG/cpuacct.usage") / 1000000))
	else
		awk '$1 == "usage_usec" { printf "%d\n", $2 / 1000 }' "$TOOL_CG/cpu.stat"
	fi
}
# stop_tool: kills the tool (and what it started) and removes its cgroup.
stop_tool() {
	kill $(descendants "$TOOL_PID") 2>/dev/null
	wait "$TOOL_PID" 2>/dev/null
	if [ -n "$TOOL_CG" ]; then
		for p in $(cat "$TOOL_CG/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		for _ in $(seq 1 50); do rmdir "$TOOL_CG" 2>/dev/null && break; sleep 0.1; done
	fi
}

now_ns() { date +%s%N; }
# per_window MS NS: MS spent over NS nanoseconds of wall time, scaled to the window of SECS seconds (reading
# the engine's processes takes a moment at N = 300, so no interval is exactly the sleep).
per_window() { echo $(($1 * SECS * 1000000000 / $2)); }

# engine_ms: "daemons_ms shims_ms daemons_io shims_io" now (CPU time and read/write calls so far of the engine's
# two parts).
engine_ms() { echo "$(cpu_ms $DAEMON_PIDS) $(cpu_ms $SHIM_PIDS) $(io_ops $DAEMON_PIDS) $(io_ops $SHIM_PIDS)"; }

# measure_window: sleeps through the window and prints "self_ms daemons_ms shims_ms rss_kb daemons_io shims_io"
# for the running tool, each figure over SECS s. The tool's resident memory is read with its last CPU figure,
# while it surely runs. With no tool (TOOL_PID empty) it measures the idle engine.
measure_window() {
	local s0=0 s1=0 d0 d1 h0 h1 di0 di1 hi0 hi1 t0 t1 te0 te1 tree= rss=0
	[ -n "${TOOL_PID:-}" ] && tree=$(descendants "$TOOL_PID")
	te0=$(now_ns)
	read -r d0 h0 di0 hi0 <<<"$(engine_ms)"
	t0=$(now_ns)
	if [ -n "$TOOL_CG" ]; then s0=$(cg_cpu_ms); elif [ -n "$tree" ]; then s0=$(cpu_ms $tree); fi
	sleep "$SECS"
	[ -n "${TOOL_PID:-}" ] && tree=$(descendants "$TOOL_PID")
	if [ -n "$TOOL_CG" ]; then s1=$(cg_cpu_ms); elif [ -n "$tree" ]; then s1=$(cpu_ms $tree); fi
	t1=$(now_ns)
	[ -n "$tree" ] && rss=$(rss_kb $tree)
	read -r d1 h1 di1 hi1 <<<"$(engine_ms)"
	te1=$(now_ns)
	echo "$(per_window $((s1 - s0)) $((t1 - t0))) $(per_window $((d1 - d0)) $((te1 - te0)))" \
		"$(per_window $((h1 - h0)) $((te1 - te0))) $rss" \
		"$(per_window $((di1 - di0)) $((te1 - te0))) $(per_window $((hi1 - hi0)) $((te1 - te0)))"
}

run_idle() {
	TOOL_PID= TOOL_CG=
	measure_window
}

run_lookout() {
	local n=$1 out="$WORK/lookout" rows r
	rm -rf "$out"
	spawn "$LOOKOUT" --daemon --interval 1 --source cgroup --output-dir "$out" --status-every 0 \
		--host "$DOCKER_HOST" >/dev/null 2>&1
	# Measure once each of the N containers has been sampled twice (inspected, files found, first rate
	# known): counting rows in all would let the window open while the last containers are still being
	# inspected at start-up. The id (third column) comes before any quoted name, so splitting on commas is safe.
	for _ in $(seq 1 600); do
		rows=$(awk -F, '$6 == "running" && ++seen[$3] == 2 { twice++ } END { print twice + 0 }' \
			"$out/metrics.csv" 2>/dev/null)
		[ "${rows:-0}" -ge "$n" ] && break
		sleep 0.2
	done
	echo "compare: lookout warmed up: ${rows:-0} of $n containers sampled twice" >&2
	sleep "$SETTLE"
	r=$(measure_window)
	stop_tool
	echo "$r"
}

run_floor() {
	local pids=$1 r
	# It must outlive the settling and the window (stop_tool ends it): a floor that stopped reading before the
	# window closed would be charged for part of it only.
	# shellcheck disable=SC2086
	spawn "$FLOOR" 1 $((SETTLE + SECS + 60)) $pids >/dev/null 2>&1
	sleep 2
	sleep "$SETTLE"
	r=$(measure_window)
	stop_tool
	echo "$r"
}

run_docker_stats() {
	local r
	spawn docker stats --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}}' >/dev/null 2>&1
	sleep 5 # its first answers take a round trip per container
	sleep "$SETTLE"
	r=$(measure_window)
	stop_tool
	echo "$r"
}

run_glances() {
	local r
	spawn glances --stdout docker -t 1 >/dev/null 2>&1
	sleep 5
	sleep "$SETTLE"
	r=$(measure_window)
	stop_tool
	echo "$r"
}

run_netdata() {
	local r port dir="$WORK/netdata"
	port=$(engine_free_port)
	mkdir -p "$dir/cache" "$dir/lib" "$dir/log"
	cat >"$dir/netdata.conf" <<EOF
[global]
	update every = 1
	run as user = root
	memory mode = ram
	cache directory = $dir/cache
	lib directory = $dir/lib
	log directory = $dir/log
[web]
	bind to = 127.0.0.1:$port
[plugins]
	cgroups = yes
	apps = no
	python.d = no
	charts.d = no
	go.d = no
	ebpf = no
EOF
	spawn netdata -D -c "$dir/netdata.conf" >/dev/null 2>&1
	sleep 10
	sleep "$SETTLE"
	r=$(measure_window)
	stop_tool
	echo "$r"
}

tools="lookout floor docker_stats"
command -v netdata >/dev/null 2>&1 && tools="$tools netdata"
# glances without its Docker plugin's libraries (python3-docker, python3-dateutil) silently watches no container
# at all: a figure from it would be meaningless.
if command -v glances >/dev/null 2>&1; then
	if "$(head -n 1 "$(command -v glances)" | sed -n 's/^#! *//p' | cut -d' ' -f1)" -c 'import docker, dateutil' 2>/dev/null; then
		tools="$tools glances"
	else
		echo "compare: glances is installed but its Docker plugin cannot load (install python3-docker and python3-dateutil); not measured" >&2
	fi
fi
tools=${BENCH_TOOLS:-$tools}
tools=$(echo " $tools " | sed 's/ idle / /g')
case " $tools " in *" lookout "*) ;; *) tools="$tools lookout" ;; esac
RAW="$WORK/windows.csv"
echo "n,run,slot,tool,self_ms,daemons_ms,shims_ms,rss_kb,window_s,daemons_io,shims_io" >"$RAW"
PINGS="$WORK/pings"
: >"$PINGS"

# ping_cost: what one GET /_ping on a kept-alive connection (lookout's liveness check) costs dockerd and
# containerd, in microseconds: 3000 of them in a row, less what the idle daemons spent meanwhile (their rate over
# the 10 s before). A figure with little noise, where a window's above-idle share of a request a second has a lot.
ping_cost() {
	local a b t0 t1 p0 p1 idle_us
	a=$(cpu_ms $DAEMON_PIDS)
	t0=$(now_ns)
	sleep 10
	b=$(cpu_ms $DAEMON_PIDS)
	t1=$(now_ns)
	idle_us=$(((b - a) * 1000))
	p0=$(now_ns)
	curl -s --unix-socket "$ENGINE_SOCK" -o /dev/null "http://engine/_ping?[1-3000]"
	p1=$(now_ns)
	a=$(cpu_ms $DAEMON_PIDS)
	echo $(((a - b) * 1000 - idle_us * (p1 - p0) / (t1 - t0))) | awk '{ printf "%.1f\n", $1 / 3000 }'
}

# A round: an idle window, then the tools, with an idle window after each light tool (lookout, the floor) and
# one at the end. A tool's baseline is the idle engine interpolated between the idle windows around it, so a
# drift of the idle engine (hundreds of ms a minute at N = 300) is not charged to whichever tool came late, and
# the light tools' baselines are their neighbours: what they ask of the engine is small beside its noise. The
# heavy tools come last; dockerd still collects their garbage in the round's last idle window.
round_tools=
for t in $tools; do
	case $t in lookout | floor) round_tools="$round_tools $t idle" ;; *) round_tools="$round_tools $t" ;; esac
done
case "$round_tools" in *" idle") ;; *) round_tools="$round_tools idle" ;; esac
for n in $NS; do
	echo "compare: starting $n containers" >&2
	grow_to "$n"
	# Fresh shims (and a dockerd that just started dozens of containers) spend more at first, falling for a
	# minute or so: the first round's idle windows would otherwise not be idle.
	echo "compare: letting the engine settle for ${ENGINE_SETTLE}s" >&2
	sleep "$ENGINE_SETTLE"
	DAEMON_PIDS=$(daemon_pids | tr '\n' ' ')
	SHIM_PIDS=$(shim_pids | tr '\n' ' ')
	pids=$(docker ps -q | head -n "$n" | xargs docker inspect -f '{{.State.Pid}}' | tr '\n' ' ')
	echo "compare: N=$n: what a ping costs the engine" >&2
	echo "$n $(ping_cost)" >>"$PINGS"
	for run in $(seq 1 "$RUNS"); do
		slot=0
		for tool in idle $round_tools; do
			echo "compare: N=$n run $run/$RUNS: $tool" >&2
			case $tool in
			idle) r=$(run_idle) ;;
			lookout) r=$(run_lookout "$n") ;;
			floor) r=$(run_floor "$pids") ;;
			docker_stats) r=$(run_docker_stats) ;;
			netdata) r=$(run_netdata) ;;
			glances) r=$(run_glances) ;;
			esac
			read -r self d h rss dio hio <<<"$r"
			echo "$n,$run,$slot,$tool,$self,$d,$h,$rss,$SECS,$dio,$hio" >>"$RAW"
			slot=$((slot + 1))
		done
	done
done

# What full histories (an hour at 1 s, a day at 1 min) add to lookout's heap, per N: history-mem fills them
# through the same series code, since a run here lasts minutes, not a day; once for containers as idle as
# these (only the time varies) and once for busy ones (every column varies). The measured RSS already holds
# the history of the window at least (the daemon ran longer): that much is taken off before the full one is
# added, so the projection does not count it twice.
HIST_FILE="$WORK/history" HIST_NOW="$WORK/history-window"
: >"$HIST_FILE"
: >"$HIST_NOW"
if [ -x "$HISTORY_MEM" ]; then
	for n in $NS; do
		for kind in idle busy; do
			"$HISTORY_MEM" "$n" "$kind" >>"$HIST_FILE"
			"$HISTORY_MEM" "$n" "$kind" "$SECS" >>"$HIST_NOW"
		done
	done
fi

# The table: medians per N and tool, scaled to a minute; ratios against lookout's total. Every round's windows,
# with their baselines and shares above idle, go to the CSV.
PING_MS=$(sed -n 's/^#define LIVENESS_MS \([0-9]*\).*/\1/p' "$top_srcdir/src/watcher.c")
/usr/bin/python3 - "$RAW" "$CSV" "$HIST_FILE" "$HIST_NOW" "$SECS" "$PINGS" "${PING_MS:-1000}" <<'EOF'
import csv, statistics, sys
raw, out, hist_path, hist_now_path, secs, pings_path, ping_ms = sys.argv[1:8]
rows = list(csv.DictReader(open(raw)))
for r in rows:
    for k in ("self_ms", "daemons_ms", "shims_ms", "daemons_io", "shims_io"):
        r[k] = float(r[k]) * 60.0 / float(r["window_s"])  # per minute from here on
    r["engine_ms"] = r["daemons_ms"] + r["shims_ms"]
HEAVY = ("docker_stats", "netdata", "glances")

# Baselines: each window's idle engine, interpolated between the nearest idle windows before and after it.
# An idle window is "clean" when no heavy tool ran before it in its round (dockerd is still collecting the
# garbage of docker stats' or glances' thousands of requests well after they stop).
by_round = {}
for r in rows:
    by_round.setdefault((int(r["n"]), r["run"]), []).append(r)
for rs in by_round.values():
    rs.sort(key=lambda r: int(r["slot"]))
    heavy_seen = False
    for r in rs:
        r["clean"] = not heavy_seen
        heavy_seen |= r["tool"] in HEAVY
    idle = [k for k, r in enumerate(rs) if r["tool"] == "idle"]
    for k, r in enumerate(rs):
        before = [i for i in idle if i < k] or [min(idle)]
        after = [i for i in idle if i > k] or [max(idle)]
        a, b = before[-1], after[0]
        for key in ("daemons_ms", "engine_ms"):
            va, vb = rs[a][key], rs[b][key]
            r["base_" + key] = va if a == b else va + (vb - va) * (k - a) / (b - a)
        r["daemons_above_idle_ms"] = r["daemons_ms"] - r["base_daemons_ms"]
        r["engine_above_idle_ms"] = r["engine_ms"] - r["base_engine_ms"]
        r["neighbours_clean"] = rs[a]["clean"] and rs[b]["clean"] and a != k != b
cols = ["n", "run", "slot", "tool", "self_ms", "daemons_ms", "shims_ms", "engine_ms", "daemons_above_idle_ms",
        "engine_above_idle_ms", "rss_kb", "daemons_io", "shims_io"]
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(cols)
    for r in rows:
        w.writerow([r[c] if isinstance(r[c], str) else "%.0f" % r[c] for c in cols])

def hist_bytes(path):
    return {(int(l.split()[0]), l.split()[3]): int(l.split()[1]) for l in open(path) if l.strip()}
hist, hist_now = hist_bytes(hist_path), hist_bytes(hist_now_path)
ping_us = {int(l.split()[0]): float(l.split()[1]) for l in open(pings_path) if l.strip()}
pings_a_minute = 60000.0 / int(ping_ms)
by = {}
for r in rows:
    by.setdefault((int(r["n"]), r["tool"]), []).append(r)
def med(rs, key):
    return statistics.median(float(r[key]) for r in rs)
for n in sorted({k[0] for k in by}):
    lk = by[(n, "lookout")]
    print(f"\nN = {n} idle containers, 1 s interval, CPU ms per minute (median of {len(lk)} runs)")
    # The shims answer requests on their sockets: a request is a read and a write there. Idle, the shims of
    # all N containers make a handful a minute, while their CPU time moves by hundreds of ms a minute with
    # their own runtimes. So the shims' CPU above idle is charged to a tool only when its shims made more
    # read/write calls than the idle engine's (over twice the busiest clean idle window, plus 60 a minute).
    idle_rows = by[(n, "idle")]
    idle_calls = max(r["shims_io"] for r in idle_rows if r["clean"])
    def shims_served(rs):
        return med(rs, "shims_io") > 2 * idle_calls + 60
    # The daemons' noise: their share above idle in windows where nothing talked to the engine. Those are the
    # floor's (it reads cgroup files only) and each clean idle window between two clean idle windows, against
    # its neighbours. A share no larger than the largest of those is indistinguishable from idle.
    null = [r["daemons_above_idle_ms"] for r in by.get((n, "floor"), [])]
    null += [r["daemons_above_idle_ms"] for r in idle_rows if r["clean"] and r["neighbours_clean"]]
    band = max(abs(v) for v in null) if len(null) >= 2 else 0.0
    # What a tool is charged for the engine: its shares above idle when they stand out of the noise. Otherwise
    # what its own requests cost, where that is known: lookout's pings (one every LIVENESS_MS, on a kept-alive
    # connection, measured above on this engine); the floor makes none.
    ping_ms_min = pings_a_minute * ping_us.get(n, 0.0) / 1000
    def engine(tool, rs):
        if shims_served(rs):
            return max(med(rs, "engine_above_idle_ms"), 0.0), True
        if med(rs, "daemons_above_idle_ms") > band:
            return med(rs, "daemons_above_idle_ms"), True
        return (ping_ms_min if tool == "lookout" else 0.0), False
    print(f"{'tool':<14}{'own':>8}{'daemons>idle':>14}{'shims>idle':>12}{'shim calls':>12}{'total':>9}{'RSS MiB':>9}"
          f"{'total / lookout':>17}")
    lk_eng, lk_measured = engine("lookout", lk)
    lk_total = med(lk, "self_ms") + lk_eng
    totals = {}
    for tool in ["lookout", "floor", "docker_stats", "netdata", "glances"]:
        rs = by.get((n, tool))
        if not rs:
            continue
        own, dmn = med(rs, "self_ms"), med(rs, "daemons_above_idle_ms")
        eng, measured = engine(tool, rs)
        shm = med(rs, "engine_above_idle_ms") - dmn
        totals[tool] = own + eng
        ratio = (own + eng) / lk_total if lk_total > 0 else float("inf")
        dmn_txt = f"{dmn:.0f}" if measured else f"({dmn:.0f})"
        shm_txt = f"{shm:.0f}" if shims_served(rs) else f"({shm:.0f})"
        print(f"{tool:<14}{own:>8.0f}{dmn_txt:>14}{shm_txt:>12}{med(rs, 'shims_io'):>12.0f}{own + eng:>9.0f}"
              f"{med(rs, 'rss_kb') / 1024:>9.1f}{ratio:>16.2f}x")
    print(f"(in brackets: within the noise, not counted. The daemons' noise: at most {band:.0f} ms a minute above or "
          f"below idle in {len(null)} windows where nothing asked the engine anything. Shim calls: the shims' read and "
          f"write system calls a minute, idle at most {idle_calls:.0f}.)")
    if not lk_measured:
        print(f"(lookout's engine share is within the noise: it is charged its {pings_a_minute:.0f} pings a minute at "
              f"{ping_us.get(n, 0.0):.0f} us each, measured on this engine: {ping_ms_min:.1f} ms a minute. Charged its "
              f"daemons' median instead, its total would be {med(lk, 'self_ms') + max(med(lk, 'daemons_above_idle_ms'), 0):.0f}.)")
    for kind in ["idle", "busy"]:
        if (n, kind) not in hist:
            continue
        h = hist[(n, kind)] / 1048576
        held = hist_now.get((n, kind), 0) / 1048576
        rss = med(lk, "rss_kb") / 1024 - held + h
        verdict = ""
        if n == 300:
            verdict = " (target at N = 300: under 24 MiB: %s)" % ("met" if rss < 24 else "MISSED")
        print(f"lookout RSS with full histories of {kind} containers (1 h at 1 s + 24 h at 1 min, {h:.1f} MiB, "
              f"less the {held:.1f} MiB of its first {secs} s already in the RSS): {rss:.1f} MiB{verdict}")
    clean = [r for r in idle_rows if r["clean"]]
    print(f"(engine idle: {med(clean, 'engine_ms'):.0f} ms a minute, of which the shims {med(clean, 'shims_ms'):.0f} "
          f"and the daemons {med(clean, 'daemons_ms'):.0f})")
    fl = totals.get("floor", 0)
    if n not in (100, 300):
        print("(the targets are set at N = 100 and N = 300; at N = %d a fixed cost per tick weighs more)" % n)
        continue
    lk_dmn = med(lk, "daemons_above_idle_ms")
    print("targets: engine side indistinguishable from idle: %s (dockerd and containerd %.0f ms a minute above idle, "
          "the noise %.0f; the shims made %.0f read/write calls a minute, idle at most %.0f)" % (
              "met" if len(null) >= 2 and lk_dmn <= band and not shims_served(lk) else "MISSED", lk_dmn, band,
              med(lk, "shims_io"), idle_calls))
    if fl:
        print("         lookout within 2x of the floor: %s (%.2fx)" % ("met" if lk_total <= 2 * fl else "MISSED", lk_total / fl))
    if "docker_stats" in totals:
        r = totals["docker_stats"] / lk_total if lk_total else float("inf")
        print("         at least 50x below docker stats: %s (%.0fx)" % ("met" if r >= 50 else "MISSED", r))
    if "netdata" in totals:
        r = totals["netdata"] / lk_total if lk_total else float("inf")
        print("         at least 5x below netdata: %s (%.1fx)" % ("met" if r >= 5 else "MISSED", r))
print(f"\nall rounds: {out}")
EOF
