// The address parser and sockaddr conversion (include/mxdane/endpoint.h).
#include "mxdane/endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>

#include "mxdane/names.h"

namespace mxdane::sys {
namespace {

bool is_ipv4(const std::string& s) {
    std::array<unsigned char, 4> buf{};
    return inet_pton(AF_INET, s.c_str(), buf.data()) == 1;
}

bool is_ipv6(const std::string& s) {
    std::array<unsigned char, 16> buf{};
    return inet_pton(AF_INET6, s.c_str(), buf.data()) == 1;
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// Letters, digits, '-', '_' and dots between non-empty labels (a trailing
/// dot allowed): what getaddrinfo() is given as a host name.
bool is_host_name(std::string_view s) {
    if (s.empty() || s.size() > 254 || s.front() == '.' || s.find("..") != std::string_view::npos) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
    });
}

Unexpected port_message(std::string_view text, std::string_view host, std::string_view port, bool bracketed) {
    const std::string h(host);
    return Unexpected{"'" + names::printable(text) + "' gives the port after ':'; write it after '@' (" +
                      names::printable(bracketed ? "[" + h + "]" : h) + "@" + names::printable(port) + ")"};
}

} // namespace

Expected<Endpoint> parse_endpoint(std::string_view text, std::uint16_t default_port, HostNames host_names) {
    if (text.empty()) {
        return Unexpected{"the address is empty"};
    }
    Endpoint out;
    out.port = default_port;
    std::string_view host = text;
    if (const auto at = text.rfind('@'); at != std::string_view::npos) {
        host = text.substr(0, at);
        const auto port = text.substr(at + 1);
        unsigned value = 0;
        const auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (port.empty() || ec != std::errc() || p != port.data() + port.size() || value == 0 || value > 65535) {
            return Unexpected{"the port '" + names::printable(port) + "' is not a number from 1 to 65535"};
        }
        out.port = static_cast<std::uint16_t>(value);
    }
    bool bracketed = false;
    if (!host.empty() && host.front() == '[') {
        const auto close = host.find(']');
        if (close == std::string_view::npos) {
            return Unexpected{"'" + names::printable(host) + "' has no closing ']'"};
        }
        const auto inner = host.substr(1, close - 1);
        const auto rest = host.substr(close + 1);
        if (!rest.empty() && rest.front() == ':' && all_digits(rest.substr(1))) {
            return port_message(text, inner, rest.substr(1), true);
        }
        if (!rest.empty()) {
            return Unexpected{"'" + names::printable(host) + "' has text after ']'"};
        }
        if (!is_ipv6(std::string(inner))) {
            return Unexpected{"'" + names::printable(inner) + "' in brackets is not an IPv6 address"};
        }
        host = inner;
        bracketed = true;
    }
    if (host.empty()) {
        return Unexpected{"the address before '@' is empty"};
    }
    const std::string h(host);
    if (!bracketed && !is_ipv4(h) && !is_ipv6(h)) {
        // One colon is never IPv6 (that needs two): "192.0.2.1:53" or
        // "ns1.example.net:53" put the port where ADDR@PORT wants '@'.
        if (const auto colon = host.find(':'); colon != std::string_view::npos &&
                                               host.find(':', colon + 1) == std::string_view::npos &&
                                               all_digits(host.substr(colon + 1))) {
            return port_message(text, host.substr(0, colon), host.substr(colon + 1), false);
        }
        if (host_names == HostNames::refused) {
            return Unexpected{"'" + names::printable(host) + "' is not an IPv4 or IPv6 address"};
        }
        // A scoped IPv6 address (fe80::1%eth0) is for getaddrinfo() only.
        const auto percent = host.find('%');
        const bool scoped = percent != std::string_view::npos && is_ipv6(std::string(host.substr(0, percent)));
        if (!scoped && !is_host_name(host)) {
            return Unexpected{"'" + names::printable(host) + "' is neither an IP address nor a host name"};
        }
    }
    out.host = h;
    return out;
}

Expected<Endpoint> parse_smtp_endpoint(std::string_view text, std::uint16_t default_port) {
    std::string at_form(text);
    if (!text.empty() && text.front() == '[') {
        if (const auto close = text.find(']');
            close != std::string_view::npos && close + 1 < text.size() && text[close + 1] == ':') {
            at_form = std::string(text.substr(0, close + 1)) + "@" + std::string(text.substr(close + 2));
        }
    } else if (const auto colon = text.find(':'); colon != std::string_view::npos &&
                                                  text.find(':', colon + 1) == std::string_view::npos &&
                                                  text.find('@') == std::string_view::npos) {
        // One colon is never IPv6 (that needs two).
        at_form = std::string(text.substr(0, colon)) + "@" + std::string(text.substr(colon + 1));
    }
    return parse_endpoint(at_form, default_port, HostNames::refused);
}

std::string endpoint_text(const Endpoint& endpoint) {
    return endpoint.host + "@" + std::to_string(endpoint.port);
}

const sockaddr* SocketAddress::get() const noexcept {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API takes sockaddr*
    return reinterpret_cast<const sockaddr*>(&storage);
}

std::optional<SocketAddress> socket_address(const std::string& ip, std::uint16_t port) {
    SocketAddress out;
    sockaddr_in v4{};
    sockaddr_in6 v6{};
    if (inet_pton(AF_INET, ip.c_str(), &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(port);
        std::memcpy(&out.storage, &v4, sizeof v4);
        out.length = sizeof v4;
        return out;
    }
    if (inet_pton(AF_INET6, ip.c_str(), &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(port);
        std::memcpy(&out.storage, &v6, sizeof v6);
        out.length = sizeof v6;
        return out;
    }
    return std::nullopt;
}

} // namespace mxdane::sys
