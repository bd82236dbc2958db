// The loader on the committed corpus (made by openssl only) and on garbage.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <openssl/err.h>

#include "mxdane/material.h"
#include "mxdane/tlsa.h"

namespace {
using namespace mxdane;
using namespace mxdane::x509;

std::string bytes_of(const std::string& name) {
    std::ifstream in(std::string(MXDANE_SOURCE_DIR) + "/tests/data/corpus/" + name, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct KindCase {
    std::string file;
    MaterialKind kind;
    bool pem;
    std::size_t certs;
};

TEST(Load, DetectsEveryKindFromContent) {
    for (const auto& c : std::vector<KindCase>{
             {"rsa2048.pem", MaterialKind::certificate, true, 1},
             {"rsa3072.der", MaterialKind::certificate, false, 1},
             {"chain.pem", MaterialKind::chain, true, 3},
             {"rsa2048.pkcs1.key", MaterialKind::private_key, true, 0},
             {"rsa3072.key", MaterialKind::private_key, true, 0},
             {"rsa4096.key.der", MaterialKind::private_key, false, 0},
             {"p256.ec.key", MaterialKind::private_key, true, 0}, // EC PARAMETERS + EC PRIVATE KEY
             {"ed25519.key", MaterialKind::private_key, true, 0},
             {"p256.pub.pem", MaterialKind::public_key, true, 0},
             {"rsa2048.pub.der", MaterialKind::public_key, false, 0},
             {"p384.csr.pem", MaterialKind::csr, true, 0},
             {"p384.csr.der", MaterialKind::csr, false, 0},
         }) {
        const auto m = load_material(bytes_of(c.file));
        ASSERT_TRUE(m.has_value()) << c.file << ": " << m.error();
        EXPECT_EQ(m->kind, c.kind) << c.file;
        EXPECT_EQ(m->pem, c.pem) << c.file;
        EXPECT_EQ(m->certs.size(), c.certs) << c.file;
        EXPECT_NE(m->key, nullptr) << c.file;
        EXPECT_EQ(ERR_peek_error(), 0UL) << c.file << ": the error queue must be left empty";
    }
}

TEST(Load, KeyAndCertificateInOneFile) {
    const auto both = load_material(bytes_of("rsa2048.pkcs1.key") + bytes_of("rsa2048.pem"));
    ASSERT_TRUE(both.has_value()) << both.error();
    EXPECT_EQ(both->kind, MaterialKind::certificate);
    EXPECT_NE(both->private_key, nullptr);
    const auto wrong = load_material(bytes_of("p256.ec.key") + bytes_of("rsa2048.pem"));
    ASSERT_FALSE(wrong.has_value());
    EXPECT_EQ(wrong.error(), "the private key in this file does not belong to its first certificate");
}

TEST(Load, RefusalsSayWhy) {
    const std::string cert = bytes_of("rsa2048.pem");
    const std::vector<std::pair<std::string, std::string>> cases{
        {"", "the file is empty"},
        {"hello", "neither PEM (no '-----BEGIN' line) nor DER (no ASN.1 SEQUENCE)"},
        {std::string("\x30\x03\x02\x01\x01", 5), "DER data, but not a certificate"},
        {bytes_of("p256.encrypted.key"), "the private key is encrypted"},
        {bytes_of("p384.encrypted.key.der"), "the private key is encrypted"},
        {"-----BEGIN CERTIFICATE-----\nAAAA\n", "PEM block 1 is malformed"},
        {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
         "PEM block 1 (CERTIFICATE) is not a valid DER certificate"},
        {"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
         "PEM block 1 (OPENSSH PRIVATE KEY) is not a certificate, key or CSR"},
        {cert + "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
         "PEM block 2 (PRIVATE KEY) is not a valid private key"},
        {"-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n",
         "no certificate, key or CSR found"},
        {cert.substr(0, cert.size() / 2), "PEM block 1 is malformed"},
        {bytes_of("rsa3072.der") + "x", "DER data, but not a certificate"},
        {bytes_of("p256.pub.pem") + bytes_of("p256.pub.pem"), "PEM block 2 (PUBLIC KEY): more than one public key"},
    };
    for (const auto& [input, reason] : cases) {
        const auto m = load_material(input);
        ASSERT_FALSE(m.has_value()) << reason;
        EXPECT_EQ(m.error().rfind(reason, 0), 0U) << reason << " -> " << m.error();
        EXPECT_EQ(ERR_peek_error(), 0UL);
    }
}

TEST(Load, FileErrors) {
    try {
        (void)load_material_file("/nonexistent/x.pem");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::io);
        EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos);
    }
    try {
        (void)load_material_file(std::string(MXDANE_SOURCE_DIR) + "/tests/data/corpus/garbage.txt");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::bad_input);
        EXPECT_NE(std::string(e.what()).find("garbage.txt: neither PEM"), std::string::npos);
    }
}

TEST(Load, DnsNames) {
    const auto m = load_material(bytes_of("p256-wrongname.pem"));
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(dns_names(*m->certs.front()), std::vector<std::string>{"other.example.org"});
    const auto root = load_material(bytes_of("root.pem"));
    EXPECT_TRUE(dns_names(*root->certs.front()).empty());
}

// `openssl x509 -ext subjectAltName` on p384-many-sans.pem prints
// DNS:mx1.example.net, IP Address:192.0.2.25, DNS:mx2.example.net,
// email:postmaster@example.net, DNS:*.example.org (tests/data/make-corpus.sh).
TEST(Load, DnsNamesSkipOtherSanTypes) {
    const std::vector<std::string> want{"mx1.example.net", "mx2.example.net", "*.example.org"};
    const auto cert = load_material(bytes_of("p384-many-sans.pem"));
    ASSERT_TRUE(cert.has_value()) << cert.error();
    EXPECT_EQ(dns_names(*cert->certs.front()), want);
    const auto csr = load_material(bytes_of("p384-many-sans.csr.pem"));
    ASSERT_TRUE(csr.has_value()) << csr.error();
    ASSERT_TRUE(csr->csr);
    EXPECT_EQ(dns_names(*csr->csr), want);
    const auto bare_csr = load_material(bytes_of("p384.csr.pem"));
    ASSERT_TRUE(bare_csr.has_value());
    EXPECT_TRUE(dns_names(*bare_csr->csr).empty());
    EXPECT_EQ(ERR_peek_error(), 0UL) << "an absent SAN leaves no error behind";
}

} // namespace
