#include <gtest/gtest.h>

#include <fstream>
#include <sys/stat.h>

#include "../cli/cli_harness.h"
#include "mxdane/error.h"
#include "mxdane/keygen.h"
#include "mxdane/store.h"

namespace {
using namespace mxdane;

keygen::Request request_in(const std::filesystem::path& dir) {
    keygen::Request r;
    r.names = {"MX1.example.net.", "example.net", "mx1.example.net"};
    r.key_type = x509::KeyType::p256;
    r.key_dir = dir;
    r.cert_dir = dir;
    r.now = x509::Clock::from_time_t(1795867200); // 2026-11-28T12:00:00Z
    return r;
}

TEST(Keygen, WritesBothFilesAndRecordsInOrder) {
    const test::TempDir dir;
    const auto r = keygen::run(request_in(dir.path()));
    EXPECT_TRUE(r.written);
    EXPECT_EQ(r.names, (std::vector<std::string>{"mx1.example.net", "example.net"}));
    EXPECT_EQ(r.owner, "_25._tcp.mx1.example.net.");
    ASSERT_EQ(r.records.size(), 2U);
    EXPECT_EQ(r.records[0].selector, 1);
    EXPECT_EQ(r.records[1].selector, 0);
    EXPECT_EQ(r.records[0].data.size(), 32U);
    EXPECT_EQ(test::list_tree(dir.path()).size(), 2U);
}

TEST(Keygen, DryRunWritesNothing) {
    const test::TempDir dir;
    auto req = request_in(dir.path() / "sub");
    req.dry_run = true;
    const auto r = keygen::run(req);
    EXPECT_FALSE(r.written);
    EXPECT_EQ(r.records.size(), 2U);
    EXPECT_TRUE(test::list_tree(dir.path()).empty());
}

TEST(Keygen, RefusesBeforeGeneratingWhenAFileExists) {
    const test::TempDir dir;
    const auto first = keygen::run(request_in(dir.path()));
    const std::string key_before = test::read_file(first.key_path);
    try {
        (void)keygen::run(request_in(dir.path()));
        FAIL() << "no exception";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::exists);
        EXPECT_NE(std::string(e.what()).find("already exist"), std::string::npos);
    }
    EXPECT_EQ(test::read_file(first.key_path), key_before);
}

TEST(Keygen, RefusesUnknownGroupAndBadPort) {
    const test::TempDir dir;
    auto req = request_in(dir.path());
    req.key_group = "no-such-group-mxdane";
    EXPECT_THROW((void)keygen::run(req), Error);
    req.key_group.reset();
    req.port = 0;
    EXPECT_THROW((void)keygen::run(req), Error);
    EXPECT_TRUE(test::list_tree(dir.path()).empty());
}

std::string error_of(const keygen::Request& req, Errc expected) {
    try {
        (void)keygen::run(req);
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), expected) << e.what();
        return e.what();
    }
    ADD_FAILURE() << "no exception";
    return {};
}

mode_t mode_of(const std::filesystem::path& p) {
    struct stat st {};
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777U;
}

TEST(Keygen, RefusesEmptyDirectories) {
    const test::TempDir dir;
    auto req = request_in(dir.path());
    req.key_dir.clear();
    EXPECT_EQ(error_of(req, Errc::bad_input), "the key directory setting needs a directory");
    req = request_in(dir.path());
    req.cert_dir.clear();
    EXPECT_EQ(error_of(req, Errc::bad_input), "the certificate directory setting needs a directory");
    try {
        (void)keygen::run(req);
        FAIL() << "no error";
    } catch (const SettingError& e) {
        EXPECT_EQ(e.setting(), Setting::cert_dir);
        EXPECT_EQ(e.value(), "");
    }
}

TEST(Keygen, DaysOutOfRangeNamesTheSettingAndValue) {
    const test::TempDir dir;
    auto req = request_in(dir.path());
    req.days = 0;
    try {
        (void)keygen::run(req);
        FAIL() << "no error";
    } catch (const SettingError& e) {
        EXPECT_EQ(e.code(), Errc::bad_input);
        EXPECT_EQ(e.setting(), Setting::days);
        EXPECT_EQ(e.value(), "0");
        EXPECT_EQ(std::string(e.what()).rfind("the days setting must be between 1 and ", 0), 0U) << e.what();
    }
}

TEST(Keygen, RefusesASymlinkUnderAFinalName) {
    const test::TempDir dir;
    auto req = request_in(dir.path());
    const auto key = dir.path() / store::key_file_name("mx1.example.net", store::date_stamp(req.now));
    std::filesystem::create_symlink(dir.path() / "target", key);
    const std::string msg = error_of(req, Errc::exists);
    EXPECT_EQ(msg, key.string() + " is a symbolic link; not writing through it (remove it first)");
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "target"));
}

TEST(Keygen, RefusalNamesTemporariesLeftBeside) {
    const test::TempDir dir;
    auto req = request_in(dir.path());
    const std::string stamp = store::date_stamp(req.now);
    const auto cert = dir.path() / store::cert_file_name("mx1.example.net", stamp);
    const auto temp = dir.path() / (store::temp_prefix(store::key_file_name("mx1.example.net", stamp)) + "x");
    { std::ofstream(cert) << "cert"; }
    { std::ofstream(temp) << "partial"; }
    const std::string msg = error_of(req, Errc::exists);
    EXPECT_NE(msg.find(cert.string() + " already exists without its key"), std::string::npos) << msg;
    EXPECT_NE(msg.find("also left by an interrupted run: " + temp.string()), std::string::npos) << msg;
    EXPECT_TRUE(std::filesystem::exists(temp));
}

TEST(Keygen, CleansTemporariesAndSaysSo) {
    const test::TempDir dir;
    auto req = request_in(dir.path());
    const auto temp =
        dir.path() / (store::temp_prefix(store::key_file_name("mx1.example.net", store::date_stamp(req.now))) + "x");
    { std::ofstream(temp) << "partial"; }
    const auto r = keygen::run(req);
    ASSERT_EQ(r.warnings.size(), 2U); // the 0755 temp dir, then the temporary
    EXPECT_EQ(r.warnings[1], "removed " + temp.string() + ", a temporary file left by an interrupted run");
    EXPECT_FALSE(std::filesystem::exists(temp));
}

TEST(Keygen, WarnsWhenTheKeyDirectoryIsOpenToOthers) {
    const test::TempDir dir;
    const auto r = keygen::run(request_in(dir.path()));
    ASSERT_EQ(r.warnings.size(), 1U);
    EXPECT_NE(r.warnings[0].find("readable or writable by others"), std::string::npos);
    const test::TempDir closed;
    std::filesystem::permissions(closed.path(), std::filesystem::perms(0750));
    EXPECT_TRUE(keygen::run(request_in(closed.path())).warnings.empty());
}

TEST(Keygen, CreatesTheKeyDirectoryPrivateAndTheCertDirectoryOpen) {
    const test::TempDir dir;
    auto req = request_in(dir.path() / "pki" / "private");
    req.cert_dir = dir.path() / "pki" / "certs";
    const auto r = keygen::run(req);
    EXPECT_EQ(r.created_dirs, (std::vector<std::filesystem::path>{dir.path() / "pki", dir.path() / "pki" / "private",
                                                                  dir.path() / "pki" / "certs"}));
    EXPECT_EQ(mode_of(dir.path() / "pki"), 0755U);
    EXPECT_EQ(mode_of(dir.path() / "pki" / "private"), 0700U);
    EXPECT_EQ(mode_of(dir.path() / "pki" / "certs"), 0755U);
    EXPECT_TRUE(r.warnings.empty());
}

TEST(Keygen, AKeyGroupDirectoryIsMadeGroupReadable) {
    const test::TempDir dir;
    auto req = request_in(dir.path() / "keys");
    req.key_group = "mail";
    const auto r = keygen::run(req);
    struct stat st {};
    ASSERT_EQ(::stat((dir.path() / "keys").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777U, 0750U);
    EXPECT_EQ(st.st_gid, 8U); // Debian's "mail"
    EXPECT_EQ(r.key_mode, 0440U);
}

TEST(Keygen, AFailedRunRemovesTheDirectoriesItMade) {
    const test::TempDir dir;
    auto req = request_in(dir.path() / "new" / "keys");
    { std::ofstream(dir.path() / "file") << "x"; }
    req.cert_dir = dir.path() / "file" / "certs";
    const std::string msg = error_of(req, Errc::io);
    EXPECT_NE(msg.find("is not a directory"), std::string::npos) << msg;
    EXPECT_EQ(test::list_tree(dir.path()), std::vector<std::string>{"file"});
}

} // namespace
