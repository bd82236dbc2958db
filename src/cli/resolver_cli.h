// The resolver options every command that looks at DNS shares (check,
// rollover): --trust-anchor, --forward, --stub, --resolver-option.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "mxdane/dns.h"

namespace mxdane::cli {

struct ResolverCli {
    std::vector<std::string> trust_anchors;
    std::vector<std::string> forwarders;
    std::vector<std::string> stubs;
    std::vector<std::string> options;
};

/// Declares the options on a (sub)command.
void add_resolver_options(CLI::App& app, ResolverCli& r);

/// Checks and converts them; throws Error(bad_input) naming the bad one.
dns::UnboundOptions to_unbound_options(const ResolverCli& r);

} // namespace mxdane::cli
