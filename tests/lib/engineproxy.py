# engineproxy.py — the relay the tests' engine proxies share (enginerename.py, enginerecorder.py,
# enginestall.py): it listens on a unix socket, gives each client a connection of its own to the engine's
# socket, and copies bytes both ways in two threads, each through a filter of the proxy's (bytes -> bytes; a
# filter may keep state for its connection, or block to hold the bytes back). Imported, not run.
import socket, threading

def _pump(src, dst, filt):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(filt(data))
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

def relay(listen_path, upstream_path, filters):
    """Serves forever. filters() is called once a connection and returns (to_engine, to_client)."""
    s = socket.socket(socket.AF_UNIX)
    s.bind(listen_path)
    s.listen(64)
    print("ready", flush=True)
    while True:
        c, _ = s.accept()
        u = socket.socket(socket.AF_UNIX)
        try:
            u.connect(upstream_path)
        except OSError:
            c.close()
            continue
        to_engine, to_client = filters()
        threading.Thread(target=_pump, args=(c, u, to_engine), daemon=True).start()
        threading.Thread(target=_pump, args=(u, c, to_client), daemon=True).start()
