#!/bin/bash
# connect.sh — `lookout --connect URL`: the dashboard drawn from a running daemon's HTTP API (bearer token),
# driven through tmux against a private Docker engine. The viewer must show history the daemon collected before
# the viewer started (a container that ran and was stopped before it; the viewer's own log of the oldest point
# it received), two viewers at once, a wrong token and an absent daemon as one clear line and an exit status,
# the daemon stopped mid-session as "unreachable" with the last picture kept, and the recovery when it comes
# back on the same port. The log view says it is unavailable; the token shows in neither ps nor the log.
# Every wait polls with a generous deadline; nothing sleeps a fixed time to let things happen.
# Environment (set by make check): top_srcdir, top_builddir, LOOKOUT.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOOKOUT=${LOOKOUT:-$top_builddir/lookout}
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/lib/engine.sh"

export LC_ALL=C.UTF-8
engine_require
command -v tmux >/dev/null 2>&1 || engine_skip "tmux not installed (Debian package tmux)"
[ -x "$LOOKOUT" ] || bail "no lookout binary at $LOOKOUT (build it first)"
"$LOOKOUT" --help 2>&1 | grep -q -- '--listen' || engine_skip "lookout built without the HTTP server (libmicrohttpd)"

plan 21
IMAGE=lookout-test/busybox:latest
WORK=$(mktemp -d /tmp/lookout-connect-test.XXXXXX) || bail "mktemp failed"
DPID=
. "$top_srcdir/tests/lib/tmux.sh"
engine_on_cleanup tmux_cleanup
unset LOOKOUT_CONFIG NO_COLOR HTTP_TOKEN HTTP_TOKEN_FILE LOOKOUT_CONNECT LOOKOUT_CONNECT_TOKEN LOOKOUT_CONNECT_TOKEN_FILE
export LOOKOUT_CONFIG=/dev/null

engine_start
engine_image "$IMAGE"
run() { docker run -d --name "$1" --network none "${@:2}" >/dev/null || bail "docker run $1 failed"; }
run cn-web "$IMAGE" sleep 100000
run cn-gone "$IMAGE" sleep 100000

TOKEN=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
PORT=$(engine_free_port)
URL="http://127.0.0.1:$PORT"
start_daemon() {
	mkdir -p "$WORK/daemon"
	HTTP_TOKEN=$TOKEN "$LOOKOUT" --daemon --output-dir "$WORK/daemon" --interval 1 --status-every 0 \
		--listen "127.0.0.1:$PORT" </dev/null >>"$WORK/daemon/stdout" 2>&1 &
	DPID=$!
	poll_until "curl -sf -o /dev/null '$URL/healthz'" 30 0.1
}
stop_daemon() { kill -TERM "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; DPID=; }
api() { curl -sf --max-time 10 -H "Authorization: Bearer $TOKEN" "$URL$1"; }
# points NAME STATUS: how many points of that status the daemon's history of NAME holds now.
points() {
	api "/api/history.json?container=$1&window=1h" | "$PY" -c 'import json, sys
d = json.load(sys.stdin); print(sum(1 for p in d["containers"][0]["points"] if p["status"] == sys.argv[1]))' "$2" \
		2>/dev/null || echo 0
}

# ---- the daemon collects history before any viewer exists --------------------------------------------------
start_daemon || bail "the daemon's HTTP server did not come up"
poll_until "[ \$(points cn-gone up) -ge 5 ]" 60 0.3 || bail "the daemon collected no history of cn-gone"
docker stop -t 0 cn-gone >/dev/null || bail "docker stop failed"
poll_until "[ \$(points cn-gone down) -ge 3 ]" 60 0.3 || bail "the daemon saw no down points of cn-gone"
VSTART_MS=$(date +%s%3N)


# ---- the daemon's compact, incremental history (what each viewer polls) ---------------------------------------
# the whole hour, then only what is newer than its newest point: every point returned is after since_ms.
# cn-gone showed at least 5 up and 3 down points in the window=1h view above; that view may also hold one minute
# average (the first, partial minute, dated at its start, before the first tick) which the compact per-tick
# history does not carry. So each of the two containers has at least 7 per-tick points here.
compact() { "$PY" -c 'import json, sys
d = json.load(sys.stdin); assert d["format"] == "compact"
ts = [p[0] for c in d["containers"] for p in c["points"]]
since = int(sys.argv[1]); assert all(t > since for t in ts)
per = [len(c["points"]) for c in d["containers"]]
print(len(ts), max(ts) if ts else since, min(per) if len(per) == 2 else -1, "/".join(map(str, per)) or "-")' "$1"; }
read -r all_n newest least per < <(api "/api/history.json?since_ms=0" | compact 0)
read -r new_n _ < <(api "/api/history.json?since_ms=${newest:-0}" | compact "${newest:-0}")
if [ -n "$all_n" ] && [ -n "$new_n" ] && [ "${least:--1}" -ge 7 ] && [ "$new_n" -lt "$all_n" ]; then
	ok 0 "history.json?since_ms=: compact, only points after since_ms ($new_n after the newest of $all_n: $per)"
else ok 1 "history.json?since_ms=: compact, only points after since_ms (got '$new_n' of '$all_n', per container '$per')"; fi
st=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$URL/api/history.json?since_ms=soon")
is "$st" 400 "history.json?since_ms=soon: 400"

# ---- 1-6: a viewer (ASCII, 120x40) ---------------------------------------------------------------------------
tstart v1 120 40 "LOOKOUT_CONNECT_TOKEN=$TOKEN" -- --connect "$URL" --ascii
if wait_for v1 'cn-web' 30; then ok 0 "the viewer draws the daemon's containers"
else ok 1 "the viewer draws the daemon's containers"; show v1; fi
# cn-gone stopped before the viewer started: a dashboard with its own collector would hide it (already
# stopped when watching began) and have no timeline for it. The viewer lists it, with the running ('#') and
# the stopped ('_') cells the daemon recorded.
if wait_for v1 '^. cn-gone .*#.*_' 20; then ok 0 "a container stopped before the viewer started shows the daemon's up-then-down timeline"
else ok 1 "a container stopped before the viewer started shows the daemon's up-then-down timeline"; show v1; fi
oldest=$(screen_log v1 | sed -n 's/.*--connect: cn-gone: \([0-9]*\) points of history from the daemon, the oldest from \([^ ]*\).*/\1 \2/p' | head -n1)
# At least as many points as the daemon held for each container before the viewer started (check 1 counted
# them: 7 or more per container; the down points of cn-gone need not have grown since, if the viewer's first
# fetch came within the same second).
if [ -n "$oldest" ] && "$PY" - "$VSTART_MS" "${least:-7}" $oldest <<'PY'
import datetime, sys
start_ms, held, n, oldest = int(sys.argv[1]), max(int(sys.argv[2]), 7), int(sys.argv[3]), sys.argv[4]
t = datetime.datetime.fromisoformat(oldest.replace("Z", "+00:00")).timestamp() * 1000
print("# %d points (the daemon held %d before), the oldest %.1f s before the viewer started" % (n, held, (start_ms - t) / 1000))
sys.exit(0 if n >= held and t < start_ms - 1000 else 1)
PY
then ok 0 "the viewer's log: the history it received reaches back before its start"
else ok 1 "the viewer's log: the history it received reaches back before its start"; diag "$(screen_log v1 | tail -n 20)"; fi
if cap v1 | grep -q "via $URL"; then ok 0 "the header names the daemon"
else ok 1 "the header names the daemon"; show v1; fi
keys v1 Down; keys v1 Home; keys v1 l
if wait_for v1 'not available with --connect' 10; then ok 0 "l: the log view says it is unavailable with --connect"
else ok 1 "l: the log view says it is unavailable with --connect"; show v1; fi
keys v1 Escape
wait_gone v1 'not available with --connect' 10
vpid=$(pgrep -f -- "^$LOOKOUT --connect $URL --ascii" | head -n1)
if [ -n "$vpid" ] && ! tr '\0' ' ' <"/proc/$vpid/cmdline" | grep -qF "$TOKEN" && ! screen_log v1 | grep -qF "$TOKEN"; then
	ok 0 "the token shows in neither the viewer's command line nor its log"
else ok 1 "the token shows in neither the viewer's command line nor its log"; fi

# ---- 7-8: a second viewer at once (UTF-8, colour, 80x24), token from a file ---------------------------------
printf '%s\n' "$TOKEN" >"$WORK/token"
tstart v2 80 24 "LOOKOUT_CONNECT_TOKEN_FILE=$WORK/token" -- --connect "$URL/"
if wait_for v2 'cn-web' 30 && wait_for v1 'cn-web' 5; then ok 0 "two viewers at once both draw the daemon's containers"
else ok 1 "two viewers at once both draw the daemon's containers"; show v2; fi
if wait_for v2 '^. cn-gone ' 10; then ok 0 "the second viewer (80x24, UTF-8) shows cn-gone from the daemon's history"
else ok 1 "the second viewer (80x24, UTF-8) shows cn-gone from the daemon's history"; show v2; fi

# ---- 9-12: the daemon goes away and comes back on the same port ------------------------------------------------
stop_daemon
if wait_for v1 'daemon unreachable since' 20; then ok 0 "daemon stopped: the viewer says it is unreachable"
else ok 1 "daemon stopped: the viewer says it is unreachable"; show v1; fi
if cap v1 | grep -q 'cn-web'; then ok 0 "daemon stopped: the last picture stays on screen"
else ok 1 "daemon stopped: the last picture stays on screen"; show v1; fi
vpid1=$(pgrep -f -- "^$LOOKOUT --connect $URL --ascii" | head -n1)
[ -n "$vpid1" ] && [ "$vpid1" = "$vpid" ]
ok $? "daemon stopped: the viewer keeps running"
start_daemon || diag "the daemon did not come back"
if wait_gone v1 'daemon unreachable' 30 && wait_for v1 'cn-web' 5 && wait_gone v2 'daemon unreachable' 30; then
	ok 0 "daemon back on the same port: both viewers recover"
else ok 1 "daemon back on the same port: both viewers recover"; show v1; fi

# ---- 13-14: q quits cleanly ---------------------------------------------------------------------------------
keys v1 q
if wait_for v1 'LOOKOUT-EXIT=0' 20; then ok 0 "q quits the viewer with status 0"
else ok 1 "q quits the viewer with status 0"; show v1; fi
keys v2 q
wait_for v2 'LOOKOUT-EXIT=0' 20
ok $? "q quits the second viewer with status 0"

# ---- 15-17: a wrong token, no token -----------------------------------------------------------------------------
tstart bad 100 20 "LOOKOUT_CONNECT_TOKEN=wrong-token" -- --connect "$URL"
if wait_for bad 'LOOKOUT-EXIT=2' 30 && cap bad | grep -q 'LOOKOUT_CONNECT_TOKEN' && cap bad | grep -q '401'; then
	ok 0 "a wrong token: one message naming the token setting, exit status 2"
else ok 1 "a wrong token: one message naming the token setting, exit status 2"; show bad; fi
if ! cap bad | grep -q 'wrong-token'; then ok 0 "a wrong token is not echoed"
else ok 1 "a wrong token is not echoed"; show bad; fi
tstart none 100 20 -- --connect "$URL"
if wait_for none 'LOOKOUT-EXIT=2' 30 && cap none | grep -q 'LOOKOUT_CONNECT_TOKEN'; then
	ok 0 "no token: the same message and status"
else ok 1 "no token: the same message and status"; show none; fi

# ---- 18-19: nothing listening; not a lookout URL --------------------------------------------------------------
FREE=$(engine_free_port)
tstart gone 100 20 "LOOKOUT_CONNECT_TOKEN=$TOKEN" -- --connect "http://127.0.0.1:$FREE"
if wait_for gone 'LOOKOUT-EXIT=1' 30 && cap gone | grep -q 'cannot reach the lookout daemon'; then
	ok 0 "no daemon there: 'cannot reach the lookout daemon', exit status 1"
else ok 1 "no daemon there: 'cannot reach the lookout daemon', exit status 1"; show gone; fi
tstart badurl 100 20 -- --connect "ftp://127.0.0.1:$FREE"
if wait_for badurl 'LOOKOUT-EXIT=2' 30 && cap badurl | grep -q 'http://'; then
	ok 0 "not an http(s) URL: one message, exit status 2"
else ok 1 "not an http(s) URL: one message, exit status 2"; show badurl; fi

done_testing
