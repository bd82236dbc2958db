// The rollover's clock and settings through the real binary: rehearsals
// (--now, the labs' --test-clock, rewind), settings that contradict each
// other, a resolver that never answers, and small things a careful admin
// notices (issue #23).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <array>
#include <chrono>
#include <ctime>
#include <fstream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli_harness.h"
#include "rollover_cli_host.h"

namespace {
using namespace mxdane::test;
using namespace mxdane::test::rollover_cli;

// Issue #23 point 4: a rehearsal never writes. --now is refused by every
// step that changes files unless --dry-run is given; status and dry runs
// take it; the labs' clock never reaches the machine's own state
// directory; and a state that holds a future time has a way back.
TEST(RolloverRehearsal, NowWithoutDryRunIsRefusedByEveryStepThatWrites) {
    Host h;
    h.init();
    const auto before = snapshot_tree(h.tmp.path());
    for (const std::string step : {"stage", "activate", "retire", "emergency", "auto", "disable", "enable", "rewind"}) {
        const auto r = h.rollover(step, {"--now", "2027-12-08T00:00:00Z"});
        EXPECT_EQ(r.exit_code, 64) << step << ": " << r.err;
        EXPECT_EQ(r.err, "error: --now plans as of another time and changes nothing: give it with --dry-run, or to "
                         "'rollover status'; the clock decides every step that changes files\n")
            << step;
    }
    EXPECT_EQ(snapshot_tree(h.tmp.path()), before);
    // A dry run takes it, and writes nothing (status, which looks at DNS,
    // takes it in the ACME lab).
    const auto r = h.rollover("stage", {"--dry-run", "--now", "2027-12-08T00:00:00Z"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(snapshot_tree(h.tmp.path()), before);
    // reissue has no dry run: --now is refused there too.
    const auto re = run_mxdane({"reissue", "--out", h.keys.string(), "--state-dir", h.state_dir.string(), "--now",
                                "2027-12-08T00:00:00Z", host});
    EXPECT_EQ(re.exit_code, 64) << re.err;
    EXPECT_EQ(snapshot_tree(h.tmp.path()), before);
}

TEST(RolloverRehearsal, TheLabsClockNeverTouchesTheMachinesStateDirectory) {
    const auto r = run_mxdane({"rollover", "stage", "--test-clock", "2027-12-08T00:00:00Z", host});
    EXPECT_EQ(r.exit_code, 64) << r.err;
    EXPECT_EQ(r.err, "error: --test-clock is for test labs: it needs --state-dir other than /var/lib/mxdane\n");
}

// Every clock given on the command line is read strictly: a malformed
// time and one outside the state's range are refused (exit 64) with the
// option named, by the steps that write (rewind) and those that look.
TEST(RolloverRehearsal, AMalformedOrOutOfRangeClockIsRefusedNamingTheOption) {
    Host h;
    h.init();
    const auto before = snapshot_tree(h.tmp.path());
    for (const std::string step : {"rewind", "stage", "auto"}) {
        for (const std::string bad : {"tomorrow", "2027-12-08 00:00:00", "2027-02-30T00:00:00Z", "1969-12-31T23:59:59Z",
                                      "2262-01-01T00:00:00Z"}) {
            const auto r = h.rollover(step, {"--test-clock", bad});
            EXPECT_EQ(r.exit_code, 64) << step << " " << bad << ": " << r.err;
            EXPECT_EQ(r.err, "error: --test-clock: expected a time like 2026-11-28T12:00:00Z, not '" + bad + "'\n")
                << step;
        }
    }
    const auto r = h.rollover("status", {"--now", "soon"});
    EXPECT_EQ(r.exit_code, 64) << r.err;
    EXPECT_EQ(r.err, "error: --now: expected a time like 2026-11-28T12:00:00Z, not 'soon'\n");
    EXPECT_EQ(snapshot_tree(h.tmp.path()), before);
}

// Issue #25: the daily pass acts on no clock the certificate in service
// rules out (keygen's certificate: valid from about now for 1096 days) and
// records nothing under it: 4.5 years ahead, and a week behind.
TEST(RolloverRehearsal, TheDailyPassActsOnNoImplausibleClock) {
    const auto iso = [](std::time_t t) {
        std::tm tm{};
        gmtime_r(&t, &tm);
        std::array<char, 32> buf{};
        std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
        return std::string(buf.data());
    };
    Host h;
    h.init();
    const auto before = snapshot_tree(h.tmp.path());
    const std::string ahead = iso(std::time(nullptr) + 1640L * 86400); // 4.5 years
    auto r = h.rollover("auto", {"--test-clock", ahead, "--publish-hook", "true"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "FAILED: the clock says " + ahead + ", ")) << r.out;
    EXPECT_TRUE(contains(r.out, "days after the certificate in service expired (")) << r.out;
    EXPECT_TRUE(contains(r.out, "check the clock, and when it is right renew the certificate by hand")) << r.out;
    const std::string behind = iso(std::time(nullptr) - 7L * 86400);
    r = h.rollover("auto", {"--test-clock", behind, "--publish-hook", "true"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(
        contains(r.out, "FAILED: the clock says " + behind + ", before the certificate in service became valid ("))
        << r.out;
    EXPECT_EQ(snapshot_tree(h.tmp.path()), before);
}

// Two ways to publish named in the settings file alone are refused as on
// the command line, before anything is read or run.
TEST(RolloverSettings, APublishHookAndNsupdateBothFromTheSettingsFileAreRefused) {
    Host h;
    h.init();
    const fs::path conf = h.tmp.path() / "both.conf";
    const fs::path ran = h.tmp.path() / "hook-ran";
    std::ofstream(conf) << "nsupdate = 127.0.0.1@53\ntsig-key = " << (h.tmp.path() / "tsig.key").string()
                        << "\npublish-hook = \"touch " << ran.string() << "\"\n";
    const auto before = snapshot_tree(h.tmp.path());
    for (const std::string step : {"stage", "auto"}) {
        const auto r = h.rollover(step, {"--config", conf.string()});
        EXPECT_EQ(r.exit_code, 64) << step << ": " << r.err;
        EXPECT_EQ(r.err, "error: --publish-hook excludes --nsupdate: choose one way to publish\n") << step;
    }
    EXPECT_FALSE(fs::exists(ran));
    EXPECT_EQ(snapshot_tree(h.tmp.path()), before);
}

TEST(RolloverRehearsal, AStateAheadOfTheClockIsRewoundKeepingEveryKeyAndRecord) {
    Host h;
    h.init();
    // What an older mxdane's `stage --now 2027-12-08T00:00:00Z` left.
    auto r = h.rollover("stage", {"--test-clock", "2036-12-08T00:00:00Z"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json before = h.state();
    r = h.rollover("retire");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(contains(r.err, "rewind the state's future times to now")) << r.err;
    // A dry run says what would move and changes nothing.
    r = h.rollover("rewind", {"--dry-run"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "dry run: would move key 2 created 2036-12-08T00:00:00Z back to ")) << r.err;
    EXPECT_EQ(h.state(), before);
    r = h.rollover("rewind");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "moved 1 time of the rollover state of mx1.example.net back to ")) << r.out;
    const json after = h.state();
    ASSERT_EQ(after["keys"].size(), before["keys"].size());
    for (std::size_t i = 0; i < after["keys"].size(); ++i) {
        EXPECT_EQ(after["keys"][i]["tlsa"], before["keys"][i]["tlsa"]);
        EXPECT_EQ(after["keys"][i]["key_file"], before["keys"][i]["key_file"]);
        EXPECT_TRUE(fs::exists(after["keys"][i]["key_file"].get<std::string>()));
    }
    EXPECT_NE(after["keys"][1]["created"], before["keys"][1]["created"]);
    // The steps work again, and a second rewind has nothing to do.
    r = h.rollover("rewind");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "no time in the rollover state of mx1.example.net is ahead of")) << r.out;
    r = h.rollover("disable");
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

} // namespace

namespace {

/// A UDP socket on loopback that receives and never answers: a resolver
/// that never answers. Closed with the object.
struct SilentResolver {
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    std::uint16_t port = 0;
    SilentResolver() {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): sockaddr API
        EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        socklen_t len = sizeof a;
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): sockaddr API
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
    }
    SilentResolver(const SilentResolver&) = delete;
    SilentResolver& operator=(const SilentResolver&) = delete;
    ~SilentResolver() { ::close(fd); }
};

// Issue #23 point 5: no DNS server answering is this machine's failure:
// auto and status exit 2, --nagios says UNKNOWN, never "senders defer",
// and the pass ends within the resolver's deadline with nothing changed.
TEST(RolloverLocalFailure, AResolverThatNeverAnswersIsExitTwoNotSendersDefer) {
    Host h;
    h.init();
    const SilentResolver silent;
    const std::string at = "127.0.0.1@" + std::to_string(silent.port);
    const auto before = snapshot_tree(h.tmp.path());
    const auto started = std::chrono::steady_clock::now();
    auto r = h.rollover("auto", {"--forward", at, "--publish-hook", "true"});
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "cannot reach DNS (no answer from " + at + ")")) << r.err;
    EXPECT_FALSE(contains(r.out + r.err, "defer")) << r.out << r.err;
    EXPECT_LT(took, std::chrono::seconds(60)) << "within the resolver's deadline";
    r = h.rollover("status", {"--forward", at});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "cannot reach DNS")) << r.err;
    r = h.rollover("status", {"--nagios", "--forward", at});
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("DANE UNKNOWN - cannot reach DNS", 0), 0U) << r.out;
    EXPECT_EQ(snapshot_tree(h.tmp.path()), before);
}

} // namespace

namespace {

// Issue #23 point 10: a step for a host without a state leaves no lock
// file; init's "created" is when the key was written, not the
// certificate's back-dated notBefore.
TEST(RolloverSmallThings, AStepForAnUnknownHostLeavesNoLockFile) {
    Host h;
    h.init();
    const auto before = snapshot_tree(h.tmp.path());
    for (const std::string step : {"stage", "activate", "retire", "disable", "rewind"}) {
        const auto r = run_mxdane(
            {"rollover", step, "--out", h.keys.string(), "--state-dir", h.state_dir.string(), "mx9.example.net"});
        EXPECT_EQ(r.exit_code, 2) << step << ": " << r.err;
        EXPECT_TRUE(contains(r.err, "no rollover state for mx9.example.net")) << step << ": " << r.err;
    }
    EXPECT_FALSE(fs::exists(h.state_dir / "mx9.example.net.lock"));
    EXPECT_EQ(snapshot_tree(h.tmp.path()), before);
}

TEST(RolloverSmallThings, InitRecordsWhenTheKeyWasWrittenNotTheBackDatedNotBefore) {
    Host h;
    h.init();
    const std::string created = h.state()["keys"][0]["created"].get<std::string>();
    // notBefore as openssl reads it: "notBefore=2026-12-07 19:14:34Z".
    const auto crt = run_process({"openssl", "x509", "-noout", "-startdate", "-dateopt", "iso_8601", "-in",
                                  (h.keys / (host + "-MX.crt")).string()});
    ASSERT_EQ(crt.exit_code, 0) << crt.err;
    std::string not_before = crt.out.substr(crt.out.find('=') + 1, 20);
    not_before[10] = 'T';
    EXPECT_GT(created, not_before) << "keygen back-dates notBefore by 5 minutes; the key is younger";
}

} // namespace
