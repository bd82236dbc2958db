#include "mxdane/version.h"

#include <ldns/util.h> // ldns_version() (ldns.h needs the deprecated OpenSSL API)
#include <openssl/crypto.h>
#include <unbound.h>

namespace mxdane {

LibraryVersions library_versions() {
    LibraryVersions v;
    v.openssl = OpenSSL_version(OPENSSL_VERSION);
    const char* ub = ub_version();
    v.libunbound = ub == nullptr ? "unknown" : ub;
    const char* ldns = ldns_version();
    v.libldns = ldns == nullptr ? "unknown" : ldns;
    return v;
}

} // namespace mxdane
