#!/bin/bash
# badengine.sh — lookout against an engine that answers badly (tests/lib/enginepeer.py on a unix socket):
# malformed, truncated, huge (80 MB), wrong-typed and incomplete JSON, streams cut mid-object, no answer at all.
# `lookout check` must print one message and exit with its documented status within a deadline; the daemon and
# the dashboard (tmux) must keep going and stop cleanly. Hostile names, images, labels and health output that a
# real engine would refuse (escape sequences, CR/LF, invalid UTF-8, 4 KiB) must land neutralised on the terminal,
# in the CSV, the alert log, /metrics, the JSON endpoints and the page. Every request the peer saw is checked:
# only GET (HEAD for /_ping) — lookout never asks the engine to change anything.
# Environment (set by make check): top_srcdir, top_builddir, LOOKOUT.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOOKOUT=${LOOKOUT:-$top_builddir/lookout}
. "$top_srcdir/tests/integration/lib.sh"
once_per_tree badengine

[ -x /usr/bin/python3 ] || { echo "1..0 # SKIP /usr/bin/python3 not installed"; exit 0; }
command -v curl >/dev/null 2>&1 || { echo "1..0 # SKIP curl not installed"; exit 0; }
[ -x "$LOOKOUT" ] || bail "no lookout binary at $LOOKOUT (build it first)"
export LC_ALL=C.UTF-8
PEER="$top_srcdir/tests/lib/enginepeer.py"
W=$(mktemp -d /tmp/lookout-badengine.XXXXXX) || bail "mktemp failed"
PIDS=()
cleanup() {
	local p s
	for s in "$W"/tmux-*.sock; do [ -S "$s" ] && tmux -S "$s" kill-server 2>/dev/null; done
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
unset DOCKER_HOST LOOKOUT_CONFIG NO_COLOR
export LOOKOUT_CONFIG=/dev/null HOME="$W"

# start_peer NAME ARGS...: a peer on $W/NAME.sock recording into $W/NAME.req; its pid in PEER_PID.
start_peer() {
	local name=$1; shift
	/usr/bin/python3 "$PEER" --socket "$W/$name.sock" --requests "$W/$name.req" "$@" 2>>"$W/peer.err" &
	PEER_PID=$!
	PIDS+=("$PEER_PID")
	poll_until "[ -S '$W/$name.sock' ]" 20 0.05 || bail "enginepeer $name did not start"
}
stop_pid() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# ---- lookout check against one bad answer at a time ------------------------------------------------------
# A stalled engine first, in the background: check must give up on its own (request timeout) and say so.
start_peer stall --fault version=stall
STALL_PEER=$PEER_PID
t0=$SECONDS
timeout 60 "$LOOKOUT" check --host "unix://$W/stall.sock" --output-dir "$W/c-stall" >"$W/stall.out" 2>"$W/stall.err" &
STALL_CHECK=$!

# case ENDPOINT KIND WANT: WANT is the exit status ("3" engine unusable) or "any" (a documented one, 0-3).
cases=(
	"version badjson 3" "version truncated 3" "version huge 3" "version wrongtypes any" "version nullroot 3"
	"version deep 3" "version empty 3" "version http500 3" "version cut 3"
	"list badjson 3" "list truncated 3" "list huge 3" "list cut 3" "list deep 3" "list nullroot 3"
	"list wrongtypes any" "list missing any" "list empty 3" "list http500 3"
	"inspect badjson any"
)
# (other bad inspect and stats answers make check wait out its sampling deadline, ~25 s each: they are served
# to the daemon below, which asks for both all the time)
n=0
for c in "${cases[@]}"; do
	set -- $c
	n=$((n + 1))
	start_peer "c$n" --fault "$1=$2"
	timeout 45 "$LOOKOUT" check --source api --host "unix://$W/c$n.sock" --output-dir "$W/c$n" \
		>"$W/c$n.out" 2>"$W/c$n.err"
	st=$?
	stop_pid "$PEER_PID"
	lines=$(wc -l <"$W/c$n.err")
	# engine unusable: exactly one line; otherwise check may log a warning or two before its answer
	if [ "$3" = any ]; then good=$([ "$st" -le 3 ] && [ "$lines" -le 5 ] && echo y)
	else good=$([ "$st" = "$3" ] && [ "$lines" -eq 1 ] && echo y); fi
	if [ -n "$good" ] && ! grep -q $'\033' "$W/c$n.out" "$W/c$n.err"; then
		ok 0 "check, $1 answers $2: exit $st, $lines line(s) on stderr, no escape bytes"
	else
		ok 1 "check, $1 answers $2: exit $st (want $3), $lines line(s) on stderr"
		diag "$(head -c 400 "$W/c$n.err")"
	fi
	if [ "$3" = 3 ]; then
		grep -q '^LOOKOUT UNKNOWN - ' "$W/c$n.out"; ok $? "check, $1 answers $2: stdout says UNKNOWN and why"
	fi
done

# ---- the daemon against a peer that cycles through every kind of bad answer, on every endpoint -------------
start_peer cycle --cycle
CYCLE_PEER=$PEER_PID
HPORT=$(/usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$LOOKOUT" --daemon --source api --host "unix://$W/cycle.sock" --interval 0.5 --list-interval 1 \
	--output-dir "$W/d" --listen "127.0.0.1:$HPORT" --status-every 1 >"$W/d.out" 2>"$W/d.err" &
DPID=$!
PIDS+=("$DPID")
# ten kinds served on the list endpoint, the 80 MB and 30 MB answers among them (the rest, cut, null, deep and
# stall, are served to check above; under ASan on a busy machine a full round can take minutes)
count() { local n; n=$(grep -c "$1" "$2" 2>/dev/null); echo "${n:-0}"; }
# and the first kinds on the stats and events endpoints (cut, malformed, huge; the container comes and goes
# with the list's answers, and lookout backs off after failures, so these come more slowly)
if poll_until "[ \$(count containers/json '$W/cycle.req') -ge 10 ] && [ \$(count /stats '$W/cycle.req') -ge 6 ] &&
	[ \$(count /events '$W/cycle.req') -ge 4 ]" 150 0.5; then
	ok 0 "the daemon came back for the list, stats and events through ten kinds of bad answers"
else
	ok 1 "the daemon came back for the list, stats and events through ten kinds of bad answers"
	diag "list requests: $(count containers/json "$W/cycle.req"), stats: $(count /stats "$W/cycle.req"), events: $(count /events "$W/cycle.req")"
fi
kill -0 "$DPID" 2>/dev/null; ok $? "the daemon is still running"
curl -sf --max-time 10 "http://127.0.0.1:$HPORT/healthz" >/dev/null; ok $? "and its HTTP server answers"
grep -q 'not valid JSON\|larger than 64 MiB\|transfer closed' "$W/d/container_monitor.log"
ok $? "the log says what was wrong with the answers"
bad_rows=$(csv_field_counts "$W/d/metrics.csv" | sort -u | grep -vx 22)
is "$bad_rows" "" "metrics.csv: every record has its 22 fields"
t1=$SECONDS
kill -TERM "$DPID"
if poll_until "! kill -0 $DPID 2>/dev/null" 20 0.1; then
	wait "$DPID"; st=$?
	is "$st" 0 "SIGTERM during the bad answers: exit 0 (after $((SECONDS - t1)) s)"
else
	ok 1 "SIGTERM during the bad answers: the daemon did not stop within 20 s"
fi
stop_pid "$CYCLE_PEER"

# the stalled engine: check gave up by itself
if poll_until "! kill -0 $STALL_CHECK 2>/dev/null" 60 0.2; then
	wait "$STALL_CHECK"; st=$?
	is "$st" 3 "check, the engine never answers: exit 3 after $((SECONDS - t0)) s"
	grep -q 'did not answer in time' "$W/stall.err"; ok $? "check, the engine never answers: says it timed out"
else
	ok 1 "check, the engine never answers: still running after 60 s"
	ok 1 "check, the engine never answers: says it timed out"
fi
stop_pid "$STALL_PEER"

# ---- hostile names, images, labels and health output (a real engine refuses most of them) -----------------
start_peer hostile --hostile
HOSTILE_PEER=$PEER_PID
HPORT=$(/usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$LOOKOUT" --daemon --source api --host "unix://$W/hostile.sock" --interval 0.5 --output-dir "$W/h" \
	--listen "127.0.0.1:$HPORT" --status-every 1 --color always >"$W/h.out" 2>"$W/h.err" &
HPID=$!
PIDS+=("$HPID")
poll_until "[ -s '$W/h/container_alerts.log' ] && [ \$(wc -l <'$W/h/metrics.csv') -ge 4 ]" 60 0.2 ||
	diag "the hostile container never showed up"
for p in / /api/snapshot.json /api/alerts.json /api/history.json /metrics; do
	curl -s --max-time 10 "http://127.0.0.1:$HPORT$p" >"$W/h.http.$(echo "$p" | tr -c 'a-z\n' _)"
done
# raw bytes that would act on a terminal: ESC, CR outside CRLF pairs, BEL, C1 (U+0080..U+009F), invalid UTF-8
# (Python decodes strictly). The CSV may hold CR/LF inside a quoted field (RFC 4180): checked on its own.
scan() {
	/usr/bin/python3 - "$@" <<'PY'
import re, sys
bad = []
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    if not data:
        bad.append(path + ": empty")
        continue
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        bad.append("%s: invalid UTF-8 at %d" % (path, e.start))
        continue
    allowed_ctl = "\n\t" + ("\r" if path.endswith(".csv") else "")
    for i, ch in enumerate(text):
        o = ord(ch)
        if (o < 0x20 and ch not in allowed_ctl) or o == 0x7f or 0x80 <= o <= 0x9f:
            # the daemon's own colours on its status line are fine; anything else is not
            if path.endswith("h.out") and re.match(r"\x1b\[[0-9;]*m", text[i:i + 8]):
                continue
            bad.append("%s: U+%04X at %d: %r" % (path, o, i, text[max(0, i - 20):i + 20]))
            break
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
}
check "CSV, alert log, log, stdout and every HTTP answer hold no raw control bytes or invalid UTF-8" \
	scan "$W/h/metrics.csv" "$W/h/container_alerts.log" "$W/h/container_monitor.log" "$W/h.out" "$W"/h.http.*
check "metrics.csv: one record per tick for the hostile container, 22 fields each, the name quoted whole" \
	csv_py "$W/h/metrics.csv" '
r = [x for x in rows if x["container_id"].startswith("0123456789ab")]
print(len(rows), "rows;", repr(r[0]["name"][:60]) if r else "none")
sys.exit(0 if r and len(r) == len(rows) and all(len(x) == 22 and x["name"].startswith("evil") and "X-Injected" in x["name"] for x in r) else 1)'
check "the alert log: one line per transition, each a record for the hostile container" /usr/bin/python3 -c '
import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
print(len(lines), "lines")
sys.exit(0 if lines and all(l.startswith(b"ts=") and b"container=\"evil" in l and b" seq=" in l for l in lines) else 1)' \
	"$W/h/container_alerts.log"
check "snapshot.json: parses, and the hostile name comes back as text (script tag and all)" /usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
names = [c["name"] for c in j["containers"]]
print([n[:40] for n in names])
sys.exit(0 if any(n.startswith("evil") and "<script>" in n for n in names) else 1)' "$W/h.http._api_snapshot_json"
check "the page holds no raw <script>alert from the name" sh -c "! grep -q '<script>alert' '$W/h.http._'"
check "/metrics: the hostile name is one escaped label value (no line broken by it)" sh -c "
grep -q '^lookout_container_up{.*name=\"evil' '$W/h.http._metrics' &&
! grep -q '^X-Injected' '$W/h.http._metrics'"
kill -TERM "$HPID"; wait "$HPID"; is "$?" 0 "the daemon with the hostile container stops cleanly"

# The dashboard under tmux: first the hostile container (no escape reaches the pty), then the cycling peer.
if command -v tmux >/dev/null 2>&1; then
	tsock="$W/tmux-h.sock"
	tmux -S "$tsock" -f /dev/null new-session -d -s h -x 160 -y 40 \
		"env LANG=C.UTF-8 TERM=tmux-256color '$LOOKOUT' --source api --host unix://$W/hostile.sock --interval 0.5 --log-file '$W/tui.log'; echo lookout-exited-\$?; sleep 600" ||
		bail "tmux did not start"
	tmux -S "$tsock" pipe-pane -O -t h "cat >>'$W/pty.h'"
	if poll_until "tmux -S '$tsock' capture-pane -p -t h | grep -q 'evil'" 30 0.2; then
		ok 0 "dashboard: the hostile container is listed"
	else
		ok 1 "dashboard: the hostile container is listed"
		diag "$(tmux -S "$tsock" capture-pane -p -t h | head -20)"
	fi
	tmux -S "$tsock" send-keys -t h Enter # the detail view shows labels, image and health output
	poll_until "tmux -S '$tsock' capture-pane -p -t h | grep -qi 'label\|health'" 15 0.2
	tmux -S "$tsock" send-keys -t h Escape
	tmux -S "$tsock" send-keys -t h q
	poll_until "tmux -S '$tsock' capture-pane -p -t h | grep -q 'lookout-exited-'" 20 0.2
	check "dashboard: q exits 0 after showing the hostile container" sh -c \
		"tmux -S '$tsock' capture-pane -p -t h | grep -q 'lookout-exited-0'"
	check "dashboard: no byte from the name's escapes reached the pty (OSC 52, title, 2J, C1 CSI, BEL)" \
		/usr/bin/python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
bad = [s for s in (b"\x1b]52", b"\x1b]0;title", b"SGFja2Vk\x07", b"\xc2\x9b", b"\x9b31m", b"\xff\xfe") if s in d]
print(len(d), "bytes;", bad)
sys.exit(0 if d and not bad and d.count(b"\x1b[2J") <= 1 else 1)' "$W/pty.h"
	tmux -S "$tsock" kill-server 2>/dev/null

	start_peer tui --cycle
	TUI_PEER=$PEER_PID
	tsock="$W/tmux-c.sock"
	tmux -S "$tsock" -f /dev/null new-session -d -s c -x 120 -y 30 \
		"env LANG=C.UTF-8 TERM=tmux-256color '$LOOKOUT' --source api --host unix://$W/tui.sock --interval 0.5 --list-interval 1 --log-file '$W/tui-c.log'; echo lookout-exited-\$?; sleep 600" ||
		bail "tmux did not start"
	poll_until "[ \$(count containers/json '$W/tui.req') -ge 7 ]" 120 0.5
	ok $? "dashboard: kept asking through the first six kinds of bad answers (huge and 30 MB ones among them)"
	check "dashboard: still drawing" sh -c "tmux -S '$tsock' capture-pane -p -t c | grep -qv 'lookout-exited-'"
	tmux -S "$tsock" send-keys -t c q
	poll_until "tmux -S '$tsock' capture-pane -p -t c | grep -q 'lookout-exited-'" 20 0.2
	check "dashboard: q exits 0 while the answers are bad" sh -c \
		"tmux -S '$tsock' capture-pane -p -t c | grep -q 'lookout-exited-0'"
	tmux -S "$tsock" kill-server 2>/dev/null
	stop_pid "$TUI_PEER"
else
	skip "tmux not installed (Debian package tmux)"
fi
stop_pid "$HOSTILE_PEER"

# ---- read-only: every request any peer saw was a GET (HEAD allowed for /_ping) ----------------------------
cat "$W"/*.req >"$W/all.req"
total=$(wc -l <"$W/all.req")
others=$(grep -v '^GET /' "$W/all.req" | grep -v '^HEAD /_ping$')
is "$others" "" "only GET requests reached the engine ($total requests, none that changes anything)"
[ "$total" -gt 100 ]; ok $? "the peers saw enough requests to mean something ($total)"
[ -s "$W/peer.err" ] && diag "peer stderr: $(grep -v BrokenPipe "$W/peer.err" | grep -v '^ *File\|^Traceback\|^---\|^Exception\|^    ' | head -5)"
done_testing
