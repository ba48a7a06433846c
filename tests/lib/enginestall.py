#!/usr/bin/python3
# enginestall.py LISTEN_SOCK UPSTREAM_SOCK: a proxy for the Docker engine API on unix sockets that can make the
# engine's stats streams go quiet while everything else keeps answering: after SIGUSR1 it stops passing the
# engine's bytes to the client on every connection whose request asked for /stats (the engine then blocks on
# them, as behind a stalled network path); SIGUSR2 lets them through again. Other requests (pings, lists,
# events, inspect) pass unchanged both ways at all times. Prints "ready".
import signal, sys, threading
sys.dont_write_bytecode = True  # nothing written into the source tree (distcheck's is read-only)
from engineproxy import relay
listen_path, upstream_path = sys.argv[1], sys.argv[2]
flowing = threading.Event()
flowing.set()
signal.signal(signal.SIGUSR1, lambda *_: flowing.clear())
signal.signal(signal.SIGUSR2, lambda *_: flowing.set())
def filters():
    is_stats = threading.Event()
    def to_engine(data):  # notes whether the connection's request is a stats one
        if b"/stats" in data.split(b"\r\n", 1)[0]:
            is_stats.set()
        return data
    def to_client(data):  # held while stalled, for stats connections only
        while is_stats.is_set() and not flowing.is_set():
            flowing.wait(0.2)
        return data
    return to_engine, to_client
relay(listen_path, upstream_path, filters)
