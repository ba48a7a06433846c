#!/usr/bin/env bash
# docs.sh — the man page and the example config are generated from the key table: the committed copies must
# match what the binary prints (run `make update-docs` after changing a key), and every key must be in both.
. "${top_srcdir:-.}/tests/integration/lib.sh"
LOOKOUT=${LOOKOUT:-./lookout}
T=$(mktemp -d /tmp/lookout-docs.XXXXXX)
trap 'rm -rf "$T"' EXIT

"$LOOKOUT" --dump-man >"$T/lookout.1"
ok $? "--dump-man runs"
diff -u "$top_srcdir/data/lookout.1" "$T/lookout.1" >"$T/diff1"
ok $? "data/lookout.1 matches the key table (run make update-docs)"
[ -s "$T/diff1" ] && diag "$(head -20 "$T/diff1")"
"$LOOKOUT" --dump-config-example >"$T/lookout.conf.example"
diff -u "$top_srcdir/data/lookout.conf.example" "$T/lookout.conf.example" >"$T/diff2"
ok $? "data/lookout.conf.example matches the key table (run make update-docs)"
[ -s "$T/diff2" ] && diag "$(head -20 "$T/diff2")"

# The example parses as a config file (every line commented out, so defaults), and with the comment marks
# removed it still parses: every default written there is a valid value.
"$LOOKOUT" --config "$T/lookout.conf.example" --version >/dev/null
ok $? "the example config is accepted as is"
sed -n 's/^#\([A-Z_]* = .*\)$/\1/p' "$T/lookout.conf.example" >"$T/uncommented.conf"
[ -s "$T/uncommented.conf" ]; ok $? "the example lists keys with defaults"
"$LOOKOUT" --config "$T/uncommented.conf" --version >/dev/null
ok $? "every default in the example is a valid value"

# Every key named in --help appears in the man page and in the example.
for key in $("$LOOKOUT" --help | sed -n 's/.*\[\([A-Z_]*\)\]$/\1/p'); do
	grep -q "$key" "$top_srcdir/data/lookout.conf.example" && grep -q "$key" "$T/lookout.1"
	ok $? "$key is documented in the man page and the example"
done
if command -v man >/dev/null 2>&1; then
	MANWIDTH=80 man -l "$T/lookout.1" >"$T/man.txt" 2>"$T/man.err"
	ok $? "the man page renders"
	is "$(grep -c 'warning' "$T/man.err")" 0 "without roff warnings"
fi
done_testing
