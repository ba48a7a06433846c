#!/bin/bash
# faults-disk.sh — the output directory's disk fills up (a 1 MiB tmpfs, filled by a file) while lookout
# --daemon writes metrics.csv, the alert log and its own log there, and a container is killed meanwhile.
# Asserted: one clear error line per file (not one per row), on standard error when the log file, on the
# same full disk, has no room for it; no partial line anywhere; writing resumes when space returns; the alert that happened
# while the disk was full is in the alert log afterwards, exactly once.
# Needs root (mount). Environment (set by make check): top_srcdir, top_builddir, LOOKOUT.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOOKOUT=${LOOKOUT:-$top_builddir/lookout}
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/lib/engine.sh"
once_per_tree faults-disk

engine_require
[ -x "$LOOKOUT" ] || bail "no lookout binary at $LOOKOUT (build it first)"
command -v mount >/dev/null 2>&1 || engine_skip "no mount command"

IMAGE=lookout-test/busybox:latest
NFIELDS=22
plan 10

WORK=$(mktemp -d /tmp/lookout-fdisk.XXXXXX) || bail "mktemp failed"
OUT=$WORK/out
mkdir -p "$OUT"
mount -t tmpfs -o size=1m lookout-fdisk "$OUT" || { rm -rf "$WORK"; engine_skip "cannot mount a tmpfs"; }
LPID=
engine_on_cleanup '[ -n "$LPID" ] && kill -TERM "$LPID" 2>/dev/null; [ -n "$LPID" ] && wait "$LPID" 2>/dev/null'
engine_on_cleanup 'umount "$OUT" 2>/dev/null || umount -l "$OUT"; [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"'

engine_start
engine_image "$IMAGE"
for i in 1 2 3; do
	docker run -d --name fd-$i --network none "$IMAGE" sleep 100000 >/dev/null || bail "docker run fd-$i failed"
done
VICTIM=$(docker inspect -f '{{.Id}}' fd-3)

"$LOOKOUT" --daemon --output-dir "$OUT" --interval 0.5 --status-every 0 --listen off \
	</dev/null >"$WORK/stdout" 2>"$WORK/stderr" &
LPID=$!
CSV=$OUT/metrics.csv ALOG=$OUT/container_alerts.log LOG=$OUT/container_monitor.log
show() {
	diag "--- stderr ---" "$(tail -n 15 "$WORK/stderr")" "--- log ---" "$(tail -n 15 "$LOG")"
	diag "--- df ---" "$(df -k "$OUT" | tail -n 1)" "--- metrics.csv (tail) ---" "$(tail -n 3 "$CSV")"
}
rows() { csv_py "$CSV" 'print(len(rows))'; }

poll_until '[ -s "$CSV" ] && [ "$(rows)" -ge 9 ]' 60 || { show; bail "no rows within 60 s"; }

# Fill the disk: whole pages only, so the CSV's last page keeps a few hundred bytes and the next tick's write
# stops in the middle of a row (a real partial write, which lookout has to cut back).
dd if=/dev/zero of="$OUT/filler" bs=4096 2>/dev/null
# lookout's own log is on the full disk too: what did not fit there went to standard error.
said() { cat "$LOG" "$WORK/stderr" 2>/dev/null | grep -c -- "$1"; }
check "a clear error line about metrics.csv (in the log, or on standard error when the log is full)" \
	poll_until '[ "$(said "error writing $CSV: No space left on device")" -ge 1 ]' 30
docker kill fd-3 >/dev/null
check "the alert log's failure is reported too" poll_until \
	'[ "$(said "error cannot write to the alert log $ALOG: No space left on device")" -ge 1 ]' 30
T_FULL=$SECONDS
# Stay full for several ticks (the fault's length, not a wait for something to happen).
sleep 4
check "lookout keeps running on a full disk" kill -0 "$LPID"
n=$(said "writing $CSV: No space left on device")
check "the CSV failure is said once, not once per tick ($n lines in $((SECONDS - T_FULL + 1)) s)" test "$n" -eq 1
check "no partial row on the full disk: the file ends at a line end" \
	test "$(tail -c 1 "$CSV" | od -An -c | tr -d ' ')" = '\n'

ROWS_FULL=$(rows)
rm -f "$OUT/filler"
check "writing resumes when space returns" poll_until '[ "$(rows)" -gt "$ROWS_FULL" ]' 30
check "the recovery is logged" poll_until 'grep -q "metrics.csv is being written again" "$LOG"' 30
check "the container_down of the kill during the outage is in the alert log, once" poll_until \
	"[ \"\$(grep -c 'state=firing alert=container_down .*container_id=$VICTIM' \"$ALOG\")\" = 1 ]" 30

kill -TERM "$LPID"
wait "$LPID"
LPID=
bad=$(csv_field_counts "$CSV" | sort | uniq -c | grep -v " $NFIELDS\$")
check "every CSV record has the header's $NFIELDS fields${bad:+ (not: $bad)}" test -z "$bad"
# Every line of the alert log is a whole record: starts with ts= and ends with msg=...
check "every alert log line is whole" "$PY" - "$ALOG" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
ok = data.endswith(b"\n") and all(re.match(rb"ts=\S+ level=\S+ state=(firing|resolved) .* msg=", l)
                                    for l in data.split(b"\n")[:-1])
sys.exit(0 if ok else 1)
PY
[ "$TAP_FAILED" -gt 0 ] && show
done_testing
