#!/usr/bin/python3
"""Print the pids (one a line) of processes that belong to the lab in DIR:
current directory inside DIR, DIR/ on the command line, or Postfix's
MAIL_CONFIG pointing into DIR.  The caller and its ancestors are left out.

usage: labprocs.py DIR [-v]
"""
import os
import sys


def ancestors():
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        try:
            with open("/proc/%d/stat" % pid) as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            break
    return pids


def main():
    d = os.path.realpath(sys.argv[1]).rstrip("/") + "/"
    verbose = "-v" in sys.argv[2:]
    skip = ancestors()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) in skip:
            continue
        p = "/proc/" + name
        try:
            cwd = os.readlink(p + "/cwd") + "/"
            with open(p + "/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            try:
                with open(p + "/environ", "rb") as f:
                    env = f.read().split(b"\0")
            except OSError:
                env = []
        except OSError:
            continue
        mine = (cwd.startswith(d) or (" " + d) in (" " + cmd) or d in cmd
                or any(e.startswith(b"MAIL_CONFIG=" + d.encode()) for e in env))
        if mine:
            print(name + (" " + cmd if verbose else ""))


if __name__ == "__main__":
    main()
