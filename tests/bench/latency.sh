#!/usr/bin/env bash
# latency.sh — how long from `docker kill` to the container_down line in the alert log, over BENCH_KILLS
# kills (default 20) on a private engine, lookout --daemon at a 1 s interval. The end of each interval is
# the ts lookout itself wrote on the alert line (when its rules decided), the start the wall clock just
# before the kill was sent, on the same host. Prints every kill, then p50 and max. A benchmark: it asserts
# nothing; the goal (within 1 s, because the die event arrives on the event stream) is printed beside it.
#   tests/bench/latency.sh
set -u
KILLS=${BENCH_KILLS:-20}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
LOOKOUT=${LOOKOUT:-$top_srcdir/lookout}
ENGINE_SKIP_STATUS=77
. "$top_srcdir/tests/lib/engine.sh"
engine_require
engine_start
engine_image lookout-bench/busybox:latest >/dev/null
OUT=$(mktemp -d /tmp/lookout-latency.XXXXXX)
engine_on_cleanup "rm -rf '$OUT'"

for i in $(seq 1 "$KILLS"); do
	docker run -d --network none --name "victim$i" lookout-bench/busybox:latest sleep 100000000 >/dev/null
done
"$LOOKOUT" --daemon --interval 1 --down-for 0 --output-dir "$OUT" --status-every 0 --host "$DOCKER_HOST" \
	>/dev/null 2>&1 &
pid=$!
engine_on_cleanup "kill $pid 2>/dev/null"
for _ in $(seq 1 300); do
	rows=$(grep -c ',running,' "$OUT/metrics.csv" 2>/dev/null)
	[ "${rows:-0}" -ge $((KILLS * 2)) ] && break
	sleep 0.2
done

: >"$OUT/latencies"
for i in $(seq 1 "$KILLS"); do
	t0=$(date +%s.%N)
	docker kill "victim$i" >/dev/null
	line=
	for _ in $(seq 1 200); do
		line=$(grep -a "state=firing alert=container_down container=victim$i " "$OUT/container_alerts.log" | head -n 1)
		[ -n "$line" ] && break
		sleep 0.05
	done
	if [ -z "$line" ]; then
		echo "kill $i: no container_down line within 10 s"
		continue
	fi
	ts=$(sed -n 's/^ts=\([^ ]*\) .*/\1/p' <<<"$line")
	ms=$(/usr/bin/python3 -c '
import sys, datetime
ts = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
print(round((ts.timestamp() - float(sys.argv[2])) * 1000))' "$ts" "$t0")
	echo "kill $i: container_down logged $ms ms after the kill was sent"
	echo "$ms" >>"$OUT/latencies"
	sleep 0.3
done
kill -TERM "$pid"
wait "$pid" 2>/dev/null
sort -n "$OUT/latencies" | awk -v goal=1000 '{ v[NR] = $1 } END {
	if (NR == 0) { print "no kill was logged"; exit }
	p50 = v[int((NR + 1) / 2)]; max = v[NR]
	printf "docker kill -> alert log, %d kills: p50 %d ms, max %d ms (goal: within %d ms: %s)\n", NR, p50, max, goal,
		max <= goal ? "met" : "MISSED"
}'
