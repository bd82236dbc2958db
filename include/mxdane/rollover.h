// The file side of a key rollover: adopting the key in service, staging the
// next one, switching the stable names the MTA reads, retiring the old one.
// DNS and SMTP checks are the callers' (src/cli/cmd_rollover.cpp).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "mxdane/rotation.h"
#include "mxdane/store.h"
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
    [[nodiscard]] fs::path stable_key() const { return key_dir / store::stable_key_name(host); }
    [[nodiscard]] fs::path stable_cert() const { return cert_dir / store::stable_cert_name(host); }
    [[nodiscard]] fs::path state_file() const { return rotation::state_path(state_dir, host); }
};

/// The host's lock (`<state_dir>/<host>.lock`, flock): every step that
/// changes a host's state or files holds it, so that two runs (a timer's
/// auto pass and an admin's stage, or two stages) never interleave. Waits
/// up to `wait` for another run to finish; nullopt when it still holds the
/// lock. Once locked, a half-done switch of the stable names is completed
/// before anything else (complete_switch), after the state was checked
/// (load_checked, whose errors it throws). The state directory is made
/// when `create_state_dir` (init); otherwise its absence is Error(io).
/// `*repaired` (when given) tells whether the stable names were switched
/// back: an MTA that started a process while they were split must then be
/// reloaded.
std::optional<store::FileLock> try_lock_host(const Layout& layout,
                                             std::chrono::milliseconds wait = std::chrono::seconds(3),
                                             bool create_state_dir = false, bool* repaired = nullptr);
/// try_lock_host, or Error(refused) "another mxdane is working on HOST".
store::FileLock lock_host(const Layout& layout, std::chrono::milliseconds wait = std::chrono::seconds(3),
                          bool create_state_dir = false, bool* repaired = nullptr);

/// Reads the host's state file (nullopt when there is none) and refuses,
/// with Error(refused) naming the path, a state whose key or certificate
/// paths lie outside the host's directories or are symlinks, or whose key
/// files do not hash to their recorded 3 1 1 records. Without `read_keys`
/// (a look by a user that may not read private keys, e.g. monitoring) the
/// certificates carry the check instead.
std::optional<rotation::State> load_checked(const Layout& layout, bool read_keys = true);

/// The group a key file is readable by (keygen's --key-group: mode 0440),
/// so that the next key stays readable by the MTA that reads this one
/// (Exim on Debian reads keys as Debian-exim); nullopt for a private key.
std::optional<std::string> readable_group(const std::filesystem::path& key_file);

/// Why the stable names do not point at the key in service (key and
/// certificate of different keys, or both of another key), or nullopt.
std::optional<std::string> stable_pair_problem(const Layout& layout, const rotation::State& state);

/// Points the stable names back at the key in service when an interrupted
/// switch left them on other keys of the state (the state is the truth: a
/// key is current only once its switch was proven). True when it did.
/// Call with the host's lock held.
bool complete_switch(const Layout& layout, const rotation::State& state);

struct InitRequest {
    Layout layout;
    std::optional<fs::path> key; ///< adopt these instead of looking
    std::optional<fs::path> cert;
    std::uint16_t port = 25;
    TimePoint now;
    /// The issuer configured for the host, if any: recorded for an adopted
    /// certificate that is not self-signed (a self-signed one records
    /// self-signed; one from a CA with none configured records nothing,
    /// and its renewal is refused until one is: reissue::choose_issuer).
    std::optional<rotation::Issuer> issuer;
};

struct InitResult {
    rotation::State state;
    fs::path key; ///< the adopted dated files
    fs::path cert;
    std::string how_found; ///< "given", "from the stable names", "newest dated pair"
    /// The stable names pointed at the adopted files already (keygen made
    /// them): the MTA's configuration needs no change.
    bool stable_names_in_place = false;
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
/// keygen's profile), recorded in the state as *incomplete* (no record)
/// before the files are made, so that an interrupted stage is recognised:
/// the next stage adopts its files when they are a complete, matching pair
/// (record from the key file) and otherwise removes them and starts over.
/// Returns the new key. Throws Error(refused) when a rollover is already
/// under way or the clock is behind the state.
rotation::KeyTimeline stage(const StageRequest& request, rotation::State& state);

/// Points the stable names at `key`'s files (certificate first, then key;
/// each switch is one atomic rename), after checking that they are the
/// host's, regular, and that the key hashes to its record.
void switch_to(const Layout& layout, const rotation::KeyTimeline& key);

struct RetireResult {
    std::optional<fs::path> key; ///< where the files went (unset when deleted)
    std::optional<fs::path> cert;
};

/// Moves the old key's files to retired/ beside them (key mode 0400), or
/// deletes them, and marks the key removed. Checks first that they are the
/// host's, regular, and carry the recorded key; finishes a move a killed
/// run left half done (both names on one inode).
RetireResult retire(const Layout& layout, rotation::KeyTimeline& old, bool delete_files, TimePoint now);

/// The file-name stamp for a key made at `now`: the local date, with "-2",
/// "-3", ... when that day's names are taken.
std::string free_stamp(const Layout& layout, TimePoint now);

} // namespace mxdane::rollover
