// Every refusal of mxdane keygen (issue #2), through the real binary: each
// asserts the exit code, the one-line message, and that nothing appeared or
// changed in the target directory.
#include <gtest/gtest.h>

#include <fstream>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_harness.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;

mode_t mode_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777U;
}

std::string today() {
    std::string d = shell("date +%Y%m%d");
    d.pop_back();
    return d;
}

std::string key_name(const std::string& host = "mx1.example.net") {
    return host + "-MX-" + today() + ".key";
}
std::string cert_name(const std::string& host = "mx1.example.net") {
    return host + "-MX-SS-" + today() + ".crt";
}

/// stderr is exactly one line, "error: <msg>".
void expect_error_line(const RunResult& r, const std::string& msg) {
    EXPECT_EQ(r.err, "error: " + msg + "\n");
    EXPECT_EQ(r.out, "");
}

uid_t nobody_uid() {
    const passwd* pw = ::getpwnam("nobody");
    return pw == nullptr ? 65534 : pw->pw_uid;
}
gid_t nogroup_gid() {
    const group* gr = ::getgrnam("nogroup");
    return gr == nullptr ? 65534 : gr->gr_gid;
}

RunOptions in_dir(const fs::path& dir) {
    RunOptions o;
    o.cwd = dir;
    return o;
}
RunOptions with_umask(mode_t m) {
    RunOptions o;
    o.umask = m;
    return o;
}
/// Root bypasses mode bits: permission refusals need another uid.
RunOptions as_nobody_in(const fs::path& dir) {
    RunOptions o = in_dir(dir);
    o.uid = nobody_uid();
    o.gid = nogroup_gid();
    return o;
}

// ---------------------------------------------------------------------------
// Bad names: exit 64, a one-line error naming the (escaped) name and why.

struct BadName {
    std::string name;    // as typed
    std::string shown;   // as the error echoes it
    std::string because; // part of the reason
};

void PrintTo(const BadName& b, std::ostream* os) {
    *os << "'" << b.shown << "'";
}

class KeygenBadName : public ::testing::TestWithParam<BadName> {};

TEST_P(KeygenBadName, Exits64NamesItAndWritesNothing) {
    const BadName& bad = GetParam();
    const TempDir dir;
    { std::ofstream(dir.path() / "keep") << "x"; }
    const auto before = snapshot_tree(dir.path());
    // Once as the host, once as a further name after a good host: a bad
    // second name must stop the run just the same.
    for (const bool as_host : {true, false}) {
        std::vector<std::string> args{"keygen", "--key", "p256", "--out", (dir.path() / "keys").string(), "--"};
        if (!as_host) {
            args.emplace_back("mx1.example.net");
        }
        args.push_back(bad.name);
        const auto r = run_mxdane(args);
        EXPECT_EQ(r.exit_code, 64) << r.err;
        EXPECT_EQ(r.out, "");
        const std::string prefix = "error: invalid host name '" + bad.shown + "': ";
        EXPECT_EQ(r.err.rfind(prefix, 0), 0U) << r.err;
        EXPECT_NE(r.err.find(bad.because), std::string::npos) << r.err;
        EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "not one line: " << r.err;
        EXPECT_EQ(snapshot_tree(dir.path()), before);
    }
}

const std::string label63(63, 'a');

INSTANTIATE_TEST_SUITE_P(
    Table, KeygenBadName,
    ::testing::Values(
        BadName{"*.example.net", "*.example.net", "wildcards are not host names"},
        BadName{"mail_1.example.net", "mail_1.example.net", "'_' is not allowed"},
        BadName{"_25._tcp.example.net", "_25._tcp.example.net", "'_' is not allowed"},
        BadName{"mx1..example.net", "mx1..example.net", "empty label"},
        BadName{".example.net", ".example.net", "empty label"},
        BadName{"mx1.example.net..", "mx1.example.net..", "empty label"}, BadName{".", ".", "the name is empty"},
        BadName{"", "", "the name is empty"}, BadName{"mx1/example.net", "mx1/example.net", "'/' is not allowed"},
        BadName{"../etc/passwd", "../etc/passwd", "'/' is not allowed"},
        BadName{"mx1 .example.net", "mx1 .example.net", "whitespace is not allowed"},
        BadName{"mx1\t.example.net", "mx1\\x09.example.net", "whitespace is not allowed"},
        BadName{"mx1.example.net\n", "mx1.example.net\\x0a", "whitespace is not allowed"},
        BadName{std::string("mx1\x01.example.net"), "mx1\\x01.example.net", "a control character is not allowed"},
        BadName{"mx1\x7f.example.net", "mx1\\x7f.example.net", "a control character is not allowed"},
        BadName{"mx1.exa\\mple.net", "mx1.exa\\x5cmple.net", "is not allowed"},
        BadName{"-mx1.example.net", "-mx1.example.net", "starts or ends with '-'"},
        BadName{"mx1-.example.net", "mx1-.example.net", "starts or ends with '-'"},
        BadName{"mx1.example-", "mx1.example-", "starts or ends with '-'"},
        BadName{label63 + "a.example.net", label63 + "a.example.net", "longer than 63 octets"},
        BadName{label63 + "." + label63 + "." + label63 + "." + label63 + ".net",
                label63 + "." + label63 + "." + label63 + "." + label63 + ".net", "longer than 253 octets"},
        BadName{"localhost", "localhost", "at least two labels"}, BadName{"mx1", "mx1", "at least two labels"},
        BadName{"192.0.2.1", "192.0.2.1", "looks like an IP address"}, BadName{"::1", "::1", "':' is not allowed"},
        // CLI11 strips the brackets of "[...]" (its list syntax) before we see it.
        BadName{"2001:db8::1", "2001:db8::1", "':' is not allowed"},
        BadName{"user@example.net", "user@example.net", "'@' is not allowed"},
        BadName{"mx1.ex%ample.net", "mx1.ex%ample.net", "has '%'"},
        BadName{"ab--cd.example.net", "ab--cd.example.net", "'--' in positions 3-4"},
        BadName{"xn--zz.example.net", "xn--zz.example.net", "is not a valid A-label"},
        BadName{"\xe2\x98\x83.example.net", "\xe2\x98\x83.example.net", "not a valid internationalized name"},
        BadName{"\xff\xfe.example.net", "\\xff\\xfe.example.net", "not a valid internationalized name"}));

// ---------------------------------------------------------------------------
// Bad option values: exit 64, one line, nothing written.

struct BadOption {
    std::vector<std::string> args; // before the host name
    std::string message;           // the whole error line, without "error: "
};

void PrintTo(const BadOption& b, std::ostream* os) {
    for (const auto& a : b.args) {
        *os << "'" << a << "' ";
    }
}

class KeygenBadOption : public ::testing::TestWithParam<BadOption> {};

TEST_P(KeygenBadOption, Exits64AndWritesNothing) {
    const TempDir dir;
    const auto before = snapshot_tree(dir.path());
    std::vector<std::string> args{"keygen"};
    args.insert(args.end(), GetParam().args.begin(), GetParam().args.end());
    args.emplace_back("mx1.example.net");
    const auto r = run_mxdane(args, in_dir(dir.path()));
    EXPECT_EQ(r.exit_code, 64);
    expect_error_line(r, GetParam().message);
    EXPECT_EQ(snapshot_tree(dir.path()), before);
}

const std::string days_range = "--days must be between 1 and 9999, not ";

INSTANTIATE_TEST_SUITE_P(
    Table, KeygenBadOption,
    ::testing::Values(
        BadOption{{"--out", "k", "--key", "rsa1024"},
                  "--key: unknown key type 'rsa1024' (choose rsa3072, rsa2048, rsa4096, p256 or p384)"},
        BadOption{{"--out", "k", "--key", "RSA3072"},
                  "--key: unknown key type 'RSA3072' (choose rsa3072, rsa2048, rsa4096, p256 or p384)"},
        BadOption{{"--out", "k", "--key", "ed25519"},
                  "--key: unknown key type 'ed25519' (choose rsa3072, rsa2048, rsa4096, p256 or p384)"},
        BadOption{{"--out", "k", "--days", "0"}, days_range + "0"},
        BadOption{{"--out", "k", "--days", "10000"}, days_range + "10000"},
        BadOption{{"--out", "k", "--days", "100000"}, days_range + "100000"},
        BadOption{{"--out", "k", "--days", "-1"}, "Could not convert: --days = -1 (see 'mxdane keygen --help')"},
        BadOption{{"--out", "k", "--days", "abc"}, "Could not convert: --days = abc (see 'mxdane keygen --help')"},
        BadOption{{"--out", "k", "--days", "99999999999999999999"},
                  "Could not convert: --days = 99999999999999999999 (see 'mxdane keygen --help')"},
        BadOption{{"--out", "k", "--port", "0"},
                  "--port: must be a port number from 1 to 65535, not '0' (see 'mxdane keygen --help')"},
        BadOption{{"--out", "k", "--port", "65536"},
                  "--port: must be a port number from 1 to 65535, not '65536' (see 'mxdane keygen --help')"},
        BadOption{{"--out", "k", "--port", "-1"},
                  "--port: must be a port number from 1 to 65535, not '-1' (see 'mxdane keygen --help')"},
        BadOption{{"--out", "k", "--port", "smtp"},
                  "--port: must be a port number from 1 to 65535, not 'smtp' (see 'mxdane keygen --help')"},
        BadOption{{"--out", "k", "--key-group", "no-such-group-mxdane"},
                  "--key-group: no group named 'no-such-group-mxdane'"},
        BadOption{{"--out", "k", "--key-group", ""}, "--key-group needs a group name"},
        BadOption{{"--out", ""}, "--out needs a directory"},
        BadOption{{"--key-dir", "", "--cert-dir", "c"}, "--key-dir needs a directory"},
        BadOption{{"--key-dir", "k", "--cert-dir", ""}, "--cert-dir needs a directory"},
        BadOption{{"--out", "k", "--key-dir", "k2"}, "--key-dir excludes --out (see 'mxdane keygen --help')"},
        BadOption{{"--out", "k", "--bogus"}, "'mxdane keygen' has no option --bogus (see 'mxdane keygen --help')"}));

TEST(KeygenRefusal, NoHostIsAUsageError) {
    const auto r = run_mxdane({"keygen", "--out", "k"});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.err.rfind("error: ", 0), 0U) << r.err;
    EXPECT_NE(r.err.find("HOST"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
}

// ---------------------------------------------------------------------------
// Existing files: exit 2 before generating anything; both untouched.

class KeygenExisting : public ::testing::Test {
  protected:
    /// A directory holding the key and/or certificate of an earlier run,
    /// with an old mtime so that any rewrite would show.
    void make(bool keep_key, bool keep_cert) {
        const auto r = run_mxdane({"keygen", "--key", "p256", "--out", m_dir.path().string(), "mx1.example.net"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        if (!keep_key) {
            fs::remove(m_dir.path() / key_name());
        }
        if (!keep_cert) {
            fs::remove(m_dir.path() / cert_name());
        }
        shell("touch -h -d '2001-02-03 04:05:06' " + m_dir.path().string() + "/*");
    }
    RunResult again() {
        return run_mxdane({"keygen", "--key", "p256", "--out", m_dir.path().string(), "mx1.example.net"});
    }
    [[nodiscard]] fs::path key() const { return m_dir.path() / key_name(); }
    [[nodiscard]] fs::path cert() const { return m_dir.path() / cert_name(); }
    TempDir m_dir;
};

TEST_F(KeygenExisting, KeyAndCertificate) {
    make(true, true);
    const auto before = snapshot_tree(m_dir.path());
    const auto r = again();
    EXPECT_EQ(r.exit_code, 2);
    expect_error_line(r, key().string() + " and " + cert().string() +
                             " already exist; not overwriting them (move them away first, or use another "
                             "--key-dir/--cert-dir/--out DIR)");
    EXPECT_EQ(snapshot_tree(m_dir.path()), before);
    EXPECT_EQ(mode_of(key()), 0400U);
}

TEST_F(KeygenExisting, KeyOnly) {
    make(true, false);
    const auto before = snapshot_tree(m_dir.path());
    const auto r = again();
    EXPECT_EQ(r.exit_code, 2);
    expect_error_line(r, key().string() + " already exists without its certificate " + cert().string() +
                             " (left by an interrupted run?); not overwriting it: move it away and run again");
    EXPECT_EQ(snapshot_tree(m_dir.path()), before);
}

TEST_F(KeygenExisting, CertificateOnly) {
    make(false, true);
    const auto before = snapshot_tree(m_dir.path());
    const auto r = again();
    EXPECT_EQ(r.exit_code, 2);
    expect_error_line(r, cert().string() + " already exists without its key " + key().string() +
                             " (left by an interrupted run?); not overwriting it: move it away and run again");
    EXPECT_EQ(snapshot_tree(m_dir.path()), before);
}

TEST_F(KeygenExisting, ExistingFilesWinOverDryRunNothing) {
    // A dry run writes nothing, so an existing pair does not stop it.
    make(true, true);
    const auto before = snapshot_tree(m_dir.path());
    const auto r =
        run_mxdane({"keygen", "--dry-run", "--key", "p256", "--out", m_dir.path().string(), "mx1.example.net"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(snapshot_tree(m_dir.path()), before);
}

TEST(KeygenRefusal, SymlinkUnderTheKeyNameIsNotFollowed) {
    const TempDir dir;
    for (const std::string& name : {key_name(), cert_name()}) {
        const TempDir target_dir;
        const TempDir out;
        fs::create_symlink(target_dir.path() / "stolen", out.path() / name);
        const auto before = snapshot_tree(out.path());
        const auto r = run_mxdane({"keygen", "--key", "p256", "--out", out.path().string(), "mx1.example.net"});
        EXPECT_EQ(r.exit_code, 2);
        expect_error_line(r, (out.path() / name).string() +
                                 " is a symbolic link; not writing through it (remove it first)");
        EXPECT_EQ(snapshot_tree(out.path()), before);
        EXPECT_TRUE(list_tree(target_dir.path()).empty());
    }
}

TEST(KeygenRefusal, OutIsAFile) {
    const TempDir dir;
    { std::ofstream(dir.path() / "file") << "x"; }
    const auto before = snapshot_tree(dir.path());
    const auto r = run_mxdane({"keygen", "--key", "p256", "--out", (dir.path() / "file").string(), "mx1.example.net"});
    EXPECT_EQ(r.exit_code, 2);
    expect_error_line(r, (dir.path() / "file").string() + " is not a directory");
    EXPECT_EQ(snapshot_tree(dir.path()), before);
}

TEST(KeygenRefusal, CertDirUnderAFileRemovesTheKeyDirItMade) {
    const TempDir dir;
    { std::ofstream(dir.path() / "file") << "x"; }
    const auto before = snapshot_tree(dir.path());
    const auto r = run_mxdane({"keygen", "--key", "p256", "--key-dir", (dir.path() / "keys").string(), "--cert-dir",
                               (dir.path() / "file" / "certs").string(), "mx1.example.net"});
    EXPECT_EQ(r.exit_code, 2);
    expect_error_line(r, (dir.path() / "file").string() + " is not a directory");
    EXPECT_EQ(snapshot_tree(dir.path()), before);
}

// ---------------------------------------------------------------------------
// Modes whatever the umask; --key-group.

class KeygenUmask : public ::testing::TestWithParam<mode_t> {};

TEST_P(KeygenUmask, KeyIs0400CertIs0644NewDirIs0700) {
    const TempDir dir;
    const fs::path out = dir.path() / "new" / "keys";
    const auto r =
        run_mxdane({"keygen", "--key", "p256", "--out", out.string(), "mx1.example.net"}, with_umask(GetParam()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(mode_of(out / key_name()), 0400U);
    EXPECT_EQ(mode_of(out / cert_name()), 0644U);
    // --out holds a key, so it is made as a private directory; its parent
    // is an ordinary 0755 one.
    EXPECT_EQ(mode_of(out), 0700U);
    EXPECT_EQ(mode_of(dir.path() / "new"), 0755U);
    EXPECT_NE(r.err.find("Created directory " + (dir.path() / "new").string() + "\n"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Created directory " + out.string() + "\n"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("warning:"), std::string::npos) << r.err;
    EXPECT_EQ(list_tree(out),
              (std::vector<std::string>{key_name(), cert_name(), "mx1.example.net-MX.crt", "mx1.example.net-MX.key"}));
}

INSTANTIATE_TEST_SUITE_P(Umasks, KeygenUmask,
                         ::testing::Values(mode_t{0000}, mode_t{0077}, mode_t{0022}, mode_t{0777}));

TEST(KeygenModes, SeparateDirectoriesArePrivateAndOpen) {
    const TempDir dir;
    const auto r = run_mxdane({"keygen", "--key", "p256", "--key-dir", (dir.path() / "pki/private").string(),
                               "--cert-dir", (dir.path() / "pki/certs").string(), "mx1.example.net"},
                              with_umask(0077));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(mode_of(dir.path() / "pki"), 0755U);
    EXPECT_EQ(mode_of(dir.path() / "pki/private"), 0700U);
    EXPECT_EQ(mode_of(dir.path() / "pki/certs"), 0755U);
    EXPECT_EQ(mode_of(dir.path() / "pki/private" / key_name()), 0400U);
    EXPECT_EQ(mode_of(dir.path() / "pki/certs" / cert_name()), 0644U);
}

TEST(KeygenModes, KeyGroupGives0440AndTheGroup) {
    const group* mail = ::getgrnam("mail");
    ASSERT_NE(mail, nullptr);
    const gid_t gid = mail->gr_gid;
    const TempDir dir;
    const fs::path out = dir.path() / "keys";
    const auto r = run_mxdane(
        {"keygen", "--key", "p256", "--key-group", "mail", "--out", out.string(), "mx1.example.net"}, with_umask(0077));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    struct stat st {};
    ASSERT_EQ(::stat((out / key_name()).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777U, 0440U);
    EXPECT_EQ(st.st_gid, gid);
    // The directory we made must let that group in, or the mode is moot.
    ASSERT_EQ(::stat(out.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777U, 0750U);
    EXPECT_EQ(st.st_gid, gid);
    EXPECT_NE(r.err.find("(mode 0440, group mail)"), std::string::npos) << r.err;
}

TEST(KeygenModes, WarnsWhenTheKeyDirectoryIsOpenToOthers) {
    const TempDir dir; // 0755
    const auto r = run_mxdane({"keygen", "--key", "p256", "--out", dir.path().string(), "mx1.example.net"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("warning: the key directory " + dir.path().string() +
                         " is readable or writable by others; consider chmod o-rwx " + dir.path().string() + "\n"),
              std::string::npos)
        << r.err;
}

// ---------------------------------------------------------------------------
// Root: a key directory another user could swap the key in is refused.

/// keygen as root into `out`: refused with exit 1 naming `why`, nothing
/// written anywhere under `root`.
void expect_replaceable(const fs::path& root, const fs::path& out, const std::string& why) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "the rule is root's";
    }
    const auto before = snapshot_tree(root);
    for (const bool dry_run : {true, false}) {
        std::vector<std::string> args{"keygen", "--key", "p256", "--out", out.string(), "mx1.example.net"};
        if (dry_run) {
            args.insert(args.begin() + 1, "--dry-run");
        }
        const auto r = run_mxdane(args);
        EXPECT_EQ(r.exit_code, 1) << r.err;
        expect_error_line(r, "refusing to write a private key into " + out.string() + ": " + why +
                                 ", so another user could replace the key; use a directory only root controls");
        EXPECT_EQ(snapshot_tree(root), before);
    }
}

TEST(KeygenDirectoryOwner, ADirectoryOwnedByAnotherUserIsRefused) {
    const TempDir dir;
    const fs::path theirs = dir.path() / "theirs";
    fs::create_directory(theirs);
    ASSERT_EQ(::chown(theirs.c_str(), nobody_uid(), nogroup_gid()), 0);
    // The key directory itself, and a parent of a directory this run makes.
    expect_replaceable(dir.path(), theirs, theirs.string() + " is owned by uid " + std::to_string(nobody_uid()));
    expect_replaceable(dir.path(), theirs / "keys",
                       theirs.string() + " is owned by uid " + std::to_string(nobody_uid()));
}

TEST(KeygenDirectoryOwner, AWritableDirectoryWithoutTheStickyBitIsRefused) {
    const TempDir dir;
    const fs::path open = dir.path() / "open";
    fs::create_directory(open);
    fs::permissions(open, fs::perms(0777));
    expect_replaceable(dir.path(), open / "keys", open.string() + " is world-writable without the sticky bit");
    fs::permissions(open, fs::perms(0775));
    expect_replaceable(dir.path(), open / "keys", open.string() + " is group-writable without the sticky bit");
}

TEST(KeygenDirectoryOwner, ASymlinkOwnedByAnotherUserIsRefused) {
    const TempDir dir;
    const fs::path real = dir.path() / "real";
    fs::create_directory(real);
    const fs::path link = dir.path() / "link";
    fs::create_directory_symlink(real, link);
    ASSERT_EQ(::lchown(link.c_str(), nobody_uid(), nogroup_gid()), 0);
    expect_replaceable(dir.path(), link, link.string() + " is a symlink owned by uid " + std::to_string(nobody_uid()));
}

TEST(KeygenDirectoryOwner, ASymlinkToADirectoryAnotherUserOwnsIsRefused) {
    const TempDir dir;
    const fs::path theirs = dir.path() / "theirs";
    fs::create_directory(theirs);
    ASSERT_EQ(::chown(theirs.c_str(), nobody_uid(), nogroup_gid()), 0);
    const fs::path link = dir.path() / "link";
    fs::create_directory_symlink(theirs, link); // root's link, their directory
    expect_replaceable(dir.path(), link, theirs.string() + " is owned by uid " + std::to_string(nobody_uid()));
}

TEST(KeygenDirectoryOwner, StickyTmpAndRootsOwnDirectoriesAreFine) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "the rule is root's";
    }
    const TempDir dir; // under /tmp: 1777, root's
    const fs::path sticky = dir.path() / "sticky";
    fs::create_directory(sticky);
    fs::permissions(sticky, fs::perms(01777));
    const auto r =
        run_mxdane({"keygen", "--key", "p256", "--out", (sticky / "keys").string(), "--dry-run", "mx1.example.net"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

// ---------------------------------------------------------------------------
// Not root: unwritable directories and the default directories.

TEST(KeygenNonRoot, UnwritableDirectoryExits2) {
    const TempDir dir;
    const fs::path out = dir.path() / "ro";
    fs::create_directory(out);
    ASSERT_EQ(::chown(out.c_str(), nobody_uid(), nogroup_gid()), 0);
    fs::permissions(out, fs::perms(0555)); // its owner, not root, is refused
    const auto before = snapshot_tree(dir.path());
    const auto r = run_process(
        {mxdane_binary_for_all().string(), "keygen", "--key", "p256", "--out", out.string(), "mx1.example.net"},
        as_nobody_in(dir.path()));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    expect_error_line(r, "cannot write to " + out.string() + ": Permission denied");
    EXPECT_EQ(snapshot_tree(dir.path()), before);
}

TEST(KeygenNonRoot, UnwritableParentForANewDirectoryExits2) {
    const TempDir dir;
    fs::permissions(dir.path(), fs::perms(0755)); // root's: nobody cannot create in it
    const auto before = snapshot_tree(dir.path());
    const auto r = run_process({mxdane_binary_for_all().string(), "keygen", "--key", "p256", "--out",
                                (dir.path() / "keys").string(), "mx1.example.net"},
                               as_nobody_in(dir.path()));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    expect_error_line(r, "cannot create directory " + (dir.path() / "keys").string() + ": Permission denied");
    EXPECT_EQ(snapshot_tree(dir.path()), before);
}

// The default directories are the machine's: these tests run mxdane in a
// private mount namespace where /etc and /var/lib are overlays that start
// without /etc/pki, /etc/mxdane and /var/lib/mxdane (tests/sandbox/private-root),
// so they neither read nor change the real ones.
RunResult in_private_defaults(const std::vector<std::string>& argv, const fs::path& cwd) {
    std::vector<std::string> all{std::string(MXDANE_SOURCE_DIR) + "/tests/sandbox/private-root"};
    all.insert(all.end(), argv.begin(), argv.end());
    return run_process(all, in_dir(cwd));
}

std::vector<std::string> as_nobody_argv() {
    return {"setpriv", "--reuid=" + std::to_string(nobody_uid()), "--regid=" + std::to_string(nogroup_gid()),
            "--clear-groups"};
}

const std::string out_hint = " (run as root, or choose a directory you can write with --out DIR)";

TEST(KeygenNonRoot, DefaultDirectoriesSuggestOut) {
    const TempDir dir;
    auto argv = as_nobody_argv();
    for (const auto& a : {mxdane_binary_for_all().string(), std::string("keygen"), std::string("--key"),
                          std::string("p256"), std::string("mx1.example.net")}) {
        argv.push_back(a);
    }
    const auto r = in_private_defaults(argv, dir.path());
    if (r.exit_code == 77) {
        GTEST_SKIP() << r.err;
    }
    EXPECT_EQ(r.exit_code, 2) << r.err;
    expect_error_line(r, "cannot create directory /etc/pki: Permission denied" + out_hint);
    EXPECT_TRUE(list_tree(dir.path()).empty());
}

// The README's first command ran as root (here: in the private namespace);
// a user who may not search the 0700 key directory is told that, not that
// the certificate was "left without its key".
TEST(KeygenNonRoot, AfterTheReadmeKeygenSaysWhatItCannotSee) {
    const TempDir dir;
    std::string nobody;
    for (const auto& a : as_nobody_argv()) {
        nobody += a + " ";
    }
    const auto r = in_private_defaults({"sh", "-c",
                                        "\"$0\" keygen mx1.example.net example.net >/dev/null 2>&1 || exit 99; exec " +
                                            nobody + "\"$0\" keygen --key p256 mx1.example.net",
                                        mxdane_binary_for_all().string()},
                                       dir.path());
    if (r.exit_code == 77) {
        GTEST_SKIP() << r.err;
    }
    EXPECT_EQ(r.exit_code, 2) << r.err;
    expect_error_line(r, "cannot tell whether /etc/pki/tls/private/" + key_name() + " exists: Permission denied" +
                             out_hint);
}

TEST(KeygenNonRoot, AKeyHiddenByItsDirectoryIsNotAbsent) {
    const TempDir dir;
    const fs::path keys = dir.path() / "keys";
    const fs::path certs = dir.path() / "certs";
    fs::create_directory(keys);
    fs::permissions(keys, fs::perms(0700)); // root's: nobody cannot look inside
    fs::create_directory(certs);
    std::ofstream(certs / cert_name()) << "a certificate\n";
    const auto before = snapshot_tree(dir.path());
    const auto r = run_process({mxdane_binary_for_all().string(), "keygen", "--key", "p256", "--key-dir", keys.string(),
                                "--cert-dir", certs.string(), "mx1.example.net"},
                               as_nobody_in(dir.path()));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    expect_error_line(r, "cannot tell whether " + (keys / key_name()).string() + " exists: Permission denied");
    EXPECT_EQ(snapshot_tree(dir.path()), before);
}

} // namespace
