// Internal to the rollover's file operations (rollover.cpp: adoption and
// locking; rollover_steps.cpp: stage, switch, retire): reading and checking
// the key files the state names. Not part of the public API.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "mxdane/ossl.h"
#include "mxdane/rollover.h"
#include "mxdane/tlsa.h"

namespace mxdane::rollover {

/// The certificate in `p` (a regular file, not followed through a symlink,
/// at most 1 MiB; PEM or DER). Throws Error(bad_input) for anything else.
ossl::X509Ptr read_cert(const fs::path& p);

/// The private key in `p`, read as read_cert reads; encrypted keys are
/// refused, never prompted for.
ossl::EvpPkeyPtr read_key(const fs::path& p);

/// The 3 1 1 record of `key_file`'s public key, after checking that the
/// certificate `cert_file` carries that key. The record comes from the key
/// file alone.
tlsa::Record checked_pair(const fs::path& key_file, const fs::path& cert_file);

/// Absent or present; "cannot tell" (permission denied) throws.
bool exists_nofollow(const fs::path& p);

/// `p` absolute and normalized (as given when that fails).
fs::path absolute_of(const fs::path& p);

/// The target of a stable symlink as an absolute path, or nullopt.
std::optional<fs::path> link_target(const fs::path& link);

/// "key 2".
std::string key_label(const rotation::KeyTimeline& k);

/// Refuses (naming the path) a key whose files lie outside the host's
/// directories: the state file is not trusted to point anywhere else.
void check_confined(const Layout& l, const rotation::KeyTimeline& k);

/// Confined, regular, and the key file's public key hashes to the recorded
/// 3 1 1 record (and the certificate carries it). Throws otherwise.
/// Without `read_keys` (a look that may not read private keys) the
/// certificate alone must carry the recorded key.
void check_key_files(const Layout& l, const rotation::KeyTimeline& k, bool read_keys = true);

/// The files of an old key (withdrawn, not yet removed) as a retire may
/// have left them: both (checked as a pair), one (a retire killed between
/// its two moves or deletions; the one left must carry the recorded key),
/// or none. Throws Error(refused) when a file carries another key.
void check_old_key_files(const Layout& l, const rotation::KeyTimeline& k, bool read_keys = true);

/// Moves `from` to `to` without replacing anything: link, then unlink. A
/// run killed between the two left both names on one file (same device
/// and inode): that is recognised as this move, half done, and finished.
void move_no_replace(const fs::path& from, const fs::path& to);

/// The newest pair named <host>-MX-<stamp>.key / <host>-MX-SS-<stamp>.crt.
/// The stamp is parsed strictly (store::key_stamp); other names are ignored.
std::optional<std::pair<fs::path, fs::path>> newest_dated_pair(const Layout& l);

/// The keygen type of the key in `key_file` (RSA by size, EC by curve), or
/// nullopt for a type keygen does not make.
std::optional<x509::KeyType> key_type_of(const fs::path& key_file);

} // namespace mxdane::rollover
