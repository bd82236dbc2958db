// Every authoritative server of a zone, each address asked on its own
// (mxdane/authoritative.h). The zone, its NS RRset and the servers'
// addresses come from the run's validating resolver; each address is then
// asked through a resolver of its own whose only server for the zone is
// that address, so the validation is libunbound's, never ours (RFC 4035 §5).
#include "mxdane/authoritative.h"

#include <algorithm>
#include <variant>

#include "mxdane/error.h"

namespace mxdane::dns {
namespace {

/// The secure records of type T in `a`.
template <typename T> std::vector<T> secure_records(const Answer& a) {
    std::vector<T> out;
    if (a.security != Security::secure) {
        return out;
    }
    for (const auto& rd : a.records) {
        if (const auto* v = std::get_if<T>(&rd)) {
            out.push_back(*v);
        }
    }
    return out;
}

/// Keeps the earlier of the signatures of `a` and those already in `s`.
void note_signatures(ServerAnswer& s, const Answer& a) {
    if (a.security != Security::secure || !a.rrsig_expiration) {
        return;
    }
    // RFC 1982 serial arithmetic: the difference read signed.
    if (!s.rrsig_expiration || static_cast<std::int32_t>(*a.rrsig_expiration - *s.rrsig_expiration) < 0) {
        s.rrsig_expiration = a.rrsig_expiration;
        s.rrsig_rrset = std::string(type_name(a.qtype));
    }
}

/// One address asked for the TLSA RRset, the SOA and the DNSKEY RRset.
ServerAnswer ask_one(const std::string& zone, const std::string& owner, const std::string& ns,
                     const ServerAddr& address, const ServerResolverFactory& factory) {
    ServerAnswer s;
    s.server = ns;
    s.address = address;
    try {
        const auto resolver = factory(zone, address);
        const auto answers =
            resolver->resolve_all({{owner, RrType::tlsa}, {zone, RrType::soa}, {zone, RrType::dnskey}});
        const Answer& tlsa = answers.at(0);
        const Answer& soa = answers.at(1);
        for (const Answer& a : answers) {
            note_signatures(s, a);
        }
        if (const auto soas = secure_records<Soa>(soa); !soas.empty()) {
            s.serial = soas.front().serial;
        }
        if (tlsa.security == Security::bogus) {
            s.status = ServerAnswer::Status::bogus;
            s.why = tlsa.why_bogus.empty() ? std::string("no reason given") : tlsa.why_bogus;
        } else if (tlsa.failed()) {
            s.status = ServerAnswer::Status::no_answer;
            s.why = failure_text(tlsa);
        } else if (tlsa.security != Security::secure) {
            s.status = ServerAnswer::Status::insecure;
            s.why = "the TLSA answer is insecure";
        } else {
            s.status = ServerAnswer::Status::answered;
            s.records = secure_records<tlsa::Record>(tlsa);
            s.exists = !s.records.empty();
            // A fresh resolver holds no remainder; the RRSIG's Original TTL
            // is the signer's word where the server's TTL is lower.
            s.ttl = s.exists ? std::max(tlsa.ttl, tlsa.rrsig_original_ttl) : 0;
        }
    } catch (const Error& e) {
        // A server that does not answer at all is a fact about it.
        s.status = ServerAnswer::Status::no_answer;
        s.why = e.what();
    }
    return s;
}

} // namespace

std::string_view server_status_name(ServerAnswer::Status s) {
    switch (s) {
    case ServerAnswer::Status::answered:
        return "answered";
    case ServerAnswer::Status::no_answer:
        return "no answer";
    case ServerAnswer::Status::bogus:
        return "bogus";
    case ServerAnswer::Status::insecure:
        return "insecure";
    }
    return "no answer";
}

Expected<ServerView> ask_every_server(Resolver& resolver, std::string_view owner, const ServerResolverFactory& factory,
                                      std::uint16_t port) {
    const auto zone = zone_of(resolver, owner);
    if (!zone) {
        return Unexpected{"the zone of " + std::string(owner) + " cannot be found: " + zone.error()};
    }
    if (zone->security != Security::secure) {
        return Unexpected{"the zone " + zone->apex + " of " + std::string(owner) + " is not signed securely" +
                          (zone->why_bogus.empty() ? std::string() : " (" + zone->why_bogus + ")")};
    }
    ServerView view;
    view.zone = zone->apex;
    const Answer ns_answer = resolver.resolve(view.zone, RrType::ns);
    // By name: the RRset's order is the server's choice and changes from
    // answer to answer; the report should not.
    auto names = secure_records<Ns>(ns_answer);
    std::sort(names.begin(), names.end(), [](const Ns& a, const Ns& b) { return a.host < b.host; });
    if (names.empty()) {
        return Unexpected{"the NS RRset of " + view.zone + " is not secure: " +
                          (failure_text(ns_answer).empty() ? std::string("no records") : failure_text(ns_answer))};
    }
    std::string owner_name(owner);
    while (owner_name.size() > 1 && owner_name.back() == '.') {
        owner_name.pop_back();
    }
    for (const Ns& ns : names) {
        const auto answers = resolver.resolve_all({{ns.host, RrType::a}, {ns.host, RrType::aaaa}});
        std::vector<Address> addresses;
        for (const Answer& a : answers) {
            // An address a sender's resolver may use, even when its zone is
            // unsigned (glue): insecure addresses count, bogus ones do not.
            if (a.security == Security::bogus || a.failed()) {
                continue;
            }
            for (const auto& rd : a.records) {
                if (const auto* addr = std::get_if<Address>(&rd)) {
                    addresses.push_back(*addr);
                }
            }
        }
        if (addresses.empty()) {
            std::string why;
            for (const Answer& a : answers) {
                const std::string f = failure_text(a);
                why += (why.empty() || f.empty() ? "" : "; ") + f;
            }
            view.unresolved.push_back({ns.host, "no usable address" + (why.empty() ? "" : " (" + why + ")")});
            continue;
        }
        for (const Address& addr : addresses) {
            view.servers.push_back(ask_one(view.zone, owner_name, ns.host, ServerAddr{addr.text, port}, factory));
        }
    }
    return view;
}

ServerResolverFactory unbound_server_factory(UnboundOptions base) {
    return [base = std::move(base)](const std::string& zone, const ServerAddr& address) {
        UnboundOptions o = base;
        std::erase_if(o.stubs, [&zone](const auto& stub) {
            std::string z = stub.first;
            while (!z.empty() && z.back() == '.') {
                z.pop_back();
            }
            return z == zone;
        });
        // A server the admin named as a stub listens where the stub says:
        // its port, not 53 (a lab's server on loopback, a hidden primary).
        ServerAddr at = address;
        for (const auto& [z, server] : base.stubs) {
            if (server.host == address.host) {
                at.port = server.port;
            }
        }
        o.stubs.emplace_back(zone, at);
        o.concurrent = false;
        return make_unbound_resolver(o);
    };
}

} // namespace mxdane::dns
