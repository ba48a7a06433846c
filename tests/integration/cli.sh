#!/usr/bin/env bash
# cli.sh — the command line as a user meets it: help, version, bad flags and values (one line, exit 2),
# a daemon facing an unreachable engine (keeps running, says why, stops cleanly on SIGTERM).
. "${top_srcdir:-.}/tests/integration/lib.sh"
LOOKOUT=${LOOKOUT:-./lookout}
T=$(mktemp -d /tmp/lookout-cli.XXXXXX)
trap 'kill "$pid" 2>/dev/null; rm -rf "$T"' EXIT

out=$("$LOOKOUT" --help); st=$?
is "$st" 0 "--help exits 0"
for key in MONITOR_INTERVAL DOCKER_HOST LOOKOUT_SOURCE LOOKOUT_OUTPUT_DIR --daemon --interval --container; do
	case "$out" in *"$key"*) ok 0 "--help mentions $key" ;; *) ok 1 "--help mentions $key" ;; esac
done
out=$("$LOOKOUT" --version); st=$?
is "$st" 0 "--version exits 0"
case "$out" in "lookout "[0-9]*) ok 0 "--version prints the version" ;; *) ok 1 "--version prints '$out'" ;; esac

# expect_usage_error DESCRIPTION WANT_IN_MESSAGE CMD...: exit 2, exactly one line on stderr, nothing on stdout.
expect_usage_error() {
	local desc=$1 want=$2 err outp st
	shift 2
	outp=$("$@" 2>"$T/err"); st=$?
	err=$(cat "$T/err")
	is "$st" 2 "$desc: exit status 2"
	is "$(wc -l <"$T/err")" 1 "$desc: one line on stderr"
	case "$err" in *"$want"*) ok 0 "$desc: message names '$want'" ;; *) ok 1 "$desc: message '$err'" ;; esac
	is "$outp" "" "$desc: nothing on stdout"
}
expect_usage_error "unknown flag" "--frobnicate" "$LOOKOUT" --frobnicate
expect_usage_error "bad interval flag" "MONITOR_INTERVAL" "$LOOKOUT" --daemon --interval fast
expect_usage_error "bad interval env" "MONITOR_INTERVAL" env MONITOR_INTERVAL=-1 "$LOOKOUT" --daemon
expect_usage_error "bad source" "auto|cgroup|api" "$LOOKOUT" --daemon --source docker
expect_usage_error "stray argument" "stray" "$LOOKOUT" stray
printf 'LOOKOUT_SOURCE = nope\n' >"$T/bad.conf"
expect_usage_error "bad config file" "bad.conf:1" "$LOOKOUT" --daemon --config "$T/bad.conf"

# A quoted value, as compose files write them, is accepted (checked through --dump-config-example's sibling:
# the daemon starts). An output dir that cannot be created is a runtime failure (exit 1) with the path named.
touch "$T/file"
"$LOOKOUT" --daemon --output-dir "$T/file/sub" --host unix://$T/none.sock 2>"$T/err"; st=$?
is "$st" 1 "uncreatable output dir: exit 1"
grep -q "$T/file/sub" "$T/err"; ok $? "uncreatable output dir: the path is named"

# On a terminal of a type ncurses does not know, the dashboard says so and exits 2 (script(1) gives it a tty).
if command -v script >/dev/null 2>&1; then
	out=$(TERM=lookout-bogus-term script -qec "'$LOOKOUT' --host unix://$T/none.sock --log-file '$T/tui.log'" /dev/null </dev/null 2>&1)
	st=$?
	is "$st" 2 "unknown TERM: the dashboard exits 2"
	case "$out" in *'terminal type "lookout-bogus-term" is unknown'*) ok 0 "unknown TERM: the message names it" ;;
	*) ok 1 "unknown TERM: message '$out'" ;; esac
fi

# Unreachable engine: the daemon stays up, logs the reason, writes a header-only CSV, exits 0 on SIGTERM.
MONITOR_INTERVAL='"0.5"' "$LOOKOUT" --daemon --output-dir "$T/out" --host "unix://$T/no-such.sock" \
	--status-every 1 >"$T/stdout" 2>"$T/stderr" &
pid=$!
poll_until "grep -q 'unreachable' '$T/out/container_monitor.log' 2>/dev/null" 20
ok $? "unreachable engine is logged"
grep -q "$T/no-such.sock" "$T/out/container_monitor.log"; ok $? "the log names the socket"
poll_until "grep -q 'engine unreachable' '$T/stdout'" 20
ok $? "the status line on stdout says the engine is unreachable"
kill -0 "$pid" 2>/dev/null; ok $? "the daemon keeps running"
kill -TERM "$pid"
wait "$pid"; st=$?
is "$st" 0 "SIGTERM: exit 0"
head -1 "$T/out/metrics.csv" | grep -q '^timestamp,host,container_id,'; ok $? "metrics.csv has its header"
is "$(wc -l <"$T/out/metrics.csv")" 1 "and no rows"
is "$(grep -c $'\033' "$T/stdout")" 0 "no colour escapes when stdout is not a terminal"
pid=

done_testing
