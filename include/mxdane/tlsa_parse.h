// Reading TLSA RRsets the way admins paste them: zone-file lines, bare
// RDATA, dig output, RFC 3597 generic form, RFC 7218 mnemonics. Untrusted
// text: every malformed entry becomes an error with its line, never a record.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mxdane/expected.h"
#include "mxdane/tlsa.h"

namespace mxdane::tlsa {

/// A record read from the text, with the line it starts on (1-based), and
/// where a zone file puts it.
struct ParsedRecord {
    std::size_t line = 0;
    Record record;
    /// Absolute owner name, lowercase, with the final dot, as a zone file
    /// reads it ($ORIGIN, '@', relative names, an omitted owner repeating
    /// the previous one; no $ORIGIN means the root, as ldns-read-zone does).
    /// Unset for owner-less input (bare RDATA, or no owner seen yet): such a
    /// record is taken as meant for the host being checked.
    std::optional<std::string> owner;
    std::string rr_class = "IN";      ///< uppercase, as written ("IN" when omitted)
    std::optional<std::uint32_t> ttl; ///< seconds: the record's, else $TTL, else the previous record's
};

/// An entry that is not a TLSA record, with the line it starts on.
struct ParseError {
    std::size_t line = 0;
    std::string reason;
};

/// Records of other types, skipped: type and how many.
struct SkippedType {
    std::string type; ///< uppercase ("SOA", "RRSIG")
    std::size_t count = 0;
};

/// Everything read from one text, in input order per kind.
struct ParsedRRset {
    std::vector<ParsedRecord> records;
    std::vector<ParseError> errors;
    std::vector<SkippedType> skipped; ///< in order of first appearance
};

/// Parses every entry of `text` as a zone file is read. Comments (';' to end
/// of line, so also dig's ';;' lines) and blank lines are skipped; $ORIGIN
/// and $TTL apply to what follows; parentheses join lines (dig +multiline).
/// An entry is `[owner] [TTL] [class] TLSA rdata`, `... TYPE52 \# len hex`,
/// bare `u s m hex`, or bare `\# len hex`. Records of other types (a whole
/// zone pasted) are counted in `skipped`, not reported as errors.
ParsedRRset parse_rrset(std::string_view text);

/// The owner rule of RFC 7672 §2.2.3: a sender looks up TLSA only at
/// `expected` ("_25._tcp.mx1.example.net.", absolute) in class IN. Returns ""
/// when `r` is there (or owner-less), else why a sender never sees it:
/// "not for _25._tcp.mx1.example.net. (owner _443._tcp.mx1.example.net.)".
std::string owner_problem(const ParsedRecord& r, std::string_view expected);

/// "1 SOA, 3 A, 2 MX" for a summary line.
std::string skipped_summary(const std::vector<SkippedType>& skipped);

/// One entry's tokens (no comments, no parentheses) -> a record.
Expected<Record> parse_entry(const std::vector<std::string>& tokens);

/// RFC 7218 mnemonic or decimal 0-255, case-insensitive ("DANE-EE", "3").
std::optional<std::uint8_t> parse_usage(std::string_view s);
std::optional<std::uint8_t> parse_selector(std::string_view s);
std::optional<std::uint8_t> parse_mtype(std::string_view s);

/// "\# 35 030101..." (RFC 3597 §5), lowercase hex.
std::string generic_rdata_text(const Record& rec);

} // namespace mxdane::tlsa
