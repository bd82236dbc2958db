// The file side of the rollover steps: staging the next key, switching the
// stable names, retiring the old key (the ordering rules are in rollover.cpp's
// opening comment and the README, "Rollover").
#include "mxdane/rollover.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mxdane/error.h"
#include "mxdane/fd.h"
#include "mxdane/keygen.h"
#include "mxdane/material.h"
#include "mxdane/store.h"
#include "mxdane/sys.h"
#include "mxdane/tlsa.h"
#include "rollover_files.h"

namespace mxdane::rollover {

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
            throw Error(Errc::io, "cannot remove " + f.string() + ": " + sys::error_text(errno));
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
    next->issuer = rotation::Issuer{}; // keygen's self-signed profile
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
                throw Error(Errc::io, "cannot delete " + f.string() + ": " + sys::error_text(errno));
            }
            store::sync_directory(f.parent_path());
        }
    } else {
        const fs::path key_dest_dir = old.key_file.parent_path() / "retired";
        const fs::path cert_dest_dir = old.cert_file.parent_path() / "retired";
        store::make_directories(key_dest_dir, 0700);
        store::make_directories(cert_dest_dir, 0755);
        // A name retired/ holds already (a certificate of the same day)
        // gets a number: the clean-up never fails on a clash (issue #23).
        r.key = store::retired_destination(old.key_file, key_dest_dir);
        r.cert = store::retired_destination(old.cert_file, cert_dest_dir);
        if (key_here) {
            // Read-only before the move, on the file itself (never through
            // a symlink): a kill after the move cannot leave it writable.
            const Fd fd(::open(old.key_file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
            if (fd.get() < 0 || ::fchmod(fd.get(), 0400) != 0) {
                throw Error(Errc::io,
                            "cannot set the mode of " + old.key_file.string() + ": " + sys::error_text(errno));
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
