// The MTA side of keygen and rollover init: which MTA (--mta, else the one
// installed), the key group it needs, and what to warn about.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mxdane/mta.h"

namespace mxdane::cli {

/// --mta as given, or the installed MTA (Postfix when unsure). Throws
/// Error(bad_input) for an unknown name.
mta::Kind mta_choice(const std::string& option);

/// The group the key needs for `kind` when --key-group was not given and
/// that group exists (Exim: Debian-exim); else nullopt, with a warning in
/// `warnings` when the MTA needs a group that does not exist here.
std::optional<std::string> automatic_key_group(mta::Kind kind, std::vector<std::string>& warnings);

/// Warnings about the MTA reading `key_file`: a group that cannot enter a
/// directory on the way, an installed version that cannot load keys.
std::vector<std::string> mta_warnings(mta::Kind kind, const std::filesystem::path& key_file,
                                      const std::optional<std::string>& key_group);

/// How to make the MTA read its new configuration.
std::string reload_hint(mta::Kind kind);

/// The MTA's name as admins write it: "Postfix", "Exim", "OpenSMTPD".
std::string mta_label(mta::Kind kind);

} // namespace mxdane::cli
