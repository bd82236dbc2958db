#include "mxdane/ossl.h"

#include <openssl/err.h>

namespace mxdane::ossl {

std::string drain_errors() {
    std::string out;
    unsigned long e = 0;
    while ((e = ERR_get_error()) != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) {
            out += "; ";
        }
        out += buf;
    }
    return out;
}

Error failure(std::string_view what) {
    std::string msg(what);
    const std::string queue = drain_errors();
    if (!queue.empty()) {
        msg += " (OpenSSL: " + queue + ")";
    }
    return Error(Errc::crypto, msg);
}

std::string bio_contents(BIO& bio) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(&bio, &data);
    if (len < 0 || (len > 0 && data == nullptr)) {
        throw failure("reading a memory BIO");
    }
    return {data, static_cast<std::size_t>(len)};
}

} // namespace mxdane::ossl
