// Offline DANE verification (RFC 7671, RFC 7672): does a certificate, or a
// key, match a TLSA RRset? Uses OpenSSL's own DANE engine for certificates.
// Outcomes are values with reasons, never exceptions or bools.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mxdane/tlsa.h"
#include "mxdane/x509.h"

namespace mxdane::tlsa {

/// What one record says about the certificate or key.
enum class Outcome {
    match,          ///< this record authenticates it
    no_match,       ///< usable, and it does not
    unusable,       ///< ignored by a sender (RFC 7672 §3.1.3, RFC 7671 §4, §9)
    not_applicable, ///< usable, but cannot be checked against a bare key (selector 0, usage 2)
    other_owner,    ///< at another owner name or class: a sender never sees it (RFC 7672 §2.2.3)
};

/// "match", "no match", "unusable", "not applicable", "not for host".
std::string outcome_label(Outcome o);

enum class Verdict {
    authenticated,     ///< some usable record matches
    not_authenticated, ///< usable records exist, none matches: a DANE sender defers mail
    no_usable_records, ///< RFC 7672 §2.2: TLS is mandatory but unauthenticated
    no_records,        ///< nothing at the owner name: a sender sees no TLSA (no DANE)
};

/// "authenticated", "not authenticated", "no usable records", "no records".
std::string verdict_label(Verdict v);

struct RecordResult {
    Record record;
    Outcome outcome = Outcome::no_match;
    std::string reason; ///< why (unusable, no match, not applicable); for a match, what was checked
    /// Ignored by digest agility (RFC 7671 §9), yet it would match: the
    /// usual cause of a failure after a partial rollover.
    bool ignored_match = false;
};

struct Verification {
    std::vector<RecordResult> records; ///< in the order given
    Verdict verdict = Verdict::no_usable_records;
    std::string reason;
};

/// What to verify a certificate with.
struct CertCheck {
    std::vector<X509*> chain;        ///< leaf first, then what the server would send (not owned)
    std::optional<std::string> host; ///< reference name for DANE-TA (RFC 7672 §3.2); unused by DANE-EE
    x509::Clock::time_point now;     ///< injected clock (DANE-TA checks validity dates)
};

/// Verifies `check.chain` against `rrset` with OpenSSL's DANE engine, one
/// usable record at a time (so every record gets its own answer), after
/// setting aside unusable records and, per usage and selector, digests
/// weaker than the strongest present (digest algorithm agility, RFC 7671
/// §9). DANE-EE ignores names and dates (RFC 7672 §3.1.1); DANE-TA needs
/// the chain and checks `host` (throws Error(bad_input) when a usable
/// usage-2 record is present and `host` is not set).
Verification verify_certificate(const std::vector<Record>& rrset, const CertCheck& check);

/// Verifies a key alone against `3 1 x` records (the rollover question "is
/// my next key's record published"): selector 0 and usage 2 records are not
/// applicable to a key. The verdict reason says "published" or "not
/// published".
Verification verify_key(const std::vector<Record>& rrset, EVP_PKEY& key);

/// The verdict and its one-line reason for `records` (what verify prints
/// and what check gives as the cause of a failure): digest agility naming
/// the ignored record and the one that displaced it, the DANE-TA name or
/// date, unusable records only, a record at another owner. `subject` is
/// "certificate", "server certificate" or "key".
std::pair<Verdict, std::string> judge(const std::vector<RecordResult>& records, const std::string& subject);

/// Unusable reasons plus digest agility: for each usable record, "" or why a
/// sender ignores it. Exposed for the key check and tests.
std::vector<std::string> usability(const std::vector<Record>& rrset);

} // namespace mxdane::tlsa
