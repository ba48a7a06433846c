#!/usr/bin/env bash
# soak.sh — lookout --daemon (HTTP server and CSV on) watching SOAK_N containers of a private engine while they
# churn (one removed and a new one started every SOAK_CHURN_EVERY seconds) and a client reads the page, the
# JSON and /metrics, for SOAK_SECS. Every 10 s it samples the daemon's VmRSS and open descriptors
# (/proc/PID/status, /proc/PID/fd) into a CSV, then prints the curve (one line per minute) and a verdict:
#
#   memory flat:  RSS at the end minus RSS at the start of the last third, less what the history rings may
#                 still grow by in that time (8 bytes a point, one point per container and interval, until a
#                 ring holds its hour), is below SOAK_RSS_PCT % (default 5) of RSS at the start of the last
#                 third. Runs of an hour or more see the rings full; shorter ones get the allowance.
#   no fd growth: the most descriptors seen in the last third is at most the most seen in the first two
#                 thirds plus SOAK_FD_SLACK (default 2: a probe or API connection caught open).
#
# What a reader is sent grows with the history too: the page shows the last 15 minutes (1.5 MB at 6 minutes
# with 200 containers), /api/history.json?window=5m the last 5, and each of the server's threads keeps a
# malloc arena as large as the biggest answer it built. So the last third must start after 15 minutes for the
# verdict to mean "flat": SOAK_SECS of 1350 or more (a shorter run says so next to its verdict).
#
# Not part of make check or CI (`make soak`). Exit 0 when both hold, 1 when not, 77 when it cannot run.
# Environment: SOAK_N (200), SOAK_SECS (1800; any shorter time is fine, at least 90), SOAK_INTERVAL (2, the
# daemon's interval), SOAK_CHURN_EVERY (2 s), SOAK_OUT (directory kept with samples.csv and the daemon's
# files; default a temp dir removed at the end), LOOKOUT.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
LOOKOUT=${LOOKOUT:-$top_srcdir/lookout}
N=${SOAK_N:-200}
SECS=${SOAK_SECS:-1800}
INTERVAL=${SOAK_INTERVAL:-2}
CHURN_EVERY=${SOAK_CHURN_EVERY:-2}
RSS_PCT=${SOAK_RSS_PCT:-5}
FD_SLACK=${SOAK_FD_SLACK:-2}
ENGINE_SKIP_STATUS=77
. "$top_srcdir/tests/lib/engine.sh"
engine_require
[ -x "$LOOKOUT" ] || { echo "soak: no lookout binary at $LOOKOUT" >&2; exit 2; }
[ "$SECS" -ge 90 ] 2>/dev/null || { echo "soak: SOAK_SECS must be a whole number of seconds, at least 90" >&2; exit 2; }
[ "$N" -ge 1 ] 2>/dev/null || { echo "soak: SOAK_N must be a positive whole number" >&2; exit 2; }

if [ -n "${SOAK_OUT:-}" ]; then
	WORK=$SOAK_OUT
	mkdir -p "$WORK" || exit 2
else
	WORK=$(mktemp -d /tmp/lookout-soak.XXXXXX) || exit 2
fi
LPID= CHPID= CLPID=
stop_all() {
	local p
	for p in $CHPID $CLPID; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	[ -n "$LPID" ] && kill -TERM "$LPID" 2>/dev/null && wait "$LPID" 2>/dev/null
	LPID= CHPID= CLPID=
}
engine_on_cleanup stop_all
[ -z "${SOAK_OUT:-}" ] && engine_on_cleanup "rm -rf '$WORK'"
engine_start
IMAGE=lookout-soak/busybox:latest
engine_image "$IMAGE" >/dev/null

say() { printf '%s soak: %s\n' "$(date -u +%H:%M:%S)" "$*"; }
say "starting $N containers (engine $ENGINE_STORAGE)"
T0=$SECONDS
# run_one NAME: docker run, tried three times (runc can fail on a machine under heavy load).
run_one() {
	local t
	for t in 1 2 3; do
		docker run -d --network none --name "$1" "$IMAGE" sleep 100000000 >/dev/null 2>&1 && return 0
		docker rm -f "$1" >/dev/null 2>&1
		sleep 1
	done
	return 1
}
export -f run_one
export IMAGE
seq 1 "$N" | xargs -P 4 -I{} bash -c 'run_one soak-{}' ||
	{ echo "soak: docker run failed three times for some container" >&2; exit 1; }
say "$N containers up in $((SECONDS - T0)) s"

PORT=$(engine_free_port)
D=$WORK/daemon
mkdir -p "$D"
"$LOOKOUT" --daemon --output-dir "$D" --interval "$INTERVAL" --status-every 0 --listen "127.0.0.1:$PORT" \
	</dev/null >"$D/stdout" 2>"$D/stderr" &
LPID=$!

# Churn: remove a random soak container and start a new one, one every CHURN_EVERY seconds.
(
	trap 'exit 0' TERM
	i=$N
	while :; do
		i=$((i + 1))
		victim=$(docker ps -q --filter name=soak- | shuf -n 1)
		[ -n "$victim" ] && docker rm -f "$victim" >/dev/null 2>&1
		run_one "soak-$i"
		echo "$i" >"$WORK/churned"
		sleep "$CHURN_EVERY"
	done
) &
CHPID=$!
# A reader of every endpoint, as a browser and Prometheus would be.
(
	trap 'exit 0' TERM
	while :; do
		for p in / /api/snapshot.json /api/alerts.json /metrics "/api/history.json?window=5m" /healthz; do
			curl -s --max-time 20 -o /dev/null "http://127.0.0.1:$PORT$p"
		done
		sleep 5
	done
) &
CLPID=$!

S=$WORK/samples.csv
echo "t_s,rss_kb,fds,csv_bytes,churned,heap_kb,anon_kb" >"$S"
say "lookout pid $LPID on port $PORT; sampling every 10 s for $SECS s into $S"
START=$SECONDS
while [ $((SECONDS - START)) -le "$SECS" ]; do
	if ! kill -0 "$LPID" 2>/dev/null; then
		say "lookout exited early:"
		tail -n 5 "$D/stderr"
		exit 1
	fi
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$LPID/status" 2>/dev/null)
	fds=$(ls "/proc/$LPID/fd" 2>/dev/null | wc -l)
	bytes=$(stat -c %s "$D/metrics.csv" 2>/dev/null || echo 0)
	# Where the resident memory is: the main heap ([heap]) and the other anonymous mappings (thread arenas,
	# large allocations), to tell a leak from arena growth.
	mem=$(awk '/^[0-9a-f]+-[0-9a-f]+ / { kind = ($6 == "[heap]") ? "heap" : ($6 == "" ? "anon" : "other") }
		/^Rss:/ { r[kind] += $2 } END { printf "%d,%d", r["heap"], r["anon"] }' "/proc/$LPID/smaps" 2>/dev/null)
	echo "$((SECONDS - START)),$rss,$fds,$bytes,$(cat "$WORK/churned" 2>/dev/null || echo 0),${mem:-0,0}" >>"$S"
	sleep 10
done
stop_all

/usr/bin/python3 - "$S" "$N" "$INTERVAL" "$RSS_PCT" "$FD_SLACK" <<'PY'
import csv, sys
rows = [{k: int(v) for k, v in r.items()} for r in csv.DictReader(open(sys.argv[1]))]
n, interval, pct, slack = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
print("minute  t_s   rss_MiB  fds  metrics.csv_MiB  containers_started  heap_MiB  anon_MiB")
last_min = -1
for r in rows:
    if r["t_s"] // 60 != last_min or r is rows[-1]:
        last_min = r["t_s"] // 60
        print("%6d %5d %8.1f %4d %16.1f %19d %9.1f %9.1f" % (last_min, r["t_s"], r["rss_kb"] / 1024, r["fds"],
              r["csv_bytes"] / 1048576, r["churned"], r["heap_kb"] / 1024, r["anon_kb"] / 1024))
end = rows[-1]["t_s"]
third = [r for r in rows if r["t_s"] >= end * 2 / 3]
before = [r for r in rows if r["t_s"] < end * 2 / 3]
a, b = third[0], third[-1]
# What the history rings may still grow by in the last third: rings fill after an hour.
grow_s = max(0.0, min(b["t_s"], 3600) - min(a["t_s"], 3600))
allowance_kb = n * (grow_s / interval) * 8 / 1024
growth_kb = b["rss_kb"] - a["rss_kb"] - allowance_kb
limit_kb = a["rss_kb"] * pct / 100
fd_before, fd_third = max(r["fds"] for r in before), max(r["fds"] for r in third)
mem_ok = growth_kb < limit_kb
fd_ok = fd_third <= fd_before + slack
print("RSS over the last third (t=%d..%d s): %.1f -> %.1f MiB, history allowance %.2f MiB: growth %.2f MiB "
      "(%.2f %%), limit %.0f %%: %s" % (a["t_s"], b["t_s"], a["rss_kb"] / 1024, b["rss_kb"] / 1024, allowance_kb / 1024,
                                       growth_kb / 1024, 100 * growth_kb / a["rss_kb"], pct, "flat" if mem_ok else "GROWING"))
print("descriptors: at most %d in the first two thirds, %d in the last third (slack %d): %s"
      % (fd_before, fd_third, slack, "no growth" if fd_ok else "GROWING"))
if a["t_s"] < 900:
    print("note: the last third starts before the page's 15-minute window is full; RSS still grows with it "
          "(run SOAK_SECS=1350 or more for a meaningful memory verdict)")
print("verdict: %s" % ("PASS" if mem_ok and fd_ok else "FAIL"))
sys.exit(0 if mem_ok and fd_ok else 1)
PY
st=$?
# The CSV the daemon wrote stays whole: every line ends, the last one too.
if [ -s "$D/metrics.csv" ] && [ "$(tail -c 1 "$D/metrics.csv" | od -An -c | tr -d ' ')" != '\n' ]; then
	say "metrics.csv does not end at a full line"
	st=1
fi
say "the daemon logged $(grep -c -E '^[^ ]+ error ' "$D/container_monitor.log" 2>/dev/null) lines at error level"
exit $st
