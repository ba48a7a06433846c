# lib.sh — TAP helpers and CSV helpers for the shell integration tests (source it from bash).
#
#   plan 12            ok COND_STATUS "what"     is GOT WANT "what"    diag "text"
#   check "what" CMD...                          poll_until "CMD" DEADLINE_S [INTERVAL_S]
#   csv_field_counts FILE   csv_py FILE 'python body using rows'       done_testing
#
# Tests never depend on timing luck: anything that happens asynchronously is waited for with
# poll_until and a generous deadline, and a failure says what was seen last.

TAP_N=0
TAP_FAILED=0
TAP_PLANNED=

PY=/usr/bin/python3

# No daemon of a test takes the default HTTP port (127.0.0.1:8000): with two tests at once, or another server
# on this machine, the second would say "cannot listen" on its standard error. A test that wants the server
# passes --listen (a flag beats the environment); http-harden.sh unsets this to check the default itself.
export LOOKOUT_LISTEN=off

plan() { TAP_PLANNED=$1; echo "1..$1"; }

# Comments go to stdout so that they land in the .log next to the results they explain.
diag() {
	local line
	printf '%s\n' "$*" | while IFS= read -r line; do printf '# %s\n' "$line"; done
}

# ok STATUS DESCRIPTION: STATUS 0 is a pass.
ok() {
	local status=$1; shift
	TAP_N=$((TAP_N + 1))
	if [ "$status" -eq 0 ]; then
		printf 'ok %d - %s\n' "$TAP_N" "$*"
	else
		TAP_FAILED=$((TAP_FAILED + 1))
		printf 'not ok %d - %s\n' "$TAP_N" "$*"
	fi
	return "$status"
}

# check DESCRIPTION CMD [ARGS...]: run CMD; its exit status is the result, its output a diagnostic.
check() {
	local desc=$1 out status
	shift
	out=$("$@" 2>&1)
	status=$?
	ok "$status" "$desc"
	[ -n "$out" ] && diag "$out"
	return "$status"
}

# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "got:  '$1'" "want: '$2'"
		return 1
	fi
}

skip() { TAP_N=$((TAP_N + 1)); printf 'ok %d # SKIP %s\n' "$TAP_N" "$*"; }

# skip_rest REASON: mark every remaining planned test as skipped (after a fatal setup failure).
skip_rest() {
	while [ -n "$TAP_PLANNED" ] && [ "$TAP_N" -lt "$TAP_PLANNED" ]; do skip "$*"; done
}

bail() { echo "Bail out! $*"; exit 1; }

# done_testing: without a plan, print one now. The results are in the TAP stream; the exit status
# stays 0 because automake's TAP driver would count a non-zero one as one more ERROR. Set
# TAP_EXIT_STATUS=1 (by hand) to get a failing status when any test failed.
done_testing() {
	[ -z "$TAP_PLANNED" ] && echo "1..$TAP_N"
	if [ -n "$ONCE_STAMP" ] && [ "$TAP_FAILED" -eq 0 ] && [ "$TAP_N" -gt 0 ]; then
		mkdir -p "$(dirname "$ONCE_STAMP")" 2>/dev/null
		echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) by $top_builddir" >"$ONCE_STAMP" 2>/dev/null
	fi
	[ "$TAP_FAILED" -gt 0 ] && diag "$TAP_FAILED of $TAP_N failed"
	[ -n "${TAP_EXIT_STATUS:-}" ] && [ "$TAP_FAILED" -gt 0 ] && return 1
	return 0
}

# once_per_tree NAME [any]: a slow test runs once per source tree and kind of build (plain or sanitizer; with
# "any", once whatever the build). When NAME already passed for exactly these sources in such a build, print
# a TAP skip and exit 0; otherwise done_testing leaves a stamp when nothing failed. So a CI run takes it in
# the gcc pass and in the sanitizer pass, not again in distcheck. Stamps live in LOOKOUT_TEST_CACHE (/var/cache/lookout-test); LOOKOUT_AGAIN=1
# or LOOKOUT_LONG=1 runs the test anyway.
ONCE_STAMP=
once_per_tree() {
	local cache=${LOOKOUT_TEST_CACHE:-/var/cache/lookout-test} kind=plain hash
	grep -qs '^SAN_CFLAGS = -f' "$top_builddir/Makefile" && kind=sanitizer
	[ "${2:-}" = any ] && kind=any
	hash=$(cd "$top_srcdir" && find src data tests/integration tests/lib tests/compose -type f \( -name '*.[ch]' -o \
		-name '*.sh' -o -name '*.py' -o -name '*.sql' -o -name '*.yaml' -o -name '*Dockerfile' \) -print0 |
		LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
	ONCE_STAMP=$cache/$1-$kind-$hash.passed
	if [ -s "$ONCE_STAMP" ] && [ -z "${LOOKOUT_AGAIN:-}${LOOKOUT_LONG:-}" ]; then
		echo "1..0 # SKIP passed already for exactly these sources in a $kind build ($(head -n 1 "$ONCE_STAMP")); LOOKOUT_AGAIN=1 runs it again"
		exit 0
	fi
}

# poll_until CMD DEADLINE_S [INTERVAL_S]: eval CMD until it succeeds; 1 when the deadline passes.
poll_until() {
	local cmd=$1 deadline interval=${3:-0.2}
	deadline=$(($(date +%s) + $2))
	while :; do
		eval "$cmd" && return 0
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep "$interval"
	done
}

# now_s: wall clock in seconds with nanoseconds, for comparing with the CSV's timestamps.
now_s() { date +%s.%N; }

# csv_field_counts FILE: one line per CSV record (RFC 4180: quoted fields may hold commas, quotes
# as "" and line breaks) with its field count. A small state machine, independent of the daemon's
# writer and of Python's csv module, so the two can check each other.
csv_field_counts() {
	LC_ALL=C awk '
	BEGIN { inq = 0; n = 1 }
	{
		line = $0
		sub(/\r$/, "", line)
		for (i = 1; i <= length(line); i++) {
			c = substr(line, i, 1)
			if (inq) {
				if (c == "\"") {
					if (substr(line, i + 1, 1) == "\"") i++
					else inq = 0
				}
			} else if (c == "\"") inq = 1
			else if (c == ",") n++
		}
		if (!inq) { print n; n = 1 }
	}
	END { if (inq) print "unterminated-quote" }' "$1"
}

# csv_py FILE CODE: run CODE under Debian's python3 with `header` (list) and `rows` (list of dicts,
# every field a string) read from FILE by the csv module. CODE prints diagnostics and calls
# sys.exit(1) on failure. In scope: args (extra arguments), num(s) -> float or None, ts(s) -> epoch
# seconds of an ISO-8601 UTC time or None, rows_for(full_id) -> that container's rows.
IFS= read -r -d '' CSV_PY_PRELUDE <<'PYEOF' || :
import csv, datetime, io, json, re, statistics, sys
def num(s):
    try:
        return float(s) if s not in (None, "") else None
    except ValueError:
        return None
def ts(s):
    if not s:
        return None
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z", s)
    if not m:
        return None
    frac = float("0." + m.group(7)) if m.group(7) else 0.0
    d = datetime.datetime(*[int(x) for x in m.groups()[:6]], tzinfo=datetime.timezone.utc)
    return d.timestamp() + frac
args = sys.argv[2:]
with open(sys.argv[1], "rb") as f:
    raw = f.read()
# A file still being written may end in the middle of a record: read only whole lines (the final
# checks look at the last byte separately).
raw = raw[:raw.rfind(b"\n") + 1]
records = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline=""), strict=True))
header = records[0] if records else []
rows = [dict(zip(header, r)) for r in records[1:]]
def rows_for(cid):
    """Rows of one container, given its full id; the CSV may hold the full or a short (>= 12) id."""
    return [r for r in rows if len(r.get("container_id") or "") >= 12 and cid.startswith(r["container_id"])]
PYEOF

csv_py() {
	local file=$1 code=$2
	shift 2
	"$PY" -c "$CSV_PY_PRELUDE$code" "$file" "$@"
}
