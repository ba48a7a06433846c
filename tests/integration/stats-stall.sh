#!/bin/bash
# stats-stall.sh — the engine's stats stream goes quiet while the engine itself keeps answering (a stalled
# connection, an overloaded dockerd). A daemon on the stats API (--source api) keeps a container's last numbers
# for a stream that is merely late, then writes no numbers rather than the old ones repeated as if measured, all
# while the engine stays up and the container running; the numbers come back when the stream flows again.
# The engine sits behind tests/lib/enginestall.py, which holds the stats connections' bytes on SIGUSR1 and lets
# them through on SIGUSR2; pings, lists, events and inspects pass throughout.
# Environment (set by make check): top_srcdir, top_builddir, LOOKOUT.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOOKOUT=${LOOKOUT:-$top_builddir/lookout}
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/lib/engine.sh"

engine_require
[ -x "$LOOKOUT" ] || bail "no lookout binary at $LOOKOUT (build it first)"
once_per_tree stats-stall any

IMAGE=lookout-test/busybox:latest
plan 6

WORK=$(mktemp -d /tmp/lookout-stall.XXXXXX) || bail "mktemp failed"
PIDS=()
stop_all() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	PIDS=()
}
engine_on_cleanup stop_all
engine_on_cleanup '[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"'

engine_start
engine_image "$IMAGE"
CID=$(docker run -d --name ss-one --network none "$IMAGE" sleep 100000) || bail "docker run ss-one failed"

"$PY" "$top_srcdir/tests/lib/enginestall.py" "$WORK/proxy.sock" "$ENGINE_SOCK" >"$WORK/proxy.out" 2>&1 &
PROXY=$!
PIDS+=("$PROXY")
poll_until 'grep -q ready "$WORK/proxy.out"' 20 0.1 || bail "the stalling proxy did not start: $(cat "$WORK/proxy.out")"

D=$WORK/daemon
mkdir -p "$D"
CSV=$D/metrics.csv
"$LOOKOUT" --daemon --output-dir "$D" --interval 1 --status-every 0 --source api \
	--docker-host "unix://$WORK/proxy.sock" </dev/null >"$D/stdout" 2>"$D/stderr" &
PIDS+=($!)
show() {
	diag "--- container_monitor.log (tail) ---" "$(tail -n 15 "$D/container_monitor.log" 2>/dev/null)"
	diag "--- metrics.csv (tail) ---" "$(tail -n 8 "$CSV" 2>/dev/null)"
	diag "--- stderr ---" "$(tail -n 5 "$D/stderr" 2>/dev/null)"
}

# numbered_since T: the container has a row stamped after epoch T with CPU and memory.
numbered_since() {
	[ -s "$CSV" ] && csv_py "$CSV" '
t = float(args[1])
sys.exit(0 if any((ts(r["timestamp"]) or 0) > t and r["cpu_pct"] and r["mem_used_bytes"]
                  for r in rows_for(args[0])) else 1)' "$CID" "$1"
}
if poll_until 'numbered_since 0' 60 0.3; then
	ok 0 "through the proxy, the stats API gives the container CPU and memory"
else
	ok 1 "through the proxy, the stats API gives the container CPU and memory"
	show
	bail "no numbers to stall"
fi

# Stall right after a row with numbers, so that the stream delivered shortly before.
poll_until 'numbered_since "$(awk -v t="$(now_s)" "BEGIN { printf \"%.3f\", t - 1.5 }")"' 30 0.2
T_STALL=$(now_s)
kill -USR1 "$PROXY"
diag "stats stalled at $T_STALL"

# The first row after the stall without numbers: it must come, while the container is running and up.
blank_after() {
	csv_py "$CSV" '
t = float(args[1])
for r in rows_for(args[0]):
    if (ts(r["timestamp"]) or 0) > t and not r["mem_used_bytes"] and not r["cpu_pct"]:
        print(ts(r["timestamp"]), r["state"], r["up"]); sys.exit(0)
sys.exit(1)' "$CID" "$1"
}
if poll_until 'blank_after "$T_STALL" >/dev/null' 30 0.3; then
	read -r T_BLANK STATE UP <<<"$(blank_after "$T_STALL")"
	DELAY=$(awk -v a="$T_BLANK" -v b="$T_STALL" 'BEGIN { printf "%.1f", a - b }')
	diag "first row without numbers ${DELAY} s after the stall (state $STATE, up $UP)"
	awk -v d="$DELAY" 'BEGIN { exit !(d <= 10) }'
	ok $? "the numbers are dropped within 10 s of the stream going quiet (after ${DELAY} s)"
	[ "$STATE" = running ] && [ "$UP" = 1 ]
	ok $? "meanwhile the container is still running and up (the engine answers): $STATE, up=$UP"
else
	ok 1 "the numbers are dropped within 10 s of the stream going quiet"
	ok 1 "meanwhile the container is still running and up"
	show
fi

# A stream merely late keeps its last numbers: rows after the stall and before the blank one still have them.
check "a late stream's last numbers are kept for a few ticks first" csv_py "$CSV" '
t0, t1 = float(args[1]), float(args[2] or 0)
kept = [r for r in rows_for(args[0]) if t0 < (ts(r["timestamp"]) or 0) < t1 and r["mem_used_bytes"]]
print("%d rows with numbers between the stall and the first without" % len(kept))
sys.exit(0 if kept else 1)' "$CID" "$T_STALL" "${T_BLANK:-}"

check "the engine is never said to be unreachable" bash -c '! grep -i "unreachable" "$1"' _ "$D/container_monitor.log"

T_FLOW=$(now_s)
kill -USR2 "$PROXY"
if poll_until 'numbered_since "$T_FLOW"' 60 0.3; then
	ok 0 "the numbers come back once the stream flows again"
else
	ok 1 "the numbers come back once the stream flows again"
	show
fi
done_testing
