#!/usr/bin/env bash
# report-memory.sh — what `lookout report` costs on a large history: generates a metrics.csv of ROWS rows
# (20 containers, one row each every 2 s, with down stretches) and prints the wall time and the peak resident
# memory of the report (GNU time's "Maximum resident set size"), next to the CSV's size. A benchmark, never a
# test: it asserts nothing.   tests/bench/report-memory.sh [ROWS=1000000]
set -u
ROWS=${1:-1000000}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
LOOKOUT=${LOOKOUT:-$top_srcdir/lookout}
[ -x /usr/bin/time ] || { echo "report-memory: needs GNU time (/usr/bin/time, Debian package time)"; exit 77; }
W=$(mktemp -d /tmp/lookout-bench-report.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/logs"
/usr/bin/python3 - "$W/logs/metrics.csv" "$ROWS" <<'PY'
import datetime, random, sys
path, rows = sys.argv[1], int(sys.argv[2])
hdr = ("timestamp,host,container_id,name,image,state,health,up,cpu_pct,cpu_limit_pct,mem_used_bytes,"
       "mem_limit_bytes,mem_pct,net_rx_bps,net_tx_bps,blk_read_bps,blk_write_bps,pids,restarts,response_ms,"
       "http_status,state_since\n")
t0 = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc).timestamp()
random.seed(1)
with open(path, "w") as f:
    f.write(hdr)
    for k in range(rows // 20):
        ts = datetime.datetime.fromtimestamp(t0 + 2 * k, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        for c in range(20):
            up = 0 if (k // 500 + c) % 37 == 0 else 1
            f.write("%s,host,%012x,svc-%02d,img:%d,%s,,%d,%.2f,%.2f,%d,1073741824,%.2f,100,100,0,0,5,0,%s,200,\n" % (
                ts, c, c, c, "running" if up else "exited", up, random.random() * 50, random.random() * 50,
                random.randint(1, 500) * 1048576, random.random() * 60, random.randint(5, 900) if up else ""))
PY
size=$(stat -c %s "$W/logs/metrics.csv")
# The floor of reading the file: wc -l over the same bytes (after a first read, so both find it cached).
wc -l "$W/logs/metrics.csv" >/dev/null
/usr/bin/time -f '%e %U %S' -o "$W/wctime" wc -l "$W/logs/metrics.csv" >/dev/null
/usr/bin/time -f '%e %M %U %S' -o "$W/time" "$LOOKOUT" report -o "$W/logs" >/dev/null || echo "report failed"
read -r secs kib user sys <"$W/time"
read -r wsecs wuser wsys <"$W/wctime"
awk -v rows="$ROWS" -v size="$size" -v secs="$secs" -v kib="$kib" -v u="$user" -v s="$sys" \
	-v wsecs="$wsecs" -v wu="$wuser" -v ws="$wsys" 'BEGIN {
	c = u + s; wc = wu + ws
	printf "lookout report: %d rows, CSV %.1f MB: %s s (%.2f s CPU), peak RSS %.1f MB (%.1f bytes per row)\n",
		rows, size / 1e6, secs, c, kib / 1024, kib * 1024 / rows
	printf "wc -l on the same file: %s s (%.2f s CPU); report / wc -l: %.1fx in CPU\n", wsecs, wc,
		(wc > 0 ? c / wc : 0)
	printf "goals: under 2 s: %s; under 32 MiB: %s\n", secs < 2 ? "met" : "MISSED (elapsed; see the CPU time on a busy machine)",
		kib < 32 * 1024 ? "met" : "MISSED"
}'
