// The one address parser and the one address-to-sockaddr conversion: every
// option that names a server (--forward, --stub, --nsupdate) and every
// socket the library opens to an IP literal go through here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/socket.h>

#include "mxdane/expected.h"

namespace mxdane::sys {

/// A server: an IP address (or, where the caller allows it, a host name)
/// and a port.
struct Endpoint {
    std::string host; ///< an IP literal without brackets, or a host name
    std::uint16_t port = 53;
};

/// Whether a host name may stand where an address is expected.
enum class HostNames {
    refused, ///< IP literals only (libunbound's forwarders and stubs need addresses)
    allowed, ///< an IP literal or a host name (nsupdate resolves it)
};

/// Parses "ADDR[@PORT]" as unbound and nsupdate write it: "192.0.2.1",
/// "192.0.2.1@5353", "::1@53", "[::1]@53", "ns1.example.net@53" (the last
/// only with HostNames::allowed). IPv6 may stand in brackets; the port is
/// 1 to 65535 and `default_port` when absent. "[::1]:53" and
/// "192.0.2.1:53" are refused with a message that says to write "@PORT".
/// The error names the offending text, escaped with names::printable.
Expected<Endpoint> parse_endpoint(std::string_view text, std::uint16_t default_port, HostNames host_names);

/// Parses an SMTP server's address as mail tools write it: "192.0.2.1:25",
/// "[2001:db8::1]:25" (Postfix's form), or parse_endpoint's "ADDR@PORT";
/// "::1" and "192.0.2.1" take `default_port`. IP literals only. The colon
/// forms are rewritten to "@PORT" and read by parse_endpoint, so the
/// errors are its errors.
Expected<Endpoint> parse_smtp_endpoint(std::string_view text, std::uint16_t default_port);

/// "127.0.0.1@53", "::1@5353": the form parse_endpoint reads.
std::string endpoint_text(const Endpoint& endpoint);

/// A socket address for an IP literal and a port.
struct SocketAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;
    [[nodiscard]] int family() const noexcept { return storage.ss_family; }
    [[nodiscard]] const sockaddr* get() const noexcept;
};

/// The sockaddr_in or sockaddr_in6 of `ip` (an IPv4 or IPv6 literal) and
/// `port`; nullopt when `ip` is neither.
std::optional<SocketAddress> socket_address(const std::string& ip, std::uint16_t port);

} // namespace mxdane::sys
