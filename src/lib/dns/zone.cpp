// Which zone holds a name: the nearest ancestor-or-self with an SOA of its
// own (RFC 1034 §4.2.1). Asked one label at a time through the Resolver, so
// the answer is validated like every other (secure, insecure or bogus).
#include <algorithm>
#include <variant>

#include "mxdane/dns.h"

namespace mxdane::dns {
namespace {

std::string normalized(std::string_view name) {
    std::string s(name);
    while (s.size() > 1 && s.back() == '.') {
        s.pop_back();
    }
    for (auto& c : s) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return s.empty() ? "." : s;
}

/// "b.c" for "a.b.c", "." for "c". (Labels are plain here: the names mxdane
/// asks about are host names and _port._tcp owners, never escaped dots.)
std::string parent(const std::string& name) {
    const auto dot = name.find('.');
    return dot == std::string::npos ? "." : name.substr(dot + 1);
}

bool has_soa(const Answer& a) {
    return std::ranges::any_of(a.records, [](const auto& rd) { return std::holds_alternative<Soa>(rd); });
}

std::string rcode_text(int rcode) {
    switch (rcode) {
    case 2:
        return "SERVFAIL";
    case 4:
        return "NOTIMP";
    case 5:
        return "REFUSED";
    default:
        return "RCODE " + std::to_string(rcode);
    }
}

} // namespace

Expected<Zone> zone_of(Resolver& resolver, std::string_view name) {
    std::string n = normalized(name);
    if (n == ".") {
        return Unexpected{"no name given"};
    }
    // One question per label, the root's included: bounded by the name.
    while (true) {
        const Answer a = resolver.resolve(n, RrType::soa);
        // A CNAME owner holds no SOA (RFC 1034 §3.6.2): the answer's data
        // would be the target's.
        if (a.canonical.empty() && has_soa(a)) {
            return Zone{n, a.security, a.why_bogus};
        }
        // A bogus denial or a failure says nothing trustworthy about where
        // the zone cut is: walking on could name the parent of the zone
        // that really holds the name.
        if (a.security == Security::bogus) {
            return Unexpected{"DNSSEC validation failed at " + n + " (" + a.why_bogus + ")"};
        }
        if (a.failed()) {
            return Unexpected{"the SOA lookup of " + n + " failed (" + rcode_text(a.rcode) + ")"};
        }
        if (n == ".") {
            return Unexpected{"no SOA found at " + normalized(name) + " or any name above it"};
        }
        n = parent(n);
    }
}

std::string failure_text(const Answer& a) {
    if (a.security == Security::bogus) {
        return std::string(type_name(a.qtype)) + " lookup bogus (" + a.qname + ": " + a.why_bogus + ")";
    }
    if (a.failed()) {
        return std::string(type_name(a.qtype)) + " lookup " + (a.rcode == 2 ? "SERVFAIL" : "failed") + " (" + a.qname +
               ", rcode " + std::to_string(a.rcode) + ")";
    }
    return {};
}

std::optional<std::string> cannot_validate_here(Resolver& resolver, const Answer& failed, std::vector<Answer>* asked) {
    std::string zone;
    const std::string name = failed.qname + ".";
    for (const auto& z : resolver.trust_anchor_zones()) {
        const bool covers = z == "." || name == z || (name.size() > z.size() && name.ends_with("." + z));
        if (covers && z.size() > zone.size()) {
            zone = z;
        }
    }
    if (zone.empty()) {
        return std::nullopt; // no anchor above the name: nothing validates it anyway
    }
    const Answer soa = resolver.resolve(zone == "." ? "." : zone.substr(0, zone.size() - 1), RrType::soa);
    if (asked != nullptr) {
        asked->push_back(soa);
    }
    if (soa.security == Security::secure && !soa.failed()) {
        return std::nullopt;
    }
    const std::string what = soa.security == Security::bogus ? "is bogus (" + soa.why_bogus + ")"
                             : soa.failed()                  ? "failed (rcode " + std::to_string(soa.rcode) + ")"
                                                             : "is insecure";
    return "this machine cannot validate: the SOA lookup of the trust anchor's zone " + zone + " " + what +
           ": the trust anchor matches no key of " + zone + ", or its name servers cannot be reached from here (" +
           failure_text(failed) + " follows from it)";
}

} // namespace mxdane::dns
