// Errors the library reports. The CLI turns them into one line and an exit
// code in exactly one place (src/cli/main.cpp).
#pragma once

#include <stdexcept>
#include <string>

namespace mxdane {

/// What went wrong, coarse enough to choose an exit code from.
enum class Errc {
    bad_input,  ///< a value the user gave is unacceptable (exit 64)
    refused,    ///< checked, and the answer is no: e.g. a step not allowed now (exit 1)
    exists,     ///< refusing to overwrite something (exit 2)
    permission, ///< the OS said no (exit 2)
    io,         ///< reading or writing failed (exit 2)
    crypto,     ///< OpenSSL failed (exit 2)
};

/// The one exception type the library throws.
class Error : public std::runtime_error {
  public:
    Error(Errc code, const std::string& message) : std::runtime_error(message), m_code(code) {}
    [[nodiscard]] Errc code() const noexcept { return m_code; }

  private:
    Errc m_code;
};

} // namespace mxdane
