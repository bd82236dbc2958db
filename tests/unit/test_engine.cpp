// The rollover engine and its health verdicts, with the fakes of
// engine_fakes.h. A whole year runs with no sleeping.
#include "engine_fakes.h"

namespace {
using namespace engine_test;

// ------------------------------------------------------------- health ---

struct HealthCase : ::testing::Test {
    rotation::State s;
    DnsView dns;
    HealthCase() {
        s.host = "mx1.example.net";
        rotation::KeyTimeline k;
        k.id = 1;
        k.record = rec(1);
        k.created = t0;
        k.active = t0;
        s.keys.push_back(k);
        dns.security = DnsView::Security::secure;
        dns.exists = true;
        dns.records = {rec(1)};
        dns.ttl = 3600;
    }
    rotation::Health assess(const rotation::HealthFacts& f = {}) const { return rotation::assess(s, dns, t0 + day, f); }
};

TEST_F(HealthCase, OkWhenTheKeyInServiceIsInTheSecureRrset) {
    const auto h = assess();
    EXPECT_EQ(h.level, HealthLevel::ok) << h.message;
    EXPECT_EQ(rotation::health_level_name(h.level), "ok");
}

TEST_F(HealthCase, CriticalWhenOnlyTheNextKeysRecordIsPublished) {
    dns.records = {rec(2)};
    const auto h = assess();
    EXPECT_EQ(h.level, HealthLevel::critical);
    EXPECT_NE(h.message.find("does not show the record of key 1, the key in service"), std::string::npos) << h.message;
    EXPECT_NE(h.message.find("defer"), std::string::npos);
    EXPECT_NE(h.reason.find("RFC 7672"), std::string::npos);
}

TEST_F(HealthCase, CriticalWhenTheLookupFailsOrIsBogus) {
    dns.security = DnsView::Security::failed;
    dns.why = "SERVFAIL";
    EXPECT_EQ(assess().level, HealthLevel::critical);
    EXPECT_NE(assess().message.find("SERVFAIL"), std::string::npos);
    dns.security = DnsView::Security::bogus;
    dns.why = "signature expired";
    EXPECT_EQ(assess().level, HealthLevel::critical);
    EXPECT_NE(assess().message.find("bogus"), std::string::npos);
}

TEST_F(HealthCase, InsecureOrNoRrsetIsAWarningThatDefersNothing) {
    dns.security = DnsView::Security::insecure;
    auto h = assess();
    EXPECT_EQ(h.level, HealthLevel::warning);
    EXPECT_NE(h.message.find("nothing is deferred"), std::string::npos) << h.message;
    dns.security = DnsView::Security::secure;
    dns.exists = false;
    dns.records.clear();
    h = assess();
    EXPECT_EQ(h.level, HealthLevel::warning);
    EXPECT_NE(h.message.find("opportunistic TLS"), std::string::npos) << h.message;
    EXPECT_EQ(h.message.find("defer mail"), std::string::npos) << h.message;
}

TEST_F(HealthCase, TheSendersWalkSaysWhatTheTimelineCannotSee) {
    rotation::HealthFacts f;
    f.sender = rotation::SenderView{check::Overall::deferred,
                                    {"mx1.example.net [192.0.2.1]: FAILED (the server does not offer STARTTLS)"}};
    auto h = assess(f);
    EXPECT_EQ(h.level, HealthLevel::critical);
    EXPECT_NE(h.message.find("DANE-validating senders defer mail to mx1.example.net: mx1.example.net [192.0.2.1]: "
                             "FAILED (the server does not offer STARTTLS)"),
              std::string::npos)
        << h.message;
    EXPECT_NE(h.reason.find("RFC 7672"), std::string::npos);
    f.sender = rotation::SenderView{check::Overall::degraded,
                                    {"AAAA lookup bogus: senders skip the IPv6 addresses", "a second path"}};
    h = assess(f);
    EXPECT_EQ(h.level, HealthLevel::warning);
    EXPECT_NE(h.message.find("senders deliver to mx1.example.net, but not on every path: AAAA lookup bogus: "
                             "senders skip the IPv6 addresses; a second path"),
              std::string::npos)
        << h.message;
    f.sender = rotation::SenderView{check::Overall::all_validated, {}};
    EXPECT_EQ(assess(f).level, HealthLevel::ok);
    // The timeline's own findings come first: they name the key to act on.
    dns.records = {rec(2)};
    f.sender = rotation::SenderView{check::Overall::deferred, {"mx1.example.net [192.0.2.1]: FAILED"}};
    EXPECT_NE(assess(f).message.find("does not show the record of key 1"), std::string::npos);
}

TEST_F(HealthCase, AKeyPastItsLifeIsAWarning) {
    const auto h = rotation::assess(s, dns, t0 + day * 400, {});
    EXPECT_EQ(h.level, HealthLevel::warning);
    EXPECT_NE(h.message.find("past its life"), std::string::npos) << h.message;
    EXPECT_EQ(rotation::assess(s, dns, t0 + day * 390, {}).level, HealthLevel::ok);
}

TEST_F(HealthCase, FailingTsigIsCritical) {
    rotation::HealthFacts f;
    f.credentials_error = "BADSIG";
    const auto h = assess(f);
    EXPECT_EQ(h.level, HealthLevel::critical);
    EXPECT_NE(h.message.find("BADSIG"), std::string::npos);
    f.credentials_error = "";
    EXPECT_EQ(assess(f).level, HealthLevel::ok);
}

TEST_F(HealthCase, AThirdKeyServedIsCriticalAKnownOtherKeyAWarning) {
    rotation::HealthFacts f;
    f.served = rec(9);
    EXPECT_EQ(assess(f).level, HealthLevel::critical);
    dns.records = {rec(1), rec(9)};
    EXPECT_EQ(assess(f).level, HealthLevel::warning);
}

// Issue #24: signatures about to expire are seen before validators see the
// RRset bogus; the earliest of the resolver's and every server's counts.
TEST_F(HealthCase, SignaturesNearTheirExpirationWarnThenAreCritical) {
    const rotation::TimePoint now = t0 + day;
    dns.signatures_expire = now + day * 10;
    EXPECT_EQ(assess().level, rotation::HealthLevel::ok);
    rotation::ServerSeen ns2;
    ns2.name = "ns2.example.net (192.0.2.2)";
    ns2.answered = true;
    ns2.records = {rec(1)};
    ns2.ttl = 3600;
    ns2.signatures_expire = now + day * 3;
    ns2.signatures_rrset = "DNSKEY";
    dns.servers = std::vector<rotation::ServerSeen>{ns2};
    auto h = assess();
    EXPECT_EQ(h.level, rotation::HealthLevel::warning);
    EXPECT_EQ(h.message.rfind("the signatures over the DNSKEY RRset served by ns2.example.net (192.0.2.2) expire in 3 "
                              "days, at 2026-12-02T12:00:00Z",
                              0),
              0U)
        << h.message;
    rotation::HealthFacts f;
    f.signature_warn = day * 2; // --sig-warn-days 2
    EXPECT_EQ(assess(f).level, rotation::HealthLevel::ok);
    // Within a day (2 x TTL is less): critical, with the hours left.
    (*dns.servers)[0].signatures_expire = now + std::chrono::hours(5);
    h = assess();
    EXPECT_EQ(h.level, rotation::HealthLevel::critical);
    EXPECT_NE(h.message.find("expire in 5 hours"), std::string::npos) << h.message;
    EXPECT_EQ(h.reason, "RFC 4035 §5.3.1: an RRSIG past its Signature Expiration does not validate");
    // A TTL of two days widens the critical window to 2 x TTL.
    (*dns.servers)[0].signatures_expire = now + day * 3;
    (*dns.servers)[0].ttl = 2 * 86400;
    EXPECT_EQ(assess().level, rotation::HealthLevel::critical);
    // Expired already (the resolver's own copy).
    dns.servers.reset();
    dns.signatures_expire = now - std::chrono::hours(1);
    EXPECT_NE(assess().message.find("the TLSA RRset (as the validating resolver sees it) expire already"),
              std::string::npos);
}

TEST_F(HealthCase, AServerBehindForADayWarnsAndAHeldSwitchOverdueByTheMarginIsCritical) {
    const rotation::TimePoint now = t0 + day;
    rotation::ServerSeen ns1;
    ns1.name = "ns1 (192.0.2.1)";
    ns1.answered = true;
    ns1.records = {rec(1), rec(2)};
    ns1.ttl = 3600;
    ns1.serial = 9;
    rotation::ServerSeen ns2 = ns1;
    ns2.name = "ns2 (192.0.2.2)";
    ns2.records = {rec(1)};
    ns2.serial = 8;
    dns.servers = std::vector<rotation::ServerSeen>{ns1, ns2};
    s.servers_behind["ns2 (192.0.2.2)"] = now - std::chrono::hours(23);
    EXPECT_EQ(assess().level, rotation::HealthLevel::ok);
    s.servers_behind["ns2 (192.0.2.2)"] = now - std::chrono::hours(25);
    auto h = assess();
    EXPECT_EQ(h.level, rotation::HealthLevel::warning);
    EXPECT_EQ(h.message, "ns2 (192.0.2.2) has served serial 8 since 2026-11-28T11:00:00Z, while another server serves "
                         "9: resolvers that ask it serve senders an older zone; fix the zone transfers to it");
    // A next key whose record ns2 lacks: the switch waits; overdue once
    // 2 x TTL + 2 x margin have passed since ns2 fell behind.
    rotation::KeyTimeline next;
    next.id = 2;
    next.record = rec(2);
    next.created = t0;
    s.keys.push_back(next);
    rotation::HealthFacts f;
    f.margin = std::chrono::hours(12); // 2 x 1 h + 2 x 12 h = 26 h > 25 h: not yet
    EXPECT_EQ(assess(f).level, rotation::HealthLevel::warning);
    f.margin = std::chrono::hours(10); // 22 h <= 25 h: overdue
    h = assess(f);
    EXPECT_EQ(h.level, rotation::HealthLevel::critical);
    EXPECT_EQ(h.message.rfind("the switch to key 2 is overdue: ns2 (192.0.2.2) has served serial 8 since", 0), 0U)
        << h.message;
    // ns2 catches up: no warning, no critical.
    (*dns.servers)[1] = ns1;
    (*dns.servers)[1].name = "ns2 (192.0.2.2)";
    EXPECT_EQ(assess(f).level, rotation::HealthLevel::ok);
}

TEST(PlannerWording, RightAfterInitWithNoRrsetNothingIsSaidToDefer) {
    rotation::State s;
    s.host = "mx1.example.net";
    rotation::KeyTimeline k;
    k.id = 1;
    k.record = rec(1);
    k.created = t0;
    k.active = t0;
    s.keys.push_back(k);
    DnsView dns;
    dns.security = DnsView::Security::secure;
    const auto p = rotation::plan(s, dns, t0, rotation::Policy{});
    EXPECT_EQ(p.reason.find("defer"), std::string::npos) << p.reason;
}

// ------------------------------------------------------------- engine ---

TEST(Engine, AWholeYearWithEveryFault) {
    World w;
    auto e = w.engine();
    const auto key1 = w.current();

    // Days 0..364: nothing to do, health ok, the credentials proven daily.
    for (int d = 0; d < 365; d += 7) {
        const auto r = e.auto_pass(t0 + day * d);
        ASSERT_EQ(r.outcome, rollover::Report::Outcome::nothing_to_do) << d << ": " << r.summary;
        ASSERT_EQ(r.health.level, HealthLevel::ok) << r.health.message;
    }
    EXPECT_GT(w.publisher.checks, 50);

    // Day 365: stage and publish the next key.
    auto r = e.auto_pass(t0 + day * 365);
    ASSERT_EQ(r.outcome, rollover::Report::Outcome::acted) << r.summary;
    const auto staged = w.state();
    const auto* next = rotation::next_key(staged);
    ASSERT_NE(next, nullptr);
    const auto key2 = next->record;
    EXPECT_TRUE(in_zone(w, key2));
    EXPECT_TRUE(in_zone(w, key1));

    // Day 366: first seen; waiting.
    r = e.auto_pass(t0 + day * 366);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::waiting) << r.summary;
    EXPECT_EQ(r.plan.step, rotation::Step::wait_for_caches);

    // Fault: the in-service record is deleted mid-wait. Status is critical;
    // auto republishes it at once.
    w.dns.zone = {key2};
    r = e.status(t0 + day * 367);
    EXPECT_EQ(r.health.level, HealthLevel::critical);
    r = e.auto_pass(t0 + day * 367);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::acted) << r.summary;
    EXPECT_NE(r.summary.find("republished the record of key 1"), std::string::npos) << r.summary;
    EXPECT_TRUE(in_zone(w, key1));

    // Faults: SERVFAIL and bogus change nothing and are critical.
    for (const auto mode : {FakeDns::Mode::servfail, FakeDns::Mode::bogus}) {
        w.dns.mode = mode;
        const std::string before = w.snapshot();
        r = e.auto_pass(t0 + day * 368);
        EXPECT_EQ(r.health.level, HealthLevel::critical);
        EXPECT_EQ(w.snapshot(), before);
    }
    w.dns.mode = FakeDns::Mode::secure;

    // Fault: a wrong TSIG secret is critical on the day it breaks.
    w.publisher.wrong_secret = true;
    r = e.auto_pass(t0 + day * 369);
    EXPECT_EQ(r.health.level, HealthLevel::critical);
    EXPECT_NE(r.health.message.find("BADSIG"), std::string::npos) << r.health.message;
    w.publisher.wrong_secret = false;
    r = e.auto_pass(t0 + day * 369);
    EXPECT_EQ(r.health.level, HealthLevel::ok) << r.health.message;

    // Fault: the reload fails on the day of the switch: switched back.
    w.mta->reload_fails = true;
    r = e.auto_pass(t0 + day * 375);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::failed) << r.summary;
    EXPECT_EQ(*w.store->linked, key1);
    EXPECT_EQ(w.current(), key1);
    EXPECT_TRUE(in_zone(w, key1));
    w.mta->reload_fails = false;

    // Fault: the MTA serves a third key: the proof fails, nothing changes.
    w.mta->third = rec(0x33);
    r = e.auto_pass(t0 + day * 376);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::failed) << r.summary;
    EXPECT_EQ(w.current(), key1);
    w.dns.zone.push_back(rec(0x44));
    r = e.status(t0 + day * 376, true);
    EXPECT_EQ(r.health.level, HealthLevel::critical) << r.health.message;
    w.dns.zone.pop_back();
    w.mta->third.reset();

    // Day 377: the switch, proven; the old record withdrawn.
    r = e.auto_pass(t0 + day * 377);
    ASSERT_EQ(r.outcome, rollover::Report::Outcome::acted) << r.summary;
    EXPECT_EQ(w.current(), key2);
    EXPECT_EQ(*w.mta->served, key2);
    EXPECT_FALSE(in_zone(w, key1));
    EXPECT_TRUE(in_zone(w, key2));

    // Day 378: retire the old key's files.
    r = e.auto_pass(t0 + day * 378);
    ASSERT_EQ(r.outcome, rollover::Report::Outcome::acted) << r.summary;
    EXPECT_NE(r.summary.find("retired key 1"), std::string::npos) << r.summary;
    EXPECT_EQ(rotation::old_key(w.state()), nullptr);

    // And quiet again until the next year.
    r = e.auto_pass(t0 + day * 380);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::nothing_to_do) << r.summary;
    EXPECT_EQ(r.health.level, HealthLevel::ok);
}

/// A secure answer of one address of `family`.
dns::Answer address_answer(dns::Security sec, bool v6) {
    dns::Answer a;
    a.security = sec;
    a.rcode = sec == dns::Security::bogus ? 2 : 0;
    a.why_bogus = sec == dns::Security::bogus ? "signature expired" : "";
    a.ttl = 3600;
    if (sec != dns::Security::bogus) {
        a.records.emplace_back(dns::Address{v6, v6 ? "2001:db8::1" : "192.0.2.1"});
    }
    return a;
}

// Status (with a probe) and the daily pass walk the host as `check --mx`
// does (issue #22): what the key timeline cannot see comes from there.
TEST(Engine, StatusAndTheDailyPassWalkTheHostAsASender) {
    World w;
    w.mta->sender_probe = smtp::Outcome::validated;
    w.dns.other[dns::RrType::a] = address_answer(dns::Security::secure, false);
    w.dns.other[dns::RrType::aaaa] = address_answer(dns::Security::secure, true);
    auto e = w.engine();
    auto r = e.status(t0 + day, true);
    EXPECT_EQ(r.health.level, HealthLevel::ok) << r.health.message;

    // An AAAA RRset that turned bogus: senders skip IPv6 and deliver over IPv4.
    w.dns.other[dns::RrType::aaaa] = address_answer(dns::Security::bogus, true);
    r = e.status(t0 + day, true);
    EXPECT_EQ(r.health.level, HealthLevel::warning) << r.health.message;
    EXPECT_NE(r.health.message.find("but not on every path: AAAA lookup bogus"), std::string::npos) << r.health.message;
    r = e.auto_pass(t0 + day);
    EXPECT_EQ(r.health.level, HealthLevel::warning) << r.health.message;

    // The MTA stopped offering STARTTLS: every sender defers.
    w.dns.other[dns::RrType::aaaa] = address_answer(dns::Security::secure, true);
    w.mta->sender_probe = smtp::Outcome::no_starttls;
    r = e.status(t0 + day, true);
    EXPECT_EQ(r.health.level, HealthLevel::critical) << r.health.message;
    EXPECT_NE(r.health.message.find("DANE-validating senders defer mail to mx1.example.net"), std::string::npos)
        << r.health.message;
    r = e.auto_pass(t0 + day);
    EXPECT_EQ(r.health.level, HealthLevel::critical) << r.health.message;

    // Without a probe (status's default), no walk: the timeline alone.
    r = e.status(t0 + day);
    EXPECT_EQ(r.health.level, HealthLevel::ok) << r.health.message;
}

// Issue #23, point 1: the whole TLSA RRset of the key in service deleted
// (a secure denial) is DANE switched off behind the admin's back: the pass
// republishes the record and says so; it never passes over it with exit 0.
TEST(Engine, AWholeRrsetDeletedIsHealedNotPassedOver) {
    World w;
    auto e = w.engine();
    (void)e.auto_pass(t0 + day); // the record is seen published, and recorded
    ASSERT_TRUE(rotation::current_key(w.state())->published);
    w.dns.zone.clear();
    auto r = e.status(t0 + day * 2);
    EXPECT_EQ(r.health.level, HealthLevel::warning);
    EXPECT_NE(r.health.message.find("DANE is off and nobody disabled it"), std::string::npos) << r.health.message;
    r = e.auto_pass(t0 + day * 2);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::acted) << r.summary;
    EXPECT_TRUE(in_zone(w, w.current()));
    EXPECT_NE(r.health.message.find("DANE was off, and the record is republished now"), std::string::npos)
        << r.health.message;

    // Without a publisher: a failed pass that names the record.
    World v;
    auto f = v.engine(false);
    (void)f.auto_pass(t0 + day);
    v.dns.zone.clear();
    r = f.auto_pass(t0 + day * 2);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::failed);
    ASSERT_EQ(r.to_publish.size(), 1U);
    EXPECT_EQ(r.to_publish.front(), v.current());
}

// ... unless the admin said so: then the pass is quiet, and nothing that
// would publish a record runs until DANE is enabled again.
TEST(Engine, DaneDisabledByTheAdminIsQuietAndRefusesToPublish) {
    World w;
    auto e = w.engine();
    (void)e.auto_pass(t0 + day);
    auto r = e.disable(t0 + day);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::acted);
    ASSERT_TRUE(w.state().dane_disabled);
    EXPECT_EQ(*w.state().dane_disabled, t0 + day);
    EXPECT_EQ(e.disable(t0 + day).outcome, rollover::Report::Outcome::nothing_to_do);
    w.dns.zone.clear();
    r = e.auto_pass(t0 + day * 2);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::nothing_to_do) << r.summary;
    EXPECT_NE(r.summary.find("disabled by the admin since 2026-11-29T12:00:00Z"), std::string::npos) << r.summary;
    EXPECT_EQ(r.health.level, HealthLevel::ok) << r.health.message;
    EXPECT_TRUE(w.dns.zone.empty());
    try {
        (void)e.stage(t0 + day * 2);
        ADD_FAILURE() << "stage published while DANE is disabled";
    } catch (const Error& err) {
        EXPECT_EQ(err.code(), Errc::refused);
        EXPECT_NE(std::string(err.what()).find("is disabled by the admin since"), std::string::npos) << err.what();
    }
    EXPECT_THROW((void)e.emergency(t0 + day * 2), Error);
    EXPECT_TRUE(w.dns.zone.empty());
    EXPECT_EQ(e.enable(t0 + day * 3).outcome, rollover::Report::Outcome::acted);
    EXPECT_FALSE(w.state().dane_disabled);
    r = e.auto_pass(t0 + day * 3);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::acted) << r.summary;
    EXPECT_TRUE(in_zone(w, w.current()));
}

// A failed TLSA lookup is the host's only when the trust anchor's zone
// validates; when it does not either, this machine cannot validate.
TEST(Engine, AFailedLookupIsThisMachinesWhenTheAnchorsZoneFailsToo) {
    World w;
    auto e = w.engine();
    w.dns.mode = FakeDns::Mode::servfail;
    EXPECT_EQ(e.status(t0 + day).health.level, HealthLevel::critical);
    w.dns.anchor_broken = true;
    try {
        (void)e.status(t0 + day);
        ADD_FAILURE() << "a machine that cannot validate blamed the host";
    } catch (const Error& err) {
        EXPECT_EQ(err.code(), Errc::io);
        EXPECT_EQ(std::string(err.what())
                      .rfind("this machine cannot validate: the SOA lookup of the trust anchor's "
                             "zone . failed (rcode 2)",
                             0),
                  0U)
            << err.what();
    }
    EXPECT_THROW((void)e.auto_pass(t0 + day), Error);
}

// Issue #23, point 9: a key mxdane retired whose record is still in the
// RRset is a key an attacker can still use: status warns, auto withdraws
// that record (and only it).
TEST(Engine, ARetiredKeysRecordLeftInDnsIsWithdrawn) {
    World w;
    rotation::State s = w.state();
    rotation::KeyTimeline old;
    old.id = 9;
    old.key_file = s.keys.front().key_file.parent_path() / "retired" / "old-9.key";
    old.cert_file = s.keys.front().cert_file.parent_path() / "retired" / "old-9.crt";
    old.record = rec(9);
    old.created = t0 - day * 400;
    old.published = t0 - day * 399;
    old.active = t0 - day * 390;
    old.retired = t0 - day * 10;
    old.removed = t0 - day * 5;
    s.keys.insert(s.keys.begin(), old);
    rotation::save(w.layout.state_file(), s);
    w.dns.zone.push_back(rec(9));
    auto e = w.engine();
    auto r = e.status(t0 + day);
    EXPECT_EQ(r.health.level, HealthLevel::warning);
    EXPECT_NE(r.health.message.find("DNS still publishes the record of key 9"), std::string::npos) << r.health.message;
    EXPECT_NE(r.health.message.find("retired on 2026-11-18T12:00:00Z"), std::string::npos) << r.health.message;
    r = e.auto_pass(t0 + day);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::acted) << r.summary;
    EXPECT_EQ(r.summary, "withdrew the record of key 9, retired but still published");
    EXPECT_FALSE(in_zone(w, rec(9)));
    EXPECT_TRUE(in_zone(w, w.current()));
    EXPECT_EQ(r.health.level, HealthLevel::ok) << r.health.message;
}

TEST(Engine, NoPublisherHealFailsWithTheRecordToPublish) {
    World w;
    auto e = w.engine(false);
    w.dns.zone = {rec(7)};
    const auto r = e.auto_pass(t0 + day);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::failed);
    ASSERT_EQ(r.to_publish.size(), 1U);
    EXPECT_EQ(r.to_publish.front(), w.current());
}

TEST(Engine, NeverWithdrawsTheKeyInService) {
    World w;
    w.settings.force = true;
    auto e = w.engine();
    // A pass with the in-service record published does not touch it.
    (void)e.auto_pass(t0 + day);
    EXPECT_TRUE(in_zone(w, w.current()));
}

TEST(Engine, DryRunChangesNothing) {
    World w;
    w.settings.dry_run = true;
    auto e = w.engine();
    const std::string before = w.snapshot();
    auto r = e.auto_pass(t0 + day * 366);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::acted) << r.summary;
    EXPECT_FALSE(r.actions.empty());
    for (const auto& a : r.actions) {
        EXPECT_TRUE(a.dry_run) << a.text;
    }
    r = e.stage(t0 + day * 366);
    r = e.emergency(t0 + day * 366);
    EXPECT_EQ(w.snapshot(), before);
    EXPECT_EQ(w.mta->reloads, 0);
    EXPECT_EQ(w.publisher.applied, 0);
}

TEST(Engine, EmergencyPublishesSwitchesAndWithdraws) {
    World w;
    auto e = w.engine();
    const auto bad = w.current();
    const auto r = e.emergency(t0 + day * 10);
    ASSERT_EQ(r.outcome, rollover::Report::Outcome::acted) << r.summary;
    const auto good = w.current();
    EXPECT_NE(good, bad);
    EXPECT_TRUE(in_zone(w, good));
    EXPECT_FALSE(in_zone(w, bad));
    EXPECT_EQ(*w.mta->served, good);
    ASSERT_FALSE(r.warnings.empty());
    EXPECT_NE(r.warnings.front().find("cached"), std::string::npos);
}

TEST(Engine, EmergencyWithoutPublisherLeavesStatusCriticalAboutTheNewRecord) {
    World w;
    auto e = w.engine(false);
    (void)e.emergency(t0 + day * 10);
    const auto r = e.status(t0 + day * 10);
    EXPECT_EQ(r.health.level, HealthLevel::critical);
    EXPECT_NE(r.health.message.find("key 2, the key in service"), std::string::npos) << r.health.message;
}

TEST(Engine, AFailedProofWithoutReloadSaysSo) {
    World w;
    w.mta->has_reload = false;
    auto e = w.engine(false);
    const auto r = e.emergency(t0 + day);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::failed);
    const bool said = std::any_of(r.actions.begin(), r.actions.end(), [](const rollover::Action& a) {
        return a.text.find("no reload command was given") != std::string::npos;
    });
    EXPECT_TRUE(said);
}

TEST(Engine, TheNextKeyInheritsTheKeyGroup) {
    World w;
    // The current key readable by a group (this test's own, so chown works).
    const auto cur = *rotation::current_key(w.state());
    ASSERT_EQ(::chown(cur.key_file.c_str(), static_cast<uid_t>(-1), ::getegid()), 0);
    ASSERT_EQ(::chmod(cur.key_file.c_str(), 0440), 0);
    auto e = w.engine();
    const auto r = e.stage(t0 + day * 365);
    const auto* next = rotation::next_key(r.state);
    ASSERT_NE(next, nullptr);
    struct stat st {};
    ASSERT_EQ(::stat(next->key_file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777U, 0440U);
    EXPECT_EQ(st.st_gid, ::getegid());
}

TEST(Engine, AKeyReadByItsOwnerOnlyStaysSo) {
    World w;
    auto e = w.engine();
    const auto r = e.stage(t0 + day * 365);
    struct stat st {};
    ASSERT_EQ(::stat(rotation::next_key(r.state)->key_file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777U, 0400U);
}

TEST(Engine, StatusWithoutStateNamesInit) {
    World w;
    fs::remove(w.layout.state_file());
    auto e = w.engine();
    try {
        (void)e.status(t0);
        FAIL();
    } catch (const Error& err) {
        EXPECT_NE(std::string(err.what()).find("rollover init"), std::string::npos);
    }
}

} // namespace
