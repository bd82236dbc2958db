// mxdane --version: our version and those of the libraries we run with.
#include "mxdane/version.h"
#include "cli.h"

namespace mxdane::cli {

std::string version_text() {
    const auto v = library_versions();
    return std::string("mxdane ") + MXDANE_VERSION + "\n" + v.openssl + "\nlibunbound " + v.libunbound + "\nlibldns " +
           v.libldns;
}

} // namespace mxdane::cli
