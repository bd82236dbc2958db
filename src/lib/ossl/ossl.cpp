#include "mxdane/ossl.h"

#include <cerrno>
#include <openssl/err.h>
#include <sys/socket.h>

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
    return {Errc::crypto, msg};
}

namespace {

int write_without_sigpipe(BIO* bio, const char* data, int len) {
    int fd = -1;
    (void)BIO_get_fd(bio, &fd);
    BIO_clear_retry_flags(bio);
    if (len <= 0 || fd < 0) {
        return 0;
    }
    ssize_t n = -1;
    do {
        n = ::send(fd, data, static_cast<std::size_t>(len), MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        BIO_set_retry_write(bio);
    }
    return static_cast<int>(n);
}

/// BIO_s_socket with its write replaced; made once, kept for the process.
const BIO_METHOD* socket_method_without_sigpipe() {
    static const BIO_METHOD* const method = [] {
        const BIO_METHOD* base = BIO_s_socket();
        BIO_METHOD* m =
            BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR, "socket without SIGPIPE");
        if (m == nullptr || BIO_meth_set_write(m, write_without_sigpipe) != 1 ||
            BIO_meth_set_read(m, BIO_meth_get_read(base)) != 1 || BIO_meth_set_ctrl(m, BIO_meth_get_ctrl(base)) != 1 ||
            BIO_meth_set_create(m, BIO_meth_get_create(base)) != 1 ||
            BIO_meth_set_destroy(m, BIO_meth_get_destroy(base)) != 1) {
            BIO_meth_free(m);
            return static_cast<const BIO_METHOD*>(nullptr);
        }
        return static_cast<const BIO_METHOD*>(m);
    }();
    return method;
}

} // namespace

BioPtr socket_bio_without_sigpipe(int fd) {
    const BIO_METHOD* method = socket_method_without_sigpipe();
    if (method == nullptr) {
        throw failure("BIO_meth_new");
    }
    BioPtr bio(check(BIO_new(method), "BIO_new"));
    BIO_set_fd(bio.get(), fd, BIO_NOCLOSE);
    return bio;
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
