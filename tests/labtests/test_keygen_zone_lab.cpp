// keygen's advice names the zone that holds the TLSA owner, looked up in the
// lab's NSD (signed test. zones on loopback, tests/lab/labctl). The expected
// zone comes from dig against the same NSD (the owner of the SOA in its
// answer or authority section), the DNSSEC state from unbound-host with the
// lab's own configuration: never from mxdane.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "lab_harness.h"

namespace {
using namespace mxdane::test;

/// keygen into a fresh directory, pointed at the lab's NSD (the resolver
/// options are what ask for the lookup).
RunResult keygen_in_lab(const TempDir& t, const std::string& host, bool json = false) {
    std::vector<std::string> argv{
        mxdane_binary().string(), "keygen", "--key", "p256", "--out", (t.path() / "k").string(), "--trust-anchor",
        env("LAB_TRUST_ANCHOR")};
    std::istringstream zones(env("LAB_STUB_ZONES"));
    std::string z;
    while (zones >> z) {
        argv.emplace_back("--stub");
        argv.push_back(z + "=" + env("LAB_DNS_ADDR") + "@" + env("LAB_DNS_PORT"));
    }
    if (json) {
        argv.emplace_back("--json");
    }
    argv.push_back(host);
    return run_process(argv);
}

/// dig's view: the owner of the SOA NSD returns for `name` SOA (in the
/// answer at an apex, in the authority section of a denial), without the
/// trailing dot; or dig's status line when there is none.
std::string dig_zone(const std::string& name) {
    const std::string dig = "dig +norecurse +time=2 +tries=2 -p " + env("LAB_DNS_PORT") + " @" + env("LAB_DNS_ADDR") +
                            " SOA '" + name + "'";
    std::string soa = shell(dig + " +noall +answer +authority | awk '$4 == \"SOA\" { print $1; exit }'");
    while (!soa.empty() && (soa.back() == '\n' || soa.back() == '.')) {
        soa.pop_back();
    }
    if (!soa.empty()) {
        return soa;
    }
    std::string status = shell(dig + " | sed -n 's/.*status: \\([A-Z]*\\),.*/\\1/p'");
    while (!status.empty() && status.back() == '\n') {
        status.pop_back();
    }
    return status;
}

/// unbound-host's verdict on the zone's SOA: "secure", "insecure" or "bogus".
std::string unbound_host_security(const std::string& zone) {
    std::string out = shell("unbound-host -C '" + env("LAB_UNBOUND_CONF") + "' -v -t SOA '" + zone +
                            "' | sed -n '1{s/.*(secure)$/secure/p;s/.*(insecure)$/insecure/p;s/.*(BOGUS.*/bogus/p}'");
    while (!out.empty() && out.back() == '\n') {
        out.pop_back();
    }
    return out;
}

TEST(KeygenZoneLab, NamesTheSignedZoneAboveAnExistingHost) {
    const TempDir t;
    const std::string zone = dig_zone("_25._tcp.mx1.secure.test");
    ASSERT_EQ(zone, "secure.test"); // the oracle agrees with the lab's README
    ASSERT_EQ(unbound_host_security(zone), "secure");
    const auto r = keygen_in_lab(t, "mx1.secure.test");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("  1. Publish the 3 1 1 record above in the zone " + zone +
                         " (DNSSEC-signed: its SOA validated secure)\n"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("warning:"), std::string::npos) << r.err;
}

TEST(KeygenZoneLab, AHostDeeperThanTheApexThatDoesNotExistYet) {
    // keygen runs before the host's records are published: the walk goes
    // up through names that do not exist to the apex.
    const TempDir t;
    const std::string zone = dig_zone("_25._tcp.new.mail.secure.test");
    ASSERT_EQ(zone, "secure.test");
    const auto r = keygen_in_lab(t, "new.mail.secure.test");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("in the zone " + zone + " (DNSSEC-signed: its SOA validated secure)\n"), std::string::npos)
        << r.err;
}

TEST(KeygenZoneLab, AHostInTheParentZoneGetsTheParent) {
    // secure.test is a delegated child of test.; a host beside it is test.'s.
    const TempDir t;
    const std::string zone = dig_zone("_25._tcp.mail.test");
    ASSERT_EQ(zone, "test");
    ASSERT_EQ(unbound_host_security(zone), "secure");
    const auto r = keygen_in_lab(t, "mail.test");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("in the zone " + zone + " (DNSSEC-signed: its SOA validated secure)\n"), std::string::npos)
        << r.err;
}

TEST(KeygenZoneLab, TheJsonOutputCarriesTheZone) {
    const TempDir t;
    const std::string zone = dig_zone("_25._tcp.mx1.secure.test");
    const auto r = keygen_in_lab(t, "mx1.secure.test", true);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["zone"], (nlohmann::json{{"apex", zone}, {"security", unbound_host_security(zone)}})) << r.out;
    std::ofstream(t.path() / "keygen.json") << r.out;
    const auto v =
        run_process({"python3", std::string(MXDANE_SOURCE_DIR) + "/tests/json/validate_json.py", "--validate",
                     std::string(MXDANE_SOURCE_DIR) + "/schema", "keygen.json", (t.path() / "keygen.json").string()});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;

    const TempDir u;
    const auto bogus = keygen_in_lab(u, "mx7.bogus.test", true);
    ASSERT_EQ(bogus.exit_code, 0) << bogus.err;
    EXPECT_TRUE(nlohmann::json::parse(bogus.out)["zone"].is_null()) << bogus.out;
}

TEST(KeygenZoneLab, AnUnsignedZoneIsNamedAndWarnedAbout) {
    const TempDir t;
    const std::string zone = dig_zone("_25._tcp.mx6.insecure.test");
    ASSERT_EQ(zone, "insecure.test");
    ASSERT_EQ(unbound_host_security(zone), "insecure");
    const auto r = keygen_in_lab(t, "mx6.insecure.test");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("warning: the zone " + zone +
                         " is not DNSSEC-signed (insecure): senders ignore TLSA records in it (RFC 7672 §2.2)\n"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("in the zone " + zone + " (not DNSSEC-validated: sign it first, see the warning)\n"),
              std::string::npos)
        << r.err;
}

TEST(KeygenZoneLab, ABogusZoneIsNotClaimed) {
    // The denial under bogus.test does not validate: where the zone cut is
    // cannot be trusted, so no zone is named; the reason is.
    const TempDir t;
    ASSERT_EQ(dig_zone("_25._tcp.mx7.bogus.test"), "bogus.test");
    ASSERT_EQ(unbound_host_security("bogus.test"), "bogus");
    const auto r = keygen_in_lab(t, "mx7.bogus.test");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("  1. Publish the 3 1 1 record above in the DNSSEC-signed zone that holds "
                         "_25._tcp.mx7.bogus.test.\n     (its zone could not be looked up: DNSSEC validation "
                         "failed at _25._tcp.mx7.bogus.test ("),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("the zone bogus.test"), std::string::npos) << r.err;
}

TEST(KeygenZoneLab, ABrokenDelegatedChildZoneIsNotGuessedAround) {
    // _tcp.mx8.secure.test is delegated and SERVFAILs: the owner lives in
    // that child, so naming secure.test would be wrong.
    const TempDir t;
    ASSERT_EQ(dig_zone("_25._tcp.mx8.secure.test"), "SERVFAIL");
    const auto r = keygen_in_lab(t, "mx8.secure.test");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("  1. Publish the 3 1 1 record above in the DNSSEC-signed zone that holds "
                         "_25._tcp.mx8.secure.test.\n     (its zone could not be looked up: the SOA lookup of "
                         "_25._tcp.mx8.secure.test failed (SERVFAIL))\n"),
              std::string::npos)
        << r.err;
}

} // namespace
