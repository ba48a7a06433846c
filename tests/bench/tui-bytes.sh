#!/usr/bin/env bash
# tui-bytes.sh — what the dashboard costs a terminal and a CPU in steady state, beside `docker stats` measured
# in the same run: N containers on a private engine, both programs in their own tmux server at the same size,
# the bytes each writes to its terminal (tmux pipe-pane) per minute, and CPU time (the dashboard's UI thread
# alone, and the whole process; the docker CLI process). A benchmark, never a test: it asserts nothing.
#   tests/bench/tui-bytes.sh [N=50] [SECONDS=60] [WIDTHxHEIGHT=200x60]
set -u
N=${1:-50}
SECS=${2:-60}
SIZE=${3:-200x60}
W=${SIZE%x*}
H=${SIZE#*x}
WARMUP=10
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
LOOKOUT=${LOOKOUT:-$top_srcdir/lookout}
ENGINE_SKIP_STATUS=77
. "$top_srcdir/tests/lib/engine.sh"
engine_require
command -v tmux >/dev/null 2>&1 || engine_skip "tmux not installed"
[ -x "$LOOKOUT" ] || { echo "no lookout binary at $LOOKOUT" >&2; exit 1; }
WORK=$(mktemp -d /tmp/lookout-bench-tui.XXXXXX)
engine_on_cleanup 'for s in "$WORK"/*.sock; do tmux -S "$s" kill-server 2>/dev/null; done; rm -rf "$WORK"'
engine_start
engine_image lookout-bench/busybox:latest >/dev/null

# A realistic mix: mostly idle services, a few busy ones.
for i in $(seq 1 "$N"); do
	if [ $((i % 10)) -eq 0 ]; then
		docker run -d --network none --cpus 0.2 --name "busy$i" lookout-bench/busybox:latest \
			sh -c 'while :; do :; done' >/dev/null
	else
		docker run -d --network none --name "idle$i" lookout-bench/busybox:latest sleep 1000000 >/dev/null
	fi
done

hz=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "$1" 2>/dev/null || echo 0; }

start() { # NAME COMMAND
	tmux -S "$WORK/$1.sock" -f /dev/null new-session -d -s "$1" -x "$W" -y "$H" "$2"
	tmux -S "$WORK/$1.sock" pipe-pane -O -t "$1" "cat >>$WORK/$1.stream"
}
child_pid() { # the program the pane's shell runs
	local shell_pid
	shell_pid=$(tmux -S "$WORK/$1.sock" display-message -p -t "$1" '#{pane_pid}')
	pgrep -P "$shell_pid" | head -n1
}
start lookout "env LANG=C.UTF-8 TERM=tmux-256color DOCKER_HOST=$DOCKER_HOST XDG_STATE_HOME=$WORK/state $LOOKOUT --interval 1; sleep 600"
start dstats "env TERM=tmux-256color DOCKER_HOST=$DOCKER_HOST DOCKER_CONFIG=$DOCKER_CONFIG docker stats; sleep 600"

# Warm-up: both have drawn their first screens and reached steady state.
deadline=$((SECONDS + 60))
until tmux -S "$WORK/lookout.sock" capture-pane -p -t lookout | grep -q "idle$((N - 1))\|idle$N"; do
	[ $SECONDS -ge $deadline ] && { echo "lookout never showed the containers" >&2; exit 1; }
	sleep 0.5
done
sleep "$WARMUP"
LPID=$(child_pid lookout)
DPID=$(child_pid dstats)
[ -n "$LPID" ] && [ -n "$DPID" ] || { echo "cannot find the two processes" >&2; exit 1; }

b0_l=$(stat -c %s "$WORK/lookout.stream")
b0_d=$(stat -c %s "$WORK/dstats.stream")
u0_ui=$(ticks "/proc/$LPID/task/$LPID/stat") # the main thread is the UI thread
u0_l=$(ticks "/proc/$LPID/stat")
u0_d=$(ticks "/proc/$DPID/stat")
sleep "$SECS"
b1_l=$(stat -c %s "$WORK/lookout.stream")
b1_d=$(stat -c %s "$WORK/dstats.stream")
u1_ui=$(ticks "/proc/$LPID/task/$LPID/stat")
u1_l=$(ticks "/proc/$LPID/stat")
u1_d=$(ticks "/proc/$DPID/stat")

per_min() { echo $(( ($1) * 60 / SECS )); }
ms_per_min() { echo $(( ($1) * 1000 / hz * 60 / SECS )); }
printf '\nTerminal %sx%s, %d containers, %d s measured after %d s warm-up (lookout --interval 1; docker stats\n' \
	"$W" "$H" "$N" "$SECS" "$WARMUP"
printf 'refreshes about every second too).\n\n'
printf '%-30s %16s %20s\n' "" "bytes/minute" "CPU ms/minute"
printf '%-30s %16d %20d\n' "lookout dashboard (UI thread)" "$(per_min $((b1_l - b0_l)))" "$(ms_per_min $((u1_ui - u0_ui)))"
printf '%-30s %16s %20d\n' "lookout (whole process)" "" "$(ms_per_min $((u1_l - u0_l)))"
printf '%-30s %16d %20d\n' "docker stats (CLI process)" "$(per_min $((b1_d - b0_d)))" "$(ms_per_min $((u1_d - u0_d)))"
bl=$((b1_l - b0_l)) bd=$((b1_d - b0_d))
awk -v l="$bl" -v d="$bd" 'BEGIN {
	if (d <= 0) { print "\nno bytes from docker stats: no ratio"; exit }
	r = l / d
	printf "\nlookout / docker stats, bytes per minute: %.3f (%.0fx fewer; goal: under a tenth: %s)\n", r,
		(l > 0 ? d / l : 0), (r < 0.1 ? "met" : "MISSED")
}'
printf '\n(docker stats also costs the engine: its CPU is not in these figures; see sample-cost.sh.)\n'

# Idle screen: pause the dashboard and measure what it sends while nothing may change.
tmux -S "$WORK/lookout.sock" send-keys -t lookout p
sleep 2
b2=$(stat -c %s "$WORK/lookout.stream")
sleep 10
b3=$(stat -c %s "$WORK/lookout.stream")
printf 'lookout paused (no data changes): %d bytes in 10 s\n' $((b3 - b2))
