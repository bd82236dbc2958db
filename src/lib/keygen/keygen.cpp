#include "mxdane/keygen.h"

#include <cerrno>
#include <cstring>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mxdane/error.h"
#include "mxdane/names.h"
#include "mxdane/store.h"

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
        throw Error(Errc::bad_input, "--key-group: no group named '" + names::printable(name) + "'");
    }
    return found->gr_gid;
}

bool exists_nofollow(const fs::path& p) {
    struct stat st {};
    return ::lstat(p.c_str(), &st) == 0;
}

/// Refuse before generating anything; name the leftovers of an interrupted
/// run so that the admin knows what they are.
void refuse_existing(const fs::path& key, const fs::path& cert) {
    const bool key_exists = exists_nofollow(key);
    const bool cert_exists = exists_nofollow(cert);
    if (key_exists && cert_exists) {
        throw Error(Errc::exists, key.string() + " and " + cert.string() +
                                      " already exist; not overwriting them (move them away first, "
                                      "or use another --key-dir/--cert-dir/--out)");
    }
    if (key_exists) {
        throw Error(Errc::exists, key.string() + " already exists without its certificate " + cert.string() +
                                      " (left by an interrupted run?); not overwriting it: move it away "
                                      "and run again");
    }
    if (cert_exists) {
        throw Error(Errc::exists, cert.string() + " already exists without its key " + key.string() +
                                      " (left by an interrupted run?); not overwriting it: move it away "
                                      "and run again");
    }
}

void require_writable(const fs::path& dir) {
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        const int err = errno;
        throw Error(err == EACCES || err == EPERM || err == EROFS ? Errc::permission : Errc::io,
                    "cannot write to " + dir.string() + ": " + std::strerror(err));
    }
}

std::vector<fs::path> prepare_dir(const fs::path& dir, mode_t mode, bool is_default) {
    try {
        auto created = store::make_directories(dir, mode);
        require_writable(dir);
        return created;
    } catch (const Error& e) {
        if (is_default && e.code() == Errc::permission) {
            throw Error(Errc::permission,
                        std::string(e.what()) + " (run as root, or choose a directory with --out DIR)");
        }
        throw;
    }
}

} // namespace

Result run(const Request& request) {
    Result result;
    if (request.names.empty()) {
        throw Error(Errc::bad_input, "keygen needs the MX host name");
    }
    result.names = names::normalize_hosts(request.names);
    if (request.days < x509::min_days || request.days > x509::max_days) {
        throw Error(Errc::bad_input, "--days must be between " + std::to_string(x509::min_days) + " and " +
                                         std::to_string(x509::max_days) + ", not " + std::to_string(request.days));
    }
    if (request.port == 0) {
        throw Error(Errc::bad_input, "--port must be between 1 and 65535");
    }
    std::optional<gid_t> group;
    if (request.key_group) {
        group = lookup_group(*request.key_group);
        result.key_mode = 0440;
    }
    result.key_type = request.key_type;
    const std::string& host = result.names.front();
    const std::string stamp = request.stamp ? *request.stamp : store::date_stamp(request.now);
    result.key_path = request.key_dir / store::key_file_name(host, stamp);
    result.cert_path = request.cert_dir / store::cert_file_name(host, stamp);

    if (!request.dry_run) {
        const bool default_dirs =
            request.key_dir == store::default_key_dir || request.cert_dir == store::default_cert_dir;
        refuse_existing(result.key_path, result.cert_path);
        result.created_dirs = prepare_dir(request.key_dir, private_dir_mode, default_dirs);
        for (auto& d : prepare_dir(request.cert_dir, cert_dir_mode, default_dirs)) {
            result.created_dirs.push_back(std::move(d));
        }
        struct stat st {};
        if (::stat(request.key_dir.c_str(), &st) == 0 && (st.st_mode & 0006U) != 0) {
            result.warnings.push_back("the key directory " + request.key_dir.string() +
                                      " is readable or writable by others; consider chmod o-rwx");
        }
        for (const auto& p : {result.key_path, result.cert_path}) {
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
    result.owner = tlsa::owner(host, request.port);
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
        result.written = true;
    }
    return result;
}

} // namespace mxdane::keygen
