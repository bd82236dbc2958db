// DNS lookups with DNSSEC validation done locally (RFC 7672 §2.1: a DANE
// sender trusts no upstream AD bit). A Resolver answers one question with a
// value that always says secure, insecure or bogus, never a bool.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "mxdane/endpoint.h"
#include "mxdane/expected.h"
#include "mxdane/tlsa.h"

namespace mxdane::dns {

/// RR types mxdane asks for (RFC 1035, RFC 3596, RFC 6698).
enum class RrType : std::uint16_t {
    a = 1,
    ns = 2,
    cname = 5,
    soa = 6,
    mx = 15,
    txt = 16,
    aaaa = 28,
    dnskey = 48,
    tlsa = 52
};

/// "A", "AAAA", "MX", ...
std::string_view type_name(RrType t);

/// The DNSSEC state of an answer (RFC 4033 §5), as unbound reports it.
enum class Security { secure, insecure, bogus };

/// "secure", "insecure", "bogus".
std::string_view security_name(Security s);

struct Mx {
    std::uint16_t preference = 0;
    std::string host; ///< lower case, no trailing dot; "" is the null MX "."
    friend bool operator==(const Mx&, const Mx&) = default;
};

/// An IPv4 or IPv6 address in presentation form.
struct Address {
    bool v6 = false;
    std::string text;
    friend bool operator==(const Address&, const Address&) = default;
};

struct Cname {
    std::string target; ///< lower case, no trailing dot
    friend bool operator==(const Cname&, const Cname&) = default;
};

/// NS (RFC 1035 §3.3.11): a name server of the zone.
struct Ns {
    std::string host; ///< lower case, no trailing dot
    friend bool operator==(const Ns&, const Ns&) = default;
};

/// TXT: the character-strings, joined.
struct Txt {
    std::string text;
    friend bool operator==(const Txt&, const Txt&) = default;
};

/// SOA (RFC 1035 §3.3.13): only at a zone's apex.
struct Soa {
    std::string mname; ///< the primary server, lower case, no trailing dot
    std::string rname; ///< the mailbox, as a domain name
    std::uint32_t serial = 0;
    std::uint32_t refresh = 0;
    std::uint32_t retry = 0;
    std::uint32_t expire = 0;
    std::uint32_t minimum = 0;
    friend bool operator==(const Soa&, const Soa&) = default;
};

/// DNSKEY (RFC 4034 §2): a zone's public key.
struct Dnskey {
    std::uint16_t flags = 0; ///< 256 a zone key, 257 with the Secure Entry Point bit
    std::uint8_t protocol = 3;
    std::uint8_t algorithm = 0;    ///< RFC 8624's numbers (13: ECDSA P-256 with SHA-256)
    std::vector<std::uint8_t> key; ///< the Public Key field
    friend bool operator==(const Dnskey&, const Dnskey&) = default;
};

using Rdata = std::variant<Mx, Address, Cname, Txt, tlsa::Record, Soa, Ns, Dnskey>;

/// Presentation form of one RDATA ("10 mx1.example.net.", "3 1 1 ab..").
std::string rdata_text(const Rdata& rd);

/// Parses one RDATA in wire format (RFC 1035 §3.3, no name compression:
/// unbound hands RDATA out decompressed). Untrusted input.
Expected<Rdata> parse_rdata(RrType type, const std::uint8_t* data, std::size_t len);

/// What one lookup found.
struct Answer {
    std::string qname; ///< as asked, no trailing dot
    RrType qtype = RrType::a;
    int rcode = 0; ///< DNS RCODE (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN)
    Security security = Security::insecure;
    std::string why_bogus; ///< unbound's reason when bogus
    bool nxdomain = false; ///< the name does not exist
    std::string canonical; ///< the name after CNAME expansion ("" when none)
    std::uint32_t ttl = 0; ///< of the answer RRset
    std::vector<Rdata> records;
    std::vector<std::string> malformed; ///< records we could not parse, and why
    /// The earliest Signature Expiration of the RRSIGs over the answer
    /// RRset (RFC 4034 §3.1.5: seconds since 1970, modulo 2^32), when the
    /// reply carried any; signature_expiry() turns it into a time.
    std::optional<std::uint32_t> rrsig_expiration;
    /// The largest Original TTL of those RRSIGs (RFC 4034 §3.1.4): the TTL
    /// the zone's signer published, whatever a cache has counted down.
    std::uint32_t rrsig_original_ttl = 0;

    /// NOERROR with no data of the type asked for.
    [[nodiscard]] bool nodata() const noexcept { return rcode == 0 && !nxdomain && records.empty(); }
    /// SERVFAIL or any other failure RCODE (not NXDOMAIN).
    [[nodiscard]] bool failed() const noexcept { return rcode != 0 && rcode != 3; }
};

/// The time a 32-bit RRSIG Signature Expiration or Inception field names
/// (RFC 4034 §3.1.5: seconds since 1970 modulo 2^32, compared by RFC 1982
/// serial arithmetic): the one of its values within 68 years of `near`.
std::chrono::system_clock::time_point rrsig_time(std::uint32_t field, std::chrono::system_clock::time_point near);

/// Answers questions. Implementations throw mxdane::Error only when they
/// cannot ask at all (local failure); every answer from the network,
/// SERVFAIL and bogus included, is a value.
class Resolver {
  public:
    Resolver() = default;
    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;
    Resolver(Resolver&&) = delete;
    Resolver& operator=(Resolver&&) = delete;
    virtual ~Resolver() = default;
    virtual Answer resolve(std::string_view name, RrType type) = 0;
    /// Several independent questions, answered in the order given. The
    /// default asks one after another; libunbound asks them concurrently.
    virtual std::vector<Answer> resolve_all(const std::vector<std::pair<std::string, RrType>>& questions) {
        std::vector<Answer> out;
        out.reserve(questions.size());
        for (const auto& [name, type] : questions) {
            out.push_back(resolve(name, type));
        }
        return out;
    }
    /// The zones of the trust anchors the answers are validated against,
    /// lower case with the trailing dot ("." for the root key).
    [[nodiscard]] virtual std::vector<std::string> trust_anchor_zones() const { return {"."}; }
};

/// A server's IP address and port, "127.0.0.1@5353" as unbound writes it
/// (sys::parse_endpoint with HostNames::refused reads it).
using ServerAddr = sys::Endpoint;

/// How the libunbound resolver is set up.
struct UnboundOptions {
    /// Files of DS or DNSKEY lines; empty means the root key below.
    std::vector<std::string> trust_anchor_files;
    std::string default_trust_anchor = "/usr/share/dns/root.key";
    std::vector<ServerAddr> forwarders;                       ///< forward everything here (still validated)
    std::vector<std::pair<std::string, ServerAddr>> stubs;    ///< zone -> authoritative server
    std::vector<std::pair<std::string, std::string>> options; ///< ub_ctx_set_option("NAME:", VALUE)
    /// Many threads ask at once (bulk check): one thread of the resolver
    /// waits on ub_fd and runs every callback, the askers wait for their
    /// own answers only. Without it, resolve_all must not run in two
    /// threads at once (ub_wait waits for every outstanding query).
    bool concurrent = false;
    /// With `concurrent`: how many libunbound contexts share the questions.
    /// libunbound validates every answer in the one worker thread of its
    /// context, so a single context checks DNSSEC signatures on one CPU
    /// core: the bulk check's bottleneck (README "Bulk check"). A call's
    /// questions go to the context chosen by a hash of its first name, so
    /// one name's answers are always cached in the same context. 0 means
    /// one per CPU core, at most 4. Without `concurrent` there is one.
    unsigned contexts = 1;
    /// Every lookup of this resolver ends by then, the reachability probe
    /// included: a lookup still open at the deadline is cancelled and
    /// resolve throws Error(Errc::io, "DNS lookup timed out ..."). For
    /// lookups that are advice and must never hold a command up. Not with
    /// `concurrent`.
    std::optional<std::chrono::steady_clock::time_point> deadline;
};

/// Parses "ZONE=ADDR[@PORT]".
Expected<std::pair<std::string, ServerAddr>> parse_stub(std::string_view text);
/// Parses "NAME:VALUE".
Expected<std::pair<std::string, std::string>> parse_resolver_option(std::string_view text);

/// The owner names of the records in a trust anchor file (DS/DNSKEY lines).
std::vector<std::string> trust_anchor_zones(std::string_view file_text);

/// The zone libunbound would answer itself (RFC 6761 names and the like)
/// that contains `zone`, or "" when there is none.
std::string builtin_local_zone(std::string_view zone);

/// Whether any of `servers` replies to one DNS query over UDP within
/// `timeout` (any reply counts: the server is there; a refused port or
/// silence does not).
bool any_server_answers(const std::vector<ServerAddr>& servers, std::chrono::milliseconds timeout);

/// A validating resolver on libunbound. Throws Error(Errc::io) when the
/// configuration is refused (unreadable trust anchor, bad option), and
/// Error(Errc::io, "cannot reach DNS (...)") when a lookup fails and none of
/// the servers it would use answers at all: a local failure, never a
/// verdict on the name.
std::unique_ptr<Resolver> make_unbound_resolver(const UnboundOptions& opts);

/// The zone a name belongs to: the apex (the owner of its SOA) and how
/// DNSSEC judged that SOA.
struct Zone {
    std::string apex; ///< lower case, no trailing dot ("." for the root)
    Security security = Security::insecure;
    std::string why_bogus; ///< unbound's reason when bogus
    friend bool operator==(const Zone&, const Zone&) = default;
};

/// Finds the zone that holds `name` (which need not exist, e.g. a TLSA owner
/// before its record is published): asks SOA at the name and at each
/// ancestor in turn until one has an SOA of its own (RFC 1034 §4.2.1: the
/// SOA sits at the apex and only there). A name that does not exist, has
/// no SOA or is a CNAME is not an apex; the walk goes one label up. A
/// SERVFAIL (or any failure RCODE) stops it: the name's zone cannot be
/// known, and an ancestor's zone would be a wrong answer when the name
/// sits in a delegated child. At most one question per label. Returns the
/// reason when there is no zone to name; Errors the resolver throws (a
/// local failure, no DNS reachable) pass through.
Expected<Zone> zone_of(Resolver& resolver, std::string_view name);

/// Why `a` cannot be used: "TLSA lookup bogus (NAME: why)", "A lookup
/// SERVFAIL (NAME, rcode 2)"; "" for a usable answer (secure, insecure,
/// NXDOMAIN, NODATA).
std::string failure_text(const Answer& a);

/// Whether `failed`, a bogus or failed answer, is this machine's failure
/// rather than its name's: asks the SOA of the closest trust anchor zone
/// above the name (validation starts at a trust anchor, RFC 4035 §5), and
/// unless it comes back secure nothing below it validates here (a trust
/// anchor that matches no key, the anchor zone's servers out of reach, a
/// clock far off). Returns "this machine cannot validate: ..." then, else
/// nullopt (the anchor's zone validates: the failure is the name's own; or
/// no anchor covers the name). Appends the SOA answer to `asked` when
/// given. Errors the resolver throws pass through.
std::optional<std::string> cannot_validate_here(Resolver& resolver, const Answer& failed,
                                                std::vector<Answer>* asked = nullptr);

} // namespace mxdane::dns
