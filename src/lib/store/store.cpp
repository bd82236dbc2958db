#include "mxdane/store.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

#include "mxdane/error.h"
#include "mxdane/fd.h"
#include "mxdane/sys.h"

namespace mxdane::store {
namespace {

using sys::os_error;

/// A fully written and synced file under a temporary name; removed again
/// unless placed.
class StagedFile {
  public:
    explicit StagedFile(const NewFile& file) : m_final(file.path) {
        const fs::path dir = sys::dir_of(m_final);
        m_temp = sys::temp_name_for(m_final);
        // The final mode from the first byte: open() applies the umask, so
        // the mode can only be narrower; fchmod below sets it exactly.
        const Fd fd(::open(m_temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, file.mode & 0700));
        if (fd.get() < 0) {
            throw os_error("cannot create a file in " + dir.string(), errno);
        }
        m_created = true;
        // The constructor may throw from here on (a full disk, a file size
        // limit): no destructor runs then, so the file is removed here.
        try {
            fill(fd.get(), file);
        } catch (...) {
            ::unlink(m_temp.c_str());
            throw;
        }
    }

  private:
    /// Sets the group and mode of the new file and writes and syncs its content.
    void fill(int fd, const NewFile& file) const {
        if (file.group && ::fchown(fd, static_cast<uid_t>(-1), *file.group) != 0) {
            throw os_error("cannot give " + m_final.string() + " its group", errno);
        }
        if (::fchmod(fd, file.mode) != 0) {
            throw os_error("cannot set the mode of " + m_final.string(), errno);
        }
        const char* p = file.content.data();
        std::size_t left = file.content.size();
        while (left > 0) {
            const ssize_t n = ::write(fd, p, left);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                throw os_error("cannot write " + m_final.string(), errno);
            }
            p += n;
            left -= static_cast<std::size_t>(n);
        }
        if (::fsync(fd) != 0) {
            throw os_error("cannot sync " + m_final.string(), errno);
        }
    }

  public:
    StagedFile(const StagedFile&) = delete;
    StagedFile& operator=(const StagedFile&) = delete;
    StagedFile(StagedFile&& other) noexcept
        : m_final(std::move(other.m_final)), m_temp(std::move(other.m_temp)), m_created(other.m_created) {
        other.m_created = false;
    }
    StagedFile& operator=(StagedFile&&) = delete;
    ~StagedFile() {
        if (m_created) {
            ::unlink(m_temp.c_str());
        }
    }

    /// Links the temporary file under its final name; never replaces.
    void place() {
        // link(2) fails with EEXIST instead of replacing, on every file
        // system, which rename(2) does not promise without RENAME_NOREPLACE.
        if (::link(m_temp.c_str(), m_final.c_str()) != 0) {
            const int err = errno;
            if (err == EEXIST) {
                throw Error(Errc::exists, m_final.string() + " already exists; not overwriting it");
            }
            throw os_error("cannot create " + m_final.string(), err);
        }
        ::unlink(m_temp.c_str());
        m_created = false;
    }

    [[nodiscard]] const fs::path& final_path() const noexcept { return m_final; }

  private:
    fs::path m_final;
    fs::path m_temp;
    bool m_created = false;
};

void create_missing(const std::vector<fs::path>& missing, mode_t mode, mode_t parent_mode,
                    std::vector<fs::path>& created) {
    for (std::size_t i = missing.size(); i-- > 0;) {
        const fs::path& p = missing[i];
        // Only the leaf is private: a 0700 parent would hide a sibling such
        // as /etc/pki/tls/certs from the MTA's user (issue #2: "private 0700,
        // certs 0755").
        const mode_t m = i == 0 ? mode : parent_mode;
        if (::mkdir(p.c_str(), m & 0700U) != 0) {
            if (errno == EEXIST) {
                continue; // made by someone else meanwhile: not ours to chmod
            }
            throw os_error("cannot create directory " + p.string(), errno);
        }
        created.push_back(p);
        // mkdir applies the umask; the mode we promise is exact.
        if (::chmod(p.c_str(), m) != 0) {
            throw os_error("cannot set the mode of " + p.string(), errno);
        }
    }
}

} // namespace

Presence presence(const fs::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) == 0) {
        return {S_ISLNK(st.st_mode) ? Presence::Kind::symlink : Presence::Kind::file, 0};
    }
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
        return {Presence::Kind::absent, 0};
    }
    return {Presence::Kind::unknown, err};
}

Presence::Kind known_presence(const fs::path& p) {
    const Presence found = presence(p);
    if (found.kind == Presence::Kind::unknown) {
        throw os_error("cannot tell whether " + p.string() + " exists", found.error);
    }
    return found.kind;
}

bool exists_nofollow(const fs::path& p) {
    return known_presence(p) != Presence::Kind::absent;
}

bool taken_here_or_retired(const fs::path& p) {
    return exists_nofollow(p) || exists_nofollow(p.parent_path() / "retired" / p.filename());
}

fs::path retired_destination(const fs::path& from, const fs::path& retired) {
    struct stat a {};
    const bool from_there = ::lstat(from.c_str(), &a) == 0;
    const auto free_or_same = [&](const fs::path& to) {
        struct stat b {};
        if (::lstat(to.c_str(), &b) != 0) {
            return errno == ENOENT;
        }
        return from_there && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
    };
    fs::path first = retired / from.filename();
    if (free_or_same(first)) {
        return first;
    }
    const std::string stem = from.stem().string();
    const std::string ext = from.extension().string();
    for (int n = 2; n < 10000; ++n) {
        fs::path to = retired / (stem + "." + std::to_string(n) + ext);
        if (free_or_same(to)) {
            return to;
        }
    }
    throw Error(Errc::exists, "every name for " + from.filename().string() + " in " + retired.string() + " is taken");
}

std::string date_stamp(std::chrono::system_clock::time_point when) {
    const std::time_t t = std::chrono::system_clock::to_time_t(when);
    std::tm tm{};
    if (::localtime_r(&t, &tm) == nullptr) {
        throw Error(Errc::io, "cannot convert the time to a local date");
    }
    std::array<char, 16> buf{};
    const std::size_t n = std::strftime(buf.data(), buf.size(), "%Y%m%d", &tm);
    return {buf.data(), n};
}

std::string key_file_name(std::string_view host, std::string_view stamp) {
    return std::string(host) + "-MX-" + std::string(stamp) + ".key";
}

std::string cert_file_name(std::string_view host, std::string_view stamp) {
    return std::string(host) + "-MX-SS-" + std::string(stamp) + ".crt";
}

bool valid_stamp(std::string_view stamp) {
    auto digits = [](std::string_view s) {
        return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (stamp.size() < 8 || !digits(stamp.substr(0, 8))) {
        return false;
    }
    auto num = [](std::string_view s) {
        int v = 0;
        for (const char c : s) {
            v = v * 10 + (c - '0');
        }
        return v;
    };
    const int year = num(stamp.substr(0, 4));
    const int month = num(stamp.substr(4, 2));
    const int day = num(stamp.substr(6, 2));
    if (year < 1970 || month < 1 || month > 12 || day < 1) {
        return false;
    }
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    static constexpr std::array<int, 12> days_in{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (day > days_in.at(static_cast<std::size_t>(month - 1)) + (month == 2 && leap ? 1 : 0)) {
        return false;
    }
    if (stamp.size() == 8) {
        return true;
    }
    const std::string_view n = stamp.substr(9);
    // "-2" to "-999": the counter free names use (src/lib/rotation/rollover.cpp).
    return stamp[8] == '-' && digits(n) && n.size() <= 3 && n.front() != '0' && num(n) >= 2;
}

std::optional<std::string> key_stamp(std::string_view host, std::string_view file_name) {
    const std::string prefix = std::string(host) + "-MX-";
    const std::string_view suffix = ".key";
    if (file_name.size() <= prefix.size() + suffix.size() || file_name.substr(0, prefix.size()) != prefix ||
        file_name.substr(file_name.size() - suffix.size()) != suffix) {
        return std::nullopt;
    }
    const std::string_view stamp = file_name.substr(prefix.size(), file_name.size() - prefix.size() - suffix.size());
    if (!valid_stamp(stamp)) {
        return std::nullopt;
    }
    return std::string(stamp);
}

std::string stable_key_name(std::string_view host) {
    return std::string(host) + "-MX.key";
}

std::string stable_cert_name(std::string_view host) {
    return std::string(host) + "-MX.crt";
}

std::vector<fs::path> make_directories(const fs::path& dir, mode_t mode, mode_t parent_mode) {
    fs::path leaf = dir;
    while (!leaf.has_filename() && leaf.has_relative_path()) {
        leaf = leaf.parent_path(); // "keys/" is "keys", not a second directory
    }
    std::vector<fs::path> missing;
    for (fs::path p = leaf; !p.empty(); p = p.parent_path()) {
        struct stat st {};
        if (::stat(p.c_str(), &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                throw Error(Errc::io, p.string() + " is not a directory");
            }
            break;
        }
        if (errno != ENOENT && errno != ENOTDIR) { // ENOTDIR: walk up and name the file
            throw os_error("cannot use " + p.string(), errno);
        }
        missing.push_back(p);
        if (p == p.parent_path()) {
            break;
        }
    }
    std::vector<fs::path> created;
    try {
        create_missing(missing, mode, parent_mode, created);
    } catch (...) {
        // Leave the tree as it was: nothing half-made for the next run.
        for (auto it = created.rbegin(); it != created.rend(); ++it) {
            ::rmdir(it->c_str());
        }
        throw;
    }
    return created;
}

std::vector<fs::path> find_stale_temporaries(const fs::path& final_path) {
    std::vector<fs::path> found;
    const fs::path dir = final_path.parent_path().empty() ? fs::path(".") : final_path.parent_path();
    const std::string prefix = temp_prefix(final_path.filename().string());
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(prefix, 0) == 0 && !entry.is_symlink(ec) && entry.is_regular_file(ec)) {
            found.push_back(entry.path());
        }
    }
    std::sort(found.begin(), found.end());
    return found;
}

std::vector<fs::path> remove_stale_temporaries(const fs::path& final_path) {
    std::vector<fs::path> removed;
    for (const auto& p : find_stale_temporaries(final_path)) {
        if (::unlink(p.c_str()) == 0) {
            removed.push_back(p);
        }
    }
    return removed;
}

void install_all(const std::vector<NewFile>& files) {
    std::vector<StagedFile> staged;
    staged.reserve(files.size());
    for (const auto& f : files) {
        staged.emplace_back(f);
    }
    std::vector<fs::path> placed;
    try {
        for (auto& s : staged) {
            s.place();
            placed.push_back(s.final_path());
        }
        for (const auto& s : staged) {
            sys::sync_directory(sys::dir_of(s.final_path()));
        }
    } catch (...) {
        for (const auto& p : placed) {
            ::unlink(p.c_str());
        }
        throw;
    }
}

} // namespace mxdane::store
