#!/bin/bash
# demo.sh — the demo stack's programs against real components: contrib/demo-app against a PostgreSQL cluster
# started here (/health follows the database down and up again, 400s for bad parameters, /db really queries,
# /memory really holds memory), contrib/stress (progress, summary, Ctrl-C, bad settings); then the demo app in a
# container on a private Docker engine, watched by lookout --daemon: stress at cpu-intensive takes its CPU in
# metrics.csv from below 10 % to above 50 %, and memory-intensive raises its memory by at least the amount asked.
# Environment (set by make check): top_srcdir, top_builddir, LOOKOUT.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOOKOUT=${LOOKOUT:-$top_builddir/lookout}
DEMO=$top_builddir/contrib/demo-app/demo-app
STRESS=$top_builddir/contrib/stress/stress
. "$top_srcdir/tests/integration/lib.sh"
# CPU thresholds reached by busy containers are at the mercy of a loaded machine: run once per source tree and
# kind of build (the gcc and sanitizer passes), not again in distcheck.
once_per_tree demo
. "$top_srcdir/tests/lib/engine.sh"
. "$top_srcdir/tests/lib/pg.sh"

[ -x "$LOOKOUT" ] || bail "no lookout binary at $LOOKOUT (build it first)"
[ -x "$STRESS" ] || bail "no stress generator at $STRESS (make builds it)"
if [ ! -x "$DEMO" ]; then
	echo "1..0 # SKIP the demo app is not built (configure found no libmicrohttpd or no libpq)"
	exit 0
fi
engine_require
pg_require

plan 43

WORK=$(mktemp -d /tmp/lookout-demo-test.XXXXXX) || bail "mktemp failed"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	PIDS=()
	pg_cleanup
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
engine_on_cleanup cleanup
trap engine_stop EXIT # runs cleanup, also before the engine has started

pg_init
pg_start || bail "PostgreSQL would not start"
pg_psql "CREATE DATABASE demo" >/dev/null || bail "CREATE DATABASE failed"
DB_URL="host=127.0.0.1 port=$PG_PORT dbname=demo user=postgres"

# get PATH [curl options]: "STATUS BODY" of a GET to the demo app on $PORT.
get() {
	local path=$1
	shift
	: >"$WORK/body"
	curl -s --max-time 30 -o "$WORK/body" -w '%{http_code}' "$@" "http://127.0.0.1:$PORT$path" 2>/dev/null
	printf ' %s' "$(tr -d '\n' <"$WORK/body" 2>/dev/null)"
}
status_is() { [ "$(get "$1" | cut -d' ' -f1)" = "$2" ]; }

# ---- the demo app's command line -----------------------------------------------------------------------
"$DEMO" --help >"$WORK/help" 2>&1
is "$?:$(grep -c '/health' "$WORK/help")" "0:1" "demo-app --help lists the endpoints, exit 0"
PORT=abc "$DEMO" >"$WORK/err" 2>&1
is "$?" 2 "demo-app: a bad PORT is exit status 2: $(cat "$WORK/err")"
"$DEMO" --frobnicate >"$WORK/err" 2>&1
is "$?" 2 "demo-app: an unknown argument is exit status 2"

# ---- the demo app against PostgreSQL -----------------------------------------------------------------
PORT=$(engine_free_port)
DEMO_MEMORY_LIMIT_MB=100 DATABASE_URL=$DB_URL "$DEMO" --port "$PORT" --bind 127.0.0.1 >"$WORK/demo.out" 2>&1 &
DEMO_PID=$!
PIDS+=("$DEMO_PID")
poll_until 'status_is /health 200' 30
ok $? "/health answers 200 with the database up: $(get /health)"
r=$(get /health)
case $r in *'"database":"ok"'*) ok 0 "/health says the database is ok" ;; *) ok 1 "/health says the database is ok: $r" ;; esac
r=$(get /)
case $r in "200 "*'/cpu?ms='*'/memory?mb='*'/db?queries='*) ok 0 "/ is a small page naming the endpoints" ;; *) ok 1 "/ page: $r" ;; esac

for bad in "/cpu?ms=abc" "/cpu?ms=0" "/cpu?ms=10001" "/cpu?ms=-5" "/memory?mb=0" "/memory?mb=513" \
	"/memory?mb=1&hold=601" "/memory?mb=1&hold=x" "/db?queries=0" "/db?queries=1x"; do
	r=$(get "$bad")
	param=${bad#*\?}
	[ "${param#*&}" != "$param" ] && param=${param#*&}
	param=${param%%=*}
	case $r in
	"400 {\"error\":\"$param must be a whole number from "*) ok 0 "$bad: 400 naming $param and its range" ;;
	*) ok 1 "$bad: want a 400 naming $param, got: $r" ;;
	esac
done
is "$(get /nope | cut -d' ' -f1)" 404 "an unknown path is 404"
is "$(get /health -X POST | cut -d' ' -f1)" 405 "POST is 405"

r=$(get "/db?queries=25")
case $r in '200 {"queries":50,'*) ok 0 "/db?queries=25 runs 50 queries: $r" ;; *) ok 1 "/db?queries=25: $r" ;; esac
is "$(pg_psql 'SELECT count(*) >= 25 FROM demo_items' demo)" t "the rows /db inserted are in PostgreSQL"
r=$(get "/cpu?ms=300")
ms=$(printf '%s' "$r" | sed -n 's/.*"burned_ms":\([0-9]*\).*/\1/p')
ok $(( ${ms:-0} >= 300 ? 0 : 1 )) "/cpu?ms=300 burns at least 300 ms: $r"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$DEMO_PID/status"; }
rss0=$(rss_kb)
r=$(get "/memory?mb=40&hold=2")
rss1=$(rss_kb)
ok $(( rss1 - rss0 >= 40 * 1024 ? 0 : 1 )) "/memory?mb=40 raises the app's RSS by 40 MiB (${rss0} kB -> ${rss1} kB): $r"
r=$(get "/memory?mb=70&hold=2")
case $r in "429 "*'limit of 100 MiB'*) ok 0 "more than DEMO_MEMORY_LIMIT_MB held at once is 429" ;; *) ok 1 "over the limit: $r" ;; esac
poll_until '[ $(( $(rss_kb) - rss0 )) -lt $((10 * 1024)) ]' 30
ok $? "the memory is released after hold seconds (RSS $(rss_kb) kB)"

pg_stop
poll_until 'status_is /health 503' 30
ok $? "with the database stopped /health is 503"
r=$(get /health)
case $r in '503 {"status":"unhealthy","reason":"database: '*) ok 0 "... with the reason: $r" ;; *) ok 1 "503 reason: $r" ;; esac
is "$(get "/db?queries=1" | cut -d' ' -f1)" 503 "/db is 503 while the database is down"
pg_start || bail "PostgreSQL would not start again"
poll_until 'status_is /health 200' 30
ok $? "/health is 200 again once the database is back (the app reconnects)"
is "$(get "/db?queries=3" | cut -d' ' -f1)" 200 "/db works again"

# ---- the stress generator ---------------------------------------------------------------------------
"$STRESS" --level bogus >"$WORK/err" 2>&1
st=$?
is "$st:$(grep -c 'cpu-intensive' "$WORK/err")" "2:1" "stress: an unknown level is exit 2 and lists the levels"
DURATION=abc "$STRESS" >"$WORK/err" 2>&1
is "$?" 2 "stress: a bad DURATION is exit 2: $(cat "$WORK/err")"
STRESS_LEVEL=low DURATION=3 TARGET_URL=http://127.0.0.1:$PORT "$STRESS" >"$WORK/low.out" 2>&1
st=$?
is "$st" 0 "stress at low for 3 s exits 0"
n=$(grep -c '^\[ *[0-9]*s\] *[0-9]* requests' "$WORK/low.out")
ok $(( n >= 3 && n <= 4 ? 0 : 1 )) "it prints progress once a second ($n lines in 3 s)"
check "its summary has requests, no errors and latency" \
	grep -Eq '^  errors +0 ' "$WORK/low.out"
grep -q '^  latency  *min' "$WORK/low.out" || diag "$(cat "$WORK/low.out")"
"$STRESS" --level medium --duration 0 --target "http://127.0.0.1:$PORT" >"$WORK/int.out" 2>&1 &
SP=$!
poll_until '[ "$(grep -c "requests" "$WORK/int.out")" -ge 2 ]' 30
kill -INT "$SP"
poll_until "! kill -0 $SP 2>/dev/null" 15
ok $? "stress stops promptly on Ctrl-C (SIGINT)"
wait "$SP"
is "$?:$(grep -c 'summary (stopped early)' "$WORK/int.out")" "0:1" "... exits 0 with a summary"
"$STRESS" --level low --duration 2 --target "http://127.0.0.1:$(engine_free_port)" >"$WORK/refused.out" 2>&1
st=$?
is "$st:$(grep -Ec 'connection [1-9]' "$WORK/refused.out")" "1:1" "stress against a closed port: exit 1, connection errors counted"

kill -TERM "$DEMO_PID"
wait "$DEMO_PID"
is "$?" 0 "demo-app exits 0 on SIGTERM"

# ---- the demo app in a container, watched by lookout -------------------------------------------------------
T0=$SECONDS
engine_start
# An image holding the dynamically linked binary with every library it loads, on a busybox base.
ROOT=$WORK/rootfs
mkdir -p "$ROOT/bin" "$ROOT/etc" "$ROOT/tmp"
cp "$ENGINE_BUSYBOX" "$ROOT/bin/busybox"
ln -s busybox "$ROOT/bin/sh"
cp "$DEMO" "$ROOT/bin/demo-app"
for lib in $(ldd "$DEMO" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' | sort -u); do
	mkdir -p "$ROOT$(dirname "$lib")"
	cp -L "$lib" "$ROOT$lib"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$ROOT/etc/passwd"
echo 'root:x:0:' >"$ROOT/etc/group"
tar -C "$ROOT" -c . | docker import -c 'CMD ["/bin/demo-app"]' - lookout-test/demo-app:latest >/dev/null
ok $? "an image of the demo app and its libraries imports"
CPORT=$(engine_free_port)
# The engine has no bridge: the container shares the host's network and listens on a free loopback port.
docker run -d --name demo-app --network host -e "DATABASE_URL=$DB_URL" -e DEMO_MEMORY_LIMIT_MB=1024 \
	lookout-test/demo-app:latest /bin/demo-app --port "$CPORT" --bind 127.0.0.1 >/dev/null
PORT=$CPORT
poll_until 'status_is /health 200' 30
ok $? "the containerised demo app answers /health with 200"
L=$WORK/lookout
mkdir -p "$L"
"$LOOKOUT" --daemon --output-dir "$L" --interval 1 --status-every 0 --container demo-app </dev/null >"$L/stdout" 2>"$L/stderr" &
LPID=$!
PIDS+=("$LPID")
diag "engine, image, container and lookout started after $((SECONDS - T0)) s"

# cpu_rows SINCE: cpu_pct values of demo-app's rows stamped after epoch SINCE, one per line.
cpu_rows() {
	csv_py "$L/metrics.csv" '
for r in rows:
    if r["name"] == "demo-app" and (ts(r["timestamp"]) or 0) > float(args[0]) and num(r["cpu_pct"]) is not None:
        print(r["cpu_pct"], r["mem_used_bytes"])' "$1"
}
t=$(now_s)
poll_until '[ "$(cpu_rows "$t" | wc -l)" -ge 3 ]' 60
idle=$(cpu_rows "$t" | tail -n 3)
ok $(printf '%s\n' "$idle" | awk '$1 >= 10 { bad = 1 } END { exit bad }'; echo $?) \
	"before the stress the demo app's CPU is below 10 % in metrics.csv: $(echo $idle | awk '{ print $1, $3, $5 }')"
mem0=$(printf '%s\n' "$idle" | awk '{ print $2 }' | sort -n | tail -n 1)

t=$(now_s)
"$STRESS" --level cpu-intensive --duration 20 --target "http://127.0.0.1:$CPORT" >"$WORK/cpu.out" 2>&1 &
SP=$!
PIDS+=("$SP")
poll_until '[ -n "$(cpu_rows "$t" | awk '"'"'$1 > 50'"'"')" ]' 40
ok $? "stress at cpu-intensive drives its CPU above 50 % in metrics.csv: $(cpu_rows "$t" | awk '{ printf "%s ", $1 }')"
kill -INT "$SP" 2>/dev/null
wait "$SP"

t=$(now_s)
"$STRESS" --level memory-intensive --memory-mb 128 --duration 15 --target "http://127.0.0.1:$CPORT" >"$WORK/mem.out" 2>&1 &
SP=$!
PIDS+=("$SP")
want=$((mem0 + 128 * 1024 * 1024))
poll_until '[ -n "$(cpu_rows "$t" | awk -v w='"$want"' '"'"'$2 >= w'"'"')" ]' 40
ok $? "memory-intensive (128 MiB) raises its memory by at least 128 MiB: from $mem0 to $(cpu_rows "$t" | awk '{ print $2 }' | sort -n | tail -n 1) bytes"
kill -INT "$SP" 2>/dev/null
wait "$SP"
grep -q 'holding 128 MiB' "$WORK/mem.out" || diag "$(cat "$WORK/mem.out")"

done_testing
