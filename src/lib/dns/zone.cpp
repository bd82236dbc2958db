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

} // namespace mxdane::dns
