#include "mxdane/keygen.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mxdane/error.h"
#include "mxdane/names.h"
#include "mxdane/store.h"
#include "mxdane/sys.h"

namespace mxdane::keygen {
namespace {

constexpr mode_t private_dir_mode = 0700;
constexpr mode_t cert_dir_mode = 0755;
constexpr mode_t cert_mode = 0644;

gid_t lookup_group(const std::string& name) {
    struct group grp {};
    struct group* found = nullptr;
    std::vector<char> buf(16384);
    const int rc = ::getgrnam_r(name.c_str(), &grp, buf.data(), buf.size(), &found);
    if (rc != 0 || found == nullptr) {
        throw SettingError(Errc::bad_input, Setting::key_group, name,
                           std::string(setting_words(Setting::key_group)) + ": no group named '" +
                               names::printable(name) + "'");
    }
    return found->gr_gid;
}

using Kind = store::Presence::Kind;

/// Present or absent; "cannot tell" stops the run with the reason: a key
/// directory this user may not search hides the key, it does not remove it.
Kind presence(const fs::path& p) {
    return store::known_presence(p);
}

std::string join_paths(const std::vector<fs::path>& paths) {
    std::string out;
    for (const auto& p : paths) {
        out += (out.empty() ? "" : ", ") + p.string();
    }
    return out;
}

/// Refuse before generating anything; name the leftovers of an interrupted
/// run (a lone file or a temporary) so that the admin knows what they are.
/// Refuses when the key or certificate is there; the message names every
/// temporary an interrupted run left, the stable names' (`stable`) too.
void refuse_existing(const fs::path& key, const fs::path& cert, const std::vector<fs::path>& stable) {
    for (const auto& p : {key, cert}) {
        if (presence(p) == Kind::symlink) {
            throw Error(Errc::exists, p.string() + " is a symbolic link; not writing through it (remove it first)");
        }
    }
    const bool key_exists = presence(key) == Kind::file;
    const bool cert_exists = presence(cert) == Kind::file;
    if (!key_exists && !cert_exists) {
        return;
    }
    auto temps = store::find_stale_temporaries(key);
    // A stable name's temporary is a symbolic link (store::replace_symlink),
    // which find_stale_temporaries leaves out: named here, never followed.
    for (const auto& base : stable) {
        const std::string prefix = store::temp_prefix(base.filename().string());
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(base.parent_path(), ec)) {
            if (entry.path().filename().string().rfind(prefix, 0) == 0 && entry.is_symlink(ec)) {
                temps.push_back(entry.path());
            }
        }
    }
    for (auto& t : store::find_stale_temporaries(cert)) {
        temps.push_back(std::move(t));
    }
    const std::string also = temps.empty() ? std::string() : "; also left by an interrupted run: " + join_paths(temps);
    if (key_exists && cert_exists) {
        throw Error(Errc::exists, key.string() + " and " + cert.string() +
                                      " already exist; not overwriting them (move them away first, "
                                      "or use another " +
                                      std::string(setting_words(Setting::key_dir)) + "/" +
                                      std::string(setting_words(Setting::cert_dir)) + "/" +
                                      std::string(setting_words(Setting::out_dir)) + ")" + also);
    }
    if (key_exists) {
        throw Error(Errc::exists, key.string() + " already exists without its certificate " + cert.string() +
                                      " (left by an interrupted run?); not overwriting it: move it away "
                                      "and run again" +
                                      also);
    }
    throw Error(Errc::exists, cert.string() + " already exists without its key " + key.string() +
                                  " (left by an interrupted run?); not overwriting it: move it away "
                                  "and run again" +
                                  also);
}

void require_writable(const fs::path& dir) {
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        const int err = errno;
        throw sys::os_error("cannot write to " + dir.string(), err);
    }
}

/// "keys/" -> "keys"; "" is refused (it would silently mean the current
/// directory).
fs::path clean_dir(const fs::path& dir, Setting setting) {
    if (dir.empty()) {
        throw SettingError(Errc::bad_input, setting, "", std::string(setting_words(setting)) + " needs a directory");
    }
    fs::path d = dir;
    while (!d.has_filename() && d.has_relative_path()) {
        d = d.parent_path();
    }
    // Absolute, so that the paths the MTA is given work from any directory.
    std::error_code ec;
    const fs::path a = fs::absolute(d, ec);
    return ec ? d : a.lexically_normal();
}

/// Points the stable names at the new files, certificate first (as
/// rollover's switch_to does). On failure removes what it made and throws.
void make_stable_names(const Result& r) {
    try {
        store::replace_symlink(r.stable_cert_path, r.cert_path);
        store::replace_symlink(r.stable_key_path, r.key_path);
    } catch (const Error&) {
        ::unlink(r.stable_cert_path.c_str());
        ::unlink(r.stable_key_path.c_str());
        throw;
    }
}

/// Directories this run created, removed again (if still empty) unless the
/// run succeeds: a refused or failed run leaves the tree as it found it.
class CreatedDirs {
  public:
    CreatedDirs() = default;
    CreatedDirs(const CreatedDirs&) = delete;
    CreatedDirs& operator=(const CreatedDirs&) = delete;
    CreatedDirs(CreatedDirs&&) = delete;
    CreatedDirs& operator=(CreatedDirs&&) = delete;
    ~CreatedDirs() {
        if (!m_keep) {
            for (auto it = m_dirs.rbegin(); it != m_dirs.rend(); ++it) {
                ::rmdir(it->c_str());
            }
        }
    }
    void add(std::vector<fs::path> dirs) {
        for (auto& d : dirs) {
            m_dirs.push_back(std::move(d));
        }
    }
    [[nodiscard]] bool contains(const fs::path& d) const {
        return std::find(m_dirs.begin(), m_dirs.end(), d) != m_dirs.end();
    }
    std::vector<fs::path> keep() {
        m_keep = true;
        return m_dirs;
    }

  private:
    std::vector<fs::path> m_dirs;
    bool m_keep = false;
};

/// Runs `step`; a permission error about the default directories gets the
/// way out appended.
template <class Step> auto with_default_hint(bool is_default, Step step) {
    try {
        return step();
    } catch (const Error& e) {
        if (is_default && e.code() == Errc::permission) {
            throw Error(Errc::permission, std::string(e.what()) +
                                              " (run as root, or choose a directory you can write with " +
                                              std::string(setting_words(Setting::out_dir)) + ")");
        }
        throw;
    }
}

std::vector<fs::path> prepare_dir(const fs::path& dir, mode_t mode, bool is_default) {
    return with_default_hint(is_default, [&] {
        auto created = store::make_directories(dir, mode);
        require_writable(dir);
        return created;
    });
}

} // namespace

Result run(const Request& request) {
    Result result;
    if (request.names.empty()) {
        throw Error(Errc::bad_input, "keygen needs the MX host name");
    }
    result.names = names::normalize_hosts(request.names);
    if (request.days < x509::min_days || request.days > x509::max_days) {
        throw SettingError(Errc::bad_input, Setting::days, std::to_string(request.days),
                           std::string(setting_words(Setting::days)) + " must be between " +
                               std::to_string(x509::min_days) + " and " + std::to_string(x509::max_days) + ", not " +
                               std::to_string(request.days));
    }
    if (request.port == 0) {
        throw SettingError(Errc::bad_input, Setting::port, "0",
                           std::string(setting_words(Setting::port)) + " must be between 1 and 65535");
    }
    const fs::path key_dir = clean_dir(request.key_dir, Setting::key_dir);
    const fs::path cert_dir = clean_dir(request.cert_dir, Setting::cert_dir);
    std::optional<gid_t> group;
    if (request.key_group) {
        group = lookup_group(*request.key_group);
        result.key_mode = 0440;
    }
    result.key_type = request.key_type;
    const std::string& host = result.names.front();
    const std::string stamp = request.stamp ? *request.stamp : store::date_stamp(request.now);
    // Refused before any key exists: the host must be able to carry the
    // TLSA records this run prints, and its files must be nameable.
    result.owner = tlsa::owner(host, request.port);
    result.key_path = key_dir / store::key_file_name(host, stamp);
    result.cert_path = cert_dir / store::cert_file_name(host, stamp);
    // Each file is written under a temporary name first (store::temp_prefix
    // plus a random suffix of 10 characters; 16 leaves a margin).
    constexpr std::size_t temp_suffix_reserve = 16;
    for (const auto& file : {result.key_path.filename().string(), result.cert_path.filename().string()}) {
        const std::size_t needed = store::temp_prefix(file).size() + temp_suffix_reserve;
        if (needed > NAME_MAX) {
            throw Error(Errc::bad_input, "the host name is too long for its files: " + file +
                                             " needs a temporary name of " + std::to_string(needed) +
                                             " octets, over the " + std::to_string(NAME_MAX) + " a file name may have");
        }
    }

    const bool is_default = key_dir == store::default_key_dir || cert_dir == store::default_cert_dir;
    if (request.stable_names) {
        result.stable_key_path = key_dir / store::stable_key_name(host);
        result.stable_cert_path = cert_dir / store::stable_cert_name(host);
    }
    // Stable names already there belong to a key in service: left alone.
    // A dry run only looks; a real run must know (absent, present, or an
    // error naming what it cannot see).
    auto stable_names_exist = [&] {
        if (request.dry_run) {
            return store::presence(result.stable_key_path).present() ||
                   store::presence(result.stable_cert_path).present();
        }
        return with_default_hint(is_default, [&] {
            return store::exists_nofollow(result.stable_key_path) || store::exists_nofollow(result.stable_cert_path);
        });
    };

    CreatedDirs dirs;
    if (!request.dry_run) {
        with_default_hint(is_default, [&] {
            std::vector<fs::path> stable;
            if (request.stable_names) {
                stable = {result.stable_key_path, result.stable_cert_path};
            }
            refuse_existing(result.key_path, result.cert_path, stable);
        });
    }
    if (request.stable_names) {
        result.stable = stable_names_exist() ? StableNames::existing : StableNames::made;
    }
    // Root writing a private key where another user could swap it (rename
    // their own file over it, or point a symlink elsewhere) would hand them
    // the key the MTA serves: refused before anything is made.
    if (const uid_t euid = ::geteuid(); euid == 0) {
        if (const auto why = store::replaceable_by_others(key_dir, euid)) {
            throw Error(Errc::refused, "refusing to write a private key into " + key_dir.string() + ": " + *why +
                                           ", so another user could replace the key; use a directory only root "
                                           "controls");
        }
    }
    if (!request.dry_run) {
        // The key directory first: when it is also the certificate
        // directory (--out), the private mode wins.
        dirs.add(prepare_dir(key_dir, private_dir_mode, key_dir == store::default_key_dir));
        if (group && dirs.contains(key_dir)) {
            // A key the MTA's group may read is useless in a directory it
            // cannot enter: a directory we made gets that group and 0750.
            if (::chown(key_dir.c_str(), static_cast<uid_t>(-1), *group) != 0 || ::chmod(key_dir.c_str(), 0750) != 0) {
                throw Error(Errc::permission, "cannot give " + key_dir.string() + " the group " + *request.key_group +
                                                  ": " + sys::error_text(errno));
            }
        }
        dirs.add(prepare_dir(cert_dir, cert_dir_mode, cert_dir == store::default_cert_dir));
        struct stat st {};
        if (::stat(key_dir.c_str(), &st) == 0 && (st.st_mode & 0006U) != 0) {
            result.warnings.push_back("the key directory " + key_dir.string() +
                                      " is readable or writable by others; consider chmod o-rwx " + key_dir.string());
        }
        std::vector<fs::path> finals{result.key_path, result.cert_path};
        if (result.stable == StableNames::made) {
            finals.push_back(result.stable_key_path);
            finals.push_back(result.stable_cert_path);
        }
        for (const auto& p : finals) {
            for (const auto& stale : store::remove_stale_temporaries(p)) {
                result.warnings.push_back("removed " + stale.string() +
                                          ", a temporary file left by an interrupted run");
            }
        }
    }

    const auto key = x509::generate_key(request.key_type);
    x509::CertProfile profile;
    profile.names = result.names;
    profile.days = request.days;
    profile.now = request.now;
    const auto cert = x509::make_self_signed(*key, profile);
    result.not_before = x509::to_time_point(*X509_get0_notBefore(cert.get()));
    result.not_after = x509::to_time_point(*X509_get0_notAfter(cert.get()));
    // 3 1 1 first: it pins the key and so survives a certificate renewal.
    result.records.push_back(
        tlsa::for_certificate(tlsa::Usage::dane_ee, tlsa::Selector::spki, tlsa::MatchingType::sha256, *cert));
    result.records.push_back(
        tlsa::for_certificate(tlsa::Usage::dane_ee, tlsa::Selector::cert, tlsa::MatchingType::sha256, *cert));

    if (!request.dry_run) {
        // The certificate goes in place first: if the run is killed between
        // the two, what is left is a public certificate, not a stray key.
        store::install_all({
            store::NewFile{result.cert_path, x509::certificate_pem(*cert), cert_mode, std::nullopt},
            store::NewFile{result.key_path, x509::private_key_pem(*key), result.key_mode, group},
        });
        if (result.stable == StableNames::made) {
            try {
                make_stable_names(result);
            } catch (const Error&) {
                // Leave the tree as found: no key without its stable names.
                ::unlink(result.key_path.c_str());
                ::unlink(result.cert_path.c_str());
                throw;
            }
        }
        result.written = true;
        result.created_dirs = dirs.keep();
    }
    return result;
}

} // namespace mxdane::keygen
