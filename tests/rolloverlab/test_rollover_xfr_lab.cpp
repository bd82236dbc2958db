// The switch waits for every authoritative server (issue #24), against a
// real topology: Knot is the hidden primary of xfr.test. (it signs and takes
// mxdane's RFC 2136 updates), two NSD secondaries fed by NOTIFY + IXFR with
// TSIG are the zone's only name servers (tests/lab/updlab, "xfr"), and the
// check lab's Postfix serves mx20.xfr.test from the stable names. The
// resolver's stub names both secondaries, as a parent's delegation would;
// the primary is never asked. What the servers hold is read with dig (the
// oracle); the clock is injected, the TLSA TTL is 2 s and the margin 0.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <thread>

#include "../labtests/lab_harness.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;

const std::string host = "mx20.xfr.test";

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

class XfrLab : public ::testing::Test {
  protected:
    const LabPostfixLock m_postfix_lock; ///< first: held while the fixture lives
    std::map<std::string, std::string> u = env_file(std::string(MXDANE_UPDLAB_DIR) + "/updlab.env");
    fs::path keys = fs::path(env("LAB_ROT_DIR")) / "keys";
    fs::path state = fs::path(env("LAB_ROT_DIR")) / "state20";
    fs::path config = fs::path(env("LAB_ROT_DIR")) / "mx20.xfr.test.conf";
    std::string mx20 = env("LAB_MX20_ADDR") + ":" + env("LAB_SMTP_PORT");
    std::string ns1 = "ns1.xfr.test (127.0.3.1)";
    std::string ns2 = "ns2.xfr.test (127.0.3.2)";
    std::time_t t0 = std::time(nullptr);
    std::time_t year = 366L * 86400;

    void SetUp() override {
        if (u.empty() || !u.contains("UPD_XFR_ZONE")) {
            GTEST_SKIP() << "no update lab with secondaries in " << MXDANE_UPDLAB_DIR;
        }
        // Whatever an earlier test left: both secondaries up and current,
        // signatures of 14 days, this host's files, state and records gone.
        xfr("unblock 1");
        xfr("start-if-stopped 2");
        xfr("unblock 2");
        xfr("sign 14d");
        shell("rm -rf '" + state.string() + "' '" + keys.string() + "/" + host + "-MX'* '" + keys.string() +
              "/retired/" + host + "-MX'*");
        updlab_nsupdate(u, "update delete _25._tcp." + host + ". TLSA\nupdate delete " + host +
                               ". A\nupdate delete note.xfr.test. TXT");
        std::ofstream(config) << "# rollover settings for the three-server lab\n"
                              << "out = " << keys.string() << "\n"
                              << "state-dir = " << state.string() << "\n"
                              << "trust-anchor = " << u.at("UPD_XFR_TRUST_ANCHOR") << "\n"
                              << "stub = xfr.test=" << u.at("UPD_XFR_SECONDARY1") << "\n"
                              << "stub = xfr.test=" << u.at("UPD_XFR_SECONDARY2") << "\n"
                              << "nsupdate = " << u.at("UPD_SERVER") << "\n"
                              << "tsig-key = " << u.at("UPD_KEY") << "\n"
                              << "publish-ttl = 2\n"
                              << "margin = 0\n"
                              << "key = p256\n"
                              << "reload = \"" << env("LAB_POSTFIX_RELOAD") << "\"\n"
                              << "verify-at = " << mx20 << "\n";
        // Day 0: key 1 in service, its record and the address published
        // through the primary, both secondaries serving them.
        fs::create_directories(keys);
        auto r = run_mxdane({"keygen", "--key", "p256", "--out", keys.string(), host});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        r = run_mxdane({"rollover", "init", "--config", config.string(), host});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        r = run_mxdane({"publish", host, "--cert", (keys / (host + "-MX.crt")).string(), "--ttl", "2", "--nsupdate",
                        u.at("UPD_SERVER"), "--tsig-key", u.at("UPD_KEY")});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        updlab_nsupdate(u, "update add " + host + ". 2 IN A " + env("LAB_MX20_ADDR"));
        shell(env("LAB_POSTFIX_RELOAD"));
        wait_current(1);
        wait_current(2);
        expect_validated("day 0");
        t0 = std::time(nullptr) + 1; // after every time init recorded
    }

    /// updlab's control of the secondaries ("block 2", "sign 3d", ...).
    void xfr(const std::string& what) const {
        if (what == "start-if-stopped 2") {
            if (serial_at(2).empty()) {
                xfr("start 2");
            }
            return;
        }
        shell("'" MXDANE_SOURCE_DIR "/tests/lab/updlab' xfr '" + u.at("UPD_DIR") + "' " + what);
    }

    /// The SOA serial a server serves (0: the hidden primary), by dig.
    [[nodiscard]] std::string serial_at(int n) const {
        const std::string addr = n == 0 ? "127.0.0.1" : "127.0.3." + std::to_string(n);
        return trimmed(shell("dig -p " + u.at("UPD_PORT") + " @" + addr +
                             " +norec +time=1 +tries=1 +short SOA xfr.test. | awk 'NF >= 7 { print $3 }' || true"));
    }

    /// Waits (up to 20 s) until secondary n serves the primary's serial.
    void wait_current(int n) const {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (serial_at(n) != serial_at(0)) {
            ASSERT_LT(std::chrono::steady_clock::now(), deadline)
                << "secondary " << n << " serves " << serial_at(n) << ", the primary " << serial_at(0);
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }

    /// The TLSA RRset a server serves, by dig: "3 1 1 ABC..." lines, sorted.
    [[nodiscard]] std::string tlsa_at(int n) const {
        return shell("dig -p " + u.at("UPD_PORT") + " @127.0.3." + std::to_string(n) + " +norec +short TLSA _25._tcp." +
                     host + ". | tr -d ' ' | sort");
    }

    [[nodiscard]] RunResult rollover(const std::string& step, std::time_t now,
                                     const std::vector<std::string>& extra = {}) const {
        std::vector<std::string> args{"rollover", step, "--config", config.string(), "--test-clock", iso(now)};
        args.insert(args.end(), extra.begin(), extra.end());
        args.push_back(host);
        return run_mxdane(args);
    }

    [[nodiscard]] RunResult nagios(std::time_t now) const {
        // The settings file's margin (0) and resolver, as a monitoring
        // check on the host would read them.
        return rollover("status", now, {"--nagios"});
    }

    void expect_validated(const std::string& when) const {
        const RunResult r =
            run_mxdane({"check", "--mx", host, "--port", env("LAB_SMTP_PORT"), "--timeout", "10", "--trust-anchor",
                        u.at("UPD_XFR_TRUST_ANCHOR"), "--stub", "xfr.test=" + u.at("UPD_XFR_SECONDARY1"), "--stub",
                        "xfr.test=" + u.at("UPD_XFR_SECONDARY2")});
        EXPECT_EQ(r.exit_code, 0) << when << "\n" << r.out << r.err;
    }
};

TEST_F(XfrLab, BlockedTransfersHoldTheSwitchUntilTheSecondaryCatchesUpAndARaisedTtlGrowsTheWait) {
    // Secondary 2's transfers are refused by the primary (as after a TSIG
    // mismatch): it keeps serving the zone it has.
    xfr("block 2");
    const std::string old_serial = serial_at(2);
    auto r = rollover("auto", t0 + year);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "staged key 2")) << r.out;
    wait_current(1);
    EXPECT_EQ(serial_at(2), old_serial);
    EXPECT_NE(tlsa_at(1), tlsa_at(2)); // dig: secondary 1 has the next record, 2 does not

    // status waits (exit 4) and names the server, its serial and the newest.
    r = rollover("status", t0 + year + 10);
    EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, ns2 + " serves serial " + old_serial + " without it")) << r.out;
    EXPECT_TRUE(contains(r.out, "the others serve serial " + serial_at(0))) << r.out;
    // activate refuses (exit 1) for the same reason, and switches nothing.
    r = rollover("activate", t0 + year + 10);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, ns2)) << r.out << r.err;
    // The daily pass waits with the reason (exit 0: not yet overdue).
    r = rollover("auto", t0 + year + 12);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "waiting")) << r.out;
    EXPECT_TRUE(contains(r.out, ns2)) << r.out;
    expect_validated("while secondary 2 lags");
    // Monitoring: with a margin of 0 the held switch is overdue once 2 x
    // TTL has passed since the lag was first recorded.
    r = nagios(t0 + year + 30);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "DANE CRITICAL - ")) << r.out;
    EXPECT_TRUE(contains(r.out, "the switch to key 2 is overdue: " + ns2 + " has served serial " + old_serial))
        << r.out << shell("cat '" + (state / (host + ".json")).string() + "'");
    // The plug-in's long text: one line per server, as status shows it.
    EXPECT_TRUE(contains(r.out, "\n" + ns1 + ": key 1, key 2, TTL 2, serial " + serial_at(1))) << r.out;
    EXPECT_TRUE(contains(r.out, "\n" + ns2 + ": key 1, TTL 2, serial " + old_serial)) << r.out;
    EXPECT_TRUE(contains(r.out, ", behind since " + iso(t0 + year + 10))) << r.out;

    // Unblocked: the wait starts from the moment the last server serves it.
    xfr("unblock 2");
    EXPECT_EQ(tlsa_at(1), tlsa_at(2));
    r = rollover("auto", t0 + year + 40);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "waiting")) << r.out;
    EXPECT_TRUE(contains(r.out, "switching is safe from " + iso(t0 + year + 44))) << r.out;

    // The TTL raised to 30 s at the primary while waiting (the RRset
    // replaced in one update): the wait grows to 2 x 30 s from the same
    // first sight.
    const std::string rrset =
        shell("dig -p " + u.at("UPD_PORT") + " @127.0.0.1 +norec +noall +answer TLSA _25._tcp." + host +
              ". | awk '{ print \"update add \" $1 \" 30 IN TLSA \" $5 \" \" $6 \" \" $7 " + "\" \" $8 $9 $10 }'");
    ASSERT_FALSE(trimmed(rrset).empty());
    updlab_nsupdate(u, "update delete _25._tcp." + host + ". TLSA\n" + rrset);
    wait_current(1);
    wait_current(2);
    r = rollover("status", t0 + year + 45);
    EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, iso(t0 + year + 100))) << r.out; // 40 + 2 x 30
    r = rollover("auto", t0 + year + 101);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "activated key 2 (proven live)")) << r.out;
    wait_current(1);
    wait_current(2);
    r = rollover("auto", t0 + year + 102);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    wait_current(1);
    wait_current(2);
    r = rollover("auto", t0 + year + 103);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "retired key 1") || contains(r.out, "nothing to do: key 2")) << r.out;
    expect_validated("after the rotation through the three servers");
    r = nagios(t0 + year + 110);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(XfrLab, ASilentSecondaryHoldsTheSwitchAndForceSaysTheRisk) {
    auto r = rollover("auto", t0 + year);
    EXPECT_TRUE(contains(r.out, "staged key 2")) << r.out;
    xfr("stop 2");
    wait_current(1);
    r = rollover("status", t0 + year + 10);
    EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, ns2 + " did not answer")) << r.out;
    r = rollover("activate", t0 + year + 10);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, ns2)) << r.out << r.err;
    // --force switches, with the risk said.
    r = rollover("activate", t0 + year + 11, {"--force"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "defer")) << r.out << r.err;
    // Started again from its last zone file, it catches up.
    xfr("start 2");
    wait_current(2);
    expect_validated("after the forced switch, secondary 2 back");
}

TEST_F(XfrLab, SignaturesNearTheirExpirationWarnThenAreCriticalAndReSigningClearsIt) {
    auto r = nagios(t0);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    xfr("sign 3d");
    r = nagios(t0);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "DANE WARNING - ")) << r.out;
    EXPECT_TRUE(contains(r.out, "the signatures over the ")) << r.out;
    EXPECT_TRUE(contains(r.out, "expire in 2 days")) << r.out;
    // A signer that stopped an hour before its signatures run out.
    xfr("sign 2h");
    r = nagios(std::time(nullptr));
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "DANE CRITICAL - ")) << r.out;
    EXPECT_TRUE(contains(r.out, "expire in 1 hour")) << r.out;
    // The time named is the one dig reads in the RRSIG (the clock given is
    // this machine's, to the second).
    const std::string exp = trimmed(shell("dig -p " + u.at("UPD_PORT") +
                                          " @127.0.3.1 +norec +dnssec +noall +answer "
                                          "TLSA _25._tcp." +
                                          host + ". | awk '$4 == \"RRSIG\" { print $9 }'"));
    ASSERT_EQ(exp.size(), 14U) << exp;
    const auto at = r.out.find("expire in 1 hour, at ");
    ASSERT_NE(at, std::string::npos) << r.out;
    const std::string said = r.out.substr(at + 21, 20);
    std::tm tm{};
    ASSERT_NE(strptime(exp.c_str(), "%Y%m%d%H%M%S", &tm), nullptr) << exp;
    const std::time_t by_dig = timegm(&tm);
    tm = {};
    ASSERT_NE(strptime(said.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm), nullptr) << said;
    EXPECT_LE(std::abs(timegm(&tm) - by_dig), 2) << said << " (dig: " << exp << ")";
    xfr("sign 14d");
    r = nagios(t0);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(XfrLab, ASecondaryBehindForMoreThanADayIsAWarningUntilItCatchesUp) {
    xfr("block 2");
    const std::string old_serial = serial_at(2);
    updlab_nsupdate(u, "update add note.xfr.test. 60 IN TXT \"a change the blocked secondary misses\"");
    wait_current(1);
    // The daily pass records since when it lags; monitoring warns a day on.
    auto r = rollover("auto", t0);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    r = nagios(t0 + 3600);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    r = nagios(t0 + 86400 + 1);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, ns2 + " has served serial " + old_serial + " since " + iso(t0) +
                                    ", while another server serves " + serial_at(1)))
        << r.out;
    xfr("unblock 2");
    r = rollover("auto", t0 + 86400 + 2);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    r = nagios(t0 + 86400 + 3);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

} // namespace
