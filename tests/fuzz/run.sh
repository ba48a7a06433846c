#!/bin/sh
# run.sh — `make fuzz`'s runner: runs each libFuzzer target tests/fuzz/fuzz_<name> (built in the current
# directory) for FUZZ_SECS seconds on its seed corpus, then prints one line per target with its executions
# and crashes. New corpus entries and crash inputs go to fuzz-work/ (the seeds in the source tree are
# only read). Exit 1 when a target crashed (its input is named, with how to replay it), 0 otherwise.
#
#   run.sh --check-toolchain CC      exit 2 with what to do when CC cannot build a libFuzzer target
#   run.sh FUZZ_SRCDIR NAME...       run the targets
set -u

if [ "${1:-}" = --check-toolchain ]; then
	cc=$2
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/lookout-fuzzcc.XXXXXX") || exit 2
	printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$tmp/t.c"
	if ! $cc -fsanitize=fuzzer,address,undefined "$tmp/t.c" -o "$tmp/t" >"$tmp/log" 2>&1; then
		if ! $cc --version 2>/dev/null | grep -qi clang; then
			echo "make fuzz: the compiler '$cc' is not clang; libFuzzer comes with clang." >&2
			echo "  Configure a build directory with CC=clang (e.g. .../configure CC=clang) and run make fuzz there." >&2
		else
			echo "make fuzz: '$cc' cannot link a libFuzzer target (-fsanitize=fuzzer):" >&2
			sed 's/^/  /' "$tmp/log" | head -5 >&2
			echo "  On Debian 12 install libFuzzer with: apt-get install libclang-rt-14-dev" >&2
		fi
		rm -rf "$tmp"
		exit 2
	fi
	rm -rf "$tmp"
	exit 0
fi

src=$1
shift
secs=${FUZZ_SECS:-60}
work=fuzz-work
mkdir -p "$work" || exit 1
status=0
summary=
total=0
for name; do
	bin=tests/fuzz/fuzz_$name
	mkdir -p "$work/$name"
	rm -f "$work/$name"-crash-* "$work/$name"-leak-* "$work/$name"-timeout-* "$work/$name"-oom-*
	case $name in
	engine_*|remote) dict=$src/json.dict ;;
	config) dict=$src/config.dict ;;
	alertlog) dict=$src/logfmt.dict ;;
	csv) dict=$src/csv.dict ;;
	*) dict= ;;
	esac
	set -- -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$work/$name-"
	[ -n "$dict" ] && [ -f "$dict" ] && set -- "$@" -dict="$dict"
	echo "==== fuzz $name: $secs s ===="
	"$bin" "$@" "$work/$name" "$src/corpus/$name" >"$work/$name.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log" | tail -n 1)
	[ -n "$execs" ] || execs=0
	total=$((total + execs))
	crashes=$(ls "$work/$name"-crash-* "$work/$name"-leak-* "$work/$name"-timeout-* "$work/$name"-oom-* 2>/dev/null)
	ncrash=$(printf '%s' "$crashes" | grep -c .)
	cov=$(grep -o 'cov: [0-9]*' "$work/$name.log" | tail -n 1)
	line="fuzz: $name: $execs executions in $secs s, ${cov:-cov: ?}, $ncrash crashes"
	echo "$line"
	summary="$summary$line
"
	if [ $rc -ne 0 ] || [ "$ncrash" -gt 0 ]; then
		status=1
		echo "---- $work/$name.log (end) ----"
		tail -n 40 "$work/$name.log"
		for c in $crashes; do
			echo "crash input: $c (replay: tests/fuzz/replay_$name $c, or $bin $c)"
		done
	fi
done
echo "==== fuzz summary ===="
printf '%s' "$summary"
echo "fuzz: $total executions in all, status $status"
exit $status
