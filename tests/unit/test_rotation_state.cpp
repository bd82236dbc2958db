// The rollover state file, settings file, host lock and times (issue #5);
// the planner is test_rotation.cpp.
#include <gtest/gtest.h>

#include <fstream>
#include <limits>

#include "../cli/cli_harness.h"
#include "mxdane/error.h"
#include "mxdane/rotation.h"
#include "mxdane/store.h"
#include "rotation_fixtures.h"

namespace {
using namespace mxdane;
using namespace mxdane::rotation;
using namespace mxdane::rotation::fixtures;
using std::chrono::hours;
using std::chrono::seconds;

TEST(StateFile, RoundTrips) {
    const State s = observe(staged(), secure({rec(0x11), rec(0x22)}, 300), t0);
    const auto back = from_json(to_json(s));
    ASSERT_TRUE(back.has_value()) << back.error();
    EXPECT_EQ(to_json(*back), to_json(s));
    EXPECT_EQ(back->keys[1].published, t0);
    EXPECT_EQ(back->keys[1].max_ttl_seen, 300U);
}

TEST(StateFile, TheAdminsDisableIsKeptAndCountsAsATimeOfTheState) {
    State s = staged();
    EXPECT_EQ(to_json(s).find("dane_disabled_since"), std::string::npos); // absent until disabled
    s.dane_disabled = t0 + hours(48);
    const std::string text = to_json(s);
    EXPECT_NE(text.find("\"dane_disabled_since\": \"2026-11-30T12:00:00Z\""), std::string::npos) << text;
    const auto back = from_json(text);
    ASSERT_TRUE(back.has_value()) << back.error();
    EXPECT_EQ(back->dane_disabled, t0 + hours(48));
    EXPECT_EQ(newest_time(*back), t0 + hours(48));
    std::string bad = text;
    bad.replace(bad.find("2026-11-30T12:00:00Z"), 20, "yesterday");
    EXPECT_FALSE(from_json(bad).has_value());
}

TEST(StateFile, ServersBehindAreKeptAndCountAsTimesOfTheState) {
    State s = staged();
    EXPECT_EQ(to_json(s).find("servers_behind_since"), std::string::npos); // absent while none is behind
    s.servers_behind["ns2.example.net (192.0.2.2)"] = t0 + hours(72);
    const std::string text = to_json(s);
    EXPECT_NE(text.find("\"ns2.example.net (192.0.2.2)\": \"2026-12-01T12:00:00Z\""), std::string::npos) << text;
    const auto back = from_json(text);
    ASSERT_TRUE(back.has_value()) << back.error();
    EXPECT_EQ(back->servers_behind, s.servers_behind);
    EXPECT_EQ(newest_time(*back), t0 + hours(72));
    State r = *back;
    EXPECT_EQ(rewind(r, t0 + hours(1)),
              std::vector<std::string>{"ns2.example.net (192.0.2.2) behind since 2026-12-01T12:00:00Z"});
    EXPECT_EQ(r.servers_behind.at("ns2.example.net (192.0.2.2)"), t0 + hours(1));
    // Each malformed form is refused with the reason.
    for (const auto& [from, to] :
         std::vector<std::pair<std::string, std::string>>{{"\"2026-12-01T12:00:00Z\"", "\"soon\""},
                                                          {"\"2026-12-01T12:00:00Z\"", "7"},
                                                          {"\"ns2.example.net (192.0.2.2)\"", "\"\""}}) {
        std::string bad = text;
        bad.replace(bad.find(from), from.size(), to);
        const auto refused = from_json(bad);
        ASSERT_FALSE(refused.has_value()) << bad;
        EXPECT_NE(refused.error().find("'servers_behind_since' has a bad entry"), std::string::npos) << refused.error();
    }
    std::string not_object = text;
    const auto at = not_object.find("{", not_object.find("servers_behind_since"));
    not_object.replace(at, not_object.find("}", at) - at + 1, "[]");
    const auto refused = from_json(not_object);
    ASSERT_FALSE(refused.has_value());
    EXPECT_NE(refused.error().find("is not an object"), std::string::npos) << refused.error();
}

TEST(StateFile, TheIssuerOfEachCertificateIsKept) {
    State s = staged();
    s.keys[0].issuer = Issuer{"/etc/mxdane/issue-certbot --quiet", seconds(600)};
    s.keys[1].issuer = Issuer{};
    const std::string text = to_json(s);
    EXPECT_NE(text.find(R"("kind": "command")"), std::string::npos) << text;
    EXPECT_NE(text.find(R"("kind": "self")"), std::string::npos) << text;
    const auto back = from_json(text);
    ASSERT_TRUE(back.has_value()) << back.error();
    EXPECT_EQ(back->keys[0].issuer, s.keys[0].issuer);
    EXPECT_EQ(back->keys[1].issuer, Issuer{});
    // A state of an older mxdane has none: read as not recorded.
    std::string old = text;
    const auto at = old.find(R"("issuer": {)");
    old.replace(at, old.find('}', at) + 1 - at, R"("issuer": null)");
    const auto older = from_json(old);
    ASSERT_TRUE(older.has_value()) << older.error();
    EXPECT_FALSE(older->keys[0].issuer);
    for (const std::string bad :
         {R"({"kind": "acme"})", R"({"kind": "command"})", R"({"kind": "command", "command": ""})",
          R"({"kind": "command", "command": "x", "timeout": 0})", R"("self")"}) {
        std::string t = text;
        const auto a = t.find(R"("issuer": {)");
        t.replace(a, t.find('}', a) + 1 - a, std::string(R"("issuer": )") + bad);
        const auto r = from_json(t);
        ASSERT_FALSE(r.has_value()) << bad;
        EXPECT_NE(r.error().find("'issuer'"), std::string::npos) << r.error();
    }
}

TEST(StateFile, RewindMovesOnlyFutureTimesAndKeepsTheirOrder) {
    State s = observe(staged(), secure({rec(0x11), rec(0x22)}, 300), t0 + hours(1000));
    s.dane_disabled = t0 + hours(2000);
    const State orig = s;
    const auto moved = rewind(s, t0 + hours(10));
    ASSERT_EQ(moved.size(), 2U);
    EXPECT_EQ(moved[0], "key 2 published 2027-01-09T04:00:00Z");
    EXPECT_EQ(s.keys[1].published, t0 + hours(10));
    EXPECT_EQ(s.dane_disabled, t0 + hours(10));
    EXPECT_EQ(s.keys[0].created, orig.keys[0].created) << "a time in the past stays";
    EXPECT_EQ(s.keys[1].created, orig.keys[1].created);
    EXPECT_TRUE(from_json(to_json(s)).has_value());
    EXPECT_NO_THROW(check_clock(s, t0 + hours(10)));
    EXPECT_TRUE(rewind(s, t0 + hours(10)).empty());
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
    EXPECT_EQ(std::filesystem::status(path).permissions(),
              std::filesystem::perms(0640)); // the directory decides who reads it
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

} // namespace
