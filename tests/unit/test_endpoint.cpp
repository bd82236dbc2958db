// The one address parser (ADDR[@PORT]) and the one sockaddr conversion.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "mxdane/endpoint.h"

namespace {
using namespace mxdane::sys;

std::string error_of(std::string_view text, HostNames names = HostNames::allowed) {
    const auto e = parse_endpoint(text, 53, names);
    return e ? "(parsed)" : e.error();
}

TEST(Endpoint, ParsesAddressesAndPorts) {
    for (const auto names : {HostNames::refused, HostNames::allowed}) {
        auto e = parse_endpoint("127.0.0.1", 53, names);
        ASSERT_TRUE(e);
        EXPECT_EQ(e->host, "127.0.0.1");
        EXPECT_EQ(e->port, 53);
        e = parse_endpoint("192.0.2.1@5353", 53, names);
        ASSERT_TRUE(e);
        EXPECT_EQ(e->host, "192.0.2.1");
        EXPECT_EQ(e->port, 5353);
        e = parse_endpoint("::1@65535", 53, names);
        ASSERT_TRUE(e);
        EXPECT_EQ(e->host, "::1");
        EXPECT_EQ(e->port, 65535);
        e = parse_endpoint("[::1]@1", 53, names);
        ASSERT_TRUE(e);
        EXPECT_EQ(e->host, "::1");
        EXPECT_EQ(e->port, 1);
        e = parse_endpoint("[2001:db8::1]", 5300, names);
        ASSERT_TRUE(e);
        EXPECT_EQ(e->host, "2001:db8::1");
        EXPECT_EQ(e->port, 5300);
        // Two colons or more are IPv6, never a port: "::1:53" is ::0.1.0.83.
        e = parse_endpoint("::1:53", 53, names);
        ASSERT_TRUE(e);
        EXPECT_EQ(e->host, "::1:53");
    }
}

TEST(Endpoint, HostNamesOnlyWhereAllowed) {
    const auto e = parse_endpoint("ns1.example.net@5300", 53, HostNames::allowed);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->host, "ns1.example.net");
    EXPECT_EQ(endpoint_text(*e), "ns1.example.net@5300");
    EXPECT_TRUE(parse_endpoint("localhost", 53, HostNames::allowed));
    EXPECT_TRUE(parse_endpoint("fe80::1%lo", 53, HostNames::allowed));
    EXPECT_EQ(error_of("ns1.example.net@53", HostNames::refused), "'ns1.example.net' is not an IPv4 or IPv6 address");
    EXPECT_EQ(error_of("fe80::1%lo", HostNames::refused), "'fe80::1%lo' is not an IPv4 or IPv6 address");
    EXPECT_EQ(error_of("a b@53"), "'a b' is neither an IP address nor a host name");
    EXPECT_EQ(error_of("a..b"), "'a..b' is neither an IP address nor a host name");
    EXPECT_EQ(error_of(".a"), "'.a' is neither an IP address nor a host name");
}

TEST(Endpoint, RefusesBadPorts) {
    EXPECT_EQ(error_of("127.0.0.1@"), "the port '' is not a number from 1 to 65535");
    EXPECT_EQ(error_of("127.0.0.1@0"), "the port '0' is not a number from 1 to 65535");
    EXPECT_EQ(error_of("127.0.0.1@65536"), "the port '65536' is not a number from 1 to 65535");
    EXPECT_EQ(error_of("127.0.0.1@5x"), "the port '5x' is not a number from 1 to 65535");
    EXPECT_EQ(error_of("127.0.0.1@-1"), "the port '-1' is not a number from 1 to 65535");
    EXPECT_EQ(error_of("127.0.0.1@+53"), "the port '+53' is not a number from 1 to 65535");
    EXPECT_EQ(error_of("127.0.0.1@\x1b"), "the port '\\x1b' is not a number from 1 to 65535");
}

TEST(Endpoint, RefusesEmptyAndBracketMistakes) {
    EXPECT_EQ(error_of(""), "the address is empty");
    EXPECT_EQ(error_of("@53"), "the address before '@' is empty");
    EXPECT_EQ(error_of("[]@53"), "'' in brackets is not an IPv6 address");
    EXPECT_EQ(error_of("[::1@53"), "'[::1' has no closing ']'");
    EXPECT_EQ(error_of("[127.0.0.1]"), "'127.0.0.1' in brackets is not an IPv6 address");
    EXPECT_EQ(error_of("[ns1.example.net]"), "'ns1.example.net' in brackets is not an IPv6 address");
    EXPECT_EQ(error_of("[::1]x"), "'[::1]x' has text after ']'");
    EXPECT_EQ(error_of("[\x1b]", HostNames::refused), "'\\x1b' in brackets is not an IPv6 address");
}

TEST(Endpoint, ColonPortSaysToWriteAt) {
    for (const auto names : {HostNames::refused, HostNames::allowed}) {
        EXPECT_EQ(error_of("[::1]:5353", names),
                  "'[::1]:5353' gives the port after ':'; write it after '@' ([::1]@5353)");
        EXPECT_EQ(error_of("127.0.0.1:53", names),
                  "'127.0.0.1:53' gives the port after ':'; write it after '@' (127.0.0.1@53)");
    }
    EXPECT_EQ(error_of("ns1.example.net:53"),
              "'ns1.example.net:53' gives the port after ':'; write it after '@' (ns1.example.net@53)");
    EXPECT_EQ(error_of("127.0.0.1:x"), "'127.0.0.1:x' is neither an IP address nor a host name");
}

TEST(Endpoint, SmtpFormTakesAColonOrAnAt) {
    const std::vector<std::tuple<std::string, std::string, std::uint16_t>> good{{"192.0.2.1:2525", "192.0.2.1", 2525},
                                                                                {"[2001:db8::1]:25", "2001:db8::1", 25},
                                                                                {"192.0.2.1", "192.0.2.1", 587},
                                                                                {"::1", "::1", 587},
                                                                                {"[::1]", "::1", 587},
                                                                                {"192.0.2.1@26", "192.0.2.1", 26}};
    for (const auto& [text, host, port] : good) {
        const auto e = parse_smtp_endpoint(text, 587);
        ASSERT_TRUE(e) << text << ": " << e.error();
        EXPECT_EQ(e->host, host) << text;
        EXPECT_EQ(e->port, port) << text;
    }
    const auto error = [](std::string_view text) {
        const auto e = parse_smtp_endpoint(text, 25);
        return e ? "(parsed)" : e.error();
    };
    EXPECT_EQ(error("mx1.example.net:25"), "'mx1.example.net' is not an IPv4 or IPv6 address");
    EXPECT_EQ(error("192.0.2.1:0"), "the port '0' is not a number from 1 to 65535");
    EXPECT_EQ(error("[::1]:99999"), "the port '99999' is not a number from 1 to 65535");
    EXPECT_EQ(error("[::1"), "'[::1' has no closing ']'");
    EXPECT_EQ(error("[::1]x25"), "'[::1]x25' has text after ']'");
    EXPECT_EQ(error(""), "the address is empty");
}

TEST(Endpoint, EscapesWhatItEchoes) {
    EXPECT_EQ(error_of("\x1b[2J", HostNames::refused), "'\\x1b[2J' is not an IPv4 or IPv6 address");
    EXPECT_EQ(error_of("a\nb"), "'a\\x0ab' is neither an IP address nor a host name");
}

TEST(SocketAddress, IPv4AndIPv6) {
    const auto v4 = socket_address("192.0.2.7", 5353);
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->family(), AF_INET);
    EXPECT_EQ(v4->length, sizeof(sockaddr_in));
    sockaddr_in in4{};
    std::memcpy(&in4, &v4->storage, sizeof in4);
    EXPECT_EQ(ntohs(in4.sin_port), 5353);
    EXPECT_EQ(ntohl(in4.sin_addr.s_addr), 0xC0000207U);

    const auto v6 = socket_address("::1", 25);
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->family(), AF_INET6);
    EXPECT_EQ(v6->length, sizeof(sockaddr_in6));
    sockaddr_in6 in6{};
    std::memcpy(&in6, &v6->storage, sizeof in6);
    EXPECT_EQ(ntohs(in6.sin6_port), 25);
    EXPECT_EQ(in6.sin6_addr.s6_addr[15], 1);
    EXPECT_EQ(static_cast<const void*>(v6->get()), static_cast<const void*>(&v6->storage));

    EXPECT_FALSE(socket_address("mx1.example.net", 25));
    EXPECT_FALSE(socket_address("[::1]", 25));
    EXPECT_FALSE(socket_address("", 25));
}

} // namespace
