#!/usr/bin/python3
# enginerecorder.py — LISTEN_SOCK UPSTREAM_SOCK RECORD: a recording proxy for the Docker engine API on unix sockets.
# Bytes pass unchanged both ways; every request line a client sends ("METHOD PATH") is appended to RECORD, so
# a test can assert which calls a program made (tests/integration/nonroot.sh: only GETs). Prints "ready".
import os, re, socket, sys, threading
listen_path, upstream_path, record = sys.argv[1], sys.argv[2], sys.argv[3]
REQ = re.compile(rb"(?:^|\r\n)([A-Z]+) (/[^ \r\n]*) HTTP/1\.[01]\r\n")
lock = threading.Lock()
def pump(src, dst, scan):
    tail = b""
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            if scan:
                buf = tail + b
                for m in REQ.finditer(buf):
                    if m.end() > len(tail):
                        with lock, open(record, "ab") as f:
                            f.write(m.group(1) + b" " + m.group(2) + b"\n")
                tail = buf[-4096:]
            dst.sendall(b)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
def serve(c):
    u = socket.socket(socket.AF_UNIX)
    try:
        u.connect(upstream_path)
    except OSError:
        c.close()
        return
    threading.Thread(target=pump, args=(c, u, True), daemon=True).start()
    threading.Thread(target=pump, args=(u, c, False), daemon=True).start()
s = socket.socket(socket.AF_UNIX)
s.bind(listen_path)
s.listen(64)
open(record, "ab").close()
print("ready", flush=True)
while True:
    c, _ = s.accept()
    serve(c)
