// The rollover's state against bad luck and attackers, through the real
// binary: impossible times and clocks, option ranges, hostile state files,
// encrypted keys with a terminal attached, two runs at once, a full disk.
// Kill tests by system-call injection are in test_rollover_kill_cli.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <arpa/inet.h>
#include <chrono>
#include <fstream>
#include <functional>
#include <future>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_harness.h"
#include "rollover_cli_host.h"

namespace {
using namespace mxdane::test;
using namespace mxdane::test::rollover_cli;

TEST(RolloverSafety, WaitOptionsHaveDocumentedRangesOnTheCommandLineAndInTheSettingsFile) {
    Host h;
    h.init();
    const auto before = snapshot_tree(h.tmp.path());
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"--margin-days", "200000"}, "--margin-days"},
        {{"--margin-days", "4294967296"}, "--margin-days"},
        {{"--ttl", "4294967295"}, "--ttl"},
        {{"--ttl", "2147483648"}, "--ttl"},
        {{"--margin", "315360001"}, "--margin"},
        {{"--margin", "18446744073709551615"}, "--margin"},
        {{"--margin", "-1"}, "--margin"},
    };
    for (const auto& step : {"activate", "status", "retire", "auto"}) {
        for (const auto& [args, name] : cases) {
            const auto r = h.rollover(step, args);
            EXPECT_EQ(r.exit_code, 64) << step << " " << args[1] << ": " << r.err;
            EXPECT_TRUE(contains(r.err, name)) << r.err;
        }
    }
    const auto e = h.rollover("emergency", {"--ttl", "4294967295"});
    EXPECT_EQ(e.exit_code, 64) << e.err;
    // The same limits in the settings file of rollover auto.
    const fs::path conf = h.tmp.path() / "auto.conf";
    for (const auto& [line, says] : std::vector<std::pair<std::string, std::string>>{
             {"margin-days = 3651", "margin-days needs a number up to 3650"},
             {"ttl = 2147483648", "ttl needs a number up to 2147483647"},
             {"margin = 315360001", "margin needs a number up to 315360000"}}) {
        std::ofstream(conf, std::ios::trunc) << line << "\n";
        const auto r = h.rollover("auto", {"--config", conf.string()});
        EXPECT_EQ(r.exit_code, 64) << r.err;
        EXPECT_TRUE(contains(r.err, says)) << r.err;
    }
    fs::remove(conf);
    EXPECT_EQ(snapshot_tree(h.tmp.path()), before);
}

TEST(RolloverSafety, ImpossibleTimesAreRefusedEverywhere) {
    Host h;
    h.init();
    const auto before = snapshot_tree(h.tmp.path());
    for (const std::string bad : {"9999-12-31T23:59:59Z", "2262-04-12T00:00:00Z", "2026-02-31T00:00:00Z",
                                  "0000-01-01T00:00:00Z", "-001-01-01T00:00:00Z", "1969-12-31T23:59:59Z"}) {
        for (const auto& step : {"stage", "emergency"}) {
            const auto r = h.rollover(step, {"--now", bad});
            EXPECT_EQ(r.exit_code, 64) << step << " " << bad << ": " << r.err;
            EXPECT_TRUE(contains(r.err, "--now: expected a time like")) << r.err;
        }
    }
    EXPECT_EQ(snapshot_tree(h.tmp.path()), before);
    // No key file is ever named after an impossible date.
    for (const auto& k : h.dated_keys()) {
        EXPECT_FALSE(contains(k.filename().string(), "1816")) << k;
    }
}

TEST(RolloverSafety, AClockBehindTheStateIsAnErrorNotANewTruth) {
    Host h;
    h.init();
    h.stage();
    const auto before = snapshot_tree(h.tmp.path());
    // stage refuses "already staged" before it looks at the clock; every
    // other step refuses the clock before it asks DNS or touches a file.
    for (const auto& step : {std::vector<std::string>{"stage"},
                             {"emergency", "--verify-at", "127.0.0.1:9", "--verify-tries", "1"},
                             {"status"},
                             {"activate", "--force"},
                             {"retire"}}) {
        std::vector<std::string> args{step.begin() + 1, step.end()};
        args.insert(args.end(), {"--test-clock", "2020-01-01T00:00:00Z"});
        const auto r = h.rollover(step[0], args);
        EXPECT_NE(r.exit_code, 0) << step[0];
        if (step[0] != "stage") {
            EXPECT_EQ(r.exit_code, 1) << step[0];
            EXPECT_TRUE(contains(r.err, "the clock says 2020-01-01T00:00:00Z, earlier than"))
                << step[0] << ": " << r.err;
        }
    }
    EXPECT_EQ(snapshot_tree(h.tmp.path()), before);
    // A first sighting before the key was made is refused in the state file.
    json j = h.state();
    j["keys"][1]["published"] = "2020-01-01T00:00:00Z";
    h.write_state(j);
    const auto r = h.rollover("activate");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "key 2: 'published' (2020-01-01T00:00:00Z) is earlier than 'created'")) << r.err;
}

struct Hostile {
    std::string name;
    std::function<void(const Host&, json&)> edit;
    std::string says;
};

void PrintTo(const Hostile& h, std::ostream* os) {
    *os << h.name;
}

class RolloverHostileState : public ::testing::TestWithParam<Hostile> {};

/// Every step that could touch a file refuses the edited state, naming the
/// problem, and changes nothing on disk (the lock file exists already).
TEST_P(RolloverHostileState, RefusedWithNothingChanged) {
    Host h;
    h.init();
    h.stage();
    const fs::path victim = h.tmp.path() / "victim.txt";
    std::ofstream(victim) << "not a key\n";
    ::chmod(victim.c_str(), 0644);
    json j = h.state();
    GetParam().edit(h, j);
    h.write_state(j);
    const auto before = snapshot_tree(h.tmp.path());
    for (const auto& step : {std::vector<std::string>{"stage"},
                             {"activate", "--force"},
                             {"retire", "--delete-old"},
                             {"retire"},
                             {"emergency", "--verify-at", "127.0.0.1:9", "--verify-tries", "1"},
                             {"status"}}) {
        const auto r = h.rollover(step[0], {step.begin() + 1, step.end()});
        EXPECT_NE(r.exit_code, 0) << step[0];
        EXPECT_TRUE(contains(r.err, GetParam().says)) << step[0] << ": " << r.err;
        EXPECT_EQ(snapshot_tree(h.tmp.path()), before) << step[0];
    }
}

INSTANTIATE_TEST_SUITE_P(
    Table, RolloverHostileState,
    ::testing::Values(
        Hostile{"next key outside the directory",
                [](const Host& h, json& j) { j["keys"][1]["key_file"] = (h.tmp.path() / "victim.txt").string(); },
                "victim.txt for key 2, which is not a file directly in"},
        Hostile{"incomplete key pointing outside",
                [](const Host& h, json& j) {
                    j["keys"][1]["key_file"] = (h.tmp.path() / "victim.txt").string();
                    j["keys"][1]["created"] = nullptr;
                    j["keys"][1]["tlsa"] = nullptr;
                },
                "victim.txt for key 2, which is not a file directly in"},
        Hostile{"current key path with ..",
                [](const Host& h, json& j) { j["keys"][0]["key_file"] = (h.keys / ".." / "victim.txt").string(); },
                "which is not a file directly in"},
        Hostile{"current key is a symlink",
                [](const Host& h, json& j) {
                    const fs::path link = h.keys / (host + "-MX-20200101.key");
                    fs::create_symlink(j["keys"][0]["key_file"].get<std::string>(), link);
                    j["keys"][0]["key_file"] = link.string();
                },
                "which is a symlink"},
        Hostile{"next key's record is not its key's",
                [](const Host& /*h*/, json& j) { j["keys"][1]["tlsa"] = j["keys"][0]["tlsa"]; },
                "as the rollover state says; refusing to use it"},
        Hostile{"all-zero record",
                [](const Host& /*h*/, json& j) { j["keys"][1]["tlsa"] = "3 1 1 " + std::string(64, '0'); },
                "key 2: 'tlsa' is all zeros"},
        Hostile{"id 2^40", [](const Host& /*h*/, json& j) { j["keys"][1]["id"] = 1099511627776ULL; },
                "key id 1099511627776 is outside 1 to 4294967295"},
        Hostile{"a non-date", [](const Host& /*h*/, json& j) { j["keys"][1]["created"] = "2026-02-31T00:00:00Z"; },
                "'created' is not a time like"},
        Hostile{"year 9999", [](const Host& /*h*/, json& j) { j["keys"][1]["created"] = "9999-12-31T23:59:59Z"; },
                "'created' is not a time like"},
        Hostile{"another host's state", [](const Host& /*h*/, json& j) { j["host"] = "mx2.example.net"; },
                "is for 'mx2.example.net', not mx1.example.net"}));

TEST(RolloverSafety, AnIncompleteKeyNamingFilesStageDoesNotMakeIsNotDeleted) {
    Host h;
    h.init();
    h.stage();
    json j = h.state();
    // The incomplete key names the current key's files, or a file in the
    // key directory stage would never make: stage refuses to delete them.
    struct Case {
        std::string key;
        std::string cert;
        std::string says;
    };
    for (const auto& c :
         std::vector<Case>{{j["keys"][0]["key_file"].get<std::string>(), j["keys"][0]["cert_file"].get<std::string>(),
                            "names the same files for key 1 and key 2"},
                           {(h.keys / "important.key").string(), j["keys"][1]["cert_file"].get<std::string>(),
                            "which are not names a stage makes"}}) {
        fs::remove(j["keys"][1]["key_file"].get<std::string>());
        if (!fs::exists(c.key)) {
            std::ofstream(c.key) << "important\n";
        }
        const std::string& says = c.says;
        json e = j;
        e["keys"][1]["key_file"] = c.key;
        e["keys"][1]["cert_file"] = c.cert;
        e["keys"][1]["created"] = nullptr;
        e["keys"][1]["tlsa"] = nullptr;
        h.write_state(e);
        const auto before = snapshot_tree(h.tmp.path());
        const auto r = h.rollover("stage");
        EXPECT_EQ(r.exit_code, 1) << r.err;
        EXPECT_TRUE(contains(r.err, says)) << r.err;
        EXPECT_EQ(snapshot_tree(h.tmp.path()), before);
    }
}

TEST(RolloverSafety, AnEncryptedKeyIsRefusedWithoutAPromptEvenWithATerminal) {
    const Host h;
    fs::create_directories(h.keys);
    const fs::path key = h.keys / (host + "-MX-20260101.key");
    const fs::path crt = h.keys / (host + "-MX-SS-20260101.crt");
    shell("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes256 -pass pass:secret -out '" +
          key.string() + "' 2>/dev/null && openssl req -new -x509 -key '" + key.string() +
          "' -passin pass:secret -out '" + crt.string() + "' -days 30 -subj /CN=" + host + " 2>/dev/null");
    ASSERT_TRUE(contains(read_file(key), "ENCRYPTED PRIVATE KEY"));
    // script(1) gives the command a pseudo-terminal, as a timer with a tty
    // would; /dev/null on stdin: a prompt would wait, timeout(1) would end it.
    const std::string cmd = "timeout 20 '" + mxdane_binary().string() + "' rollover init --out '" + h.keys.string() +
                            "' --state-dir '" + h.state_dir.string() + "' " + host;
    const auto r = run_process({"script", "-qec", cmd, "/dev/null"});
    EXPECT_EQ(r.exit_code, 64) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "the private key is encrypted; mxdane never asks for a passphrase"))
        << r.out << r.err;
    EXPECT_FALSE(contains(r.out + r.err, "pass phrase")) << r.out;
    EXPECT_FALSE(fs::exists(h.state_file));
}

TEST(RolloverSafety, AFileNameWithALongDigitRunIsIgnoredNotFatal) {
    const Host h;
    const auto k = run_mxdane({"keygen", "--key", "p256", "--out", h.keys.string(), host});
    ASSERT_EQ(k.exit_code, 0) << k.err;
    std::ofstream(h.keys / (host + "-MX-20260101-99999999999999999999.key")) << "x";
    std::ofstream(h.keys / (host + "-MX-SS-20260101-99999999999999999999.crt")) << "x";
    const auto r = h.rollover("init");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(contains(r.err, "stol")) << r.err;
}

TEST(RolloverSafety, AnInterruptedStageIsIncompleteAndTheNextStageCompletesIt) {
    Host h;
    h.init();
    // What a stage killed before keygen left: the state names key 2 without
    // a record (older versions wrote an all-zero placeholder).
    json j = h.state();
    json pending = j["keys"][0];
    pending["id"] = 2;
    pending["key_file"] = (h.keys / (host + "-MX-20200101.key")).string();
    pending["cert_file"] = (h.keys / (host + "-MX-SS-20200101.crt")).string();
    pending["tlsa"] = "3 1 1 " + std::string(64, '0');
    for (const auto* f : {"created", "published", "active", "retired", "removed"}) {
        pending[f] = nullptr;
    }
    j["keys"].push_back(pending);
    h.write_state(j);
    std::ofstream(pending["key_file"].get<std::string>()) << "-----BEGIN PRIVATE KEY-----\npartial";
    const auto r = h.rollover("stage");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(contains(r.out, "0000000000")) << r.out;
    EXPECT_FALSE(fs::exists(pending["key_file"].get<std::string>()));
    const json after = h.state();
    ASSERT_EQ(after["keys"].size(), 2U);
    const std::string made = after["keys"][1]["key_file"].get<std::string>();
    EXPECT_EQ(after["keys"][1]["tlsa"], "3 1 1 " + spki_sha256_of_key(made));
    EXPECT_TRUE(contains(r.out, spki_sha256_of_key(made))) << r.out;
}

/// Two runs at once: the host's lock lets exactly one act; the other waits
/// briefly and refuses, or finds the work done. Never two keys, never an
/// orphaned key file.
TEST(RolloverSafety, TwoStagesAtOnceExactlyOneActsFiftyRounds) {
    for (int round = 0; round < 50; ++round) {
        Host h;
        h.init();
        auto a = std::async(std::launch::async, [&h] { return h.rollover("stage"); });
        auto b = std::async(std::launch::async, [&h] { return h.rollover("stage"); });
        const RunResult ra = a.get();
        const RunResult rb = b.get();
        EXPECT_EQ((ra.exit_code == 0 ? 1 : 0) + (rb.exit_code == 0 ? 1 : 0), 1) << "round " << round << "\n"
                                                                                << ra.err << "\n"
                                                                                << rb.err;
        for (const auto* r : {&ra, &rb}) {
            if (r->exit_code != 0) {
                EXPECT_EQ(r->exit_code, 1) << r->err;
                EXPECT_TRUE(contains(r->err, "a next key is already staged") ||
                            contains(r->err, "another mxdane is working on mx1.example.net"))
                    << r->err;
            }
        }
        const json s = h.state();
        ASSERT_EQ(s["keys"].size(), 2U) << "round " << round;
        // Two dated keys on disk, both in the state: no orphan.
        const auto files = h.dated_keys();
        ASSERT_EQ(files.size(), 2U) << "round " << round;
        for (const auto& f : files) {
            EXPECT_TRUE(f == s["keys"][0]["key_file"].get<std::string>() ||
                        f == s["keys"][1]["key_file"].get<std::string>())
                << f;
        }
    }
}

/// The key directory fills up during stage (a 64 KiB tmpfs mounted in a
/// private mount namespace, so nothing outside this test sees it), then
/// frees up; the next auto pass, publishing through a hook, must hand the
/// hook only the record of a key file that exists, as openssl computes it.
/// DNS is unreachable here (a closed port): the pass acts on the incomplete
/// key alone, which needs no DNS.
TEST(RolloverSafety, ADiskFullDuringStageNeverPublishesAnUnmadeRecord) {
    if (run_process({"unshare", "-m", "true"}).exit_code != 0) {
        GTEST_SKIP() << "cannot make a private mount namespace here (needs root)";
    }
    const Host h;
    fs::create_directories(h.keys);
    const fs::path out = h.tmp.path() / "out";
    fs::create_directories(out);
    const fs::path hook = h.tmp.path() / "hook.sh";
    std::ofstream(hook) << "#!/bin/sh\necho \"$MXDANE_ACTION $MXDANE_RDATA\" >> '" << (out / "hook.log").string()
                        << "'\n";
    fs::permissions(hook, fs::perms(0755));
    const std::string m = "'" + mxdane_binary().string() + "'";
    const std::string dirs = " --out '" + h.keys.string() + "' --state-dir '" + h.state_dir.string() + "' ";
    // A trust anchor of another zone: the SERVFAIL below is the host's own,
    // not "this machine cannot validate" (the root's SOA would fail too).
    const fs::path anchor = h.tmp.path() / "other.ds";
    std::ofstream(anchor) << "example.org. IN DS 12345 13 2 " << std::string(64, '0') << "\n";
    const std::string script =
        "set -u\n"
        "servfail='import socket,sys\n"
        "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
        "s.bind((\"127.0.0.1\",0))\n"
        "print(s.getsockname()[1],flush=True)\n"
        "s.settimeout(60)\n"
        "while True:\n"
        "  d,a=s.recvfrom(4096)\n"
        "  i=12\n"
        "  while d[i]: i+=d[i]+1\n"
        "  s.sendto(d[:2]+bytes([0x81,0x82])+d[4:6]+bytes(6)+d[12:i+5],a)\n"
        "'\n"
        "mount -t tmpfs -o size=64k,mode=0755 mxdane-test '" +
        h.keys.string() +
        "' || exit 90\n"
        // Prove we are inside the private namespace before writing.
        "grep -q ' " +
        h.keys.string() + " ' /proc/self/mountinfo || exit 91\n" + m + " keygen --key p256 --out '" + h.keys.string() +
        "' " + host + " >/dev/null 2>&1 || exit 92\n" + m + " rollover init" + dirs + host +
        " >/dev/null 2>&1 || exit 93\n"
        "dd if=/dev/zero of='" +
        h.keys.string() + "/filler' bs=1k count=128 2>/dev/null\n" + m + " rollover stage" + dirs + host + " >'" +
        out.string() + "/stage.out' 2>'" + out.string() +
        "/stage.err'\n"
        "echo $? > '" +
        out.string() +
        "/stage.rc'\n"
        "cp '" +
        h.state_file.string() + "' '" + out.string() +
        "/state-after-stage.json'\n"
        "rm -f '" +
        h.keys.string() +
        "/filler'\n"
        // A DNS server that is there but answers SERVFAIL to everything: the
        // TLSA lookup fails (no verdict on DNS), the stage must still finish.
        "python3 -c \"$servfail\" > '" +
        out.string() +
        "/port' 2>/dev/null </dev/null &\n"
        "spid=$!\n"
        "for i in 1 2 3 4 5 6 7 8 9 10; do [ -s '" +
        out.string() +
        "/port' ] && break; sleep 0.2; done\n"
        "port=$(cat '" +
        out.string() + "/port')\n" + m + " rollover auto" + dirs + "--key-life 0 --publish-hook '" + hook.string() +
        "' --forward 127.0.0.1@$port --trust-anchor '" + anchor.string() + "' --timeout 5 " + host + " >'" +
        out.string() + "/auto.out' 2>'" + out.string() +
        "/auto.err'\n"
        "echo $? > '" +
        out.string() +
        "/auto.rc'\n"
        "cp '" +
        h.state_file.string() + "' '" + out.string() +
        "/state-after-auto.json'\n"
        // The oracle, while the tmpfs is still mounted: openssl's record of
        // every key file there.
        "for k in '" +
        h.keys.string() + "'/" + host +
        "-MX-2*.key; do openssl pkey -in \"$k\" -pubout -outform DER "
        "| openssl dgst -sha256 -r | cut -d' ' -f1; done > '" +
        out.string() +
        "/real.txt'\n"
        "kill $spid\n";
    const RunResult r = run_process({"unshare", "-m", "--propagation", "private", "sh", "-c", script});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(fs::is_empty(h.keys)) << "the tmpfs leaked out of its namespace";
    EXPECT_NE(read_file(out / "stage.rc"), "0\n") << read_file(out / "stage.err");
    EXPECT_TRUE(contains(read_file(out / "stage.err"), "No space left on device")) << read_file(out / "stage.err");
    EXPECT_TRUE(read_file(out / "stage.out").empty());
    const std::string after_stage = read_file(out / "state-after-stage.json");
    EXPECT_FALSE(contains(after_stage, std::string(32, '0'))) << after_stage;
    EXPECT_TRUE(contains(after_stage, "\"tlsa\": null")) << after_stage;
    // The next pass completed the stage and published exactly that key.
    // Exit 1: the pass acted, but its health verdict stays critical while
    // the TLSA lookup fails (README "Exit codes").
    EXPECT_EQ(read_file(out / "auto.rc"), "1\n") << read_file(out / "auto.out") << read_file(out / "auto.err");
    EXPECT_TRUE(contains(read_file(out / "auto.out"), "[critical: the TLSA lookup failed (SERVFAIL)"))
        << read_file(out / "auto.out");
    EXPECT_TRUE(contains(read_file(out / "auto.out"), "staged key 2")) << read_file(out / "auto.out");
    std::istringstream real(read_file(out / "real.txt"));
    std::set<std::string> real_records;
    for (std::string l; std::getline(real, l);) {
        real_records.insert("3 1 1 " + l);
    }
    ASSERT_EQ(real_records.size(), 2U) << read_file(out / "real.txt");
    std::istringstream hooked(read_file(out / "hook.log"));
    int published = 0;
    for (std::string l; std::getline(hooked, l);) {
        ++published;
        ASSERT_EQ(l.rfind("add ", 0), 0U) << l;
        EXPECT_EQ(real_records.count(l.substr(4)), 1U) << "the hook got a record of no key file: " << l;
    }
    EXPECT_EQ(published, 1);
    const json s = json::parse(read_file(out / "state-after-auto.json"));
    ASSERT_EQ(s["keys"].size(), 2U);
    EXPECT_EQ(real_records.count(s["keys"][1]["tlsa"].get<std::string>()), 1U);
}

} // namespace
