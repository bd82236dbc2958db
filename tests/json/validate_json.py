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

# (schema file, argv after the binary). {cert}, {key}, {dir}, {missing} and
# {dead} (a loopback port nobody listens on) are filled in below.
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


def dead_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
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


def main():
    if sys.argv[1] == "--validate":
        return validate_one(sys.argv[2], sys.argv[3], sys.argv[4])
    binary, schema_dir = sys.argv[1], sys.argv[2]
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "keys"))
        subprocess.run([binary, "keygen", "--key", "p256", "--out", os.path.join(tmp, "keys"), "mx1.example.net"],
                       check=True, capture_output=True)
        files = sorted(os.listdir(os.path.join(tmp, "keys")))
        cert = os.path.join(tmp, "keys", next(f for f in files if f.endswith(".crt")))
        key = os.path.join(tmp, "keys", next(f for f in files if f.endswith(".key")))
        digest = subprocess.run([binary, "tlsa", "--format", "rdata", cert], check=True, capture_output=True,
                                text=True).stdout.split()[3]
        fill = {"{cert}": cert, "{key}": key, "{dir}": tmp, "{missing}": os.path.join(tmp, "missing.pem"),
                "{dead}": str(dead_port()), "{hash}": digest}
        for schema, args in CASES:
            argv = [binary]
            for a in args:
                for k, v in fill.items():
                    a = a.replace(k, v)
                argv.append(a)
            p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
            where = " ".join(args)
            try:
                out = json.loads(p.stdout)
            except json.JSONDecodeError as e:
                print(f"FAIL {where}: stdout is not one JSON object ({e}): {p.stdout[:200]!r} {p.stderr[:200]!r}")
                failures += 1
                continue
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
                print(f"ok   {where} (exit {p.returncode})")
    print(f"{len(CASES)} cases, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
