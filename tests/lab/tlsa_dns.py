#!/usr/bin/env python3
"""A DNS server on loopback that answers TLSA queries for one owner with
the given records, unsigned, and NODATA to every other query.

With a trust anchor for an unrelated zone, a validating resolver takes the
answer as insecure: enough for rollover status, activate, retire and auto to
report what DNS shows, offline (tests/json/validate_json.py). With --delay S
every answer but the one to mxdane's reachability probe (". NS") comes S
seconds late: a slow DNS for the progress line (tests/cli). Prints its UDP
port, then serves until killed or until 300 s pass.
    tlsa_dns.py [--delay S] OWNER TTL "USAGE SELECTOR MTYPE HEX" ...
"""
import socket
import struct
import sys
import threading
import time


def wire_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


args = sys.argv[1:]
delay = 0.0
if args[:1] == ["--delay"]:
    delay, args = float(args[1]), args[2:]
owner, ttl = args[0], int(args[1])
rdatas = []
for text in args[2:]:
    u, s, m, data = text.split()
    rdatas.append(bytes([int(u), int(s), int(m)]) + bytes.fromhex(data))

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 0))
print(sock.getsockname()[1], flush=True)
end = time.monotonic() + 300
while time.monotonic() < end:
    sock.settimeout(max(0.1, end - time.monotonic()))
    try:
        q, peer = sock.recvfrom(4096)
    except socket.timeout:
        break
    if len(q) < 12:
        continue
    i = 12
    while i < len(q) and q[i]:
        i += q[i] + 1
    question = q[12 : i + 5]
    qname, qtype = question[:-4], struct.unpack("!H", question[-4:-2])[0]
    answers = []
    if qtype == 52 and qname.lower() == wire_name(owner):
        # A compression pointer to the question's name (offset 12).
        answers = [b"\xc0\x0c" + struct.pack("!HHIH", 52, 1, ttl, len(r)) + r for r in rdatas]
    # Header: the query's ID, QR|AA|RD, RA, NOERROR; one question, the answers.
    header = q[:2] + bytes([0x85, 0x80]) + struct.pack("!HHHH", 1, len(answers), 0, 0)
    reply = header + question + b"".join(answers)
    if delay and qname != b"\0":
        threading.Timer(delay, sock.sendto, (reply, peer)).start()
    else:
        sock.sendto(reply, peer)
