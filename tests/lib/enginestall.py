#!/usr/bin/python3
# enginestall.py LISTEN_SOCK UPSTREAM_SOCK: a proxy for the Docker engine API on unix sockets that can make the
# engine's stats streams go quiet while everything else keeps answering: after SIGUSR1 it stops passing the
# engine's bytes to the client on every connection whose request asked for /stats (the engine then blocks on
# them, as behind a stalled network path); SIGUSR2 lets them through again. Other requests (pings, lists,
# events, inspect) pass unchanged both ways at all times. Prints "ready".
import signal, socket, sys, threading
listen_path, upstream_path = sys.argv[1], sys.argv[2]
flowing = threading.Event()
flowing.set()
signal.signal(signal.SIGUSR1, lambda *_: flowing.clear())
signal.signal(signal.SIGUSR2, lambda *_: flowing.set())
def close_both(a, b):
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
    is_stats = threading.Event()
    def up():  # client -> engine; notes whether the request is a stats one
        try:
            while True:
                data = c.recv(65536)
                if not data:
                    break
                if b"/stats" in data.split(b"\r\n", 1)[0]:
                    is_stats.set()
                u.sendall(data)
        except OSError:
            pass
        close_both(c, u)
    def down():  # engine -> client; held while stalled, for stats connections only
        try:
            while True:
                data = u.recv(65536)
                if not data:
                    break
                while is_stats.is_set() and not flowing.is_set():
                    flowing.wait(0.2)
                c.sendall(data)
        except OSError:
            pass
        close_both(c, u)
    threading.Thread(target=up, daemon=True).start()
    threading.Thread(target=down, daemon=True).start()
s = socket.socket(socket.AF_UNIX)
s.bind(listen_path)
s.listen(64)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    serve(c)
