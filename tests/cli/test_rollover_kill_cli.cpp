// Kills rollover steps at chosen system calls (strace's fault injection:
// -e inject=SYSCALL:signal=KILL:when=N) and checks, after every kill, that
// the state parses, that no record in it is not its key file's, that the
// stable names are a matching pair of existing files, and that the next
// run finishes the job and leaves no orphaned key. The steps run without
// DNS here (init, stage, emergency); activate, retire and auto need a
// signed zone and an MTA and are killed in the rollover lab
// (tests/rolloverlab/test_rollover_auto_lab.cpp).
//
// Kill points: every call of every file syscall the step makes in an
// uninterrupted run (a step makes a hundred or so; a syscall called more
// than `dense` times would be sampled evenly, plus random extra points).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <sys/stat.h>

#include "cli_harness.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;
using nlohmann::json;

const std::string host = "mx1.example.net";
constexpr int dense = 1000;

/// The system calls that change files (and the lock), each killed in turn.
const std::vector<std::string> file_syscalls{"openat", "write",    "fsync",  "rename",    "renameat2",
                                             "linkat", "unlinkat", "unlink", "symlinkat", "mkdir",
                                             "fchmod", "flock",    "link"};

bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

bool have_strace() {
    return run_process({"sh", "-c", "command -v strace"}).exit_code == 0;
}

struct Host {
    TempDir tmp;
    fs::path keys = tmp.path() / "keys";
    fs::path state_dir = tmp.path() / "state";
    fs::path state_file = state_dir / (host + ".json");

    [[nodiscard]] std::vector<std::string> argv(const std::vector<std::string>& step) const {
        std::vector<std::string> a{mxdane_binary().string(), "rollover", step[0], "--out", keys.string(), "--state-dir",
                                   state_dir.string()};
        a.insert(a.end(), step.begin() + 1, step.end());
        a.push_back(host);
        return a;
    }
    [[nodiscard]] RunResult run(const std::vector<std::string>& step) const { return run_process(argv(step)); }
};

std::string spki_of(const std::string& file, bool is_key) {
    const RunResult r = run_process({"sh", "-c",
                                     (is_key ? "openssl pkey -in \"$1\" -pubout -outform DER"
                                             : "openssl x509 -in \"$1\" -noout -pubkey | "
                                               "openssl pkey -pubin -outform DER") +
                                         std::string(" 2>/dev/null | openssl dgst -sha256 -r | cut -d' ' -f1"),
                                     "sh", file});
    std::string s = r.out;
    while (!s.empty() && s.back() == '\n') {
        s.pop_back();
    }
    return s;
}

/// The invariants that must hold after any kill. `at` names the kill point.
/// A kill between the two renames of a switch leaves the stable names on
/// two keys, or (during init) only one of them (`split_ok`): the next run
/// must have put them together again.
void expect_invariants(const Host& h, const std::string& at, bool split_ok) {
    SCOPED_TRACE(at);
    // The stable names: symlinks to existing files that belong together.
    const fs::path sk = h.keys / (host + "-MX.key");
    const fs::path sc = h.keys / (host + "-MX.crt");
    for (const auto& link : {sk, sc}) {
        if (fs::is_symlink(link)) {
            ASSERT_TRUE(fs::exists(link)) << link << " dangles";
        }
    }
    if (!split_ok && (fs::is_symlink(sk) || fs::is_symlink(sc))) {
        ASSERT_TRUE(fs::is_symlink(sk) && fs::is_symlink(sc)) << "only one stable name exists";
        EXPECT_EQ(spki_of(sk, true), spki_of(sc, false)) << "the stable names are not a matching pair";
    }
    if (!fs::exists(h.state_file)) {
        return;
    }
    const json s = json::parse(read_file(h.state_file), nullptr, false);
    ASSERT_FALSE(s.is_discarded()) << "the state file does not parse";
    EXPECT_FALSE(contains(s.dump(), std::string(64, '0'))) << "an all-zero record in the state";
    for (const auto& k : s["keys"]) {
        if (k["tlsa"].is_null() || !k["removed"].is_null()) {
            continue;
        }
        // A made key's record is its key file's.
        const std::string key_file = k["key_file"].get<std::string>();
        if (!k["retired"].is_null() && !fs::exists(key_file)) {
            continue;
        }
        EXPECT_EQ(k["tlsa"].get<std::string>(), "3 1 1 " + spki_of(key_file, true)) << key_file;
    }
    for (const auto& e : fs::recursive_directory_iterator(h.tmp.path())) {
        if (e.is_regular_file() && e.path().extension() == ".key") {
            struct stat st {};
            ASSERT_EQ(::stat(e.path().c_str(), &st), 0);
            EXPECT_EQ(st.st_mode & 0077U, 0U) << e.path() << " is readable by others";
        }
    }
}

/// After the finishing run: every dated key file in the key directory is
/// one the state names (no orphan).
void expect_no_orphan(const Host& h, const std::string& at) {
    SCOPED_TRACE(at);
    const json s = json::parse(read_file(h.state_file));
    std::set<std::string> named;
    for (const auto& k : s["keys"]) {
        named.insert(k["key_file"].get<std::string>());
    }
    for (const auto& e : fs::directory_iterator(h.keys)) {
        const std::string n = e.path().filename().string();
        if (e.path().extension() == ".key" && n != host + "-MX.key") {
            EXPECT_TRUE(named.count(e.path().string()) == 1) << "orphaned key " << e.path();
        }
    }
}

/// The calls of each syscall of `file_syscalls` in an uninterrupted run,
/// after the dynamic loader's (syscall_calls_after_loading).
std::map<std::string, std::vector<int>> count_syscalls(const std::vector<std::string>& argv) {
    const TempDir d;
    const fs::path log = d.path() / "trace";
    std::string set;
    for (const auto& s : file_syscalls) {
        set += (set.empty() ? "" : ",") + s;
    }
    std::vector<std::string> a{"strace", "-f", "-qq", "-o", log.string(), "-e", "trace=" + set};
    a.insert(a.end(), argv.begin(), argv.end());
    (void)run_process(a);
    return syscall_calls_after_loading(read_file(log));
}

struct KillPoint {
    std::string syscall;
    int when;
};

std::vector<KillPoint> kill_points(const std::map<std::string, std::vector<int>>& calls, std::mt19937& rng,
                                   int random) {
    std::vector<KillPoint> out;
    for (const auto& [sc, whens] : calls) {
        const int n = static_cast<int>(whens.size());
        if (n <= dense) {
            for (const int w : whens) {
                out.push_back({sc, w});
            }
        } else {
            for (int i = 0; i < dense; ++i) {
                out.push_back({sc, whens[static_cast<std::size_t>((i * (n - 1)) / (dense - 1))]});
            }
        }
    }
    std::vector<KillPoint> all;
    for (const auto& [sc, whens] : calls) {
        for (const int w : whens) {
            all.push_back({sc, w});
        }
    }
    for (int i = 0; i < random && !all.empty(); ++i) {
        out.push_back(all[std::uniform_int_distribution<std::size_t>(0, all.size() - 1)(rng)]);
    }
    return out;
}

TEST(KillPoints, TheDynamicLoadersCallsAreLeftOutAndTheRestKeepStracesNumbers) {
    const std::string log = "openat(AT_FDCWD, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3\n"
                            "openat(AT_FDCWD, \"/lib/x86_64-linux-gnu/libssl.so.3\", O_RDONLY|O_CLOEXEC) = 3\n"
                            "openat(AT_FDCWD, \"/lib/x86_64-linux-gnu/libasan.so.8\", O_RDONLY|O_CLOEXEC) = 3\n"
                            "openat(AT_FDCWD, \"/var/lib/mxdane/h.json\", O_RDONLY) = 3\n"
                            "write(3, \"{\"..., 10) = 10\n"
                            "4711  openat(AT_FDCWD, \"/lib/x86_64-linux-gnu/libc.so.6\", O_RDONLY|O_CLOEXEC) = 3\n"
                            "4711  fsync(3) = 0\n"
                            "--- SIGCHLD {si_signo=SIGCHLD} ---\n";
    const auto calls = syscall_calls_after_loading(log);
    // The loader's three openat calls are #1-#3; a library opened later
    // (dlopen, or a child's loader) is a kill point like any other.
    EXPECT_EQ(calls, (std::map<std::string, std::vector<int>>{{"openat", {4, 5}}, {"write", {1}}, {"fsync", {1}}}));
    EXPECT_TRUE(syscall_calls_after_loading("").empty());
}

TEST(KillPoints, EveryPointInTheNormalBuildASeededQuarterUnderAsan) {
    std::vector<int> all(200);
    for (int i = 0; i < 200; ++i) {
        all[static_cast<std::size_t>(i)] = i;
    }
    const auto tried = kill_points_to_try(all, 42);
    if (!sanitized_build) {
        EXPECT_EQ(tried, all);
        return;
    }
    EXPECT_EQ(tried.front(), 0);
    EXPECT_EQ(tried.back(), 199);
    EXPECT_GT(tried.size(), 20U);
    EXPECT_LT(tried.size(), 100U);
    EXPECT_TRUE(std::is_sorted(tried.begin(), tried.end()));
    EXPECT_EQ(kill_points_to_try(all, 42), tried); // the seed replays it
    EXPECT_NE(kill_points_to_try(all, 43), tried);
    const std::vector<int> few{1, 2, 3};
    EXPECT_EQ(kill_points_to_try(few, 42), few);
}

struct Scenario {
    std::string name;
    std::function<void(const Host&)> prepare;
    std::vector<std::string> step;
    /// Whether the finishing run's result is the job done.
    std::function<bool(const RunResult&)> finished;
};

void init_host(const Host& h) {
    const auto k = run_mxdane({"keygen", "--key", "p256", "--out", h.keys.string(), host});
    ASSERT_EQ(k.exit_code, 0) << k.err;
}

void initialised(const Host& h) {
    init_host(h);
    const auto r = h.run({"init"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
}

void staged(const Host& h) {
    initialised(h);
    const auto r = h.run({"stage"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
}

class RolloverKill : public ::testing::TestWithParam<Scenario> {};

void PrintTo(const Scenario& s, std::ostream* os) {
    *os << s.name;
}

TEST_P(RolloverKill, AtEveryFileSyscallTheStateStaysSoundAndTheNextRunFinishes) {
    if (!have_strace()) {
        GTEST_SKIP() << "strace is not installed (tests/lab/packages.txt)";
    }
    const Scenario& sc = GetParam();
    const unsigned seed = test_seed();
    SCOPED_TRACE(seed_trace());
    std::mt19937 rng(seed);
    std::map<std::string, std::vector<int>> counts;
    {
        const Host probe;
        sc.prepare(probe);
        counts = count_syscalls(probe.argv(sc.step));
    }
    ASSERT_FALSE(counts.empty());
    const auto points = kill_points_to_try(kill_points(counts, rng, 0), seed);
    std::cerr << "[ kill    ] " << sc.name << ": " << points.size() << " kill points (seed " << seed << ")\n";
    for (const auto& p : points) {
        const std::string at = sc.name + " killed at " + p.syscall + " #" + std::to_string(p.when) + " (seed " +
                               std::to_string(seed) + ")";
        const Host h;
        sc.prepare(h);
        std::vector<std::string> a{"strace",
                                   "-f",
                                   "-qq",
                                   "-o",
                                   "/dev/null",
                                   "-e",
                                   "trace=" + p.syscall,
                                   "-e",
                                   "inject=" + p.syscall + ":signal=KILL:when=" + std::to_string(p.when)};
        const auto cmd = h.argv(sc.step);
        a.insert(a.end(), cmd.begin(), cmd.end());
        (void)run_process(a);
        expect_invariants(h, at, true);
        const RunResult again = h.run(sc.step);
        EXPECT_TRUE(sc.finished(again)) << at << ": the next run did not finish:\n" << again.out << again.err;
        expect_invariants(h, at + ", then run again", false);
        if (fs::exists(h.state_file)) {
            expect_no_orphan(h, at + ", then run again");
        }
        if (HasFatalFailure()) {
            return;
        }
    }
}

bool ok_or(const RunResult& r, const std::string& refusal) {
    return r.exit_code == 0 || contains(r.err, refusal);
}

INSTANTIATE_TEST_SUITE_P(
    Steps, RolloverKill,
    ::testing::Values(
        Scenario{"init", init_host, {"init"}, [](const RunResult& r) { return ok_or(r, "already set up"); }},
        Scenario{"stage", initialised, {"stage"}, [](const RunResult& r) { return ok_or(r, "already staged"); }},
        // No MTA listens on port 9: emergency switches, fails its proof and
        // switches back; the job it finishes is that round trip.
        Scenario{
            "emergency",
            staged,
            {"emergency", "--verify-at", "127.0.0.1:9", "--verify-tries", "1"},
            [](const RunResult& r) { return r.exit_code == 1 && contains(r.err, "still serves the compromised"); }},
        Scenario{
            "emergency without a staged key",
            initialised,
            {"emergency", "--verify-at", "127.0.0.1:9", "--verify-tries", "1"},
            [](const RunResult& r) { return r.exit_code == 1 && contains(r.err, "still serves the compromised"); }}),
    [](const ::testing::TestParamInfo<Scenario>& i) {
        std::string n;
        for (const char c : i.param.name) {
            n += std::isalnum(static_cast<unsigned char>(c)) != 0 ? c : '_';
        }
        return n;
    });

} // namespace
