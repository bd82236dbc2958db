// The errno mapping, temporary names and directory syncs every writer of
// files shares (store, keygen, the rotation state).
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <string>
#include <string_view>
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

namespace {

// strerror_r comes in two variants, chosen by feature macros: XSI returns an
// int and fills the buffer, GNU returns the text (which may or may not be in
// the buffer). One overload for each lets either compile; the other is unused.
[[maybe_unused]] std::string strerror_r_text(int rc, const char* buf, int err) {
    if (rc != 0) {
        return "Unknown error " + std::to_string(err);
    }
    return buf;
}

[[maybe_unused]] std::string strerror_r_text(const char* text, const char* /*buf*/, int /*err*/) {
    return text;
}

} // namespace

std::string error_text(int err) {
    std::array<char, 256> buf{};
    return strerror_r_text(::strerror_r(err, buf.data(), buf.size()), buf.data(), err);
}

Error os_error(const std::string& what, int err) {
    return Error(errc_of(err), what + ": " + error_text(err));
}

fs::path dir_of(const fs::path& path) {
    return path.parent_path().empty() ? fs::path(".") : path.parent_path();
}

std::string temp_prefix(std::string_view final_name) {
    return "." + std::string(final_name) + ".mxdane-tmp-";
}

fs::path temp_name_for(const fs::path& final_path) {
    static constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::random_device rd;
    std::string suffix;
    for (int i = 0; i < 10; ++i) {
        suffix += alphabet[rd() % alphabet.size()];
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
