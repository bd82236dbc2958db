// How the CLI names the library's settings: by its options.
#pragma once

#include <string>
#include <string_view>

#include "mxdane/error.h"

namespace mxdane::cli {

/// The option that gives `s` on the command line: Setting::key_dir is "--key-dir".
std::string_view flag_of(Setting s) noexcept;

/// `message` with every setting the library named in words (setting_words)
/// named by its option instead: the CLI's wording of library messages.
std::string with_flags(std::string message);

} // namespace mxdane::cli
