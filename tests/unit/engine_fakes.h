// Fakes of the rollover engine's collaborators, shared by the engine's
// unit tests (test_engine.cpp, test_engine_certs.cpp): a DNS view the test
// controls, a publisher that edits it, an MTA that serves what the stable
// names point at after a reload, a certificate issuer. Key files are real
// (a temporary directory): the engine's file store is the library's own.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <sys/stat.h>
#include <unistd.h>

#include "../cli/cli_harness.h"
#include "mxdane/engine.h"
#include "mxdane/error.h"
#include "mxdane/health.h"
#include "mxdane/keygen.h"
#include "mxdane/rollover.h"
#include "rollover_host.h"

namespace engine_test {
using namespace mxdane;
using rotation::DnsView;
using rotation::HealthLevel;
namespace fs = std::filesystem;
using std::chrono::hours;

inline const rotation::TimePoint t0 = rotation::Clock::from_time_t(1795867200); // 2026-11-28T12:00:00Z
constexpr auto day = hours(24);

inline tlsa::Record rec(std::uint8_t fill) {
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
    /// Answers for other types than TLSA (a sender's walk asks A and
    /// AAAA); a type not here gets the TLSA answer's mode and records.
    std::map<dns::RrType, dns::Answer> other;

    /// The trust anchor's zone does not validate either: this machine
    /// cannot validate at all (else its SOA answers secure, and a bogus or
    /// failed TLSA answer is the host's own).
    bool anchor_broken = false;

    dns::Answer resolve(std::string_view name, dns::RrType type) override {
        ++lookups;
        if (type == dns::RrType::soa && name == "." && !anchor_broken) {
            dns::Answer a;
            a.qname = ".";
            a.qtype = type;
            a.security = dns::Security::secure;
            return a;
        }
        if (const auto it = other.find(type); it != other.end()) {
            dns::Answer a = it->second;
            a.qname = std::string(name);
            a.qtype = type;
            return a;
        }
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
    // No waiting for a lock another test holds: the engine's answer at once.
    explicit WatchedStore(const rollover::Layout& l) : m_real(rollover::make_file_store(l, std::chrono::seconds(0))) {}
    std::optional<tlsa::Record> linked;
    int saves = 0;
    /// What the fake issuer installed, by key id (else the real files').
    std::map<std::uint32_t, rotation::TimePoint> not_after;
    std::map<std::uint32_t, bool> self_signed;
    /// notBefore by key id; nullopt for the others (the real files' are
    /// today's, and the tests' clock is 2026-11-28).
    std::map<std::uint32_t, rotation::TimePoint> not_before;

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
    std::optional<store::FileLock> lock(bool pass, bool& repaired) override { return m_real->lock(pass, repaired); }
    rotation::TimePoint cert_not_after(const rotation::KeyTimeline& key) override {
        const auto it = not_after.find(key.id);
        return it != not_after.end() ? it->second : m_real->cert_not_after(key);
    }
    std::optional<rotation::TimePoint> cert_not_before(const rotation::KeyTimeline& key) override {
        const auto it = not_before.find(key.id);
        return it != not_before.end() ? std::optional(it->second) : std::nullopt;
    }
    bool cert_self_signed(const rotation::KeyTimeline& key) override {
        const auto it = self_signed.find(key.id);
        return it != self_signed.end() ? it->second : m_real->cert_self_signed(key);
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
    /// Set: the outcome of a sender's probe of any address (served: what it
    /// serves); unset: this MTA control cannot probe, as before.
    std::optional<smtp::Outcome> sender_probe;
    [[nodiscard]] bool probes_as_sender() const override { return sender_probe.has_value(); }
    smtp::ProbeResult probe_as_sender(const smtp::ProbeRequest& req) override {
        smtp::ProbeResult res;
        res.outcome = sender_probe.value_or(smtp::Outcome::connect_failed);
        res.served = third ? third : served;
        if (res.outcome == smtp::Outcome::validated && res.served) {
            res.matched = *res.served;
        }
        res.reason = std::string(smtp::outcome_name(res.outcome)) + " at " + req.address;
        return res;
    }
    [[nodiscard]] std::string where() const override { return "127.0.0.1:25"; }

  private:
    WatchedStore& m_store;
};

/// Installs a certificate of its own validity by marking it in the store;
/// `fails`: refuses as an issue command that exited 1 does.
class FakeIssuer final : public rollover::CertIssuer {
  public:
    explicit FakeIssuer(WatchedStore& store) : m_store(store) {}
    bool command = false;       ///< an issue command is configured
    bool explicit_self = false; ///< self-signed is configured explicitly
    bool fails = false;
    std::vector<reissue::Which> asked;
    std::vector<reissue::Issuer> used; ///< the issuer of each renewal

    [[nodiscard]] std::optional<reissue::Issuer> configured() const override {
        if (command) {
            return reissue::Issuer{"/usr/local/bin/issue-cert", std::chrono::seconds(300)};
        }
        if (explicit_self) {
            return reissue::Issuer{};
        }
        return std::nullopt;
    }
    reissue::Result renew(rotation::State& s, reissue::Which which, rotation::TimePoint now,
                          const std::vector<std::string>& /*names*/, const reissue::Issuer& issuer) override {
        asked.push_back(which);
        used.push_back(issuer);
        const bool issued = !issuer.command.empty();
        if (fails) {
            throw Error(Errc::refused, "the issue command failed with exit status 1; nothing was installed");
        }
        auto* key = which == reissue::Which::current ? rotation::current_key(s) : rotation::next_key(s);
        reissue::Result r;
        r.key_id = key->id;
        r.names = {s.host};
        r.issued = issued;
        r.chain_length = issued ? 1 : 0;
        r.not_after = now + std::chrono::hours(24) * (issued ? 90 : 1096);
        r.new_cert = key->cert_file;
        key->issuer = issuer;
        m_store.not_after[key->id] = r.not_after;
        m_store.self_signed[key->id] = !issued;
        m_store.save(s); // as reissue::run records the new certificate
        return r;
    }

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
    std::unique_ptr<FakeIssuer> issuer;
    rollover::EngineSettings settings;

    World() {
        const auto host = test::make_rollover_host(dir.path(), {"mx1.example.net"}, t0, t0);
        layout = host.layout;
        store = std::make_unique<WatchedStore>(layout);
        store->linked = host.state.keys.front().record;
        mta = std::make_unique<FakeMta>(*store);
        mta->served = store->linked;
        issuer = std::make_unique<FakeIssuer>(*store);
        dns.zone = {host.state.keys.front().record};
        settings.layout = layout;
        settings.policy.margin = day * 7;
    }
    rollover::Engine engine(bool with_publisher = true) {
        return rollover::Engine(settings, rollover::Collaborators{dns, *store, with_publisher ? &publisher : nullptr,
                                                                  mta.get(), issuer.get()});
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

inline bool in_zone(const World& w, const tlsa::Record& r) {
    return std::find(w.dns.zone.begin(), w.dns.zone.end(), r) != w.dns.zone.end();
}

} // namespace engine_test
