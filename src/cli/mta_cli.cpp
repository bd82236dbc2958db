#include "mta_cli.h"

#include <cstdlib>
#include <sys/stat.h>

#include "mxdane/error.h"
#include "mxdane/names.h"

namespace mxdane::cli {

mta::Kind mta_choice(const std::string& option) {
    if (option.empty()) {
        return mta::default_kind(mta::detect_installed("/"));
    }
    const auto kind = mta::parse_kind(option);
    if (!kind) {
        throw Error(Errc::bad_input,
                    "--mta: choose postfix, exim or opensmtpd, not '" + names::printable(option) + "'");
    }
    return *kind;
}

std::optional<std::string> automatic_key_group(mta::Kind kind, std::vector<std::string>& warnings) {
    auto group = mta::key_group(kind);
    if (!group) {
        return std::nullopt;
    }
    if (mta::find_group(*group)) {
        return group;
    }
    warnings.push_back(mta_label(kind) + " reads the key as the group " + *group +
                       ", which does not exist here: give the group it runs as with --key-group, or it "
                       "cannot start TLS");
    return std::nullopt;
}

std::vector<std::string> mta_warnings(mta::Kind kind, const std::filesystem::path& key_file,
                                      const std::optional<std::string>& key_group) {
    std::vector<std::string> out;
    if (key_group) {
        if (const auto gid = mta::find_group(*key_group)) {
            if (const auto dir = mta::blocking_dir(key_file, *gid)) {
                struct stat st {};
                std::string mode;
                if (::stat(dir->c_str(), &st) == 0) {
                    const auto perms = static_cast<unsigned>(st.st_mode & 07777U);
                    mode = " (mode 0" + std::to_string((perms >> 6U) & 7U) + std::to_string((perms >> 3U) & 7U) +
                           std::to_string(perms & 7U) + ")";
                }
                out.push_back("the group " + *key_group + " cannot enter " + dir->string() + mode +
                              ", so the MTA cannot read the key: chgrp " + *key_group + " " + dir->string() +
                              " && chmod g+x " + dir->string());
            }
        }
    }
    if (kind == mta::Kind::opensmtpd) {
        // The version dpkg knows; MXDANE_OPENSMTPD_VERSION names another
        // (a build from source, or tests of Debian's version).
        std::optional<std::string> version;
        // NOLINTNEXTLINE(concurrency-mt-unsafe): read while the CLI runs one thread; nothing calls setenv
        if (const char* given = std::getenv("MXDANE_OPENSMTPD_VERSION"); given != nullptr && *given != '\0') {
            version = given;
        } else {
            version = mta::dpkg_version("/", "opensmtpd");
        }
        if (version && mta::opensmtpd_key_bug(*version)) {
            out.push_back("OpenSMTPD " + names::printable(*version) +
                          " cannot use a private key under OpenSSL 3 (TLS fails with \"missing private key\"; "
                          "a known OpenSMTPD bug, fixed in OpenSMTPD 7.0): DANE senders will defer mail. "
                          "Use OpenSMTPD 7.0 or later, Postfix or Exim");
        }
    }
    return out;
}

std::string reload_hint(mta::Kind kind) {
    switch (kind) {
    case mta::Kind::postfix:
        return "postfix reload";
    case mta::Kind::exim:
        return "update-exim4.conf && systemctl restart exim4";
    case mta::Kind::opensmtpd:
        return "systemctl restart opensmtpd";
    }
    return {};
}

std::string mta_label(mta::Kind kind) {
    switch (kind) {
    case mta::Kind::postfix:
        return "Postfix";
    case mta::Kind::exim:
        return "Exim";
    case mta::Kind::opensmtpd:
        return "OpenSMTPD";
    }
    return {};
}

} // namespace mxdane::cli
