// What a DANE expert looks at in a certificate or key (issue #3): names,
// issuer, key, dates, the records to publish, and what is wrong with it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mxdane/material.h"
#include "mxdane/tlsa.h"
#include "mxdane/x509.h"

namespace mxdane::inspect {

struct KeyInfo {
    std::string algorithm; ///< "RSA", "EC", "ED25519", ...
    int bits = 0;
    std::string label; ///< "RSA-2048", "ECDSA P-256", "Ed25519"
};

/// Algorithm, size and a label for people.
KeyInfo describe_key(EVP_PKEY& key);

struct Report {
    x509::MaterialKind kind = x509::MaterialKind::certificate;
    bool pem = true;
    KeyInfo key;
    std::vector<tlsa::Record> records; ///< 3 1 1, then 3 0 1 when there is a certificate
    std::optional<bool> key_matches;   ///< set when a key file was given
    std::vector<std::string> warnings;
    // Certificate facts (only when the material holds one; leaf of a chain):
    bool has_cert = false;
    std::string subject;
    std::vector<std::string> dns_names;
    std::string issuer;
    bool self_signed = false;
    bool ca = false;
    std::string serial; ///< uppercase hex
    std::string signature;
    bool sha1_signature = false;
    x509::Clock::time_point not_before;
    x509::Clock::time_point not_after;
    long days_left = 0; ///< whole days from `now` to notAfter (negative: expired)
    std::size_t chain_length = 0;
};

/// Inspects `m` as of `now` (injected clock). `key` (optional) is checked
/// against the material's key. Warnings: key older than a year (by the
/// certificate's notBefore, the only age a certificate records), expiry
/// within 30 days or past, not yet valid, RSA under 2048, CA:TRUE, SHA-1.
Report inspect(const x509::Material& m, EVP_PKEY* key, x509::Clock::time_point now);

} // namespace mxdane::inspect
