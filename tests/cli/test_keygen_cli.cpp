// mxdane keygen through the real binary; TLSA values checked against the
// openssl CLI, GnuTLS danetool and ldns-dane (independent oracles).
#include <gtest/gtest.h>

#include <regex>

#include "cli_harness.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;

std::string only_file(const fs::path& dir, const std::string& ext) {
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() == ext) {
            return e.path().string();
        }
    }
    return {};
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

class KeygenOracle : public ::testing::TestWithParam<std::string> {};

TEST_P(KeygenOracle, RecordsEqualIndependentTools) {
    const TempDir dir;
    const auto r =
        run_mxdane({"keygen", "--key", GetParam(), "--out", dir.path().string(), "mx1.example.net", "example.net"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string crt = only_file(dir.path(), ".crt");
    const std::string key = only_file(dir.path(), ".key");
    ASSERT_FALSE(crt.empty());
    const std::string spki = trim(shell("openssl x509 -in '" + crt +
                                        "' -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst "
                                        "-sha256 -r | cut -d' ' -f1"));
    const std::string full =
        trim(shell("openssl x509 -in '" + crt + "' -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1"));
    EXPECT_EQ(r.out, "_25._tcp.mx1.example.net. IN TLSA 3 1 1 " + spki + "\n_25._tcp.mx1.example.net. IN TLSA 3 0 1 " +
                         full + " ; changes at every certificate reissue: prefer 3 1 1\n");
    // The key's own SPKI (from the private key file) hashes the same.
    const std::string from_key =
        trim(shell("openssl pkey -in '" + key + "' -pubout -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1"));
    EXPECT_EQ(from_key, spki);
    // GnuTLS danetool prints "( 03 01 01 <hex> )".
    const std::string dt =
        shell("danetool --tlsa-rr --load-certificate '" + crt + "' --host mx1.example.net --port 25");
    EXPECT_NE(dt.find("03 01 01 " + spki), std::string::npos) << dt;
    // ldns-dane create.
    const std::string ld = shell("ldns-dane -c '" + crt + "' create mx1.example.net 25 3 1 1");
    EXPECT_NE(ld.find("3 1 1 " + spki), std::string::npos) << ld;
    const std::string ld0 = shell("ldns-dane -c '" + crt + "' create mx1.example.net 25 3 0 1");
    EXPECT_NE(ld0.find("3 0 1 " + full), std::string::npos) << ld0;
}

INSTANTIATE_TEST_SUITE_P(AllKeyTypes, KeygenOracle, ::testing::Values("rsa2048", "rsa3072", "rsa4096", "p256", "p384"));

TEST(KeygenCli, HelpExitsZero) {
    for (const auto& args : std::vector<std::vector<std::string>>{{"--help"}, {"keygen", "--help"}, {}}) {
        const auto r = run_mxdane(args);
        EXPECT_EQ(r.exit_code, 0);
        EXPECT_NE(r.out.find("keygen"), std::string::npos);
    }
}

TEST(KeygenCli, BadNameExits64AndWritesNothing) {
    const TempDir dir;
    const auto r = run_mxdane({"keygen", "--out", dir.path().string(), "mx1.example.net", "*.example.net"});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(std::regex_search(r.err, std::regex("^error: invalid host name '\\*\\.example\\.net': .*\n$")))
        << r.err;
    EXPECT_TRUE(list_tree(dir.path()).empty());
}

} // namespace
