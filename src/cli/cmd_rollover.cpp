// mxdane rollover init|stage|status|activate|retire|emergency.
// The planner (src/lib/rotation) decides; this file only observes DNS, asks
// the planner, carries the step out and says what happened.
#include <memory>

#include "format.h"
#include "help.h"
#include "mta_cli.h"
#include "mxdane/error.h"
#include "mxdane/rollover.h"
#include "rollover_common.h"

namespace mxdane::cli {
namespace {

using rotation::DnsView;
using rotation::Step;

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
    const auto r = rollover::init(req);
    // keygen made the stable names and printed the configuration already;
    // an explicit --mta still gets its lines.
    if (!r.stable_names_in_place || !o.mta.empty()) {
        io.out << mta::config_lines(kind, l.host, l.stable_key(), l.stable_cert());
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
    for (const auto& w : mta_warnings(kind, l.stable_key(), std::nullopt)) {
        io.err << "warning: " << w << "\n";
    }
    io.err << "State: " << l.state_file().string() << "\n"
           << "In about a year: 'mxdane rollover stage " << l.host << "'.\n";
    return Exit::ok;
}

Exit do_stage(const RolloverOptions& o, Io& io) {
    const auto l = layout_of(o);
    const auto lock = rollover::lock_host(l);
    rotation::State s = load_state(l);
    const rollover::StageRequest req = stage_request(o, l, now_of(o));
    (void)issuer_of(o.issue); // a bad --issuer is refused before a key is made
    (void)rollover::stage(req, s);
    const rotation::KeyTimeline next = issue_staged(o, l, s, io);
    const auto* cur = rotation::current_key(s);
    const std::string owner = tlsa::owner(l.host, s.port);
    if (cur != nullptr) {
        io.out << tlsa::zone_line(owner, cur->record) << "\n";
    }
    io.out << tlsa::zone_line(owner, next.record) << "\n";
    io.err << "Staged key " << next.id << ": " << next.key_file.string() << " and " << next.cert_file.string()
           << "\nThe MTA keeps serving key " << (cur != nullptr ? std::to_string(cur->id) : "-") << ".\n"
           << "Next: publish both records above (the current one stays) in the DNSSEC-signed zone, then run\n"
           << "  mxdane rollover status " << l.host << "\nuntil it says the switch is allowed (2 x TTL + "
           << (o.margin_seconds ? std::to_string(*o.margin_seconds) + " s" : std::to_string(o.margin_days) + " days")
           << " after DNS first shows the new record), then 'mxdane rollover activate " << l.host << "'.\n";
    return Exit::ok;
}

Exit do_status(const RolloverOptions& o, Io& io) {
    const auto l = layout_of(o);
    const auto lock = rollover::lock_host(l);
    const auto ob = observe_and_plan(o, l, now_of(o));
    const std::string owner = tlsa::owner(l.host, ob.state.port);
    if (o.json) {
        nlohmann::json j;
        j["host"] = l.host;
        j["step"] = rotation::step_name(ob.plan.step);
        j["can_act_now"] = ob.plan.can_act_now;
        j["reason"] = ob.plan.reason;
        j["allowed_at"] = ob.plan.allowed_at ? nlohmann::json(iso_utc(*ob.plan.allowed_at)) : nlohmann::json(nullptr);
        j["should_publish"] = nlohmann::json::array();
        for (const auto& r : ob.plan.rrset) {
            j["should_publish"].push_back(tlsa_json(owner, r));
        }
        const auto pair_problem = rollover::stable_pair_problem(l, ob.state);
        j["critical"] = pair_problem ? nlohmann::json(*pair_problem) : nlohmann::json();
        j["dns"] = {{"security", security_text(ob.dns)}, {"ttl", ob.dns.ttl}, {"records", nlohmann::json::array()}};
        for (const auto& r : ob.dns.records) {
            j["dns"]["records"].push_back(tlsa_json(owner, r));
        }
        j["keys"] = nlohmann::json::array();
        for (const auto& k : ob.state.keys) {
            j["keys"].push_back({{"id", k.id},
                                 {"role", role_of(ob.state, k)},
                                 {"key_file", k.key_file.string()},
                                 {"cert_file", k.cert_file.string()},
                                 {"tlsa", k.created ? nlohmann::json(tlsa::rdata_text(k.record)) : nlohmann::json()},
                                 {"created", when(k.created)},
                                 {"published", when(k.published)},
                                 {"active", when(k.active)},
                                 {"retired", when(k.retired)},
                                 {"removed", when(k.removed)}});
        }
        io.out << j.dump(2) << "\n";
    } else {
        if (const auto w = expiry_warning(o, ob.state)) {
            io.err << "warning: " << *w << "\n";
        }
        io.out << "host:    " << l.host << "\n"
               << "step:    " << rotation::step_name(ob.plan.step)
               << (ob.plan.can_act_now ? " (allowed now)" : " (waiting)") << "\n"
               << "reason:  " << ob.plan.reason << "\n";
        if (const auto problem = rollover::stable_pair_problem(l, ob.state)) {
            io.out << "CRITICAL: " << *problem << "\n";
        }
        if (ob.plan.allowed_at) {
            io.out << "allowed: " << iso_utc(*ob.plan.allowed_at) << "\n";
        }
        io.out << "should publish:\n";
        print_rrset(io.out, owner, ob.plan.rrset, "  ");
        io.out << "DNS shows (" << security_text(ob.dns) << ", TTL " << ob.dns.ttl << "):\n";
        print_rrset(io.out, owner, ob.dns.records, "  ");
        io.out << "keys:\n";
        for (const auto& k : ob.state.keys) {
            io.out << "  " << k.id << " " << role_of(ob.state, k) << " " << k.key_file.filename().string()
                   << " created " << when(k.created) << " published " << when(k.published) << " active "
                   << when(k.active) << " retired " << when(k.retired) << "\n";
        }
    }
    return ob.plan.can_act_now ? Exit::ok : Exit::waiting;
}

Exit do_activate(const RolloverOptions& o, Io& io) {
    const auto l = layout_of(o);
    const auto lock = rollover::lock_host(l);
    auto ob = observe_and_plan(o, l, now_of(o));
    const rotation::KeyTimeline* next = rotation::next_key(ob.state);
    if (next == nullptr || !next->created) {
        io.err << "error: no next key is staged for " << l.host << " (" << ob.plan.reason << ")\n";
        return Exit::no;
    }
    if (ob.plan.step != Step::activate) {
        if (!o.force) {
            io.err << "error: not switching yet: " << ob.plan.reason << "\n";
            return Exit::no;
        }
        io.err << "warning: --force: switching although " << ob.plan.reason
               << "; DANE-validating senders whose caches lack the new record will defer mail\n";
    }
    const rotation::KeyTimeline* cur = rotation::current_key(ob.state);
    if (!switch_and_prove(o, l, *next, cur, io)) {
        io.err << "error: the MTA did not take the new key; everything is as it was before\n";
        return Exit::no;
    }
    const auto now = now_of(o);
    rotation::mark_activated(ob.state, now);
    rotation::save(l.state_file(), ob.state);
    const auto* old = rotation::old_key(ob.state);
    const auto* live = rotation::current_key(ob.state);
    io.out << tlsa::zone_line(tlsa::owner(l.host, ob.state.port), live->record) << "\n";
    io.err << "Key " << live->id << " is in service.\nNext: remove the old record from DNS";
    if (old != nullptr) {
        io.err << "\n  " << tlsa::zone_line(tlsa::owner(l.host, ob.state.port), old->record);
    }
    io.err << "\nkeep the record above, then run 'mxdane rollover retire " << l.host << "'.\n";
    return Exit::ok;
}

Exit do_retire(const RolloverOptions& o, Io& io) {
    const auto l = layout_of(o);
    const auto lock = rollover::lock_host(l);
    auto ob = observe_and_plan(o, l, now_of(o));
    const std::string owner = tlsa::owner(l.host, ob.state.port);
    rotation::KeyTimeline* old = rotation::old_key(ob.state);
    if (old == nullptr) {
        io.err << "error: there is no old key to retire (" << ob.plan.reason << ")\n";
        return Exit::no;
    }
    if (ob.plan.step != Step::retire) {
        io.out << "; remove:\n" << tlsa::zone_line(owner, old->record) << "\n; keep:\n";
        print_rrset(io.out, owner, ob.plan.rrset);
        io.err << "Waiting: " << ob.plan.reason << "\n";
        return Exit::waiting;
    }
    const auto r = rollover::retire(l, *old, o.delete_old, now_of(o));
    rotation::save(l.state_file(), ob.state);
    if (o.delete_old) {
        io.err << "Deleted " << old->key_file.string() << " and " << old->cert_file.string() << "\n";
    } else {
        io.err << "Moved key " << old->id << " out of service: " << (r.key ? r.key->string() : "-") << ", "
               << (r.cert ? r.cert->string() : "-") << "\n";
    }
    io.err << "The rollover is complete. Stage the next one in about a year.\n";
    return Exit::ok;
}

Exit do_emergency(const RolloverOptions& o, Io& io) {
    const auto l = layout_of(o);
    const auto lock = rollover::lock_host(l);
    rotation::State s = load_state(l);
    const auto now = now_of(o);
    rotation::check_clock(s, now);
    const rotation::KeyTimeline* cur_before = rotation::current_key(s);
    const std::uint32_t old_ttl = o.ttl ? *o.ttl : (cur_before != nullptr ? cur_before->max_ttl_seen : 0);
    rotation::KeyTimeline* next = rotation::next_key(s);
    if (next == nullptr || !next->created) {
        const rollover::StageRequest req = stage_request(o, l, now);
        if (auto* old = rotation::old_key(s); old != nullptr) {
            // A compromise does not wait for the last rollover's cleanup.
            (void)rollover::retire(l, *old, false, now);
        }
        (void)rollover::stage(req, s);
        next = rotation::next_key(s);
    }
    const rotation::KeyTimeline* cur = rotation::current_key(s);
    if (!switch_and_prove(o, l, *next, cur, io)) {
        io.err << "error: the MTA did not take the new key; it still serves the compromised one\n";
        return Exit::no;
    }
    rotation::mark_activated(s, now);
    rotation::save(l.state_file(), s);
    const auto* live = rotation::current_key(s);
    io.out << tlsa::zone_line(tlsa::owner(l.host, s.port), live->record) << "\n";
    io.err << "Key " << live->id << " is in service. Publish ONLY the record above now, replacing every other.\n"
           << "Until it is published and the old RRset has expired from caches (TTL "
           << (old_ttl != 0 ? std::to_string(old_ttl) + " s" : std::string("unknown: give --ttl"))
           << "), DANE-validating senders defer mail to " << l.host << ": that is the price of a key compromise.\n"
           << "Then run 'mxdane rollover retire " << l.host << "'.\n";
    return Exit::ok;
}

Runner setup(CLI::App& app) {
    auto o = std::make_shared<RolloverOptions>();
    app.require_subcommand(1, 1);
    app.footer("Examples, the yearly key rotation step by step:\n"
               "  mxdane rollover init mx1.example.net       adopt the key in service\n"
               "  mxdane rollover stage mx1.example.net      make the next key; publish both records\n"
               "  mxdane rollover status mx1.example.net     wait until the switch is allowed\n"
               "  mxdane rollover activate mx1.example.net --reload 'postfix reload'\n"
               "  mxdane rollover retire mx1.example.net     after removing the old record");

    auto* init = app.add_subcommand("init", "adopt the key and certificate the MTA uses now");
    common_options(*init, *o);
    init->add_option("--key", o->key_file, "the private key in service (default: found by name)");
    init->add_option("--cert", o->cert_file, "its certificate");
    init->add_option("--mta", o->mta,
                     "print configuration for postfix, exim or opensmtpd (default: the one installed, else postfix)");

    auto* stage = app.add_subcommand("stage", "make the next key and print the RRset to publish");
    common_options(*stage, *o);
    stage->add_option("--key", o->key_type, "key type (default: the current key's)");
    stage->add_option("--days", o->days, "certificate validity in days (default 1096)");
    stage->add_option("--margin-days", o->margin_days, "safety margin after 2 x TTL, in days (default 7)");
    stage->add_option("--margin", o->margin_seconds, "safety margin in seconds (overrides --margin-days)");
    add_issue_options(*stage, o->issue);

    auto* status = app.add_subcommand("status", "show the phase, what DNS shows, and when the next step is allowed");
    common_options(*status, *o);
    dns_options(*status, *o);
    status->add_flag("--json", o->json, "one JSON object");
    status->add_flag("--nagios,--check", o->nagios,
                     "one line and monitoring plug-in exit codes (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)");
    status->add_option("--verify-at", o->verify_at, "with --nagios: ADDR[:PORT] of the MTA (default 127.0.0.1:25)");
    status->add_option("--port", o->port, "with --nagios: SMTP port when --verify-at has none (default 25)");
    status->add_option("--key-life", o->key_life_days, "with --nagios: warn 30 days after this key age (default 365)");
    status->add_option("--renew-before", o->issue.renew_before_days,
                       "warn when the certificate has fewer days left (default 30)");

    auto* activate = app.add_subcommand("activate", "switch the MTA to the next key, once DNS allows it");
    common_options(*activate, *o);
    dns_options(*activate, *o);
    switch_options(*activate, *o);
    activate->add_flag("--force", o->force, "switch even if the planner says wait (senders may defer mail)");

    auto* retire = app.add_subcommand("retire", "once the old record is gone from DNS, move the old key away");
    common_options(*retire, *o);
    dns_options(*retire, *o);
    retire->add_flag("--delete-old", o->delete_old, "delete the old key and certificate instead of moving them");

    auto* emergency = app.add_subcommand("emergency", "the key is compromised: new key now, switch now");
    common_options(*emergency, *o);
    switch_options(*emergency, *o);
    emergency->add_option("--key", o->key_type, "key type (default: the current key's)");
    emergency->add_option("--days", o->days, "certificate validity in days (default 1096)");
    emergency
        ->add_option("--ttl", o->ttl, "the TTL of the RRset in caches, 0 to 2147483647 s (default: the largest seen)")
        ->check(CLI::Range(std::uint32_t{0}, rotation::max_ttl));

    auto* autopass = app.add_subcommand("auto", "one unattended pass, safe to run daily from a timer");
    common_options(*autopass, *o);
    dns_options(*autopass, *o);
    switch_options(*autopass, *o);
    add_publish_options(*autopass, o->publish);
    autopass->add_option("--config", o->config, "settings file (key = value, the long option names)");
    autopass->add_option("--key-life", o->key_life_days,
                         "stage a new key when the current one is this old (days, default 365)");
    autopass->add_option("--key", o->key_type, "key type for new keys (default: the current key's)");
    autopass->add_option("--days", o->days, "certificate validity in days (default 1096)");
    autopass->add_option("--publish-ttl", o->publish_ttl, "TTL of the records it publishes (default 3600)");
    autopass->add_flag("--delete-old", o->delete_old, "delete the old key instead of moving it to retired/");
    add_issue_options(*autopass, o->issue);

    rollover_help(app);

    return [o, init, stage, status, activate, retire, emergency, autopass](Io& io) {
        if (autopass->parsed()) {
            return do_auto(*o, *autopass, io);
        }
        if (init->parsed()) {
            return do_init(*o, io);
        }
        if (stage->parsed()) {
            return do_stage(*o, io);
        }
        if (status->parsed()) {
            if (o->nagios) {
                return static_cast<Exit>(do_nagios(*o, io));
            }
            return do_status(*o, io);
        }
        if (activate->parsed()) {
            return do_activate(*o, io);
        }
        if (retire->parsed()) {
            return do_retire(*o, io);
        }
        if (emergency->parsed()) {
            return do_emergency(*o, io);
        }
        throw Error(Errc::bad_input, "rollover needs a step: init, stage, status, activate, retire or emergency");
    };
}

} // namespace

Command rollover_command() {
    return {"rollover",
            "rotate the MX key without a deferred message: init, stage, status, activate, "
            "retire, emergency, auto",
            setup};
}

} // namespace mxdane::cli
