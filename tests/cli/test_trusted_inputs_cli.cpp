// Files that decide what runs as root are checked like keys (issue #25):
// the settings file (its publish hook, reload and issue commands run as
// root from the timer) and the rollover state (its times decide the waits)
// are refused when another user could have written them: another owner,
// group- or world-writable, a symlink of another user's, a directory on the
// way that others can write to without the sticky bit. The message names
// the file, its owner or mode and the fix; nothing runs, nothing changes.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <functional>

#include "cli_harness.h"
#include "rollover_cli_host.h"

namespace {
using namespace mxdane::test;
using namespace mxdane::test::rollover_cli;

struct Loosened {
    std::string name;
    std::function<fs::path(const fs::path& dir)> make; ///< returns the settings file to give
    std::string says;                                  ///< in the message, with {} for the path
};

TEST(TrustedInputs, ASettingsFileAnotherUserCouldWriteIsRefusedAndNothingRuns) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root (chown)";
    }
    Host h;
    h.init();
    const fs::path ran = h.tmp.path() / "hook-ran";
    const std::string body = "publish-hook = \"touch " + ran.string() + "\"\n";
    const std::vector<Loosened> cases{
        {"world-writable",
         [&](const fs::path& d) {
             std::ofstream(d / "a.conf") << body;
             fs::permissions(d / "a.conf", fs::perms(0666));
             return d / "a.conf";
         },
         "{} is mode 0666, writable by others (fix: chmod go-w {})"},
        {"group-writable",
         [&](const fs::path& d) {
             std::ofstream(d / "b.conf") << body;
             fs::permissions(d / "b.conf", fs::perms(0620));
             return d / "b.conf";
         },
         "{} is mode 0620, writable by its group (fix: chmod go-w {})"},
        {"another owner",
         [&](const fs::path& d) {
             std::ofstream(d / "c.conf") << body;
             EXPECT_EQ(::chown((d / "c.conf").c_str(), 65534, 65534), 0);
             return d / "c.conf";
         },
         "{} is owned by uid 65534 (fix: chown root {})"},
        {"a directory others can write to",
         [&](const fs::path& d) {
             fs::create_directories(d / "open");
             fs::permissions(d / "open", fs::perms(0777));
             std::ofstream(d / "open" / "d.conf") << body;
             return d / "open" / "d.conf";
         },
         "open is world-writable without the sticky bit, so another user could replace {}"},
        {"another user's symlink",
         [&](const fs::path& d) {
             std::ofstream(d / "real.conf") << body;
             fs::create_symlink(d / "real.conf", d / "e.conf");
             EXPECT_EQ(::lchown((d / "e.conf").c_str(), 65534, 65534), 0);
             return d / "e.conf";
         },
         "{} is a symlink owned by uid 65534"},
    };
    const fs::path dir = h.tmp.path() / "conf";
    fs::create_directories(dir);
    for (const auto& c : cases) {
        const fs::path conf = c.make(dir);
        std::string says = c.says;
        for (auto at = says.find("{}"); at != std::string::npos; at = says.find("{}")) {
            says.replace(at, 2, conf.string());
        }
        const auto before = snapshot_tree(h.state_dir);
        for (const std::string step : {"auto", "stage", "status"}) {
            const auto r = h.rollover(step, {"--config", conf.string()});
            EXPECT_EQ(r.exit_code, 1) << c.name << " " << step << ": " << r.err;
            EXPECT_EQ(r.err.rfind("error: refusing the settings file: ", 0), 0U) << c.name << ": " << r.err;
            EXPECT_NE(r.err.find(says), std::string::npos) << c.name << ": " << r.err;
            EXPECT_NE(r.err.find("; its commands would run as this user\n"), std::string::npos) << r.err;
        }
        EXPECT_FALSE(fs::exists(ran)) << c.name;
        EXPECT_EQ(snapshot_tree(h.state_dir), before) << c.name;
    }
    // Root's own file, mode 0644: read.
    std::ofstream(dir / "ok.conf") << "margin-days = 3\n";
    EXPECT_EQ(h.rollover("stage", {"--config", (dir / "ok.conf").string(), "--dry-run"}).exit_code, 0);
}

TEST(TrustedInputs, AStateAnotherUserCouldWriteIsRefusedBeforeItIsRead) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root (chown)";
    }
    Host h;
    h.init();
    const std::string file = h.state_file.string();
    // The state file writable by others: its times could shorten a wait.
    fs::permissions(h.state_file, fs::perms(0666));
    auto r = h.rollover("stage");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.err, "error: refusing the rollover state: " + file +
                         " is mode 0666, writable by others (fix: chmod go-w " + file + "); nothing was done\n");
    fs::permissions(h.state_file, fs::perms(0600));
    // Owned by another user.
    ASSERT_EQ(::chown(h.state_file.c_str(), 65534, 65534), 0);
    r = h.rollover("stage");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(file + " is owned by uid 65534 (fix: chown root " + file + ")"), std::string::npos) << r.err;
    ASSERT_EQ(::chown(h.state_file.c_str(), 0, 0), 0);
    // The state directory open to all (no sticky bit).
    fs::permissions(h.state_dir, fs::perms(0777));
    r = h.rollover("stage");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(h.state_dir.string() +
                         " is world-writable without the sticky bit, so another user could "
                         "replace " +
                         file),
              std::string::npos)
        << r.err;
    EXPECT_EQ(h.dated_keys().size(), 1U) << "nothing staged";
    fs::permissions(h.state_dir, fs::perms(0700));
    EXPECT_EQ(h.rollover("stage").exit_code, 0);
}

// The TSIG key: a secret that changes the zone, used as root.
TEST(TrustedInputs, ATsigKeyAnotherUserCouldWriteIsRefusedBeforeAnyUpdate) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root (chown)";
    }
    const TempDir tmp;
    const fs::path key = tmp.path() / "tsig.key";
    std::ofstream(key) << "key \"upd.\" { algorithm hmac-sha256; secret \"" << std::string(43, 'A') << "=\"; };\n";
    const std::string cert = MXDANE_SOURCE_DIR "/tests/data/corpus/p256.pem";
    const auto publish = [&] {
        return run_mxdane({"publish", "mx1.example.net", "--cert", cert, "--nsupdate", "127.0.0.1@9", "--tsig-key",
                           key.string(), "--timeout", "1"});
    };
    fs::permissions(key, fs::perms(0646));
    auto r = publish();
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.err, "error: refusing the TSIG key file: " + key.string() +
                         " is mode 0646, writable by others (fix: chmod go-w " + key.string() + ")\n");
    fs::permissions(key, fs::perms(0600));
    ASSERT_EQ(::chown(key.c_str(), 65534, 65534), 0);
    r = publish();
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.err, "error: refusing the TSIG key file: " + key.string() + " is owned by uid 65534 (fix: chown root " +
                         key.string() + ")\n");
}

} // namespace
