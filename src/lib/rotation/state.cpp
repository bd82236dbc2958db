// The rotation state file: JSON, one per MX host, replaced atomically.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <ctime>
#include <limits>

#include <nlohmann/json.hpp>

#include "mxdane/error.h"
#include "mxdane/names.h"
#include "mxdane/rotation.h"
#include "mxdane/store.h"
#include "mxdane/sys.h"

namespace mxdane::rotation {
namespace {

using nlohmann::json;

} // namespace

namespace {

// 1970-01-01T00:00:00Z and 2262-01-01T00:00:00Z in seconds since the epoch.
constexpr std::int64_t earliest_seconds = 0;
constexpr std::int64_t end_seconds = 9214646400;

std::int64_t seconds_of(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

bool is_leap(int year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int days_in_month(int year, int month) {
    static constexpr std::array<int, 12> days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return days.at(static_cast<std::size_t>(month - 1)) + (month == 2 && is_leap(year) ? 1 : 0);
}

} // namespace

TimePoint earliest_time() {
    return TimePoint(std::chrono::seconds(earliest_seconds));
}

TimePoint latest_time() {
    return TimePoint(std::chrono::seconds(end_seconds - 1));
}

std::optional<TimePoint> add_checked(TimePoint t, std::chrono::seconds d) {
    const std::int64_t base = seconds_of(t);
    std::int64_t sum = 0;
    if (__builtin_add_overflow(base, d.count(), &sum) || sum < earliest_seconds || sum >= end_seconds) {
        return std::nullopt;
    }
    return TimePoint(std::chrono::seconds(sum));
}

std::string format_time(TimePoint t) {
    return sys::utc_time(t);
}

std::optional<TimePoint> parse_time(const std::string& s) {
    if (s.size() != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z') {
        return std::nullopt;
    }
    // Digits only: from_chars alone would take a sign ("-001") or stop early.
    for (const std::size_t pos : {0U, 1U, 2U, 3U, 5U, 6U, 8U, 9U, 11U, 12U, 14U, 15U, 17U, 18U}) {
        if (s[pos] < '0' || s[pos] > '9') {
            return std::nullopt;
        }
    }
    auto num = [&s](std::size_t pos, std::size_t len) {
        int v = 0;
        for (std::size_t i = pos; i < pos + len; ++i) {
            v = v * 10 + (s[i] - '0');
        }
        return v;
    };
    const int year = num(0, 4);
    const int mon = num(5, 2);
    const int mday = num(8, 2);
    const int hour = num(11, 2);
    const int min = num(14, 2);
    const int sec = num(17, 2);
    // Leap seconds (":60") are not written by format_time and not accepted.
    if (year < 1970 || mon < 1 || mon > 12 || mday < 1 || mday > days_in_month(year, mon) || hour > 23 || min > 59 ||
        sec > 59) {
        return std::nullopt;
    }
    // Days since the epoch (proleptic Gregorian; H. Hinnant's days_from_civil).
    const int y = mon <= 2 ? year - 1 : year;
    const int era = y / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + mday - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    const std::int64_t days = std::int64_t{era} * 146097 + doe - 719468;
    const std::int64_t secs = days * 86400 + std::int64_t{hour} * 3600 + std::int64_t{min} * 60 + sec;
    if (secs < earliest_seconds || secs >= end_seconds) {
        return std::nullopt;
    }
    return TimePoint(std::chrono::seconds(secs));
}

namespace {

json time_json(const std::optional<TimePoint>& t) {
    return t ? json(format_time(*t)) : json(nullptr);
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
        throw Bad{std::string("'") + field + "' is not a time like 2026-11-28T21:00:00Z between " +
                  format_time(earliest_time()) + " and " + format_time(latest_time())};
    }
    return t;
}

/// {"kind": "self"} or {"kind": "command", "command": "...", "timeout": 300}.
Expected<Issuer> read_issuer(const json& j) {
    if (!j.is_object() || !j.contains("kind") || !j.at("kind").is_string()) {
        return Unexpected{"is not an object with a 'kind'"};
    }
    const std::string kind = j.at("kind").get<std::string>();
    if (kind == "self") {
        return Issuer{};
    }
    if (kind != "command") {
        return Unexpected{"has an unknown kind '" + kind + "' (self or command)"};
    }
    if (!j.contains("command") || !j.at("command").is_string() || j.at("command").get<std::string>().empty()) {
        return Unexpected{"of kind command has no command"};
    }
    Issuer i;
    i.command = j.at("command").get<std::string>();
    if (j.contains("timeout")) {
        if (!j.at("timeout").is_number_unsigned() || j.at("timeout").get<std::uint64_t>() == 0 ||
            j.at("timeout").get<std::uint64_t>() > 86400) {
            return Unexpected{"'timeout' is not a number of seconds from 1 to 86400"};
        }
        i.timeout = std::chrono::seconds(j.at("timeout").get<std::uint64_t>());
    }
    return i;
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
        if (!k.active && !k.removed && k.created) {
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

const KeyTimeline* incomplete_key(const State& s) {
    for (const auto& k : s.keys) {
        if (!k.active && !k.removed && !k.created) {
            return &k;
        }
    }
    return nullptr;
}

KeyTimeline* incomplete_key(State& s) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): one implementation for both
    return const_cast<KeyTimeline*>(incomplete_key(std::as_const(s)));
}

std::vector<const KeyTimeline*> removed_but_published(const State& s, const DnsView& dns) {
    std::vector<const KeyTimeline*> out;
    if (dns.security != DnsView::Security::secure) {
        return out;
    }
    const KeyTimeline* cur = current_key(s);
    const KeyTimeline* next = next_key(s);
    for (const auto& k : s.keys) {
        const bool live = (cur != nullptr && cur->record == k.record) || (next != nullptr && next->record == k.record);
        if (k.removed && !live && std::find(dns.records.begin(), dns.records.end(), k.record) != dns.records.end()) {
            out.push_back(&k);
        }
    }
    return out;
}

std::optional<TimePoint> newest_time(const State& s) {
    std::optional<TimePoint> newest;
    for (const auto& k : s.keys) {
        for (const auto& t : {k.created, k.published, k.active, k.retired, k.removed}) {
            if (t && (!newest || *t > *newest)) {
                newest = t;
            }
        }
    }
    if (s.dane_disabled && (!newest || *s.dane_disabled > *newest)) {
        newest = s.dane_disabled;
    }
    for (const auto& [name, since] : s.servers_behind) {
        if (!newest || since > *newest) {
            newest = since;
        }
    }
    return newest;
}

void check_clock(const State& s, TimePoint now) {
    if (now < earliest_time() || now > latest_time()) {
        throw Error(Errc::bad_input, "the time is outside " + format_time(earliest_time()) + " to " +
                                         format_time(latest_time()) + "; nothing was done");
    }
    if (const auto newest = newest_time(s); newest && now < *newest) {
        throw Error(Errc::refused, "the clock says " + format_time(now) + ", earlier than " + format_time(*newest) +
                                       ", the newest time in the rollover state of " + s.host +
                                       ": a clock behind the state is wrong, not a new truth; fix the clock, or, "
                                       "when the clock is right, rewind the state's future times to now. "
                                       "Nothing was done");
    }
}

std::vector<std::string> rewind(State& s, TimePoint now) {
    std::vector<std::string> moved;
    const auto back = [&](std::optional<TimePoint>& t, const std::string& what) {
        if (t && *t > now) {
            moved.push_back(what + " " + format_time(*t));
            t = now;
        }
    };
    for (KeyTimeline& k : s.keys) {
        const std::string key = "key " + std::to_string(k.id) + " ";
        back(k.created, key + "created");
        back(k.published, key + "published");
        back(k.active, key + "active");
        back(k.retired, key + "retired");
        back(k.removed, key + "removed");
    }
    back(s.dane_disabled, "DANE disabled since");
    for (auto& [name, since] : s.servers_behind) {
        std::optional<TimePoint> t = since;
        back(t, name + " behind since");
        since = *t;
    }
    return moved;
}

KeyTimeline* current_key(State& s) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): one implementation for both
    return const_cast<KeyTimeline*>(current_key(std::as_const(s)));
}
KeyTimeline* next_key(State& s) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): one implementation for both
    return const_cast<KeyTimeline*>(next_key(std::as_const(s)));
}
KeyTimeline* old_key(State& s) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): one implementation for both
    return const_cast<KeyTimeline*>(old_key(std::as_const(s)));
}

void mark_activated(State& s, TimePoint now) {
    check_clock(s, now);
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
        json issuer = nullptr;
        if (k.issuer) {
            issuer =
                k.issuer->command.empty()
                    ? json{{"kind", "self"}}
                    : json{{"kind", "command"}, {"command", k.issuer->command}, {"timeout", k.issuer->timeout.count()}};
        }
        j["keys"].push_back({{"id", k.id},
                             {"key_file", k.key_file.string()},
                             {"cert_file", k.cert_file.string()},
                             {"tlsa", k.created ? json(tlsa::rdata_text(k.record)) : json(nullptr)},
                             {"created", time_json(k.created)},
                             {"published", time_json(k.published)},
                             {"active", time_json(k.active)},
                             {"retired", time_json(k.retired)},
                             {"removed", time_json(k.removed)},
                             {"max_ttl_seen", k.max_ttl_seen},
                             {"issuer", issuer}});
    }
    if (s.dane_disabled) {
        j["dane_disabled_since"] = format_time(*s.dane_disabled);
    }
    if (!s.servers_behind.empty()) {
        json behind = json::object();
        for (const auto& [name, since] : s.servers_behind) {
            behind[name] = format_time(since);
        }
        j["servers_behind_since"] = behind;
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
        std::vector<std::uint32_t> ids;
        for (const auto& k : j.at("keys")) {
            if (!k.is_object()) {
                return Unexpected{"a key entry is not an object"};
            }
            KeyTimeline t;
            if (!k.contains("id") || !k.at("id").is_number_unsigned() || !k.contains("key_file") ||
                !k.at("key_file").is_string() || !k.contains("cert_file") || !k.at("cert_file").is_string() ||
                !k.contains("tlsa") || !(k.at("tlsa").is_string() || k.at("tlsa").is_null())) {
                return Unexpected{"a key entry lacks id, key_file, cert_file or tlsa"};
            }
            // Read as 64 bits first: get<uint32_t>() would silently truncate.
            const std::uint64_t id = k.at("id").get<std::uint64_t>();
            if (id == 0 || id > std::numeric_limits<std::uint32_t>::max()) {
                return Unexpected{"key id " + std::to_string(id) + " is outside 1 to 4294967295"};
            }
            t.id = static_cast<std::uint32_t>(id);
            if (std::find(ids.begin(), ids.end(), t.id) != ids.end()) {
                return Unexpected{"key id " + std::to_string(id) + " appears twice"};
            }
            ids.push_back(t.id);
            const std::string name = "key " + std::to_string(t.id);
            t.key_file = k.at("key_file").get<std::string>();
            t.cert_file = k.at("cert_file").get<std::string>();
            if (!t.key_file.is_absolute() || !t.cert_file.is_absolute()) {
                return Unexpected{name + ": 'key_file' and 'cert_file' must be absolute paths"};
            }
            t.created = read_time(k, "created");
            t.published = read_time(k, "published");
            t.active = read_time(k, "active");
            t.retired = read_time(k, "retired");
            t.removed = read_time(k, "removed");
            if (k.at("tlsa").is_null()) {
                if (t.created || t.active) {
                    return Unexpected{name + ": 'tlsa' is missing for a key that was made"};
                }
                t.record = tlsa::Record{3, 1, 1, {}};
            } else {
                const std::string rd = k.at("tlsa").get<std::string>();
                if (rd.size() != 6 + 64 || rd.compare(0, 6, "3 1 1 ") != 0) {
                    return Unexpected{name + ": 'tlsa' is not a 3 1 1 record"};
                }
                const auto data = sys::hex_decode(rd.substr(6));
                if (!data) {
                    return Unexpected{name + ": 'tlsa' has bad hex"};
                }
                const bool all_zero = std::all_of(data->begin(), data->end(), [](std::uint8_t b) { return b == 0; });
                if (all_zero && (t.created || t.active)) {
                    return Unexpected{name + ": 'tlsa' is all zeros, not the record of a real key"};
                }
                // An all-zero record without 'created' is the placeholder of
                // an interrupted stage of older versions: incomplete.
                t.record = tlsa::Record{3, 1, 1, all_zero ? tlsa::Bytes{} : *data};
            }
            if (t.published && !t.created) {
                return Unexpected{name + ": 'published' is set but the key was never made ('created' is null)"};
            }
            // (to_json writes the record only of a made key: an active key
            // without 'created' would be saved without it, unreadable.)
            if (t.active && !t.created) {
                return Unexpected{name + ": 'active' is set but the key was never made ('created' is null)"};
            }
            // Every later step happens at or after the one before it.
            const std::pair<const char*, const std::optional<TimePoint>*> order[] = {
                {"created", &t.created}, {"published", &t.published}, {"active", &t.active}};
            for (const auto& [field, value] : order) {
                if (*value && t.created && **value < *t.created) {
                    return Unexpected{name + ": '" + field + "' (" + format_time(**value) +
                                      ") is earlier than 'created' (" + format_time(*t.created) + ")"};
                }
            }
            if (t.retired && (!t.active || *t.retired < *t.active)) {
                return Unexpected{name + ": 'retired' is set without an earlier 'active'"};
            }
            if (t.removed && t.retired && *t.removed < *t.retired) {
                return Unexpected{name + ": 'removed' (" + format_time(*t.removed) + ") is earlier than 'retired' (" +
                                  format_time(*t.retired) + ")"};
            }
            if (k.contains("max_ttl_seen")) {
                if (!k.at("max_ttl_seen").is_number_unsigned() ||
                    k.at("max_ttl_seen").get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max()) {
                    return Unexpected{name + ": 'max_ttl_seen' is not a number from 0 to 4294967295"};
                }
                t.max_ttl_seen = static_cast<std::uint32_t>(k.at("max_ttl_seen").get<std::uint64_t>());
            }
            if (k.contains("issuer") && !k.at("issuer").is_null()) {
                auto issuer = read_issuer(k.at("issuer"));
                if (!issuer) {
                    return Unexpected{name + ": 'issuer' " + issuer.error()};
                }
                t.issuer = *issuer;
            }
            s.keys.push_back(std::move(t));
        }
        int waiting = 0;
        int serving = 0;
        for (const auto& k : s.keys) {
            waiting += (!k.active && !k.removed) ? 1 : 0;
            serving += (k.active && !k.retired) ? 1 : 0;
        }
        if (waiting > 1 || serving > 1) {
            return Unexpected{"more than one key is " + std::string(waiting > 1 ? "next" : "in service")};
        }
        s.dane_disabled = read_time(j, "dane_disabled_since");
        if (j.contains("servers_behind_since")) {
            const json& behind = j.at("servers_behind_since");
            if (!behind.is_object()) {
                return Unexpected{"'servers_behind_since' is not an object of server names and times"};
            }
            for (const auto& [name, since] : behind.items()) {
                if (name.empty() || !since.is_string() || !parse_time(since.get<std::string>())) {
                    return Unexpected{"'servers_behind_since' has a bad entry for '" + names::printable(name) + "'"};
                }
                s.servers_behind[name] = *parse_time(since.get<std::string>());
            }
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
    auto s = from_json(sys::read_file(path, {"state file", 4 * sys::mib}));
    if (!s) {
        throw Error(Errc::io,
                    "the state file " + path.string() + " cannot be used: " + s.error() + "; nothing was done");
    }
    return std::move(s).value();
}

void save(const fs::path& path, const State& s) {
    // Readable by the directory's group (the package's `mxdane` group, for
    // monitoring); the directory's mode decides who that is.
    store::replace_file(path, to_json(s), 0640);
}

} // namespace mxdane::rotation
