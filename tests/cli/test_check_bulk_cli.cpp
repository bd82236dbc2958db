// mxdane check --domains: the usage errors, through the real binary; none of
// them reaches the network (the lab tests in tests/labtests check verdicts).
#include <gtest/gtest.h>

#include <fstream>

#include "cli_harness.h"

namespace {
using namespace mxdane::test;

void expect_error(const std::vector<std::string>& args, int code, const std::string& message) {
    const auto r = run_mxdane(args);
    EXPECT_EQ(r.exit_code, code) << r.err;
    EXPECT_EQ(r.err, "error: " + message + "\n");
    EXPECT_EQ(r.out, "");
}

TEST(CheckBulkCli, OneSubjectOnly) {
    expect_error({"check", "--domains", "list.txt", "example.net"}, 64,
                 "give either DOMAIN, --mx HOST or --domains FILE (exactly one)");
    expect_error({"check", "--domains", "list.txt", "--mx", "mx.example.net"}, 64,
                 "give either DOMAIN, --mx HOST or --domains FILE (exactly one)");
}

TEST(CheckBulkCli, BulkOptionsNeedDomains) {
    for (const std::string opt : {"--jobs", "--per-host", "--dns-threads", "--shard", "--resume"}) {
        expect_error({"check", opt, opt == "--shard" ? "1/2" : "2", "example.net"}, 64,
                     "--jobs, --per-host, --dns-threads, --shard and --resume need --domains FILE");
    }
}

TEST(CheckBulkCli, RefusesBadValues) {
    expect_error({"check", "--domains", "list.txt", "--jobs", "0"}, 64, "--jobs: must be 1 to 1024");
    expect_error({"check", "--domains", "list.txt", "--jobs", "1025"}, 64, "--jobs: must be 1 to 1024");
    // -1 is a bad value like any other, not "not given" (issue #25).
    expect_error({"check", "--domains", "list.txt", "--jobs", "-1"}, 64, "--jobs: must be 1 to 1024");
    expect_error({"check", "--domains", "list.txt", "--per-host", "-1"}, 64, "--per-host: must be 1 to 64");
    expect_error({"check", "--domains", "list.txt", "--dns-threads", "-1"}, 64, "--dns-threads: must be 1 to 16");
    expect_error({"check", "--domains", "list.txt", "--per-host", "0"}, 64, "--per-host: must be 1 to 64");
    expect_error({"check", "--domains", "list.txt", "--dns-threads", "0"}, 64, "--dns-threads: must be 1 to 16");
    expect_error({"check", "--domains", "list.txt", "--dns-threads", "17"}, 64, "--dns-threads: must be 1 to 16");
    expect_error({"check", "--domains", "list.txt", "--shard", "3"}, 64, "--shard: '3' is not K/N (e.g. 2/5)");
    expect_error({"check", "--domains", "list.txt", "--shard", "4/3"}, 64,
                 "--shard: '4/3': K must be 1 to N, and N 1 to 65536");
}

TEST(CheckBulkCli, UnreadableListIsExit2) {
    const TempDir dir;
    const auto missing = (dir.path() / "missing.txt").string();
    expect_error({"check", "--domains", missing}, 2,
                 "cannot read the domain list " + missing + ": No such file or directory");
}

TEST(CheckBulkCli, AResumeFileThatIsNoFileIsExit64) {
    const TempDir dir;
    const auto list = (dir.path() / "list.txt").string();
    std::ofstream(list) << "example.net\n";
    // A directory exists but cannot be read as a file.
    expect_error({"check", "--domains", list, "--resume", dir.path().string()}, 64,
                 "the --resume file " + dir.path().string() +
                     " is a directory, not a regular file; refusing to read it");
}

// `--resume out.jsonl >> out.jsonl` after a run cut mid-line: the new
// lines start on a line of their own, so every line but the cut one
// parses (issue #25). No domain is left to check: nothing reaches DNS.
TEST(CheckBulkCli, AResumedRunAppendsOnAFreshLine) {
    const TempDir dir;
    const auto list = (dir.path() / "list.txt").string();
    const auto out = (dir.path() / "out.jsonl").string();
    std::ofstream(list) << "a.example\n";
    std::ofstream(out) << "{\"domain\":\"a.example\",\"exit\":0}\n{\"domain\":\"b.exa";
    const std::string rc = shell("'" + mxdane_binary().string() + "' check --json --domains '" + list + "' --resume '" +
                                 out + "' --forward 127.0.0.1@9 >>'" + out + "' 2>/dev/null; echo $?");
    EXPECT_EQ(rc, "0\n");
    const std::string text = read_file(out);
    EXPECT_EQ(text.rfind("{\"domain\":\"a.example\",\"exit\":0}\n{\"domain\":\"b.exa\n{\"command\":\"check\"", 0), 0U)
        << text;
    // Written to another file, no blank line is added.
    const auto other = (dir.path() / "other.jsonl").string();
    shell("'" + mxdane_binary().string() + "' check --json --domains '" + list + "' --resume '" + out +
          "' --forward 127.0.0.1@9 >'" + other + "' 2>/dev/null; true");
    EXPECT_EQ(read_file(other).rfind("{\"command\":\"check\"", 0), 0U) << read_file(other);
}

} // namespace
