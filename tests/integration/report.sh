#!/bin/bash
# report.sh — `lookout report` on a crafted metrics.csv and alert log (availability and every interval worked
# out by hand below), its HTML report loaded in headless Chromium, and contrib/monitor_container.sh: report,
# monitor and live (in tmux) against a private Docker engine, cron, and usage for anything else.
# Environment (set by make check): top_srcdir, top_builddir, LOOKOUT.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOOKOUT=${LOOKOUT:-$top_builddir/lookout}
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/lib/engine.sh"

[ -x "$LOOKOUT" ] || bail "no lookout binary at $LOOKOUT (build it first)"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
MC=$top_srcdir/contrib/monitor_container.sh
export LOOKOUT_BIN=$LOOKOUT
XSS='<img src=x onerror=alert(1)>'

WORK=$(mktemp -d /tmp/lookout-report-test.XXXXXX) || bail "mktemp failed"
cleanup_work() { [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"; }
trap cleanup_work EXIT

# ---- the crafted CSV --------------------------------------------------------------------------------
# api, every 5 s from 2026-11-24T05:00:00Z (t in seconds):
#   0 up (resp 100)  5 up (200)  10 exited  15 exited  20 exited  25 up (300)  30 up (400)
#   -- no records for 30 s (> 3 x 5 s) --  60 running/unhealthy  65 running/unhealthy  70 up (500)  75 up (1000)
# Gaps 5 5 5 5 5 5 30 5 5 5 5: median 5 s. Time: up [0,10) [25,30) [70,75) = 20 s; down [10,25) = 15 s;
# unhealthy [60,70) = 10 s; unknown [30,60) = 30 s. Availability 20 / 45 = 44.444 %.
# Intervals: down 05:00:10 to 05:00:25 (15 s, up again); unknown 05:00:30 to 05:01:00 (30 s);
# unhealthy 05:01:00 to 05:01:10 (10 s, up again). Response p50 = 3rd of 6 = 300, p95 = p99 = 6th = 1000.
# The hostile name gets one row. The alert log: api container_down firing once, resolved once.
D=$WORK/data/logs
mkdir -p "$D"
{
	echo 'timestamp,host,container_id,name,image,state,health,up,cpu_pct,cpu_limit_pct,mem_used_bytes,mem_limit_bytes,mem_pct,net_rx_bps,net_tx_bps,blk_read_bps,blk_write_bps,pids,restarts,response_ms,http_status,state_since'
	row() { printf '2026-11-24T05:%s.000Z,h,0123456789abcdef,%s,img:1,%s,,%s,%s,,1048576,2097152,50.00,,,,,1,0,%s,,\n' "$@"; }
	row 00:00 api running 1 1.00 100
	row 00:05 api running 1 2.00 200
	row 00:10 api exited 0 '' ''
	row 00:15 api exited 0 '' ''
	row 00:20 api exited 0 '' ''
	row 00:25 api running 1 3.00 300
	row 00:30 api running 1 4.00 400
	row 01:00 api running 0 5.00 ''
	row 01:05 api running 0 6.00 ''
	row 01:10 api running 1 7.00 500
	row 01:15 api running 1 8.00 1000
	row 01:15 "\"$XSS\"" running 1 1.00 ''
} >"$D/metrics.csv"
cat >"$D/container_alerts.log" <<'EOF'
ts=2026-11-24T05:00:10.100Z level=critical state=firing alert=container_down container=api container_id=0123456789abcdef value=1 since=2026-11-24T05:00:10.000Z seq=1 msg="not running"
ts=2026-11-24T05:00:25.100Z level=critical state=resolved alert=container_down container=api container_id=0123456789abcdef since=2026-11-24T05:00:10.000Z seq=2 msg="running again"
EOF

cd "$WORK/data" || bail "cd failed"
"$LOOKOUT" report --html "$WORK/r.html" >"$WORK/out.txt" 2>"$WORK/err.txt"
is "$?" 0 "lookout report exits 0"
has_line() { grep -qxF -- "$2" "$1" || { diag "missing line: $2" "--- output ---" "$(cat "$1")"; return 1; }; }
check "availability of api: 44.444 % (20 s up of 45 s known)" has_line "$WORK/out.txt" "  availability   44.444 %"
check "time of api: up 20 s, down 15 s, unhealthy 10 s, unknown 30 s" has_line "$WORK/out.txt" \
	"  time           up 20s (20.000 s), down 15s (15.000 s), unhealthy 10s (10.000 s), unknown 30s (30.000 s)"
check "down from the first record not up (05:00:10) to the next up (05:00:25): 15 s" has_line "$WORK/out.txt" \
	"    down       2026-11-24T05:00:10.000Z  2026-11-24T05:00:25.000Z  15s (15.000 s)  up again"
check "the 30 s gap (> 3 x 5 s) is listed as unknown" has_line "$WORK/out.txt" \
	"    unknown    2026-11-24T05:00:30.000Z  2026-11-24T05:01:00.000Z  30s (30.000 s)  no records"
check "unhealthy from 05:01:00 to 05:01:10: 10 s" has_line "$WORK/out.txt" \
	"    unhealthy  2026-11-24T05:01:00.000Z  2026-11-24T05:01:10.000Z  10s (10.000 s)  up again"
check "two downtime intervals counted" has_line "$WORK/out.txt" "  downtime       2 intervals"
check "response p50 300, p95 1000, p99 1000 (exact, of 6 answers)" has_line "$WORK/out.txt" \
	"  response ms    p50 300  p95 1000  p99 1000  (6 answers)"
check "CPU avg 4.50, p95 8.00, max 8.00" has_line "$WORK/out.txt" "  cpu %          avg 4.50  p95 8.00  max 8.00  (8 samples)"
check "alert counts by kind: container_down 1 (resolved lines not counted)" has_line "$WORK/out.txt" \
	"  alerts         container_down 1"
check "the hostile name is printed as plain text (no escape bytes)" sh -c "grep -qF -- '$XSS' '$WORK/out.txt' && ! grep -q \$'\\033' '$WORK/out.txt'"

"$LOOKOUT" report --since 2026-11-24T05:00:12Z --until 2026-11-24T05:00:40Z --container api --html none >"$WORK/w.txt"
check "--since/--until (ISO 8601) and --container: down from the window's first record, 33.333 %" sh -c "
grep -qxF '  availability   33.333 %' '$WORK/w.txt' &&
grep -qxF '    down       2026-11-24T05:00:15.000Z  2026-11-24T05:00:25.000Z  10s (10.000 s)  up again' '$WORK/w.txt' &&
! grep -qF 'onerror' '$WORK/w.txt'"
[ -s "$WORK/w.txt" ] && diag "$(head -12 "$WORK/w.txt")"
"$LOOKOUT" report --since -1h --html none >"$WORK/rel.txt"
check "--since -1h (relative): the old rows are outside the window" grep -q 'no rows in the window' "$WORK/rel.txt"
"$LOOKOUT" report --since 'last tuesday' >/dev/null 2>"$WORK/bad.txt"
is "$?" 2 "a bad --since: exit 2"
check "a bad --since: one line naming the value" sh -c "[ \$(wc -l <'$WORK/bad.txt') = 1 ] && grep -q 'last tuesday' '$WORK/bad.txt'"
"$LOOKOUT" report -o "$WORK/nowhere" >/dev/null 2>"$WORK/missing.txt"
is "$?" 1 "no metrics.csv: exit 1"
check "the default HTML file is logs/report.html" sh -c "'$LOOKOUT' report >/dev/null && [ -s logs/report.html ]"

# ---- the HTML report in Chromium --------------------------------------------------------------------
chromium_run() {
	local prof st
	prof=$(mktemp -d "$WORK/chrome.XXXXXX")
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync --disable-dev-shm-usage \
		--user-data-dir="$prof" "$@" 2>>"$WORK/chromium.err"
	st=$?
	rm -rf "$prof"
	return $st
}
if [ -n "$CHROMIUM" ]; then
	chromium_run --virtual-time-budget=2000 --dump-dom "file://$WORK/r.html" >"$WORK/r.dom"
	check "Chromium renders the HTML report: api's row says 44.444 %, its card lists down, unknown and unhealthy" \
		/usr/bin/python3 - "$WORK/r.dom" "$XSS" <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.imgs = 0; s.kinds = []; s.card = None; s.row = None; s.rows = {}; s.svgs = 0; s.text = ""
    def handle_starttag(s, tag, a):
        a = dict(a)
        if tag == "img": s.imgs += 1
        if tag == "svg": s.svgs += 1
        if tag == "section" and "card" in (a.get("class") or ""): s.card = a.get("data-name")
        if tag == "tr" and a.get("data-name"): s.row = a["data-name"]; s.rows[s.row] = ""
        if tag == "li" and a.get("data-kind") and s.card == "api": s.kinds.append(a["data-kind"])
    def handle_endtag(s, tag):
        if tag == "tr": s.row = None
    def handle_data(s, d):
        s.text += d
        if s.row: s.rows[s.row] += d
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
print(p.kinds, p.rows.get("api"), "img elements:", p.imgs, "svg:", p.svgs)
ok = p.kinds == ["down", "unknown", "unhealthy"] and "44.444 %" in (p.rows.get("api") or "") \
    and p.imgs == 0 and sys.argv[2] in p.rows and p.svgs >= 6
sys.exit(0 if ok else 1)
PY
	chromium_run --screenshot="$WORK/r.png" --window-size=1280,1400 "file://$WORK/r.html" >/dev/null
	check "Chromium: a screenshot of the HTML report is a PNG of some substance" sh -c "
[ \$(stat -c %s '$WORK/r.png' 2>/dev/null || echo 0) -gt 20000 ]"
	[ -n "${SCREENSHOT_OUT:-}" ] && cp "$WORK/r.png" "$SCREENSHOT_OUT"
else
	skip "chromium not installed"
	skip "chromium not installed"
fi

# ---- monitor_container.sh ---------------------------------------------------------------------------
"$MC" report --html none >"$WORK/mc.txt" 2>&1
check "monitor_container.sh report: the same summary as lookout report" sh -c "
grep -qxF '  availability   44.444 %' '$WORK/mc.txt'"
(cd "$WORK/data" && "$top_srcdir/monitor_container.sh" report --html none >"$WORK/link.txt" 2>&1)
check "the link at the top of the tree works (./monitor_container.sh report)" grep -qxF '  availability   44.444 %' "$WORK/link.txt"
"$MC" frobnicate >"$WORK/u.out" 2>"$WORK/u.err"
is "$?" 2 "an unknown verb: exit 2"
check "an unknown verb: usage on stderr naming live, monitor and report" sh -c "
grep -q \"unknown command 'frobnicate'\" '$WORK/u.err' && grep -q 'live|monitor|report' '$WORK/u.err' && [ ! -s '$WORK/u.out' ]"
"$MC" >/dev/null 2>&1
is "$?" 2 "no verb: exit 2"
check "cron prints the crontab line: every 10 minutes, monitor, appending to logs/cron_monitor.log" sh -c "
'$MC' cron | grep -Eq '^\\*/10 \\* \\* \\* \\* cd .* monitor >>logs/cron_monitor.log 2>&1\$'"
LOOKOUT_BIN=/nonexistent/lookout "$MC" report >/dev/null 2>"$WORK/nobin.txt"
is "$?" 2 "LOOKOUT_BIN not executable: exit 2"
check "… with a line saying so" grep -q 'LOOKOUT_BIN=/nonexistent/lookout is not an executable' "$WORK/nobin.txt"
LOOKOUT_BIN=/nonexistent/lookout "$MC" monitor >/dev/null 2>&1
is "$?" 3 "LOOKOUT_BIN not executable under monitor (lookout check for cron): exit 3, unknown"
mkdir -p "$WORK/50%off"
(cd "$WORK/50%off" && "$MC" cron) >"$WORK/cron.txt"
check "cron escapes a % in the directory (cron would read it as a newline)" grep -qF "50\\%off" "$WORK/cron.txt"

# monitor and live need a Docker engine.
if [ "$(id -u)" != 0 ] || ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
	for i in 1 2 3 4; do skip "monitor/live need root and docker.io for a private engine"; done
	done_testing
	exit 0
fi
ENGINE_SKIP_STATUS=0
engine_require
engine_start
engine_on_cleanup cleanup_work
engine_image lookout-test/busybox:latest
docker run -d --name rp-web --network none lookout-test/busybox:latest sleep 100000 >/dev/null || bail "docker run failed"
M=$WORK/mon
mkdir -p "$M"
(cd "$M" && "$MC" monitor >"$M/out.txt" 2>&1)
st=$?
ok $([ "$st" -le 2 ] && echo 0 || echo 1) "monitor_container.sh monitor runs lookout check (exit $st: 0-2, not unknown)"
diag "$(head -5 "$M/out.txt")"
check "monitor appended rp-web's row to logs/metrics.csv" csv_py "$M/logs/metrics.csv" '
sys.exit(0 if any(r["name"] == "rp-web" and r["up"] == "1" for r in rows) else 1)'

if command -v tmux >/dev/null 2>&1; then
	SOCK=$WORK/tmux.sock
	engine_on_cleanup "tmux -S '$SOCK' kill-server 2>/dev/null"
	tmux -S "$SOCK" -f /dev/null new-session -d -x 120 -y 40 \
		"cd '$M' && env LANG=C.UTF-8 TERM=tmux-256color LOOKOUT_BIN='$LOOKOUT' DOCKER_HOST='$DOCKER_HOST' '$MC' live --log-file '$M/live.log'; echo EXITED \$?; sleep 30"
	if poll_until "tmux -S '$SOCK' capture-pane -p | grep -q 'rp-web'" 60 0.3; then
		ok 0 "monitor_container.sh live: the dashboard shows rp-web in tmux"
	else
		ok 1 "monitor_container.sh live: the dashboard shows rp-web in tmux"
		diag "$(tmux -S "$SOCK" capture-pane -p 2>/dev/null | head -20)"
	fi
	tmux -S "$SOCK" send-keys q
	if poll_until "tmux -S '$SOCK' capture-pane -p | grep -q 'EXITED 0'" 30 0.3; then
		ok 0 "… and q quits it with status 0"
	else
		ok 1 "… and q quits it with status 0"
		diag "$(tmux -S "$SOCK" capture-pane -p 2>/dev/null | tail -5)"
	fi
	tmux -S "$SOCK" kill-server 2>/dev/null
else
	skip "tmux not installed"
	skip "tmux not installed"
fi
done_testing
