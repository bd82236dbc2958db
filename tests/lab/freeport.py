#!/usr/bin/python3
"""Print one port number that is currently free for every requested use.

usage: freeport.py [--udp] ADDR [ADDR...]

Binds TCP port 0 on the first address to let the kernel choose, then checks
that the same port can also be bound (TCP, and UDP with --udp) on every other
address.  Retries with another port otherwise.  The sockets are closed before
printing, so there is a small race with other processes; labctl detects a
failed bind of its servers and reports it.
"""
import socket
import sys


def try_port(addrs, udp, port):
    socks = []
    try:
        for a in addrs:
            kinds = [socket.SOCK_STREAM] + ([socket.SOCK_DGRAM] if udp else [])
            for k in kinds:
                s = socket.socket(socket.AF_INET, k)
                socks.append(s)
                s.bind((a, port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def main():
    args = sys.argv[1:]
    udp = False
    if args and args[0] == "--udp":
        udp = True
        args = args[1:]
    if not args:
        sys.exit("usage: freeport.py [--udp] ADDR [ADDR...]")
    for _ in range(200):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((args[0], 0))
        port = s.getsockname()[1]
        s.close()
        # Stay clear of port 25/53 and other privileged ports.
        if port < 1024:
            continue
        if try_port(args, udp, port):
            print(port)
            return
    sys.exit("freeport.py: no free port found")


if __name__ == "__main__":
    main()
