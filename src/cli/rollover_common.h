// What the rollover subcommands share (src/cli/cmd_rollover*.cpp): their
// options, the settings file, building the library engine from them, and
// printing its report. The workflow itself is src/lib/rotation/engine.cpp.
#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli.h"
#include "format.h"
#include "issue_cli.h"
#include "mxdane/engine.h"
#include "mxdane/rollover.h"
#include "mxdane/rotation.h"
#include "mxdane/store.h"
#include "publish_cli.h"
#include "resolver_cli.h"

namespace mxdane::cli {

struct RolloverOptions {
    std::string command; ///< "rollover status", for JSON and hints
    std::string host;
    std::string key_dir = store::default_key_dir.string();
    std::string cert_dir = store::default_cert_dir.string();
    std::string out_dir;
    std::string state_dir = rollover::default_state_dir.string();
    std::string config;
    ResolverCli resolver;
    std::string now;        ///< plan as of this time: "2026-11-28T12:00:00Z" (dry run, status)
    std::string test_clock; ///< the labs' clock for every step (hidden; never the default state directory)
    bool json = false;
    bool dry_run = false;
    // init
    std::string key_file;
    std::string cert_file;
    std::string mta; ///< empty: the installed MTA
    // stage / emergency / auto
    std::string key_type;
    std::string key_group;
    unsigned days = 1096;
    unsigned key_life_days = 365;
    unsigned sig_warn_days = 7; ///< --sig-warn-days: signatures expiring sooner are a warning
    // status / activate / retire / auto
    std::optional<std::uint32_t> ttl;
    std::uint32_t margin_days = 7;
    std::optional<std::uint64_t> margin_seconds;
    bool nagios = false;
    // activate / emergency / auto
    std::string reload;
    std::string verify_at = "127.0.0.1";
    std::uint16_t port = 25;
    bool force = false;
    unsigned verify_tries = 10;
    // retire / auto
    bool delete_old = false;
    // auto / emergency
    bool quiet = false;
    PublishOptions publish;
    std::uint32_t publish_ttl = 3600;
    // stage / auto / reissue: where certificates come from (issue_cli.h)
    IssueOptions issue;
};

rollover::Layout layout_of(const RolloverOptions& o);
/// ADDR[:PORT] or [V6]:PORT, the port defaulting to `port`.
std::pair<std::string, std::uint16_t> parse_verify_at(const std::string& text, std::uint16_t port);
/// The clock: --now (only with --dry-run, or for status), else the labs'
/// --test-clock, else the system clock.
rotation::TimePoint now_of(const RolloverOptions& o);

/// Applies --config: `key = value` lines named as the long options; the
/// command line wins. One file serves every rollover subcommand.
void apply_config(RolloverOptions& o, CLI::App& sub, Io& io);

/// The engine and the collaborators it borrows, built from the options.
class EngineFromOptions {
  public:
    /// `dns`: look up DNS (else every lookup is an internal error);
    /// `publisher`: build one when the options name one; `mta`: the MTA
    /// control for switches and probes. The issuer is always the one the
    /// options choose (a bad --issuer is refused here, before any change).
    EngineFromOptions(const RolloverOptions& o, bool dns, bool publisher, bool mta);
    rollover::Engine& engine() { return *m_engine; }
    [[nodiscard]] bool has_publisher() const { return m_publisher != nullptr; }

  private:
    std::unique_ptr<dns::Resolver> m_resolver;
    std::unique_ptr<rollover::KeyStore> m_store;
    std::unique_ptr<publish::Publisher> m_publisher;
    std::unique_ptr<rollover::MtaControl> m_mta;
    std::unique_ptr<rollover::CertIssuer> m_issuer;
    std::unique_ptr<rollover::AuthoritativeServers> m_servers; ///< with DNS: every server asked on its own
    std::unique_ptr<rollover::Engine> m_engine;
};

/// "mxdane rollover STEP --out ... --state-dir ... HOST": a next step that
/// works when pasted, carrying the options this run used.
std::string hint(const RolloverOptions& o, const std::string& step);
/// "mxdane publish|unpublish --nsupdate ... --cert FILE HOST" with the
/// publishing options this run used; "" when none were given.
std::string publish_hint(const RolloverOptions& o, bool add, const std::string& cert_file);

/// Prints the actions (stderr), warnings, and what is left to publish or
/// withdraw by hand.
/// `r` with its text worded through the CLI's flags (with_flags): the
/// library names settings in words ("the force setting"), the text and the
/// --json output both say "--force". Every command words its report once,
/// right where the engine returns it.
rollover::Report worded(rollover::Report r);

void print_actions(const RolloverOptions& o, const rollover::Report& r, Io& io);
/// The report as the project's JSON object ("command", "exit", "warnings";
/// schema/rollover.json). `observed`: the step looked up DNS and asked the
/// planner (else the plan and DNS members are null).
nlohmann::json report_json(const RolloverOptions& o, const rollover::Report& r, Exit exit, bool observed);
/// Prints a --json object on stdout and, as with the talk, its warnings on
/// stderr ("warning: ..."): a script reads the one, a person the other.
void print_json(const nlohmann::json& j, Io& io);
std::string security_text(const rotation::DnsView& v);
/// "current", "next", "old", "incomplete" (an interrupted stage), "removed".
std::string role_of(const rotation::State& s, const rotation::KeyTimeline& k);
/// One authoritative server as status and --nagios show it: "ns2.example.net
/// (192.0.2.2): key 1, key 2, TTL 3600, serial 8, TLSA signed until T,
/// behind since T" (the key ids of the records it serves).
std::string server_text(const rollover::Report& r, const rotation::ServerSeen& sv);

void common_options(CLI::App& sub, RolloverOptions& o);
void dns_options(CLI::App& sub, RolloverOptions& o);
void switch_options(CLI::App& sub, RolloverOptions& o);

/// rollover auto: one unattended, idempotent pass.
Exit do_auto(RolloverOptions& o, Io& io);
/// rollover status --nagios: one line, monitoring plug-in exit codes.
int do_nagios(const RolloverOptions& o, Io& io);

} // namespace mxdane::cli
