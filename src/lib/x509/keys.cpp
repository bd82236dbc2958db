#include <array>

#include <openssl/pem.h>

#include "mxdane/x509.h"

namespace mxdane::x509 {
namespace {

struct KeyTypeInfo {
    KeyType type;
    std::string_view option;
    std::string_view label;
};

constexpr std::array<KeyTypeInfo, 5> key_types{{
    {KeyType::rsa2048, "rsa2048", "RSA-2048"},
    {KeyType::rsa3072, "rsa3072", "RSA-3072"},
    {KeyType::rsa4096, "rsa4096", "RSA-4096"},
    {KeyType::p256, "p256", "ECDSA P-256"},
    {KeyType::p384, "p384", "ECDSA P-384"},
}};

const KeyTypeInfo& info(KeyType type) {
    for (const auto& i : key_types) {
        if (i.type == type) {
            return i;
        }
    }
    throw Error(Errc::bad_input, "unknown key type");
}

} // namespace

std::optional<KeyType> parse_key_type(std::string_view name) {
    for (const auto& i : key_types) {
        if (i.option == name) {
            return i.type;
        }
    }
    return std::nullopt;
}

std::string_view key_type_option(KeyType type) {
    return info(type).option;
}
std::string_view key_type_label(KeyType type) {
    return info(type).label;
}

std::vector<std::string_view> key_type_options() {
    std::vector<std::string_view> out;
    for (const auto& i : key_types) {
        out.push_back(i.option);
    }
    return out;
}

ossl::EvpPkeyPtr generate_key(KeyType type) {
    EVP_PKEY* raw = nullptr;
    switch (type) {
    case KeyType::rsa2048:
        raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
        break;
    case KeyType::rsa3072:
        raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(3072));
        break;
    case KeyType::rsa4096:
        raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(4096));
        break;
    case KeyType::p256:
        raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
        break;
    case KeyType::p384:
        raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
        break;
    }
    return ossl::EvpPkeyPtr(ossl::check(raw, "generating a " + std::string(key_type_label(type)) + " key"));
}

std::string private_key_pem(EVP_PKEY& key) {
    const ossl::BioPtr bio(ossl::check(BIO_new(BIO_s_mem()), "allocating a BIO"));
    // PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY").
    ossl::check(PEM_write_bio_PrivateKey(bio.get(), &key, nullptr, nullptr, 0, nullptr, nullptr),
                "encoding the private key as PEM");
    return ossl::bio_contents(*bio);
}

std::string certificate_pem(X509& cert) {
    const ossl::BioPtr bio(ossl::check(BIO_new(BIO_s_mem()), "allocating a BIO"));
    ossl::check(PEM_write_bio_X509(bio.get(), &cert), "encoding the certificate as PEM");
    return ossl::bio_contents(*bio);
}

namespace {

template <typename T, int (*I2d)(T*, unsigned char**)> Bytes der_of(T* obj, std::string_view what) {
    const int len = I2d(obj, nullptr);
    if (len <= 0) {
        throw ossl::failure(what);
    }
    Bytes out(static_cast<std::size_t>(len));
    unsigned char* p = out.data();
    if (I2d(obj, &p) != len) {
        throw ossl::failure(what);
    }
    return out;
}

int i2d_x509_const(X509* x, unsigned char** out) {
    return i2d_X509(x, out);
}
int i2d_x509_pubkey(X509_PUBKEY* x, unsigned char** out) {
    return i2d_X509_PUBKEY(x, out);
}
int i2d_pubkey(EVP_PKEY* k, unsigned char** out) {
    return i2d_PUBKEY(k, out);
}

} // namespace

Bytes certificate_der(X509& cert) {
    return der_of<X509, i2d_x509_const>(&cert, "encoding the certificate as DER");
}

Bytes certificate_spki_der(X509& cert) {
    X509_PUBKEY* spki = ossl::check(X509_get_X509_PUBKEY(&cert), "reading the certificate's public key");
    return der_of<X509_PUBKEY, i2d_x509_pubkey>(spki, "encoding the SubjectPublicKeyInfo");
}

Bytes key_spki_der(EVP_PKEY& key) {
    return der_of<EVP_PKEY, i2d_pubkey>(&key, "encoding the SubjectPublicKeyInfo");
}

Clock::time_point to_time_point(const ASN1_TIME& t) {
    struct tm tm {};
    ossl::check(ASN1_TIME_to_tm(&t, &tm), "reading a certificate time");
    return Clock::from_time_t(timegm(&tm));
}

} // namespace mxdane::x509
