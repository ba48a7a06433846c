#!/bin/sh
# monitor_container.sh — the original system's three verbs on top of lookout:
#   live     the terminal dashboard (lookout)
#   monitor  one sampling pass appending to the logs (lookout check), for cron every 10 minutes
#   report   availability, downtime and statistics from the logs, and logs/report.html (lookout report)
#   cron     print the crontab line that runs `monitor` every 10 minutes from this directory
# Arguments after the verb go to lookout. The logs are in ./logs (LOOKOUT_OUTPUT_DIR or --output-dir to change).
# The binary: $LOOKOUT_BIN, else next to this script (installed), else the source tree's build (in-tree, or
# build/ or _build/), else lookout on PATH.
set -u

prog=$(basename "$0")
# The real location, so the link at the top of the tree finds the tree.
self=$(readlink -f "$0" 2>/dev/null || echo "$0")
here=$(cd "$(dirname "$self")" && pwd)
top=$(cd "$here/.." && pwd)

usage() {
	cat <<USAGE
Usage: $prog live|monitor|report|cron [LOOKOUT OPTION]...

  live      the terminal dashboard
  monitor   one sampling pass: appends to logs/metrics.csv and logs/container_alerts.log;
            exit status 0 OK, 1 warning, 2 critical, 3 unknown
  report    summary of the logs on standard output and logs/report.html
            (--since -24h, --until, --container NAME, --html FILE)
  cron      print the crontab line for running 'monitor' every 10 minutes

Crontab line for this directory:
  $(cron_line)
USAGE
}

# The binary found now is named in the line when it came from LOOKOUT_BIN: cron's environment is bare.
cron_line() {
	env=
	[ -n "${LOOKOUT_BIN:-}" ] && env="LOOKOUT_BIN=$(quote "$LOOKOUT_BIN") "
	# cron turns an unescaped % into a newline: escape it in the paths.
	printf '*/10 * * * * cd %s && mkdir -p logs && %s%s monitor >>logs/cron_monitor.log 2>&1\n' \
		"$(quote "$(pwd)")" "$env" "$(quote "$self")" | sed 's/%/\\%/g'
}

# Single-quotes a path for a shell (crontab runs its line with /bin/sh).
quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

find_lookout() {
	if [ -n "${LOOKOUT_BIN:-}" ]; then
		if [ -x "$LOOKOUT_BIN" ]; then
			echo "$LOOKOUT_BIN"
			return 0
		fi
		echo "$prog: LOOKOUT_BIN=$LOOKOUT_BIN is not an executable file" >&2
		return 1
	fi
	for c in "$here/lookout" "$top/lookout" "$top/build/lookout" "$top/_build/lookout"; do
		if [ -f "$c" ] && [ -x "$c" ]; then
			echo "$c"
			return 0
		fi
	done
	if command -v lookout >/dev/null 2>&1; then
		command -v lookout
		return 0
	fi
	echo "$prog: cannot find lookout: install it (make install), build it in this tree, or set LOOKOUT_BIN" >&2
	return 1
}

[ $# -ge 1 ] || { usage >&2; exit 2; }
verb=$1
shift
case $verb in
live | monitor | report)
	# monitor stands for lookout check: a missing binary is UNKNOWN (3) there, a usage error (2) elsewhere.
	bin=$(find_lookout) || { [ "$verb" = monitor ] && exit 3; exit 2; }
	case $verb in
	live) exec "$bin" "$@" ;;
	monitor)
		[ -t 1 ] && echo "$prog: for cron, add: $(cron_line)" >&2
		exec "$bin" check "$@"
		;;
	report) exec "$bin" report "$@" ;;
	esac
	;;
cron) cron_line ;;
-h | --help | help) usage ;;
*)
	echo "$prog: unknown command '$verb'" >&2
	usage >&2
	exit 2
	;;
esac
