#include <gtest/gtest.h>

#include "mxdane/error.h"
#include "mxdane/names.h"

namespace {
using mxdane::names::normalize_host;

TEST(Names, AcceptsAndNormalizes) {
    EXPECT_EQ(*normalize_host("mx1.example.net"), "mx1.example.net");
    EXPECT_EQ(*normalize_host("MX1.Example.NET."), "mx1.example.net");
    EXPECT_EQ(*normalize_host("a-b.c0.example"), "a-b.c0.example");
    EXPECT_EQ(*normalize_host("xn--bcher-kva.example"), "xn--bcher-kva.example");
    // IDNA2008: U-labels become A-labels ("bücher" -> "xn--bcher-kva", the
    // well-known Punycode example).
    EXPECT_EQ(*normalize_host("b\xc3\xbc"
                              "cher.example"),
              "xn--bcher-kva.example");
    const std::string label63(63, 'a');
    EXPECT_TRUE(normalize_host(label63 + ".example").has_value());
}

struct BadName {
    std::string input;
    std::string reason_part;
};

void PrintTo(const BadName& b, std::ostream* os) {
    *os << mxdane::names::printable(b.input);
}

class NamesRefused : public ::testing::TestWithParam<BadName> {};

TEST_P(NamesRefused, WithReason) {
    const auto r = normalize_host(GetParam().input);
    ASSERT_FALSE(r.has_value()) << GetParam().input;
    EXPECT_NE(r.error().find(GetParam().reason_part), std::string::npos) << r.error();
}

INSTANTIATE_TEST_SUITE_P(
    Table, NamesRefused,
    ::testing::Values(BadName{"", "empty"}, BadName{".", "empty"}, BadName{"localhost", "two labels"},
                      BadName{"*.example.net", "wildcard"}, BadName{"_25._tcp.example.net", "'_'"},
                      BadName{"a..example.net", "empty label"}, BadName{".example.net", "empty label"},
                      BadName{"example.net..", "empty label"}, BadName{"mx1/example.net", "'/'"},
                      BadName{"mx1 .example.net", "whitespace"}, BadName{"mx1\t.example.net", "whitespace"},
                      BadName{std::string("mx1\x01.example.net"), "control"},
                      BadName{"-mx1.example.net", "starts or ends with '-'"},
                      BadName{"mx1-.example.net", "starts or ends with '-'"},
                      BadName{std::string(64, 'a') + ".example", "longer than 63"},
                      BadName{std::string(60, 'a') + "." + std::string(60, 'b') + "." + std::string(60, 'c') + "." +
                                  std::string(60, 'd') + "." + std::string(20, 'e') + ".example",
                              "longer than 253"},
                      BadName{"mx1.exa$mple.net", "'$'"}, BadName{"192.0.2.1", "IP address"},
                      BadName{"ab--cd.example.net", "positions 3-4"}, BadName{"xn--zz.example.net", "A-label"},
                      BadName{"mx1.example.net:25", "':'"}, BadName{"user@example.net", "'@'"}));

TEST(Names, ListDropsDuplicatesKeepsOrder) {
    const auto v =
        mxdane::names::normalize_hosts({"mx1.example.net", "example.net", "MX1.example.net.", "example.net"});
    ASSERT_EQ(v.size(), 2U);
    EXPECT_EQ(v[0], "mx1.example.net");
    EXPECT_EQ(v[1], "example.net");
}

TEST(Names, ListErrorNamesTheBadNameSafely) {
    try {
        mxdane::names::normalize_hosts({"mx1.example.net", "bad\nname.example"});
        FAIL() << "no exception";
    } catch (const mxdane::Error& e) {
        EXPECT_EQ(e.code(), mxdane::Errc::bad_input);
        EXPECT_NE(std::string(e.what()).find("'bad\\x0aname.example'"), std::string::npos) << e.what();
    }
}

// An untrusted line of 100 KB is echoed cut, never whole (issue #25), and
// the cut never splits a UTF-8 sequence.
TEST(Printable, ALongLineIsCutAtACharacterAndSaysHowMuchIsLeft) {
    using mxdane::names::printable;
    EXPECT_EQ(printable("short", 10), "short");
    EXPECT_EQ(printable(std::string(100000, 'a'), 8), "aaaaaaaa... (99992 more octets)");
    // "ü" is two octets (C3 BC): a cut after its first octet backs off.
    EXPECT_EQ(printable("abcdefg\xc3\xbcxyz", 8), "abcdefg... (5 more octets)");
    EXPECT_EQ(printable("abcdefg\xc3\xbcxyz", 9), "abcdefg\xc3\xbc... (3 more octets)");
    EXPECT_EQ(printable("\x1b[31m" + std::string(50, 'x'), 4), "\\x1b[31... (51 more octets)");
}

TEST(Printable, EscapesWhatATerminalWouldObey) {
    using mxdane::names::printable;
    EXPECT_EQ(printable("mx1.example.net"), "mx1.example.net");
    EXPECT_EQ(printable(std::string("\x1b[31mred\0\x7f\\", 11)), "\\x1b[31mred\\x00\\x7f\\x5c");
    EXPECT_EQ(printable("tab\there\nline"), "tab\\x09here\\x0aline");
    // Valid UTF-8 stays; C1 controls, bidi overrides and line separators do not.
    EXPECT_EQ(printable("m\xc3\xbcx.example.net \xe2\x9c\x93"), "m\xc3\xbcx.example.net \xe2\x9c\x93");
    EXPECT_EQ(printable("a\xc2\x9b"
                        "31m"),
              "a\\xc2\\x9b31m");
    EXPECT_EQ(printable("\xe2\x80\xae"
                        "evil"),
              "\\xe2\\x80\\xaeevil");
    EXPECT_EQ(printable("\xe2\x80\xa8"), "\\xe2\\x80\\xa8");
    EXPECT_EQ(printable("\xe2\x81\xa6"), "\\xe2\\x81\\xa6");
    // Not UTF-8: overlong forms, surrogates, stray and truncated octets.
    EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");
    EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");
    EXPECT_EQ(printable("\xff\x80"), "\\xff\\x80");
    EXPECT_EQ(printable("ok\xe2\x9c"), "ok\\xe2\\x9c");
    EXPECT_EQ(printable("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80"); // above U+10FFFF
    EXPECT_EQ(printable("\xf0\x9f\x93\xa7"), "\xf0\x9f\x93\xa7");     // U+1F4E7 is fine
}

TEST(WireLength, CountsALengthOctetPerLabelAndTheRoot) {
    using mxdane::names::wire_length;
    EXPECT_EQ(wire_length("."), 1U);
    EXPECT_EQ(wire_length(""), 1U);
    EXPECT_EQ(wire_length("net"), 5U);
    EXPECT_EQ(wire_length("mx1.example.net"), 17U);
    EXPECT_EQ(wire_length("mx1.example.net."), 17U);
}

} // namespace
