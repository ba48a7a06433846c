#!/bin/bash
# http-harden.sh — the daemon's HTTP server under hostile clients, with real sockets (Python) and curl:
# oversized requests (a 100 kB URL: 414, a 100 kB header and 1000 headers: 431, a body on a GET: 413),
# methods other than GET and HEAD (405 with Allow), path traversal (/../, %2e%2e, encoded slashes and
# backslashes, %00: 404, nothing from the file system), and a slowloris attack: 90 connections from three
# loopback addresses (more than the 64-connection limit) dribbling their headers a byte at a time, and
# POSTs whose body never ends. While that runs a normal client must get /healthz within the deadline
# (the server answers 408 and closes a connection that has not sent its headers within 10 s) and the
# collector must keep writing CSV rows (their timestamps, written by the daemon, cover the attack).
# Last, the address: without --listen the server binds 127.0.0.1 only (not reachable on the machine's
# other address), and --listen 0.0.0.0:PORT opens it there.
#
# Environment (set by make check): top_srcdir, top_builddir, LOOKOUT.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOOKOUT=${LOOKOUT:-$top_builddir/lookout}
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/lib/engine.sh"
once_per_tree http-harden

engine_require
[ -x "$LOOKOUT" ] || bail "no lookout binary at $LOOKOUT (build it first)"
if [ -f "$top_builddir/autoconfig.h" ] && ! grep -q '^#define HAVE_MHD 1' "$top_builddir/autoconfig.h"; then
	echo "1..0 # SKIP lookout was configured --without-httpd"
	exit 0
fi

IMAGE=lookout-test/busybox:latest
WORK=$(mktemp -d /tmp/lookout-http-harden.XXXXXX) || bail "mktemp failed"
PIDS=()
stop_daemons() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	PIDS=()
}
engine_on_cleanup stop_daemons
engine_on_cleanup '[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"'

engine_start
engine_image "$IMAGE"
docker run -d --name hh-idle --network none "$IMAGE" sleep 100000 >/dev/null || bail "docker run failed"

D=$WORK/daemon
mkdir -p "$D"
PORT=$(engine_free_port)
BASE="http://127.0.0.1:$PORT"
"$LOOKOUT" --daemon --output-dir "$D" --interval 1 --status-every 0 --listen "127.0.0.1:$PORT" \
	</dev/null >"$D/stdout" 2>"$D/stderr" &
LPID=$!
PIDS+=("$LPID")
if ! poll_until "curl -fsS --max-time 5 '$BASE/healthz' 2>/dev/null | grep -qx ok" 60 0.3; then
	diag "$(tail -n 10 "$D/stderr")"
	bail "/healthz never said ok"
fi

# ---- single requests: status for each ---------------------------------------------------------------
# attack.py single PORT: one line per request, "NAME<TAB>STATUS<TAB>DETAIL"; STATUS is the response's code,
# "closed" when the server closed without one.
cat >"$WORK/attack.py" <<'PY'
import socket, sys, threading, time
mode, port = sys.argv[1], int(sys.argv[2])

def exchange(data, timeout=15, src="127.0.0.1"):
    """Send data, read until the server closes (or timeout): (status line code or 'closed', headers, body, seconds)."""
    t0 = time.time()
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    out = b""
    try:
        s.sendall(data)
    except OSError:
        pass  # the server may answer and close before reading it all
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except socket.timeout:
        out += b"\0timeout"
    except OSError:
        pass
    s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    code = lines[0].split(b" ")[1].decode() if lines[0].startswith(b"HTTP/1.") else "closed"
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(b":")
        hdrs[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
    return code, hdrs, body, time.time() - t0

def line(name, got, detail=""):
    print("%s\t%s\t%s" % (name, got, detail.replace("\t", " ").replace("\n", " ")[:200]), flush=True)

if mode == "single":
    H = b"Host: 127.0.0.1\r\n"
    code, h, b, _ = exchange(b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\n" + H + b"\r\n")
    line("url-100k", code)
    code, h, b, _ = exchange(b"GET / HTTP/1.1\r\n" + H + b"X-Big: " + b"a" * 100000 + b"\r\n\r\n")
    line("header-100k", code)
    code, h, b, _ = exchange(b"GET / HTTP/1.1\r\n" + H + b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 100) for i in range(1000)) + b"\r\n")
    line("headers-1000", code)
    code, h, b, _ = exchange(b"GET / HTTP/1.1\r\n" + H + b"Content-Length: 10000000\r\n\r\n" + b"x" * 1000)
    line("get-body-10M", code)
    code, h, b, _ = exchange(b"GET / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5\r\nabc")
    line("get-chunked", code)
    for m in ("POST", "PUT", "DELETE", "TRACE", "OPTIONS", "PATCH", "CONNECT", "PROPFIND"):
        code, h, b, _ = exchange(m.encode() + b" /api/snapshot.json HTTP/1.1\r\n" + H + b"Content-Length: 0\r\nConnection: close\r\n\r\n")
        line("method-" + m, "%s allow=%s" % (code, h.get("allow")))
    # A POST announcing 10 MB and sending 1 kB: answered at once, then closed (by MHD or by the deadline).
    code, h, b, secs = exchange(b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 10000000\r\n\r\n" + b"x" * 1000, timeout=30)
    line("post-unfinished", "%s closed-within-20s=%s" % (code, secs < 20), "%.1f s" % secs)
    for p in ("/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
              "/api/..%2f..%2fetc/passwd", "/api%2fsnapshot.json", "/healthz%00", "/healthz%00.html",
              "/api/snapshot.json%00.txt", "/..%5c..%5cetc%5cpasswd", "/\\..\\etc\\passwd", "/./healthz",
              "//etc/passwd", "/api/../metrics", "/%252e%252e/etc/passwd"):
        code, h, b, _ = exchange(b"GET " + p.encode() + b" HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n")
        leak = b"root:" in b or b"lookout_" in b or b"\"containers\"" in b
        line("path " + p, "%s leak=%s" % (code, leak))

elif mode == "slowloris":
    # 30 connections from each of three loopback addresses (90 > the 64-connection limit) send a request's
    # headers a byte every half second; 6 more send a POST's body the same way. Meanwhile a normal client asks
    # /healthz once a second. Reported: when the normal client first got an answer, how many attack
    # connections the server closed within the run, and what they were told.
    secs = float(sys.argv[3])
    conns = []
    for src in ("127.0.0.1", "127.0.0.2", "127.0.0.3"):
        for i in range(30):
            s = socket.socket()
            s.bind((src, 0))
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            conns.append([s, b"GET /api/snapshot.json HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4000, 0, b"", None])
    for i in range(6):  # the headers at once, then the body a byte at a time
        s = socket.socket()
        s.bind(("127.0.0.5", 0))
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
        head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n"
        s.sendall(head)
        s.setblocking(False)
        conns.append([s, head + b"x" * 100000, len(head), b"", None])
    t0 = time.time()
    first = []
    healthz = []
    stop = threading.Event()
    def normal():
        while not stop.is_set():
            t = time.time()
            try:
                code, _, body, _ = exchange(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", timeout=5, src="127.0.0.4")
            except OSError as e:
                code, body = repr(e), b""
            healthz.append((round(t - t0, 1), code))
            if code == "200" and not first:
                first.append(t - t0)
            time.sleep(max(0, 1 - (time.time() - t)))
    th = threading.Thread(target=normal)
    th.start()
    while time.time() - t0 < secs:
        for c in conns:
            s, data, pos, got, closed_at = c
            if closed_at is not None:
                continue
            try:
                r = s.recv(4096)
                if r == b"":
                    c[4] = time.time() - t0
                    continue
                c[3] += r
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                c[4] = time.time() - t0
                continue
            if pos < len(data):
                try:
                    c[2] += s.send(data[pos:pos + 1])
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    c[4] = time.time() - t0
        time.sleep(0.5)
    stop.set()
    th.join()
    for c in conns:
        c[0].close()
    closed = [c for c in conns if c[4] is not None]
    told = {}
    for c in closed:
        k = c[3].split(b"\r\n")[0].decode("latin-1")[:40] or "(closed without a word)"
        told[k] = told.get(k, 0) + 1
    hdr = [c for c in conns[:90]]
    line("slowloris-first-healthz-200-s", "%.1f" % first[0] if first else "never",
         " ".join("%s:%s" % x for x in healthz))
    line("slowloris-header-conns-closed", "%d/%d" % (sum(1 for c in hdr if c[4] is not None), len(hdr)),
         "latest close at %.1f s" % max([c[4] for c in closed] or [0]))
    line("slowloris-body-conns-closed", "%d/%d" % (sum(1 for c in conns[90:] if c[4] is not None), len(conns) - 90),
         " ".join(c[3].split(b"\r\n")[0].decode("latin-1")[:30] for c in conns[90:]))
    line("slowloris-408", str(sum(1 for c in hdr if c[3].startswith(b"HTTP/1.1 408"))), repr(told))
PY

/usr/bin/python3 "$WORK/attack.py" single "$PORT" >"$WORK/single.txt" 2>&1
grep -q '^url-100k' "$WORK/single.txt" || diag "$(cat "$WORK/single.txt")"
res() { awk -F'\t' -v n="$1" '$1 == n { print $2 }' "$WORK/single.txt"; }
is "$(res url-100k)" 414 "a 100 kB URL: 414 URI Too Long"
is "$(res header-100k)" 431 "a 100 kB header: 431 Request Header Fields Too Large"
is "$(res headers-1000)" 431 "1000 headers (100 kB): 431"
is "$(res get-body-10M)" 413 "a GET announcing a 10 MB body: 413, before reading it"
is "$(res get-chunked)" 413 "a GET with a chunked body: 413"
for m in POST PUT DELETE TRACE OPTIONS PATCH CONNECT PROPFIND; do
	is "$(res "method-$m")" "405 allow=GET, HEAD" "$m: 405 with Allow: GET, HEAD"
done
is "$(res post-unfinished)" "405 closed-within-20s=True" "a POST whose 10 MB body never comes: 405 and the connection closed"
while IFS=$'\t' read -r name got _; do
	case $name in path\ *) is "$got" "404 leak=False" "${name#path } : 404, nothing served" ;; esac
done <"$WORK/single.txt"
check "the server still answers /healthz after all of that" curl -fsS --max-time 5 "$BASE/healthz"

# ---- slowloris and more connections than the limit -----------------------------------------------------
ATTACK_S=16
T_START=$(now_s)
/usr/bin/python3 "$WORK/attack.py" slowloris "$PORT" "$ATTACK_S" >"$WORK/slow.txt" 2>&1
T_END=$(now_s)
sres() { awk -F'\t' -v n="$1" '$1 == n { print $2 }' "$WORK/slow.txt"; }
sdet() { awk -F'\t' -v n="$1" '$1 == n { print $3 }' "$WORK/slow.txt"; }
first=$(sres slowloris-first-healthz-200-s)
check "during the slowloris attack a normal client gets /healthz 200 within 20 s (first at ${first} s)" \
	awk -v f="$first" 'BEGIN { exit !(f != "never" && f != "" && f + 0 <= 20) }'
diag "healthz during the attack (t:status): $(sdet slowloris-first-healthz-200-s)"
# The 64 it accepted are closed at the 10 s deadline; the 26 over the limit wait in the listen queue, are
# accepted then and get their own 10 s (so they may outlast the attack).
hc=$(sres slowloris-header-conns-closed)
check "the 64 connections dribbling headers that it accepted are closed by the server ($hc closed, $(sdet slowloris-header-conns-closed))" \
	test "${hc%/*}" -ge 64
is "$(sres slowloris-body-conns-closed)" "6/6" "all 6 POSTs dribbling a body are closed by the server ($(sdet slowloris-body-conns-closed))"
check "the dribbling connections it accepted were told 408 ($(sres slowloris-408) of them; $(sdet slowloris-408))" \
	test "$(sres slowloris-408)" -ge 64
grep -q '^slowloris-408' "$WORK/slow.txt" || diag "$(cat "$WORK/slow.txt")"
# The collector went on: the daemon's own timestamps in metrics.csv cover the attack without a gap over 5 s.
check "the collector wrote CSV rows all through the attack (no gap over 5 s between T_START and T_END)" \
	csv_py "$D/metrics.csv" '
t0, t1 = float(args[0]), float(args[1])
times = sorted({ts(r["timestamp"]) for r in rows if r["name"] == "hh-idle" and ts(r["timestamp"])})
inside = [t for t in times if t0 <= t <= t1]
marks = [t0] + inside + [t1]
gap = max(b - a for a, b in zip(marks, marks[1:]))
print("%d rows in %.1f s, largest gap %.1f s" % (len(inside), t1 - t0, gap))
sys.exit(0 if gap <= 5 and len(inside) >= (t1 - t0) / 4 else 1)' "$T_START" "$T_END"
check "and /healthz says ok after the attack" sh -c "curl -fsS --max-time 5 '$BASE/healthz' | grep -qx ok"
check "the daemon logged nothing at error level meanwhile" sh -c "! grep -E '^[^ ]+ error ' '$D/container_monitor.log'"

# A clean stop: exit 0, and no sanitizer report (in an ASan/UBSan build) in what it wrote.
kill -TERM "$LPID" 2>/dev/null
wait "$LPID"
st=$?
check "SIGTERM stops it with status 0 and no sanitizer report (status $st)" sh -c "[ $st -eq 0 ] && ! grep -E 'runtime error|Sanitizer' '$D/stderr'"

# ---- where it listens ----------------------------------------------------------------------------------
OTHER=$(ip -4 -o addr show scope global 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }')
# The default address comes from the key table: 127.0.0.1.
check "LOOKOUT_LISTEN's default is 127.0.0.1:8000" sh -c "'$LOOKOUT' --dump-config-example | grep -Eq '^#? *LOOKOUT_LISTEN *= *127[.]0[.]0[.]1:8000$'"
if [ -z "$OTHER" ]; then
	skip "no non-loopback IPv4 address on this machine"
	skip "no non-loopback IPv4 address on this machine"
else
	D2=$WORK/default
	mkdir -p "$D2"
	# LOOKOUT_LISTEN unset: the port is the default's (8000). Another server may hold it on this machine; then
	# the line saying so still names the address it tried.
	env -u LOOKOUT_LISTEN "$LOOKOUT" --daemon --output-dir "$D2" --interval 1 --status-every 0 </dev/null >"$D2/out" 2>&1 &
	P2=$!
	PIDS+=("$P2")
	poll_until "grep -Eq 'listening on http://|cannot listen on' '$D2/out' '$D2/container_monitor.log' 2>/dev/null" 30 0.2
	where=$(grep -Eho 'listening on http://[^/ ]*|cannot listen on [^:]*:[0-9]*' "$D2/out" "$D2/container_monitor.log" 2>/dev/null | head -n 1)
	check "without --listen the server binds 127.0.0.1 ($where)" sh -c "echo '$where' | grep -Eq '(//|on )127\.0\.0\.1:8000'"
	if echo "$where" | grep -q 'listening on'; then
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$OTHER:8000/healthz")
		is "$code" 000 "... and is not reachable on $OTHER:8000 (no connection)"
	else
		skip "port 8000 is taken on this machine: the reachability half cannot run"
	fi
	kill -TERM "$P2" 2>/dev/null; wait "$P2" 2>/dev/null
	D3=$WORK/any
	mkdir -p "$D3"
	P3PORT=$(engine_free_port)
	"$LOOKOUT" --daemon --output-dir "$D3" --interval 1 --status-every 0 --listen "0.0.0.0:$P3PORT" </dev/null >"$D3/out" 2>&1 &
	P3=$!
	PIDS+=("$P3")
	poll_until "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://$OTHER:$P3PORT/healthz)\" != 000 ]" 30 0.3
	check "--listen 0.0.0.0:PORT opens it on $OTHER too (the key to change it)" sh -c "
[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://$OTHER:$P3PORT/healthz)\" != 000 ]"
fi

stop_daemons
done_testing
