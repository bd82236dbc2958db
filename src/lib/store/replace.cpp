// Files that are meant to change (state files, the stable symlinks an MTA
// reads): replaced atomically, never left half-written or missing.
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mxdane/error.h"
#include "mxdane/store.h"
#include "mxdane/sys.h"

namespace mxdane::store {
namespace {

using sys::dir_of;
using sys::os_error;
using sys::temp_name_for;

} // namespace

void replace_file(const fs::path& path, std::string_view content, mode_t mode) {
    const fs::path temp = temp_name_for(path);
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0700);
    if (fd < 0) {
        throw os_error("cannot create a file in " + dir_of(path).string(), errno);
    }
    bool ok = ::fchmod(fd, mode) == 0;
    const char* p = content.data();
    std::size_t left = content.size();
    while (ok && left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        ok = n > 0;
        if (ok) {
            p += n;
            left -= static_cast<std::size_t>(n);
        }
    }
    ok = ok && ::fsync(fd) == 0;
    const int err = errno;
    ::close(fd);
    if (!ok || ::rename(temp.c_str(), path.c_str()) != 0) {
        const int rename_err = ok ? errno : err;
        ::unlink(temp.c_str());
        throw os_error("cannot write " + path.string(), rename_err);
    }
    sys::sync_directory(dir_of(path));
}

void replace_symlink(const fs::path& link, const fs::path& target) {
    struct stat st {};
    if (::lstat(link.c_str(), &st) == 0 && !S_ISLNK(st.st_mode)) {
        throw Error(Errc::exists, link.string() + " exists and is not a symlink; not replacing it");
    }
    const fs::path temp = temp_name_for(link);
    if (::symlink(target.c_str(), temp.c_str()) != 0) {
        throw os_error("cannot create a symlink in " + dir_of(link).string(), errno);
    }
    if (::rename(temp.c_str(), link.c_str()) != 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        throw os_error("cannot point " + link.string() + " at " + target.string(), err);
    }
    sys::sync_directory(dir_of(link));
}

} // namespace mxdane::store

namespace mxdane::store {

std::optional<FileLock> FileLock::try_lock(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw os_error("cannot open the lock file " + path.string(), errno);
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        ::close(fd);
        if (err == EWOULDBLOCK) {
            return std::nullopt;
        }
        throw os_error("cannot lock " + path.string(), err);
    }
    return FileLock(fd);
}

FileLock::~FileLock() {
    if (m_fd >= 0) {
        ::close(m_fd); // closing releases the flock
    }
}

} // namespace mxdane::store
