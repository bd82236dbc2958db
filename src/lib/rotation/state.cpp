// The rotation state file: JSON, one per MX host, replaced atomically.
#include <charconv>
#include <ctime>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "mxdane/error.h"
#include "mxdane/rotation.h"
#include "mxdane/store.h"

namespace mxdane::rotation {
namespace {

using nlohmann::json;

} // namespace

std::string format_time(TimePoint t) {
    const std::time_t tt = Clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return {buf, n};
}

std::optional<TimePoint> parse_time(const std::string& s) {
    if (s.size() != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z') {
        return std::nullopt;
    }
    auto num = [&s](std::size_t pos, std::size_t len, int& out) {
        const char* first = s.data() + pos;
        const auto [ptr, ec] = std::from_chars(first, first + len, out);
        return ec == std::errc() && ptr == first + len;
    };
    std::tm tm{};
    int year = 0;
    int mon = 0;
    if (!num(0, 4, year) || !num(5, 2, mon) || !num(8, 2, tm.tm_mday) || !num(11, 2, tm.tm_hour) ||
        !num(14, 2, tm.tm_min) || !num(17, 2, tm.tm_sec)) {
        return std::nullopt;
    }
    if (mon < 1 || mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 60) {
        return std::nullopt;
    }
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    return Clock::from_time_t(timegm(&tm));
}

namespace {

json time_json(const std::optional<TimePoint>& t) {
    return t ? json(format_time(*t)) : json(nullptr);
}

std::optional<tlsa::Bytes> parse_hex(const std::string& s) {
    if (s.size() % 2 != 0) {
        return std::nullopt;
    }
    tlsa::Bytes out;
    for (std::size_t i = 0; i < s.size(); i += 2) {
        unsigned v = 0;
        const auto [ptr, ec] = std::from_chars(s.data() + i, s.data() + i + 2, v, 16);
        if (ec != std::errc() || ptr != s.data() + i + 2) {
            return std::nullopt;
        }
        out.push_back(static_cast<std::uint8_t>(v));
    }
    return out;
}

/// Thrown inside from_json only; turned into its Unexpected reason.
struct Bad {
    std::string reason;
};

std::optional<TimePoint> read_time(const json& k, const char* field) {
    if (!k.contains(field) || k.at(field).is_null()) {
        return std::nullopt;
    }
    if (!k.at(field).is_string()) {
        throw Bad{std::string("'") + field + "' is not a time"};
    }
    auto t = parse_time(k.at(field).get<std::string>());
    if (!t) {
        throw Bad{std::string("'") + field + "' is not a time like 2026-11-28T21:00:00Z"};
    }
    return t;
}

} // namespace

const KeyTimeline* current_key(const State& s) {
    for (const auto& k : s.keys) {
        if (k.active && !k.retired) {
            return &k;
        }
    }
    return nullptr;
}

const KeyTimeline* next_key(const State& s) {
    for (const auto& k : s.keys) {
        if (!k.active && !k.removed) {
            return &k;
        }
    }
    return nullptr;
}

const KeyTimeline* old_key(const State& s) {
    for (const auto& k : s.keys) {
        if (k.retired && !k.removed) {
            return &k;
        }
    }
    return nullptr;
}

KeyTimeline* current_key(State& s) {
    return const_cast<KeyTimeline*>(current_key(std::as_const(s)));
} // NOLINT(cppcoreguidelines-pro-type-const-cast): one implementation for both
KeyTimeline* next_key(State& s) {
    return const_cast<KeyTimeline*>(next_key(std::as_const(s)));
} // NOLINT(cppcoreguidelines-pro-type-const-cast): one implementation for both
KeyTimeline* old_key(State& s) {
    return const_cast<KeyTimeline*>(old_key(std::as_const(s)));
} // NOLINT(cppcoreguidelines-pro-type-const-cast): one implementation for both

void mark_activated(State& s, TimePoint now) {
    KeyTimeline* next = next_key(s);
    if (next == nullptr) {
        throw Error(Errc::refused, "there is no next key to activate");
    }
    if (KeyTimeline* cur = current_key(s); cur != nullptr) {
        cur->retired = now;
    }
    next->active = now;
}

std::string to_json(const State& s) {
    json j;
    j["format"] = s.format;
    j["host"] = s.host;
    j["port"] = s.port;
    j["keys"] = json::array();
    for (const auto& k : s.keys) {
        j["keys"].push_back({{"id", k.id},
                             {"key_file", k.key_file.string()},
                             {"cert_file", k.cert_file.string()},
                             {"tlsa", tlsa::rdata_text(k.record)},
                             {"created", time_json(k.created)},
                             {"published", time_json(k.published)},
                             {"active", time_json(k.active)},
                             {"retired", time_json(k.retired)},
                             {"removed", time_json(k.removed)},
                             {"max_ttl_seen", k.max_ttl_seen}});
    }
    return j.dump(2) + "\n";
}

Expected<State> from_json(const std::string& text) {
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return Unexpected{"not a JSON object"};
    }
    try {
        State s;
        if (!j.contains("format") || !j.at("format").is_number_integer()) {
            return Unexpected{"no 'format' number"};
        }
        s.format = j.at("format").get<int>();
        if (s.format > State::current_format) {
            return Unexpected{"written by a newer mxdane (format " + std::to_string(s.format) + ", this one knows " +
                              std::to_string(State::current_format) + "); upgrade mxdane"};
        }
        if (s.format < 1) {
            return Unexpected{"unknown format " + std::to_string(s.format)};
        }
        if (!j.contains("host") || !j.at("host").is_string() || !j.contains("keys") || !j.at("keys").is_array()) {
            return Unexpected{"'host' or 'keys' missing"};
        }
        s.host = j.at("host").get<std::string>();
        if (j.contains("port")) {
            if (!j.at("port").is_number_unsigned() || j.at("port").get<unsigned>() == 0 ||
                j.at("port").get<unsigned>() > 65535) {
                return Unexpected{"'port' is not a port number"};
            }
            s.port = static_cast<std::uint16_t>(j.at("port").get<unsigned>());
        }
        for (const auto& k : j.at("keys")) {
            if (!k.is_object()) {
                return Unexpected{"a key entry is not an object"};
            }
            KeyTimeline t;
            if (!k.contains("id") || !k.at("id").is_number_unsigned() || !k.contains("key_file") ||
                !k.at("key_file").is_string() || !k.contains("cert_file") || !k.at("cert_file").is_string() ||
                !k.contains("tlsa") || !k.at("tlsa").is_string()) {
                return Unexpected{"a key entry lacks id, key_file, cert_file or tlsa"};
            }
            t.id = k.at("id").get<std::uint32_t>();
            t.key_file = k.at("key_file").get<std::string>();
            t.cert_file = k.at("cert_file").get<std::string>();
            const std::string rd = k.at("tlsa").get<std::string>();
            if (rd.size() != 6 + 64 || rd.compare(0, 6, "3 1 1 ") != 0) {
                return Unexpected{"key " + std::to_string(t.id) + ": 'tlsa' is not a 3 1 1 record"};
            }
            const auto data = parse_hex(rd.substr(6));
            if (!data) {
                return Unexpected{"key " + std::to_string(t.id) + ": 'tlsa' has bad hex"};
            }
            t.record = tlsa::Record{3, 1, 1, *data};
            t.created = read_time(k, "created");
            t.published = read_time(k, "published");
            t.active = read_time(k, "active");
            t.retired = read_time(k, "retired");
            t.removed = read_time(k, "removed");
            if (k.contains("max_ttl_seen")) {
                if (!k.at("max_ttl_seen").is_number_unsigned()) {
                    return Unexpected{"key " + std::to_string(t.id) + ": 'max_ttl_seen' is not a number"};
                }
                t.max_ttl_seen = k.at("max_ttl_seen").get<std::uint32_t>();
            }
            s.keys.push_back(std::move(t));
        }
        return s;
    } catch (const Bad& b) {
        return Unexpected{b.reason};
    } catch (const json::exception& e) {
        return Unexpected{std::string("malformed: ") + e.what()};
    }
}

fs::path state_path(const fs::path& state_dir, const std::string& host) {
    return state_dir / (host + ".json");
}

std::optional<State> load(const fs::path& path) {
    // "Cannot tell" (a state directory this user may not search) throws:
    // read as "no state", it would start over beside a rotation under way.
    if (!store::exists_nofollow(path)) {
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw Error(Errc::io, "cannot read the state file " + path.string());
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    auto s = from_json(ss.str());
    if (!s) {
        throw Error(Errc::io,
                    "the state file " + path.string() + " cannot be used: " + s.error() + "; nothing was done");
    }
    return std::move(s).value();
}

void save(const fs::path& path, const State& s) {
    store::replace_file(path, to_json(s), 0600);
}

} // namespace mxdane::rotation
