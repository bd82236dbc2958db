// libFuzzer target: the key-material loader must never crash, leak or leave
// OpenSSL's error queue dirty, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <openssl/err.h>

#include "mxdane/material.h"
#include "mxdane/tlsa.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size); // NOLINT: fuzzer bytes
    const auto m = mxdane::x509::load_material(bytes);
    if (ERR_peek_error() != 0) {
        std::abort();
    }
    if (m) {
        try {
            (void)mxdane::x509::key_spki_der(*m->key);
            for (const auto& c : m->certs) {
                (void)mxdane::x509::dns_names(*c);
                (void)mxdane::x509::certificate_spki_der(*c);
            }
        } catch (const mxdane::Error&) {
            // An OpenSSL refusal to encode is reported, not a crash.
        }
        ERR_clear_error();
    }
    return 0;
}
