// The unattended pass of the rollover engine (mxdane/engine.h): prove the
// publishing credentials, heal a missing record of the key in service,
// renew the certificate in service, then the step the planner allows.
#include "mxdane/engine.h"

#include <algorithm>

#include "engine_detail.h"
#include "mxdane/error.h"

namespace mxdane::rollover {

Report Engine::auto_step(TimePoint now) {
    // An unattended pass acts only on a plausible clock, and records
    // nothing under another: one pass with the clock years ahead renewed
    // the certificate into the future, retired the good one and left its
    // times in the state (issue #25).
    if (const rotation::State before = load_state(); const auto why = implausible_clock(before, now)) {
        Report r;
        r.state = before;
        r.owner = tlsa::owner(m_set.layout.host, before.port);
        r.outcome = Report::Outcome::failed;
        r.summary = "FAILED: " + *why;
        r.health = rotation::Health{rotation::HealthLevel::critical, *why,
                                    "RFC 5280 §4.1.2.5: a certificate is valid only between its notBefore and "
                                    "notAfter; the rollover's waits count on the clock"};
        return r;
    }
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

    // The admin ended DANE on purpose (State::dane_disabled): no heal, no
    // step that publishes; the certificate in service is still renewed.
    if (r.state.dane_disabled) {
        finish(r, now, facts());
        if (certificates(r, now)) {
            r.outcome = r.outcome == Report::Outcome::failed ? r.outcome : fail_or(r.outcome);
            return r;
        }
        r.outcome = fail_or(Report::Outcome::nothing_to_do);
        r.summary = "nothing to do: DANE for " + m_set.layout.host + " is disabled by the admin since " +
                    rotation::format_time(*r.state.dane_disabled);
        return r;
    }

    // Heal: the key in service missing from a secure RRset defers mail now
    // (RFC 7672 §3.1); adding the served key's record is always safe. A
    // secure denial of the whole RRset, after the key's record was seen
    // published, is DANE switched off by someone other than the admin's
    // command: healed the same way, never passed over in silence.
    const bool secure_rrset = r.dns.security == DnsView::Security::secure && r.dns.exists;
    const bool rrset_gone = r.dns.security == DnsView::Security::secure && !r.dns.exists && cur->published.has_value();
    if ((secure_rrset || rrset_gone) && !shows(r.dns, cur->record)) {
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
                rrset_gone ? "DNS published no TLSA RRset for " + m_set.layout.host + ", although the record of " +
                                 key_text(in_service) + " was published since " + date_of(*in_service.published) +
                                 ": DANE was off, and the record is republished now"
                           : "the record of " + key_text(in_service) +
                                 " was missing and is republished now; senders that cached the RRset without it "
                                 "defer until it expires",
                rrset_gone ? "RFC 7672 §2.2: without a TLSA RRset a sender's TLS is opportunistic, and an "
                             "attacker can strip it"
                           : "RFC 7672 §3.1"};
        } else {
            r.summary = (m_set.dry_run ? "would republish the record of " : "could not republish the record of ") +
                        key_text(in_service) + ", the key in service";
        }
        return r;
    }

    // The record of a key mxdane retired and moved away, still in the RRset
    // (RFC 7671 §8.1): withdrawn, only such records, never the RRset.
    if (const auto pinned = rotation::removed_but_published(r.state, r.dns);
        !pinned.empty() && m_with.publisher != nullptr) {
        bool ok = true;
        std::string ids;
        std::vector<tlsa::Record> gone;
        for (const KeyTimeline* k : pinned) {
            ok = publish(r, publish::Action::remove, k->record, "retired " + key_text(*k)) && ok;
            ids += (ids.empty() ? "" : ", ") + key_text(*k);
            gone.push_back(k->record);
        }
        if (ok && !m_set.dry_run) {
            // Health after the withdrawal, as the next lookup will see it.
            std::erase_if(r.dns.records, [&gone](const tlsa::Record& rec) {
                return std::find(gone.begin(), gone.end(), rec) != gone.end();
            });
        }
        finish(r, now, facts());
        r.outcome = ok ? fail_or(Report::Outcome::acted) : Report::Outcome::failed;
        r.summary = std::string(m_set.dry_run ? "would withdraw"
                                : ok          ? "withdrew"
                                              : "could not withdraw") +
                    " the record of " + ids + ", retired but still published";
        return r;
    }

    // The sender's walk of the host, every pass: a failing address family
    // or a server that lost STARTTLS is known the day it happens.
    rotation::HealthFacts f = facts();
    f.sender = sender_view();
    finish(r, now, f);
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
    // Certificates first, same keys, no DNS change: the one in service is
    // renewed before it expires, a staged key still self-signed gets the
    // issuer's certificate. The pass ends there.
    if (!finish_stage && certificates(r, now)) {
        r.outcome = r.outcome == Report::Outcome::failed ? r.outcome : fail_or(r.outcome);
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
        const auto refused = issue_next(r, now, true);
        if (refused) {
            // The key and its record stay; the next pass asks the issuer again.
            r.warnings.push_back(*refused + ". " + key_text(next) +
                                 " stays staged with a self-signed certificate; the next pass asks the issuer again");
        }
        r.outcome = ok && !refused ? fail_or(Report::Outcome::acted) : Report::Outcome::failed;
        r.summary = (m_set.dry_run ? "would stage " : "staged ") + key_text(next) + " (" + cur_name + " is " +
                    days_text(age) + " old)";
        return r;
    }
    case Step::publish:
    case Step::unpublish: {
        // The next key's record in, or the old key's out; then the wait.
        const bool add = r.plan.step == Step::publish;
        const KeyTimeline k = add ? *rotation::next_key(r.state) : *rotation::old_key(r.state);
        const bool ok = publish(r, add ? publish::Action::add : publish::Action::remove, k.record,
                                add ? "the next key" : "the old key");
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
        // In a dry run too, on the report's copy: the withdrawal planned
        // next is of the key that would then be old.
        rotation::mark_activated(r.state, now);
        save(r);
        const bool ok = publish(r, publish::Action::remove, before.record, "the old key");
        r.outcome = ok ? fail_or(Report::Outcome::acted) : Report::Outcome::failed;
        r.summary = (m_set.dry_run ? "would activate " : "activated ") + key_text(next) + " (proven live)";
        finish(r, now, facts());
        return r;
    }
    case Step::retire: {
        Report done = retire_step(now);
        done.actions.insert(done.actions.begin(), r.actions.begin(), r.actions.end());
        finish(done, now, facts());
        done.outcome = fail_or(done.outcome) == Report::Outcome::failed ? Report::Outcome::failed : done.outcome;
        return done;
    }
    }
    return r;
}

Report Engine::auto_pass(TimePoint now) {
    Report pre;
    const auto lock = hold(pre, true);
    if (!m_set.dry_run && !lock) {
        pre.outcome = Report::Outcome::waiting;
        pre.summary = "another pass for this host is running";
        pre.locked_out = true;
        return pre;
    }
    return merged(std::move(pre), auto_step(now));
}

} // namespace mxdane::rollover
