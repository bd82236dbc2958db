#include "format.h"

#include <ctime>

namespace mxdane::cli {
namespace {

std::tm utc_tm(x509::Clock::time_point t) {
    const std::time_t tt = x509::Clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    return tm;
}

std::string two(int v) {
    return (v < 10 ? "0" : "") + std::to_string(v);
}

} // namespace

std::string date_utc(x509::Clock::time_point t) {
    const std::tm tm = utc_tm(t);
    return std::to_string(tm.tm_year + 1900) + "-" + two(tm.tm_mon + 1) + "-" + two(tm.tm_mday);
}

std::string iso_utc(x509::Clock::time_point t) {
    const std::tm tm = utc_tm(t);
    return date_utc(t) + "T" + two(tm.tm_hour) + ":" + two(tm.tm_min) + ":" + two(tm.tm_sec) + "Z";
}

nlohmann::json tlsa_json(const std::string& owner, const tlsa::Record& rec, std::optional<std::uint32_t> ttl) {
    return {{"owner", owner.empty() ? nlohmann::json(nullptr) : nlohmann::json(owner)},
            {"ttl", ttl ? nlohmann::json(*ttl) : nlohmann::json(nullptr)},
            {"usage", rec.usage},
            {"selector", rec.selector},
            {"mtype", rec.mtype},
            {"data", tlsa::to_hex(rec.data)}};
}

nlohmann::json json_top(const std::string& command, int exit, const std::vector<std::string>& warnings) {
    return {{"command", command}, {"exit", exit}, {"warnings", warnings}};
}

nlohmann::json time_json(std::optional<x509::Clock::time_point> t) {
    return t ? nlohmann::json(iso_utc(*t)) : nlohmann::json(nullptr);
}

} // namespace mxdane::cli
