// The self-signed certificate profile for an MX host (issue #2): DANE-EE
// (RFC 7672 §3.1.1) ignores names and dates, but the profile still follows
// RFC 5280 so that non-DANE peers and humans see a sensible certificate.
#include <algorithm>
#include <array>

#include <openssl/rand.h>

#include "mxdane/x509.h"

namespace mxdane::x509 {
namespace {

constexpr std::size_t serial_octets = 20; // RFC 5280 §4.1.2.2 allows at most 20

/// A random positive serial that DER-encodes in exactly 20 octets: the top
/// bit clear (positive, no 0x00 pad), the next bit set (no shorter form).
ossl::Asn1IntegerPtr random_serial() {
    std::array<unsigned char, serial_octets> raw{};
    ossl::check(RAND_bytes(raw.data(), static_cast<int>(raw.size())), "drawing a random serial number");
    raw[0] = static_cast<unsigned char>((raw[0] & 0x7fU) | 0x40U);
    const ossl::BignumPtr bn(
        ossl::check(BN_bin2bn(raw.data(), static_cast<int>(raw.size()), nullptr), "making the serial number"));
    return ossl::Asn1IntegerPtr(ossl::check(BN_to_ASN1_INTEGER(bn.get(), nullptr), "encoding the serial number"));
}

void add_extension(X509& cert, X509V3_CTX& ctx, int nid, const std::string& value) {
    const ossl::X509ExtPtr ext(ossl::check(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str()),
                                           std::string("making the ") + OBJ_nid2sn(nid) + " extension"));
    ossl::check(X509_add_ext(&cert, ext.get(), -1), std::string("adding the ") + OBJ_nid2sn(nid) + " extension");
}

void set_time(ASN1_TIME* field, Clock::time_point when) {
    // ASN1_TIME_set picks UTCTime up to 2049 and GeneralizedTime from 2050
    // on, as RFC 5280 §4.1.2.5 requires.
    ossl::check(ASN1_TIME_set(field, Clock::to_time_t(when)), "setting a validity date");
}

} // namespace

ossl::X509NamePtr subject_for(const std::vector<std::string>& names) {
    ossl::X509NamePtr subject(ossl::check(X509_NAME_new(), "allocating a name"));
    const auto fits = std::find_if(names.begin(), names.end(),
                                   [](const std::string& n) { return !n.empty() && n.size() <= max_common_name; });
    if (fits != names.end()) {
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): OpenSSL takes the name as bytes
        const auto* cn = reinterpret_cast<const unsigned char*>(fits->c_str());
        ossl::check(X509_NAME_add_entry_by_txt(subject.get(), "CN", MBSTRING_UTF8, cn, -1, -1, 0),
                    "setting the subject CN");
    }
    return subject;
}

std::string san_extension_value(const std::vector<std::string>& names, bool empty_subject) {
    std::string san;
    for (const auto& n : names) {
        san += (san.empty() ? "DNS:" : ",DNS:") + n;
    }
    return empty_subject ? "critical," + san : san;
}

ossl::X509Ptr make_self_signed(EVP_PKEY& key, const CertProfile& profile) {
    if (profile.names.empty()) {
        throw Error(Errc::bad_input, "a certificate needs at least one name");
    }
    if (profile.days < min_days || profile.days > max_days) {
        throw SettingError(Errc::bad_input, Setting::days, std::to_string(profile.days),
                           std::string(setting_words(Setting::days)) + " must be between " + std::to_string(min_days) +
                               " and " + std::to_string(max_days) + ", not " + std::to_string(profile.days));
    }
    ossl::X509Ptr cert(ossl::check(X509_new(), "allocating a certificate"));
    ossl::check(X509_set_version(cert.get(), X509_VERSION_3), "setting the certificate version");

    const auto serial = random_serial();
    ossl::check(X509_set_serialNumber(cert.get(), serial.get()), "setting the serial number");

    const ossl::X509NamePtr subject = subject_for(profile.names);
    ossl::check(X509_set_subject_name(cert.get(), subject.get()), "setting the subject");
    ossl::check(X509_set_issuer_name(cert.get(), subject.get()), "setting the issuer");

    set_time(X509_getm_notBefore(cert.get()), profile.now - profile.backdate);
    set_time(X509_getm_notAfter(cert.get()), profile.now + std::chrono::hours(24) * profile.days);
    ossl::check(X509_set_pubkey(cert.get(), &key), "setting the public key");

    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    const bool rsa = EVP_PKEY_is_a(&key, "RSA") == 1;
    add_extension(*cert, ctx, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(*cert, ctx, NID_key_usage,
                  rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature");
    add_extension(*cert, ctx, NID_ext_key_usage, "serverAuth,clientAuth");
    add_extension(*cert, ctx, NID_subject_key_identifier, "hash");
    add_extension(*cert, ctx, NID_subject_alt_name,
                  san_extension_value(profile.names, X509_NAME_entry_count(subject.get()) == 0));

    const int bits = EVP_PKEY_get_bits(&key);
    const EVP_MD* md = (!rsa && bits >= 384) ? EVP_sha384() : EVP_sha256();
    ossl::check(X509_sign(cert.get(), &key, md), "signing the certificate");
    return cert;
}

} // namespace mxdane::x509
