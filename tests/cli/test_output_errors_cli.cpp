// stdout is data (issue #25): a command whose output cannot be written
// fails with exit 2 and one line on stderr, whatever it printed; a script
// that writes records to a file never gets success and an empty file.
// Standard output is /dev/full (every write fails with ENOSPC) or a closed
// descriptor (EBADF).
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "cli_harness.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;

const std::string corpus_dir = MXDANE_SOURCE_DIR "/tests/data/corpus";

struct Outcome {
    int exit_code;
    std::string err;
};

/// Runs mxdane with `args` (already quoted for sh) and stdout as `redirect`.
Outcome run_with_stdout(const std::string& args, const std::string& redirect) {
    const TempDir tmp;
    const fs::path err = tmp.path() / "err";
    const std::string rc =
        shell("'" + mxdane_binary().string() + "' " + args + " " + redirect + " 2>'" + err.string() + "'; echo $?");
    return {std::stoi(rc), read_file(err)};
}

TEST(OutputErrors, EveryCommandThatPrintsDataFailsWhenStdoutIsFullOrClosed) {
    const std::string key = corpus_dir + "/rsa3072.key";
    for (const std::string redirect : {">/dev/full", ">&-"}) {
        const TempDir tmp;
        const fs::path list = tmp.path() / "domains.txt";
        std::ofstream(list) << "not a domain!\n";
        const std::vector<std::pair<std::string, std::string>> commands{
            {"tlsa", "tlsa --host mx1.example.net '" + key + "'"},
            {"tlsa --json", "tlsa --json --host mx1.example.net '" + key + "'"},
            {"inspect", "inspect '" + corpus_dir + "/p256.pem'"},
            {"keygen", "keygen --key p256 --out '" + tmp.path().string() + "' mx1.example.net"},
            {"check --domains (the summary line)",
             "check --json --domains '" + list.string() + "' --forward 127.0.0.1@9"},
        };
        for (const auto& [name, args] : commands) {
            const Outcome r = run_with_stdout(args, redirect);
            EXPECT_EQ(r.exit_code, 2) << name << " " << redirect << ": " << r.err;
            const std::string why = redirect == ">/dev/full" ? "" : ": it was closed when mxdane started";
            EXPECT_NE(r.err.find("error: cannot write standard output" + why), std::string::npos)
                << name << " " << redirect << ": " << r.err;
        }
        // Nothing printed for stdout went into a file keygen made: the
        // private key is a key and nothing else.
        for (const auto& e : fs::directory_iterator(tmp.path())) {
            if (e.path().extension() == ".key" && !fs::is_symlink(e.path())) {
                const std::string text = read_file(e.path());
                EXPECT_EQ(text.rfind("-----BEGIN PRIVATE KEY-----", 0), 0U) << e.path();
                EXPECT_EQ(text.find("TLSA"), std::string::npos) << e.path();
            }
        }
    }
    // With a working stdout: exit 0.
    EXPECT_EQ(run_with_stdout("tlsa --host mx1.example.net '" + key + "'", ">/dev/null").exit_code, 0);
}

} // namespace
