// mxdane publish/unpublish through the real binary, without a DNS server:
// usage errors, unreadable files, and the hook backend (the lab tests in
// tests/publishlab cover the RFC 2136 backend against Knot DNS).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <pwd.h>
#include <unistd.h>

#include "cli_harness.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

class PublishCli : public ::testing::Test {
  protected:
    void SetUp() override {
        key = (dir.path() / "mx1.key").string();
        cert = (dir.path() / "mx1.crt").string();
        shell("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out '" + key + "' 2>/dev/null");
        shell("openssl req -new -x509 -key '" + key + "' -out '" + cert +
              "' -days 30 -subj /CN=mx1.example.net 2>/dev/null");
        hex = trim(
            shell("openssl pkey -in '" + key + "' -pubout -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1"));
        tsig = (dir.path() / "upd.key").string();
        std::ofstream(tsig) << "key \"upd\" {\n\talgorithm hmac-sha256;\n\tsecret \"" +
                                   trim(shell("openssl rand -base64 32")) + "\";\n};\n";
    }
    TempDir dir;
    std::string key, cert, hex, tsig;
};

TEST_F(PublishCli, HookReceivesTheChangeAndDecides) {
    const std::string log = (dir.path() / "hook").string();
    const std::string hook = "env | grep '^MXDANE_' | sort > '" + log + ".env'; cat > '" + log +
                             ".stdin'; echo 'hook talking' >&2; echo 'hook stdout'";
    const auto r = run_mxdane(
        {"publish", "MX1.Example.NET", "--cert", cert, "--key", key, "--ttl", "300", "--publish-hook", hook});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // cert and key are the same key: one record, once.
    EXPECT_EQ(r.out, "_25._tcp.mx1.example.net. 300 IN TLSA 3 1 1 " + hex + "\n");
    EXPECT_NE(r.err.find("hook talking\n"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("hook stdout\n"), std::string::npos) << "the hook's stdout is talk, not data";
    EXPECT_NE(r.err.find("Published 1 record at _25._tcp.mx1.example.net.: the publish hook accepted the change."),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("'mxdane rollover status mx1.example.net' will confirm"), std::string::npos) << r.err;
    EXPECT_EQ(read_file(log + ".stdin"), "update add _25._tcp.mx1.example.net. 300 IN TLSA 3 1 1 " + hex + "\nsend\n");
    EXPECT_EQ(read_file(log + ".env"), "MXDANE_ACTION=add\nMXDANE_ACTION_1=add\nMXDANE_COUNT=1\n"
                                       "MXDANE_HOST=mx1.example.net\nMXDANE_OWNER=_25._tcp.mx1.example.net.\n"
                                       "MXDANE_RDATA=3 1 1 " +
                                           hex + "\nMXDANE_RDATA_1=3 1 1 " + hex +
                                           "\nMXDANE_TTL=300\nMXDANE_TTL_1=300\n");
}

TEST_F(PublishCli, UnpublishThroughAHook) {
    const std::string log = (dir.path() / "hook.stdin").string();
    const auto r = run_mxdane({"unpublish", "mx1.example.net", "--key", key, "--zone", "example.net", "--publish-hook",
                               "cat > '" + log + "'"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "_25._tcp.mx1.example.net. IN TLSA 3 1 1 " + hex + "\n");
    EXPECT_EQ(read_file(log),
              "zone example.net.\nupdate delete _25._tcp.mx1.example.net. IN TLSA 3 1 1 " + hex + "\nsend\n");
}

TEST_F(PublishCli, FailingHookExitsOneAndClaimsNothing) {
    const auto r = run_mxdane({"publish", "mx1.example.net", "--key", key, "--publish-hook", "exit 7"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "error: the publish hook failed with exit status 7; nothing is known to be published\n");
}

TEST_F(PublishCli, UsageErrors) {
    auto r = run_mxdane({"publish", "mx1.example.net", "--key", key});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.err, "error: say how to publish: --nsupdate SERVER --tsig-key FILE, or --publish-hook CMD\n");
    r = run_mxdane({"publish", "mx1.example.net", "--key", key, "--nsupdate", "127.0.0.1"});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_NE(r.err.find("--nsupdate requires --tsig-key"), std::string::npos) << r.err;
    r = run_mxdane({"publish", "mx1.example.net", "--key", key, "--nsupdate", "127.0.0.1", "--tsig-key", tsig,
                    "--publish-hook", "true"});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_NE(r.err.find("excludes"), std::string::npos) << r.err;
    r = run_mxdane({"publish", "mx1.example.net", "--publish-hook", "true"});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.err, "error: name the records to publish with --cert FILE or --key FILE\n");
    r = run_mxdane({"unpublish", "mx1.example.net", "--publish-hook", "true"});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.err, "error: name the records to delete with --cert FILE or --key FILE\n");
    r = run_mxdane({"publish", "mx1..example.net", "--key", key, "--publish-hook", "true"});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.err.rfind("error: HOST 'mx1..example.net': ", 0), 0U) << r.err;
    r = run_mxdane({"publish", "mx1.example.net", "--key", key, "--nsupdate", "127.0.0.1@99999", "--tsig-key", tsig});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.err, "error: --nsupdate: the port '99999' is not a number from 1 to 65535\n");
    r = run_mxdane({"publish", "mx1.example.net", "--key", key, "--nsupdate", "[::1]:53", "--tsig-key", tsig});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.err, "error: --nsupdate: '[::1]:53' gives the port after ':'; write it after '@' ([::1]@53)\n");
    r = run_mxdane(
        {"publish", "mx1.example.net", "--key", key, "--nsupdate", "ns1.example.net:53", "--tsig-key", tsig});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.err, "error: --nsupdate: 'ns1.example.net:53' gives the port after ':'; write it after '@' "
                     "(ns1.example.net@53)\n");
    r = run_mxdane({"publish", "mx1.example.net", "--key", key, "--nsupdate", "ns 1\x1b@53", "--tsig-key", tsig});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.err, "error: --nsupdate: 'ns 1\\x1b' is neither an IP address nor a host name\n");
    r = run_mxdane({"unpublish", "mx1.example.net", "--key", key, "--ttl", "60", "--publish-hook", "true"});
    EXPECT_EQ(r.exit_code, 64) << "unpublish has no --ttl";
}

TEST_F(PublishCli, UnreadableAndMalformedFiles) {
    const std::string missing = (dir.path() / "missing").string();
    auto r = run_mxdane({"publish", "mx1.example.net", "--key", missing, "--publish-hook", "true"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "error: cannot read the file " + missing + ": No such file or directory\n");
    r = run_mxdane({"publish", "mx1.example.net", "--cert", key, "--publish-hook", "true"});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.err, "error: " + key + " is a private key, not a certificate: use --key to publish a key's record\n");
    r = run_mxdane({"publish", "mx1.example.net", "--cert", tsig, "--publish-hook", "true"});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.err, "error: " + tsig + ": neither PEM (no '-----BEGIN' line) nor DER (no ASN.1 SEQUENCE)\n");
    r = run_mxdane({"publish", "mx1.example.net", "--key", tsig, "--publish-hook", "true"});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.err, "error: " + tsig + ": neither PEM (no '-----BEGIN' line) nor DER (no ASN.1 SEQUENCE)\n");
    r = run_mxdane({"publish", "mx1.example.net", "--key", key, "--nsupdate", "127.0.0.1", "--tsig-key", missing});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "error: cannot read the TSIG key file " + missing + ": No such file or directory\n");
    r = run_mxdane({"publish", "mx1.example.net", "--key", key, "--nsupdate", "127.0.0.1", "--tsig-key", key});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.err.rfind("error: TSIG key file " + key + ": line 1: expected 'key', found ", 0), 0U) << r.err;
    // An encrypted key is refused, never prompted for.
    const std::string enc = (dir.path() / "enc.key").string();
    shell("openssl pkey -in '" + key + "' -aes256 -passout pass:x -out '" + enc + "'");
    r = run_mxdane({"publish", "mx1.example.net", "--key", enc, "--publish-hook", "true"});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.err.rfind("error: " + enc + ": the private key is encrypted; mxdane never asks for a passphrase", 0),
              0U)
        << r.err;
}

TEST_F(PublishCli, PublicKeyFilesWork) {
    const std::string pub = (dir.path() / "mx1.pub").string();
    shell("openssl pkey -in '" + key + "' -pubout -out '" + pub + "'");
    const auto r = run_mxdane({"publish", "mx1.example.net", "--key", pub, "--publish-hook", "true"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "_25._tcp.mx1.example.net. 3600 IN TLSA 3 1 1 " + hex + "\n");
}

// The one loader of every command (x509::load_material_file): DER too; the
// expected digest is openssl's (hex, from the fixture).
TEST_F(PublishCli, DerFilesWorkAndKindsAreChecked) {
    const std::string der = (dir.path() / "mx1.der").string();
    shell("openssl x509 -in '" + cert + "' -outform DER -out '" + der + "'");
    auto r = run_mxdane({"publish", "mx1.example.net", "--cert", der, "--publish-hook", "true"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "_25._tcp.mx1.example.net. 3600 IN TLSA 3 1 1 " + hex + "\n");
    r = run_mxdane({"publish", "mx1.example.net", "--key", cert, "--publish-hook", "true"});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.err, "error: " + cert + " is a certificate, not a key: use --cert to publish a certificate's record\n");
}

// sys::read_file when open() fails with EACCES: exit 2, one line naming the
// path. Root reads anything, so the command runs as nobody.
TEST_F(PublishCli, AFileItCannotOpenIsExit2NamingThePath) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root to run the command as nobody";
    }
    fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write);
    RunOptions as_nobody;
    const passwd* pw = ::getpwnam("nobody");
    as_nobody.uid = pw == nullptr ? 65534 : pw->pw_uid;
    as_nobody.gid = pw == nullptr ? 65534 : pw->pw_gid;
    as_nobody.cwd = "/";
    const auto r = run_mxdane({"publish", "mx1.example.net", "--key", key, "--publish-hook", "true"}, as_nobody);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "error: cannot read the file " + key + ": Permission denied\n");
    EXPECT_EQ(r.out, "");
}

TEST_F(PublishCli, HelpShowsExamples) {
    const auto r = run_mxdane({"publish", "--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("--nsupdate"), std::string::npos);
    EXPECT_NE(r.out.find("--publish-hook"), std::string::npos);
    EXPECT_NE(r.out.find("mxdane publish mx1.example.net"), std::string::npos);
}

} // namespace
