#!/bin/bash
# multihost.sh — one `lookout --daemon` watching three private Docker engines on this machine: A on its unix
# socket, B ("beta": TLS with client certificates, reached through a docker CLI context) and C on plain tcp://,
# both over 127.0.0.1. Containers with the same name on two or three hosts
# stay distinct in the CSV, the alert log, /api/snapshot.json, /api/alerts.json and /metrics (which passes
# promtool); the engines get distinct host labels although two of them report the same host name; stopping C
# marks it unreachable within 2 s by the time lookout itself records (engines[].since_ms) while A's and B's
# containers keep being sampled; C comes back when restarted; B hung (SIGSTOP) is unreachable within 15 s
# and holds nobody up, and comes back on SIGCONT.
#
# The 2 s are measured against when C's dockerd ended: the last time the test saw the process alive is a lower
# bound of that moment, so since_ms minus it is an upper bound of lookout's delay (no timing luck: a slow
# machine can only make the bound looser).
# Environment (set by make check): top_srcdir, top_builddir, LOOKOUT.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOOKOUT=${LOOKOUT:-$top_builddir/lookout}
. "$top_srcdir/tests/integration/lib.sh"
once_per_tree multihost
. "$top_srcdir/tests/lib/engine.sh"

engine_require
[ -x "$LOOKOUT" ] || bail "no lookout binary at $LOOKOUT (build it first)"
if [ -f "$top_builddir/autoconfig.h" ] && ! grep -q '^#define HAVE_MHD 1' "$top_builddir/autoconfig.h"; then
	echo "1..0 # SKIP lookout was configured --without-httpd"
	exit 0
fi
PY=/usr/bin/python3
PROMTOOL=$(command -v promtool || true)
IMAGE=lookout-test/busybox:latest

WORK=$(mktemp -d /tmp/lookout-multi.XXXXXX) || bail "mktemp failed"
LPID=
stop_all() {
	[ -n "$LPID" ] && kill -TERM "$LPID" 2>/dev/null && wait "$LPID" 2>/dev/null
	LPID=
}
engine_on_cleanup stop_all
engine_on_cleanup '[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"'

plan 22

# ---- three engines, each with a "twin"; "doomed" on A and C --------------------------------------------
run() { docker run -d --stop-timeout 1 "$@" >/dev/null || bail "docker run $* failed"; }
engine_start
engine_image "$IMAGE"
A_URL="unix://$ENGINE_SOCK"
run --name twin "$IMAGE" sleep 100000
run --name doomed "$IMAGE" sleep 100000

engine_use b
engine_start --tls
engine_image "$IMAGE"
B_URL=$ENGINE_TLS_HOST
# B speaks only TLS with client certificates: lookout reaches it through a docker CLI context that carries
# them (the environment's DOCKER_TLS_VERIFY would apply to C's plain tcp:// too).
CTX_CONFIG=$WORK/dockercfg
DOCKER_CONFIG=$CTX_CONFIG docker context create beta --docker "host=$B_URL,ca=$ENGINE_CERT_PATH/ca.pem,cert=$ENGINE_CERT_PATH/cert.pem,key=$ENGINE_CERT_PATH/key.pem" \
	>/dev/null || bail "docker context create beta failed"
run --name twin "$IMAGE" sleep 100000
run --name lone-b "$IMAGE" sleep 100000

engine_use c
engine_start --tcp
engine_image "$IMAGE"
C_URL=$ENGINE_TCP_HOST
C_PORT=$ENGINE_TCP_PORT
run --restart always --name twin "$IMAGE" sleep 100000
run --name doomed "$IMAGE" sleep 100000

D=$WORK/out
HPORT=$(engine_free_port)
BASE="http://127.0.0.1:$HPORT"
DOCKER_CONFIG=$CTX_CONFIG "$LOOKOUT" --daemon --output-dir "$D" --interval 0.5 --list-interval 2 --status-every 0 \
	--listen "127.0.0.1:$HPORT" --host "$A_URL" --host "$C_URL" --context beta \
	>"$WORK/lookout.out" 2>&1 &
LPID=$!

# snap_py CODE [ARGS]: CODE runs with `s`, /api/snapshot.json parsed, and `by(name)` -> that name's containers.
snap_py() {
	local code=$1; shift
	curl -sf --max-time 10 "$BASE/api/snapshot.json" >"$WORK/snap.json" 2>/dev/null || return 1
	"$PY" - "$WORK/snap.json" "$@" <<PYEOF
import json, sys
s = json.load(open(sys.argv[1]))
args = sys.argv[2:]
def by(name): return [c for c in s.get("containers", []) if c["name"] == name]
$code
PYEOF
}

# 1. three engines up, with three distinct, non-empty labels; the named one is "beta"
all_up() {
	snap_py 'e = s.get("engines", [])
sys.exit(0 if len(e) == 3 and all(x["up"] for x in e) and len(by("twin")) == 3 and
         all(c["cpu_pct"] is not None for c in by("twin")) else 1)'
}
poll_until all_up 120 0.5
ok $? "the three engines are up and the three twins have numbers"
snap_py 'e = s["engines"]; names = [x["name"] for x in e]; print("# engines:", names, [x["endpoint"] for x in e])
sys.exit(0 if len(set(names)) == 3 and all(names) and names[2] == "beta" else 1)'
ok $? "engines[] holds three distinct host labels in configured order (--host A, --host C, then the TLS context beta)"
snap_py 'e = s["engines"]; a, c = e[0]["name"], e[1]["name"]
# A and C run on this machine: they report the same host name, so one of them carries its address too.
print("# A:", a, "C:", c); sys.exit(0 if a.split("@")[0] == c.split("@")[0] and ("@" in a) != ("@" in c) else 1)'
ok $? "two engines reporting the same host name get distinct labels (NAME and NAME@ADDRESS)"
snap_py 'hosts = sorted(c["host"] for c in by("twin")); print("# twin hosts:", hosts)
sys.exit(0 if sorted(x["name"] for x in s["engines"]) == hosts and by("lone-b")[0]["host"] == "beta" else 1)'
ok $? "snapshot.json: each twin carries its own engine's host; lone-b is on beta"
HOST_A=$(snap_py 'print(s["engines"][0]["name"])')
HOST_C=$(snap_py 'print(s["engines"][1]["name"])')

# 2. CSV: three twins, three hosts
twin_rows() { csv_py "$D/metrics.csv" 'sys.exit(0 if len({r["host"] for r in rows if r["name"] == "twin"}) == 3 else 1)'; }
poll_until twin_rows 60 0.5
ok $? "metrics.csv: rows of twin under three distinct hosts"

# 3. the same name dies on two hosts: two container_down alerts, one per host, in the log and alerts.json
engine_use default
docker kill doomed >/dev/null
engine_use c
docker kill doomed >/dev/null
poll_until '[ "$(grep -c "alert=container_down.*container=doomed" "$D/container_alerts.log" 2>/dev/null)" -ge 2 ]' 60 0.5
check "container_alerts.log: container_down of doomed on A and on C, each with its host" "$PY" - \
	"$D/container_alerts.log" "$HOST_A" "$HOST_C" <<'PY'
import re, sys
lines = [l for l in open(sys.argv[1]) if "alert=container_down" in l and "container=doomed" in l]
def host(l):
    m = re.search(r' host=("(?:[^"\\]|\\.)*"|\S+)', l)
    return m.group(1).strip('"') if m else None
hosts = sorted(host(l) for l in lines)
print("# hosts:", hosts)
sys.exit(0 if hosts == sorted([sys.argv[2], sys.argv[3]]) else 1)
PY
curl -sf "$BASE/api/alerts.json" >"$WORK/alerts.json"
check "alerts.json: doomed fires on both hosts" "$PY" - "$WORK/alerts.json" "$HOST_A" "$HOST_C" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
f = sorted(x["host"] for x in a["firing"] if x["container"] == "doomed" and x["alert"] == "container_down")
print("# firing on:", f)
sys.exit(0 if f == sorted(sys.argv[2:4]) else 1)
PY

# 4. /metrics: a host label per container series, lookout_engine_up per engine, valid exposition
curl -sf "$BASE/metrics" >"$WORK/metrics.txt"
check "/metrics: lookout_container_up of twin under three hosts" sh -c \
	"[ \"\$(grep '^lookout_container_up{.*name=\"twin\"' '$WORK/metrics.txt' | grep -o 'host=\"[^\"]*\"' | sort -u | wc -l)\" = 3 ]"
check "/metrics: lookout_engine_up{host=...} 1 for each engine, beta among them" sh -c \
	"[ \"\$(grep -c '^lookout_engine_up{host=\".*\"} 1\$' '$WORK/metrics.txt')\" = 3 ] &&
	grep -q '^lookout_engine_up{host=\"beta\"} 1\$' '$WORK/metrics.txt' &&
	grep -q '^lookout_container_alert_firing{.*name=\"doomed\".*host=\"' '$WORK/metrics.txt'"
if [ -n "$PROMTOOL" ]; then
	check "/metrics passes promtool check metrics" sh -c "'$PROMTOOL' check metrics <'$WORK/metrics.txt' 2>&1 |
		grep -v 'counter metrics should have \"_total\" suffix\|no help text\|non-histogram and non-summary metrics should not have' |
		{ ! grep -q .; }"
else
	skip "promtool not installed (Debian package prometheus)"
fi

curl -sf "$BASE/" >"$WORK/page.html"
check "the live page tags each twin with its host (three rows, three hosts)" "$PY" - "$WORK/page.html" <<'PY'
import sys
from html.parser import HTMLParser
rows = []
class P(HTMLParser):
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and a.get("data-name") == "twin":
            rows.append(a.get("data-host"))
P(convert_charrefs=True).feed(open(sys.argv[1], encoding="utf-8").read())
print("# twin rows:", rows)
sys.exit(0 if len(rows) == 3 and len(set(rows)) == 3 and all(rows) else 1)
PY

# 5. C stops: unreachable within 2 s of when it stopped, while A and B keep being sampled. "Stopped" is when
# the dockerd process ended: while it shuts down it still reports its containers' deaths on the event stream,
# and lookout counts an engine reachable while that stream is open (README). The last time the process was
# seen alive is a lower bound of its end, so since_ms minus it is an upper bound of lookout's delay.
engine_use c
CPID=$ENGINE_PID
c_alive() { local st; st=$(awk '{ print $3 }' "/proc/$CPID/stat" 2>/dev/null); [ -n "$st" ] && [ "$st" != Z ]; }
T_HALT=$(date +%s%3N)
kill -TERM "$CPID"
LAST_ALIVE=$T_HALT
deadline=$((SECONDS + 90))
while c_alive && [ $SECONDS -lt $deadline ]; do LAST_ALIVE=$(date +%s%3N); sleep 0.05; done
wait "$CPID" 2>/dev/null
engine_halt
c_down() { snap_py 'sys.exit(0 if not s["engines"][1]["up"] else 1)'; }
poll_until c_down 60 0.2
ok $? "snapshot.json: engine C is unreachable after it was stopped"
SINCE=$(snap_py 'print(int(s["engines"][1]["since_ms"] or 0))')
diag "SIGTERM at $T_HALT, dockerd last seen alive at $LAST_ALIVE, lookout marked C down at $SINCE"
ok $([ "$SINCE" -ge "$T_HALT" ] && [ $((SINCE - LAST_ALIVE)) -le 2000 ]; echo $?) \
	"C marked unreachable within 2 s of its dockerd ending ($((SINCE - LAST_ALIVE)) ms)"
# lookout check over the three: UNKNOWN (exit 3), naming the engine that is down.
DOCKER_CONFIG=$CTX_CONFIG timeout 90 "$LOOKOUT" check --output-dir "$WORK/chk" --interval 0.5 --host "$A_URL" --host "$C_URL" \
	--context beta >"$WORK/check.out" 2>&1
st=$?
ok $([ "$st" = 3 ] && grep -q "Docker engine $C_URL unreachable" "$WORK/check.out"; echo $?) \
	"lookout check: exit 3 naming the unreachable engine (status $st: $(head -c 200 "$WORK/check.out"))"
# The others go on: A's and B's twins get samples taken well after C went down, with numbers.
late_rows() {
	csv_py "$D/metrics.csv" 'since, a = float(args[0]) / 1000, args[1]
late = {r["host"] for r in rows if r["name"] == "twin" and (ts(r["timestamp"]) or 0) > since + 3 and
        num(r["cpu_pct"]) is not None}
sys.exit(0 if {a, "beta"} <= late else 1)' "$SINCE" "$HOST_A"
}
check "the CSV keeps getting rows with numbers for A's and B's twins after C went down" poll_until late_rows 60 0.5
check "snapshot.json: A and B still up, their twins measured, the tick after C went down" snap_py '
import datetime
t = datetime.datetime.strptime(s["tick_time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
e = s["engines"]
tw = {c["host"]: c for c in by("twin")}
sys.exit(0 if e[0]["up"] and e[2]["up"] and t.timestamp() * 1000 > int(args[0]) and
         tw[e[0]["name"]]["cpu_pct"] is not None and tw["beta"]["cpu_pct"] is not None else 1)' "$SINCE"

# 6. C comes back
engine_restart
c_back() {
	snap_py 'sys.exit(0 if s["engines"][1]["up"] and s["engines"][1]["name"] == args[0] and
         [c for c in by("twin") if c["host"] == args[0] and c["state"] == "running"] else 1)' "$HOST_C"
}
poll_until c_back 120 0.5
ok $? "after a restart C is up again, its label unchanged, and its twin running"

# 6b. beta hangs (its dockerd stopped with SIGSTOP: connections are accepted, nothing answers, the event
# stream stays open and silent). It is unreachable after its pings fail for 5 s (each gives up after 2.5 s),
# by lookout's own since_ms; the others are never held up by it; SIGCONT brings it back.
engine_use b
BPID=$ENGINE_PID
T_STOP=$(date +%s%3N)
kill -STOP "$BPID"
b_down() { snap_py 'sys.exit(0 if not s["engines"][2]["up"] else 1)'; }
poll_until b_down 60 0.2
st=$?
B_SINCE=$(snap_py 'print(int(s["engines"][2]["since_ms"] or 0))')
ok $([ $st = 0 ] && [ "$B_SINCE" -ge "$T_STOP" ] && [ $((B_SINCE - T_STOP)) -le 15000 ]; echo $?) \
	"a hung engine (SIGSTOP) is unreachable $((B_SINCE - T_STOP)) ms after it stopped answering (at most 15 s)"
late_a() {
	csv_py "$D/metrics.csv" 'since, a = float(args[0]) / 1000, args[1]
sys.exit(0 if sum(1 for r in rows if r["host"] == a and r["name"] == "twin" and (ts(r["timestamp"]) or 0) > since + 1
                  and num(r["cpu_pct"]) is not None) >= 4 else 1)' "$B_SINCE" "$HOST_A"
}
check "while beta hangs, A's twin keeps getting rows with numbers" poll_until late_a 60 0.5
kill -CONT "$BPID"
b_back() { snap_py 'sys.exit(0 if s["engines"][2]["up"] and [c for c in by("lone-b") if c["cpu_pct"] is not None] else 1)'; }
check "after SIGCONT beta is up again and lone-b measured" poll_until b_back 90 0.5

# 7. a bad --host and a duplicate NAME: one line, exit 2
timeout 30 "$LOOKOUT" --daemon --output-dir "$WORK/bad" --host "x=$A_URL" --host "x=$B_URL" >"$WORK/bad.out" 2>&1
st=$?
ok $([ "$st" = 2 ] && [ "$(wc -l <"$WORK/bad.out")" = 1 ] && grep -q 'given twice' "$WORK/bad.out"; echo $?) \
	"a duplicate NAME is refused on one line with exit 2: $(head -c 200 "$WORK/bad.out")"
kill -TERM "$LPID"
wait "$LPID"
st=$?
LPID=
ok $([ "$st" = 0 ] && ! grep -q 'runtime error\|Sanitizer\|Segmentation' "$WORK/lookout.out"; echo $?) \
	"SIGTERM: the daemon exits 0 with nothing on stderr like a sanitizer report (status $st)"
stop_all
done_testing
