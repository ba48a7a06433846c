#!/usr/bin/python3
# enginerename.py LISTEN_SOCK UPSTREAM_SOCK FROM TO: a proxy for the Docker engine API on unix sockets that
# makes one engine look like another host: the engine's name in /info ("Name":"FROM") reaches the client as
# "Name":"TO" (same length, so lengths and chunk sizes stay right); all other bytes pass unchanged both ways.
# Lets a test run two lookouts with different host labels on one private engine. Prints "ready".
import socket, sys, threading
listen_path, upstream_path, src, dst = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
assert len(src) == len(dst), "FROM and TO must have the same length"
old, new = b'"Name":"' + src.encode() + b'"', b'"Name":"' + dst.encode() + b'"'
def pump(a, b, rewrite):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            if rewrite:
                data = data.replace(old, new)
            b.sendall(data)
    except OSError:
        pass
    for s in (a, b):
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
    threading.Thread(target=pump, args=(c, u, False), daemon=True).start()
    threading.Thread(target=pump, args=(u, c, True), daemon=True).start()
s = socket.socket(socket.AF_UNIX)
s.bind(listen_path)
s.listen(64)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    serve(c)
