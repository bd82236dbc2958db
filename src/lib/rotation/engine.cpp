// The rollover engine (mxdane/engine.h). Each call observes, plans, acts
// through its collaborators and returns a Report; nothing here prints.
// Safety rules that hold for every call (RFC 7671 §8.1, RFC 7672 §3.1):
// the record of the key in service is never withdrawn; a record is only
// published or withdrawn when DNS does not already show that; the MTA is
// switched only to a key whose live proof can be undone (switch back).
#include "mxdane/engine.h"

#include <algorithm>

#include "mxdane/error.h"

namespace mxdane::rollover {
namespace {

using rotation::DnsView;
using rotation::KeyTimeline;
using rotation::Step;

bool shows(const DnsView& dns, const tlsa::Record& rec) {
    return dns.security == DnsView::Security::secure && dns.exists &&
           std::find(dns.records.begin(), dns.records.end(), rec) != dns.records.end();
}

std::string key_text(const KeyTimeline& k) {
    return "key " + std::to_string(k.id);
}

std::string days_text(std::chrono::seconds s) {
    return std::to_string(s.count() / 86400) + " days";
}

std::string date_of(TimePoint t) {
    return rotation::format_time(t).substr(0, 10);
}

Action act(Action::Kind kind, bool ok, bool dry_run, std::string text) {
    return Action{kind, ok, dry_run, std::move(text)};
}

} // namespace

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

DnsView view_of(const dns::Answer& a) {
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
    return v;
}

Engine::Engine(EngineSettings settings, Collaborators with) : m_set(std::move(settings)), m_with(with) {}

rotation::HealthFacts Engine::facts() const {
    rotation::HealthFacts f;
    f.key_life = m_set.key_life;
    f.credentials_error = m_credentials_error;
    return f;
}

void Engine::save(Report& r) {
    if (m_set.dry_run) {
        r.actions.push_back(act(Action::Kind::write_state, true, true,
                                "would write the state file " + m_set.layout.state_file().string()));
        return;
    }
    m_with.store.save(r.state);
}

Report Engine::observe(TimePoint now) {
    Report r;
    auto before = m_with.store.load();
    if (!before) {
        throw Error(Errc::io, "no rollover state for " + m_set.layout.host + " in " + m_set.layout.state_dir.string() +
                                  "; start with 'mxdane rollover init " + m_set.layout.host + "'");
    }
    // Before any lookup: a clock behind the state would undo its waits.
    rotation::check_clock(*before, now);
    r.owner = tlsa::owner(m_set.layout.host, before->port);
    r.dns = view_of(m_with.resolver.resolve(r.owner, dns::RrType::tlsa));
    r.state = rotation::observe(*before, r.dns, now);
    // Recording when a record was first seen is bookkeeping, not a change
    // of the rollover: a dry run skips it silently.
    if (!m_set.dry_run && rotation::to_json(r.state) != rotation::to_json(*before)) {
        m_with.store.save(r.state);
    }
    r.plan = rotation::plan(r.state, r.dns, now, m_set.policy);
    return r;
}

void Engine::finish(Report& r, TimePoint now, const rotation::HealthFacts& f) const {
    rotation::HealthFacts with = f;
    with.stable_pair_problem = m_with.store.stable_pair_problem(r.state);
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

Report Engine::status(TimePoint now, bool probe_mta) {
    Report r = observe(now);
    rotation::HealthFacts f = facts();
    std::optional<std::string> unseen;
    if (probe_mta && m_with.mta != nullptr) {
        if (const auto* cur = rotation::current_key(r.state); cur != nullptr) {
            const auto proof = m_with.mta->prove(cur->record);
            f.served = proof.served;
            if (!proof.ok && !proof.served) {
                unseen = proof.message;
            }
        }
    }
    finish(r, now, f);
    if (unseen && r.health.level != rotation::HealthLevel::critical) {
        r.health = rotation::Health{rotation::HealthLevel::critical,
                                    "no key could be seen at " + m_with.mta->where() + ": " + *unseen,
                                    "RFC 7672 §2.2: senders that cannot complete TLS with a DANE host defer"};
    }
    r.outcome = r.plan.can_act_now ? Report::Outcome::nothing_to_do : Report::Outcome::waiting;
    r.summary = r.plan.reason;
    return r;
}

Report Engine::stage(TimePoint now) {
    Report r;
    auto s = m_with.store.load();
    if (!s) {
        throw Error(Errc::io, "no rollover state for " + m_set.layout.host + " in " + m_set.layout.state_dir.string() +
                                  "; start with 'mxdane rollover init " + m_set.layout.host + "'");
    }
    r.state = std::move(*s);
    rotation::check_clock(r.state, now); // a clock behind the state would undo its waits
    r.owner = tlsa::owner(m_set.layout.host, r.state.port);
    if (m_set.dry_run && (rotation::old_key(r.state) != nullptr ||
                          (rotation::next_key(r.state) != nullptr && rotation::next_key(r.state)->created))) {
        throw Error(Errc::refused, "a rollover is already under way for " + m_set.layout.host);
    }
    const KeyTimeline next = do_stage(r, now);
    if (!m_set.dry_run) {
        r.to_publish.push_back(next.record);
    }
    r.outcome = Report::Outcome::acted;
    r.summary = (m_set.dry_run ? "would stage key " : "staged key ") + std::to_string(next.id);
    return r;
}

Report Engine::activate(TimePoint now) {
    Report r = observe(now);
    finish(r, now, facts());
    const KeyTimeline* next = rotation::next_key(r.state);
    if (next == nullptr || !next->created) {
        r.outcome = Report::Outcome::refused;
        r.summary = "no next key is staged for " + m_set.layout.host + " (" + r.plan.reason + ")";
        return r;
    }
    if (r.plan.step != Step::activate) {
        if (!m_set.force) {
            r.outcome = Report::Outcome::refused;
            r.summary = "not switching yet: " + r.plan.reason;
            return r;
        }
        r.warnings.push_back(std::string(setting_words(mxdane::Setting::force)) + ": switching although " +
                             r.plan.reason +
                             "; DANE-validating senders whose caches lack the new record will defer mail");
    }
    const KeyTimeline to = *next;
    const KeyTimeline* cur = rotation::current_key(r.state);
    if (!switch_and_prove(r, to, cur)) {
        r.outcome = Report::Outcome::failed;
        r.summary = "the MTA did not take " + key_text(to) + "; everything is as it was before";
        return r;
    }
    r.outcome = Report::Outcome::acted;
    if (m_set.dry_run) {
        r.summary = "would activate " + key_text(to);
        return r;
    }
    rotation::mark_activated(r.state, now);
    save(r);
    if (const auto* old = rotation::old_key(r.state); old != nullptr) {
        r.to_withdraw.push_back(old->record);
    }
    r.summary = key_text(to) + " is in service";
    finish(r, now, facts());
    return r;
}

Report Engine::retire(TimePoint now) {
    Report r = observe(now);
    finish(r, now, facts());
    KeyTimeline* old = rotation::old_key(r.state);
    if (old == nullptr) {
        r.outcome = Report::Outcome::refused;
        r.summary = "there is no old key to retire (" + r.plan.reason + ")";
        return r;
    }
    if (r.plan.step != Step::retire) {
        r.outcome = Report::Outcome::waiting;
        r.summary = r.plan.reason;
        r.to_withdraw.push_back(old->record);
        return r;
    }
    r.outcome = Report::Outcome::acted;
    if (m_set.dry_run) {
        r.actions.push_back(act(Action::Kind::retire, true, true,
                                std::string(m_set.delete_old ? "would delete " : "would move to retired/: ") +
                                    old->key_file.string() + " and " + old->cert_file.string()));
        save(r);
        r.summary = "would retire " + key_text(*old);
        return r;
    }
    const auto moved = m_with.store.retire(*old, m_set.delete_old, now);
    r.actions.push_back(act(Action::Kind::retire, true, false,
                            m_set.delete_old ? "deleted " + old->key_file.string() + " and " + old->cert_file.string()
                                             : "moved " + key_text(*old) +
                                                   " out of service: " + (moved.key ? moved.key->string() : "-") +
                                                   ", " + (moved.cert ? moved.cert->string() : "-")));
    r.summary = "retired " + key_text(*old) + "; the rollover is complete";
    save(r);
    return r;
}

Report Engine::emergency(TimePoint now) {
    Report r;
    auto s = m_with.store.load();
    if (!s) {
        throw Error(Errc::io, "no rollover state for " + m_set.layout.host + " in " + m_set.layout.state_dir.string() +
                                  "; start with 'mxdane rollover init " + m_set.layout.host + "'");
    }
    r.state = std::move(*s);
    rotation::check_clock(r.state, now); // a clock behind the state would undo its waits
    r.owner = tlsa::owner(m_set.layout.host, r.state.port);
    // Emergency does not consult DNS: every publish is sent (the publisher
    // itself skips what the server already holds).
    r.dns.security = DnsView::Security::failed;
    r.dns.why = "not looked up";
    const KeyTimeline* compromised = rotation::current_key(r.state);
    if (compromised == nullptr) {
        throw Error(Errc::refused, "no key is in service for " + m_set.layout.host);
    }
    const KeyTimeline bad = *compromised;
    const std::uint32_t cached_ttl = m_set.policy.ttl.value_or(bad.max_ttl_seen);
    if (KeyTimeline* old = rotation::old_key(r.state); old != nullptr) {
        // A compromise does not wait for the last rollover's cleanup.
        if (m_set.dry_run) {
            r.actions.push_back(act(Action::Kind::retire, true, true, "would move " + key_text(*old) + " to retired/"));
        } else {
            (void)m_with.store.retire(*old, false, now);
            r.actions.push_back(act(Action::Kind::retire, true, false, "moved " + key_text(*old) + " to retired/"));
        }
    }
    KeyTimeline next;
    if (const KeyTimeline* staged = rotation::next_key(r.state); staged != nullptr && staged->created) {
        next = *staged;
    } else {
        next = do_stage(r, now);
    }
    r.warnings.push_back("senders that cached the RRset without the new record (TTL " +
                         (cached_ttl != 0 ? std::to_string(cached_ttl) + " s" : std::string("unknown")) +
                         ") defer mail to " + m_set.layout.host +
                         " until it expires: that is the price of a key compromise");
    if (m_set.dry_run) {
        r.actions.push_back(
            act(Action::Kind::publish, true, true,
                "would publish " + r.owner + " IN TLSA " + tlsa::rdata_text(next.record) + " (the new key)"));
        (void)switch_and_prove(r, next, &bad);
        r.actions.push_back(act(Action::Kind::withdraw, true, true,
                                "would withdraw " + tlsa::rdata_text(bad.record) + " (the compromised key)"));
        r.outcome = Report::Outcome::acted;
        r.summary = "would replace the compromised " + key_text(bad) + " by " + key_text(next);
        return r;
    }
    if (m_with.publisher != nullptr && !publish(r, publish::Action::add, next.record, "the new key")) {
        // Switching before the new record is published would defer every
        // validating sender at once; the compromised key still delivers.
        r.outcome = Report::Outcome::failed;
        r.summary = "could not publish the record of " + key_text(next) + "; the MTA still serves the compromised " +
                    key_text(bad);
        return r;
    }
    if (!switch_and_prove(r, next, &bad)) {
        r.outcome = Report::Outcome::failed;
        r.summary = "the MTA did not take " + key_text(next) + "; it still serves the compromised " + key_text(bad);
        if (m_with.publisher == nullptr) {
            r.to_publish.push_back(next.record);
        }
        return r;
    }
    rotation::mark_activated(r.state, now);
    m_with.store.save(r.state);
    if (m_with.publisher == nullptr) {
        r.to_publish.push_back(next.record);
        r.to_withdraw.push_back(bad.record);
    } else {
        (void)publish(r, publish::Action::remove, bad.record, "the compromised key");
    }
    const bool all_ok = std::all_of(r.actions.begin(), r.actions.end(), [](const Action& a) { return a.ok; });
    r.outcome =
        all_ok && r.to_publish.empty() && r.to_withdraw.empty() ? Report::Outcome::acted : Report::Outcome::failed;
    if (m_with.publisher == nullptr) {
        r.outcome = Report::Outcome::acted;
    }
    r.summary = key_text(next) + " is in service instead of the compromised " + key_text(bad);
    return r;
}

Report Engine::auto_pass(TimePoint now) {
    Report r = observe(now);
    const KeyTimeline* cur = rotation::current_key(r.state);
    if (cur == nullptr) {
        throw Error(Errc::io, "no key is known for " + m_set.layout.host + ": run 'mxdane rollover init " +
                                  m_set.layout.host + "' first");
    }
    // Prove the credentials every pass, so a wrong secret is known the day
    // it breaks, not on the day of the rotation (RFC 8945 §5.2).
    m_credentials_error.reset();
    if (m_with.publisher != nullptr) {
        const auto out = m_with.publisher->check_credentials(r.owner);
        if (!out.done()) {
            m_credentials_error = out.message.empty() ? std::string(publish::status_name(out.status)) : out.message;
            r.actions.push_back(act(Action::Kind::check, false, false, "credentials: " + *m_credentials_error));
        }
    }
    const auto fail_or = [&r](Report::Outcome o) {
        const bool ok = std::all_of(r.actions.begin(), r.actions.end(), [](const Action& a) { return a.ok; });
        return ok ? o : Report::Outcome::failed;
    };

    // Heal: the key in service missing from a secure RRset defers mail now
    // (RFC 7672 §3.1); adding the served key's record is always safe.
    const bool secure_rrset = r.dns.security == DnsView::Security::secure && r.dns.exists;
    if (secure_rrset && !shows(r.dns, cur->record)) {
        const KeyTimeline in_service = *cur;
        finish(r, now, facts());
        if (m_with.publisher == nullptr) {
            r.to_publish.push_back(in_service.record);
            r.outcome = Report::Outcome::failed;
            r.summary = "the record of " + key_text(in_service) +
                        ", the key in service, is missing from DNS and no publisher is configured";
            return r;
        }
        const bool ok = publish(r, publish::Action::add, in_service.record, "the key in service, missing from DNS");
        r.outcome = ok ? fail_or(Report::Outcome::acted) : Report::Outcome::failed;
        if (ok && !m_set.dry_run) {
            r.summary = "republished the record of " + key_text(in_service) + ", the key in service";
            r.health = rotation::Health{
                rotation::HealthLevel::warning,
                "the record of " + key_text(in_service) +
                    " was missing and is republished now; senders that cached the RRset without it defer "
                    "until it expires",
                "RFC 7672 §3.1"};
        } else {
            r.summary = (m_set.dry_run ? "would republish the record of " : "could not republish the record of ") +
                        key_text(in_service) + ", the key in service";
        }
        return r;
    }

    finish(r, now, facts());
    // An interrupted stage (an incomplete key) is finished whatever DNS
    // says: making the key and adding its record is always safe, and
    // leaving it half made helps nobody.
    const bool finish_stage = r.plan.step == Step::stage && rotation::incomplete_key(r.state) != nullptr;
    if (!finish_stage && (r.dns.security == DnsView::Security::bogus || r.dns.security == DnsView::Security::failed)) {
        // Nothing is decided on an answer that cannot be trusted.
        r.outcome = fail_or(Report::Outcome::waiting);
        r.summary = "changing nothing: " + r.health.message;
        return r;
    }

    switch (r.plan.step) {
    case Step::adopt:
        throw Error(Errc::io, "no key is known for " + m_set.layout.host);
    case Step::stage: {
        const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - cur->created.value_or(now));
        // An interrupted stage (an incomplete key) is completed or discarded
        // now, whatever the current key's age.
        if (age < m_set.key_life && rotation::incomplete_key(r.state) == nullptr) {
            r.outcome = fail_or(Report::Outcome::nothing_to_do);
            r.summary = "nothing to do: " + key_text(*cur) + " is " + days_text(age) +
                        " old; the next rotation starts " + date_of(cur->created.value_or(now) + m_set.key_life);
            return r;
        }
        const std::string cur_name = key_text(*cur); // stage() appends to the key list
        const KeyTimeline next = do_stage(r, now);
        const bool ok = publish(r, publish::Action::add, next.record, "the next key");
        r.outcome = ok ? fail_or(Report::Outcome::acted) : Report::Outcome::failed;
        r.summary = (m_set.dry_run ? "would stage " : "staged ") + key_text(next) + " (" + cur_name + " is " +
                    days_text(age) + " old)";
        return r;
    }
    case Step::publish: {
        const KeyTimeline next = *rotation::next_key(r.state);
        const bool ok = publish(r, publish::Action::add, next.record, "the next key");
        r.outcome = ok ? fail_or(Report::Outcome::waiting) : Report::Outcome::failed;
        r.summary = "waiting: " + r.plan.reason;
        return r;
    }
    case Step::wait_for_caches:
        r.outcome = fail_or(Report::Outcome::waiting);
        r.summary = "waiting: " + r.plan.reason;
        return r;
    case Step::activate: {
        const KeyTimeline next = *rotation::next_key(r.state);
        const KeyTimeline before = *cur;
        if (!switch_and_prove(r, next, &before)) {
            r.outcome = Report::Outcome::failed;
            r.summary = "FAILED to activate " + key_text(next) + "; the MTA still serves " + key_text(before);
            return r;
        }
        if (!m_set.dry_run) {
            rotation::mark_activated(r.state, now);
        }
        save(r);
        const bool ok = publish(r, publish::Action::remove, before.record, "the old key");
        r.outcome = ok ? fail_or(Report::Outcome::acted) : Report::Outcome::failed;
        r.summary = (m_set.dry_run ? "would activate " : "activated ") + key_text(next) + " (proven live)";
        finish(r, now, facts());
        return r;
    }
    case Step::unpublish: {
        const KeyTimeline old = *rotation::old_key(r.state);
        const bool ok = publish(r, publish::Action::remove, old.record, "the old key");
        r.outcome = ok ? fail_or(Report::Outcome::waiting) : Report::Outcome::failed;
        r.summary = "waiting: " + r.plan.reason;
        return r;
    }
    case Step::retire: {
        Report done = retire(now);
        done.actions.insert(done.actions.begin(), r.actions.begin(), r.actions.end());
        finish(done, now, facts());
        done.outcome = fail_or(done.outcome) == Report::Outcome::failed ? Report::Outcome::failed : done.outcome;
        return done;
    }
    }
    return r;
}

} // namespace mxdane::rollover
