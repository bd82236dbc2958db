// The versions of the libraries mxdane runs with (not the headers it was
// built against: a security update of a shared library changes these).
#pragma once

#include <string>

namespace mxdane {

struct LibraryVersions {
    std::string openssl;    ///< OpenSSL_version(OPENSSL_VERSION), e.g. "OpenSSL 3.0.11 19 Sep 2023"
    std::string libunbound; ///< ub_version(), e.g. "1.17.1"
    std::string libldns;    ///< ldns_version(), e.g. "1.8.3"
};

/// Asks each library at run time.
LibraryVersions library_versions();

} // namespace mxdane
