// What every authoritative server of a TLSA owner's zone serves, each
// address asked on its own (issue #24). A validating resolver sees one
// server's answer at a time and reports its cache's remaining TTL; a
// rollover that waits for "the record is in DNS" must wait for every server
// a sender's resolver may ask, with the TTL the zone publishes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mxdane/dns.h"
#include "mxdane/expected.h"
#include "mxdane/tlsa.h"

namespace mxdane::dns {

/// What one address of one name server serves for the owner, as a
/// validating resolver whose only server for the zone is that address sees
/// it: an answer counts only when its signatures validate from the trust
/// anchor down (RFC 4035 §5), and its TTL is the zone's own (a fresh cache
/// holds no remainder).
struct ServerAnswer {
    std::string server; ///< the name server's name, lower case, no trailing dot
    ServerAddr address;
    enum class Status {
        answered,  ///< a secure TLSA answer (the RRset, or its secure denial)
        no_answer, ///< silent, refused, or SERVFAIL: nothing to judge
        bogus,     ///< it answered, and the answer does not validate
        insecure,  ///< it answered without DNSSEC the validator could follow
    };
    Status status = Status::no_answer;
    std::string why;                     ///< for no_answer, bogus and insecure
    std::optional<std::uint32_t> serial; ///< its SOA serial, when it gave one securely
    bool exists = false;                 ///< answered: the RRset exists
    std::vector<tlsa::Record> records;   ///< answered: the TLSA RRset
    std::uint32_t ttl = 0; ///< answered and exists: its TTL as served (or the RRSIG's Original TTL, if larger)
    /// The earliest RRSIG Signature Expiration (RFC 4034 §3.1.5, 32-bit
    /// seconds since 1970; dns::rrsig_time reads it) over the secure
    /// TLSA, SOA and DNSKEY answers of this address, and which RRset it
    /// covers ("TLSA", "SOA", "DNSKEY"). Unset when no secure answer came.
    std::optional<std::uint32_t> rrsig_expiration;
    std::string rrsig_rrset;
};
/// "answered", "no answer", "bogus", "insecure".
std::string_view server_status_name(ServerAnswer::Status s);

/// Every server of the zone that holds `owner`.
struct ServerView {
    std::string zone;                  ///< lower case, no trailing dot
    std::vector<ServerAnswer> servers; ///< by name server name, each address after the other
    /// A name server for which no address could be found securely.
    struct Unresolved {
        std::string server; ///< "ns2.example.net"
        std::string why;    ///< "no usable address (A: SERVFAIL; AAAA: SERVFAIL)"
    };
    /// A sender's resolver may still ask them, so a rollover must count
    /// them as silent.
    std::vector<Unresolved> unresolved;
};

/// A resolver that asks only `address` for `zone` (and validates as the
/// resolver of the run does), made for one server.
using ServerResolverFactory =
    std::function<std::unique_ptr<Resolver>(const std::string& zone, const ServerAddr& address)>;

/// The zone of `owner` (zone_of), its NS RRset, every name server's A and
/// AAAA (all through `resolver`, validated), then per address a resolver
/// from `factory` asked for `owner`/TLSA and the zone's SOA. `port`: where
/// the servers listen (53; labs use others). Unexpected, with the reason,
/// when the zone or its NS RRset cannot be found securely; a server that
/// cannot be asked is a value (no_answer), never a throw. Errors the
/// run's resolver throws (this machine cannot reach DNS) pass through.
Expected<ServerView> ask_every_server(Resolver& resolver, std::string_view owner, const ServerResolverFactory& factory,
                                      std::uint16_t port = 53);

/// The factory of the real resolver: `base` (the run's trust anchors,
/// forwarders, stubs and options) with `zone` stubbed to the one address.
/// An address that one of `base`'s stubs names is asked on that stub's
/// port (a server the admin pointed the resolver at), any other on the
/// address's own port (53 unless the caller said otherwise).
ServerResolverFactory unbound_server_factory(UnboundOptions base);

} // namespace mxdane::dns
