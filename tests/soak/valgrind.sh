#!/usr/bin/env bash
# valgrind.sh — a short daemon run under valgrind's memcheck: lookout --daemon with the HTTP server and CSV on,
# watching three containers of a private engine (one stopped and one started meanwhile) for VALGRIND_SECS
# (default 45) while a client reads every endpoint, then SIGTERM. Passes when valgrind reports no error and no
# leak (--leak-check=full --error-exitcode=1, definite and possible leaks counted as errors) and the daemon
# exited 0. Part of `make soak`, not of make check (valgrind makes it slow). Exit 0 pass, 1 fail, 77 skipped.
# Environment: VALGRIND_SECS, VALGRIND_OUT (keep the log there), LOOKOUT.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
LOOKOUT=${LOOKOUT:-$top_srcdir/lookout}
SECS=${VALGRIND_SECS:-45}
ENGINE_SKIP_STATUS=77
. "$top_srcdir/tests/lib/engine.sh"
engine_require
command -v valgrind >/dev/null 2>&1 || engine_skip "valgrind not installed (Debian package valgrind)"
[ -x "$LOOKOUT" ] || { echo "valgrind: no lookout binary at $LOOKOUT" >&2; exit 2; }
if file -L "$LOOKOUT" 2>/dev/null | grep -q 'shell script'; then
	echo "valgrind: $LOOKOUT is a wrapper script" >&2
	exit 2
fi
if nm -D "$LOOKOUT" 2>/dev/null | grep -q __asan_init; then
	engine_skip "this lookout is built with AddressSanitizer, which valgrind cannot run"
fi
WORK=$(mktemp -d /tmp/lookout-valgrind.XXXXXX) || exit 2
VPID= CLPID=
stop_all() {
	[ -n "$CLPID" ] && kill -TERM "$CLPID" 2>/dev/null && wait "$CLPID" 2>/dev/null
	[ -n "$VPID" ] && kill -TERM "$VPID" 2>/dev/null && wait "$VPID" 2>/dev/null
	CLPID= VPID=
}
engine_on_cleanup stop_all
engine_on_cleanup "rm -rf '$WORK'"
engine_start
IMAGE=lookout-soak/busybox:latest
engine_image "$IMAGE" >/dev/null
for i in 1 2 3; do
	docker run -d --network none --name "vg-$i" --memory 64m "$IMAGE" sleep 100000000 >/dev/null || exit 1
done

PORT=$(engine_free_port)
LOG=${VALGRIND_OUT:-$WORK}/valgrind.log
mkdir -p "$(dirname "$LOG")" "$WORK/d"
valgrind --leak-check=full --show-leak-kinds=definite,possible --errors-for-leak-kinds=definite,possible \
	--error-exitcode=1 --num-callers=30 --log-file="$LOG" \
	"$LOOKOUT" --daemon --output-dir "$WORK/d" --interval 1 --status-every 0 --listen "127.0.0.1:$PORT" \
	</dev/null >"$WORK/d/stdout" 2>"$WORK/d/stderr" &
VPID=$!
(
	trap 'exit 0' TERM
	while :; do
		for p in / /api/snapshot.json /api/alerts.json /metrics "/api/history.json?window=5m" /healthz /nope; do
			curl -s --max-time 20 -o /dev/null "http://127.0.0.1:$PORT$p"
		done
		curl -s --max-time 20 -o /dev/null -X POST "http://127.0.0.1:$PORT/"
		sleep 2
	done
) &
CLPID=$!
sleep $((SECS / 3))
docker rm -f vg-1 >/dev/null
docker run -d --network none --name vg-4 "$IMAGE" sleep 100000000 >/dev/null
sleep $((SECS - SECS / 3))
kill -TERM "$CLPID" 2>/dev/null; wait "$CLPID" 2>/dev/null; CLPID=
rows=$(grep -c ',vg-' "$WORK/d/metrics.csv" 2>/dev/null || echo 0)
kill -TERM "$VPID"
wait "$VPID"
st=$?
VPID=
echo "valgrind: daemon ran $SECS s, wrote $rows container rows, exit status $st"
grep -E 'ERROR SUMMARY|in use at exit|All heap blocks|definitely lost|indirectly lost|possibly lost|still reachable' "$LOG" | sed 's/^==[0-9]*== */  /'
if [ "$st" -ne 0 ] || [ "$rows" -eq 0 ]; then
	echo "valgrind: FAIL (log: $LOG)"
	[ -z "${VALGRIND_OUT:-}" ] && sed -n '1,200p' "$LOG"
	exit 1
fi
echo "valgrind: PASS"
