// libFuzzer target: the rollover state file reader (rotation::from_json,
// under rotation::load) and the settings file parser must never crash;
// a state they accept must survive writing and reading back unchanged.
// Every input goes to both parsers (a state file is JSON, a settings file
// `key = value` lines: each seed set mostly exercises its own parser).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mxdane/rotation.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size); // NOLINT: fuzzer bytes

    if (const auto state = mxdane::rotation::from_json(text)) {
        const std::string written = mxdane::rotation::to_json(*state);
        const auto again = mxdane::rotation::from_json(written);
        if (!again || mxdane::rotation::to_json(*again) != written) {
            std::abort();
        }
    }

    if (const auto settings = mxdane::rotation::parse_config(text)) {
        // Written back as `key = "value"`, every setting reads the same.
        std::string back;
        for (const auto& s : *settings) {
            if (s.value.find('"') != std::string::npos) {
                return 0; // (a quote inside a value cannot be written quoted)
            }
            back += s.key + " = \"" + s.value + "\"\n";
        }
        const auto again = mxdane::rotation::parse_config(back);
        if (!again || again->size() != settings->size()) {
            std::abort();
        }
        for (std::size_t i = 0; i < again->size(); ++i) {
            if ((*again)[i].key != (*settings)[i].key || (*again)[i].value != (*settings)[i].value) {
                std::abort();
            }
        }
    }
    return 0;
}
