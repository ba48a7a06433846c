#!/bin/bash
# notify.sh — the alert service against a real SMTP server (aiosmtpd on loopback: STARTTLS with a throwaway
# certificate, AUTH required, every message saved, 454/554 on demand). Alerts are lines appended to an alert
# log this script owns — the interface between the daemon and the alert service. Covers: notify --test good
# and bad; N alerts in one email; a flap sends nothing; critical within 2 s; cooldown; several TLS sessions
# in one process; server down then up; 454 then success; 554 dropped once; kill -9 and restart; rotation;
# silences; hostile text; more than 50 recipients; SES credentials end to end.
#
# Timing is polled with generous deadlines; "nothing was sent" is shown by a later marker alert that must
# arrive in the same or a later email, or by the notifier's own state file.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOOKOUT=${LOOKOUT:-$top_builddir/lookout}
. "$top_srcdir/tests/integration/lib.sh"

[ -x "$PY" ] || { echo "1..0 # SKIP /usr/bin/python3 not installed"; exit 0; }
"$PY" -c 'import aiosmtpd' 2>/dev/null || { echo "1..0 # SKIP python3-aiosmtpd not installed"; exit 0; }
command -v openssl >/dev/null 2>&1 || { echo "1..0 # SKIP openssl not installed"; exit 0; }
[ -x "$LOOKOUT" ] || bail "no lookout binary at $LOOKOUT (build it first)"

W=$(mktemp -d /tmp/lookout-notify-test.XXXXXX) || bail "mktemp failed"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$W"
}
trap cleanup EXIT

free_port() { "$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/key.pem" -out "$W/cert.pem" -days 2 -subj /CN=localhost \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1 || bail "openssl cannot make a certificate"

# start_smtpd NAME PORT USER PASSWORD: a server saving into $W/NAME; its pid in SMTPD_PID_NAME
start_smtpd() {
	local name=$1 port=$2
	: >"$W/$name.out"
	"$PY" "$top_srcdir/tests/lib/smtpd.py" "$port" "$W/$name" "${CERT:-$W/cert.pem}" "${KEY:-$W/key.pem}" "$3" "$4" \
		>"$W/$name.out" 2>>"$W/$name.err" &
	local pid=$!
	PIDS+=("$pid")
	eval "SMTPD_PID_$name=$pid"
	poll_until "grep -q ready '$W/$name.out'" 20 0.1
}
stop_smtpd() {
	local pid
	eval "pid=\$SMTPD_PID_$1"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

PORT=$(free_port)
start_smtpd srv "$PORT" alice 's3cret pass' || bail "aiosmtpd did not start: $(cat "$W/srv.err")"

export SMTP_HOST=localhost SMTP_PORT=$PORT SMTP_USERNAME=alice SMTP_PASSWORD='s3cret pass' SMTP_CA_FILE=$W/cert.pem
export SENDER_EMAIL=lookout@example.com RECIPIENT_EMAILS='ops@example.com, dev@example.org'
export PUBLIC_URL=https://mon.example.com/lookout
export BUFFER_TIMEOUT=3 ALERT_COOLDOWN=8 CHECK_INTERVAL=1 SMTP_TIMEOUT=10
unset AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY LOOKOUT_CONFIG
export LOOKOUT_SILENCES_FILE=$W/silences

# ---- helpers ------------------------------------------------------------------------------------------
LOG=$W/alerts.log
: >"$LOG"
SEQ=0
now_iso() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
# alert STATE KIND CONTAINER [MSG]: one alert-log line, escaped as the daemon writes them (values in
# double quotes with \r \n \" \\ escapes), appended with one write.
alert() {
	local state=$1 kind=$2 name=$3 msg=${4:-"$2 $1 on $3"} level=warning t
	case $kind in container_down | health_failed | oom | restart_loop) level=critical ;; esac
	SEQ=$((SEQ + 1))
	t=$(now_iso)
	"$PY" - "$LOG" "$t" "$level" "$state" "$kind" "$name" "$msg" "$SEQ" "${ALERT_LOG:-$LOG}" <<'PYEOF'
import sys
_, log, t, level, state, kind, name, msg, seq, target = sys.argv
def q(v):
    b = v.encode("utf-8", "surrogateescape")
    out = '"'
    for c in b:
        if c in (0x22, 0x5c): out += "\\" + chr(c)
        elif c == 0x0a: out += "\\n"
        elif c == 0x0d: out += "\\r"
        elif c < 0x20 or c == 0x7f: out += "\\x%02x" % c
        else: out += chr(c) if c < 0x80 else "\\x%02x" % c
    return out + '"'
line = "ts=%s level=%s state=%s alert=%s container=%s container_id=%s value=95 threshold=40 since=%s seq=%s msg=%s\n" % (
    t, level, state, kind, q(name), "0" * 12, t, seq, q(msg))
with open(target, "ab") as f:
    f.write(line.encode("ascii"))
PYEOF
}

# mails CODE [ARGS]: CODE runs with `msgs`, the saved messages in order, each a dict: subject, mid, plain,
# html, raw (bytes), to, meta (server side: rcpt_tos, tls, sni, time); and bodies_with(container).
IFS= read -r -d '' MAILS_PY <<'PYEOF' || :
import email, glob, json, os, re, sys
from email import policy
d = sys.argv[1]
args = sys.argv[2:]
msgs = []
for path in sorted(glob.glob(os.path.join(d, "msg-*.eml")), key=lambda p: int(re.search(r"(\d+)\.eml$", p).group(1))):
    raw = open(path, "rb").read()
    m = email.message_from_bytes(raw, policy=policy.default)
    meta = json.load(open(path[:-4] + ".json"))
    plain = m.get_body(("plain",))
    html = m.get_body(("html",))
    msgs.append({"subject": str(m["Subject"]), "mid": str(m["Message-ID"]), "raw": raw, "msg": m,
                 "plain": plain.get_content() if plain else "", "html": html.get_content() if html else "",
                 "to": str(m["To"]), "meta": meta})
def with_container(name):
    return [x for x in msgs if ("== %s ==" % name) in x["plain"]]
PYEOF
mails() { local code=$1; shift; "$PY" -c "$MAILS_PY$code" "$W/${MAILDIR:-srv}" "$@"; }
# mcheck CODE [ARGS]: mails as a check; what it prints becomes a TAP comment
mcheck() { local out st; out=$(mails "$@"); st=$?; [ -n "$out" ] && diag "$out"; return "$st"; }
nmails() { mails 'print(len(msgs))'; }
# count_for NAME: emails that mention container NAME
count_for() { mails 'print(len(with_container(args[0])))' "$1"; }
attempts_for_mid() { grep -c -- "$1" "$W/srv/attempts.log" 2>/dev/null || echo 0; }

NPID=
start_notifier() {
	local before
	before=$(grep -c 'following' "$W/notify.err" 2>/dev/null || echo 0)
	"$LOOKOUT" notify --follow "$LOG" 2>>"$W/notify.err" &
	NPID=$!
	PIDS+=("$NPID")
	poll_until "[ \$(grep -c following '$W/notify.err') -gt $before ]" 20 0.1
}
stop_notifier() { [ -n "$NPID" ] && kill "$NPID" 2>/dev/null && wait "$NPID" 2>/dev/null; NPID=; }
show() { diag "--- notifier log ---" "$(tail -n 15 "$W/notify.err")"; }

# ---- notify --test ------------------------------------------------------------------------------------
out=$("$LOOKOUT" notify --test 2>&1)
ok $? "notify --test against a good configuration exits 0"
diag "$out"
echo "$out" | grep -q "accepted" && echo "$out" | grep -q "verified certificate"
ok $? "it says the message was accepted over TLS with a verified certificate"
mcheck 'm = msgs[-1]; sys.exit(0 if len(msgs) == 1 and m["subject"] == "[lookout] test message" and
    m["meta"]["rcpt_tos"] == ["ops@example.com", "dev@example.org"] else 1)'
ok $? "the test message arrived, to both recipients"
mcheck 'm = msgs[-1]["meta"]; print(m); sys.exit(0 if m["tls"] == "TLSv1.2" and m["sni"] == "localhost" else 1)'
ok $? "TLS capped at 1.2 (the server offers 1.3) and SNI sent (libesmtp sends none by itself)"
grep -q ok "$W/srv/auth.log"; ok $? "AUTH was required and passed"

out=$(SMTP_PASSWORD=wrong-pass "$LOOKOUT" notify --test 2>&1); st=$?
is "$st" 1 "notify --test with a bad password exits 1"
echo "$out" | grep -q "535" && echo "$out" | grep -q "fix: check SMTP_USERNAME and SMTP_PASSWORD"
ok $? "it quotes the server's 535 and says what to fix"
diag "$out"
! echo "$out" | grep -q "wrong-pass"; ok $? "the password is not printed"

out=$(SMTP_CA_FILE= "$LOOKOUT" notify --test 2>&1); st=$?
is "$st" 1 "notify --test without the CA of the server's certificate exits 1"
echo "$out" | grep -qi "certificate" && echo "$out" | grep -q "SMTP_CA_FILE"
ok $? "it names the certificate problem and SMTP_CA_FILE"
diag "$out"

# a certificate that is trusted (SMTP_CA_FILE) but names another host is refused
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/other-key.pem" -out "$W/other-cert.pem" -days 2 \
	-subj /CN=mail.other.example -addext "subjectAltName=DNS:mail.other.example" >/dev/null 2>&1
OTHER_PORT=$(free_port)
CERT=$W/other-cert.pem KEY=$W/other-key.pem start_smtpd other "$OTHER_PORT" alice 's3cret pass' || bail "aiosmtpd (other)"
out=$(SMTP_PORT=$OTHER_PORT SMTP_CA_FILE=$W/other-cert.pem "$LOOKOUT" notify --test 2>&1); st=$?
is "$st" 1 "a trusted certificate for another host name is refused"
echo "$out" | grep -qi "hostname mismatch"; ok $? "the message says the name does not match"
diag "$out"
stop_smtpd other

out=$(SMTP_HOST=host.invalid "$LOOKOUT" notify --test 2>&1); st=$?
is "$st" 1 "notify --test with a host that does not resolve exits 1"
echo "$out" | grep -q "does not resolve"; ok $? "and says so: $(echo "$out" | tail -n 1)"

echo 554 >"$W/srv/control"
out=$("$LOOKOUT" notify --test 2>&1); st=$?
rm -f "$W/srv/control"
is "$st" 1 "notify --test with an address SES has not verified (554) exits 1"
echo "$out" | grep -q "not verified" && echo "$out" | grep -q "fix: verify SENDER_EMAIL"
ok $? "it quotes the server and says to verify the addresses (SES sandbox)"

echo 's3cret pass' >"$W/smtp-password"
out=$(env -u SMTP_PASSWORD SMTP_PASSWORD_FILE="$W/smtp-password" "$LOOKOUT" notify --test 2>&1)
ok $? "SMTP_PASSWORD_FILE (Docker secrets) works"

out=$(SMTP_PORT=465 "$LOOKOUT" notify --test 2>&1); st=$?
is "$st" 2 "port 465 is refused as a configuration error"
echo "$out" | grep -q "implicit TLS"; ok $? "with a clear message"
out=$("$LOOKOUT" notify --test --smtp-password x 2>&1); st=$?
is "$st" 2 "no secret can be given as a flag (it would show in ps)"

# SES: user = access key id, password derived from the secret key and region — end to end
SES_PORT=$(free_port)
start_smtpd ses "$SES_PORT" AKIAEXAMPLE BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2 || bail "second aiosmtpd"
out=$(env -u SMTP_USERNAME -u SMTP_PASSWORD SMTP_HOST=localhost SMTP_PORT="$SES_PORT" AWS_REGION=eu-central-1 \
	AWS_ACCESS_KEY_ID=AKIAEXAMPLE AWS_SECRET_ACCESS_KEY=some+secret+key "$LOOKOUT" notify --test 2>&1)
ok $? "SES credentials: AWS_ACCESS_KEY_ID and the password derived from AWS_SECRET_ACCESS_KEY are accepted"
diag "$out"
echo "some+secret+key" >"$W/aws-secret"
out=$(env -u SMTP_USERNAME -u SMTP_PASSWORD SMTP_HOST=localhost SMTP_PORT="$SES_PORT" AWS_REGION=eu-central-1 \
	AWS_ACCESS_KEY_ID=AKIAEXAMPLE AWS_SECRET_ACCESS_KEY_FILE="$W/aws-secret" "$LOOKOUT" notify --test 2>&1)
ok $? "the same through AWS_SECRET_ACCESS_KEY_FILE (Docker secrets)"
stop_smtpd ses

# the daemon refuses wrong email settings at start (before it watches anything)
out=$(env -u SENDER_EMAIL timeout 30 "$LOOKOUT" --daemon --output-dir "$W/daemon-bad" 2>&1); st=$?
is "$st" 2 "lookout --daemon with email settings but no SENDER_EMAIL exits 2"
echo "$out" | grep -q "SENDER_EMAIL"; ok $? "naming what to set: $out"

# plain SMTP only with an explicit SMTP_TLS=off
PLAIN_PORT=$(free_port)
"$PY" "$top_srcdir/tests/lib/smtpd.py" "$PLAIN_PORT" "$W/plain" - - carol pw >"$W/plain.out" 2>"$W/plain.err" &
PIDS+=("$!")
poll_until "grep -q ready '$W/plain.out'" 20 0.1 || bail "plain aiosmtpd did not start"
out=$(SMTP_PORT=$PLAIN_PORT SMTP_USERNAME=carol SMTP_PASSWORD=pw "$LOOKOUT" notify --test 2>&1); st=$?
is "$st" 1 "a server without STARTTLS is refused by default"
echo "$out" | grep -q "does not offer STARTTLS" && echo "$out" | grep -q "SMTP_TLS=off"
ok $? "and the message says so, and how to allow it"
diag "$out"
out=$(SMTP_PORT=$PLAIN_PORT SMTP_USERNAME=carol SMTP_PASSWORD=pw SMTP_TLS=off "$LOOKOUT" notify --test 2>&1)
ok $? "with SMTP_TLS=off, plain SMTP (with AUTH) delivers"
diag "$out"

# ---- the service: buffering ---------------------------------------------------------------------------
rm -f "$W"/srv/msg-* "$W/srv/attempts.log"
start_notifier || bail "notifier did not start: $(cat "$W/notify.err")"
ok 0 "lookout notify --follow started"

# one notifier per state file: a second one on the same log refuses, naming the first, and exits 2
out=$(timeout 30 "$LOOKOUT" notify --follow "$LOG" 2>&1); st=$?
is "$st" 2 "a second lookout notify on the same alert log (same state file) exits 2"
echo "$out" | grep -q "another notifier (pid $NPID) already follows" && echo "$out" | grep -q "NOTIFY=false"
ok $? "with one line naming the other's pid and what to do: $out"

# --health: the running notifier is alive (exit 0, its pid); on a log nobody follows, not running (exit 1)
out=$("$LOOKOUT" notify --health --follow "$LOG" 2>&1); st=$?
is "$st" 0 "notify --health: the running notifier is alive ($out)"
echo "$out" | grep -q "pid $NPID"
ok $? "... and names its pid"
mkdir -p "$W/nobody" "$W/idle"
out=$("$LOOKOUT" notify --health --follow "$W/nobody/alerts.log" 2>&1); st=$?
is "$st" 1 "notify --health on a log no notifier follows: exit 1 ($out)"
# Without any mail route the service waits (no restart loop in a compose stack) and its health says so.
env -u SMTP_HOST -u AWS_REGION "$LOOKOUT" notify --follow "$W/idle/alerts.log" 2>"$W/idle.err" &
IPID=$!
PIDS+=("$IPID")
poll_until "grep -q 'email alerts are off' '$W/idle.err'" 20 0.1
ok $? "no AWS_REGION nor SMTP_HOST: one line says email alerts are off"
sleep 1
kill -0 "$IPID" 2>/dev/null
ok $? "... and the process waits instead of exiting"
out=$("$LOOKOUT" notify --health --follow "$W/idle/alerts.log" 2>&1); st=$?
is "$st" 1 "... while --health reports it is not notifying ($out)"
kill -TERM "$IPID"; wait "$IPID"; st=$?
is "$st" 0 "... and SIGTERM stops it with 0"

# a corrupt state file is a runtime failure (1), not a bad setting (2)
printf 'not a state file\n' >"$W/corrupt.state"
out=$(LOOKOUT_NOTIFY_STATE=$W/corrupt.state timeout 30 "$LOOKOUT" notify --follow "$W/other-alerts.log" 2>&1); st=$?
is "$st" 1 "a corrupt state file: exit 1 ($out)"

alert firing high_cpu web-1
alert firing high_memory db
alert firing slow_response web-1
poll_until '[ "$(nmails)" -ge 1 ]' 30 || show
mcheck 'print([m["subject"] for m in msgs]); sys.exit(0 if len(msgs) == 1 and
    msgs[0]["subject"] == "[lookout] 3 firing on web-1, db: high CPU, high memory, slow response" else 1)'
ok $? "three alerts inside the buffer: one email, a subject that counts them"
mcheck 'p = msgs[0]["plain"]; sys.exit(0 if p.index("== web-1 ==") < p.index("high CPU") < p.index("slow response")
    < p.index("== db ==") and "95.0 % (threshold 40 %)" in p and
    "https://mon.example.com/lookout/?container=web-1" in p else 1)'
ok $? "grouped by container, with value, threshold and a link to the report"

# a flap inside the buffer: nothing; the marker in the same buffer proves it was decided
alert firing high_cpu flap-1
alert resolved high_cpu flap-1
alert firing high_memory marker-1
poll_until '[ "$(count_for marker-1)" -ge 1 ]' 30 || show
is "$(count_for flap-1)" 0 "an alert that fires and resolves inside the buffer sends nothing"

# a critical alert skips the buffer. Times are the program's own: the alert line's ts, and the notifier's log
# lines "queued" (its decision) and "accepted" (the server's 250). The previous email is let age past the
# one-message-per-second spacing first, so that does not count.
poll_until "mails 'import time; sys.exit(0 if time.time() - msgs[-1][\"meta\"][\"time\"] > 1.2 else 1)'" 10
alert firing container_down crit-1 "exited (code 137)"
poll_until '[ "$(count_for crit-1)" -ge 1 ]' 30 || show
poll_until "grep -q accepted '$W/notify.err'" 5
mcheck '
import datetime
def epoch(t):
    return datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
line = [l for l in open(args[0]).read().splitlines() if "container=\"crit-1\"" in l][0]
ts = epoch(re.search(r"ts=(\S+)", line).group(1))
log = open(args[1]).read().splitlines()
q = [l for l in log if " queued email " in l and " on crit-1:" in l][0]
mid = q.split(" queued email ")[1].split()[0]
a = [l for l in log if ("email %s accepted" % mid) in l][0]
dq, da = epoch(q.split()[0]) - ts, epoch(a.split()[0]) - ts
print("critical alert queued %.2f s and accepted %.2f s after its line (BUFFER_TIMEOUT is 3 s)" % (dq, da))
sys.exit(0 if dq < 1.0 and da < 2.0 else 1)' "$LOG" "$W/notify.err"
ok $? "a critical alert arrives within 2 s"

pid_alive=1; kill -0 "$NPID" 2>/dev/null && pid_alive=0
ok "$pid_alive" "one process sent $(nmails) messages over separate TLS sessions and lives (own SSL_CTX per session)"

# cooldown: fires, resolves, fires again at once -> the repeat only after ALERT_COOLDOWN (8 s)
alert firing high_cpu cool-1
poll_until '[ "$(count_for cool-1)" -ge 1 ]' 30 || show
alert resolved high_cpu cool-1
poll_until '[ "$(count_for cool-1)" -ge 2 ]' 30 || show
alert firing high_cpu cool-1
poll_until '[ "$(count_for cool-1)" -ge 3 ]' 40 || show
mcheck '
c = with_container("cool-1")
states = ["FIRING" in m["plain"] for m in c]
gap = c[2]["meta"]["time"] - c[0]["meta"]["time"]
print("states %s, repeat %.1f s after the first" % (states, gap))
sys.exit(0 if states == [True, False, True] and gap >= 7.5 else 1)'
ok $? "cooldown: the recovery goes out, the re-fire only after ALERT_COOLDOWN"

# ---- delivery that survives -----------------------------------------------------------------------------
# server down, then up: delivered once
stop_smtpd srv
alert firing oom down-1 "killed: out of memory"
poll_until "grep -q 'not delivered (attempt 1)' '$W/notify.err'" 30 || show
ok $? "with the server down, the failure is logged and the message kept"
start_smtpd srv "$PORT" alice 's3cret pass' || bail "aiosmtpd did not restart"
poll_until '[ "$(count_for down-1)" -ge 1 ]' 60 || show
is "$(count_for down-1)" 1 "server down then up: delivered once"

grep -- "$(mails 'print(with_container("down-1")[0]["mid"].strip("<>").split("@")[0][8:40])')" "$W/notify.err" |
	grep -q accepted
ok $? "the retry after a failure is reported as accepted (no stale libesmtp error)"

# a message queued while the server is down survives a restart of the notifier
stop_smtpd srv
n_fail=$(grep -c 'not delivered (attempt 1)' "$W/notify.err")
alert firing container_down queued-1
poll_until "[ \$(grep -c 'not delivered (attempt 1)' '$W/notify.err') -gt $n_fail ]" 30 || show
grep -q '^msg ' "$W/.lookout-notify.state"
ok $? "the undelivered message is in the state file"
stop_notifier
start_smtpd srv "$PORT" alice 's3cret pass' || bail "aiosmtpd did not restart"
start_notifier || bail "notifier did not restart"
poll_until '[ "$(count_for queued-1)" -ge 1 ]' 60 || show
is "$(count_for queued-1)" 1 "pending messages survive a restart: delivered once"

# 454 then success: delivered once, after a retry
echo "454 1" >"$W/srv/control"
alert firing container_down throttle-1
poll_until '[ "$(count_for throttle-1)" -ge 1 ]' 60 || show
mid=$(mails 'print(with_container("throttle-1")[0]["mid"])')
is "$(grep -- "$mid" "$W/srv/attempts.log" | awk '{print $1}' | tr '\n' ' ')" "454 250 " \
	"a 454 (throttling) is retried and then delivered once"
is "$(count_for throttle-1)" 1 "exactly one copy arrived"

# one recipient refused with a temporary 450 while the other accepts: it gets the same message later
echo "450 dev@example.org" >"$W/srv/control"
alert firing container_down rcpt450-1
poll_until '[ "$(count_for rcpt450-1)" -ge 2 ]' 60 || show
mcheck 'c = with_container("rcpt450-1"); print([m["meta"]["rcpt_tos"] for m in c])
sys.exit(0 if [m["meta"]["rcpt_tos"] for m in c] == [["ops@example.com"], ["dev@example.org"]] and
    c[0]["mid"] == c[1]["mid"] else 1)'
ok $? "a recipient refused with 450 gets the same message (same Message-ID) on a retry, the other one only once"
grep -q '^450 dev@example.org' "$W/srv/rcpt.log"; ok $? "the server did refuse it once"

# 554: logged once with the server's words and the fix, not retried
echo 554 >"$W/srv/control"
alert firing container_down reject-1
poll_until "grep -q 'dropped' '$W/notify.err'" 30 || show
is "$(grep -c 'dropped' "$W/notify.err")" 1 "a 554 is logged once"
grep 'dropped' "$W/notify.err" | grep -q "not verified" && grep 'dropped' "$W/notify.err" | grep -q "SES console"
ok $? "with the server's words and the fix to try"
poll_until "! grep -q '^msg ' '$W/.lookout-notify.state'" 10
ok $? "and it is not kept for another try (the outbox in the state file is empty)"
is "$(grep -c '^554 ' "$W/srv/attempts.log")" 1 "the server saw it once"
rm -f "$W/srv/control"

# killed between alerts and restarted: no loss, no duplicate
alert firing container_down before-kill
poll_until '[ "$(count_for before-kill)" -ge 1 ]' 30 || show
kill -9 "$NPID"
wait "$NPID" 2>/dev/null
NPID=
alert firing high_cpu while-dead-1
alert firing container_down while-dead-2
start_notifier || bail "notifier did not restart"
poll_until '[ "$(count_for while-dead-1)" -ge 1 ] && [ "$(count_for while-dead-2)" -ge 1 ]' 30 || show
alert firing health_failed after-restart
poll_until '[ "$(count_for after-restart)" -ge 1 ]' 30 || show
is "$(count_for before-kill) $(count_for while-dead-1) $(count_for while-dead-2)" "1 1 1" \
	"killed (-9) and restarted: the alerts written meanwhile arrive once, the earlier one is not repeated"

# rotation while running: rename, a late line in the old file, a new file
mv "$LOG" "$LOG.1"
ALERT_LOG=$LOG.1 alert firing container_down rot-old
: >"$LOG"
alert firing container_down rot-new
poll_until '[ "$(count_for rot-old)" -ge 1 ] && [ "$(count_for rot-new)" -ge 1 ]' 30 || show
is "$(count_for rot-old) $(count_for rot-new)" "1 1" "the alert log rotated under the notifier: nothing missed"

# silences
out=$("$LOOKOUT" silence --container 'sil-*' --alert high_cpu --for 1h 2>&1)
ok $? "lookout silence adds a silence: $out"
"$LOOKOUT" silence | grep -q 'sil-\*.*high_cpu'
ok $? "lookout silence lists it"
poll_until "grep -q 'active silence' '$W/notify.err'" 20
alert firing high_cpu sil-1
alert firing high_memory sil-1
alert firing high_cpu other-1
poll_until '[ "$(count_for other-1)" -ge 1 ]' 30 || show
mcheck 'm = with_container("other-1")[0]; p = m["plain"]; print(m["subject"])
s = p[p.index("== sil-1 =="):] if "== sil-1 ==" in p else ""
sys.exit(0 if "high memory" in s and "high CPU" not in s.split("== other-1 ==")[0] else 1)'
ok $? "a silence mutes what it names (sil-1 high CPU) and nothing else"

# hostile text: CR/LF and non-ASCII from a container name and a health-check output
alert firing container_down $'evil\r\nBcc: victim@example.net' $'health: \xe2\x9c\x97 d\xc3\xa9faillance\r\nX-Injected: 1'
alert firing container_down $'caf\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac'
# terminal escapes (ESC[2J, OSC 52 with BEL, a C1 CSI) in a name and a health output (issue 9)
alert firing health_failed $'term\e[2J\e]52;c;SGFja2Vk\a\xc2\x9b31m-x' $'out\e]0;title\a\xc2\x9bJ end'
subject_has() { mails 'sys.exit(0 if any(args[0] in m["subject"] for m in msgs) else 1)' "$1"; }
poll_until 'subject_has evil && subject_has caf && subject_has term' 30 || show
mcheck '
ctl = lambda s: [hex(ord(c)) for c in s if ord(c) < 0x20 and c not in "\r\n\t" or 0x7f <= ord(c) <= 0x9f]
ev = [m for m in msgs if "term" in m["subject"]]
bad = [(m["subject"], ctl(m["subject"]), ctl(m["plain"]), ctl(m["html"])) for m in ev if ctl(m["subject"] + m["plain"] + m["html"])]
print(bad or [m["subject"] for m in ev])
sys.exit(0 if ev and not bad else 1)'
ok $? "ESC, OSC 52, BEL and C1 CSI in a name and a health output: none survives in subject or bodies (decoded)"
mcheck '
bad = []
for m in msgs:
    head = m["raw"].split(b"\r\n\r\n", 1)[0]
    if any(c > 0x7e or (c < 0x20 and c not in (0x0d, 0x0a, 0x09)) for c in head): bad.append("non-ASCII header")
    if re.search(rb"\r\n(Bcc|X-Injected):", m["raw"], re.I): bad.append("injected header")
    if re.search(rb"(?<!\r)\n", m["raw"]): bad.append("bare LF")
ev = [m for m in msgs if "caf\u00e9-\u65e5\u672c" in m["subject"] or "evil" in m["subject"]]
print(bad, [m["subject"] for m in ev])
sys.exit(0 if not bad and ev and any("caf\u00e9-\u65e5\u672c" in m["subject"] for m in ev) else 1)'
ok $? "CR/LF and non-ASCII in names and messages: clean headers, RFC 2047 subject decodes"
mcheck 'sys.exit(0 if any("\u2717 d\u00e9faillance" in m["plain"] for m in msgs) else 1)'
ok $? "the health-check text arrives readable in the body"

# no recipient got a message (a Message-ID) twice: one message goes out again only to the recipients that
# were refused for now (450 above)
mcheck 'ids = [(m["mid"], r) for m in msgs for r in m["meta"]["rcpt_tos"]]; print(len(msgs), "messages")
sys.exit(0 if len(ids) == len(set(ids)) else 1)'
ok $? "no message arrived twice (to the same recipient)"
stop_notifier

# a slow but working server: every step inside SMTP_TIMEOUT (3 s), the whole session (4 steps of 2 s) past
# the bound of one attempt (SMTP_TIMEOUT + 2 s). That attempt is not retried while it may still deliver: one copy.
SMTP_TIMEOUT=3 start_notifier || bail "notifier (SMTP_TIMEOUT=3) did not start"
echo "slow 2" >"$W/srv/control"
alert firing container_down slow-1
poll_until "grep -q 'not delivered yet (attempt 1)' '$W/notify.err'" 30 || show
grep -q 'not delivered yet (attempt 1)' "$W/notify.err"
ok $? "a session past SMTP_TIMEOUT + 2 s counts as not delivered yet, and is left running"
poll_until '[ "$(count_for slow-1)" -ge 1 ]' 60 || show
poll_until "grep -q 'accepted after SMTP_TIMEOUT' '$W/notify.err'" 30 || show
grep -q 'accepted after SMTP_TIMEOUT' "$W/notify.err"
ok $? "the late acceptance is applied: $(grep 'accepted after SMTP_TIMEOUT' "$W/notify.err" | tail -n 1 | cut -c1-90)"
alert firing container_down slow-marker
poll_until '[ "$(count_for slow-marker)" -ge 1 ]' 60 || show
mid=$(mails 'print(with_container("slow-1")[0]["mid"])')
is "$(count_for slow-1) $(grep -c -- "$mid" "$W/srv/attempts.log")" "1 1" \
	"the slow session delivered it and no second session was started: exactly one copy"
stop_notifier

# more than 50 recipients: several messages
many=$(seq 1 55 | sed 's/.*/r&@example.com/' | paste -sd, -)
before=$(nmails)
RECIPIENT_EMAILS=$many start_notifier || bail "notifier (55 recipients) did not start"
alert firing container_down many-1
poll_until '[ "$(count_for many-1)" -ge 2 ]' 30 || show
mcheck 'c = with_container("many-1"); r = [len(m["meta"]["rcpt_tos"]) for m in c]; print(r)
sys.exit(0 if sorted(r) == [5, 50] and c[0]["mid"] != c[1]["mid"] else 1)'
ok $? "55 recipients: two messages (50 + 5)"
mcheck 'c = with_container("many-1"); d = abs(c[1]["meta"]["time"] - c[0]["meta"]["time"]); print("%.2f s apart" % d)
sys.exit(0 if d >= 0.9 else 1)'
ok $? "at most one message per second (the SES sandbox rate)"
stop_notifier

# the whole attempt is bounded: a server that never greets, and a connect that never completes
"$PY" - "$W/hang" <<'PYEOF' &
import os, socket, sys, time
a = socket.socket(); a.bind(("127.0.0.1", 0)); a.listen(5)
b = socket.socket(); b.bind(("127.0.0.1", 0)); b.listen(0)
c = socket.socket(); c.bind(("127.0.0.1", 0)); c.listen(5)
fill = []
for _ in range(4):   # fill the accept queue without waiting: further SYNs are dropped, connect() hangs
    f = socket.socket(); f.setblocking(False); f.connect_ex(b.getsockname()); fill.append(f)
time.sleep(0.5)
open(sys.argv[1] + ".tmp", "w").write("%d %d %d\n" % (a.getsockname()[1], b.getsockname()[1], c.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
import threading
def hangup():   # greets, reads the first command, hangs up: the client's next write hits a closed socket
    while True:
        k, _ = c.accept(); k.sendall(b"220 bye soon\r\n"); k.recv(100); k.close()
threading.Thread(target=hangup, daemon=True).start()
held = []
while True:
    k, _ = a.accept(); held.append(k)   # accepts, never says a word
PYEOF
HPID=$!
PIDS+=("$HPID")
poll_until "[ -s '$W/hang' ]" 10
read -r MUTE_PORT FULL_PORT HANGUP_PORT <"$W/hang"
for case in "$MUTE_PORT:a server that never sends its greeting" "$FULL_PORT:a connect that never completes"; do
	t0=$(date +%s.%N)
	out=$(SMTP_PORT=${case%%:*} SMTP_TIMEOUT=2 timeout 60 "$LOOKOUT" notify --test 2>&1); st=$?
	t1=$(date +%s.%N)
	took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	[ "$st" = 1 ] && awk -v t="$took" 'BEGIN { exit !(t < 10) }'
	ok $? "${case#*:}: notify --test gives up after SMTP_TIMEOUT (2 s; took $took s)"
	diag "$(echo "$out" | tail -n 2)"
done
out=$(SMTP_PORT=$HANGUP_PORT SMTP_TIMEOUT=5 timeout 60 "$LOOKOUT" notify --test 2>&1); st=$?
is "$st" 1 "a server that hangs up mid-session is a failed attempt, not a death by SIGPIPE"
diag "$(echo "$out" | tail -n 2)"

# credentials refused while running: logged once with the fix, dropped, not retried
SMTP_PASSWORD=wrong-again start_notifier || bail "notifier (bad password) did not start"
alert firing container_down creds-1
poll_until "grep -q 'dropped.*535' '$W/notify.err'" 30 || show
is "$(grep -c 'dropped.*535' "$W/notify.err")" 1 "535 while running: logged once"
grep 'dropped.*535' "$W/notify.err" | grep -q "check SMTP_USERNAME and SMTP_PASSWORD" &&
	! grep -q 'wrong-again' "$W/notify.err"
ok $? "with the fix to try, and without the password"
poll_until "! grep -q '^msg ' '$W/.lookout-notify.state'" 10
ok $? "and not kept for another try"
stop_notifier

done_testing
