// The small configuration file of `rollover auto` (issue #6): it keeps the
// timer's command line short. key = value, like the option names.
#include <cctype>

#include "mxdane/rotation.h"

namespace mxdane::rotation {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

bool valid_key(std::string_view k) {
    if (k.empty()) {
        return false;
    }
    for (const char c : k) {
        if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
            return false;
        }
    }
    return true;
}

} // namespace

Expected<std::vector<Setting>> parse_config(std::string_view text) {
    std::vector<Setting> out;
    int line_no = 0;
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        ++line_no;
        const std::string at = "line " + std::to_string(line_no) + ": ";
        line = trim(line);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        const std::size_t eq = line.find('=');
        if (eq == std::string_view::npos) {
            return Unexpected{at + "expected 'key = value'"};
        }
        const std::string_view key = trim(line.substr(0, eq));
        std::string_view value = trim(line.substr(eq + 1));
        if (!valid_key(key)) {
            return Unexpected{at + "'" + std::string(key) + "' is not a setting name (lowercase letters, digits, '-')"};
        }
        std::string v;
        if (!value.empty() && value.front() == '"') {
            const std::size_t close = value.find('"', 1);
            if (close == std::string_view::npos) {
                return Unexpected{at + "unterminated quote"};
            }
            const std::string_view rest = trim(value.substr(close + 1));
            if (!rest.empty() && rest.front() != '#') {
                return Unexpected{at + "text after the closing quote"};
            }
            v = std::string(value.substr(1, close - 1));
        } else {
            const std::size_t hash = value.find(" #");
            v = std::string(trim(value.substr(0, hash)));
        }
        out.push_back(Setting{std::string(key), v, line_no});
    }
    return out;
}

} // namespace mxdane::rotation
