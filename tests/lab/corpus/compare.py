#!/usr/bin/python3
"""compare.py OUT: the agreement table of the differential corpus (issue #22).

Reads what tests/lab/corpus/run left in OUT and compares, per address and
per domain, what Postfix does with what `mxdane check --json` says. The
expected value is always Postfix's:

Per address, from OUT/pf/ID.ADDR.log (posttls-finger -v -l dane -L
routine,certmatch,dane, every other address of the domain unreachable):
  the host's requirement, as posttls-finger's dane_host_level() decides it:
    dane      "DNSSEC-signed TLSA record" lines (usable TLSA RRset)
    encrypt   "no usable TLSA records found" (RFC 7672 section 2.2: TLS is
              mandatory, unauthenticated)
    may       "no TLSA records found", or "MX RRset is insecure: try to
              encrypt" (opportunistic TLS)
    skip      "TLSA lookup error" (senders skip the host)
  posttls-finger itself then applies "secure" where Postfix's smtp(8)
  applies may or encrypt (its "resorting to secure" is a diagnostic); the
  table uses smtp(8)'s level, which tls_dane.c and smtp_tls_policy document.
  the session at that address: Verified / other TLS / no STARTTLS / failed.
  The verdict, in mxdane's vocabulary:
    dane-validated       dane, and "Verified TLS connection established"
    FAILED               dane or encrypt, and anything less; or the address
                         could not be reached (refused, silent)
    tls-unauthenticated  encrypt, and a TLS session
    no-dane              may, and the server answered (TLS or not)
    would-defer          the host was skipped (its TLSA lookup failed)
    absent               posttls-finger never had the address (its address
                         family or the MX lookup failed)
Per domain, from those verdicts, with the issue's definitions:
    deferred        no address delivers (or the MX lookup failed)
    not-in-effect   no host has a usable TLSA RRset, and nothing fails
    all-validated   a secure MX RRset, and every address dane-validated
    degraded        anything else that delivers
    null-mx         a null MX (RFC 7505): nothing to deliver to
From mxdane: the address's verdict in hosts[].addresses; an address in no
host's list is would-defer when its host's verdict is would-defer or its
family is in the host's "skipped" list, else absent; the domain's "overall" (null-mx when the MX RRset is a null MX).

A difference is allowed only when tests/lab/corpus/differences.tsv lists it
(ID, ADDRESS or "domain", Postfix's value, mxdane's value, the RFC text that
decides it); a listed difference that no longer occurs is an error too.
Prints the table and a summary; exits 1 on any unexplained difference.
"""
import json
import os
import re
import sys

OUT = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))


def postfix_address(log_path, host, addr):
    """((level, session), None) for an address posttls-finger tried, else
    (verdict, None)."""
    lines = open(log_path, errors="replace").read().splitlines()
    target = "%s[%s]" % (host, addr)
    level_of = {}  # TLSA qname (posttls-finger's cache key) -> level
    signed = False  # "DNSSEC-signed TLSA record" lines since the last lookup
    cur = None
    window = []  # lines since the last address attempt
    tried = None
    for i, l in enumerate(lines):
        # the record's owner, not the cache key: they differ behind a DNAME
        if "DNSSEC-signed TLSA record: " in l:
            signed = True
        m = re.search(r"ctable_\w+: .*entry key (\S+)", l)
        if m:
            cur = m.group(1)
            if "install entry" in l or "refresh entry" in l:
                level_of[cur] = "dane" if signed else "skip"
                signed = False
        if "no usable TLSA records found" in l and cur:
            level_of[cur] = "encrypt"
        elif "no TLSA records found" in l and cur:
            level_of[cur] = "may"
        if "connect_addr: trying: %s " % target in l:
            tried = i
            break
        if "connect_addr: trying: " in l or "Failed to establish session" in l:
            window = []
            cur = None
            continue
        window.append(l)
    if tried is None:
        whole = "\n".join(lines)
        if re.search(r"Failed to establish session to \S+ via %s: TLSA lookup error" % re.escape(host), whole):
            return "would-defer", None
        family = "AAAA" if ":" in addr else "A"
        m = re.search(r"dns_query: %s \(%s\): (.*)" % (re.escape(host), family), whole)
        if m and m.group(1) != "OK":
            return "would-defer", None  # its address lookup failed: senders cannot use it
        return "absent", None
    text = "\n".join(window)
    rest = "\n".join(lines[tried:])
    if "MX RRset is insecure: try to encrypt" in text:
        level = "may"
    elif "all TLSA records unusable, fallback to unauthenticated TLS" in rest:
        # records the DNS stage kept, but the TLS engine cannot use (an
        # unknown selector or matching type, a digest of the wrong length)
        level = "encrypt"
    elif cur is None:
        # no TLSA lookup at all: a host whose address is insecure
        level = "may" if "no TLSA records found" in text else "unknown"
    else:
        level = level_of.get(cur, "unknown")
        if level == "dane" and "MX RRset insecure: log verified as trusted" in text:
            level = "half-dane"
    if re.search(r"Failed to establish session .*%s" % re.escape(target), rest):
        session = "unreachable"
    elif "Verified TLS connection established to " + target in rest:
        session = "verified"
    elif "Trusted TLS connection established to " + target in rest:
        session = "trusted"
    elif re.search(r"(Untrusted|Anonymous) TLS connection established to " + re.escape(target), rest):
        session = "tls"
    elif "Connected to " + target in rest and "> STARTTLS" not in rest and re.search(r"< 250 ", rest):
        session = "plain"
    else:
        session = "failed"
    return (level, session), None


def verdict(level, session):
    if level == "dane":
        return "dane-validated" if session == "verified" else "FAILED"
    if level == "half-dane":  # insecure MX: a DANE match is logged as "Trusted"
        return "dane-validated" if session in ("verified", "trusted") else "FAILED"
    if level == "encrypt":
        return "tls-unauthenticated" if session in ("tls", "trusted", "verified") else "FAILED"
    if level == "may":
        return "no-dane" if session in ("tls", "trusted", "verified", "plain") else "FAILED"
    return "unknown(%s,%s)" % (level, session)


def postfix_domain(id_, addrs, per_addr, mx_insecure):
    dom_log = open(os.path.join(OUT, "pf", "%s.domain.log" % id_), errors="replace").read()
    if "does not accept mail (nullMX)" in dom_log:
        return "null-mx"
    if "Destination address lookup failed" in dom_log or not addrs:
        return "deferred"
    vs = [per_addr[a] for a in addrs]
    ok = [v for v in vs if v in ("dane-validated", "tls-unauthenticated", "no-dane")]
    if not ok:
        return "deferred"
    # an MX host whose address lookups all failed is a failing path too
    hosts = re.findall(r"addr_one: host (\S+)", dom_log)
    dead = [h for h in hosts if not re.search(r"dns_query: %s \((A|AAAA)\): (OK|Host found but no data)"
                                              % re.escape(h), dom_log)]
    fails = bool(dead) or any(v in ("FAILED", "would-defer", "absent") for v in vs)
    # TLS made mandatory by an RRset without usable records is DANE at work
    # (RFC 7672 section 2.2), though it authenticates nothing
    if not any(lv in ("dane", "half-dane", "encrypt") for lv in LEVELS.values()) and not fails:
        return "not-in-effect"
    if not mx_insecure and not fails and all(v == "dane-validated" for v in vs):
        return "all-validated"
    return "degraded"


def mxdane_views(j):
    addr_v = {}
    for h in j.get("hosts", []):
        for a in h.get("addresses", []):
            addr_v[(h["host"].rstrip("."), a["address"])] = a["verdict"]
    return addr_v


def main():
    allowed = {}
    path = os.path.join(HERE, "differences.tsv")
    if os.path.exists(path):
        for l in open(path):
            if l.strip() and not l.startswith("#"):
                f = l.rstrip("\n").split("\t")
                allowed[(f[0], f[1])] = (f[2], f[3], f[4])
    rows = []
    seen_allowed = set()
    topo = [l.rstrip("\n").split("\t") for l in open(os.path.join(OUT, "topologies.tsv"))][1:]
    global LEVELS
    for id_, domain, addrs, desc in topo:
        entries = [e.split("/", 1) for e in addrs.split(",") if e]
        raw = open(os.path.join(OUT, "mxdane", "%s.json" % id_)).read()
        try:
            j = json.loads(raw) if raw.strip() else {}
        except ValueError:
            j = {}
        ours = mxdane_views(j)
        host_v = {h["host"].rstrip("."): h["verdict"] for h in j.get("hosts", [])}
        host_skipped = {h["host"].rstrip("."): h.get("skipped", []) for h in j.get("hosts", [])}
        LEVELS = {}
        per_addr = {}
        mx_insecure = False
        for host, addr in entries:
            log = os.path.join(OUT, "pf", "%s.%s.log" % (id_, addr))
            text = open(log, errors="replace").read()
            if "MX RRset insecure" in text or "MX RRset is insecure" in text:
                mx_insecure = True
            r, _ = postfix_address(log, host, addr)
            if isinstance(r, tuple):
                level, session = r
                LEVELS[addr] = level
                theirs = verdict(level, session)
            else:
                theirs = r
            per_addr[addr] = theirs
            mine = ours.get((host, addr))
            if mine is None:
                fam = "AAAA" if ":" in addr else "A"
                skipped = any(x.startswith(fam + " lookup") for x in host_skipped.get(host, []))
                mine = "would-defer" if host_v.get(host) == "would-defer" or skipped else "absent"
            rows.append((id_, addr, theirs, mine))
        theirs_d = postfix_domain(id_, [a for _, a in entries], per_addr, mx_insecure)
        if j.get("mx") and "null MX" in json.dumps(j.get("mx")):
            mine_d = "null-mx"
        else:
            mine_d = j.get("overall", "error: %s" % open(os.path.join(OUT, "mxdane", "%s.err" % id_)).read().strip()[:80])
        rows.append((id_, "domain", theirs_d, mine_d))
    agree = differ_ok = 0
    bad = []
    print("%-24s %-12s %-20s %-20s %s" % ("topology", "address", "postfix", "mxdane", ""))
    for id_, what, theirs, mine in rows:
        mark = ""
        if theirs == mine:
            agree += 1
            if (id_, what) in allowed:
                bad.append("%s %s: listed in differences.tsv but agrees now" % (id_, what))
                mark = "STALE"
        elif (id_, what) in allowed and allowed[(id_, what)][:2] == (theirs, mine):
            differ_ok += 1
            seen_allowed.add((id_, what))
            mark = "differs (differences.tsv)"
        else:
            bad.append("%s %s: postfix %s, mxdane %s" % (id_, what, theirs, mine))
            mark = "DIFFERS"
        print("%-24s %-12s %-20s %-20s %s" % (id_, what, theirs, mine, mark))
    n_dom = len(topo)
    print()
    for b in bad:
        print("unexplained: " + b)
    # the summary is the last line: run-tests prints it
    print("%d topologies, %d comparisons (%d addresses + %d domains): %d agree, %d differ as listed, %d unexplained"
          % (n_dom, len(rows), len(rows) - n_dom, n_dom, agree, differ_ok, len(bad)))
    return 1 if bad else 0


LEVELS = {}
if __name__ == "__main__":
    sys.exit(main())
