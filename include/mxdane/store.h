// Where key material lives on disk, and how it gets there without ever
// overwriting a key or leaving a half-written file under a final name.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "mxdane/sys.h"

namespace mxdane::store {

namespace fs = std::filesystem;

inline const fs::path default_key_dir{"/etc/pki/tls/private"};
inline const fs::path default_cert_dir{"/etc/pki/tls/certs"};

/// What is at a path, without following a final symbolic link. "Is it
/// there?" has three answers: absent, present, or cannot tell (a directory
/// on the way that this user may not search, an I/O error). "Cannot tell"
/// is never read as "absent": a check that did so would report a file that
/// exists, but is hidden from this user, as missing.
struct Presence {
    enum class Kind { absent, file, symlink, unknown };
    Kind kind = Kind::absent;
    int error = 0; ///< errno of lstat when kind is unknown
    [[nodiscard]] bool present() const noexcept { return kind == Kind::file || kind == Kind::symlink; }
};

/// lstat(2) of `p`: ENOENT and ENOTDIR are absent, any other failure is
/// unknown with its errno. Directories count as files.
Presence presence(const fs::path& p);

/// presence(p) when it is known (absent, file or symlink); throws
/// Error(permission) or Error(io) "cannot tell whether P exists: <reason>"
/// when it is not.
Presence::Kind known_presence(const fs::path& p);

/// known_presence(p) != absent: true when `p` is there as anything (links
/// not followed); throws when that cannot be known.
bool exists_nofollow(const fs::path& p);

/// True when `p` or `retired/<name of p>` beside it exists (links not
/// followed): a dated name is free only when no file of that name was ever
/// moved out of service, so a later move to retired/ cannot clash (issue
/// #23).
bool taken_here_or_retired(const fs::path& p);

/// Where `from` goes in the directory `retired`: `retired/<name>`, or,
/// when another file holds that name, `retired/<stem>.<N><ext>` with the
/// first free N from 2. A name that already is `from` itself (a move cut
/// between its link and its unlink) is kept, so a rerun finishes it.
fs::path retired_destination(const fs::path& from, const fs::path& retired);

/// YYYYMMDD of `when` in the local time zone (the seed script's stamp).
std::string date_stamp(std::chrono::system_clock::time_point when);

/// The seed script's names: <HOST>-MX-<YYYYMMDD>.key and
/// <HOST>-MX-SS-<YYYYMMDD>.crt.
std::string key_file_name(std::string_view host, std::string_view stamp);
std::string cert_file_name(std::string_view host, std::string_view stamp);

/// True for a stamp these names can carry: "YYYYMMDD" (a real date, years
/// 1970 to 9999) optionally followed by "-N", N from 2 to 999 (a second key
/// the same day). Strict: no signs, no spaces, no leading zeros in N.
bool valid_stamp(std::string_view stamp);

/// The stamp of `<host>-MX-<stamp>.key`, or nullopt when `file_name` is not
/// exactly that with a valid stamp.
std::optional<std::string> key_stamp(std::string_view host, std::string_view file_name);

/// fsync() of a directory (one implementation, in sys).
using sys::sync_directory;

/// Why another user could replace a file written into `dir`, or nullopt
/// when nobody but root and `euid` can. Checked on every component of the
/// path that exists (the rest is made by the caller): a directory owned by
/// someone else, one that is group- or world-writable without the sticky
/// bit, or a symlink on the way owned by someone else. Meant for root
/// writing private keys (README "Where keys may go"); throws Error(io) when
/// a component cannot be examined.
std::optional<std::string> replaceable_by_others(const fs::path& dir, uid_t euid);

/// Why a file that decides what mxdane does (the settings file, whose
/// commands run as root; the rollover state, whose times decide the waits)
/// could have been written by another user, or nullopt when only root and
/// `euid` could: the file (or a symlink to it) owned by someone else, the
/// file group- or world-writable, or its directory replaceable_by_others.
/// The reason names the file, its owner and mode and the commands that fix
/// it: "/etc/mxdane/mx1.conf is mode 0666, writable by others (fix: chmod
/// go-w /etc/mxdane/mx1.conf)". A file that cannot be examined (missing,
/// or in a directory this user may not search) or is not a regular file is
/// nullopt: its reader says why it cannot read it. Throws Error(io) when a component cannot be examined.
std::optional<std::string> untrusted_input(const fs::path& file, uid_t euid);

/// The stable names the MTA is configured with, <HOST>-MX.key and
/// <HOST>-MX.crt: symlinks to the dated files of the key in service, so
/// that a key rotation never edits the MTA's configuration.
std::string stable_key_name(std::string_view host);
std::string stable_cert_name(std::string_view host);

/// Creates `dir` with `mode` and any missing parents with `parent_mode`
/// (only the ones it creates; existing parents keep theirs), modes exact
/// whatever the umask. Returns the directories created, outermost first.
/// Throws Error(permission|io).
std::vector<fs::path> make_directories(const fs::path& dir, mode_t mode, mode_t parent_mode = 0755);

/// One file to install: its final path, bytes, mode and optional group.
struct NewFile {
    fs::path path;
    std::string content;
    mode_t mode = 0600;
    std::optional<gid_t> group;
};

/// The temporary-name prefix used for `final_name` (one implementation, in sys).
using sys::temp_prefix;

/// Temporary files an interrupted run left for `final_path` (never a file
/// under a final name), sorted.
std::vector<fs::path> find_stale_temporaries(const fs::path& final_path);

/// Removes what find_stale_temporaries finds. Returns what it removed.
std::vector<fs::path> remove_stale_temporaries(const fs::path& final_path);

/// Installs every file or none: each is written to a temporary name in its
/// directory (O_CREAT|O_EXCL|O_NOFOLLOW, final mode from the first byte),
/// fsynced, then linked into place without replacing anything, and the
/// directory fsynced. Files are put in place in the order given; if one
/// fails, those already placed are removed again. Throws Error(exists) when
/// a final name is taken, Error(permission|io) otherwise.
void install_all(const std::vector<NewFile>& files);

} // namespace mxdane::store

namespace mxdane::store {

/// Replaces (or creates) a file that is meant to change, such as a state
/// file: temporary file with the final mode, fsync, rename over the old one,
/// fsync the directory. A reader sees the old or the new content, never a
/// mix. Throws Error(permission|io).
void replace_file(const fs::path& path, std::string_view content, mode_t mode);

/// Points the symlink `link` at `target` atomically (new link under a
/// temporary name, then rename over the old link), so that `link` never
/// dangles and never is missing. Refuses to replace anything but a symlink.
void replace_symlink(const fs::path& link, const fs::path& target);

} // namespace mxdane::store

namespace mxdane::store {

/// An exclusive advisory lock (flock) on a file, held for the object's
/// life. `try_lock` returns nullopt when another process holds it.
class FileLock {
  public:
    static std::optional<FileLock> try_lock(const fs::path& path);
    FileLock(FileLock&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }
    FileLock& operator=(FileLock&&) = delete;
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    ~FileLock();

  private:
    explicit FileLock(int fd) : m_fd(fd) {}
    int m_fd;
};

} // namespace mxdane::store
