// The RRset text parser (issue #3). Deliberately forgiving about layout
// (owner/TTL/class optional, dig's chunked uppercase hex, parentheses) and
// strict about content: anything that is not certainly a TLSA record is an
// error with its line, so it can never count as a match.
// This file reads the RRset text (lexer, owner/TTL/class, $-directives);
// one record's fields are parse_record.cpp.
#include <algorithm>
#include <cctype>
#include <cstring>

#include "mxdane/names.h"
#include "mxdane/sys.h"
#include "mxdane/tlsa_parse.h"
#include "parse_detail.h"

namespace mxdane::tlsa {
namespace {

/// One logical entry: tokens joined across parentheses.
struct Entry {
    std::size_t line = 0;
    std::vector<std::string> tokens;
    std::string error; ///< set by the tokenizer (unbalanced parentheses)
};

std::vector<Entry> split_entries(std::string_view text) {
    std::vector<Entry> out;
    Entry cur;
    int depth = 0;
    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const std::size_t nl = text.find('\n', pos);
        const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
        std::string_view line = text.substr(pos, end - pos);
        ++line_no;
        if (const auto sc = line.find(';'); sc != std::string_view::npos) {
            line = line.substr(0, sc);
        }
        std::string tok;
        const auto flush_token = [&] {
            if (!tok.empty()) {
                if (cur.tokens.empty()) {
                    cur.line = line_no;
                }
                cur.tokens.push_back(std::move(tok));
                tok.clear();
            }
        };
        for (const char c : line) {
            if (c == '(' || c == ')') {
                flush_token();
                if (cur.tokens.empty() && cur.line == 0) {
                    cur.line = line_no;
                }
                if (c == '(') {
                    ++depth;
                    if (depth > 1 && cur.error.empty()) {
                        cur.error = "nested '(' (zone files do not nest parentheses)";
                    }
                } else if (depth == 0) {
                    if (cur.error.empty()) {
                        cur.error = "')' without a matching '('";
                    }
                } else {
                    --depth;
                }
            } else if (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f') {
                flush_token();
            } else {
                tok += c;
            }
        }
        flush_token();
        if (depth == 0 && (!cur.tokens.empty() || !cur.error.empty())) {
            out.push_back(std::move(cur));
            cur = Entry{};
        }
        if (nl == std::string_view::npos) {
            break;
        }
        pos = nl + 1;
    }
    if (depth > 0) {
        if (cur.line == 0) {
            cur.line = line_no;
        }
        cur.error = "'(' opened on line " + std::to_string(cur.line) + " is never closed";
        out.push_back(std::move(cur));
    }
    return out;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

/// BIND-style TTL ("3600", "1h30m") in seconds, capped at 2^31-1 (RFC 2181 §8).
std::optional<std::uint32_t> ttl_seconds(std::string_view s) {
    if (!is_ttl(s)) {
        return std::nullopt;
    }
    unsigned long long total = 0;
    unsigned long long cur = 0;
    bool digits = false;
    for (const char c : s) {
        if (std::isdigit(static_cast<unsigned char>(c))) {
            cur = std::min(cur * 10 + static_cast<unsigned long long>(c - '0'), 1ULL << 40);
            digits = true;
            continue;
        }
        if (!digits) {
            return std::nullopt;
        }
        const char u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        const unsigned long long unit = u == 'S' ? 1 : u == 'M' ? 60 : u == 'H' ? 3600 : u == 'D' ? 86400 : 604800;
        total += cur * unit;
        cur = 0;
        digits = false;
    }
    total += cur;
    return static_cast<std::uint32_t>(std::min(total, 2147483647ULL));
}

/// A name as the zone file means it, against `origin` (absolute, with dot).
std::string absolute_name(std::string_view name, const std::string& origin) {
    if (name == "@") {
        return origin;
    }
    std::string n = lower(name);
    if (!n.empty() && n.back() == '.' && (n.size() < 2 || n[n.size() - 2] != '\\')) {
        return n;
    }
    return origin == "." ? n + "." : n + "." + origin;
}

/// Where the owner/TTL/class prefix ends: the index of the type token.
struct Prefix {
    std::optional<std::string> owner_token;
    std::optional<std::string> ttl_token;
    std::optional<std::string> class_token;
};

/// Reads `[owner] [TTL] [class]` before `type_at` (either order for TTL and
/// class, RFC 1035 §5.1). Returns an error for anything else.
Expected<Prefix> read_prefix(const std::vector<std::string>& tokens, std::size_t type_at) {
    Prefix p;
    for (std::size_t i = 0; i < type_at; ++i) {
        const std::string& t = tokens[i];
        if (!p.class_token && is_class(t)) {
            p.class_token = upper(t);
        } else if (!p.ttl_token && is_ttl(t)) {
            p.ttl_token = t;
        } else if (i == 0) {
            p.owner_token = t;
        } else {
            return Unexpected{"unexpected '" + names::printable(t.substr(0, 40)) +
                              "' before TLSA (expected owner, TTL and class)"};
        }
    }
    return p;
}

/// What a zone file carries from one entry to the next.
struct ZoneState {
    std::string origin = "."; ///< ldns-read-zone's default
    std::optional<std::uint32_t> default_ttl;
    std::optional<std::uint32_t> last_ttl;
    std::optional<std::string> last_owner;
};

void count_skipped(ParsedRRset& out, const std::string& type) {
    for (auto& s : out.skipped) {
        if (s.type == type) {
            ++s.count;
            return;
        }
    }
    out.skipped.push_back({type, 1});
}

/// A $-directive (RFC 1035 §5.1, RFC 2308 §4). Returns an error or "".
std::string directive(const std::vector<std::string>& tokens, ZoneState& z) {
    const std::string d = upper(tokens[0]);
    if (d == "$ORIGIN") {
        if (tokens.size() < 2) {
            return "$ORIGIN needs a domain name";
        }
        z.origin = absolute_name(tokens[1], z.origin);
    } else if (d == "$TTL") {
        const auto t = tokens.size() >= 2 ? ttl_seconds(tokens[1]) : std::nullopt;
        if (!t) {
            return "$TTL needs a TTL (seconds, or 1h30m)";
        }
        z.default_ttl = t;
    } else if (d == "$INCLUDE") {
        return "$INCLUDE is not followed: paste the included file's records";
    } else {
        // Not skipped in silence: the line may hold the record looked for
        // (libldns reads "$X" as an owner name, BIND refuses the line).
        return "unknown directive '" + tokens[0] + "' (RFC 1035 §5.1 and RFC 2308 §4 know $ORIGIN, $INCLUDE, $TTL)";
    }
    return {};
}

void read_entry(const std::vector<std::string>& tokens, std::size_t line, ZoneState& z, ParsedRRset& out) {
    std::size_t type_at = tokens.size();
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const std::string u = upper(tokens[i]);
        if (u == "TLSA" || u == "TYPE52") {
            type_at = i;
            break;
        }
        if (i > 0 && i < 4 && is_other_type(tokens[i])) {
            // Another type where a type belongs (RRSIG TLSA: TLSA is the
            // covered type). Only its owner matters, for entries omitting theirs.
            if (const auto p = read_prefix(tokens, i); p) {
                if (p->owner_token) {
                    z.last_owner = absolute_name(*p->owner_token, z.origin);
                }
                count_skipped(out, upper(tokens[i]));
                return;
            }
        }
    }
    if (type_at == tokens.size()) {
        if (is_other_type(tokens[0])) {
            count_skipped(out, upper(tokens[0]));
            return;
        }
        auto rec = parse_entry(tokens);
        if (rec) {
            out.records.push_back({line, std::move(rec).value(), std::nullopt, "IN", std::nullopt});
        } else {
            out.errors.push_back({line, rec.error()});
        }
        return;
    }
    const auto prefix = read_prefix(tokens, type_at);
    if (!prefix) {
        out.errors.push_back({line, prefix.error()});
        return;
    }
    if (prefix->owner_token) {
        z.last_owner = absolute_name(*prefix->owner_token, z.origin);
    }
    std::optional<std::uint32_t> ttl = prefix->ttl_token ? ttl_seconds(*prefix->ttl_token) : std::nullopt;
    if (ttl) {
        z.last_ttl = ttl;
    } else {
        ttl = z.default_ttl ? z.default_ttl : z.last_ttl;
    }
    auto rec =
        parse_rdata(std::vector<std::string>(tokens.begin() + static_cast<std::ptrdiff_t>(type_at) + 1, tokens.end()));
    if (!rec) {
        out.errors.push_back({line, rec.error()});
        return;
    }
    out.records.push_back({line, std::move(rec).value(), z.last_owner, prefix->class_token.value_or("IN"), ttl});
}

} // namespace

ParsedRRset parse_rrset(std::string_view text) {
    ParsedRRset out;
    ZoneState zone;
    for (const auto& e : split_entries(text)) {
        if (!e.error.empty()) {
            out.errors.push_back({e.line, e.error});
            continue;
        }
        if (e.tokens.front().front() == '$') {
            if (auto why = directive(e.tokens, zone); !why.empty()) {
                out.errors.push_back({e.line, std::move(why)});
            }
            continue;
        }
        read_entry(e.tokens, e.line, zone, out);
    }
    return out;
}

std::string owner_problem(const ParsedRecord& r, std::string_view expected) {
    if (r.owner && lower(*r.owner) != lower(expected)) {
        return "not for " + std::string(expected) + " (owner " + names::printable(*r.owner) + ")";
    }
    if (r.rr_class != "IN") {
        return "not for " + std::string(expected) + " (class " + names::printable(r.rr_class) +
               ": senders look up class IN)";
    }
    return {};
}

std::string skipped_summary(const std::vector<SkippedType>& skipped) {
    std::string out;
    for (const auto& s : skipped) {
        out += (out.empty() ? "" : ", ") + std::to_string(s.count) + " " + names::printable(s.type);
    }
    return out;
}

std::string generic_rdata_text(const Record& rec) {
    const Bytes head{rec.usage, rec.selector, rec.mtype};
    return "\\# " + std::to_string(3 + rec.data.size()) + " " + to_hex(head) + to_hex(rec.data);
}

} // namespace mxdane::tlsa
