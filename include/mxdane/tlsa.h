// TLSA records (RFC 6698): computing, naming and printing them. Pure and
// offline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mxdane/expected.h"
#include "mxdane/x509.h"

namespace mxdane::tlsa {

using Bytes = std::vector<std::uint8_t>;

/// Certificate usage (RFC 6698 §2.1.1, mnemonics RFC 7218).
enum class Usage : std::uint8_t { pkix_ta = 0, pkix_ee = 1, dane_ta = 2, dane_ee = 3 };
/// Selector (RFC 6698 §2.1.2).
enum class Selector : std::uint8_t { cert = 0, spki = 1 };
/// Matching type (RFC 6698 §2.1.3).
enum class MatchingType : std::uint8_t { full = 0, sha256 = 1, sha512 = 2 };

/// One TLSA RDATA. The fields are plain octets so that records with values
/// we do not know can still be represented, listed and ignored.
struct Record {
    std::uint8_t usage = 3;
    std::uint8_t selector = 1;
    std::uint8_t mtype = 1;
    Bytes data;

    friend bool operator==(const Record&, const Record&) = default;
};

/// Why a record cannot authenticate an SMTP server (RFC 7672 §3.1.3 and
/// RFC 7671 §4: unknown parameters and malformed digests are ignored, usages
/// 0 and 1 are not used for SMTP), or "" when it is usable. A usable record
/// of matching type 0 must still hold a parseable certificate or key, which
/// only the matcher can tell.
std::string unusable_reason(const Record& rec);

/// Applies the matching type to selected bytes (0: as is, 1: SHA-256,
/// 2: SHA-512).
Bytes digest(MatchingType mtype, const Bytes& selected);

/// The record for a certificate.
Record for_certificate(Usage usage, Selector selector, MatchingType mtype, X509& cert);
/// The record for a key alone (selector 1 only: a key has no certificate).
Record for_key(Usage usage, MatchingType mtype, EVP_PKEY& key);

/// How many keys the usable DANE-EE SPKI records (3 1 x) of an RRset pin,
/// as far as can be told. Digests of one SubjectPublicKeyInfo under two
/// matching types are one key (RFC 6698 §2.1.3), which only the SPKI itself
/// can show: a 3 1 0 record holds one, and `known_spkis` adds others (DER,
/// e.g. the keys the servers behind the RRset were seen to serve). Records
/// of one matching type with different data are different keys.
struct PinnedKeys {
    std::size_t at_least = 0; ///< keys certainly pinned
    std::size_t at_most = 0;  ///< more when records of different matching types cannot be compared
};
PinnedKeys pinned_spki_keys(const std::vector<Record>& rrset, const std::vector<Bytes>& known_spkis);

/// "_25._tcp.mx1.example.net." for host "mx1.example.net", port 25, or why
/// there can be no such owner: over 255 octets in wire form (RFC 1035
/// §2.3.4), which a 253-octet host name reaches once "_25._tcp." is added.
/// The one rule for every owner name mxdane builds.
Expected<std::string> owner_name(std::string_view host, std::uint16_t port);
/// owner_name(), throwing Error(bad_input) with the reason.
std::string owner(std::string_view host, std::uint16_t port);

/// Lowercase hex, no separators.
std::string to_hex(const Bytes& bytes);

/// "3 1 1 <hex>".
std::string rdata_text(const Record& rec);
/// "_25._tcp.mx1.example.net. IN TLSA 3 1 1 <hex>".
std::string zone_line(std::string_view owner_name, const Record& rec);

} // namespace mxdane::tlsa
