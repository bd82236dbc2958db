// libFuzzer target: the RRset text parser must never crash, and everything
// it accepts must survive a round trip through the generic form.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mxdane/tlsa_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size); // NOLINT: fuzzer bytes
    const auto parsed = mxdane::tlsa::parse_rrset(text);
    for (const auto& r : parsed.records) {
        const auto again = mxdane::tlsa::parse_rrset(mxdane::tlsa::generic_rdata_text(r.record));
        if (again.records.size() != 1 || !(again.records[0].record == r.record)) {
            std::abort();
        }
        (void)mxdane::tlsa::unusable_reason(r.record);
    }
    return 0;
}
