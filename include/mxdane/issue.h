// Certificates from an external issuer (an ACME client, a company CA): the
// CSR mxdane writes for a key it owns, the contract of the issue command
// that turns the CSR into a certificate, and the checks a returned
// certificate passes before anything is installed. A 3 1 1 record pins the
// key (RFC 7671 §5.1), so whatever the issuer signs must carry that key.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mxdane/expected.h"
#include "mxdane/ossl.h"

namespace mxdane::issue {

namespace fs = std::filesystem;
using TimePoint = std::chrono::system_clock::time_point;

/// A PKCS#10 CSR for `key`: subject CN names[0], every name a DNS
/// subjectAltName, signed by the key (SHA-384 for P-384, else SHA-256).
ossl::X509ReqPtr make_csr(EVP_PKEY& key, const std::vector<std::string>& names);
/// "BEGIN CERTIFICATE REQUEST" PEM.
std::string csr_pem(X509_REQ& csr);

/// What the issuer gave back, leaf first.
using Chain = std::vector<ossl::X509Ptr>;

/// What a returned certificate must be.
struct Expectation {
    std::vector<std::uint8_t> spki;  ///< DER SubjectPublicKeyInfo of the key it must carry
    std::vector<std::string> names;  ///< every one must be a DNS subjectAltName; names[0] is the host
    TimePoint now;                   ///< injected clock
    std::chrono::seconds min_left{}; ///< it must stay valid at least this long after `now`
};

/// A certificate that passed every check.
struct Accepted {
    std::string pem; ///< leaf, then the chain, as the MTA should serve them
    TimePoint not_before;
    TimePoint not_after;
    std::size_t chain_length = 0; ///< certificates after the leaf
};

/// Parses the issue command's output: `cert_text` holds the leaf, alone or
/// followed by its chain; `chain_text` the chain (used only when the leaf
/// came alone). The reason names what was empty or malformed.
Expected<Chain> parse_output(std::string_view cert_text, std::string_view chain_text);

/// The checks before installing: the leaf's key is the expected one (so the
/// published 3 1 1 still matches), it names every expected name, it is
/// valid now (up to 5 minutes of clock skew) and for `min_left` more, and each chain certificate issued the
/// one before it. The reason is one sentence.
Expected<Accepted> validate(const Chain& chain, const Expectation& expect);

/// The environment of the issue command (README, "The issue command").
struct Contract {
    fs::path csr;           ///< MXDANE_CSR: the CSR, PEM
    fs::path cert;          ///< MXDANE_CERT: where the command writes the certificate (PEM)
    fs::path chain;         ///< MXDANE_CHAIN: where it may write the chain (PEM)
    fs::path work_dir;      ///< MXDANE_WORKDIR: a private directory for its own files, removed afterwards
    std::string host;       ///< MXDANE_HOST
    std::string names;      ///< MXDANE_NAMES: space-separated, the host first
    unsigned timeout_s = 0; ///< MXDANE_TIMEOUT: seconds before it is killed
};
/// The variables, in the order above.
std::vector<std::pair<std::string, std::string>> environment(const Contract& c);

struct Request {
    std::string command;            ///< run with /bin/sh -c, in `work_dir`
    std::string host;               ///< normalized
    std::vector<std::string> names; ///< normalized, names[0] == host
    EVP_PKEY* key = nullptr;        ///< the key the certificate is for; only its CSR leaves this process
    fs::path parent_dir;            ///< a fresh 0700 directory is made (and removed) in here
    std::chrono::seconds timeout{300};
    std::chrono::seconds min_left{};
    TimePoint now;
    int talk_fd = 2; ///< the command's stdout and stderr go here
};

/// Writes the CSR, runs the command under the contract (killing it and its
/// process group at the timeout), reads what it wrote and validates it.
/// Refusals (the command failed, timed out, wrote nothing, or wrote a
/// certificate that fails validate) throw Error(refused) with the reason;
/// nothing outside the private directory is touched, and that is removed.
Accepted issue(const Request& request);

} // namespace mxdane::issue
