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

/// A record read from the text, with the line it starts on (1-based).
struct ParsedRecord {
    std::size_t line = 0;
    Record record;
};

/// An entry that is not a TLSA record, with the line it starts on.
struct ParseError {
    std::size_t line = 0;
    std::string reason;
};

/// Everything read from one text, in input order per kind.
struct ParsedRRset {
    std::vector<ParsedRecord> records;
    std::vector<ParseError> errors;
};

/// Parses every entry of `text`. Comments (';' to end of line, so also dig's
/// ';;' lines), blank lines and $-directives are skipped; parentheses join
/// lines (dig +multiline). An entry is `[owner] [TTL] [class] TLSA rdata`,
/// `... TYPE52 \# len hex`, bare `u s m hex`, or bare `\# len hex`.
ParsedRRset parse_rrset(std::string_view text);

/// One entry's tokens (no comments, no parentheses) -> a record.
Expected<Record> parse_entry(const std::vector<std::string>& tokens);

/// RFC 7218 mnemonic or decimal 0-255, case-insensitive ("DANE-EE", "3").
std::optional<std::uint8_t> parse_usage(std::string_view s);
std::optional<std::uint8_t> parse_selector(std::string_view s);
std::optional<std::uint8_t> parse_mtype(std::string_view s);

/// "\# 35 030101..." (RFC 3597 §5), lowercase hex.
std::string generic_rdata_text(const Record& rec);

} // namespace mxdane::tlsa
