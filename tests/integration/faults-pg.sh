#!/bin/bash
# faults-pg.sh — the PostgreSQL sink through a database restart while containers come and go: lookout
# --daemon --pg against a real PostgreSQL cluster and a private Docker engine, with churn: containers are
# started one after another (some exit by themselves) and the oldest removed while running. The database is stopped in the middle of the run and
# started again. At the end, per container: the number of sample rows in the database equals the number in
# metrics.csv, and the alert rows equal the alert log's lines — none lost over the restart, none written
# twice, no ghost rows for containers that were gone.
# The engine and database make it slow (about 30 s), and the sink's code is the same in every build: it runs
# once per source tree (once_per_tree in lib.sh: a stamp in LOOKOUT_TEST_CACHE); LOOKOUT_AGAIN=1 runs it
# again. LOOKOUT_LONG=1 churns 60 containers with three restarts.

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
once_per_tree faults-pg any
engine_require
pg_require

IMAGE=lookout-test/busybox:latest
CHURN_N=${LOOKOUT_LONG:+60}
CHURN_N=${CHURN_N:-12}
RESTARTS=${LOOKOUT_LONG:+3}
RESTARTS=${RESTARTS:-1}

W=$(mktemp -d /tmp/lookout-faults-pg.XXXXXX) || bail "mktemp failed"
LPID=
stop_all() {
	[ -n "$LPID" ] && kill -TERM "$LPID" 2>/dev/null && wait "$LPID" 2>/dev/null
	pg_cleanup
}
engine_on_cleanup stop_all
engine_on_cleanup '[ -n "${KEEP_WORK:-}" ] || rm -rf "$W"'

T0=$SECONDS
engine_start
engine_image "$IMAGE"
pg_init
pg_start || bail "PostgreSQL would not start"
pg_psql "CREATE DATABASE churn" >/dev/null || bail "CREATE DATABASE failed"
diag "engine, image and database ready after $((SECONDS - T0)) s"

db_count() { pg_psql "SELECT count(*) FROM $1" churn 2>/dev/null || echo -1; }
csv_rows() { [ -s "$1" ] && echo $(($(wc -l <"$1") - 1)) || echo 0; }
show() { diag "--- container_monitor.log ---" "$(tail -n 20 "$W/out/container_monitor.log" 2>/dev/null)"; }

# churn_one I: start container churn-I (every third one exits by itself after 2 s); once more than 4 churn
# containers are around, the oldest is removed while running.
CHURNED=()
churn_one() {
	if [ $(($1 % 3)) = 0 ]; then
		docker run -d --name "churn-$1" --network none "$IMAGE" sleep 2 >/dev/null
	else
		docker run -d --name "churn-$1" --network none "$IMAGE" sleep 100000 >/dev/null
	fi
	CHURNED+=("churn-$1")
	if [ "${#CHURNED[@]}" -gt 4 ]; then
		docker rm -f "${CHURNED[0]}" >/dev/null
		CHURNED=("${CHURNED[@]:1}")
	fi
	sleep 0.5
}

# The sink connects once it has rows to write: one container runs throughout.
docker run -d --name steady --network none "$IMAGE" sleep 100000 >/dev/null || bail "docker run failed"
mkdir -p "$W/out"
LOOKOUT_LISTEN=off "$LOOKOUT" --daemon --output-dir "$W/out" --interval 0.5 --status-every 0 \
	--pg "host=127.0.0.1 port=$PG_PORT user=postgres dbname=churn" </dev/null >"$W/out/stdout" 2>"$W/out/stderr" &
LPID=$!
poll_until "grep -q 'PostgreSQL: connected to' '$W/out/container_monitor.log' 2>/dev/null" 120
ok $? "the daemon connects to the database" || show
# The database goes down after a third of each stretch of churn and comes back three containers later.
churned=$CHURN_N
stretch=$((CHURN_N / RESTARTS))
r=0
for ((i = 1; i <= CHURN_N; i++)); do
	churn_one "$i"
	if [ $((i % stretch)) = $((stretch / 3)) ] && [ "$r" -lt "$RESTARTS" ]; then
		r=$((r + 1))
		pg_stop
		poll_until "[ \$(grep -cE 'PostgreSQL: (lost the connection|cannot connect)' '$W/out/container_monitor.log') -ge $r ]" 60
		ok $? "restart $r: the database stops under churn (container $i of $CHURN_N) and the log says so" || show
		down_at=$i
	elif [ -n "${down_at:-}" ] && [ "$i" = $((down_at + 3)) ]; then
		before=$(grep -c 'PostgreSQL: connected again' "$W/out/container_monitor.log")
		pg_start || bail "PostgreSQL would not start again"
		poll_until "[ \$(grep -c 'PostgreSQL: connected again' '$W/out/container_monitor.log') -gt $before ]" 60
		ok $? "restart $r: the sink reconnects after 3 more containers came and went" || show
		down_at=
	fi
done
# a few ticks after the last change, so that the last containers' rows are more than one
n=$(csv_rows "$W/out/metrics.csv")
poll_until '[ "$(csv_rows "$W/out/metrics.csv")" -ge $((n + 8)) ]' 30
kill -TERM "$LPID"
poll_until "! kill -0 $LPID 2>/dev/null" 60
wait "$LPID"
is "$?" 0 "the daemon stops with 0 (after $churned containers created)"
LPID=

grep -q 'PostgreSQL: stopped; .* 0 dropped in total' "$W/out/container_monitor.log"
ok $? "the sink says it dropped nothing: $(grep -o 'PostgreSQL: stopped.*' "$W/out/container_monitor.log" | tail -n 1)"
pg_psql "COPY (SELECT container_id, count(*) FROM samples GROUP BY 1) TO STDOUT WITH CSV" churn >"$W/db-samples.csv"
pg_psql "COPY (SELECT container_id, count(*) FROM alerts GROUP BY 1) TO STDOUT WITH CSV" churn >"$W/db-alerts.csv"
csv_py "$W/out/metrics.csv" '
import collections
want = collections.Counter(r["container_id"] for r in rows)
got = collections.Counter({r[0]: int(r[1]) for r in csv.reader(open(args[0]))})
names = {r["container_id"]: r["name"] for r in rows}
churn = [c for c in want if names[c].startswith("churn-")]
diff = {names.get(c, c): (want[c], got[c]) for c in set(want) | set(got) if want[c] != got[c]}
print("%d containers in the CSV (%d from the churn), %d rows; database %d rows; differing (csv, db): %s" % (
    len(want), len(churn), sum(want.values()), sum(got.values()), dict(list(diff.items())[:5])))
with open(args[1], "w") as f:
    f.write("%d\n" % len(churn))
sys.exit(1 if diff or not rows else 0)' "$W/db-samples.csv" "$W/seen"
ok $? "per container, the database holds as many sample rows as metrics.csv"
seen=$(cat "$W/seen" 2>/dev/null || echo 0)
# a container removed within a tick of its start may leave no row; most must have some
ok $(( seen >= churned * 2 / 3 ? 0 : 1 )) "the churn was seen: $seen of $churned containers have rows"
"$PY" - "$W/out/container_alerts.log" "$W/db-alerts.csv" <<'PYEOF'
import collections, csv, re, sys
want = collections.Counter()
for line in open(sys.argv[1], "rb").read().decode("utf-8", "replace").splitlines():
    m = re.search(r" container_id=(\S+)", line)
    want[m.group(1) if m else ""] += 1
got = collections.Counter({r[0]: int(r[1]) for r in csv.reader(open(sys.argv[2]))})
diff = {c: (want[c], got[c]) for c in set(want) | set(got) if want[c] != got[c]}
print("# alert log %d lines over %d containers, database %d rows; differing (log, db): %s" % (
    sum(want.values()), len(want), sum(got.values()), dict(list(diff.items())[:5])))
sys.exit(1 if diff or not want else 0)
PYEOF
ok $? "per container, the alerts table holds every line of the alert log, once"
is "$(cat "$W/out/stderr")" "" "nothing on standard error"

done_testing
