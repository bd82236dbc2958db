#include "mxdane/inspect.h"

#include <chrono>

#include <openssl/err.h>

namespace mxdane::inspect {
namespace {

using namespace std::chrono_literals;
constexpr auto day = 24h;

std::string name_text(const X509_NAME* name) {
    const ossl::BioPtr bio(ossl::check(BIO_new(BIO_s_mem()), "allocating a BIO"));
    ossl::check(X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) >= 0 ? 1 : 0, "printing a name");
    return ossl::bio_contents(*bio);
}

std::string serial_hex(X509& cert) {
    const ossl::BignumPtr bn(
        ossl::check(ASN1_INTEGER_to_BN(X509_get0_serialNumber(&cert), nullptr), "reading the serial number"));
    const ossl::CharPtr hex(ossl::check(BN_bn2hex(bn.get()), "printing the serial number"));
    return hex.get();
}

long whole_days(x509::Clock::duration d) {
    return static_cast<long>(std::chrono::floor<std::chrono::days>(d).count());
}

} // namespace

KeyInfo describe_key(EVP_PKEY& key) {
    KeyInfo k;
    k.bits = EVP_PKEY_get_bits(&key);
    if (EVP_PKEY_is_a(&key, "RSA") == 1 || EVP_PKEY_is_a(&key, "RSA-PSS") == 1) {
        k.algorithm = "RSA";
        k.label = "RSA-" + std::to_string(k.bits);
    } else if (EVP_PKEY_is_a(&key, "EC") == 1) {
        k.algorithm = "EC";
        char group[80] = {};
        std::size_t len = 0;
        std::string curve = "unknown curve";
        if (EVP_PKEY_get_group_name(&key, group, sizeof group, &len) == 1) {
            curve = group;
        }
        ERR_clear_error();
        const std::string nist = curve == "prime256v1"  ? "P-256"
                                 : curve == "secp384r1" ? "P-384"
                                 : curve == "secp521r1" ? "P-521"
                                                        : curve;
        k.label = "ECDSA " + nist;
    } else if (EVP_PKEY_is_a(&key, "ED25519") == 1) {
        k.algorithm = "ED25519";
        k.label = "Ed25519";
    } else if (EVP_PKEY_is_a(&key, "ED448") == 1) {
        k.algorithm = "ED448";
        k.label = "Ed448";
    } else {
        const char* n = EVP_PKEY_get0_type_name(&key);
        k.algorithm = n != nullptr ? n : "unknown";
        k.label = k.algorithm + "-" + std::to_string(k.bits);
    }
    return k;
}

Report inspect(const x509::Material& m, EVP_PKEY* key, x509::Clock::time_point now) {
    Report r;
    r.kind = m.kind;
    r.pem = m.pem;
    r.key = describe_key(*m.key);
    if (key != nullptr) {
        r.key_matches = EVP_PKEY_eq(m.key.get(), key) == 1;
        ERR_clear_error();
    }
    if (const std::string weak = x509::key_weakness(*m.key); !weak.empty()) {
        r.warnings.emplace_back("the key is too weak for DANE: " + weak +
                                "; publish and rollover refuse it (mxdane keygen makes RSA-3072 by default)");
    }
    if (m.certs.empty()) {
        r.records.push_back(tlsa::for_key(tlsa::Usage::dane_ee, tlsa::MatchingType::sha256, *m.key));
        return r;
    }
    X509& cert = *m.certs.front();
    r.has_cert = true;
    r.chain_length = m.certs.size();
    r.subject = name_text(X509_get_subject_name(&cert));
    r.issuer = name_text(X509_get_issuer_name(&cert));
    r.dns_names = x509::dns_names(cert);
    r.self_signed = X509_self_signed(&cert, 1) == 1;
    ERR_clear_error();
    const std::uint32_t flags = X509_get_extension_flags(&cert);
    r.ca = (flags & EXFLAG_CA) != 0U;
    r.serial = serial_hex(cert);
    const int sig_nid = X509_get_signature_nid(&cert);
    r.signature = OBJ_nid2ln(sig_nid) != nullptr ? OBJ_nid2ln(sig_nid) : "unknown";
    int md_nid = NID_undef;
    if (X509_get_signature_info(&cert, &md_nid, nullptr, nullptr, nullptr) == 1) {
        r.sha1_signature = md_nid == NID_sha1;
    }
    ERR_clear_error();
    r.not_before = x509::to_time_point(*X509_get0_notBefore(&cert));
    r.not_after = x509::to_time_point(*X509_get0_notAfter(&cert));
    r.days_left = whole_days(r.not_after - now);
    r.records.push_back(
        tlsa::for_certificate(tlsa::Usage::dane_ee, tlsa::Selector::spki, tlsa::MatchingType::sha256, cert));
    r.records.push_back(
        tlsa::for_certificate(tlsa::Usage::dane_ee, tlsa::Selector::cert, tlsa::MatchingType::sha256, cert));

    const long age = whole_days(now - r.not_before);
    if (age > 365) {
        r.warnings.emplace_back("the key is at least " + std::to_string(age) +
                                " days old, judged by the certificate's notBefore (a certificate does not record "
                                "when its key was made): make a fresh key yearly, publishing its 3 1 1 beside the "
                                "current one first");
    }
    if (r.not_after <= now) {
        r.warnings.emplace_back("the certificate expired " + std::to_string(-r.days_left) +
                                " days ago: DANE-EE senders ignore dates (RFC 7672 §3.1.1), DANE-TA and PKIX "
                                "senders do not");
    } else if (r.not_after - now <= 30 * day) {
        r.warnings.emplace_back("the certificate expires in " + std::to_string(r.days_left) +
                                " days: reissue it with the same key so that 3 1 1 records stay valid");
    }
    if (r.not_before > now) {
        r.warnings.emplace_back("the certificate is not valid yet (notBefore is in the future)");
    }
    if (r.ca) {
        r.warnings.emplace_back("CA:TRUE on a server certificate: some tools then publish usage 2 (DANE-TA) for it; "
                                "publish 3 1 1, and reissue it with CA:FALSE");
    }
    if (r.sha1_signature) {
        r.warnings.emplace_back("signed with SHA-1: DANE-EE senders do not check the signature, but PKIX and "
                                "DANE-TA senders reject it; reissue with SHA-256");
    }
    return r;
}

} // namespace mxdane::inspect
