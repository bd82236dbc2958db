// libFuzzer target: the TSIG key file parser (BIND's tsig-keygen format,
// Knot's keymgr output, `[algorithm:]name:secret`) must never crash, and a
// key it accepts must read back the same from both formats it can be
// written in.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mxdane/publish.h"

namespace {

using namespace mxdane::publish;

void require_same(const mxdane::Expected<TsigKey>& again, const TsigKey& key) {
    if (!again || again->name != key.name || again->algorithm != key.algorithm || again->secret != key.secret) {
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size); // NOLINT: fuzzer bytes
    const auto key = parse_tsig_key(text);
    if (!key) {
        return 0;
    }
    // An accepted key is absolute and lowercase, with a non-empty secret.
    if (key->name.empty() || key->name.back() != '.' || key->secret.empty()) {
        std::abort();
    }
    const std::string alg(tsig_algorithm_name(key->algorithm));
    if (parse_tsig_algorithm(alg) != key->algorithm) {
        std::abort();
    }
    require_same(parse_tsig_key("key \"" + key->name + "\" {\n\talgorithm " + alg + ";\n\tsecret \"" + key->secret +
                                "\";\n};\n"),
                 *key);
    require_same(parse_tsig_key(alg + ":" + key->name + ":" + key->secret + "\n"), *key);
    return 0;
}
