#!/usr/bin/python3
# engineflaky.py LISTEN_SOCK UPSTREAM_SOCK RECORD FAILS: a proxy for the Docker engine API on unix sockets whose
# engine fails inspects: the first FAILS inspects of each container get an engine error, not a 404 (the request
# is turned into a list with a malformed filter, which dockerd itself refuses: HTTP 500 from 20.10), later ones
# pass. FAILS "always"
# fails every inspect. Every request line ("METHOD PATH", as the client sent it) is appended to RECORD, a failed
# inspect as "FAILED METHOD PATH". Everything else passes unchanged. A request line is matched within one read
# from the client (curl writes a request at once). Prints "ready".
import re, sys, threading
sys.dont_write_bytecode = True  # nothing written into the source tree (distcheck's is read-only)
from engineproxy import relay
listen_path, upstream_path, record, fails = sys.argv[1:5]
REQ = re.compile(rb"(?:^|\r\n)([A-Z]+) (/[^ \r\n]*) HTTP/1\.[01]\r\n")
INSPECT = re.compile(rb"^(/v[0-9.]+)?/containers/([0-9a-f]{64})/json$")
lock = threading.Lock()
count = {}
def filters():
    def to_engine(data):
        out, last = b"", 0
        for m in REQ.finditer(data):
            method, path = m.group(1), m.group(2)
            insp = INSPECT.match(path) if method == b"GET" else None
            failed = False
            with lock:
                if insp:
                    n = count.get(insp.group(2), 0)
                    count[insp.group(2)] = n + 1
                    failed = fails == "always" or n < int(fails)
                with open(record, "ab") as f:
                    f.write((b"FAILED " if failed else b"") + method + b" " + path + b"\n")
            if failed:
                start = m.start(2)
                out += data[last:start] + (insp.group(1) or b"") + b"/containers/json?filters=%7Bmalformed"
                last = m.end(2)
        return out + data[last:]
    return to_engine, lambda data: data
relay(listen_path, upstream_path, filters)
