#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include "../cli/cli_harness.h"
#include "mxdane/error.h"
#include "mxdane/store.h"
#include "mxdane/sys.h"

namespace {
using namespace mxdane;
namespace fs = std::filesystem;

mode_t mode_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777U;
}

TEST(Store, FileNamesFollowTheSeedScript) {
    EXPECT_EQ(store::key_file_name("mx1.example.net", "20261128"), "mx1.example.net-MX-20261128.key");
    EXPECT_EQ(store::cert_file_name("mx1.example.net", "20261128"), "mx1.example.net-MX-SS-20261128.crt");
}

TEST(Store, InstallsWithExactModesWhateverTheUmask) {
    const test::TempDir dir;
    const mode_t old = ::umask(0);
    store::install_all(
        {{dir.path() / "a.crt", "cert", 0644, std::nullopt}, {dir.path() / "a.key", "key", 0400, std::nullopt}});
    ::umask(0777);
    store::install_all({{dir.path() / "b.key", "key", 0400, std::nullopt}});
    ::umask(old);
    EXPECT_EQ(mode_of(dir.path() / "a.crt"), 0644U);
    EXPECT_EQ(mode_of(dir.path() / "a.key"), 0400U);
    EXPECT_EQ(mode_of(dir.path() / "b.key"), 0400U);
    EXPECT_EQ(test::read_file(dir.path() / "a.key"), "key");
    EXPECT_EQ(test::list_tree(dir.path()), (std::vector<std::string>{"a.crt", "a.key", "b.key"}));
}

TEST(Store, NeverOverwritesAndRollsBackWhatItPlaced) {
    const test::TempDir dir;
    { std::ofstream(dir.path() / "taken.key") << "old"; }
    try {
        store::install_all({{dir.path() / "new.crt", "cert", 0644, std::nullopt},
                            {dir.path() / "taken.key", "key", 0400, std::nullopt}});
        FAIL() << "no exception";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::exists);
    }
    EXPECT_EQ(test::read_file(dir.path() / "taken.key"), "old");
    EXPECT_EQ(test::list_tree(dir.path()), std::vector<std::string>{"taken.key"});
}

TEST(Store, DoesNotFollowASymlinkUnderTheFinalName) {
    const test::TempDir dir;
    fs::create_symlink(dir.path() / "elsewhere", dir.path() / "x.key");
    EXPECT_THROW(store::install_all({{dir.path() / "x.key", "key", 0400, std::nullopt}}), Error);
    EXPECT_FALSE(fs::exists(dir.path() / "elsewhere"));
}

TEST(Store, MakeDirectoriesSetsModeOnlyOnCreatedOnes) {
    const test::TempDir dir;
    fs::permissions(dir.path(), fs::perms(0751));
    const mode_t old = ::umask(0077);
    const auto created = store::make_directories(dir.path() / "a" / "b", 0700);
    ::umask(old);
    ASSERT_EQ(created.size(), 2U);
    EXPECT_EQ(created[0], dir.path() / "a");
    EXPECT_EQ(mode_of(dir.path()), 0751U);
    // Only the leaf is private; a created parent is 0755 whatever the umask
    // so that a sibling certs directory stays reachable.
    EXPECT_EQ(mode_of(dir.path() / "a"), 0755U);
    EXPECT_EQ(mode_of(dir.path() / "a" / "b"), 0700U);
    EXPECT_TRUE(store::make_directories(dir.path() / "a", 0711).empty());
    EXPECT_EQ(mode_of(dir.path() / "a"), 0755U);
}

TEST(Store, MakeDirectoriesTreatsATrailingSlashAsTheSameDirectory) {
    const test::TempDir dir;
    const auto created = store::make_directories(dir.path().string() + "/k/", 0700);
    ASSERT_EQ(created.size(), 1U);
    EXPECT_EQ(created[0], dir.path() / "k");
    EXPECT_EQ(mode_of(dir.path() / "k"), 0700U);
}

TEST(Store, MakeDirectoriesRefusesAFileInThePath) {
    const test::TempDir dir;
    { std::ofstream(dir.path() / "f") << "x"; }
    try {
        (void)store::make_directories(dir.path() / "f" / "k", 0700);
        FAIL() << "no exception";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::io);
        EXPECT_NE(std::string(e.what()).find("is not a directory"), std::string::npos) << e.what();
    }
}

TEST(Store, FindsStaleTemporariesWithoutRemovingThem) {
    const test::TempDir dir;
    const fs::path target = dir.path() / "h.crt";
    { std::ofstream(dir.path() / (store::temp_prefix("h.crt") + "b")) << "partial"; }
    { std::ofstream(dir.path() / (store::temp_prefix("h.crt") + "a")) << "partial"; }
    fs::create_symlink("/nonexistent", dir.path() / (store::temp_prefix("h.crt") + "link"));
    const auto found = store::find_stale_temporaries(target);
    EXPECT_EQ(found, (std::vector<fs::path>{dir.path() / (store::temp_prefix("h.crt") + "a"),
                                            dir.path() / (store::temp_prefix("h.crt") + "b")}));
    EXPECT_EQ(test::list_tree(dir.path()).size(), 3U);
}

TEST(Store, RemovesOnlyItsOwnStaleTemporaries) {
    const test::TempDir dir;
    const fs::path target = dir.path() / "h-MX-20261128.key";
    { std::ofstream(dir.path() / (store::temp_prefix("h-MX-20261128.key") + "abc")) << "partial"; }
    { std::ofstream(dir.path() / "unrelated") << "keep"; }
    const auto removed = store::remove_stale_temporaries(target);
    ASSERT_EQ(removed.size(), 1U);
    EXPECT_EQ(test::list_tree(dir.path()), std::vector<std::string>{"unrelated"});
}

} // namespace

namespace {

TEST(Stamps, OnlyRealDatesAndSmallCountersAreStamps) {
    using mxdane::store::key_stamp;
    using mxdane::store::valid_stamp;
    for (const std::string good : {"20260101", "20240229", "20261128-2", "20261128-999", "99991231"}) {
        EXPECT_TRUE(valid_stamp(good)) << good;
    }
    for (const std::string bad : {"20260231", "20230229", "00000101", "19691231", "2026010", "202601011", "20260101-1",
                                  "20260101-0", "20260101-02", "20260101-1000", "20260101-99999999999999999999",
                                  "20260101-", "20260101--2", "2026-101", "+2026010", "20260101-2a", ""}) {
        EXPECT_FALSE(valid_stamp(bad)) << bad;
    }
    EXPECT_EQ(key_stamp("mx1.example.net", "mx1.example.net-MX-20261128-2.key"), "20261128-2");
    EXPECT_FALSE(key_stamp("mx1.example.net", "mx1.example.net-MX-20260101-99999999999999999999.key"));
    EXPECT_FALSE(key_stamp("mx1.example.net", "mx2.example.net-MX-20260101.key"));
    EXPECT_FALSE(key_stamp("mx1.example.net", "mx1.example.net-MX-20260101.crt"));
}

// Presence has three answers; "cannot tell" is never "absent". (Permission
// denied needs another uid: KeygenNonRoot in tests/cli covers it; here a
// symlink loop on the way gives an lstat error other than ENOENT.)
TEST(StorePresence, AbsentPresentAndCannotTell) {
    const test::TempDir dir;
    const fs::path file = dir.path() / "f";
    std::ofstream(file) << "x";
    fs::create_symlink("nowhere", dir.path() / "dangling");
    fs::create_symlink("loop", dir.path() / "loop");
    using Kind = store::Presence::Kind;
    EXPECT_EQ(store::presence(dir.path() / "missing").kind, Kind::absent);
    EXPECT_EQ(store::presence(file / "below-a-file").kind, Kind::absent); // ENOTDIR
    EXPECT_EQ(store::presence(file).kind, Kind::file);
    EXPECT_EQ(store::presence(dir.path()).kind, Kind::file);
    EXPECT_EQ(store::presence(dir.path() / "dangling").kind, Kind::symlink);
    EXPECT_TRUE(store::presence(dir.path() / "dangling").present());
    const auto unknown = store::presence(dir.path() / "loop" / "x");
    EXPECT_EQ(unknown.kind, Kind::unknown);
    EXPECT_EQ(unknown.error, ELOOP);
    EXPECT_FALSE(unknown.present());
}

TEST(StorePresence, CannotTellThrowsWithThePathAndTheReason) {
    const test::TempDir dir;
    fs::create_symlink("loop", dir.path() / "loop");
    const fs::path p = dir.path() / "loop" / "x";
    EXPECT_FALSE(store::exists_nofollow(dir.path() / "missing"));
    EXPECT_TRUE(store::exists_nofollow(dir.path()));
    try {
        (void)store::known_presence(p);
        FAIL() << "no exception";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::io);
        EXPECT_EQ(std::string(e.what()),
                  "cannot tell whether " + p.string() + " exists: Too many levels of symbolic links");
    }
}

// A symlink loop on the way to a key directory: fs::canonical fails, and
// the error is one line naming the link (exit 2 in the CLI: Errc::io).
TEST(StoreReplaceable, ASymlinkLoopIsOneLineNamingThePath) {
    const test::TempDir dir;
    fs::create_symlink("loop", dir.path() / "loop");
    const fs::path link = fs::absolute(dir.path() / "loop").lexically_normal();
    try {
        (void)store::replaceable_by_others(dir.path() / "loop" / "keys", ::geteuid());
        FAIL() << "no exception";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::io);
        EXPECT_EQ(std::string(e.what()), "cannot follow " + link.string() + ": Too many levels of symbolic links");
    }
}

// The one errno mapping (sys::errc_of): EEXIST is "exists" (store.cpp and
// replace.cpp once disagreed on it).
TEST(SysErrno, OneMappingForEveryWriter) {
    EXPECT_EQ(sys::errc_of(EACCES), Errc::permission);
    EXPECT_EQ(sys::errc_of(EPERM), Errc::permission);
    EXPECT_EQ(sys::errc_of(EROFS), Errc::permission);
    EXPECT_EQ(sys::errc_of(EEXIST), Errc::exists);
    EXPECT_EQ(sys::errc_of(ENOSPC), Errc::io);
    const Error e = sys::os_error("cannot write x", ENOSPC);
    EXPECT_EQ(std::string(e.what()), "cannot write x: No space left on device");
}

TEST(SysTempName, BesideTheFinalNameWithItsPrefix) {
    const fs::path a = sys::temp_name_for("/d/x.key");
    const fs::path b = sys::temp_name_for("/d/x.key");
    EXPECT_EQ(a.parent_path(), fs::path("/d"));
    EXPECT_EQ(a.filename().string().rfind(".x.key.mxdane-tmp-", 0), 0U) << a;
    EXPECT_EQ(a.filename().string().size(), std::string(".x.key.mxdane-tmp-").size() + 10);
    EXPECT_NE(a, b);
    EXPECT_EQ(sys::temp_name_for("x.key").parent_path(), fs::path("."));
}

TEST(SysSyncDirectory, AMissingDirectoryIsOneLine) {
    const test::TempDir dir;
    try {
        sys::sync_directory(dir.path() / "missing");
        FAIL() << "no exception";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::io);
        EXPECT_EQ(std::string(e.what()),
                  "cannot sync directory " + (dir.path() / "missing").string() + ": No such file or directory");
    }
}

} // namespace

namespace {
using namespace mxdane;
namespace fs = std::filesystem;

// The move to retired/ never overwrites: once every numbered name up to
// .9999 is held by another file, it is an error naming the key file.
TEST(Store, RetiredDestinationFailsWhenEveryNameIsTaken) {
    test::TempDir tmp;
    const fs::path from = tmp.path() / "mx1.example.net-MX-20261207.key";
    const fs::path retired = tmp.path() / "retired";
    fs::create_directories(retired);
    std::ofstream(from) << "key";
    std::ofstream(retired / from.filename()) << "another key";
    EXPECT_EQ(store::retired_destination(from, retired), retired / "mx1.example.net-MX-20261207.2.key");
    for (int n = 2; n < 10000; ++n) {
        std::ofstream(retired / ("mx1.example.net-MX-20261207." + std::to_string(n) + ".key")) << n;
    }
    try {
        (void)store::retired_destination(from, retired);
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::exists);
        EXPECT_EQ(std::string(e.what()),
                  "every name for mx1.example.net-MX-20261207.key in " + retired.string() + " is taken");
    }
    // A name that already is the key itself (a move cut between link and
    // unlink) is kept.
    fs::remove(retired / "mx1.example.net-MX-20261207.9999.key");
    fs::create_hard_link(from, retired / "mx1.example.net-MX-20261207.9999.key");
    EXPECT_EQ(store::retired_destination(from, retired), retired / "mx1.example.net-MX-20261207.9999.key");
}

} // namespace
