// The walk a DANE-validating sender performs (RFC 7672 §2): MX, addresses,
// TLSA base name, TLSA, then STARTTLS to every address. Pure over a Resolver
// and a Prober, so that it can be tested with fakes.
//
// Where the RFC leaves a choice, the walk does what Postfix 3.7 (Debian 12)
// does with `smtp_tls_security_level = dane` and its defaults, since Postfix
// is the reference DANE sender: an insecure MX RRset does not turn DANE off
// (`smtp_tls_dane_insecure_mx_policy = dane`, RFC 7672 §2.2.1 "MAY"), a
// failed A or AAAA lookup costs only that address family, and a host whose
// lookups fail is skipped while the other MX hosts are tried.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mxdane/dns.h"
#include "mxdane/smtp.h"

namespace mxdane::check {

/// What a DANE sender would do with a host or an address.
enum class Verdict {
    dane_validated, ///< TLS authenticated by a secure TLSA record
    failed,         ///< DANE applies, but delivery would not happen
    would_defer,    ///< a lookup on the path is bogus or failed: the sender defers
    no_dane,        ///< no secure TLSA: the sender uses opportunistic TLS
    /// Only unusable TLSA records: TLS is mandatory but not authenticated
    /// (RFC 7672 §2.2), and the server negotiated TLS.
    tls_unauthenticated,
};

/// "dane-validated", "FAILED", "would-defer", "no-dane", "tls-unauthenticated".
std::string_view verdict_name(Verdict v);

struct AddressCheck {
    dns::Address address;
    Verdict verdict = Verdict::no_dane;
    std::string reason;
    std::optional<smtp::ProbeResult> probe; ///< when it was probed
};

struct HostCheck {
    std::string host; ///< the MX host as listed
    std::uint16_t preference = 0;
    std::string base_name;  ///< TLSA base domain (§2.2.3), "" when none
    std::string tlsa_owner; ///< "_25._tcp.<base>", "" when none
    std::vector<tlsa::Record> tlsa;
    std::uint32_t tlsa_ttl = 0;
    /// An address family a sender cannot use: its lookup was bogus or failed
    /// while the other family gave addresses (one line each, with the cause).
    std::vector<std::string> skipped;
    /// Host-level verdict when no address was probed (then it applies to
    /// every address); otherwise the worst address verdict.
    Verdict verdict = Verdict::no_dane;
    std::string reason;
    std::vector<AddressCheck> addresses;
};

struct Request {
    std::string domain;      ///< the mail domain, or the MX host with mx_host
    bool mx_host = false;    ///< skip the MX step: `domain` is the MX host
    std::uint16_t port = 25; ///< to connect to; TLSA is always at _25._tcp
    std::string helo_name = "localhost";
    std::chrono::milliseconds step_timeout{30000};
    std::chrono::milliseconds total_timeout{120000};
    /// The sender's address budget: only the MX hosts among the first this
    /// many addresses in MX order (preference, then host name) are checked;
    /// a host that starts within the budget is checked whole. 0: every
    /// host. The default is Postfix's (smtp_mx_address_limit = 5).
    unsigned max_addresses = 5;
};

/// An MX host a sender does not try: it comes after the first
/// Request::max_addresses addresses in MX order.
struct NotTried {
    std::uint16_t preference = 0;
    std::string host;
    std::size_t addresses = 0; ///< how many its A and AAAA lookups gave
};

struct Report {
    std::string domain;
    bool mx_host = false;
    std::uint16_t port = 25;
    /// The MX RRset was insecure: senders still use the hosts' TLSA records
    /// (Postfix's default), but a forged MX answer can avoid them.
    bool mx_insecure = false;
    /// Set when the walk ended at the MX step (bogus, SERVFAIL, NXDOMAIN,
    /// null MX).
    std::optional<Verdict> mx_verdict;
    std::string mx_reason;
    std::vector<HostCheck> hosts;
    unsigned max_addresses = 0; ///< Request::max_addresses
    /// Hosts beyond the address budget: no TLSA lookup, no probe; they do
    /// not count in overall().
    std::vector<NotTried> not_tried;
    std::vector<dns::Answer> lookups; ///< every DNS answer, in order
    std::vector<std::string> warnings;
};

/// Runs one STARTTLS probe (smtp::probe in production, a fake in tests).
using Prober = std::function<smtp::ProbeResult(const smtp::ProbeRequest&)>;

/// Walks the path. Throws only what the resolver throws (local failure).
Report run(const Request& req, dns::Resolver& resolver, const Prober& prober);

/// The answer to "will DANE senders deliver?", for the whole domain.
enum class Overall {
    all_validated, ///< secure MX, and every address of every MX host DANE-validated
    /// Senders deliver, but not on every path: some host or address fails or
    /// is skipped, or DANE covers only part of the domain (a host without
    /// DANE, TLS without authentication, an insecure MX RRset): a path an
    /// attacker can force.
    degraded,
    deferred,      ///< no path a sender would use succeeds: mail waits in queues
    not_in_effect, ///< no MX host has TLSA records a sender uses, and nothing fails
};
Overall overall(const Report& r);

/// "all-validated", "degraded", "deferred", "not-in-effect".
std::string_view overall_name(Overall o);

/// Why a domain is not all_validated: one line per weak path ("mx2.example.net
/// [192.0.2.2]: FAILED, senders skip it"), in the order senders try them.
/// Empty for all_validated.
std::vector<std::string> weak_paths(const Report& r);

} // namespace mxdane::check
