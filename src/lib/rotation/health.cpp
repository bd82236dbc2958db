// The health verdict (mxdane/health.h). Which senders defer is RFC 7672's
// rule: a secure, usable TLSA RRset binds the server to its records (§2.2,
// §3.1); a bogus or failed lookup makes validating senders defer (§2.1.1,
// §2.2); an insecure answer or no RRset at all means opportunistic TLS,
// nothing is deferred (§2.2).
#include "mxdane/health.h"

#include <algorithm>

namespace mxdane::rotation {
namespace {

Health verdict(HealthLevel level, std::string message, std::string reason) {
    return {level, std::move(message), std::move(reason)};
}

bool in_rrset(const DnsView& dns, const tlsa::Record& rec) {
    return std::find(dns.records.begin(), dns.records.end(), rec) != dns.records.end();
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) {
        out += (out.empty() ? "" : "; ") + l;
    }
    return out;
}

std::string days(std::chrono::seconds s) {
    return std::to_string(s.count() / 86400) + " days";
}

} // namespace

std::string_view health_level_name(HealthLevel level) {
    switch (level) {
    case HealthLevel::ok:
        return "ok";
    case HealthLevel::warning:
        return "warning";
    case HealthLevel::critical:
        return "critical";
    }
    return "critical";
}

Health assess(const State& s, const DnsView& dns, TimePoint now, const HealthFacts& facts) {
    const KeyTimeline* cur = current_key(s);
    const std::string host = s.host.empty() ? std::string("this host") : s.host;
    // Criticals first, in the order a person should fix them.
    if (facts.stable_pair_problem) {
        return verdict(HealthLevel::critical, *facts.stable_pair_problem,
                       "RFC 7672 §3.1: the MTA must present the key DNS publishes, with its own certificate");
    }
    if (dns.security == DnsView::Security::failed) {
        return verdict(HealthLevel::critical,
                       "the TLSA lookup failed (" + dns.why + "): DANE-validating senders defer mail to " + host +
                           " until it answers",
                       "RFC 7672 §2.2: a TLSA lookup that fails is not a denial of existence");
    }
    if (dns.security == DnsView::Security::bogus) {
        return verdict(HealthLevel::critical,
                       "the TLSA RRset is bogus (" + dns.why + "): DANE-validating senders defer mail to " + host,
                       "RFC 7672 §2.1.1: bogus answers are treated as lookup failures");
    }
    const bool secure_rrset = dns.security == DnsView::Security::secure && dns.exists && !dns.records.empty();
    if (secure_rrset && cur != nullptr && !in_rrset(dns, cur->record)) {
        return verdict(HealthLevel::critical,
                       "DNS does not show the record of key " + std::to_string(cur->id) + ", the key in service (" +
                           tlsa::rdata_text(cur->record) + "): DANE-validating senders defer mail to " + host +
                           " now; publish it",
                       "RFC 7672 §2.2 and §3.1: a secure TLSA RRset the server's key does not match means no delivery");
    }
    if (secure_rrset && facts.served && !in_rrset(dns, *facts.served)) {
        return verdict(HealthLevel::critical,
                       "the MTA serves a key DNS does not publish (" + tlsa::rdata_text(*facts.served) +
                           "): DANE-validating senders defer mail to " + host,
                       "RFC 7672 §3.1: the server's key must match a record of the secure TLSA RRset");
    }
    if (facts.credentials_error && !facts.credentials_error->empty()) {
        return verdict(HealthLevel::critical,
                       "the publishing credentials fail (" + *facts.credentials_error +
                           "): the next step that must change DNS cannot",
                       "RFC 8945 §5.2: the update server rejects the TSIG signature");
    }
    // What the timeline cannot see: an address family whose lookup fails, a
    // server without STARTTLS behind records that make TLS mandatory, a
    // base name that moved: the sender's own walk says it.
    if (facts.sender && facts.sender->overall == check::Overall::deferred) {
        return verdict(HealthLevel::critical,
                       "DANE-validating senders defer mail to " + host + ": " + joined(facts.sender->weak_paths),
                       "RFC 7672 §2.2 and §3.1: senders deliver only over a path whose lookups validate and whose "
                       "server matches");
    }
    // Warnings: DANE not in effect, or something overdue or odd.
    if (dns.security == DnsView::Security::insecure) {
        return verdict(HealthLevel::warning,
                       "the TLSA answer for " + host +
                           " is insecure (no DNSSEC): DANE is not in effect; senders use opportunistic TLS and "
                           "nothing is deferred",
                       "RFC 7672 §2.2: without a secure TLSA RRset, DANE does not apply");
    }
    if (!secure_rrset && s.dane_disabled) {
        return verdict(HealthLevel::ok,
                       "DANE for " + host + " is disabled by the admin since " + format_time(*s.dane_disabled) +
                           "; DNS publishes no TLSA RRset",
                       "RFC 7672 §2.2: without a secure TLSA RRset, DANE does not apply");
    }
    if (!secure_rrset && cur != nullptr && cur->published) {
        return verdict(HealthLevel::warning,
                       "DNS publishes no TLSA RRset for " + host + ", although the record of key " +
                           std::to_string(cur->id) + ", the key in service, was published (first seen " +
                           format_time(*cur->published) +
                           "): DANE is off and nobody disabled it; the daily pass republishes the record when a "
                           "publisher is configured",
                       "RFC 7672 §2.2: without a TLSA RRset a sender's TLS is opportunistic, and an attacker can "
                       "strip it");
    }
    if (!secure_rrset) {
        return verdict(HealthLevel::warning,
                       "DNS publishes no TLSA RRset for " + host +
                           " (secure denial): DANE is not in effect; senders use opportunistic TLS and nothing is "
                           "deferred",
                       "RFC 7672 §2.2: without a secure TLSA RRset, DANE does not apply");
    }
    if (cur == nullptr) {
        return verdict(HealthLevel::warning, "no key in service is known for " + host + ": run 'rollover init'",
                       "RFC 7671 §8.1: a rollover needs to know the key in service");
    }
    if (facts.served && !(*facts.served == cur->record)) {
        return verdict(HealthLevel::warning,
                       "the MTA serves " + tlsa::rdata_text(*facts.served) + ", not key " + std::to_string(cur->id) +
                           " the rollover state has in service; DNS publishes both, so nothing is deferred",
                       "RFC 7671 §8.1: the state must follow the key the server presents");
    }
    if (const auto pinned = removed_but_published(s, dns); !pinned.empty()) {
        const KeyTimeline& k = *pinned.front();
        return verdict(
            HealthLevel::warning,
            "DNS still publishes the record of key " + std::to_string(k.id) + " (" + tlsa::rdata_text(k.record) +
                "), which was retired" + (k.retired ? " on " + format_time(*k.retired) : std::string()) +
                ": whoever holds that key can still pass as " + host + " to DANE-validating senders; withdraw it",
            "RFC 7671 §8.1: the old key's record is withdrawn once the new key is in service");
    }
    if (facts.sender && facts.sender->overall == check::Overall::degraded) {
        return verdict(HealthLevel::warning,
                       "senders deliver to " + host + ", but not on every path: " + joined(facts.sender->weak_paths),
                       "RFC 7672 §2.2: senders skip a path whose lookups fail or whose server does not match");
    }
    if (cur->created) {
        const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - *cur->created);
        if (age > facts.key_life + facts.grace) {
            return verdict(HealthLevel::warning,
                           "key " + std::to_string(cur->id) + " is " + days(age) + " old, past its life of " +
                               days(facts.key_life) + " and " + days(facts.grace) + " of grace: rotate it",
                           "RFC 7671 §8.1: keys are rotated on a schedule, current + next");
        }
    }
    return verdict(HealthLevel::ok,
                   "the key in service is published in the secure TLSA RRset of " + host +
                       ": DANE-validating senders deliver",
                   "RFC 7672 §3.1");
}

} // namespace mxdane::rotation
