# alertmail.sh — shared pieces of the delivery fault tests (source it from bash, after lib.sh): a real SMTP
# server (smtpd.py) on a free port, alert-log lines written the way the daemon writes them, and the
# notifier's own record of having caught up.
#
#   am_cert DIR                    # a throwaway certificate for localhost: DIR/cert.pem DIR/key.pem
#   am_free_port                   # a free TCP port on 127.0.0.1
#   am_smtpd_start PORT MAILDIR    # smtpd.py (STARTTLS + AUTH as AM_USER/AM_PASS); its pid in AM_SMTPD_PID
#   am_smtpd_stop
#   am_alert LOG STATE KIND NAME   # one alert-log line, appended in one write
#   am_caught_up LOG STATE_FILE    # the notifier read all of LOG, no buffer is open, its outbox is empty
#   am_count MAILDIR LOG PREFIX RCPTS   # tests/lib/mailcount.py: alerts= delivered= skipped= split= repeats=

AM_USER=${AM_USER:-alice}
AM_PASS=${AM_PASS:-s3cret pass}
AM_SMTPD_PID=
AM_SEQ=0

am_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1/key.pem" -out "$1/cert.pem" -days 2 -subj /CN=localhost \
		-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1
}

am_free_port() { "$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

am_smtpd_start() {
	local port=$1 dir=$2
	mkdir -p "$dir"
	: >"$dir.out"
	"$PY" "$top_srcdir/tests/lib/smtpd.py" "$port" "$dir" "$AM_CERT_DIR/cert.pem" "$AM_CERT_DIR/key.pem" "$AM_USER" \
		"$AM_PASS" >"$dir.out" 2>>"$dir.err" &
	AM_SMTPD_PID=$!
	poll_until "grep -q ready '$dir.out'" 20 0.1
}

am_smtpd_stop() {
	[ -n "$AM_SMTPD_PID" ] || return 0
	kill "$AM_SMTPD_PID" 2>/dev/null
	wait "$AM_SMTPD_PID" 2>/dev/null
	AM_SMTPD_PID=
}

am_alert() {
	local log=$1 state=$2 kind=$3 name=$4 level=warning t
	case $kind in container_down | health_failed | oom | restart_loop) level=critical ;; esac
	AM_SEQ=$((AM_SEQ + 1))
	t=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
	printf 'ts=%s level=%s state=%s alert=%s container="%s" container_id=%s value=95 threshold=40 since=%s seq=%s msg="%s"\n' \
		"$t" "$level" "$state" "$kind" "$name" 000000000000 "$t" "$AM_SEQ" "$kind $state on $name" >>"$log"
}

am_caught_up() {
	local size
	size=$(stat -c %s "$1" 2>/dev/null || echo 0)
	grep -q "^pos .*offset=$size\$" "$2" 2>/dev/null && grep -q '^nbuf open=0 ' "$2" && ! grep -q '^msg ' "$2"
}

am_count() { "$PY" "$top_srcdir/tests/lib/mailcount.py" "$@"; }
