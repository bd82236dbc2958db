// inspect with a pinned clock: facts and warnings on the corpus.
#include <gtest/gtest.h>

#include "mxdane/inspect.h"

namespace {
using namespace mxdane;
using namespace std::chrono_literals;

const std::string dir = std::string(MXDANE_SOURCE_DIR) + "/tests/data/corpus/";

x509::Material load(const std::string& f) {
    return x509::load_material_file(dir + f);
}

bool has_warning(const inspect::Report& r, const std::string& part) {
    for (const auto& w : r.warnings) {
        if (w.find(part) != std::string::npos) {
            return true;
        }
    }
    return false;
}

TEST(Inspect, FreshCertificateHasNoWarnings) {
    const auto m = load("rsa2048.pem");
    const auto nb = x509::to_time_point(*X509_get0_notBefore(m.certs.front().get()));
    const auto r = inspect::inspect(m, nullptr, nb + 24h);
    EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
    EXPECT_EQ(r.subject, "CN=mx1.example.net");
    EXPECT_EQ(r.dns_names, std::vector<std::string>{"mx1.example.net"});
    EXPECT_TRUE(r.self_signed);
    EXPECT_FALSE(r.ca);
    EXPECT_EQ(r.key.label, "RSA-2048");
    ASSERT_EQ(r.records.size(), 2U);
    EXPECT_EQ(r.records[0].usage, 3);
    EXPECT_EQ(r.records[0].selector, 1);
    EXPECT_EQ(r.records[1].selector, 0);
    EXPECT_EQ(r.days_left, 3650 - 1);
}

TEST(Inspect, WarningsWithAPinnedClock) {
    const auto m = load("rsa2048.pem");
    const auto nb = x509::to_time_point(*X509_get0_notBefore(m.certs.front().get()));
    const auto na = x509::to_time_point(*X509_get0_notAfter(m.certs.front().get()));
    EXPECT_TRUE(has_warning(inspect::inspect(m, nullptr, nb + 400 * 24h), "the key is at least 400 days old"));
    EXPECT_TRUE(has_warning(inspect::inspect(m, nullptr, nb + 400 * 24h), "notBefore"));
    EXPECT_TRUE(has_warning(inspect::inspect(m, nullptr, na - 10 * 24h), "expires in 10 days"));
    EXPECT_FALSE(has_warning(inspect::inspect(m, nullptr, na - 31 * 24h), "expires in"));
    EXPECT_TRUE(has_warning(inspect::inspect(m, nullptr, na + 5 * 24h), "expired 5 days ago"));
    EXPECT_TRUE(has_warning(inspect::inspect(m, nullptr, nb - 24h), "not valid yet"));
    const auto ca = inspect::inspect(load("p384-ca-true.pem"), nullptr, nb + 24h);
    EXPECT_TRUE(ca.ca);
    EXPECT_TRUE(has_warning(ca, "CA:TRUE"));
    EXPECT_TRUE(has_warning(inspect::inspect(load("rsa3072-sha1.pem"), nullptr, nb + 24h), "SHA-1"));
}

TEST(Inspect, KeysAndKeyFiles) {
    const auto key = load("rsa2048.pkcs1.key");
    const auto cert = load("rsa2048-reissued.pem");
    EXPECT_EQ(inspect::inspect(cert, key.key.get(), x509::Clock::now()).key_matches, true);
    EXPECT_EQ(inspect::inspect(load("p256.pem"), key.key.get(), x509::Clock::now()).key_matches, false);
    for (const auto& [f, label] : std::vector<std::pair<std::string, std::string>>{{"p256.ec.key", "ECDSA P-256"},
                                                                                   {"p384.key", "ECDSA P-384"},
                                                                                   {"p521.key", "ECDSA P-521"},
                                                                                   {"ed25519.key", "Ed25519"},
                                                                                   {"rsa4096.key.der", "RSA-4096"}}) {
        const auto r = inspect::inspect(load(f), nullptr, x509::Clock::now());
        EXPECT_EQ(r.key.label, label);
        EXPECT_FALSE(r.has_cert);
        EXPECT_EQ(r.records.size(), 1U);
    }
    const auto chain = inspect::inspect(load("chain.pem"), nullptr, x509::Clock::now());
    EXPECT_EQ(chain.chain_length, 3U);
    EXPECT_FALSE(chain.self_signed);
    EXPECT_EQ(chain.issuer, "CN=Example Intermediate CA");
}

} // namespace
