// Key material from files admins already have: certificates, chains, private
// keys, public keys and CSRs, in PEM or DER, detected from the bytes alone.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mxdane/expected.h"
#include "mxdane/ossl.h"

namespace mxdane::x509 {

/// What a file turned out to hold (the most useful thing in it).
enum class MaterialKind { certificate, chain, private_key, public_key, csr };

/// "certificate", "certificate chain", "private key", "public key", "CSR".
std::string_view material_kind_label(MaterialKind kind);

/// The contents of one file. `certs` is leaf first (as a chain file lists
/// them); `key` is always the public half of the subject key: the leaf's key,
/// the private key's, the public key, or the CSR's.
struct Material {
    MaterialKind kind = MaterialKind::certificate;
    bool pem = true;                  ///< false: DER
    std::vector<ossl::X509Ptr> certs; ///< leaf first; empty unless a certificate or chain
    ossl::X509ReqPtr csr;             ///< set for a CSR
    ossl::EvpPkeyPtr private_key;     ///< set when the file holds a private key
    ossl::EvpPkeyPtr key;             ///< the subject key (never null)
};

/// Parses `bytes` (untrusted): PEM (several blocks allowed: a chain leaf
/// first, a key next to its certificate, "EC PARAMETERS" skipped) or DER (a
/// certificate, a CSR, a SubjectPublicKeyInfo, a PKCS#8 or traditional
/// private key). Encrypted private keys are refused: mxdane never asks for a
/// passphrase. The reason says what was wrong and where (PEM block number).
Expected<Material> load_material(std::string_view bytes);

/// The certificate's DNS subjectAltNames, in order (raw, as encoded); IP
/// and other SAN types are left out. The one SAN reader of the library.
std::vector<std::string> dns_names(X509& cert);

/// The same for a certificate signing request's requested extensions.
std::vector<std::string> dns_names(X509_REQ& req);

/// Reads a file (throws Error(io) when it cannot) and parses it; a refused
/// parse throws Error(bad_input) naming the file.
Material load_material_file(const std::string& path);

/// The MX host a file names, for TLSA owner names: the first DNS
/// subjectAltName of the leaf (or of the CSR) that is a host name, else a
/// subject CN that is one. Wildcards are no host. The reason says which
/// names there were ("its only names are wildcards (*.example.net)").
Expected<std::string> host_name(const Material& m);

/// RFC 8446 §4.4.2 and what MTAs send: the server's certificate first (the
/// one that issued no other in the file), then each certificate's issuer.
/// Returns "" when `certs` is in that order, else a one-line reason naming
/// the subjects in file order and the order needed, or the certificate
/// that belongs to no chain with the others.
std::string chain_order_problem(const std::vector<ossl::X509Ptr>& certs);

/// Whether `issuer` issued `subject` (names and key identifiers, as
/// `openssl verify` links a chain; `issuer` != `subject`).
bool issued(X509& issuer, X509& subject);

/// RFC 2253 text of the subject name ("CN=mx1.example.net").
std::string subject_text(X509& cert);
/// A self-signed CA certificate (basicConstraints CA:TRUE): what DANE-TA
/// (usage 2, RFC 7671 §5.1) may pin when it is given alone.
struct SelfSigned {
    bool self_signed;
    bool ca;
};
SelfSigned self_signed_ca(X509& cert);

} // namespace mxdane::x509
