// The library names settings in words; the CLI names them by the options
// that give them (src/cli/flags.h).
#include "flags.h"

namespace mxdane::cli {

std::string_view flag_of(Setting s) noexcept {
    switch (s) {
    case Setting::days:
        return "--days";
    case Setting::port:
        return "--port";
    case Setting::key_dir:
        return "--key-dir";
    case Setting::cert_dir:
        return "--cert-dir";
    case Setting::out_dir:
        return "--out DIR";
    case Setting::key_group:
        return "--key-group";
    case Setting::publish_hook:
        return "--publish-hook";
    case Setting::zone:
        return "--zone";
    case Setting::host:
        return "--host";
    case Setting::key:
        return "--key";
    case Setting::cert:
        return "--cert";
    case Setting::chain:
        return "--chain";
    case Setting::resolver_option:
        return "--resolver-option";
    case Setting::force:
        return "--force";
    case Setting::mta_address:
        return "--verify-at";
    case Setting::issue_command:
        return "--issue-command";
    case Setting::self_issuer:
        return "--issuer self";
    }
    return "an option";
}

std::string with_flags(std::string message) {
    for (const Setting s : all_settings) {
        const std::string_view words = setting_words(s);
        const std::string_view flag = flag_of(s);
        for (std::size_t at = message.find(words); at != std::string::npos; at = message.find(words, at)) {
            message.replace(at, words.size(), flag);
            at += flag.size();
        }
    }
    return message;
}

} // namespace mxdane::cli
