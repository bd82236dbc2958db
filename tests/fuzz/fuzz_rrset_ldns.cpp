// libFuzzer target: differential check of the TLSA RRset text parser against
// libldns (ldns_rr_new_frm_fp_l, the reader behind ldns-read-zone). When
// both read the whole text without an error, both must find the same TLSA
// records, in the same order, with the same usage, selector, matching type
// and data (compared as RDATA wire: RFC 6698 §2.1).
//
// Differences by design, not compared (one side refuses the text):
// - mxdane reads owner-less input (bare "3 1 1 HEX", "\# 35 ...", dig's
//   output without an owner) as meant for the host being checked; libldns
//   needs an owner;
// - mxdane refuses data of an odd number of hex digits (RFC 6698 §2.2:
//   the field is hex octets); libldns pads it with a zero ("abc" -> abc0);
// - $INCLUDE (mxdane never opens other files) and other directives;
// - records of other types that libldns cannot read (mxdane only counts
//   them);
// - vertical tab and form feed: mxdane takes them as blanks (parse.cpp);
//   libldns does not, and drops the rest of the entry from the first one
//   in silence ("... 6\v ab" is read as "... 60"). Texts holding one are
//   not compared.
// Both read the RFC 7218 mnemonics (DANE-EE SPKI SHA2-256) and refuse a
// record with no data: those are compared.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <vector>

#include <stdbool.h> // NOLINT(modernize-deprecated-headers): must precede the ldns headers

#include <ldns/rbtree.h>

#include <ldns/dname.h>
#include <ldns/error.h>
#include <ldns/rdata.h>
#include <ldns/rr.h>

#include "mxdane/tlsa_parse.h"

namespace {

using Bytes = std::vector<std::uint8_t>;

struct FileClose {
    void operator()(FILE* f) const noexcept { std::fclose(f); }
};
struct RrFree {
    void operator()(ldns_rr* p) const noexcept { ldns_rr_free(p); }
};
struct RdfFree {
    void operator()(ldns_rdf* p) const noexcept { ldns_rdf_deep_free(p); }
};

/// The TLSA RDATA libldns reads from `text`, or nullopt when it refuses
/// any entry of it.
std::optional<std::vector<Bytes>> ldns_tlsa(const std::uint8_t* data, std::size_t size) {
    // fmemopen with a size of 0 fails: an empty text holds no records.
    if (size == 0) {
        return std::vector<Bytes>{};
    }
    const std::unique_ptr<FILE, FileClose> fp(
        fmemopen(const_cast<std::uint8_t*>(data), size, "r")); // NOLINT: read-only use
    if (!fp) {
        return std::nullopt;
    }
    std::uint32_t ttl = 3600;
    ldns_rdf* origin = ldns_dname_new_frm_str(".");
    ldns_rdf* prev = nullptr;
    int line = 1;
    std::vector<Bytes> out;
    bool ok = true;
    while (ok && std::feof(fp.get()) == 0) {
        ldns_rr* raw = nullptr;
        const ldns_status s = ldns_rr_new_frm_fp_l(&raw, fp.get(), &ttl, &origin, &prev, &line);
        const std::unique_ptr<ldns_rr, RrFree> rr(raw);
        if (s == LDNS_STATUS_SYNTAX_EMPTY || s == LDNS_STATUS_SYNTAX_TTL || s == LDNS_STATUS_SYNTAX_ORIGIN) {
            continue;
        }
        if (s != LDNS_STATUS_OK || !rr) {
            ok = false;
            break;
        }
        if (ldns_rr_get_type(rr.get()) != LDNS_RR_TYPE_TLSA) {
            continue;
        }
        Bytes wire;
        for (std::size_t i = 0; i < ldns_rr_rd_count(rr.get()); ++i) {
            const ldns_rdf* rdf = ldns_rr_rdf(rr.get(), i);
            const std::uint8_t* p = ldns_rdf_data(rdf);
            wire.insert(wire.end(), p, p + ldns_rdf_size(rdf));
        }
        out.push_back(std::move(wire));
    }
    ldns_rdf_deep_free(origin);
    ldns_rdf_deep_free(prev);
    if (!ok) {
        return std::nullopt;
    }
    return out;
}

void report(std::string_view what, std::size_t i, const Bytes& ours, const Bytes& theirs) {
    std::fprintf(stderr,
                 "mxdane and libldns disagree: %.*s at TLSA record %zu\n  mxdane:", static_cast<int>(what.size()),
                 what.data(), i);
    for (const auto b : ours) {
        std::fprintf(stderr, "%02x", b);
    }
    std::fprintf(stderr, "\n  ldns:  ");
    for (const auto b : theirs) {
        std::fprintf(stderr, "%02x", b);
    }
    std::fprintf(stderr, "\n");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size); // NOLINT: fuzzer bytes
    if (text.find_first_of("\v\f") != std::string_view::npos) {
        return 0;
    }
    const auto ours = mxdane::tlsa::parse_rrset(text);
    if (!ours.errors.empty()) {
        return 0;
    }
    for (const auto& r : ours.records) {
        if (!r.owner) {
            return 0; // owner-less: libldns cannot read it (see above)
        }
    }
    const auto theirs = ldns_tlsa(data, size);
    if (!theirs) {
        return 0;
    }
    if (theirs->size() != ours.records.size()) {
        std::fprintf(stderr, "mxdane reads %zu TLSA records, libldns %zu\n", ours.records.size(), theirs->size());
        std::abort();
    }
    if (std::getenv("FUZZ_VERBOSE") != nullptr) { // to see that seeds are compared at all
        std::fprintf(stderr, "compared %zu TLSA records\n", theirs->size());
    }
    for (std::size_t i = 0; i < theirs->size(); ++i) {
        const auto& rec = ours.records[i].record;
        Bytes wire{rec.usage, rec.selector, rec.mtype};
        wire.insert(wire.end(), rec.data.begin(), rec.data.end());
        if (wire != (*theirs)[i]) {
            report("RDATA", i, wire, (*theirs)[i]);
            std::abort();
        }
    }
    return 0;
}
