// Private to src/lib/publish: libldns handles, the TCP exchange and the
// reading of an UPDATE reply. (Declared here so the unit tests can feed
// crafted replies to the reader.)
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

// ldns/common.h defines bool, true and false as macros unless stdbool.h was
// seen first; in C++ those macros break every later standard header.
#include <stdbool.h> // NOLINT(modernize-deprecated-headers): must precede the ldns headers

// host2wire.h uses ldns_rbtree_t without including rbtree.h.
#include <ldns/rbtree.h>

// Not <ldns/ldns.h>: it pulls in keys.h and dnssec.h, which use the RSA and
// DSA types that OPENSSL_NO_DEPRECATED removes. Updates and TSIG need none.
#include <ldns/dname.h>
#include <ldns/error.h>
#include <ldns/host2wire.h>
#include <ldns/packet.h>
#include <ldns/rdata.h>
#include <ldns/rr.h>
#include <ldns/tsig.h>
#include <ldns/update.h>
#include <ldns/wire2host.h>

#include "mxdane/publish.h"

namespace mxdane::publish::wire {

using Bytes = std::vector<std::uint8_t>;

struct PktFree {
    void operator()(ldns_pkt* p) const noexcept { ldns_pkt_free(p); }
};
struct RrFree {
    void operator()(ldns_rr* p) const noexcept { ldns_rr_free(p); }
};
struct RrListFree {
    void operator()(ldns_rr_list* p) const noexcept { ldns_rr_list_deep_free(p); }
};
struct RdfFree {
    void operator()(ldns_rdf* p) const noexcept { ldns_rdf_deep_free(p); }
};
struct MallocFree {
    void operator()(void* p) const noexcept {
        std::free(p); // NOLINT(cppcoreguidelines-no-malloc): ldns allocates with malloc
    }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktFree>;
using RrPtr = std::unique_ptr<ldns_rr, RrFree>;
using RrListPtr = std::unique_ptr<ldns_rr_list, RrListFree>;
using RdfPtr = std::unique_ptr<ldns_rdf, RdfFree>;

/// RFC 8945 §10: 300 s is the recommended fudge.
inline constexpr std::uint16_t tsig_fudge = 300;

/// "NOERROR", "NXRRSET", ... or "RCODE 23".
std::string rcode_name(unsigned rcode);
/// The bytes of an rdf as on the wire.
Bytes rdf_bytes(const ldns_rdf* rdf);

/// A wire-format domain name as text ("example.net."), lowercase, bytes
/// other than letters, digits, '-' and '_' as \DDD. (ldns_rdf2str lives in
/// host2str.h, which needs the DNSSEC key types we cannot include.)
std::string dname_text(const ldns_rdf* name);

/// The outcome of one query/reply exchange over TCP.
struct Exchange {
    Status status = Status::ok; ///< ok, unreachable, timeout or bad_reply
    std::string detail;         ///< why, when not ok
    Bytes reply;
};

/// Sends one DNS message over TCP (RFC 1035 §4.2.2 length prefix, RFC 7766)
/// and reads one reply, all within `timeout`.
Exchange tcp_exchange(const Server& server, const Bytes& query, std::chrono::milliseconds timeout);

/// Names for the messages about one update.
struct UpdateContext {
    std::string server; ///< "127.0.0.1@53"
    std::string zone;   ///< "example.net."
    std::string owner;  ///< "_25._tcp.mx1.example.net."
};

/// Reads the reply to a TSIG-signed UPDATE. `request_mac` is the MAC of the
/// request as on the wire (with its 2-byte length), `now` seconds since the
/// epoch. Only status and message of the result are set. `is_update`
/// false: the reply to a TSIG-signed query (the credential check).
Outcome read_update_reply(const Bytes& reply, std::uint16_t query_id, const TsigKey& key, const Bytes& request_mac,
                          std::int64_t now, const UpdateContext& ctx, bool is_update = true);

/// "_25._tcp.mx1.example.net." with `rec` and `ttl`, class IN.
RrPtr tlsa_rr(const std::string& owner, std::uint32_t ttl, const tlsa::Record& rec);

} // namespace mxdane::publish::wire
