#!/usr/bin/python3
"""mailcount.py — what a test SMTP server (smtpd.py) received, counted against an alert log: for the fault
tests, "nothing lost, nothing twice" in numbers.

Usage: mailcount.py MAILDIR ALERT_LOG PREFIX RCPT[,RCPT...]
       mailcount.py --carried MAILDIR NAME   (prints how many messages mention alert NAME)
The alerts counted are the firing lines of ALERT_LOG whose container name starts with PREFIX (each test
alert has a name of its own). Each is expected in exactly one message (one Message-ID) per recipient.
Prints one line of counts:
  alerts=N delivered=N skipped=N split=N repeats=N repeat_mids=MID,MID...
delivered: deliveries (message x recipient) of the messages that carry any of these alerts;
skipped: (alert, recipient) pairs that no message carried; split: pairs carried by more than one distinct
message (a duplicate that a Message-ID cannot tell apart: never allowed); repeats: extra deliveries of one
Message-ID to one recipient (the server got the same message again).
"""
import email
import glob
import json
import os
import re
import sys
from email import policy



def messages(maildir):
    for path in glob.glob(os.path.join(maildir, "msg-*.eml")):
        msg = email.message_from_bytes(open(path, "rb").read(), policy=policy.default)
        body = msg.get_body(("plain",))
        yield msg, json.load(open(path[:-4] + ".json")), body.get_content() if body else ""


if sys.argv[1] == "--carried":  # mailcount.py --carried MAILDIR NAME: how many messages mention alert NAME
    print(sum(("== %s ==" % sys.argv[3]) in text for _, _, text in messages(sys.argv[2])))
    sys.exit(0)

maildir, alert_log, prefix, rcpts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(",")

names = []
for line in open(alert_log, "rb").read().decode("utf-8", "replace").splitlines():
    m = re.search(r' state=firing .*container=(?:"([^"]*)"|(\S+))', line)
    if m:
        name = m.group(1) if m.group(1) is not None else m.group(2)
        if name.startswith(prefix) and name not in names:
            names.append(name)

deliveries = {}  # (mid, rcpt) -> count
carried = {}     # (name, rcpt) -> set of mids
for msg, meta, text in messages(maildir):
    mid = str(msg["Message-ID"])
    mine = [name for name in names if ("== %s ==" % name) in text]
    if not mine:
        continue  # a message about other alerts
    for r in meta["rcpt_tos"]:
        deliveries[(mid, r)] = deliveries.get((mid, r), 0) + 1
        for name in mine:
            carried.setdefault((name, r), set()).add(mid)

skipped = split = 0
for name in names:
    for r in rcpts:
        k = len(carried.get((name, r), ()))
        skipped += k == 0
        split += k > 1
repeats = sum(c - 1 for c in deliveries.values())
mids = sorted({mid for (mid, r), c in deliveries.items() if c > 1})
print("alerts=%d delivered=%d skipped=%d split=%d repeats=%d repeat_mids=%s" % (
    len(names), sum(deliveries.values()), skipped, split, repeats, ",".join(mids)))
