// Reading and checking the key files a rollover state names
// (rollover_files.h).
#include "rollover_files.h"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <tuple>
#include <unistd.h>

#include "mxdane/error.h"
#include "mxdane/material.h"
#include "mxdane/store.h"
#include "mxdane/sys.h"

namespace mxdane::rollover {
namespace {

/// The bytes of a regular file opened without following a symlink, so that
/// what is checked is what is used (sys::read_file's errors: refused for a
/// symlink, bad_input for anything but a regular file or over 1 MiB).
std::string read_regular(const fs::path& p, const std::string& what) {
    return sys::read_file(p, {what, sys::mib, false, true});
}

/// The one loader `tlsa` uses (x509::load_material): PEM or DER, PKCS#8 or
/// the PKCS#1 "RSA PRIVATE KEY" older scripts wrote; encrypted keys are
/// refused, never prompted for.
x509::Material load(const fs::path& p, const std::string& what) {
    auto m = x509::load_material(read_regular(p, what));
    if (!m) {
        throw Error(Errc::bad_input, p.string() + ": " + m.error());
    }
    return std::move(m).value();
}

} // namespace

ossl::X509Ptr read_cert(const fs::path& p) {
    auto m = load(p, "certificate");
    if (m.certs.empty()) {
        throw Error(Errc::bad_input, p.string() + " is not a certificate (it holds a " +
                                         std::string(x509::material_kind_label(m.kind)) + ")");
    }
    return std::move(m.certs.front());
}

ossl::EvpPkeyPtr read_key(const fs::path& p) {
    auto m = load(p, "private key");
    if (!m.private_key) {
        throw Error(Errc::bad_input, p.string() + " is not a private key (it holds a " +
                                         std::string(x509::material_kind_label(m.kind)) + ")");
    }
    return std::move(m.private_key);
}

tlsa::Record checked_pair(const fs::path& key_file, const fs::path& cert_file) {
    const auto cert = read_cert(cert_file);
    const auto key = read_key(key_file);
    if (X509_check_private_key(cert.get(), key.get()) != 1) {
        ossl::drain_errors();
        throw Error(Errc::bad_input,
                    "the key " + key_file.string() + " does not belong to the certificate " + cert_file.string());
    }
    return tlsa::for_key(tlsa::Usage::dane_ee, tlsa::MatchingType::sha256, *key);
}

bool exists_nofollow(const fs::path& p) {
    return store::exists_nofollow(p);
}

fs::path absolute_of(const fs::path& p) {
    std::error_code ec;
    const fs::path a = fs::absolute(p, ec);
    return ec ? p : a.lexically_normal();
}

std::optional<fs::path> link_target(const fs::path& link) {
    std::error_code ec;
    if (!fs::is_symlink(fs::symlink_status(link, ec))) {
        return std::nullopt;
    }
    fs::path t = fs::read_symlink(link, ec);
    if (ec) {
        return std::nullopt;
    }
    return absolute_of(t.is_absolute() ? t : link.parent_path() / t);
}

std::string key_label(const rotation::KeyTimeline& k) {
    return "key " + std::to_string(k.id);
}

void check_confined(const Layout& l, const rotation::KeyTimeline& k) {
    const std::pair<const fs::path*, fs::path> files[] = {{&k.key_file, absolute_of(l.key_dir)},
                                                          {&k.cert_file, absolute_of(l.cert_dir)}};
    for (const auto& [file, dir] : files) {
        const fs::path f = absolute_of(*file);
        if (f != *file || f.parent_path() != dir || f.filename().empty()) {
            throw Error(Errc::refused, "the rollover state names " + file->string() + " for " + key_label(k) +
                                           ", which is not a file directly in " + dir.string() +
                                           "; refusing to touch it (nothing was changed)");
        }
        struct stat st {};
        if (::lstat(file->c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
            throw Error(Errc::refused, "the rollover state names " + file->string() + " for " + key_label(k) +
                                           ", which is " + (S_ISLNK(st.st_mode) ? "a symlink" : "not a regular file") +
                                           "; refusing to touch it (nothing was changed)");
        }
    }
}

void check_key_files(const Layout& l, const rotation::KeyTimeline& k, bool read_keys) {
    check_confined(l, k);
    if (!read_keys) {
        const tlsa::Record in_cert = tlsa::for_certificate(tlsa::Usage::dane_ee, tlsa::Selector::spki,
                                                           tlsa::MatchingType::sha256, *read_cert(k.cert_file));
        if (in_cert != k.record) {
            throw Error(Errc::refused, "the certificate " + k.cert_file.string() + " of " + key_label(k) +
                                           " has the record " + tlsa::rdata_text(in_cert) + ", not " +
                                           tlsa::rdata_text(k.record) +
                                           " as the rollover state says; refusing to use it (nothing was changed)");
        }
        return;
    }
    const tlsa::Record on_disk = checked_pair(k.key_file, k.cert_file);
    if (on_disk != k.record) {
        throw Error(Errc::refused, "the key file " + k.key_file.string() + " of " + key_label(k) + " has the record " +
                                       tlsa::rdata_text(on_disk) + ", not " + tlsa::rdata_text(k.record) +
                                       " as the rollover state says; refusing to use it (nothing was changed)");
    }
}

void check_old_key_files(const Layout& l, const rotation::KeyTimeline& k, bool read_keys) {
    check_confined(l, k);
    const bool key_here = exists_nofollow(k.key_file);
    const bool cert_here = exists_nofollow(k.cert_file);
    if (key_here && cert_here) {
        check_key_files(l, k, read_keys);
        return;
    }
    if (!read_keys && key_here) {
        return; // only its key is left: nothing a look may read
    }
    if (!key_here && !cert_here) {
        return;
    }
    const fs::path& f = key_here ? k.key_file : k.cert_file;
    const tlsa::Record on_disk = key_here
                                     ? tlsa::for_key(tlsa::Usage::dane_ee, tlsa::MatchingType::sha256, *read_key(f))
                                     : tlsa::for_certificate(tlsa::Usage::dane_ee, tlsa::Selector::spki,
                                                             tlsa::MatchingType::sha256, *read_cert(f));
    if (on_disk != k.record) {
        throw Error(Errc::refused, "the file " + f.string() + " of " + key_label(k) +
                                       " does not carry the recorded key; refusing to touch it");
    }
}

void move_no_replace(const fs::path& from, const fs::path& to) {
    if (::link(from.c_str(), to.c_str()) != 0) {
        const int err = errno;
        struct stat a {};
        struct stat b {};
        const bool same = err == EEXIST && ::lstat(from.c_str(), &a) == 0 && ::lstat(to.c_str(), &b) == 0 &&
                          a.st_dev == b.st_dev && a.st_ino == b.st_ino;
        if (!same) {
            throw Error(err == EEXIST ? Errc::exists : Errc::io,
                        "cannot move " + from.string() + " to " + to.string() + ": " + sys::error_text(err));
        }
    }
    store::sync_directory(to.parent_path());
    if (::unlink(from.c_str()) != 0) {
        const int err = errno;
        throw Error(Errc::io, "cannot remove " + from.string() + ": " + sys::error_text(err));
    }
    store::sync_directory(from.parent_path());
}

std::optional<std::pair<fs::path, fs::path>> newest_dated_pair(const Layout& l) {
    // (date, same-day counter) orders the stamps: "20260101" < "20260101-2".
    std::optional<std::tuple<std::string, int, std::string>> best;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(l.key_dir, ec)) {
        const auto stamp = store::key_stamp(l.host, e.path().filename().string());
        if (!stamp || !exists_nofollow(l.cert_dir / store::cert_file_name(l.host, *stamp))) {
            continue;
        }
        int counter = 1;
        for (std::size_t i = 9; i < stamp->size(); ++i) { // at most 3 digits (store::valid_stamp)
            counter = (i == 9 ? 0 : counter * 10) + ((*stamp)[i] - '0');
        }
        auto candidate = std::make_tuple(stamp->substr(0, 8), counter, *stamp);
        if (!best || candidate > *best) {
            best = std::move(candidate);
        }
    }
    if (!best) {
        return std::nullopt;
    }
    const std::string& stamp = std::get<2>(*best);
    return std::make_pair(absolute_of(l.key_dir / store::key_file_name(l.host, stamp)),
                          absolute_of(l.cert_dir / store::cert_file_name(l.host, stamp)));
}

std::optional<x509::KeyType> key_type_of(const fs::path& key_file) {
    const auto key = read_key(key_file);
    const int bits = EVP_PKEY_get_bits(key.get());
    if (EVP_PKEY_is_a(key.get(), "RSA") == 1) {
        return bits <= 2048 ? x509::KeyType::rsa2048 : bits <= 3072 ? x509::KeyType::rsa3072 : x509::KeyType::rsa4096;
    }
    if (EVP_PKEY_is_a(key.get(), "EC") == 1) {
        return bits <= 256 ? x509::KeyType::p256 : x509::KeyType::p384;
    }
    return std::nullopt;
}

} // namespace mxdane::rollover
