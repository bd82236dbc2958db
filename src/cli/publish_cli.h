// The publishing backend options shared by `publish`, `unpublish` and
// `rollover auto` (issue #6): one place declares them and builds the
// Publisher they describe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli.h"
#include "mxdane/publish.h"
#include "mxdane/tlsa.h"

namespace mxdane::cli {

/// What the backend options hold after parsing.
struct PublishOptions {
    std::string nsupdate; ///< SERVER[@PORT]
    std::string tsig_key; ///< key file (BIND tsig-keygen format)
    std::string zone;     ///< optional; found by an SOA query otherwise
    std::string hook;     ///< --publish-hook CMD
    unsigned timeout = 10;
};

/// Declares --nsupdate, --tsig-key, --zone, --publish-hook and --timeout on
/// `app`, writing into `opts` (which must outlive the parse). `merged`: the
/// command also reads a settings file, so the pairs (--nsupdate with
/// --tsig-key, neither with --publish-hook) are checked after the merge by
/// check_publish_pairs(), not at parse time.
void add_publish_options(CLI::App& app, PublishOptions& opts, bool merged = false);

/// The pairs after a settings file was merged: --nsupdate and --tsig-key
/// together, and not with --publish-hook. Throws Error(bad_input).
void check_publish_pairs(const PublishOptions& opts);

/// The backend the options ask for. Throws Error(bad_input) when neither or
/// both backends are given, Error(io)/Error(bad_input) for an unreadable or
/// malformed key file.
std::unique_ptr<publish::Publisher> make_publisher(const PublishOptions& opts);

/// The exit code for an outcome: 0 done, 1 the server (or hook) said no,
/// 2 no usable answer (unreachable, timeout, SERVFAIL, untrustworthy reply).
Exit exit_for(publish::Status status);

/// "_25._tcp.mx1.example.net. 3600 IN TLSA 3 1 1 <hex>".
std::string zone_line_with_ttl(const std::string& owner, const publish::Op& op);

/// The 3 1 1 record of each certificate's key, then of each key file
/// (private or public key, PEM). Throws Error(io) when a file cannot be
/// read, Error(bad_input) naming it when it holds no usable key, or, when
/// `for_publication`, a key too weak to publish (x509::key_weakness;
/// withdrawing such a record is always allowed).
std::vector<tlsa::Record> records_from_files(const std::vector<std::string>& certs,
                                             const std::vector<std::string>& keys, bool for_publication);

} // namespace mxdane::cli
