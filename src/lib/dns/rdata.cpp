// RDATA parsing and the small text formats of the resolver options. All
// input here is untrusted (it comes off the network or the command line).
#include <arpa/inet.h>
#include <openssl/evp.h>

#include <array>

#include "mxdane/dns.h"
#include "mxdane/names.h"

namespace mxdane::dns {
namespace {

/// Reads a wire-format domain name at data[pos], advancing pos.
Expected<std::string> read_name(const std::uint8_t* data, std::size_t len, std::size_t& pos) {
    std::string out;
    std::size_t wire = 0;
    while (true) {
        if (pos >= len) {
            return Unexpected{"domain name runs past the end of the record"};
        }
        const std::uint8_t l = data[pos++];
        ++wire;
        if (l == 0) {
            break;
        }
        if ((l & 0xC0U) != 0) {
            return Unexpected{"compressed or extended label in RDATA"};
        }
        if (pos + l > len) {
            return Unexpected{"label runs past the end of the record"};
        }
        wire += l;
        if (wire > 255) {
            return Unexpected{"domain name longer than 255 octets"};
        }
        if (!out.empty()) {
            out += '.';
        }
        for (std::size_t i = 0; i < l; ++i) {
            const auto c = static_cast<unsigned char>(data[pos + i]);
            if (c == '.' || c == '\\' || c <= 0x20 || c >= 0x7f) {
                // RFC 1035 §5.1: \DDD, three decimal digits.
                out += '\\';
                out += static_cast<char>('0' + c / 100);
                out += static_cast<char>('0' + c / 10 % 10);
                out += static_cast<char>('0' + c % 10);
            } else if (c >= 'A' && c <= 'Z') {
                out += static_cast<char>(c - 'A' + 'a');
            } else {
                out += static_cast<char>(c);
            }
        }
        pos += l;
    }
    return out;
}

std::uint16_t u16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>((static_cast<unsigned>(p[0]) << 8U) | p[1]);
}

std::uint32_t u32(const std::uint8_t* p) {
    return (static_cast<std::uint32_t>(u16(p)) << 16U) | u16(p + 2);
}

std::string strip_dot(std::string s) {
    while (s.size() > 1 && s.back() == '.') {
        s.pop_back();
    }
    return s;
}

std::string lower(std::string s) {
    for (auto& c : s) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return s;
}

} // namespace

std::string_view type_name(RrType t) {
    switch (t) {
    case RrType::a:
        return "A";
    case RrType::ns:
        return "NS";
    case RrType::cname:
        return "CNAME";
    case RrType::soa:
        return "SOA";
    case RrType::mx:
        return "MX";
    case RrType::txt:
        return "TXT";
    case RrType::aaaa:
        return "AAAA";
    case RrType::dnskey:
        return "DNSKEY";
    case RrType::tlsa:
        return "TLSA";
    }
    return "?";
}

std::string_view security_name(Security s) {
    switch (s) {
    case Security::secure:
        return "secure";
    case Security::insecure:
        return "insecure";
    case Security::bogus:
        return "bogus";
    }
    return "?";
}

std::string rdata_text(const Rdata& rd) {
    struct Visitor {
        std::string operator()(const Mx& m) const { return std::to_string(m.preference) + " " + m.host + "."; }
        std::string operator()(const Address& a) const { return a.text; }
        std::string operator()(const Cname& c) const { return c.target + "."; }
        std::string operator()(const Ns& n) const { return n.host + "."; }
        std::string operator()(const Txt& t) const { return "\"" + t.text + "\""; }
        std::string operator()(const tlsa::Record& r) const { return tlsa::rdata_text(r); }
        std::string operator()(const Dnskey& k) const {
            std::string b64(4 * ((k.key.size() + 2) / 3) + 1, '\0');
            const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), // NOLINT: octets
                                          k.key.data(), static_cast<int>(k.key.size()));
            b64.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
            return std::to_string(k.flags) + " " + std::to_string(k.protocol) + " " + std::to_string(k.algorithm) +
                   " " + b64;
        }
        std::string operator()(const Soa& s) const {
            return s.mname + ". " + s.rname + ". " + std::to_string(s.serial) + " " + std::to_string(s.refresh) + " " +
                   std::to_string(s.retry) + " " + std::to_string(s.expire) + " " + std::to_string(s.minimum);
        }
    };
    return std::visit(Visitor{}, rd);
}

Expected<Rdata> parse_rdata(RrType type, const std::uint8_t* data, std::size_t len) {
    if (data == nullptr && len != 0) {
        return Unexpected{"no RDATA"};
    }
    switch (type) {
    case RrType::a:
    case RrType::aaaa: {
        const bool v6 = type == RrType::aaaa;
        const std::size_t want = v6 ? 16 : 4;
        if (len != want) {
            return Unexpected{std::string(type_name(type)) + " RDATA must be " + std::to_string(want) +
                              " octets, this one has " + std::to_string(len)};
        }
        std::array<char, INET6_ADDRSTRLEN> buf{};
        if (inet_ntop(v6 ? AF_INET6 : AF_INET, data, buf.data(), buf.size()) == nullptr) {
            return Unexpected{"unprintable address"};
        }
        return Rdata{Address{v6, buf.data()}};
    }
    case RrType::cname:
    case RrType::ns: {
        const bool ns = type == RrType::ns;
        std::size_t pos = 0;
        auto name = read_name(data, len, pos);
        if (!name) {
            return Unexpected{std::string(type_name(type)) + ": " + name.error()};
        }
        if (pos != len) {
            return Unexpected{std::string(type_name(type)) + ": trailing octets after the " +
                              (ns ? "name server" : "target")};
        }
        return ns ? Rdata{Ns{*name}} : Rdata{Cname{*name}};
    }
    case RrType::mx: {
        if (len < 3) {
            return Unexpected{"MX RDATA shorter than 3 octets"};
        }
        std::size_t pos = 2;
        auto name = read_name(data, len, pos);
        if (!name) {
            return Unexpected{"MX: " + name.error()};
        }
        if (pos != len) {
            return Unexpected{"MX: trailing octets after the exchange"};
        }
        return Rdata{Mx{u16(data), *name}};
    }
    case RrType::txt: {
        std::string text;
        std::size_t pos = 0;
        while (pos < len) {
            const std::size_t l = data[pos++];
            if (pos + l > len) {
                return Unexpected{"TXT: character-string runs past the end of the record"};
            }
            for (std::size_t i = 0; i < l; ++i) {
                const auto c = static_cast<unsigned char>(data[pos + i]);
                text += (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') ? '?' : static_cast<char>(c);
            }
            pos += l;
        }
        return Rdata{Txt{text}};
    }
    case RrType::soa: {
        std::size_t pos = 0;
        auto mname = read_name(data, len, pos);
        if (!mname) {
            return Unexpected{"SOA: " + mname.error()};
        }
        auto rname = read_name(data, len, pos);
        if (!rname) {
            return Unexpected{"SOA: " + rname.error()};
        }
        if (pos > len || len - pos != 20) { // pos > len cannot happen; it keeps the subtraction honest
            return Unexpected{"SOA: " + std::to_string(len - pos) + " octets after the names, not 20"};
        }
        const std::uint8_t* t = data + pos;
        return Rdata{Soa{*mname, *rname, u32(t), u32(t + 4), u32(t + 8), u32(t + 12), u32(t + 16)}};
    }
    case RrType::tlsa: {
        if (len < 3) {
            return Unexpected{"TLSA RDATA shorter than 3 octets"};
        }
        tlsa::Record r;
        r.usage = data[0];
        r.selector = data[1];
        r.mtype = data[2];
        r.data.assign(data + 3, data + len);
        return Rdata{r};
    }
    case RrType::dnskey: {
        if (len < 5) {
            return Unexpected{"DNSKEY RDATA shorter than 5 octets"};
        }
        return Rdata{Dnskey{u16(data), data[2], data[3], std::vector<std::uint8_t>(data + 4, data + len)}};
    }
    }
    return Unexpected{"unsupported type"};
}

Expected<std::pair<std::string, ServerAddr>> parse_stub(std::string_view text) {
    const auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0) {
        return Unexpected{"'" + names::printable(text) + "' is not ZONE=ADDR[@PORT]"};
    }
    auto server = sys::parse_endpoint(text.substr(eq + 1), 53, sys::HostNames::refused);
    if (!server) {
        return Unexpected{server.error()};
    }
    std::string zone(text.substr(0, eq));
    if (zone.back() != '.') {
        zone += '.';
    }
    return std::pair{lower(zone), *server};
}

Expected<std::pair<std::string, std::string>> parse_resolver_option(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        return Unexpected{"'" + names::printable(text) + "' is not NAME:VALUE (e.g. do-ip6:no)"};
    }
    std::string value(text.substr(colon + 1));
    while (!value.empty() && value.front() == ' ') {
        value.erase(0, 1);
    }
    return std::pair{std::string(text.substr(0, colon)), value};
}

std::vector<std::string> trust_anchor_zones(std::string_view file_text) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < file_text.size()) {
        auto end = file_text.find('\n', pos);
        if (end == std::string_view::npos) {
            end = file_text.size();
        }
        const std::string_view line = file_text.substr(pos, end - pos);
        pos = end + 1;
        if (line.empty() || line.front() == ';' || line.front() == '$' || line.front() == ' ' || line.front() == '\t') {
            continue;
        }
        const auto ws = line.find_first_of(" \t");
        std::string owner = lower(std::string(line.substr(0, ws)));
        if (owner.back() != '.') {
            owner += '.';
        }
        bool seen = false;
        for (const auto& o : out) {
            seen = seen || o == owner;
        }
        if (!seen) {
            out.push_back(owner);
        }
    }
    return out;
}

std::string builtin_local_zone(std::string_view zone) {
    // unbound's default local zones for special-use names (unbound.conf(5),
    // "local-zone" defaults): the ones a lab or a private set-up may really
    // want to resolve. (Reverse zones are left out: mxdane never asks PTR.)
    static constexpr std::array<std::string_view, 5> builtin{"localhost.", "test.", "invalid.", "onion.", "home.arpa."};
    const std::string z = lower(strip_dot(std::string(zone))) + ".";
    for (const auto b : builtin) {
        if (z.size() >= b.size() && z.compare(z.size() - b.size(), b.size(), b) == 0 &&
            (z.size() == b.size() || z[z.size() - b.size() - 1] == '.')) {
            return std::string(b);
        }
    }
    return {};
}

} // namespace mxdane::dns
