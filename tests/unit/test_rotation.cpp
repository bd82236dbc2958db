// The rollover planner with an injected clock: every transition and every
// reason to wait (issue #5).
#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <random>

#include "../cli/cli_harness.h"
#include "mxdane/error.h"
#include "mxdane/rotation.h"
#include "mxdane/store.h"

namespace {
using namespace mxdane;
using namespace mxdane::rotation;
using std::chrono::hours;
using std::chrono::seconds;
using Security = DnsView::Security;

const TimePoint t0 = Clock::from_time_t(1795867200); // 2026-11-28T12:00:00Z

tlsa::Record rec(std::uint8_t fill) {
    return tlsa::Record{3, 1, 1, tlsa::Bytes(32, fill)};
}

KeyTimeline key(std::uint32_t id, std::uint8_t fill) {
    KeyTimeline k;
    k.id = id;
    k.key_file = "/keys/mx1.example.net-MX-2026112" + std::to_string(id) + ".key";
    k.cert_file = "/certs/mx1.example.net-MX-SS-2026112" + std::to_string(id) + ".crt";
    k.record = rec(fill);
    k.created = t0 - hours(24 * 400);
    return k;
}

/// Key 1 in service and published; key 2 staged at t0.
State staged() {
    State s;
    s.host = "mx1.example.net";
    auto k1 = key(1, 0x11);
    k1.published = t0 - hours(24 * 400);
    k1.active = t0 - hours(24 * 400);
    k1.max_ttl_seen = 3600;
    auto k2 = key(2, 0x22);
    k2.created = t0;
    s.keys = {k1, k2};
    return s;
}

DnsView secure(std::vector<tlsa::Record> recs, std::uint32_t ttl = 3600) {
    DnsView d;
    d.security = Security::secure;
    d.exists = !recs.empty();
    d.records = std::move(recs);
    d.ttl = ttl;
    return d;
}

DnsView with_security(Security sec, std::vector<tlsa::Record> recs) {
    DnsView d = secure(std::move(recs));
    d.security = sec;
    d.why = sec == Security::bogus ? "signature expired" : "SERVFAIL";
    return d;
}

Policy margin(seconds m) {
    Policy p;
    p.margin = m;
    return p;
}

TEST(Planner, NoKeysMeansAdopt) {
    const Plan p = plan(State{}, secure({}), t0, Policy{});
    EXPECT_EQ(p.step, Step::adopt);
    EXPECT_NE(p.reason.find("rollover init"), std::string::npos);
}

TEST(Planner, SteadyStateAllowsStaging) {
    State s = staged();
    s.keys.pop_back();
    const Plan p = plan(s, secure({rec(0x11)}), t0, Policy{});
    EXPECT_EQ(p.step, Step::stage);
    EXPECT_TRUE(p.can_act_now);
    EXPECT_EQ(p.rrset, std::vector<tlsa::Record>{rec(0x11)});
}

TEST(Planner, SteadyStateWarnsWhenTheServedKeyIsNotPublished) {
    State s = staged();
    s.keys.pop_back();
    const Plan p = plan(s, secure({rec(0x33)}), t0, Policy{});
    EXPECT_EQ(p.step, Step::stage);
    EXPECT_NE(p.reason.find("defer"), std::string::npos) << p.reason;
}

TEST(Planner, StagedKeyWaitsForPublication) {
    const State s = observe(staged(), secure({rec(0x11)}), t0);
    EXPECT_FALSE(next_key(s)->published);
    const Plan p = plan(s, secure({rec(0x11)}), t0, Policy{});
    EXPECT_EQ(p.step, Step::publish);
    EXPECT_FALSE(p.can_act_now);
    EXPECT_EQ(p.rrset, (std::vector<tlsa::Record>{rec(0x11), rec(0x22)}));
}

TEST(Planner, InsecureOrBogusSightingsDoNotCount) {
    for (const auto sec : {Security::insecure, Security::bogus, Security::failed}) {
        const auto dns = with_security(sec, {rec(0x11), rec(0x22)});
        const State s = observe(staged(), dns, t0);
        EXPECT_FALSE(next_key(s)->published);
        const Plan p = plan(s, dns, t0 + hours(24 * 30), margin(seconds(0)));
        EXPECT_EQ(p.step, Step::publish);
        EXPECT_FALSE(p.can_act_now);
        EXPECT_NE(p.reason.find(sec == Security::insecure ? "insecure"
                                : sec == Security::bogus  ? "bogus (signature expired)"
                                                          : "failed (SERVFAIL)"),
                  std::string::npos)
            << p.reason;
    }
}

TEST(Planner, WaitsTwiceTheTtlPlusMarginToTheSecond) {
    const auto dns = secure({rec(0x11), rec(0x22)}, 3600);
    const State s = observe(staged(), dns, t0);
    ASSERT_EQ(next_key(s)->published, t0);
    const Policy pol = margin(hours(24 * 7));
    const TimePoint allowed = t0 + seconds(2 * 3600) + hours(24 * 7);
    const Plan before = plan(s, dns, allowed - seconds(1), pol);
    EXPECT_EQ(before.step, Step::wait_for_caches);
    EXPECT_FALSE(before.can_act_now);
    EXPECT_EQ(before.allowed_at, allowed);
    const Plan at = plan(s, dns, allowed, pol);
    EXPECT_EQ(at.step, Step::activate);
    EXPECT_TRUE(at.can_act_now);
}

TEST(Planner, ALargerTtlSeenLaterExtendsTheWait) {
    State s = observe(staged(), secure({rec(0x11), rec(0x22)}, 60), t0);
    s = observe(s, secure({rec(0x11), rec(0x22)}, 86400), t0 + hours(1));
    const auto dns = secure({rec(0x11), rec(0x22)}, 86400);
    EXPECT_EQ(plan(s, dns, t0 + seconds(2 * 3600), margin(seconds(0))).step, Step::wait_for_caches);
    EXPECT_EQ(plan(s, dns, t0 + seconds(2 * 86400), margin(seconds(0))).step, Step::activate);
}

TEST(Planner, TheCurrentRRsetTtlCountsToo) {
    // Caches may hold the RRset from before the new record with its TTL.
    State s = staged();
    s.keys[0].max_ttl_seen = 7200;
    s = observe(s, secure({rec(0x11), rec(0x22)}, 60), t0);
    const auto dns = secure({rec(0x11), rec(0x22)}, 60);
    EXPECT_EQ(plan(s, dns, t0 + seconds(2 * 7200) - seconds(1), margin(seconds(0))).step, Step::wait_for_caches);
    EXPECT_EQ(plan(s, dns, t0 + seconds(2 * 7200), margin(seconds(0))).step, Step::activate);
}

TEST(Planner, TtlOptionOverridesWhatDnsShows) {
    const auto dns = secure({rec(0x11), rec(0x22)}, 86400);
    const State s = observe(staged(), dns, t0);
    Policy pol = margin(seconds(0));
    pol.ttl = 10;
    EXPECT_EQ(plan(s, dns, t0 + seconds(20), pol).step, Step::activate);
}

TEST(Planner, AVanishedNextRecordRestartsTheWait) {
    State s = observe(staged(), secure({rec(0x11), rec(0x22)}), t0);
    s = observe(s, secure({rec(0x11)}), t0 + hours(1));
    EXPECT_FALSE(next_key(s)->published);
    EXPECT_EQ(plan(s, secure({rec(0x11)}), t0 + hours(24 * 30), margin(seconds(0))).step, Step::publish);
    s = observe(s, secure({rec(0x11), rec(0x22)}), t0 + hours(2));
    EXPECT_EQ(next_key(s)->published, t0 + hours(2));
}

TEST(Planner, ActivationNeedsTheRecordStillVisible) {
    State s = observe(staged(), secure({rec(0x11), rec(0x22)}), t0);
    const Plan p = plan(s, secure({rec(0x11)}), t0 + hours(24 * 30), margin(seconds(0)));
    EXPECT_EQ(p.step, Step::publish);
}

State rotated() {
    State s = observe(staged(), secure({rec(0x11), rec(0x22)}), t0);
    s.keys[0].retired = t0 + hours(200);
    s.keys[1].active = t0 + hours(200);
    return s;
}

TEST(Planner, OldRecordStillPublishedBlocksRetire) {
    const State s = rotated();
    EXPECT_EQ(current_key(s)->id, 2U);
    EXPECT_EQ(old_key(s)->id, 1U);
    const Plan p = plan(s, secure({rec(0x11), rec(0x22)}), t0 + hours(201), Policy{});
    EXPECT_EQ(p.step, Step::unpublish);
    EXPECT_FALSE(p.can_act_now);
    EXPECT_EQ(p.rrset, std::vector<tlsa::Record>{rec(0x22)});
    EXPECT_NE(p.reason.find(tlsa::rdata_text(rec(0x11))), std::string::npos);
}

TEST(Planner, OldRecordGoneAllowsRetire) {
    const Plan p = plan(rotated(), secure({rec(0x22)}), t0 + hours(201), Policy{});
    EXPECT_EQ(p.step, Step::retire);
    EXPECT_TRUE(p.can_act_now);
}

TEST(Planner, RetireNeedsASecureAnswer) {
    const Plan p = plan(rotated(), with_security(Security::bogus, {rec(0x22)}), t0 + hours(201), Policy{});
    EXPECT_EQ(p.step, Step::unpublish);
    EXPECT_FALSE(p.can_act_now);
}

TEST(Planner, AfterRetireTheCycleStartsOver) {
    State s = rotated();
    s.keys[0].removed = t0 + hours(202);
    const Plan p = plan(s, secure({rec(0x22)}), t0 + hours(203), Policy{});
    EXPECT_EQ(p.step, Step::stage);
}

TEST(Planner, ASecondStageIsNotOfferedWhileOneIsPending) {
    for (const auto& dns : {secure({rec(0x11)}), secure({rec(0x11), rec(0x22)})}) {
        const State s = observe(staged(), dns, t0);
        EXPECT_NE(plan(s, dns, t0 + hours(1), Policy{}).step, Step::stage);
    }
}

TEST(StateFile, RoundTrips) {
    const State s = observe(staged(), secure({rec(0x11), rec(0x22)}, 300), t0);
    const auto back = from_json(to_json(s));
    ASSERT_TRUE(back.has_value()) << back.error();
    EXPECT_EQ(to_json(*back), to_json(s));
    EXPECT_EQ(back->keys[1].published, t0);
    EXPECT_EQ(back->keys[1].max_ttl_seen, 300U);
}

TEST(StateFile, RefusesANewerFormat) {
    std::string text = to_json(staged());
    text.replace(text.find("\"format\": 1"), 11, "\"format\": 2");
    const auto r = from_json(text);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().find("newer mxdane"), std::string::npos);
}

TEST(StateFile, RefusesCorruption) {
    const std::string good = to_json(staged());
    for (const std::string& bad :
         {std::string(""), good.substr(0, good.size() / 2), std::string("[]"),
          std::string(R"({"format":1,"host":"h","keys":[{"id":1}]})"),
          std::string(R"({"format":1,"host":"h","keys":[{"id":1,"key_file":"k","cert_file":"c","tlsa":"3 1 1 zz"}]})"),
          std::string(R"({"format":1,"host":"h","port":0,"keys":[]})")}) {
        EXPECT_FALSE(from_json(bad).has_value()) << bad;
    }
    std::string t = good;
    t.replace(t.find("2026-11-28T12:00:00Z"), 20, "2026-13-28T12:00:00Z");
    EXPECT_FALSE(from_json(t).has_value());
}

TEST(StateFile, LoadSaveAndACorruptFileIsAnError) {
    const test::TempDir dir;
    const auto path = state_path(dir.path(), "mx1.example.net");
    EXPECT_FALSE(load(path).has_value());
    save(path, staged());
    EXPECT_EQ(to_json(*load(path)), to_json(staged()));
    EXPECT_EQ(std::filesystem::status(path).permissions(), std::filesystem::perms(0600));
    { std::ofstream(path) << "{garbage"; }
    try {
        (void)load(path);
        FAIL() << "no exception";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::io);
        EXPECT_NE(std::string(e.what()).find("cannot be used"), std::string::npos);
    }
}

} // namespace

namespace {
using mxdane::rotation::parse_config;

TEST(Config, ParsesSettingsCommentsAndQuotes) {
    const auto r = parse_config("# mxdane\n\nkey-life = 365\nreload = postfix reload # comment\n"
                                "stub = test.=127.0.0.1@5353\nstub = x.test.=127.0.0.1@5353\n"
                                "publish-hook = \"/usr/local/bin/dns hook # not a comment\"\r\n");
    ASSERT_TRUE(r.has_value()) << r.error();
    ASSERT_EQ(r->size(), 5U);
    EXPECT_EQ((*r)[0].key, "key-life");
    EXPECT_EQ((*r)[0].value, "365");
    EXPECT_EQ((*r)[1].value, "postfix reload");
    EXPECT_EQ((*r)[2].value, "test.=127.0.0.1@5353");
    EXPECT_EQ((*r)[3].line, 6);
    EXPECT_EQ((*r)[4].value, "/usr/local/bin/dns hook # not a comment");
}

TEST(Config, NamesTheBadLine) {
    EXPECT_EQ(parse_config("a = 1\nno equals sign\n").error(), "line 2: expected 'key = value'");
    EXPECT_EQ(parse_config("Key = 1\n").error(),
              "line 1: 'Key' is not a setting name (lowercase letters, digits, '-')");
    EXPECT_EQ(parse_config("a = \"open\n").error(), "line 1: unterminated quote");
    EXPECT_EQ(parse_config("a = \"x\" y\n").error(), "line 1: text after the closing quote");
    EXPECT_EQ(parse_config(" = 1\n").error(), "line 1: '' is not a setting name (lowercase letters, digits, '-')");
}

TEST(Lock, OnlyOneHolder) {
    const mxdane::test::TempDir dir;
    const auto path = dir.path() / "h.lock";
    auto first = mxdane::store::FileLock::try_lock(path);
    ASSERT_TRUE(first.has_value());
    EXPECT_FALSE(mxdane::store::FileLock::try_lock(path).has_value());
    first.reset();
    EXPECT_TRUE(mxdane::store::FileLock::try_lock(path).has_value());
}

} // namespace

namespace {

TEST(Activation, TheNextKeyBecomesCurrentAndTheCurrentOld) {
    using namespace mxdane::rotation;
    State s = staged();
    mark_activated(s, t0);
    EXPECT_EQ(current_key(s)->id, 2U);
    EXPECT_EQ(old_key(s)->id, 1U);
    EXPECT_EQ(next_key(s), nullptr);
    EXPECT_THROW(mark_activated(s, t0), mxdane::Error);
}

} // namespace

namespace {

TEST(Times, FormatAndParseRoundTripAndRefuseOtherForms) {
    using namespace mxdane::rotation;
    EXPECT_EQ(format_time(t0), "2026-11-28T12:00:00Z");
    EXPECT_EQ(parse_time("2026-11-28T12:00:00Z"), t0);
    for (const std::string bad : {"2026-11-28 12:00:00Z", "2026-11-28T12:00:00", "2026-13-28T12:00:00Z", "x", ""}) {
        EXPECT_FALSE(parse_time(bad).has_value()) << bad;
    }
}

} // namespace

namespace {
using namespace mxdane::rotation;

TEST(Times, NonDatesAndTimesOutOfRangeAreRefused) {
    for (const std::string bad :
         {"2026-02-31T00:00:00Z", "2023-02-29T00:00:00Z", "0000-01-01T00:00:00Z", "-001-01-01T00:00:00Z",
          "+026-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "2262-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
          "2026-11-28T24:00:00Z", "2026-11-28T12:60:00Z", "2026-11-28T12:00:60Z", "2026-04-31T00:00:00Z",
          "2026-1a-28T12:00:00Z", "2026-11-28T12:00: 0Z", "2100-02-29T00:00:00Z"}) {
        EXPECT_FALSE(parse_time(bad).has_value()) << bad;
    }
    for (const std::string good : {"1970-01-01T00:00:00Z", "2024-02-29T23:59:59Z", "2000-02-29T00:00:00Z",
                                   "2261-12-31T23:59:59Z", "2026-12-31T00:00:00Z"}) {
        const auto t = parse_time(good);
        ASSERT_TRUE(t.has_value()) << good;
        EXPECT_EQ(format_time(*t), good);
    }
    EXPECT_EQ(format_time(earliest_time()), "1970-01-01T00:00:00Z");
    EXPECT_EQ(format_time(latest_time()), "2261-12-31T23:59:59Z");
}

TEST(Times, CheckedAdditionNeverWraps) {
    EXPECT_EQ(add_checked(t0, seconds(10)), t0 + seconds(10));
    EXPECT_FALSE(add_checked(latest_time(), seconds(1)).has_value());
    EXPECT_FALSE(add_checked(earliest_time(), seconds(-1)).has_value());
    EXPECT_FALSE(add_checked(t0, seconds(std::numeric_limits<std::int64_t>::max())).has_value());
    EXPECT_FALSE(add_checked(t0, seconds(std::numeric_limits<std::int64_t>::min())).has_value());
    EXPECT_EQ(add_checked(latest_time(), seconds(0)), latest_time());
}

std::string with(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

TEST(StateFile, RefusesHostileIdsTimesAndRecords) {
    const std::string good = to_json(observe(staged(), secure({rec(0x11), rec(0x22)}), t0));
    ASSERT_TRUE(from_json(good).has_value());
    const std::string k2_created = "\"created\": \"2026-11-28T12:00:00Z\"";
    const struct {
        std::string text;
        std::string reason;
    } cases[] = {
        {with(good, "\"id\": 2", "\"id\": 1099511627776"), "key id 1099511627776 is outside 1 to 4294967295"},
        {with(good, "\"id\": 2", "\"id\": 4294967296"), "outside 1 to 4294967295"},
        {with(good, "\"id\": 2", "\"id\": 0"), "key id 0 is outside"},
        {with(good, "\"id\": 2", "\"id\": 1"), "key id 1 appears twice"},
        {with(good, "\"max_ttl_seen\": 3600", "\"max_ttl_seen\": 4294967296"), "'max_ttl_seen' is not a number"},
        {with(good, k2_created, "\"created\": \"2026-02-31T12:00:00Z\""), "'created' is not a time"},
        {with(good, k2_created, "\"created\": \"9999-12-31T23:59:59Z\""), "'created' is not a time"},
        {with(good, k2_created, "\"created\": \"2026-11-29T12:00:00Z\""),
         "key 2: 'published' (2026-11-28T12:00:00Z) is earlier than 'created' (2026-11-29T12:00:00Z)"},
        {with(good, "/keys/mx1.example.net-MX-20261122.key", "keys/x.key"), "must be absolute paths"},
    };
    for (const auto& c : cases) {
        const auto r = from_json(c.text);
        ASSERT_FALSE(r.has_value()) << c.reason;
        EXPECT_NE(r.error().find(c.reason), std::string::npos) << r.error();
    }
    // An all-zero record is never a made key's.
    std::string zero = good;
    const auto at = zero.find("3 1 1 2222");
    zero.replace(at + 6, 64, std::string(64, '0'));
    EXPECT_EQ(from_json(zero).error(), "key 2: 'tlsa' is all zeros, not the record of a real key");
}

TEST(StateFile, AnActiveKeyWithoutCreatedIsRefused) {
    // Found by fuzz_state: such a state was read, then saved without the
    // key's record (to_json writes it only for a made key) and never read
    // again ("'tlsa' is missing for a key that was made").
    const std::string good = to_json(observe(staged(), secure({rec(0x11), rec(0x22)}), t0));
    // Key 1 (in service) without 'created' and 'published', as the fuzzer
    // left it.
    std::string text = good;
    for (const std::string field : {"\"created\": \"", "\"published\": \""}) {
        const auto at = text.find(field);
        ASSERT_NE(at, std::string::npos);
        text = text.substr(0, at) + field.substr(0, field.size() - 1) + "null" +
               text.substr(text.find('"', at + field.size()) + 1);
    }
    const auto r = from_json(text);
    ASSERT_FALSE(r.has_value()) << text;
    EXPECT_EQ(r.error(), "key 1: 'active' is set but the key was never made ('created' is null)");
}

TEST(StateFile, AnIncompleteKeyHasNoRecordAndIsNeverNext) {
    State s = staged();
    s.keys[1].created.reset();
    s.keys[1].record = tlsa::Record{3, 1, 1, {}};
    const std::string text = to_json(s);
    EXPECT_NE(text.find("\"tlsa\": null"), std::string::npos) << text;
    EXPECT_EQ(text.find("0000000000"), std::string::npos) << text;
    const auto back = from_json(text);
    ASSERT_TRUE(back.has_value()) << back.error();
    EXPECT_EQ(next_key(*back), nullptr);
    ASSERT_NE(incomplete_key(*back), nullptr);
    // Older versions wrote an all-zero placeholder: read as incomplete.
    const std::string legacy = with(text, "\"tlsa\": null", "\"tlsa\": \"3 1 1 " + std::string(64, '0') + "\"");
    const auto old = from_json(legacy);
    ASSERT_TRUE(old.has_value()) << old.error();
    ASSERT_NE(incomplete_key(*old), nullptr);
    EXPECT_TRUE(incomplete_key(*old)->record.data.empty());
    // Never published, never counted, never activated: the plan says to
    // rerun stage and offers only the current record.
    const DnsView dns = secure({rec(0x11), tlsa::Record{3, 1, 1, tlsa::Bytes(32, 0)}});
    const State seen = observe(*old, dns, t0);
    EXPECT_FALSE(incomplete_key(seen)->published.has_value());
    const Plan p = plan(seen, dns, t0 + hours(24 * 365), Policy{});
    EXPECT_EQ(p.step, Step::stage);
    EXPECT_NE(p.reason.find("key 2 (mx1.example.net-MX-20261122.key) is incomplete"), std::string::npos) << p.reason;
    EXPECT_NE(p.reason.find("'mxdane rollover stage mx1.example.net' again"), std::string::npos) << p.reason;
    ASSERT_EQ(p.rrset.size(), 1U);
    EXPECT_EQ(p.rrset[0], rec(0x11));
    State copy = seen;
    EXPECT_THROW(mark_activated(copy, t0), mxdane::Error);
}

TEST(Clock, ATimeBehindTheStateIsRefused) {
    const State s = observe(staged(), secure({rec(0x11), rec(0x22)}), t0 + hours(1));
    try {
        (void)observe(s, secure({rec(0x11), rec(0x22)}), t0);
        FAIL() << "no exception";
    } catch (const mxdane::Error& e) {
        EXPECT_EQ(e.code(), mxdane::Errc::refused);
        EXPECT_NE(std::string(e.what()).find("the clock says 2026-11-28T12:00:00Z, earlier than 2026-11-28T13:00:00Z"),
                  std::string::npos)
            << e.what();
    }
    // A first sighting before the key existed cannot be recorded.
    EXPECT_THROW((void)observe(staged(), secure({rec(0x11), rec(0x22)}), t0 - hours(1)), mxdane::Error);
    State act = s;
    EXPECT_THROW(mark_activated(act, t0), mxdane::Error);
    EXPECT_THROW(check_clock(State{}, latest_time() + seconds(1)), mxdane::Error);
    EXPECT_NO_THROW(check_clock(s, t0 + hours(1)));
}

TEST(Planner, PolicyOutsideItsRangesIsAnError) {
    const State s = observe(staged(), secure({rec(0x11), rec(0x22)}), t0);
    Policy p;
    p.margin = seconds(max_margin_seconds + 1);
    EXPECT_THROW((void)plan(s, secure({rec(0x11), rec(0x22)}), t0, p), mxdane::Error);
    p.margin = seconds(-1);
    EXPECT_THROW((void)plan(s, secure({rec(0x11), rec(0x22)}), t0, p), mxdane::Error);
    p.margin = seconds(0);
    p.ttl = max_ttl + 1U;
    EXPECT_THROW((void)plan(s, secure({rec(0x11), rec(0x22)}), t0, p), mxdane::Error);
}

/// RFC 7671 §8.1: the switch waits at least 2 x TTL + margin after the new
/// record was first seen. For random TTLs, margins and first sightings
/// (extremes included), allowed_at is never earlier, or the plan is an
/// error; and a longer TTL or margin never gives an earlier allowed_at.
TEST(Planner, PropertyTheWaitIsNeverShorterThanTwoTtlPlusMargin) {
    std::mt19937_64 rng(20261128);
    const std::int64_t lo = std::chrono::duration_cast<seconds>(earliest_time().time_since_epoch()).count();
    const std::int64_t hi = std::chrono::duration_cast<seconds>(latest_time().time_since_epoch()).count();
    auto pick = [&rng](std::int64_t a, std::int64_t b, std::initializer_list<std::int64_t> extremes) {
        if (rng() % 4 == 0) {
            const auto* it = extremes.begin() + static_cast<std::ptrdiff_t>(rng() % extremes.size());
            return *it;
        }
        return a + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(b - a + 1));
    };
    /// allowed_at in seconds, or nullopt when plan() refused.
    auto allowed = [](std::int64_t first_seen, std::uint32_t ttl,
                      std::int64_t margin_s) -> std::optional<std::int64_t> {
        State s = staged();
        const TimePoint seen{seconds(first_seen)};
        for (auto& k : s.keys) {
            k.created = std::min(*k.created, seen);
            if (k.active) {
                k.active = k.created;
                k.published = k.created;
            }
        }
        s.keys[1].published = seen;
        Policy p;
        p.ttl = ttl;
        p.margin = seconds(margin_s);
        try {
            const Plan pl = plan(s, secure({rec(0x11), rec(0x22)}), seen, p);
            EXPECT_TRUE(pl.allowed_at.has_value());
            EXPECT_TRUE(pl.step == Step::wait_for_caches || pl.step == Step::activate);
            return std::chrono::duration_cast<seconds>(pl.allowed_at->time_since_epoch()).count();
        } catch (const mxdane::Error& e) {
            EXPECT_EQ(e.code(), mxdane::Errc::bad_input);
            return std::nullopt;
        }
    };
    for (int i = 0; i < 3000; ++i) {
        const std::int64_t seen = pick(lo, hi, {lo, hi, hi - 1, 1795867200});
        const auto ttl = static_cast<std::uint32_t>(pick(0, max_ttl, {0, 1, max_ttl, max_ttl - 1}));
        const std::int64_t margin = pick(0, max_margin_seconds, {0, 1, max_margin_seconds});
        const auto a = allowed(seen, ttl, margin);
        // The bound: at most ~1.4e10, far inside 64 bits, so the oracle
        // itself cannot wrap.
        const std::int64_t bound = seen + 2 * std::int64_t{ttl} + margin;
        if (a) {
            EXPECT_GE(*a, bound) << "seen " << seen << " ttl " << ttl << " margin " << margin;
        } else {
            EXPECT_GT(bound, hi) << "refused although representable: seen " << seen;
        }
        // Monotone: more TTL or more margin never shortens the wait.
        const auto ttl2 = static_cast<std::uint32_t>(pick(ttl, max_ttl, {max_ttl}));
        const std::int64_t margin2 = pick(margin, max_margin_seconds, {max_margin_seconds});
        const auto b = allowed(seen, ttl2, margin2);
        if (a && b) {
            EXPECT_GE(*b, *a);
        } else if (a) {
            SUCCEED(); // the longer wait does not fit: an error, never a wrap
        } else {
            EXPECT_FALSE(b.has_value()) << "a longer wait fits where a shorter did not";
        }
    }
}

} // namespace
