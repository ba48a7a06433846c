# tmux.sh — the dashboard inside private tmux servers, for the screen tests (source it from bash after
# tests/integration/lib.sh).
#
# One tmux server per session, each on its own socket under $WORK: one session's trouble cannot end the
# others, and the machine's own tmux servers are never touched. Before sourcing, set WORK (the test's temp
# dir) and LOOKOUT. Optional arrays apply to every session: TMUX_LOOKOUT_ENV (VAR=value words) and
# TMUX_LOOKOUT_ARGS (arguments put before each session's own).
#
#   tstart NAME W H [VAR=value ...] -- [lookout arguments ...]
#   wait_for NAME REGEX [DEADLINE]; wait_gone NAME REGEX [DEADLINE]   (poll capture-pane, grep -E)
#   cap NAME; keys NAME KEY...; resize NAME W H; show NAME; screen_log NAME; tmux_stop_all
#   engine_on_cleanup tmux_cleanup   (the tmux servers, a daemon whose pid is in DPID, then WORK unless KEEP_WORK)
#
# After lookout exits, the session's shell prints LOOKOUT-EXIT=STATUS and saves `stty -a` in $WORK/stty.NAME;
# everything the program wrote is in $WORK/stream.NAME from the first byte. Its log file (the screen is up,
# so logs go to a file) is $WORK/state-NAME/lookout/lookout.log.

TMUX_LOOKOUT_ENV=("${TMUX_LOOKOUT_ENV[@]}")
TMUX_LOOKOUT_ARGS=("${TMUX_LOOKOUT_ARGS[@]}")

tmux_sock() { printf '%s/tmux-%s.sock' "$WORK" "$1"; }

tstart() {
	local name=$1 w=$2 h=$3 envs=()
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	[ "${1:-}" = -- ] && shift
	local cmd="sleep 0.3; env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=tmux-256color XDG_STATE_HOME=$WORK/state-$name"
	cmd+=" ${TMUX_LOOKOUT_ENV[*]} ${envs[*]} $LOOKOUT ${TMUX_LOOKOUT_ARGS[*]} $*"
	cmd+="; echo LOOKOUT-EXIT=\$?; stty -a >$WORK/stty.$name; sleep 600"
	tmux -S "$(tmux_sock "$name")" -f /dev/null new-session -d -s "$name" -x "$w" -y "$h" "$cmd"
	# Record everything the program writes, from the first byte (the command starts after a short wait).
	tmux -S "$(tmux_sock "$name")" pipe-pane -O -t "$name" "cat >>$WORK/stream.$name"
}
cap() { tmux -S "$(tmux_sock "$1")" capture-pane -p -t "$1"; }
keys() { local s=$1; shift; tmux -S "$(tmux_sock "$s")" send-keys -t "$s" "$@"; }
resize() { tmux -S "$(tmux_sock "$1")" resize-window -t "$1" -x "$2" -y "$3"; }
wait_for() { poll_until "cap '$1' | grep -Eq -- '$2'" "${3:-20}" 0.1; }
wait_gone() { poll_until "! cap '$1' | grep -Eq -- '$2'" "${3:-20}" 0.1; }
show() { diag "--- screen $1 ---" "$(cap "$1")"; }
screen_log() { cat "$WORK/state-$1/lookout/lookout.log" 2>/dev/null; }
# The lookout process a session runs (a child of the pane's shell).
lookout_pid() { pgrep -P "$(tmux -S "$(tmux_sock "$1")" display-message -p -t "$1" '#{pane_pid}')" -f "$LOOKOUT" | head -n1; }
tmux_stop_all() {
	local s
	for s in "$WORK"/tmux-*.sock; do [ -S "$s" ] && tmux -S "$s" kill-server 2>/dev/null; done
	return 0
}
tmux_cleanup() {
	tmux_stop_all
	if [ -n "${DPID:-}" ]; then
		kill -TERM "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
