#!/bin/bash
# tui-multihost.sh — the dashboard live over two private Docker engines (issue 10): "alpha" on its unix socket
# and "gamma" on plain tcp:// over 127.0.0.1, each running a container called twin. Driven through tmux:
# a header row per host with its reachability and its own containers under it, the same name twice and
# distinct, `H` cycling the host filter, `l` reading log lines from the container's own engine, gamma's
# dockerd stopped (the header and gamma's row say unreachable, gamma's numbers go, alpha's rows keep
# changing, the daemon's CSV agrees) and restarted, 80x24 ASCII without colour, 200x60, resizes, and
# `--connect` to a daemon watching both engines drawing the same hosts.
#
# Every wait polls capture-pane with a generous deadline; nothing sleeps a fixed time to let things happen.
# Environment (set by make check): top_srcdir, top_builddir, LOOKOUT.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOOKOUT=${LOOKOUT:-$top_builddir/lookout}
. "$top_srcdir/tests/integration/lib.sh"
once_per_tree tui-multihost
. "$top_srcdir/tests/lib/engine.sh"

export LC_ALL=C.UTF-8 # the screen is matched as UTF-8 text
engine_require
command -v tmux >/dev/null 2>&1 || engine_skip "tmux not installed (Debian package tmux)"
[ -x "$LOOKOUT" ] || bail "no lookout binary at $LOOKOUT (build it first)"
HTTPD=1
"$LOOKOUT" --help 2>&1 | grep -q -- '--listen' || HTTPD=

plan 19
IMAGE=lookout-test/busybox:latest
WORK=$(mktemp -d /tmp/lookout-tui-multi.XXXXXX) || bail "mktemp failed"
DPID=
. "$top_srcdir/tests/lib/tmux.sh"
engine_on_cleanup tmux_cleanup
unset LOOKOUT_CONFIG NO_COLOR LOOKOUT_HOSTS LOOKOUT_CONTEXT DOCKER_CONTEXT HTTP_TOKEN HTTP_TOKEN_FILE
export LOOKOUT_CONFIG=/dev/null

# ---- two engines; twin on both, one container only on each ----------------------------------------------
run() { docker run -d --network none --name "$1" "${@:2}" >/dev/null || bail "docker run $1 failed"; }
engine_start
engine_image "$IMAGE"
A_URL="unix://$ENGINE_SOCK"
run twin --cpus 0.2 "$IMAGE" sh -c 'echo hello-from-alpha-twin; while :; do :; done'
run only-alpha "$IMAGE" sleep 100000

engine_use gamma
engine_start --tcp
engine_image "$IMAGE"
C_URL=$ENGINE_TCP_HOST
run twin "$IMAGE" sh -c 'echo hello-from-gamma-twin; exec sleep 100000'
run only-gamma "$IMAGE" sleep 100000

HOSTS=(--host "alpha=$A_URL" --host "gamma=$C_URL")
TMUX_LOOKOUT_ARGS=(--interval 0.5)

# lines NAME: the screen, one line per row, in a file for the python checks.
lines() { cap "$1" >"$WORK/screen.$1"; printf '%s' "$WORK/screen.$1"; }
# under NAME: "host container" for each container row, by the host header row above it.
under() {
	"$PY" - "$(lines "$1")" <<'PY'
import re, sys
host = None
for l in open(sys.argv[1], encoding="utf-8").read().splitlines():
    m = re.match(r"^\s*\S+ (alpha|gamma)  \d+ containers?", l)
    if m:
        host = m.group(1)
        continue
    m = re.match(r"^. (twin|only-alpha|only-gamma) ", l)
    if m and host:
        print(host, m.group(1))
PY
}

# ---- the main session, 120x40, UTF-8, colour ---------------------------------------------------------
tstart main 120 40 -- "${HOSTS[@]}"
if wait_for main '2 engines up' 60 && wait_for main '^. only-gamma ' 30 && wait_for main '^. only-alpha ' 30; then
	ok 0 "the header says 2 engines up and both engines' containers are listed"
else ok 1 "the header says 2 engines up and both engines' containers are listed"; show main; fi
got=$(under main | sort | tr '\n' ',')
if [ "$got" = "alpha only-alpha,alpha twin,gamma only-gamma,gamma twin," ]; then
	ok 0 "each container sits under its own host's header row; twin twice, once per host"
else ok 1 "each container sits under its own host's header row; twin twice, once per host (got '$got')"; show main; fi
if wait_for main 'alpha  2 containers .*up, docker [0-9]' 10 && wait_for main 'gamma  2 containers .*up, docker [0-9]' 10; then
	ok 0 "each host row shows its reachability and the engine's version"
else ok 1 "each host row shows its reachability and the engine's version"; show main; fi
# twin on alpha spins at 0.2 CPU, twin on gamma sleeps: the two rows carry their own numbers, read from the
# CPU column (between the title's CPU and MEM). `twin_cpu down`: gamma's twin shows no number at all.
twin_cpu() {
	"$PY" - "$(lines main)" "${1:-up}" <<'PY'
import re, sys
rows = open(sys.argv[1], encoding="utf-8").read().splitlines()
title = next((l for l in rows if "NAME" in l and " CPU " in l and " MEM " in l), None)
if title is None:
    sys.exit(1)
a, b = title.index(" CPU ") + 1, title.index(" MEM ")
host, cpu = None, {}
for l in rows:
    m = re.match(r"^\s*\S+ (alpha|gamma)  \d+ containers?", l)
    if m:
        host = m.group(1)
    if re.match(r"^. twin ", l) and host:
        m = re.search(r"(\d+(?:\.\d+)?)%", l[a:b])
        cpu[host] = float(m.group(1)) if m else None
print("# twin CPU by host:", cpu)
if sys.argv[2] == "down":
    gamma_ok = "gamma" in cpu and cpu["gamma"] is None
else:
    gamma_ok = cpu.get("gamma") is not None and cpu["gamma"] < 5
sys.exit(0 if (cpu.get("alpha") or 0) >= 10 and gamma_ok else 1)
PY
}
poll_until twin_cpu 30 0.3
ok $? "the two twins show their own CPU: the spinning one on alpha, the idle one on gamma"

# ---- H cycles the host filter: alpha, gamma, all ---------------------------------------------------
keys main H
if wait_for main 'host alpha of 2 engines' 10 && wait_gone main '^. only-gamma ' 10 && [ "$(under main | sort | tr '\n' ,)" = "alpha only-alpha,alpha twin," ]; then
	ok 0 "H: only alpha's containers, and the header says which host"
else ok 1 "H: only alpha's containers, and the header says which host"; show main; fi
keys main H
if wait_for main 'host gamma of 2 engines' 10 && wait_gone main '^. only-alpha ' 10 && [ "$(under main | sort | tr '\n' ,)" = "gamma only-gamma,gamma twin," ]; then
	ok 0 "H again: only gamma's containers"
else ok 1 "H again: only gamma's containers"; show main; fi
keys main H
if wait_for main '^. only-alpha ' 10 && wait_for main '^. only-gamma ' 10 && ! cap main | grep -q 'host .* of 2 engines'; then
	ok 0 "H a third time: every host again"
else ok 1 "H a third time: every host again"; show main; fi

# l on gamma's twin (the last row): its log lines come from gamma's engine, not the first one.
keys main End
keys main l
if wait_for main 'logs of twin' 10 && wait_for main 'hello-from-gamma-twin' 15 && ! cap main | grep -q 'hello-from-alpha-twin'; then
	ok 0 "l on gamma's twin shows the log lines gamma's engine has for it"
else ok 1 "l on gamma's twin shows the log lines gamma's engine has for it"; show main; fi
keys main Escape
wait_gone main 'logs of' 10
keys main Home

# ---- a daemon watching both: its CSV during the outage, and --connect -------------------------------------
mkdir -p "$WORK/daemon"
LISTEN=(--listen off)
if [ -n "$HTTPD" ]; then
	PORT=$(engine_free_port)
	URL="http://127.0.0.1:$PORT"
	LISTEN=(--listen "127.0.0.1:$PORT")
fi
"$LOOKOUT" --daemon --output-dir "$WORK/daemon" --interval 0.5 --status-every 0 "${LISTEN[@]}" "${HOSTS[@]}" \
	</dev/null >"$WORK/daemon/stdout" 2>&1 &
DPID=$!
if [ -n "$HTTPD" ]; then
	poll_until "curl -sf -o /dev/null '$URL/healthz'" 30 0.1 || diag "the daemon's HTTP server did not come up"
	tstart viewer 120 40 -- --connect "$URL"
	if wait_for viewer '2 engines up' 60 && wait_for viewer '^. only-gamma ' 30 &&
		[ "$(under viewer | sort | tr '\n' ,)" = "alpha only-alpha,alpha twin,gamma only-gamma,gamma twin," ]; then
		ok 0 "--connect to a daemon over both engines: the same host rows and containers"
	else ok 1 "--connect to a daemon over both engines: the same host rows and containers"; show viewer; fi
else
	skip "lookout built without the HTTP server (libmicrohttpd)"
fi

# Before the outage the daemon has numbers for gamma's twin, so their absence later means something.
gamma_measured() {
	csv_py "$WORK/daemon/metrics.csv" 'sys.exit(0 if any(r["host"] == "gamma" and r["name"] == "twin" and
	num(r["cpu_pct"]) is not None for r in rows) else 1)'
}
poll_until gamma_measured 60 0.3 || diag "the daemon has no numbers for gamma's twin before the outage"

# ---- gamma's dockerd stops ---------------------------------------------------------------------------
engine_use gamma
kill -TERM "$ENGINE_PID"
poll_until "! kill -0 $ENGINE_PID 2>/dev/null" 90 0.05
T_DEAD=$(date +%s.%N) # gamma's dockerd has ended (an upper bound of when)
engine_halt
if wait_for main '2 engines, 1 unreachable: .*gamma \(since [0-9:]+' 60; then
	ok 0 "gamma stopped: the header says 2 engines, 1 unreachable, naming gamma and since when"
else ok 1 "gamma stopped: the header says 2 engines, 1 unreachable, naming gamma and since when"; show main; fi
if wait_for main 'gamma  [0-9]+ containers? .*unreachable since [0-9:]+' 10 && wait_for main 'alpha  2 containers .*up, docker' 5; then
	ok 0 "gamma's host row says unreachable since when; alpha's still says up"
else ok 1 "gamma's host row says unreachable since when; alpha's still says up"; show main; fi
# alpha keeps being sampled: the header clock moves on and alpha's twin still shows its CPU.
clock() { cap main | head -n1 | grep -Eo '[0-9]{2}:[0-9]{2}:[0-9]{2} *$' | tr -d ' '; }
c0=$(clock)
if poll_until '[ "$(clock)" != "$c0" ] && [ -n "$(clock)" ]' 20 0.2 && poll_until 'twin_cpu down' 20 0.3; then
	ok 0 "while gamma is down the screen keeps updating: alpha's twin measured, gamma's without numbers ($c0 -> $(clock))"
else ok 1 "while gamma is down the screen keeps updating: alpha's twin measured, gamma's without numbers"; show main; fi
# The daemon's CSV: its rows for gamma's containers keep their last state but carry no numbers once gamma's
# dockerd has ended (streams opened before may deliver while it shuts down; a stream gone quiet is no
# measurement), while alpha's twin keeps getting them. 3 s of slack: a tick, and the 1.5 s a quiet stream of an
# unreachable engine is trusted.
csv_outage() {
	csv_py "$WORK/daemon/metrics.csv" 'dead = float(args[0]) + 3
g = [r for r in rows if r["host"] == "gamma" and (ts(r["timestamp"]) or 0) > dead]
a = [r for r in rows if r["host"] == "alpha" and r["name"] == "twin" and (ts(r["timestamp"]) or 0) > dead]
numbered = [r for r in g if any(num(r[k]) is not None for k in ("cpu_pct", "mem_used_bytes", "mem_pct"))]
if len(a) >= 4:
    print("# later than 3 s after dockerd ended:", len(g), "gamma rows,", len(numbered), "with numbers;", len(a),
          "alpha twin rows")
    sys.exit(0 if g and not numbered and all(num(r["cpu_pct"]) is not None for r in a) else 2)
sys.exit(1)' "$T_DEAD"
}
poll_until 'csv_outage; [ $? != 1 ]' 60 0.5
if csv_outage >/dev/null; then
	ok 0 "the daemon's CSV: gamma's rows have no numbers once it is unreachable; alpha's twin is still measured"
else ok 1 "the daemon's CSV: gamma's rows have no numbers once it is unreachable; alpha's twin is still measured"
	diag "$(grep -a unreachable "$WORK/daemon/container_monitor.log")" "$(grep -a ',gamma,' "$WORK/daemon/metrics.csv" | tail -n 4)"
fi
if [ -n "$HTTPD" ]; then
	if wait_for viewer '2 engines, 1 unreachable: .*gamma' 60; then ok 0 "the --connect viewer shows gamma unreachable too"
	else ok 1 "the --connect viewer shows gamma unreachable too"; show viewer; fi
else
	skip "lookout built without the HTTP server (libmicrohttpd)"
fi

# ---- sizes, ASCII without colour, resizes (gamma still down) ------------------------------------------
tstart plain 80 24 NO_COLOR=1 LANG=C LC_ALL=C -- "${HOSTS[@]}" --ascii
if wait_for plain '2 engines, 1 unreachable' 60 && wait_for plain 'alpha  2 containers' 10 &&
	wait_for plain 'gamma  .*unreachable since' 10; then
	cap plain >"$WORK/plain.txt"
	if LC_ALL=C grep -q '[^ -~]' "$WORK/plain.txt" || [ "$(awk '{ if (length($0) > 80) n++ } END { print n + 0 }' "$WORK/plain.txt")" != 0 ] ||
		grep -aq $'\e\\[[0-9;]*3[0-7]m\|\e\\[38;' "$WORK/stream.plain"; then
		ok 1 "80x24, ASCII, NO_COLOR: host rows and the unreachable engine, printable ASCII only, no colour"; show plain
	else ok 0 "80x24, ASCII, NO_COLOR: host rows and the unreachable engine, printable ASCII only, no colour"; fi
else ok 1 "80x24, ASCII, NO_COLOR: host rows and the unreachable engine, printable ASCII only, no colour"; show plain; fi
resize main 200 60
if wait_for main 'alpha  2 containers' 10 && wait_for main 'gamma  .*unreachable since' 10 && wait_for main '^. only-alpha ' 10; then
	ok 0 "200x60: host rows and containers after the resize"
else ok 1 "200x60: host rows and containers after the resize"; show main; fi
resize main 80 24
if wait_for main '2 engines, 1 unreachable' 10 && wait_for main 'alpha  2 containers' 10 && wait_for main '^. only-alpha ' 10; then
	ok 0 "80x24 after 200x60: the header and host rows still there"
else ok 1 "80x24 after 200x60: the header and host rows still there"; show main; fi

# ---- gamma comes back; q ends cleanly -----------------------------------------------------------------
engine_restart
if wait_for main '2 engines up' 90 && wait_for main '^. only-gamma ' 30; then
	ok 0 "gamma restarted: 2 engines up again, its containers back under it"
else ok 1 "gamma restarted: 2 engines up again, its containers back under it"; show main; fi
keys main q
if wait_for main 'LOOKOUT-EXIT=0' 20 && ! grep -aq 'runtime error\|Sanitizer' "$WORK/stream.main"; then
	ok 0 "q: exit 0, nothing like a sanitizer report on the screen"
else ok 1 "q: exit 0, nothing like a sanitizer report on the screen"; show main; fi
done_testing
