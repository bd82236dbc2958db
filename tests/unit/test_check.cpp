// The RFC 7672 §2 walk over a fake resolver and a fake prober: which lookups
// happen, in which order, and what each answer means for the verdict.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "fake_resolver.h"
#include "mxdane/check.h"
#include "mxdane/error.h"

namespace {
using namespace mxdane;
using namespace mxdane::check;
using dns::Answer;
using dns::RrType;
using dns::Security;
using test::FakeResolver;

tlsa::Record rec(std::uint8_t u, std::uint8_t s, std::uint8_t m, std::uint8_t fill = 0xaa) {
    return {u, s, m, tlsa::Bytes(m == 2 ? 64 : 32, fill)};
}

struct CheckWalk : ::testing::Test {
    FakeResolver dns;
    std::vector<smtp::ProbeRequest> probes;
    smtp::Outcome outcome = smtp::Outcome::validated;
    bool self_signed = false;
    Prober prober = [this](const smtp::ProbeRequest& r) {
        probes.push_back(r);
        smtp::ProbeResult res;
        res.outcome = outcome;
        res.reason = outcome == smtp::Outcome::validated ? "validated" : "no TLSA record matches the server key";
        res.leaf_self_signed = self_signed;
        if (outcome == smtp::Outcome::validated || outcome == smtp::Outcome::no_match) {
            res.steps.push_back({"tls", true, "TLSv1.3"});
        }
        return res;
    };

    void good_domain(Security mx_sec = Security::secure) {
        dns.set("example.net", RrType::mx, mx_sec, {dns::Mx{10, "mx1.example.net"}});
        dns.set("mx1.example.net", RrType::a, Security::secure, {dns::Address{false, "192.0.2.1"}});
        dns.set("mx1.example.net", RrType::aaaa, Security::secure, {dns::Address{true, "2001:db8::1"}});
        dns.set("_25._tcp.mx1.example.net", RrType::tlsa, Security::secure, {rec(3, 1, 1)});
    }

    Report run_for(const std::string& domain, bool mx_host = false) {
        Request req;
        req.domain = domain;
        req.mx_host = mx_host;
        req.port = 2525;
        return check::run(req, dns, prober);
    }

    bool asked(const std::string& q) const {
        return std::find(dns.asked.begin(), dns.asked.end(), q) != dns.asked.end();
    }
};

TEST_F(CheckWalk, SecurePathProbesEveryAddress) {
    good_domain();
    const Report r = run_for("example.net");
    EXPECT_EQ(dns.asked, (std::vector<std::string>{"MX example.net", "A mx1.example.net", "AAAA mx1.example.net",
                                                   "TLSA _25._tcp.mx1.example.net", "TLSA _25._tcp.example.net",
                                                   "TXT _mta-sts.example.net"}));
    ASSERT_EQ(r.hosts.size(), 1U);
    EXPECT_EQ(r.hosts[0].verdict, Verdict::dane_validated);
    EXPECT_EQ(r.hosts[0].tlsa_owner, "_25._tcp.mx1.example.net.");
    ASSERT_EQ(probes.size(), 2U);
    EXPECT_EQ(probes[0].address, "192.0.2.1");
    EXPECT_EQ(probes[1].address, "2001:db8::1");
    EXPECT_EQ(probes[0].port, 2525);
    EXPECT_EQ(probes[0].base_name, "mx1.example.net");
    // DANE-EE(3) checks no name (RFC 7672 §3.1.1): none is given.
    EXPECT_TRUE(probes[0].extra_names.empty());
    EXPECT_EQ(probes[0].records, (std::vector<tlsa::Record>{rec(3, 1, 1)}));
    EXPECT_EQ(overall(r), Overall::all_validated);
    EXPECT_TRUE(weak_paths(r).empty());
    EXPECT_TRUE(r.warnings.empty());
    EXPECT_FALSE(r.mx_verdict);
}

// Postfix 3.7: smtp_tls_dane_insecure_mx_policy = dane. The hosts' TLSA
// records are used (a mismatch defers mail), but a forged MX avoids them.
TEST_F(CheckWalk, InsecureMxStillUsesTheHostsTlsaAsPostfixDoes) {
    good_domain(Security::insecure);
    const Report r = run_for("example.net");
    EXPECT_FALSE(r.mx_verdict);
    EXPECT_TRUE(r.mx_insecure);
    EXPECT_TRUE(asked("TLSA _25._tcp.mx1.example.net"));
    EXPECT_EQ(probes.size(), 2U);
    EXPECT_EQ(r.hosts[0].verdict, Verdict::dane_validated);
    EXPECT_EQ(overall(r), Overall::degraded);
    EXPECT_EQ(weak_paths(r),
              (std::vector<std::string>{"the MX RRset of example.net is insecure: a forged MX answer avoids DANE"}));
    ASSERT_EQ(r.warnings.size(), 1U);
    EXPECT_EQ(r.warnings[0].rfind("the MX RRset of example.net is insecure: senders use the MX hosts' TLSA", 0), 0U);
}

TEST_F(CheckWalk, InsecureMxWithAMismatchDefers) {
    good_domain(Security::insecure);
    outcome = smtp::Outcome::no_match;
    const Report r = run_for("example.net");
    EXPECT_EQ(r.hosts[0].verdict, Verdict::failed);
    EXPECT_EQ(overall(r), Overall::deferred);
}

TEST_F(CheckWalk, InsecureMxAndInsecureHostsIsNotInEffect) {
    good_domain(Security::insecure);
    dns.set("mx1.example.net", RrType::a, Security::insecure, {dns::Address{false, "192.0.2.1"}});
    dns.set("mx1.example.net", RrType::aaaa, Security::insecure, {});
    const Report r = run_for("example.net");
    EXPECT_FALSE(asked("TLSA _25._tcp.mx1.example.net"));
    EXPECT_TRUE(probes.empty());
    EXPECT_EQ(overall(r), Overall::not_in_effect);
}

TEST_F(CheckWalk, BogusMxWouldDefer) {
    dns.set("example.net", RrType::mx, Security::bogus, {dns::Mx{10, "mx1.example.net"}});
    const Report r = run_for("example.net");
    EXPECT_EQ(*r.mx_verdict, Verdict::would_defer);
    EXPECT_EQ(r.mx_reason, "MX lookup bogus (example.net: signature expired)");
    EXPECT_TRUE(r.hosts.empty());
    EXPECT_EQ(overall(r), Overall::deferred);
}

// A bogus answer is the domain's fault only when the trust anchor's own
// zone validates (issue #22: never "senders would defer" for a local fault).
TEST_F(CheckWalk, ABogusMxIsTheDomainsFaultWhenTheAnchorZoneValidates) {
    dns.set("example.net", RrType::mx, Security::bogus, {dns::Mx{10, "mx1.example.net"}});
    dns.set(".", RrType::soa, Security::secure, {});
    const Report r = run_for("example.net");
    EXPECT_TRUE(asked("SOA ."));
    EXPECT_EQ(*r.mx_verdict, Verdict::would_defer);
}

TEST_F(CheckWalk, AnAnchorZoneThatDoesNotValidateIsThisMachinesFault) {
    dns.set("example.net", RrType::mx, Security::bogus, {dns::Mx{10, "mx1.example.net"}});
    dns.set(".", RrType::soa, Security::bogus, {});
    try {
        (void)run_for("example.net");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::io);
        EXPECT_EQ(std::string(e.what()),
                  "this machine cannot validate: the SOA lookup of the trust anchor's zone . is bogus (signature "
                  "expired): the trust anchor matches no key of ., or its name servers cannot be reached from here "
                  "(MX lookup bogus (example.net: signature expired) follows from it)");
    }
}

TEST_F(CheckWalk, TheClosestAnchorIsAskedAndAFailureDeeperInTheWalkCountsToo) {
    good_domain();
    dns.anchors = {".", "net.", "example.net."};
    dns.set("_25._tcp.mx1.example.net", RrType::tlsa, Security::insecure, {}, 2);
    dns.set("example.net", RrType::soa, Security::insecure, {}, 2);
    try {
        (void)run_for("example.net");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::io);
        EXPECT_NE(std::string(e.what()).find("trust anchor's zone example.net. failed (rcode 2)"), std::string::npos)
            << e.what();
    }
    EXPECT_FALSE(asked("SOA ."));
    EXPECT_TRUE(probes.empty());
}

TEST_F(CheckWalk, NoAnchorAboveTheNameMeansNoSoaLookup) {
    dns.set("example.net", RrType::mx, Security::bogus, {dns::Mx{10, "mx1.example.net"}});
    dns.anchors = {"example.org."};
    const Report r = run_for("example.net");
    EXPECT_FALSE(asked("SOA example.org"));
    EXPECT_EQ(*r.mx_verdict, Verdict::would_defer);
}

TEST_F(CheckWalk, ServfailMxWouldDefer) {
    dns.set("example.net", RrType::mx, Security::insecure, {}, 2);
    const Report r = run_for("example.net");
    EXPECT_EQ(*r.mx_verdict, Verdict::would_defer);
    EXPECT_EQ(r.mx_reason, "MX lookup SERVFAIL (example.net, rcode 2)");
}

TEST_F(CheckWalk, NxdomainDomainFails) {
    const Report r = run_for("example.net");
    EXPECT_EQ(*r.mx_verdict, Verdict::failed);
    EXPECT_EQ(r.mx_reason, "example.net does not exist (NXDOMAIN)");
    EXPECT_EQ(overall(r), Overall::deferred);
}

TEST_F(CheckWalk, NullMxAcceptsNoMail) {
    dns.set("example.net", RrType::mx, Security::secure, {dns::Mx{0, ""}});
    const Report r = run_for("example.net");
    EXPECT_EQ(*r.mx_verdict, Verdict::no_dane);
    EXPECT_EQ(r.mx_reason, "null MX (RFC 7505): example.net accepts no mail");
    EXPECT_EQ(overall(r), Overall::not_in_effect);
}

TEST_F(CheckWalk, NoMxMeansTheDomainIsItsOwnHost) {
    dns.set("example.net", RrType::mx, Security::secure, {});
    dns.set("example.net", RrType::a, Security::secure, {dns::Address{false, "192.0.2.9"}});
    dns.set("_25._tcp.example.net", RrType::tlsa, Security::secure, {rec(3, 1, 1)});
    const Report r = run_for("example.net");
    ASSERT_EQ(r.hosts.size(), 1U);
    EXPECT_EQ(r.hosts[0].host, "example.net");
    EXPECT_EQ(r.hosts[0].verdict, Verdict::dane_validated);
    ASSERT_EQ(r.warnings.size(), 1U);
    EXPECT_EQ(r.warnings[0].rfind("no MX records at example.net", 0), 0U);
}

TEST_F(CheckWalk, TlsaServfailWouldDeferAndIsNeverNoTlsa) {
    good_domain();
    dns.set("_25._tcp.mx1.example.net", RrType::tlsa, Security::insecure, {}, 2);
    const Report r = run_for("example.net");
    EXPECT_EQ(r.hosts[0].verdict, Verdict::would_defer);
    EXPECT_EQ(r.hosts[0].addresses[0].reason, "TLSA lookup SERVFAIL (_25._tcp.mx1.example.net, rcode 2)");
    EXPECT_TRUE(probes.empty());
    EXPECT_EQ(overall(r), Overall::deferred);
}

TEST_F(CheckWalk, TlsaBogusWouldDefer) {
    good_domain();
    dns.set("_25._tcp.mx1.example.net", RrType::tlsa, Security::bogus, {rec(3, 1, 1)});
    const Report r = run_for("example.net");
    EXPECT_EQ(r.hosts[0].verdict, Verdict::would_defer);
    EXPECT_EQ(r.hosts[0].reason, "TLSA lookup bogus (_25._tcp.mx1.example.net: signature expired)");
}

TEST_F(CheckWalk, SecureNodataTlsaIsNoDane) {
    good_domain();
    dns.set("_25._tcp.mx1.example.net", RrType::tlsa, Security::secure, {});
    const Report r = run_for("example.net");
    EXPECT_EQ(r.hosts[0].verdict, Verdict::no_dane);
    EXPECT_EQ(r.hosts[0].reason, "secure NODATA for TLSA at _25._tcp.mx1.example.net (senders use opportunistic TLS)");
    EXPECT_EQ(overall(r), Overall::not_in_effect);
}

TEST_F(CheckWalk, InsecureTlsaIsNoDane) {
    good_domain();
    dns.set("_25._tcp.mx1.example.net", RrType::tlsa, Security::insecure, {rec(3, 1, 1)});
    const Report r = run_for("example.net");
    EXPECT_EQ(r.hosts[0].verdict, Verdict::no_dane);
    EXPECT_TRUE(probes.empty());
}

TEST_F(CheckWalk, InsecureAddressesSkipTheTlsaLookup) {
    good_domain();
    dns.set("mx1.example.net", RrType::a, Security::insecure, {dns::Address{false, "192.0.2.1"}});
    dns.set("mx1.example.net", RrType::aaaa, Security::insecure, {dns::Address{true, "2001:db8::1"}});
    const Report r = run_for("example.net");
    EXPECT_EQ(r.hosts[0].verdict, Verdict::no_dane);
    EXPECT_EQ(r.hosts[0].reason, "the A records of mx1.example.net are insecure: no TLSA lookup (RFC 7672 §2.2.2)");
    EXPECT_FALSE(asked("TLSA _25._tcp.mx1.example.net"));
}

// Postfix looks A and AAAA up on their own: a bogus AAAA RRset costs the
// IPv6 addresses only, and mail goes over IPv4 with DANE.
TEST_F(CheckWalk, BogusAaaaSkipsIpv6OnlyAndIpv4Delivers) {
    good_domain();
    dns.set("mx1.example.net", RrType::aaaa, Security::bogus, {dns::Address{true, "2001:db8::1"}});
    const Report r = run_for("example.net");
    ASSERT_EQ(r.hosts[0].addresses.size(), 1U);
    EXPECT_EQ(r.hosts[0].addresses[0].address.text, "192.0.2.1");
    EXPECT_EQ(r.hosts[0].verdict, Verdict::dane_validated);
    ASSERT_EQ(probes.size(), 1U);
    EXPECT_EQ(r.hosts[0].skipped,
              (std::vector<std::string>{"AAAA lookup bogus (mx1.example.net: signature expired): senders skip the "
                                        "IPv6 addresses of mx1.example.net"}));
    EXPECT_EQ(overall(r), Overall::degraded);
    EXPECT_EQ(weak_paths(r), r.hosts[0].skipped);
}

TEST_F(CheckWalk, ServfailAOnlySkipsIpv4) {
    good_domain();
    dns.set("mx1.example.net", RrType::a, Security::insecure, {}, 2);
    const Report r = run_for("example.net");
    ASSERT_EQ(r.hosts[0].addresses.size(), 1U);
    EXPECT_EQ(r.hosts[0].addresses[0].address.text, "2001:db8::1");
    EXPECT_EQ(r.hosts[0].skipped.size(), 1U);
    EXPECT_EQ(r.hosts[0].skipped[0].rfind("A lookup SERVFAIL (mx1.example.net, rcode 2): senders skip the IPv4", 0),
              0U);
    EXPECT_EQ(overall(r), Overall::degraded);
}

TEST_F(CheckWalk, BothFamiliesFailedSkipsTheHostAndTheNextDelivers) {
    good_domain();
    dns.set("example.net", RrType::mx, Security::secure,
            {dns::Mx{10, "mx0.example.net"}, dns::Mx{20, "mx1.example.net"}});
    dns.set("mx0.example.net", RrType::a, Security::bogus, {dns::Address{false, "192.0.2.5"}});
    dns.set("mx0.example.net", RrType::aaaa, Security::insecure, {}, 2);
    const Report r = run_for("example.net");
    EXPECT_EQ(r.hosts[0].verdict, Verdict::would_defer);
    EXPECT_EQ(r.hosts[0].reason,
              "A lookup bogus (mx0.example.net: signature expired); AAAA lookup SERVFAIL (mx0.example.net, rcode 2)");
    EXPECT_TRUE(r.hosts[0].addresses.empty());
    EXPECT_EQ(r.hosts[1].verdict, Verdict::dane_validated);
    EXPECT_EQ(probes.size(), 2U);
    EXPECT_EQ(overall(r), Overall::degraded);
    const auto weak = weak_paths(r);
    ASSERT_EQ(weak.size(), 1U);
    EXPECT_EQ(weak[0].rfind("mx0.example.net: would-defer (A lookup bogus", 0), 0U) << weak[0];
}

TEST_F(CheckWalk, SecureAAndInsecureAaaaLeaveTheIpv6PathWithoutDane) {
    good_domain();
    dns.set("mx1.example.net", RrType::aaaa, Security::insecure, {dns::Address{true, "2001:db8::1"}});
    const Report r = run_for("example.net");
    ASSERT_EQ(probes.size(), 1U);
    EXPECT_EQ(probes[0].address, "192.0.2.1");
    EXPECT_EQ(r.hosts[0].addresses[0].verdict, Verdict::dane_validated);
    EXPECT_EQ(r.hosts[0].addresses[1].verdict, Verdict::no_dane);
    EXPECT_EQ(overall(r), Overall::degraded);
    EXPECT_EQ(weak_paths(r), (std::vector<std::string>{"mx1.example.net[2001:db8::1]: no DANE, opportunistic TLS: a "
                                                       "path an attacker can force"}));
}

TEST_F(CheckWalk, HostWithoutAddressesFails) {
    dns.set("example.net", RrType::mx, Security::secure, {dns::Mx{10, "mx1.example.net"}});
    const Report r = run_for("example.net");
    EXPECT_EQ(r.hosts[0].verdict, Verdict::failed);
    EXPECT_EQ(r.hosts[0].reason, "mx1.example.net has no A or AAAA records");
}

TEST_F(CheckWalk, CnameExpandedNameFirstThenOriginal) {
    dns.set("example.net", RrType::mx, Security::secure, {dns::Mx{10, "mx.example.net"}});
    dns.set("mx.example.net", RrType::a, Security::secure, {dns::Address{false, "192.0.2.1"}}, 0, "real.example.org");
    dns.set("mx.example.net", RrType::aaaa, Security::secure, {}, 0, "real.example.org");
    dns.set("_25._tcp.real.example.org", RrType::tlsa, Security::secure, {});
    dns.set("_25._tcp.mx.example.net", RrType::tlsa, Security::secure, {rec(2, 1, 1)});
    const Report r = run_for("example.net");
    const auto first = std::find(dns.asked.begin(), dns.asked.end(), "TLSA _25._tcp.real.example.org");
    const auto second = std::find(dns.asked.begin(), dns.asked.end(), "TLSA _25._tcp.mx.example.net");
    ASSERT_NE(first, dns.asked.end());
    EXPECT_LT(first, second);
    EXPECT_EQ(r.hosts[0].base_name, "mx.example.net");
    ASSERT_EQ(probes.size(), 1U);
    EXPECT_EQ(probes[0].base_name, "mx.example.net");
    EXPECT_EQ(probes[0].extra_names, (std::vector<std::string>{"example.net"}));
}

// A secure CNAME into an unsigned zone: the host is in a signed zone, so
// DANE applies with the original name as the TLSA base domain.
TEST_F(CheckWalk, SecureCnameIntoAnUnsignedZoneUsesTheOriginalName) {
    dns.set("example.net", RrType::mx, Security::secure, {dns::Mx{10, "mx.example.net"}});
    dns.set("mx.example.net", RrType::a, Security::insecure, {dns::Address{false, "192.0.2.1"}}, 0,
            "mail.unsigned.example");
    dns.set("mx.example.net", RrType::aaaa, Security::insecure, {}, 0, "mail.unsigned.example");
    dns.set("mx.example.net", RrType::cname, Security::secure, {dns::Cname{"mail.unsigned.example"}});
    dns.set("_25._tcp.mx.example.net", RrType::tlsa, Security::secure, {rec(3, 1, 1)});
    outcome = smtp::Outcome::no_match;
    const Report r = run_for("example.net");
    EXPECT_TRUE(asked("CNAME mx.example.net"));
    EXPECT_FALSE(asked("TLSA _25._tcp.mail.unsigned.example"));
    ASSERT_EQ(probes.size(), 1U);
    EXPECT_EQ(probes[0].base_name, "mx.example.net");
    EXPECT_EQ(r.hosts[0].verdict, Verdict::failed);
    EXPECT_EQ(overall(r), Overall::deferred);
}

TEST_F(CheckWalk, InsecureCnameFirstLinkMeansNoDane) {
    dns.set("example.net", RrType::mx, Security::secure, {dns::Mx{10, "mx.example.net"}});
    dns.set("mx.example.net", RrType::a, Security::insecure, {dns::Address{false, "192.0.2.1"}}, 0,
            "mail.unsigned.example");
    dns.set("mx.example.net", RrType::cname, Security::insecure, {dns::Cname{"mail.unsigned.example"}});
    const Report r = run_for("example.net");
    EXPECT_FALSE(asked("TLSA _25._tcp.mx.example.net"));
    EXPECT_TRUE(probes.empty());
    EXPECT_EQ(r.hosts[0].verdict, Verdict::no_dane);
    EXPECT_EQ(overall(r), Overall::not_in_effect);
}

TEST_F(CheckWalk, CnameTargetAsBaseKeepsTheOriginalAsAReferenceName) {
    dns.set("example.net", RrType::mx, Security::secure, {dns::Mx{10, "mx.example.net"}});
    dns.set("mx.example.net", RrType::a, Security::secure, {dns::Address{false, "192.0.2.1"}}, 0, "real.example.org");
    dns.set("_25._tcp.real.example.org", RrType::tlsa, Security::secure, {rec(2, 1, 1)});
    const Report r = run_for("example.net");
    EXPECT_EQ(r.hosts[0].base_name, "real.example.org");
    ASSERT_EQ(probes.size(), 1U);
    EXPECT_EQ(probes[0].base_name, "real.example.org");
    EXPECT_EQ(probes[0].extra_names, (std::vector<std::string>{"mx.example.net", "example.net"}));
}

TEST_F(CheckWalk, HostsInPreferenceOrderOneFailing) {
    good_domain();
    dns.set("example.net", RrType::mx, Security::secure,
            {dns::Mx{20, "mx1.example.net"}, dns::Mx{5, "mx0.example.net"}});
    dns.set("mx0.example.net", RrType::a, Security::secure, {dns::Address{false, "192.0.2.5"}});
    dns.set("_25._tcp.mx0.example.net", RrType::tlsa, Security::secure, {rec(3, 1, 1)});
    prober = [this](const smtp::ProbeRequest& req) {
        probes.push_back(req);
        smtp::ProbeResult res;
        res.outcome = req.address == "192.0.2.5" ? smtp::Outcome::no_match : smtp::Outcome::validated;
        res.reason = "why";
        return res;
    };
    const Report r = run_for("example.net");
    ASSERT_EQ(r.hosts.size(), 2U);
    EXPECT_EQ(r.hosts[0].host, "mx0.example.net");
    EXPECT_EQ(r.hosts[0].verdict, Verdict::failed);
    EXPECT_EQ(r.hosts[1].verdict, Verdict::dane_validated);
    // Senders skip the failing host and deliver through the other one.
    EXPECT_EQ(overall(r), Overall::degraded);
    EXPECT_EQ(weak_paths(r),
              (std::vector<std::string>{"mx0.example.net[192.0.2.5]: FAILED (why): senders skip this address"}));
}

// A sender tries at most 5 addresses (Postfix's smtp_mx_address_limit):
// the hosts after them get no TLSA lookup and no probe, and do not count.
struct AddressBudget : CheckWalk {
    /// `n` hosts mxN.example.net with two secure addresses each, at the
    /// preferences given (10 when not given), each with a 3 1 1 record.
    void hosts(std::size_t n, const std::vector<std::uint16_t>& prefs = {}) {
        std::vector<dns::Rdata> mx;
        for (std::size_t i = 1; i <= n; ++i) {
            const std::string h = "mx" + std::to_string(i) + ".example.net";
            mx.emplace_back(dns::Mx{i <= prefs.size() ? prefs[i - 1] : std::uint16_t{10}, h});
            dns.set(h, RrType::a, Security::secure, {dns::Address{false, "192.0.2." + std::to_string(i)}});
            dns.set(h, RrType::aaaa, Security::secure, {dns::Address{true, "2001:db8::" + std::to_string(i)}});
            dns.set("_25._tcp." + h, RrType::tlsa, Security::secure, {rec(3, 1, 1)});
        }
        dns.set("example.net", RrType::mx, Security::secure, std::move(mx));
    }
    Report run_with(unsigned max) {
        Request req;
        req.domain = "example.net";
        req.max_addresses = max;
        return check::run(req, dns, prober);
    }
};

TEST_F(AddressBudget, TheDefaultIsPostfixsFive) {
    EXPECT_EQ(Request{}.max_addresses, 5U);
}

TEST_F(AddressBudget, HostsAfterTheBudgetAreNotTriedAndDoNotCount) {
    hosts(4, {10, 10, 10, 20});
    outcome = smtp::Outcome::validated;
    const Report r = run_with(5);
    // Three hosts hold the first 5 addresses (the third one whole): 6 probes.
    ASSERT_EQ(r.hosts.size(), 3U);
    EXPECT_EQ(probes.size(), 6U);
    ASSERT_EQ(r.not_tried.size(), 1U);
    EXPECT_EQ(r.not_tried[0].host, "mx4.example.net");
    EXPECT_EQ(r.not_tried[0].preference, 20);
    EXPECT_EQ(r.not_tried[0].addresses, 2U);
    EXPECT_FALSE(asked("TLSA _25._tcp.mx4.example.net"));
    EXPECT_EQ(r.max_addresses, 5U);
    // A worse preference is never used: nothing to warn about.
    EXPECT_EQ(overall(r), Overall::all_validated);
    EXPECT_TRUE(std::none_of(r.warnings.begin(), r.warnings.end(),
                             [](const std::string& w) { return w.find("not checked") != std::string::npos; }));
}

TEST_F(AddressBudget, ACutBetweenHostsOfOnePreferenceIsSaid) {
    hosts(20);
    outcome = smtp::Outcome::timeout;
    const Report r = run_with(5);
    EXPECT_EQ(r.hosts.size(), 3U);
    EXPECT_EQ(probes.size(), 6U); // not 40: a domain of silent hosts costs the budget
    EXPECT_EQ(r.not_tried.size(), 17U);
    EXPECT_EQ(overall(r), Overall::deferred);
    ASSERT_FALSE(r.warnings.empty());
    EXPECT_EQ(r.warnings.front(),
              "17 MX hosts of preference 10 were not checked: they come after the first 5 addresses, but senders "
              "pick among the addresses of one preference at random and can use them");
}

TEST_F(AddressBudget, HostsWithoutAddressesCostNothingAndZeroMeansEveryHost) {
    hosts(4);
    dns.set("mx1.example.net", RrType::a, Security::secure, {});
    dns.set("mx1.example.net", RrType::aaaa, Security::secure, {});
    Report r = run_with(4);
    // mx1 has no address; mx2 and mx3 hold the 4.
    EXPECT_EQ(r.hosts.size(), 3U);
    ASSERT_EQ(r.not_tried.size(), 1U);
    EXPECT_EQ(r.not_tried[0].host, "mx4.example.net");
    probes.clear();
    r = run_with(0);
    EXPECT_EQ(r.hosts.size(), 4U);
    EXPECT_TRUE(r.not_tried.empty());
    EXPECT_EQ(probes.size(), 6U);
}

TEST_F(AddressBudget, MxHostModeIsOneHost) {
    hosts(1);
    Request req;
    req.domain = "mx1.example.net";
    req.mx_host = true;
    req.max_addresses = 1;
    const Report r = check::run(req, dns, prober);
    EXPECT_EQ(r.hosts.size(), 1U);
    EXPECT_EQ(probes.size(), 2U); // a host that starts within the budget is checked whole
    EXPECT_TRUE(r.not_tried.empty());
}

TEST_F(CheckWalk, OneHostWithDaneAndOneWithoutIsADowngradePath) {
    good_domain();
    dns.set("example.net", RrType::mx, Security::secure,
            {dns::Mx{10, "mx1.example.net"}, dns::Mx{20, "mx2.example.net"}});
    dns.set("mx2.example.net", RrType::a, Security::secure, {dns::Address{false, "192.0.2.2"}});
    dns.set("_25._tcp.mx2.example.net", RrType::tlsa, Security::secure, {});
    const Report r = run_for("example.net");
    EXPECT_EQ(r.hosts[1].verdict, Verdict::no_dane);
    EXPECT_EQ(overall(r), Overall::degraded);
    EXPECT_EQ(weak_paths(r), (std::vector<std::string>{"mx2.example.net[192.0.2.2]: no DANE, opportunistic TLS: a "
                                                       "path an attacker can force"}));
}

TEST_F(CheckWalk, EveryAddressFailingDefers) {
    good_domain();
    outcome = smtp::Outcome::no_starttls;
    const Report r = run_for("example.net");
    EXPECT_EQ(overall(r), Overall::deferred);
    EXPECT_EQ(weak_paths(r).size(), 2U);
}

// RFC 7672 §3.2.2 and Postfix: under DANE-TA(2) the certificate may name
// the next-hop (recipient) domain instead of the MX host.
TEST_F(CheckWalk, DaneTaAcceptsTheNextHopDomainAsAName) {
    good_domain();
    dns.set("_25._tcp.mx1.example.net", RrType::tlsa, Security::secure, {rec(2, 1, 1)});
    (void)run_for("example.net");
    ASSERT_EQ(probes.size(), 2U);
    EXPECT_EQ(probes[0].base_name, "mx1.example.net");
    EXPECT_EQ(probes[0].extra_names, (std::vector<std::string>{"example.net"}));
}

TEST_F(CheckWalk, MxHostModeSkipsTheMxLookup) {
    good_domain();
    dns.set("_25._tcp.mx1.example.net", RrType::tlsa, Security::secure, {rec(2, 1, 1)});
    const Report r = run_for("mx1.example.net", true);
    EXPECT_FALSE(asked("MX mx1.example.net"));
    EXPECT_EQ(dns.asked.front(), "A mx1.example.net");
    EXPECT_EQ(overall(r), Overall::all_validated);
    // No next-hop domain without an MX lookup.
    EXPECT_TRUE(probes[0].extra_names.empty());
}

/// A valid host name of `n` characters ending in example.net.
std::string long_host(std::size_t n) {
    std::string s = "example.net";
    while (s.size() < n) {
        std::size_t len = std::min<std::size_t>(63, n - s.size() - 1);
        if (n - s.size() - 1 - len == 1) {
            --len;
        }
        s = std::string(len, 'a') + "." + s;
    }
    return s;
}

TEST_F(CheckWalk, AnMxHostWithNoPossibleTlsaOwnerWouldDefer) {
    // 245 characters: _25._tcp.HOST. is 256 octets, a query no sender can send.
    const std::string host = long_host(245);
    dns.set("example.net", RrType::mx, Security::secure, {dns::Mx{10, host}});
    dns.set(host, RrType::a, Security::secure, {dns::Address{false, "192.0.2.1"}});
    const Report r = run_for("example.net");
    ASSERT_EQ(r.hosts.size(), 1U);
    EXPECT_EQ(r.hosts[0].verdict, Verdict::would_defer);
    EXPECT_EQ(r.hosts[0].addresses[0].reason,
              "the TLSA owner name _25._tcp." + host +
                  " would be 256 octets in DNS wire form, over the 255 a name may have (RFC 1035 §2.3.4): no TLSA "
                  "record can exist for this host");
    EXPECT_FALSE(asked("TLSA _25._tcp." + host));
    EXPECT_TRUE(probes.empty());
}

TEST_F(CheckWalk, AnMxHostGivenWithNoPossibleTlsaOwnerIsRefused) {
    try {
        (void)run_for(long_host(245), true);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::bad_input);
    }
    EXPECT_TRUE(dns.asked.empty());
}

// RFC 7672 §2.2: TLSA records that are all unusable still make TLS
// mandatory (without authentication).
TEST_F(CheckWalk, OnlyUnusableRecordsMakeTlsMandatory) {
    good_domain();
    dns.set("_25._tcp.mx1.example.net", RrType::tlsa, Security::secure, {rec(1, 1, 1), rec(3, 1, 9)});
    outcome = smtp::Outcome::no_match; // TLS worked, nothing could authenticate
    const Report r = run_for("example.net");
    EXPECT_EQ(probes.size(), 2U);
    EXPECT_EQ(r.hosts[0].verdict, Verdict::tls_unauthenticated);
    EXPECT_EQ(r.hosts[0].reason, "no usable TLSA record at _25._tcp.mx1.example.net.: TLS without authentication");
    EXPECT_EQ(overall(r), Overall::degraded);
    EXPECT_TRUE(std::any_of(r.warnings.begin(), r.warnings.end(), [](const std::string& w) {
        return w.find("no usable TLSA record: senders require TLS") != std::string::npos;
    })) << testing::PrintToString(r.warnings);
}

TEST_F(CheckWalk, OnlyUnusableRecordsAndNoStarttlsDefers) {
    good_domain();
    dns.set("_25._tcp.mx1.example.net", RrType::tlsa, Security::secure, {rec(1, 1, 1)});
    outcome = smtp::Outcome::no_starttls;
    const Report r = run_for("example.net");
    EXPECT_EQ(r.hosts[0].verdict, Verdict::failed);
    EXPECT_EQ(r.hosts[0].reason,
              "no TLSA record matches the server key (only unusable TLSA records, but TLS is still mandatory: RFC "
              "7672 §2.2)");
    EXPECT_EQ(overall(r), Overall::deferred);
}

TEST_F(CheckWalk, WarningsADaneExpertWouldGive) {
    good_domain();
    std::vector<dns::Rdata> many{rec(1, 1, 1)};
    for (std::uint8_t i = 0; i < 8; ++i) {
        many.emplace_back(rec(3, 0, 1, i));
    }
    dns.set("_25._tcp.mx1.example.net", RrType::tlsa, Security::secure, many, 0, "", 172800);
    dns.set("_25._tcp.example.net", RrType::tlsa, Security::secure, {rec(3, 1, 1)});
    dns.set("_mta-sts.example.net", RrType::txt, Security::secure, {dns::Txt{"v=STSv1; id=1"}});
    self_signed = true;
    const Report r = run_for("example.net");
    const auto has = [&](const std::string& start) {
        return std::any_of(r.warnings.begin(), r.warnings.end(),
                           [&](const std::string& w) { return w.find(start) != std::string::npos; });
    };
    EXPECT_TRUE(has("3 0 x records: they pin the whole certificate")) << testing::PrintToString(r.warnings);
    EXPECT_TRUE(has("1 1 1 record: usage 1 (PKIX) is not used for SMTP"));
    EXPECT_TRUE(has("9 TLSA records; more than 8"));
    EXPECT_TRUE(has("TLSA TTL 172800 s is above a day"));
    EXPECT_TRUE(has("TLSA records at _25._tcp.example.net. are never used"));
    EXPECT_TRUE(has("announces an MTA-STS policy, but a server sends a self-signed certificate"));
    EXPECT_EQ(r.warnings.size(), 6U);
}

TEST_F(CheckWalk, NoMtaStsWarningWithoutPolicy) {
    good_domain();
    self_signed = true;
    const Report r = run_for("example.net");
    EXPECT_TRUE(r.warnings.empty());
    EXPECT_TRUE(asked("TXT _mta-sts.example.net"));
}

TEST_F(CheckWalk, MtaStsPolicyWithACaCertificateIsFine) {
    good_domain();
    dns.set("_mta-sts.example.net", RrType::txt, Security::secure, {dns::Txt{"v=STSv1; id=1"}});
    self_signed = false;
    const Report r = run_for("example.net");
    EXPECT_TRUE(r.warnings.empty()) << testing::PrintToString(r.warnings);
}

TEST(CheckVerdict, Names) {
    EXPECT_EQ(verdict_name(Verdict::dane_validated), "dane-validated");
    EXPECT_EQ(verdict_name(Verdict::failed), "FAILED");
    EXPECT_EQ(verdict_name(Verdict::would_defer), "would-defer");
    EXPECT_EQ(verdict_name(Verdict::no_dane), "no-dane");
    EXPECT_EQ(verdict_name(Verdict::tls_unauthenticated), "tls-unauthenticated");
    EXPECT_EQ(overall_name(Overall::all_validated), "all-validated");
    EXPECT_EQ(overall_name(Overall::degraded), "degraded");
    EXPECT_EQ(overall_name(Overall::deferred), "deferred");
    EXPECT_EQ(overall_name(Overall::not_in_effect), "not-in-effect");
}

} // namespace
