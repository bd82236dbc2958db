#include <gtest/gtest.h>

#include "../cli/cli_harness.h"
#include "mxdane/error.h"
#include "mxdane/keygen.h"

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

} // namespace
