// The admin's first hour through the real binary: keygen makes the stable
// names and prints the MTA's configuration once, rollover init adopts them
// without asking for a second edit, the 3 0 1 line stays valid zone text
// (checked with ldns-read-zone), and the MTA-specific warnings.
#include <gtest/gtest.h>

#include <fstream>
#include <grp.h>
#include <sys/stat.h>

#include "cli_harness.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;

const std::string host = "mx1.example.net";

bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

std::string spki_of_cert(const fs::path& crt) {
    std::string s = shell("openssl x509 -in '" + crt.string() +
                          "' -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' "
                          "-f1");
    s.pop_back();
    return s;
}

TEST(FirstHourCli, KeygenMakesStableNamesAndPrintsAbsolutePostfixLines) {
    const TempDir dir;
    // A relative --out: every printed path must still be absolute.
    RunOptions in_dir;
    in_dir.cwd = dir.path();
    const auto r = run_mxdane({"keygen", "--mta", "postfix", "--key", "p256", "--out", "keys", host}, in_dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const fs::path keys = dir.path() / "keys";
    const fs::path stable_key = keys / (host + "-MX.key");
    const fs::path stable_cert = keys / (host + "-MX.crt");
    ASSERT_TRUE(fs::is_symlink(stable_key));
    ASSERT_TRUE(fs::is_symlink(stable_cert));
    EXPECT_TRUE(fs::read_symlink(stable_key).is_absolute());
    EXPECT_EQ(fs::read_symlink(stable_key).parent_path(), keys);
    EXPECT_EQ(fs::read_symlink(stable_cert).parent_path(), keys);
    EXPECT_TRUE(contains(fs::read_symlink(stable_key).filename().string(), host + "-MX-"));
    EXPECT_TRUE(contains(r.err, "smtpd_tls_chain_files = " + stable_key.string() + ", " + stable_cert.string() + "\n"))
        << r.err;
    EXPECT_TRUE(contains(r.err, "postfix reload")) << r.err;
    // The certificate behind the stable name is the one the record pins.
    EXPECT_TRUE(contains(r.out, "3 1 1 " + spki_of_cert(stable_cert))) << r.out;
}

TEST(FirstHourCli, RolloverInitAdoptsKeygenStableNamesSilently) {
    const TempDir dir;
    const fs::path keys = dir.path() / "keys";
    ASSERT_EQ(run_mxdane({"keygen", "--key", "p256", "--out", keys.string(), host}).exit_code, 0);
    const fs::path stable_key = keys / (host + "-MX.key");
    const auto target = fs::read_symlink(stable_key);
    const auto r =
        run_mxdane({"rollover", "init", "--out", keys.string(), "--state-dir", (dir.path() / "state").string(), host});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "") << "no second MTA configuration";
    EXPECT_TRUE(contains(r.err, "the MTA's configuration stays as it is")) << r.err;
    EXPECT_EQ(fs::read_symlink(stable_key), target);
}

TEST(FirstHourCli, SecondKeygenLeavesTheStableNamesOfTheKeyInService) {
    const TempDir dir;
    const fs::path keys = dir.path() / "keys";
    ASSERT_EQ(run_mxdane({"keygen", "--key", "p256", "--out", keys.string(), host}).exit_code, 0);
    const fs::path stable_key = keys / (host + "-MX.key");
    const auto target = fs::read_symlink(stable_key);
    // Same day: other file names through --out of a second directory is not
    // the case here; make the dated names free by moving the first pair.
    for (const auto& e : fs::directory_iterator(keys)) {
        if (!fs::is_symlink(e.symlink_status())) {
            fs::rename(e.path(), keys / ("old-" + e.path().filename().string()));
        }
    }
    const auto r = run_mxdane({"keygen", "--key", "p256", "--out", keys.string(), host});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(fs::read_symlink(stable_key), target);
    EXPECT_TRUE(contains(r.err, "exist already and were left alone")) << r.err;
    EXPECT_TRUE(contains(r.err, "mxdane rollover stage")) << r.err;
}

TEST(FirstHourCli, ThreeZeroOneCarriesAZoneFileCommentAndStaysValidZoneText) {
    const TempDir dir;
    const auto r = run_mxdane({"keygen", "--key", "p256", "--out", dir.path().string(), host});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto nl = r.out.find('\n');
    ASSERT_NE(nl, std::string::npos);
    EXPECT_TRUE(contains(r.out.substr(0, nl), " IN TLSA 3 1 1 ")) << "3 1 1 first: " << r.out;
    EXPECT_TRUE(contains(r.out.substr(nl + 1), " IN TLSA 3 0 1 ")) << r.out;
    EXPECT_TRUE(contains(r.out, " ; changes at every certificate reissue: prefer 3 1 1\n")) << r.out;
    // Pasted into a zone, both records parse (ldns-read-zone, independent).
    const fs::path zone = dir.path() / "example.net.zone";
    {
        std::ofstream z(zone);
        z << "$TTL 3600\nexample.net. IN SOA ns1.example.net. hostmaster.example.net. 1 7200 3600 1209600 3600\n"
          << r.out;
    }
    const std::string parsed = shell("ldns-read-zone '" + zone.string() + "'");
    EXPECT_TRUE(contains(parsed, "TLSA\t3 1 1 ")) << parsed;
    EXPECT_TRUE(contains(parsed, "TLSA\t3 0 1 ")) << parsed;
}

TEST(FirstHourCli, JsonKeepsItsShape) {
    const TempDir dir;
    const auto r = run_mxdane({"keygen", "--json", "--key", "p256", "--out", dir.path().string(), host});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(contains(r.out, "prefer 3 1 1")) << r.out;
    EXPECT_TRUE(contains(r.out, "\"tlsa\"")) << r.out;
}

TEST(FirstHourCli, GroupThatCannotEnterTheKeyDirectoryIsWarnedAbout) {
    const TempDir dir;
    const fs::path keys = dir.path() / "keys";
    fs::create_directory(keys);
    fs::permissions(keys, fs::perms::owner_all);
    const auto r = run_mxdane({"keygen", "--key-group", "postfix", "--key", "p256", "--out", keys.string(), host});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "warning: the group postfix cannot enter " + keys.string() + " (mode 0700)")) << r.err;
    // A directory keygen makes itself gets the group: no warning.
    const fs::path fresh = dir.path() / "fresh";
    const auto r2 = run_mxdane({"keygen", "--key-group", "postfix", "--key", "p256", "--out", fresh.string(), host});
    ASSERT_EQ(r2.exit_code, 0) << r2.err;
    EXPECT_FALSE(contains(r2.err, "cannot enter")) << r2.err;
}

TEST(FirstHourCli, EximLinesAndItsGroup) {
    const TempDir dir;
    const fs::path keys = dir.path() / "keys";
    const auto r = run_mxdane({"keygen", "--mta", "exim", "--key", "p256", "--out", keys.string(), host});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "MAIN_TLS_ENABLE = yes\n")) << r.err;
    EXPECT_TRUE(contains(r.err, "MAIN_TLS_CERTIFICATE = " + (keys / (host + "-MX.crt")).string() + "\n")) << r.err;
    EXPECT_TRUE(contains(r.err, "MAIN_TLS_PRIVATEKEY = " + (keys / (host + "-MX.key")).string() + "\n")) << r.err;
    if (::getgrnam("Debian-exim") == nullptr) {
        // Exim is not installed here (the lab test makes the group in a
        // private mount namespace and checks the automatic group there).
        EXPECT_TRUE(contains(r.err, "warning: Exim reads the key as the group Debian-exim, which does not exist here"))
            << r.err;
    }
}

TEST(FirstHourCli, OpenSmtpdOfDebian12IsWarnedAboutWithItsVersion) {
    const TempDir dir;
    // Debian 12's OpenSMTPD package version (dpkg-deb -f opensmtpd_*.deb
    // Version); the lab test reads it from the package itself.
    const auto r = run_process({"env", "MXDANE_OPENSMTPD_VERSION=6.8.0p2-4+b4", mxdane_binary().string(), "keygen",
                                "--mta", "opensmtpd", "--key", "p256", "--out", dir.path().string(), host});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "warning: OpenSMTPD 6.8.0p2-4+b4 cannot use a private key under OpenSSL 3")) << r.err;
    EXPECT_TRUE(contains(r.err, "pki " + host + " key \"")) << r.err;
    const auto fixed = run_process({"env", "MXDANE_OPENSMTPD_VERSION=7.6.0p1-1", mxdane_binary().string(), "keygen",
                                    "--mta", "opensmtpd", "--key", "p256", "--out", (dir.path() / "b").string(), host});
    ASSERT_EQ(fixed.exit_code, 0) << fixed.err;
    EXPECT_FALSE(contains(fixed.err, "cannot use a private key")) << fixed.err;
}

TEST(FirstHourCli, UnknownMtaIsAUsageError) {
    const TempDir dir;
    const auto r = run_mxdane({"keygen", "--mta", "sendmail", "--out", dir.path().string(), host});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.err, "error: --mta: choose postfix, exim or opensmtpd, not 'sendmail'\n");
    EXPECT_TRUE(list_tree(dir.path()).empty());
}

} // namespace

namespace {

TEST(FirstHourCli, StageKeepsTheGroupTheMtaReadsTheKeyAs) {
    // Exim reads keys as Debian-exim: a next key made 0400 root would make
    // it answer "454 TLS currently unavailable" after the switch. (nogroup
    // stands in for a group that exists on every Debian machine.)
    const TempDir dir;
    const fs::path keys = dir.path() / "keys";
    const fs::path state = dir.path() / "state";
    ASSERT_EQ(run_mxdane({"keygen", "--key-group", "nogroup", "--key", "p256", "--out", keys.string(), host}).exit_code,
              0);
    ASSERT_EQ(run_mxdane({"rollover", "init", "--out", keys.string(), "--state-dir", state.string(), host}).exit_code,
              0);
    const auto s = run_mxdane({"rollover", "stage", "--out", keys.string(), "--state-dir", state.string(), host});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    int keys_seen = 0;
    for (const auto& e : fs::directory_iterator(keys)) {
        if (e.path().extension() != ".key" || fs::is_symlink(e.symlink_status())) {
            continue;
        }
        ++keys_seen;
        EXPECT_EQ(shell("stat -c '%a %G' '" + e.path().string() + "'"), "440 nogroup\n") << e.path();
    }
    EXPECT_EQ(keys_seen, 2);
}

} // namespace
