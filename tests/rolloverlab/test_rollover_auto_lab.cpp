// rollover auto (issue #6): daily passes with an injected clock take a live
// Postfix from key 1 to key 2 with no human step. DNS is changed only by
// mxdane, through TSIG-signed RFC 2136 updates to Knot DNS, which signs the
// zone (tests/lab/updlab); the check lab's Postfix serves mx16.dyn.test from
// the stable names. After every pass `mxdane check` must validate the host.
#include <gtest/gtest.h>

#include <ctime>
#include <fstream>
#include <map>

#include "../labtests/lab_harness.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;

const std::string host = "mx16.dyn.test";

std::map<std::string, std::string> updlab() {
    std::ifstream in(std::string(MXDANE_UPDLAB_DIR) + "/updlab.env");
    std::map<std::string, std::string> m;
    for (std::string line; std::getline(in, line);) {
        const auto eq = line.find('=');
        if (!line.empty() && line[0] != '#' && eq != std::string::npos) {
            m[line.substr(0, eq)] = line.substr(eq + 1);
        }
    }
    return m;
}

std::string iso(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

class RolloverAutoLab : public ::testing::Test {
  protected:
    std::map<std::string, std::string> u = updlab();
    fs::path keys = fs::path(env("LAB_ROT_DIR")) / "keys";
    fs::path state = fs::path(env("LAB_ROT_DIR")) / "state16";
    fs::path config = fs::path(env("LAB_ROT_DIR")) / "mx16.dyn.test.conf";

    void SetUp() override {
        if (u.empty()) {
            GTEST_SKIP() << "no update lab";
        }
        // Everything but the clock comes from the settings file, as on a
        // real host with a timer.
        std::ofstream(config) << "# rollover auto settings for the lab\n"
                              << "out = " << keys.string() << "\n"
                              << "state-dir = " << state.string() << "\n"
                              << "trust-anchor = " << u["UPD_TRUST_ANCHOR"] << "\n"
                              << "stub = " << u["UPD_ZONE"] << "=" << u["UPD_SERVER"] << "\n"
                              << "nsupdate = " << u["UPD_SERVER"] << "\n"
                              << "tsig-key = " << u["UPD_KEY"] << "\n"
                              << "publish-ttl = 2\n"
                              << "margin = 0\n"
                              << "key = p256\n"
                              << "reload = \"postfix -c " << env("LAB_POSTFIX_CONF") << " reload >/dev/null 2>&1\"\n"
                              << "verify-at = " << env("LAB_MX16_ADDR") << ":" << env("LAB_SMTP_PORT") << "\n";
    }

    RunResult pass(std::time_t now) const {
        return run_mxdane({"rollover", "auto", "--config", config.string(), "--now", iso(now), host});
    }

    RunResult check() const {
        return run_mxdane({"check", "--mx", host, "--port", env("LAB_SMTP_PORT"), "--timeout", "10", "--trust-anchor",
                           u.at("UPD_TRUST_ANCHOR"), "--stub", u.at("UPD_ZONE") + "=" + u.at("UPD_SERVER")});
    }

    void expect_validated(const std::string& when) const {
        const RunResult r = check();
        EXPECT_EQ(r.exit_code, 0) << when << "\n" << r.out << r.err;
    }
};

TEST_F(RolloverAutoLab, DailyPassesRotateTheKeyWithNoHumanStep) {
    // Day 0, by hand once: key 1, adopted, its record and the host's address
    // published, Postfix serving it.
    fs::create_directories(keys);
    auto r = run_mxdane({"keygen", "--key", "p256", "--out", keys.string(), host});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run_mxdane({"rollover", "init", "--out", keys.string(), "--state-dir", state.string(), host});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run_mxdane({"publish", host, "--cert", (keys / (host + "-MX.crt")).string(), "--ttl", "2", "--nsupdate",
                    u["UPD_SERVER"], "--tsig-key", u["UPD_KEY"]});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    shell("printf 'server 127.0.0.1 " + u["UPD_PORT"] + "\\nupdate add " + host + ". 2 IN A " + env("LAB_MX16_ADDR") +
          "\\nsend\\n' | nsupdate -k '" + u["UPD_KEY"] + "'");
    shell("postfix -c '" + env("LAB_POSTFIX_CONF") + "' reload >/dev/null 2>&1");
    expect_validated("day 0");

    const std::time_t t0 = std::time(nullptr);
    const std::time_t year = 366L * 86400;
    struct Expect {
        std::time_t at;
        std::string says;
    };
    // One pass a "day" (the clock is injected; the TLSA TTL is 2 s and the
    // margin 0, so the wait for caches ends 4 s after first sight).
    const std::vector<Expect> passes{
        {t0, "nothing to do: key 1 is 0 days old"},
        {t0 + year, "staged key 2"},
        {t0 + year + 1, "waiting: the record of key 2"},
        {t0 + year + 10, "activated key 2 (proven live)"},
        {t0 + year + 11, "retired key 1"},
        {t0 + year + 12, "nothing to do: key 2 is 0 days old"},
    };
    for (const auto& p : passes) {
        r = pass(p.at);
        EXPECT_EQ(r.exit_code, 0) << iso(p.at) << "\n" << r.out << r.err;
        EXPECT_NE(r.out.find(p.says), std::string::npos) << iso(p.at) << ": expected '" << p.says << "'\n"
                                                         << r.out << r.err;
        EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out; // one line per pass
        expect_validated("after the pass at " + iso(p.at));
    }
    EXPECT_TRUE(fs::exists(keys / "retired"));

    // Monitoring: one line, plug-in exit codes.
    const std::vector<std::string> dns{"--trust-anchor", u["UPD_TRUST_ANCHOR"], "--stub",
                                       u["UPD_ZONE"] + "=" + u["UPD_SERVER"]};
    auto nagios = [&](const std::string& verify_at, std::time_t now) {
        std::vector<std::string> args{"rollover",     "status",      "--nagios", "--out", keys.string(), "--state-dir",
                                      state.string(), "--verify-at", verify_at,  "--now", iso(now)};
        args.insert(args.end(), dns.begin(), dns.end());
        args.push_back(host);
        return run_mxdane(args);
    };
    const std::string mx16 = env("LAB_MX16_ADDR") + ":" + env("LAB_SMTP_PORT");
    r = nagios(mx16, t0 + year + 20);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(
        r.out.rfind("DANE OK - mx16.dyn.test at " + mx16 + ": the key in service is published in the secure TLSA RRset",
                    0),
        0U)
        << r.out;
    r = nagios(mx16, t0 + year + 400L * 86400);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("DANE WARNING - ", 0), 0U) << r.out;
    EXPECT_NE(r.out.find("past its life of 365 days and 30 days of grace: rotate it"), std::string::npos) << r.out;
    // Another server's key (mx1's) is not what DNS publishes for mx16.
    r = nagios(env("LAB_MX1_ADDR") + ":" + env("LAB_SMTP_PORT"), t0 + year + 20);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("DANE CRITICAL - mx16.dyn.test at " + env("LAB_MX1_ADDR"), 0), 0U) << r.out;
    EXPECT_NE(r.out.find("the MTA serves a key DNS does not publish"), std::string::npos) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
}

TEST_F(RolloverAutoLab, NagiosWithoutStateIsUnknown) {
    const RunResult r = run_mxdane({"rollover", "status", "--nagios", "--out", keys.string(), "--state-dir",
                                    (state / "none").string(), "--forward", "127.0.0.1@9", "mx99.dyn.test"});
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("DANE UNKNOWN - no rollover state for mx99.dyn.test", 0), 0U) << r.out;
}

TEST_F(RolloverAutoLab, APassWaitsWhileAnotherHoldsTheLock) {
    fs::create_directories(state);
    const std::string lock = (state / (host + ".lock")).string();
    // flock(1) holds the lock while it runs the pass, as a concurrent pass
    // would: the pass must say it waits and do nothing.
    const RunResult held =
        run_process({"flock", "-x", lock, "sh", "-c",
                     "'" + mxdane_binary().string() + "' rollover auto --config '" + config.string() + "' " + host});
    EXPECT_EQ(held.exit_code, 0) << held.out << held.err;
    EXPECT_NE(held.out.find("waiting: another pass for this host is running"), std::string::npos)
        << held.out << held.err;
}

TEST_F(RolloverAutoLab, AnUnknownSettingIsRefusedWithItsLine) {
    const fs::path bad = fs::path(env("LAB_ROT_DIR")) / "bad.conf";
    std::ofstream(bad) << "out = /tmp\n# comment\nkey-lfie = 365\n";
    const RunResult r = run_mxdane({"rollover", "auto", "--config", bad.string(), host});
    EXPECT_EQ(r.exit_code, 64) << r.err;
    EXPECT_NE(r.err.find("line 3: unknown setting 'key-lfie'"), std::string::npos) << r.err;
}

} // namespace
