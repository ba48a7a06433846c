#!/usr/bin/python3
# enginerecorder.py — LISTEN_SOCK UPSTREAM_SOCK RECORD: a recording proxy for the Docker engine API on unix sockets.
# Bytes pass unchanged both ways; every request line a client sends ("METHOD PATH") is appended to RECORD, so
# a test can assert which calls a program made (tests/integration/nonroot.sh: only GETs). With a fourth argument
# CONNS, each request is also appended there as "CONN METHOD PATH", CONN numbering the client's connections
# (which requests shared a kept-alive connection). Prints "ready".
import itertools, re, sys, threading
sys.dont_write_bytecode = True  # nothing written into the source tree (distcheck's is read-only)
from engineproxy import relay
listen_path, upstream_path, record = sys.argv[1], sys.argv[2], sys.argv[3]
conns = sys.argv[4] if len(sys.argv) > 4 else None
REQ = re.compile(rb"(?:^|\r\n)([A-Z]+) (/[^ \r\n]*) HTTP/1\.[01]\r\n")
lock = threading.Lock()
serial = itertools.count(1)
def filters():
    tail = b""  # the end of what this connection sent before, for a request line cut in two
    conn = str(next(serial)).encode()
    def to_engine(data):
        nonlocal tail
        buf = tail + data
        for m in REQ.finditer(buf):
            if m.end() > len(tail):
                line = m.group(1) + b" " + m.group(2) + b"\n"
                with lock:
                    with open(record, "ab") as f:
                        f.write(line)
                    if conns:
                        with open(conns, "ab") as f:
                            f.write(conn + b" " + line)
        tail = buf[-4096:]
        return data
    return to_engine, lambda data: data
open(record, "ab").close()
if conns:
    open(conns, "ab").close()
relay(listen_path, upstream_path, filters)
