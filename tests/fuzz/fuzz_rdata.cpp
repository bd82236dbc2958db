// libFuzzer target: the RDATA wire parser (answers from the network) and
// the small text formats of the resolver options must never crash, and what
// they accept must print as text a terminal can show.
//   byte 0: which parser (RR type for RDATA, or one of the text formats)
//   rest:   the RDATA, or the text
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mxdane/dns.h"

namespace {

using mxdane::dns::RrType;

/// Names and TXT are escaped when printed (rdata.cpp): nothing below a
/// space, no DEL, no byte >= 0x80 may reach the text.
void require_printable(const std::string& text) {
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f) {
            std::abort();
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::uint8_t* rdata = data + 1;
    const std::size_t len = size - 1;
    const std::string_view text(reinterpret_cast<const char*>(rdata), len); // NOLINT: fuzzer bytes
    static constexpr RrType types[] = {RrType::a, RrType::aaaa, RrType::cname, RrType::mx, RrType::txt, RrType::tlsa};
    const unsigned mode = data[0] % 10U;
    if (mode < 6) {
        const RrType type = types[mode];
        const auto rd = mxdane::dns::parse_rdata(type, len == 0 ? nullptr : rdata, len);
        if (rd) {
            const std::string t = mxdane::dns::rdata_text(*rd);
            if (type != RrType::tlsa) {
                require_printable(t);
            }
            if (type == RrType::tlsa) {
                // RFC 6698 §2.1: three octets, then the data as it is.
                const auto& r = std::get<mxdane::tlsa::Record>(*rd);
                if (r.usage != rdata[0] || r.selector != rdata[1] || r.mtype != rdata[2] || r.data.size() != len - 3) {
                    std::abort();
                }
            }
        }
        return 0;
    }
    switch (mode) {
    case 6:
        (void)mxdane::sys::parse_endpoint(text, 53, mxdane::sys::HostNames::refused);
        (void)mxdane::sys::parse_endpoint(text, 53, mxdane::sys::HostNames::allowed);
        break;
    case 7:
        (void)mxdane::dns::parse_stub(text);
        break;
    case 8:
        (void)mxdane::dns::parse_resolver_option(text);
        break;
    default:
        (void)mxdane::dns::trust_anchor_zones(text);
        (void)mxdane::dns::builtin_local_zone(text);
        break;
    }
    return 0;
}
