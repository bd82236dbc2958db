#include "mxdane/mta.h"

#include <cctype>
#include <fstream>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mxdane::mta {
namespace {

bool present(const fs::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0;
}

/// "/usr/sbin" under root, whether root is "/" or a test's directory.
fs::path under(const fs::path& root, const char* absolute) {
    return root / fs::path(absolute).relative_path();
}

} // namespace

std::string_view kind_name(Kind kind) {
    switch (kind) {
    case Kind::postfix:
        return "postfix";
    case Kind::exim:
        return "exim";
    case Kind::opensmtpd:
        return "opensmtpd";
    }
    return "postfix";
}

std::optional<Kind> parse_kind(std::string_view text) {
    if (text == "postfix") {
        return Kind::postfix;
    }
    if (text == "exim" || text == "exim4") {
        return Kind::exim;
    }
    if (text == "opensmtpd" || text == "smtpd") {
        return Kind::opensmtpd;
    }
    return std::nullopt;
}

Installed detect_installed(const fs::path& root) {
    Installed i;
    i.postfix = present(under(root, "/usr/sbin/postfix"));
    i.exim = present(under(root, "/usr/sbin/exim4")) || present(under(root, "/usr/sbin/exim"));
    i.opensmtpd = present(under(root, "/usr/sbin/smtpd"));
    return i;
}

Kind default_kind(const Installed& installed) {
    const int count = int{installed.postfix} + int{installed.exim} + int{installed.opensmtpd};
    if (count == 1) {
        return installed.exim ? Kind::exim : installed.opensmtpd ? Kind::opensmtpd : Kind::postfix;
    }
    return Kind::postfix;
}

std::optional<std::string> key_group(Kind kind) {
    // Debian's Exim runs its SMTP sessions, TLS included, as Debian-exim
    // (the compiled-in exim_user): the key must be readable by that group.
    if (kind == Kind::exim) {
        return "Debian-exim";
    }
    return std::nullopt;
}

std::optional<gid_t> find_group(const std::string& name) {
    struct group grp {};
    struct group* found = nullptr;
    std::vector<char> buf(16384);
    if (::getgrnam_r(name.c_str(), &grp, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
        return std::nullopt;
    }
    return found->gr_gid;
}

std::string config_lines(Kind kind, const std::string& host, const fs::path& key, const fs::path& cert) {
    const std::string k = key.string();
    const std::string c = cert.string();
    switch (kind) {
    case Kind::postfix:
        // smtpd_tls_chain_files (Postfix 3.4+): key first, then its
        // certificate, so the pair is always read together.
        return "# /etc/postfix/main.cf\nsmtpd_tls_chain_files = " + k + ", " + c + "\nsmtpd_tls_security_level = may\n";
    case Kind::exim:
        // Debian's exim4-config template turns these macros into
        // tls_advertise_hosts, tls_certificate and tls_privatekey.
        return "# Debian: /etc/exim4/exim4.conf.localmacros (split configuration: "
               "/etc/exim4/conf.d/main/000_localmacros), then update-exim4.conf\n"
               "MAIN_TLS_ENABLE = yes\nMAIN_TLS_CERTIFICATE = " +
               c + "\nMAIN_TLS_PRIVATEKEY = " + k + "\n";
    case Kind::opensmtpd:
        return "# /etc/smtpd.conf\npki " + host + " cert \"" + c + "\"\npki " + host + " key \"" + k +
               "\"\nlisten on egress tls pki " + host + "\n";
    }
    return {};
}

std::optional<fs::path> blocking_dir(const fs::path& file, gid_t gid) {
    std::vector<fs::path> dirs;
    for (fs::path d = file.parent_path(); !d.empty(); d = d.parent_path()) {
        dirs.insert(dirs.begin(), d);
        if (d == d.parent_path()) {
            break;
        }
    }
    for (const auto& d : dirs) {
        struct stat st {};
        if (::stat(d.c_str(), &st) != 0) {
            continue; // not there yet: the caller makes it
        }
        const bool by_group = st.st_gid == gid && (st.st_mode & S_IXGRP) != 0;
        const bool by_others = (st.st_mode & S_IXOTH) != 0;
        if (!by_group && !by_others) {
            return d;
        }
    }
    return std::nullopt;
}

std::optional<std::string> dpkg_version(const fs::path& root, std::string_view package) {
    std::ifstream in(under(root, "/var/lib/dpkg/status"));
    std::string line;
    bool in_package = false;
    bool installed = false;
    std::optional<std::string> version;
    const auto finish = [&]() -> bool { return in_package && installed && version.has_value(); };
    while (std::getline(in, line)) {
        if (line.empty()) {
            if (finish()) {
                return version;
            }
            in_package = false;
            installed = false;
            version.reset();
        } else if (line.rfind("Package: ", 0) == 0) {
            in_package = line.substr(9) == package;
        } else if (line.rfind("Status: ", 0) == 0) {
            installed = line.size() >= 10 && line.compare(line.size() - 10, 10, " installed") == 0;
        } else if (line.rfind("Version: ", 0) == 0) {
            version = line.substr(9);
        }
    }
    return finish() ? version : std::nullopt;
}

bool opensmtpd_key_bug(std::string_view version) {
    // Debian versions may carry an epoch ("1:6.8.0p2-4").
    if (const auto colon = version.find(':'); colon != std::string_view::npos) {
        version.remove_prefix(colon + 1);
    }
    unsigned major = 0;
    std::size_t i = 0;
    for (; i < version.size() && std::isdigit(static_cast<unsigned char>(version[i])) != 0 && major < 1000; ++i) {
        major = major * 10 + static_cast<unsigned>(version[i] - '0');
    }
    return i > 0 && major < 7;
}

} // namespace mxdane::mta
