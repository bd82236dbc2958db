// rollover through the real binary, for what the engine added: --dry-run
// that changes nothing, --json with the project's shape, --config on every
// subcommand, health first in status, and publish --dry-run. DNS-driven
// behaviour runs against real servers in tests/rolloverlab.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <grp.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_harness.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;

const std::string host = "mx1.example.net";

struct Box {
    TempDir tmp;
    fs::path keys = tmp.path() / "keys";
    fs::path state = tmp.path() / "state";
    [[nodiscard]] RunResult rollover(const std::string& step, std::vector<std::string> extra = {}) const {
        std::vector<std::string> args{"rollover", step, "--out", keys.string(), "--state-dir", state.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        args.push_back(host);
        return run_mxdane(args);
    }
    void init() const {
        auto r = run_mxdane({"keygen", "--key", "p256", "--out", keys.string(), host});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        r = rollover("init");
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    /// Every file under the box with its bytes, link target and mode.
    [[nodiscard]] std::string snapshot() const {
        std::vector<std::string> lines;
        for (const auto& e : fs::recursive_directory_iterator(tmp.path())) {
            std::string line = e.path().string();
            if (fs::is_symlink(e.symlink_status())) {
                line += " -> " + fs::read_symlink(e.path()).string();
            } else if (fs::is_regular_file(e.status())) {
                std::ifstream in(e.path(), std::ios::binary);
                std::ostringstream text;
                text << in.rdbuf();
                line += " " + std::to_string(static_cast<unsigned>(e.status().permissions())) + " " + text.str();
            }
            lines.push_back(line);
        }
        std::sort(lines.begin(), lines.end());
        std::string all;
        for (const auto& l : lines) {
            all += l + "\n";
        }
        return all;
    }
};

TEST(RolloverEngineCli, StageDryRunChangesNothing) {
    const Box b;
    b.init();
    const std::string before = b.snapshot();
    const auto r = b.rollover("stage", {"--dry-run"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("dry run: would make key 2"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Dry run: nothing was changed."), std::string::npos) << r.err;
    EXPECT_EQ(b.snapshot(), before);
}

TEST(RolloverEngineCli, EmergencyDryRunChangesNothing) {
    const Box b;
    b.init();
    const std::string before = b.snapshot();
    const auto r = b.rollover("emergency", {"--dry-run", "--publish-hook", "touch " + (b.tmp.path() / "ran").string(),
                                            "--reload", "touch " + (b.tmp.path() / "reloaded").string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("would publish"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("would withdraw"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("would point"), std::string::npos) << r.err;
    EXPECT_EQ(b.snapshot(), before);
}

TEST(RolloverEngineCli, StageJsonHasTheProjectShape) {
    const Box b;
    b.init();
    const auto r = b.rollover("stage", {"--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j.at("command"), "rollover stage");
    EXPECT_EQ(j.at("exit"), 0);
    EXPECT_TRUE(j.at("warnings").is_array());
    ASSERT_EQ(j.at("to_publish").size(), 1U);
    const auto& rec = j.at("to_publish").at(0);
    EXPECT_EQ(rec.at("owner"), "_25._tcp.mx1.example.net.");
    EXPECT_TRUE(rec.at("ttl").is_null());
    EXPECT_EQ(rec.at("usage"), 3);
    EXPECT_EQ(rec.at("selector"), 1);
    EXPECT_EQ(rec.at("mtype"), 1);
    EXPECT_EQ(rec.at("data").get<std::string>().size(), 64U);
    ASSERT_EQ(j.at("keys").size(), 2U);
    EXPECT_TRUE(j.at("keys").at(1).at("active").is_null());
    EXPECT_EQ(j.at("keys").at(0).at("created").get<std::string>().back(), 'Z');
}

TEST(RolloverEngineCli, StageJsonHasNoPlanAndNoDnsItDidNotLookAt) {
    const Box b;
    b.init();
    const auto r = b.rollover("stage", {"--json", "--dry-run"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j.at("outcome"), "acted");
    EXPECT_EQ(j.at("summary"), "would stage key 2");
    for (const char* k : {"dns", "step", "can_act_now", "reason", "allowed_at", "should_publish"}) {
        EXPECT_TRUE(j.at(k).is_null()) << k << ": " << j.at(k);
    }
}

TEST(RolloverEngineCli, StatusRefusesJsonWithNagios) {
    const Box b;
    b.init();
    const auto r = b.rollover("status", {"--json", "--nagios"});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("error: --json excludes --nagios"), std::string::npos) << r.err;
}

TEST(RolloverEngineCli, AutoJsonWhileAnotherPassHoldsTheLock) {
    const Box b;
    b.init();
    // flock(1) holds the host lock as another pass would; auto waits for
    // the next day, and says so in JSON too.
    std::vector<std::string> args{"flock",
                                  (b.state / (host + ".lock")).string(),
                                  mxdane_binary().string(),
                                  "rollover",
                                  "auto",
                                  "--json",
                                  "--out",
                                  b.keys.string(),
                                  "--state-dir",
                                  b.state.string(),
                                  host};
    const auto r = run_process(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j.at("command"), "rollover auto");
    EXPECT_EQ(j.at("exit"), 0);
    EXPECT_EQ(j.at("outcome"), "waiting");
    EXPECT_EQ(j.at("summary"), "another pass for this host is running");
    EXPECT_TRUE(j.at("dns").is_null());
}

TEST(RolloverEngineCli, StageHintsCarryTheOptionsUsed) {
    const Box b;
    b.init();
    const auto r = b.rollover("stage");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(
        r.err.find("mxdane rollover status --out " + b.keys.string() + " --state-dir " + b.state.string() + " " + host),
        std::string::npos)
        << r.err;
}

TEST(RolloverEngineCli, StageWithAPublisherPrintsThePublishCommand) {
    const Box b;
    b.init();
    const auto r = b.rollover("stage", {"--publish-hook", "true"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("mxdane publish --publish-hook true --cert "), std::string::npos) << r.err;
}

TEST(RolloverEngineCli, ConfigIsAcceptedByStatusAndUnknownSettingsAreRefused) {
    const Box b;
    b.init();
    const fs::path conf = b.tmp.path() / "bad.conf";
    std::ofstream(conf) << "nsupdate = 127.0.0.1@9\nkey-lfie = 3\n";
    const auto r = b.rollover("status", {"--config", conf.string()});
    EXPECT_EQ(r.exit_code, 64) << r.err;
    EXPECT_NE(r.err.find("line 2: unknown setting 'key-lfie'"), std::string::npos) << r.err;
}

// No DNS server at all is this machine's failure, not a verdict on the
// host's DNS (README "Exit codes"): an error, exit 2. A server that answers
// SERVFAIL is the critical verdict (tests/labtests/test_rollover_health_nsd_lab.cpp).
TEST(RolloverEngineCli, StatusWithoutAReachableResolverIsAnErrorNotAVerdict) {
    const Box b;
    b.init();
    const auto r = b.rollover("status", {"--forward", "127.0.0.1@9"});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(r.err, "error: cannot reach DNS (no answer from 127.0.0.1@9)\n") << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(RolloverEngineCli, StatusJsonCarriesTheExpiryWarningAndSaysItOnStderr) {
    const Box b;
    b.init();
    // A DNS server that is there (tests/lab/servfail.py): status reports
    // instead of stopping at "cannot reach DNS". The trust anchor is of
    // another zone, so that the SERVFAIL is the host's, not "this machine
    // cannot validate" (the root's SOA would fail too).
    const fs::path anchor = b.tmp.path() / "other.ds";
    std::ofstream(anchor) << "example.org. IN DS 12345 13 2 " << std::string(64, '0') << "\n";
    const std::string script =
        "python3 '" MXDANE_SOURCE_DIR "/tests/lab/servfail.py' > '" + (b.tmp.path() / "port").string() +
        "' 2>/dev/null </dev/null &\n"
        "spid=$!\n"
        "for i in $(seq 50); do [ -s '" +
        (b.tmp.path() / "port").string() + "' ] && break; sleep 0.1; done\n'" + mxdane_binary().string() +
        "' rollover status --json --renew-before 3650 --forward 127.0.0.1@$(cat '" + (b.tmp.path() / "port").string() +
        "') --trust-anchor '" + anchor.string() + "' --out '" + b.keys.string() + "' --state-dir '" + b.state.string() +
        "' " + host +
        "\n"
        "rc=$?\n"
        "kill $spid\n"
        "exit $rc\n";
    const auto r = run_process({"sh", "-c", script});
    EXPECT_EQ(r.exit_code, 1) << r.err; // SERVFAIL: health critical
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j.at("warnings").size(), 1U) << r.out;
    const std::string w = j.at("warnings").at(0);
    EXPECT_EQ(w.rfind("the certificate of key 1 expires ", 0), 0U) << w;
    EXPECT_NE(r.err.find("warning: " + w + "\n"), std::string::npos) << r.err;
    EXPECT_EQ(j.at("dns").at("security"), "failed");
    EXPECT_EQ(j.at("dns").at("why"), "SERVFAIL");
    EXPECT_EQ(j.at("health").at("level"), "critical");
}

// Issue #23, point 5: when nothing validates here (every answer SERVFAIL,
// the root's SOA included), status, --nagios and auto blame this machine:
// exit 2 or UNKNOWN, never "senders defer".
TEST(RolloverEngineCli, AMachineThatCannotValidateIsExit2OrUnknownNeverSendersDefer) {
    const Box b;
    b.init();
    const fs::path port = b.tmp.path() / "port";
    const std::string m = "'" + mxdane_binary().string() + "' rollover ";
    const std::string rest = " --forward 127.0.0.1@$(cat '" + port.string() + "') --out '" + b.keys.string() +
                             "' --state-dir '" + b.state.string() + "' " + host;
    const std::string script = "python3 '" MXDANE_SOURCE_DIR "/tests/lab/servfail.py' > '" + port.string() +
                               "' 2>/dev/null </dev/null &\nspid=$!\n"
                               "for i in $(seq 50); do [ -s '" +
                               port.string() + "' ] && break; sleep 0.1; done\n" + m + "status" + rest +
                               "; echo \"status=$?\"\n" + m + "status --nagios" + rest + "; echo \"nagios=$?\"\n" + m +
                               "auto" + rest + "; echo \"auto=$?\"\nkill $spid\n";
    const auto r = run_process({"sh", "-c", script});
    const std::string why =
        "this machine cannot validate: the SOA lookup of the trust anchor's zone . failed (rcode 2)";
    EXPECT_NE(r.out.find("status=2"), std::string::npos) << r.out << r.err;
    EXPECT_NE(r.err.find("error: " + why), std::string::npos) << r.err;
    EXPECT_NE(r.out.find("DANE UNKNOWN - " + why), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("nagios=3"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("auto=2"), std::string::npos) << r.out << r.err;
    EXPECT_EQ(r.out.find("defer"), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find("senders defer"), std::string::npos) << r.err;
}

TEST(RolloverEngineCli, StageAfterKeygenWithAKeyGroupKeepsTheGroup) {
    const Box b;
    // This test's own group: chown to it needs no privilege.
    const struct group* g = ::getgrgid(::getegid());
    ASSERT_NE(g, nullptr);
    const std::string group = g->gr_name;
    auto r = run_mxdane({"keygen", "--key", "p256", "--key-group", group, "--out", b.keys.string(), host});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(b.rollover("init").exit_code, 0);
    r = b.rollover("stage");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    struct stat st {};
    const std::string next = shell("ls '" + b.keys.string() + "'/*-2.key | tr -d '\\n'");
    ASSERT_EQ(::stat(next.c_str(), &st), 0) << next;
    EXPECT_EQ(st.st_mode & 0777U, 0440U);
    EXPECT_EQ(st.st_gid, ::getegid());
}

TEST(RolloverEngineCli, StageWithAnUnknownKeyGroupIsRefused) {
    const Box b;
    b.init();
    const auto r = b.rollover("stage", {"--key-group", "no-such-group-mxdane"});
    EXPECT_EQ(r.exit_code, 64) << r.err;
    EXPECT_NE(r.err.find("no group named 'no-such-group-mxdane'"), std::string::npos) << r.err;
}

TEST(PublishDryRunCli, PrintsTheChangeAndRunsNoHook) {
    const Box b;
    b.init();
    const fs::path ran = b.tmp.path() / "ran";
    const auto r = run_mxdane({"publish", host, "--cert", (b.keys / (host + "-MX.crt")).string(), "--publish-hook",
                               "touch " + ran.string(), "--dry-run"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("update add _25._tcp.mx1.example.net. 3600 IN TLSA 3 1 1 "), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("nothing was changed"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(ran));
}

} // namespace
