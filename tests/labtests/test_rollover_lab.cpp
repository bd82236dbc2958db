// A whole key rotation of a live Postfix against the lab's real DNSSEC-signed
// zone (issue #5): keygen, init, stage, publish, wait, activate, withdraw,
// retire, with `mxdane check` run after every step and continuously while
// the MTA switches keys: at no moment may a DANE sender have to defer.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "lab_harness.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;

const std::string host = "mx15.secure.test";

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

/// The 3 1 1 data of a certificate, from the openssl CLI (not mxdane).
std::string spki_sha256(const fs::path& cert) {
    return trim(shell("openssl x509 -in '" + cert.string() +
                      "' -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1"));
}

fs::path zone_file() {
    return fs::path(env("LAB_ZONES_DIR")) / "secure.test.zone";
}

void reload_dns() {
    shell("LAB_QUIET=1 '" + std::string(MXDANE_SOURCE_DIR) + "/tests/lab/labctl' reload-dns '" + env("LAB_DIR") + "'");
}

/// Publishes a 3 1 1 record for mx15 with a TTL of 2 seconds.
void publish(const std::string& hex) {
    std::ofstream(zone_file(), std::ios::app) << "_25._tcp.mx15\t2\tIN\tTLSA\t3 1 1 " << hex << "\n";
    reload_dns();
}

/// Withdraws it again.
void withdraw(const std::string& hex) {
    const std::string text = read_file(zone_file());
    std::string out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.find(hex) == std::string::npos) {
            out += line + "\n";
        }
    }
    std::ofstream(zone_file(), std::ios::trunc) << out;
    reload_dns();
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

class RolloverLab : public ::testing::Test {
  protected:
    const LabPostfixLock m_postfix_lock; ///< first: held while the fixture lives
    fs::path m_keys = fs::path(env("LAB_ROT_DIR")) / "keys";
    fs::path m_state = fs::path(env("LAB_ROT_DIR")) / "state";

    [[nodiscard]] std::vector<std::string> dirs() const {
        return {"--out", m_keys.string(), "--state-dir", m_state.string()};
    }
    /// The lab's resolver options, for rollover commands.
    [[nodiscard]] static std::vector<std::string> resolver() {
        std::vector<std::string> args{"--trust-anchor", env("LAB_TRUST_ANCHOR")};
        std::istringstream zones(env("LAB_STUB_ZONES"));
        std::string z;
        while (zones >> z) {
            args.push_back("--stub");
            args.push_back(z + "=" + env("LAB_DNS_ADDR") + "@" + env("LAB_DNS_PORT"));
        }
        return args;
    }
    [[nodiscard]] std::vector<std::string> switching() const {
        return {"--reload",    env("LAB_POSTFIX_RELOAD"),
                "--verify-at", env("LAB_ROT_ADDR") + ":" + env("LAB_SMTP_PORT"),
                "--margin",    "0"};
    }
    RunResult rollover(const std::string& step, std::vector<std::string> extra = {}) const {
        std::vector<std::string> args{"rollover", step};
        args = with(args, dirs());
        if (step != "init" && step != "stage") {
            args = with(args, resolver());
        }
        args = with(args, extra);
        args.push_back(host);
        return run_mxdane(args);
    }
    /// What a DANE sender would conclude right now.
    static RunResult check() { return run_mxdane(lab_args({"--mx", host})); }
    static void expect_validated(const std::string& when) {
        const RunResult r = check();
        EXPECT_EQ(r.exit_code, 0) << when << "\n" << r.out << r.err;
        EXPECT_NE(r.out.find("dane-validated"), std::string::npos) << when << "\n" << r.out;
    }
};

TEST_F(RolloverLab, AWholeRotationNeverMakesASenderDefer) {
    // A rerun (run-tests retries a failed test once) starts from nothing.
    shell("rm -rf '" + m_state.string() + "' '" + m_keys.string() + "/" + host + "-MX'* '" + m_keys.string() +
          "/retired/" + host + "-MX'*");
    // Key 1, made by keygen, adopted, published, served.
    fs::create_directories(m_keys);
    auto r = run_mxdane(with({"keygen", "--key", "p256"}, with({"--out", m_keys.string()}, {host})));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = rollover("init");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string key1 = spki_sha256(m_keys / (host + "-MX.crt"));
    publish(key1);
    // The lab's reload returns once no smtpd from before it is left
    // (labctl reload-postfix): the next connection meets key 1.
    shell(env("LAB_POSTFIX_RELOAD"));
    expect_validated("after init");

    // Stage key 2: DNS does not show it yet, so the planner waits (exit 4).
    r = rollover("stage");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string key2;
    for (const auto& e : fs::directory_iterator(m_keys)) {
        const std::string name = e.path().filename().string();
        // This host's only: rollover_auto_lab keeps mx16's keys in the same
        // directory, and may be making some right now.
        if (name.rfind(host + "-MX-SS-", 0) == 0 && !fs::is_symlink(e.path()) && spki_sha256(e.path()) != key1) {
            key2 = spki_sha256(e.path());
        }
    }
    ASSERT_EQ(key2.size(), 64U);
    EXPECT_NE(r.out.find(key1), std::string::npos) << r.out; // the RRset to publish: current ...
    EXPECT_NE(r.out.find(key2), std::string::npos) << r.out; // ... and next
    r = rollover("status", {"--margin", "0"});
    EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
    EXPECT_NE(r.out.find("step:    publish (waiting)"), std::string::npos) << r.out;
    r = rollover("activate", switching());
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("not switching yet"), std::string::npos) << r.err;
    expect_validated("after stage");

    // Publish key 2 beside key 1: seen secure now, the wait (2 x 2 s) runs.
    publish(key2);
    r = rollover("status", {"--margin", "0"});
    EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
    EXPECT_NE(r.out.find("wait-for-caches"), std::string::npos) << r.out;
    expect_validated("after publishing the next record");
    std::this_thread::sleep_for(std::chrono::seconds(5));
    r = rollover("status", {"--margin", "0"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("step:    activate (allowed now)"), std::string::npos) << r.out;

    // Activate while a sender checks continuously.
    std::atomic<bool> done{false};
    std::mutex mu;
    std::vector<std::string> failures;
    int probes = 0;
    std::thread sender([&] {
        while (!done) {
            const RunResult c = check();
            const std::lock_guard<std::mutex> lock(mu);
            ++probes;
            if (c.exit_code != 0) {
                failures.push_back(c.out + c.err);
            }
        }
    });
    r = rollover("activate", switching());
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    done = true;
    sender.join();
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("now serves key 2"), std::string::npos) << r.err;
    EXPECT_GT(probes, 0);
    EXPECT_TRUE(failures.empty()) << failures.size() << " of " << probes << " checks failed, first:\n"
                                  << (failures.empty() ? "" : failures.front());
    expect_validated("after activate");

    // Retire waits while DNS still shows key 1, then moves it away.
    r = rollover("retire");
    EXPECT_EQ(r.exit_code, 4) << r.err;
    EXPECT_NE(r.out.find("; remove:"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(key1), std::string::npos) << r.out;
    withdraw(key1);
    expect_validated("after withdrawing the old record");
    r = rollover("retire");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::exists(m_keys / "retired"));
    expect_validated("after retire");
    r = rollover("status", {"--margin", "0"});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("step:    stage"), std::string::npos) << r.out;
}

/// Withdraws every TLSA record of mx15 (a rerun, or an earlier test, may have
/// left some).
void withdraw_all() {
    withdraw("_25._tcp.mx15\t");
}

/// `r`'s stdout is one JSON object valid under schema/`schema`
/// (tests/json/validate_json.py), and its exit is the process's.
nlohmann::json valid_json(const std::string& schema, const RunResult& r) {
    const TempDir dir;
    std::ofstream(dir.path() / "out.json") << r.out;
    const auto v =
        run_process({"python3", std::string(MXDANE_SOURCE_DIR) + "/tests/json/validate_json.py", "--validate",
                     std::string(MXDANE_SOURCE_DIR) + "/schema", schema, (dir.path() / "out.json").string()});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err << r.out << r.err;
    const auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded()) {
        throw std::runtime_error("not JSON (exit " + std::to_string(r.exit_code) + "): " + r.out + r.err);
    }
    EXPECT_EQ(j.at("exit"), r.exit_code) << r.out;
    return j;
}

/// The record data of `records` (a JSON array), in order.
std::vector<std::string> datas(const nlohmann::json& records) {
    std::vector<std::string> out;
    for (const auto& rec : records) {
        out.push_back(rec.at("data"));
    }
    return out;
}

TEST_F(RolloverLab, EveryStepsJsonOnARealRotation) {
    shell("rm -rf '" + m_state.string() + "' '" + m_keys.string() + "/" + host + "-MX'* '" + m_keys.string() +
          "/retired/" + host + "-MX'*");
    withdraw_all();
    fs::create_directories(m_keys);
    auto r = run_mxdane(with({"keygen", "--key", "p256"}, with({"--out", m_keys.string()}, {host})));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = rollover("init", {"--json"});
    auto j = valid_json("rollover.json", r);
    const std::string key1 = spki_sha256(m_keys / (host + "-MX.crt"));
    EXPECT_EQ(j.at("record").at("data"), key1);
    publish(key1);
    shell(env("LAB_POSTFIX_RELOAD"));

    // What DNS shows, as the validating resolver returned it.
    r = rollover("status", {"--json", "--margin", "0"});
    j = valid_json("rollover.json", r);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(j.at("dns").at("security"), "secure") << r.out;
    EXPECT_EQ(j.at("dns").at("ttl"), 2) << r.out;
    EXPECT_EQ(datas(j.at("dns").at("records")), std::vector<std::string>{key1}) << r.out;
    EXPECT_EQ(j.at("health").at("level"), "ok") << r.out;

    r = rollover("stage", {"--json"});
    j = valid_json("rollover.json", r);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    ASSERT_EQ(j.at("keys").size(), 2U) << r.out;
    const std::string key2 = spki_sha256(j.at("keys").at(1).at("cert_file").get<std::string>());
    EXPECT_EQ(datas(j.at("to_publish")), std::vector<std::string>{key2}) << r.out;

    // Published: the wait for caches, with the time it ends.
    publish(key2);
    r = rollover("status", {"--json", "--margin", "0"});
    j = valid_json("rollover.json", r);
    EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
    EXPECT_EQ(j.at("step"), "wait-for-caches") << r.out;
    EXPECT_TRUE(j.at("allowed_at").is_string()) << r.out;
    EXPECT_EQ(j.at("dns").at("records").size(), 2U) << r.out;
    std::this_thread::sleep_for(std::chrono::seconds(5));

    r = rollover("activate", with({"--json"}, switching()));
    j = valid_json("rollover.json", r);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    bool proven = false;
    for (const auto& a : j.at("actions")) {
        proven = proven || (a.at("kind") == "prove" && a.at("ok") == true);
    }
    EXPECT_TRUE(proven) << r.out;
    expect_validated("after activate");

    // A new certificate for key 2, proven live.
    r = run_mxdane(with({"reissue", "--json", "--reload", env("LAB_POSTFIX_RELOAD"), "--verify-at",
                         env("LAB_ROT_ADDR") + ":" + env("LAB_SMTP_PORT")},
                        with(dirs(), {host})));
    j = valid_json("reissue.json", r);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(j.at("proven"), true) << r.out;
    EXPECT_EQ(j.at("record").at("data"), key2) << r.out;
    EXPECT_EQ(spki_sha256(j.at("cert_file").get<std::string>()), key2);
    expect_validated("after reissue");

    r = rollover("retire", {"--json"});
    j = valid_json("rollover.json", r);
    EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
    EXPECT_EQ(datas(j.at("to_withdraw")), std::vector<std::string>{key1}) << r.out;
    withdraw(key1);
    r = rollover("retire", {"--json"});
    j = valid_json("rollover.json", r);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(j.at("outcome"), "acted") << r.out;

    // Emergency, no publisher: the new key serves at once, its record is
    // left to publish and key 2's to withdraw.
    r = run_mxdane(with({"rollover", "emergency", "--json", "--reload", env("LAB_POSTFIX_RELOAD"), "--verify-at",
                         env("LAB_ROT_ADDR") + ":" + env("LAB_SMTP_PORT")},
                        with(dirs(), {host})));
    j = valid_json("rollover.json", r);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(j.at("dns").is_null()) << r.out;
    EXPECT_EQ(datas(j.at("to_withdraw")), std::vector<std::string>{key2}) << r.out;
    ASSERT_EQ(j.at("to_publish").size(), 1U) << r.out;
    EXPECT_EQ(j.at("to_publish").at(0).at("data"), spki_sha256(m_keys / (host + "-MX.crt"))) << r.out;
    withdraw_all();
}

TEST_F(RolloverLab, StatusWithoutStateAndWithACorruptStateFile) {
    const fs::path dir = fs::path(env("LAB_ROT_DIR")) / "corrupt";
    fs::create_directories(dir);
    auto r = run_mxdane(with({"rollover", "status", "--out", dir.string(), "--state-dir", dir.string()},
                             with(resolver(), {"mx99.secure.test"})));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("no rollover state for mx99.secure.test"), std::string::npos) << r.err;
    std::ofstream(dir / "mx99.secure.test.json") << "{\"format\": 1, \"host\": ";
    r = run_mxdane(with({"rollover", "activate", "--out", dir.string(), "--state-dir", dir.string()},
                        with(resolver(), {"mx99.secure.test"})));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("cannot be used"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("nothing was done"), std::string::npos) << r.err;
}

} // namespace
