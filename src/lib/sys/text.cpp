// The one hex codec and the one UTC time formatter.
#include <ctime>

#include "mxdane/sys.h"

namespace mxdane::sys {
namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

std::tm utc_tm(std::chrono::system_clock::time_point t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    return tm;
}

std::string two(int v) {
    return (v < 10 ? "0" : "") + std::to_string(v);
}

} // namespace

std::string hex_encode(std::span<const std::uint8_t> bytes) {
    static constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const auto b : bytes) {
        out += digits[b >> 4U];
        out += digits[b & 0xfU];
    }
    return out;
}

bool is_hex(std::string_view text) noexcept {
    for (const char c : text) {
        if (hex_value(c) < 0) {
            return false;
        }
    }
    return true;
}

std::optional<std::vector<std::uint8_t>> hex_decode(std::string_view hex) {
    if (hex.size() % 2 != 0) {
        return std::nullopt;
    }
    std::vector<std::uint8_t> out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const int hi = hex_value(hex[i]);
        const int lo = hex_value(hex[i + 1]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
    }
    return out;
}

std::string utc_date(std::chrono::system_clock::time_point t) {
    const std::tm tm = utc_tm(t);
    return std::to_string(tm.tm_year + 1900) + "-" + two(tm.tm_mon + 1) + "-" + two(tm.tm_mday);
}

std::string utc_time(std::chrono::system_clock::time_point t) {
    const std::tm tm = utc_tm(t);
    return utc_date(t) + "T" + two(tm.tm_hour) + ":" + two(tm.tm_min) + ":" + two(tm.tm_sec) + "Z";
}

} // namespace mxdane::sys
