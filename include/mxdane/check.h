// The walk a DANE-validating sender performs (RFC 7672 §2): MX, addresses,
// TLSA base name, TLSA, then STARTTLS to every address. Pure over a Resolver
// and a Prober, so that it can be tested with fakes.
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
};

/// "dane-validated", "FAILED", "would-defer", "no-dane".
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
};

struct Report {
    std::string domain;
    bool mx_host = false;
    std::uint16_t port = 25;
    /// Set when the walk ended at the MX step (bogus, SERVFAIL, NXDOMAIN,
    /// null MX), or when the MX RRset is insecure (no_dane).
    std::optional<Verdict> mx_verdict;
    std::string mx_reason;
    std::vector<HostCheck> hosts;
    std::vector<dns::Answer> lookups; ///< every DNS answer, in order
    std::vector<std::string> warnings;
};

/// Runs one STARTTLS probe (smtp::probe in production, a fake in tests).
using Prober = std::function<smtp::ProbeResult(const smtp::ProbeRequest&)>;

/// Walks the path. Throws only what the resolver throws (local failure).
Report run(const Request& req, dns::Resolver& resolver, const Prober& prober);

/// The answer to "will DANE senders deliver?".
enum class Overall {
    all_validated, ///< every MX host DANE-validated
    some_failed,   ///< some host failed or would defer
    not_in_effect, ///< insecure MX, or some host without secure TLSA (and none failed)
};
Overall overall(const Report& r);

} // namespace mxdane::check
