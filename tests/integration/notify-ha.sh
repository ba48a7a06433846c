#!/bin/bash
# notify-ha.sh — high availability of email alerts (LOOKOUT_NOTIFY_HA=pg): two daemons watch the same private
# Docker engine with a real PostgreSQL and a real SMTP server (smtpd.py: STARTTLS + AUTH). One takes the
# advisory lock and sends, the other stands by and drops its copies of what the database records as sent.
# Containers stop (container_down) and start again (resolved) while the sender is killed with SIGKILL just as
# the server has taken one of its messages but not yet answered (so it comes again: the window, pinned). The standby takes over (the time from its own log), and at the
# end every alert was emailed, repeats are counted against the documented window (at most the message in
# flight at the kill), and every emailed alert is recorded in notify_sent. Then PostgreSQL stops: after
# NOTIFYHA_FAILOPEN_MS the surviving instance sends without coordination (duplicates rather than silence),
# says so, and records what it sent once the database is back.
# Environment (set by make check): top_srcdir, top_builddir, LOOKOUT.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOOKOUT=${LOOKOUT:-$top_builddir/lookout}
. "$top_srcdir/tests/integration/lib.sh"
once_per_tree notify-ha
. "$top_srcdir/tests/lib/engine.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/alertmail.sh"

[ -x "$LOOKOUT" ] || bail "no lookout binary at $LOOKOUT (build it first)"
if ! grep -q '^#define HAVE_PQ 1' "$top_builddir/autoconfig.h" 2>/dev/null; then
	echo "1..0 # SKIP lookout was built without libpq (configure found no libpq-dev)"
	exit 0
fi
engine_require
pg_require
"$PY" -c 'import aiosmtpd' 2>/dev/null || { echo "1..0 # SKIP python3-aiosmtpd not installed"; exit 0; }
command -v openssl >/dev/null 2>&1 || { echo "1..0 # SKIP openssl not installed"; exit 0; }

IMAGE=lookout-test/busybox:latest
plan 22

W=$(mktemp -d /tmp/lookout-notify-ha.XXXXXX) || bail "mktemp failed"
APID= BPID=
stop_all() {
	local p
	for p in $APID $BPID; do kill -TERM "$p" 2>/dev/null; done
	for p in $APID $BPID; do wait "$p" 2>/dev/null; done
	am_smtpd_stop
	pg_cleanup
}
engine_on_cleanup stop_all
engine_on_cleanup '[ -n "${KEEP_WORK:-}" ] || rm -rf "$W"'

T0=$SECONDS
engine_start
engine_image "$IMAGE"
for i in 1 2 3 4 5; do
	docker run -d --name "ha-$i" --network none "$IMAGE" sleep 100000 >/dev/null || bail "docker run failed"
done
pg_init
pg_start || bail "PostgreSQL would not start"
pg_psql "CREATE DATABASE lookout" >/dev/null || bail "CREATE DATABASE failed"
AM_CERT_DIR=$W
am_cert "$W" || bail "openssl cannot make a certificate"
SPORT=$(am_free_port)
am_smtpd_start "$SPORT" "$W/srv" || bail "aiosmtpd did not start: $(cat "$W/srv.err")"
diag "engine, database and SMTP server ready after $((SECONDS - T0)) s"

export SMTP_HOST=localhost SMTP_PORT=$SPORT SMTP_USERNAME=$AM_USER SMTP_PASSWORD=$AM_PASS SMTP_CA_FILE=$W/cert.pem
export SENDER_EMAIL=lookout@example.com RECIPIENT_EMAILS=ops@example.com
export BUFFER_TIMEOUT=1 ALERT_COOLDOWN=1 CHECK_INTERVAL=1 NOTIFY_RESOLVED=true
unset AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY LOOKOUT_CONFIG LOOKOUT_NOTIFY_STATE LOOKOUT_SILENCES_FILE
URL="host=127.0.0.1 port=$PG_PORT dbname=lookout user=postgres"

start_daemon() { # start_daemon DIR: its pid in DPID
	mkdir -p "$1"
	"$LOOKOUT" --daemon --output-dir "$1" --interval 1 --status-every 0 --listen off --pg "$URL" --notify-ha pg \
		</dev/null >"$1/stdout" 2>"$1/stderr" &
	DPID=$!
}
A=$W/a B=$W/b
mails() { ls "$W"/srv/msg-*.eml 2>/dev/null | wc -l; }
carried() { "$PY" "$top_srcdir/tests/lib/mailcount.py" --carried "$W/srv" "$1"; }
ts_of() { # ts_of FILE PATTERN: the epoch seconds of the first log line matching PATTERN
	local t
	t=$(grep -m1 -- "$2" "$1" | cut -d' ' -f1)
	[ -n "$t" ] && date -d "$t" +%s.%N
}

# ---- configuration error --------------------------------------------------------------------------------
out=$("$LOOKOUT" --daemon --output-dir "$W/cfg" --listen off --notify-ha pg 2>&1 </dev/null)
is "$?" 2 "LOOKOUT_NOTIFY_HA=pg without a database is refused with exit status 2: $out"

# ---- one sends, the other stands by ------------------------------------------------------------------
start_daemon "$A"
APID=$DPID
poll_until "grep -q 'notifier HA: took the lock' '$A/container_monitor.log' 2>/dev/null" 30
ok $? "the first daemon takes the lock" || diag "$(tail -n 5 "$A/container_monitor.log")"
start_daemon "$B"
BPID=$DPID
poll_until "grep -q 'notifier HA: another lookout holds the lock' '$B/container_monitor.log' 2>/dev/null" 30
ok $? "the second stands by" || diag "$(tail -n 5 "$B/container_monitor.log")"

for i in 1 2; do
	docker stop -t 1 "ha-$i" >/dev/null
	poll_until "[ \"\$(carried ha-$i)\" -ge 1 ]" 30
done
poll_until "[ \$(grep -c 'not sent by this lookout: another lookout already emailed' '$B/container_monitor.log') -ge 2 ]" 30
ok $? "the standby drops its copies of both emails, recorded as sent by the active one" ||
	diag "$(grep -h 'email\|HA' "$B/container_monitor.log" | tail -n 8)"
is "$(grep -c 'accepted' "$B/container_monitor.log")" 0 "the standby sent nothing"

# ---- SIGKILL of the sender just as the server has taken a message ----------------------------------------
# The server saves the message, then holds its answer to DATA for 1.5 s: the SIGKILL lands in that wait, so
# the sender never learns the message was accepted and never records it — the documented window, pinned.
n0=$(mails)
echo "drag 1.5" >"$W/srv/control"
docker stop -t 1 ha-3 >/dev/null
poll_until "[ \$(mails) -gt $n0 ]" 30 0.02
ok $? "the active daemon's email for ha-3 reached the server"
kill -KILL "$APID"
KILL_AT=$(date +%s.%N)
{ wait "$APID"; } 2>/dev/null
APID=
echo "" >"$W/srv/control"
poll_until "[ \$(grep -c 'notifier HA: took the lock' '$B/container_monitor.log') -ge 1 ]" 30
ok $? "the standby takes the lock" || diag "$(tail -n 8 "$B/container_monitor.log")"
TAKE_AT=$(ts_of "$B/container_monitor.log" 'notifier HA: took the lock')
took=$(awk -v a="$KILL_AT" -v b="$TAKE_AT" 'BEGIN { printf "%.2f", b - a }')
ok "$(awk -v d="$took" 'BEGIN { print (d >= 0 && d <= 5) ? 0 : 1 }')" \
	"... within 5 s of the SIGKILL ($took s, from its own log's time)"
check "its log says it takes over" grep -q 'took the lock .*taking over from the lookout that held it' "$B/container_monitor.log"

# After the takeover: another container stops, the first one starts again (resolved).
docker stop -t 1 ha-4 >/dev/null
docker start ha-1 >/dev/null
poll_until "[ \"\$(carried ha-4)\" -ge 1 ] && grep -q '^ha-1 RESOLVED' <(\"\$PY\" \"\$top_srcdir/tests/lib/hacount.py\" \"\$W/srv\" ha-)" 40
ok $? "the new sender emails the alerts that came after the takeover"
poll_until "[ \"\$(carried ha-3)\" -ge 1 ]" 10
counts=$("$PY" "$top_srcdir/tests/lib/hacount.py" "$W/srv" ha-)
diag "emails per alert (name state kind messages):" "$(printf '%s\n' "$counts" | awk '{ print $1, $2, $3, $4 }')"
is "$(printf '%s\n' "$counts" | awk '{ print $1 ":" $2 }' | tr '\n' ' ')" \
	"ha-1:FIRING ha-1:RESOLVED ha-2:FIRING ha-3:FIRING ha-4:FIRING " "every alert was emailed"
repeats=$(printf '%s\n' "$counts" | awk '{ r += $4 - 1 } END { print r + 0 }')
repeated=$(printf '%s\n' "$counts" | awk '$4 > 1 { print $1 }' | tr '\n' ' ')
diag "repeats: $repeats ${repeated:+($repeated)}"
ok $(( repeats <= 1 ? 0 : 1 )) "repeats: $repeats, within the window (at most the one message in flight at the SIGKILL)"
is "$repeated" "ha-3 " "the repeat is the alert whose email the server had taken but not yet answered at the SIGKILL" || {
	# What each side did about ha-3, and what the server holds.
	diag "killed at $KILL_AT; the server's messages:" "$(ls -l --time-style=+%T.%N "$W"/srv/ 2>&1 | tail -n 12)"
	diag "A (killed):" "$(grep -h 'ha-3\|email\|HA' "$A/container_monitor.log" | tail -n 12)"
	diag "B (took over):" "$(grep -h 'ha-3\|email\|HA' "$B/container_monitor.log" | tail -n 20)"
	diag "B's alert log:" "$(grep -h 'ha-3' "$B/container_alerts.log" | tail -n 5)"
	diag "notify_sent:" "$(pg_psql "SELECT container, state, since, message_id, instance FROM notify_sent" lookout)"
}
poll_until "[ \"\$(pg_psql \"SELECT count(DISTINCT (container, state)) FROM notify_sent WHERE container LIKE 'ha-%'\" lookout)\" = 5 ]" 20
ok $? "notify_sent records every emailed alert ($(pg_psql "SELECT count(*) FROM notify_sent" lookout) rows)" ||
	diag "$(pg_psql "SELECT container, state, alert, message_id, instance FROM notify_sent" lookout)"

# ---- PostgreSQL down: after the grace the survivor sends on its own, and says so ---------------------------
pg_stop
poll_until "grep -q 'notifier HA: lost the connection' '$B/container_monitor.log'" 30
ok $? "the survivor notices the database is gone"
STOP_AT=$(date +%s.%N)
docker stop -t 1 ha-5 >/dev/null
poll_until "[ \"\$(carried ha-5)\" -ge 1 ]" 60
ok $? "with the database down the alert is still emailed"
SENT_AT=$(date +%s.%N)
check "the log says it sends without coordination" grep -q 'sending email without coordination' "$B/container_monitor.log"
waited=$(awk -v a="$STOP_AT" -v b="$SENT_AT" 'BEGIN { printf "%.1f", b - a }')
diag "sent $waited s after the container stopped"
LOST_AT=$(ts_of "$B/container_monitor.log" 'notifier HA: lost the connection')
OPEN_AT=$(ts_of "$B/container_monitor.log" 'sending email without coordination')
grace=$(awk -v a="$LOST_AT" -v b="$OPEN_AT" 'BEGIN { printf "%.2f", b - a }')
ok "$(awk -v d="$grace" 'BEGIN { print (d >= 9.9 && d <= 30) ? 0 : 1 }')" \
	"it sent on its own only after the 10 s grace ($grace s from losing the database, by its own log)"
pg_start || bail "PostgreSQL would not start again"
poll_until "[ \"\$(pg_psql \"SELECT count(*) FROM notify_sent WHERE container = 'ha-5'\" lookout)\" -ge 1 ]" 30
ok $? "once the database is back the email sent meanwhile is recorded"
poll_until "[ \$(grep -c 'notifier HA: took the lock' '$B/container_monitor.log') -ge 2 ]" 30
ok $? "... and the survivor holds the lock again"
kill -TERM "$BPID"
wait "$BPID"
is "$?" 0 "the survivor stops with exit status 0"
BPID=
is "$(cat "$A/stderr" "$B/stderr")" "" "nothing on the daemons' standard error"
done_testing
