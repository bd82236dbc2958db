// mxdane tlsa through the real binary: every record equals what the openssl
// CLI, danetool, ldns-dane and hash-slinger computed for the corpus
// (tests/data/make-corpus.sh), and every error path has its message and code.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_harness.h"
#include "corpus.h"

namespace {
using namespace mxdane::test;

class TlsaOracle : public ::testing::TestWithParam<std::string> {};

TEST_P(TlsaOracle, EqualsIndependentTool) {
    const auto records = expected_records(GetParam());
    ASSERT_GE(records.size(), 10U);
    for (const auto& e : records) {
        const auto r = run_mxdane({"tlsa", "--format", "rdata", "--usage", e.usage, "--selector", e.selector, "--mtype",
                                   e.mtype, corpus(e.file)});
        EXPECT_EQ(r.exit_code, 0) << e.file << ": " << r.err;
        EXPECT_EQ(r.out, e.usage + " " + e.selector + " " + e.mtype + " " + e.hex + "\n")
            << GetParam() << " disagrees on " << e.file;
    }
}

INSTANTIATE_TEST_SUITE_P(Tools, TlsaOracle, ::testing::Values("openssl", "danetool", "ldns-dane", "hash-slinger"));

TEST(TlsaCli, EveryInputKindGivesTheSameKeyRecord) {
    // One RSA-2048 key as certificate, PKCS#1 private key and DER SPKI; one
    // P-384 key as PKCS#8 key, CSR (PEM, DER) and chain leaf.
    for (const auto& [files, usm] : std::vector<std::pair<std::vector<std::string>, std::string>>{
             {{"rsa2048.pem", "rsa2048.pkcs1.key", "rsa2048.pub.der", "rsa2048-reissued.pem", "rsa2048-expired.pem"},
              openssl_hex("rsa2048.pem", "3 1 1")},
             {{"p384.key", "p384.csr.pem", "p384.csr.der", "leaf.pem", "chain.pem", "p384-ca-true.pem"},
              openssl_hex("p384.pem", "3 1 1")}}) {
        for (const auto& f : files) {
            const auto r = run_mxdane({"tlsa", "--format", "rdata", corpus(f)});
            EXPECT_EQ(r.out, "3 1 1 " + usm + "\n") << f << r.err;
        }
    }
}

TEST(TlsaCli, Formats) {
    const std::string f = corpus("rsa2048.pem");
    const std::string h = openssl_hex("rsa2048.pem", "3 1 1");
    const std::string owner = "_25._tcp.mx1.example.net.";
    EXPECT_EQ(run_mxdane({"tlsa", f}).out, owner + " IN TLSA 3 1 1 " + h + "\n");
    EXPECT_EQ(run_mxdane({"tlsa", "--ttl", "300", "--port", "465", "--host", "MX2.Example.NET", f}).out,
              "_465._tcp.mx2.example.net. 300 IN TLSA 3 1 1 " + h + "\n");
    EXPECT_EQ(run_mxdane({"tlsa", "--format", "generic", f}).out, owner + " IN TYPE52 \\# 35 030101" + h + "\n");
    EXPECT_EQ(run_mxdane({"tlsa", "--format", "nsupdate", f}).out,
              "update add " + owner + " 3600 IN TLSA 3 1 1 " + h + "\nsend\n");
    // Mnemonics on input, numbers on output.
    EXPECT_EQ(
        run_mxdane({"tlsa", "--format", "rdata", "--usage", "dane-ee", "--selector", "Cert", "--mtype", "SHA2-512", f})
            .out,
        "3 0 2 " + openssl_hex("rsa2048.pem", "3 0 2") + "\n");
    // all: selector 1 first (it survives reissue), SHA-256 first.
    const auto all = run_mxdane({"tlsa", "--format", "rdata", "--selector", "all", "--mtype", "all", f});
    EXPECT_EQ(all.out, "3 1 1 " + h + "\n3 1 2 " + openssl_hex("rsa2048.pem", "3 1 2") + "\n3 1 0 " +
                           openssl_hex("rsa2048.pem", "3 1 0") + "\n3 0 1 " + openssl_hex("rsa2048.pem", "3 0 1") +
                           "\n3 0 2 " + openssl_hex("rsa2048.pem", "3 0 2") + "\n3 0 0 " +
                           shell("openssl x509 -in '" + f + "' -outform DER | od -An -v -tx1 | tr -d ' \\n'") + "\n");
    const auto top = nlohmann::json::parse(run_mxdane({"tlsa", "--format", "json", f, corpus("p256.ec.key")}).out);
    EXPECT_EQ(top["command"], "tlsa");
    EXPECT_EQ(top["exit"], 0);
    const auto& json = top["files"];
    ASSERT_EQ(json.size(), 2U);
    EXPECT_EQ(json[0]["records"][0]["owner"], owner);
    EXPECT_EQ(json[0]["records"][0]["data"], h);
    EXPECT_EQ(json[1]["records"][0]["owner"], nullptr); // a key has no name
    EXPECT_EQ(json[1]["records"][0]["data"], openssl_hex("p256.ec.key", "3 1 1"));
    EXPECT_EQ(nlohmann::json::parse(run_mxdane({"tlsa", "--json", f}).out),
              nlohmann::json::parse(run_mxdane({"tlsa", "--format", "json", f}).out)); // --json is --format json
    // Several files in one call, in order.
    const auto two = run_mxdane({"tlsa", "--host", "mx1.example.net", f, corpus("ed25519.key")});
    EXPECT_EQ(two.out, owner + " IN TLSA 3 1 1 " + h + "\n" + owner + " IN TLSA 3 1 1 " +
                           openssl_hex("ed25519.key", "3 1 1") + "\n");
    // Selector all from a key: only 3 1 x, and a warning on stderr.
    const auto key_all = run_mxdane({"tlsa", "--format", "rdata", "--selector", "all", corpus("p256.ec.key")});
    EXPECT_EQ(key_all.out, "3 1 1 " + openssl_hex("p256.ec.key", "3 1 1") + "\n");
    EXPECT_NE(key_all.err.find("warning: "), std::string::npos);
}

struct ErrorCase {
    std::vector<std::string> args;
    int exit_code;
    std::string message; ///< a substring of the one error line
};

TEST(TlsaCli, ErrorPaths) {
    const TempDir dir;
    const std::vector<ErrorCase> cases{
        {{"tlsa", corpus("no-such-file")}, 2, "cannot read "},
        {{"tlsa", dir.path().string()}, 64, "is a directory, not a regular file; refusing to read it"},
        {{"tlsa", corpus("garbage.txt")}, 64, "neither PEM (no '-----BEGIN' line) nor DER"},
        {{"tlsa", corpus("empty.txt")}, 64, "the file is empty"},
        {{"tlsa", corpus("p256.encrypted.key")}, 64, "the private key is encrypted"},
        {{"tlsa", corpus("p384.encrypted.key.der")}, 64, "the private key is encrypted"},
        {{"tlsa", "--host", "mx1.example.net", "--selector", "0", corpus("p256.ec.key")},
         64,
         "selector 0 hashes a whole certificate, and a private key is not one"},
        {{"tlsa", "--host", "mx1.example.net", "--selector", "0", corpus("p384.csr.pem")}, 64, "a CSR is not one"},
        {{"tlsa", "--usage", "1", corpus("rsa2048.pem")}, 64, "usage 1 (PKIX) is not used for SMTP"},
        {{"tlsa", "--usage", "PKIX-TA", corpus("rsa2048.pem")}, 64, "RFC 7672 §3.1.3"},
        {{"tlsa", "--usage", "7", corpus("rsa2048.pem")}, 64, "is not 2 (DANE-TA) or 3 (DANE-EE)"},
        {{"tlsa", "--usage", "2", corpus("rsa2048.pem")}, 64, "is self-signed without CA:TRUE, a server certificate"},
        {{"tlsa", "--usage", "2", corpus("leaf.pem")}, 64, "comes without its issuer: give the chain file"},
        {{"tlsa", corpus("p256.ec.key")}, 64, "--host is needed"},
        {{"tlsa", "--format", "bind", corpus("rsa2048.pem")}, 64, "--format: 'bind' is not"},
        {{"tlsa", "--selector", "2", corpus("rsa2048.pem")}, 64, "--selector: '2' is not one of"},
        {{"tlsa", "--mtype", "sha1", corpus("rsa2048.pem")}, 64, "--mtype: 'sha1' is not one of"},
        {{"tlsa", "--host", "bad..name", corpus("rsa2048.pem")}, 64, "--host: invalid host name"},
        {{"tlsa"}, 64, "FILE is required"},
    };
    for (const auto& c : cases) {
        const auto r = run_mxdane(c.args);
        EXPECT_EQ(r.exit_code, c.exit_code) << c.args.back() << ": " << r.err;
        EXPECT_EQ(r.out, "") << c.args.back();
        EXPECT_EQ(r.err.rfind("error: ", 0), 0U) << r.err;
        EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
}

TEST(TlsaCli, UnreadableFileExits2) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root to drop privileges";
    }
    const TempDir dir;
    const auto f = dir.path() / "secret.key";
    shell("cp '" + corpus("p256.ec.key") + "' '" + f.string() + "' && chmod 0400 '" + f.string() + "'");
    RunOptions opts;
    opts.uid = 65534;
    opts.gid = 65534;
    const auto r = run_mxdane({"tlsa", "--host", "mx1.example.net", f.string()}, opts);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
}

} // namespace
