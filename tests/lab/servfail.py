#!/usr/bin/env python3
"""A DNS server on loopback that answers SERVFAIL to every query.

For tests that need a resolver that is *there* (mxdane refuses to judge a
domain when no DNS server answers at all) but must not resolve anything.
Prints its UDP port, then serves until killed or until 300 s pass.
    servfail.py [ADDR]
"""
import socket
import sys
import time

addr = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, 0))
print(s.getsockname()[1], flush=True)
end = time.monotonic() + 300
while time.monotonic() < end:
    s.settimeout(max(0.1, end - time.monotonic()))
    try:
        q, peer = s.recvfrom(4096)
    except socket.timeout:
        break
    if len(q) < 12:
        continue
    i = 12
    while i < len(q) and q[i]:
        i += q[i] + 1
    # Header: the query's ID, QR|RD, RA|SERVFAIL, the question count; then
    # the question alone (no EDNS: ARCOUNT 0).
    s.sendto(q[:2] + bytes([0x81, 0x82]) + q[4:6] + bytes(6) + q[12 : i + 5], peer)
