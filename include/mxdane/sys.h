// Plumbing shared by every module: bounded reading of input files.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

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

} // namespace mxdane::sys
