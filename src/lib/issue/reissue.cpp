// Reissue: a new certificate for a key in the rollover state, same key (the
// 3 1 1 record stays valid, RFC 7671 §5.1). The switch of the stable name,
// the reload and the live proof follow `rollover activate`, with the proof
// made against the new certificate's 3 0 1 so that it shows the MTA serves
// the new certificate, not just the same key.
#include "mxdane/reissue.h"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

#include "mxdane/error.h"
#include "mxdane/issue.h"
#include "mxdane/material.h"
#include "mxdane/names.h"
#include "mxdane/store.h"
#include "mxdane/sys.h"
#include "mxdane/x509.h"

namespace mxdane::reissue {
namespace {

constexpr mode_t cert_mode = 0644;

bool exists_nofollow(const fs::path& p) {
    struct stat st {};
    return ::lstat(p.c_str(), &st) == 0;
}

fs::path absolute_of(const fs::path& p) {
    std::error_code ec;
    const fs::path a = fs::absolute(p, ec);
    return ec ? p : a.lexically_normal();
}

/// <host>-MX-<kind>-<stamp>.crt with the first stamp of the day that no
/// file in the directory or in its retired/ holds.
fs::path free_cert_name(const rollover::Layout& l, const std::string& kind, TimePoint now) {
    const std::string day = store::date_stamp(now);
    for (int n = 1; n < 1000; ++n) {
        const std::string stamp = n == 1 ? day : day + "-" + std::to_string(n);
        const fs::path p = l.cert_dir / (l.host + "-MX-" + kind + "-" + stamp + ".crt");
        if (!store::taken_here_or_retired(p)) {
            return absolute_of(p);
        }
    }
    throw Error(Errc::exists, "every certificate name for " + l.host + " on " + day + " is taken");
}

/// True when `to` is not `from` itself (a link a cut move left behind).
bool retired_destination_is_new(const fs::path& from, const fs::path& to) {
    struct stat a {};
    struct stat b {};
    return ::lstat(from.c_str(), &a) != 0 || ::lstat(to.c_str(), &b) != 0 || a.st_dev != b.st_dev ||
           a.st_ino != b.st_ino;
}

/// Moves `cert` into retired/ beside it without replacing anything there.
fs::path retire_cert(const fs::path& cert) {
    const fs::path dir = cert.parent_path() / "retired";
    store::make_directories(dir, 0755);
    fs::path to = store::retired_destination(cert, dir);
    if (::link(cert.c_str(), to.c_str()) != 0) {
        const int err = errno;
        if (err != EEXIST || retired_destination_is_new(cert, to)) {
            throw Error(err == EEXIST ? Errc::exists : Errc::io,
                        "cannot move " + cert.string() + " to " + to.string() + ": " + sys::error_text(err));
        }
    }
    if (::unlink(cert.c_str()) != 0) {
        const int err = errno;
        throw Error(Errc::io, "cannot remove " + cert.string() + ": " + sys::error_text(err));
    }
    return to;
}

tlsa::Record record_301(X509& cert) {
    return tlsa::for_certificate(tlsa::Usage::dane_ee, tlsa::Selector::cert, tlsa::MatchingType::sha256, cert);
}

ossl::X509Ptr leaf_of(const std::string& pem_or_path, bool is_path) {
    x509::Material m = is_path ? x509::load_material_file(pem_or_path) : [&] {
        auto r = x509::load_material(pem_or_path);
        if (!r) {
            throw Error(Errc::crypto, "the new certificate does not parse: " + r.error());
        }
        return std::move(r).value();
    }();
    if (m.certs.empty()) {
        throw Error(Errc::bad_input, pem_or_path + " holds no certificate");
    }
    return std::move(m.certs.front());
}

} // namespace

TimePoint not_after(const fs::path& cert_file) {
    const auto cert = leaf_of(cert_file.string(), true);
    return x509::to_time_point(*X509_get0_notAfter(cert.get()));
}

TimePoint not_before(const fs::path& cert_file) {
    const auto cert = leaf_of(cert_file.string(), true);
    return x509::to_time_point(*X509_get0_notBefore(cert.get()));
}

bool self_signed(const fs::path& cert_file) {
    const auto cert = leaf_of(cert_file.string(), true);
    EVP_PKEY* key = X509_get0_pubkey(cert.get());
    // Names and signature, not X509_check_issued: keygen's profile has no
    // keyCertSign, which that function would hold against it.
    const bool yes = X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())) == 0 &&
                     key != nullptr && X509_verify(cert.get(), key) == 1;
    ossl::drain_errors();
    return yes;
}

std::string summary(const Result& r) {
    std::string names;
    for (const auto& n : r.names) {
        names += (names.empty() ? "" : ", ") + n;
    }
    return std::string(r.issued ? "issued by the issue command" : "self-signed") + ", valid until " +
           rotation::format_time(r.not_after) +
           (r.issued ? ", chain of " + std::to_string(r.chain_length) : std::string()) + "; names " + names;
}

Expected<Issuer> choose_issuer(const std::optional<Issuer>& configured, const rotation::KeyTimeline& in_service,
                               bool in_service_self_signed) {
    if (configured) {
        return *configured;
    }
    if (in_service.issuer) {
        return *in_service.issuer;
    }
    if (in_service_self_signed) {
        return Issuer{};
    }
    return Unexpected{"the certificate in service of key " + std::to_string(in_service.id) + " (" +
                      in_service.cert_file.string() +
                      ") comes from a CA, and no issuer is configured or recorded for it: a self-signed one in its "
                      "place would change what senders that check names (MTA-STS) accept; set " +
                      std::string(setting_words(Setting::issue_command)) + ", or choose " +
                      std::string(setting_words(Setting::self_issuer)) + " to renew it self-signed"};
}

std::string issuer_text(const Issuer& issuer) {
    return issuer.command.empty() ? std::string("self-signed") : "the issue command '" + issuer.command + "'";
}

bool due(const fs::path& cert_file, TimePoint now, std::chrono::seconds renew_before) {
    return not_after(cert_file) < now + renew_before;
}

Result run(const Request& request, rotation::State& state, MtaControl* mta) {
    const rollover::Layout& l = request.layout;
    rotation::KeyTimeline* key =
        request.which == Which::current ? rotation::current_key(state) : rotation::next_key(state);
    if (key == nullptr || (request.which == Which::next && !key->created)) {
        throw Error(Errc::refused, request.which == Which::current
                                       ? "no key is in service for " + l.host + " in the rollover state"
                                       : "no next key is staged for " + l.host);
    }
    if (request.which == Which::current && mta == nullptr) {
        throw Error(Errc::bad_input, "reissuing the certificate in service needs an MTA control");
    }
    if (!exists_nofollow(key->key_file)) {
        throw Error(Errc::io, "the key " + key->key_file.string() + " of key " + std::to_string(key->id) +
                                  " is missing; not reissuing its certificate");
    }
    const x509::Material km = x509::load_material_file(key->key_file.string());
    if (!km.private_key) {
        throw Error(Errc::bad_input, key->key_file.string() + " holds no private key");
    }
    EVP_PKEY& pkey = *km.private_key;
    if (tlsa::for_key(tlsa::Usage::dane_ee, tlsa::MatchingType::sha256, pkey) != key->record) {
        throw Error(Errc::refused, "the key " + key->key_file.string() + " is not the one the rollover state pins (" +
                                       tlsa::rdata_text(key->record) + "); not reissuing");
    }

    Result r;
    r.key_id = key->id;
    r.old_cert = key->cert_file;
    r.record_311 = key->record;
    const auto old = leaf_of(key->cert_file.string(), true);
    r.old_301 = record_301(*old);
    if (request.names.empty()) {
        r.names = x509::dns_names(*old);
        if (r.names.empty() || r.names.front() != l.host) {
            r.names.insert(r.names.begin(), l.host);
        }
    } else {
        r.names = request.names;
        r.names.insert(r.names.begin(), l.host);
    }
    r.names = names::normalize_hosts(r.names);

    std::string pem;
    if (request.issuer.command.empty()) {
        x509::CertProfile profile;
        profile.names = r.names;
        profile.days = request.days;
        profile.now = request.now;
        const auto cert = x509::make_self_signed(pkey, profile);
        pem = x509::certificate_pem(*cert);
        r.not_after = x509::to_time_point(*X509_get0_notAfter(cert.get()));
    } else {
        issue::Request ir;
        ir.command = request.issuer.command;
        ir.host = l.host;
        ir.names = r.names;
        ir.key = &pkey;
        ir.parent_dir = l.state_dir;
        ir.timeout = request.issuer.timeout;
        ir.min_left = request.renew_before;
        ir.now = request.now;
        ir.talk_fd = request.talk_fd;
        store::make_directories(l.state_dir, 0700);
        const issue::Accepted a = issue::issue(ir);
        pem = a.pem;
        r.not_after = a.not_after;
        r.issued = true;
        r.chain_length = a.chain_length;
    }
    r.new_301 = record_301(*leaf_of(pem, false));
    r.new_cert = free_cert_name(l, r.issued ? "CA" : "SS", request.now);
    store::install_all({store::NewFile{r.new_cert, pem, cert_mode, std::nullopt}});

    rotation::KeyTimeline updated = *key;
    updated.cert_file = r.new_cert;
    if (request.which == Which::current) {
        rotation::KeyTimeline before = *key;
        rollover::switch_to(l, updated);
        std::string why;
        // The proof pins the new certificate itself (3 0 1), not only the
        // unchanged key: the old certificate must not pass it.
        if (!mta->reload(why) || !mta->serves(r.new_301, why)) {
            rollover::switch_to(l, before);
            std::string again;
            (void)mta->reload(again);
            ::unlink(r.new_cert.c_str());
            throw Error(Errc::refused, "the MTA does not serve the new certificate (" + why + "); switched back to " +
                                           before.cert_file.filename().string() + ", nothing changed");
        }
    }
    key->cert_file = r.new_cert;
    key->issuer = request.issuer;
    rotation::save(l.state_file(), state);
    // The new certificate is in service and recorded: a failure from here
    // on is the clean-up's alone, said as such, never a failed reissue.
    try {
        if (exists_nofollow(r.old_cert)) {
            r.retired_cert = retire_cert(r.old_cert);
        }
    } catch (const Error& e) {
        r.cleanup_error = e.what();
    }
    return r;
}

} // namespace mxdane::reissue
