#include <algorithm>
#include <map>
#include <openssl/evp.h>
#include <set>

#include "mxdane/error.h"
#include "mxdane/names.h"
#include "mxdane/sys.h"
#include "mxdane/tlsa.h"

namespace mxdane::tlsa {

Bytes digest(MatchingType mtype, const Bytes& selected) {
    const EVP_MD* md = nullptr;
    switch (mtype) {
    case MatchingType::full:
        return selected;
    case MatchingType::sha256:
        md = EVP_sha256();
        break;
    case MatchingType::sha512:
        md = EVP_sha512();
        break;
    }
    Bytes out(EVP_MAX_MD_SIZE);
    unsigned int len = 0;
    ossl::check(EVP_Digest(selected.data(), selected.size(), out.data(), &len, md, nullptr),
                "hashing for a TLSA record");
    out.resize(len);
    return out;
}

Record for_certificate(Usage usage, Selector selector, MatchingType mtype, X509& cert) {
    const Bytes selected = selector == Selector::cert ? x509::certificate_der(cert) : x509::certificate_spki_der(cert);
    return Record{static_cast<std::uint8_t>(usage), static_cast<std::uint8_t>(selector),
                  static_cast<std::uint8_t>(mtype), digest(mtype, selected)};
}

Record for_key(Usage usage, MatchingType mtype, EVP_PKEY& key) {
    return Record{static_cast<std::uint8_t>(usage), static_cast<std::uint8_t>(Selector::spki),
                  static_cast<std::uint8_t>(mtype), digest(mtype, x509::key_spki_der(key))};
}

std::string unusable_reason(const Record& rec) {
    if (rec.usage == static_cast<std::uint8_t>(Usage::pkix_ta) ||
        rec.usage == static_cast<std::uint8_t>(Usage::pkix_ee)) {
        return "usage " + std::to_string(rec.usage) +
               " (PKIX) is not used for SMTP: senders have no agreed CA list (RFC 7672 §3.1.3)";
    }
    if (rec.usage > static_cast<std::uint8_t>(Usage::dane_ee)) {
        return "unknown certificate usage " + std::to_string(rec.usage);
    }
    if (rec.selector > static_cast<std::uint8_t>(Selector::spki)) {
        return "unknown selector " + std::to_string(rec.selector);
    }
    switch (rec.mtype) {
    case static_cast<std::uint8_t>(MatchingType::full):
        return rec.data.empty() ? "matching type 0 with no data" : "";
    case static_cast<std::uint8_t>(MatchingType::sha256):
        return rec.data.size() == 32
                   ? ""
                   : "a SHA-256 digest must be 32 octets, this one has " + std::to_string(rec.data.size());
    case static_cast<std::uint8_t>(MatchingType::sha512):
        return rec.data.size() == 64
                   ? ""
                   : "a SHA-512 digest must be 64 octets, this one has " + std::to_string(rec.data.size());
    default:
        return "unknown matching type " + std::to_string(rec.mtype);
    }
}

PinnedKeys pinned_spki_keys(const std::vector<Record>& rrset, const std::vector<Bytes>& known_spkis) {
    std::set<Bytes> known(known_spkis.begin(), known_spkis.end());
    std::vector<const Record*> spki_ee;
    for (const auto& r : rrset) {
        if (r.usage == static_cast<std::uint8_t>(Usage::dane_ee) &&
            r.selector == static_cast<std::uint8_t>(Selector::spki) && unusable_reason(r).empty()) {
            spki_ee.push_back(&r);
            if (r.mtype == static_cast<std::uint8_t>(MatchingType::full)) {
                known.insert(r.data);
            }
        }
    }
    std::set<Bytes> pinned;                       // known SPKIs some record matches
    std::map<std::uint8_t, std::set<Bytes>> rest; // per matching type: data no known SPKI gives
    for (const Record* r : spki_ee) {
        bool linked = false;
        for (const auto& k : known) {
            if (digest(static_cast<MatchingType>(r->mtype), k) == r->data) {
                pinned.insert(k);
                linked = true;
            }
        }
        if (!linked) {
            rest[r->mtype].insert(r->data);
        }
    }
    PinnedKeys out{pinned.size(), pinned.size()};
    std::size_t most_of_one_type = 0;
    for (const auto& [mtype, data] : rest) {
        most_of_one_type = std::max(most_of_one_type, data.size());
        out.at_most += data.size();
    }
    out.at_least += most_of_one_type;
    return out;
}

Expected<std::string> owner_name(std::string_view host, std::uint16_t port) {
    std::string out = "_" + std::to_string(port) + "._tcp." + std::string(host);
    if (out.back() != '.') {
        out += '.';
    }
    if (const std::size_t octets = names::wire_length(out); octets > names::max_wire_octets) {
        return Unexpected{"the TLSA owner name _" + std::to_string(port) + "._tcp." + names::printable(host) +
                          " would be " + std::to_string(octets) + " octets in DNS wire form, over the " +
                          std::to_string(names::max_wire_octets) +
                          " a name may have (RFC 1035 §2.3.4): no TLSA record can exist for this host"};
    }
    return out;
}

std::string owner(std::string_view host, std::uint16_t port) {
    auto name = owner_name(host, port);
    if (!name) {
        throw Error(Errc::bad_input, name.error());
    }
    return std::move(name).value();
}

std::string to_hex(const Bytes& bytes) {
    return sys::hex_encode(bytes);
}

std::string rdata_text(const Record& rec) {
    return std::to_string(rec.usage) + " " + std::to_string(rec.selector) + " " + std::to_string(rec.mtype) + " " +
           to_hex(rec.data);
}

std::string zone_line(std::string_view owner_name, const Record& rec) {
    return std::string(owner_name) + " IN TLSA " + rdata_text(rec);
}

} // namespace mxdane::tlsa
