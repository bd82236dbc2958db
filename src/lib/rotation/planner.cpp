// The rollover planner (RFC 7671 §8.1, the seed's procedure): publish the
// next key's record beside the current one, wait until every cache that
// could hold the old RRset has expired it (2 x TTL + margin), switch the
// MTA, then withdraw the old record and retire the old key. Pure functions
// of the state, what DNS shows, and the time: no I/O here.
#include <algorithm>

#include "mxdane/error.h"
#include "mxdane/rotation.h"

namespace mxdane::rotation {
namespace {

bool shows(const DnsView& dns, const tlsa::Record& rec) {
    return dns.security == DnsView::Security::secure && dns.exists &&
           std::find(dns.records.begin(), dns.records.end(), rec) != dns.records.end();
}

/// Why DNS cannot confirm anything now, or "" when it is secure.
std::string dns_problem(const DnsView& dns) {
    switch (dns.security) {
    case DnsView::Security::secure:
        return "";
    case DnsView::Security::insecure:
        return "DNS answers for the TLSA name are insecure (no DNSSEC): DANE does not apply until the zone is signed";
    case DnsView::Security::bogus:
        return "DNS answers for the TLSA name are bogus (" + dns.why +
               "): DANE-validating senders defer mail to this host right now";
    case DnsView::Security::failed:
        return "the TLSA lookup failed (" + dns.why + ")";
    }
    return "unknown DNS state";
}

std::vector<tlsa::Record> records_of(std::initializer_list<const KeyTimeline*> keys) {
    std::vector<tlsa::Record> out;
    for (const auto* k : keys) {
        if (k != nullptr) {
            out.push_back(k->record);
        }
    }
    return out;
}

bool serves(const ServerSeen& s, const tlsa::Record& rec) {
    return s.answered && std::find(s.records.begin(), s.records.end(), rec) != s.records.end();
}

/// The largest TTL any server publishes for the RRset.
std::uint32_t servers_ttl(const DnsView& dns) {
    std::uint32_t ttl = 0;
    if (dns.servers) {
        for (const auto& s : *dns.servers) {
            ttl = std::max(ttl, s.answered ? s.ttl : 0U);
        }
    }
    return ttl;
}

/// RFC 1982 §3.2: a precedes b when the difference, read signed, is negative.
bool serial_before(std::uint32_t a, std::uint32_t b) {
    return static_cast<std::int32_t>(a - b) < 0;
}

/// " The others serve serial 8." when the serials of the servers that do
/// serve as asked are known: the serial a lagging server should catch up to.
std::string serials_text(const DnsView& dns, const std::vector<const ServerSeen*>& lagging) {
    std::optional<std::uint32_t> newest;
    for (const auto& s : *dns.servers) {
        if (std::find(lagging.begin(), lagging.end(), &s) == lagging.end() && s.serial &&
            (!newest || serial_before(*newest, *s.serial))) {
            newest = s.serial;
        }
    }
    return newest ? " (the others serve serial " + std::to_string(*newest) + ")" : std::string();
}

std::string key_name(const KeyTimeline& k) {
    return "key " + std::to_string(k.id) + " (" + k.key_file.filename().string() + ")";
}

} // namespace

std::string step_name(Step step) {
    switch (step) {
    case Step::adopt:
        return "adopt";
    case Step::stage:
        return "stage";
    case Step::publish:
        return "publish";
    case Step::wait_for_caches:
        return "wait-for-caches";
    case Step::activate:
        return "activate";
    case Step::unpublish:
        return "unpublish";
    case Step::retire:
        return "retire";
    }
    return "unknown";
}

std::vector<const ServerSeen*> servers_lacking(const DnsView& dns, const tlsa::Record& rec) {
    std::vector<const ServerSeen*> out;
    if (dns.servers) {
        for (const auto& s : *dns.servers) {
            if (!serves(s, rec)) {
                out.push_back(&s);
            }
        }
    }
    return out;
}

std::optional<std::uint32_t> newest_serial(const DnsView& dns) {
    std::optional<std::uint32_t> newest;
    if (dns.servers) {
        for (const auto& s : *dns.servers) {
            if (s.serial && (!newest || serial_before(*newest, *s.serial))) {
                newest = s.serial;
            }
        }
    }
    return newest;
}

std::vector<const ServerSeen*> servers_behind(const DnsView& dns) {
    std::vector<const ServerSeen*> out;
    const auto newest = newest_serial(dns);
    if (dns.servers) {
        for (const auto& s : *dns.servers) {
            if (!s.answered || (s.serial && newest && serial_before(*s.serial, *newest))) {
                out.push_back(&s);
            }
        }
    }
    return out;
}

std::vector<const ServerSeen*> servers_still_serving(const DnsView& dns, const tlsa::Record& rec) {
    std::vector<const ServerSeen*> out;
    if (dns.servers) {
        for (const auto& s : *dns.servers) {
            if (!s.answered || serves(s, rec)) {
                out.push_back(&s);
            }
        }
    }
    return out;
}

std::string servers_text(const std::vector<const ServerSeen*>& servers, const std::string& verb) {
    std::string out;
    for (const ServerSeen* s : servers) {
        out += (out.empty() ? "" : "; ") + s->name +
               (s->answered
                    ? " serves" + (s->serial ? " serial " + std::to_string(*s->serial) : std::string()) + " " + verb
                    : " did not answer (" + s->why + ")");
    }
    return out;
}

State observe(State s, const DnsView& dns, TimePoint now) {
    // Only a validated answer counts: an insecure, bogus or failed lookup
    // neither publishes nor withdraws anything.
    check_clock(s, now);
    if (dns.security != DnsView::Security::secure) {
        return s;
    }
    for (auto& k : s.keys) {
        // An incomplete key has no record: nothing in DNS can be its.
        if (k.removed || !k.created) {
            continue;
        }
        // With every authoritative server asked (issue #24): first seen
        // once the last of them serves it, with the largest TTL any of
        // them publishes; an answer without it puts a next key back.
        const auto lacking = servers_lacking(dns, k.record);
        const bool answered_without =
            std::any_of(lacking.begin(), lacking.end(), [](const ServerSeen* v) { return v->answered; });
        if (shows(dns, k.record) && !(!k.active && answered_without)) {
            if (!k.published && lacking.empty()) {
                k.published = now;
            }
            k.max_ttl_seen = std::max({k.max_ttl_seen, dns.ttl, servers_ttl(dns)});
        } else if (!k.active && k.published) {
            // A next key whose record vanished: caches may again hold an
            // RRset without it, so the wait starts over.
            k.published.reset();
        }
    }
    if (dns.servers) {
        // Since when each server has been behind: kept while it stays
        // behind, dropped once it catches up or leaves the NS RRset.
        std::map<std::string, TimePoint> behind;
        for (const ServerSeen* v : servers_behind(dns)) {
            const auto was = s.servers_behind.find(v->name);
            behind[v->name] = was != s.servers_behind.end() ? std::min(was->second, now) : now;
        }
        s.servers_behind = std::move(behind);
    }
    return s;
}

Plan plan(const State& s, const DnsView& dns, TimePoint now, const Policy& policy) {
    if (policy.margin.count() < 0 || policy.margin.count() > max_margin_seconds) {
        throw Error(Errc::bad_input, "a safety margin of " + std::to_string(policy.margin.count()) +
                                         " s is outside 0 to " + std::to_string(max_margin_seconds) + " s");
    }
    if (policy.ttl && *policy.ttl > max_ttl) {
        throw Error(Errc::bad_input,
                    "a TTL of " + std::to_string(*policy.ttl) + " s is outside 0 to " + std::to_string(max_ttl) + " s");
    }
    Plan p;
    const KeyTimeline* cur = current_key(s);
    const KeyTimeline* next = next_key(s);
    const KeyTimeline* old = old_key(s);
    if (cur == nullptr && next == nullptr) {
        p.step = Step::adopt;
        p.can_act_now = true;
        p.reason = "no key is known for " + (s.host.empty() ? std::string("this host") : s.host) +
                   ": adopt the one the MTA uses with 'mxdane rollover init'";
        return p;
    }
    const std::string problem = dns_problem(dns);

    if (old != nullptr) {
        p.rrset = records_of({cur, next});
        const auto serving = servers_still_serving(dns, old->record);
        if (problem.empty() && !shows(dns, old->record) && serving.empty()) {
            p.step = Step::retire;
            p.can_act_now = true;
            p.reason = "DNS no longer shows the record of " + key_name(*old) + ": its files can be retired";
        } else if (problem.empty() && !shows(dns, old->record)) {
            // A sender's resolver may still get the withdrawn record from
            // these (issue #24): after an emergency, from an attacker's key.
            p.step = Step::unpublish;
            p.reason = "the old record (" + tlsa::rdata_text(old->record) +
                       ") is withdrawn, but not every authoritative server has caught up: " +
                       servers_text(serving, "with it") + serials_text(dns, serving);
        } else {
            p.step = Step::unpublish;
            p.reason = problem.empty() ? "remove the old record (" + tlsa::rdata_text(old->record) +
                                             ") from DNS; it is still published"
                                       : problem;
        }
        return p;
    }

    if (next != nullptr) {
        p.rrset = records_of({cur, next});
        if (!problem.empty()) {
            p.step = Step::publish;
            p.reason = problem;
            return p;
        }
        if (!next->published || !shows(dns, next->record)) {
            p.step = Step::publish;
            // The resolver's answer is one server's: when some server serves
            // the record and others do not, name those (issue #24).
            const auto lacking = servers_lacking(dns, next->record);
            p.reason = !lacking.empty() && lacking.size() < dns.servers->size()
                           ? "the record of " + key_name(*next) +
                                 " is in DNS, but not every authoritative server serves it yet: " +
                                 servers_text(lacking, "without it") + serials_text(dns, lacking) +
                                 "; the wait for caches starts once the last of them does"
                           : "publish the RRset below; DNS does not yet show the record of " + key_name(*next);
            return p;
        }
        if (const auto lacking = servers_lacking(dns, next->record); !lacking.empty()) {
            // First seen everywhere once, but a server lacks it now (silent,
            // or restarted with an old copy): no switch until it serves it.
            p.step = Step::publish;
            p.reason = "not every authoritative server serves the record of " + key_name(*next) +
                       " now: " + servers_text(lacking, "without it") + serials_text(dns, lacking);
            return p;
        }
        std::uint32_t ttl = next->max_ttl_seen;
        if (cur != nullptr) {
            // Caches may hold the RRset from before the new record, with the
            // TTL it had then.
            ttl = std::max(ttl, cur->max_ttl_seen);
        }
        ttl = std::max({ttl, dns.ttl, servers_ttl(dns)});
        if (policy.ttl) {
            ttl = *policy.ttl;
        }
        // At most 2 x (2^32 - 1) + ten years of seconds: no overflow in 64 bits.
        const std::chrono::seconds wait = 2 * std::chrono::seconds(std::int64_t{ttl}) + policy.margin;
        const auto end = add_checked(*next->published, wait);
        if (!end) {
            throw Error(Errc::bad_input, "the wait for caches (2 x TTL " + std::to_string(ttl) + " s + margin " +
                                             std::to_string(policy.margin.count()) + " s after " +
                                             format_time(*next->published) + ") would end after " +
                                             format_time(latest_time()) + "; nothing was done");
        }
        const TimePoint allowed = *end;
        p.allowed_at = allowed;
        if (now < allowed) {
            p.step = Step::wait_for_caches;
            p.reason = "the record of " + key_name(*next) + " was first seen " + format_time(*next->published) +
                       "; switching is safe from " + format_time(allowed) + " (2 x TTL " + std::to_string(ttl) +
                       " s + margin " + std::to_string(policy.margin.count()) + " s)";
            return p;
        }
        p.step = Step::activate;
        p.can_act_now = true;
        p.reason = "every cache has seen the record of " + key_name(*next) + ": the MTA can switch to it";
        return p;
    }

    p.rrset = records_of({cur});
    p.step = Step::stage;
    p.can_act_now = true;
    if (const KeyTimeline* inc = incomplete_key(s); inc != nullptr) {
        p.reason = key_name(*inc) + " is incomplete (an interrupted stage): it has no record and is not " +
                   "published; run 'mxdane rollover stage " + s.host + "' again to complete or discard it";
        return p;
    }
    if (!problem.empty()) {
        p.reason = problem;
    } else if (!dns.exists) {
        // RFC 7672 §2.2: no secure TLSA RRset, no DANE: senders use
        // opportunistic TLS and defer nothing.
        p.reason = "DNS publishes no TLSA record for " + s.host +
                   " yet: DANE is not in effect; publish the record of " + key_name(*cur) + " below to turn it on";
    } else if (!shows(dns, cur->record)) {
        p.reason = "DNS does not show the record of the key in service, " + key_name(*cur) +
                   ": DANE-validating senders defer mail; publish the RRset below now";
    } else {
        const auto due = cur->created ? add_checked(*cur->created, std::chrono::hours(24 * 365)) : std::nullopt;
        p.reason = key_name(*cur) + " is in service and published; stage its successor when it is a year old" +
                   (due ? " (around " + format_time(*due) + ")" : std::string());
    }
    return p;
}

} // namespace mxdane::rotation
