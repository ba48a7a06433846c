#!/bin/bash
# prometheus.sh — the contrib/prometheus recipe against the real thing: the rules' unit tests and the config
# through promtool, then Debian's Prometheus on loopback scraping two lookout daemons (bearer token, file-based
# targets, the recipe's own rule file), its API returning both hosts' series, and a stopped container firing
# both the native LookoutContainerDown and the forwarded LookoutAlert while lookout's alert log records
# container_down. A daemon stopped shows as up == 0.
#
# Every wait is a poll with a generous deadline. Environment (set by make check): top_srcdir, top_builddir, LOOKOUT.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOOKOUT=${LOOKOUT:-$top_builddir/lookout}
. "$top_srcdir/tests/integration/lib.sh"
once_per_tree prometheus
. "$top_srcdir/tests/lib/engine.sh"

PROMETHEUS=$(command -v prometheus || true)
PROMTOOL=$(command -v promtool || true)
if [ -z "$PROMETHEUS" ] || [ -z "$PROMTOOL" ]; then
	echo "1..0 # SKIP prometheus/promtool not installed (Debian package prometheus)"
	exit 0
fi
if [ -f "$top_builddir/autoconfig.h" ] && ! grep -q '^#define HAVE_MHD 1' "$top_builddir/autoconfig.h"; then
	echo "1..0 # SKIP lookout was configured --without-httpd"
	exit 0
fi
RECIPE=$top_srcdir/contrib/prometheus

# 1-3. The recipe's files, without any daemon.
check "promtool test rules: the rules' unit tests pass" \
	sh -c "cd '$RECIPE' && '$PROMTOOL' test rules lookout-rules.test.yml"
check "promtool check rules: lookout-rules.yml is valid" "$PROMTOOL" check rules "$RECIPE/lookout-rules.yml"
WORK=$(mktemp -d /tmp/lookout-prom-test.XXXXXX) || bail "mktemp failed"
sed "s|/etc/prometheus/lookout.token|$WORK/token|" "$RECIPE/prometheus.yml" >"$WORK/prometheus.yml"
cp "$RECIPE/lookout-rules.yml" "$WORK/"
mkdir -p "$WORK/targets"
head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/token"
check "promtool check config: prometheus.yml is valid (token path filled in)" "$PROMTOOL" check config "$WORK/prometheus.yml"

engine_require
[ -x "$LOOKOUT" ] || bail "no lookout binary at $LOOKOUT (build it first)"

PIDS=()
stop_all() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	PIDS=()
}
engine_on_cleanup stop_all
engine_on_cleanup '[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"'

engine_start
IMAGE=lookout-test/busybox:latest
engine_image "$IMAGE"
docker run -d --name p-web --network none "$IMAGE" sleep 100000 >/dev/null || bail "docker run p-web failed"
docker run -d --name p-db --network none "$IMAGE" sleep 100000 >/dev/null || bail "docker run p-db failed"

# Two daemons on the one private engine, told apart by their host labels (--host NAME=URL), as two hosts'
# daemons are. Both need the token.
start_daemon() { # NAME PORT
	mkdir -p "$WORK/$1"
	HTTP_TOKEN_FILE="$WORK/token" "$LOOKOUT" --daemon --host "$1=$DOCKER_HOST" --output-dir "$WORK/$1" \
		--interval 1 --status-every 0 --listen "127.0.0.1:$2" </dev/null >"$WORK/$1/stdout" 2>"$WORK/$1/stderr" &
	PIDS+=($!)
	eval "PID_$1=$!"
}
PA=$(engine_free_port)
start_daemon alpha "$PA"
PB=$(engine_free_port)
start_daemon beta "$PB"
printf -- "- targets: ['127.0.0.1:%s', '127.0.0.1:%s']\n  labels:\n    site: test\n" "$PA" "$PB" >"$WORK/targets/lookout.yml"

# Prometheus 1 s scrapes and evaluations, so the test waits seconds, not minutes; otherwise the recipe's file.
sed -i 's/scrape_interval: 15s.*/scrape_interval: 1s/; s/evaluation_interval: 15s/evaluation_interval: 1s/; s/scrape_timeout: 10s/scrape_timeout: 1s/' \
	"$WORK/prometheus.yml"
PPORT=$(engine_free_port)
"$PROMETHEUS" --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
	--web.listen-address="127.0.0.1:$PPORT" --log.level=warn </dev/null >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
PROM="http://127.0.0.1:$PPORT"

# q PROMQL PYTHON-CONDITION: query Prometheus' API; the condition sees `r` (the result list).
q() {
	curl -fsS --max-time 5 "$PROM/api/v1/query" --data-urlencode "query=$1" 2>/dev/null |
		/usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
r = d["data"]["result"]
sys.exit(0 if eval(sys.argv[1]) else 1)' "$2"
}
show() {
	diag "--- prometheus ---" "$(tail -n 5 "$WORK/prometheus.log")" "--- targets ---" \
		"$(curl -s --max-time 5 "$PROM/api/v1/targets" | head -c 1500)" \
		"--- alpha stderr ---" "$(tail -n 5 "$WORK/alpha/stderr")" "--- beta stderr ---" "$(tail -n 5 "$WORK/beta/stderr")"
}

# 4. Both daemons scraped with the token: up == 1 for both targets.
if poll_until "q 'up{job=\"lookout\"} == 1' 'len(r) == 2'" 90 0.5; then
	ok 0 "Prometheus scrapes both daemons with the bearer token (up == 1 for two targets)"
else
	ok 1 "Prometheus scrapes both daemons with the bearer token (up == 1 for two targets)"; show
fi

# 5. Both hosts' series: the same container name under two host labels, with the target's own labels.
if poll_until "q 'lookout_container_up{name=\"p-web\"}' 'sorted(x[\"metric\"].get(\"host\") for x in r) == [\"alpha\", \"beta\"] and all(x[\"metric\"].get(\"site\") == \"test\" for x in r)'" 60 0.5; then
	ok 0 "the API returns p-web's series for both hosts (host=alpha and host=beta), with the target labels"
else
	ok 1 "the API returns p-web's series for both hosts (host=alpha and host=beta), with the target labels"; show
fi
check "numbers arrive per host: CPU and memory series of both containers on both hosts" \
	poll_until "q 'lookout_container_memory_used_bytes{name=~\"p-web|p-db\"}' 'len(r) == 4'" 60 0.5
check "lookout_engine_up is 1 for both hosts" poll_until "q 'lookout_engine_up == 1' 'len(r) == 2'" 60 0.5

# 8-10. A container stops: Prometheus' native rule and the forwarded lookout alert fire, for both hosts, and
# lookout's own alert log says container_down.
docker stop -t 0 p-web >/dev/null || bail "docker stop p-web failed"
check "native rule: LookoutContainerDown fires for p-web on both hosts" \
	poll_until "q 'ALERTS{alertname=\"LookoutContainerDown\",alertstate=\"firing\",name=\"p-web\"}' 'sorted(x[\"metric\"].get(\"host\", \"\") for x in r) == [\"alpha\", \"beta\"]'" 60 0.5
check "forwarded: LookoutAlert{alert=container_down, severity=critical} fires for p-web" \
	poll_until "q 'ALERTS{alertname=\"LookoutAlert\",alertstate=\"firing\",alert=\"container_down\",severity=\"critical\",name=\"p-web\"}' 'len(r) == 2'" 60 0.5
check "lookout's own alert log records container_down firing for p-web" \
	poll_until "grep 'alert=container_down' '$WORK/alpha/container_alerts.log' 2>/dev/null | grep 'state=firing' | grep -q 'container=p-web'" 30 0.5
check "p-db does not fire (no alert for a running container)" \
	q 'ALERTS{name="p-db"}' 'len(r) == 0'

# 12. A daemon stopped: its target goes down in Prometheus (LookoutDaemonDown's input), the other stays up.
kill -TERM "$PID_beta" 2>/dev/null
wait "$PID_beta" 2>/dev/null
check "a stopped daemon shows as up == 0, the other as up == 1" \
	poll_until "q 'up{job=\"lookout\"}' 'sorted(x[\"value\"][1] for x in r) == [\"0\", \"1\"]'" 60 0.5
check "Prometheus logged no errors" sh -c "! grep -q 'level=error' '$WORK/prometheus.log'"

done_testing
