// What mxdane check's single-domain and bulk paths share (cmd_check.cpp,
// cmd_check_bulk.cpp): one JSON object per domain, one exit code rule.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "mxdane/check.h"
#include "mxdane/dns.h"

namespace mxdane::cli {

/// The object `check --json` prints for one domain (one line of
/// `check --domains --json`).
nlohmann::json report_json(const check::Report& r, Exit code);

/// 0 every MX host validated, 1 some failed or would defer, 3 not in effect.
Exit check_exit(const check::Report& r);

/// --domains and the options that only make sense with it.
struct BulkCli {
    std::string file;               ///< "-" for stdin
    std::optional<int> jobs;        ///< unset: not given
    std::optional<int> per_host;    ///< unset: not given
    std::optional<int> dns_threads; ///< unset: not given
    std::string shard;
    std::string resume;
};

void add_bulk_options(CLI::App& app, BulkCli& b);

/// Whether an option other than --domains was given.
bool bulk_only_given(const BulkCli& b);

/// Checks every domain of the list; `base` carries port, HELO, timeouts.
Exit run_check_bulk(const BulkCli& b, const check::Request& base, dns::UnboundOptions resolver, bool json, Io& io);

} // namespace mxdane::cli
