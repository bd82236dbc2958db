// The errno mapping, temporary names and directory syncs every writer of
// files shares (store, keygen, the rotation state).
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <unistd.h>

#include "mxdane/error.h"
#include "mxdane/fd.h"
#include "mxdane/sys.h"

namespace mxdane::sys {

namespace fs = std::filesystem;

Errc errc_of(int err) noexcept {
    if (err == EACCES || err == EPERM || err == EROFS) {
        return Errc::permission;
    }
    if (err == EEXIST) {
        return Errc::exists;
    }
    return Errc::io;
}

Error os_error(const std::string& what, int err) {
    return Error(errc_of(err), what + ": " + std::strerror(err));
}

fs::path dir_of(const fs::path& path) {
    return path.parent_path().empty() ? fs::path(".") : path.parent_path();
}

std::string temp_prefix(std::string_view final_name) {
    return "." + std::string(final_name) + ".mxdane-tmp-";
}

fs::path temp_name_for(const fs::path& final_path) {
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::random_device rd;
    std::string suffix;
    for (int i = 0; i < 10; ++i) {
        suffix += alphabet[rd() % (sizeof alphabet - 1)];
    }
    return dir_of(final_path) / (temp_prefix(final_path.filename().string()) + suffix);
}

void sync_directory(const fs::path& dir) {
    const Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
        throw os_error("cannot sync directory " + dir.string(), errno);
    }
}

} // namespace mxdane::sys
