#!/usr/bin/env bash
# probe-cost.sh — what HTTP health probes cost lookout: N idle containers (default 100), each given a health
# URL on a port of its own served by a small keep-alive HTTP/1.1 server on loopback (as real services answer;
# its CPU is not counted), watched once without probes and once with one probe per container per second, in
# the same run. lookout's CPU is read from a cgroup of its own (nanoseconds,
# threads included). Prints both, the difference as a share of one core (goal: under 1 %), and the probes
# the CSV shows answered. With PROBE_FLOOR (tests/bench/probe-floor, built by make bench) it also prints the
# floor: what a minimal epoll client doing the same keep-alive GETs spends. A benchmark: it asserts nothing.
#   tests/bench/probe-cost.sh [N=100] [SECONDS=30]
set -u
N=${1:-100}
SECS=${2:-30}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
LOOKOUT=${LOOKOUT:-$top_srcdir/lookout}
ENGINE_SKIP_STATUS=77
. "$top_srcdir/tests/lib/engine.sh"
engine_require
engine_start
engine_image lookout-bench/busybox:latest >/dev/null
WORK=$(mktemp -d /tmp/lookout-probecost.XXXXXX)
engine_on_cleanup "rm -rf '$WORK'"

CG=
if [ -d /sys/fs/cgroup/cpuacct ] && mkdir "/sys/fs/cgroup/cpuacct/lookout-probecost.$$" 2>/dev/null; then
	CG=/sys/fs/cgroup/cpuacct/lookout-probecost.$$
elif [ -f /sys/fs/cgroup/cgroup.controllers ] && mkdir "/sys/fs/cgroup/lookout-probecost.$$" 2>/dev/null; then
	CG=/sys/fs/cgroup/lookout-probecost.$$
fi
[ -n "$CG" ] || { echo "probe-cost: needs a cgroup of its own (run as root)" >&2; exit 77; }
engine_on_cleanup "rmdir '$CG' 2>/dev/null"
cg_ms() {
	if [ -f "$CG/cpuacct.usage" ]; then echo $(($(cat "$CG/cpuacct.usage") / 1000000))
	else awk '$1 == "usage_usec" { printf "%d\n", $2 / 1000 }' "$CG/cpu.stat"; fi
}

base=$(engine_free_port)
probes=()
for i in $(seq 1 "$N"); do
	docker run -d --network none --name "idle$i" lookout-bench/busybox:latest sleep 100000000 >/dev/null
	probes+=(--probe "idle$i=http://127.0.0.1:$((base + i))/health")
done
/usr/bin/python3 - "$base" "$N" <<'EOF' &
import asyncio, sys
base, n = int(sys.argv[1]), int(sys.argv[2])
async def serve(reader, writer):
    try:
        while True:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\nok\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        writer.close()
async def main():
    servers = [await asyncio.start_server(serve, "127.0.0.1", base + i) for i in range(1, n + 1)]
    await asyncio.Event().wait()
asyncio.run(main())
EOF
server=$!
engine_on_cleanup "kill $server 2>/dev/null"
for _ in $(seq 1 100); do
	curl -fs "http://127.0.0.1:$((base + N))/health" >/dev/null && break
	sleep 0.1
done

# run LABEL ARGS...: lookout --daemon for SECS after every container has two rows; prints "ms answered".
run() {
	local out="$WORK/$1" pid rows c0 c1 answered
	shift
	mkdir -p "$out"
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" "$LOOKOUT" --daemon --interval 1 --output-dir "$out" \
		--status-every 0 --host "$DOCKER_HOST" "$@" >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 1 600); do
		rows=$(grep -c ',running,' "$out/metrics.csv" 2>/dev/null)
		[ "${rows:-0}" -ge $((N * 2)) ] && break
		sleep 0.2
	done
	c0=$(cg_ms)
	sleep "$SECS"
	c1=$(cg_ms)
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	# Rows whose response_ms column holds a number: probes that answered.
	answered=$(/usr/bin/python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(sum(1 for r in rows if r.get("response_ms", "") not in ("", "-1")))' "$out/metrics.csv")
	echo "$((c1 - c0)) $answered"
}

read -r plain _ < <(run plain)
read -r probed answered < <(run probed "${probes[@]}")
awk -v n="$N" -v s="$SECS" -v a="$plain" -v b="$probed" -v ans="$answered" 'BEGIN {
	d = b - a; if (d < 0) d = 0
	printf "N=%d containers, %d s at 1 s: lookout %d ms without probes, %d ms with %d probes a second\n", n, s, a, b, n
	printf "probing costs %.0f ms CPU per minute = %.2f %% of one core (goal: under 1 %%: %s); %d answered probes in the CSV\n",
		d * 60 / s, d / (s * 10), d / (s * 10) < 1 ? "met" : "MISSED", ans
}'
if [ -n "${PROBE_FLOOR:-}" ] && [ -x "$PROBE_FLOOR" ]; then
	read -r fms fans < <("$PROBE_FLOOR" "$base" "$N" "$SECS")
	awk -v n="$N" -v s="$SECS" -v f="${fms:-0}" -v fa="${fans:-0}" -v d="$((probed - plain))" 'BEGIN {
		printf "floor (probe-floor, one epoll client, same servers): %d ms for %d answers = %.2f %% of one core",
			f, fa, f / (s * 10)
		if (fa > 0 && d > 0) printf "; lookout %.0f us a probe, floor %.0f us", d * 1000 / (n * s), f * 1000 / fa
		printf "\n"
	}'
fi
