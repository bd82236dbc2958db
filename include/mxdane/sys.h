// Plumbing shared by every module: bounded reading of input files, the
// errno mapping, temporary names and directory syncs.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mxdane/error.h"

namespace mxdane::sys {

/// Size limits of the inputs mxdane reads (README "Input limits").
inline constexpr std::size_t kib = 1024;
inline constexpr std::size_t mib = 1024 * kib;

/// How an input file is read.
struct ReadOptions {
    std::string what;             ///< names the input in messages: "TSIG key file"
    std::size_t limit = 16 * mib; ///< the most bytes accepted
    bool allow_stdin = false;     ///< "-" reads standard input (a pipe or terminal is fine there)
    bool no_follow = false;       ///< a symlink is refused (files whose identity is checked)
};

/// The whole content of `path`, read in chunks that stop at
/// `options.limit`: a larger input is refused when the limit is passed, not
/// after reading it all (/dev/zero costs one chunk). Only regular files are
/// read: a FIFO (which would wait for a writer forever), a device, a socket
/// or a directory is refused without blocking; "-" is standard input when
/// `options.allow_stdin`.
/// Throws Error(bad_input) for anything but a regular file and for an input
/// over the limit (the message names both), Error(refused) for a symlink
/// when `options.no_follow`, Error(io) when it cannot be opened or read.
std::string read_file(const std::filesystem::path& path, const ReadOptions& options);

/// "16 MiB", "64 KiB", "512 bytes": a limit as messages and the README give it.
std::string size_text(std::size_t bytes);

/// The library's kind of an errno value: EACCES, EPERM and EROFS are
/// Errc::permission, EEXIST is Errc::exists (refusing to overwrite), the
/// rest Errc::io.
Errc errc_of(int err) noexcept;

/// The text of an errno value, as strerror() gives it but safe to call from
/// several threads at once (strerror_r).
std::string error_text(int err);

/// Error(errc_of(err), "<what>: <error_text(err)>").
Error os_error(const std::string& what, int err);

/// The directory of `path`: "." for a bare file name.
std::filesystem::path dir_of(const std::filesystem::path& path);

/// The temporary-name prefix for `final_name` in its directory:
/// ".<final_name>.mxdane-tmp-" (hidden, and found again after a crash).
std::string temp_prefix(std::string_view final_name);

/// A fresh temporary name beside `final_path`: its prefix and ten random
/// characters. Created with O_EXCL by the caller, then renamed into place.
std::filesystem::path temp_name_for(const std::filesystem::path& final_path);

/// fsync() of a directory, so that renames and unlinks in it are durable.
/// Throws Error(permission|io).
void sync_directory(const std::filesystem::path& dir);

/// Lowercase hex of `bytes`, two digits a byte (RFC 6698 §2.2 presentation).
std::string hex_encode(std::span<const std::uint8_t> bytes);

/// Whether `text` holds hex digits only (either case; "" is true).
bool is_hex(std::string_view text) noexcept;

/// The bytes of `hex` (either case, an even number of digits and nothing
/// else), or nullopt.
std::optional<std::vector<std::uint8_t>> hex_decode(std::string_view hex);

/// "2026-11-29T20:30:00Z": RFC 3339 UTC, whole seconds, as every message,
/// the state file and --json give times.
std::string utc_time(std::chrono::system_clock::time_point t);

/// "2026-11-29": the UTC date of `t`.
std::string utc_date(std::chrono::system_clock::time_point t);

} // namespace mxdane::sys
