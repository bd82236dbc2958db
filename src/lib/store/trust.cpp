// Whether another user could have written a file or could replace one
// written into a directory (mxdane/store.h): the rule for private keys
// (keygen) and for the files that decide what runs as root (the settings
// file, the TSIG key, the rollover state). Apart from store.cpp so that
// the readers of those files (and their fuzz targets) need no more of it.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "mxdane/error.h"
#include "mxdane/store.h"
#include "mxdane/sys.h"

namespace mxdane::store {

using sys::os_error;

std::optional<std::string> untrusted_input(const fs::path& file, uid_t euid) {
    const auto trusted = [euid](uid_t uid) { return uid == 0 || uid == euid; };
    const auto mode_text = [](mode_t m) {
        std::string octal;
        for (int shift = 9; shift >= 0; shift -= 3) {
            octal += static_cast<char>('0' + ((m >> static_cast<unsigned>(shift)) & 7U));
        }
        return octal;
    };
    struct stat st {};
    if (::lstat(file.c_str(), &st) != 0) {
        return std::nullopt; // missing or hidden: its reader says which
    }
    if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
        return std::nullopt; // a device, FIFO or directory: its reader refuses it
    }
    const fs::path parent = file.has_parent_path() ? file.parent_path() : fs::path(".");
    if (auto why = replaceable_by_others(parent, euid)) {
        return *why + ", so another user could replace " + file.string();
    }
    fs::path real = file;
    if (S_ISLNK(st.st_mode)) {
        if (!trusted(st.st_uid)) {
            return file.string() + " is a symlink owned by uid " + std::to_string(st.st_uid) +
                   " (fix: replace it with a link or file of root's)";
        }
        std::error_code ec;
        real = fs::canonical(file, ec);
        if (ec || ::stat(real.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
            return std::nullopt; // dangling, or not a file: its reader says so
        }
        if (auto why = replaceable_by_others(real.parent_path(), euid)) {
            return *why + ", so another user could replace " + real.string();
        }
    }
    if (!trusted(st.st_uid)) {
        return real.string() + " is owned by uid " + std::to_string(st.st_uid) + " (fix: chown root " + real.string() +
               ")";
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        return real.string() + " is mode " + mode_text(st.st_mode) + ", writable by " +
               ((st.st_mode & S_IWOTH) != 0 ? "others" : "its group") + " (fix: chmod go-w " + real.string() + ")";
    }
    return std::nullopt;
}

// NOLINTNEXTLINE(misc-no-recursion): once at most, into a canonical path (no symlink left to follow)
std::optional<std::string> replaceable_by_others(const fs::path& dir, uid_t euid) {
    const auto trusted = [euid](uid_t uid) { return uid == 0 || uid == euid; };
    const auto who = [](uid_t uid) { return "uid " + std::to_string(uid); };
    // Component by component as given, so that a symlink on the way is seen
    // (and then followed: its target's components count too).
    std::error_code ec;
    const fs::path abs = fs::absolute(dir, ec).lexically_normal();
    if (ec) {
        throw Error(Errc::io, "cannot examine " + dir.string() + ": " + ec.message());
    }
    fs::path prefix;
    for (const auto& part : abs) {
        prefix /= part;
        struct stat st {};
        if (::lstat(prefix.c_str(), &st) != 0) {
            if (errno == ENOENT) {
                break; // made by this run, as root: fine
            }
            throw os_error("cannot examine " + prefix.string(), errno);
        }
        if (S_ISLNK(st.st_mode)) {
            if (!trusted(st.st_uid)) {
                return prefix.string() + " is a symlink owned by " + who(st.st_uid);
            }
            const fs::path target = fs::canonical(prefix, ec);
            if (ec) {
                throw Error(Errc::io, "cannot follow " + prefix.string() + ": " + ec.message());
            }
            if (auto why = replaceable_by_others(target, euid)) {
                return why;
            }
            if (::stat(prefix.c_str(), &st) != 0) {
                throw os_error("cannot examine " + prefix.string(), errno);
            }
        }
        if (!S_ISDIR(st.st_mode)) {
            continue; // the caller says it is not a directory
        }
        if (!trusted(st.st_uid)) {
            return prefix.string() + " is owned by " + who(st.st_uid);
        }
        if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0) {
            return prefix.string() + " is " + ((st.st_mode & S_IWOTH) != 0 ? "world" : "group") +
                   "-writable without the sticky bit";
        }
    }
    return std::nullopt;
}

} // namespace mxdane::store
