#!/usr/bin/python3
"""enginepeer.py — a stand-in Docker engine on a unix socket that serves crafted answers to lookout.

For the bad-input tests: it speaks just enough of the Engine API (/_ping, /version, /info,
/containers/json, /containers/ID/json, /containers/ID/stats, /containers/ID/logs, /events) to get lookout
going, then answers with malformed JSON, truncated bodies, huge bodies, wrong types, missing fields,
streams cut in the middle of an object, or no answer at all. Every request is recorded (one line: METHOD
PATH) so a test can assert that lookout only ever reads. Standard library only; run with /usr/bin/python3.

  enginepeer.py --socket SOCK --requests LOG [--fault ENDPOINT=KIND]... [--cycle] [--hostile]

ENDPOINT is ping, version, info, list, inspect, stats, logs or events; KIND is one of KINDS below. With
--cycle every endpoint steps through all the kinds, one per request (version and stats answer ok every
other time: lookout must get past /version, and backs off after failed stats), and good streams end after
a couple of seconds so that the next kind gets its turn. --hostile gives the one container a name, image and labels full of
terminal escapes, HTML, CR/LF, invalid UTF-8 and 4 KiB of text. The peer runs until SIGTERM.
"""
import argparse
import json
import os
import select
import signal
import socket
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

KINDS = ["ok", "badjson", "truncated", "huge", "big", "wrongtypes", "missing", "empty", "http500", "cut",
         "nullroot", "deep", "stall"]
ENDPOINTS = ["ping", "version", "info", "list", "inspect", "stats", "logs", "events"]

CID = "0123456789abcdef" * 4
CID2 = "fedcba9876543210" * 4

HOSTILE_NAME = ("evil\x1b[2J\x1b[H\x1b]52;c;SGFja2Vk\x07<script>alert(1)</script>\r\nX-Injected: yes\r\n"
                "\x9b31m\u202e")
HOSTILE_LONG = "L" * 4096


def now_iso():
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000000000Z"


class State:
    def __init__(self, args):
        self.faults = {}
        for f in args.fault or []:
            ep, _, kind = f.partition("=")
            if ep not in ENDPOINTS or kind not in KINDS:
                sys.exit("enginepeer: bad --fault %r (endpoints %s; kinds %s)" % (f, ENDPOINTS, KINDS))
            self.faults[ep] = kind
        self.cycle = args.cycle
        self.hostile = args.hostile
        self.counts = {}
        self.lock = threading.Lock()
        self.log = open(args.requests, "a", buffering=1, encoding="utf-8", errors="backslashreplace")
        self.cpu = 0

    def kind(self, ep):
        with self.lock:
            n = self.counts.get(ep, 0)
            self.counts[ep] = n + 1
        if ep in self.faults:
            return self.faults[ep]
        if not self.cycle:
            return "ok"
        if ep in ("version", "stats"):
            # every other answer good: lookout backs off after failures, and must get past /version
            return "ok" if n % 2 == 0 else KINDS[1 + (n // 2) % (len(KINDS) - 1)]
        if ep == "ping":
            return "ok"
        return KINDS[n % len(KINDS)]

    def record(self, method, path):
        with self.lock:
            self.log.write("%s %s\n" % (method, path))


def name_bytes(st):
    """The container's name as raw JSON text: hostile mode puts invalid UTF-8 bytes in it."""
    if st.hostile:
        return json.dumps("/" + HOSTILE_NAME + HOSTILE_LONG).encode()[:-1] + b"\xff\xfe\xc0\xaf\xed\xa0\x80\""
    return b'"/peer-one"'


def labels(st):
    if st.hostile:
        return {"lookout.enable": "true", "note": HOSTILE_NAME, "long": HOSTILE_LONG,
                "com.docker.compose.project": "<b>proj</b>\x1b[31m"}
    return {"lookout.enable": "true"}


def image(st):
    return ("img\x1b]0;title\x07<i>" + HOSTILE_LONG) if st.hostile else "peer/image:1"


def good_body(st, ep, path):
    if ep == "ping":
        return b"OK", "text/plain"
    if ep == "version":
        return json.dumps({"Version": "24.0.7-peer", "ApiVersion": "1.43", "MinAPIVersion": "1.12",
                           "Os": "linux", "Arch": "amd64"}).encode(), "application/json"
    if ep == "info":
        return json.dumps({"Name": "enginepeer", "NCPU": 2, "MemTotal": 4 << 30}).encode(), "application/json"
    if ep == "list":
        body = (b'[{"Id":"' + CID.encode() + b'","Names":[' + name_bytes(st) + b'],"Image":' +
                json.dumps(image(st)).encode() + b',"State":"running","Status":"Up 1 minute","Labels":' +
                json.dumps(labels(st)).encode() + b'}]')
        return body, "application/json"
    if ep == "inspect":
        cid = path.split("/")[-2] if "/containers/" in path else CID
        body = (b'{"Id":"' + cid.encode() + b'","Name":' + name_bytes(st) +
                b',"RestartCount":0,"State":' + json.dumps({
                    "Status": "running", "Running": True, "Paused": False, "Restarting": False,
                    "OOMKilled": False, "Pid": 4242, "ExitCode": 0, "StartedAt": now_iso(),
                    "FinishedAt": "0001-01-01T00:00:00Z",
                    "Health": {"Status": "unhealthy" if st.hostile else "healthy", "Log": [{"ExitCode": 1, "Output": (
                        HOSTILE_NAME + HOSTILE_LONG) if st.hostile else "fine"}]}}).encode() +
                b',"Config":' + json.dumps({"Image": image(st), "Labels": labels(st)}).encode() +
                b',"HostConfig":{"Memory":0,"NanoCpus":0,"CpuQuota":0,"CpuPeriod":0}}')
        return body, "application/json"
    if ep == "stats":
        with st.lock:
            st.cpu += 10_000_000
            cpu = st.cpu
        doc = {"read": now_iso(), "pids_stats": {"current": 3},
               "cpu_stats": {"cpu_usage": {"total_usage": cpu}, "system_cpu_usage": cpu * 20, "online_cpus": 2},
               "precpu_stats": {"cpu_usage": {"total_usage": cpu - 10_000_000},
                                "system_cpu_usage": (cpu - 10_000_000) * 20, "online_cpus": 2},
               "memory_stats": {"usage": 50 << 20, "limit": 1 << 30, "stats": {"inactive_file": 1 << 20}},
               "networks": {"eth0": {"rx_bytes": cpu // 1000, "tx_bytes": cpu // 2000}}}
        return json.dumps(doc).encode() + b"\n", "application/json"
    if ep == "logs":
        return b"", "application/vnd.docker.raw-stream"
    return b"", "application/json"


def bad_body(st, ep, kind, path):
    """The body of a crafted answer (None: handled by the caller)."""
    good, _ = good_body(st, ep, path)
    if kind == "badjson":
        return b'{"Id": "' + CID.encode() + b'", "Names": ["/x"], oops'
    if kind == "wrongtypes":
        if ep == "list":
            return b'[{"Id": 42, "Names": "peer", "State": ["running"], "Labels": "a=b"},' \
                   b' {"Id": "' + CID.encode() + b'", "Names": [7, null], "State": 3, "Labels": [1, 2]}]'
        if ep == "version":
            return b'{"Version": 24, "ApiVersion": 1.43, "Os": ["linux"]}'
        if ep == "stats":
            return b'{"read": 5, "cpu_stats": "lots", "memory_stats": {"usage": "big", "limit": -1e308},' \
                   b' "networks": [1], "pids_stats": {"current": 1e300}}\n'
        return b'{"Id": ["' + CID.encode() + b'"], "Name": 5, "State": "running", "Config": [], ' \
               b'"RestartCount": "many", "HostConfig": {"Memory": "lots", "NanoCpus": -1e309}}'
    if kind == "missing":
        return b"[{}, {\"Id\": \"" + CID2.encode() + b"\"}]" if ep == "list" else b"{}"
    if kind == "nullroot":
        return b"null"
    if kind == "deep":
        return b"[" * 200000 + b"]" * 200000
    if kind == "big":
        # ~30 MB, valid JSON and under any sane cap: a label value of 30 MB.
        if ep == "list":
            return (b'[{"Id":"' + CID.encode() + b'","Names":["/peer-one"],"State":"running","Labels":{"big":"' +
                    b"B" * (30 << 20) + b'"}}]')
        return b'{"pad":"' + b"B" * (30 << 20) + b'"}'
    return good


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "enginepeer"

    def log_message(self, fmt, *args):
        pass

    def address_string(self):
        return "unix"

    def endpoint(self):
        p = self.path.split("?")[0]
        parts = p.split("/")
        if len(parts) > 1 and parts[1].startswith("v1."):
            parts = [""] + parts[2:]
        p = "/".join(parts)
        if p == "/_ping":
            return "ping"
        if p == "/version":
            return "version"
        if p == "/info":
            return "info"
        if p == "/containers/json":
            return "list"
        if p == "/events":
            return "events"
        if p.startswith("/containers/") and p.endswith("/json"):
            return "inspect"
        if p.startswith("/containers/") and p.endswith("/stats"):
            return "stats"
        if p.startswith("/containers/") and p.endswith("/logs"):
            return "logs"
        return None

    def handle_any(self):
        st = self.server.st
        st.record(self.command, self.path)
        ep = self.endpoint()
        if ep is None or self.command not in ("GET", "HEAD"):
            self.send_json(404 if ep is None else 405, b'{"message":"enginepeer: not served"}')
            return
        kind = st.kind(ep)
        if kind == "stall":
            self.wait_for_close(20 if st.cycle else 3600)
            self.close_connection = True
            return
        if kind == "http500":
            self.send_json(500, b'{"message":"enginepeer \x1b[2J says no"}')
            return
        if ep in ("events",) or (ep == "stats" and "stream=false" not in self.path and "stream=0" not in self.path):
            self.stream(ep, kind)
            return
        if kind == "empty":
            self.send_json(200, b"")
            return
        if kind == "truncated":
            body = bad_body(st, ep, "ok", self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) + 1000))
            self.end_headers()
            self.wfile.write(body[: max(1, len(body) // 2)])
            self.wfile.flush()
            self.close_connection = True
            return
        if kind == "cut":
            body = bad_body(st, ep, "ok", self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            half = body[: max(1, len(body) // 2)]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(half), half))
            self.wfile.flush()
            self.close_connection = True
            return
        if kind == "huge":
            self.send_huge()
            return
        body = bad_body(st, ep, kind, self.path)
        ctype = "text/plain" if ep == "ping" else "application/json"
        self.send_json(200, body, ctype)

    do_GET = handle_any
    do_HEAD = handle_any
    do_POST = handle_any
    do_PUT = handle_any
    do_DELETE = handle_any
    do_PATCH = handle_any

    def send_json(self, code, body, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_huge(self):
        """80 MB of a JSON array, written as fast as the client reads; it may hang up early."""
        n = 80 << 20
        chunk = b'"' + b"H" * 65532 + b'",'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(1 + (n // len(chunk)) * len(chunk) + 3))
        self.end_headers()
        try:
            self.wfile.write(b"[")
            for _ in range(n // len(chunk)):
                self.wfile.write(chunk)
            self.wfile.write(b"0]\n")
        except OSError:
            pass
        self.close_connection = True

    def wait_for_close(self, limit_s):
        """Holds the connection until the client hangs up (or the limit passes)."""
        end = time.time() + limit_s
        while time.time() < end and not self.server.stopping:
            r, _, _ = select.select([self.connection], [], [], 0.5)
            if r:
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        return
                except OSError:
                    return
                time.sleep(0.1)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def stream(self, ep, kind):
        """A chunked stream (events, or stats with stream=true), faulty according to kind."""
        st = self.server.st
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.close_connection = True
        try:
            if ep == "events":
                ev = {"Type": "container", "Action": "start", "status": "start", "id": CID,
                      "Actor": {"ID": CID, "Attributes": {"name": "peer-one", "image": "peer/image:1"}},
                      "time": int(time.time()), "timeNano": time.time_ns()}
                one = json.dumps(ev).encode() + b"\n"
                if kind == "ok":
                    # with --cycle a good stream ends after a while, so that the next kind gets its turn
                    self.wait_for_close(2 if st.cycle else 3600)
                    return
                if kind in ("cut", "truncated"):
                    self.chunk(one[: len(one) // 2])
                    return
                if kind == "huge":
                    # one "event" of 80 MB without a newline
                    self.chunk(b'{"Type":"container","pad":"')
                    for _ in range(80 << 4):
                        self.chunk(b"E" * 65536)
                    return
                body = bad_body(st, "list", kind, self.path) + b"\n"
                if kind == "big":
                    body = b'{"Type":"container","Action":"start","id":"' + CID.encode() + b'","pad":"' + \
                        b"B" * (30 << 20) + b'"}\n'
                self.chunk(body)
                self.chunk(one)
                self.wait_for_close(2 if st.cycle else 3600)
                return
            # stats stream (with --cycle a good one ends after two samples)
            for _ in range(2 if st.cycle else 3600):
                body, _ = good_body(st, "stats", self.path)
                if kind in ("cut", "truncated"):
                    self.chunk(body[: len(body) // 2])
                    return
                if kind not in ("ok", "huge", "big"):
                    body = bad_body(st, "stats", kind, self.path)
                    if not body.endswith(b"\n"):
                        body += b"\n"
                if kind == "huge":
                    self.chunk(b'{"read":"')
                    for _ in range(80 << 4):
                        self.chunk(b"S" * 65536)
                    return
                self.chunk(body)
                r, _, _ = select.select([self.connection], [], [], 1.0)
                if r and not self.connection.recv(1, socket.MSG_PEEK):
                    return
                if self.server.stopping:
                    return
        except OSError:
            return


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    stopping = False

    def handle_error(self, request, client_address):
        # a client that hangs up mid-answer is what some tests do on purpose; anything else is reported
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--socket", required=True)
    ap.add_argument("--requests", required=True, help="file: one line per request, METHOD PATH")
    ap.add_argument("--fault", action="append", help="ENDPOINT=KIND")
    ap.add_argument("--cycle", action="store_true")
    ap.add_argument("--hostile", action="store_true")
    args = ap.parse_args()
    try:
        os.unlink(args.socket)
    except FileNotFoundError:
        pass
    srv = Server(args.socket, Handler)
    srv.st = State(args)

    def stop(*_):
        srv.stopping = True
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    srv.serve_forever(poll_interval=0.2)
    srv.server_close()
    try:
        os.unlink(args.socket)
    except OSError:
        pass


if __name__ == "__main__":
    main()
