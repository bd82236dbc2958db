// TSIG key files (BIND's tsig-keygen format and the nsupdate -y one-liner),
// TSIG algorithm names, and the SERVER[@PORT] syntax.
#include <algorithm>
#include <array>
#include <cctype>
#include <unistd.h>

#include "mxdane/error.h"
#include "mxdane/names.h"
#include "mxdane/publish.h"
#include "mxdane/store.h"
#include "mxdane/sys.h"

namespace mxdane::publish {
namespace {

struct AlgorithmName {
    TsigAlgorithm algorithm;
    std::string_view name;
    std::string_view dname;
};

constexpr std::array<AlgorithmName, 6> algorithms{{
    {TsigAlgorithm::hmac_md5, "hmac-md5", "hmac-md5.sig-alg.reg.int."},
    {TsigAlgorithm::hmac_sha1, "hmac-sha1", "hmac-sha1."},
    {TsigAlgorithm::hmac_sha224, "hmac-sha224", "hmac-sha224."},
    {TsigAlgorithm::hmac_sha256, "hmac-sha256", "hmac-sha256."},
    {TsigAlgorithm::hmac_sha384, "hmac-sha384", "hmac-sha384."},
    {TsigAlgorithm::hmac_sha512, "hmac-sha512", "hmac-sha512."},
}};

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

/// Strict base64 (RFC 4648 §4): whole quanta, padding only at the end, at
/// least one byte. BIND and Knot reject anything else, and a secret that
/// decodes differently on each side only shows up later as BADSIG.
std::string base64_problem(std::string_view s) {
    if (s.empty()) {
        return "the secret is empty";
    }
    if (s.size() % 4 != 0) {
        return "the secret is not base64 (its length is not a multiple of 4)";
    }
    const auto pad_at = s.find('=');
    if (pad_at != std::string_view::npos) {
        if (pad_at < s.size() - 2 || s.substr(pad_at).find_first_not_of('=') != std::string_view::npos) {
            return "the secret is not base64 ('=' inside it)";
        }
    }
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '=' || std::isalnum(c) != 0 || c == '+' || c == '/') {
            continue;
        }
        return "the secret is not base64 (character " + std::to_string(i + 1) + ")";
    }
    return "";
}

/// A key name is a domain name (RFC 8945 §4.2); returned absolute, lowercase.
Expected<std::string> key_name(std::string_view raw) {
    std::string name = lower(raw);
    if (name.empty() || name == ".") {
        return Unexpected{"the key name is empty"};
    }
    if (name.back() != '.') {
        name += '.';
    }
    if (name.size() > 254) {
        return Unexpected{"the key name is longer than 253 characters"};
    }
    std::size_t start = 0;
    while (start < name.size()) {
        const auto dot = name.find('.', start);
        const auto label = std::string_view(name).substr(start, dot - start);
        if (label.empty()) {
            return Unexpected{"the key name '" + names::printable(raw) + "' has an empty label"};
        }
        if (label.size() > 63) {
            return Unexpected{"the key name '" + names::printable(raw) + "' has a label longer than 63 characters"};
        }
        for (const char c : label) {
            const auto u = static_cast<unsigned char>(c);
            if (std::isalnum(u) == 0 && c != '-' && c != '_') {
                return Unexpected{"the key name '" + names::printable(raw) + "' holds '" +
                                  names::printable(std::string_view(&c, 1)) +
                                  "' (letters, digits, '-', '_' and dots only)"};
            }
        }
        start = dot + 1;
    }
    return name;
}

struct Token {
    enum class Kind { word, string, open, close, semicolon } kind;
    std::string text;
    int line;
};

/// named.conf lexer: words, "strings", { } ;, and the three comment styles.
Expected<std::vector<Token>> tokenize(std::string_view in) {
    std::vector<Token> out;
    int line = 1;
    std::size_t i = 0;
    const auto at = [&](std::size_t k) { return k < in.size() ? in[k] : '\0'; };
    while (i < in.size()) {
        const char c = in[i];
        if (c == '\n') {
            ++line;
            ++i;
        } else if (std::isspace(static_cast<unsigned char>(c)) != 0) {
            ++i;
        } else if (c == '#' || (c == '/' && at(i + 1) == '/')) {
            while (i < in.size() && in[i] != '\n') {
                ++i;
            }
        } else if (c == '/' && at(i + 1) == '*') {
            const int opened = line;
            i += 2;
            while (i < in.size() && !(in[i] == '*' && at(i + 1) == '/')) {
                line += in[i] == '\n' ? 1 : 0;
                ++i;
            }
            if (i >= in.size()) {
                return Unexpected{"line " + std::to_string(opened) + ": a /* comment is never closed"};
            }
            i += 2;
        } else if (c == '"') {
            const int opened = line;
            const auto end = in.find('"', i + 1);
            if (end == std::string_view::npos) {
                return Unexpected{"line " + std::to_string(opened) + ": a quoted string is never closed"};
            }
            const auto text = in.substr(i + 1, end - i - 1);
            if (text.find('\n') != std::string_view::npos) {
                return Unexpected{"line " + std::to_string(opened) + ": a quoted string spans lines"};
            }
            out.push_back({Token::Kind::string, std::string(text), line});
            i = end + 1;
        } else if (c == '{' || c == '}' || c == ';') {
            out.push_back({c == '{'   ? Token::Kind::open
                           : c == '}' ? Token::Kind::close
                                      : Token::Kind::semicolon,
                           std::string(1, c), line});
            ++i;
        } else {
            const auto start = i;
            while (i < in.size() && std::isspace(static_cast<unsigned char>(in[i])) == 0 && in[i] != '{' &&
                   in[i] != '}' && in[i] != ';' && in[i] != '"') {
                ++i;
            }
            out.push_back({Token::Kind::word, std::string(in.substr(start, i - start)), line});
        }
    }
    return out;
}

std::string where(const Token& t) {
    return "line " + std::to_string(t.line);
}

Expected<TsigKey> finish(std::string_view raw_name, std::string_view algorithm, std::string_view secret) {
    auto name = key_name(raw_name);
    if (!name) {
        return Unexpected{name.error()};
    }
    const auto alg = parse_tsig_algorithm(algorithm);
    if (!alg) {
        return Unexpected{"unknown TSIG algorithm '" + names::printable(algorithm) +
                          "' (hmac-sha256, hmac-sha512, hmac-sha384, hmac-sha224, hmac-sha1 or hmac-md5)"};
    }
    if (const auto problem = base64_problem(secret); !problem.empty()) {
        return Unexpected{problem};
    }
    return TsigKey{std::move(name).value(), *alg, std::string(secret)};
}

/// `[algorithm:]name:secret` (nsupdate -y, knsupdate -y, Knot's keymgr -t).
Expected<TsigKey> parse_one_line(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    const auto last = text.find_last_not_of(" \t\r\n");
    const auto s = text.substr(first, last - first + 1);
    if (s.find_first_of(" \t\r\n") != std::string_view::npos) {
        return Unexpected{"expected 'key \"NAME\" { algorithm ALG; secret \"BASE64\"; };' "
                          "or one line 'ALGORITHM:NAME:SECRET'"};
    }
    const auto c1 = s.find(':');
    const auto c2 = s.find(':', c1 + 1);
    if (c2 == std::string_view::npos) {
        return finish(s.substr(0, c1), "hmac-sha256", s.substr(c1 + 1));
    }
    if (s.find(':', c2 + 1) != std::string_view::npos) {
        return Unexpected{"too many ':' in 'ALGORITHM:NAME:SECRET'"};
    }
    return finish(s.substr(c1 + 1, c2 - c1 - 1), s.substr(0, c1), s.substr(c2 + 1));
}

} // namespace

std::optional<TsigAlgorithm> parse_tsig_algorithm(std::string_view name) {
    std::string n = lower(name);
    if (!n.empty() && n.back() == '.') {
        n.pop_back();
    }
    if (n == "hmac-md5.sig-alg.reg.int") {
        return TsigAlgorithm::hmac_md5;
    }
    for (const auto& a : algorithms) {
        if (n == a.name) {
            return a.algorithm;
        }
    }
    return std::nullopt;
}

std::string_view tsig_algorithm_name(TsigAlgorithm algorithm) {
    for (const auto& a : algorithms) {
        if (a.algorithm == algorithm) {
            return a.name;
        }
    }
    return "?";
}

std::string_view tsig_algorithm_dname(TsigAlgorithm algorithm) {
    for (const auto& a : algorithms) {
        if (a.algorithm == algorithm) {
            return a.dname;
        }
    }
    return "?";
}

Expected<TsigKey> parse_tsig_key(std::string_view text) {
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return Unexpected{"the key file is empty"};
    }
    auto tokens_or = tokenize(text);
    if (!tokens_or) {
        return Unexpected{tokens_or.error()};
    }
    const auto& tokens = *tokens_or;
    if (tokens.empty()) {
        return Unexpected{"the key file holds only comments"};
    }
    if (tokens[0].kind == Token::Kind::word && tokens[0].text.find(':') != std::string::npos) {
        return parse_one_line(text);
    }

    std::vector<TsigKey> keys;
    std::size_t i = 0;
    const auto more = [&] { return i < tokens.size(); };
    while (more()) {
        const Token& kw = tokens[i];
        if (kw.kind == Token::Kind::semicolon) {
            ++i;
            continue;
        }
        if (kw.kind != Token::Kind::word || lower(kw.text) != "key") {
            return Unexpected{where(kw) + ": expected 'key', found '" + names::printable(kw.text) + "'"};
        }
        ++i;
        if (!more() || (tokens[i].kind != Token::Kind::word && tokens[i].kind != Token::Kind::string)) {
            return Unexpected{where(kw) + ": 'key' must be followed by the key's name"};
        }
        const Token& name = tokens[i++];
        if (!more() || tokens[i].kind != Token::Kind::open) {
            return Unexpected{where(name) + ": expected '{' after the key name"};
        }
        ++i;
        std::optional<std::string> algorithm;
        std::optional<std::string> secret;
        while (true) {
            if (!more()) {
                return Unexpected{where(name) + ": the block of key '" + names::printable(name.text) +
                                  "' is never closed with '}'"};
            }
            const Token& t = tokens[i];
            if (t.kind == Token::Kind::close) {
                ++i;
                break;
            }
            if (t.kind == Token::Kind::semicolon) {
                ++i;
                continue;
            }
            if (t.kind != Token::Kind::word) {
                return Unexpected{where(t) + ": expected 'algorithm' or 'secret', found '" + names::printable(t.text) +
                                  "'"};
            }
            const std::string stmt = lower(t.text);
            ++i;
            if (stmt != "algorithm" && stmt != "secret") {
                return Unexpected{where(t) + ": unknown statement '" + names::printable(t.text) +
                                  "' in a key block (only 'algorithm' and 'secret')"};
            }
            if (!more() || (tokens[i].kind != Token::Kind::word && tokens[i].kind != Token::Kind::string)) {
                return Unexpected{where(t) + ": '" + stmt + "' needs a value"};
            }
            auto& slot = stmt == "algorithm" ? algorithm : secret;
            if (slot) {
                return Unexpected{where(t) + ": '" + stmt + "' given twice"};
            }
            slot = tokens[i++].text;
        }
        if (!algorithm) {
            return Unexpected{where(name) + ": key '" + names::printable(name.text) + "' has no 'algorithm'"};
        }
        if (!secret) {
            return Unexpected{where(name) + ": key '" + names::printable(name.text) + "' has no 'secret'"};
        }
        auto key = finish(name.text, *algorithm, *secret);
        if (!key) {
            return Unexpected{where(name) + ": " + key.error()};
        }
        keys.push_back(std::move(key).value());
    }
    if (keys.size() != 1) {
        std::string list;
        for (const auto& k : keys) {
            list += (list.empty() ? "" : ", ") + k.name;
        }
        return Unexpected{"the file holds " + std::to_string(keys.size()) + " keys (" + list +
                          "); give a file with exactly one"};
    }
    return std::move(keys.front());
}

TsigKey load_tsig_key(const std::filesystem::path& path) {
    // A secret that can change the zone, used as root: a file another user
    // could have written is refused like the settings file (issue #25).
    if (const auto why = store::untrusted_input(path, ::geteuid())) {
        throw Error(Errc::refused, "refusing the TSIG key file: " + *why);
    }
    const std::string text = sys::read_file(path, {"TSIG key file", 64 * sys::kib});
    auto key = parse_tsig_key(text);
    if (!key) {
        throw Error(Errc::bad_input, "TSIG key file " + path.string() + ": " + key.error());
    }
    return std::move(key).value();
}

} // namespace mxdane::publish
