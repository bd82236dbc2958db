// The TLSA record parser: one entry's fields and RDATA (RFC 6698 §2.2,
// RFC 7218 mnemonics, RFC 3597 generic form). The RRset text around it
// (lexer, owner/TTL/class, directives) is parse.cpp. Strict about content:
// anything that is not certainly a TLSA record is an error.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include "mxdane/names.h"
#include "mxdane/sys.h"
#include "mxdane/tlsa_parse.h"
#include "parse_detail.h"

namespace mxdane::tlsa {
namespace {

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// Decimal 0..max, leading zeros allowed (danetool prints "03 01 01").
std::optional<unsigned long> small_number(std::string_view s, unsigned long max) {
    if (!all_digits(s) || s.size() > 10) {
        return std::nullopt;
    }
    unsigned long v = 0;
    for (const char c : s) {
        v = v * 10 + static_cast<unsigned long>(c - '0');
    }
    if (v > max) {
        return std::nullopt;
    }
    return v;
}

struct Mnemonic {
    std::string_view name;
    std::uint8_t value;
};

std::optional<std::uint8_t> field(std::string_view s, const Mnemonic* begin, const Mnemonic* end) {
    if (const auto v = small_number(s, 255)) {
        return static_cast<std::uint8_t>(*v);
    }
    const std::string u = upper(s);
    for (const auto* m = begin; m != end; ++m) {
        if (upper(m->name) == u) {
            return m->value;
        }
    }
    return std::nullopt;
}

// RFC 7218 §2 and the IANA registry.
constexpr std::array<Mnemonic, 5> usages{
    {{"PKIX-TA", 0}, {"PKIX-EE", 1}, {"DANE-TA", 2}, {"DANE-EE", 3}, {"PrivCert", 255}}};
constexpr std::array<Mnemonic, 3> selectors{{{"Cert", 0}, {"SPKI", 1}, {"PrivSel", 255}}};

constexpr std::array<Mnemonic, 4> mtypes{{{"Full", 0}, {"SHA2-256", 1}, {"SHA2-512", 2}, {"PrivMatch", 255}}};

/// The concatenated hex of tokens[from..] as bytes.
Expected<Bytes> hex_tokens(const std::vector<std::string>& tokens, std::size_t from) {
    std::string hex;
    for (std::size_t i = from; i < tokens.size(); ++i) {
        if (!sys::is_hex(tokens[i])) {
            return Unexpected{"'" + names::printable(tokens[i].substr(0, 40)) + "' is not hexadecimal"};
        }
        hex += tokens[i];
    }
    auto out = sys::hex_decode(hex);
    if (!out) {
        return Unexpected{"odd number of hex digits (" + std::to_string(hex.size()) + ")"};
    }
    return std::move(*out);
}

/// RFC 3597 §5: "\# <length> <hex>".
Expected<Record> parse_generic(const std::vector<std::string>& rd) {
    if (rd.size() < 2) {
        return Unexpected{"'\\#' must be followed by the RDATA length"};
    }
    const auto len = small_number(rd[1], 65535);
    if (!len) {
        return Unexpected{"'" + names::printable(rd[1].substr(0, 40)) + "' is not an RDATA length (0-65535)"};
    }
    auto bytes = hex_tokens(rd, 2);
    if (!bytes) {
        return Unexpected{bytes.error()};
    }
    if (bytes->size() != *len) {
        return Unexpected{"the generic RDATA says " + std::to_string(*len) + " octets but has " +
                          std::to_string(bytes->size())};
    }
    if (*len < 3) {
        return Unexpected{"generic RDATA of " + std::to_string(*len) +
                          " octets is too short for TLSA (usage, selector and matching type take 3)"};
    }
    const Bytes& b = *bytes;
    return Record{b[0], b[1], b[2], Bytes(b.begin() + 3, b.end())};
}

bool looks_like_rdata_start(std::string_view s) {
    return s == "\\#" || parse_usage(s).has_value();
}

} // namespace

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

bool is_class(std::string_view s) {
    const std::string u = upper(s);
    return u == "IN" || u == "CH" || u == "CS" || u == "HS" || (u.rfind("CLASS", 0) == 0 && all_digits(u.substr(5)));
}

/// 3600, or BIND style 1h30m.
bool is_ttl(std::string_view s) {
    if (s.empty() || !std::isdigit(static_cast<unsigned char>(s.front())) || s.size() > 20) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) || std::strchr("smhdwSMHDW", c) != nullptr;
    });
}

bool is_other_type(std::string_view s) {
    static constexpr std::array<std::string_view, 38> types{
        "A",     "AAAA",  "CNAME",  "DNAME",      "RRSIG",      "NSEC",     "NSEC3",  "MX",  "TXT",  "NS",
        "SOA",   "DS",    "DNSKEY", "SMIMEA",     "SSHFP",      "CAA",      "PTR",    "SRV", "SVCB", "HTTPS",
        "HINFO", "LOC",   "NAPTR",  "SPF",        "CDS",        "CDNSKEY",  "ZONEMD", "URI", "RP",   "AFSDB",
        "CERT",  "DHCID", "KX",     "NSEC3PARAM", "OPENPGPKEY", "IPSECKEY", "CSYNC",  "APL"};
    const std::string u = upper(s);
    if (u.rfind("TYPE", 0) == 0 && all_digits(u.substr(4))) {
        return true;
    }
    return std::find(types.begin(), types.end(), u) != types.end();
}

/// RFC 6698 §2.2 presentation: usage selector mtype hex (whitespace allowed
/// inside the hex).
Expected<Record> parse_rdata(const std::vector<std::string>& rd) {
    if (rd.empty()) {
        return Unexpected{"no RDATA after TLSA"};
    }
    if (rd[0] == "\\#") {
        return parse_generic(rd);
    }
    Record r;
    const auto u = parse_usage(rd[0]);
    if (!u) {
        return Unexpected{"'" + names::printable(rd[0].substr(0, 40)) +
                          "' is not a certificate usage (0-255, PKIX-TA, PKIX-EE, DANE-TA, DANE-EE)"};
    }
    if (rd.size() < 2) {
        return Unexpected{"the selector is missing"};
    }
    const auto s = parse_selector(rd[1]);
    if (!s) {
        return Unexpected{"'" + names::printable(rd[1].substr(0, 40)) + "' is not a selector (0-255, Cert, SPKI)"};
    }
    if (rd.size() < 3) {
        return Unexpected{"the matching type is missing"};
    }
    const auto m = parse_mtype(rd[2]);
    if (!m) {
        return Unexpected{"'" + names::printable(rd[2].substr(0, 40)) +
                          "' is not a matching type (0-255, Full, SHA2-256, SHA2-512)"};
    }
    if (rd.size() < 4) {
        return Unexpected{"the certificate association data is missing"};
    }
    auto data = hex_tokens(rd, 3);
    if (!data) {
        return Unexpected{data.error()};
    }
    r.usage = *u;
    r.selector = *s;
    r.mtype = *m;
    r.data = std::move(data).value();
    return r;
}

std::optional<std::uint8_t> parse_usage(std::string_view s) {
    return field(s, usages.data(), usages.data() + usages.size());
}
std::optional<std::uint8_t> parse_selector(std::string_view s) {
    return field(s, selectors.data(), selectors.data() + selectors.size());
}
std::optional<std::uint8_t> parse_mtype(std::string_view s) {
    return field(s, mtypes.data(), mtypes.data() + mtypes.size());
}

Expected<Record> parse_entry(const std::vector<std::string>& tokens) {
    if (tokens.empty()) {
        return Unexpected{"empty entry"};
    }
    std::size_t type_at = tokens.size();
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const std::string u = upper(tokens[i]);
        if (u == "TLSA" || u == "TYPE52") {
            type_at = i;
            break;
        }
    }
    if (type_at == tokens.size()) {
        if (looks_like_rdata_start(tokens[0])) {
            return parse_rdata(tokens);
        }
        for (std::size_t i = 0; i < tokens.size() && i < 4; ++i) {
            if (is_other_type(tokens[i])) {
                return Unexpected{"not a TLSA record (type " + names::printable(upper(tokens[i])) + ")"};
            }
        }
        return Unexpected{"not a TLSA record: expected '[owner] [TTL] [class] TLSA usage selector type data' or "
                          "'usage selector type data'"};
    }
    bool seen_ttl = false;
    bool seen_class = false;
    for (std::size_t i = 0; i < type_at; ++i) {
        const std::string& t = tokens[i];
        if (!seen_class && is_class(t)) {
            seen_class = true;
        } else if (!seen_ttl && is_ttl(t)) {
            seen_ttl = true;
        } else if (i > 0 && is_other_type(t)) {
            // "owner 300 IN RRSIG TLSA ...": TLSA here is the covered type.
            return Unexpected{"not a TLSA record (type " + names::printable(upper(t)) + ")"};
        } else if (i == 0) {
            continue; // the owner name: not needed to match
        } else {
            return Unexpected{"unexpected '" + names::printable(t.substr(0, 40)) +
                              "' before TLSA (expected owner, TTL and class)"};
        }
    }
    return parse_rdata(
        std::vector<std::string>(tokens.begin() + static_cast<std::ptrdiff_t>(type_at) + 1, tokens.end()));
}

} // namespace mxdane::tlsa
