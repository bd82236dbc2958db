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

/// "in 3 days", "in 1 hour", "in 40 minutes", "already": how far off `t` is from `now`.
std::string how_soon(TimePoint now, TimePoint t) {
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(t - now).count();
    if (s < 0) {
        return "already";
    }
    const auto counted = [](long long n, const char* unit) {
        return "in " + std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
    };
    if (s >= 86400) {
        return counted(s / 86400, "day");
    }
    if (s >= 3600) {
        return counted(s / 3600, "hour");
    }
    return counted(s / 60, "minute");
}

/// The earliest signature expiration DNS showed: the resolver's TLSA RRset
/// or any authoritative server's TLSA, SOA or DNSKEY RRset.
struct Expiry {
    TimePoint at;
    std::string what; ///< "the TLSA RRset (as the validating resolver sees it)"
};
std::optional<Expiry> earliest_signature(const DnsView& dns) {
    std::optional<Expiry> e;
    if (dns.signatures_expire) {
        e = Expiry{*dns.signatures_expire, "the TLSA RRset (as the validating resolver sees it)"};
    }
    if (dns.servers) {
        for (const auto& v : *dns.servers) {
            if (v.signatures_expire && (!e || *v.signatures_expire < e->at)) {
                e = Expiry{*v.signatures_expire, "the " + v.signatures_rrset + " RRset served by " + v.name};
            }
        }
    }
    return e;
}

/// The largest TTL DNS showed for the TLSA RRset, the resolver's or a
/// server's.
std::chrono::seconds largest_ttl(const DnsView& dns) {
    std::uint32_t ttl = dns.ttl;
    if (dns.servers) {
        for (const auto& v : *dns.servers) {
            ttl = std::max(ttl, v.answered ? v.ttl : 0U);
        }
    }
    return std::chrono::seconds(std::int64_t{ttl});
}

/// "ns2.example.net (192.0.2.2) has not answered since T (why)" or "... has
/// served serial 5 since T while another serves 7".
std::string behind_text(const State& s, const DnsView& dns, const ServerSeen& v) {
    const auto since = s.servers_behind.find(v.name);
    const std::string when = since != s.servers_behind.end() ? " since " + format_time(since->second) : "";
    if (!v.answered) {
        return v.name + " has not answered" + when + (v.why.empty() ? "" : " (" + v.why + ")");
    }
    const auto newest = newest_serial(dns);
    return v.name + " has served serial " + std::to_string(v.serial.value_or(0)) + when +
           (newest ? ", while another server serves " + std::to_string(*newest) : std::string());
}

/// The server behind the longest, per State::servers_behind.
const ServerSeen* longest_behind(const State& s, const DnsView& dns, std::optional<TimePoint>& since) {
    const ServerSeen* worst = nullptr;
    for (const ServerSeen* v : servers_behind(dns)) {
        const auto it = s.servers_behind.find(v->name);
        if (it != s.servers_behind.end() && (!since || it->second < *since)) {
            since = it->second;
            worst = v;
        }
    }
    return worst;
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
    // Signatures about to expire: validators see the RRset bogus from then
    // on, with nothing changed by the admin (issue #24).
    const auto expiry = earliest_signature(dns);
    const auto critical_window = std::max(2 * largest_ttl(dns), std::chrono::seconds(86400));
    if (expiry && expiry->at - now <= critical_window) {
        return verdict(HealthLevel::critical,
                       "the signatures over " + expiry->what + " expire " + how_soon(now, expiry->at) + ", at " +
                           format_time(expiry->at) + ": DANE-validating senders see the TLSA RRset of " + host +
                           " as bogus and defer mail from then on (caches hold answers up to 2 x TTL); re-sign "
                           "the zone, and see that every server receives it",
                       "RFC 4035 §5.3.1: an RRSIG past its Signature Expiration does not validate");
    }
    // A switch held back by a server that is behind, overdue by the margin.
    const KeyTimeline* next = next_key(s);
    std::optional<TimePoint> behind_since;
    if (const ServerSeen* worst = longest_behind(s, dns, behind_since);
        worst != nullptr && next != nullptr && !servers_lacking(dns, next->record).empty() &&
        now - *behind_since >= 2 * largest_ttl(dns) + 2 * facts.margin) {
        return verdict(HealthLevel::critical,
                       "the switch to key " + std::to_string(next->id) + " is overdue: " + behind_text(s, dns, *worst) +
                           ", so the record of the next key is not yet at every authoritative server; fix the "
                           "zone transfers to it",
                       "RFC 7671 §8.1: the new key's record must be in every cache's copy of the RRset before "
                       "the switch");
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
    if (expiry && expiry->at - now <= facts.signature_warn) {
        return verdict(HealthLevel::warning,
                       "the signatures over " + expiry->what + " expire " + how_soon(now, expiry->at) + ", at " +
                           format_time(expiry->at) +
                           ": unless the zone is re-signed and every server receives it, "
                           "DANE-validating senders will defer mail to " +
                           host,
                       "RFC 4035 §5.3.1: an RRSIG past its Signature Expiration does not validate");
    }
    if (std::optional<TimePoint> since; const ServerSeen* worst = longest_behind(s, dns, since)) {
        if (now - *since >= server_lag_warn) {
            return verdict(HealthLevel::warning,
                           behind_text(s, dns, *worst) +
                               ": resolvers that ask it serve senders an older zone; fix the zone transfers to it",
                           "RFC 1996 and RFC 5936: every authoritative server should serve the primary's zone");
        }
    }
    if (facts.sender && facts.sender->overall == check::Overall::degraded) {
        return verdict(HealthLevel::warning,
                       "senders deliver to " + host + ", but not on every path: " + joined(facts.sender->weak_paths),
                       "RFC 7672 §2.2: senders skip a path whose lookups fail or whose server does not match");
    }
    if (facts.cert_not_before && now < *facts.cert_not_before) {
        return verdict(HealthLevel::warning,
                       "the certificate in service is not valid before " + format_time(*facts.cert_not_before) +
                           ": senders that check its dates (MTA-STS, PKIX) refuse it until then, DANE-EE "
                           "senders do not look at them; is this machine's clock behind?",
                       "RFC 5280 §4.1.2.5; RFC 7672 §3.1.1: DANE-EE ignores the validity period");
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
