// The rollover engine's health and healing against real servers: Knot DNS
// signing the zone and taking RFC 2136 updates (tests/lab/updlab), the check
// lab's Postfix serving mx16.dyn.test from the stable names. What the zone
// holds is read with dig, the record's value computed with openssl, and
// whether senders deliver is `mxdane check`'s walk.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "../labtests/lab_harness.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;

const std::string host = "mx16.dyn.test";
const std::string owner = "_25._tcp.mx16.dyn.test.";

class RolloverHealthLab : public ::testing::Test {
  protected:
    const LabPostfixLock m_postfix_lock; ///< first: held while the fixture lives
    std::map<std::string, std::string> u = env_file(std::string(MXDANE_UPDLAB_DIR) + "/updlab.env");
    fs::path rot = fs::path(env("LAB_ROT_DIR"));
    fs::path keys = rot / "keys";
    fs::path work;
    fs::path state;
    fs::path config;

    void SetUp() override {
        if (u.empty()) {
            GTEST_SKIP() << "no update lab";
        }
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        work = rot / (std::string("health-") + info->name());
        fs::remove_all(work);
        fs::create_directories(work / "own");
        state = work / "state";
        // Key 1 made by keygen in a directory of its own, adopted with the
        // stable names in the directory Postfix reads.
        auto r = run_mxdane({"keygen", "--key", "p256", "--out", (work / "own").string(), host});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        fs::path key;
        fs::path crt;
        for (const auto& e : fs::directory_iterator(work / "own")) {
            (e.path().extension() == ".key" ? key : crt) = e.path();
        }
        fs::create_directories(keys);
        // The state only names files directly in the host's directories
        // (rollover::load_checked): key 1 is copied there first.
        for (fs::path* f : {&key, &crt}) {
            const fs::path in_keys = keys / f->filename();
            fs::remove(in_keys);
            fs::copy_file(*f, in_keys);
            *f = in_keys;
        }
        r = run_mxdane({"rollover", "init", "--out", keys.string(), "--state-dir", state.string(), "--key",
                        key.string(), "--cert", crt.string(), host});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        // The zone holds exactly key 1's record, and the host's address.
        nsupdate("update delete " + owner + " TLSA\nupdate add " + owner + " 2 IN TLSA 3 1 1 " + spki(key) +
                 "\nupdate delete " + host + ". A\nupdate add " + host + ". 2 IN A " + env("LAB_MX16_ADDR"));
        reload_postfix();
        write_config(work / "auto.conf", true);
        config = work / "auto.conf";
    }

    void write_config(const fs::path& p, bool with_nsupdate, const std::string& tsig = "") const {
        std::ofstream out(p);
        out << "out = " << keys.string() << "\n"
            << "state-dir = " << state.string() << "\n"
            << "trust-anchor = " << u.at("UPD_TRUST_ANCHOR") << "\n"
            << "stub = " << u.at("UPD_ZONE") << "=" << u.at("UPD_SERVER") << "\n"
            << "publish-ttl = 2\nmargin = 0\nkey = p256\n"
            << "reload = \"" << env("LAB_POSTFIX_RELOAD") << "\"\n"
            << "verify-at = " << env("LAB_MX16_ADDR") << ":" << env("LAB_SMTP_PORT") << "\n";
        if (with_nsupdate) {
            out << "nsupdate = " << u.at("UPD_SERVER") << "\n"
                << "tsig-key = " << (tsig.empty() ? u.at("UPD_KEY") : tsig) << "\n";
        }
    }

    static std::string spki(const fs::path& key) {
        return trimmed(shell("openssl pkey -in '" + key.string() +
                             "' -pubout -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1"));
    }
    void nsupdate(const std::string& body) const { updlab_nsupdate(u, body); }
    /// The TLSA RRset the authoritative server holds, sorted, as dig shows it.
    [[nodiscard]] std::string zone() const {
        // dig prints the data in upper case, split into words: one lower
        // case word per record, as openssl prints the digest.
        // A dig that gets no answer prints its complaint on stdout and exits
        // 9: that is an error, never an empty RRset.
        return shell("out=$(dig +short +norec @127.0.0.1 -p " + u.at("UPD_PORT") + " " + owner +
                     " TLSA) || { echo \"dig: no answer from the update lab: $out\" >&2; exit 1; }; "
                     "printf '%s\\n' \"$out\" | tr -d ' ' | tr A-F a-f | sort");
    }
    static void reload_postfix() { shell(env("LAB_POSTFIX_RELOAD")); }
    [[nodiscard]] std::vector<std::string> dns() const {
        return {"--trust-anchor", u.at("UPD_TRUST_ANCHOR"), "--stub", u.at("UPD_ZONE") + "=" + u.at("UPD_SERVER")};
    }
    [[nodiscard]] RunResult rollover(const std::string& step, std::vector<std::string> extra) const {
        std::vector<std::string> args{"rollover", step, "--out", keys.string(), "--state-dir", state.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        args.push_back(host);
        return run_mxdane(args);
    }
    [[nodiscard]] RunResult status() const { return rollover("status", dns()); }
    [[nodiscard]] RunResult pass(const fs::path& conf, std::vector<std::string> extra = {}) const {
        std::vector<std::string> args{"rollover", "auto", "--config", conf.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        args.push_back(host);
        return run_mxdane(args);
    }
    [[nodiscard]] RunResult check() const {
        return run_mxdane({"check", "--mx", host, "--port", env("LAB_SMTP_PORT"), "--timeout", "10", "--trust-anchor",
                           u.at("UPD_TRUST_ANCHOR"), "--stub", u.at("UPD_ZONE") + "=" + u.at("UPD_SERVER")});
    }
    [[nodiscard]] fs::path stable_cert() const { return keys / (host + "-MX.crt"); }
    [[nodiscard]] std::string current_spki() const { return spki(fs::canonical(keys / (host + "-MX.key"))); }
    /// Stage key 2 and publish its record beside key 1's: the wait.
    void stage_and_publish() const {
        auto r = rollover("stage", {});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        std::istringstream lines(r.out);
        std::string cur;
        std::string next;
        std::getline(lines, cur);
        std::getline(lines, next);
        nsupdate("update add " + owner + " 2 IN TLSA " + next.substr(next.find("3 1 1")));
        r = status();
        ASSERT_EQ(r.exit_code, 4) << r.out << r.err; // waiting, health ok
        ASSERT_EQ(r.out.rfind("health:  ok: ", 0), 0U) << r.out;
    }
    [[nodiscard]] std::string snapshot() const {
        return shell("cd '" + rot.string() + "' && find keys '" + work.string() +
                     "' -printf '%p %m %l\\n' | sort && cat '" + state.string() + "'/*.json") +
               zone();
    }
};

TEST_F(RolloverHealthLab, MissingInServiceRecordIsCriticalAndAutoRepublishesIt) {
    stage_and_publish();
    const std::string key1 = current_spki();
    nsupdate("update delete " + owner + " 2 IN TLSA 3 1 1 " + key1);
    ASSERT_EQ(zone().find(key1), std::string::npos);

    auto r = status();
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("health:  critical: DNS does not show the record of key 1, the key in service", 0), 0U)
        << r.out;
    EXPECT_NE(check().exit_code, 0); // senders defer: the reason for the verdict

    r = pass(config);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("republished the record of key 1, the key in service"), std::string::npos) << r.out;
    EXPECT_NE(zone().find(key1), std::string::npos);
    EXPECT_EQ(check().exit_code, 0) << "check validates again";
    r = status();
    EXPECT_EQ(r.out.rfind("health:  ok: ", 0), 0U) << r.out;
}

// Issue #23, point 1: the whole RRset deleted from the signed zone is DANE
// off behind the admin's back: healed, never "nothing to do" with exit 0;
// after 'rollover disable' the pass leaves it off and is quiet.
TEST_F(RolloverHealthLab, AWholeRrsetDeletedIsHealedUnlessTheAdminDisabledDane) {
    const std::string key1 = current_spki();
    auto r = status(); // the record is seen published
    ASSERT_EQ(r.out.rfind("health:  ok: ", 0), 0U) << r.out;
    nsupdate("update delete " + owner + " TLSA");
    ASSERT_EQ(zone(), "\n"); // dig prints nothing: one empty line after sort
    r = status();
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err; // DANE not in effect
    EXPECT_NE(r.out.find("DANE is off and nobody disabled it"), std::string::npos) << r.out;
    r = pass(config);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("republished the record of key 1, the key in service"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("DANE was off, and the record is republished now"), std::string::npos) << r.out;
    EXPECT_NE(zone().find(key1), std::string::npos);
    EXPECT_EQ(check().exit_code, 0);
    // Without a publisher: exit 1, and the record to publish.
    nsupdate("update delete " + owner + " TLSA");
    write_config(work / "none.conf", false);
    r = pass(work / "none.conf");
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("3 1 1 " + key1), std::string::npos) << r.err;
    // On purpose: disable, and the pass leaves DNS alone, quietly.
    r = rollover("disable", {});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = pass(config, {"--quiet"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(zone(), "\n");
    r = status();
    EXPECT_NE(r.out.find("health:  ok: DANE for " + host + " is disabled by the admin since "), std::string::npos)
        << r.out;
    // Enabled again: the next pass publishes the record.
    ASSERT_EQ(rollover("enable", {}).exit_code, 0);
    r = pass(config);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(zone().find(key1), std::string::npos);
}

TEST_F(RolloverHealthLab, HealingThroughAHookAndWithoutAPublisher) {
    const std::string key1 = current_spki();
    nsupdate("update delete " + owner + " 2 IN TLSA 3 1 1 " + key1 + "\nupdate add " + owner + " 2 IN TLSA 3 1 1 " +
             std::string(64, 'a'));
    // No publisher: exit 1 with the command to run.
    write_config(work / "none.conf", false);
    auto r = pass(work / "none.conf");
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("mxdane publish --cert " + fs::canonical(stable_cert()).string()), std::string::npos) << r.err;
    EXPECT_EQ(zone().find(key1), std::string::npos);
    // A hook that feeds the nsupdate script to nsupdate.
    const fs::path hook = work / "hook.sh";
    std::ofstream(hook) << "#!/bin/sh\n{ echo 'server 127.0.0.1 " << u.at("UPD_PORT") << "'; cat; } | nsupdate -k '"
                        << u.at("UPD_KEY") << "'\n";
    fs::permissions(hook, fs::perms::owner_all);
    r = pass(work / "none.conf", {"--publish-hook", hook.string()});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("republished the record of key 1"), std::string::npos) << r.out;
    EXPECT_NE(zone().find(key1), std::string::npos);
    EXPECT_EQ(check().exit_code, 0);
    // Already published: the hook is not called again, nothing is claimed.
    r = pass(work / "none.conf", {"--publish-hook", "echo called >&2; exit 1"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.err.find("called"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("hook-failed"), std::string::npos) << r.err;
}

TEST_F(RolloverHealthLab, AWrongTsigSecretIsCriticalOnTheFirstPass) {
    std::ifstream in(u.at("UPD_KEY"));
    std::ostringstream text;
    text << in.rdbuf();
    // Same key name and algorithm, another secret of the same length.
    const std::string wrong = std::regex_replace(text.str(), std::regex("secret \"[^\"]*\""),
                                                 "secret \"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2U=\"");
    ASSERT_NE(wrong, text.str());
    std::ofstream(work / "wrong.key") << wrong;
    write_config(work / "wrong.conf", true, (work / "wrong.key").string());
    const std::string before = zone();
    const auto r = pass(work / "wrong.conf");
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("[critical: the publishing credentials fail"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("BADSIG"), std::string::npos) << r.out;
    EXPECT_EQ(zone(), before);
    // The right secret: ok, and quiet with --quiet.
    const auto ok = pass(config, {"--quiet"});
    EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
    EXPECT_EQ(ok.out, "");
}

TEST_F(RolloverHealthLab, EmergencyPublishesSwitchesAndWithdraws) {
    const std::string key1 = current_spki();
    const auto r = rollover("emergency", {"--nsupdate", u.at("UPD_SERVER"), "--tsig-key", u.at("UPD_KEY"),
                                          "--publish-ttl", "2", "--reload", env("LAB_POSTFIX_RELOAD"), "--verify-at",
                                          env("LAB_MX16_ADDR") + ":" + env("LAB_SMTP_PORT")});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.err.find("proved: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("warning: senders that cached the RRset"), std::string::npos) << r.err;
    const std::string key2 = current_spki();
    ASSERT_NE(key1, key2);
    EXPECT_EQ(zone().find(key1), std::string::npos) << zone();
    EXPECT_NE(zone().find(key2), std::string::npos) << zone();
    EXPECT_EQ(check().exit_code, 0);
}

TEST_F(RolloverHealthLab, DryRunsChangeNothing) {
    std::string before = snapshot();
    auto r = run_mxdane({"publish", host, "--cert", stable_cert().string(), "--nsupdate", u.at("UPD_SERVER"),
                         "--tsig-key", u.at("UPD_KEY"), "--dry-run"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    r = run_mxdane({"unpublish", host, "--cert", stable_cert().string(), "--nsupdate", u.at("UPD_SERVER"), "--tsig-key",
                    u.at("UPD_KEY"), "--dry-run"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    r = rollover("stage", {"--dry-run"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    // Ten days before the certificate (1096 days) expires, two years past
    // the key's life: the certificate is due first, and the plan is the
    // renewal the real pass would make, not the stage after it.
    r = pass(config, {"--dry-run", "--now", iso(std::time(nullptr) + 1086L * 86400)});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("dry run: would renew the certificate of key 1"), std::string::npos) << r.out;
    r = rollover("emergency",
                 {"--nsupdate", u.at("UPD_SERVER"), "--tsig-key", u.at("UPD_KEY"), "--dry-run", "--reload", "false"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(snapshot(), before);

    // With a rollover under way: activate and retire.
    stage_and_publish();
    before = snapshot();
    std::vector<std::string> args = dns();
    args.insert(args.end(), {"--dry-run", "--reload", "false", "--now", "2040-01-01T00:00:00Z"});
    r = rollover("activate", args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("dry run: would point"), std::string::npos) << r.err;
    args = dns();
    args.push_back("--dry-run");
    r = rollover("retire", args);
    EXPECT_EQ(r.exit_code, 1) << r.err; // no old key yet: refused, nothing done
    EXPECT_EQ(snapshot(), before);
}

} // namespace

namespace {

// Issue #23 points 7, 8 and 9 against Knot and Postfix: a whole rotation
// in one day, then the retired key's record published again (withdrawn by
// the pass, only that record), two certificate renewals the same day (no
// name clash with the retired certificates, nothing left behind), and a
// live proof that fails where nothing listens (it names the address, the
// cause and the option).
TEST_F(RolloverHealthLab, ARotationDayRetiredRecordsAndNameClashesAndWhereTheProofLooked) {
    const std::string key1 = current_spki();
    // The lab's key directory is shared: earlier tests' certificates stay.
    std::set<std::string> earlier;
    for (const auto& e : fs::directory_iterator(keys)) {
        earlier.insert(e.path().filename().string());
    }
    stage_and_publish();
    std::this_thread::sleep_for(std::chrono::seconds(5)); // 2 x TTL 2 s, margin 0
    auto r = pass(config);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    ASSERT_NE(r.out.find("activated key 2 (proven live)"), std::string::npos) << r.out;
    const std::string key2 = current_spki();
    r = pass(config);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    ASSERT_NE(r.out.find("retired key 1"), std::string::npos) << r.out;
    EXPECT_EQ(zone(), "311" + key2 + "\n") << zone();

    // Point 9: the retired key's record is published again by someone.
    nsupdate("update add " + owner + " 2 IN TLSA 3 1 1 " + key1);
    r = status();
    EXPECT_NE(r.out.find("DNS still publishes the record of key 1"), std::string::npos) << r.out;
    r = pass(config);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("withdrew the record of key 1, retired but still published"), std::string::npos) << r.out;
    EXPECT_EQ(zone(), "311" + key2 + "\n") << "only the retired key's record went";
    EXPECT_EQ(check().exit_code, 0);

    // Point 8: two renewals of key 2's certificate on the day it and key 1
    // were made: every name is new, the old ones go to retired/, nothing is
    // left in the directory but the certificates in service.
    for (int i = 0; i < 2; ++i) {
        r = run_mxdane({"reissue", "--config", config.string(), host});
        ASSERT_EQ(r.exit_code, 0) << i << ": " << r.out << r.err;
        EXPECT_EQ(r.err.find("warning:"), std::string::npos) << r.err;
        EXPECT_EQ(current_spki(), key2);
        EXPECT_EQ(check().exit_code, 0) << "after renewal " << i;
    }
    std::set<std::string> retired;
    for (const auto& e : fs::directory_iterator(keys / "retired")) {
        if (e.path().filename().string().rfind(host + "-MX-SS-", 0) == 0) {
            EXPECT_TRUE(retired.insert(e.path().filename().string()).second);
        }
    }
    EXPECT_GE(retired.size(), 3U) << "key 1's and key 2's two earlier certificates";
    std::vector<std::string> made;
    for (const auto& e : fs::directory_iterator(keys)) {
        const std::string n = e.path().filename().string();
        if (n.rfind(host + "-MX-SS-", 0) == 0 && e.path().extension() == ".crt" && earlier.count(n) == 0) {
            made.push_back(n);
        }
    }
    EXPECT_EQ(made, std::vector<std::string>{fs::read_symlink(stable_cert()).filename().string()})
        << "of the certificates this test made, only the one in service is left";

    // Point 7: the MTA is not where the proof looks.
    const std::string before = snapshot();
    r = run_mxdane({"reissue", "--config", config.string(), "--verify-at", "127.0.0.1:9", "--verify-tries", "1", host});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("the live proof at 127.0.0.1:9: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Connection refused"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--verify-at"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("switched back"), std::string::npos) << r.err;
    EXPECT_EQ(snapshot(), before);
    EXPECT_EQ(check().exit_code, 0);
}

} // namespace

namespace {

// Issue #24: the switch waits for every authoritative server. A second
// name server of the zone whose address nothing listens on holds the
// pass (exit 0, the server named) and the admin's activate (refused);
// --force switches with the risk said; once the zone no longer names it,
// the wait for caches starts and the pass switches.
TEST_F(RolloverHealthLab, TheSwitchWaitsForEveryAuthoritativeServer) {
    const std::string zone = u.at("UPD_ZONE");
    const std::string ns2 = "ns2." + zone;
    nsupdate("update add " + ns2 + " 60 IN A 127.0.0.2\nupdate add " + zone + " 60 IN NS " + ns2);
    stage_and_publish();
    auto r = status();
    EXPECT_NE(r.out.find("ns2.dyn.test (127.0.0.2): did not answer"), std::string::npos) << r.out;
    std::this_thread::sleep_for(std::chrono::seconds(5)); // 2 x TTL 2 s, margin 0
    // The pass waits; with a margin of 0 the held switch is overdue once
    // 2 x TTL has passed since status recorded the silent server, so its
    // health is critical (exit 1) and says so.
    r = pass(config);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("waiting: the record of key 2"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("ns2.dyn.test (127.0.0.2) did not answer"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("[critical: the switch to key 2 is overdue: ns2.dyn.test (127.0.0.2) has not answered since "),
              std::string::npos)
        << r.out;
    const std::string key1 = current_spki();
    std::vector<std::string> args = dns();
    args.insert(args.end(), {"--margin", "0", "--reload", env("LAB_POSTFIX_RELOAD"), "--verify-at",
                             env("LAB_MX16_ADDR") + ":" + env("LAB_SMTP_PORT")});
    r = rollover("activate", args);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("ns2.dyn.test (127.0.0.2) did not answer"), std::string::npos) << r.err;
    EXPECT_EQ(current_spki(), key1);
    // The zone no longer names it: every server serves the record, the
    // wait starts now, and the pass switches after it.
    nsupdate("update delete " + zone + " NS " + ns2 + "\nupdate delete " + ns2 + " A");
    r = pass(config);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("waiting: the record of key 2"), std::string::npos) << r.out;
    std::this_thread::sleep_for(std::chrono::seconds(5));
    r = pass(config);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("activated key 2 (proven live)"), std::string::npos) << r.out;
    EXPECT_NE(current_spki(), key1);
    EXPECT_EQ(check().exit_code, 0);
}

TEST_F(RolloverHealthLab, ForceSwitchesPastASilentServerAndSaysTheRisk) {
    const std::string zone = u.at("UPD_ZONE");
    const std::string ns2 = "ns2." + zone;
    nsupdate("update add " + ns2 + " 60 IN A 127.0.0.2\nupdate add " + zone + " 60 IN NS " + ns2);
    stage_and_publish();
    std::vector<std::string> args = dns();
    args.insert(args.end(), {"--force", "--margin", "0", "--reload", env("LAB_POSTFIX_RELOAD"), "--verify-at",
                             env("LAB_MX16_ADDR") + ":" + env("LAB_SMTP_PORT")});
    const auto r = rollover("activate", args);
    nsupdate("update delete " + zone + " NS " + ns2 + "\nupdate delete " + ns2 + " A");
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.err.find("warning: --force: switching although"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("ns2.dyn.test (127.0.0.2) did not answer"), std::string::npos) << r.err;
    EXPECT_EQ(check().exit_code, 0);
}

} // namespace
