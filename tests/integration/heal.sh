#!/bin/bash
# heal.sh — the engine fails to inspect a new container (an error, not "no such container"). The event stream is
# lookout's source and the whole list is fetched only every --list-interval (600 s here), so without more a
# container whose inspect failed would stay unwatched for ten minutes. lookout lists again soon after such a
# failure, backing off while inspects keep failing: a daemon whose engine fails a container's first two
# inspects must watch it within seconds; one whose engine never manages must not list in a loop. The engine
# sits behind tests/lib/engineflaky.py, which fails inspects and records every request.
# Environment (set by make check): top_srcdir, top_builddir, LOOKOUT.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOOKOUT=${LOOKOUT:-$top_builddir/lookout}
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/lib/engine.sh"

engine_require
[ -x "$LOOKOUT" ] || bail "no lookout binary at $LOOKOUT (build it first)"
once_per_tree heal any

IMAGE=lookout-test/busybox:latest
plan 5

WORK=$(mktemp -d /tmp/lookout-heal.XXXXXX) || bail "mktemp failed"
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

# Two proxies, two daemons: A's engine fails each container's first two inspects, B's fails them all.
for p in A:2 B:always; do
	name=${p%%:*}
	"$PY" "$top_srcdir/tests/lib/engineflaky.py" "$WORK/$name.sock" "$ENGINE_SOCK" "$WORK/$name.requests" \
		"${p#*:}" >"$WORK/$name.proxy" 2>&1 &
	PIDS+=($!)
	poll_until "grep -q ready '$WORK/$name.proxy'" 20 0.1 || bail "proxy $name did not start: $(cat "$WORK/$name.proxy")"
	mkdir -p "$WORK/$name"
	"$LOOKOUT" --daemon --output-dir "$WORK/$name" --interval 1 --status-every 0 --list-interval 600 \
		--docker-host "unix://$WORK/$name.sock" </dev/null >"$WORK/$name/stdout" 2>"$WORK/$name/stderr" &
	PIDS+=($!)
done
lists() { grep -c 'containers/json?all' "$WORK/$1.requests" 2>/dev/null; }
for name in A B; do
	poll_until "[ \"\$(lists $name)\" -ge 1 ]" 30 0.2 || bail "daemon $name never listed: $(tail -n 5 "$WORK/$name/stderr")"
done

T0=$(now_s)
CID=$(docker run -d --name heal-new --network none "$IMAGE" sleep 100000) || bail "docker run heal-new failed"
LISTS_B0=$(lists B)

watched() { [ -s "$WORK/A/metrics.csv" ] && grep -q ",$CID,heal-new,.*,running," "$WORK/A/metrics.csv"; }
if poll_until watched 120 0.2; then
	T1=$(now_s)
	ok 0 "a container whose first two inspects fail is watched $(awk -v a="$T1" -v b="$T0" 'BEGIN { printf "%.1f", a - b }') s after it started (list interval 600 s)"
else
	ok 1 "a container whose first two inspects fail is watched within 120 s (list interval 600 s)"
	diag "--- A requests ---" "$(tail -n 20 "$WORK/A.requests")" "--- A stderr ---" "$(tail -n 5 "$WORK/A/stderr")"
fi
# The container can be in the CSV from the list's data before an inspect has answered: wait for that answer.
poll_until "grep -q '^GET .*/containers/$CID/json' '$WORK/A.requests'" 60 0.2
FAILED_A=$(grep -c "^FAILED GET .*/containers/$CID/json" "$WORK/A.requests")
PASSED_A=$(grep -c "^GET .*/containers/$CID/json" "$WORK/A.requests")
[ "$FAILED_A" -ge 2 ] && [ "$PASSED_A" -ge 1 ]
ok $? "the engine really failed its inspects first: $FAILED_A failed, then $PASSED_A answered"

# Once every inspect has answered, A is back to its interval: no list for a while (from a second after that
# answer, so the list that carried it is counted before).
sleep 1
LISTS_A0=$(lists A)
sleep 12
LISTS_A1=$(lists A)
[ "$LISTS_A1" -eq "$LISTS_A0" ]
ok $? "after the heal, daemon A lists no more ($((LISTS_A1 - LISTS_A0)) lists in 12 s)"

# B's engine never answers the inspect: B keeps retrying by listing, less and less often (2, 4, 8, 16 s ...).
poll_until "[ \$(awk -v a=\"\$(now_s)\" -v b=\"$T0\" 'BEGIN { print (a - b >= 40) }') = 1 ]" 60 0.5
N_B=$(($(lists B) - LISTS_B0))
FAILED_B=$(grep -c "^FAILED GET .*/containers/$CID/json" "$WORK/B.requests")
diag "daemon B: $N_B lists and $FAILED_B failed inspects in the 40 s after the container started"
[ "$N_B" -ge 2 ]
ok $? "a daemon whose engine keeps failing the inspect keeps retrying ($N_B lists in 40 s)"
[ "$N_B" -le 8 ]
ok $? "and backs off instead of listing in a loop ($N_B lists in 40 s; every 2 s would be 20)"
done_testing
