#!/bin/bash
# http.sh — the daemon's HTTP server against a private Docker engine: the live page loaded by headless Chromium
# (containers found, numbers equal to /api/snapshot.json of the same tick, a down period on the timeline after
# docker kill, hostile label / health-check output / probe URL shown as text), the JSON endpoints, /metrics
# through promtool, /healthz, methods and bodies refused, the bearer token, and a port already taken.
#
# Nothing depends on timing luck: every wait is a poll with a generous deadline; times are compared with what
# the engine recorded (FinishedAt). Environment (set by make check): top_srcdir, top_builddir, LOOKOUT.
# SCREENSHOT_OUT=FILE keeps the page's screenshot.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOOKOUT=${LOOKOUT:-$top_builddir/lookout}
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/lib/engine.sh"

engine_require
[ -x "$LOOKOUT" ] || bail "no lookout binary at $LOOKOUT (build it first)"
if [ -f "$top_builddir/autoconfig.h" ] && ! grep -q '^#define HAVE_MHD 1' "$top_builddir/autoconfig.h"; then
	echo "1..0 # SKIP lookout was configured --without-httpd"
	exit 0
fi
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
PROMTOOL=$(command -v promtool || true)

IMAGE=lookout-test/busybox:latest
XSS='<img src=x onerror=alert(1)>'

WORK=$(mktemp -d /tmp/lookout-http-test.XXXXXX) || bail "mktemp failed"
LPID=
TPID=
stop_daemons() {
	[ -n "$LPID" ] && kill -TERM "$LPID" 2>/dev/null && wait "$LPID" 2>/dev/null
	[ -n "$TPID" ] && kill -TERM "$TPID" 2>/dev/null && wait "$TPID" 2>/dev/null
	LPID= TPID=
}
engine_on_cleanup stop_daemons
engine_on_cleanup '[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"'

engine_start
engine_image "$IMAGE"

# ---- helpers ------------------------------------------------------------------------------------------
# page_py FILE CODE [ARGS...]: CODE runs with `page` parsed from FILE by Python's html.parser: page["tick"],
# page["rows"][name] (data-* of the summary row), page["cards"][name] = {"text", "periods": [{kind, from, to}]},
# page["imgs"] (every <img> element), page["scripts"] (number of <script> elements), page["text"].
IFS= read -r -d '' PAGE_PY_PRELUDE <<'PYEOF' || :
import json, sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = {"tick": None, "rows": {}, "cards": {}, "imgs": [], "scripts": 0, "text": ""}
        self.stack = []      # (tag, card name or None)
        self.card = None
        self.depth = 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.page["imgs"].append(a)
        if tag == "script":
            self.page["scripts"] += 1
        if tag == "time" and a.get("id") == "data-time":
            self.page["tick"] = int(a.get("data-tick", "-1"))
        if tag == "tr" and "ctr" in (a.get("class") or ""):
            self.page["rows"][a.get("data-name")] = a
        if tag == "section" and "card" in (a.get("class") or "").split():
            self.card = a.get("data-name")
            self.page["cards"][self.card] = {"text": "", "periods": [], "id": a.get("data-id")}
            self.depth = 0
        if self.card is not None and tag == "section":
            self.depth += 1
        if self.card is not None and tag == "li" and a.get("data-kind"):
            self.page["cards"][self.card]["periods"].append(
                {"kind": a["data-kind"], "from": int(a["data-from"]) / 1000.0, "to": int(a["data-to"]) / 1000.0})
    def handle_endtag(self, tag):
        if self.card is not None and tag == "section":
            self.depth -= 1
            if self.depth == 0:
                self.card = None
    def handle_data(self, d):
        self.page["text"] += d
        if self.card is not None:
            self.page["cards"][self.card]["text"] += d
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
page = p.page
args = sys.argv[2:]
def snap(path):
    return json.load(open(path, encoding="utf-8"))
PYEOF
page_py() { local f=$1 code=$2; shift 2; /usr/bin/python3 -c "$PAGE_PY_PRELUDE$code" "$f" "$@"; }

# chromium_run ARGS...: headless Chromium with a throwaway profile (see TEST-RECIPES.md).
chromium_run() {
	local prof
	prof=$(mktemp -d "$WORK/chrome.XXXXXX")
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync --disable-dev-shm-usage \
		--user-data-dir="$prof" "$@" 2>>"$WORK/chromium.err"
	local st=$?
	rm -rf "$prof"
	return $st
}
dump_dom() { chromium_run --virtual-time-budget=3000 --dump-dom "$1" >"$2"; }

epoch() { /usr/bin/python3 -c 'import datetime, re, sys
s = re.sub(r"(\.\d{1,6})\d*", r"\1", sys.argv[1]).replace("Z", "+00:00")
print(datetime.datetime.fromisoformat(s).timestamp())' "$1"; }

# ---- containers ---------------------------------------------------------------------------------------
WPORT=$(engine_free_port)
WEB_URL="http://127.0.0.1:$WPORT/"
docker run -d --name h-web --network host --memory 64m --label "lookout.url=$WEB_URL" "$IMAGE" \
	sh -c "mkdir -p /www && echo hello >/www/index.html && exec httpd -f -p 127.0.0.1:$WPORT -h /www" >/dev/null ||
	bail "docker run h-web failed"
# Hostile text in a label, a HEALTHCHECK output and a probe URL (the probe fails: nothing listens on port 1).
# The probe URL holds a password ($PROBE_SECRET), which must never be shown.
PROBE_SECRET=pr0be-s3cret
docker run -d --name h-xss --network none --label "note=$XSS" --label "lookout.url=http://probe:$PROBE_SECRET@127.0.0.1:1/$XSS" \
	--health-cmd "echo '$XSS'; exit 1" --health-interval 1s --health-retries 1 "$IMAGE" sleep 100000 >/dev/null ||
	bail "docker run h-xss failed"
docker run -d --name h-victim --network none "$IMAGE" sleep 100000 >/dev/null || bail "docker run h-victim failed"
poll_until "curl -fsS --max-time 5 '$WEB_URL' >/dev/null 2>&1" 30 0.2 || diag "h-web does not answer yet"

# ---- the daemon ---------------------------------------------------------------------------------------
D=$WORK/daemon
mkdir -p "$D"
HPORT=$(engine_free_port)
BASE="http://127.0.0.1:$HPORT"
"$LOOKOUT" --daemon --output-dir "$D" --interval 4 --status-every 0 --listen "127.0.0.1:$HPORT" \
	</dev/null >"$D/stdout" 2>"$D/stderr" &
LPID=$!
show() { diag "--- lookout stderr ---" "$(tail -n 10 "$D/stderr" 2>/dev/null)" "--- log ---" "$(tail -n 10 "$D/container_monitor.log" 2>/dev/null)"; }

# 1. /healthz answers 200 once the first sample is in
if poll_until "curl -fsS --max-time 5 '$BASE/healthz' 2>/dev/null | grep -qx ok" 60 0.3; then
	ok 0 "/healthz answers 200 ok"
else
	ok 1 "/healthz answers 200 ok"; show
fi

# 2-4. snapshot.json: parses, lists the three containers with the hostile strings intact
got_all='curl -fsS --max-time 5 "$BASE/api/snapshot.json" -o "$WORK/snap.json" && /usr/bin/python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
c = {x[\"name\"]: x for x in j[\"containers\"]}
ok = all(n in c for n in (\"h-web\", \"h-victim\", \"h-xss\")) and c[\"h-web\"][\"response_ms\"] is not None and c[\"h-web\"][\"cpu_pct\"] is not None and c[\"h-xss\"][\"status\"] == \"unhealthy\" and c[\"h-xss\"].get(\"health_output\")
sys.exit(0 if ok else 1)" "$WORK/snap.json"'
if poll_until "$got_all" 60 0.5; then
	ok 0 "/api/snapshot.json parses and lists h-web (with CPU and response time), h-victim and h-xss (unhealthy)"
else
	ok 1 "/api/snapshot.json parses and lists h-web (with CPU and response time), h-victim and h-xss (unhealthy)"
	diag "$(head -c 1500 "$WORK/snap.json" 2>/dev/null)"; show
fi
check "snapshot.json: hostile label, health output and probe URL come back exactly" /usr/bin/python3 -c '
import json, sys
c = {x["name"]: x for x in json.load(open(sys.argv[1]))["containers"]}["h-xss"]
x = sys.argv[2]
print(c["labels"].get("note"), c.get("health_output"), c.get("probe_url"))
sys.exit(0 if c["labels"]["note"] == x and x in c["health_output"] and c["probe_url"].endswith("/" + x) else 1)' \
	"$WORK/snap.json" "$XSS"
check "snapshot.json: h-web has its 64 MiB memory limit and HTTP 200" /usr/bin/python3 -c '
import json, sys
c = {x["name"]: x for x in json.load(open(sys.argv[1]))["containers"]}["h-web"]
print(c["mem_limit_bytes"], c["http_status"], c["status"])
sys.exit(0 if c["mem_limit_bytes"] == 64 * 1048576 and c["http_status"] == 200 and c["status"] == "up" else 1)' "$WORK/snap.json"

# The probe URL's password is not in the JSON, the page, /metrics or the log.
curl -fsS --max-time 5 "$BASE/" -o "$WORK/secret-page.html"
curl -fsS --max-time 5 "$BASE/metrics" -o "$WORK/secret-metrics.txt"
check "the probe URL's password is in none of snapshot.json, the page, /metrics and the log" sh -c "
grep -q 'probe_url\":\"http://\\*\\*\\*@127.0.0.1:1/' '$WORK/snap.json' &&
! grep -q '$PROBE_SECRET' '$WORK/snap.json' '$WORK/secret-page.html' '$WORK/secret-metrics.txt' '$D/container_monitor.log'"

# history.json of every container: 15 minutes unless asked, at most an hour (else 400 saying why)
curl -fsS --max-time 5 "$BASE/api/history.json" -o "$WORK/hist-all.json"
check "history.json without container= parses: every container, a 15-minute window" /usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
names = sorted(c["name"] for c in j["containers"])
print(j["window_s"], names)
sys.exit(0 if j["window_s"] == 900 and all(n in names for n in ("h-web", "h-victim", "h-xss")) else 1)' "$WORK/hist-all.json"
code=$(curl -s -o "$WORK/hist-2h.txt" -w '%{http_code}' "$BASE/api/history.json?window=2h")
check "history.json?window=2h without container=: 400 with the reason ($code: $(head -c 200 "$WORK/hist-2h.txt"))" sh -c "
[ '$code' = 400 ] && grep -q 'without container=' '$WORK/hist-2h.txt'"
is "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/history.json?container=h-web&window=24h")" 200 \
	"history.json of one container reaches back 24 h: 200"

# 5-7. history.json and alerts.json
curl -fsS --max-time 5 "$BASE/api/history.json?container=h-web&window=5m" -o "$WORK/hist.json"
check "history.json?container=h-web&window=5m parses: one container with points (t, cpu_pct, status)" /usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
c = j["containers"]
print(j["window_s"], len(c), len(c[0]["points"]) if c else 0)
sys.exit(0 if j["window_s"] == 300 and len(c) == 1 and c[0]["name"] == "h-web" and c[0]["points"] and all("t" in p and "status" in p and "cpu_pct" in p for p in c[0]["points"]) else 1)' "$WORK/hist.json"
is "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/history.json?container=no-such-thing")" 404 \
	"history.json of a container not watched: 404"
is "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/history.json?window=soon")" 400 "history.json with a bad window: 400"
if poll_until "curl -fsS --max-time 5 '$BASE/api/alerts.json' -o '$WORK/alerts.json' && /usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if any(a[\"container\"] == \"h-xss\" and a[\"alert\"] == \"health_failed\" for a in j[\"firing\"]) and j[\"recent\"] else 1)' '$WORK/alerts.json'" 40 0.5; then
	ok 0 "alerts.json parses: health_failed firing for h-xss, and recent transitions"
else
	ok 1 "alerts.json parses: health_failed firing for h-xss, and recent transitions"
	diag "$(head -c 800 "$WORK/alerts.json")"
fi

# 8-10. /metrics
curl -fsS --max-time 5 "$BASE/metrics" -o "$WORK/metrics.txt"
if [ -n "$PROMTOOL" ]; then
	check "/metrics passes promtool check metrics" sh -c "'$PROMTOOL' check metrics <'$WORK/metrics.txt'"
else
	skip "promtool not installed (Debian package prometheus)"
fi
check "/metrics has container up, CPU, memory, limit, response time, restarts, alerts and process metrics" sh -c "
grep -q '^lookout_container_up{id=\"[0-9a-f]*\",name=\"h-web\",image=\"$IMAGE\",host=\"[^\"]*\"} 1\$' '$WORK/metrics.txt' &&
grep -q '^lookout_container_up{.*name=\"h-xss\".*} 0\$' '$WORK/metrics.txt' &&
grep -q '^lookout_container_cpu_percent{.*name=\"h-web\"' '$WORK/metrics.txt' &&
grep -q '^lookout_container_memory_used_bytes{.*name=\"h-web\"' '$WORK/metrics.txt' &&
grep -q '^lookout_container_memory_limit_bytes{.*name=\"h-web\".*} 67108864\$' '$WORK/metrics.txt' &&
grep -q '^lookout_container_response_time_seconds{.*name=\"h-web\"' '$WORK/metrics.txt' &&
grep -q '^lookout_container_restarts_total{.*name=\"h-web\"' '$WORK/metrics.txt' &&
grep -q '^lookout_container_alert_firing{.*name=\"h-xss\",alert=\"health_failed\",severity=\"critical\",host=\"[^\"]*\"} 1\$' '$WORK/metrics.txt' &&
grep -q '^lookout_engine_up{host=\".*\"} 1\$' '$WORK/metrics.txt' && grep -q '^lookout_host_info{host=\".*\"} 1\$' '$WORK/metrics.txt' &&
grep -q '^process_resident_memory_bytes [1-9]' '$WORK/metrics.txt' &&
grep -q '^process_cpu_seconds_total ' '$WORK/metrics.txt'"
is "$(curl -s -o /dev/null -w '%{content_type}' "$BASE/metrics")" "text/plain; version=0.0.4; charset=utf-8" \
	"/metrics has the exposition format's content type"

# 11-15. methods, bodies, unknown paths, HEAD
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/")" 405 "POST: 405"
is "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$BASE/api/snapshot.json")" 405 "DELETE: 405"
is "$(curl -s -o /dev/null -w '%{http_code}' -X GET --data-binary 'x=1' "$BASE/")" 413 "GET with a body: 413"
is "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/nope")" 404 "unknown path: 404"
check "HEAD / gives 200 and no body" sh -c "curl -sS -I --max-time 5 '$BASE/' | head -1 | grep -q ' 200'"

# 16. oversized request header: refused, and the server still answers afterwards
BIG=$(head -c 100000 /dev/zero | tr '\0' a)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $BIG" "$BASE/")
check "a 100 kB header is refused ($code) and the server keeps answering" sh -c "
[ '$code' != 200 ] && curl -fsS --max-time 5 '$BASE/healthz' >/dev/null"

# 40 idle connections from one address: those over the per-address limit (32) are closed at once, and the
# server answers again as soon as they go away.
check "connections are bounded: of 40 idle ones from one address at least 8 are closed, then it answers" \
	/usr/bin/python3 - "$HPORT" <<'PY'
import socket, sys, time, urllib.request
port = int(sys.argv[1])
socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
closed, deadline = set(), time.time() + 10
while len(closed) < 8 and time.time() < deadline:
    for i, s in enumerate(socks):
        if i in closed:
            continue
        s.settimeout(0.05)
        try:
            if s.recv(1) == b"":
                closed.add(i)
        except socket.timeout:
            pass
        except OSError:
            closed.add(i)
for s in socks:
    s.close()
status = None
for _ in range(50):
    try:
        status = urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=5).status
        break
    except Exception as e:
        status = repr(e)
        time.sleep(0.2)
print("closed by the server: %d of 40; /healthz afterwards: %s" % (len(closed), status))
sys.exit(0 if len(closed) >= 8 and status == 200 else 1)
PY

# 17-20. the raw page: hostile strings are text, CSP with no inline handler allowed
curl -fsS --max-time 5 "$BASE/" -o "$WORK/raw.html"
check "the raw page holds the hostile strings only escaped (&lt;img …&gt;)" sh -c "
! grep -q '<img' '$WORK/raw.html' && [ \$(grep -o '&lt;img src=x onerror=alert(1)&gt;' '$WORK/raw.html' | wc -l) -ge 3 ]"
check "the page is self-contained: no external URL in src/href" sh -c "! grep -Eiq '(src|href)=\"?(https?:)?//' '$WORK/raw.html'"
check "Content-Security-Policy allows only the page's own script (by hash), no inline handlers" sh -c "
curl -sS -I --max-time 5 '$BASE/' | grep -i '^content-security-policy:' | grep -q \"script-src 'sha256-\""
check "the fragment the page refreshes with is the live part only (no <html>, has the table)" sh -c "
curl -fsS --max-time 5 '$BASE/?fragment=1' -o '$WORK/frag.html' && ! grep -q '<html' '$WORK/frag.html' &&
grep -q 'class=\"summary\"' '$WORK/frag.html' && grep -q 'id=\"data-time\"' '$WORK/frag.html'"

# Headless Chromium cannot dump a page with scripts off (--dump-dom needs them), so this is checked on the page
# as served: everything is in the HTML already, and <noscript> reloads it every 2 s.
check "with JavaScript off the page is complete as served (rows, numbers, charts, timeline) and reloads itself" sh -c "
grep -q '<noscript><meta http-equiv=\"refresh\" content=\"2\"></noscript>' '$WORK/raw.html' &&
grep -q 'data-name=\"h-web\" data-status=\"up\" data-cpu=' '$WORK/raw.html' &&
grep -q '<svg class=\"chart\"' '$WORK/raw.html' && grep -q '<svg class=\"timeline\"' '$WORK/raw.html'"

# Chromium
if [ -z "$CHROMIUM" ]; then
	for i in 1 2 3 4 5 6 7; do skip "chromium not installed"; done
else
	# The DOM after scripts ran, and every tick's snapshot.json while Chromium ran (fetched far more often than
	# the 4 s interval, so the page's tick is among them however slowly Chromium starts): the one of the
	# page's tick is kept in same.json, and every number on the page must equal it.
	same_tick() {
		rm -f "$WORK"/tick-*.json
		(
			while :; do
				curl -fsS --max-time 5 "$BASE/api/snapshot.json" -o "$WORK/tick.part" 2>/dev/null &&
					t=$("$PY" -c 'import json, sys; print(int(json.load(open(sys.argv[1]))["tick"]))' "$WORK/tick.part") &&
					mv "$WORK/tick.part" "$WORK/tick-$t.json"
				sleep 0.3
			done
		) &
		local poller=$! st
		poll_until "ls '$WORK'/tick-*.json >/dev/null 2>&1" 10 0.1
		dump_dom "$BASE/" "$WORK/dom.html"
		st=$?
		# Until the poller has seen the page's tick or a later one (it cannot have skipped a 4 s tick).
		local pt
		pt=$(page_py "$WORK/dom.html" 'print(page["tick"] if page["tick"] is not None else -1)' 2>/dev/null)
		poll_until "ls '$WORK'/tick-*.json 2>/dev/null | sed 's/.*tick-\([0-9]*\)\.json/\1/' |
			awk -v t='${pt:--1}' '\$1 >= t { f = 1 } END { exit !f }'" 15 0.2
		kill "$poller" 2>/dev/null
		wait "$poller" 2>/dev/null
		[ $st = 0 ] || return 1
		page_py "$WORK/dom.html" '
import os
f = os.path.join(args[0], "tick-%s.json" % page["tick"])
if page["tick"] is None or not os.path.exists(f):
    print("page tick", page["tick"], "not among", sorted(f for f in os.listdir(args[0]) if f.startswith("tick-")))
    sys.exit(1)
open(os.path.join(args[0], "same.json"), "w").write(open(f).read())' "$WORK"
	}
	if poll_until same_tick 120 0.1; then
		ok 0 "Chromium loads the live page, and snapshot.json of the same tick was fetched while it did"
	else
		ok 1 "Chromium loads the live page, and snapshot.json of the same tick was fetched while it did"
		diag "$(tail -n 5 "$WORK/chromium.err")"
	fi
	check "Chromium: the page lists h-web, h-victim and h-xss, each with a card" page_py "$WORK/dom.html" '
print(sorted(page["rows"]), sorted(page["cards"]))
sys.exit(0 if all(n in page["rows"] and n in page["cards"] for n in ("h-web", "h-victim", "h-xss")) else 1)'
	check "Chromium: status, CPU %, memory % and response time equal snapshot.json of the same tick" page_py "$WORK/dom.html" '
j = snap(args[0])
bad = []
for c in j["containers"]:
    r = page["rows"].get(c["name"])
    if r is None:
        bad.append("missing " + c["name"]); continue
    def same(attr, v, fmt):
        got = r.get(attr)
        want = None if v is None else fmt % v
        if got != want: bad.append("%s %s: page %r json %r" % (c["name"], attr, got, want))
    same("data-status", c["status"], "%s")
    same("data-cpu", c["cpu_pct"], "%.2f")
    same("data-mem", c["mem_pct"], "%.2f")
    same("data-response", c["response_ms"], "%d")
print(bad or "all equal")
sys.exit(1 if bad else 0)' "$WORK/same.json"
	check "Chromium: hostile label, health-check output and probe URL render as text; no <img> element exists" \
		page_py "$WORK/dom.html" '
t = page["cards"].get("h-xss", {}).get("text", "")
n = t.count(args[0])
print("img elements: %d; hostile string shown %d times in the h-xss card" % (len(page["imgs"]), n))
sys.exit(0 if not page["imgs"] and n >= 3 and page["scripts"] == 1 else 1)' "$XSS"

	check "Chromium: the recent alerts list health_failed for h-xss" page_py "$WORK/dom.html" '
import re
sys.exit(0 if re.search(r"firing\s*critical\s*health_failed\s*h-xss", page["text"]) else 1)'
	check "?window=1h: the page's charts and timeline cover the last 60 minutes" sh -c "
curl -fsS --max-time 5 '$BASE/?window=1h' | grep -q 'Up/down, last 60 min' &&
[ \$(curl -s -o /dev/null -w '%{http_code}' '$BASE/?window=forever') = 400 ]"

	# docker kill: a down period on the timeline, starting when the engine says it died
	T0=$(now_s)
	docker kill h-victim >/dev/null
	FIN=$(epoch "$(docker inspect --format '{{.State.FinishedAt}}' h-victim)")
	if poll_until "curl -fsS --max-time 5 '$BASE/' -o '$WORK/k.html' && page_py '$WORK/k.html' 'sys.exit(0 if any(p[\"kind\"] == \"down\" for p in page[\"cards\"][\"h-victim\"][\"periods\"]) else 1)'" 30 0.3; then
		ok 0 "after docker kill the page shows a down period for h-victim"
	else
		ok 1 "after docker kill the page shows a down period for h-victim"
	fi
	# Chromium may be slow to start on a loaded machine: the dump is retried until it holds the card.
	victim_down() {
		dump_dom "$BASE/" "$WORK/dom2.html" && page_py "$WORK/dom2.html" '
ps = page["cards"].get("h-victim", {}).get("periods", [])
sys.exit(0 if any(p["kind"] == "down" for p in ps) else 1)'
	}
	poll_until victim_down 120 0.5 || diag "no down period in Chromium's DOM: $(wc -c <"$WORK/dom2.html") bytes" \
		"$(grep -v dbus "$WORK/chromium.err" | tail -n 5)"
	check "Chromium: the timeline's down period starts at the engine's FinishedAt (+-1.5 s) and is ongoing" \
		page_py "$WORK/dom2.html" '
c = page["cards"].get("h-victim", {"periods": [], "text": ""})
ps = c["periods"]
fin = float(args[0])
print(ps, "FinishedAt", fin)
d = [p for p in ps if p["kind"] == "down"]
sys.exit(0 if d and abs(d[-1]["from"] - fin) <= 1.5 and d[-1]["to"] >= d[-1]["from"] and "ongoing" in c["text"] else 1)' "$FIN"
	check "Chromium: the up/down timeline SVG has a red (down) stretch for h-victim" sh -c "
/usr/bin/python3 - '$WORK/dom2.html' <<'PY'
import re, sys
h = open(sys.argv[1], encoding='utf-8').read()
m = re.search(r'<section class=\"card\"[^>]*data-name=\"h-victim\"', h)
card = h[m.start():h.find('</section>', m.start())] if m else ''
sys.exit(0 if m and re.search(r'<rect class=\"t-down\"[^>]*width=\"[0-9.]+\"', card) else 1)
PY"
	SHOT=$WORK/page.png
	chromium_run --screenshot="$SHOT" --window-size=1280,1600 --virtual-time-budget=3000 "$BASE/" >/dev/null
	check "Chromium: a screenshot of the page is a PNG of some substance" sh -c "
[ \$(stat -c %s '$SHOT' 2>/dev/null || echo 0) -gt 20000 ] && head -c 8 '$SHOT' | od -An -c | grep -q 'P   N   G'"
	[ -n "${SCREENSHOT_OUT:-}" ] && cp "$SHOT" "$SCREENSHOT_OUT"
fi

# 28-29. bad --listen: exit 2 with one line; a port already taken: the daemon runs on without the server
timeout 30 "$LOOKOUT" --daemon --output-dir "$WORK/bad" --listen 'nonsense' >"$WORK/bad.out" 2>&1
st=$?
is "$st" 2 "--listen nonsense: exit status 2"
diag "$(cat "$WORK/bad.out")"
"$LOOKOUT" --daemon --output-dir "$WORK/busy" --status-every 0 --listen "127.0.0.1:$HPORT" >"$WORK/busy.out" 2>&1 &
BPID=$!
if poll_until "grep -q 'cannot listen on 127.0.0.1:$HPORT' '$WORK/busy.out'" 30 0.2 && sleep 1 && kill -0 $BPID 2>/dev/null; then
	ok 0 "a port already taken: one line says so and the daemon keeps monitoring"
else
	ok 1 "a port already taken: one line says so and the daemon keeps monitoring"
	diag "$(cat "$WORK/busy.out")"
fi
kill -TERM $BPID 2>/dev/null; wait $BPID 2>/dev/null

# 30-40. the bearer token, from a file (as a Docker secret) and from the environment
TOKEN="s3cr3t-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
printf '%s\n' "$TOKEN" >"$WORK/token"
T=$WORK/tok
mkdir -p "$T"
TPORT=$(engine_free_port)
TBASE="http://127.0.0.1:$TPORT"
HTTP_TOKEN_FILE="$WORK/token" "$LOOKOUT" --daemon --output-dir "$T" --status-every 0 --listen "127.0.0.1:$TPORT" \
	</dev/null >"$T/stdout" 2>"$T/stderr" &
TPID=$!
poll_until "curl -fsS --max-time 5 '$TBASE/healthz' >/dev/null 2>&1" 60 0.3
is "$(curl -s -o /dev/null -w '%{http_code}' "$TBASE/healthz")" 200 "token set: /healthz still answers without it"
for p in / /api/snapshot.json /api/alerts.json /metrics; do
	is "$(curl -s -o /dev/null -w '%{http_code}' "$TBASE$p")" 401 "token set: $p without a token: 401"
done
is "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer wrong-$TOKEN" "$TBASE/api/snapshot.json")" 401 \
	"a wrong token: 401"
is "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$TBASE/api/snapshot.json")" 200 \
	"the right token (read from HTTP_TOKEN_FILE, newline stripped): 200"
check "/?token= once sets an HttpOnly cookie and redirects; the cookie then opens the page" sh -c "
curl -sS -i --max-time 5 '$TBASE/?token=$TOKEN' | tr -d '\r' >'$WORK/login.txt' &&
grep -q '^HTTP/1.1 303' '$WORK/login.txt' && grep -qi '^set-cookie: lookout_token=.*HttpOnly' '$WORK/login.txt' &&
[ \$(curl -s -o /dev/null -w '%{http_code}' -b 'lookout_token=$TOKEN' '$TBASE/') = 200 ]"
# The needle is read from a file so that no command line of this test holds it either.
check "the token is not on lookout's command line nor in any of its files" sh -c "
! grep -qa -f '$WORK/token' /proc/$TPID/cmdline && ! grep -rqa -f '$WORK/token' '$T'"
is "$("$LOOKOUT" --http-token x --version >/dev/null 2>&1; echo $?)" 2 "there is no --http-token flag (exit 2)"
printf '\n' >"$WORK/empty-token"
HTTP_TOKEN_FILE="$WORK/empty-token" timeout 30 "$LOOKOUT" --daemon --output-dir "$WORK/et" --listen "127.0.0.1:$(engine_free_port)" \
	>"$WORK/et.out" 2>&1
is "$?" 2 "an empty HTTP_TOKEN_FILE is a configuration error (exit 2)"

stop_daemons
done_testing
