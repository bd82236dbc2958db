// File operations of a rollover: adoption (init), locking and the checks
// every step starts with; staging, switching and retiring are in
// rollover_steps.cpp. The order of every multi-step change is chosen so
// that an interruption leaves something the next run can continue from:
// the state names a key (as incomplete, without a record) before its files
// exist, the stable names always point at complete files, a half-done move
// is recognised and finished. Nothing in the state file is trusted: paths
// must lie in the host's directories, keys must hash to their recorded
// records before anything touches them (README, "Rollover").
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
#include <openssl/x509.h>

#include "mxdane/error.h"
#include "mxdane/fd.h"
#include "mxdane/keygen.h"
#include "mxdane/material.h"
#include "mxdane/store.h"
#include "mxdane/tlsa.h"
#include "rollover_files.h"

namespace mxdane::rollover {

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
        std::string stamp = n == 1 ? day : day + "-" + std::to_string(n);
        if (!store::taken_here_or_retired(layout.key_dir / store::key_file_name(layout.host, stamp)) &&
            !store::taken_here_or_retired(layout.cert_dir / store::cert_file_name(layout.host, stamp))) {
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

std::optional<rotation::State> load_checked(const Layout& layout, bool read_keys) {
    // The state's times decide the waits: a state another user could have
    // written is refused before it is read (issue #25).
    if (const auto why = store::untrusted_input(layout.state_file(), ::geteuid())) {
        throw Error(Errc::refused, "refusing the rollover state: " + *why + "; nothing was done");
    }
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
            check_old_key_files(layout, k, read_keys); // a killed retire may have moved one file of the two
        } else {
            check_key_files(layout, k, read_keys);
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
    // Certificates are back-dated (keygen by its profile, ACME CAs by an
    // hour): the key file's own time is closer to when the key was made,
    // when it lies between the notBefore and now.
    if (struct stat st{}; ::stat(r.key.c_str(), &st) == 0) {
        const TimePoint written = rotation::Clock::from_time_t(st.st_mtim.tv_sec);
        if (written > *k.created && written <= request.now) {
            k.created = written;
        }
    }
    if (X509_self_signed(cert.get(), 1) == 1) {
        k.issuer = rotation::Issuer{};
    } else if (request.issuer && !request.issuer->command.empty()) {
        k.issuer = request.issuer;
    }
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

} // namespace mxdane::rollover
