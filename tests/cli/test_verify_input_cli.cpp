// mxdane verify through the real binary: where the RRset comes from (stdin,
// several options), what it says when nothing usable or nothing matches,
// and every error path. The table of RRsets is test_verify_cli.cpp.
#include <gtest/gtest.h>

#include <fstream>

#include "cli_harness.h"
#include "corpus.h"
#include "verify_cases.h"

namespace {
using namespace mxdane::test;

TEST(VerifyCli, RrsetFromStdinAndFromSeveralOptions) {
    const std::string cert = corpus("rsa2048.pem");
    RunOptions opts;
    opts.stdin_data = expand(dig_output);
    const auto r = run_mxdane({"verify", "--cert", cert, "--tlsa-file", "-"}, opts);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("line 12: 3 1 1 ", 0), 0U) << r.out;
    // Two --tlsa texts: lines are labelled by their source.
    const auto two =
        run_mxdane({"verify", "--cert", cert, "--tlsa", expand("3 1 1 {NEXT}"), "--tlsa", expand("3 1 1 {H}")});
    EXPECT_EQ(two.exit_code, 0);
    EXPECT_EQ(two.out.rfind("--tlsa #1 line 1: 3 1 1 ", 0), 0U) << two.out;
    EXPECT_NE(two.out.find("\n--tlsa #2 line 1: 3 1 1 "), std::string::npos) << two.out;
    // --chain supplies what a leaf-only file lacks.
    const TempDir dir;
    const auto chain = dir.path() / "rest.pem";
    shell("cat '" + corpus("intermediate.pem") + "' '" + corpus("root.pem") + "' > '" + chain.string() + "'");
    const auto ta = run_mxdane({"verify", "--cert", corpus("leaf.pem"), "--chain", chain.string(), "--host",
                                "mx1.example.net", "--tlsa", expand("2 1 1 {TA}")});
    EXPECT_EQ(ta.exit_code, 0) << ta.out << ta.err;
}

TEST(VerifyCli, NoUsableRecordsSaysTlsIsMandatoryButUnauthenticated) {
    const auto r = run_mxdane({"verify", "--cert", corpus("rsa2048.pem"), "--tlsa", expand("1 1 1 {H}")});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("RFC 7672 §2.2 makes TLS mandatory but unauthenticated"), std::string::npos) << r.out;
}

TEST(VerifyCli, NoMatchShowsWhatTheCertificateWouldNeed) {
    const auto r = run_mxdane({"verify", "--cert", corpus("rsa2048-reissued.pem"), "--tlsa", expand("3 0 1 {F}")});
    EXPECT_NE(r.out.find("this certificate's record would be 3 0 1 " + openssl_hex("rsa2048-reissued.pem", "3 0 1")),
              std::string::npos)
        << r.out;
}

struct ErrorCase {
    std::vector<std::string> args;
    int exit_code;
    std::string message;
};

TEST(VerifyCli, ErrorPaths) {
    const std::string cert = corpus("rsa2048.pem");
    const std::string rec = "3 1 1 " + openssl_hex("rsa2048.pem", "3 1 1");
    const std::vector<ErrorCase> errors{
        {{"verify", "--cert", cert, "--tlsa", rec, "--port", "0"},
         64,
         "--port: must be a port number from 1 to 65535, not '0'"},
        {{"verify", "--cert", corpus("nope.pem"), "--tlsa", rec}, 2, "cannot read "},
        {{"verify", "--cert", cert, "--tlsa-file", corpus("nope.txt")}, 2, "cannot read "},
        {{"verify", "--cert", corpus("p256.ec.key"), "--tlsa", rec}, 64, "is a private key, not a certificate"},
        {{"verify", "--cert", corpus("garbage.txt"), "--tlsa", rec}, 64, "neither PEM"},
        {{"verify", "--key", corpus("p256.encrypted.key"), "--tlsa", rec}, 64, "the private key is encrypted"},
        {{"verify", "--tlsa", rec}, 64, "give --cert FILE or --key FILE"},
        {{"verify", "--cert", cert, "--key", cert, "--tlsa", rec}, 64, "excludes"},
        {{"verify", "--cert", cert}, 64, "give the TLSA RRset"},
        {{"verify", "--cert", cert, "--tlsa", "; only a comment\n"}, 64, "the TLSA RRset is empty"},
        {{"verify", "--cert", cert, "--tlsa", rec, "--host", "-x-"}, 64, "--host: invalid host name"},
    };
    for (const auto& c : errors) {
        const auto r = run_mxdane(c.args);
        EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
        EXPECT_EQ(r.out, "");
        EXPECT_EQ(r.err.rfind("error: ", 0), 0U) << r.err;
        EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    }
}

TEST(VerifyCli, MalformedLinesAreReportedWithTheirReason) {
    const auto r = run_mxdane({"verify", "--cert", corpus("rsa2048.pem"), "--tlsa",
                               "3 1 1 abc\n3 1 1 xyz1\nfoo IN A 192.0.2.1\n3 1\n\\# 2 0301\n) 3 1 1 00\n(3 1 1"});
    EXPECT_EQ(r.exit_code, 1);
    for (const auto& s :
         {"line 1: malformed: odd number of hex digits (3)", "line 2: malformed: 'xyz1' is not hexadecimal",
          "skipped: 1 record of other types (1 A)", "line 4: malformed: the matching type is missing",
          "line 5: malformed: generic RDATA of 2 octets is too short for TLSA",
          "line 6: malformed: ')' without a matching '('", "line 7: malformed: '(' opened on line 7 is never closed"}) {
        EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
    }
}

} // namespace
