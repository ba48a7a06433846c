#!/usr/bin/python3
# enginerename.py LISTEN_SOCK UPSTREAM_SOCK FROM TO: a proxy for the Docker engine API on unix sockets that
# makes one engine look like another host: the engine's name in /info ("Name":"FROM") reaches the client as
# "Name":"TO" (same length, so lengths and chunk sizes stay right); all other bytes pass unchanged both ways.
# Lets a test run two lookouts with different host labels on one private engine. Prints "ready".
import sys
sys.dont_write_bytecode = True  # nothing written into the source tree (distcheck's is read-only)
from engineproxy import relay
listen_path, upstream_path, src, dst = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
assert len(src) == len(dst), "FROM and TO must have the same length"
old, new = b'"Name":"' + src.encode() + b'"', b'"Name":"' + dst.encode() + b'"'
relay(listen_path, upstream_path, lambda: (lambda data: data, lambda data: data.replace(old, new)))
