// RAII ownership of OpenSSL objects and error-queue draining. Every OpenSSL
// handle in mxdane lives in one of these aliases; no raw owning pointers.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mxdane/error.h"

namespace mxdane::ossl {

/// A deleter bound to one OpenSSL free function, chosen once per type.
template <typename T, void (*Free)(T*)> struct Deleter {
    void operator()(T* p) const noexcept { Free(p); }
};

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using X509ReqPtr = std::unique_ptr<X509_REQ, Deleter<X509_REQ, X509_REQ_free>>;
using X509ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME, X509_NAME_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER, ASN1_INTEGER_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, Deleter<ASN1_TIME, ASN1_TIME_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX, SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, Deleter<SSL, SSL_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using X509SigPtr = std::unique_ptr<X509_SIG, Deleter<X509_SIG, X509_SIG_free>>;
using BasicConstraintsPtr = std::unique_ptr<BASIC_CONSTRAINTS, Deleter<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free>>;

/// Frees what OpenSSL allocated with OPENSSL_malloc (PEM_read_bio's name,
/// header and data, hex strings).
struct CryptoFree {
    void operator()(void* p) const noexcept { OPENSSL_free(p); }
};
using CharPtr = std::unique_ptr<char, CryptoFree>;

/// A STACK_OF(X509) that does not own its certificates (sk_X509_free is a
/// macro, so it gets its own deleter).
struct X509StackFree {
    void operator()(STACK_OF(X509) * p) const noexcept { sk_X509_free(p); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;
using BytePtr = std::unique_ptr<unsigned char, CryptoFree>;

/// A STACK_OF(X509_EXTENSION) that owns its extensions (X509_REQ_get_extensions).
struct X509ExtStackFree {
    void operator()(STACK_OF(X509_EXTENSION) * p) const noexcept { sk_X509_EXTENSION_pop_free(p, X509_EXTENSION_free); }
};
using X509ExtStackPtr = std::unique_ptr<STACK_OF(X509_EXTENSION), X509ExtStackFree>;

/// Empties the calling thread's OpenSSL error queue into one string
/// ("" when it was empty).
std::string drain_errors();

/// An Error(Errc::crypto) saying what failed, with the drained queue.
[[nodiscard]] Error failure(std::string_view what);

/// Throws failure(what) when an OpenSSL call returned a null pointer.
template <typename T> T* check(T* p, std::string_view what) {
    if (p == nullptr) {
        throw failure(what);
    }
    return p;
}

/// Throws failure(what) when an OpenSSL call returned <= 0.
inline int check(int rc, std::string_view what) {
    if (rc <= 0) {
        throw failure(what);
    }
    return rc;
}

/// A memory BIO's contents as a string.
std::string bio_contents(BIO& bio);

/// A socket BIO on `fd` (not closed with the BIO) whose writes never raise
/// SIGPIPE: send(2) with MSG_NOSIGNAL, so a peer that closed the connection
/// is an EPIPE error return whatever the process does with the signal.
/// Reads, controls and retry flags are those of BIO_s_socket. Throws
/// failure() when OpenSSL cannot make it.
BioPtr socket_bio_without_sigpipe(int fd);

} // namespace mxdane::ossl
