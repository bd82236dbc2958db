// The admin's steps of the rollover engine (mxdane/engine.h): status,
// stage, activate, retire and emergency. Each takes the host lock when it
// changes something and returns a Report; nothing here prints.
#include "mxdane/engine.h"

#include <algorithm>

#include "engine_detail.h"
#include "mxdane/error.h"

namespace mxdane::rollover {

Report Engine::status_step(TimePoint now, bool probe_mta, bool record) {
    Report r = observe(now, record);
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
        f.sender = sender_view();
    }
    finish(r, now, f);
    if (unseen && r.health.level != rotation::HealthLevel::critical) {
        r.health = rotation::Health{rotation::HealthLevel::critical,
                                    "no key could be seen at " + m_with.mta->where() + ": " + *unseen,
                                    "RFC 7672 §2.2: senders that cannot complete TLS with a DANE host defer"};
    }
    if (auto expiry = expiry_warning(r.state, now)) {
        r.warnings.push_back(std::move(*expiry));
    }
    // The issuer the next renewal would use, when none can be chosen: a
    // critical when that renewal is due now (the pass refuses it), else a
    // warning ahead of it.
    if (const auto issuer = issuer_for(r.state); !issuer && m_with.issuer != nullptr) {
        const CertificateDue due = certificate_due(r.state, now);
        if ((due.in_service || due.staged) && r.health.level != rotation::HealthLevel::critical) {
            r.health = rotation::Health{rotation::HealthLevel::critical, issuer.error(),
                                        "RFC 8461 §4.2: senders in MTA-STS enforce mode require a certificate from "
                                        "a trusted CA"};
        } else {
            r.warnings.push_back(issuer.error());
        }
    }
    r.outcome = r.plan.can_act_now ? Report::Outcome::nothing_to_do : Report::Outcome::waiting;
    r.summary = r.plan.reason;
    return r;
}

Report Engine::stage_step(TimePoint now) {
    Report r = unobserved(now);
    refuse_if_disabled(r, "staging a key");
    if (m_set.dry_run && (rotation::old_key(r.state) != nullptr ||
                          (rotation::next_key(r.state) != nullptr && rotation::next_key(r.state)->created))) {
        throw Error(Errc::refused, "a rollover is already under way for " + m_set.layout.host);
    }
    const KeyTimeline next = do_stage(r, now);
    if (!m_set.dry_run) {
        r.to_publish.push_back(next.record);
    }
    // The certificate from the issuer, when one is configured; the key and
    // its 3 1 1 record stay either way.
    if (const auto refused = issue_next(r, now, true)) {
        r.outcome = Report::Outcome::failed;
        r.issuer_failed = true;
        r.summary = *refused + ". Key " + std::to_string(next.id) + " stays staged with a self-signed certificate";
        return r;
    }
    r.outcome = Report::Outcome::acted;
    r.summary = (m_set.dry_run ? "would stage key " : "staged key ") + std::to_string(next.id);
    return r;
}

Report Engine::activate_step(TimePoint now) {
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

Report Engine::retire_step(TimePoint now) {
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

Report Engine::emergency_step(TimePoint now) {
    Report r = unobserved(now);
    refuse_if_disabled(r, "an emergency rotation");
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
        (void)issue_next(r, now, rotation::next_key(r.state) == nullptr || !rotation::next_key(r.state)->created);
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
    // With an external issuer the new key's certificate comes from it
    // before the switch; a refusal leaves the key staged and switches
    // nothing (README "rollover emergency").
    if (const auto refused = issue_next(r, now)) {
        r.outcome = Report::Outcome::failed;
        r.issuer_failed = true;
        r.summary = "the issuer did not sign the certificate of " + key_text(next) + ": " + *refused + "; " +
                    key_text(next) + " stays staged" +
                    (m_with.publisher != nullptr ? " (its record is published)" : " (publish its record now)") +
                    " and the MTA still serves the compromised " + key_text(bad);
        if (m_with.publisher == nullptr) {
            r.to_publish.push_back(next.record);
        }
        return r;
    }
    next = *rotation::next_key(r.state); // its certificate may be the issuer's now
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

Report Engine::status(TimePoint now, bool probe_mta, bool record) {
    // Monitoring only looks (issue #23): no lock, nothing written, so a
    // user that may only read the state directory runs it. An admin's look
    // records what DNS shows when it can take the lock at once and write.
    if (!record || m_set.dry_run) {
        return status_step(now, probe_mta, false);
    }
    (void)load_state(true); // no state: said as such, not as a lock failure
    Report pre;
    const auto try_hold = [&]() -> std::optional<store::FileLock> {
        try {
            return hold(pre, true); // nullopt: another mxdane is at work
        } catch (const Error&) {
            return std::nullopt; // not this user's to write: a look
        }
    };
    const auto lock = try_hold();
    return merged(std::move(pre), status_step(now, probe_mta, lock.has_value()));
}

Report Engine::stage(TimePoint now) {
    Report pre;
    const auto lock = hold(pre, false);
    return merged(std::move(pre), stage_step(now));
}

Report Engine::activate(TimePoint now) {
    Report pre;
    const auto lock = hold(pre, false);
    return merged(std::move(pre), activate_step(now));
}

Report Engine::retire(TimePoint now) {
    Report pre;
    const auto lock = hold(pre, false);
    return merged(std::move(pre), retire_step(now));
}

Report Engine::renew_certificate(TimePoint now, reissue::Which which, const std::vector<std::string>& names) {
    if (m_with.issuer == nullptr) {
        throw Error(Errc::bad_input, "no certificate issuer is configured");
    }
    Report r;
    const auto lock = hold(r, false);
    r.state = load_state();
    r.owner = tlsa::owner(m_set.layout.host, r.state.port);
    const auto issuer = issuer_for(r.state);
    if (!issuer) {
        throw Error(Errc::refused, issuer.error() + ". Nothing was done");
    }
    r.certificate = m_with.issuer->renew(r.state, which, now, names, *issuer);
    cleanup_warning(r, *r.certificate);
    // A certificate shorter than the renewal window is renewed again by
    // the next daily pass, and the next, and so on (issue #25).
    if (const TimePoint until = r.certificate->not_after; until - now <= m_set.renew_before) {
        r.warnings.push_back("the new certificate is valid until " + rotation::format_time(until) +
                             ", within the renewal window of " + std::to_string(m_set.renew_before.count() / 86400) +
                             " days: every daily pass will renew it again; give it a longer validity");
    }
    r.outcome = Report::Outcome::acted;
    r.summary = "reissued the certificate of key " + std::to_string(r.certificate->key_id) + " with the same key";
    return r;
}

Report Engine::emergency(TimePoint now) {
    Report pre;
    const auto lock = hold(pre, false);
    return merged(std::move(pre), emergency_step(now));
}

void Engine::refuse_if_disabled(const Report& r, const std::string& what) const {
    if (r.state.dane_disabled) {
        throw Error(Errc::refused, "DANE for " + m_set.layout.host + " is disabled by the admin since " +
                                       rotation::format_time(*r.state.dane_disabled) + ": " + what +
                                       " would publish a TLSA record; enable DANE for the host first. Nothing was "
                                       "done");
    }
}

Report Engine::disable(TimePoint now) {
    Report pre;
    const auto lock = hold(pre, false);
    Report r = unobserved(now);
    const std::string host = m_set.layout.host;
    if (r.state.dane_disabled) {
        r.outcome = Report::Outcome::nothing_to_do;
        r.summary = "DANE for " + host + " is disabled already, since " + rotation::format_time(*r.state.dane_disabled);
        return merged(std::move(pre), std::move(r));
    }
    r.state.dane_disabled = now;
    save(r);
    r.outcome = Report::Outcome::acted;
    r.summary = std::string(m_set.dry_run ? "would record" : "recorded") + " that DANE for " + host +
                " is disabled by the admin: the daily pass no longer republishes the record of the key in service; "
                "withdraw the TLSA RRset to end DANE";
    return merged(std::move(pre), std::move(r));
}

Report Engine::rewind(TimePoint now) {
    Report pre;
    const auto lock = hold(pre, false);
    Report r;
    r.state = load_state(); // not check_clock(): a state ahead of the clock is what this repairs
    r.owner = tlsa::owner(m_set.layout.host, r.state.port);
    if (now < rotation::earliest_time() || now > rotation::latest_time()) {
        throw Error(Errc::bad_input, "the time is outside " + rotation::format_time(rotation::earliest_time()) +
                                         " to " + rotation::format_time(rotation::latest_time()) +
                                         "; nothing was done");
    }
    const auto moved = rotation::rewind(r.state, now);
    if (moved.empty()) {
        r.outcome = Report::Outcome::nothing_to_do;
        r.summary =
            "no time in the rollover state of " + m_set.layout.host + " is ahead of " + rotation::format_time(now);
        return merged(std::move(pre), std::move(r));
    }
    for (const auto& m : moved) {
        r.actions.push_back(
            act(Action::Kind::write_state, true, m_set.dry_run,
                std::string(m_set.dry_run ? "would move " : "moved ") + m + " back to " + rotation::format_time(now)));
    }
    if (!m_set.dry_run) {
        m_with.store.save(r.state);
    }
    r.outcome = Report::Outcome::acted;
    r.summary = std::string(m_set.dry_run ? "would move " : "moved ") + std::to_string(moved.size()) +
                (moved.size() == 1 ? " time" : " times") + " of the rollover state of " + m_set.layout.host +
                " back to " + rotation::format_time(now) +
                "; every key and record stays, and waits counted from them start again now";
    return merged(std::move(pre), std::move(r));
}

Report Engine::enable(TimePoint now) {
    Report pre;
    const auto lock = hold(pre, false);
    Report r = unobserved(now);
    const std::string host = m_set.layout.host;
    if (!r.state.dane_disabled) {
        r.outcome = Report::Outcome::nothing_to_do;
        r.summary = "DANE for " + host + " is not disabled";
        return merged(std::move(pre), std::move(r));
    }
    r.state.dane_disabled.reset();
    save(r);
    r.outcome = Report::Outcome::acted;
    r.summary = std::string(m_set.dry_run ? "would record" : "recorded") + " that DANE for " + host +
                " is enabled again: the daily pass publishes the record of the key in service when DNS lacks it";
    return merged(std::move(pre), std::move(r));
}

} // namespace mxdane::rollover
