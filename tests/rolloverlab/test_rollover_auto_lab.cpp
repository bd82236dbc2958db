// rollover auto (issue #6): daily passes with an injected clock take a live
// Postfix from key 1 to key 2 with no human step. DNS is changed only by
// mxdane, through TSIG-signed RFC 2136 updates to Knot DNS, which signs the
// zone (tests/lab/updlab); the check lab's Postfix serves mx16.dyn.test from
// the stable names. After every pass `mxdane check` must validate the host.
#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <unistd.h>

#include "../labtests/lab_harness.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;

const std::string host = "mx16.dyn.test";

class RolloverAutoLab : public ::testing::Test {
  protected:
    const LabPostfixLock m_postfix_lock; ///< first: held while the fixture lives
    std::map<std::string, std::string> u = env_file(std::string(MXDANE_UPDLAB_DIR) + "/updlab.env");
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
                              << "reload = \"" << env("LAB_POSTFIX_RELOAD") << "\"\n"
                              << "verify-at = " << env("LAB_MX16_ADDR") << ":" << env("LAB_SMTP_PORT") << "\n";
    }

    RunResult pass(std::time_t now) const {
        return run_mxdane({"rollover", "auto", "--config", config.string(), "--test-clock", iso(now), host});
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
    // A rerun (run-tests retries a failed test once) starts from nothing:
    // this host's files, state and records from an earlier attempt go.
    shell("rm -rf '" + state.string() + "' '" + keys.string() + "/" + host + "-MX'* '" + keys.string() + "/retired/" +
          host + "-MX'*");
    updlab_nsupdate(u, "update delete _25._tcp." + host + ". TLSA\nupdate delete " + host + ". A");
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
    updlab_nsupdate(u, "update add " + host + ". 2 IN A " + env("LAB_MX16_ADDR"));
    shell(env("LAB_POSTFIX_RELOAD"));
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
        std::vector<std::string> args{"rollover",    "status",       "--nagios",     "--out",
                                      keys.string(), "--state-dir",  state.string(), "--verify-at",
                                      verify_at,     "--test-clock", iso(now)};
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
    // The monitoring user (issue #23): not root, only in the group that
    // may read the state directory (mode 2750, as the package makes
    // /var/lib/mxdane). status takes no lock and writes nothing, so that
    // is enough, and nothing in the directory changes.
    {
        std::vector<std::pair<fs::path, fs::perms>> opened;
        for (fs::path p = state.parent_path(); p != p.root_path(); p = p.parent_path()) {
            const auto perms = fs::status(p).permissions();
            opened.emplace_back(p, perms);
            fs::permissions(p, perms | fs::perms::others_exec); // traverse only, never list
        }
        ASSERT_EQ(::chown(state.c_str(), 0, 65534), 0);
        fs::permissions(state, fs::perms(02750));
        ASSERT_EQ(::chown((state / (host + ".json")).c_str(), 0, 65534), 0);
        const auto before = snapshot_tree(state);
        // The lab's trust anchor, where the monitoring user may read it.
        const fs::path anchor = state.parent_path() / "trust-anchor-for-nobody.ds";
        fs::copy_file(u["UPD_TRUST_ANCHOR"], anchor, fs::copy_options::overwrite_existing);
        fs::permissions(anchor, fs::perms(0644));
        std::vector<std::string> readable = dns;
        std::replace(readable.begin(), readable.end(), u["UPD_TRUST_ANCHOR"], anchor.string());
        RunOptions nobody;
        nobody.cwd = "/";
        nobody.uid = 65534;
        nobody.gid = 65534;
        std::vector<std::string> args{mxdane_binary_for_all().string(),
                                      "rollover",
                                      "status",
                                      "--nagios",
                                      "--out",
                                      keys.string(),
                                      "--state-dir",
                                      state.string(),
                                      "--verify-at",
                                      mx16,
                                      "--now",
                                      iso(t0 + year + 20)};
        args.insert(args.end(), readable.begin(), readable.end());
        args.push_back(host);
        const RunResult m = run_process(args, nobody);
        for (auto it = opened.rbegin(); it != opened.rend(); ++it) {
            fs::permissions(it->first, it->second);
        }
        ASSERT_EQ(::chown(state.c_str(), 0, 0), 0);
        fs::permissions(state, fs::perms(0700));
        EXPECT_EQ(m.exit_code, 0) << m.out << m.err;
        EXPECT_EQ(m.out.rfind("DANE OK - mx16.dyn.test at " + mx16, 0), 0U) << m.out << m.err;
        EXPECT_EQ(snapshot_tree(state), before);
    }
    r = nagios(mx16, t0 + year + 400L * 86400);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("DANE WARNING - ", 0), 0U) << r.out;
    EXPECT_NE(r.out.find("past its life of 365 days and 30 days of grace: rotate it"), std::string::npos) << r.out;
    // Another server's key (mx1's) is not what DNS publishes for mx16.
    r = nagios(env("LAB_MX1_ADDR") + ":" + env("LAB_SMTP_PORT"), t0 + year + 20);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("DANE CRITICAL - mx16.dyn.test at " + env("LAB_MX1_ADDR"), 0), 0U) << r.out;
    EXPECT_NE(r.out.find("the MTA serves a key DNS does not publish"), std::string::npos) << r.out;
    // One status line, then the plug-in's long text: the zone's one
    // authoritative server (issue #24).
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2) << r.out;
    EXPECT_EQ(r.out.substr(r.out.find('\n') + 1).rfind("ns.dyn.test (127.0.0.1): key 2, TTL 2, serial ", 0), 0U)
        << r.out;

    // The stable key name on another key than the certificate's (what a
    // switch killed between its two renames leaves): critical, before any
    // reload of the MTA could fail its TLS setup.
    const fs::path stable_key = keys / (host + "-MX.key");
    const fs::path in_service = fs::read_symlink(stable_key);
    fs::path retired_key;
    for (const auto& e : fs::directory_iterator(keys / "retired")) {
        if (e.path().extension() == ".key" && e.path().filename().string().rfind(host + "-MX-", 0) == 0) {
            retired_key = e.path(); // this host's: other lab tests keep keys here too
        }
    }
    ASSERT_FALSE(retired_key.empty());
    fs::remove(stable_key);
    fs::create_symlink(retired_key, stable_key);
    r = nagios(mx16, t0 + year + 20);
    fs::remove(stable_key);
    fs::create_symlink(in_service, stable_key);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("DANE CRITICAL - mx16.dyn.test at ", 0), 0U) << r.out;
    EXPECT_NE(r.out.find(": the stable names do not point at key 2"), std::string::npos) << r.out;
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

namespace {

/// An auto pass (due to stage: --key-life 0) and a manual stage started at
/// once, 50 times: the host's lock lets exactly one make a key; the other
/// refuses, waits, or goes on with the key the first made. The hook only
/// ever receives the record of a key file that exists, as openssl computes
/// it, and the state lists every key file made (no orphan). DNS is the
/// update lab's signed zone, read only: the hook publishes nowhere.
TEST_F(RolloverAutoLab, AnAutoPassAndAManualStageAtOnceMakeOneKeyFiftyRounds) {
    int auto_wins = 0;
    for (int round = 0; round < 50; ++round) {
        const TempDir tmp;
        const fs::path k = tmp.path() / "keys";
        const fs::path s = tmp.path() / "state";
        const fs::path hook_log = tmp.path() / "hook.log";
        const fs::path hook = tmp.path() / "hook.sh";
        std::ofstream(hook) << "#!/bin/sh\necho \"$MXDANE_ACTION $MXDANE_RDATA\" >> '" << hook_log.string() << "'\n";
        fs::permissions(hook, fs::perms(0755));
        auto r = run_mxdane({"keygen", "--key", "p256", "--out", k.string(), host});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        r = run_mxdane({"rollover", "init", "--out", k.string(), "--state-dir", s.string(), host});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const std::vector<std::string> dirs{"--out", k.string(), "--state-dir", s.string()};
        std::vector<std::string> autopass{
            "rollover",    "auto",           "--key-life",          "0",      "--publish-hook",
            hook.string(), "--trust-anchor", u["UPD_TRUST_ANCHOR"], "--stub", u["UPD_ZONE"] + "=" + u["UPD_SERVER"]};
        autopass.insert(autopass.end(), dirs.begin(), dirs.end());
        autopass.push_back(host);
        std::vector<std::string> stage{"rollover", "stage"};
        stage.insert(stage.end(), dirs.begin(), dirs.end());
        stage.push_back(host);
        auto a = std::async(std::launch::async, [&] { return run_mxdane(autopass); });
        auto b = std::async(std::launch::async, [&] { return run_mxdane(stage); });
        const RunResult ra = a.get();
        const RunResult rb = b.get();
        const std::string at = "round " + std::to_string(round) + "\nauto: " + ra.out + ra.err + "\nstage: " + rb.err;
        const bool auto_staged = ra.out.find("staged key 2") != std::string::npos;
        const bool manual_staged = rb.exit_code == 0;
        EXPECT_EQ((auto_staged ? 1 : 0) + (manual_staged ? 1 : 0), 1) << at;
        // The pass either staged and published, or published the key the
        // manual stage made: both are a finished pass (exit 0).
        EXPECT_EQ(ra.exit_code, 0) << at;
        auto_wins += auto_staged ? 1 : 0;
        if (!manual_staged) {
            EXPECT_TRUE(rb.err.find("a next key is already staged") != std::string::npos ||
                        rb.err.find("another mxdane is working on mx16.dyn.test") != std::string::npos)
                << at;
        }
        // Exactly two dated keys, both in the state.
        const std::string state_text = read_file(s / (host + ".json"));
        std::vector<fs::path> made;
        for (const auto& e : fs::directory_iterator(k)) {
            if (e.path().extension() == ".key" && e.path().filename() != host + "-MX.key") {
                made.push_back(e.path());
                EXPECT_NE(state_text.find(e.path().string()), std::string::npos) << "orphan " << e.path() << at;
            }
        }
        EXPECT_EQ(made.size(), 2U) << at;
        // What the hook got is a real key's record.
        std::vector<std::string> real;
        for (const auto& f : made) {
            std::string h = shell("openssl pkey -in '" + f.string() +
                                  "' -pubout -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1");
            h.pop_back();
            real.push_back("add 3 1 1 " + h);
        }
        if (fs::exists(hook_log)) {
            std::istringstream in(read_file(hook_log));
            for (std::string line; std::getline(in, line);) {
                EXPECT_NE(std::find(real.begin(), real.end(), line), real.end()) << line << "\n" << at;
            }
        }
        EXPECT_EQ(state_text.find(std::string(64, '0')), std::string::npos) << at;
        if (HasFailure()) {
            return;
        }
    }
    std::cerr << "[ race    ] the auto pass staged in " << auto_wins << " of 50 rounds, the manual stage in the rest\n";
}

} // namespace

namespace {

/// After the daily rotation above: more rotations, each auto pass first
/// killed at a random file syscall (strace -e inject=SYSCALL:signal=KILL,
/// mxdane's own process only, not the reload it runs), then run again.
/// After every kill the state has no record that is not its key file's;
/// after every rerun the stable names are a matching pair and the live MTA
/// validates; every rotation ends with the new key in service.
TEST_F(RolloverAutoLab, AutoPassesKilledAtRandomSyscallsStillRotate) {
    if (!fs::exists(state / (host + ".json")) || run_process({"sh", "-c", "command -v strace"}).exit_code != 0) {
        GTEST_SKIP() << "needs the state of DailyPassesRotateTheKeyWithNoHumanStep and strace";
    }
    const std::vector<std::string> syscalls{"openat", "write",    "fsync",   "rename",    "renameat2", "linkat",
                                            "unlink", "unlinkat", "symlink", "symlinkat", "fchmod",    "mkdir"};
    const unsigned seed = test_seed();
    SCOPED_TRACE(seed_trace());
    std::mt19937 rng(seed);
    const std::time_t year = 366L * 86400;
    const std::time_t base = std::time(nullptr) + 3 * year;
    auto spki = [](const fs::path& f, bool key) {
        std::string s = shell((key ? "openssl pkey -in '" + f.string() + "' -pubout -outform DER"
                                   : "openssl x509 -in '" + f.string() +
                                         "' -noout -pubkey | openssl pkey -pubin "
                                         "-outform DER") +
                              " | openssl dgst -sha256 -r | cut -d' ' -f1");
        s.pop_back();
        return s;
    };
    for (int rotation = 0; rotation < 4; ++rotation) {
        const std::time_t b = base + rotation * year;
        bool done = false;
        for (int i = 0; i < 8 && !done; ++i) {
            const std::time_t at = b + (i == 0 ? 0 : 10 * i);
            const std::string sc = syscalls[rng() % syscalls.size()];
            const int when = 1 + static_cast<int>(rng() % 10);
            const std::string where = "seed " + std::to_string(seed) + ", pass at " + iso(at) + " killed at " + sc +
                                      " #" + std::to_string(when);
            (void)run_process({"strace", "-qq", "-o", "/dev/null", "-e", "trace=" + sc, "-e",
                               "inject=" + sc + ":signal=KILL:when=" + std::to_string(when), mxdane_binary().string(),
                               "rollover", "auto", "--config", config.string(), "--test-clock", iso(at), host});
            const std::string text = read_file(state / (host + ".json"));
            EXPECT_EQ(text.find(std::string(64, '0')), std::string::npos) << where;
            const RunResult r = pass(at);
            ASSERT_EQ(r.exit_code, 0) << where << "\n" << r.out << r.err;
            std::cerr << "[ kill    ] " << sc << " #" << when << ", then: " << r.out << r.err;
            done = r.out.find("nothing to do") != std::string::npos && i > 0;
            const fs::path sk = keys / (host + "-MX.key");
            const fs::path scert = keys / (host + "-MX.crt");
            EXPECT_EQ(spki(sk, true), spki(scert, false)) << where << ": the stable names are not a pair";
            expect_validated(where);
            if (HasFailure()) {
                return;
            }
        }
        EXPECT_TRUE(done) << "rotation " << rotation << " did not finish (seed " << seed << ")";
    }
}

} // namespace

namespace {

/// The state file as JSON.
nlohmann::json state_json(const fs::path& file) {
    return nlohmann::json::parse(read_file(file), nullptr, false);
}

/// The id of the key in service (active, not retired), or -1.
int in_service(const nlohmann::json& s) {
    for (const auto& k : s["keys"]) {
        if (!k["active"].is_null() && k["retired"].is_null()) {
            return k["id"].get<int>();
        }
    }
    return -1;
}

/// Kill points: every call of each of `syscalls` in mxdane's own process
/// (not the reload it runs) during `argv`, after the dynamic loader's
/// (syscall_calls_after_loading).
std::vector<std::pair<std::string, int>> kill_points(const std::vector<std::string>& syscalls,
                                                     const std::vector<std::string>& argv) {
    const TempDir d;
    const fs::path log = d.path() / "trace";
    std::string set;
    for (const auto& sc : syscalls) {
        set += (set.empty() ? "" : ",") + sc;
    }
    std::vector<std::string> a{"strace", "-qq", "-o", log.string(), "-e", "trace=" + set};
    a.insert(a.end(), argv.begin(), argv.end());
    (void)run_process(a);
    std::vector<std::pair<std::string, int>> out;
    for (const auto& [sc, whens] : syscall_calls_after_loading(read_file(log))) {
        for (const int when : whens) {
            out.emplace_back(sc, when);
        }
    }
    return out;
}

/// `rollover activate`, an activating `rollover auto` pass and `rollover
/// retire`, each killed at every call of its file syscalls in turn (mxdane's own process: strace -e
/// inject=...:signal=KILL). Before every kill the host goes back to the same starting point (this host's files and
/// state from a snapshot, its records republished, Postfix reloaded). After every kill the state parses and names no
/// all-zero record; after the next run of the same step the key is in service (or retired), the stable names are a
/// matching pair and the live MTA validates.
TEST_F(RolloverAutoLab, ActivateAutoAndRetireKilledAtEveryFileSyscallAreFinishedByTheNextRun) {
    const fs::path state_file = state / (host + ".json");
    if (!fs::exists(state_file) || run_process({"sh", "-c", "command -v strace"}).exit_code != 0) {
        GTEST_SKIP() << "needs the state of DailyPassesRotateTheKeyWithNoHumanStep and strace";
    }
    SCOPED_TRACE(seed_trace());
    const std::vector<std::string> syscalls{"openat", "write",  "fsync",    "rename",  "renameat2",
                                            "linkat", "unlink", "unlinkat", "symlink", "symlinkat",
                                            "fchmod", "mkdir",  "link",     "flock"};
    const TempDir snap;
    const std::string names = host + "-MX* retired/" + host + "-MX*";
    auto save_host = [&](const std::string& tag) {
        shell("cd '" + keys.string() + "' && tar cf '" + (snap.path() / (tag + ".tar")).string() + "' " + names +
              " 2>/dev/null; rm -rf '" + (snap.path() / tag).string() + "' && cp -a '" + state.string() + "' '" +
              (snap.path() / tag).string() + "'");
    };
    auto restore_host = [&](const std::string& tag) {
        shell("cd '" + keys.string() + "' && rm -f " + names + " && tar xpf '" +
              (snap.path() / (tag + ".tar")).string() + "' && rm -rf '" + state.string() + "' && cp -a '" +
              (snap.path() / tag).string() + "' '" + state.string() + "'");
    };
    auto spki = [](const fs::path& f, bool key) {
        std::string s = shell((key ? "openssl pkey -in '" + f.string() + "' -pubout -outform DER"
                                   : "openssl x509 -in '" + f.string() +
                                         "' -noout -pubkey | openssl pkey -pubin "
                                         "-outform DER") +
                              " | openssl dgst -sha256 -r | cut -d' ' -f1");
        s.pop_back();
        return s;
    };
    auto step = [&](const std::string& name, std::time_t at) {
        return std::vector<std::string>{mxdane_binary().string(), "rollover",     name,    "--config",
                                        config.string(),          "--test-clock", iso(at), host};
    };
    auto records_of = [](const nlohmann::json& s) {
        std::string adds;
        for (const auto& k : s["keys"]) {
            if (!k["tlsa"].is_null() && k["retired"].is_null()) {
                adds += "update add _25._tcp." + host + ". 2 IN TLSA " + k["tlsa"].get<std::string>() + "\n";
            }
        }
        return adds;
    };

    // Passes (ten seconds apart) until a staged key's record has been seen
    // in DNS: the pass that staged it may first have renewed the expired
    // certificate of the key in service. Activation is allowed 4 s later.
    std::time_t t = std::time(nullptr) + 9 * 366L * 86400;
    for (int i = 0;; ++i, t += 10) {
        ASSERT_LT(i, 5) << "no pass saw a staged record in DNS";
        const RunResult r = pass(t);
        ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
        if (r.out.find("waiting: the record of key") != std::string::npos) {
            break;
        }
    }
    const auto before = state_json(state_file);
    const int old_id = in_service(before);
    const int new_id = old_id + 1;
    const std::string publish_both = records_of(before);
    save_host("activate");
    // This host's files and state as saved, both records published, and
    // Postfix serving the key in service.
    auto back_to_activate = [&] {
        restore_host("activate");
        updlab_nsupdate(u, publish_both);
        shell(env("LAB_POSTFIX_RELOAD"));
    };

    auto kill = [&](const std::vector<std::string>& argv, const std::string& sc, int when) {
        std::vector<std::string> a{
            "strace", "-qq",         "-o", "/dev/null",
            "-e",     "trace=" + sc, "-e", "inject=" + sc + ":signal=KILL:when=" + std::to_string(when)};
        a.insert(a.end(), argv.begin(), argv.end());
        (void)run_process(a);
    };
    auto expect_sound = [&](const std::string& at) {
        const auto s = state_json(state_file);
        ASSERT_FALSE(s.is_discarded()) << at << ": the state file does not parse";
        EXPECT_EQ(s.dump().find(std::string(64, '0')), std::string::npos) << at;
    };
    auto expect_pair_and_validated = [&](const std::string& at, int id) {
        EXPECT_EQ(spki(keys / (host + "-MX.key"), true), spki(keys / (host + "-MX.crt"), false))
            << at << ": the stable names are not a pair";
        EXPECT_EQ(in_service(state_json(state_file)), id) << at;
        expect_validated(at);
    };

    // `rollover activate`, then one `rollover auto` pass that activates and
    // withdraws, each from the same starting point.
    for (const std::string& name : {std::string("activate"), std::string("auto")}) {
        const auto points = kill_points_to_try(kill_points(syscalls, step(name, t + 20)), test_seed());
        ASSERT_FALSE(points.empty());
        std::cerr << "[ kill    ] " << name << ": " << points.size() << " kill points"
                  << (sanitized_build ? " (a sample under ASan, " + seed_trace() + ")" : std::string()) << "\n";
        for (const auto& [sc, when] : points) {
            const std::string at = name + " killed at " + sc + " #" + std::to_string(when);
            back_to_activate();
            kill(step(name, t + 20), sc, when);
            expect_sound(at);
            const RunResult again = run_process(step(name, t + 30));
            SCOPED_TRACE(again.out + again.err);
            expect_pair_and_validated(at + ", then run again", new_id);
            if (HasFailure()) {
                return;
            }
        }
    }

    // Activated and the old record withdrawn, by one auto pass nobody kills
    // ('rollover activate' leaves the withdrawal to the admin): retire is
    // next.
    back_to_activate();
    const RunResult activated = pass(t + 20); // the auto pass withdraws the old record too
    ASSERT_EQ(activated.exit_code, 0) << activated.out << activated.err;
    save_host("retire");
    const auto retire_points = kill_points_to_try(kill_points(syscalls, step("retire", t + 60)), test_seed());
    ASSERT_FALSE(retire_points.empty());
    std::cerr << "[ kill    ] retire: " << retire_points.size() << " kill points"
              << (sanitized_build ? " (a sample under ASan, " + seed_trace() + ")" : std::string()) << "\n";
    for (const auto& [sc, when] : retire_points) {
        const std::string at = "retire killed at " + sc + " #" + std::to_string(when);
        restore_host("retire");
        kill(step("retire", t + 60), sc, when);
        expect_sound(at);
        const RunResult again = run_process(step("retire", t + 70));
        const auto s = state_json(state_file);
        for (const auto& k : s["keys"]) {
            if (k["id"].get<int>() == old_id) {
                EXPECT_FALSE(k["removed"].is_null()) << at << ", then run again: key " << old_id << " is not retired\n"
                                                     << again.out << again.err;
                const fs::path key_file = k["key_file"].get<std::string>();
                EXPECT_FALSE(fs::exists(key_file)) << at;
                EXPECT_TRUE(fs::exists(key_file.parent_path() / "retired" / key_file.filename())) << at;
            }
        }
        expect_pair_and_validated(at + ", then run again", new_id);
        if (HasFailure()) {
            return;
        }
    }
}

} // namespace

namespace {

/// What an interrupted stage leaves (the state names key 2, its files never
/// made): status lists it as incomplete, says to run stage again, and
/// offers only the current record for publication (never an all-zero one).
TEST_F(RolloverAutoLab, StatusShowsAnInterruptedStageAsIncomplete) {
    const TempDir tmp;
    const fs::path k = tmp.path() / "keys";
    const fs::path s = tmp.path() / "state";
    auto r = run_mxdane({"keygen", "--key", "p256", "--out", k.string(), host});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run_mxdane({"rollover", "init", "--out", k.string(), "--state-dir", s.string(), host});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const fs::path file = s / (host + ".json");
    std::string text = read_file(file);
    // A second key entry as stage writes it before keygen runs.
    const std::string entry = R"(,
    {
      "active": null,
      "cert_file": ")" + (k / (host + "-MX-SS-20200101.crt")).string() +
                              R"(",
      "created": null,
      "id": 2,
      "key_file": ")" + (k / (host + "-MX-20200101.key")).string() +
                              R"(",
      "max_ttl_seen": 0,
      "published": null,
      "removed": null,
      "retired": null,
      "tlsa": null
    }
  ])";
    text.replace(text.rfind("\n  ]"), 4, entry);
    std::ofstream(file, std::ios::trunc) << text;
    std::vector<std::string> status{"rollover",
                                    "status",
                                    "--out",
                                    k.string(),
                                    "--state-dir",
                                    s.string(),
                                    "--trust-anchor",
                                    u["UPD_TRUST_ANCHOR"],
                                    "--stub",
                                    u["UPD_ZONE"] + "=" + u["UPD_SERVER"],
                                    host};
    r = run_mxdane(status);
    // Health first (exit 1): this fresh key 1 is not in the lab zone's
    // secure RRset, which still holds another test's record.
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("health:  critical: DNS does not show the record of key 1, the key in service", 0), 0U)
        << r.out;
    EXPECT_NE(r.out.find("is incomplete (an interrupted stage)"), std::string::npos) << r.out << r.err;
    EXPECT_NE(r.out.find("run 'mxdane rollover stage mx16.dyn.test' again"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("  2 incomplete mx16.dyn.test-MX-20200101.key"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("000000000000"), std::string::npos) << r.out;
    const std::string publish =
        r.out.substr(r.out.find("should publish:"), r.out.find("DNS shows") - r.out.find("should publish:"));
    EXPECT_EQ(std::count(publish.begin(), publish.end(), '\n'), 2) << publish; // the heading and key 1's record
    status.insert(status.begin() + 2, "--json");
    r = run_mxdane(status);
    EXPECT_NE(r.out.find("\"role\": \"incomplete\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"record\": null"), std::string::npos) << r.out; // no record for an unmade key
}

} // namespace
