// What a mail server (MTA) needs from mxdane's key and certificate: the
// configuration lines that point it at them, the group it reads the key as,
// whether that group can reach the key, and known defects of installed
// versions. Pure text and file-system facts; the CLI prints them.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace mxdane::mta {

namespace fs = std::filesystem;

enum class Kind { postfix, exim, opensmtpd };

/// "postfix", "exim", "opensmtpd".
std::string_view kind_name(Kind kind);
/// The inverse of kind_name (also "exim4" and "smtpd"); nullopt otherwise.
std::optional<Kind> parse_kind(std::string_view text);

/// Which MTAs have their daemon installed under `root` (normally "/"):
/// /usr/sbin/postfix, /usr/sbin/exim4 (or exim), /usr/sbin/smtpd.
struct Installed {
    bool postfix = false;
    bool exim = false;
    bool opensmtpd = false;
};
Installed detect_installed(const fs::path& root);

/// The one MTA installed; Postfix when none or several are.
Kind default_kind(const Installed& installed);

/// The group the MTA reads its private key as, when it does not read it as
/// root: Exim on Debian runs TLS as Debian-exim. Postfix and OpenSMTPD load
/// the key before they drop root.
std::optional<std::string> key_group(Kind kind);

/// The id of the group `name`, or nullopt when there is none.
std::optional<gid_t> find_group(const std::string& name);

/// The lines that point the MTA at `key` and `cert` (absolute paths), with a
/// comment line naming the file they go in. `host` names OpenSMTPD's pki.
std::string config_lines(Kind kind, const std::string& host, const fs::path& key, const fs::path& cert);

/// The first directory on the way to `file` (its ancestors, outermost
/// first) that a process in group `gid` but neither root nor the owner
/// cannot search; nullopt when every one can be searched.
std::optional<fs::path> blocking_dir(const fs::path& file, gid_t gid);

/// The version of an installed Debian package as dpkg records it in
/// `<root>/var/lib/dpkg/status`; nullopt when not installed.
std::optional<std::string> dpkg_version(const fs::path& root, std::string_view package);

/// True for OpenSMTPD versions before 7.0: linked with OpenSSL 3 (Debian 12
/// ships 6.8.0p2 so) they cannot sign with a private key in the TLS
/// handshake ("missing private key"), a defect fixed in OpenSMTPD 7.0.
bool opensmtpd_key_bug(std::string_view version);

} // namespace mxdane::mta
