// The file side of a key rollover: adopting the key in service, staging the
// next one, switching the stable names the MTA reads, retiring the old one.
// DNS and SMTP checks are the callers' (src/cli/cmd_rollover.cpp).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "mxdane/rotation.h"
#include "mxdane/x509.h"

namespace mxdane::rollover {

namespace fs = std::filesystem;
using rotation::TimePoint;

inline const fs::path default_state_dir{"/var/lib/mxdane"};

/// Where one host's files live.
struct Layout {
    std::string host; ///< normalized
    fs::path key_dir;
    fs::path cert_dir;
    fs::path state_dir;

    /// The names the MTA is configured with: symlinks to the dated files.
    [[nodiscard]] fs::path stable_key() const { return key_dir / (host + "-MX.key"); }
    [[nodiscard]] fs::path stable_cert() const { return cert_dir / (host + "-MX.crt"); }
    [[nodiscard]] fs::path state_file() const { return rotation::state_path(state_dir, host); }
};

struct InitRequest {
    Layout layout;
    std::optional<fs::path> key; ///< adopt these instead of looking
    std::optional<fs::path> cert;
    std::uint16_t port = 25;
    TimePoint now;
};

struct InitResult {
    rotation::State state;
    fs::path key; ///< the adopted dated files
    fs::path cert;
    std::string how_found; ///< "given", "from the stable names", "newest dated pair"
};

/// Adopts the key and certificate in service: --key/--cert, else what the
/// stable names point at, else the newest dated pair named as keygen (and
/// the seed script) name them. Checks that the key belongs to the
/// certificate, points the stable names at them, writes a new state file.
/// Throws Error(exists) when a state file exists already.
InitResult init(const InitRequest& request);

struct StageRequest {
    Layout layout;
    std::optional<x509::KeyType> key_type; ///< default: the current key's type
    unsigned days = 1096;
    TimePoint now;
    std::optional<std::string> key_group; ///< the key gets mode 0440 and this group
};

/// Makes the next key and certificate (the current certificate's names,
/// keygen's profile), recorded in the state before the files are made so
/// that an interrupted stage is resumed, not repeated. Returns the new key.
/// Throws Error(bad_input) when a rollover is already under way.
rotation::KeyTimeline stage(const StageRequest& request, rotation::State& state);

/// Points the stable names at `key`'s files (certificate first, then key;
/// each switch is one atomic rename).
void switch_to(const Layout& layout, const rotation::KeyTimeline& key);

struct RetireResult {
    std::optional<fs::path> key; ///< where the files went (unset when deleted)
    std::optional<fs::path> cert;
};

/// Moves the old key's files to retired/ beside them (key mode 0400), or
/// deletes them, and marks the key removed.
RetireResult retire(const Layout& layout, rotation::KeyTimeline& old, bool delete_files, TimePoint now);

/// The file-name stamp for a key made at `now`: the local date, with "-2",
/// "-3", ... when that day's names are taken.
std::string free_stamp(const Layout& layout, TimePoint now);

} // namespace mxdane::rollover
