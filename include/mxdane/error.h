// Errors the library reports. The CLI turns them into one line and an exit
// code in exactly one place (src/cli/main.cpp).
#pragma once

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace mxdane {

/// What went wrong, coarse enough to choose an exit code from.
enum class Errc {
    bad_input,  ///< a value the user gave is unacceptable (exit 64)
    refused,    ///< checked, and the answer is no: e.g. a step not allowed now (exit 1)
    exists,     ///< refusing to overwrite something (exit 2)
    permission, ///< the OS said no (exit 2)
    io,         ///< reading or writing failed (exit 2)
    crypto,     ///< OpenSSL failed (exit 2)
};

/// The one exception type the library throws.
class Error : public std::runtime_error {
  public:
    Error(Errc code, const std::string& message) : std::runtime_error(message), m_code(code) {}
    [[nodiscard]] Errc code() const noexcept { return m_code; }

  private:
    Errc m_code;
};

/// A setting a caller gives the library. The library names it in words
/// (setting_words) and never by a command-line option: a front end that has
/// options words the message its own way (the CLI: src/cli/flags.cpp).
enum class Setting {
    days,            ///< validity of a certificate in days
    port,            ///< the TCP port of the TLSA owner name
    key_dir,         ///< where private keys go
    cert_dir,        ///< where certificates go
    out_dir,         ///< one directory for both
    key_group,       ///< the group that may read the key
    publish_hook,    ///< the command that publishes records
    zone,            ///< the DNS zone that holds the records
    host,            ///< the MX host name a certificate is checked against
    key,             ///< a private key file
    cert,            ///< a certificate file
    chain,           ///< a certificate chain file
    resolver_option, ///< an option passed to the validating resolver
    force,           ///< a step done although the planner said not yet
    mta_address,     ///< where the live proof reaches the MTA (ADDR:PORT)
    issue_command,   ///< the command that gets a certificate from a CA
    self_issuer,     ///< the explicit choice of self-signed certificates
};

/// Every setting, for front ends that map them all.
inline constexpr std::array all_settings{
    Setting::days,
    Setting::port,
    Setting::key_dir,
    Setting::cert_dir,
    Setting::out_dir,
    Setting::key_group,
    Setting::publish_hook,
    Setting::zone,
    Setting::host,
    Setting::key,
    Setting::cert,
    Setting::chain,
    Setting::resolver_option,
    Setting::force,
    Setting::mta_address,
    Setting::issue_command,
    Setting::self_issuer,
};

/// How library messages name `s`: "the key directory setting". Unique, and
/// none is part of another, so a front end can replace each with its own name.
inline std::string_view setting_words(Setting s) noexcept {
    switch (s) {
    case Setting::days:
        return "the days setting";
    case Setting::port:
        return "the port setting";
    case Setting::key_dir:
        return "the key directory setting";
    case Setting::cert_dir:
        return "the certificate directory setting";
    case Setting::out_dir:
        return "the output directory setting";
    case Setting::key_group:
        return "the key group setting";
    case Setting::publish_hook:
        return "the publish hook setting";
    case Setting::zone:
        return "the zone setting";
    case Setting::host:
        return "the host setting";
    case Setting::key:
        return "the key file setting";
    case Setting::cert:
        return "the certificate file setting";
    case Setting::chain:
        return "the chain file setting";
    case Setting::resolver_option:
        return "the resolver option setting";
    case Setting::force:
        return "the force setting";
    case Setting::mta_address:
        return "the MTA address setting";
    case Setting::issue_command:
        return "the issue command setting";
    case Setting::self_issuer:
        return "the self-signed issuer setting";
    }
    return "a setting";
}

/// A setting's value is unacceptable: which setting, and the value given
/// (as text), beside the message that names the setting in words.
class SettingError : public Error {
  public:
    SettingError(Errc code, Setting setting, std::string value, const std::string& message)
        : Error(code, message), m_setting(setting), m_value(std::move(value)) {}
    [[nodiscard]] Setting setting() const noexcept { return m_setting; }
    [[nodiscard]] const std::string& value() const noexcept { return m_value; }

  private:
    Setting m_setting;
    std::string m_value;
};

} // namespace mxdane
