// Kills mxdane keygen with SIGKILL at random moments (issue #2) and checks
// that no final name ever holds a partial file, and that whatever a killed
// run left is named by the next run's error or cleaned by it, never reused.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <random>
#include <sys/stat.h>

#include "cli_harness.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;
using std::chrono::microseconds;

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

std::string q(const fs::path& p) {
    return "'" + p.string() + "'";
}

mode_t mode_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777U;
}

bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

/// The PEM file is whole: one BEGIN, one END at the very end.
bool whole_pem(const std::string& text, const std::string& type) {
    const std::string begin = "-----BEGIN " + type + "-----\n";
    const std::string end = "-----END " + type + "-----\n";
    return text.rfind(begin, 0) == 0 && text.size() >= end.size() &&
           text.compare(text.size() - end.size(), end.size(), end) == 0;
}

/// How long one uninterrupted run takes here (to spread the kills over it;
/// nothing is asserted about it).
microseconds typical_run(const std::string& key_type) {
    std::vector<microseconds> t;
    for (int i = 0; i < 3; ++i) {
        const TempDir dir;
        const auto start = std::chrono::steady_clock::now();
        const auto r = run_mxdane({"keygen", "--key", key_type, "--out", dir.path().string(), "mx1.example.net"});
        t.push_back(std::chrono::duration_cast<microseconds>(std::chrono::steady_clock::now() - start));
        EXPECT_EQ(r.exit_code, 0) << r.err;
    }
    std::sort(t.begin(), t.end());
    return t[1];
}

struct Leftovers {
    bool key = false;
    bool cert = false;
    std::vector<fs::path> temps;
    std::map<fs::path, std::string> temp_contents;
};

class KeygenKill : public ::testing::Test {
  protected:
    const std::string key_name = "mx1.example.net-MX-" + trim(shell("date +%Y%m%d")) + ".key";
    const std::string cert_name = "mx1.example.net-MX-SS-" + trim(shell("date +%Y%m%d")) + ".crt";
    const std::string stable_key = "mx1.example.net-MX.key";
    const std::string stable_cert = "mx1.example.net-MX.crt";

    /// Everything under `dir` is a whole final file or one of our temporaries.
    Leftovers inspect(const fs::path& dir) {
        Leftovers l;
        if (!fs::exists(dir)) {
            return l;
        }
        for (const auto& name : list_tree(dir)) {
            const fs::path p = dir / name;
            if (name == key_name) {
                l.key = true;
                EXPECT_TRUE(whole_pem(read_file(p), "PRIVATE KEY")) << p;
                EXPECT_EQ(mode_of(p), 0400U) << p;
                shell("openssl pkey -in " + q(p) + " -noout");
            } else if (name == cert_name) {
                l.cert = true;
                EXPECT_TRUE(whole_pem(read_file(p), "CERTIFICATE")) << p;
                EXPECT_EQ(mode_of(p), 0644U) << p;
                shell("openssl x509 -in " + q(p) + " -noout");
            } else if (name == stable_key || name == stable_cert) {
                // Made after both files: it points at one of them.
                EXPECT_TRUE(fs::is_symlink(fs::symlink_status(p))) << p;
                EXPECT_TRUE(fs::exists(p)) << p;
            } else if (name.rfind("." + stable_key + ".mxdane-tmp-", 0) == 0 ||
                       name.rfind("." + stable_cert + ".mxdane-tmp-", 0) == 0) {
                // A stable name's temporary: only after both files exist.
                EXPECT_TRUE(fs::exists(dir / key_name) && fs::exists(dir / cert_name)) << p;
                l.temps.push_back(p);
            } else if (name.rfind("." + key_name + ".mxdane-tmp-", 0) == 0 ||
                       name.rfind("." + cert_name + ".mxdane-tmp-", 0) == 0) {
                l.temps.push_back(p);
                l.temp_contents[p] = read_file(p);
            } else {
                ADD_FAILURE() << "unexpected entry " << p;
            }
        }
        if (l.key && l.cert) {
            // A complete pair is a matching pair.
            EXPECT_EQ(shell("openssl x509 -in " + q(dir / cert_name) + " -noout -pubkey"),
                      shell("openssl pkey -in " + q(dir / key_name) + " -pubout"));
        }
        return l;
    }

    /// The run after a killed one: names or cleans what was left.
    void run_again(const fs::path& dir, const Leftovers& l) {
        const auto before = snapshot_tree(dir.parent_path());
        const auto r = run_mxdane({"keygen", "--key", "p256", "--out", dir.string(), "mx1.example.net"});
        if (l.key || l.cert) {
            EXPECT_EQ(r.exit_code, 2) << r.err;
            EXPECT_EQ(r.err.rfind("error: ", 0), 0U) << r.err;
            EXPECT_TRUE(contains(r.err, (dir / (l.key ? key_name : cert_name)).string())) << r.err;
            EXPECT_TRUE(contains(r.err, l.key && l.cert ? "already exist;" : "already exists without")) << r.err;
            for (const auto& t : l.temps) {
                EXPECT_TRUE(contains(r.err, t.string())) << "temporary not named: " << r.err;
            }
            EXPECT_EQ(snapshot_tree(dir.parent_path()), before);
            return;
        }
        ASSERT_EQ(r.exit_code, 0) << r.err;
        for (const auto& t : l.temps) {
            EXPECT_TRUE(
                contains(r.err, "warning: removed " + t.string() + ", a temporary file left by an interrupted run\n"))
                << r.err;
        }
        EXPECT_EQ(list_tree(dir), (std::vector<std::string>{key_name, cert_name, stable_cert, stable_key}));
        // Fresh material: the new pair matches, the records are the new
        // certificate's, and no leftover temporary became a final file. (One
        // shell: spawning openssl is most of this test's time.)
        const fs::path key = dir / key_name;
        const fs::path cert = dir / cert_name;
        const std::string hashes = shell("openssl x509 -in " + q(cert) +
                                         " -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 "
                                         "-r | cut -d' ' -f1; openssl pkey -in " +
                                         q(key) + " -pubout -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1");
        const std::string spki = hashes.substr(0, hashes.find('\n'));
        EXPECT_EQ(hashes, spki + "\n" + spki + "\n") << "key and certificate differ";
        EXPECT_TRUE(contains(r.out, "IN TLSA 3 1 1 " + spki + "\n")) << r.out;
        for (const auto& [path, content] : l.temp_contents) {
            EXPECT_NE(read_file(key), content) << "reused " << path;
            EXPECT_NE(read_file(cert), content) << "reused " << path;
        }
    }
};

TEST_F(KeygenKill, RandomSigkillNeverLeavesAPartialFinalFile) {
    const unsigned seed = test_seed();
    SCOPED_TRACE(seed_trace());
    std::mt19937 rng(seed);
    std::cout << "seed " << seed << "\n";
    const TempDir root;
    std::map<std::string, int> outcomes;
    int n = 0;
    // p256 is quick, so many runs; a few RSA-2048 runs, where the kill
    // mostly lands in prime generation.
    for (const auto& [key_type, runs] : std::vector<std::pair<std::string, int>>{{"p256", 40}, {"rsa2048", 6}}) {
        const microseconds typical = typical_run(key_type);
        // Up to 1.1 x a typical run: some kills land before, during and
        // after the writes, and some runs finish.
        std::uniform_int_distribution<long> delay(0, typical.count() * 11 / 10);
        for (int i = 0; i < runs; ++i) {
            SCOPED_TRACE("run " + std::to_string(n) + " (" + key_type + ", seed " + std::to_string(seed) + ")");
            const fs::path dir = root.path() / std::to_string(n++) / "keys";
            RunOptions opts;
            opts.kill_after = microseconds(delay(rng));
            const auto r = run_mxdane({"keygen", "--key", key_type, "--out", dir.string(), "mx1.example.net"}, opts);
            ASSERT_TRUE(r.signal == SIGKILL || r.exit_code == 0) << r.exit_code << " " << r.err;
            const Leftovers l = inspect(dir);
            const std::string what = r.signal != 0 ? (l.key && l.cert   ? "killed, both in place"
                                                      : l.cert          ? "killed, certificate only"
                                                      : l.key           ? "killed, key only"
                                                      : l.temps.empty() ? "killed, nothing written"
                                                                        : "killed, temporaries only")
                                                   : "finished";
            ++outcomes[what];
            run_again(dir, l);
            if (HasFatalFailure()) {
                return;
            }
        }
    }
    for (const auto& [what, count] : outcomes) {
        std::cout << "  " << what << ": " << count << "\n";
    }
    EXPECT_EQ(outcomes.count("killed, key only"), 0U) << "the certificate is placed first";
}

} // namespace
