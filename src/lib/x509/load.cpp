// Loading key material from untrusted bytes (issue #3). Everything here
// returns a reason instead of throwing for bad input, and leaves OpenSSL's
// error queue empty whatever happens.
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "mxdane/material.h"
#include "mxdane/sys.h"

namespace mxdane::x509 {
namespace {

/// Clears the thread's OpenSSL error queue when it goes out of scope: a
/// failed d2i attempt must not leak into a later, unrelated message.
struct QueueGuard {
    QueueGuard() = default;
    QueueGuard(const QueueGuard&) = delete;
    QueueGuard& operator=(const QueueGuard&) = delete;
    QueueGuard(QueueGuard&&) = delete;
    QueueGuard& operator=(QueueGuard&&) = delete;
    ~QueueGuard() { ERR_clear_error(); }
};

const unsigned char* as_bytes(const char* p) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): DER is bytes
    return reinterpret_cast<const unsigned char*>(p);
}

ossl::X509Ptr der_certificate(const unsigned char* data, long len) {
    const unsigned char* p = data;
    ossl::X509Ptr cert(d2i_X509(nullptr, &p, len));
    return cert && p == data + len ? std::move(cert) : nullptr;
}
ossl::X509ReqPtr der_csr(const unsigned char* data, long len) {
    const unsigned char* p = data;
    ossl::X509ReqPtr req(d2i_X509_REQ(nullptr, &p, len));
    return req && p == data + len ? std::move(req) : nullptr;
}
ossl::EvpPkeyPtr der_public_key(const unsigned char* data, long len) {
    const unsigned char* p = data;
    ossl::EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, len));
    return key && p == data + len ? std::move(key) : nullptr;
}
ossl::EvpPkeyPtr der_rsa_public_key(const unsigned char* data, long len) {
    const unsigned char* p = data;
    ossl::EvpPkeyPtr key(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, len));
    return key && p == data + len ? std::move(key) : nullptr;
}
ossl::EvpPkeyPtr der_private_key(const unsigned char* data, long len) {
    const unsigned char* p = data;
    ossl::EvpPkeyPtr key(d2i_AutoPrivateKey(nullptr, &p, len));
    return key && p == data + len ? std::move(key) : nullptr;
}
bool der_encrypted_pkcs8(const unsigned char* data, long len) {
    const unsigned char* p = data;
    const ossl::X509SigPtr sig(d2i_X509_SIG(nullptr, &p, len));
    return sig && p == data + len;
}

const std::string encrypted_reason = "the private key is encrypted; mxdane never asks for a passphrase: decrypt a "
                                     "copy first (openssl pkey -in KEY -out PLAIN.key)";

/// Fills the subject key and kind once all blocks are in.
Expected<Material> finish(Material m) {
    if (!m.certs.empty()) {
        X509* leaf = m.certs.front().get();
        m.key.reset(X509_get_pubkey(leaf));
        if (!m.key) {
            return Unexpected{"the certificate's public key cannot be read (unsupported algorithm?)"};
        }
        if (m.private_key && EVP_PKEY_eq(m.key.get(), m.private_key.get()) != 1) {
            return Unexpected{"the private key in this file does not belong to its first certificate"};
        }
        m.kind = m.certs.size() > 1 ? MaterialKind::chain : MaterialKind::certificate;
    } else if (m.csr) {
        m.key.reset(X509_REQ_get_pubkey(m.csr.get()));
        if (!m.key) {
            return Unexpected{"the CSR's public key cannot be read (unsupported algorithm?)"};
        }
        m.kind = MaterialKind::csr;
    } else if (m.private_key) {
        m.kind = MaterialKind::private_key;
        // The public half, re-encoded as a certificate would carry it: i2d_PUBKEY
        // of the private key gives the SubjectPublicKeyInfo (EC: named curve,
        // uncompressed point), which is what the TLSA selector 1 hashes.
        if (EVP_PKEY_up_ref(m.private_key.get()) != 1) {
            return Unexpected{"cannot reference the private key"};
        }
        m.key.reset(m.private_key.get());
    } else if (m.key) {
        m.kind = MaterialKind::public_key;
    } else {
        return Unexpected{"no certificate, key or CSR found"};
    }
    return m;
}

Expected<Material> load_pem(std::string_view bytes) {
    const ossl::BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
    if (!bio) {
        return Unexpected{"out of memory"};
    }
    Material m;
    m.pem = true;
    int block = 0;
    for (;;) {
        char* raw_name = nullptr;
        char* raw_header = nullptr;
        unsigned char* raw_data = nullptr;
        long len = 0;
        ERR_clear_error();
        const int ok = PEM_read_bio(bio.get(), &raw_name, &raw_header, &raw_data, &len);
        const ossl::CharPtr name(raw_name);
        const ossl::CharPtr header(raw_header);
        const ossl::BytePtr data(raw_data);
        if (ok <= 0) {
            const unsigned long e = ERR_peek_last_error();
            if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
                break; // no further block
            }
            return Unexpected{"PEM block " + std::to_string(block + 1) +
                              " is malformed (bad base64, or its END line is missing or does not match)"};
        }
        ++block;
        const std::string n(name.get());
        const std::string where = "PEM block " + std::to_string(block) + " (" + n + ")";
        if (std::string_view(header.get()).find("ENCRYPTED") != std::string_view::npos ||
            n == "ENCRYPTED PRIVATE KEY") {
            return Unexpected{encrypted_reason};
        }
        const unsigned char* d = data.get();
        if (n == "CERTIFICATE" || n == "X509 CERTIFICATE" || n == "TRUSTED CERTIFICATE") {
            const unsigned char* p = d;
            ossl::X509Ptr cert(n == "TRUSTED CERTIFICATE" ? d2i_X509_AUX(nullptr, &p, len)
                                                          : d2i_X509(nullptr, &p, len));
            if (!cert || p != d + len) {
                return Unexpected{where + " is not a valid DER certificate"};
            }
            m.certs.push_back(std::move(cert));
        } else if (n == "CERTIFICATE REQUEST" || n == "NEW CERTIFICATE REQUEST") {
            if (m.csr) {
                return Unexpected{where + ": more than one CSR in one file"};
            }
            m.csr = der_csr(d, len);
            if (!m.csr) {
                return Unexpected{where + " is not a valid DER certificate request"};
            }
        } else if (n == "PUBLIC KEY" || n == "RSA PUBLIC KEY") {
            if (m.key) {
                return Unexpected{where + ": more than one public key in one file"};
            }
            m.key = n == "PUBLIC KEY" ? der_public_key(d, len) : der_rsa_public_key(d, len);
            if (!m.key) {
                return Unexpected{where + " is not a valid " +
                                  (n == "PUBLIC KEY" ? "SubjectPublicKeyInfo" : "PKCS#1 RSA public key")};
            }
        } else if (n == "PRIVATE KEY" || n == "RSA PRIVATE KEY" || n == "EC PRIVATE KEY" || n == "DSA PRIVATE KEY") {
            if (m.private_key) {
                return Unexpected{where + ": more than one private key in one file"};
            }
            m.private_key = der_private_key(d, len);
            if (!m.private_key) {
                return Unexpected{where + " is not a valid private key"};
            }
        } else if (n == "EC PARAMETERS" || n == "DH PARAMETERS") {
            continue; // `openssl ecparam -genkey` writes the curve before the key
        } else {
            return Unexpected{where + " is not a certificate, key or CSR"};
        }
    }
    if (block == 0) {
        return Unexpected{"a '-----BEGIN' line but no readable PEM block"};
    }
    return finish(std::move(m));
}

Expected<Material> load_der(std::string_view bytes) {
    const unsigned char* d = as_bytes(bytes.data());
    const long len = static_cast<long>(bytes.size());
    Material m;
    m.pem = false;
    if (auto cert = der_certificate(d, len)) {
        m.certs.push_back(std::move(cert));
    } else if (auto req = der_csr(d, len)) {
        m.csr = std::move(req);
    } else if (auto pub = der_public_key(d, len)) {
        m.key = std::move(pub);
    } else if (der_encrypted_pkcs8(d, len)) {
        return Unexpected{encrypted_reason};
    } else if (auto priv = der_private_key(d, len)) {
        m.private_key = std::move(priv);
    } else if (bytes.front() == 0x30) {
        return Unexpected{"DER data, but not a certificate, CSR, public key or private key that OpenSSL can read"};
    } else {
        return Unexpected{"neither PEM (no '-----BEGIN' line) nor DER (no ASN.1 SEQUENCE)"};
    }
    return finish(std::move(m));
}

} // namespace

std::string_view material_kind_label(MaterialKind kind) {
    switch (kind) {
    case MaterialKind::certificate:
        return "certificate";
    case MaterialKind::chain:
        return "certificate chain";
    case MaterialKind::private_key:
        return "private key";
    case MaterialKind::public_key:
        return "public key";
    case MaterialKind::csr:
        return "CSR";
    }
    return "?";
}

namespace {
/// Far beyond any PEM bundle a TLS server uses (README "Input limits").
constexpr std::size_t max_material = 16 * sys::mib;
} // namespace

Expected<Material> load_material(std::string_view bytes) {
    const QueueGuard guard;
    if (bytes.empty()) {
        return Unexpected{"the file is empty"};
    }
    if (bytes.size() > max_material) {
        return Unexpected{"larger than 16 MiB: not key material"};
    }
    if (bytes.find("-----BEGIN ") != std::string_view::npos) {
        return load_pem(bytes);
    }
    return load_der(bytes);
}

namespace {

/// The dNSName entries of a subjectAltName (RFC 5280 §4.2.1.6), in order.
std::vector<std::string> dns_names_of(const ossl::GeneralNamesPtr& names) {
    std::vector<std::string> out;
    ERR_clear_error(); // an absent or unparsable extension is no name, not an error
    if (!names) {
        return out;
    }
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
        if (gn->type == GEN_DNS) {
            // NOLINTNEXTLINE(cppcoreguidelines-pro-type-union-access): OpenSSL's C union, read after its type
            const ASN1_IA5STRING* s = gn->d.dNSName;
            // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): an IA5String is bytes
            const auto* data = reinterpret_cast<const char*>(ASN1_STRING_get0_data(s));
            out.emplace_back(data, static_cast<std::size_t>(ASN1_STRING_length(s)));
        }
    }
    return out;
}

} // namespace

std::vector<std::string> dns_names(X509& cert) {
    return dns_names_of(ossl::GeneralNamesPtr(
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(&cert, NID_subject_alt_name, nullptr, nullptr))));
}

std::vector<std::string> dns_names(X509_REQ& req) {
    const ossl::X509ExtStackPtr exts(X509_REQ_get_extensions(&req));
    if (!exts) {
        ERR_clear_error();
        return {};
    }
    return dns_names_of(ossl::GeneralNamesPtr(
        static_cast<GENERAL_NAMES*>(X509V3_get_d2i(exts.get(), NID_subject_alt_name, nullptr, nullptr))));
}

Material load_material_file(const std::string& path) {
    auto m = load_material(sys::read_file(path, {"file", max_material}));
    if (!m) {
        throw Error(Errc::bad_input, path + ": " + m.error());
    }
    return std::move(m).value();
}

} // namespace mxdane::x509
