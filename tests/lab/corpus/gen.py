#!/usr/bin/python3
"""gen.py LABDIR: the topologies of the differential corpus (issue #22).

Writes, for tests/lab/labctl (LAB_CORPUS=1):
  LABDIR/zones/corpus.body     records of corpus.test.   (signed, NSEC)
  LABDIR/zones/corpus-u.body   records of corpus-u.test. (unsigned, no DS)
  LABDIR/zones/corpus-b.body   records of corpus-b.test. (signed, its DS in
                               test. matches no key: bogus)
  LABDIR/zones/corpus.postsign edits applied to the signed zones:
                               "corrupt OWNER TYPE" (the RRSIG over that RRset
                               no longer verifies: that RRset alone is bogus),
                               "drop-nsec OWNER" (the NSEC at OWNER and its
                               RRSIG go: a denial that needs it has no proof)
  LABDIR/corpus/listeners      "ADDR SERVER" per line: the servers the
                               topologies point at (labctl starts them)
  LABDIR/corpus/topologies.tsv id, domain, addresses ("host/addr" list, every
                               address a sender could reach), description

Every topology points at servers whose behaviour is fixed (a key, no
STARTTLS, silence, a refusal); what a sender does with it is never written
here: tests/lab/corpus/run asks posttls-finger and mxdane, and compare.py
compares them. Servers:
  k1  Postfix serving the key of lab host mx1 (self-signed, CN mx1.secure.test)
  k2  Postfix serving the key of lab host mx2
  ta  Postfix serving a leaf of the lab's private CA for unrelated.example, + CA
  tn  Postfix serving a leaf of that CA naming only nexthop.corpus.test, + CA
  ns  a peer that never offers STARTTLS      sl  a peer that never says a word
  rf  an address where nothing listens (connection refused)
IPv6 servers (fd00:4::/64) exist only in pf-netns's private network namespace.
"""
import hashlib
import os
import subprocess
import sys

LAB = sys.argv[1]
TLS = os.path.join(LAB, "tls")

# Addresses per server kind; a topology takes the next unused one, so that
# no address stands for two hosts of one domain.
POOL = {
    "k1": ["127.0.4.%d" % i for i in range(1, 7)],
    "k2": ["127.0.4.%d" % i for i in range(11, 15)],
    "ns": ["127.0.4.21", "127.0.4.22"],
    "sl": ["127.0.4.31"],
    "rf": ["127.0.4.41", "127.0.4.42"],
    "ta": ["127.0.4.51"],
    "tn": ["127.0.4.52"],
    "k1v6": ["fd00:4::1", "fd00:4::2"],
    "k2v6": ["fd00:4::11"],
    "rfv6": ["fd00:4::41"],
}
SERVER_OF = {"k1": "postfix:mx1", "k2": "postfix:mx2", "ta": "postfix:corpus-ta",
             "tn": "postfix:corpus-tn", "ns": "nostarttls:mx11", "sl": "silent:mx11", "rf": "none"}


def sh(*cmd, data=None):
    return subprocess.run(cmd, input=data, check=True, capture_output=True).stdout


def spki(cert):
    pub = sh("openssl", "x509", "-in", cert, "-pubkey", "-noout")
    return hashlib.sha256(sh("openssl", "pkey", "-pubin", "-outform", "DER", data=pub)).hexdigest()


def spki_of_key(key):
    return hashlib.sha256(sh("openssl", "pkey", "-in", key, "-pubout", "-outform", "DER")).hexdigest()


def cert_sha256(cert):
    return hashlib.sha256(sh("openssl", "x509", "-in", cert, "-outform", "DER")).hexdigest()


K1 = spki(os.path.join(TLS, "mx1.crt"))
K1_CERT = cert_sha256(os.path.join(TLS, "mx1.crt"))
pub = sh("openssl", "x509", "-in", os.path.join(TLS, "mx1.crt"), "-pubkey", "-noout")
K1_512 = hashlib.sha512(sh("openssl", "pkey", "-pubin", "-outform", "DER", data=pub)).hexdigest()
OTHER = spki_of_key(os.path.join(TLS, "other.key"))
CA = spki(os.path.join(TLS, "ta-ca.crt"))
CA_CERT = cert_sha256(os.path.join(TLS, "ta-ca.crt"))
TN = spki(os.path.join(TLS, "corpus-tn.crt"))

# TLSA RRsets by name: a list of "u s m hex" records.
TLSA = {
    "match": ["3 1 1 " + K1],
    "match301": ["3 0 1 " + K1_CERT],
    "match312": ["3 1 2 " + K1_512],
    "mismatch": ["3 1 1 " + OTHER],
    "match+other": ["3 1 1 " + K1, "3 1 1 " + OTHER],
    "match+unusable": ["3 1 1 " + K1, "1 1 1 " + K1],
    "unusable-pkix": ["1 1 1 " + K1, "0 0 1 " + K1_CERT],
    "unusable-mtype": ["3 1 9 " + K1],
    "unusable-length": ["3 1 1 " + K1[:40]],
    "unusable-selector": ["3 7 1 " + K1],
    "ta": ["2 1 1 " + CA],
    "ta-cert": ["2 0 1 " + CA_CERT],
    "tn-ee": ["3 1 1 " + TN],
}

zones = {"corpus": [], "corpus-u": [], "corpus-b": []}
postsign = []
topologies = []
listeners = {}
NAMES = {"corpus": "corpus.test", "corpus-u": "corpus-u.test", "corpus-b": "corpus-b.test"}


class Topology:
    """One domain: its records go into the zones, its addresses into the list."""

    def __init__(self, tid, desc):
        self.id, self.desc = tid, desc
        self.domain = "%s.corpus.test" % tid
        self.used = set()
        self.addrs = []  # "host/addr"

    def take(self, kind):
        for a in POOL[kind]:
            if a not in self.used:
                self.used.add(a)
                base = kind[:-2] if kind.endswith("v6") else kind
                listeners[a] = SERVER_OF[base]
                return a
        raise SystemExit("gen.py: pool %s exhausted in %s" % (kind, self.id))

    def rec(self, zone, owner, rtype, data):
        """owner: relative to ZONE ("@" for its apex)."""
        zones[zone].append("%s\tIN\t%s\t%s" % (owner, rtype, data))

    def fqdn(self, zone, label):
        return "%s.%s." % (label, NAMES[zone])

    def host(self, label, zone="corpus", a=(), aaaa=(), tlsa=None, a_state="secure",
             aaaa_state="secure", tlsa_state="secure"):
        """An MX host LABEL.ID in ZONE: its addresses (server kinds) and TLSA.
        *_state: secure (as signed), bogus (its RRSIG corrupted), or for
        tlsa_state also "nx-noproof" (no TLSA, and the NSEC that would deny it
        is dropped), "nodata" (no TLSA; a TXT at its name), "wildcard" (the
        RRset at *._tcp.HOST) or "dname" (at a DNAME target)."""
        name = "%s.%s" % (label, self.id)
        fq = "%s.%s." % (name, NAMES[zone])
        for kind in a:
            addr = self.take(kind)
            self.rec(zone, name, "A", addr)
            self.addrs.append("%s/%s" % (fq[:-1], addr))
        for kind in aaaa:
            addr = self.take(kind)
            self.rec(zone, name, "AAAA", addr)
            self.addrs.append("%s/%s" % (fq[:-1], addr))
        if a_state == "bogus":
            postsign.append("corrupt %s A" % fq)
        if aaaa_state == "bogus":
            postsign.append("corrupt %s AAAA" % fq)
        if tlsa is not None:
            owner = "_25._tcp." + name
            if tlsa_state == "wildcard":
                owner = "*._tcp." + name
            elif tlsa_state == "dname":
                self.rec(zone, "_tcp." + name, "DNAME", "_tcp.dn-target.%s.%s." % (self.id, NAMES[zone]))
                owner = "_25._tcp.dn-target." + self.id
            for r in TLSA[tlsa]:
                self.rec(zone, owner, "TLSA", r)
            if tlsa_state == "bogus":
                postsign.append("corrupt _25._tcp.%s TLSA" % fq)
        if tlsa_state == "nodata":
            self.rec(zone, "_25._tcp." + name, "TXT", '"no TLSA here"')
        if tlsa_state == "nx-noproof":
            if not a or not aaaa:
                raise SystemExit("gen.py: %s: nx-noproof needs A and AAAA (the NSEC also denies types)" % name)
            postsign.append("drop-nsec %s" % fq)
        return fq

    def mx(self, *hosts, zone="corpus", owner=None):
        """MX RRset at the domain (in ZONE); hosts: (preference, fqdn)."""
        if zone != "corpus":
            self.domain = "%s.%s" % (self.id, NAMES[zone])
        for pref, h in hosts:
            self.rec(zone, owner or self.id, "MX", "%d %s" % (pref, h))

    def done(self):
        topologies.append(self)


def single(tid, desc, tlsa, server, **kw):
    t = Topology(tid, desc)
    t.mx((10, t.host("mx", a=[server], tlsa=tlsa, **kw)))
    t.done()


# -- one host, one address: every TLSA RRset kind against every server kind --
for tl, tdesc in [("match", "3 1 1 of the served key"), ("match301", "3 0 1 of the served certificate"),
                  ("match312", "3 1 2 of the served key"), ("mismatch", "3 1 1 of another key"),
                  ("match+other", "current + next key"), ("match+unusable", "a usable and a PKIX-EE record"),
                  ("unusable-pkix", "only PKIX-TA/EE records (unusable for SMTP)"),
                  ("unusable-mtype", "only an unknown matching type"),
                  ("unusable-length", "only a SHA-256 digest of the wrong length"),
                  ("unusable-selector", "only an unknown selector")]:
    for srv, sdesc in [("k1", "the key"), ("ns", "no STARTTLS"), ("rf", "refused")]:
        single("%s-%s" % (tl.replace("+", "-"), srv), "%s; server: %s" % (tdesc, sdesc), tl, srv)
for srv, sdesc in [("k1", "the key"), ("ns", "no STARTTLS")]:
    single("nxdomain-" + srv, "secure zone, no TLSA (NXDOMAIN); server: " + sdesc, None, srv)
    single("nodata-" + srv, "secure zone, no TLSA (NODATA: a TXT at its name); server: " + sdesc, None, srv,
           tlsa_state="nodata")
    single("bogus-tlsa-" + srv, "TLSA RRset whose RRSIG does not verify; server: " + sdesc, "match", srv,
           tlsa_state="bogus")
    single("wildcard-" + srv, "TLSA from a wildcard *._tcp.HOST; server: " + sdesc, "match", srv,
           tlsa_state="wildcard")
    single("dname-" + srv, "TLSA behind a DNAME at _tcp.HOST; server: " + sdesc, "match", srv,
           tlsa_state="dname")
single("silent", "TLSA matches; the server accepts and never speaks", "match", "sl")
t = Topology("nx-noproof", "TLSA NXDOMAIN whose NSEC proof is missing; A and AAAA secure")
t.mx((10, t.host("mx", a=["k1"], aaaa=["k1v6"], tlsa=None, tlsa_state="nx-noproof")))
t.done()

# -- address families: A and AAAA each secure / bogus / absent (NODATA) --
for a_st in ("secure", "bogus", "none"):
    for aaaa_st in ("secure", "bogus", "none"):
        if a_st == aaaa_st == "none":
            continue
        t = Topology("af-a%s-aaaa%s" % (a_st, aaaa_st), "A %s, AAAA %s; TLSA matches" % (a_st, aaaa_st))
        t.mx((10, t.host("mx", a=[] if a_st == "none" else ["k1"], aaaa=[] if aaaa_st == "none" else ["k1v6"],
                         tlsa="match", a_state=a_st if a_st != "none" else "secure",
                         aaaa_state=aaaa_st if aaaa_st != "none" else "secure")))
        t.done()
t = Topology("af-v6-otherkey", "A serves the key, AAAA serves another key: one family fails")
t.mx((10, t.host("mx", a=["k1"], aaaa=["k2v6"], tlsa="match")))
t.done()
t = Topology("af-v6-refused", "A serves the key, nothing listens at the AAAA")
t.mx((10, t.host("mx", a=["k1"], aaaa=["rfv6"], tlsa="match")))
t.done()
t = Topology("af-insecure-host", "MX host in the unsigned zone, A and AAAA; TLSA there is ignored")
t.mx((10, t.host("mx", zone="corpus-u", a=["k1"], aaaa=["k1v6"], tlsa="mismatch")))
t.done()

# -- multi-homed hosts with one bad address (first or second in address order) --
for bad, bdesc in [("k2", "another key"), ("ns", "no STARTTLS"), ("rf", "refused"), ("sl", "silent")]:
    t = Topology("multi-%s-first" % bad, "two A: %s, then the key" % bdesc)
    t.mx((10, t.host("mx", a=[bad, "k1"], tlsa="match")))
    t.done()
t = Topology("multi-k2-second", "two A: the key, then another key")
t.mx((10, t.host("mx", a=["k1", "k2"], tlsa="match")))
t.done()
t = Topology("multi-all-bad", "two A: another key and no STARTTLS")
t.mx((10, t.host("mx", a=["k2", "ns"], tlsa="match")))
t.done()
t = Topology("multi-mixed-family", "A of another key, AAAA of the key")
t.mx((10, t.host("mx", a=["k2"], aaaa=["k1v6"], tlsa="match")))
t.done()

# -- several MX hosts with mixed security --
def two(tid, desc, first, second):
    t = Topology(tid, desc)
    t.mx((10, t.host("mx1", **first)), (20, t.host("mx2", **second)))
    t.done()


GOOD = dict(a=["k1"], tlsa="match")
two("mx-good-nodata", "preference 10 DANE, 20 securely without TLSA (downgrade path)", GOOD, dict(a=["k1"]))
two("mx-nodata-good", "preference 10 securely without TLSA, 20 DANE", dict(a=["k1"]), GOOD)
two("mx-bad-good", "preference 10 another key, 20 DANE", dict(a=["k2"], tlsa="match"), GOOD)
two("mx-good-bad", "preference 10 DANE, 20 another key", GOOD, dict(a=["k2"], tlsa="match"))
two("mx-bad-bad", "both hosts pin another key", dict(a=["k2"], tlsa="match"), dict(a=["k2"], tlsa="match"))
two("mx-bogus-good", "preference 10 TLSA bogus, 20 DANE", dict(a=["k1"], tlsa="match", tlsa_state="bogus"), GOOD)
two("mx-bogusa-good", "preference 10 A bogus, 20 DANE", dict(a=["k1"], tlsa="match", a_state="bogus"), GOOD)
two("mx-unusable-good", "preference 10 only unusable records at a server without STARTTLS, 20 DANE",
    dict(a=["ns"], tlsa="unusable-pkix"), GOOD)
two("mx-refused-good", "preference 10 refused, 20 DANE", dict(a=["rf"], tlsa="match"), GOOD)
two("mx-insecure-good", "preference 10 in the unsigned zone, 20 DANE",
    dict(zone="corpus-u", a=["k1"], tlsa="match"), GOOD)
t = Topology("mx-equal-pref", "two hosts of equal preference, both DANE")
t.mx((10, t.host("mxa", **GOOD)), (10, t.host("mxb", **GOOD)))
t.done()

# -- the MX RRset itself --
t = Topology("mx-insecure", "MX RRset in the unsigned zone; host in the signed zone, TLSA matches")
t.mx((10, t.host("mx", **GOOD)), zone="corpus-u")
t.done()
t = Topology("mx-insecure-bad", "MX RRset in the unsigned zone; host in the signed zone, TLSA of another key")
t.mx((10, t.host("mx", a=["k1"], tlsa="mismatch")), zone="corpus-u")
t.done()
t = Topology("mx-bogus", "MX RRset in the bogus zone; host in the signed zone")
t.mx((10, t.host("mx", **GOOD)), zone="corpus-b")
t.done()
t = Topology("mx-rrsig-bogus", "MX RRset whose RRSIG does not verify")
t.mx((10, t.host("mx", **GOOD)))
postsign.append("corrupt %s. MX" % t.domain)
t.done()
t = Topology("nullmx", "null MX (RFC 7505)")
t.rec("corpus", t.id, "MX", "0 .")
t.done()
t = Topology("nomx", "no MX: the domain's own A (implicit MX) with TLSA")
t.rec("corpus", t.id, "A", t.take("k1"))
t.addrs.append("%s/%s" % (t.domain, POOL["k1"][0]))
t.rec("corpus", "_25._tcp." + t.id, "TLSA", TLSA["match"][0])
t.done()
t = Topology("mx-nxdomain-host", "MX host name that does not exist; second host DANE")
t.mx((10, "missing.%s.corpus.test." % t.id), (20, t.host("mx2", **GOOD)))
t.done()

# -- CNAME'd MX hosts: chains of 1-3 links across signed and unsigned zones --
def chain(tid, desc, links, final_zone, tlsa_at, tlsa="match", server="k1", bogus_link=None):
    """links: zones of the aliases, first is the MX host name; the chain ends
    at a host in FINAL_ZONE. tlsa_at: "original", "final" or "both"."""
    t = Topology(tid, desc)
    names = []
    for i, z in enumerate(links):
        names.append((z, "c%d.%s" % (i, tid)))
    final = t.host("end", zone=final_zone, a=[server], tlsa=tlsa if tlsa_at in ("final", "both") else None)
    for i, (z, label) in enumerate(names):
        target = final if i == len(names) - 1 else "%s.%s." % (names[i + 1][1], NAMES[names[i + 1][0]])
        t.rec(z, label, "CNAME", target)
        if bogus_link == i:
            postsign.append("corrupt %s.%s. CNAME" % (label, NAMES[z]))
    z0, l0 = names[0]
    # a sender names the address by the MX host name, not the chain's end
    t.addrs = ["%s.%s/%s" % (l0, NAMES[z0], e.split("/", 1)[1]) for e in t.addrs]
    if tlsa_at in ("original", "both"):
        for r in TLSA["mismatch" if tlsa_at == "both" else tlsa]:
            t.rec(z0, "_25._tcp." + l0, "TLSA", r)
    t.mx((10, "%s.%s." % (l0, NAMES[z0])))
    t.done()


S, U, B = "corpus", "corpus-u", "corpus-b"
chain("cn1-ss-final", "secure CNAME to a secure host; TLSA at the target", [S], S, "final")
chain("cn1-ss-original", "secure CNAME to a secure host; TLSA only at the alias", [S], S, "original")
chain("cn1-ss-both", "secure CNAME; the target's TLSA matches, the alias's does not", [S], S, "both")
chain("cn1-su-original", "secure CNAME into the unsigned zone; TLSA at the alias", [S], U, "original")
chain("cn1-su-original-bad", "secure CNAME into the unsigned zone; the alias's TLSA pins another key",
      [S], U, "original", tlsa="mismatch")
chain("cn1-su-none", "secure CNAME into the unsigned zone; no TLSA anywhere", [S], U, "none")
chain("cn1-us-final", "insecure first link (alias in the unsigned zone) to a secure host with TLSA",
      [U], S, "final")
chain("cn1-us-original", "alias in the unsigned zone with TLSA, target secure without", [U], S, "original")
chain("cn2-sss-final", "two secure links; TLSA at the end", [S, S], S, "final")
chain("cn2-sss-original", "two secure links; TLSA only at the MX host name", [S, S], S, "original")
chain("cn2-ssu-original", "secure, secure, then into the unsigned zone; TLSA at the MX host name",
      [S, S], U, "original")
chain("cn2-suu-original", "secure link into the unsigned zone, which links on; TLSA at the MX host name",
      [S, U], U, "original")
chain("cn2-sus-final", "secure, then an unsigned alias, to a secure host with TLSA", [S, U], S, "final")
chain("cn3-ssss-final", "three secure links; TLSA at the end", [S, S, S], S, "final")
chain("cn3-ssss-original", "three secure links; TLSA only at the MX host name", [S, S, S], S, "original")
chain("cn3-sssu-original", "three secure links, the last into the unsigned zone; TLSA at the MX host name",
      [S, S, S], U, "original")
chain("cn2-bogus-link", "the second link's RRSIG does not verify", [S, S], S, "final", bogus_link=1)
chain("cn1-into-bogus", "secure CNAME into the bogus zone", [S], B, "final")

# -- DANE-TA: which names a sender accepts (RFC 7672 section 3.2.2) --
t = Topology("ta-mxname", "2 1 1 of the CA; the leaf names the MX host (mx14.secure.test)")
t.mx((10, "mx14.secure.test."))
t.addrs.append("mx14.secure.test/127.0.1.14")
t.done()
t = Topology("ta-cname-target", "2 1 1; secure CNAME to mx14.secure.test, whose name the leaf holds")
t.rec("corpus", "alias." + t.id, "CNAME", "mx14.secure.test.")
t.mx((10, "alias.%s.corpus.test." % t.id))
t.addrs.append("alias.%s.corpus.test/127.0.1.14" % t.id)
t.done()
single("ta-neither", "2 1 1 of the CA; the leaf names neither the MX host nor the domain", "ta", "ta")
single("ta-cert-neither", "2 0 1 of the CA certificate; the leaf names neither", "ta-cert", "ta")
# the next-hop domain is nexthop.corpus.test itself
single("nexthop", "2 1 1 of the CA; the leaf names only the domain (next-hop)", "ta", "tn")
single("nexthop-ee", "3 1 1 of a key whose certificate names another domain: names are not checked", "tn-ee", "tn")

# The "nexthop" domain must be the name in the corpus-tn leaf.
for t in topologies:
    if t.id == "nexthop":
        assert t.domain == "nexthop.corpus.test"

os.makedirs(os.path.join(LAB, "corpus"), exist_ok=True)
for z, lines in zones.items():
    with open(os.path.join(LAB, "zones", "%s.body" % z), "w") as f:
        f.write("\n".join(lines) + "\n")
with open(os.path.join(LAB, "zones", "corpus.postsign"), "w") as f:
    f.write("\n".join(postsign) + "\n")
with open(os.path.join(LAB, "corpus", "listeners"), "w") as f:
    for a, s in sorted(listeners.items()):
        f.write("%s %s\n" % (a, s))
with open(os.path.join(LAB, "corpus", "topologies.tsv"), "w") as f:
    f.write("id\tdomain\taddresses\tdescription\n")
    for t in topologies:
        f.write("%s\t%s\t%s\t%s\n" % (t.id, t.domain, ",".join(t.addrs), t.desc))
print(len(topologies))
