#!/bin/bash
# pgsink.sh — lookout --daemon --pg against a real PostgreSQL cluster (initdb + pg_ctl under a temp dir) and a
# private Docker engine: the database gets the same rows as metrics.csv and the alert log; a database restart
# in the middle of a run loses nothing; a database that is down at start is caught up later; a buffer that
# overflows drops exactly the number of rows the log says; passwords never reach the command line or the log.
# Environment (set by make check): top_srcdir, top_builddir, LOOKOUT.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOOKOUT=${LOOKOUT:-$top_builddir/lookout}
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/lib/engine.sh"
. "$top_srcdir/tests/lib/pg.sh"

[ -x "$LOOKOUT" ] || bail "no lookout binary at $LOOKOUT (build it first)"
if ! grep -q '^#define HAVE_PQ 1' "$top_builddir/autoconfig.h" 2>/dev/null; then
	echo "1..0 # SKIP lookout was built without libpq (configure found no libpq-dev)"
	exit 0
fi
engine_require
pg_require

IMAGE=lookout-test/busybox:latest
plan 32

WORK=$(mktemp -d /tmp/lookout-pgsink-test.XXXXXX) || bail "mktemp failed"
LPIDS=()
stop_all() {
	local p
	for p in "${LPIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${LPIDS[@]}"; do wait "$p" 2>/dev/null; done
	LPIDS=()
	pg_cleanup
}
engine_on_cleanup stop_all
engine_on_cleanup '[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"'

# ---- configuration errors: before any engine or database --------------------------------------------
out=$("$LOOKOUT" --daemon --output-dir "$WORK/cfg" --pg 'host=127.0.0.1 dbname=x password=hunter2-secret' 2>&1)
st=$?
is "$st" 2 "--pg with a password is refused with exit status 2"
ok "$(printf '%s' "$out" | grep -c hunter2)" "the refusal does not repeat the password"
printf '%s' "$out" | grep -q 'PGPASSWORD' || diag "message: $out"
out=$(LOOKOUT_PG_URL='postgresql://lookout:hunter2-secret@db/lookout' "$LOOKOUT" --daemon --output-dir "$WORK/cfg" 2>&1)
st=$?
is "$st:$(printf '%s' "$out" | grep -c hunter2)" "2:0" "a URI with a password in LOOKOUT_PG_URL is refused too, without echoing it"
out=$("$LOOKOUT" --daemon --output-dir "$WORK/cfg" --pg 'this is not = a conninfo' 2>&1)
is "$?" 2 "a malformed connection string is exit status 2: $out"
echo "host=127.0.0.1" >"$WORK/url"
out=$("$LOOKOUT" --daemon --output-dir "$WORK/cfg" --pg 'host=127.0.0.1' --pg-url-file "$WORK/url" 2>&1)
is "$?" 2 "--pg and LOOKOUT_PG_URL_FILE together are refused: $out"
out=$("$LOOKOUT" --daemon --output-dir "$WORK/cfg" --pg-buffer 0 --pg host=x 2>&1)
is "$?" 2 "--pg-buffer 0 is refused: $out"

# ---- engine, containers, database -----------------------------------------------------------------
T0=$SECONDS
engine_start
engine_image "$IMAGE"
docker run -d --name pg-busy --network none "$IMAGE" sh -c 'while :; do :; done' >/dev/null || bail "docker run failed"
docker run -d --name pg-idle --network none "$IMAGE" sleep 100000 >/dev/null || bail "docker run failed"
docker run -d --name pg-short --network none "$IMAGE" sleep 100000 >/dev/null || bail "docker run failed"
pg_init
pg_start || bail "PostgreSQL would not start"
for db in run_a run_b run_c; do pg_psql "CREATE DATABASE $db" >/dev/null || bail "CREATE DATABASE $db failed"; done
diag "engine, image and database ready after $((SECONDS - T0)) s"

LPID=
start_lookout() { # start_lookout DIR [options...]
	local dir=$1
	shift
	mkdir -p "$dir"
	"$LOOKOUT" --daemon --output-dir "$dir" --interval 1 --status-every 0 "$@" </dev/null >"$dir/stdout" 2>"$dir/stderr" &
	LPID=$!
	LPIDS+=("$LPID")
}
stop_lookout() { # stop_lookout PID: SIGTERM and wait; status in LSTATUS
	local pid=$1 p keep=()
	kill -TERM "$pid" 2>/dev/null
	poll_until "! kill -0 $pid 2>/dev/null" 60 || { diag "lookout $pid ignored SIGTERM for 60 s"; kill -KILL "$pid"; }
	wait "$pid"
	LSTATUS=$?
	for p in "${LPIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
	LPIDS=("${keep[@]}")
}
csv_rows() { [ -s "$1" ] && echo $(($(wc -l <"$1") - 1)) || echo 0; }
db_count() { pg_psql "SELECT count(*) FROM $2" "$1" 2>/dev/null || echo -1; }
show() {
	diag "--- container_monitor.log ---" "$(tail -n 20 "$1/container_monitor.log" 2>/dev/null)"
	diag "--- stderr ---" "$(tail -n 5 "$1/stderr" 2>/dev/null)"
}

# compare_rows DIR DB: every CSV row is in the database with the same values, and nothing else is.
compare_rows() {
	local dir=$1 db=$2
	pg_psql "COPY (SELECT (extract(epoch FROM ts) * 1000)::bigint, host, container_id, name, image, state, health,
	  up, cpu_pct, mem_used_bytes, mem_limit_bytes, restarts FROM samples ORDER BY ts) TO STDOUT WITH CSV" "$db" \
		>"$dir/db.csv" || return 1
	csv_py "$dir/metrics.csv" '
def f2(v):
    return "" if v in ("", None) else "%.2f" % float(v)
want = set()
for r in rows:
    want.add((str(round(ts(r["timestamp"]) * 1000)), r["host"], r["container_id"], r["name"], r["image"], r["state"],
              r["health"], "t" if r["up"] == "1" else "f", f2(r["cpu_pct"]), r["mem_used_bytes"], r["mem_limit_bytes"],
              r["restarts"]))
got = set()
for r in csv.reader(open(args[0], newline="")):
    got.add((r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], f2(r[8]), r[9], r[10], r[11]))
missing, extra = want - got, got - want
print("csv rows %d, database rows %d, missing from the database %d, only in the database %d" % (len(want), len(got), len(missing), len(extra)))
for m in sorted(missing)[:3]: print("missing:", m)
for m in sorted(extra)[:3]: print("extra:  ", m)
if not rows or not all(r["host"] for r in rows): print("no rows, or an empty host column"); sys.exit(1)
sys.exit(1 if missing or extra else 0)' "$dir/db.csv"
}

PG_URL="host=127.0.0.1 port=$PG_PORT user=postgres"

# ---- run A: rows match the CSV, across a database restart in the middle of the run ------------------
A=$WORK/a
start_lookout "$A" --pg "$PG_URL dbname=run_a"
poll_until '[ "$(db_count run_a samples)" -ge 9 ]' 60
ok $? "run A: samples reach the database (rows: $(db_count run_a samples))" || show "$A"
check "run A: the schema has containers, samples and alerts with their time-range indexes" \
	pg_psql "SELECT 1/(count(*) = 5)::int FROM pg_indexes WHERE tablename IN ('samples','alerts') AND indexname IN
	  ('samples_container_ts','samples_ts','alerts_key','alerts_container_ts','alerts_ts')
	  UNION ALL SELECT 1/(count(*) = 3)::int FROM pg_tables WHERE tablename IN ('containers','samples','alerts')" run_a
# An alert transition: a container stops (container_down fires).
docker stop -t 1 pg-short >/dev/null
poll_until 'grep -q container_down "$A/container_alerts.log" 2>/dev/null' 30
ok $? "run A: stopping a container writes container_down to the alert log"

before=$(csv_rows "$A/metrics.csv")
pg_stop
ok $? "run A: the database stops in the middle of the run"
poll_until "grep -qE 'PostgreSQL: (lost the connection|cannot connect)' '$A/container_monitor.log'" 30
ok $? "run A: the log says the database is gone" || show "$A"
# Several ticks while it is down: those rows must be buffered, not lost.
poll_until '[ "$(csv_rows "$A/metrics.csv")" -ge $((before + 12)) ]' 60
ok $? "run A: the daemon keeps sampling while the database is down"
pg_start
ok $? "run A: the database starts again"
poll_until "grep -q 'PostgreSQL: connected again' '$A/container_monitor.log'" 60
ok $? "run A: the sink reconnects" || show "$A"
after=$(csv_rows "$A/metrics.csv")
poll_until '[ "$(db_count run_a samples)" -ge '"$after"' ]' 60
stop_lookout "$LPID"
is "$LSTATUS" 0 "run A: lookout exits 0"
check "run A: the database holds exactly the CSV's rows (values, host column), none lost over the restart" \
	compare_rows "$A" run_a
is "$(db_count run_a alerts)" "$(wc -l <"$A/container_alerts.log")" "run A: one alerts row per line of the alert log"
is "$(pg_psql "SELECT string_agg(name, ',' ORDER BY name) FROM containers" run_a)" "pg-busy,pg-idle,pg-short" \
	"run A: the containers table lists the three containers by name"
is "$(cat "$A/stderr")" "" "run A: nothing on standard error (the server's notices go to the log)"
check "run A: the log reports nothing dropped" grep -q 'PostgreSQL: stopped; .* 0 dropped in total' "$A/container_monitor.log"

# ---- run B: the database is down when lookout starts --------------------------------------------------
B=$WORK/b
pg_stop
start_lookout "$B" --pg "$PG_URL dbname=run_b"
poll_until '[ "$(csv_rows "$B/metrics.csv")" -ge 10 ]' 60
ok $? "run B: with the database down the daemon runs and writes its CSV"
check "run B: ... and logs that it cannot connect" grep -q 'PostgreSQL: cannot connect' "$B/container_monitor.log"
pg_start
poll_until '[ "$(db_count run_b samples)" -ge 10 ]' 60
ok $? "run B: once the database is up, the buffered rows arrive" || show "$B"
stop_lookout "$LPID"
check "run B: the database holds exactly the CSV's rows" compare_rows "$B" run_b

# ---- run C: the buffer overflows; the log says exactly how many rows were dropped -----------------------
C=$WORK/c
pg_stop
start_lookout "$C" --pg "$PG_URL dbname=run_c" --pg-buffer 8
poll_until '[ "$(csv_rows "$C/metrics.csv")" -ge 20 ]' 60
ok $? "run C: 20 rows sampled while the database is down"
check "run C: the log says the buffer is full" grep -q 'PostgreSQL: the buffer of 8 rows is full' "$C/container_monitor.log"
pg_start
poll_until "grep -q 'PostgreSQL: dropped [0-9]* rows .* because the buffer of 8 rows was full' '$C/container_monitor.log'" 60
ok $? "run C: after catching up, the log gives the number of dropped rows" || show "$C"
stop_lookout "$LPID"
dropped_samples=$(sed -n 's/.*PostgreSQL: dropped [0-9]* rows (\([0-9]*\) samples.*/\1/p' "$C/container_monitor.log" |
	awk '{ s += $1 } END { print s + 0 }')
total=$(sed -n 's/.*PostgreSQL: stopped; .*, \([0-9]*\) dropped in total.*/\1/p' "$C/container_monitor.log")
csv_n=$(csv_rows "$C/metrics.csv")
db_n=$(db_count run_c samples)
diag "run C: csv rows $csv_n, database rows $db_n, logged dropped samples $dropped_samples, dropped in total $total"
ok $(( dropped_samples > 0 ? 0 : 1 )) "run C: some rows were dropped"
is "$((csv_n - db_n))" "$dropped_samples" "run C: CSV rows - database rows = the dropped samples the log reports"
alerts_dropped=$((total - dropped_samples))
is "$(( $(wc -l <"$C/container_alerts.log") - $(db_count run_c alerts) ))" "$alerts_dropped" \
	"run C: the dropped total also accounts exactly for the alert rows"

# ---- a password from LOOKOUT_PG_URL_FILE never shows in ps or the log ----------------------------------
D=$WORK/d
printf '%s\n' "$PG_URL dbname=run_a password=hunter2-secret" >"$WORK/url"
chmod 600 "$WORK/url"
LOOKOUT_PG_URL_FILE=$WORK/url start_lookout "$D"
poll_until "grep -q 'PostgreSQL: connected to' '$D/container_monitor.log' 2>/dev/null" 30
ok $? "LOOKOUT_PG_URL_FILE: the sink connects with the file's connection string" || show "$D"
seen=$(tr '\0' ' ' <"/proc/$LPID/cmdline"; cat "$D/container_monitor.log" "$D/stdout" "$D/stderr")
stop_lookout "$LPID"
seen+=$(cat "$D/container_monitor.log")
is "$(printf '%s' "$seen" | grep -c hunter2)" 0 "the password is in neither the command line nor the log"

done_testing
