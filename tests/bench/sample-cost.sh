#!/usr/bin/env bash
# sample-cost.sh — what one container-sample costs lookout's collector, cgroup files vs the engine's stats
# API, on a private engine with N idle containers. CPU is read from /proc/PID/stat (utime+stime) of lookout
# and of dockerd + containerd + shims, against an idle baseline measured in the same run; the result is
# printed as a table and as ratios (api / cgroup). A benchmark, never a test: it asserts nothing.
#   tests/bench/sample-cost.sh [N=20] [SECONDS=30]
set -u
N=${1:-20}
SECS=${2:-30}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
LOOKOUT=${LOOKOUT:-$top_srcdir/build/gcc/lookout}
ENGINE_SKIP_STATUS=77
. "$top_srcdir/tests/lib/engine.sh"
engine_require
engine_start
engine_image lookout-bench/busybox:latest >/dev/null

for i in $(seq 1 "$N"); do
	docker run -d --network none --name "idle$i" lookout-bench/busybox:latest sleep 1000000 >/dev/null
done

hz=$(getconf CLK_TCK)
# cpu_ms PID...: utime+stime of the given processes, in ms.
cpu_ms() {
	local total=0 p t
	for p in "$@"; do
		t=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null) || continue
		total=$((total + t))
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

measure_idle() {
	local e0 e1
	e0=$(cpu_ms $(engine_pids))
	sleep "$SECS"
	e1=$(cpu_ms $(engine_pids))
	echo $((e1 - e0))
}

measure() {
	local src=$1 out pid l0 l1 e0 e1
	out=$(mktemp -d /tmp/lookout-bench.XXXXXX)
	"$LOOKOUT" --daemon --interval 1 --source "$src" --output-dir "$out" --status-every 0 --host "$DOCKER_HOST" &
	pid=$!
	# Let it discover every container and open its streams or files before measuring.
	for _ in $(seq 1 100); do
		rows=$(grep -c ',running,' "$out/metrics.csv" 2>/dev/null)
		[ "${rows:-0}" -ge $((N * 2)) ] && break
		sleep 0.2
	done
	l0=$(cpu_ms "$pid"); e0=$(cpu_ms $(engine_pids))
	sleep "$SECS"
	l1=$(cpu_ms "$pid"); e1=$(cpu_ms $(engine_pids))
	kill -TERM "$pid"; wait "$pid"
	rm -rf "$out"
	echo "$((l1 - l0)) $((e1 - e0))"
}

idle=$(measure_idle)
read -r cg_self cg_eng < <(measure cgroup)
read -r api_self api_eng < <(measure api)
samples=$((N * SECS))
awk -v n="$N" -v s="$SECS" -v idle="$idle" -v cs="$cg_self" -v ce="$cg_eng" -v as="$api_self" -v ae="$api_eng" \
	-v samples="$samples" 'BEGIN {
	cgx = ce - idle; if (cgx < 0) cgx = 0
	apx = ae - idle; if (apx < 0) apx = 0
	printf "N=%d containers, %d s at a 1 s interval (%d container-samples); engine idle baseline %d ms\n", n, s, samples, idle
	printf "%-8s %14s %20s %22s\n", "source", "lookout ms", "engine ms (>idle)", "us per container-sample"
	printf "%-8s %14d %20d %22.1f\n", "cgroup", cs, cgx, (cs + cgx) * 1000 / samples
	printf "%-8s %14d %20d %22.1f\n", "api", as, apx, (as + apx) * 1000 / samples
	if (cs + cgx > 0) printf "ratio api/cgroup (lookout + engine): %.1f\n", (as + apx) / (cs + cgx)
}'
