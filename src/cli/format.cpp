#include "format.h"

#include "mxdane/sys.h"

namespace mxdane::cli {
std::string date_utc(x509::Clock::time_point t) {
    return sys::utc_date(t);
}

std::string iso_utc(x509::Clock::time_point t) {
    return sys::utc_time(t);
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
