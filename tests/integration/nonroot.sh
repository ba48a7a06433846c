#!/bin/bash
# nonroot.sh — the daemon as an ordinary user: a throwaway user and group are made for the test, the private
# engine's socket is given to that group (as the docker group owns /var/run/docker.sock), and lookout --daemon
# runs under that uid with the group. It must see the containers, read their cgroup files (CPU and memory
# numbers in /api/snapshot.json) and write CSV rows to its own output directory. It talks to the engine through
# a recording proxy (tests/lib/enginerecorder.py, its socket root:GROUP 0660 like the engine's), which must see
# only GET (or HEAD) requests while containers come and go: lookout never changes anything; its liveness pings
# must share a kept-alive connection. As a control, the same user
# without the group gets one clear line about the socket and no rows. Needs root (to make users and run a
# private engine): skipped otherwise. Environment (set by make check): top_srcdir, top_builddir, LOOKOUT.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOOKOUT=${LOOKOUT:-$top_builddir/lookout}
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/lib/engine.sh"
once_per_tree nonroot any

engine_require
for t in useradd userdel groupadd groupdel setpriv; do
	command -v "$t" >/dev/null 2>&1 || { echo "1..0 # SKIP $t not installed"; exit 0; }
done
[ -x "$LOOKOUT" ] || bail "no lookout binary at $LOOKOUT (build it first)"
HTTPD=1
[ -f "$top_builddir/autoconfig.h" ] && ! grep -q '^#define HAVE_MHD 1' "$top_builddir/autoconfig.h" && HTTPD=

IMAGE=lookout-test/busybox:latest
WORK=$(mktemp -d /tmp/lookout-nonroot.XXXXXX) || bail "mktemp failed"
chmod 755 "$WORK"
U=lkt$$
G=lkts$$
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	PIDS=()
	id "$U" >/dev/null 2>&1 && userdel "$U" 2>/dev/null
	getent group "$G" >/dev/null && groupdel "$G" 2>/dev/null
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
engine_on_cleanup cleanup

engine_start
engine_image "$IMAGE"
docker run -d --name nr-busy --network none --memory 64m "$IMAGE" sh -c 'while :; do :; done' >/dev/null ||
	bail "docker run failed"

groupadd "$G" && useradd -M -N -g nogroup -G "$G" -d /nonexistent -s /usr/sbin/nologin "$U" || bail "cannot make user $U"
UID_=$(id -u "$U")
GID_=$(getent group "$G" | cut -d: -f3)
NOGROUP=$(getent group nogroup | cut -d: -f3)
# The engine's socket as Debian's docker group has it: root:GROUP, 0660.
chgrp "$G" "$ENGINE_SOCK" && chmod 0660 "$ENGINE_SOCK" || bail "cannot hand the socket to $G"
# The binary where the user can run it (the build tree may sit under a directory only root can enter).
cp "$LOOKOUT" "$WORK/lookout" && chmod 755 "$WORK/lookout"

# The recording proxy in front of the engine, its socket as the engine's.
REC=$WORK/requests.txt
CONNS=$WORK/connections.txt
/usr/bin/python3 "$top_srcdir/tests/lib/enginerecorder.py" "$WORK/peer.sock" "$ENGINE_SOCK" "$REC" "$CONNS" >"$WORK/peer.out" 2>&1 &
PIDS+=("$!")
poll_until "grep -q ready '$WORK/peer.out'" 30 0.1 || bail "the recording proxy did not start: $(cat "$WORK/peer.out")"
chgrp "$G" "$WORK/peer.sock" && chmod 0660 "$WORK/peer.sock"

# run_as OUTDIR GROUPS SOCKET ARGS...: lookout --daemon as $U with the given supplementary groups.
run_as() {
	local out=$1 groups=$2 sock=$3
	shift 3
	mkdir -p "$out" && chown "$U" "$out"
	setpriv --reuid="$UID_" --regid="$NOGROUP" --groups="$groups" --inh-caps=-all \
		env -i PATH=/usr/bin:/bin HOME=/nonexistent DOCKER_HOST="unix://$sock" \
		"$WORK/lookout" --daemon --output-dir "$out" --interval 1 --status-every 0 "$@" </dev/null >"$out/stderr" 2>&1 &
	PIDS+=("$!")
}

D=$WORK/ok
PORT=$(engine_free_port)
if [ -n "$HTTPD" ]; then run_as "$D" "$GID_" "$WORK/peer.sock" --listen "127.0.0.1:$PORT"; else run_as "$D" "$GID_" "$WORK/peer.sock" --listen off; fi
LPID=${PIDS[-1]}
poll_until "[ -s '$D/metrics.csv' ] && grep -q nr-busy '$D/metrics.csv'" 60 0.3
check "as $U (uid $UID_, in group $G only for the socket) the daemon writes CSV rows for the container" \
	grep -q nr-busy "$D/metrics.csv" || diag "$(tail -n 5 "$D/stderr")"
check "the daemon really runs as uid $UID_ with no capabilities" sh -c "
grep -Eq '^Uid:[[:space:]]+$UID_[[:space:]]+$UID_' /proc/$LPID/status && grep -Eq '^CapEff:[[:space:]]+0+\$' /proc/$LPID/status"
measured() { csv_py "$D/metrics.csv" 'sys.exit(0 if any(x["name"] == "nr-busy" and (num(x["cpu_pct"]) or 0) > 0 for x in rows) else 1)'; }
poll_until measured 30 0.5
check "its rows carry CPU and memory numbers: the cgroup files are readable to it" csv_py "$D/metrics.csv" '
r = [x for x in rows if x["name"] == "nr-busy" and num(x["cpu_pct"]) is not None and (num(x["mem_used_bytes"]) or 0) > 0]
print(len(r), "measured rows of", len([x for x in rows if x["name"] == "nr-busy"]))
sys.exit(0 if r and any(num(x["cpu_pct"]) > 0 for x in r) else 1)'
if [ -n "$HTTPD" ]; then
	check "its /api/snapshot.json lists the container up, with a memory limit of 64 MiB" sh -c "
curl -fsS --max-time 5 'http://127.0.0.1:$PORT/api/snapshot.json' | /usr/bin/python3 -c '
import json, sys
c = [x for x in json.load(sys.stdin)[\"containers\"] if x[\"name\"] == \"nr-busy\"]
print(c and (c[0][\"status\"], c[0][\"mem_limit_bytes\"]))
sys.exit(0 if c and c[0][\"status\"] == \"up\" and c[0][\"mem_limit_bytes\"] == 64 * 1048576 else 1)'"
else
	skip "lookout was configured --without-httpd"
fi
# Containers come and go (run, stop, kill, remove) while it watches: every call it makes is still a GET.
docker run -d --name nr-new --network none "$IMAGE" sleep 100000 >/dev/null
poll_until "grep -q ',nr-new,' '$D/metrics.csv'" 30 0.3
before=$(wc -l <"$REC")
docker stop -t 1 nr-new >/dev/null
docker start nr-new >/dev/null && docker kill nr-new >/dev/null && docker rm -f nr-new >/dev/null
# The events set off calls (inspect, list): wait for some, so they are in the tally.
poll_until "[ \$(wc -l <'$REC') -gt $before ]" 20 0.3
check "it saw the new container (CSV rows for nr-new)" grep -q ',nr-new,' "$D/metrics.csv"
check "the engine received only GET/HEAD requests from it ($(wc -l <"$REC") requests)" /usr/bin/python3 -c '
import collections, sys
reqs = [l.split(" ", 1) for l in open(sys.argv[1]).read().splitlines()]
kinds = collections.Counter((m, p.split("?")[0].split("/")[2] if p.count("/") > 1 else p) for m, p in reqs)
print(", ".join("%s %s x%d" % (m, p, n) for (m, p), n in sorted(kinds.items())))
sys.exit(0 if reqs and all(m in ("GET", "HEAD") for m, _ in reqs) and any("/events" in p for _, p in reqs) else 1)' "$REC"
# The liveness pings while the event stream is open share the kept-alive connection (a new one each costs dockerd
# four times the CPU): several of them on one connection, once the daemon has run for a few seconds.
poll_until "[ \$(grep -c ' GET /_ping' '$CONNS') -ge 6 ]" 30 0.3
check "its liveness pings reuse a kept-alive connection" /usr/bin/python3 -c '
import collections, sys
pings = collections.Counter(l.split(" ", 1)[0] for l in open(sys.argv[1]) if " GET /_ping" in l)
print("%d pings on %d connections, at most %d on one" % (sum(pings.values()), len(pings), max(pings.values(), default=0)))
sys.exit(0 if max(pings.values(), default=0) >= 3 else 1)' "$CONNS"
check "and its log has no 'permission denied'" sh -c "! grep -qi 'permission denied' '$D/container_monitor.log' '$D/stderr'"
check "the files it wrote belong to $U" sh -c "[ \"\$(stat -c %U '$D/metrics.csv')\" = '$U' ]"

# A clean stop: exit 0, and no sanitizer report (in an ASan/UBSan build) in what it wrote.
kill -TERM "$LPID" 2>/dev/null
wait "$LPID"
st=$?
check "SIGTERM stops it with status 0 and no sanitizer report (status $st)" sh -c "[ $st -eq 0 ] && ! grep -E 'runtime error|Sanitizer' '$D/stderr'"

# Control: the same user without the socket's group.
N=$WORK/nogroup
run_as "$N" "$NOGROUP" "$ENGINE_SOCK" --listen off
poll_until "grep -qi 'permission denied' '$N/stderr' '$N/container_monitor.log' 2>/dev/null" 30 0.3
check "without the group it says the socket is not accessible (permission denied)" \
	grep -hi 'permission denied' "$N/stderr" "$N/container_monitor.log"
check "... and writes no container rows" sh -c "! grep -q nr-busy '$N/metrics.csv' 2>/dev/null"

cleanup
done_testing
