// File operations of a rollover (issue #5). The order of every multi-step
// change is chosen so that an interruption leaves something the next run can
// continue from: the state names a key (as incomplete, without a record)
// before its files exist, the stable names always point at complete files,
// a half-done move is recognised and finished. Nothing in the state file is
// trusted: paths must lie in the host's directories, keys must hash to their
// recorded records before anything touches them (README, "Rollover").
#include "mxdane/rollover.h"
#include "mxdane/sys.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <grp.h>
#include <limits>
#include <sys/stat.h>
#include <thread>
#include <tuple>
#include <unistd.h>

#include <openssl/pem.h>

#include "mxdane/error.h"
#include "mxdane/fd.h"
#include "mxdane/keygen.h"
#include "mxdane/material.h"
#include "mxdane/store.h"
#include "mxdane/tlsa.h"

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

/// The 3 1 1 record of `key_file`'s public key, after checking that the
/// certificate `cert_file` carries that key. The record comes from the key
/// file alone.
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

/// Absent or present; "cannot tell" (permission denied) throws.
bool exists_nofollow(const fs::path& p) {
    return store::exists_nofollow(p);
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

std::string key_label(const rotation::KeyTimeline& k) {
    return "key " + std::to_string(k.id);
}

/// Refuses (naming the path) a key whose files lie outside the host's
/// directories: the state file is not trusted to point anywhere else.
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

/// Confined, regular, and the key file's public key hashes to the recorded
/// 3 1 1 record (and the certificate carries it). Throws otherwise.
void check_key_files(const Layout& l, const rotation::KeyTimeline& k) {
    check_confined(l, k);
    const tlsa::Record on_disk = checked_pair(k.key_file, k.cert_file);
    if (on_disk != k.record) {
        throw Error(Errc::refused, "the key file " + k.key_file.string() + " of " + key_label(k) + " has the record " +
                                       tlsa::rdata_text(on_disk) + ", not " + tlsa::rdata_text(k.record) +
                                       " as the rollover state says; refusing to use it (nothing was changed)");
    }
}

/// The files of an old key (withdrawn, not yet removed) as a retire may
/// have left them: both (checked as a pair), one (a retire killed between
/// its two moves or deletions; the one left must carry the recorded key),
/// or none. Throws Error(refused) when a file carries another key.
void check_old_key_files(const Layout& l, const rotation::KeyTimeline& k) {
    check_confined(l, k);
    const bool key_here = exists_nofollow(k.key_file);
    const bool cert_here = exists_nofollow(k.cert_file);
    if (key_here && cert_here) {
        check_key_files(l, k);
        return;
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

/// Moves `from` to `to` without replacing anything: link, then unlink. A
/// run killed between the two left both names on one file (same device
/// and inode): that is recognised as this move, half done, and finished.
void move_no_replace(const fs::path& from, const fs::path& to) {
    if (::link(from.c_str(), to.c_str()) != 0) {
        const int err = errno;
        struct stat a {};
        struct stat b {};
        const bool same = err == EEXIST && ::lstat(from.c_str(), &a) == 0 && ::lstat(to.c_str(), &b) == 0 &&
                          a.st_dev == b.st_dev && a.st_ino == b.st_ino;
        if (!same) {
            throw Error(err == EEXIST ? Errc::exists : Errc::io,
                        "cannot move " + from.string() + " to " + to.string() + ": " + std::strerror(err));
        }
    }
    store::sync_directory(to.parent_path());
    if (::unlink(from.c_str()) != 0) {
        const int err = errno;
        throw Error(Errc::io, "cannot remove " + from.string() + ": " + std::strerror(err));
    }
    store::sync_directory(from.parent_path());
}

/// The newest pair named <host>-MX-<stamp>.key / <host>-MX-SS-<stamp>.crt.
/// The stamp is parsed strictly (store::key_stamp); other names are ignored.
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

} // namespace

std::optional<std::string> readable_group(const fs::path& key_file) {
    struct stat st {};
    if (::stat(key_file.c_str(), &st) != 0 || (st.st_mode & S_IRGRP) == 0) {
        return std::nullopt;
    }
    struct group grp {};
    struct group* found = nullptr;
    std::vector<char> buf(16384);
    if (::getgrgid_r(st.st_gid, &grp, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
        return std::nullopt;
    }
    return std::string(found->gr_name);
}

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

std::optional<store::FileLock> try_lock_host(const Layout& layout, std::chrono::milliseconds wait,
                                             bool create_state_dir, bool* repaired) {
    std::error_code ec;
    if (create_state_dir) {
        store::make_directories(layout.state_dir, 0700);
    } else if (!fs::is_directory(layout.state_dir, ec)) {
        throw Error(Errc::io, "no rollover state for " + layout.host + " in " + layout.state_dir.string() +
                                  "; start with 'mxdane rollover init " + layout.host + "'");
    }
    const fs::path path = layout.state_dir / (layout.host + ".lock");
    const auto until = std::chrono::steady_clock::now() + wait;
    for (;;) {
        if (auto lock = store::FileLock::try_lock(path)) {
            const auto state = load_checked(layout);
            const bool switched_back = state && complete_switch(layout, *state);
            if (repaired != nullptr) {
                *repaired = switched_back;
            }
            return lock;
        }
        if (std::chrono::steady_clock::now() >= until) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

store::FileLock lock_host(const Layout& layout, std::chrono::milliseconds wait, bool create_state_dir, bool* repaired) {
    auto lock = try_lock_host(layout, wait, create_state_dir, repaired);
    if (!lock) {
        throw Error(Errc::refused, "another mxdane is working on " + layout.host + " (it holds " +
                                       (layout.state_dir / (layout.host + ".lock")).string() +
                                       "); nothing was done, try again when it has finished");
    }
    return std::move(*lock);
}

std::optional<rotation::State> load_checked(const Layout& layout) {
    auto state = rotation::load(layout.state_file());
    if (!state) {
        return state;
    }
    const std::string where = "the state file " + layout.state_file().string() + " ";
    if (state->host != layout.host) {
        throw Error(Errc::refused, where + "is for '" + state->host + "', not " + layout.host + "; nothing was done");
    }
    for (const auto& k : state->keys) {
        if (k.removed) {
            continue; // its files were moved to retired/ or deleted
        }
        check_confined(layout, k);
        for (const auto& other : state->keys) {
            if (&other != &k && !other.removed && (other.key_file == k.key_file || other.cert_file == k.cert_file)) {
                throw Error(Errc::refused, where + "names the same files for key " + std::to_string(k.id) +
                                               " and key " + std::to_string(other.id) + "; nothing was done");
            }
        }
        if (!k.created) {
            continue; // incomplete: no record to check (stage completes or discards it)
        }
        if (k.retired) {
            check_old_key_files(layout, k); // a killed retire may have moved one file of the two
        } else {
            check_key_files(layout, k);
        }
    }
    return state;
}

std::optional<std::string> stable_pair_problem(const Layout& layout, const rotation::State& state) {
    const rotation::KeyTimeline* cur = rotation::current_key(state);
    if (cur == nullptr) {
        return std::nullopt;
    }
    const auto key = link_target(layout.stable_key());
    const auto cert = link_target(layout.stable_cert());
    if (!key || !cert) {
        return "the stable names " + layout.stable_key().string() + " and " + layout.stable_cert().string() +
               " are not both symlinks: the MTA may not serve key " + std::to_string(cur->id);
    }
    if (*key == cur->key_file && *cert == cur->cert_file) {
        return std::nullopt;
    }
    auto owner = [&state](const fs::path& target, bool is_key) -> std::string {
        for (const auto& k : state.keys) {
            if ((is_key ? k.key_file : k.cert_file) == target) {
                return "key " + std::to_string(k.id);
            }
        }
        return "no key of the state";
    };
    return "the stable names do not point at key " + std::to_string(cur->id) +
           " (in service): " + layout.stable_key().filename().string() + " is " + owner(*key, true) + "'s, " +
           layout.stable_cert().filename().string() + " is " + owner(*cert, false) + "'s; an MTA that reloads now " +
           (owner(*key, true) != owner(*cert, false) ? "fails its TLS setup"
                                                     : "serves a key the state does not expect");
}

bool complete_switch(const Layout& layout, const rotation::State& state) {
    const rotation::KeyTimeline* cur = rotation::current_key(state);
    if (cur == nullptr || !stable_pair_problem(layout, state)) {
        return false;
    }
    // Only a pair left by a switch of ours is repaired: both names symlinks
    // to files of keys the state knows. The state is the truth: a key
    // becomes current in it only after its switch was proven live, so an
    // interrupted switch goes back to the key in service.
    const auto key = link_target(layout.stable_key());
    const auto cert = link_target(layout.stable_cert());
    auto known = [&state](const std::optional<fs::path>& t, bool is_key) {
        return t && std::any_of(state.keys.begin(), state.keys.end(), [&](const rotation::KeyTimeline& k) {
                   return !k.removed && (is_key ? k.key_file : k.cert_file) == *t;
               });
    };
    if (!known(key, true) || !known(cert, false)) {
        return false;
    }
    switch_to(layout, *cur);
    return true;
}

InitResult init(const InitRequest& request) {
    const Layout& l = request.layout;
    (void)tlsa::owner(l.host, request.port); // a host that can have no TLSA record cannot roll one over
    if (exists_nofollow(l.state_file())) {
        throw Error(Errc::exists, "the rollover of " + l.host + " is already set up (" + l.state_file().string() +
                                      "); see 'mxdane rollover status " + l.host + "'");
    }
    InitResult r;
    if (request.key || request.cert) {
        if (!request.key || !request.cert) {
            throw Error(Errc::bad_input, std::string(setting_words(mxdane::Setting::key)) + " and " +
                                             std::string(setting_words(mxdane::Setting::cert)) + " go together");
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
                                  "<host>-MX-SS-<YYYYMMDD>.crt); name them with " +
                                  std::string(setting_words(mxdane::Setting::key)) + " and " +
                                  std::string(setting_words(mxdane::Setting::cert)));
    }
    rotation::KeyTimeline k;
    k.id = 1;
    k.key_file = r.key;
    k.cert_file = r.cert;
    r.state.host = l.host;
    rotation::check_clock(r.state, request.now);
    k.record = checked_pair(r.key, r.cert);
    // Adopting puts the key's record in DNS for years: the one weak-key rule.
    x509::require_strong_key(*read_key(r.key), "the key " + r.key.string(), "adopt");
    check_confined(l, k);
    // The key existed no later than now, whatever the certificate claims
    // (a notBefore ahead of this clock would put "created" after "active").
    const auto cert = read_cert(r.cert);
    std::tm tm{};
    ossl::check(ASN1_TIME_to_tm(X509_get0_notBefore(cert.get()), &tm), "reading a certificate time");
    const std::time_t not_before = timegm(&tm);
    const std::time_t now_t = rotation::Clock::to_time_t(request.now);
    k.created = not_before < now_t && not_before >= 0 ? rotation::Clock::from_time_t(not_before) : request.now;
    k.active = request.now;
    r.state.port = request.port;
    r.state.keys.push_back(k);

    // Locked only now, once everything was checked: a refused init leaves
    // no trace. Under the lock, a concurrent init may have won the race.
    const auto lock = lock_host(l, std::chrono::seconds(3), true);
    if (exists_nofollow(l.state_file())) {
        throw Error(Errc::exists, "the rollover of " + l.host + " is already set up (" + l.state_file().string() + ")");
    }
    // keygen made the stable names already: the MTA is configured with them.
    r.stable_names_in_place = link_target(l.stable_key()) == r.key && link_target(l.stable_cert()) == r.cert;
    if (!r.stable_names_in_place) {
        switch_to(l, k);
    }
    rotation::save(l.state_file(), r.state);
    return r;
}

namespace {

/// Refuses an incomplete key whose files are not ones a stage could have
/// made: confined, named as stage names them, and no other key's.
void check_incomplete(const Layout& l, const rotation::State& state, const rotation::KeyTimeline& k) {
    check_confined(l, k);
    const auto stamp = store::key_stamp(l.host, k.key_file.filename().string());
    if (!stamp || k.cert_file.filename() != store::cert_file_name(l.host, *stamp)) {
        throw Error(Errc::refused, "the rollover state names " + k.key_file.string() + " and " + k.cert_file.string() +
                                       " for the incomplete key " + std::to_string(k.id) +
                                       ", which are not names a stage makes; refusing to use or delete them");
    }
    for (const auto& other : state.keys) {
        if (&other != &k && (other.key_file == k.key_file || other.cert_file == k.cert_file)) {
            throw Error(Errc::refused, "the incomplete key " + std::to_string(k.id) + " names the files of key " +
                                           std::to_string(other.id) + "; refusing to use or delete them");
        }
    }
}

/// Removes what an interrupted stage left for the incomplete key `k`
/// (checked by check_incomplete first). Syncs the directories.
void discard_incomplete(const Layout& l, const rotation::State& state, const rotation::KeyTimeline& k) {
    check_incomplete(l, state, k);
    for (const auto& f : {k.cert_file, k.key_file}) {
        if (::unlink(f.c_str()) != 0 && errno != ENOENT) {
            throw Error(Errc::io, "cannot remove " + f.string() + ": " + std::strerror(errno));
        }
        store::remove_stale_temporaries(f);
        store::sync_directory(f.parent_path());
    }
}

} // namespace

rotation::KeyTimeline stage(const StageRequest& request, rotation::State& state) {
    const Layout& l = request.layout;
    rotation::check_clock(state, request.now);
    if (rotation::old_key(state) != nullptr) {
        throw Error(Errc::refused, "the previous rollover is not finished: retire the old key first "
                                   "('mxdane rollover retire " +
                                       l.host + "')");
    }
    if (const rotation::KeyTimeline* staged = rotation::next_key(state); staged != nullptr) {
        throw Error(Errc::refused, "a next key is already staged (" + staged->key_file.string() +
                                       "); go on with 'mxdane rollover status " + l.host + "'");
    }
    const rotation::KeyTimeline* cur = rotation::current_key(state);
    if (cur == nullptr) {
        throw Error(Errc::refused, "no key is in service for " + l.host + "; run 'mxdane rollover init' first");
    }
    if (rotation::KeyTimeline* pending = rotation::incomplete_key(state); pending != nullptr) {
        // An interrupted stage: its files are complete, partial or absent.
        // A complete pair is adopted with the record of its key file; any
        // thing else is removed and the key made afresh.
        check_incomplete(l, state, *pending);
        std::optional<tlsa::Record> record;
        if (exists_nofollow(pending->key_file) && exists_nofollow(pending->cert_file)) {
            try {
                record = checked_pair(pending->key_file, pending->cert_file);
            } catch (const Error&) {
                record.reset(); // partial or mismatched: discarded below
            }
        }
        if (record) {
            pending->record = *record;
            pending->created = request.now;
            rotation::save(l.state_file(), state);
            return *pending;
        }
        discard_incomplete(l, state, *pending);
    }

    keygen::Request kg;
    kg.names = x509::dns_names(*read_cert(cur->cert_file));
    if (kg.names.empty() || kg.names.front() != l.host) {
        kg.names.insert(kg.names.begin(), l.host);
    }
    kg.key_type = request.key_type ? *request.key_type : key_type_of(cur->key_file).value_or(x509::KeyType::rsa3072);
    kg.days = request.days;
    kg.port = state.port;
    kg.key_dir = l.key_dir;
    kg.cert_dir = l.cert_dir;
    // The next key is read by the same MTA user as the current one, unless
    // the request names a group.
    kg.key_group = request.key_group ? request.key_group : readable_group(cur->key_file);
    kg.now = request.now;
    kg.stamp = free_stamp(l, request.now);

    rotation::KeyTimeline* next = rotation::incomplete_key(state);
    if (next == nullptr) {
        rotation::KeyTimeline fresh;
        std::uint32_t max_id = 0;
        for (const auto& k : state.keys) {
            max_id = std::max(max_id, k.id);
        }
        if (max_id == std::numeric_limits<std::uint32_t>::max()) {
            throw Error(Errc::refused, "the rollover state of " + l.host + " has used every key id");
        }
        fresh.id = max_id + 1;
        state.keys.push_back(fresh);
        next = &state.keys.back();
    }
    next->key_file = absolute_of(l.key_dir / store::key_file_name(l.host, *kg.stamp));
    next->cert_file = absolute_of(l.cert_dir / store::cert_file_name(l.host, *kg.stamp));
    next->record = tlsa::Record{3, 1, 1, {}}; // none until the key file exists
    // The state names the files before they exist, as an incomplete key: an
    // interrupted run is recognised by the next one, never published.
    rotation::save(l.state_file(), state);

    (void)keygen::run(kg);
    // The record comes from the key file on disk, not from memory.
    next->record = checked_pair(next->key_file, next->cert_file);
    next->created = request.now;
    rotation::save(l.state_file(), state);
    return *next;
}

void switch_to(const Layout& layout, const rotation::KeyTimeline& key) {
    if (!key.created) {
        throw Error(Errc::refused, "key " + std::to_string(key.id) + " is incomplete; not pointing the MTA at it");
    }
    check_key_files(layout, key);
    // Certificate first: an MTA that restarts between the two renames sees
    // a new certificate with the old key and fails its TLS setup for one
    // process rather than serving a key DNS does not know. The next locked
    // run repairs such a pair (complete_switch), and status reports it.
    // A switch killed between symlink() and rename() left its new link
    // under a temporary name: only symlinks with that exact prefix go.
    for (const auto& link : {layout.stable_cert(), layout.stable_key()}) {
        const std::string prefix = store::temp_prefix(link.filename().string());
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(link.parent_path(), ec)) {
            if (e.path().filename().string().rfind(prefix, 0) == 0 && e.is_symlink(ec)) {
                ::unlink(e.path().c_str());
            }
        }
    }
    store::replace_symlink(layout.stable_cert(), key.cert_file);
    store::replace_symlink(layout.stable_key(), key.key_file);
}

RetireResult retire(const Layout& layout, rotation::KeyTimeline& old, bool delete_files, TimePoint now) {
    RetireResult r;
    if (link_target(layout.stable_key()) == absolute_of(old.key_file) ||
        link_target(layout.stable_cert()) == absolute_of(old.cert_file)) {
        throw Error(Errc::refused, "a stable name (" + layout.stable_key().string() + " or " +
                                       layout.stable_cert().string() +
                                       ") still points at the old key; not retiring it");
    }
    if (old.removed || !old.retired) {
        throw Error(Errc::refused, "key " + std::to_string(old.id) + " is not an old key; not retiring it");
    }
    if (now < *old.retired) {
        throw Error(Errc::refused, "the clock says " + rotation::format_time(now) + ", earlier than " +
                                       rotation::format_time(*old.retired) + " when key " + std::to_string(old.id) +
                                       " was retired; fix the clock. Nothing was done");
    }
    // Before anything is deleted, moved or chmod-ed: the files are where the
    // host keeps them, not symlinks, and the key is the one recorded. Files
    // already gone (an earlier retire that was killed) are fine.
    check_old_key_files(layout, old);
    const bool key_here = exists_nofollow(old.key_file);
    const bool cert_here = exists_nofollow(old.cert_file);
    if (delete_files) {
        for (const auto& f : {old.key_file, old.cert_file}) {
            if (::unlink(f.c_str()) != 0 && errno != ENOENT) {
                throw Error(Errc::io, "cannot delete " + f.string() + ": " + std::strerror(errno));
            }
            store::sync_directory(f.parent_path());
        }
    } else {
        const fs::path key_dest_dir = old.key_file.parent_path() / "retired";
        const fs::path cert_dest_dir = old.cert_file.parent_path() / "retired";
        store::make_directories(key_dest_dir, 0700);
        store::make_directories(cert_dest_dir, 0755);
        r.key = key_dest_dir / old.key_file.filename();
        r.cert = cert_dest_dir / old.cert_file.filename();
        if (key_here) {
            // Read-only before the move, on the file itself (never through
            // a symlink): a kill after the move cannot leave it writable.
            const Fd fd(::open(old.key_file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
            if (fd.get() < 0 || ::fchmod(fd.get(), 0400) != 0) {
                throw Error(Errc::io, "cannot set the mode of " + old.key_file.string() + ": " + std::strerror(errno));
            }
            move_no_replace(old.key_file, *r.key);
        }
        if (cert_here) {
            move_no_replace(old.cert_file, *r.cert);
        }
    }
    old.removed = now;
    return r;
}

} // namespace mxdane::rollover
