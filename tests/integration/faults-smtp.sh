#!/bin/bash
# faults-smtp.sh — the alert service (lookout notify --follow) through SMTP faults, against a real server
# (smtpd.py: aiosmtpd with STARTTLS and AUTH): first nothing listens on the port at all, then the server
# starts; then it throttles (454); then it refuses one recipient for good (550 at RCPT) while accepting the
# other. Counted in what the server received: every alert reaches every recipient that can get it in exactly
# one message, no Message-ID arrives twice, and the permanent refusal is logged exactly once.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOOKOUT=${LOOKOUT:-$top_builddir/lookout}
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/lib/alertmail.sh"
once_per_tree faults-smtp

[ -x "$PY" ] || { echo "1..0 # SKIP /usr/bin/python3 not installed"; exit 0; }
"$PY" -c 'import aiosmtpd' 2>/dev/null || { echo "1..0 # SKIP python3-aiosmtpd not installed"; exit 0; }
command -v openssl >/dev/null 2>&1 || { echo "1..0 # SKIP openssl not installed"; exit 0; }
[ -x "$LOOKOUT" ] || bail "no lookout binary at $LOOKOUT (build it first)"

W=$(mktemp -d /tmp/lookout-faults-smtp.XXXXXX) || bail "mktemp failed"
NPID=
cleanup() {
	[ -n "$NPID" ] && kill "$NPID" 2>/dev/null && wait "$NPID" 2>/dev/null
	am_smtpd_stop
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
AM_CERT_DIR=$W
am_cert "$W" || bail "openssl cannot make a certificate"

PORT=$(am_free_port)
export SMTP_HOST=localhost SMTP_PORT=$PORT SMTP_USERNAME=$AM_USER SMTP_PASSWORD=$AM_PASS SMTP_CA_FILE=$W/cert.pem
export SENDER_EMAIL=lookout@example.com RECIPIENT_EMAILS='ops@example.com,dev@example.org'
export BUFFER_TIMEOUT=2 ALERT_COOLDOWN=5 CHECK_INTERVAL=1 SMTP_TIMEOUT=10
unset AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY LOOKOUT_CONFIG LOOKOUT_NOTIFY_STATE
export LOOKOUT_SILENCES_FILE=$W/silences
LOG=$W/alerts.log
STATE=$W/.lookout-notify.state
ERR=$W/notify.err
: >"$LOG"
show() { diag "--- notifier log ---" "$(tail -n 15 "$ERR")"; }
delivered() { ls "$W"/srv/msg-*.eml 2>/dev/null | wc -l; }
# carried NAME: messages that mention alert NAME
carried() { "$PY" "$top_srcdir/tests/lib/mailcount.py" --carried "$W/srv" "$1"; }

# ---- nothing listens on the port ----------------------------------------------------------------------
"$LOOKOUT" notify --follow "$LOG" 2>"$ERR" &
NPID=$!
poll_until "grep -q 'email alerts: following' '$ERR'" 20 0.1 || bail "the notifier did not start: $(cat "$ERR")"
am_alert "$LOG" firing container_down fs-down-1
am_alert "$LOG" firing high_cpu fs-down-2
poll_until "grep -q 'not delivered (attempt 1).*nothing listens there' '$ERR'" 30
ok $? "nothing listening: the attempt fails with a line that says so, and the message is kept" || show
poll_until "grep -q '^msg .*fs-down-2' '$STATE' && [ \$(grep -c '^msg ' '$STATE') -ge 2 ]" 30
ok $? "both alerts wait in the outbox of the state file while the server is away"
am_smtpd_start "$PORT" "$W/srv" || bail "aiosmtpd did not start: $(cat "$W/srv.err")"
poll_until '[ "$(carried fs-down-1)" -ge 1 ] && [ "$(carried fs-down-2)" -ge 1 ]' 60 || show
is "$(carried fs-down-1) $(carried fs-down-2)" "1 1" "the server starts listening: both are delivered, once each"
kill -0 "$NPID" 2>/dev/null
ok $? "the notifier lived through the outage"

# ---- throttling: 454 to the next two messages ----------------------------------------------------------
echo "454 2" >"$W/srv/control"
am_alert "$LOG" firing container_down fs-thr-1
poll_until "grep -q 'not delivered (attempt 1).*454' '$ERR'" 30 || show
am_alert "$LOG" firing oom fs-thr-2
poll_until '[ "$(carried fs-thr-1)" -ge 1 ] && [ "$(carried fs-thr-2)" -ge 1 ]' 60 || show
is "$(grep -c '^454 ' "$W/srv/attempts.log")" 2 "the server throttled two attempts (454)"
is "$(carried fs-thr-1) $(carried fs-thr-2)" "1 1" "throttled, retried with back-off, delivered once each"
grep -q 'not delivered (attempt 1): .*answered: 454 Throttling.*lookout retries' "$ERR"
ok $? "the throttling is logged as temporary, with the server's words"

# ---- one recipient refused for good (550 at RCPT), the other accepted ---------------------------------
echo "550 dev@example.org" >"$W/srv/control"
am_alert "$LOG" firing container_down fs-rej-1
poll_until "grep -q 'refused for good' '$ERR'" 30 || show
am_alert "$LOG" firing container_down fs-rej-2
poll_until '[ "$(carried fs-rej-2)" -ge 1 ]' 30 || show
rm -f "$W/srv/control"
am_alert "$LOG" firing container_down fs-last
poll_until '[ "$(carried fs-last)" -ge 1 ] && am_caught_up "$LOG" "$STATE"' 60 || show
rej1=$(grep 'queued email .* on fs-rej-1' "$ERR" | sed 's/.* queued email \([^ ]*\) .*/\1/')
is "$(grep -c "email $rej1 not delivered to dev@example.org (550 .*refused for good" "$ERR")" 1 \
	"a recipient refused with 550: logged exactly once, with the server's words ($(grep -o 'not delivered to dev.*' "$ERR" | head -n 1))"
is "$(grep -c "$rej1.*refused for now" "$ERR")" 0 "... and not queued again for that recipient"
is "$(grep -c '^550 dev@example.org' "$W/srv/rcpt.log")" 2 "the server refused it once per message (two messages)"

# ---- the count ---------------------------------------------------------------------------------------
got=$(am_count "$W/srv" "$LOG" fs- ops@example.com)
diag "ops@example.com: $got"
case $got in *" skipped=0 split=0 repeats=0 "*) st=0 ;; *) st=1 ;; esac
ok $st "ops@example.com got each of the 7 alerts in exactly one message, no Message-ID twice"
echo "$got" | grep -q '^alerts=7 '
ok $? "all 7 alerts were counted"
# dev@example.org: everything before the refusals; the refused ones never reached it
cp "$LOG" "$W/alerts-dev.log"
sed -i '/fs-rej-/d' "$W/alerts-dev.log"
got=$(am_count "$W/srv" "$W/alerts-dev.log" fs- dev@example.org)
diag "dev@example.org (without the two it refuses): $got"
case $got in "alerts=5 "*" skipped=0 split=0 repeats=0 "*) st=0 ;; *) st=1 ;; esac
ok $st "dev@example.org got every alert it accepts exactly once"
got=$(am_count "$W/srv" "$LOG" fs-rej- dev@example.org)
case $got in "alerts=2 "*" skipped=2 "*) st=0 ;; *) st=1 ;; esac
ok $st "the two alerts it refused never reached dev@example.org ($got)"
kill -TERM "$NPID"
wait "$NPID"
is "$?" 0 "the notifier stops with 0"
NPID=
done_testing
