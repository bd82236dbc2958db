// Small presentation helpers shared by the commands.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "mxdane/tlsa.h"
#include "mxdane/x509.h"

namespace mxdane::cli {

/// "2029-11-28T21:00:00Z".
std::string iso_utc(x509::Clock::time_point t);
/// "2029-11-28".
std::string date_utc(x509::Clock::time_point t);

/// {owner, usage, selector, mtype, data}.
nlohmann::json tlsa_json(const std::string& owner, const tlsa::Record& rec);

} // namespace mxdane::cli
