#!/usr/bin/python3
"""Purpose-built misbehaving SMTP peers for the mxdane test lab (stdlib only).

One process serves several roles, each on its own address, all on one port:

  nostarttls  a plain ESMTP server that never offers STARTTLS (and answers
              502 if a client sends it anyway)
  garbage     sends a non-SMTP banner (binary junk) instead of "220 ..."
  slow        a correct ESMTP+STARTTLS server that waits --slow-delay seconds
              before every reply (banner included, before and after TLS)
  inject      a correct ESMTP+STARTTLS server, except that it sends plaintext
              lines right after "220 2.0.0 Ready to start TLS", in the same
              write, before the TLS handshake (STARTTLS response injection,
              the server-to-client mirror of CVE-2011-0411).  A safe client
              discards them (or gives up); an unsafe one reads them later as
              if they had come over TLS.  The TLS handshake itself is proper.
  silent      accepts the connection and never sends a byte (a tarpit
              before the banner); reads until the client goes away

usage: smtppeers.py --port PORT [--slow-delay SECONDS] [--log FILE]
                    [--ready FILE] ROLE=ADDR[,CERTFILE,KEYFILE] ...
"""
import argparse
import asyncio
import os
import ssl
import sys
import time

HOSTNAME = "peer.lab.test"
INJECTED = b"250-injected.invalid says hello\r\n250 INJECTED-BEFORE-TLS\r\n"
GARBAGE = b"\x00\xff\xfeNOT-SMTP \x80\x81\x82 garbage banner\r\n"

LOG = sys.stderr


def log(role, peer, msg):
    LOG.write("%s %s %s %s\n" % (time.strftime("%H:%M:%S"), role, peer, msg))
    LOG.flush()


class Session:
    def __init__(self, role, ctx, delay, reader, writer):
        self.role, self.ctx, self.delay = role, ctx, delay
        self.reader, self.writer = reader, writer
        self.tls = False
        p = writer.get_extra_info("peername")
        self.peer = "%s:%s" % (p[0], p[1]) if p else "?"

    async def reply(self, data):
        if self.role == "slow" and self.delay > 0:
            await asyncio.sleep(self.delay)
        self.writer.write(data)
        await self.writer.drain()

    def ehlo_lines(self, name):
        caps = ["PIPELINING", "SIZE 10240000", "8BITMIME"]
        if self.role != "nostarttls" and not self.tls and self.ctx is not None:
            caps.append("STARTTLS")
        lines = [HOSTNAME + " greets " + name] + caps
        out = b""
        for i, l in enumerate(lines):
            sep = " " if i == len(lines) - 1 else "-"
            out += ("250" + sep + l + "\r\n").encode()
        return out

    async def run(self):
        log(self.role, self.peer, "connect")
        if self.role == "silent":
            while await self.reader.read(4096):
                pass
            return
        if self.role == "garbage":
            self.writer.write(GARBAGE)
            await self.writer.drain()
            # Keep answering junk until the client goes away.
            while await self.reader.readline():
                self.writer.write(GARBAGE)
                await self.writer.drain()
            return
        await self.reply(("220 %s ESMTP lab peer (%s)\r\n" % (HOSTNAME, self.role)).encode())
        while True:
            line = await self.reader.readline()
            if not line:
                return
            cmd = line.decode("latin-1").strip()
            verb = cmd.split(" ", 1)[0].upper()
            log(self.role, self.peer, "%s<- %s" % ("tls " if self.tls else "", cmd))
            if verb in ("EHLO", "HELO"):
                arg = cmd[5:].strip() or "client"
                if verb == "HELO":
                    await self.reply(("250 %s\r\n" % HOSTNAME).encode())
                else:
                    await self.reply(self.ehlo_lines(arg))
            elif verb == "STARTTLS":
                if self.tls or self.ctx is None or self.role == "nostarttls":
                    await self.reply(b"502 5.5.1 STARTTLS not available\r\n")
                    continue
                msg = b"220 2.0.0 Ready to start TLS\r\n"
                if self.role == "inject":
                    msg += INJECTED
                    log(self.role, self.peer, "injecting plaintext after 220")
                await self.reply(msg)
                try:
                    await self.writer.start_tls(self.ctx)
                except (ssl.SSLError, ConnectionError, OSError) as e:
                    log(self.role, self.peer, "TLS handshake failed: %s" % e)
                    return
                self.tls = True
                ssl_obj = self.writer.get_extra_info("ssl_object")
                log(self.role, self.peer, "TLS up: %s %s" % (ssl_obj.version(), ssl_obj.cipher()[0]))
            elif verb == "QUIT":
                await self.reply(b"221 2.0.0 Bye\r\n")
                return
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                await self.reply(b"250 2.0.0 Ok\r\n")
            elif verb == "DATA":
                await self.reply(b"554 5.3.0 lab peer accepts no mail\r\n")
            else:
                await self.reply(b"500 5.5.2 Error: command not recognized\r\n")


async def main():
    global LOG
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--slow-delay", type=float, default=2.0)
    ap.add_argument("--log")
    ap.add_argument("--ready", help="file written once every listener is bound")
    ap.add_argument("roles", nargs="+")
    a = ap.parse_args()
    if a.log:
        LOG = open(a.log, "a")
    servers = []
    for spec in a.roles:
        role, _, rest = spec.partition("=")
        parts = rest.split(",")
        addr = parts[0]
        if role not in ("nostarttls", "garbage", "slow", "inject", "silent"):
            sys.exit("unknown role %r" % role)
        ctx = None
        if len(parts) == 3:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(parts[1], parts[2])

        def handler(r, w, role=role, ctx=ctx):
            async def go():
                s = Session(role, ctx, a.slow_delay, r, w)
                try:
                    await s.run()
                except (ConnectionError, OSError, ssl.SSLError) as e:
                    log(role, s.peer, "error: %s" % e)
                finally:
                    log(role, s.peer, "close")
                    try:
                        w.close()
                    except Exception:
                        pass
            return go()

        servers.append(await asyncio.start_server(handler, addr, a.port, reuse_address=True))
        log(role, "-", "listening on %s:%d" % (addr, a.port))
    if a.ready:
        with open(a.ready + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(a.ready + ".tmp", a.ready)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
