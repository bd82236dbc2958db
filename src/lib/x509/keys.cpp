#include <array>

#include <openssl/core_names.h>
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
    out.reserve(key_types.size());
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

std::string key_weakness(EVP_PKEY& key) {
    if (EVP_PKEY_is_a(&key, "RSA") == 1 || EVP_PKEY_is_a(&key, "RSA-PSS") == 1) {
        const int bits = EVP_PKEY_get_bits(&key);
        if (bits < 2048) {
            return "RSA-" + std::to_string(bits) + " is below 2048 bits";
        }
        BIGNUM* raw = nullptr;
        if (EVP_PKEY_get_bn_param(&key, OSSL_PKEY_PARAM_RSA_E, &raw) != 1 || raw == nullptr) {
            ossl::drain_errors();
            return "its RSA public exponent cannot be read";
        }
        const ossl::BignumPtr e(raw);
        // e = 1 makes encryption the identity; an even e has no inverse
        // modulo lambda(n), so such a key is no working RSA key.
        const bool even = BN_is_odd(e.get()) == 0;
        if (even || BN_is_one(e.get()) == 1) {
            const ossl::CharPtr dec(BN_bn2dec(e.get()));
            return "its RSA public exponent " + std::string(dec ? dec.get() : "?") +
                   (even ? " is even" : " is below 3");
        }
        return "";
    }
    if (EVP_PKEY_is_a(&key, "EC") == 1) {
        std::array<char, 80> group{};
        std::size_t len = 0;
        if (EVP_PKEY_get_group_name(&key, group.data(), group.size(), &len) != 1) {
            ossl::drain_errors();
            return "its elliptic curve has no name (explicit parameters); use P-256, P-384 or P-521";
        }
        const std::string curve(group.data(), len);
        std::array<char, 32> encoding{};
        std::size_t elen = 0;
        if (EVP_PKEY_get_utf8_string_param(&key, OSSL_PKEY_PARAM_EC_ENCODING, encoding.data(), encoding.size(),
                                           &elen) == 1 &&
            std::string(encoding.data(), elen) == OSSL_PKEY_EC_ENCODING_EXPLICIT) {
            // RFC 5480 §2.1.1: specifiedCurve MUST NOT be used, and the SPKI
            // (so its 3 1 1 record) differs from the named-curve form.
            return "its curve parameters are explicit, not a named curve (RFC 5480 §2.1.1)";
        }
        ossl::drain_errors();
        if (curve == "prime256v1" || curve == "secp384r1" || curve == "secp521r1") {
            return "";
        }
        return "the curve " + curve + " is not one of P-256, P-384 or P-521, which senders support";
    }
    if (EVP_PKEY_is_a(&key, "ED25519") == 1 || EVP_PKEY_is_a(&key, "ED448") == 1) {
        return "";
    }
    const char* name = EVP_PKEY_get0_type_name(&key);
    return std::string("a ") + (name != nullptr ? name : "unknown") +
           " key is not for TLS servers (use RSA-2048 or more, ECDSA P-256/P-384/P-521, Ed25519 or Ed448)";
}

void require_strong_key(EVP_PKEY& key, std::string_view what, std::string_view purpose) {
    if (const std::string why = key_weakness(key); !why.empty()) {
        throw Error(Errc::bad_input, std::string(what) + " is too weak to " + std::string(purpose) + ": " + why);
    }
}

} // namespace mxdane::x509
