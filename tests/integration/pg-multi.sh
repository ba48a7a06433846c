#!/bin/bash
# pg-multi.sh — many daemons into one PostgreSQL (issue 10): the database is set up with contrib/postgresql's
# roles (daemons log in as lookout_writer, the report as lookout_reader); two daemons with different host
# labels (one engine, seen by the second daemon through tests/lib/enginerename.py as another host) write to
# it; `lookout report --from-pg` shows both hosts, --report-host keeps one, and the errors for a database that
# is down or holds no tables are one clear line with exit status 1. LOOKOUT_PG_RETENTION deletes rows older
# than the retention (old rows put in by SQL beforehand, more than one batch of them) and keeps newer ones.
# Environment (set by make check): top_srcdir, top_builddir, LOOKOUT.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOOKOUT=${LOOKOUT:-$top_builddir/lookout}
. "$top_srcdir/tests/integration/lib.sh"
once_per_tree pg-multi
. "$top_srcdir/tests/lib/engine.sh"
. "$top_srcdir/tests/lib/pg.sh"

[ -x "$LOOKOUT" ] || bail "no lookout binary at $LOOKOUT (build it first)"
if ! grep -q '^#define HAVE_PQ 1' "$top_builddir/autoconfig.h" 2>/dev/null; then
	echo "1..0 # SKIP lookout was built without libpq (configure found no libpq-dev)"
	exit 0
fi
engine_require
pg_require
command -v unshare >/dev/null 2>&1 || { echo "1..0 # SKIP unshare not installed (util-linux)"; exit 0; }

IMAGE=lookout-test/busybox:latest
HOST_A=pgha-engine-a
HOST_B=pgha-engine-b
plan 24

W=$(mktemp -d /tmp/lookout-pg-multi.XXXXXX) || bail "mktemp failed"
PIDS=()
stop_all() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	PIDS=()
	pg_cleanup
}
engine_on_cleanup stop_all
engine_on_cleanup '[ -n "${KEEP_WORK:-}" ] || rm -rf "$W"'

# The private engine runs in a UTS namespace of its own, so that its name (the host label) is ours to choose.
dockerd() { exec unshare --uts /bin/sh -c 'hostname "$0" && exec dockerd "$@"' "$HOST_A" "$@"; }

T0=$SECONDS
engine_start
unset -f dockerd
engine_image "$IMAGE"
docker run -d --name pg-web --network none "$IMAGE" sleep 100000 >/dev/null || bail "docker run failed"
docker run -d --name pg-db --network none "$IMAGE" sleep 100000 >/dev/null || bail "docker run failed"
is "$(docker info -f '{{.Name}}')" "$HOST_A" "the private engine's name is the host label chosen for it"
"$PY" "$top_srcdir/tests/lib/enginerename.py" "$W/b.sock" "$ENGINE_SOCK" "$HOST_A" "$HOST_B" >"$W/proxy.out" 2>&1 &
PIDS+=($!)
poll_until "grep -q ready '$W/proxy.out'" 20 0.1 || bail "enginerename.py did not start"
pg_init
pg_start || bail "PostgreSQL would not start"
pg_psql "CREATE DATABASE lookout" >/dev/null || bail "CREATE DATABASE failed"
check "contrib/postgresql/setup.sql applies (roles, schema, default privileges)" \
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d lookout \
	-f "$top_srcdir/contrib/postgresql/setup.sql"
diag "engine, image, proxy and database ready after $((SECONDS - T0)) s"

psql_as() { # psql_as ROLE SQL
	"$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$1" -d lookout -c "$2"
}
# The schema as the daemons make it, applied ahead by the writer, so that old rows can go in first.
check "data/schema.sql applies as lookout_writer" \
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U lookout_writer -d lookout \
	-f "$top_srcdir/data/schema.sql"
# Old rows: 12000 samples and 3 alerts 10 days old (more than two delete batches), 4 samples a day old.
psql_as lookout_writer "
INSERT INTO samples (ts, host, container_id, name, image, state, health, up, restarts)
  SELECT now() - interval '10 days' - g * interval '1 second', '$HOST_A', 'old', 'old-web', 'img', 'running', 'none',
         true, 0 FROM generate_series(1, 12000) g;
INSERT INTO samples (ts, host, container_id, name, image, state, health, up, restarts)
  SELECT now() - interval '1 day' - g * interval '1 second', '$HOST_B', 'recent', 'recent-web', 'img', 'running',
         'none', true, 0 FROM generate_series(1, 4) g;
INSERT INTO alerts (ts, host, seq, level, state, alert, container, container_id, msg)
  SELECT now() - interval '10 days' - g * interval '1 minute', '$HOST_A', g, 'critical', 'firing', 'container_down',
         'old-web', 'old', 'old' FROM generate_series(1, 3) g;
INSERT INTO containers VALUES ('$HOST_A', 'old', 'old-web', 'img', now() - interval '11 days', now() - interval '10 days');
INSERT INTO notify_sent (host, container_id, alert, state, since, container, message_id, outcome, instance, ts)
  VALUES ('', 'old', 'container_down', 'firing', now() - interval '10 days', 'old-web', 'x', 'sent', 'test',
          now() - interval '10 days');" || bail "inserting the old rows failed"

URL="host=127.0.0.1 port=$PG_PORT dbname=lookout"
start_daemon() { # start_daemon DIR DOCKER_HOST
	mkdir -p "$1"
	DOCKER_HOST=$2 "$LOOKOUT" --daemon --output-dir "$1" --interval 1 --status-every 0 --listen off \
		--pg "$URL user=lookout_writer" --pg-retention 3d </dev/null >"$1/stdout" 2>"$1/stderr" &
	PIDS+=($!)
}
db_rows() { psql_as lookout_reader "SELECT count(*) FROM samples WHERE host = '$1' AND container_id NOT IN ('old', 'recent')" 2>/dev/null || echo 0; }
A=$W/a B=$W/b
start_daemon "$A" "unix://$ENGINE_SOCK"
start_daemon "$B" "unix://$W/b.sock"
poll_until '[ "$(db_rows $HOST_A)" -ge 8 ] && [ "$(db_rows $HOST_B)" -ge 8 ]' 90
ok $? "both daemons write samples, each under its own host label ($HOST_A: $(db_rows $HOST_A) rows, $HOST_B: $(db_rows $HOST_B))" ||
	diag "$(tail -n 5 "$A/container_monitor.log" "$B/container_monitor.log")"
check "daemon B's CSV carries the other host label" grep -q ",$HOST_B," "$B/metrics.csv"

# ---- retention -------------------------------------------------------------------------------------
poll_until "grep -h 'PostgreSQL retention: deleted' '$A/container_monitor.log' '$B/container_monitor.log' | grep -q ." 60
ok $? "a retention round ran" || diag "$(grep -h retention "$A/container_monitor.log" "$B/container_monitor.log")"
is "$(psql_as lookout_reader "SELECT (SELECT count(*) FROM samples WHERE ts < now() - interval '3 days') +
  (SELECT count(*) FROM alerts WHERE ts < now() - interval '3 days') +
  (SELECT count(*) FROM notify_sent WHERE ts < now() - interval '3 days') +
  (SELECT count(*) FROM containers WHERE last_seen < now() - interval '3 days')")" 0 \
	"no row older than the 3 days of LOOKOUT_PG_RETENTION is left"
is "$(psql_as lookout_reader "SELECT count(*) FROM samples WHERE container_id = 'recent'")" 4 \
	"rows a day old are kept"
deleted=$(grep -h 'PostgreSQL retention: deleted' "$A/container_monitor.log" "$B/container_monitor.log" |
	sed 's/.*deleted \([0-9]*\) rows.*/\1/' | awk '{ s += $1 } END { print s + 0 }')
is "$deleted" 12005 "the logs account for every deleted row exactly once (12000 samples, 3 alerts, 1 record, 1 container)"
grep -h 'PostgreSQL retention: deleted [1-9]' "$A/container_monitor.log" "$B/container_monitor.log" | sed 's/^/# /'
check "the schema has the per-host indexes" psql_as lookout_reader \
	"SELECT 1/(count(*) = 2)::int FROM pg_indexes WHERE indexname IN ('samples_host_ts', 'alerts_host_ts')"

# ---- an alert on both hosts, then the report from PostgreSQL -----------------------------------------
docker stop -t 1 pg-db >/dev/null
poll_until "grep -q container_down '$A/container_alerts.log' && grep -q container_down '$B/container_alerts.log'" 30
ok $? "stopping a container fires container_down in both daemons"
poll_until "[ \"\$(psql_as lookout_reader \"SELECT count(DISTINCT host) FROM alerts WHERE alert = 'container_down' AND container = 'pg-db'\")\" = 2 ]" 30
ok $? "the alert reaches the database under both host labels"
for p in "${PIDS[@]:1}"; do kill -TERM "$p"; done
for p in "${PIDS[@]:1}"; do wait "$p"; done
PIDS=("${PIDS[0]}")
is "$(cat "$A/stderr" "$B/stderr")" "" "nothing on the daemons' standard error"

RURL="$URL user=lookout_reader"
out=$("$LOOKOUT" report --from-pg --pg "$RURL" --output-dir "$W/r" --html "$W/all.html" 2>"$W/r.err")
st=$?
is "$st" 0 "report --from-pg exits 0" || diag "$(cat "$W/r.err")"
printf '%s\n' "$out" | head -n 3 | sed 's/^/# /'
check "it says it read PostgreSQL" grep -q "^lookout report: PostgreSQL .*dbname=lookout" <<<"$out"
names=$(printf '%s\n' "$out" | grep -E "^$HOST_A/|^$HOST_B/" | awk '{ print $1 }' | sort | tr '\n' ' ')
is "$names" "$HOST_A/pg-db $HOST_A/pg-web $HOST_B/pg-db $HOST_B/pg-web $HOST_B/recent-web " \
	"both hosts' containers, each named HOST/NAME"
want=$(psql_as lookout_reader "SELECT count(*) FROM samples")
check "its row count is the table's ($want)" grep -q "^lookout report: .*, $want rows from" <<<"$out"
n=$(printf '%s\n' "$out" | grep -c 'alerts         container_down 1')
is "$n" 2 "container_down counted once on each host"
check "the HTML report names both hosts" grep -q "$HOST_A/pg-web.*$HOST_B/pg-web\|$HOST_B/pg-web.*$HOST_A/pg-web" \
	<(tr -d '\n' <"$W/all.html")
out=$("$LOOKOUT" report --from-pg --pg "$RURL" --report-host "$HOST_B" --container pg-web --html none 2>&1)
is "$(printf '%s\n' "$out" | grep -E "^pgha-" | awk '{ print $1 }' | tr '\n' ' ')" "$HOST_B/pg-web " \
	"--report-host and --container (a bare name) keep one host's one container"
# `lookout report --pg CONNINFO` alone reads the database too (--pg on report's command line implies
# --from-pg), and prints what --from-pg printed, up to the time the report was made.
out2=$("$LOOKOUT" report --pg "$RURL" --report-host "$HOST_B" --container pg-web --html none 2>&1)
is "$(printf '%s\n' "$out2" | grep -v '^lookout report: ')" "$(printf '%s\n' "$out" | grep -v '^lookout report: ')" \
	"report --pg CONNINFO (without --from-pg) reads PostgreSQL the same way"

# ---- errors ------------------------------------------------------------------------------------------
pg_psql "CREATE DATABASE empty" >/dev/null
out=$("$LOOKOUT" report --from-pg --pg "host=127.0.0.1 port=$PG_PORT dbname=empty user=postgres" --html none 2>&1)
st=$?
is "$st" 1 "a database without lookout's tables: exit status 1"
check "... with a line saying so: $out" grep -q "holds no lookout tables" <<<"$out"
pg_stop
out=$("$LOOKOUT" report --from-pg --pg "$RURL" --html none 2>&1)
st=$?
is "$st:$(printf '%s\n' "$out" | wc -l)" "1:1" "the database down: exit status 1 and one line: $out"
done_testing
