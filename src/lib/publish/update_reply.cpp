// The reading of a reply to a TSIG-signed UPDATE or query (RFC 2136 §3.8,
// RFC 8945 §5.3): its ID, its rcode and a signature that must verify. Apart
// from the transport session in nsupdate.cpp so that the fuzz target and the
// unit tests feed it crafted replies.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <optional>
#include <utility>

#include "dnswire.h"
#include "mxdane/error.h"

namespace mxdane::publish {
namespace wire {

std::string rcode_name(unsigned rcode) {
    static constexpr std::array<const char*, 11> names{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                                       "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                                       "NXRRSET", "NOTAUTH", "NOTZONE"};
    return rcode < names.size() ? names[rcode] : "RCODE " + std::to_string(rcode);
}

Bytes rdf_bytes(const ldns_rdf* rdf) {
    const auto* p = ldns_rdf_data(rdf);
    return {p, p + ldns_rdf_size(rdf)};
}

std::string dname_text(const ldns_rdf* name) {
    const Bytes b = rdf_bytes(name);
    std::string out;
    std::size_t i = 0;
    while (i < b.size() && b[i] != 0) {
        const std::size_t len = b[i++];
        for (std::size_t k = 0; k < len && i < b.size(); ++k, ++i) {
            const auto c = static_cast<unsigned char>(std::tolower(b[i]));
            if (std::isalnum(c) != 0 || c == '-' || c == '_') {
                out += static_cast<char>(c);
            } else {
                const auto d = std::to_string(c);
                out += "\\" + std::string(3 - d.size(), '0') + d;
            }
        }
        out += '.';
    }
    return out.empty() ? "." : out;
}

namespace {

/// RFC 8945 §5.3.2 and the IANA TSIG error registry; a table like rcode_name.
std::string tsig_error_name(unsigned err) {
    static constexpr std::array<std::pair<unsigned, const char*>, 4> names{
        {{16, "BADSIG"}, {17, "BADKEY"}, {18, "BADTIME"}, {22, "BADTRUNC"}}};
    for (const auto& [code, name] : names) {
        if (code == err) {
            return name;
        }
    }
    return std::to_string(err);
}

std::int64_t tsig_time(const ldns_rdf* rdf) {
    if (ldns_rdf_size(rdf) != 6) {
        return -1;
    }
    std::int64_t t = 0;
    for (const auto b : rdf_bytes(rdf)) {
        t = t << 8 | b;
    }
    return t;
}

bool same_name(const ldns_rdf* a, const std::string& b) {
    const RdfPtr other(ldns_dname_new_frm_str(b.c_str()));
    return other && ldns_dname_compare(a, other.get()) == 0;
}

/// How many TSIG records the message holds, or nullopt when its records do
/// not fit in it. Read before libldns sees the reply: ldns_wire2pkt (1.8.3)
/// keeps only the last TSIG record it meets and leaks the others, and a
/// reply may hold only one, as its last record (RFC 8945 §5.1).
std::optional<std::size_t> tsig_records(const Bytes& m) {
    if (m.size() < 12) {
        return std::nullopt;
    }
    const auto u16 = [&m](std::size_t p) { return static_cast<std::size_t>(m[p]) << 8U | m[p + 1]; };
    std::size_t pos = 12;
    // RFC 1035 §4.1.4: labels end at a zero octet or at a 2-octet pointer.
    const auto skip_name = [&m, &pos] {
        while (pos < m.size()) {
            const unsigned l = m[pos];
            if ((l & 0xC0U) == 0xC0U) {
                pos += 2;
                return pos <= m.size();
            }
            if ((l & 0xC0U) != 0) {
                return false;
            }
            pos += 1 + l;
            if (l == 0) {
                return true;
            }
        }
        return false;
    };
    for (std::size_t i = 0; i < u16(4); ++i) {
        if (!skip_name() || (pos += 4) > m.size()) {
            return std::nullopt;
        }
    }
    std::size_t tsigs = 0;
    const std::size_t records = u16(6) + u16(8) + u16(10);
    for (std::size_t i = 0; i < records; ++i) {
        if (!skip_name() || pos + 10 > m.size()) {
            return std::nullopt;
        }
        if (u16(pos) == LDNS_RR_TYPE_TSIG) {
            ++tsigs;
        }
        pos += 10 + u16(pos + 8);
        if (pos > m.size()) {
            return std::nullopt;
        }
    }
    return tsigs;
}

/// Why the reply's TSIG does not prove it came from the key holder, or "".
std::string tsig_problem(ldns_pkt* pkt, const Bytes& reply, const TsigKey& key, const Bytes& request_mac,
                         std::int64_t now) {
    ldns_rr* tsig = ldns_pkt_tsig(pkt);
    if (tsig == nullptr) {
        return "the reply is not TSIG-signed";
    }
    if (ldns_rr_rd_count(tsig) < 7) {
        return "the reply's TSIG record is malformed";
    }
    if (!same_name(ldns_rr_owner(tsig), key.name)) {
        return "the reply is signed with another key";
    }
    if (!same_name(ldns_rr_rdf(tsig, 0), std::string(tsig_algorithm_dname(key.algorithm)))) {
        return "the reply is signed with another algorithm";
    }
    const RdfPtr mac(ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, request_mac.size(), request_mac.data()));
    if (!mac) {
        throw std::bad_alloc();
    }
    // (name and algorithm are checked above: on those errors libldns would
    // return early and leave the packet without its TSIG record)
    if (!ldns_pkt_tsig_verify(pkt, reply.data(), reply.size(), key.name.c_str(), key.secret.c_str(), mac.get())) {
        return "the reply's TSIG MAC does not verify";
    }
    // RFC 8945 §5.2.3: the time must be within the fudge.
    const auto signed_at = tsig_time(ldns_rr_rdf(tsig, 1));
    const auto fudge = static_cast<std::int64_t>(ldns_rdf2native_int16(ldns_rr_rdf(tsig, 2)));
    if (signed_at < 0 || std::abs(now - signed_at) > fudge) {
        return "the reply's TSIG time is " + std::to_string(signed_at - now) + " s away from this machine's clock";
    }
    return "";
}

} // namespace

RrPtr tlsa_rr(const std::string& owner, std::uint32_t ttl, const tlsa::Record& rec) {
    if (rec.data.empty()) {
        throw Error(Errc::bad_input, "a TLSA record with no data cannot be published");
    }
    const std::string text = owner + " " + std::to_string(ttl) + " IN TLSA " + tlsa::rdata_text(rec);
    ldns_rr* rr = nullptr;
    if (ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr) != LDNS_STATUS_OK || rr == nullptr) {
        throw Error(Errc::bad_input, "cannot encode the record " + text);
    }
    return RrPtr(rr);
}

Outcome read_update_reply(const Bytes& reply, std::uint16_t query_id, const TsigKey& key, const Bytes& request_mac,
                          std::int64_t now, const UpdateContext& ctx, bool is_update) {
    const auto out = [](Status s, std::string m) { return Outcome{s, std::move(m), {}, {}, {}}; };
    const auto tsigs = tsig_records(reply);
    if (tsigs && *tsigs > 1) {
        return out(Status::bad_reply, "the reply of " + ctx.server + " holds " + std::to_string(*tsigs) +
                                          " TSIG records (RFC 8945 §5.1: at most one, the last)");
    }
    ldns_pkt* raw = nullptr;
    if (!tsigs || ldns_wire2pkt(&raw, reply.data(), reply.size()) != LDNS_STATUS_OK || raw == nullptr) {
        return out(Status::bad_reply, "the reply of " + ctx.server + " is not a DNS message");
    }
    const PktPtr pkt(raw);
    if (ldns_pkt_id(pkt.get()) != query_id || !ldns_pkt_qr(pkt.get()) ||
        ldns_pkt_get_opcode(pkt.get()) != (is_update ? LDNS_PACKET_UPDATE : LDNS_PACKET_QUERY)) {
        return out(Status::bad_reply, "the reply of " + ctx.server + " does not answer the update sent");
    }
    const auto rcode = static_cast<unsigned>(ldns_pkt_get_rcode(pkt.get()));
    const std::string rc = rcode_name(rcode);
    const std::string server = "server " + ctx.server;
    const std::string kn = "TSIG key " + key.name;

    // RFC 8945 §5.3.2: a TSIG error comes back unsigned; it can only make us
    // believe that nothing changed, which is the safe direction.
    if (ldns_rr* tsig = ldns_pkt_tsig(pkt.get()); tsig != nullptr && ldns_rr_rd_count(tsig) >= 6) {
        const unsigned err = ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5));
        const std::string tag = " (" + rc + ", TSIG error " + tsig_error_name(err) + ")";
        switch (err) {
        case 0:
            break;
        case 16:
            return out(Status::badsig, server + " rejected the signature made with " + kn + tag +
                                           ": the secret in the key file is not the server's");
        case 17:
            return out(Status::badkey, server + " does not accept " + kn + " for updates of zone " + ctx.zone + tag +
                                           ": the server does not know this key name, or the zone's update "
                                           "policy does not list it");
        case 18:
            return out(Status::badtime, server + " rejected the time of the signature" + tag +
                                            ": this machine's clock and the server's differ by more than " +
                                            std::to_string(tsig_fudge) + " s");
        default:
            return out(Status::badsig, server + " rejected the TSIG signature" + tag);
        }
    }

    switch (rcode) {
    case LDNS_RCODE_NOERROR:
        break;
    case LDNS_RCODE_REFUSED:
        return out(Status::refused, server + " refused the update of zone " + ctx.zone + " (" + rc +
                                        "): its policy does not let " + kn + " change " + ctx.owner);
    case LDNS_RCODE_NOTAUTH:
        return out(Status::notauth, server + " is not authoritative for zone " + ctx.zone + " (" + rc +
                                        "): send updates to the zone's primary server");
    case LDNS_RCODE_NXRRSET:
    case LDNS_RCODE_YXRRSET:
    case LDNS_RCODE_NXDOMAIN:
    case LDNS_RCODE_YXDOMAIN:
        return out(Status::prereq_failed, "the TLSA RRset at " + ctx.owner + " changed after mxdane read it (" + rc +
                                              ": prerequisite not met; another update at the same time?); "
                                              "nothing was changed, run again");
    case LDNS_RCODE_NOTZONE:
        return out(Status::notzone, ctx.owner + " is not inside zone " + ctx.zone + " (" + rc + ")");
    case LDNS_RCODE_FORMERR:
        return out(Status::formerr, server + " could not parse the update (" + rc + ")");
    case LDNS_RCODE_NOTIMPL:
        return out(Status::formerr, server + " does not implement dynamic updates (" + rc + ")");
    case LDNS_RCODE_SERVFAIL:
        return out(Status::server_failed, server + " failed to apply the update (" + rc +
                                              "); nothing is known to be changed, its log says why");
    default:
        return out(Status::server_failed, server + " answered " + rc + "; nothing is known to be changed");
    }

    if (const auto problem = tsig_problem(pkt.get(), reply, key, request_mac, now); !problem.empty()) {
        return out(Status::bad_reply,
                   server + " answered NOERROR, but " + problem + ": cannot tell whether the update was applied");
    }
    return out(Status::ok, server + " applied the update (NOERROR, reply signed with " + key.name + ")");
}

} // namespace wire

} // namespace mxdane::publish
