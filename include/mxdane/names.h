// DNS host names as they may appear in a certificate SAN and a TLSA owner.
#pragma once

#include <cstddef>
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

/// `s` safe to echo to a terminal on one line: the one escaping function for
/// every piece of input text mxdane prints. Each octet of a C0 control, DEL,
/// a backslash, a C1 control (U+0080-U+009F, which some terminals obey as
/// escape sequences), a bidirectional override or line separator (U+2028,
/// U+2029, U+202A-U+202E, U+2066-U+2069: text that reorders what follows),
/// or a byte that is not part of valid UTF-8 becomes \xNN. Other valid
/// UTF-8 (an IDN in U-labels, say) stays readable.
std::string printable(std::string_view s);
/// printable() of at most the first `max_octets` octets of `s` (cut at a
/// UTF-8 boundary), followed by "... (N more octets)" when `s` is longer:
/// for echoing untrusted lines, which may be megabytes long.
std::string printable(std::string_view s, std::size_t max_octets);

/// Octets of `name` in DNS wire form (RFC 1035 §3.1): a length octet per
/// label plus the root's zero octet. A trailing dot is the root, not an
/// empty label. `name` is in presentation form without escapes.
std::size_t wire_length(std::string_view name);

/// RFC 1035 §2.3.4: a whole name, in wire form, is at most 255 octets.
inline constexpr std::size_t max_wire_octets = 255;

/// Normalizes every name (throws Error(bad_input) naming the first bad one)
/// and drops later duplicates, keeping the order given.
std::vector<std::string> normalize_hosts(const std::vector<std::string>& inputs);

} // namespace mxdane::names
