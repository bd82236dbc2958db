// The keygen operation: a key, a self-signed certificate, their TLSA records,
// installed safely. The CLI only parses options and prints the result.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "mxdane/tlsa.h"
#include "mxdane/x509.h"

namespace mxdane::keygen {

namespace fs = std::filesystem;

struct Request {
    std::vector<std::string> names; ///< as typed; names[0] is the MX host
    x509::KeyType key_type = x509::KeyType::rsa3072;
    unsigned days = 1096;
    std::uint16_t port = 25;
    fs::path key_dir;
    fs::path cert_dir;
    std::optional<std::string> key_group; ///< gives the key mode 0440 and this group
    bool dry_run = false;
    x509::Clock::time_point now; ///< injected clock
    /// The file-name stamp; default: the local date of `now` (YYYYMMDD).
    /// rollover uses "YYYYMMDD-2" when a key was already made that day.
    std::optional<std::string> stamp;
    /// Also point the stable names (store::stable_key_name) at the new
    /// files, so that the MTA is configured once for the host's life;
    /// stable names that exist already are left alone (they belong to the
    /// key in service). rollover's stage leaves this off.
    bool stable_names = false;
};

/// What became of the stable names.
enum class StableNames {
    not_asked, ///< Request::stable_names was off
    made,      ///< point at the new files (or would, in a dry run)
    existing,  ///< existed already and were left as they were
};

struct Result {
    std::vector<std::string> names; ///< normalized
    x509::KeyType key_type = x509::KeyType::rsa3072;
    fs::path key_path; ///< absolute
    fs::path cert_path;
    fs::path stable_key_path; ///< set unless StableNames::not_asked
    fs::path stable_cert_path;
    StableNames stable = StableNames::not_asked;
    mode_t key_mode = 0400;
    x509::Clock::time_point not_before;
    x509::Clock::time_point not_after;
    std::string owner;                 ///< "_25._tcp.<host>."
    std::vector<tlsa::Record> records; ///< 3 1 1 first, then 3 0 1
    std::vector<std::string> warnings; ///< for stderr
    std::vector<fs::path> created_dirs;
    bool written = false;
};

/// Validates everything, refuses to overwrite, generates, installs. Throws
/// Error; on a throw nothing this call wrote remains.
Result run(const Request& request);

} // namespace mxdane::keygen
