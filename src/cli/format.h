// Small presentation helpers shared by the commands.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mxdane/tlsa.h"
#include "mxdane/x509.h"

namespace mxdane::cli {

/// "2029-11-28T21:00:00Z".
std::string iso_utc(x509::Clock::time_point t);
/// "2029-11-28".
std::string date_utc(x509::Clock::time_point t);

/// A record in every --json output (README "JSON", schema/defs.json):
/// {owner, ttl, usage, selector, mtype, data}; owner "" and an unset TTL
/// are null, data is lowercase hex.
nlohmann::json tlsa_json(const std::string& owner, const tlsa::Record& rec,
                         std::optional<std::uint32_t> ttl = std::nullopt);

/// The members every --json object starts with: command ("tlsa",
/// "rollover status"), exit (the process's exit code) and warnings.
nlohmann::json json_top(const std::string& command, int exit, const std::vector<std::string>& warnings);

/// RFC 3339 ("2029-11-28T21:00:00Z"), or null.
nlohmann::json time_json(std::optional<x509::Clock::time_point> t);

} // namespace mxdane::cli
