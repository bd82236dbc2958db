#include <gtest/gtest.h>

#include "mxdane/tlsa.h"

namespace {
using namespace mxdane::tlsa;

Bytes bytes_of(const std::string& s) {
    return {s.begin(), s.end()};
}

// Digests of "abc" as printed by `printf abc | openssl dgst -sha256` / -sha512.
TEST(Tlsa, DigestsMatchOpensslCli) {
    EXPECT_EQ(to_hex(digest(MatchingType::sha256, bytes_of("abc"))),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(to_hex(digest(MatchingType::sha512, bytes_of("abc"))),
              "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
              "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    EXPECT_EQ(to_hex(digest(MatchingType::full, bytes_of("abc"))), "616263");
}

TEST(Tlsa, OwnerAndPresentation) {
    EXPECT_EQ(owner("mx1.example.net", 25), "_25._tcp.mx1.example.net.");
    EXPECT_EQ(owner("mx1.example.net.", 465), "_465._tcp.mx1.example.net.");
    const Record r{3, 1, 1, {0x00, 0xab, 0xff}};
    EXPECT_EQ(rdata_text(r), "3 1 1 00abff");
    EXPECT_EQ(zone_line("_25._tcp.mx1.example.net.", r), "_25._tcp.mx1.example.net. IN TLSA 3 1 1 00abff");
}

TEST(Tlsa, UsabilityForSmtp) {
    EXPECT_EQ(unusable_reason(Record{3, 1, 1, Bytes(32, 0)}), "");
    EXPECT_EQ(unusable_reason(Record{2, 0, 2, Bytes(64, 0)}), "");
    EXPECT_EQ(unusable_reason(Record{3, 0, 0, Bytes(10, 0)}), "");
    EXPECT_NE(unusable_reason(Record{1, 1, 1, Bytes(32, 0)}).find("RFC 7672"), std::string::npos);
    EXPECT_NE(unusable_reason(Record{0, 1, 1, Bytes(32, 0)}).find("PKIX"), std::string::npos);
    EXPECT_NE(unusable_reason(Record{4, 1, 1, Bytes(32, 0)}).find("unknown certificate usage 4"), std::string::npos);
    EXPECT_NE(unusable_reason(Record{3, 2, 1, Bytes(32, 0)}).find("unknown selector 2"), std::string::npos);
    EXPECT_NE(unusable_reason(Record{3, 1, 3, Bytes(32, 0)}).find("unknown matching type 3"), std::string::npos);
    EXPECT_NE(unusable_reason(Record{3, 1, 1, Bytes(31, 0)}).find("32 octets, this one has 31"), std::string::npos);
    EXPECT_NE(unusable_reason(Record{3, 1, 2, Bytes(32, 0)}).find("64 octets"), std::string::npos);
    EXPECT_NE(unusable_reason(Record{3, 1, 0, {}}).find("no data"), std::string::npos);
}

} // namespace
