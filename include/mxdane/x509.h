// Keys and certificates: generation, the self-signed MX profile, PEM/DER.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mxdane/ossl.h"

namespace mxdane::x509 {

using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::system_clock;

/// The key types keygen offers. Nothing weaker than RSA-2048 exists here.
enum class KeyType { rsa2048, rsa3072, rsa4096, p256, p384 };

/// "rsa3072" -> KeyType::rsa3072; nullopt for anything else.
std::optional<KeyType> parse_key_type(std::string_view name);
/// The option spelling: "rsa3072", "p256", ...
std::string_view key_type_option(KeyType type);
/// For people: "RSA-3072", "ECDSA P-256", ...
std::string_view key_type_label(KeyType type);
/// Every option spelling, in a stable order (for help texts).
std::vector<std::string_view> key_type_options();

/// Makes a fresh private key from OpenSSL's default (OS-seeded) DRBG.
ossl::EvpPkeyPtr generate_key(KeyType type);

/// What goes into the self-signed MX certificate.
struct CertProfile {
    std::vector<std::string> names;     ///< normalized; all in the SAN, the first that fits in the CN
    unsigned days = 1096;               ///< validity from `now`
    Clock::time_point now;              ///< injected clock
    std::chrono::seconds backdate{300}; ///< notBefore = now - backdate (clock skew)
};

/// RFC 5280 ub-common-name: a CN holds at most 64 characters.
inline constexpr std::size_t max_common_name = 64;

/// The subject for a certificate or CSR of `names`: CN = the first name that
/// fits max_common_name, or an empty name when none does (as CAs do for long
/// names; every name is in the SAN, which RFC 5280 §4.2.1.6 then makes
/// critical: see san_extension_value).
ossl::X509NamePtr subject_for(const std::vector<std::string>& names);
/// The subjectAltName value for X509V3_EXT_nconf: "DNS:a,DNS:b", prefixed
/// "critical," when `empty_subject`.
std::string san_extension_value(const std::vector<std::string>& names, bool empty_subject);

/// Limits on CertProfile::days, enforced by make_self_signed.
inline constexpr unsigned min_days = 1;
inline constexpr unsigned max_days = 9999; // ~27 years: beyond that is a typo

/// Builds and signs an X.509v3 self-signed certificate for an MX host
/// (profile: issue #2). SHA-384 for P-384 keys, SHA-256 otherwise.
ossl::X509Ptr make_self_signed(EVP_PKEY& key, const CertProfile& profile);

/// Unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY").
std::string private_key_pem(EVP_PKEY& key);
/// "BEGIN CERTIFICATE" PEM.
std::string certificate_pem(X509& cert);

/// DER of the whole certificate, exactly as encoded (TLSA selector 0).
Bytes certificate_der(X509& cert);
/// DER of the certificate's SubjectPublicKeyInfo as encoded in it (selector 1).
Bytes certificate_spki_der(X509& cert);
/// DER SubjectPublicKeyInfo of a key, as a certificate would carry it.
Bytes key_spki_der(EVP_PKEY& key);

/// Why `key` is too weak for DANE, or "" when it is not: the one rule for
/// every command that takes a key. Weak: RSA below 2048 bits or with a
/// public exponent below 3 or even; EC on a curve other than P-256, P-384 or
/// P-521 (the curves TLS 1.3 and RFC 8422 senders offer); any other
/// algorithm but Ed25519 and Ed448.
std::string key_weakness(EVP_PKEY& key);
/// Throws Error(bad_input) "<what> is too weak to <purpose>: <why>" when
/// key_weakness() says so.
void require_strong_key(EVP_PKEY& key, std::string_view what, std::string_view purpose);

/// A certificate time as seconds since the epoch.
Clock::time_point to_time_point(const ASN1_TIME& t);

} // namespace mxdane::x509
