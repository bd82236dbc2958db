// The RRset text parser: every shape in issue #3, and every refusal.
#include <gtest/gtest.h>

#include "mxdane/tlsa_parse.h"

namespace {
using namespace mxdane::tlsa;

const std::string hex = "a9f61c984b3a2a10af4a850b4e4efed0e7c1662fb1e91aaba5a76cb4d4c1d54e";

Record expected() {
    Record r{3, 1, 1, {}};
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        r.data.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    return r;
}

TEST(TlsaParse, EveryShapeGivesTheSameRecord) {
    std::string upper = hex;
    for (auto& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    for (const auto& text : std::vector<std::string>{
             "3 1 1 " + hex,
             "_25._tcp.mx1.example.net. IN TLSA 3 1 1 " + hex,
             "_25._tcp.mx1.example.net. 3600 IN TLSA 3 1 1 " + hex,
             "_25._tcp.mx1.example.net. IN 1h TLSA 3 1 1 " + hex,
             "3600 IN TLSA 3 1 1 " + hex,
             "IN TLSA 3 1 1 " + hex,
             "TLSA 3 1 1 " + hex,
             "  3 1 1 " + upper.substr(0, 56) + " " + upper.substr(56) + "   ; dig",
             "_25._tcp.mx1.example.net. 3600 IN TLSA 3 1 1 (\n\t" + hex.substr(0, 40) + "\n\t" + hex.substr(40) + " )",
             "_25._tcp.mx1.example.net. 3600 IN TLSA ( 3 1 1 ; usage selector type\n " + hex + " )",
             "_25._tcp.mx1.example.net. 3600 IN TYPE52 \\# 35 030101" + hex,
             "_25._tcp.mx1.example.net. TYPE52 \\# 35 03 01 01 " + hex,
             "\\# 35 030101" + hex,
             "DANE-EE SPKI SHA2-256 " + hex,
             "dane-ee spki sha2-256 " + hex,
             "03 01 01 " + hex, // danetool's leading zeros
             ";; ANSWER SECTION:\n;_25._tcp.mx1.example.net. IN TLSA\n\n3 1 1 " + hex + "\n;; Query time: 1 msec",
             "$TTL 3600\n$ORIGIN example.net.\n3 1 1 " + hex,
         }) {
        const auto p = parse_rrset(text);
        ASSERT_EQ(p.errors.size(), 0U) << text << "\n" << p.errors.front().reason;
        ASSERT_EQ(p.records.size(), 1U) << text;
        EXPECT_EQ(p.records.front().record, expected()) << text;
    }
}

TEST(TlsaParse, LineNumbersAreWhereEntriesStart) {
    const auto p = parse_rrset("; header\n\n3 1 1 (\n" + hex + "\n)\nbad line here\n3 0 1 " + hex + "\n");
    ASSERT_EQ(p.records.size(), 2U);
    EXPECT_EQ(p.records[0].line, 3U);
    EXPECT_EQ(p.records[1].line, 7U);
    ASSERT_EQ(p.errors.size(), 1U);
    EXPECT_EQ(p.errors[0].line, 6U);
}

TEST(TlsaParse, UnknownValuesAreRecordsNotErrors) {
    // Usability is the matcher's business: 4 1 1 parses, and is then ignored.
    const auto p = parse_rrset("4 1 1 00\n3 2 1 00\n3 1 3 00\n255 255 255 00\n3 1 1 00");
    EXPECT_EQ(p.errors.size(), 0U);
    EXPECT_EQ(p.records.size(), 5U);
}

TEST(TlsaParse, MalformedEntriesSayWhy) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"3 1 1", "the certificate association data is missing"},
        {"3 1", "the matching type is missing"},
        {"3", "the selector is missing"},
        {"3 1 1 abc", "odd number of hex digits (3)"},
        {"3 1 1 0xab", "'0xab' is not hexadecimal"},
        {"256 1 1 ab", "not a TLSA record: expected"},
        {"3 SPKY 1 ab", "'SPKY' is not a selector"},
        {"3 1 SHA1 ab", "'SHA1' is not a matching type"},
        {"TLSA", "no RDATA after TLSA"},
        {"TLSA DANE-XX 1 1 ab", "'DANE-XX' is not a certificate usage"},
        {"mx IN 300 600 TLSA 3 1 1 ab", "unexpected '600' before TLSA"},
        {"\\#", "'\\#' must be followed by the RDATA length"},
        {"\\# x 00", "'x' is not an RDATA length"},
        {"\\# 4 030101", "the generic RDATA says 4 octets but has 3"},
        {"\\# 2 0301", "generic RDATA of 2 octets is too short for TLSA"},
        {"$TTL", "$TTL needs a TTL"},
        {"$ORIGIN", "$ORIGIN needs a domain name"},
        {"$INCLUDE other.zone", "$INCLUDE is not followed"},
        // Found by fuzz_rrset_ldns: skipped in silence before, where libldns
        // reads the record with the owner "$0ORIG".
        {"$0ORIG 3600 IN TLSA 3 0 1 bc", "unknown directive '$0ORIG' (RFC 1035 §5.1"},
        {"$GENERATE 1-4 x$ IN TLSA 3 1 1 ab", "unknown directive '$GENERATE'"},
        {"( 3 1 1 ab", "'(' opened on line 1 is never closed"},
        {") 3 1 1 ab", "')' without a matching '('"},
        {"( ( 3 1 1 ab ) )", "nested '('"},
    };
    for (const auto& [text, reason] : cases) {
        const auto p = parse_rrset(text);
        EXPECT_EQ(p.records.size(), 0U) << text;
        ASSERT_EQ(p.errors.size(), 1U) << text;
        EXPECT_EQ(p.errors[0].reason.rfind(reason, 0), 0U) << text << " -> " << p.errors[0].reason;
        EXPECT_EQ(p.errors[0].line, 1U);
    }
}

TEST(TlsaParse, Mnemonics) {
    EXPECT_EQ(parse_usage("PKIX-TA"), 0);
    EXPECT_EQ(parse_usage("pkix-ee"), 1);
    EXPECT_EQ(parse_usage("Dane-Ta"), 2);
    EXPECT_EQ(parse_usage("DANE-EE"), 3);
    EXPECT_EQ(parse_usage("PrivCert"), 255);
    EXPECT_EQ(parse_selector("cert"), 0);
    EXPECT_EQ(parse_selector("SPKI"), 1);
    EXPECT_EQ(parse_mtype("full"), 0);
    EXPECT_EQ(parse_mtype("SHA2-256"), 1);
    EXPECT_EQ(parse_mtype("sha2-512"), 2);
    EXPECT_FALSE(parse_usage("DANE").has_value());
    EXPECT_FALSE(parse_usage("256").has_value());
    EXPECT_FALSE(parse_usage("-1").has_value());
    EXPECT_FALSE(parse_mtype("SHA-256").has_value());
}

TEST(TlsaParse, GenericText) {
    EXPECT_EQ(generic_rdata_text(Record{3, 1, 1, {0xab, 0xcd}}), "\\# 5 030101abcd");
    const auto p = parse_rrset(generic_rdata_text(expected()));
    ASSERT_EQ(p.records.size(), 1U);
    EXPECT_EQ(p.records[0].record, expected());
}

} // namespace

TEST(TlsaParse, OtherTypesAreSkippedAndCounted) {
    const auto p = parse_rrset("$ORIGIN example.net.\n@ 300 IN SOA ns1 host ( 1 2 3 4 5 )\n@ IN NS ns1\n"
                               "mx.example. 300 IN CNAME other.example.\nA 192.0.2.1\n"
                               "_25._tcp.mx. 300 IN RRSIG TLSA 13 5 300 x\n@ IN NS ns2\n");
    EXPECT_EQ(p.records.size(), 0U);
    EXPECT_EQ(p.errors.size(), 0U);
    EXPECT_EQ(skipped_summary(p.skipped), "1 SOA, 2 NS, 1 CNAME, 1 A, 1 RRSIG");
}

TEST(TlsaParse, OwnersAsAZoneFileReadsThem) {
    // Expected owners as ldns-read-zone prints them for the same text (the
    // CLI test OwnerRuleAgreesWithLdnsReadZone asks ldns itself).
    const auto p =
        parse_rrset("_25._tcp.mx1 300 IN TLSA 3 1 1 00\n  IN TLSA 3 1 1 01\n$ORIGIN Example.NET.\n"
                    "@ TLSA 3 1 1 02\nmx1 CH TLSA 3 1 1 03\n$TTL 1h\n_25._tcp.MX1.example.net. TLSA 3 1 1 04\n"
                    "3 1 1 05\n");
    ASSERT_EQ(p.records.size(), 6U);
    EXPECT_EQ(p.records[0].owner.value_or("-"), "_25._tcp.mx1.");
    EXPECT_EQ(p.records[0].ttl.value_or(0), 300U);
    EXPECT_EQ(p.records[1].owner.value_or("-"), "_25._tcp.mx1.");
    EXPECT_EQ(p.records[2].owner.value_or("-"), "example.net.");
    EXPECT_EQ(p.records[3].owner.value_or("-"), "mx1.example.net.");
    EXPECT_EQ(p.records[3].rr_class, "CH");
    EXPECT_EQ(p.records[4].owner.value_or("-"), "_25._tcp.mx1.example.net.");
    EXPECT_EQ(p.records[4].ttl.value_or(0), 3600U);
    EXPECT_FALSE(p.records[5].owner.has_value()); // bare RDATA: meant for the host
    EXPECT_EQ(owner_problem(p.records[4], "_25._tcp.mx1.example.net."), "");
    EXPECT_EQ(owner_problem(p.records[5], "_25._tcp.mx1.example.net."), "");
    EXPECT_EQ(owner_problem(p.records[2], "_25._tcp.mx1.example.net."),
              "not for _25._tcp.mx1.example.net. (owner example.net.)");
    EXPECT_EQ(owner_problem(p.records[3], "_25._tcp.mx1.example.net."),
              "not for _25._tcp.mx1.example.net. (owner mx1.example.net.)");
}
