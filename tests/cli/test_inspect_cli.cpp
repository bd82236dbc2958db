// mxdane inspect through the real binary: facts from the openssl CLI,
// warnings, --key, --json, and the error paths.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_harness.h"
#include "corpus.h"

namespace {
using namespace mxdane::test;

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

TEST(InspectCli, FactsMatchTheOpensslCli) {
    const std::string f = corpus("rsa2048-reissued.pem");
    const auto r = run_mxdane({"inspect", "--key", corpus("rsa2048.pkcs1.key"), f});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    const std::string serial = trim(shell("openssl x509 -in '" + f + "' -noout -serial | cut -d= -f2"));
    for (const auto& want : {
             std::string(f + ": certificate (PEM)\n"),
             std::string("  subject:    CN=mx1.example.net\n"),
             std::string("  DNS names:  mx1.example.net\n"),
             std::string("  issuer:     CN=mx1.example.net (self-signed)\n"),
             std::string("  key:        RSA-2048\n"),
             "  serial:     " + serial + "\n",
             std::string("  CA:         FALSE\n"),
             "  TLSA:       3 1 1 " + openssl_hex("rsa2048-reissued.pem", "3 1 1") + "\n",
             "  TLSA:       3 0 1 " + openssl_hex("rsa2048-reissued.pem", "3 0 1") + "\n",
             "  key file:   " + corpus("rsa2048.pkcs1.key") + " matches\n",
         }) {
        EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
    }
    EXPECT_EQ(r.out.find("warning"), std::string::npos) << r.out;
}

TEST(InspectCli, Warnings) {
    const auto r =
        run_mxdane({"inspect", corpus("rsa2048-expired.pem"), corpus("p384-ca-true.pem"), corpus("rsa3072-sha1.pem")});
    EXPECT_EQ(r.exit_code, 0);
    for (const auto& want :
         {"warning:    the certificate expired ", "RFC 7672 §3.1.1", "warning:    the key is at least ",
          "warning:    CA:TRUE on a server certificate", "warning:    signed with SHA-1"}) {
        EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
    }
}

TEST(InspectCli, KeysChainsAndJson) {
    const auto top = nlohmann::json::parse(
        run_mxdane({"inspect", "--json", "--key", corpus("p256.ec.key"), corpus("p256.pub.pem"), corpus("chain.pem")})
            .out);
    EXPECT_EQ(top["command"], "inspect");
    EXPECT_EQ(top["exit"], 1); // the key does not belong to the chain
    const auto& j = top["files"];
    ASSERT_EQ(j.size(), 2U);
    EXPECT_EQ(j[0]["kind"], "public key");
    EXPECT_EQ(j[0]["key"]["label"], "ECDSA P-256");
    EXPECT_EQ(j[0]["key_matches"], true);
    EXPECT_EQ(j[0]["tlsa"][0]["data"], openssl_hex("p256.pub.pem", "3 1 1"));
    EXPECT_EQ(j[1]["kind"], "certificate chain");
    EXPECT_EQ(j[1]["chain_length"], 3);
    EXPECT_EQ(j[1]["self_signed"], false);
    EXPECT_EQ(j[1]["issuer"], "CN=Example Intermediate CA");
    EXPECT_EQ(j[1]["key_matches"], false);
    EXPECT_EQ(j[1]["serial"],
              trim(shell("openssl x509 -in '" + corpus("leaf.pem") + "' -noout -serial | cut -d= -f2")));
    EXPECT_EQ(j[1]["not_after"].get<std::string>().size(), 20U);
}

TEST(InspectCli, KeyMismatchExits1) {
    const auto r = run_mxdane({"inspect", "--key", corpus("p384.key"), corpus("rsa2048.pem")});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find(" does NOT match"), std::string::npos) << r.out;
}

TEST(InspectCli, ErrorPaths) {
    for (const auto& [args, code, msg] : std::vector<std::tuple<std::vector<std::string>, int, std::string>>{
             {{"inspect", corpus("nope.pem")}, 2, "cannot read "},
             {{"inspect", corpus("garbage.txt")}, 64, "neither PEM"},
             {{"inspect", corpus("p256.encrypted.key")}, 64, "the private key is encrypted"},
             {{"inspect", "--key", corpus("empty.txt"), corpus("rsa2048.pem")}, 64, "the file is empty"},
             {{"inspect"}, 64, "FILE is required"},
         }) {
        const auto r = run_mxdane(args);
        EXPECT_EQ(r.exit_code, code) << r.err;
        EXPECT_EQ(r.out, "");
        EXPECT_EQ(r.err.rfind("error: ", 0), 0U);
        EXPECT_NE(r.err.find(msg), std::string::npos) << r.err;
    }
}

TEST(InspectCli, HelpExitsZero) {
    for (const auto* cmd : {"tlsa", "verify", "inspect"}) {
        const auto r = run_mxdane({cmd, "--help"});
        EXPECT_EQ(r.exit_code, 0);
        EXPECT_NE(r.out.find("Example"), std::string::npos) << cmd;
    }
}

} // namespace
