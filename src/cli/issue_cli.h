// The options of certificates from an issuer (reissue, rollover stage,
// auto and emergency); the workflow is the library engine's.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli.h"
#include "mxdane/reissue.h"
#include "mxdane/rollover.h"

namespace mxdane::cli {

struct RolloverOptions;

struct IssueOptions {
    std::string issuer;              ///< "self" or "command"; empty: command when one is given
    std::string command;             ///< --issue-command
    unsigned timeout = 300;          ///< --issue-timeout, seconds
    unsigned renew_before_days = 30; ///< --renew-before
};

/// --issuer, --issue-command, --issue-timeout, --renew-before.
void add_issue_options(CLI::App& sub, IssueOptions& o);

/// The issuer the options choose, nullopt when they choose none (the
/// engine then keeps the issuer recorded for the certificate in service);
/// throws Error(bad_input) for an unknown --issuer or `command` without
/// --issue-command.
std::optional<reissue::Issuer> issuer_of(const IssueOptions& o);
std::chrono::seconds renew_before_of(const IssueOptions& o);

} // namespace mxdane::cli
