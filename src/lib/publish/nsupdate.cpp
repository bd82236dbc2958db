// The RFC 2136 backend: read the RRset, send one TSIG-signed UPDATE that
// changes exactly the records asked for, and believe only a signed "yes".
//
// Race safety (issue #6: "two runs cannot race"). RFC 2136 has no "this one
// RR does not exist" prerequisite, so a per-record check cannot be written.
// Instead the update is a compare-and-swap on the whole RRset: mxdane reads
// the TLSA RRset from the same server, and the UPDATE carries it as the
// prerequisite, "RRset exists (value dependent)" (§2.4.2) with every record
// read, or "RRset does not exist" (§2.4.3) when there was none. The server
// checks prerequisites and applies updates atomically (§3.2, §3.4), so if any
// other writer changed the RRset in between, the server answers NXRRSET and
// changes nothing; a second run then re-reads and finds its work done.
#include <algorithm>
#include <array>
#include <ctime>
#include <optional>

#include <openssl/rand.h>

#include "dnswire.h"
#include "mxdane/error.h"
#include "mxdane/ossl.h"

namespace mxdane::publish {

namespace {

using wire::Bytes;
using wire::PktPtr;
using wire::RdfPtr;
using wire::RrListPtr;
using wire::RrPtr;

std::uint16_t random_id() {
    std::array<unsigned char, 2> bytes{};
    ossl::check(RAND_bytes(bytes.data(), static_cast<int>(bytes.size())), "RAND_bytes");
    return static_cast<std::uint16_t>((bytes[0] << 8U) | bytes[1]);
}

RdfPtr dname(const std::string& name) {
    RdfPtr d(ldns_dname_new_frm_str(name.c_str()));
    if (!d) {
        throw Error(Errc::bad_input, "'" + name + "' is not a domain name");
    }
    return d;
}

Bytes to_wire(const ldns_pkt* pkt) {
    std::uint8_t* raw = nullptr;
    std::size_t size = 0;
    if (ldns_pkt2wire(&raw, pkt, &size) != LDNS_STATUS_OK || raw == nullptr) {
        throw Error(Errc::io, "libldns could not encode the DNS message");
    }
    const std::unique_ptr<std::uint8_t, wire::MallocFree> owned(raw);
    return {raw, raw + size};
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string absolute(std::string name) {
    name = lower(std::move(name));
    if (name.empty() || name.back() != '.') {
        name += '.';
    }
    return name;
}

struct Reply {
    Outcome failure; ///< status ok when `pkt` is set
    PktPtr pkt;
};

struct CurrentRRset {
    std::vector<tlsa::Record> records;
};

class NsupdatePublisher final : public Publisher {
  public:
    explicit NsupdatePublisher(NsupdateOptions options) : m_opts(std::move(options)) {
        if (m_opts.zone) {
            m_opts.zone = absolute(*m_opts.zone);
        }
        probe_algorithm();
    }

    Outcome apply(const Change& change) override {
        check_change(change);
        const std::string owner = absolute(change.owner);

        std::string zone;
        if (m_opts.zone) {
            zone = *m_opts.zone;
            if (!ldns_dname_is_subdomain(dname(owner).get(), dname(zone).get()) && owner != zone) {
                throw Error(Errc::bad_input, owner + " is not inside zone " + zone);
            }
        } else {
            auto found = find_zone(owner);
            if (!found.done()) {
                return found;
            }
            zone = found.zone;
        }

        std::vector<tlsa::Record> current;
        if (auto read = read_rrset(owner, current); !read.done()) {
            read.zone = zone;
            return read;
        }

        // Only what is missing is added, only what is there is deleted.
        std::vector<Op> to_send;
        std::vector<Op> skipped;
        for (const auto& op : change.ops) {
            const bool present = std::find(current.begin(), current.end(), op.record) != current.end();
            const bool wanted = op.action == Action::add ? !present : present;
            (wanted ? to_send : skipped).push_back(op);
        }
        if (to_send.empty()) {
            Outcome o{Status::unchanged,
                      "server " + sys::endpoint_text(m_opts.server) + " already holds exactly this at " + owner +
                          "; no update sent",
                      zone,
                      {},
                      skipped};
            return o;
        }

        const RrListPtr prereq(ldns_rr_list_new());
        const RrListPtr updates(ldns_rr_list_new());
        if (!prereq || !updates) {
            throw std::bad_alloc();
        }
        if (current.empty()) {
            // RFC 2136 §2.4.3 "RRset does not exist": class NONE, TTL 0, no RDATA.
            RrPtr rr(ldns_rr_new());
            if (!rr) {
                throw std::bad_alloc();
            }
            ldns_rr_set_owner(rr.get(), dname(owner).release());
            ldns_rr_set_type(rr.get(), LDNS_RR_TYPE_TLSA);
            ldns_rr_set_class(rr.get(), LDNS_RR_CLASS_NONE);
            ldns_rr_set_ttl(rr.get(), 0);
            push(prereq.get(), std::move(rr));
        } else {
            // RFC 2136 §2.4.2 "RRset exists (value dependent)": every RR, TTL 0.
            for (const auto& rec : current) {
                push(prereq.get(), wire::tlsa_rr(owner, 0, rec));
            }
        }
        for (const auto& op : to_send) {
            if (op.action == Action::add) {
                push(updates.get(), wire::tlsa_rr(owner, op.ttl, op.record));
            } else {
                // RFC 2136 §2.5.4 "Delete an RR from an RRset": class NONE, TTL 0.
                RrPtr rr = wire::tlsa_rr(owner, 0, op.record);
                ldns_rr_set_class(rr.get(), LDNS_RR_CLASS_NONE);
                push(updates.get(), std::move(rr));
            }
        }

        const PktPtr pkt(
            ldns_update_pkt_new(dname(zone).release(), LDNS_RR_CLASS_IN, prereq.get(), updates.get(), nullptr));
        if (!pkt) {
            throw Error(Errc::io, "libldns could not build the UPDATE message");
        }
        // RFC 2136 §2.2: the bits after the opcode are zero in an UPDATE.
        ldns_pkt_set_rd(pkt.get(), false);
        Outcome o = signed_exchange(*pkt, zone, owner, true);
        if (o.status == Status::ok) {
            o.applied = to_send;
            o.skipped = skipped;
        }
        return o;
    }

    /// A TSIG-signed SOA query for the zone: the server verifies our
    /// signature (RFC 8945 §5.2) and we verify its reply's, changing nothing.
    Outcome check_credentials(const std::string& owner) override {
        probe_algorithm();
        std::string zone;
        if (m_opts.zone) {
            zone = *m_opts.zone;
        } else {
            Outcome found = find_zone(owner);
            if (found.status != Status::ok) {
                return found;
            }
            zone = found.zone;
        }
        const PktPtr pkt(ldns_pkt_query_new(dname(zone).release(), LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0));
        if (!pkt) {
            throw std::bad_alloc();
        }
        ldns_pkt_set_rd(pkt.get(), false);
        Outcome o = signed_exchange(*pkt, zone, owner, false);
        if (o.status == Status::ok) {
            o.message = "server " + sys::endpoint_text(m_opts.server) + " verified a query signed with TSIG key " +
                        m_opts.key.name + " and signed its reply";
        }
        return o;
    }

    [[nodiscard]] std::string describe() const override {
        return "RFC 2136 update to " + sys::endpoint_text(m_opts.server) + " with TSIG key " + m_opts.key.name + " (" +
               std::string(tsig_algorithm_name(m_opts.key.algorithm)) + ")";
    }

  private:
    /// Gives `pkt` a fresh ID and the TSIG signature, sends it and reads the
    /// signed reply (`is_update` false: the reply to a query). The outcome
    /// names `zone`.
    Outcome signed_exchange(ldns_pkt& pkt, const std::string& zone, const std::string& owner, bool is_update) const {
        const std::uint16_t id = random_id();
        ldns_pkt_set_id(&pkt, id);
        sign(&pkt);
        const Bytes request_mac = wire::rdf_bytes(ldns_rr_rdf(ldns_pkt_tsig(&pkt), 3));
        const auto ex = wire::tcp_exchange(m_opts.server, to_wire(&pkt), m_opts.timeout);
        if (ex.status != Status::ok) {
            return {ex.status, ex.detail, zone, {}, {}};
        }
        const wire::UpdateContext ctx{sys::endpoint_text(m_opts.server), zone, owner};
        Outcome o = wire::read_update_reply(ex.reply, id, m_opts.key, request_mac,
                                            static_cast<std::int64_t>(std::time(nullptr)), ctx, is_update);
        o.zone = zone;
        return o;
    }

    static void push(ldns_rr_list* list, RrPtr rr) {
        if (!ldns_rr_list_push_rr(list, rr.get())) {
            throw std::bad_alloc();
        }
        (void)rr.release(); // the list owns it now
    }

    static void check_change(const Change& change) {
        if (change.owner.empty()) {
            throw Error(Errc::bad_input, "a change needs an owner name");
        }
        for (std::size_t i = 0; i < change.ops.size(); ++i) {
            for (std::size_t j = i + 1; j < change.ops.size(); ++j) {
                if (change.ops[i].record == change.ops[j].record && change.ops[i].action != change.ops[j].action) {
                    throw Error(Errc::bad_input,
                                "the change both adds and deletes " + tlsa::rdata_text(change.ops[i].record));
                }
            }
        }
    }

    void sign(ldns_pkt* pkt) const {
        const auto st = ldns_pkt_tsig_sign(pkt, m_opts.key.name.c_str(), m_opts.key.secret.c_str(), wire::tsig_fudge,
                                           std::string(tsig_algorithm_dname(m_opts.key.algorithm)).c_str(), nullptr);
        if (st == LDNS_STATUS_CRYPTO_UNKNOWN_ALGO) {
            throw Error(Errc::bad_input, "TSIG key " + m_opts.key.name + ": libldns cannot sign with " +
                                             std::string(tsig_algorithm_name(m_opts.key.algorithm)) +
                                             " (use hmac-sha256 or hmac-sha512)");
        }
        if (st != LDNS_STATUS_OK || ldns_pkt_tsig(pkt) == nullptr) {
            throw Error(Errc::crypto,
                        "TSIG key " + m_opts.key.name + ": signing failed: " + ldns_get_errorstr_by_id(st));
        }
    }

    /// Signs a throwaway message, so that a key libldns cannot use is
    /// reported before anything is sent.
    void probe_algorithm() const {
        // libldns 1.8.3 signs with md5, sha1, sha256 and sha512 only (its
        // table misspells sha384 as "hmac-shac384.", and has no sha224), and
        // leaks in ldns_pkt_tsig_sign's error path: refuse those without
        // asking it.
        if (m_opts.key.algorithm == TsigAlgorithm::hmac_sha384 || m_opts.key.algorithm == TsigAlgorithm::hmac_sha224) {
            throw Error(Errc::bad_input, "TSIG key " + m_opts.key.name + ": libldns cannot sign with " +
                                             std::string(tsig_algorithm_name(m_opts.key.algorithm)) +
                                             " (use hmac-sha256 or hmac-sha512)");
        }
        const PktPtr pkt(ldns_pkt_query_new(dname(".").release(), LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0));
        if (!pkt) {
            throw std::bad_alloc();
        }
        sign(pkt.get());
    }

    /// Sends a plain query (no RD) to the server and parses the reply.
    Reply query(const std::string& name, ldns_rr_type type) const {
        Reply r;
        const PktPtr q(ldns_pkt_query_new(dname(name).release(), type, LDNS_RR_CLASS_IN, 0));
        if (!q) {
            throw std::bad_alloc();
        }
        const std::uint16_t id = random_id();
        ldns_pkt_set_id(q.get(), id);
        const auto ex = wire::tcp_exchange(m_opts.server, to_wire(q.get()), m_opts.timeout);
        if (ex.status != Status::ok) {
            r.failure = {ex.status, ex.detail, {}, {}, {}};
            return r;
        }
        ldns_pkt* raw = nullptr;
        if (ldns_wire2pkt(&raw, ex.reply.data(), ex.reply.size()) != LDNS_STATUS_OK || raw == nullptr) {
            r.failure = {Status::bad_reply,
                         "the reply of " + sys::endpoint_text(m_opts.server) + " is not a DNS message",
                         {},
                         {},
                         {}};
            return r;
        }
        r.pkt.reset(raw);
        if (ldns_pkt_id(raw) != id || !ldns_pkt_qr(raw)) {
            r.failure = {Status::bad_reply,
                         "the reply of " + sys::endpoint_text(m_opts.server) + " does not answer the query",
                         {},
                         {},
                         {}};
            r.pkt.reset();
        }
        return r;
    }

    /// The zone holding `owner`: the SOA in the answer or authority section
    /// of an SOA query (how nsupdate finds it), walking up when a server
    /// leaves it out.
    Outcome find_zone(const std::string& owner) const {
        const std::string where = "server " + sys::endpoint_text(m_opts.server);
        std::string name = owner;
        while (true) {
            Reply r = query(name, LDNS_RR_TYPE_SOA);
            if (!r.pkt) {
                return r.failure;
            }
            const auto rcode = ldns_pkt_get_rcode(r.pkt.get());
            if (rcode == LDNS_RCODE_REFUSED || rcode == LDNS_RCODE_NOTAUTH) {
                return {Status::notauth,
                        where + " serves no zone that holds " + owner + " (it answered " +
                            wire::rcode_name(static_cast<unsigned>(rcode)) +
                            " to an SOA query); name the server of that zone, or give " +
                            std::string(setting_words(Setting::zone)),
                        {},
                        {},
                        {}};
            }
            if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
                return {Status::server_failed,
                        where + " answered " + wire::rcode_name(static_cast<unsigned>(rcode)) +
                            " to an SOA query for " + name,
                        {},
                        {},
                        {}};
            }
            if (!ldns_pkt_aa(r.pkt.get())) {
                return {Status::notauth,
                        where + " is not authoritative for " + owner + " (no AA bit in its answer); give " +
                            std::string(setting_words(Setting::zone)) + " and the zone's primary server",
                        {},
                        {},
                        {}};
            }
            for (auto section : {LDNS_SECTION_ANSWER, LDNS_SECTION_AUTHORITY}) {
                const ldns_rr_list* list =
                    section == LDNS_SECTION_ANSWER ? ldns_pkt_answer(r.pkt.get()) : ldns_pkt_authority(r.pkt.get());
                for (std::size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
                    const ldns_rr* rr = ldns_rr_list_rr(list, i);
                    if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
                        return {Status::ok, "", wire::dname_text(ldns_rr_owner(rr)), {}, {}};
                    }
                }
            }
            if (name == ".") {
                return {Status::notauth,
                        where + " names no zone for " + owner + "; give " + std::string(setting_words(Setting::zone)),
                        {},
                        {},
                        {}};
            }
            const RdfPtr parent(ldns_dname_left_chop(dname(name).get()));
            if (!parent) {
                throw std::bad_alloc();
            }
            name = wire::dname_text(parent.get());
        }
    }

    /// The TLSA records the server holds at `owner` now.
    Outcome read_rrset(const std::string& owner, std::vector<tlsa::Record>& out) const {
        const std::string where = "server " + sys::endpoint_text(m_opts.server);
        Reply r = query(owner, LDNS_RR_TYPE_TLSA);
        if (!r.pkt) {
            return r.failure;
        }
        const auto rcode = ldns_pkt_get_rcode(r.pkt.get());
        if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
            const Status s =
                rcode == LDNS_RCODE_REFUSED || rcode == LDNS_RCODE_NOTAUTH ? Status::notauth : Status::server_failed;
            return {s,
                    where + " answered " + wire::rcode_name(static_cast<unsigned>(rcode)) +
                        " when asked for the TLSA records at " + owner + " (is it authoritative for the zone?)",
                    {},
                    {},
                    {}};
        }
        if (!ldns_pkt_aa(r.pkt.get())) {
            return {Status::notauth, where + " is not authoritative for " + owner, {}, {}, {}};
        }
        const RdfPtr want(dname(owner));
        const ldns_rr_list* answer = ldns_pkt_answer(r.pkt.get());
        for (std::size_t i = 0; i < ldns_rr_list_rr_count(answer); ++i) {
            const ldns_rr* rr = ldns_rr_list_rr(answer, i);
            if (ldns_dname_compare(ldns_rr_owner(rr), want.get()) != 0) {
                continue;
            }
            if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME) {
                return {Status::refused,
                        owner + " is an alias (CNAME) on " + where + "; TLSA records cannot be added there",
                        {},
                        {},
                        {}};
            }
            if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TLSA || ldns_rr_rd_count(rr) != 4) {
                continue;
            }
            tlsa::Record rec;
            const auto byte = [&](std::size_t k) -> std::uint8_t {
                const ldns_rdf* f = ldns_rr_rdf(rr, k);
                return ldns_rdf_size(f) == 1 ? ldns_rdf_data(f)[0] : 0xff;
            };
            rec.usage = byte(0);
            rec.selector = byte(1);
            rec.mtype = byte(2);
            rec.data = wire::rdf_bytes(ldns_rr_rdf(rr, 3));
            out.push_back(std::move(rec));
        }
        return {Status::ok, "", {}, {}, {}};
    }

    NsupdateOptions m_opts;
};

} // namespace

std::unique_ptr<Publisher> make_nsupdate_publisher(NsupdateOptions options) {
    return std::make_unique<NsupdatePublisher>(std::move(options));
}

} // namespace mxdane::publish
