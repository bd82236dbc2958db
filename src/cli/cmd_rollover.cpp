// mxdane rollover init|stage|status|activate|retire|emergency.
// The library engine (src/lib/rotation/engine*.cpp) does each step, host
// lock and certificates included; this file parses the options, calls it
// and says what happened.
#include <algorithm>
#include <memory>

#include "flags.h"
#include "format.h"
#include "help.h"
#include "mta_cli.h"
#include "mxdane/error.h"
#include "mxdane/rollover.h"
#include "rollover_common.h"

namespace mxdane::cli {
namespace {

Exit do_init(const RolloverOptions& o, Io& io) {
    const auto l = layout_of(o);
    const mta::Kind kind = mta_choice(o.mta); // validate --mta before changing anything
    rollover::InitRequest req;
    req.layout = l;
    if (!o.key_file.empty()) {
        req.key = o.key_file;
    }
    if (!o.cert_file.empty()) {
        req.cert = o.cert_file;
    }
    req.now = now_of(o);
    req.issuer = issuer_of(o.issue);
    const auto r = rollover::init(req);
    const std::string lines = mta::config_lines(kind, l.host, l.stable_key(), l.stable_cert());
    const auto warnings = mta_warnings(kind, l.stable_key(), std::nullopt);
    if (o.json) {
        nlohmann::json j = json_top(o.command, 0, warnings);
        j["host"] = l.host;
        j["key_file"] = r.key.string();
        j["cert_file"] = r.cert.string();
        j["found"] = r.how_found;
        j["stable_names_in_place"] = r.stable_names_in_place;
        j["record"] = tlsa_json(tlsa::owner(l.host, 25), r.state.keys.front().record, std::nullopt);
        j["mta_config"] = lines;
        j["state_file"] = l.state_file().string();
        print_json(j, io);
        return Exit::ok;
    }
    // keygen made the stable names and printed the configuration already;
    // an explicit --mta still gets its lines.
    if (!r.stable_names_in_place || !o.mta.empty()) {
        io.out << lines;
    }
    if (r.stable_names_in_place) {
        io.err << "Adopted " << r.key.string() << " and " << r.cert.string() << " as key 1; the stable names "
               << l.stable_key().string() << " and " << l.stable_cert().string()
               << " point at them already, so the MTA's configuration stays as it is.\n";
    } else {
        io.err << "Adopted " << r.key.string() << " and " << r.cert.string() << " (" << r.how_found << ") as key 1.\n"
               << "Stable names: " << l.stable_key().string() << " -> " << r.key.filename().string() << ", "
               << l.stable_cert().string() << " -> " << r.cert.filename().string() << "\n"
               << "Next: point " << mta_label(kind) << " at the stable names (above) and reload it ("
               << reload_hint(kind) << ").\n";
    }
    io.err << "Make sure DNS publishes\n  " << tlsa::zone_line(tlsa::owner(l.host, 25), r.state.keys.front().record)
           << "\n";
    for (const auto& w : warnings) {
        io.err << "warning: " << w << "\n";
    }
    io.err << "State: " << l.state_file().string() << "\n"
           << "In about a year:\n  " << hint(o, "stage") << "\n";
    return Exit::ok;
}

/// Prints a report as JSON (stdout) or as talk, and returns `exit`.
/// `observed`: the step looked up DNS and asked the planner.
Exit finish(const RolloverOptions& o, const rollover::Report& r, Exit exit, bool observed, Io& io) {
    if (o.json) {
        print_json(report_json(o, r, exit, observed), io);
        return exit;
    }
    print_actions(o, r, io);
    return exit;
}

Exit do_stage(const RolloverOptions& o, Io& io) {
    EngineFromOptions e(o, false, false, false);
    const auto r = worded(e.engine().stage(now_of(o)));
    if (r.issuer_failed) {
        // The key stays staged; the retry is a reissue of its certificate.
        if (o.json) {
            return finish(o, r, Exit::no, false, io);
        }
        print_actions(o, r, io);
        io.err << "error: " << r.summary << "; get its certificate with 'mxdane reissue --next --issue-command ... "
               << layout_of(o).host << "'\n";
        return Exit::no;
    }
    if (o.json) {
        return finish(o, r, Exit::ok, false, io);
    }
    if (o.dry_run) {
        print_actions(o, r, io);
        io.err << "Dry run: nothing was changed.\n";
        return Exit::ok;
    }
    for (const auto& a : r.actions) {
        io.err << a.text << "\n";
    }
    for (const auto& w : r.warnings) {
        io.err << "warning: " << w << "\n";
    }
    const auto* cur = rotation::current_key(r.state);
    const auto* next = rotation::next_key(r.state);
    if (cur != nullptr) {
        io.out << tlsa::zone_line(r.owner, cur->record) << "\n";
    }
    io.out << tlsa::zone_line(r.owner, next->record) << "\n";
    const std::string cmd = publish_hint(o, true, next->cert_file.string());
    io.err << "Staged key " << next->id << ": " << next->key_file.string() << " and " << next->cert_file.string()
           << "\nThe MTA keeps serving key " << (cur != nullptr ? std::to_string(cur->id) : "-") << ".\n"
           << (cmd.empty() ? "Next: publish both records above (the current one stays) in the DNSSEC-signed zone"
                           : "Next: publish the new record (the current one stays):\n  " + cmd)
           << "\nthen run\n  " << hint(o, "status") << "\nuntil it says the switch is allowed (2 x TTL + "
           << (o.margin_seconds ? std::to_string(*o.margin_seconds) + " s" : std::to_string(o.margin_days) + " days")
           << " after DNS first shows the new record), then\n  " << hint(o, "activate") << "\n";
    return Exit::ok;
}

/// status: health first. Exit 1 critical, 3 DANE not in effect, 4 waiting,
/// 0 otherwise (README "Exit codes").
Exit status_exit(const rollover::Report& r) {
    if (r.health.level == rotation::HealthLevel::critical) {
        return Exit::no;
    }
    if (r.dns.security == rotation::DnsView::Security::insecure || !r.dns.exists) {
        return Exit::not_in_effect;
    }
    return r.plan.can_act_now ? Exit::ok : Exit::waiting;
}

Exit do_status(const RolloverOptions& o, Io& io) {
    EngineFromOptions e(o, true, false, false);
    // An admin's look on the real clock records what DNS shows (when this
    // user may); a rehearsal with --now never writes.
    const auto r = worded(e.engine().status(now_of(o), false, o.now.empty()));
    const Exit exit = status_exit(r);
    if (o.json) {
        return finish(o, r, exit, true, io);
    }
    for (const auto& w : r.warnings) {
        io.err << "warning: " << w << "\n";
    }
    io.out << "health:  " << rotation::health_level_name(r.health.level) << ": " << r.health.message << " ("
           << r.health.reason << ")\n"
           << "host:    " << layout_of(o).host << "\n"
           << "step:    " << rotation::step_name(r.plan.step) << (r.plan.can_act_now ? " (allowed now)" : " (waiting)")
           << "\n"
           << "reason:  " << r.plan.reason << "\n";
    if (r.plan.allowed_at) {
        io.out << "allowed: " << iso_utc(*r.plan.allowed_at) << "\n";
    }
    io.out << "should publish:\n";
    for (const auto& rec : r.plan.rrset) {
        io.out << "  " << tlsa::zone_line(r.owner, rec) << "\n";
    }
    io.out << "DNS shows (" << security_text(r.dns) << ", TTL " << r.dns.ttl
           << (r.dns.signatures_expire ? ", signed until " + iso_utc(*r.dns.signatures_expire) : std::string())
           << "):\n";
    for (const auto& rec : r.dns.records) {
        io.out << "  " << tlsa::zone_line(r.owner, rec) << "\n";
    }
    if (r.dns.servers) {
        // Each authoritative server on its own (issue #24): the key ids of
        // the records it serves, its TTL and SOA serial.
        io.out << "authoritative servers:\n";
        for (const auto& sv : *r.dns.servers) {
            io.out << "  " << server_text(r, sv) << "\n";
        }
    }
    io.out << "keys:\n";
    for (const auto& k : r.state.keys) {
        const auto when = [](const std::optional<rotation::TimePoint>& t) { return t ? iso_utc(*t) : "-"; };
        const std::string role = role_of(r.state, k);
        io.out << "  " << k.id << " " << role << " " << k.key_file.filename().string() << " created " << when(k.created)
               << " published " << when(k.published) << " active " << when(k.active) << " retired " << when(k.retired)
               << "\n";
    }
    return exit;
}

/// rollover disable / enable: the admin's intent recorded in the state;
/// rollover rewind: the way back from times ahead of the clock.
enum class Record { disable, enable, rewind };
Exit do_record(const RolloverOptions& o, Io& io, Record what) {
    EngineFromOptions e(o, false, false, false);
    const auto now = now_of(o);
    const auto r = worded(what == Record::disable  ? e.engine().disable(now)
                          : what == Record::enable ? e.engine().enable(now)
                                                   : e.engine().rewind(now));
    if (o.json) {
        return finish(o, r, Exit::ok, false, io);
    }
    print_actions(o, r, io);
    io.out << r.summary << "\n";
    return Exit::ok;
}

Exit do_activate(const RolloverOptions& o, Io& io) {
    EngineFromOptions e(o, true, false, true);
    const auto r = worded(e.engine().activate(now_of(o)));
    const Exit exit = r.outcome == rollover::Report::Outcome::acted ? Exit::ok : Exit::no;
    if (o.json) {
        return finish(o, r, exit, true, io);
    }
    for (const auto& w : r.warnings) {
        io.err << "warning: " << w << "\n";
    }
    for (const auto& a : r.actions) {
        io.err << (a.ok ? "" : "error: ") << (a.dry_run ? "dry run: " : "") << a.text << "\n";
    }
    if (exit != Exit::ok) {
        io.err << "error: " << r.summary << "\n";
        return exit;
    }
    if (o.dry_run) {
        io.err << "Dry run: nothing was changed.\n";
        return exit;
    }
    const auto* live = rotation::current_key(r.state);
    const auto* old = rotation::old_key(r.state);
    io.out << tlsa::zone_line(r.owner, live->record) << "\n";
    io.err << "Key " << live->id << " is in service.\n";
    if (old != nullptr) {
        const std::string cmd = publish_hint(o, false, old->cert_file.string());
        io.err << "Next: remove the old record from DNS, keep the record above:\n  "
               << (cmd.empty() ? tlsa::zone_line(r.owner, old->record) : cmd) << "\n";
    }
    io.err << "then run\n  " << hint(o, "retire") << "\n";
    return exit;
}

Exit do_retire(const RolloverOptions& o, Io& io) {
    EngineFromOptions e(o, true, false, false);
    const auto r = worded(e.engine().retire(now_of(o)));
    const Exit exit = r.outcome == rollover::Report::Outcome::acted     ? Exit::ok
                      : r.outcome == rollover::Report::Outcome::waiting ? Exit::waiting
                                                                        : Exit::no;
    if (o.json) {
        return finish(o, r, exit, true, io);
    }
    for (const auto& w : r.warnings) {
        io.err << "warning: " << w << "\n";
    }
    if (exit == Exit::no) {
        io.err << "error: " << r.summary << "\n";
        return exit;
    }
    if (exit == Exit::waiting) {
        io.out << "; remove:\n";
        for (const auto& rec : r.to_withdraw) {
            io.out << tlsa::zone_line(r.owner, rec) << "\n";
            const auto* old = rotation::old_key(r.state);
            const std::string cmd = publish_hint(o, false, old != nullptr ? old->cert_file.string() : "");
            if (!cmd.empty()) {
                io.err << "Withdraw: " << cmd << "\n";
            }
        }
        io.out << "; keep:\n";
        for (const auto& rec : r.plan.rrset) {
            io.out << tlsa::zone_line(r.owner, rec) << "\n";
        }
        io.err << "Waiting: " << r.summary << "\n";
        return exit;
    }
    for (const auto& a : r.actions) {
        io.err << (a.dry_run ? "dry run: " : "") << a.text << "\n";
    }
    io.err << (o.dry_run ? "Dry run: nothing was changed.\n"
                         : "The rollover is complete. Stage the next one in about a year.\n");
    return exit;
}

Exit do_emergency(const RolloverOptions& o, Io& io) {
    EngineFromOptions e(o, false, true, true);
    const auto r = worded(e.engine().emergency(now_of(o)));
    const Exit exit = r.outcome == rollover::Report::Outcome::acted ? Exit::ok : Exit::no;
    if (o.json) {
        return finish(o, r, exit, false, io);
    }
    print_actions(o, r, io);
    if (exit != Exit::ok) {
        io.err << "error: " << r.summary << "\n";
        if (r.issuer_failed) {
            io.err << "Run this again, or add --issuer self to go ahead at once with a self-signed certificate "
                      "(DANE senders accept it; MTA-STS senders in enforce mode defer mail until "
                      "'mxdane reissue --issuer command "
                   << layout_of(o).host << "').\n";
        }
        return exit;
    }
    if (o.dry_run) {
        io.err << "Dry run: nothing was changed.\n";
        return exit;
    }
    io.err << r.summary << ".\n";
    if (!e.has_publisher()) {
        io.err << "Publish ONLY the record of the new key (on stdout) now, replacing every other.\n";
    }
    io.err << "Then run\n  " << hint(o, "status") << "\nand, once the old record is gone,\n  " << hint(o, "retire")
           << "\n";
    return exit;
}

Runner setup(CLI::App& app) {
    auto o = std::make_shared<RolloverOptions>();
    app.require_subcommand(1, 1);
    app.footer("Examples, the yearly key rotation step by step:\n"
               "  mxdane rollover init mx1.example.net       adopt the key in service\n"
               "  mxdane rollover stage mx1.example.net      make the next key; publish both records\n"
               "  mxdane rollover status mx1.example.net     health first, then the step and when it is allowed\n"
               "  mxdane rollover activate mx1.example.net --reload 'postfix reload'\n"
               "  mxdane rollover retire mx1.example.net     after removing the old record\n"
               "Or unattended, daily: mxdane rollover auto --config /etc/mxdane/mx1.example.net.conf mx1.example.net");

    auto* init = app.add_subcommand("init", "adopt the key and certificate the MTA uses now");
    common_options(*init, *o);
    init->add_option("--key", o->key_file, "the private key in service (default: found by name)");
    init->add_option("--cert", o->cert_file, "its certificate");
    init->add_option("--mta", o->mta,
                     "print configuration for postfix, exim or opensmtpd (default: the one installed, else postfix)");

    auto* stage = app.add_subcommand("stage", "make the next key and print the RRset to publish");
    common_options(*stage, *o);
    stage->add_option("--key", o->key_type, "key type (default: the current key's)");
    stage->add_option("--key-group", o->key_group,
                      "group that may read the new key (mode 0440; default: the current key's)");
    stage->add_option("--days", o->days, "certificate validity in days (default 1096)");
    stage->add_option("--margin-days", o->margin_days, "safety margin after 2 x TTL, 0 to 3650 days (default 7)")
        ->check(CLI::Range(std::uint32_t{0}, rotation::max_margin_days));
    stage
        ->add_option("--margin", o->margin_seconds,
                     "safety margin in seconds, 0 to 315360000 (overrides --margin-days)")
        ->check(CLI::Range(std::uint64_t{0}, static_cast<std::uint64_t>(rotation::max_margin_seconds)));
    add_publish_options(*stage, o->publish, true);
    add_issue_options(*stage, o->issue);
    stage->add_flag("--dry-run", o->dry_run, "say what would be made, change nothing");

    auto* status = app.add_subcommand("status", "health, the step, what DNS shows, and when the next step is allowed");
    common_options(*status, *o);
    dns_options(*status, *o);
    status
        ->add_flag("--nagios,--check", o->nagios,
                   "one line and monitoring plug-in exit codes (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)")
        ->excludes("--json");
    status->add_option("--verify-at", o->verify_at, "with --nagios: ADDR[:PORT] of the MTA (default 127.0.0.1:25)");
    status->add_option("--port", o->port, "with --nagios: SMTP port when --verify-at has none (default 25)");
    status->add_option("--key-life", o->key_life_days, "warn 30 days after this key age (days, default 365)");
    status->add_option("--renew-before", o->issue.renew_before_days,
                       "warn when the certificate has fewer days left (default 30)");
    status
        ->add_option("--sig-warn-days", o->sig_warn_days,
                     "warn when the zone's signatures expire within this many days (default 7)")
        ->check(CLI::Range(0U, 3650U));

    auto* activate = app.add_subcommand("activate", "switch the MTA to the next key, once DNS allows it");
    common_options(*activate, *o);
    dns_options(*activate, *o);
    switch_options(*activate, *o);
    add_publish_options(*activate, o->publish, true);
    activate->add_flag("--force", o->force, "switch even if the planner says wait (senders may defer mail)");
    activate->add_flag("--dry-run", o->dry_run, "say what would be switched and reloaded, change nothing");

    auto* retire = app.add_subcommand("retire", "once the old record is gone from DNS, move the old key away");
    common_options(*retire, *o);
    dns_options(*retire, *o);
    add_publish_options(*retire, o->publish, true);
    retire->add_flag("--delete-old", o->delete_old, "delete the old key and certificate instead of moving them");
    retire->add_flag("--dry-run", o->dry_run, "say what would be moved, change nothing");

    auto* emergency = app.add_subcommand(
        "emergency", "the key is compromised: new key, publish it, switch and prove, withdraw the old record");
    common_options(*emergency, *o);
    switch_options(*emergency, *o);
    add_publish_options(*emergency, o->publish, true);
    emergency->add_option("--key", o->key_type, "key type (default: the current key's)");
    emergency->add_option("--key-group", o->key_group,
                          "group that may read the new key (mode 0440; default: the current key's)");
    emergency->add_option("--days", o->days, "certificate validity in days (default 1096)");
    emergency
        ->add_option("--ttl", o->ttl, "the TTL of the RRset in caches, 0 to 2147483647 s (default: the largest seen)")
        ->check(CLI::Range(std::uint32_t{0}, rotation::max_ttl));
    emergency->add_option("--publish-ttl", o->publish_ttl, "TTL of the record it publishes (default 3600)");
    add_issue_options(*emergency, o->issue);
    emergency->add_flag("--dry-run", o->dry_run, "say what would be done, change nothing");

    auto* autopass = app.add_subcommand("auto", "one unattended pass, safe to run daily from a timer");
    common_options(*autopass, *o);
    dns_options(*autopass, *o);
    switch_options(*autopass, *o);
    add_publish_options(*autopass, o->publish, true);
    autopass->add_option("--key-life", o->key_life_days,
                         "stage a new key when the current one is this old (days, default 365)");
    autopass
        ->add_option("--sig-warn-days", o->sig_warn_days,
                     "warn when the zone's signatures expire within this many days (default 7)")
        ->check(CLI::Range(0U, 3650U));
    autopass->add_option("--key", o->key_type, "key type for new keys (default: the current key's)");
    autopass->add_option("--key-group", o->key_group,
                         "group that may read new keys (mode 0440; default: the current key's)");
    autopass->add_option("--days", o->days, "certificate validity in days (default 1096)");
    autopass->add_option("--publish-ttl", o->publish_ttl, "TTL of the records it publishes (default 3600)");
    autopass->add_flag("--delete-old", o->delete_old, "delete the old key instead of moving it to retired/");
    autopass->add_flag("--quiet", o->quiet, "print nothing while waiting with health ok (for cron)");
    autopass->add_flag("--dry-run", o->dry_run, "say what this pass would do, change nothing");
    add_issue_options(*autopass, o->issue);

    auto* disable = app.add_subcommand(
        "disable", "record that DANE for the host ends on purpose: auto stops republishing its record");
    common_options(*disable, *o);
    disable->add_flag("--dry-run", o->dry_run, "say what would be recorded, change nothing");
    auto* enable = app.add_subcommand("enable", "undo disable: auto republishes a missing record again");
    common_options(*enable, *o);
    enable->add_flag("--dry-run", o->dry_run, "say what would be recorded, change nothing");
    auto* rewind = app.add_subcommand(
        "rewind", "move every time of the state that is ahead of the clock back to now (keys and records stay)");
    common_options(*rewind, *o);
    rewind->add_flag("--dry-run", o->dry_run, "say which times would move, change nothing");

    rollover_help(app);

    return [o, init, stage, status, activate, retire, emergency, autopass, disable, enable, rewind](Io& io) {
        const std::vector<std::pair<CLI::App*, const char*>> subs{
            {init, "init"},     {stage, "stage"},         {status, "status"}, {activate, "activate"},
            {retire, "retire"}, {emergency, "emergency"}, {autopass, "auto"}, {disable, "disable"},
            {enable, "enable"}, {rewind, "rewind"}};
        for (const auto& [sub, name] : subs) {
            if (!sub->parsed()) {
                continue;
            }
            o->command = std::string("rollover ") + name;
            apply_config(*o, *sub, io);
            if (sub == autopass) {
                return do_auto(*o, io);
            }
            if (sub == init) {
                return do_init(*o, io);
            }
            if (sub == stage) {
                return do_stage(*o, io);
            }
            if (sub == status) {
                return o->nagios ? static_cast<Exit>(do_nagios(*o, io)) : do_status(*o, io);
            }
            if (sub == activate) {
                return do_activate(*o, io);
            }
            if (sub == disable || sub == enable || sub == rewind) {
                return do_record(*o, io,
                                 sub == disable  ? Record::disable
                                 : sub == enable ? Record::enable
                                                 : Record::rewind);
            }
            if (sub == retire) {
                return do_retire(*o, io);
            }
            return do_emergency(*o, io);
        }
        throw Error(Errc::bad_input,
                    "rollover needs a step: init, stage, status, activate, retire, emergency, auto, disable, enable or "
                    "rewind");
    };
}

} // namespace

Command rollover_command() {
    return {"rollover",
            "rotate the MX key without a deferred message: init, stage, status, activate, "
            "retire, emergency, auto, disable, enable, rewind",
            setup};
}

} // namespace mxdane::cli
