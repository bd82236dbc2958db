// Issue #23 with the fakes of engine_fakes.h: the issuer is part of the
// state (renewal keeps it, a CA certificate is never silently renewed
// self-signed), and a dry run is the plan (every kind of pass, run once as
// a dry run and once for real on the same state, plans exactly the actions
// it then takes).
#include "engine_fakes.h"

namespace {
using namespace engine_test;

std::vector<std::string> kinds(const rollover::Report& r) {
    std::vector<std::string> out;
    for (const auto& a : r.actions) {
        // The state file is bookkeeping: a dry run says it would write it,
        // a real step writes it without an action line.
        if (a.kind != rollover::Action::Kind::write_state) {
            out.emplace_back(rollover::action_kind_name(a.kind));
        }
    }
    return out;
}

std::string texts(const rollover::Report& r) {
    std::string out = r.summary + "\n";
    for (const auto& a : r.actions) {
        out += "  " + std::string(rollover::action_kind_name(a.kind)) + ": " + a.text + "\n";
    }
    return out;
}

/// One pass at `now`, first as a dry run, then for real: the dry run
/// changes nothing, and plans the outcome and the actions the real pass
/// then has.
rollover::Report dry_then_real(World& w, rotation::TimePoint now, const std::string& scenario) {
    const std::string before = w.snapshot();
    const int applied = w.publisher.applied;
    const int reloads = w.mta->reloads;
    w.settings.dry_run = true;
    const auto dry = w.engine().auto_pass(now);
    w.settings.dry_run = false;
    EXPECT_EQ(w.snapshot(), before) << scenario << ": the dry run changed something";
    EXPECT_EQ(w.publisher.applied, applied) << scenario;
    EXPECT_EQ(w.mta->reloads, reloads) << scenario;
    for (const auto& a : dry.actions) {
        EXPECT_TRUE(a.dry_run) << scenario << ": " << a.text;
    }
    const auto real = w.engine().auto_pass(now);
    for (const auto& a : real.actions) {
        EXPECT_FALSE(a.dry_run) << scenario << ": " << a.text;
    }
    // An action the world refused (an issue command that fails) is the
    // one outcome a plan cannot foresee; the actions are the same.
    const bool refused = std::any_of(real.actions.begin(), real.actions.end(), [](const auto& a) { return !a.ok; });
    EXPECT_EQ(dry.outcome, refused ? rollover::Report::Outcome::acted : real.outcome)
        << scenario << "\nplanned: " << texts(dry) << "took: " << texts(real);
    EXPECT_EQ(kinds(dry), kinds(real)) << scenario << "\nplanned: " << texts(dry) << "took: " << texts(real);
    return real;
}

/// The state of `w` with key 1's issuer recorded as `issuer`.
void record_issuer(World& w, const std::optional<reissue::Issuer>& issuer) {
    rotation::State s = w.state();
    s.keys.front().issuer = issuer;
    rotation::save(w.layout.state_file(), s);
}

TEST(DryRunIsThePlan, EveryKindOfPassPlansTheActionsItTakes) {
    World w;
    w.issuer->command = true;
    const auto key1 = w.current();

    // Renew: the certificate in service has ten days left.
    w.store->not_after[1] = t0 + day * 40;
    auto r = dry_then_real(w, t0 + day * 30, "renew");
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::acted) << r.summary;
    EXPECT_EQ(w.issuer->asked.size(), 1U);

    // Nothing due.
    r = dry_then_real(w, t0 + day * 31, "nothing to do");
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::nothing_to_do) << r.summary;

    // Stage, with the issue command signing the new key's certificate.
    w.store->not_after[1] = t0 + day * 900;
    r = dry_then_real(w, t0 + day * 365, "stage");
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::acted) << r.summary;
    const auto key2 = rotation::next_key(w.state())->record;

    // Publish: the next key's record vanished from DNS.
    std::erase(w.dns.zone, key2);
    r = dry_then_real(w, t0 + day * 366, "publish");
    EXPECT_TRUE(in_zone(w, key2));

    // Wait for caches.
    r = dry_then_real(w, t0 + day * 367, "wait");
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::waiting) << r.summary;

    // Heal: the record of the key in service deleted mid-wait.
    std::erase(w.dns.zone, key1);
    r = dry_then_real(w, t0 + day * 368, "heal");
    EXPECT_TRUE(in_zone(w, key1));

    // Activate, proven live, and the old record withdrawn.
    r = dry_then_real(w, t0 + day * 380, "activate");
    EXPECT_EQ(w.current(), key2) << r.summary;
    EXPECT_FALSE(in_zone(w, key1));

    // Unpublish: the old record came back (a slow secondary's copy).
    w.dns.zone.push_back(key1);
    r = dry_then_real(w, t0 + day * 381, "unpublish");
    EXPECT_FALSE(in_zone(w, key1));

    // Retire the old key's files.
    r = dry_then_real(w, t0 + day * 382, "retire");
    EXPECT_EQ(rotation::old_key(w.state()), nullptr) << r.summary;

    // Withdraw the retired key's record, published again by someone.
    w.dns.zone.push_back(key1);
    r = dry_then_real(w, t0 + day * 383, "withdraw");
    EXPECT_FALSE(in_zone(w, key1));

    // A failing issuer: planned as the renewal it then fails to make.
    w.store->not_after[2] = t0 + day * 390;
    w.issuer->fails = true;
    r = dry_then_real(w, t0 + day * 384, "renewal that fails");
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::failed) << r.summary;
}

TEST(DryRunIsThePlan, ARefusedIssuerIsPlannedAsTheRefusal) {
    World w;
    record_issuer(w, std::nullopt);  // as an older mxdane wrote it
    w.store->self_signed[1] = false; // a CA's certificate, no issuer known
    w.store->not_after[1] = t0 + day * 40;
    const auto r = dry_then_real(w, t0 + day * 30, "CA certificate, no issuer");
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::failed);
}

/// The daily pass on day `at` of a host whose key 1 has `issuer` recorded,
/// a certificate from a CA (or self-signed) that ends on day `ends`.
rollover::Report pass_with(World& w, const std::optional<reissue::Issuer>& issuer, bool from_ca, int ends, int at) {
    record_issuer(w, issuer);
    w.store->self_signed[1] = !from_ca;
    w.store->not_after[1] = t0 + day * ends;
    return w.engine().auto_pass(t0 + day * at);
}

TEST(Issuer, RenewalKeepsTheIssueCommandRecordedForTheCertificateInService) {
    World w;
    // As `reissue --issue-command ...` given on the command line leaves it:
    // recorded in the state, absent from the settings the timer reads.
    const reissue::Issuer certbot{"/etc/mxdane/issue-certbot", std::chrono::seconds(600)};
    const auto r = pass_with(w, certbot, true, 40, 30);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::acted) << r.summary;
    ASSERT_EQ(w.issuer->used.size(), 1U);
    EXPECT_EQ(w.issuer->used[0], certbot);
    EXPECT_NE(r.summary.find("issued by the issue command"), std::string::npos) << r.summary;
}

TEST(Issuer, ACaCertificateIsNeverRenewedSelfSignedWithoutTheAdminsWord) {
    World w;
    record_issuer(w, std::nullopt); // as an older mxdane wrote it
    w.store->self_signed[1] = false;
    w.store->not_after[1] = t0 + day * 40;
    // Not due yet: status warns ahead of the renewal.
    auto r = w.engine().status(t0 + day);
    EXPECT_EQ(r.health.level, HealthLevel::ok) << r.health.message;
    ASSERT_FALSE(r.warnings.empty());
    EXPECT_NE(r.warnings.back().find("comes from a CA, and no issuer is configured or recorded"), std::string::npos)
        << r.warnings.back();
    // Due: the pass refuses, critical, and installs nothing.
    const std::string before = w.snapshot();
    r = w.engine().auto_pass(t0 + day * 30);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::failed) << r.summary;
    EXPECT_EQ(r.health.level, HealthLevel::critical) << r.health.message;
    EXPECT_NE(r.summary.find("set the issue command setting, or choose the self-signed issuer setting"),
              std::string::npos)
        << r.summary;
    EXPECT_TRUE(w.issuer->asked.empty());
    r = w.engine().status(t0 + day * 30);
    EXPECT_EQ(r.health.level, HealthLevel::critical) << r.health.message;
    // The admin's explicit word: self-signed from now on, recorded.
    w.issuer->explicit_self = true;
    r = w.engine().auto_pass(t0 + day * 30);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::acted) << r.summary;
    ASSERT_EQ(w.issuer->used.size(), 1U);
    EXPECT_TRUE(w.issuer->used[0].command.empty());
    EXPECT_NE(w.snapshot(), before);
}

TEST(Issuer, AConfiguredCommandWinsOverTheRecordedSelfSigned) {
    World w;
    w.issuer->command = true;
    const auto r = pass_with(w, reissue::Issuer{}, false, 40, 30);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::acted) << r.summary;
    ASSERT_EQ(w.issuer->used.size(), 1U);
    EXPECT_EQ(w.issuer->used[0].command, "/usr/local/bin/issue-cert");
    EXPECT_EQ(rotation::current_key(w.state())->issuer, w.issuer->used[0]);
}

TEST(Issuer, AStagedKeyOfACaHostGetsTheRecordedIssuersCertificate) {
    World w;
    const reissue::Issuer ca{"/etc/mxdane/issue-ca", std::chrono::seconds(300)};
    const auto r = pass_with(w, ca, true, 900, 365);
    EXPECT_EQ(r.outcome, rollover::Report::Outcome::acted) << r.summary;
    ASSERT_EQ(w.issuer->asked.size(), 1U);
    EXPECT_EQ(w.issuer->asked[0], reissue::Which::next);
    EXPECT_EQ(w.issuer->used[0], ca);
    EXPECT_EQ(rotation::next_key(w.state())->issuer, ca);
}

TEST(Issuer, ReissueByTheAdminRefusesACaToSelfChangeAndNamesTheFix) {
    World w;
    record_issuer(w, std::nullopt);
    w.store->self_signed[1] = false;
    try {
        (void)w.engine().renew_certificate(t0 + day, reissue::Which::current, {});
        FAIL() << "renewed a CA certificate self-signed";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::refused);
        EXPECT_NE(std::string(e.what()).find("comes from a CA"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("Nothing was done"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(w.issuer->asked.empty());
}

TEST(Issuer, ChooseFollowsConfiguredThenRecordedThenSelfSigned) {
    rotation::KeyTimeline k;
    k.id = 3;
    k.cert_file = "/etc/pki/tls/certs/mx1.example.net-MX-CA-20261207.crt";
    const reissue::Issuer cmd{"/bin/issue", std::chrono::seconds(60)};
    EXPECT_EQ(*reissue::choose_issuer(cmd, k, true), cmd);
    EXPECT_EQ(*reissue::choose_issuer(reissue::Issuer{}, k, false), reissue::Issuer{});
    EXPECT_EQ(*reissue::choose_issuer(std::nullopt, k, true), reissue::Issuer{});
    const auto refused = reissue::choose_issuer(std::nullopt, k, false);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().find("key 3 (/etc/pki/tls/certs/mx1.example.net-MX-CA-20261207.crt) comes from a CA"),
              std::string::npos)
        << refused.error();
    k.issuer = cmd;
    EXPECT_EQ(*reissue::choose_issuer(std::nullopt, k, false), cmd);
}

} // namespace

namespace {
using namespace engine_test;

TEST(StatusOnlyLooks, ItTakesNoLockAndWritesNothing) {
    World w;
    const std::string before = w.snapshot();
    // Another mxdane holds the host lock: status still answers.
    const auto held = rollover::lock_host(w.layout, std::chrono::seconds(0), true);
    const std::string locked = w.snapshot();
    auto r = w.engine().status(t0 + day);
    EXPECT_EQ(r.health.level, HealthLevel::ok) << r.health.message;
    EXPECT_EQ(w.snapshot(), locked);
    EXPECT_FALSE(rotation::current_key(w.state())->published);
    (void)before;
}

TEST(StatusOnlyLooks, ANextKeySeenForTheFirstTimeIsSaidNotRecorded) {
    World w;
    w.settings.publish_ttl = 300;
    (void)w.engine().stage(t0 + day);
    (void)w.engine().auto_pass(t0 + day); // publishes the next key's record
    const std::string before = w.snapshot();
    const auto r = w.engine().status(t0 + day * 2);
    EXPECT_EQ(w.snapshot(), before);
    ASSERT_FALSE(r.warnings.empty());
    EXPECT_NE(r.warnings.front().find("DNS shows the record of key 2 now; this look records nothing"),
              std::string::npos)
        << r.warnings.front();
}

} // namespace
