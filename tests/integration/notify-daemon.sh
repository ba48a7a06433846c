#!/bin/bash
# notify-daemon.sh — email alerts end to end: `lookout --daemon` against a private Docker engine, its notifier
# thread following the alert log it writes, and a real SMTP server (aiosmtpd, STARTTLS + AUTH). One
# `docker kill` is one email, within seconds; the restart is one recovery email; with NOTIFY=false the daemon
# sends nothing (the compose stack's alert-service does).
#
# "Only one" is shown on the notifier's own record: its state file says it has read the whole alert log, no
# buffer is open and nothing waits in its outbox — only then are the emails counted.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOOKOUT=${LOOKOUT:-$top_builddir/lookout}
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/lib/engine.sh"

engine_require
"$PY" -c 'import aiosmtpd' 2>/dev/null || engine_skip "python3-aiosmtpd not installed"
command -v openssl >/dev/null 2>&1 || engine_skip "openssl not installed"
[ -x "$LOOKOUT" ] || bail "no lookout binary at $LOOKOUT (build it first)"

IMAGE=lookout-test/busybox:latest
plan 14

W=$(mktemp -d /tmp/lookout-notify-daemon.XXXXXX) || bail "mktemp failed"
LPID=
SPID=
stop_daemon() { [ -n "$LPID" ] && kill -TERM "$LPID" 2>/dev/null && wait "$LPID" 2>/dev/null; LPID=; }
stop_smtpd() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null; SPID=; }
engine_on_cleanup stop_daemon
engine_on_cleanup stop_smtpd
engine_on_cleanup '[ -n "${KEEP_WORK:-}" ] || rm -rf "$W"'

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/key.pem" -out "$W/cert.pem" -days 2 -subj /CN=localhost \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1 || bail "openssl cannot make a certificate"
PORT=$(engine_free_port)
"$PY" "$top_srcdir/tests/lib/smtpd.py" "$PORT" "$W/srv" "$W/cert.pem" "$W/key.pem" bob hunter2 >"$W/smtpd.out" \
	2>"$W/smtpd.err" &
SPID=$!
poll_until "grep -q ready '$W/smtpd.out'" 20 0.1 || bail "aiosmtpd did not start: $(cat "$W/smtpd.err")"

engine_start
engine_image "$IMAGE"

export SMTP_HOST=localhost SMTP_PORT=$PORT SMTP_USERNAME=bob SMTP_PASSWORD=hunter2 SMTP_CA_FILE=$W/cert.pem
export SENDER_EMAIL=lookout@example.com RECIPIENT_EMAILS=ops@example.com
export BUFFER_TIMEOUT=3 ALERT_COOLDOWN=5 CHECK_INTERVAL=1
unset AWS_REGION LOOKOUT_CONFIG

docker run -d --name nd-victim --network none "$IMAGE" sleep 100000 >/dev/null || bail "docker run failed"
docker run -d --name nd-busy --network none "$IMAGE" sh -c 'while :; do :; done' >/dev/null || bail "docker run failed"

D=$W/out
mkdir -p "$D"
"$LOOKOUT" --daemon --output-dir "$D" --interval 0.5 --status-every 0 --container nd-victim --container nd-busy \
	--cpu-threshold 10 --alert-for 1 </dev/null >"$D/stdout" 2>"$D/stderr" &
LPID=$!
poll_until "grep -qs 'email alerts: following' '$D/container_monitor.log'" 30
ok $? "the daemon started its notifier thread on its own alert log"
out=$(timeout 30 "$LOOKOUT" notify --follow "$D/container_alerts.log" 2>&1); st=$?
is "$st" 2 "lookout notify on the alert log the daemon's own notifier follows refuses (exit 2)"
echo "$out" | grep -q "another notifier (pid $LPID) already follows" && echo "$out" | grep -q "NOTIFY=false"
ok $? "saying so in one line, with the daemon's pid and the fix: $out"
poll_until "csv_py '$D/metrics.csv' 'sys.exit(0 if any(r[\"name\"] == \"nd-victim\" for r in rows) else 1)'" 30 0.5
ok $? "the victim is watched"

# emails that name the victim, from the server's saved messages
count() { "$PY" - "$W/srv" "$1" <<'PYEOF'
import email, glob, sys
from email import policy
n = 0
for p in glob.glob(sys.argv[1] + "/msg-*.eml"):
    m = email.message_from_bytes(open(p, "rb").read(), policy=policy.default)
    if sys.argv[2] in m.get_body(("plain",)).get_content():
        n += 1
print(n)
PYEOF
}
# caught_up: the notifier read the whole alert log, no buffer is open, nothing waits to be sent
caught_up() {
	local size
	size=$(stat -c %s "$D/container_alerts.log" 2>/dev/null || echo 0)
	grep -q "^pos .*offset=$size\$" "$D/.lookout-notify.state" && grep -q '^nbuf open=0 ' "$D/.lookout-notify.state" &&
		! grep -q '^msg ' "$D/.lookout-notify.state"
}

T0=$(date +%s.%N)
docker kill nd-victim >/dev/null
poll_until '[ "$(count "== nd-victim ==")" -ge 1 ]' 30
ok $? "docker kill: an email arrives"
T1=$(date +%s.%N)
diag "$(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "first email %.1f s after docker kill", b - a }')"
"$PY" - "$W/srv" <<'PYEOF'
import email, glob, sys
from email import policy
for p in glob.glob(sys.argv[1] + "/msg-*.eml"):
    m = email.message_from_bytes(open(p, "rb").read(), policy=policy.default)
    print("# subject:", m["Subject"])
PYEOF
poll_until caught_up 30
ok $? "the notifier caught up with the alert log"
is "$(count "== nd-victim ==")" 1 "one docker kill is one email"
grep -q 'container down' "$W"/srv/msg-1.eml 2>/dev/null || "$PY" -c '
import email, sys
from email import policy
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=policy.default)
sys.exit(0 if "container down" in m["Subject"] else 1)' "$W/srv/msg-1.eml"
ok $? "its subject says container down"

docker start nd-victim >/dev/null
poll_until '[ "$(count "RESOLVED")" -ge 1 ]' 30
ok $? "the restart: one recovery email"

# a container with a firing alert (high CPU), then killed: the kill is still one email
poll_until '[ "$(count "== nd-busy ==")" -ge 1 ]' 60
ok $? "a busy loop: its high CPU alert is emailed"
poll_until caught_up 30
docker kill nd-busy >/dev/null
poll_until "grep -q 'alert=container_down container=nd-busy' '$D/container_alerts.log'" 30
poll_until '[ "$(count "== nd-busy ==")" -ge 2 ]' 30
ok $? "its kill is emailed"
poll_until caught_up 30
is "$(count "== nd-busy ==")" 2 "one email for the high CPU, one for the kill: nothing else about nd-busy"
stop_daemon

# NOTIFY=false: the daemon writes the alert log but sends nothing (a separate alert-service does)
D=$W/off
mkdir -p "$D"
NOTIFY=false "$LOOKOUT" --daemon --output-dir "$D" --interval 0.5 --status-every 0 --container nd-victim \
	</dev/null >"$D/stdout" 2>"$D/stderr" &
LPID=$!
poll_until "grep -qs 'email alerts off' '$D/container_monitor.log'" 30
ok $? "NOTIFY=false: the daemon says email alerts are off"
before=$(ls "$W"/srv/msg-*.eml | wc -l)
docker kill nd-victim >/dev/null
poll_until "grep -q 'container=nd-victim' '$D/container_alerts.log'" 30
after=$(ls "$W"/srv/msg-*.eml | wc -l)
[ ! -e "$D/.lookout-notify.state" ] && [ "$after" = "$before" ]
ok $? "the daemon has no notifier (no state file) and sent nothing"
stop_daemon
done_testing
