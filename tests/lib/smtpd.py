#!/usr/bin/python3
"""smtpd.py — a real SMTP server for the alert-service tests (aiosmtpd on loopback).

STARTTLS required (a throwaway certificate), AUTH PLAIN/LOGIN required after TLS, every accepted message
saved as DIR/msg-N.eml with DIR/msg-N.json (envelope, TLS version, SNI). Every DATA attempt is appended to
DIR/attempts.log as "CODE MESSAGE-ID". The answer to DATA can be forced by writing DIR/control:
  "454 N"  answer 454 (SES throttling) to the next N messages, then accept
  "554"    answer 554 (SES: address not verified) to every message
  "slow N" wait N seconds (fractions allowed) before answering MAIL, each RCPT and DATA, then accept and
           clear the word (one slow session): each step stays inside a client's per-step timeout while the
           whole session outlasts it
  "450 ADDR" refuse the recipient ADDR once with 450 (the others are accepted), then accept
  "550 ADDR" refuse the recipient ADDR with 550 every time (the others are accepted); each refusal is
           logged in DIR/rcpt.log
  "drag N" wait N seconds before answering MAIL and each RCPT, and after saving a message before answering
           its DATA with 250, in every session (not cleared): attempts stay in flight for longer, and a client
           that goes away in that last wait leaves a message the server has but the client never saw accepted
  ""       accept (the default)
Usage: smtpd.py PORT DIR CERT KEY USER PASSWORD   (prints "ready" on stdout once it listens)
CERT "-": plain SMTP, no STARTTLS offered (AUTH still required).
"""
import asyncio
import json
import os
import re
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, workdir, cert, key, user, password = sys.argv[1:7]
port = int(port)
os.makedirs(workdir, exist_ok=True)
sni_seen = []


def sni_cb(sslobj, name, ctx):
    sni_seen.append(name)
    with open(os.path.join(workdir, "sni.log"), "a") as f:
        f.write("%s\n" % name)


ctx = None
if cert != "-":
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    ctx.sni_callback = sni_cb


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == user.encode() and \
        auth_data.password == password.encode()
    with open(os.path.join(workdir, "auth.log"), "a") as f:
        f.write("%s %s\n" % (mechanism, "ok" if ok else "fail"))
    return AuthResult(success=ok, handled=False)


def next_index():
    n = 1
    while os.path.exists(os.path.join(workdir, "msg-%d.eml" % n)):
        n += 1
    return n


def control_word():
    cpath = os.path.join(workdir, "control")
    return open(cpath).read().strip() if os.path.exists(cpath) else ""


async def maybe_slow():
    c = control_word()
    if c.startswith("slow ") or c.startswith("drag "):
        await asyncio.sleep(float(c.split()[1]))


class Handler:
    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        await maybe_slow()
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await maybe_slow()
        c = control_word()
        if c.startswith("450 ") and c.split()[1] == address:
            with open(os.path.join(workdir, "control"), "w") as f:
                f.write("")
            with open(os.path.join(workdir, "rcpt.log"), "a") as f:
                f.write("450 %s\n" % address)
            return "450 4.2.1 Mailbox busy, try again later"
        if c.startswith("550 ") and c.split()[1] == address:
            with open(os.path.join(workdir, "rcpt.log"), "a") as f:
                f.write("550 %s\n" % address)
            return "550 5.1.1 Mailbox does not exist"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if control_word().startswith("slow "):
            await maybe_slow()
            with open(os.path.join(workdir, "control"), "w") as f:
                f.write("")
        content = envelope.original_content or envelope.content
        m = re.search(rb"^Message-ID:\s*(\S+)", content, re.M | re.I)
        mid = m.group(1).decode("ascii", "replace") if m else "-"
        answer = "250 OK"
        cpath = os.path.join(workdir, "control")
        control = open(cpath).read().strip() if os.path.exists(cpath) else ""
        if control.startswith("454"):
            parts = control.split()
            left = int(parts[1]) if len(parts) > 1 else 1
            if left > 0:
                answer = "454 Throttling failure: Maximum sending rate exceeded."
                with open(cpath, "w") as f:
                    f.write("454 %d\n" % (left - 1))
        elif control.startswith("554"):
            answer = ("554 Message rejected: Email address is not verified. The following identities failed "
                      "the check in region EU-CENTRAL-1: %s" % envelope.mail_from)
        with open(os.path.join(workdir, "attempts.log"), "a") as f:
            f.write("%s %s\n" % (answer.split()[0], mid))
        if not answer.startswith("250"):
            return answer
        n = next_index()
        tls = None
        try:
            obj = server.transport.get_extra_info("ssl_object")
            tls = obj.version() if obj else None
        except Exception:
            pass
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos, "tls": tls,
                "sni": sni_seen[-1] if sni_seen else None, "time": time.time()}
        tmp = os.path.join(workdir, "msg-%d.tmp" % n)
        with open(tmp, "wb") as f:
            f.write(content)
        with open(os.path.join(workdir, "msg-%d.json" % n), "w") as f:
            json.dump(meta, f)
        os.rename(tmp, os.path.join(workdir, "msg-%d.eml" % n))
        if control_word().startswith("drag "):
            await maybe_slow()
        return answer


controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=ctx is not None,
                        auth_required=True, auth_require_tls=ctx is not None, authenticator=authenticator)
controller.start()
print("ready", flush=True)
try:
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    pass
finally:
    controller.stop()
