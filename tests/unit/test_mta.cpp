// The MTA facts: which one is installed, its lines, who can reach the key,
// and the OpenSMTPD versions that cannot load keys under OpenSSL 3.
#include <gtest/gtest.h>

#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include "../cli/cli_harness.h"
#include "mxdane/mta.h"

namespace {
using namespace mxdane;
namespace fs = std::filesystem;

void touch(const fs::path& p) {
    fs::create_directories(p.parent_path());
    std::ofstream{p} << "";
}

TEST(Mta, DefaultIsTheOneInstalledElsePostfix) {
    const test::TempDir root;
    EXPECT_EQ(mta::default_kind(mta::detect_installed(root.path())), mta::Kind::postfix);
    touch(root.path() / "usr/sbin/exim4");
    const auto only_exim = mta::detect_installed(root.path());
    EXPECT_TRUE(only_exim.exim);
    EXPECT_FALSE(only_exim.postfix);
    EXPECT_EQ(mta::default_kind(only_exim), mta::Kind::exim);
    touch(root.path() / "usr/sbin/postfix");
    EXPECT_EQ(mta::default_kind(mta::detect_installed(root.path())), mta::Kind::postfix) << "unsure: Postfix";
    const test::TempDir smtpd;
    touch(smtpd.path() / "usr/sbin/smtpd");
    EXPECT_EQ(mta::default_kind(mta::detect_installed(smtpd.path())), mta::Kind::opensmtpd);
}

TEST(Mta, ParseAndName) {
    EXPECT_EQ(mta::parse_kind("exim4"), mta::Kind::exim);
    EXPECT_EQ(mta::parse_kind("opensmtpd"), mta::Kind::opensmtpd);
    EXPECT_FALSE(mta::parse_kind("Postfix").has_value());
    EXPECT_EQ(mta::kind_name(mta::Kind::exim), "exim");
}

TEST(Mta, KeyGroup) {
    EXPECT_EQ(mta::key_group(mta::Kind::exim), "Debian-exim");
    EXPECT_FALSE(mta::key_group(mta::Kind::postfix).has_value());
    EXPECT_FALSE(mta::key_group(mta::Kind::opensmtpd).has_value());
}

TEST(Mta, ConfigLinesUseTheGivenPaths) {
    const fs::path k = "/k/mx1-MX.key";
    const fs::path c = "/c/mx1-MX.crt";
    EXPECT_EQ(mta::config_lines(mta::Kind::postfix, "mx1", k, c),
              "# /etc/postfix/main.cf\nsmtpd_tls_chain_files = /k/mx1-MX.key, /c/mx1-MX.crt\n"
              "smtpd_tls_security_level = may\n");
    const std::string exim = mta::config_lines(mta::Kind::exim, "mx1", k, c);
    EXPECT_NE(exim.find("\nMAIN_TLS_ENABLE = yes\nMAIN_TLS_CERTIFICATE = /c/mx1-MX.crt\n"
                        "MAIN_TLS_PRIVATEKEY = /k/mx1-MX.key\n"),
              std::string::npos)
        << exim;
    EXPECT_EQ(mta::config_lines(mta::Kind::opensmtpd, "mx1", k, c),
              "# /etc/smtpd.conf\npki mx1 cert \"/c/mx1-MX.crt\"\npki mx1 key \"/k/mx1-MX.key\"\n"
              "listen on egress tls pki mx1\n");
}

TEST(Mta, BlockingDirectory) {
    const test::TempDir t;
    const fs::path d = t.path() / "a" / "b";
    fs::create_directories(d);
    const gid_t other_gid = 65534; // nogroup: owns nothing here
    ASSERT_EQ(::chmod(d.c_str(), 0700), 0);
    EXPECT_EQ(mta::blocking_dir(d / "k.key", other_gid), d);
    ASSERT_EQ(::chown(d.c_str(), static_cast<uid_t>(-1), other_gid), 0);
    EXPECT_EQ(mta::blocking_dir(d / "k.key", other_gid), d) << "group without x";
    ASSERT_EQ(::chmod(d.c_str(), 0710), 0);
    EXPECT_EQ(mta::blocking_dir(d / "k.key", other_gid), std::nullopt);
    ASSERT_EQ(::chmod((t.path() / "a").c_str(), 0700), 0);
    EXPECT_EQ(mta::blocking_dir(d / "k.key", other_gid), t.path() / "a") << "the outermost first";
    ASSERT_EQ(::chmod(d.c_str(), 0701), 0);
    ASSERT_EQ(::chmod((t.path() / "a").c_str(), 0711), 0);
    EXPECT_EQ(mta::blocking_dir(d / "k.key", 12345), std::nullopt) << "others may search";
}

TEST(Mta, DpkgVersionOfInstalledPackagesOnly) {
    const test::TempDir root;
    fs::create_directories(root.path() / "var/lib/dpkg");
    std::ofstream{root.path() / "var/lib/dpkg/status"}
        << "Package: opensmtpd-extras\nStatus: install ok installed\nVersion: 6.7.1-1\n\n"
           "Package: opensmtpd\nStatus: install ok installed\nPriority: optional\nVersion: 6.8.0p2-4+b4\n"
           "Description: x\n\nPackage: exim4-base\nStatus: deinstall ok config-files\nVersion: 4.96-15\n";
    EXPECT_EQ(mta::dpkg_version(root.path(), "opensmtpd"), "6.8.0p2-4+b4");
    EXPECT_EQ(mta::dpkg_version(root.path(), "exim4-base"), std::nullopt) << "removed, config files only";
    EXPECT_EQ(mta::dpkg_version(root.path(), "postfix"), std::nullopt);
    const test::TempDir empty;
    EXPECT_EQ(mta::dpkg_version(empty.path(), "opensmtpd"), std::nullopt);
}

TEST(Mta, OpenSmtpdVersionsWithTheKeyBug) {
    EXPECT_TRUE(mta::opensmtpd_key_bug("6.8.0p2-4+b4")); // Debian 12
    EXPECT_TRUE(mta::opensmtpd_key_bug("1:6.8.0p2-4"));
    EXPECT_TRUE(mta::opensmtpd_key_bug("6.6.4p1"));
    EXPECT_FALSE(mta::opensmtpd_key_bug("7.0.0p0"));
    EXPECT_FALSE(mta::opensmtpd_key_bug("7.6.0p1-1")); // Debian 13
    EXPECT_FALSE(mta::opensmtpd_key_bug("10.1"));
    EXPECT_FALSE(mta::opensmtpd_key_bug("unknown"));
    EXPECT_FALSE(mta::opensmtpd_key_bug(""));
}

} // namespace
