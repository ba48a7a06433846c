#!/usr/bin/python3
"""hacount.py — the alert emails a test SMTP server (smtpd.py) received, counted per alert: for the notifier's
high-availability test, where two lookouts with their own alert logs may each email the same real alert.

Usage: hacount.py MAILDIR PREFIX
Prints one line per alert of a container whose name starts with PREFIX, sorted:
  NAME STATE KIND COUNT MESSAGE-IDS
STATE is FIRING or RESOLVED, KIND the email's label ("container down"), COUNT the number of messages the server
accepted that carried it (one msg-N.eml per DATA, whatever the number of recipients). Two lookouts whose alert
logs agree give the same alert's email the same Message-ID, so a repeat is a second message, not a second
Message-ID: MESSAGE-IDS lists each message's, repeats included.
"""
import email
import glob
import os
import re
import sys
from email import policy

maildir, prefix = sys.argv[1], sys.argv[2]
seen = {}  # (name, state, kind) -> {message file: its Message-ID}
for path in sorted(glob.glob(os.path.join(maildir, "msg-*.eml"))):
    msg = email.message_from_bytes(open(path, "rb").read(), policy=policy.default)
    body = msg.get_body(("plain",))
    text = body.get_content() if body else ""
    name = None
    for line in text.splitlines():
        m = re.match(r"^== (.*) ==$", line)
        if m:
            name = m.group(1)
            continue
        m = re.match(r"^(FIRING|RESOLVED)\s+(.+?)(?:  .*)?$", line)
        if m and name and name.startswith(prefix):
            seen.setdefault((name, m.group(1), m.group(2).strip()), {})[path] = str(msg["Message-ID"])
for (name, state, kind), mids in sorted(seen.items()):
    print("%s %s %s %d %s" % (name, state, kind.replace(" ", "_"), len(mids), ",".join(sorted(mids.values()))))
