// The rollover engine (mxdane/engine.h). Each call observes, plans, acts
// through its collaborators and returns a Report; nothing here prints.
// Safety rules that hold for every call (RFC 7671 §8.1, RFC 7672 §3.1):
// the record of the key in service is never withdrawn; a record is only
// published or withdrawn when DNS does not already show that; the MTA is
// switched only to a key whose live proof can be undone (switch back).
#include "mxdane/engine.h"

#include <algorithm>

#include "engine_detail.h"
#include "mxdane/error.h"

namespace mxdane::rollover {

std::string_view action_kind_name(Action::Kind kind) {
    switch (kind) {
    case Action::Kind::publish:
        return "publish";
    case Action::Kind::withdraw:
        return "withdraw";
    case Action::Kind::stage:
        return "stage";
    case Action::Kind::write_state:
        return "write-state";
    case Action::Kind::switch_names:
        return "switch";
    case Action::Kind::reload:
        return "reload";
    case Action::Kind::prove:
        return "prove";
    case Action::Kind::switch_back:
        return "switch-back";
    case Action::Kind::retire:
        return "retire";
    case Action::Kind::check:
        return "check";
    }
    return "check";
}

DnsView view_of(const dns::Answer& a, TimePoint now) {
    DnsView v;
    // A bogus answer comes back as SERVFAIL too: bogus is the stronger fact.
    if (a.security == dns::Security::bogus) {
        v.security = DnsView::Security::bogus;
        v.why = a.why_bogus.empty() ? "no reason given" : a.why_bogus;
        return v;
    }
    if (a.failed()) {
        v.security = DnsView::Security::failed;
        v.why = a.rcode == 2 ? "SERVFAIL" : "RCODE " + std::to_string(a.rcode);
        return v;
    }
    v.security = a.security == dns::Security::secure ? DnsView::Security::secure : DnsView::Security::insecure;
    for (const auto& rd : a.records) {
        if (const auto* rec = std::get_if<tlsa::Record>(&rd)) {
            v.records.push_back(*rec);
        }
    }
    v.exists = !v.records.empty();
    v.ttl = a.ttl;
    if (a.security == dns::Security::secure && a.rrsig_expiration) {
        v.signatures_expire = signature_time(*a.rrsig_expiration, now);
    }
    return v;
}

TimePoint signature_time(std::uint32_t expiration, TimePoint now) {
    const auto here = std::chrono::system_clock::now();
    return now + std::chrono::duration_cast<std::chrono::seconds>(dns::rrsig_time(expiration, here) - here);
}

std::vector<rotation::ServerSeen> seen_of(const Expected<dns::ServerView>& view, TimePoint now) {
    std::vector<rotation::ServerSeen> out;
    if (!view) {
        rotation::ServerSeen unknown;
        unknown.name = "the zone's name servers";
        unknown.why = view.error();
        out.push_back(std::move(unknown));
        return out;
    }
    for (const auto& s : view->servers) {
        rotation::ServerSeen seen;
        seen.name = s.server + " (" + s.address.host + ")";
        seen.answered = s.status == dns::ServerAnswer::Status::answered;
        seen.records = s.records;
        seen.ttl = s.ttl;
        seen.serial = s.serial;
        if (s.rrsig_expiration) {
            seen.signatures_expire = signature_time(*s.rrsig_expiration, now);
            seen.signatures_rrset = s.rrsig_rrset;
        }
        seen.why = seen.answered ? std::string()
                                 : std::string(dns::server_status_name(s.status)) + (s.why.empty() ? "" : ": " + s.why);
        out.push_back(std::move(seen));
    }
    for (const auto& u : view->unresolved) {
        rotation::ServerSeen seen;
        seen.name = u.server;
        seen.why = u.why;
        out.push_back(std::move(seen));
    }
    return out;
}

namespace {

class RealServers final : public AuthoritativeServers {
  public:
    RealServers(dns::Resolver& resolver, dns::ServerResolverFactory factory)
        : m_resolver(resolver), m_factory(std::move(factory)) {}
    Expected<dns::ServerView> ask(const std::string& owner) override {
        return dns::ask_every_server(m_resolver, owner, m_factory);
    }

  private:
    dns::Resolver& m_resolver;
    dns::ServerResolverFactory m_factory;
};

} // namespace

std::unique_ptr<AuthoritativeServers> make_authoritative_servers(dns::Resolver& resolver,
                                                                 dns::ServerResolverFactory factory) {
    return std::make_unique<RealServers>(resolver, std::move(factory));
}

Engine::Engine(EngineSettings settings, Collaborators with) : m_set(std::move(settings)), m_with(with) {}

rotation::HealthFacts Engine::facts() const {
    rotation::HealthFacts f;
    f.key_life = m_set.key_life;
    f.margin = m_set.policy.margin;
    f.signature_warn = m_set.signature_warn;
    f.credentials_error = m_credentials_error;
    return f;
}

std::optional<rotation::SenderView> Engine::sender_view() const {
    if (m_with.mta == nullptr || !m_with.mta->probes_as_sender()) {
        return std::nullopt;
    }
    check::Request req;
    req.domain = m_set.layout.host;
    req.mx_host = true;
    req.step_timeout = std::chrono::seconds(10);
    req.total_timeout = std::chrono::seconds(30);
    const check::Prober prober = [this](const smtp::ProbeRequest& p) { return m_with.mta->probe_as_sender(p); };
    try {
        const check::Report walk = check::run(req, m_with.resolver, prober);
        return rotation::SenderView{check::overall(walk), check::weak_paths(walk)};
    } catch (const Error&) {
        // This machine cannot validate (check::run says so by throwing): the
        // step's own TLSA lookup already reports that, and the pass goes on
        // without a sender's view rather than stopping.
        return std::nullopt;
    }
}

void Engine::save(Report& r) {
    if (m_set.dry_run) {
        r.actions.push_back(act(Action::Kind::write_state, true, true,
                                "would write the state file " + m_set.layout.state_file().string()));
        return;
    }
    m_with.store.save(r.state);
}

rotation::State Engine::load_state(bool look) {
    auto s = look ? m_with.store.look() : m_with.store.load();
    if (!s) {
        throw Error(Errc::io, "no rollover state for " + m_set.layout.host + " in " + m_set.layout.state_dir.string() +
                                  "; start with 'mxdane rollover init " + m_set.layout.host + "'");
    }
    return std::move(*s);
}

std::optional<store::FileLock> Engine::hold(Report& r, bool pass) {
    if (m_set.dry_run) {
        return std::nullopt;
    }
    // A host without a state is refused before the lock: a step for a
    // mistyped host leaves no lock file behind (issue #23).
    (void)load_state();
    bool repaired = false;
    auto lock = m_with.store.lock(pass, repaired);
    if (repaired) {
        // An MTA process that started in between may hold the split pair.
        r.warnings.push_back("an interrupted switch had left the stable names of " + m_set.layout.host +
                             " on two keys; they point at the key in service again");
        const auto reload = m_with.mta != nullptr ? m_with.mta->reload() : MtaControl::Reload{true, false, ""};
        if (!reload.ran) {
            r.warnings.push_back("no reload command was given: reload the MTA, which may have read the split pair");
        } else {
            r.actions.push_back(act(Action::Kind::reload, reload.ok, false, reload.message));
        }
    }
    return lock;
}

Report Engine::merged(Report pre, Report r) {
    r.actions.insert(r.actions.begin(), pre.actions.begin(), pre.actions.end());
    r.warnings.insert(r.warnings.begin(), pre.warnings.begin(), pre.warnings.end());
    return r;
}

std::optional<std::string> Engine::expiry_warning(const rotation::State& s, TimePoint now) {
    const KeyTimeline* cur = rotation::current_key(s);
    if (cur == nullptr) {
        return std::nullopt;
    }
    const TimePoint until = m_with.store.cert_not_after(*cur);
    if (until >= now + m_set.renew_before) {
        return std::nullopt;
    }
    return "the certificate of " + key_text(*cur) + (until <= now ? " has expired (" : " expires ") +
           rotation::format_time(until) + (until <= now ? ")" : "") +
           ": reissue it with the same key ('mxdane reissue " + m_set.layout.host + "'); the 3 1 1 record stays valid";
}

std::optional<std::string> Engine::implausible_clock(const rotation::State& s, TimePoint now) const {
    const KeyTimeline* cur = rotation::current_key(s);
    if (cur == nullptr) {
        return std::nullopt;
    }
    std::optional<TimePoint> from;
    TimePoint until;
    try {
        from = m_with.store.cert_not_before(*cur);
        until = m_with.store.cert_not_after(*cur);
    } catch (const Error&) {
        return std::nullopt; // an unreadable certificate is not the clock's fault; the pass says it
    }
    if (from && now < *from) {
        return "the clock says " + rotation::format_time(now) + ", before the certificate in service became valid (" +
               rotation::format_time(*from) + "): the clock is behind; fix it. Nothing was done";
    }
    if (now > until + max_expired_for) {
        const auto days = std::chrono::duration_cast<std::chrono::hours>(now - until).count() / 24;
        return "the clock says " + rotation::format_time(now) + ", " + std::to_string(days) +
               " days after the certificate in service expired (" + rotation::format_time(until) +
               "), which the daily pass renews " + std::to_string(m_set.renew_before.count() / 86400) +
               " days ahead: either no pass ran for months or the clock is ahead. Nothing was done; check the "
               "clock, and when it is right renew the certificate by hand (reissue)";
    }
    return std::nullopt;
}

Expected<reissue::Issuer> Engine::issuer_for(const rotation::State& s) const {
    const KeyTimeline* cur = rotation::current_key(s);
    const auto configured = m_with.issuer != nullptr ? m_with.issuer->configured() : std::nullopt;
    if (cur == nullptr) {
        return configured.value_or(reissue::Issuer{});
    }
    return reissue::choose_issuer(configured, *cur, m_with.store.cert_self_signed(*cur));
}

Engine::CertificateDue Engine::certificate_due(const rotation::State& s, TimePoint now) const {
    CertificateDue due;
    const KeyTimeline* cur = rotation::current_key(s);
    if (m_with.issuer == nullptr || cur == nullptr) {
        return due;
    }
    due.in_service = m_with.store.cert_not_after(*cur) < now + m_set.renew_before;
    // A staged key still self-signed when the issuer is a command (an
    // earlier pass's issuer failed) or unknown: switching to it would
    // change the issuer of the certificate in service.
    const KeyTimeline* next = rotation::next_key(s);
    if (next != nullptr && next->created && m_with.store.cert_self_signed(*next)) {
        const auto issuer = issuer_for(s);
        due.staged = !issuer || !issuer->command.empty();
    }
    return due;
}

std::optional<std::string> Engine::issue_next(Report& r, TimePoint now, bool just_staged) {
    const KeyTimeline* next = rotation::next_key(r.state);
    // A dry run's stage made no key: the one it would make is planned.
    const bool planned = m_set.dry_run && just_staged;
    if (m_with.issuer == nullptr || (!planned && (next == nullptr || !next->created))) {
        return std::nullopt;
    }
    const auto issuer = issuer_for(r.state);
    if (!issuer) {
        return issuer.error();
    }
    if (issuer->command.empty() || (!planned && !m_with.store.cert_self_signed(*next))) {
        return std::nullopt;
    }
    if (m_set.dry_run) {
        r.actions.push_back(act(Action::Kind::stage, true, true,
                                "would have " + reissue::issuer_text(*issuer) + " sign the certificate of " +
                                    (planned ? std::string("the new key") : key_text(*next))));
        return std::nullopt;
    }
    const KeyTimeline k = *next;
    try {
        const auto res = m_with.issuer->renew(r.state, reissue::Which::next, now, {}, *issuer);
        r.actions.push_back(
            act(Action::Kind::stage, true, false,
                "The issue command signed key " + std::to_string(k.id) + "'s certificate: " + reissue::summary(res)));
        cleanup_warning(r, res);
        return std::nullopt;
    } catch (const Error& e) {
        return std::string(e.what());
    }
}

bool Engine::certificates(Report& r, TimePoint now) {
    const CertificateDue due = certificate_due(r.state, now);
    if (!due.in_service && !due.staged) {
        return false;
    }
    const KeyTimeline in_service = *rotation::current_key(r.state);
    const auto issuer = issuer_for(r.state);
    if (!issuer) {
        // Never a silent change of issuer: the pass refuses, and says how.
        r.outcome = Report::Outcome::failed;
        r.summary = "FAILED: " + issuer.error();
        r.health = rotation::Health{rotation::HealthLevel::critical,
                                    (due.in_service ? "the certificate in service is due for renewal, but "
                                                    : "the staged key has no certificate from the issuer, and ") +
                                        issuer.error(),
                                    "RFC 8461 §4.2: senders in MTA-STS enforce mode require a certificate from a "
                                    "trusted CA"};
        return true;
    }
    const reissue::Which which = due.in_service ? reissue::Which::current : reissue::Which::next;
    const KeyTimeline subject = which == reissue::Which::current ? in_service : *rotation::next_key(r.state);
    const TimePoint until = m_with.store.cert_not_after(in_service);
    r.outcome = Report::Outcome::acted;
    if (m_set.dry_run) {
        // The plan is the pass: the same decision, the action not taken.
        const std::string what =
            which == reissue::Which::current
                ? "renew the certificate of " + key_text(subject) + " (valid until " + rotation::format_time(until) +
                      ") with the same key, " + reissue::issuer_text(*issuer) + ", no DNS change"
                : "have " + reissue::issuer_text(*issuer) + " sign the certificate of staged " + key_text(subject);
        r.actions.push_back(act(Action::Kind::stage, true, true,
                                "would " + what +
                                    (which == reissue::Which::current
                                         ? "; point the stable certificate name at it, reload the MTA and prove it"
                                         : "")));
        r.summary = "would " + what;
        return true;
    }
    try {
        const auto res = m_with.issuer->renew(r.state, which, now, {}, *issuer);
        cleanup_warning(r, res);
        r.actions.push_back(act(Action::Kind::stage, true, false, "new certificate: " + reissue::summary(res)));
        r.summary = which == reissue::Which::current
                        ? "renewed the certificate of " + key_text(subject) + " (valid until " +
                              rotation::format_time(until) +
                              ") with the same key, no DNS change: " + reissue::summary(res) + "; proven live"
                        : "the issue command signed the certificate of staged " + key_text(subject) + ": " +
                              reissue::summary(res);
        return true;
    } catch (const Error& e) {
        // Nothing was installed: the certificate in service keeps being served.
        r.actions.push_back(act(Action::Kind::stage, false, false, std::string("no new certificate: ") + e.what()));
        r.outcome = Report::Outcome::failed;
        r.summary = std::string("FAILED: ") + e.what();
        return true;
    }
}

void Engine::cleanup_warning(Report& r, const reissue::Result& res) {
    if (res.cleanup_error) {
        r.warnings.push_back("the new certificate of key " + std::to_string(res.key_id) +
                             " is in service; only the clean-up failed: " + *res.cleanup_error +
                             " (the old certificate stays where it was; nothing else needs doing)");
    }
}

Report Engine::unobserved(TimePoint now) {
    Report r;
    r.state = load_state();
    rotation::check_clock(r.state, now); // a clock behind the state would undo its waits
    r.owner = tlsa::owner(m_set.layout.host, r.state.port);
    return r;
}

Report Engine::observe(TimePoint now, bool record) {
    Report r;
    const rotation::State before = load_state(!record);
    // Before any lookup: a clock behind the state would undo its waits.
    rotation::check_clock(before, now);
    r.owner = tlsa::owner(m_set.layout.host, before.port);
    const dns::Answer tlsa = m_with.resolver.resolve(r.owner, dns::RrType::tlsa);
    r.dns = view_of(tlsa, now);
    // A bogus or failed answer is the host's only when this machine can
    // validate at all: else "this machine cannot validate" (Error io, exit
    // 2, --nagios UNKNOWN), never "senders defer" (issue #23).
    // With the force setting the admin switches without DNS's word: then it
    // is a warning beside the force warning, not a stop.
    if (r.dns.security == DnsView::Security::bogus || r.dns.security == DnsView::Security::failed) {
        if (auto why = dns::cannot_validate_here(m_with.resolver, tlsa)) {
            if (!m_set.force) {
                throw Error(Errc::io, *why);
            }
            r.warnings.push_back(*why);
        }
    }
    // Every authoritative server, each on its own (issue #24): only when
    // the resolver's answer is secure, since nothing is decided otherwise.
    if (m_with.servers != nullptr && r.dns.security == DnsView::Security::secure) {
        r.dns.servers = seen_of(m_with.servers->ask(r.owner), now);
    }
    r.state = rotation::observe(before, r.dns, now);
    // Recording when a record was first seen is bookkeeping, not a change
    // of the rollover: a dry run skips it silently.
    if (record && !m_set.dry_run && rotation::to_json(r.state) != rotation::to_json(before)) {
        m_with.store.save(r.state);
    } else if (!record) {
        for (const KeyTimeline& k : r.state.keys) {
            const auto was = std::find_if(before.keys.begin(), before.keys.end(),
                                          [&k](const KeyTimeline& b) { return b.id == k.id; });
            if (k.published && !k.active && was != before.keys.end() && !was->published) {
                r.warnings.push_back("DNS shows the record of " + key_text(k) +
                                     " now; this look records nothing, so the wait for caches starts when the "
                                     "daily pass or the activate step records it");
            }
        }
    }
    r.plan = rotation::plan(r.state, r.dns, now, m_set.policy);
    return r;
}

void Engine::finish(Report& r, TimePoint now, const rotation::HealthFacts& f) const {
    rotation::HealthFacts with = f;
    with.stable_pair_problem = m_with.store.stable_pair_problem(r.state);
    if (const KeyTimeline* cur = rotation::current_key(r.state); cur != nullptr) {
        try {
            with.cert_not_before = m_with.store.cert_not_before(*cur);
        } catch (const Error&) {
            // An unreadable certificate is the stable pair's finding.
        }
    }
    r.health = rotation::assess(r.state, r.dns, now, with);
}

bool Engine::publish(Report& r, publish::Action action, const tlsa::Record& rec, const std::string& why) {
    const bool add = action == publish::Action::add;
    const auto kind = add ? Action::Kind::publish : Action::Kind::withdraw;
    const std::string rdata = tlsa::rdata_text(rec);
    if (!add) {
        if (const auto* cur = rotation::current_key(r.state); cur != nullptr && cur->record == rec) {
            // RFC 7672 §3.1: withdrawing the served key's record defers mail.
            throw Error(Errc::refused, "refusing to withdraw " + rdata + ": it is the record of the key in service");
        }
    }
    // Nothing to do, and nothing claimed, when DNS already shows the change.
    if (r.dns.security == DnsView::Security::secure && shows(r.dns, rec) == add) {
        return true;
    }
    if (m_with.publisher == nullptr) {
        (add ? r.to_publish : r.to_withdraw).push_back(rec);
        return false;
    }
    const std::string verb = add ? "publish" : "withdraw";
    if (m_set.dry_run) {
        r.actions.push_back(act(kind, true, true,
                                "would " + verb + " " + r.owner + " IN TLSA " + rdata + " (" + why + ") via " +
                                    m_with.publisher->describe()));
        return true;
    }
    publish::Change change;
    change.host = m_set.layout.host;
    change.owner = r.owner;
    change.ops.push_back(publish::Op{action, m_set.publish_ttl, rec});
    const publish::Outcome out = m_with.publisher->apply(change);
    if (out.done()) {
        const bool changed = out.status == publish::Status::ok;
        r.actions.push_back(act(kind, true, false,
                                (changed ? (add ? "published " : "withdrew ")
                                         : std::string(add ? "already published: " : "already withdrawn: ")) +
                                    rdata + " (" + why + ")"));
        return true;
    }
    r.actions.push_back(act(kind, false, false,
                            "could not " + verb + " " + rdata + " (" + why + "): " +
                                (out.message.empty() ? std::string(publish::status_name(out.status)) : out.message)));
    (add ? r.to_publish : r.to_withdraw).push_back(rec);
    return false;
}

bool Engine::switch_and_prove(Report& r, const KeyTimeline& to, const KeyTimeline* back) {
    const std::string names = m_set.layout.stable_key().string() + " and " + m_set.layout.stable_cert().string();
    if (m_with.mta == nullptr) {
        r.actions.push_back(act(Action::Kind::switch_names, false, m_set.dry_run, "no MTA control to switch with"));
        return false;
    }
    if (m_set.dry_run) {
        r.actions.push_back(act(Action::Kind::switch_names, true, true,
                                "would point " + names + " at " + key_text(to) + " (" + to.key_file.string() + ")"));
        r.actions.push_back(act(Action::Kind::reload, true, true, "would reload the MTA"));
        r.actions.push_back(act(Action::Kind::prove, true, true,
                                "would prove " + m_with.mta->where() + " serves " + tlsa::rdata_text(to.record)));
        return true;
    }
    m_with.store.switch_to(to);
    r.actions.push_back(act(Action::Kind::switch_names, true, false, "pointed " + names + " at " + key_text(to)));
    const auto reload = m_with.mta->reload();
    bool ok = reload.ok;
    if (reload.ran) {
        r.actions.push_back(act(Action::Kind::reload, reload.ok, false, reload.message));
    }
    if (ok) {
        const auto proof = m_with.mta->prove(to.record);
        std::string text = proof.ok ? "proved: " + m_with.mta->where() + " now serves " + key_text(to) + " (" +
                                          tlsa::rdata_text(to.record) + ")"
                                    : m_with.mta->where() + " does not serve " + key_text(to) + ": " + proof.message;
        if (!proof.ok && proof.served) {
            text += " (it serves " + tlsa::rdata_text(*proof.served) + ")";
        }
        if (!proof.ok && !reload.ran) {
            text += "; no reload command was given, so the MTA may not have re-read its key";
        }
        if (!proof.ok && !proof.served) {
            // Nothing answered there: the address may be the wrong one.
            text += "; the live proof connects to " + std::string(setting_words(Setting::mta_address)) +
                    ": is the MTA listening there?";
        }
        r.actions.push_back(act(Action::Kind::prove, proof.ok, false, text));
        ok = proof.ok;
    }
    if (!ok && back != nullptr) {
        m_with.store.switch_to(*back);
        const auto again = m_with.mta->reload();
        r.actions.push_back(act(Action::Kind::switch_back, again.ok, false,
                                "switched the stable names back to " + key_text(*back) +
                                    (again.ran ? "; " + again.message : std::string())));
    }
    return ok;
}

KeyTimeline Engine::do_stage(Report& r, TimePoint now) {
    StageRequest req;
    req.layout = m_set.layout;
    req.key_type = m_set.key_type;
    req.days = m_set.days;
    req.now = now;
    req.key_group = m_set.key_group;
    if (!req.key_group) {
        if (const auto* cur = rotation::current_key(r.state); cur != nullptr) {
            // The next key is read by the same MTA user as the current one.
            req.key_group = m_with.store.key_group_of(*cur);
        }
    }
    if (m_set.dry_run) {
        KeyTimeline would;
        would.id = 1;
        for (const auto& k : r.state.keys) {
            would.id = std::max(would.id, k.id + 1);
        }
        r.actions.push_back(act(Action::Kind::stage, true, true,
                                "would make key " + std::to_string(would.id) + " in " + m_set.layout.key_dir.string() +
                                    (req.key_group ? " (mode 0440, group " + *req.key_group + ")" : std::string())));
        r.actions.push_back(act(Action::Kind::write_state, true, true,
                                "would write the state file " + m_set.layout.state_file().string()));
        return would;
    }
    KeyTimeline next = m_with.store.stage(req, r.state);
    r.actions.push_back(act(Action::Kind::stage, true, false,
                            "made " + key_text(next) + ": " + next.key_file.string() + " and " +
                                next.cert_file.string() +
                                (req.key_group ? " (key readable by group " + *req.key_group + ")" : std::string())));
    return next;
}

} // namespace mxdane::rollover
