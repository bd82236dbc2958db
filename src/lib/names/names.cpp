#include "mxdane/names.h"

#include <algorithm>
#include <cstdlib>
#include <memory>

#include <idn2.h>

#include "mxdane/error.h"

namespace mxdane::names {
namespace {

constexpr std::size_t max_name_octets = 253; // RFC 1035 §2.3.4, without the root dot
constexpr std::size_t max_label_octets = 63;

bool is_ldh(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

std::string describe_char(unsigned char c) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
        return "whitespace";
    }
    if (c < 0x20 || c == 0x7f) {
        return "a control character";
    }
    return std::string("'") + static_cast<char>(c) + "'";
}

/// Rejections that hold whatever the encoding, with the most useful reason.
Expected<bool> precheck(std::string_view s) {
    if (s.empty()) {
        return Unexpected{"the name is empty"};
    }
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '*') {
            return Unexpected{"wildcards are not host names (list each name)"};
        }
        if (c == '_') {
            return Unexpected{"'_' is not allowed in a host name"};
        }
        if (c == '/' || c == '\\' || c == ':' || c == '@') {
            return Unexpected{describe_char(c) + " is not allowed in a host name"};
        }
        if (c <= 0x20 || c == 0x7f) {
            return Unexpected{describe_char(c) + " is not allowed in a host name"};
        }
    }
    return true;
}

Expected<std::string> to_alabels(std::string_view s) {
    const bool ascii = std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (ascii) {
        std::string out(s);
        std::transform(out.begin(), out.end(), out.begin(),
                       [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
        return out;
    }
    char* raw = nullptr;
    const std::string input(s);
    const int rc = idn2_to_ascii_8z(input.c_str(), &raw, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
    const std::unique_ptr<char, decltype(&idn2_free)> guard(raw, &idn2_free);
    if (rc != IDN2_OK || raw == nullptr) {
        return Unexpected{std::string("not a valid internationalized name (IDNA2008: ") + idn2_strerror(rc) + ")"};
    }
    return std::string(raw);
}

/// A label that starts "xn--" must decode; other labels must not have "--"
/// in positions 3-4 (RFC 5891 §4.2.3.1 reserves them).
Expected<bool> check_label(std::string_view label) {
    if (label.empty()) {
        return Unexpected{"it has an empty label"};
    }
    if (label.size() > max_label_octets) {
        return Unexpected{"the label '" + std::string(label) + "' is longer than 63 octets"};
    }
    for (const char c : label) {
        if (!is_ldh(c)) {
            return Unexpected{"the label '" + std::string(label) + "' has " +
                              describe_char(static_cast<unsigned char>(c)) +
                              " (only letters, digits and '-' are allowed)"};
        }
    }
    if (label.front() == '-' || label.back() == '-') {
        return Unexpected{"the label '" + std::string(label) + "' starts or ends with '-'"};
    }
    if (label.size() >= 4 && label.substr(2, 2) == "--") {
        if (label.substr(0, 4) != "xn--") {
            return Unexpected{"the label '" + std::string(label) + "' has '--' in positions 3-4, reserved for IDNA"};
        }
        char* raw = nullptr;
        const std::string lab(label);
        const int rc = idn2_to_unicode_8z8z(lab.c_str(), &raw, 0);
        const std::unique_ptr<char, decltype(&idn2_free)> guard(raw, &idn2_free);
        if (rc != IDN2_OK) {
            return Unexpected{"the label '" + lab + "' is not a valid A-label"};
        }
    }
    return true;
}

} // namespace

namespace {

/// The length of the valid UTF-8 sequence at the start of `s` and its code
/// point (RFC 3629 §4: shortest form, no surrogates, at most U+10FFFF), or 0
/// when it is not one.
std::size_t utf8_sequence(std::string_view s, char32_t& cp) {
    const auto b0 = static_cast<unsigned char>(s[0]);
    std::size_t len = 0;
    char32_t min = 0;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
        len = 2;
        cp = b0 & 0x1fU;
        min = 0x80;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
        len = 3;
        cp = b0 & 0x0fU;
        min = 0x800;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        len = 4;
        cp = b0 & 0x07U;
        min = 0x10000;
    } else {
        return 0;
    }
    if (s.size() < len) {
        return 0;
    }
    for (std::size_t i = 1; i < len; ++i) {
        const auto b = static_cast<unsigned char>(s[i]);
        if ((b & 0xc0U) != 0x80U) {
            return 0;
        }
        cp = (cp << 6U) | (b & 0x3fU);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return len;
}

/// Code points that change how a terminal shows what follows.
bool unsafe_code_point(char32_t cp) {
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

void escape_octets(std::string& out, std::string_view octets) {
    constexpr std::string_view hexdig = "0123456789abcdef";
    for (const char ch : octets) {
        const auto c = static_cast<unsigned char>(ch);
        out += "\\x";
        out += hexdig[c >> 4U];
        out += hexdig[c & 0xfU];
    }
}

} // namespace

std::string printable(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f || c == '\\') {
                escape_octets(out, s.substr(i, 1));
            } else {
                out += s[i];
            }
            ++i;
            continue;
        }
        char32_t cp = 0;
        const std::size_t len = utf8_sequence(s.substr(i), cp);
        if (len == 0) {
            escape_octets(out, s.substr(i, 1));
            ++i;
        } else {
            if (unsafe_code_point(cp)) {
                escape_octets(out, s.substr(i, len));
            } else {
                out.append(s.substr(i, len));
            }
            i += len;
        }
    }
    return out;
}

std::string printable(std::string_view s, std::size_t max_octets) {
    if (s.size() <= max_octets) {
        return printable(s);
    }
    std::size_t cut = max_octets;
    // Back to the first octet of a UTF-8 sequence (at most 3 steps).
    for (int i = 0; i < 3 && cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0U) == 0x80U; ++i) {
        --cut;
    }
    return printable(s.substr(0, cut)) + "... (" + std::to_string(s.size() - cut) + " more octets)";
}

std::size_t wire_length(std::string_view name) {
    if (!name.empty() && name.back() == '.') {
        name.remove_suffix(1);
    }
    if (name.empty()) {
        return 1; // the root
    }
    // Each dot becomes a length octet; one more for the first label and one
    // for the root.
    return name.size() + 2;
}

Expected<std::string> normalize_host(std::string_view input) {
    std::string_view s = input;
    if (!s.empty() && s.back() == '.') {
        s.remove_suffix(1); // one trailing dot: an absolute name
    }
    if (auto pre = precheck(s); !pre) {
        return Unexpected{pre.error()};
    }
    auto converted = to_alabels(s);
    if (!converted) {
        return converted;
    }
    const std::string name = std::move(converted).value();
    if (name.size() > max_name_octets) {
        return Unexpected{"it is longer than 253 octets"};
    }
    std::size_t labels = 0;
    std::size_t start = 0;
    std::string_view last;
    while (true) {
        const std::size_t dot = name.find('.', start);
        const std::string_view label =
            std::string_view(name).substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (auto ok = check_label(label); !ok) {
            return Unexpected{ok.error()};
        }
        ++labels;
        last = label;
        if (dot == std::string::npos) {
            break;
        }
        start = dot + 1;
    }
    if (labels < 2) {
        return Unexpected{"it needs at least two labels (a fully qualified name such as mx1.example.net)"};
    }
    // An all-numeric last label makes it an address, not a name (RFC 3696 §2).
    if (std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return Unexpected{"it looks like an IP address; certificates for DANE name hosts"};
    }
    return name;
}

std::vector<std::string> normalize_hosts(const std::vector<std::string>& inputs) {
    std::vector<std::string> out;
    for (const auto& in : inputs) {
        auto n = normalize_host(in);
        if (!n) {
            throw Error(Errc::bad_input, "invalid host name '" + printable(in) + "': " + n.error());
        }
        if (std::find(out.begin(), out.end(), *n) == out.end()) {
            out.push_back(*n);
        }
    }
    return out;
}

} // namespace mxdane::names
