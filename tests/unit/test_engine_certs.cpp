// The rollover engine's certificates and host lock, with the fakes of
// engine_fakes.h: auto renews the certificate in service before it expires
// (same key, no DNS change), a refusing issuer installs nothing, emergency
// and stage take the issuer's certificate, the lock makes auto wait and an
// admin's step fail, status warns of an expiring certificate. No sleeping.
#include "engine_fakes.h"

namespace {
using namespace engine_test;

bool starts(const std::string& s, const std::string& prefix) {
    return s.rfind(prefix, 0) == 0;
}

struct Renewal : ::testing::TestWithParam<bool> {};

TEST_P(Renewal, AutoRenewsACertificateTenDaysFromExpiry) {
    World w;
    w.issuer->command = GetParam();
    const auto now = t0 + day * 30;
    w.store->not_after[1] = now + day * 10;
    const auto zone = w.dns.zone;
    const auto r = w.engine().auto_pass(now);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::acted) << r.summary;
    EXPECT_TRUE(starts(r.summary, "renewed the certificate of key 1 (valid until 2027-01-07T12:00:00Z) with the same "
                                  "key, no DNS change: " +
                                      std::string(GetParam() ? "issued by the issue command" : "self-signed")))
        << r.summary;
    EXPECT_NE(r.summary.find("; proven live"), std::string::npos) << r.summary;
    ASSERT_EQ(w.issuer->asked.size(), 1U);
    EXPECT_EQ(w.issuer->asked[0], reissue::Which::current);
    // A 3 1 1 record pins the key: nothing was published or withdrawn.
    EXPECT_EQ(w.dns.zone, zone);
    EXPECT_EQ(w.publisher.applied, 0);
    // The next pass finds nothing due.
    const auto again = w.engine().auto_pass(now + day);
    EXPECT_EQ(again.outcome, rollover::Report::Outcome::nothing_to_do) << again.summary;
    EXPECT_EQ(w.issuer->asked.size(), 1U);
}

INSTANTIATE_TEST_SUITE_P(SelfAndCommand, Renewal, ::testing::Bool(),
                         [](const auto& p) { return p.param ? "CommandIssuer" : "SelfIssuer"; });

TEST(EngineCerts, NotRenewedWhileMoreThanRenewBeforeIsLeft) {
    World w;
    w.store->not_after[1] = t0 + day * 31;
    const auto r = w.engine().auto_pass(t0);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::nothing_to_do) << r.summary;
    EXPECT_TRUE(w.issuer->asked.empty());
}

TEST(EngineCerts, AFailingIssuerInstallsNothingAndTheCertificateInServiceStays) {
    World w;
    w.issuer->command = true;
    w.issuer->fails = true;
    const auto now = t0 + day * 30;
    w.store->not_after[1] = now + day * 10;
    (void)w.engine().retire(now); // records what DNS shows (bookkeeping, not the renewal); refuses
    const auto before = w.snapshot();
    const auto served = w.mta->served;
    const auto r = w.engine().auto_pass(now);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::failed);
    EXPECT_EQ(r.summary, "FAILED: the issue command failed with exit status 1; nothing was installed");
    EXPECT_EQ(w.snapshot(), before);
    EXPECT_EQ(w.mta->served, served);
    EXPECT_EQ(w.store->not_after[1], now + day * 10);
}

TEST(EngineCerts, StatusWarnsOfAnExpiringCertificate) {
    World w;
    w.store->not_after[1] = t0 + day * 20;
    auto r = w.engine().status(t0 + day);
    ASSERT_EQ(r.warnings.size(), 1U);
    EXPECT_EQ(r.warnings[0], "the certificate of key 1 expires 2026-12-18T12:00:00Z: reissue it with the same key "
                             "('mxdane reissue mx1.example.net'); the 3 1 1 record stays valid");
    r = w.engine().status(t0 + day * 21);
    ASSERT_EQ(r.warnings.size(), 1U);
    EXPECT_TRUE(starts(r.warnings[0], "the certificate of key 1 has expired (2026-12-18T12:00:00Z)")) << r.warnings[0];
    w.store->not_after[1] = t0 + day * 400;
    EXPECT_TRUE(w.engine().status(t0 + day).warnings.empty());
}

// Issue #25: one pass with the clock years ahead renewed the certificate
// into the future and retired the good one. The daily pass acts only on a
// clock the certificate in service makes plausible.
TEST(EngineCerts, TheDailyPassActsOnNoClockTheCertificateInServiceRulesOut) {
    World w;
    const auto before = w.snapshot();
    // Behind the certificate's notBefore.
    w.store->not_before[1] = t0 + day;
    auto r = w.engine().auto_pass(t0);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::failed);
    EXPECT_EQ(r.summary, "FAILED: the clock says 2026-11-28T12:00:00Z, before the certificate in service became valid "
                         "(2026-11-29T12:00:00Z): the clock is behind; fix it. Nothing was done");
    EXPECT_EQ(r.health.level, rotation::HealthLevel::critical);
    EXPECT_TRUE(w.issuer->asked.empty());
    // status says it as a warning: DANE-EE senders do not look at dates.
    const auto s = w.engine().status(t0);
    EXPECT_EQ(s.health.level, rotation::HealthLevel::warning);
    EXPECT_EQ(s.health.message.rfind("the certificate in service is not valid before 2026-11-29T12:00:00Z", 0), 0U)
        << s.health.message;
    w.store->not_before.clear();
    // Far ahead: more than 30 days after the certificate expired.
    w.store->not_after[1] = t0 + day * 100;
    r = w.engine().auto_pass(t0 + day * 131);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::failed);
    EXPECT_EQ(r.summary, "FAILED: the clock says 2027-04-08T12:00:00Z, 31 days after the certificate in service "
                         "expired (2027-03-08T12:00:00Z), which the daily pass renews 30 days ahead: either no pass "
                         "ran for months or the clock is ahead. Nothing was done; check the clock, and when it is "
                         "right renew the certificate by hand (reissue)");
    EXPECT_TRUE(w.issuer->asked.empty());
    EXPECT_EQ(w.snapshot(), before);
    // 29 days after it expired: a pass that missed a few weeks renews.
    World late;
    late.store->not_after[1] = t0 + day * 100;
    r = late.engine().auto_pass(t0 + day * 129);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::acted) << r.summary;
    EXPECT_EQ(late.issuer->asked.size(), 1U);
}

TEST(EngineCerts, TheHostLockMakesAutoWaitAndAnAdminStepFail) {
    World w;
    const auto held = rollover::lock_host(w.layout, std::chrono::seconds(0), true);
    const auto before = w.snapshot();
    const auto r = w.engine().auto_pass(t0 + day * 400);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::waiting);
    EXPECT_TRUE(r.locked_out);
    EXPECT_EQ(r.summary, "another pass for this host is running");
    EXPECT_EQ(w.dns.lookups, 0);
    try {
        (void)w.engine().stage(t0 + day);
        FAIL() << "stage ran while another mxdane held the lock";
    } catch (const Error& e) {
        EXPECT_TRUE(starts(e.what(), "another mxdane is working on mx1.example.net (it holds ")) << e.what();
    }
    EXPECT_THROW((void)w.engine().activate(t0 + day), Error);
    EXPECT_EQ(w.snapshot(), before);
    // A dry run changes nothing and takes no lock.
    w.settings.dry_run = true;
    EXPECT_EQ(w.engine().auto_pass(t0 + day).outcome, rollover::Report::Outcome::nothing_to_do);
}

TEST(EngineCerts, StageTakesTheCertificateOfACommandIssuer) {
    World w;
    w.issuer->command = true;
    const auto r = w.engine().stage(t0 + day);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::acted) << r.summary;
    ASSERT_EQ(w.issuer->asked.size(), 1U);
    EXPECT_EQ(w.issuer->asked[0], reissue::Which::next);
    EXPECT_FALSE(w.store->self_signed.at(2));
}

TEST(EngineCerts, StageWithARefusingIssuerKeepsTheKeyStaged) {
    World w;
    w.issuer->command = true;
    w.issuer->fails = true;
    const auto r = w.engine().stage(t0 + day);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::failed);
    EXPECT_TRUE(r.issuer_failed);
    EXPECT_EQ(r.summary, "the issue command failed with exit status 1; nothing was installed. Key 2 stays staged with "
                         "a self-signed certificate");
    const auto st = w.state();
    const auto* next = rotation::next_key(st);
    ASSERT_NE(next, nullptr);
    EXPECT_TRUE(next->created.has_value());
}

TEST(EngineCerts, EmergencyTakesTheIssuersCertificateBeforeTheSwitch) {
    World w;
    w.issuer->command = true;
    const auto old = w.current();
    const auto r = w.engine().emergency(t0 + day);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::acted) << r.summary;
    ASSERT_EQ(w.issuer->asked.size(), 1U);
    EXPECT_EQ(w.issuer->asked[0], reissue::Which::next);
    EXPECT_NE(w.current(), old);
    EXPECT_EQ(w.mta->served, w.current());
    EXPECT_FALSE(in_zone(w, old));
}

TEST(EngineCerts, EmergencyWithARefusingIssuerDoesNotSwitch) {
    World w;
    w.issuer->command = true;
    w.issuer->fails = true;
    const auto old = w.current();
    const auto r = w.engine().emergency(t0 + day);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::failed);
    EXPECT_TRUE(r.issuer_failed);
    EXPECT_EQ(r.summary, "the issuer did not sign the certificate of key 2: the issue command failed with exit status "
                         "1; nothing was installed; key 2 stays staged (its record is published) and the MTA still "
                         "serves the compromised key 1");
    // The MTA still serves the compromised key, whose record stays; the
    // new key's record is published and the key stays staged.
    EXPECT_EQ(w.current(), old);
    EXPECT_EQ(w.mta->served, old);
    EXPECT_TRUE(in_zone(w, old));
    const auto st = w.state();
    const auto* next = rotation::next_key(st);
    ASSERT_NE(next, nullptr);
    EXPECT_TRUE(in_zone(w, next->record));
    // Without a publisher it says to publish the record now.
    World v;
    v.issuer->command = true;
    v.issuer->fails = true;
    const auto n = v.engine(false).emergency(t0 + day);
    EXPECT_NE(n.summary.find("key 2 stays staged (publish its record now)"), std::string::npos) << n.summary;
    ASSERT_EQ(n.to_publish.size(), 1U);
}

} // namespace
