// File operations of a rollover (issue #5). The order of every multi-step
// change is chosen so that an interruption leaves something the next run can
// continue from: the state names a key before its files exist, the stable
// names always point at a complete pair.
#include "mxdane/rollover.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <regex>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "mxdane/error.h"
#include "mxdane/keygen.h"
#include "mxdane/store.h"
#include "mxdane/tlsa.h"

namespace mxdane::rollover {
namespace {

ossl::X509Ptr read_cert(const fs::path& p) {
    const ossl::BioPtr bio(BIO_new_file(p.c_str(), "r"));
    if (!bio) {
        ossl::drain_errors();
        throw Error(Errc::io, "cannot read the certificate " + p.string() + ": " + std::strerror(errno));
    }
    ossl::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
        ossl::drain_errors();
        throw Error(Errc::io, p.string() + " is not a PEM certificate");
    }
    return cert;
}

ossl::EvpPkeyPtr read_key(const fs::path& p) {
    const ossl::BioPtr bio(BIO_new_file(p.c_str(), "r"));
    if (!bio) {
        ossl::drain_errors();
        throw Error(Errc::io, "cannot read the private key " + p.string() + ": " + std::strerror(errno));
    }
    // PKCS#8 and the PKCS#1 "RSA PRIVATE KEY" older scripts wrote.
    ossl::EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) {
        ossl::drain_errors();
        throw Error(Errc::io, p.string() + " is not an unencrypted PEM private key");
    }
    return key;
}

/// The 3 1 1 record of a certificate whose key is `key_file`; throws when
/// they do not belong together.
tlsa::Record checked_pair(const fs::path& key_file, const fs::path& cert_file) {
    const auto cert = read_cert(cert_file);
    const auto key = read_key(key_file);
    if (X509_check_private_key(cert.get(), key.get()) != 1) {
        ossl::drain_errors();
        throw Error(Errc::bad_input,
                    "the key " + key_file.string() + " does not belong to the certificate " + cert_file.string());
    }
    return tlsa::for_certificate(tlsa::Usage::dane_ee, tlsa::Selector::spki, tlsa::MatchingType::sha256, *cert);
}

bool exists_nofollow(const fs::path& p) {
    struct stat st {};
    return ::lstat(p.c_str(), &st) == 0;
}

fs::path absolute_of(const fs::path& p) {
    std::error_code ec;
    const fs::path a = fs::absolute(p, ec);
    return ec ? p : a.lexically_normal();
}

/// The target of a stable symlink as an absolute path, or nullopt.
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

/// The newest pair named <host>-MX-<stamp>.key / <host>-MX-SS-<stamp>.crt.
std::optional<std::pair<fs::path, fs::path>> newest_dated_pair(const Layout& l) {
    std::string host_re;
    for (const char c : l.host) {
        host_re += (c == '.' || c == '-') ? std::string("\\") + c : std::string(1, c);
    }
    const std::regex key_re(host_re + "-MX-([0-9]{8})(-([0-9]+))?\\.key");
    std::vector<std::tuple<std::string, long, fs::path>> found;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(l.key_dir, ec)) {
        std::smatch m;
        const std::string name = e.path().filename().string();
        if (std::regex_match(name, m, key_re)) {
            const std::string stamp = m[1].str() + m[2].str();
            const fs::path cert = l.cert_dir / (l.host + "-MX-SS-" + stamp + ".crt");
            if (exists_nofollow(cert)) {
                found.emplace_back(m[1].str(), m[3].matched ? std::stol(m[3].str()) : 1, e.path());
            }
        }
    }
    if (found.empty()) {
        return std::nullopt;
    }
    const auto& best = *std::max_element(found.begin(), found.end(), [](const auto& a, const auto& b) {
        return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
    });
    const std::string key_name = std::get<2>(best).filename().string();
    const std::string stamp = key_name.substr(l.host.size() + 4, key_name.size() - l.host.size() - 4 - 4);
    return std::make_pair(absolute_of(std::get<2>(best)),
                          absolute_of(l.cert_dir / (l.host + "-MX-SS-" + stamp + ".crt")));
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

/// The DNS names of a certificate's SAN, in order.
std::vector<std::string> dns_names(const fs::path& cert_file) {
    const auto cert = read_cert(cert_file);
    std::vector<std::string> out;
    const ossl::GeneralNamesPtr names(
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
    if (!names) {
        return out;
    }
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
        if (gn->type == GEN_DNS) {
            const ASN1_STRING* s = gn->d.dNSName;
            out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(
                                 s)), // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): ASN.1 IA5String bytes
                             static_cast<std::size_t>(ASN1_STRING_length(s)));
        }
    }
    return out;
}

void move_no_replace(const fs::path& from, const fs::path& to) {
    if (::link(from.c_str(), to.c_str()) != 0) {
        const int err = errno;
        throw Error(err == EEXIST ? Errc::exists : Errc::io,
                    "cannot move " + from.string() + " to " + to.string() + ": " + std::strerror(err));
    }
    if (::unlink(from.c_str()) != 0) {
        const int err = errno;
        throw Error(Errc::io, "cannot remove " + from.string() + ": " + std::strerror(err));
    }
}

} // namespace

std::string free_stamp(const Layout& layout, TimePoint now) {
    const std::string day = store::date_stamp(now);
    for (int n = 1; n < 1000; ++n) {
        const std::string stamp = n == 1 ? day : day + "-" + std::to_string(n);
        if (!exists_nofollow(layout.key_dir / store::key_file_name(layout.host, stamp)) &&
            !exists_nofollow(layout.cert_dir / store::cert_file_name(layout.host, stamp))) {
            return stamp;
        }
    }
    throw Error(Errc::exists, "every file name for " + layout.host + " on " + day + " is taken");
}

InitResult init(const InitRequest& request) {
    const Layout& l = request.layout;
    if (exists_nofollow(l.state_file())) {
        throw Error(Errc::exists, "the rollover of " + l.host + " is already set up (" + l.state_file().string() +
                                      "); see 'mxdane rollover status " + l.host + "'");
    }
    InitResult r;
    if (request.key || request.cert) {
        if (!request.key || !request.cert) {
            throw Error(Errc::bad_input, "--key and --cert go together");
        }
        r.key = absolute_of(*request.key);
        r.cert = absolute_of(*request.cert);
        r.how_found = "as given";
    } else if (auto k = link_target(l.stable_key()), c = link_target(l.stable_cert()); k && c) {
        r.key = *k;
        r.cert = *c;
        r.how_found = "from the stable names";
    } else if (auto pair = newest_dated_pair(l)) {
        r.key = pair->first;
        r.cert = pair->second;
        r.how_found = "the newest dated pair";
    } else {
        throw Error(Errc::io, "found no key and certificate for " + l.host + " in " + l.key_dir.string() + " and " +
                                  l.cert_dir.string() + " (named <host>-MX-<YYYYMMDD>.key and " +
                                  "<host>-MX-SS-<YYYYMMDD>.crt); name them with --key and --cert");
    }
    rotation::KeyTimeline k;
    k.id = 1;
    k.key_file = r.key;
    k.cert_file = r.cert;
    k.record = checked_pair(r.key, r.cert);
    const auto cert = read_cert(r.cert);
    k.created = x509::to_time_point(*X509_get0_notBefore(cert.get()));
    k.active = request.now;
    r.state.host = l.host;
    r.state.port = request.port;
    r.state.keys.push_back(k);

    store::make_directories(l.state_dir, 0700);
    switch_to(l, k);
    rotation::save(l.state_file(), r.state);
    return r;
}

rotation::KeyTimeline stage(const StageRequest& request, rotation::State& state) {
    const Layout& l = request.layout;
    const rotation::KeyTimeline* cur = rotation::current_key(state);
    if (rotation::old_key(state) != nullptr) {
        throw Error(Errc::refused, "the previous rollover is not finished: retire the old key first "
                                   "('mxdane rollover retire " +
                                       l.host + "')");
    }
    if (rotation::KeyTimeline* pending = rotation::next_key(state); pending != nullptr) {
        if (pending->created) {
            throw Error(Errc::refused, "a next key is already staged (" + pending->key_file.string() +
                                           "); go on with 'mxdane rollover status " + l.host + "'");
        }
        // An interrupted stage: its files may be complete, partial or absent.
        if (exists_nofollow(pending->key_file) && exists_nofollow(pending->cert_file)) {
            pending->record = checked_pair(pending->key_file, pending->cert_file);
            pending->created = request.now;
            rotation::save(l.state_file(), state);
            return *pending;
        }
        // Only files this stage recorded as its own are removed.
        ::unlink(pending->cert_file.c_str());
        ::unlink(pending->key_file.c_str());
    }
    if (cur == nullptr) {
        throw Error(Errc::refused, "no key is in service for " + l.host + "; run 'mxdane rollover init' first");
    }

    keygen::Request kg;
    kg.names = dns_names(cur->cert_file);
    if (kg.names.empty() || kg.names.front() != l.host) {
        kg.names.insert(kg.names.begin(), l.host);
    }
    kg.key_type = request.key_type ? *request.key_type : key_type_of(cur->key_file).value_or(x509::KeyType::rsa3072);
    kg.days = request.days;
    kg.key_group = request.key_group;
    kg.port = state.port;
    kg.key_dir = l.key_dir;
    kg.cert_dir = l.cert_dir;
    kg.now = request.now;
    kg.stamp = free_stamp(l, request.now);

    rotation::KeyTimeline* next = rotation::next_key(state);
    if (next == nullptr) {
        rotation::KeyTimeline fresh;
        std::uint32_t max_id = 0;
        for (const auto& k : state.keys) {
            max_id = std::max(max_id, k.id);
        }
        fresh.id = max_id + 1;
        state.keys.push_back(fresh);
        next = &state.keys.back();
    }
    next->key_file = absolute_of(l.key_dir / store::key_file_name(l.host, *kg.stamp));
    next->cert_file = absolute_of(l.cert_dir / store::cert_file_name(l.host, *kg.stamp));
    next->record = tlsa::Record{3, 1, 1, tlsa::Bytes(32, 0)}; // placeholder until the key exists
    // The state names the files before they exist: an interrupted run is
    // recognised and resumed by the next one.
    rotation::save(l.state_file(), state);

    const keygen::Result made = keygen::run(kg);
    next->record = made.records.front();
    next->created = request.now;
    rotation::save(l.state_file(), state);
    return *next;
}

void switch_to(const Layout& layout, const rotation::KeyTimeline& key) {
    // Certificate first: an MTA that restarts between the two renames sees
    // a new certificate with the old key and fails its TLS setup for one
    // process rather than serving a key DNS does not know.
    store::replace_symlink(layout.stable_cert(), key.cert_file);
    store::replace_symlink(layout.stable_key(), key.key_file);
}

RetireResult retire(const Layout& layout, rotation::KeyTimeline& old, bool delete_files, TimePoint now) {
    RetireResult r;
    if (link_target(layout.stable_key()) == absolute_of(old.key_file)) {
        throw Error(Errc::refused, "the stable name " + layout.stable_key().string() +
                                       " still points at the old key; not retiring it");
    }
    if (delete_files) {
        for (const auto& f : {old.key_file, old.cert_file}) {
            if (::unlink(f.c_str()) != 0 && errno != ENOENT) {
                throw Error(Errc::io, "cannot delete " + f.string() + ": " + std::strerror(errno));
            }
        }
    } else {
        const fs::path key_dest_dir = old.key_file.parent_path() / "retired";
        const fs::path cert_dest_dir = old.cert_file.parent_path() / "retired";
        store::make_directories(key_dest_dir, 0700);
        store::make_directories(cert_dest_dir, 0755);
        if (exists_nofollow(old.key_file)) {
            r.key = key_dest_dir / old.key_file.filename();
            move_no_replace(old.key_file, *r.key);
            if (::chmod(r.key->c_str(), 0400) != 0) {
                throw Error(Errc::io, "cannot set the mode of " + r.key->string() + ": " + std::strerror(errno));
            }
        }
        if (exists_nofollow(old.cert_file)) {
            r.cert = cert_dest_dir / old.cert_file.filename();
            move_no_replace(old.cert_file, *r.cert);
        }
    }
    old.removed = now;
    return r;
}

} // namespace mxdane::rollover
