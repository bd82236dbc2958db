// Many domains in one run (README "Bulk check"): one resolver and its cache
// for every lookup, the walk of check::run for each domain on a bounded
// pool of threads, and each STARTTLS probe made once per run and shared by
// every domain whose MX host leads to it, with at most a few connections
// at a time to one address.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mxdane/check.h"
#include "mxdane/expected.h"

namespace mxdane::check::bulk {

/// A line of the list that is not a domain name.
struct BadLine {
    std::size_t line = 0; ///< 1-based
    std::string text;     ///< as given (callers make it printable)
    std::string reason;
};

/// The domains of a list: one per line, `#` starts a comment, blank lines
/// are ignored, later duplicates (after normalisation) are dropped.
struct DomainList {
    std::vector<std::string> domains; ///< normalised, in the order given
    std::vector<BadLine> bad;
    std::size_t duplicates = 0;
};

DomainList parse_domain_list(std::string_view text);

/// Part K (1-based) of N of a list: --shard K/N.
struct Shard {
    unsigned k = 1;
    unsigned n = 1;
};

/// Parses "K/N" with 1 <= K <= N <= 65536.
Expected<Shard> parse_shard(std::string_view text);

/// FNV-1a (64 bit) of the normalised name: the same on every machine and
/// every run, which is what lets N hosts split one list without talking.
std::uint64_t domain_hash(std::string_view domain);

/// Whether `domain` belongs to shard `s`.
bool in_shard(std::string_view domain, Shard s);

/// The domains already answered in a previous JSON Lines output: every
/// line that parses as an object with a string "domain" and no "error". A
/// line cut short by a kill (the last one) and a line that recorded a local
/// error are ignored, so those domains are checked again.
std::set<std::string> answered_domains(std::string_view jsonl);

/// One verdict per domain, for the summary and the exit code.
enum class DomainVerdict { validated, degraded, failed, would_defer, no_dane, error };

/// "validated", "degraded", "failed", "would-defer", "no-dane", "error".
std::string_view domain_verdict_name(DomainVerdict v);

/// The domain's verdict, check::overall() of its report: validated,
/// degraded, not in effect (no_dane), or deferred, which is told apart as
/// would_defer (a lookup on the way was bogus or failed) or failed (every
/// path was tried and none succeeded).
DomainVerdict domain_verdict(const Report& r);

/// A Prober for many walks at once: the same request (address, port, base
/// name, names, records, HELO) is probed once and its result shared; an
/// address that never answered (refused, or no banner in time) is not
/// tried again for other requests; at most `per_host` connections at a
/// time to one address.
class SharedProber {
  public:
    SharedProber(Prober inner, unsigned per_host);
    SharedProber(const SharedProber&) = delete;
    SharedProber& operator=(const SharedProber&) = delete;
    SharedProber(SharedProber&&) = delete;
    SharedProber& operator=(SharedProber&&) = delete;
    ~SharedProber();

    smtp::ProbeResult operator()(const smtp::ProbeRequest& req);

    /// Probes that opened a connection (not answered from the cache).
    [[nodiscard]] std::size_t connections() const;

  private:
    struct State;
    std::unique_ptr<State> m_state;
};

/// What one domain came to.
struct DomainResult {
    std::string domain;
    std::optional<Report> report; ///< empty when the walk threw
    std::string error;            ///< why, when it threw (local failure)
    DomainVerdict verdict = DomainVerdict::error;
};

/// Per-verdict counts.
struct Counts {
    std::size_t validated = 0;
    std::size_t degraded = 0;
    std::size_t failed = 0;
    std::size_t would_defer = 0;
    std::size_t no_dane = 0;
    std::size_t errors = 0;
    void add(DomainVerdict v);
    [[nodiscard]] std::size_t total() const noexcept {
        return validated + degraded + failed + would_defer + no_dane + errors;
    }
};

/// Findings across domains that no single check shows.
struct Finding {
    enum class Kind {
        no_rollover_scheme,      ///< the 3 1 x records pin one key and no 2 x x: the next key cannot be pre-published
        rollover_scheme_unclear, ///< as no_rollover_scheme, unless 3 1 x records of different matching types pin two
                                 ///< keys
        cert_only,               ///< only 3 0 x usable records: they break at every reissue
        ttl_above_day,           ///< TLSA TTL above 86400 s
        address_fails_all,       ///< every probe of this address failed
    };
    Kind kind = Kind::no_rollover_scheme;
    std::string subject;     ///< the TLSA owner, or the address
    std::size_t domains = 0; ///< how many domains it concerns
    std::string detail;
};

/// "no-rollover-scheme", "rollover-scheme-unclear", "3-0-x-only",
/// "ttl-above-day", "address-fails-all".
std::string_view finding_kind_name(Finding::Kind k);

/// Collects reports and turns them into findings. Keeps a few facts per
/// TLSA owner and per address, not the reports.
class FindingCollector {
  public:
    void add(const Report& r);
    [[nodiscard]] std::vector<Finding> findings() const;

  private:
    struct Owner {
        std::vector<tlsa::Record> records;
        std::uint32_t ttl = 0;
        std::set<std::string> domains;
        /// SPKIs the addresses of its hosts served (a few: they tell two
        /// digests of one key from two keys).
        std::set<tlsa::Bytes> served;
    };
    struct Addr {
        std::set<std::string> domains;
        bool any_ok = false;
        std::string reason; ///< of the first failure
    };
    std::map<std::string, Owner> m_owners;
    std::map<std::string, Addr> m_addresses;
};

struct Options {
    Request request;       ///< domain is ignored; the rest applies to every domain
    unsigned jobs = 16;    ///< walks at a time
    unsigned per_host = 2; ///< connections at a time to one address
};

/// Checks every domain, calling `done` (one call at a time, in the order
/// the domains finish) for each. The resolver must allow concurrent use
/// (dns::UnboundOptions::concurrent).
void run(const std::vector<std::string>& domains, const Options& opts, dns::Resolver& resolver, const Prober& prober,
         const std::function<void(DomainResult&&)>& done);

} // namespace mxdane::check::bulk
