#!/usr/bin/python3
"""badtls_peer.py ADDR PORTFILE: an SMTP peer that offers STARTTLS, says 220
to it, and then answers the TLS ClientHello with plaintext and closes: the
TLS handshake fails. (The lab's peers have no such role; mxdane check's lab
tests need one for the tls-failed verdict.) Serves one connection, or gives
up after 30 s. Writes its port to PORTFILE when listening."""
import socket
import sys

addr, portfile = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((addr, 0))
srv.listen(1)
srv.settimeout(30)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
import os
os.rename(portfile + ".tmp", portfile)
try:
    conn, _ = srv.accept()
except socket.timeout:
    sys.exit(0)
conn.settimeout(10)
f = conn.makefile("rb")
conn.sendall(b"220 badtls.lab.test ESMTP\r\n")
for line in f:
    cmd = line.strip().upper()
    if cmd.startswith(b"EHLO"):
        conn.sendall(b"250-badtls.lab.test\r\n250 STARTTLS\r\n")
    elif cmd == b"STARTTLS":
        conn.sendall(b"220 go ahead\r\n")
        conn.recv(4096)  # the ClientHello
        conn.sendall(b"this is not TLS\r\n")
        break
    else:
        conn.sendall(b"502 no\r\n")
conn.close()
