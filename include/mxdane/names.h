// DNS host names as they may appear in a certificate SAN and a TLSA owner.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mxdane/expected.h"

namespace mxdane::names {

/// Checks that `input` is a usable DNS host name and returns its canonical
/// form: lowercase A-labels, no trailing dot. Non-ASCII input is converted
/// with IDNA2008 (libidn2). The reason names what is wrong, not the name
/// itself; callers add the name.
Expected<std::string> normalize_host(std::string_view input);

/// `s` with control characters and backslashes as \xNN, safe to echo in a
/// one-line message.
std::string printable(std::string_view s);

/// Normalizes every name (throws Error(bad_input) naming the first bad one)
/// and drops later duplicates, keeping the order given.
std::vector<std::string> normalize_hosts(const std::vector<std::string>& inputs);

} // namespace mxdane::names
