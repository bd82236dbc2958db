// Every file input through the real binary, given what is not a file or is
// too large: /dev/zero (a device that never ends), a FIFO nobody writes to
// (which would block a plain open forever), a directory, and a sparse file
// one byte over the input's limit. Each is refused at once with exit 64 and
// a line naming the input, the path and, for size, the limit (README "Input
// limits"). Standard input, where documented, is read up to the limit only.
#include <gtest/gtest.h>

#include <fstream>
#include <sys/stat.h>

#include "cli_harness.h"
#include "corpus.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;

/// One file input: the command line with "@" where the path goes, what the
/// message calls the input, and its limit in bytes.
struct Input {
    std::vector<std::string> argv;
    std::string what;
    std::uintmax_t limit;
    std::string limit_text;
};

std::vector<std::string> with(const std::vector<std::string>& argv, const std::string& path) {
    std::vector<std::string> out;
    for (const auto& a : argv) {
        out.push_back(a == "@" ? path : a);
    }
    return out;
}

/// Runs mxdane under `timeout`, so that a read that blocks fails the test
/// instead of hanging it.
RunResult run_bounded(const std::vector<std::string>& args, const std::string& stdin_file = "") {
    std::string script = "exec timeout 20 \"$0\"";
    for (std::size_t i = 0; i < args.size(); ++i) {
        script += " \"$" + std::to_string(i + 1) + "\"";
    }
    if (!stdin_file.empty()) {
        script += " <'" + stdin_file + "'";
    }
    std::vector<std::string> argv{"sh", "-c", script, mxdane_binary().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv);
}

class InputLimitsCli : public ::testing::Test {
  protected:
    TempDir dir;
    std::string cert = corpus("p256.pem");
    std::string key = corpus("p384.key");
    std::string state_dir = (dir.path() / "state").string();
    std::vector<Input> inputs;

    void SetUp() override {
        const std::string rec = "3 1 1 " + std::string(64, 'a');
        inputs = {
            {{"tlsa", "--host", "mx1.example.net", "@"}, "file", 16 << 20, "16 MiB"},
            {{"inspect", "@"}, "file", 16 << 20, "16 MiB"},
            {{"verify", "--cert", "@", "--tlsa", rec}, "file", 16 << 20, "16 MiB"},
            {{"verify", "--cert", cert, "--tlsa-file", "@"}, "RRset file", 16 << 20, "16 MiB"},
            // publish reads through x509::load_material_file, as tlsa and verify do.
            {{"publish", "mx1.example.net", "--key", "@", "--publish-hook", "true"}, "file", 16 << 20, "16 MiB"},
            {{"publish", "mx1.example.net", "--cert", "@", "--publish-hook", "true"}, "file", 16 << 20, "16 MiB"},
            {{"publish", "mx1.example.net", "--key", key, "--nsupdate", "127.0.0.1@9", "--tsig-key", "@"},
             "TSIG key file",
             64 << 10,
             "64 KiB"},
            {{"check", "--trust-anchor", "@", "example.net"}, "trust anchor file", 1 << 20, "1 MiB"},
            {{"check", "--domains", "@"}, "domain list", 256 << 20, "256 MiB"},
            {{"rollover", "status", "--config", "@", "mx1.example.net"}, "settings file", 1 << 20, "1 MiB"},
        };
    }
};

TEST_F(InputLimitsCli, ADeviceIsRefusedWithoutReadingIt) {
    for (const auto& in : inputs) {
        const auto r = run_bounded(with(in.argv, "/dev/zero"));
        SCOPED_TRACE(in.argv[0] + " " + in.argv[1]);
        EXPECT_EQ(r.exit_code, 64) << r.err;
        EXPECT_EQ(r.err, "error: the " + in.what + " /dev/zero is a device, not a regular file; refusing to read it\n");
    }
}

TEST_F(InputLimitsCli, AFifoWithNoWriterIsRefusedAtOnce) {
    const fs::path fifo = dir.path() / "fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    for (const auto& in : inputs) {
        const auto r = run_bounded(with(in.argv, fifo.string()));
        SCOPED_TRACE(in.argv[0] + " " + in.argv[1]);
        EXPECT_EQ(r.exit_code, 64) << r.err; // 124 would be timeout's: it blocked
        EXPECT_EQ(r.err, "error: the " + in.what + " " + fifo.string() +
                             " is a FIFO, not a regular file; refusing to read it\n");
    }
}

TEST_F(InputLimitsCli, ADirectoryIsRefused) {
    for (const auto& in : inputs) {
        const auto r = run_bounded(with(in.argv, dir.path().string()));
        SCOPED_TRACE(in.argv[0] + " " + in.argv[1]);
        EXPECT_EQ(r.exit_code, 64) << r.err;
        EXPECT_NE(r.err.find("is a directory, not a regular file"), std::string::npos) << r.err;
    }
}

TEST_F(InputLimitsCli, AFileOneByteOverTheLimitIsRefusedNamingTheLimit) {
    for (const auto& in : inputs) {
        const fs::path big = dir.path() / ("big-" + in.what);
        std::ofstream(big).close();
        fs::resize_file(big, in.limit + 1); // sparse: no disk used
        const auto r = run_bounded(with(in.argv, big.string()));
        SCOPED_TRACE(in.argv[0] + " " + in.argv[1]);
        EXPECT_EQ(r.exit_code, 64) << r.err;
        EXPECT_EQ(r.err, "error: the " + in.what + " " + big.string() + " is larger than " + in.limit_text +
                             "; refusing to read it\n");
    }
}

TEST_F(InputLimitsCli, StandardInputIsReadUpToTheLimitOnly) {
    // "-" is documented for --tlsa-file and --domains: an endless stdin
    // stops at the limit instead of filling memory.
    for (const auto& [argv, limit] : std::vector<std::pair<std::vector<std::string>, std::string>>{
             {{"verify", "--cert", cert, "--tlsa-file", "-"}, "16 MiB"}, {{"check", "--domains", "-"}, "256 MiB"}}) {
        const auto r = run_bounded(argv, "/dev/zero");
        SCOPED_TRACE(argv[0] + " " + argv[1]);
        EXPECT_EQ(r.exit_code, 64) << r.err;
        EXPECT_NE(r.err.find("on standard input is larger than " + limit + "; refusing to read more"),
                  std::string::npos)
            << r.err;
    }
}

TEST_F(InputLimitsCli, AStateFileThatIsAFifoIsRefused) {
    fs::create_directories(state_dir);
    const fs::path state = fs::path(state_dir) / "mx1.example.net.json";
    ASSERT_EQ(::mkfifo(state.c_str(), 0600), 0);
    const auto r = run_bounded({"rollover", "status", "--state-dir", state_dir, "--out", dir.path().string(),
                                "--forward", "127.0.0.1@9", "mx1.example.net"});
    EXPECT_EQ(r.exit_code, 64) << r.err;
    EXPECT_EQ(r.err,
              "error: the state file " + state.string() + " is a FIFO, not a regular file; refusing to read it\n");
}

} // namespace
