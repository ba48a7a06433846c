#!/bin/bash
# faults-signals.sh — SIGTERM, SIGINT, SIGHUP and SIGKILL at random moments while lookout --daemon writes
# (interval 0.2 s, several containers, alerts coming and going). After every signal: metrics.csv, the alert log
# and the alert state file are complete or end at a full line; after each restart the CSV and the alert log
# continue (one header, seq numbers never repeat).
# SIGKILL and alert state: a container down at kill time must neither alert again nor resolve as "removed"
# after the restart, and its episode still resolves once when it comes back (the daemon saves the rules'
# state right after each transition reaches the alert log; README "Faults").
# LOOKOUT_LONG=1: more rounds. Environment (set by make check): top_srcdir, top_builddir, LOOKOUT.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOOKOUT=${LOOKOUT:-$top_builddir/lookout}
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/lib/engine.sh"
once_per_tree faults-signals

engine_require
[ -x "$LOOKOUT" ] || bail "no lookout binary at $LOOKOUT (build it first)"

IMAGE=lookout-test/busybox:latest
NFIELDS=22
ROUNDS=${FAULT_ROUNDS:-8}
[ -n "${LOOKOUT_LONG:-}" ] && ROUNDS=60
plan $((ROUNDS + 10))

WORK=$(mktemp -d /tmp/lookout-fsig.XXXXXX) || bail "mktemp failed"
OUT=$WORK/out
LPID=
engine_on_cleanup '[ -n "$LPID" ] && kill -KILL "$LPID" 2>/dev/null; [ -n "$LPID" ] && wait "$LPID" 2>/dev/null'
engine_on_cleanup '[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"'

engine_start
engine_image "$IMAGE"
for i in 1 2 3 4; do
	docker run -d --name fs-$i --network none "$IMAGE" sleep 100000 >/dev/null || bail "docker run fs-$i failed"
done
# A container that dies and is restarted by the engine every 2 s: alerts fire and resolve all the time.
docker run -d --name fs-flap --restart always --network none "$IMAGE" sh -c 'sleep 2; exit 3' >/dev/null ||
	bail "docker run fs-flap failed"
DOWN=$(docker run -d --name fs-down --network none "$IMAGE" sleep 100000) || bail "docker run fs-down failed"

CSV=$OUT/metrics.csv ALOG=$OUT/container_alerts.log STATE=$OUT/.lookout-daemon.state LOG=$OUT/container_monitor.log
start() {
	"$LOOKOUT" --daemon --output-dir "$OUT" --interval 0.2 --status-every 0 --listen off \
		</dev/null >>"$WORK/stdout" 2>>"$WORK/stderr" &
	LPID=$!
}
show() {
	diag "--- stderr ---" "$(tail -n 10 "$WORK/stderr")" "--- log ---" "$(tail -n 15 "$LOG")"
	diag "--- alert log (tail) ---" "$(tail -n 6 "$ALOG")" "--- state ---" "$(cat "$STATE" 2>/dev/null)"
}
rows() { [ -s "$CSV" ] && csv_py "$CSV" 'print(len(rows))' || echo 0; }

# files_whole: every file complete or ending at a full line; CSV records with the header's field count and one
# header; alert log lines whole with seq never repeating; the state file whole (magic line, final newline).
files_whole() {
	"$PY" - "$CSV" "$ALOG" "$STATE" "$NFIELDS" <<'PY'
import os, re, sys
csvp, alog, state, nf = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
bad = []
if os.path.exists(csvp):
    data = open(csvp, "rb").read()
    if data and not data.endswith(b"\n"):
        bad.append("metrics.csv ends inside a line")
    lines = data.split(b"\n")[:-1]
    if lines and not lines[0].startswith(b"timestamp,"):
        bad.append("metrics.csv does not start with the header")
    if sum(1 for l in lines if l.startswith(b"timestamp,")) > 1:
        bad.append("metrics.csv has the header more than once")
    for l in lines[1:]:
        if l.count(b",") != nf - 1 or not re.match(rb"\d{4}-\d\d-\d\dT", l):
            bad.append("torn CSV line: %r" % l[:80]); break
if os.path.exists(alog):
    data = open(alog, "rb").read()
    if data and not data.endswith(b"\n"):
        bad.append("the alert log ends inside a line")
    seqs = []
    for l in data.split(b"\n")[:-1]:
        m = re.match(rb"ts=\S+ level=\S+ state=(firing|resolved) .* seq=(\d+) msg=", l)
        if not m:
            bad.append("torn alert log line: %r" % l[:80]); break
        seqs.append(int(m.group(2)))
    if len(seqs) != len(set(seqs)):
        bad.append("seq repeats in the alert log: %s" % seqs[-12:])
if os.path.exists(state):
    data = open(state, "rb").read()
    if not data.startswith(b"lookout-rules-state 1\n") or not data.endswith(b"\n"):
        bad.append("state file not whole: %r" % data[:60])
print("; ".join(bad))
sys.exit(1 if bad else 0)
PY
}

# ---- random signals while writing -----------------------------------------------------------------------------
mkdir -p "$OUT"
start
poll_until '[ "$(rows)" -ge 12 ]' 60 || { show; bail "no rows within 60 s"; }
sigs=(TERM INT HUP KILL)
declare -A seen
for r in $(seq "$ROUNDS"); do
	sig=${sigs[$(((r - 1) % 4))]}
	[ "$r" -gt 4 ] && sig=${sigs[$((RANDOM % 4))]}
	before=$(rows)
	# A random moment: 0 to 1.5 s into a run that writes 5 rows every 0.2 s (and alerts every 2 s).
	sleep "$((RANDOM % 16))e-1"
	kill -"$sig" "$LPID"
	if [ "$sig" = HUP ]; then
		# Not a stop: the daemon reopens its files and keeps writing.
		poll_until "[ \"\$(rows)\" -gt $before ] && grep -q 'reopened the log' \"$LOG\"" 30
		st=$?
		kill -0 "$LPID" 2>/dev/null || st=1
		out=$(files_whole)
		[ $? = 0 ] || st=1
		ok $st "round $r: SIGHUP: still writing, files whole${out:+ ($out)}"
		continue
	fi
	wait "$LPID" 2>/dev/null
	code=$?
	LPID=
	out=$(files_whole)
	st=$?
	want=0
	[ "$sig" = KILL ] && want=137
	[ "$code" = "$want" ] || { st=1; out="exit status $code, want $want; $out"; }
	ok $st "round $r: SIG$sig after $before rows: files whole${out:+ ($out)}"
	seen[$sig]=1
	start
	poll_until "[ \"\$(rows)\" -gt $before ]" 30 || { diag "round $r: no rows after the restart"; show; }
done

# ---- SIGKILL with a container down ------------------------------------------------------------------------------
docker kill fs-down >/dev/null
check "container_down for fs-down is in the alert log" poll_until \
	"grep -q 'state=firing alert=container_down .*container_id=$DOWN' \"$ALOG\"" 30
# The state file follows the alert log: wait until it knows, then kill at once.
poll_until "grep -q 'a=$DOWN kind=container_down firing=1' \"$STATE\"" 30
kill -KILL "$LPID"
wait "$LPID" 2>/dev/null
LPID=
LINES_AT_KILL=$(grep -c "container_id=$DOWN" "$ALOG")
before=$(rows)
T_RESTART=$(now_s)
start
poll_until "[ \"\$(rows)\" -gt $((before + 30)) ]" 30 # several ticks of the new process
check "after SIGKILL and restart: fs-down neither fires again nor resolves while it stays down" \
	test "$(grep -c "container_id=$DOWN" "$ALOG")" = "$LINES_AT_KILL"
check "after the restart fs-down is still shown, as exited (rows of the new process)" csv_py "$CSV" '
rs = [r for r in rows_for(args[0]) if ts(r["timestamp"]) > float(args[1])]
sys.exit(0 if rs and rs[-1]["state"] == "exited" else 1)' "$DOWN" "$T_RESTART"
docker start fs-down >/dev/null
check "when fs-down runs again its episode resolves, once" poll_until \
	"[ \"\$(grep -c 'state=resolved alert=container_down .*container_id=$DOWN' \"$ALOG\")\" = 1 ]" 30
kill -TERM "$LPID"
wait "$LPID" 2>/dev/null
LPID=
out=$(files_whole)
ok $? "at the end every file is whole and seq never repeated${out:+ ($out)}"
check "alerts kept coming and going during the rounds" test "$(grep -c 'alert=container_down .*container=fs-flap' "$ALOG")" -ge 4
check "the CSV continued across every restart: timestamps never go back" csv_py "$CSV" '
t = [ts(r["timestamp"]) for r in rows]
back = [i for i in range(1, len(t)) if t[i] < t[i - 1]]
print("%d rows" % len(rows))
sys.exit(1 if back else 0)'
check "the log says why each run stopped" test "$(grep -c 'stopping (SIG' "$LOG")" -ge 1
check "no restart claims alert transitions went missing" sh -c "! grep 'missing from the alert log' '$LOG'"
# Under the sanitizers any report lands here.
check "lookout wrote nothing to standard error in any run" test ! -s "$WORK/stderr"
[ "$TAP_FAILED" -gt 0 ] && show
done_testing
