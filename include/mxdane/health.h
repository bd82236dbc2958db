// The rollover's health verdict: beside the step the planner allows, how
// mail to this host fares right now. Pure: the state, what DNS shows, the
// key the MTA serves and whether the publishing credentials work, when
// known; no I/O here.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mxdane/check.h"
#include "mxdane/rotation.h"
#include "mxdane/tlsa.h"

namespace mxdane::rotation {

/// How bad it is: `critical` means DANE-validating senders defer mail now
/// (or the next step cannot be carried out); `warning` that DANE is not in
/// effect or an action is overdue; `ok` that nothing needs a person.
enum class HealthLevel { ok, warning, critical };
/// "ok", "warning", "critical".
std::string_view health_level_name(HealthLevel level);

struct Health {
    HealthLevel level = HealthLevel::ok;
    std::string message; ///< one sentence for people
    std::string reason;  ///< the rule behind it: "RFC 7672 §2.2"
};

/// What a DANE-validating sender would do with the host now: the walk of
/// `check` in MX-host mode (mxdane/check.h), the same model and the same
/// words as `mxdane check --mx HOST`.
struct SenderView {
    check::Overall overall = check::Overall::not_in_effect;
    std::vector<std::string> weak_paths; ///< check::weak_paths: one line per weak path
};

/// The default of HealthFacts::signature_warn: a week, so that a signer
/// that stopped is noticed while a weekly re-signing cycle can still run.
inline constexpr std::chrono::seconds default_signature_warn{std::chrono::hours(24 * 7)};

/// What was learnt this run beside DNS.
struct HealthFacts {
    /// The record of the key the MTA was seen serving, when probed.
    std::optional<tlsa::Record> served;
    /// Whether the publishing credentials (TSIG) were proven this run:
    /// unset when not checked, else the failure text ("" when they work).
    std::optional<std::string> credentials_error;
    /// Why the stable names do not point at the key in service (an
    /// interrupted switch the lock could not complete), when they do not.
    std::optional<std::string> stable_pair_problem;
    /// The sender's view of the host, when it was walked (status with a
    /// probe, and the daily pass).
    std::optional<SenderView> sender;
    /// A key older than this is overdue for rotation.
    std::chrono::seconds key_life{std::chrono::hours(24 * 365)};
    /// How long past its life a key may run before it is a warning.
    std::chrono::seconds grace{std::chrono::hours(24 * 30)};
    /// Signatures that expire sooner than this are a warning; sooner than
    /// 2 x TTL or a day (whichever is longer), critical.
    std::chrono::seconds signature_warn{default_signature_warn};
    /// When the certificate in service starts being valid, when known.
    std::optional<TimePoint> cert_not_before;
    /// The rollover's safety margin: a switch held back by a server that
    /// is behind is critical once it is overdue by this much.
    std::chrono::seconds margin{std::chrono::hours(24 * 7)};
};

/// How long a server may be behind the others (silent, or serving an
/// older SOA serial) before it is a warning: a day (issue #24).
inline constexpr std::chrono::seconds server_lag_warn{std::chrono::hours(24)};

/// The verdict; the worst finding wins, criticals in the order a person
/// should fix them.
Health assess(const State& s, const DnsView& dns, TimePoint now, const HealthFacts& facts);

} // namespace mxdane::rotation
