// Offline matching: OpenSSL's DANE engine per record, usability, digest
// agility, DANE-EE ignoring names and dates, DANE-TA needing chain and name.
// Digests come from tests/data/corpus/expected/openssl.txt (openssl CLI).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "mxdane/error.h"
#include "mxdane/material.h"
#include "mxdane/tlsa_match.h"
#include "mxdane/tlsa_parse.h"

namespace {
using namespace mxdane;
using namespace mxdane::tlsa;

const std::string dir = std::string(MXDANE_SOURCE_DIR) + "/tests/data/corpus/";
x509::Material load(const std::string& f);

/// A day after the chain's leaf was made (the corpus certificates are valid
/// for ten years from when make-corpus.sh ran, the expired one 2020-2021).
const x509::Clock::time_point now = [] {
    const auto m = load("leaf.pem");
    return x509::to_time_point(*X509_get0_notBefore(m.certs.front().get())) + std::chrono::hours(24);
}();

x509::Material load(const std::string& f) {
    return x509::load_material_file(dir + f);
}

/// "U S M" for FILE from the openssl pipeline, as a record.
Record oracle(const std::string& file, const std::string& usm) {
    std::ifstream in(dir + "expected/openssl.txt");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(file + " " + usm + " ", 0) == 0) {
            const auto p = parse_rrset(line.substr(file.size() + 1));
            return p.records.at(0).record;
        }
    }
    throw std::runtime_error("no oracle for " + file);
}

Verification verify(const std::string& file, const std::vector<Record>& rrset,
                    std::optional<std::string> host = std::nullopt, x509::Clock::time_point when = now) {
    const auto m = load(file);
    CertCheck c;
    for (const auto& cert : m.certs) {
        c.chain.push_back(cert.get());
    }
    c.host = std::move(host);
    c.now = when;
    return verify_certificate(rrset, c);
}

std::vector<Outcome> outcomes(const Verification& v) {
    std::vector<Outcome> out;
    for (const auto& r : v.records) {
        out.push_back(r.outcome);
    }
    return out;
}

TEST(Match, DaneEeIgnoresDatesAndNames) {
    const Record spki = oracle("rsa2048.pem", "3 1 1");
    // Expired in 2021; checked as of 2026 and as of 1990.
    for (const auto when : {now, x509::Clock::from_time_t(631152000)}) {
        const auto v = verify("rsa2048-expired.pem", {spki}, std::nullopt, when);
        EXPECT_EQ(v.verdict, Verdict::authenticated);
    }
    const auto wrong = verify("p256-wrongname.pem", {oracle("p256.pem", "3 1 1")}, "mx1.example.net");
    EXPECT_EQ(wrong.verdict, Verdict::authenticated);
    EXPECT_NE(wrong.records[0].reason.find("RFC 7672 §3.1.1"), std::string::npos);
}

TEST(Match, EachRecordGetsItsOwnAnswer) {
    const auto v = verify("rsa2048-reissued.pem",
                          {oracle("rsa2048.pem", "3 0 1"), oracle("rsa2048.pem", "3 1 1"), oracle("p384.pem", "3 1 1"),
                           Record{1, 1, 1, oracle("rsa2048.pem", "3 1 1").data}});
    EXPECT_EQ(outcomes(v),
              (std::vector<Outcome>{Outcome::no_match, Outcome::match, Outcome::no_match, Outcome::unusable}));
    EXPECT_EQ(v.verdict, Verdict::authenticated);
    // What the reissued certificate would need, from the openssl pipeline.
    EXPECT_NE(v.records[0].reason.find(to_hex(oracle("rsa2048-reissued.pem", "3 0 1").data)), std::string::npos)
        << v.records[0].reason;
}

TEST(Match, NoUsableRecords) {
    const auto v = verify("rsa2048.pem", {Record{0, 0, 1, Bytes(32, 0)}, Record{3, 1, 1, Bytes(31, 0)}});
    EXPECT_EQ(v.verdict, Verdict::no_usable_records);
    EXPECT_NE(v.reason.find("RFC 7672 §2.2"), std::string::npos);
    const auto empty = verify("rsa2048.pem", {});
    EXPECT_EQ(empty.verdict, Verdict::no_records);
}

TEST(Match, FullDataThatIsNotACertificateIsUnusable) {
    const auto v = verify("rsa2048.pem", {Record{3, 0, 0, {0x30, 0x00}}, Record{3, 1, 0, {0x01}}});
    EXPECT_EQ(outcomes(v), (std::vector<Outcome>{Outcome::unusable, Outcome::unusable}));
    EXPECT_EQ(verify("rsa2048.pem", {oracle("rsa2048.pem", "3 1 0")}).verdict, Verdict::authenticated);
}

TEST(Match, DigestAgility) {
    const std::vector<Record> rrset{oracle("rsa2048.pem", "3 1 1"), Record{3, 1, 2, Bytes(64, 0)},
                                    oracle("rsa2048.pem", "3 0 1")};
    const auto u = usability(rrset);
    EXPECT_NE(u[0].find("RFC 7671 §9"), std::string::npos);
    EXPECT_EQ(u[1], "");
    EXPECT_EQ(u[2], ""); // another selector: its own group
    const auto v = verify("rsa2048.pem", rrset);
    EXPECT_EQ(outcomes(v), (std::vector<Outcome>{Outcome::unusable, Outcome::no_match, Outcome::match}));
    // A malformed SHA-512 record does not hide a good SHA-256 one.
    EXPECT_EQ(usability({oracle("rsa2048.pem", "3 1 1"), Record{3, 1, 2, Bytes(63, 0)}})[0], "");
}

TEST(Match, DaneTaNeedsChainAndName) {
    const Record ta = oracle("chain.pem", "2 1 1");
    EXPECT_EQ(verify("chain.pem", {ta}, "mx1.example.net").verdict, Verdict::authenticated);
    EXPECT_EQ(verify("chain.pem", {oracle("chain.pem", "2 0 1")}, "mx1.example.net").verdict, Verdict::authenticated);
    const auto leaf_only = verify("leaf.pem", {ta}, "mx1.example.net");
    EXPECT_EQ(leaf_only.verdict, Verdict::not_authenticated);
    EXPECT_NE(leaf_only.records[0].reason.find("needs the chain"), std::string::npos);
    const auto wrong_host = verify("chain.pem", {ta}, "mx2.example.net");
    EXPECT_EQ(wrong_host.verdict, Verdict::not_authenticated);
    EXPECT_NE(wrong_host.records[0].reason.find("does not name mx2.example.net"), std::string::npos)
        << wrong_host.records[0].reason;
    // DANE-TA checks dates: 30 years on, the chain has expired.
    const auto later = verify("chain.pem", {ta}, "mx1.example.net", now + std::chrono::hours(24 * 365 * 30));
    EXPECT_EQ(later.verdict, Verdict::not_authenticated);
    EXPECT_NE(later.records[0].reason.find("expired"), std::string::npos) << later.records[0].reason;
    try {
        (void)verify("chain.pem", {ta});
        FAIL();
    } catch (const SettingError& e) {
        EXPECT_EQ(e.code(), Errc::bad_input);
        EXPECT_EQ(e.setting(), Setting::host);
        EXPECT_NE(std::string(e.what()).find("the host setting is needed"), std::string::npos);
    }
    // An unusable usage-2 record needs no host.
    EXPECT_EQ(verify("chain.pem", {Record{2, 1, 1, Bytes(3, 0)}}).verdict, Verdict::no_usable_records);
}

TEST(Match, KeyAgainstRecords) {
    const auto key = load("rsa2048.pkcs1.key");
    const auto v =
        verify_key({oracle("rsa2048.pem", "3 1 1"), oracle("rsa2048.pem", "3 0 1"), oracle("chain.pem", "2 1 1"),
                    oracle("rsa2048.pem", "3 1 2"), oracle("rsa2048.pem", "3 1 0"), Record{3, 1, 1, Bytes(3, 0)}},
                   *key.key);
    EXPECT_EQ(outcomes(v), (std::vector<Outcome>{Outcome::unusable, Outcome::not_applicable, Outcome::not_applicable,
                                                 Outcome::match, Outcome::match, Outcome::unusable}));
    EXPECT_EQ(v.verdict, Verdict::authenticated);
    const auto next = verify_key({oracle("rsa2048.pem", "3 1 1")}, *load("p384.key").key);
    EXPECT_EQ(next.verdict, Verdict::not_authenticated);
    EXPECT_NE(next.records[0].reason.find(to_hex(oracle("p384.pem", "3 1 1").data)), std::string::npos);
    EXPECT_EQ(verify_key({oracle("rsa2048.pem", "3 0 1")}, *key.key).verdict, Verdict::not_authenticated);
}

TEST(Match, Labels) {
    EXPECT_EQ(outcome_label(Outcome::no_match), "no match");
    EXPECT_EQ(verdict_label(Verdict::no_usable_records), "no usable records");
}

} // namespace
