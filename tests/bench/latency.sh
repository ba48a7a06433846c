#!/usr/bin/env bash
# latency.sh — how long from `docker kill` to the container_down line in the alert log, to the dashboard
# showing it down, and to the email about it accepted by a local SMTP server (aiosmtpd with STARTTLS and AUTH,
# tests/lib/smtpd.py, when python3-aiosmtpd is installed), over BENCH_KILLS kills (default 20) on a private
# engine, lookout --daemon at a 1 s interval with its notifier thread and a lookout dashboard in tmux beside
# it. The end of each interval is the program's own record: the ts on the alert line (when its rules
# decided), the snapshot the dashboard's log names as the one that first showed the container down, and the
# time the server recorded the message; the start is the wall clock just before the kill was sent, on the
# same host. Prints every kill, then p50 and max. A benchmark: it asserts nothing; the goals (alert log and
# screen within 1 s, because the die event arrives on the event stream; email within 2 s, because critical
# alerts skip the buffer) are printed beside them.
#   tests/bench/latency.sh
set -u
KILLS=${BENCH_KILLS:-20}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
LOOKOUT=${LOOKOUT:-$top_srcdir/lookout}
ENGINE_SKIP_STATUS=77
. "$top_srcdir/tests/lib/engine.sh"
engine_require
engine_start
engine_image lookout-bench/busybox:latest >/dev/null
OUT=$(mktemp -d /tmp/lookout-latency.XXXXXX)
engine_on_cleanup "rm -rf '$OUT'"

for i in $(seq 1 "$KILLS"); do
	docker run -d --network none --name "victim$i" lookout-bench/busybox:latest sleep 100000000 >/dev/null
done

SMTP=
if /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$OUT/key.pem" -out "$OUT/cert.pem" -days 2 \
		-subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1; then
	port=$(engine_free_port)
	/usr/bin/python3 "$top_srcdir/tests/lib/smtpd.py" "$port" "$OUT/srv" "$OUT/cert.pem" "$OUT/key.pem" bob pw \
		>"$OUT/smtpd.out" 2>/dev/null &
	engine_on_cleanup "kill $! 2>/dev/null"
	for _ in $(seq 1 100); do grep -qs ready "$OUT/smtpd.out" && break; sleep 0.1; done
	export SMTP_HOST=localhost SMTP_PORT=$port SMTP_USERNAME=bob SMTP_PASSWORD=pw SMTP_CA_FILE=$OUT/cert.pem
	export SENDER_EMAIL=lookout@example.com RECIPIENT_EMAILS=ops@example.com
	SMTP=1
else
	export NOTIFY=false
	echo "(no python3-aiosmtpd: the email latency is not measured)"
fi
"$LOOKOUT" --daemon --interval 1 --down-for 0 --output-dir "$OUT" --status-every 0 --host "$DOCKER_HOST" \
	>/dev/null 2>&1 &
pid=$!
engine_on_cleanup "kill $pid 2>/dev/null"
# The dashboard beside it, in tmux: its log says when a container is first shown down, stamped with the
# snapshot that carried it to the screen (the program's own record).
TUI_LOG=
if command -v tmux >/dev/null; then
	tsock=$OUT/tmux.sock
	tmux -S "$tsock" -f /dev/null new-session -d -s lat -x 200 -y 60 \
		"env LANG=C.UTF-8 TERM=tmux-256color XDG_STATE_HOME=$OUT/tui-state $LOOKOUT --interval 1 --host $DOCKER_HOST; sleep 600"
	engine_on_cleanup "tmux -S '$tsock' kill-server 2>/dev/null"
	TUI_LOG=$OUT/tui-state/lookout/lookout.log
else
	echo "(no tmux: the on-screen latency is not measured)"
fi
for _ in $(seq 1 300); do
	rows=$(grep -c ',running,' "$OUT/metrics.csv" 2>/dev/null)
	[ "${rows:-0}" -ge $((KILLS * 2)) ] && break
	sleep 0.2
done

: >"$OUT/latencies"
: >"$OUT/mail-latencies"
: >"$OUT/screen-latencies"
for i in $(seq 1 "$KILLS"); do
	t0=$(date +%s.%N)
	docker kill "victim$i" >/dev/null
	line=
	for _ in $(seq 1 200); do
		line=$(grep -a "state=firing alert=container_down container=victim$i " "$OUT/container_alerts.log" | head -n 1)
		[ -n "$line" ] && break
		sleep 0.05
	done
	if [ -z "$line" ]; then
		echo "kill $i: no container_down line within 10 s"
		continue
	fi
	ts=$(sed -n 's/^ts=\([^ ]*\) .*/\1/p' <<<"$line")
	ms=$(/usr/bin/python3 -c '
import sys, datetime
ts = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
print(round((ts.timestamp() - float(sys.argv[2])) * 1000))' "$ts" "$t0")
	echo "$ms" >>"$OUT/latencies"
	screen=
	if [ -n "$TUI_LOG" ]; then
		for _ in $(seq 1 200); do
			shown=$(grep -a "screen: victim$i is down" "$TUI_LOG" 2>/dev/null | head -n 1 |
				sed -n 's/.*shown from snapshot \([^)]*\)).*/\1/p')
			[ -n "$shown" ] && break
			sleep 0.05
		done
		[ -n "$shown" ] && screen=$(/usr/bin/python3 -c '
import sys, datetime
ts = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
print(round((ts.timestamp() - float(sys.argv[2])) * 1000))' "$shown" "$t0")
		[ -n "$screen" ] && echo "$screen" >>"$OUT/screen-latencies"
	fi
	mail=
	if [ -n "$SMTP" ]; then
		# The server's own receive time of the first message that names this victim.
		for _ in $(seq 1 200); do
			mail=$(/usr/bin/python3 - "$OUT/srv" "victim$i" "$t0" <<'EOF'
import email, glob, json, sys
from email import policy
for p in glob.glob(sys.argv[1] + "/msg-*.eml"):
    m = email.message_from_bytes(open(p, "rb").read(), policy=policy.default)
    if sys.argv[2] + " " in m.get_body(("plain",)).get_content() or sys.argv[2] + "\n" in m.get_body(("plain",)).get_content():
        print(round((json.load(open(p[:-4] + ".json"))["time"] - float(sys.argv[3])) * 1000))
        break
EOF
)
			[ -n "$mail" ] && break
			sleep 0.05
		done
		[ -n "$mail" ] && echo "$mail" >>"$OUT/mail-latencies"
	fi
	echo "kill $i: container_down logged $ms ms after the kill was sent${screen:+, on screen after $screen ms}${mail:+, email accepted after $mail ms}"
	sleep 1.2 # past the 1 message a second the notifier allows (SES's sandbox rate)
done
kill -TERM "$pid"
wait "$pid" 2>/dev/null
summary() {
	sort -n "$1" | awk -v goal="$2" -v what="$3" '{ v[NR] = $1 } END {
		if (NR == 0) { printf "%s: nothing measured\n", what; exit }
		p50 = v[int((NR + 1) / 2)]; max = v[NR]
		printf "%s, %d kills: p50 %d ms, max %d ms (goal: within %d ms: %s)\n", what, NR, p50, max, goal,
			max <= goal ? "met" : "MISSED"
	}'
}
summary "$OUT/latencies" 1000 "docker kill -> alert log"
[ -n "$TUI_LOG" ] && summary "$OUT/screen-latencies" 1000 "docker kill -> on screen"
[ -n "$SMTP" ] && summary "$OUT/mail-latencies" 2000 "docker kill -> email accepted by the SMTP server"
