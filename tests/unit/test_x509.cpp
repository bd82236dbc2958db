#include <gtest/gtest.h>

#include "mxdane/error.h"
#include "mxdane/x509.h"

namespace {
using namespace mxdane;
using namespace mxdane::x509;

// 2026-11-28T12:00:00Z.
const Clock::time_point fixed_now = Clock::from_time_t(1795867200);

x509::CertProfile profile_for(std::vector<std::string> names, unsigned days = 1096) {
    x509::CertProfile p;
    p.names = std::move(names);
    p.days = days;
    p.now = fixed_now;
    return p;
}

TEST(X509, KeyTypeNames) {
    for (const auto opt : key_type_options()) {
        const auto t = parse_key_type(opt);
        ASSERT_TRUE(t.has_value()) << opt;
        EXPECT_EQ(key_type_option(*t), opt);
    }
    EXPECT_FALSE(parse_key_type("rsa1024").has_value());
    EXPECT_FALSE(parse_key_type("RSA3072").has_value());
    EXPECT_FALSE(parse_key_type("").has_value());
}

TEST(X509, SelfSignedProfileP256) {
    const auto key = generate_key(KeyType::p256);
    const auto cert = make_self_signed(*key, profile_for({"mx1.example.net", "example.net"}));
    EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);
    EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
    EXPECT_EQ(X509_check_host(cert.get(), "example.net", 0, 0, nullptr), 1);
    EXPECT_EQ(X509_check_host(cert.get(), "mx1.example.net", 0, 0, nullptr), 1);
    EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA256);
    EXPECT_EQ(to_time_point(*X509_get0_notAfter(cert.get())), fixed_now + std::chrono::hours(24 * 1096));
    EXPECT_EQ(to_time_point(*X509_get0_notBefore(cert.get())), fixed_now - std::chrono::minutes(5));
    // keyUsage for ECDSA: digitalSignature only.
    EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
}

TEST(X509, P384SignsWithSha384AndRsaHasKeyEncipherment) {
    const auto ec = generate_key(KeyType::p384);
    const auto c1 = make_self_signed(*ec, profile_for({"mx1.example.net"}));
    EXPECT_EQ(X509_get_signature_nid(c1.get()), NID_ecdsa_with_SHA384);
    const auto rsa = generate_key(KeyType::rsa2048);
    const auto c2 = make_self_signed(*rsa, profile_for({"mx1.example.net"}));
    EXPECT_EQ(X509_get_signature_nid(c2.get()), NID_sha256WithRSAEncryption);
    EXPECT_EQ(X509_get_key_usage(c2.get()), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
    EXPECT_EQ(EVP_PKEY_get_bits(rsa.get()), 2048);
}

TEST(X509, DatesPast2049AreGeneralizedTime) {
    const auto key = generate_key(KeyType::p256);
    const auto cert = make_self_signed(*key, profile_for({"mx1.example.net"}, 9999));
    EXPECT_EQ(ASN1_STRING_type(X509_get0_notAfter(cert.get())), V_ASN1_GENERALIZEDTIME);
    EXPECT_EQ(ASN1_STRING_type(X509_get0_notBefore(cert.get())), V_ASN1_UTCTIME);
}

TEST(X509, RefusesBadDays) {
    const auto key = generate_key(KeyType::p256);
    for (const unsigned days : {0U, max_days + 1}) {
        try {
            (void)make_self_signed(*key, profile_for({"mx1.example.net"}, days));
            FAIL() << days;
        } catch (const SettingError& e) {
            EXPECT_EQ(e.code(), Errc::bad_input);
            EXPECT_EQ(e.setting(), Setting::days);
            EXPECT_EQ(e.value(), std::to_string(days));
            EXPECT_NE(std::string(e.what()).find("the days setting must be between"), std::string::npos);
        }
    }
}

TEST(X509, SerialIsPositiveTwentyOctets) {
    const auto key = generate_key(KeyType::p256);
    const auto cert = make_self_signed(*key, profile_for({"mx1.example.net"}));
    const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
    EXPECT_EQ(ASN1_STRING_type(serial), V_ASN1_INTEGER); // not V_ASN1_NEG_INTEGER
    EXPECT_EQ(ASN1_STRING_length(serial), 20);
}

} // namespace
