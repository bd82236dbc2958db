// What the rollover subcommands share (src/cli/cmd_rollover*.cpp): their
// options, the DNS observation, and the switch with its live proof.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli.h"
#include "issue_cli.h"
#include "mxdane/rollover.h"
#include "mxdane/rotation.h"
#include "mxdane/store.h"
#include "publish_cli.h"
#include "resolver_cli.h"

namespace mxdane::cli {

struct RolloverOptions {
    std::string host;
    std::string key_dir = store::default_key_dir.string();
    std::string cert_dir = store::default_cert_dir.string();
    std::string out_dir;
    std::string state_dir = rollover::default_state_dir.string();
    ResolverCli resolver;
    std::string now; ///< injected clock (tests): "2026-11-28T12:00:00Z"
    // init
    std::string key_file;
    std::string cert_file;
    std::string mta; ///< empty: the installed MTA
    // stage / emergency / auto
    std::string key_type;
    unsigned days = 1096;
    unsigned key_life_days = 365;
    // status / activate / retire / auto
    std::optional<std::uint32_t> ttl;
    std::uint32_t margin_days = 7;
    std::optional<std::uint64_t> margin_seconds;
    bool json = false;
    bool nagios = false;
    // activate / emergency / auto
    std::string reload;
    std::string verify_at = "127.0.0.1";
    std::uint16_t port = 25;
    bool force = false;
    unsigned verify_tries = 10;
    // retire / auto
    bool delete_old = false;
    // auto
    std::string config;
    PublishOptions publish;
    std::uint32_t publish_ttl = 3600;
    // stage / auto / reissue: where certificates come from (issue_cli.h)
    IssueOptions issue;
};

rollover::Layout layout_of(const RolloverOptions& o);
rotation::State load_state(const rollover::Layout& l);
rotation::Policy policy_of(const RolloverOptions& o);
/// The clock: --now when given (tests), else the system clock.
rotation::TimePoint now_of(const RolloverOptions& o);

/// The StageRequest the options describe (--key checked, --days).
rollover::StageRequest stage_request(const RolloverOptions& o, const rollover::Layout& l, rotation::TimePoint now);

/// What the validating resolver shows at _25._tcp.<host>.
rotation::DnsView look_up(const RolloverOptions& o, const rollover::Layout& l, std::uint16_t port);
std::string security_text(const rotation::DnsView& v);
void print_rrset(std::ostream& os, const std::string& owner, const std::vector<tlsa::Record>& rrset,
                 const std::string& indent = "");
std::string role_of(const rotation::State& s, const rotation::KeyTimeline& k);
std::string when(const std::optional<rotation::TimePoint>& t);

/// Observes DNS, records what it saw in the state file, and plans.
struct Observed {
    rotation::State state;
    rotation::DnsView dns;
    rotation::Plan plan;
};
Observed observe_and_plan(const RolloverOptions& o, const rollover::Layout& l, rotation::TimePoint now);

/// ADDR[:PORT] or [V6]:PORT, the port defaulting to `port`.
std::pair<std::string, std::uint16_t> parse_verify_at(const std::string& text, std::uint16_t port);
/// Runs the reload command (none: true); false, with a warning, when it fails.
bool run_reload(const std::string& cmd, Io& io);
/// Proves over STARTTLS that the MTA at --verify-at serves `key.record`.
bool prove_serves(const RolloverOptions& o, const rollover::Layout& l, const rotation::KeyTimeline& key, Io& io);
/// Switch the stable names to `to`, reload, prove the MTA serves it; on
/// failure switch back to `back` and reload again. False when it failed.
bool switch_and_prove(const RolloverOptions& o, const rollover::Layout& l, const rotation::KeyTimeline& to,
                      const rotation::KeyTimeline* back, Io& io);

void common_options(CLI::App& sub, RolloverOptions& o);
void dns_options(CLI::App& sub, RolloverOptions& o);
void switch_options(CLI::App& sub, RolloverOptions& o);

/// rollover auto (issue #6): one unattended, idempotent pass.
Exit do_auto(RolloverOptions& o, CLI::App& sub, Io& io);
/// rollover status --nagios: one line, monitoring plug-in exit codes.
int do_nagios(const RolloverOptions& o, Io& io);

} // namespace mxdane::cli
