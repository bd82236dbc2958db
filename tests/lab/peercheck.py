#!/usr/bin/python3
"""Check that the lab's Python SMTP peers misbehave as designed (selftest).

usage: peercheck.py ROLE ADDR PORT [CERTFILE] [SLOW_DELAY]
Exit 0 when the peer at ADDR:PORT behaves as ROLE should; prints why not.
"""
import socket
import ssl
import sys
import time


def read_reply(s, buf=b""):
    """Read one complete (multi-line) SMTP reply; return (reply, rest)."""
    while True:
        lines = buf.split(b"\r\n")
        for i, l in enumerate(lines[:-1]):
            if len(l) >= 4 and l[3:4] == b" ":
                n = sum(len(x) + 2 for x in lines[: i + 1])
                return buf[:n], buf[n:]
        data = s.recv(4096)
        if not data:
            raise EOFError("connection closed, got %r" % buf)
        buf += data


def leaf_der(certfile):
    with open(certfile) as f:
        pem = f.read()
    first = pem[: pem.index("-----END CERTIFICATE-----") + 25]
    return ssl.PEM_cert_to_DER_cert(first)


def fail(msg):
    print(msg)
    sys.exit(1)


def main():
    role, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cert = sys.argv[4] if len(sys.argv) > 4 else None
    delay = float(sys.argv[5]) if len(sys.argv) > 5 else 0
    t0 = time.monotonic()
    s = socket.create_connection((addr, port), timeout=max(10, 4 * delay + 5))
    if role == "garbage":
        data = s.recv(512)
        if data.startswith(b"220"):
            fail("garbage peer sent an SMTP banner: %r" % data)
        print("banner is not SMTP: %r" % data[:40])
        return
    banner, rest = read_reply(s)
    if not banner.startswith(b"220 "):
        fail("bad banner %r" % banner)
    t_banner = time.monotonic() - t0
    s.sendall(b"EHLO selftest.test\r\n")
    ehlo, rest = read_reply(s, rest)
    offers = b"STARTTLS" in ehlo
    if role == "nostarttls":
        if offers:
            fail("nostarttls peer offers STARTTLS: %r" % ehlo)
        s.sendall(b"STARTTLS\r\n")
        r, rest = read_reply(s, rest)
        if not r.startswith(b"5"):
            fail("STARTTLS sent anyway was not refused: %r" % r)
        print("no STARTTLS in EHLO, STARTTLS -> %r" % r.strip())
        return
    if not offers:
        fail("%s peer does not offer STARTTLS: %r" % (role, ehlo))
    s.sendall(b"STARTTLS\r\n")
    # Read exactly what arrives before we start TLS (the peer sends the 220
    # and any injected lines in one write).
    time.sleep(0.2)
    r = rest
    s.settimeout(max(10, 2 * delay + 5))
    while b"\r\n" not in r:
        r += s.recv(4096)
    s.settimeout(0.3)
    try:
        more = s.recv(4096)
        r += more
    except socket.timeout:
        pass
    s.settimeout(10)
    if not r.startswith(b"220 "):
        fail("STARTTLS answered %r" % r)
    extra = r.split(b"\r\n", 1)[1]
    if role == "inject" and b"INJECTED" not in extra:
        fail("inject peer sent nothing after its 220: %r" % r)
    if role != "inject" and extra:
        fail("%s peer sent data after 220: %r" % (role, extra))
    # A safe client throws 'extra' away here and does TLS.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    t = ctx.wrap_socket(s, server_hostname=None)
    if cert and t.getpeercert(binary_form=True) != leaf_der(cert):
        fail("peer served an unexpected certificate")
    t.sendall(b"EHLO selftest.test\r\n")
    e2, _ = read_reply(t)
    if not e2.startswith(b"250"):
        fail("EHLO over TLS answered %r" % e2)
    t.sendall(b"QUIT\r\n")
    total = time.monotonic() - t0
    if role == "slow":
        if t_banner < delay * 0.9:
            fail("slow peer's banner came after %.2fs, expected >= %.2fs" % (t_banner, delay))
        print("banner after %.1fs, whole session %.1fs, TLS %s" % (t_banner, total, t.version()))
    elif role == "inject":
        print("injected before TLS: %r; TLS %s after discarding it" % (extra, t.version()))
    else:
        print("TLS %s" % t.version())


if __name__ == "__main__":
    try:
        main()
    except (OSError, EOFError, ssl.SSLError) as e:
        fail("error: %s" % e)
