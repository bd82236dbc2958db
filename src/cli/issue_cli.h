// The options of certificates from an issuer (reissue, rollover stage and
// auto) and the one way the CLI reissues: the library's workflow with the
// rollover's reload and live proof as its MTA control.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli.h"
#include "mxdane/reissue.h"

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

/// The issuer the options choose; throws Error(bad_input) for an unknown
/// --issuer or `command` without --issue-command.
reissue::Issuer issuer_of(const IssueOptions& o);
std::chrono::seconds renew_before_of(const IssueOptions& o);

/// Reissues the certificate of the current (switching, reloading and
/// proving as rollover activate does) or the next key; `names` empty keeps
/// the certificate's names.
reissue::Result reissue_key(const RolloverOptions& o, const rollover::Layout& l, rotation::State& s,
                            reissue::Which which, const std::vector<std::string>& names, Io& io);

/// After `rollover stage`: with an issue command, the staged key's
/// certificate comes from it (the key stays staged either way; a refusal
/// throws, naming the command that retries). Returns the staged key.
rotation::KeyTimeline issue_staged(const RolloverOptions& o, const rollover::Layout& l, rotation::State& s, Io& io);

/// For `rollover auto`: reissues the certificate in service (switching and
/// proving live) when it has less than --renew-before left; the one line
/// for the log when it did, nullopt when it was not due.
std::optional<std::string> renew_if_due(const RolloverOptions& o, const rollover::Layout& l, rotation::State& s,
                                        Io& io);

/// For `rollover auto`, before the planner's step: renew_if_due, then, with
/// an issue command, the staged key's certificate when it is still
/// self-signed (an earlier pass's issuer failed). The log line of what it
/// did, nullopt when nothing was needed; throws when the issuer refused.
std::optional<std::string> certificates_pass(const RolloverOptions& o, const rollover::Layout& l, rotation::State& s,
                                             Io& io);

/// For `rollover status`: a warning when the certificate in service has
/// less than --renew-before left, else nullopt.
std::optional<std::string> expiry_warning(const RolloverOptions& o, const rotation::State& s);

/// One line for people: "self-signed, valid until ..." / "issued, ...".
std::string reissue_summary(const reissue::Result& r);

} // namespace mxdane::cli
