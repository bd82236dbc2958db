// The rollover engine and its health verdicts, with fakes: a DNS view the
// test controls, a publisher that edits it, an MTA that serves what the
// stable names point at after a reload. A whole year runs with no sleeping.
// Key files are real (a temporary directory): the engine's file store is
// the library's own.
#include <gtest/gtest.h>

#include <algorithm>
#include <sys/stat.h>
#include <unistd.h>

#include "../cli/cli_harness.h"
#include "mxdane/engine.h"
#include "mxdane/error.h"
#include "mxdane/health.h"
#include "mxdane/keygen.h"
#include "mxdane/rollover.h"

namespace {
using namespace mxdane;
using rotation::DnsView;
using rotation::HealthLevel;
namespace fs = std::filesystem;
using std::chrono::hours;

const rotation::TimePoint t0 = rotation::Clock::from_time_t(1795867200); // 2026-11-28T12:00:00Z
constexpr auto day = hours(24);

tlsa::Record rec(std::uint8_t fill) {
    return tlsa::Record{3, 1, 1, tlsa::Bytes(32, fill)};
}

/// A signed zone as a validating resolver sees it.
class FakeDns final : public dns::Resolver {
  public:
    enum class Mode { secure, insecure, bogus, servfail };
    Mode mode = Mode::secure;
    std::vector<tlsa::Record> zone;
    std::uint32_t ttl = 3600;
    int lookups = 0;

    dns::Answer resolve(std::string_view name, dns::RrType type) override {
        ++lookups;
        dns::Answer a;
        a.qname = std::string(name);
        a.qtype = type;
        switch (mode) {
        case Mode::servfail:
            a.rcode = 2;
            return a;
        case Mode::bogus:
            a.rcode = 2;
            a.security = dns::Security::bogus;
            a.why_bogus = "signature expired";
            return a;
        case Mode::insecure:
            a.security = dns::Security::insecure;
            break;
        case Mode::secure:
            a.security = dns::Security::secure;
            break;
        }
        a.ttl = ttl;
        for (const auto& r : zone) {
            a.records.emplace_back(r);
        }
        return a;
    }
};

/// Edits the fake zone, like an RFC 2136 server with a TSIG secret.
class FakePublisher final : public publish::Publisher {
  public:
    explicit FakePublisher(FakeDns& dns) : m_dns(dns) {}
    bool wrong_secret = false;
    int applied = 0;
    int checks = 0;

    publish::Outcome apply(const publish::Change& change) override {
        if (wrong_secret) {
            return {publish::Status::badsig, "server rejected the signature (BADSIG)", {}, {}, {}};
        }
        ++applied;
        for (const auto& op : change.ops) {
            auto& z = m_dns.zone;
            const auto it = std::find(z.begin(), z.end(), op.record);
            if (op.action == publish::Action::add && it == z.end()) {
                z.push_back(op.record);
            } else if (op.action == publish::Action::remove && it != z.end()) {
                z.erase(it);
            }
        }
        return {publish::Status::ok, "applied", {}, change.ops, {}};
    }
    publish::Outcome check_credentials(const std::string& /*owner*/) override {
        ++checks;
        if (wrong_secret) {
            return {publish::Status::badsig, "server rejected the signature (BADSIG)", {}, {}, {}};
        }
        return {publish::Status::ok, "verified", {}, {}, {}};
    }
    [[nodiscard]] std::string describe() const override { return "fake"; }

  private:
    FakeDns& m_dns;
};

/// The real file store, remembering what the stable names point at.
class WatchedStore final : public rollover::KeyStore {
  public:
    explicit WatchedStore(const rollover::Layout& l) : m_real(rollover::make_file_store(l)) {}
    std::optional<tlsa::Record> linked;
    int saves = 0;

    std::optional<rotation::State> load() override { return m_real->load(); }
    void save(const rotation::State& s) override {
        ++saves;
        m_real->save(s);
    }
    rotation::KeyTimeline stage(const rollover::StageRequest& r, rotation::State& s) override {
        return m_real->stage(r, s);
    }
    void switch_to(const rotation::KeyTimeline& key) override {
        linked = key.record;
        m_real->switch_to(key);
    }
    rollover::RetireResult retire(rotation::KeyTimeline& old, bool del, rotation::TimePoint now) override {
        return m_real->retire(old, del, now);
    }
    std::optional<std::string> key_group_of(const rotation::KeyTimeline& key) override {
        return m_real->key_group_of(key);
    }

  private:
    std::unique_ptr<rollover::KeyStore> m_real;
};

/// Serves what the stable names pointed at when it last reloaded.
class FakeMta final : public rollover::MtaControl {
  public:
    explicit FakeMta(WatchedStore& store) : m_store(store) {}
    std::optional<tlsa::Record> served;
    std::optional<tlsa::Record> third; ///< serves this whatever it is told
    bool reload_fails = false;
    bool has_reload = true;
    int reloads = 0;

    Reload reload() override {
        if (!has_reload) {
            return Reload{true, false, "no reload command was given"};
        }
        ++reloads;
        if (reload_fails) {
            return Reload{false, true, "the reload command 'fake' exited with status 1"};
        }
        served = m_store.linked;
        return Reload{true, true, "the reload command 'fake' exited with status 0"};
    }
    Proof prove(const tlsa::Record& expected) override {
        Proof p;
        p.served = third ? third : served;
        p.ok = p.served && *p.served == expected;
        p.message = p.ok ? "" : "no TLSA record matched";
        return p;
    }
    [[nodiscard]] std::string where() const override { return "127.0.0.1:25"; }

  private:
    WatchedStore& m_store;
};

struct World {
    test::TempDir dir;
    rollover::Layout layout;
    FakeDns dns;
    FakePublisher publisher{dns};
    std::unique_ptr<WatchedStore> store;
    std::unique_ptr<FakeMta> mta;
    rollover::EngineSettings settings;

    World() {
        layout.host = "mx1.example.net";
        layout.key_dir = dir.path() / "private";
        layout.cert_dir = dir.path() / "certs";
        layout.state_dir = dir.path() / "state";
        keygen::Request kg;
        kg.names = {"mx1.example.net"};
        kg.key_type = x509::KeyType::p256;
        kg.key_dir = layout.key_dir;
        kg.cert_dir = layout.cert_dir;
        kg.now = t0;
        (void)keygen::run(kg);
        rollover::InitRequest init;
        init.layout = layout;
        init.now = t0;
        const auto r = rollover::init(init);
        store = std::make_unique<WatchedStore>(layout);
        store->linked = r.state.keys.front().record;
        mta = std::make_unique<FakeMta>(*store);
        mta->served = store->linked;
        dns.zone = {r.state.keys.front().record};
        settings.layout = layout;
        settings.policy.margin = day * 7;
    }
    rollover::Engine engine(bool with_publisher = true) {
        return rollover::Engine(settings,
                                rollover::Collaborators{dns, *store, with_publisher ? &publisher : nullptr, mta.get()});
    }
    rotation::State state() const { return *rotation::load(layout.state_file()); }
    tlsa::Record current() const { return rotation::current_key(state())->record; }
    std::string snapshot() const {
        std::string s = rotation::to_json(state());
        for (const auto& e : fs::recursive_directory_iterator(dir.path())) {
            s += e.path().string() + "\n";
        }
        for (const auto& r : dns.zone) {
            s += tlsa::rdata_text(r) + "\n";
        }
        return s;
    }
};

bool in_zone(const World& w, const tlsa::Record& r) {
    return std::find(w.dns.zone.begin(), w.dns.zone.end(), r) != w.dns.zone.end();
}

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
