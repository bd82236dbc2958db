#!/usr/bin/env python3
"""bench/handshakes.py ADDR PORT SECONDS PROCS: STARTTLS handshakes per second
that an SMTP server completes at saturation, from PROCS client processes that
each loop connect, EHLO, STARTTLS, TLS handshake, QUIT for SECONDS. The
client is Python's ssl module (OpenSSL underneath, no certificate check,
nothing else done per session), so one process per session is not what is
measured, as it was with posttls-finger -c. Prints "N handshakes in S s:
R/s". Loopback only: the caller gives the lab's address. Not a test."""
import multiprocessing
import socket
import ssl
import sys
import time


def reply(f):
    """Reads one SMTP reply (RFC 5321 §4.2: continuation lines have '-')."""
    while True:
        line = f.readline()
        if not line or line[3:4] != b"-":
            return line


def worker(addr, port, until, out):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    n = 0
    while time.monotonic() < until:
        try:
            with socket.create_connection((addr, port), timeout=10) as s:
                f = s.makefile("rb")
                reply(f)
                s.sendall(b"EHLO bench.invalid\r\n")
                reply(f)
                s.sendall(b"STARTTLS\r\n")
                if not reply(f).startswith(b"220"):
                    continue
                with ctx.wrap_socket(s, server_hostname=None) as t:
                    t.sendall(b"QUIT\r\n")
                n += 1
        except OSError:
            pass
    out.put(n)


def main():
    addr, port, secs, procs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    if not (addr.startswith("127.") or addr == "::1"):
        sys.exit("bench: loopback addresses only")
    out = multiprocessing.Queue()
    start = time.monotonic()
    ps = [multiprocessing.Process(target=worker, args=(addr, port, start + secs, out)) for _ in range(procs)]
    for p in ps:
        p.start()
    total = sum(out.get() for _ in ps)
    for p in ps:
        p.join()
    wall = time.monotonic() - start
    print(f"{total} handshakes in {wall:.2f} s: {total / wall:.1f}/s")


if __name__ == "__main__":
    main()
