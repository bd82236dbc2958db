// The rollover planner with an injected clock: every transition and every
// reason to wait (issue #5).
#include <gtest/gtest.h>

#include <map>

#include <fstream>
#include <limits>
#include <random>

#include "../cli/cli_harness.h"
#include "mxdane/error.h"
#include "mxdane/rotation.h"
#include "mxdane/store.h"
#include "rotation_fixtures.h"

namespace {
using namespace mxdane;
using namespace mxdane::rotation;
using std::chrono::hours;
using std::chrono::seconds;
using Security = DnsView::Security;
using namespace mxdane::rotation::fixtures;

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
    SCOPED_TRACE(mxdane::test::seed_trace());
    std::mt19937_64 rng(mxdane::test::test_seed());
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

namespace {
using namespace mxdane;
using namespace mxdane::rotation;
using namespace mxdane::rotation::fixtures;

/// A server that answered with `rrset` at `ttl`, serving `serial`.
ServerSeen at(const std::string& name, std::vector<tlsa::Record> rrset, std::uint32_t serial,
              std::uint32_t ttl = 3600) {
    ServerSeen s;
    s.name = name;
    s.answered = true;
    s.records = std::move(rrset);
    s.ttl = ttl;
    s.serial = serial;
    return s;
}

ServerSeen silent(const std::string& name) {
    ServerSeen s;
    s.name = name;
    s.why = "no answer: cannot reach DNS";
    return s;
}

// Issue #24: the switch waits for every authoritative server, with the
// TTL the zone publishes, not the remainder a resolver's cache reports.
TEST(EveryServerGate, TheWaitStartsWhenTheLastServerServesTheRecord) {
    DnsView dns = secure({rec(0x11), rec(0x22)}, 120); // a cache's remainder
    dns.servers = std::vector<ServerSeen>{at("ns1.example.net (192.0.2.1)", {rec(0x11), rec(0x22)}, 8),
                                          at("ns2.example.net (192.0.2.2)", {rec(0x11)}, 7)};
    State s = observe(staged(), dns, t0 + hours(1));
    EXPECT_FALSE(next_key(s)->published) << "one server still serves the old RRset";
    Plan p = plan(s, dns, t0 + hours(1), Policy{});
    EXPECT_EQ(p.step, Step::publish);
    EXPECT_FALSE(p.can_act_now);
    EXPECT_NE(p.reason.find("not every authoritative server serves it yet: ns2.example.net (192.0.2.2) serves serial "
                            "7 without it (the others serve serial 8)"),
              std::string::npos)
        << p.reason;
    // The secondary catches up: first seen now, the wait uses the zone's
    // TTL (3600 s), not the cache's 120 s.
    (*dns.servers)[1] = at("ns2.example.net (192.0.2.2)", {rec(0x11), rec(0x22)}, 8);
    s = observe(s, dns, t0 + hours(2));
    ASSERT_TRUE(next_key(s)->published);
    EXPECT_EQ(*next_key(s)->published, t0 + hours(2));
    Policy policy;
    policy.margin = std::chrono::seconds(0);
    p = plan(s, dns, t0 + hours(2), policy);
    EXPECT_EQ(p.step, Step::wait_for_caches);
    EXPECT_EQ(p.allowed_at, t0 + hours(2) + std::chrono::seconds(2 * 3600));
}

TEST(EveryServerGate, ASilentServerHoldsTheSwitchAndAnOldCopyRestartsTheWait) {
    DnsView dns = secure({rec(0x11), rec(0x22)}, 3600);
    dns.servers = std::vector<ServerSeen>{at("ns1 (192.0.2.1)", {rec(0x11), rec(0x22)}, 8),
                                          at("ns2 (192.0.2.2)", {rec(0x11), rec(0x22)}, 8)};
    State s = observe(staged(), dns, t0);
    ASSERT_TRUE(next_key(s)->published);
    // Later, ns2 is silent: no switch while it is, the wait is kept.
    (*dns.servers)[1] = silent("ns2 (192.0.2.2)");
    s = observe(s, dns, t0 + hours(24 * 30));
    EXPECT_EQ(next_key(s)->published, t0);
    Plan p = plan(s, dns, t0 + hours(24 * 30), Policy{});
    EXPECT_EQ(p.step, Step::publish);
    EXPECT_NE(p.reason.find("ns2 (192.0.2.2) did not answer (no answer: cannot reach DNS)"), std::string::npos)
        << p.reason;
    // ns2 comes back with an old copy: caches may get the RRset without the
    // new record again, so the wait starts over.
    (*dns.servers)[1] = at("ns2 (192.0.2.2)", {rec(0x11)}, 6);
    s = observe(s, dns, t0 + hours(24 * 31));
    EXPECT_FALSE(next_key(s)->published);
}

TEST(EveryServerGate, TheOldKeyIsRetiredOnlyWhenNoServerServesItsRecord) {
    State s = staged();
    mark_activated(s, t0);
    DnsView dns = secure({rec(0x22)}, 3600);
    dns.servers = std::vector<ServerSeen>{at("ns1 (192.0.2.1)", {rec(0x22)}, 9),
                                          at("ns2 (192.0.2.2)", {rec(0x11), rec(0x22)}, 8)};
    Plan p = plan(s, dns, t0 + hours(1), Policy{});
    EXPECT_EQ(p.step, Step::unpublish);
    EXPECT_NE(p.reason.find("ns2 (192.0.2.2) serves serial 8 with it (the others serve serial 9)"), std::string::npos)
        << p.reason;
    (*dns.servers)[1] = silent("ns2 (192.0.2.2)");
    EXPECT_EQ(plan(s, dns, t0 + hours(1), Policy{}).step, Step::unpublish);
    (*dns.servers)[1] = at("ns2 (192.0.2.2)", {rec(0x22)}, 9);
    p = plan(s, dns, t0 + hours(1), Policy{});
    EXPECT_EQ(p.step, Step::retire);
    EXPECT_TRUE(p.can_act_now);
}

// Since when a server is behind is kept across passes, and dropped once it
// catches up or leaves the NS RRset (issue #24).
TEST(EveryServerGate, ServersBehindAreRecordedWithTheTimeFirstSeen) {
    DnsView dns = secure({rec(0x11)}, 3600);
    dns.servers = std::vector<ServerSeen>{at("ns1 (192.0.2.1)", {rec(0x11)}, 9), at("ns2 (192.0.2.2)", {rec(0x11)}, 8),
                                          silent("ns3 (192.0.2.3)")};
    State s = observe(staged(), dns, t0);
    EXPECT_EQ(s.servers_behind, (std::map<std::string, TimePoint>{{"ns2 (192.0.2.2)", t0}, {"ns3 (192.0.2.3)", t0}}));
    // A day later ns2 is still behind (since t0), ns3 has caught up.
    (*dns.servers)[2] = at("ns3 (192.0.2.3)", {rec(0x11)}, 9);
    s = observe(s, dns, t0 + hours(24));
    EXPECT_EQ(s.servers_behind, (std::map<std::string, TimePoint>{{"ns2 (192.0.2.2)", t0}}));
    // RFC 1982: serial 2 after 4294967295 is newer, so ns1 is behind.
    (*dns.servers)[0] = at("ns1 (192.0.2.1)", {rec(0x11)}, 4294967295U);
    (*dns.servers)[1] = at("ns2 (192.0.2.2)", {rec(0x11)}, 2);
    (*dns.servers)[2] = at("ns3 (192.0.2.3)", {rec(0x11)}, 2);
    s = observe(s, dns, t0 + hours(25));
    EXPECT_EQ(s.servers_behind, (std::map<std::string, TimePoint>{{"ns1 (192.0.2.1)", t0 + hours(25)}}));
    EXPECT_EQ(newest_serial(dns), 2U);
    // Not asked (the answer was insecure): nothing learnt, nothing dropped.
    DnsView insecure = dns;
    insecure.security = DnsView::Security::insecure;
    EXPECT_EQ(observe(s, insecure, t0 + hours(26)).servers_behind, s.servers_behind);
    dns.servers.reset();
    EXPECT_EQ(observe(s, dns, t0 + hours(26)).servers_behind, s.servers_behind);
}

} // namespace
