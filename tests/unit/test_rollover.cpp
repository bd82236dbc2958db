// File operations of a rollover: adoption, staging (and resuming an
// interrupted stage), switching the stable names, retiring.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <sys/stat.h>

#include "../cli/cli_harness.h"
#include "mxdane/error.h"
#include "mxdane/keygen.h"
#include "mxdane/rollover.h"
#include "mxdane/store.h"

namespace {
using namespace mxdane;
namespace fs = std::filesystem;

const rotation::TimePoint t0 = rotation::Clock::from_time_t(1795867200); // 2026-11-28T12:00:00Z

struct Host {
    test::TempDir dir;
    rollover::Layout layout;
    Host() {
        layout.host = "mx1.example.net";
        layout.key_dir = dir.path() / "private";
        layout.cert_dir = dir.path() / "certs";
        layout.state_dir = dir.path() / "state";
    }
    keygen::Result keygen(rotation::TimePoint when, x509::KeyType type = x509::KeyType::p256) const {
        keygen::Request r;
        r.names = {"mx1.example.net", "example.net"};
        r.key_type = type;
        r.key_dir = layout.key_dir;
        r.cert_dir = layout.cert_dir;
        r.now = when;
        return keygen::run(r);
    }
    rollover::InitResult init() const {
        rollover::InitRequest req;
        req.layout = layout;
        req.now = t0;
        return rollover::init(req);
    }
};

fs::path target_of(const fs::path& link) {
    return fs::read_symlink(link);
}

TEST(Rollover, InitAdoptsTheNewestDatedPairAndLinksIt) {
    const Host h;
    (void)h.keygen(t0 - std::chrono::hours(24 * 400));
    const auto newer = h.keygen(t0 - std::chrono::hours(24 * 30));
    const auto r = h.init();
    EXPECT_EQ(r.key, newer.key_path);
    EXPECT_EQ(r.how_found, "the newest dated pair");
    EXPECT_EQ(target_of(h.layout.stable_key()), newer.key_path);
    EXPECT_EQ(target_of(h.layout.stable_cert()), newer.cert_path);
    ASSERT_EQ(r.state.keys.size(), 1U);
    EXPECT_EQ(r.state.keys[0].record, newer.records[0]);
    EXPECT_EQ(rotation::current_key(r.state)->id, 1U);
    EXPECT_TRUE(fs::exists(h.layout.state_file()));
}

TEST(Rollover, InitRefusesASecondTimeAndMismatchedFiles) {
    const Host h;
    const auto a = h.keygen(t0 - std::chrono::hours(24 * 30));
    (void)h.init();
    EXPECT_THROW((void)h.init(), Error);

    const Host h2;
    const auto k1 = h2.keygen(t0 - std::chrono::hours(24 * 30));
    const auto k2 = h2.keygen(t0 - std::chrono::hours(24 * 60));
    rollover::InitRequest req;
    req.layout = h2.layout;
    req.key = k1.key_path;
    req.cert = k2.cert_path;
    req.now = t0;
    try {
        (void)rollover::init(req);
        FAIL() << "no exception";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("does not belong"), std::string::npos);
    }
    EXPECT_FALSE(fs::exists(h2.layout.state_file()));
    EXPECT_FALSE(fs::exists(fs::symlink_status(h2.layout.stable_key())));
}

TEST(Rollover, InitWithNothingToAdoptSaysWhatItLookedFor) {
    const Host h;
    fs::create_directories(h.layout.key_dir);
    try {
        (void)h.init();
        FAIL() << "no exception";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("the key file setting and the certificate file setting"),
                  std::string::npos)
            << e.what();
    }
}

TEST(Rollover, StageMakesASameDayKeyUnderAFreeNameAndRefusesASecond) {
    const Host h;
    (void)h.keygen(t0);
    auto s = h.init().state;
    rollover::StageRequest req;
    req.layout = h.layout;
    req.now = t0;
    const auto next = rollover::stage(req, s);
    EXPECT_EQ(next.id, 2U);
    EXPECT_NE(next.key_file.filename().string().find("-2.key"), std::string::npos) << next.key_file;
    EXPECT_TRUE(fs::exists(next.key_file));
    EXPECT_NE(next.record, rotation::current_key(s)->record);
    EXPECT_EQ(rotation::to_json(*rotation::load(h.layout.state_file())), rotation::to_json(s));
    // The MTA still reads key 1.
    EXPECT_EQ(target_of(h.layout.stable_key()), rotation::current_key(s)->key_file);
    EXPECT_THROW((void)rollover::stage(req, s), Error);
}

TEST(Rollover, AnInterruptedStageIsResumedNotRepeated) {
    const Host h;
    (void)h.keygen(t0);
    auto s = h.init().state;
    // What a stage killed after writing the state and one file leaves.
    rotation::KeyTimeline pending;
    pending.id = 2;
    pending.key_file = h.layout.key_dir / "mx1.example.net-MX-20261128-2.key";
    pending.cert_file = h.layout.cert_dir / "mx1.example.net-MX-SS-20261128-2.crt";
    pending.record = tlsa::Record{3, 1, 1, tlsa::Bytes(32, 0)};
    s.keys.push_back(pending);
    { std::ofstream(pending.cert_file) << "partial"; }
    rollover::StageRequest req;
    req.layout = h.layout;
    req.now = t0;
    const auto next = rollover::stage(req, s);
    EXPECT_EQ(next.id, 2U);
    EXPECT_EQ(s.keys.size(), 2U);
    EXPECT_TRUE(next.created.has_value());
    EXPECT_NE(next.record.data, tlsa::Bytes(32, 0));
}

TEST(Rollover, SwitchAndRetire) {
    const Host h;
    (void)h.keygen(t0);
    auto s = h.init().state;
    rollover::StageRequest req;
    req.layout = h.layout;
    req.now = t0;
    const auto next = rollover::stage(req, s);
    rotation::mark_activated(s, t0);
    auto* old = rotation::old_key(s);
    // Retiring the key the stable names point at is refused.
    EXPECT_THROW((void)rollover::retire(h.layout, *old, false, t0), Error);
    rollover::switch_to(h.layout, next);
    EXPECT_EQ(target_of(h.layout.stable_key()), next.key_file);
    EXPECT_EQ(target_of(h.layout.stable_cert()), next.cert_file);
    const auto r = rollover::retire(h.layout, *old, false, t0);
    ASSERT_TRUE(r.key.has_value());
    EXPECT_EQ(r.key->parent_path().filename(), "retired");
    struct stat st {};
    ASSERT_EQ(::stat(r.key->c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777U, 0400U);
    EXPECT_FALSE(fs::exists(old->key_file));
    EXPECT_TRUE(old->removed.has_value());
}

TEST(Rollover, SwitchRefusesToReplaceARealFile) {
    const Host h;
    (void)h.keygen(t0);
    auto s = h.init().state;
    fs::remove(h.layout.stable_key());
    { std::ofstream(h.layout.stable_key()) << "an admin's own file"; }
    EXPECT_THROW(rollover::switch_to(h.layout, s.keys[0]), Error);
    EXPECT_EQ(test::read_file(h.layout.stable_key()), "an admin's own file");
}

/// A host with key 1 in service and key 2 staged, as the state file says.
struct Staged : Host {
    rotation::State state;
    Staged() {
        (void)keygen(t0);
        state = init().state;
        rollover::StageRequest req;
        req.layout = layout;
        req.now = t0;
        (void)rollover::stage(req, state);
        rotation::save(layout.state_file(), state);
    }
};

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

TEST(Rollover, HostileStatePathsAreRefusedNamingThePath) {
    const fs::path outside = fs::temp_directory_path() / "mxdane-test-not-a-key";
    struct Case {
        std::string name;
        std::function<void(Staged&)> edit;
        std::string says;
    };
    const std::vector<Case> cases{
        {"key outside", [&](Staged& h) { h.state.keys[1].key_file = outside; }, "which is not a file directly in"},
        {"dotdot", [&](Staged& h) { h.state.keys[1].key_file = h.layout.key_dir / ".." / "x.key"; },
         "which is not a file directly in"},
        {"symlink",
         [&](Staged& h) {
             const fs::path link = h.layout.key_dir / "mx1.example.net-MX-20200101.key";
             fs::create_symlink(h.state.keys[1].key_file, link);
             h.state.keys[1].key_file = link;
         },
         "which is a symlink"},
        {"mismatched key", [&](Staged& h) { h.state.keys[1].record = h.state.keys[0].record; },
         "as the rollover state says; refusing to use it"},
        {"another key's file", [&](Staged& h) { h.state.keys[1].key_file = h.state.keys[0].key_file; },
         "names the same files for key 1 and key 2"},
    };
    for (const auto& c : cases) {
        Staged h;
        c.edit(h);
        rotation::save(h.layout.state_file(), h.state);
        const auto before = test::snapshot_tree(h.dir.path());
        const std::string err = error_of([&] { (void)rollover::load_checked(h.layout); });
        EXPECT_NE(err.find(c.says), std::string::npos) << c.name << ": " << err;
        const std::string locked = error_of([&] { (void)rollover::lock_host(h.layout); });
        EXPECT_NE(locked.find(c.says), std::string::npos) << c.name << ": " << locked;
        EXPECT_EQ(test::snapshot_tree(h.dir.path()), before) << c.name;
    }
}

TEST(Rollover, RetireChecksTheOldKeyBeforeTouchingIt) {
    Staged h;
    rollover::switch_to(h.layout, h.state.keys[1]);
    rotation::mark_activated(h.state, t0);
    // The old key's record edited to another key's: nothing is moved.
    auto old = *rotation::old_key(h.state);
    old.record = h.state.keys[1].record;
    const auto before = test::snapshot_tree(h.dir.path());
    EXPECT_NE(error_of([&] { (void)rollover::retire(h.layout, old, true, t0); }).find("refusing"), std::string::npos);
    EXPECT_EQ(test::snapshot_tree(h.dir.path()), before);
    // An old key that is a symlink: its target is never chmod-ed.
    old = *rotation::old_key(h.state);
    const fs::path real = old.key_file;
    const fs::path link = h.layout.key_dir / "mx1.example.net-MX-20200101.key";
    fs::create_symlink(real, link);
    old.key_file = link;
    const auto before2 = test::snapshot_tree(h.dir.path());
    EXPECT_NE(error_of([&] { (void)rollover::retire(h.layout, old, false, t0); }).find("is a symlink"),
              std::string::npos);
    EXPECT_EQ(test::snapshot_tree(h.dir.path()), before2);
}

TEST(Rollover, RetireFinishesItsOwnHalfDoneMove) {
    Staged h;
    rollover::switch_to(h.layout, h.state.keys[1]);
    rotation::mark_activated(h.state, t0);
    auto* old = rotation::old_key(h.state);
    // What a retire killed between link() and unlink() leaves: both names
    // on one inode.
    fs::create_directories(h.layout.key_dir / "retired");
    const fs::path dest = h.layout.key_dir / "retired" / old->key_file.filename();
    ASSERT_EQ(::link(old->key_file.c_str(), dest.c_str()), 0);
    const auto r = rollover::retire(h.layout, *old, false, t0);
    EXPECT_EQ(r.key, dest);
    EXPECT_FALSE(fs::exists(old->key_file));
    struct stat st {};
    ASSERT_EQ(::stat(dest.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777U, 0400U);
    EXPECT_EQ(st.st_nlink, 1U);
    // A different file under the destination name (a key of the same day,
    // retired earlier) is kept, and the move takes the next free name: the
    // clean-up never fails on a clash (issue #23).
    Staged h2;
    rollover::switch_to(h2.layout, h2.state.keys[1]);
    rotation::mark_activated(h2.state, t0);
    auto* old2 = rotation::old_key(h2.state);
    fs::create_directories(h2.layout.key_dir / "retired");
    const fs::path taken = h2.layout.key_dir / "retired" / old2->key_file.filename();
    { std::ofstream(taken) << "someone else's"; }
    const std::string name = old2->key_file.stem().string() + ".2" + old2->key_file.extension().string();
    const auto r2 = rollover::retire(h2.layout, *old2, false, t0);
    EXPECT_EQ(r2.key, h2.layout.key_dir / "retired" / name);
    EXPECT_TRUE(fs::exists(h2.layout.key_dir / "retired" / name));
    EXPECT_EQ(test::read_file(taken), "someone else's");
}

/// Every state a retire killed between two of its file operations can
/// leave (moving: link and unlink of the key, then of the certificate;
/// deleting: unlink of each), made by hand: the state still loads (the
/// next pass must not stop at "cannot read the private key"), a file left
/// must still carry the recorded key, and retire finishes the job.
TEST(Rollover, EveryHalfDoneRetireLoadsAndIsFinished) {
    for (const bool deleting : {false, true}) {
        const int steps = deleting ? 2 : 4;
        for (int done = 0; done <= steps; ++done) {
            SCOPED_TRACE((deleting ? "deleting, " : "moving, ") + std::to_string(done) + " operations done");
            Staged h;
            rollover::switch_to(h.layout, h.state.keys[1]);
            rotation::mark_activated(h.state, t0);
            rotation::save(h.layout.state_file(), h.state);
            const auto* old = rotation::old_key(h.state);
            const fs::path key_dest = h.layout.key_dir / "retired" / old->key_file.filename();
            const fs::path cert_dest = h.layout.cert_dir / "retired" / old->cert_file.filename();
            fs::create_directories(key_dest.parent_path());
            fs::create_directories(cert_dest.parent_path());
            const std::vector<std::function<void()>> ops =
                deleting ? std::vector<std::function<void()>>{[&] { fs::remove(old->key_file); },
                                                              [&] { fs::remove(old->cert_file); }}
                         : std::vector<std::function<void()>>{[&] { fs::create_hard_link(old->key_file, key_dest); },
                                                              [&] { fs::remove(old->key_file); },
                                                              [&] { fs::create_hard_link(old->cert_file, cert_dest); },
                                                              [&] { fs::remove(old->cert_file); }};
            for (int i = 0; i < done; ++i) {
                ops[static_cast<std::size_t>(i)]();
            }
            auto loaded = rollover::load_checked(h.layout);
            ASSERT_TRUE(loaded.has_value());
            auto* again = rotation::old_key(*loaded);
            ASSERT_NE(again, nullptr);
            (void)rollover::retire(h.layout, *again, deleting, t0);
            EXPECT_FALSE(fs::exists(old->key_file));
            EXPECT_FALSE(fs::exists(old->cert_file));
            EXPECT_EQ(fs::exists(key_dest), !deleting);
            EXPECT_EQ(fs::exists(cert_dest), !deleting);
        }
    }
    // The file a half-done retire left is another key's: loading refuses.
    Staged h;
    rollover::switch_to(h.layout, h.state.keys[1]);
    rotation::mark_activated(h.state, t0);
    rotation::save(h.layout.state_file(), h.state);
    const auto* old = rotation::old_key(h.state);
    fs::remove(old->key_file);
    fs::remove(old->cert_file);
    fs::copy_file(h.state.keys[1].cert_file, old->cert_file);
    EXPECT_NE(error_of([&] { (void)rollover::load_checked(h.layout); }).find("does not carry the recorded key"),
              std::string::npos);
}

TEST(Rollover, ASplitStablePairIsReportedAndRepairedToTheKeyInService) {
    Staged h;
    EXPECT_FALSE(rollover::stable_pair_problem(h.layout, h.state).has_value());
    // A switch killed between its two renames: certificate of key 2, key 1.
    store::replace_symlink(h.layout.stable_cert(), h.state.keys[1].cert_file);
    const auto problem = rollover::stable_pair_problem(h.layout, h.state);
    ASSERT_TRUE(problem.has_value());
    EXPECT_NE(problem->find("is key 1's"), std::string::npos) << *problem;
    EXPECT_NE(problem->find("is key 2's"), std::string::npos) << *problem;
    EXPECT_NE(problem->find("fails its TLS setup"), std::string::npos) << *problem;
    // The next locked run puts both back on the key in service first.
    { const auto lock = rollover::lock_host(h.layout); }
    EXPECT_EQ(target_of(h.layout.stable_cert()), h.state.keys[0].cert_file);
    EXPECT_EQ(target_of(h.layout.stable_key()), h.state.keys[0].key_file);
    EXPECT_FALSE(rollover::stable_pair_problem(h.layout, h.state).has_value());
}

TEST(Rollover, TheHostLockRefusesASecondHolderNamingTheHost) {
    Staged h;
    const auto first = rollover::lock_host(h.layout);
    EXPECT_FALSE(rollover::try_lock_host(h.layout, std::chrono::milliseconds(100)).has_value());
    const std::string err = error_of([&] { (void)rollover::lock_host(h.layout, std::chrono::milliseconds(100)); });
    EXPECT_NE(err.find("another mxdane is working on mx1.example.net"), std::string::npos) << err;
}

TEST(Rollover, AnIncompleteStageIsNeverSwitchedTo) {
    Staged h;
    auto k = h.state.keys[1];
    k.created.reset();
    EXPECT_NE(error_of([&] { rollover::switch_to(h.layout, k); }).find("incomplete"), std::string::npos);
}

} // namespace
