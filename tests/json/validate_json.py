#!/usr/bin/env python3
"""Runs every command's --json through the real binary and validates each
output against its schema in schema/ (README "JSON"), with Debian's
python3-jsonschema. Also checks what the schemas cannot: "exit" equals the
process's exit code, and "command" names the command run.

Usage: validate_json.py MXDANE_BINARY SCHEMA_DIR
       validate_json.py --validate SCHEMA_DIR SCHEMA_FILE JSON_FILE   (one
       output made elsewhere, e.g. check --json in the lab tests)

To cover a new command, add its schema file and rows to CASES.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile

import jsonschema

# (schema file, argv after the binary[, wrapper]). {cert}, {key}, {dir},
# {missing}, {hash}, {dead} and {deadtcp} (loopback ports nobody listens on),
# and for the rollover rows {roll}, {ta}, {servfail}, {tlsadns} and
# {ca_command} are filled in by main().
CASES = [
    ("tlsa.json", ["tlsa", "--json", "{cert}"]),
    ("tlsa.json", ["tlsa", "--format", "json", "--host", "mx1.example.net", "--selector", "all", "--mtype", "all", "{key}"]),
    ("tlsa.json", ["tlsa", "--json", "--format", "rdata", "{key}"]),
    ("tlsa.json", ["tlsa", "--json", "--ttl", "300", "{cert}", "{missing}"]),
    ("tlsa.json", ["tlsa", "--json", "--usage", "1", "{cert}"]),
    ("verify.json", ["verify", "--json", "--cert", "{cert}", "--tlsa", "_25._tcp.mx1.example.net. 300 IN TLSA 3 1 1 00",
                     "--tlsa", "3 1 1 {hash}", "--tlsa", "bad", "--tlsa", "mx1.example.net. IN A 192.0.2.1"]),
    ("verify.json", ["verify", "--json", "--key", "{key}", "--host", "mx1.example.net", "--tlsa", "3 1 1 00"]),
    ("verify.json", ["verify", "--json", "--cert", "{missing}", "--tlsa", "3 1 1 00"]),
    ("inspect.json", ["inspect", "--json", "--key", "{key}", "{cert}", "{key}", "{missing}"]),
    ("inspect.json", ["inspect", "--json", "--key", "{missing}", "{cert}"]),
    ("keygen.json", ["keygen", "--json", "--dry-run", "--key", "p256", "mx1.example.net", "example.net"]),
    ("keygen.json", ["keygen", "--json", "--key", "p256", "--out", "{dir}/new", "mx1.example.net"]),
    ("keygen.json", ["keygen", "--json", "--key", "p256", "--out", "{dir}/keys", "mx1.example.net"]),
    ("publish.json", ["publish", "--json", "mx1.example.net", "--cert", "{cert}", "--publish-hook", "cat >/dev/null"]),
    ("publish.json", ["unpublish", "--json", "mx1.example.net", "--key", "{key}", "--publish-hook", "exit 1"]),
    ("publish.json", ["publish", "--json", "mx1.example.net", "--cert", "{missing}", "--publish-hook", "true"]),
    ("check.json", ["check", "--json", "--forward", "127.0.0.1@{dead}", "example.net"]),
]

# The rollover steps and reissue, in order, on one host's state in {roll}:
# DNS from tests/lab/tlsa_dns.py (insecure: a trust anchor for another zone), from
# servfail.py, or from nobody; the MTA to prove against is a dead port. The
# wrapper "flock" runs the case while another process holds the host lock.
ROLL = ["--out", "{roll}/keys", "--state-dir", "{roll}/state"]
INSECURE = ["--forward", "127.0.0.1@{tlsadns}", "--trust-anchor", "{ta}"]
SERVFAIL = ["--forward", "127.0.0.1@{servfail}", "--trust-anchor", "{ta}"]  # the host's SERVFAIL
NO_VALIDATION = ["--forward", "127.0.0.1@{servfail}"]  # the root's SOA fails too: this machine cannot validate
NO_MTA = ["--verify-at", "127.0.0.1:{deadtcp}", "--verify-tries", "1", "--reload", "true"]
HOST = "mx1.example.net"
CASES += [
    ("rollover.json", ["rollover", "status", "--json", *SERVFAIL, *ROLL, HOST]),  # no state yet
    ("rollover.json", ["rollover", "init", "--json", *ROLL, HOST]),
    ("rollover.json", ["rollover", "init", "--json", *ROLL, HOST]),  # already initialised
    ("rollover.json", ["rollover", "disable", "--json", *ROLL, HOST]),
    ("rollover.json", ["rollover", "status", "--json", *SERVFAIL, *ROLL, HOST]),  # disabled
    ("rollover.json", ["rollover", "status", "--json", *NO_VALIDATION, *ROLL, HOST]),  # exit 2, an error object
    ("rollover.json", ["rollover", "enable", "--json", *ROLL, HOST]),
    ("rollover.json", ["rollover", "status", "--json", *SERVFAIL, *ROLL, HOST]),
    ("rollover.json", ["rollover", "status", "--json", "--forward", "127.0.0.1@{dead}", *ROLL, HOST]),
    ("rollover.json", ["rollover", "status", "--json", *INSECURE, "--renew-before", "3650", *ROLL, HOST]),
    ("rollover.json", ["rollover", "activate", "--json", *INSECURE, *NO_MTA, *ROLL, HOST]),  # nothing staged
    ("rollover.json", ["rollover", "retire", "--json", *INSECURE, *ROLL, HOST]),
    ("rollover.json", ["rollover", "auto", "--json", "--dry-run", *INSECURE, *NO_MTA, *ROLL, HOST]),
    ("rollover.json", ["rollover", "stage", "--json", "--dry-run", *ROLL, HOST]),
    ("rollover.json", ["rollover", "stage", "--json", "--issuer", "acme", *ROLL, HOST]),
    ("rollover.json", ["rollover", "stage", "--json", *ROLL, HOST]),
    ("rollover.json", ["rollover", "stage", "--json", "--dry-run", *ROLL, HOST]),  # under way
    ("reissue.json", ["reissue", "--json", "--next", *ROLL, HOST]),
    ("reissue.json", ["reissue", "--json", "--next", "--issue-command", "{ca_command}", *ROLL, HOST]),
    ("reissue.json", ["reissue", "--json", "--next", "--issue-command", "echo no >&2; exit 5", *ROLL, HOST]),
    ("reissue.json", ["reissue", "--json", "--issuer", "acme", *ROLL, HOST]),
    ("reissue.json", ["reissue", "--json", *NO_MTA, *ROLL, HOST]),  # the live proof fails
    ("rollover.json", ["rollover", "status", "--json", *INSECURE, *ROLL, HOST]),
    ("rollover.json", ["rollover", "activate", "--json", *SERVFAIL, *NO_MTA, *ROLL, HOST]),
    ("rollover.json", ["rollover", "activate", "--json", "--dry-run", "--force", *INSECURE, *NO_MTA, *ROLL, HOST]),
    ("rollover.json", ["rollover", "activate", "--json", "--force", *INSECURE, *NO_MTA, *ROLL, HOST]),
    ("rollover.json", ["rollover", "retire", "--json", *SERVFAIL, *ROLL, HOST]),
    ("rollover.json", ["rollover", "auto", "--json", *SERVFAIL, *NO_MTA, *ROLL, HOST]),
    ("rollover.json", ["rollover", "auto", "--json", *INSECURE, *NO_MTA, *ROLL, HOST], "flock"),  # busy
    # The certificate in service is due (--renew-before) and its renewal's proof fails.
    ("rollover.json", ["rollover", "auto", "--json", *INSECURE, *NO_MTA, "--renew-before", "1100", "--days", "1200",
                       *ROLL, HOST]),
    ("rollover.json", ["rollover", "auto", "--json", *INSECURE, *NO_MTA, "--renew-before", "3650", *ROLL, HOST]),
    ("rollover.json", ["rollover", "auto", "--json", *INSECURE, *NO_MTA, *ROLL, HOST]),
    ("rollover.json", ["rollover", "emergency", "--json", "--dry-run", *NO_MTA, *ROLL, HOST]),
    ("rollover.json", ["rollover", "emergency", "--json", *NO_MTA, *ROLL, HOST]),
    ("rollover.json", ["rollover", "emergency", "--json", "--key", "dsa", *NO_MTA, *ROLL, HOST]),
]


def dead_port(kind=socket.SOCK_DGRAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def validator(schema_dir, name):
    schemas = {}
    for f in os.listdir(schema_dir):
        if f.endswith(".json"):
            with open(os.path.join(schema_dir, f)) as fh:
                s = json.load(fh)
            schemas[s["$id"]] = s
    schema = schemas["https://mxdane.invalid/schema/" + name]
    try:
        from referencing import Registry, Resource  # jsonschema >= 4.18

        registry = Registry().with_resources(
            [(k, Resource.from_contents(v)) for k, v in schemas.items()])
        return jsonschema.Draft202012Validator(schema, registry=registry)
    except ImportError:  # Debian 12's jsonschema 4.10
        resolver = jsonschema.RefResolver.from_schema(schema, store=schemas)
        return jsonschema.Draft202012Validator(schema, resolver=resolver)


def validate_one(schema_dir, schema, path):
    with open(path) as fh:
        out = json.load(fh)
    errors = list(validator(schema_dir, schema).iter_errors(out))
    for e in errors:
        print(f"FAIL {path}: {schema}: {'/'.join(map(str, e.path))}: {e.message[:300]}")
    return 1 if errors else 0


def start_server(argv):
    """Starts a loopback DNS server from tests/ that prints its port."""
    p = subprocess.Popen([sys.executable, *argv], stdout=subprocess.PIPE, text=True)
    return p, p.stdout.readline().strip()


def main():
    if sys.argv[1] == "--validate":
        return validate_one(sys.argv[2], sys.argv[3], sys.argv[4])
    binary, schema_dir = sys.argv[1], sys.argv[2]
    tests = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    failures = 0
    servers = []
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "keys"))
        subprocess.run([binary, "keygen", "--key", "p256", "--out", os.path.join(tmp, "keys"), "mx1.example.net"],
                       check=True, capture_output=True)
        files = sorted(os.listdir(os.path.join(tmp, "keys")))
        cert = os.path.join(tmp, "keys", next(f for f in files if f.endswith(".crt")))
        key = os.path.join(tmp, "keys", next(f for f in files if f.endswith(".key")))
        digest = subprocess.run([binary, "tlsa", "--format", "rdata", cert], check=True, capture_output=True,
                                text=True).stdout.split()[3]
        # The rollover's host: its own key, its 3 1 1 record in the
        # (insecure) DNS, a CA behind an issue command, made by openssl.
        roll = os.path.join(tmp, "roll")
        subprocess.run([binary, "keygen", "--key", "p256", "--out", os.path.join(roll, "keys"), HOST, "example.net"],
                       check=True, capture_output=True)
        served = subprocess.run([binary, "tlsa", "--format", "rdata", os.path.join(roll, "keys", HOST + "-MX.crt")],
                                check=True, capture_output=True, text=True).stdout.splitlines()[0]
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", os.path.join(tmp, "ca.key"), "-out", os.path.join(tmp, "ca.crt"), "-subj",
                        "/CN=Test CA", "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                        "keyUsage=critical,keyCertSign"], check=True, capture_output=True)
        ca_command = (f"openssl x509 -req -in \"$MXDANE_CSR\" -CA {tmp}/ca.crt -CAkey {tmp}/ca.key -days 90 "
                      f"-copy_extensions copy -out \"$MXDANE_CERT\" 2>/dev/null && cp {tmp}/ca.crt \"$MXDANE_CHAIN\"")
        ta = os.path.join(tmp, "other.ds")
        with open(ta, "w") as fh:
            fh.write("example.org. IN DS 12345 13 2 " + "00" * 32 + "\n")
        try:
            sf, sf_port = start_server([os.path.join(tests, "lab", "servfail.py")])
            servers.append(sf)
            dns, dns_port = start_server([os.path.join(tests, "lab", "tlsa_dns.py"), "_25._tcp." + HOST + ".",
                                          "300", served])
            servers.append(dns)
            fill = {"{cert}": cert, "{key}": key, "{dir}": tmp, "{missing}": os.path.join(tmp, "missing.pem"),
                    "{dead}": str(dead_port()), "{hash}": digest, "{roll}": roll, "{ta}": ta,
                    "{servfail}": sf_port, "{tlsadns}": dns_port, "{deadtcp}": str(dead_port(socket.SOCK_STREAM)),
                    "{ca_command}": ca_command}
            for case in CASES:
                failures += run_case(binary, schema_dir, fill, roll, *case)
        finally:
            for p in servers:
                p.kill()
                p.wait()
    print(f"{len(CASES)} cases, {failures} failures")
    return 1 if failures else 0


def run_case(binary, schema_dir, fill, roll, schema, args, wrapper=None):
    argv = [binary]
    for a in args:
        for k, v in fill.items():
            a = a.replace(k, v)
        argv.append(a)
    if wrapper == "flock":  # another process holds the host's lock (flock(1), as rollover auto takes it)
        argv = ["flock", os.path.join(roll, "state", HOST + ".lock")] + argv
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    where = " ".join(args)
    try:
        out = json.loads(p.stdout)
    except json.JSONDecodeError as e:
        print(f"FAIL {where}: stdout is not one JSON object ({e}): {p.stdout[:200]!r} {p.stderr[:200]!r}")
        return 1
    failures = 0
    errors = sorted(validator(schema_dir, schema).iter_errors(out), key=lambda e: list(e.path))
    for e in errors:
        print(f"FAIL {where}: {schema}: {'/'.join(map(str, e.path))}: {e.message[:300]}")
    failures += len(errors)
    if out.get("exit") != p.returncode:
        print(f"FAIL {where}: exit {out.get('exit')} in JSON, {p.returncode} from the process")
        failures += 1
    command = args[0] if args[0] != "rollover" else " ".join(args[:2])
    if out.get("command") != command:
        print(f"FAIL {where}: command {out.get('command')!r}, expected {command!r}")
        failures += 1
    if not errors:
        detail = out.get("error") or out.get("summary") or ""
        print(f"ok   {where} (exit {p.returncode}{': ' + detail[:100] if detail else ''})")
    return failures


if __name__ == "__main__":
    sys.exit(main())
