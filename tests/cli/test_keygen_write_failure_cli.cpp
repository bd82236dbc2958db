// keygen whose writes fail part way: a file size limit (ulimit -f) and a
// full file system (a one-page tmpfs in a private mount namespace). Either
// way the run fails with one error line and exit 2, and leaves nothing: no
// piece of a private key under a temporary name, no directory it made.
#include <gtest/gtest.h>

#include "cli_harness.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;

std::string quoted(const fs::path& p) {
    return "'" + p.string() + "'";
}

TEST(KeygenWriteFailure, AFileSizeLimitLeavesNoPieceOfTheKeyAndNoDirectory) {
    const TempDir dir;
    const fs::path out = dir.path() / "new" / "keys";
    // 2 KiB: the certificate fits, the 4096-bit key (about 3.2 KiB) does not.
    const auto r = run_process({"sh", "-c",
                                "ulimit -f 2; exec " + quoted(mxdane_binary()) + " keygen --key rsa4096 --out " +
                                    quoted(out) + " mx1.example.net"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("File too large"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(list_tree(dir.path()), std::vector<std::string>{}) << "left behind after a failed keygen";
}

TEST(KeygenWriteFailure, AFullFileSystemLeavesNothingBehind) {
    if (run_process({"unshare", "-m", "true"}).exit_code != 0) {
        GTEST_SKIP() << "cannot make a private mount namespace here (needs root)";
    }
    const TempDir dir;
    const fs::path mnt = dir.path() / "mnt";
    const fs::path report = dir.path() / "report";
    fs::create_directories(mnt);
    fs::create_directories(report);
    // One 4 KiB page: the certificate takes it, the key finds no room.
    const std::string script = "mount -t tmpfs -o size=4k,mode=0755 mxdane-test " + quoted(mnt) +
                               " || exit 90\n"
                               // Prove we are inside the private namespace before writing.
                               "grep -q ' " +
                               mnt.string() + " ' /proc/self/mountinfo || exit 91\n" + quoted(mxdane_binary()) +
                               " keygen --key rsa4096 --out " + quoted(mnt / "keys") + " mx1.example.net 2>" +
                               quoted(report / "err") + "\necho $? >" + quoted(report / "rc") + "\nls -A " +
                               quoted(mnt) + " >" + quoted(report / "left") + "\n";
    const auto r = run_process({"unshare", "-m", "--propagation", "private", "sh", "-c", script});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_file(report / "rc"), "2\n");
    const std::string err = read_file(report / "err");
    EXPECT_NE(err.find("No space left on device"), std::string::npos) << err;
    EXPECT_EQ(read_file(report / "left"), "") << "left behind on the full file system";
    EXPECT_TRUE(fs::is_empty(mnt)) << "the tmpfs leaked out of its namespace";
}

} // namespace
