// Bounded reading of input files: one reader for key material, TSIG keys,
// settings, state, trust anchors, RRset files and domain lists.
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mxdane/error.h"
#include "mxdane/fd.h"
#include "mxdane/sys.h"

namespace mxdane::sys {
namespace {

std::string kind_of(mode_t mode) {
    if (S_ISDIR(mode)) {
        return "a directory";
    }
    if (S_ISFIFO(mode)) {
        return "a FIFO";
    }
    if (S_ISCHR(mode) || S_ISBLK(mode)) {
        return "a device";
    }
    if (S_ISSOCK(mode)) {
        return "a socket";
    }
    return "not a regular file";
}

/// Reads `fd` to its end, refusing more than `limit` bytes.
std::string read_bounded(int fd, const std::string& name, const ReadOptions& o) {
    std::string out;
    constexpr std::size_t chunk = 64 * kib;
    for (;;) {
        const std::size_t room = std::min(chunk, o.limit + 1 - out.size());
        const std::size_t had = out.size();
        out.resize(had + room);
        const ssize_t n = ::read(fd, out.data() + had, room);
        if (n < 0 && errno == EINTR) {
            out.resize(had);
            continue;
        }
        if (n < 0) {
            const int err = errno;
            throw Error(Errc::io, "cannot read the " + o.what + " " + name + ": " + error_text(err));
        }
        out.resize(had + static_cast<std::size_t>(n));
        if (out.size() > o.limit) {
            throw Error(Errc::bad_input, "the " + o.what + " " + name + " is larger than " + size_text(o.limit) +
                                             "; refusing to read more");
        }
        if (n == 0) {
            return out;
        }
    }
}

} // namespace

std::string size_text(std::size_t bytes) {
    if (bytes >= mib && bytes % mib == 0) {
        return std::to_string(bytes / mib) + " MiB";
    }
    if (bytes >= kib && bytes % kib == 0) {
        return std::to_string(bytes / kib) + " KiB";
    }
    return std::to_string(bytes) + " bytes";
}

std::string read_file(const std::filesystem::path& path, const ReadOptions& options) {
    if (options.allow_stdin && path == "-") {
        return read_bounded(STDIN_FILENO, "on standard input", options);
    }
    const std::string name = path.string();
    // O_NONBLOCK: opening a FIFO with no writer returns at once (and is then
    // refused below) instead of waiting for one.
    const int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (options.no_follow ? O_NOFOLLOW : 0);
    const Fd fd(::open(path.c_str(), flags));
    if (fd.get() < 0) {
        const int err = errno;
        if (err == ELOOP && options.no_follow) {
            throw Error(Errc::refused, "the " + options.what + " " + name + " is a symlink; refusing to use it");
        }
        throw os_error("cannot read the " + options.what + " " + name, err);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        const int err = errno;
        throw Error(Errc::io, "cannot read the " + options.what + " " + name + ": " + error_text(err));
    }
    if (!S_ISREG(st.st_mode)) {
        throw Error(Errc::bad_input, "the " + options.what + " " + name + " is " + kind_of(st.st_mode) +
                                         ", not a regular file; refusing to read it");
    }
    if (static_cast<std::uintmax_t>(st.st_size) > options.limit) {
        throw Error(Errc::bad_input, "the " + options.what + " " + name + " is larger than " +
                                         size_text(options.limit) + "; refusing to read it");
    }
    // A regular file never blocks; clearing O_NONBLOCK keeps read() simple
    // on file systems that would honour it.
    (void)::fcntl(fd.get(), F_SETFL, O_RDONLY);
    return read_bounded(fd.get(), name, options);
}

} // namespace mxdane::sys
