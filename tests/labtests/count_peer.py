#!/usr/bin/python3
"""count_peer.py PORT READYFILE LOGFILE: three SMTP-port listeners for
check's lab tests (the lab's peers have no such roles):
  127.0.1.40  silent: accepts and never says a word (an MX that never answers)
  127.0.1.41  counting: waits 0.3 s, greets with 554, closes
  127.0.1.42  tarpit: greets with 220, then never answers again
Each accepted connection appends "ADDR open N" to LOGFILE, N being the
connections open to ADDR at that moment, and "ADDR close" when it ends.
Writes READYFILE once all listen; exits after 120 s."""
import asyncio
import os
import sys

port, ready, logfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
open_now = {}
log = open(logfile, "a", buffering=1)


def handler(addr, role):
    async def serve(reader, writer):
        open_now[addr] = open_now.get(addr, 0) + 1
        log.write(f"{addr} open {open_now[addr]}\n")
        try:
            if role == "silent":
                await reader.read()  # until the client gives up
            elif role == "tarpit":
                writer.write(b"220 tarpit.invalid ESMTP\r\n")
                await writer.drain()
                await reader.read()
            else:
                await asyncio.sleep(0.3)
                writer.write(b"554 5.3.2 counting peer, no service\r\n")
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            open_now[addr] -= 1
            log.write(f"{addr} close\n")
            writer.close()

    return serve


async def main():
    await asyncio.start_server(handler("127.0.1.40", "silent"), "127.0.1.40", port)
    await asyncio.start_server(handler("127.0.1.41", "counting"), "127.0.1.41", port)
    await asyncio.start_server(handler("127.0.1.42", "tarpit"), "127.0.1.42", port)
    with open(ready + ".tmp", "w") as f:
        f.write("ok")
    os.rename(ready + ".tmp", ready)
    await asyncio.sleep(120)


asyncio.run(main())
