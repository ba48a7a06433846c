#!/bin/bash
# daemon.sh — lookout --daemon against a private Docker engine: the CSV's rows, numbers and states
# are checked against what the engine itself reports (docker stats, the stats API, inspect, kill).
#
# One engine for the whole file. The main scenario runs twice (--source cgroup with --host, then
# --source api with DOCKER_HOST), then a short run against the same engine over tcp://127.0.0.1.
# Environment (set by make check): top_srcdir, top_builddir, LOOKOUT.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOOKOUT=${LOOKOUT:-$top_builddir/lookout}
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/lib/engine.sh"

engine_require
[ -x "$LOOKOUT" ] || bail "no lookout binary at $LOOKOUT (build it first)"

HEADER='timestamp,host,container_id,name,image,state,health,up,cpu_pct,cpu_limit_pct,mem_used_bytes,mem_limit_bytes,mem_pct,net_rx_bps,net_tx_bps,blk_read_bps,blk_write_bps,pids,restarts,response_ms,http_status,state_since'
IMAGE=lookout-test/busybox:latest
MAIN_CHECKS=20
CPU_WINDOW=6   # ticks of lookout over which CPU is compared
TCP_CHECKS=6
plan $((2 * MAIN_CHECKS + TCP_CHECKS))

WORK=$(mktemp -d /tmp/lookout-daemon-test.XXXXXX) || bail "mktemp failed"
LPIDS=()
stop_lookouts() {
	local p
	for p in "${LPIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${LPIDS[@]}"; do wait "$p" 2>/dev/null; done
	LPIDS=()
}
engine_on_cleanup stop_lookouts
engine_on_cleanup '[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"'

T_START=$SECONDS
engine_start --tcp
engine_image "$IMAGE"
diag "engine and image ready after $((SECONDS - T_START)) s"

# ---- containers -----------------------------------------------------------------------------------
declare -A CID   # name -> full id

run() { # run NAME [docker run options...] -- [command...]
	local name=$1 id
	shift
	id=$(docker run -d --name "$name" --network none "$@") || bail "docker run $name failed"
	CID[$name]=$id
}

LABEL_TEXT=$'commas, "double" and \'single\' quotes,\nnew lines,\r\nnon-ASCII: ünïcødé ☃ 日本'
start_base_containers() {
	run lo-busy "$IMAGE" sh -c 'while :; do :; done'
	run lo-idle "$IMAGE" sleep 100000
	run lo-limited --memory 64m --cpus 0.5 "$IMAGE" sh -c 'while :; do :; done'
	# 40 MB in /dev/shm: shmem is charged to the container and is not reclaimable page cache, so
	# "used" memory holds still at about 40 MB.
	run lo-mem --shm-size 64m "$IMAGE" sh -c 'dd if=/dev/zero of=/dev/shm/fill bs=1048576 count=40 2>/dev/null; exec sleep 100000'
	run lo-restart --restart always "$IMAGE" sh -c 'sleep 1; exit 1'
	# Names cannot hold odd characters, but labels and health-check output can.
	run lo-labels --label "lookout.note=$LABEL_TEXT" --label 'lookout.url=http://127.0.0.1:1/a,b"c' \
		--health-cmd "printf '%s\n' 'ok, \"fine\"' 'zwei, ☃'" --health-interval 1s --health-timeout 5s \
		"$IMAGE" sleep 100000
}
start_base_containers

# ---- helpers for one lookout run ------------------------------------------------------------------
LPID=
start_lookout() { # start_lookout DIR [lookout options...]; sets LPID
	local dir=$1
	shift
	mkdir -p "$dir"
	"$LOOKOUT" --daemon --output-dir "$dir" --interval 1 "$@" </dev/null >"$dir/stdout" 2>"$dir/stderr" &
	LPID=$!
	LPIDS+=("$LPID")
}

show_run() { # on failure: what lookout said and the CSV's tail
	local dir=$1
	diag "--- lookout stderr (tail) ---" "$(tail -n 15 "$dir/stderr" 2>/dev/null)"
	diag "--- lookout stdout (tail) ---" "$(tail -n 8 "$dir/stdout" 2>/dev/null)"
	diag "--- metrics.csv (tail) ---" "$(tail -n 12 "$dir/metrics.csv" 2>/dev/null)"
}

# all_present CSV ID...: every id has at least one row.
all_present() {
	local csv=$1
	shift
	[ -s "$csv" ] && csv_py "$csv" '
missing = [a for a in args if not rows_for(a)]
if missing:
    print("no rows yet for: " + " ".join(m[:12] for m in missing))
    sys.exit(1)' "$@"
}

# rows_after CSV ID T: that container has a row stamped after epoch time T.
rows_after() {
	csv_py "$1" '
t = float(args[1])
if not any((ts(r["timestamp"]) or 0) > t for r in rows_for(args[0])):
    sys.exit(1)' "$2" "$3"
}

# state_seen CSV ID STATE...: the container's latest row has one of the states.
state_seen() {
	local csv=$1 id=$2
	shift 2
	csv_py "$csv" '
rs = rows_for(args[0])
if not rs or rs[-1]["state"] not in args[1:]:
    print("latest state: %s" % (rs[-1]["state"] if rs else "no rows"))
    sys.exit(1)' "$id" "$@"
}

# stop_lookout PID: SIGTERM, wait (generous deadline); the exit status goes to LSTATUS. Not in a
# command substitution: only this shell can wait for its child.
stop_lookout() {
	local pid=$1 p keep=()
	kill -TERM "$pid" 2>/dev/null
	if ! poll_until "! kill -0 $pid 2>/dev/null" 30; then
		diag "lookout $pid still running 30 s after SIGTERM; SIGKILL"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid"
	LSTATUS=$?
	for p in "${LPIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
	LPIDS=("${keep[@]}")
}

# cpu_snapshot NAME...: "name total_usage_ns system_cpu_usage_ns online_cpus" from the stats API
# (one-shot: the current counters, at once).
cpu_snapshot() {
	local n
	for n; do
		engine_api "/containers/${CID[$n]}/stats?stream=false&one-shot=true" |
			"$PY" -c 'import json, sys
c = json.load(sys.stdin)["cpu_stats"]
print(sys.argv[1], c["cpu_usage"]["total_usage"], c["system_cpu_usage"],
      c.get("online_cpus") or len(c["cpu_usage"].get("percpu_usage") or []) or 1)' "$n"
	done
}

# cpu_compare CSV NAME T0 T1 SNAP0 SNAP1 [CPUS_LIMIT]: lookout's mean cpu_pct over the rows stamped
# in (T0, T1] against the docker stats formula over the two snapshots; with a limit, also
# cpu_limit_pct = cpu_pct / limit, and the absolute levels (100 % of the limit) when the host had
# the CPU to give.
cpu_compare() {
	csv_py "$1" '
name, t0, t1, lim_cpus = args[1], float(args[2]), float(args[3]), (float(args[6]) if len(args) > 6 else None)
def snap(path):
    for line in open(path):
        f = line.split()
        if f[0] == name:
            return int(f[1]), int(f[2]), int(f[3])
(u0, s0, n0), (u1, s1, n1) = snap(args[4]), snap(args[5])
want = (u1 - u0) / (s1 - s0) * n1 * 100.0 if s1 > s0 else 0.0
near = [r for r in rows_for(args[0]) if t0 < (ts(r["timestamp"]) or 0) <= t1 and num(r["cpu_pct"]) is not None]
if len(near) < 3:
    print("only %d %s rows with cpu_pct in the window" % (len(near), name)); sys.exit(1)
cpu = statistics.mean(num(r["cpu_pct"]) for r in near)
print("%s: lookout cpu_pct %s (mean %.1f) cpu_limit_pct %s; engine over the same %.1f s: %.1f" % (
    name, [r["cpu_pct"] for r in near], cpu, [r["cpu_limit_pct"] for r in near], t1 - t0, want))
bad = []
if abs(cpu - want) > 10:
    bad.append("cpu_pct mean %.1f is more than 10 points from the engine'"'"'s %.1f" % (cpu, want))
if lim_cpus:
    lims = [num(r["cpu_limit_pct"]) for r in near]
    for r, l in zip(near, lims):
        c = num(r["cpu_pct"])
        if l is None or abs(l - c / lim_cpus) > 2:
            bad.append("cpu_limit_pct %s is not cpu_pct %s of a %g-CPU limit" % (r["cpu_limit_pct"], r["cpu_pct"], lim_cpus))
            break
    # The levels are checked when the engine shows the container got (nearly) its whole quota;
    # on a starved host they cannot be.
    target = 100.0 * lim_cpus
    if abs(want - target) <= 5:
        if abs(cpu - target) > 15:
            bad.append("cpu_pct mean %.1f not within 15 of %g" % (cpu, target))
        if None in lims or abs(statistics.mean(lims) - 100) > 15:
            bad.append("cpu_limit_pct mean not within 15 of 100")
    else:
        print("host too busy for the absolute check: the engine itself gives %s %.1f %%" % (name, want))
print("\n".join(bad)); sys.exit(1 if bad else 0)' "${CID[$2]}" "$2" "$3" "$4" "$5" "$6" ${7:+"$7"}
}

# Whole-file checks, shared by every run: field counts (two independent parsers), header, formats,
# and that no other engine's containers leaked in.
check_file() { # check_file CSV LABEL
	local csv=$1 label=$2 counts
	counts=$(csv_field_counts "$csv" | sort | uniq -c | sed 's/^ *//')
	is "$counts" "$(csv_field_counts "$csv" | wc -l) 22" \
		"$label: every record has 22 fields (RFC 4180 field counter)"
	check "$label: csv module parses every row; header, timestamps, numbers and ids are well formed" \
		csv_py "$csv" '
bad = []
if header != args[0].split(","):
    bad.append("header is %r" % header)
for i, r in enumerate(records[1:], 2):
    if len(r) != 22:
        bad.append("record %d has %d fields: %r" % (i, len(r), r))
ours = args[1:]
numeric = ["cpu_pct", "cpu_limit_pct", "mem_used_bytes", "mem_limit_bytes", "mem_pct", "net_rx_bps",
           "net_tx_bps", "blk_read_bps", "blk_write_bps", "pids", "restarts", "response_ms", "http_status"]
for i, r in enumerate(rows, 2):
    if len(r) != 22:
        continue
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["timestamp"]):
        bad.append("record %d: timestamp %r" % (i, r["timestamp"]))
    if r["state_since"] and not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["state_since"]):
        bad.append("record %d: state_since %r" % (i, r["state_since"]))
    if r["up"] not in ("0", "1"):
        bad.append("record %d: up %r" % (i, r["up"]))
    for k in numeric:
        if r[k] and not re.fullmatch(r"-?\d+(\.\d+)?", r[k]):
            bad.append("record %d: %s %r is not a plain decimal" % (i, k, r[k]))
    cid = r["container_id"]
    if len(cid) < 12 or not any(o.startswith(cid) for o in ours):
        bad.append("record %d: container_id %r is not one of this engine'"'"'s containers" % (i, cid))
for b in bad[:15]:
    print(b)
if len(bad) > 15:
    print("... and %d more" % (len(bad) - 15))
sys.exit(1 if bad else 0)' "$HEADER" $(docker ps -aq --no-trunc)
}

# ---- the main scenario -----------------------------------------------------------------------------
scenario() { # scenario SOURCE: MAIN_CHECKS results
	local src=$1 dir=$WORK/$1 csv victim exiter ids t0 t1 st out n
	csv=$dir/metrics.csv
	victim=lo-victim-$src
	exiter=lo-exit-$src
	run "$victim" "$IMAGE" sleep 100000
	T_RUN=$SECONDS

	if [ "$src" = api ]; then
		# No --host: the engine comes from DOCKER_HOST (our private unix socket).
		start_lookout "$dir" --source api
	else
		start_lookout "$dir" --host "unix://$ENGINE_SOCK" --source "$src"
	fi
	diag "[$src] lookout pid $LPID: $LOOKOUT --daemon --output-dir $dir --interval 1 --source $src"

	# 1. the header
	if poll_until "[ -s '$csv' ] && [ \"\$(head -n 1 '$csv' | tr -d '\\r')\" = '$HEADER' ]" 30 0.2; then
		ok 0 "[$src] metrics.csv starts with the header row"
	else
		ok 1 "[$src] metrics.csv starts with the header row"
		show_run "$dir"
		if ! kill -0 "$LPID" 2>/dev/null; then
			diag "lookout exited early; skipping the rest of this run"
			for n in $(seq 2 $MAIN_CHECKS); do skip "[$src] lookout is not running"; done
			return
		fi
	fi

	# A container that exits by itself, started while lookout watches: seen running via the event,
	# then kept (stopped while watched).
	run "$exiter" "$IMAGE" sh -c 'sleep 3; exit 0'

	# 2. every container appears
	ids=()
	for n in lo-busy lo-idle lo-limited lo-mem lo-restart lo-labels "$victim" "$exiter"; do ids+=("${CID[$n]}"); done
	if poll_until "all_present '$csv' ${ids[*]} >/dev/null" 60 0.5; then
		ok 0 "[$src] every container appears (busy, idle, limited, memory, restart-loop, labels, victim, exiting)"
	else
		ok 1 "[$src] every container appears"
		diag "$(all_present "$csv" "${ids[@]}")"
		show_run "$dir"
	fi

	# 3. names and images match docker inspect; the busy one is running and up
	check "[$src] names and images match docker inspect; busy one is running, up=1" csv_py "$csv" '
bad = []
for spec in args:
    cid, name, image = spec.split("|")
    for r in rows_for(cid):
        if r["name"] != name:
            bad.append("%s: name %r, docker says %r" % (cid[:12], r["name"], name)); break
        if image not in (r["image"], r["image"] + ":latest") and not r["image"].startswith("sha256:"):
            bad.append("%s: image %r, docker says %r" % (cid[:12], r["image"], image)); break
busy = rows_for(args[0].split("|")[0])
if not busy or busy[-1]["state"] != "running" or busy[-1]["up"] != "1":
    bad.append("busy: latest row %r" % (busy[-1] if busy else None))
print("\n".join(bad)); sys.exit(1 if bad else 0)' \
		$(docker inspect --format '{{.Id}}|{{slice .Name 1}}|{{.Config.Image}}' lo-busy lo-idle lo-limited lo-mem lo-labels "$victim")

	# 4. state_since of a container that was already running = its StartedAt
	st=$(docker inspect --format '{{.State.StartedAt}}' lo-busy)
	check "[$src] busy container's state_since is its StartedAt ($st) within 1 s" csv_py "$csv" '
iso = re.sub(r"(\.\d{1,6})\d*Z$", r"\1Z", args[1])
want = datetime.datetime.strptime(iso.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z" if "." in iso else "%Y-%m-%dT%H:%M:%S%z").timestamp()
got = [ts(r["state_since"]) for r in rows_for(args[0])]
got = [g for g in got if g is not None]
if not got or abs(got[-1] - want) > 1:
    print("state_since %s, StartedAt %s" % (rows_for(args[0])[-1]["state_since"] if got else "empty", args[1]))
    sys.exit(1)' "${CID[lo-busy]}" "$st"

	# 5/6. CPU against the engine's own numbers. docker stats computes container CPU delta / system
	# CPU delta x online CPUs x 100 over one second; on a busy shared host single seconds swing by
	# tens of points, so the same formula is applied to the stats API's counters read at the start
	# and the end of a window of CPU_WINDOW of lookout's ticks, and compared with the mean of
	# lookout's rows in that window. A docker stats --no-stream sample is shown alongside. The limited
	# one must also sit near half a core and near all of its own limit, unless the engine's numbers
	# show the host is too busy to give it that — then agreement is what can be checked.
	out=$(docker stats --no-stream --format '{{.Name}} {{.CPUPerc}}' lo-busy lo-limited 2>&1)
	diag "[$src] docker stats --no-stream: $(echo $out)"
	poll_until "rows_after '$csv' ${CID[lo-limited]} $(now_s)" 20 0.1
	t0=$(now_s)
	cpu_snapshot lo-busy lo-limited >"$dir/cpu0"
	poll_until "csv_py '$csv' 'sys.exit(0 if sum(1 for r in rows_for(args[0]) if (ts(r[\"timestamp\"]) or 0) > float(args[1])) >= $CPU_WINDOW else 1)' ${CID[lo-limited]} $t0" 30 0.1
	cpu_snapshot lo-busy lo-limited >"$dir/cpu1"
	t1=$(now_s)
	check "[$src] busy cpu_pct agrees with the docker stats formula over the same window within 10 points" \
		cpu_compare "$csv" lo-busy "$t0" "$t1" "$dir/cpu0" "$dir/cpu1"
	check "[$src] limited (--cpus 0.5): cpu_pct ~ 50 and cpu_limit_pct ~ 100 (+-15), agrees with the engine" \
		cpu_compare "$csv" lo-limited "$t0" "$t1" "$dir/cpu0" "$dir/cpu1" 0.5
	check "[$src] limited (--memory 64m): mem_limit_bytes is 67108864, mem_pct of it" csv_py "$csv" '
rs = [r for r in rows_for(args[0]) if r["mem_used_bytes"] != ""]
if not rs:
    print("no rows with memory"); sys.exit(1)
r = rs[-1]
pct = 100.0 * num(r["mem_used_bytes"]) / 67108864
print("mem_limit_bytes %s mem_used_bytes %s mem_pct %s (expected %.2f)" % (r["mem_limit_bytes"], r["mem_used_bytes"], r["mem_pct"], pct))
sys.exit(0 if r["mem_limit_bytes"] == "67108864" and num(r["mem_pct"]) is not None and abs(num(r["mem_pct"]) - pct) <= 0.5 else 1)' \
		"${CID[lo-limited]}"

	# 8. memory holder: mem_used_bytes = usage - inactive file cache, as the stats API gives it, within 5 %
	t0=$(now_s)
	engine_api "/containers/${CID[lo-mem]}/stats?stream=false&one-shot=true" >"$dir/mem-stats.json"
	t1=$(now_s)
	poll_until "rows_after '$csv' ${CID[lo-mem]} $t1" 20 0.5
	check "[$src] memory holder: mem_used_bytes within 5 % of the API's usage - inactive_file" csv_py "$csv" '
m = json.load(open(args[1]))["memory_stats"]
s = m.get("stats", {})
inactive = s.get("total_inactive_file", s.get("inactive_file", 0))
want = m["usage"] - inactive
t0, t1 = float(args[2]), float(args[3])
near = [r for r in rows_for(args[0]) if t0 - 3 <= (ts(r["timestamp"]) or 0) <= t1 + 3 and r["mem_used_bytes"] != ""]
if not near:
    print("no rows near the API sample"); sys.exit(1)
got = num(near[-1]["mem_used_bytes"])
print("lookout %d, API usage %d - inactive_file %d = %d (%.2f %%)" % (got, m["usage"], inactive, want, 100.0 * (got - want) / want))
sys.exit(0 if want > 20e6 and abs(got - want) <= 0.05 * want else 1)' \
		"${CID[lo-mem]}" "$dir/mem-stats.json" "$t0" "$t1"

	# 9. the one that exits by itself is kept, as exited and down
	if poll_until "state_seen '$csv' ${CID[$exiter]} exited >/dev/null" 30 0.5; then
		check "[$src] the container that exited by itself shows state=exited, up=0" csv_py "$csv" '
r = rows_for(args[0])[-1]
print("latest row: state %s up %s state_since %s" % (r["state"], r["up"], r["state_since"]))
sys.exit(0 if r["up"] == "0" else 1)' "${CID[$exiter]}"
	else
		ok 1 "[$src] the container that exited by itself shows state=exited, up=0"
		diag "$(state_seen "$csv" "${CID[$exiter]}" exited)"
	fi

	# 10. the restart loop: its restart count shows, and it is never up while not running
	check "[$src] restart-loop container: restarts >= 1, up=0 whenever state is not running" csv_py "$csv" '
rs = rows_for(args[0])
mx = max([num(r["restarts"]) or 0 for r in rs], default=0)
states = sorted({r["state"] for r in rs})
wrong = [r for r in rs if r["state"] != "running" and r["up"] != "0"]
print("states seen %s, max restarts %s, rows up while not running %d" % (states, mx, len(wrong)))
sys.exit(0 if rs and mx >= 1 and not wrong else 1)' "${CID[lo-restart]}"

	# 11. the labelled one with a health check: engine word "healthy"
	if poll_until "csv_py '$csv' 'sys.exit(0 if any(r[\"health\"] == \"healthy\" for r in rows_for(args[0])) else 1)' ${CID[lo-labels]}" 30 0.5; then
		ok 0 "[$src] container with odd labels and a health check shows health=healthy"
	else
		ok 1 "[$src] container with odd labels and a health check shows health=healthy"
		diag "docker says: $(docker inspect --format '{{.State.Health.Status}}' lo-labels)"
		diag "$(csv_py "$csv" 'print([r["health"] for r in rows_for(args[0])][-5:])' "${CID[lo-labels]}")"
	fi

	# 12/13. docker kill: rows show it exited, state_since within 2 s of the kill
	t0=$(now_s)
	docker kill "$victim" >/dev/null
	t1=$(now_s)
	if poll_until "state_seen '$csv' ${CID[$victim]} exited dead >/dev/null" 30 0.5; then
		ok 0 "[$src] after docker kill the victim's rows show it exited"
	else
		ok 1 "[$src] after docker kill the victim's rows show it exited"
		diag "$(state_seen "$csv" "${CID[$victim]}" exited dead)"
	fi
	check "[$src] the victim's state_since is within 2 s of the kill, and it is down (up=0)" csv_py "$csv" '
t0, t1 = float(args[1]), float(args[2])
rs = [r for r in rows_for(args[0]) if r["state"] in ("exited", "dead")]
if not rs:
    print("no exited rows"); sys.exit(1)
r = rs[-1]
s = ts(r["state_since"])
print("kill between %.3f and %.3f; state_since %s (%s), up %s" % (t0, t1, r["state_since"], "%.3f" % s if s else "-", r["up"]))
sys.exit(0 if s is not None and t0 - 2 <= s <= t1 + 2 and r["up"] == "0" else 1)' "${CID[$victim]}" "$t0" "$t1"

	# 14. lookout keeps going: rows for the busy one after the kill
	poll_until "rows_after '$csv' ${CID[lo-busy]} $(now_s)" 20 0.5
	check "[$src] sampling continues after the kill" rows_after "$csv" "${CID[lo-busy]}" "$t1"

	# 15–17. SIGTERM: exit 0, complete file
	stop_lookout "$LPID"
	is "$LSTATUS" 0 "[$src] SIGTERM: lookout exits with status 0" || show_run "$dir"
	is "$(tail -c 1 "$csv" | od -An -c | tr -d ' ')" '\n' "[$src] SIGTERM leaves a complete file (last byte is a newline)"
	check_file "$csv" "[$src]"

	# 18/19. the other files
	check "[$src] container_monitor.log exists" test -e "$dir/container_monitor.log"
	check "[$src] nothing went to stderr that looks like a sanitizer report or a crash" \
		sh -c "! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:|Segmentation|Aborted' '$dir/stderr'"
	diag "[$src] run took $((SECONDS - T_RUN)) s; $(($(wc -l <"$csv") - 1)) data lines"
}

scenario cgroup
scenario api

# ---- tcp:// engine endpoint --------------------------------------------------------------------------
tcp_run() {
	local dir=$WORK/tcp csv t
	csv=$dir/metrics.csv
	start_lookout "$dir" --host "$ENGINE_TCP_HOST"
	diag "[tcp] lookout pid $LPID: --host $ENGINE_TCP_HOST"
	if poll_until "all_present '$csv' ${CID[lo-busy]} ${CID[lo-idle]} ${CID[lo-mem]} >/dev/null" 60 0.5; then
		ok 0 "[tcp] containers appear through $ENGINE_TCP_HOST"
	else
		ok 1 "[tcp] containers appear through $ENGINE_TCP_HOST"
		show_run "$dir"
	fi
	# Numbers flow over tcp too: a busy loop uses CPU, the memory holder's memory matches the API.
	t=$(now_s)
	engine_api "/containers/${CID[lo-mem]}/stats?stream=false&one-shot=true" >"$dir/mem-stats.json"
	poll_until "rows_after '$csv' ${CID[lo-busy]} $t && rows_after '$csv' ${CID[lo-mem]} $t" 30 0.5
	# A tcp engine is read through its stats API: numbers appear once two stream samples arrived.
	poll_until "csv_py '$csv' 'sys.exit(0 if len([r for r in rows_for(args[0]) if num(r[\"cpu_pct\"]) is not None]) >= 3 else 1)' ${CID[lo-busy]}" 30 0.5
	check "[tcp] busy cpu_pct > 5, memory holder's mem_used_bytes within 5 % of the API" csv_py "$csv" '
v = [num(r["cpu_pct"]) for r in rows_for(args[0]) if num(r["cpu_pct"]) is not None][-3:]
m = json.load(open(args[2]))["memory_stats"]
s = m.get("stats", {})
want = m["usage"] - s.get("total_inactive_file", s.get("inactive_file", 0))
mem = [num(r["mem_used_bytes"]) for r in rows_for(args[1]) if num(r["mem_used_bytes"]) is not None][-1:]
print("busy cpu_pct %s; memory holder %s vs API %d" % (v, mem, want))
sys.exit(0 if v and statistics.mean(v) > 5 and mem and abs(mem[0] - want) <= 0.05 * want else 1)' \
		"${CID[lo-busy]}" "${CID[lo-mem]}" "$dir/mem-stats.json"
	stop_lookout "$LPID"
	is "$LSTATUS" 0 "[tcp] SIGTERM: lookout exits with status 0" || show_run "$dir"
	is "$(tail -c 1 "$csv" | od -An -c | tr -d ' ')" '\n' "[tcp] SIGTERM leaves a complete file"
	check_file "$csv" "[tcp]"
}
tcp_run

diag "whole test took $((SECONDS - T_START)) s"
done_testing
