#!/bin/bash
# tls-engine.sh — a private engine that listens on tcp://127.0.0.1 with TLS and wants a client certificate (CA,
# server and client certificates made by tests/lib/engine.sh with openssl). lookout reaches it as the docker
# CLI would: DOCKER_TLS_VERIFY + DOCKER_CERT_PATH, and --context NAME from a context that the real `docker
# context create` wrote. `lookout check` lists the containers; the daemon with --source api reads CPU through
# stats streams over TLS and sees a kill through the event stream over TLS; a wrong CA, a missing client
# certificate, a missing CA file and plain HTTP to the TLS port each give one clear line and exit 3 under
# check; the client key's contents appear in no output or log.
# Environment (set by make check): top_srcdir, top_builddir, LOOKOUT.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOOKOUT=${LOOKOUT:-$top_builddir/lookout}
. "$top_srcdir/tests/integration/lib.sh"
once_per_tree tls-engine
. "$top_srcdir/tests/lib/engine.sh"

engine_require
[ -x "$LOOKOUT" ] || bail "no lookout binary at $LOOKOUT (build it first)"
command -v openssl >/dev/null 2>&1 || engine_skip "openssl not installed"

IMAGE=lookout-test/busybox:latest
plan 24

WORK=$(mktemp -d /tmp/lookout-tls.XXXXXX) || bail "mktemp failed"
LPID=
stop_daemon() {
	[ -n "$LPID" ] && kill -TERM "$LPID" 2>/dev/null && wait "$LPID" 2>/dev/null
	LPID=
}
engine_on_cleanup stop_daemon
engine_on_cleanup '[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"'

engine_start --tls
engine_image "$IMAGE"
docker run -d --name tls-idle --network none "$IMAGE" sleep 100000 >/dev/null || bail "docker run tls-idle failed"
# A little CPU, capped, so the API path has something to measure without loading the machine.
docker run -d --name tls-busy --network none --cpus 0.2 "$IMAGE" sh -c 'while :; do :; done' >/dev/null ||
	bail "docker run tls-busy failed"

CERTS=$ENGINE_CERT_PATH
# The key's body (its base64 lines) must never show anywhere lookout writes (copies of the .pem files aside).
KEY_BODY=$(sed -n 2p "$CERTS/key.pem")
[ -n "$KEY_BODY" ] || bail "no key body in $CERTS/key.pem"
no_key_in() { ! grep -rqF --exclude='*.pem' -- "$KEY_BODY" "$@"; }

# From here on, lookout must find the engine only through the TLS endpoint.
UNIX_HOST=$DOCKER_HOST
tls_env() { env DOCKER_HOST="$ENGINE_TLS_HOST" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$1" "${@:2}"; }

# ---- DOCKER_TLS_VERIFY + DOCKER_CERT_PATH ----
tls_env "$CERTS" "$LOOKOUT" check --all >"$WORK/ok.out" 2>"$WORK/ok.err"
is "$?" 0 "check over TLS (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH): exit 0"
check "check lists both containers" grep -q 'tls-idle' "$WORK/ok.out"
check "... and the busy one" grep -q 'tls-busy' "$WORK/ok.out"
tls_env "$CERTS" "$LOOKOUT" check --source api >"$WORK/api.out" 2>"$WORK/api.err"
is "$?" 0 "check --source api over TLS: exit 0"

# ---- failures a person must understand: one line, exit 3 (UNKNOWN) under check ----
fail_case() { # NAME CERT_DIR WANT_REGEX [env...]
	local name=$1 dir=$2 want=$3 status
	shift 3
	env "$@" DOCKER_HOST="$ENGINE_TLS_HOST" DOCKER_CERT_PATH="$dir" "$LOOKOUT" check >"$WORK/$name.out" \
		2>"$WORK/$name.err"
	status=$?
	is "$status" 3 "$name: check exits 3"
	if grep -Eq -- "$want" "$WORK/$name.err" && [ "$(wc -l <"$WORK/$name.err")" -eq 1 ]; then
		ok 0 "$name: one line saying so"
	else
		ok 1 "$name: one line saying so (want /$want/)"
		diag "$(cat "$WORK/$name.err")"
	fi
}
mkdir -p "$WORK/wrongca" "$WORK/nocert" "$WORK/noca"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$WORK/wrongca/other-key.pem" \
	-out "$WORK/wrongca/ca.pem" -days 1 -subj /CN=another-ca >/dev/null 2>&1 || bail "openssl failed"
cp "$CERTS/cert.pem" "$CERTS/key.pem" "$WORK/wrongca/"
cp "$CERTS/ca.pem" "$WORK/nocert/"
cp "$CERTS/cert.pem" "$CERTS/key.pem" "$WORK/noca/"
fail_case wrong-ca "$WORK/wrongca" "certificate that the CA $WORK/wrongca/ca.pem did not sign" DOCKER_TLS_VERIFY=1
fail_case no-client-cert "$WORK/nocert" "requires a client certificate and none was given" DOCKER_TLS_VERIFY=1
fail_case missing-ca "$WORK/noca" "cannot read the CA certificate $WORK/noca/ca.pem: No such file" DOCKER_TLS_VERIFY=1
fail_case plain-http "$CERTS" "speaks TLS: set DOCKER_TLS_VERIFY=1" DOCKER_TLS_VERIFY=
check "no key contents in any output" no_key_in "$WORK"

# ---- --context, from what the real docker CLI writes ----
export DOCKER_CONFIG=$WORK/cli
mkdir -p "$DOCKER_CONFIG"
check "docker context create (offline) with the client certificates" \
	docker context create tlsctx --docker "host=$ENGINE_TLS_HOST,ca=$CERTS/ca.pem,cert=$CERTS/cert.pem,key=$CERTS/key.pem"
# DOCKER_HOST names a socket that does not exist: --context must win over it.
env DOCKER_HOST=unix://$WORK/nothing.sock "$LOOKOUT" check --context tlsctx >"$WORK/ctx.out" 2>"$WORK/ctx.err"
is "$?" 0 "check --context tlsctx: exit 0 (the context wins over DOCKER_HOST)"
check "check --context lists the containers" grep -q 'tls-busy' "$WORK/ctx.out"
env DOCKER_HOST= "$LOOKOUT" check --context nosuch >"$WORK/noctx.out" 2>"$WORK/noctx.err"
is "$?" 3 "an unknown context: exit 3"
check "... saying it is not found" grep -q 'docker context "nosuch" not found' "$WORK/noctx.err"

# ---- the daemon over TLS with the API source: stats streams and the event stream ----
HPORT=$(engine_free_port)
D=$WORK/daemon
mkdir -p "$D"
env -u DOCKER_HOST DOCKER_CONTEXT=tlsctx "$LOOKOUT" --daemon --source api --output-dir "$D" --interval 1 \
	--status-every 0 --list-interval 3600 --listen "127.0.0.1:$HPORT" </dev/null >"$D/stdout" 2>"$D/stderr" &
LPID=$!
snap() { curl -fsS --max-time 5 "http://127.0.0.1:$HPORT/api/snapshot.json" 2>/dev/null; }
snap_py() { snap | /usr/bin/python3 -c "import json, sys
s = json.load(sys.stdin)
c = {x['name']: x for x in s.get('containers', [])}
$1" 2>/dev/null; }
check "daemon via DOCKER_CONTEXT: the engine is up in /api/snapshot.json" \
	poll_until "snap_py 'sys.exit(0 if s[\"engine\"][\"up\"] else 1)'" 60
check "stats over TLS: tls-busy has a CPU reading above 1 %" \
	poll_until "snap_py 'sys.exit(0 if (c[\"tls-busy\"].get(\"cpu_pct\") or 0) > 1 else 1)'" 60
T0=$(date +%s)
docker kill tls-idle >/dev/null
# The list is refreshed once an hour here, so only the event stream (over TLS) can tell.
check "events over TLS: the killed container is down within 30 s" \
	poll_until "snap_py 'sys.exit(0 if c[\"tls-idle\"][\"state\"] != \"running\" else 1)'" 30
diag "seen down after about $(($(date +%s) - T0)) s"
kill -TERM "$LPID"
wait "$LPID"
is "$?" 0 "the daemon stops cleanly on SIGTERM"
LPID=
check "no key contents in the daemon's output and logs" no_key_in "$D"
check "no sanitizer report from the daemon" sh -c "! grep -Eq 'runtime error|Sanitizer' '$D/stderr'"
DOCKER_HOST=$UNIX_HOST

done_testing
