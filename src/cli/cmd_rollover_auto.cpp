// rollover auto and status --nagios: the unattended pass a daily timer runs
// and the one-line check a monitoring system runs. Both are the library
// engine's (src/lib/rotation/engine_auto.cpp); this file prints its report.
#include "format.h"
#include "mxdane/error.h"
#include "rollover_common.h"

namespace mxdane::cli {

Exit do_auto(RolloverOptions& o, Io& io) {
    const auto l = layout_of(o);
    const std::string tag = "mxdane rollover auto " + l.host + ": ";
    if (const auto i = issuer_of(o.issue); (!i || i->command.empty()) && o.days <= o.issue.renew_before_days) {
        // A self-signed certificate renewed within --renew-before of its
        // end would be renewed again at every pass.
        rollover::Report r;
        r.outcome = rollover::Report::Outcome::failed;
        r.summary = "--days " + std::to_string(o.days) + " must be more than --renew-before " +
                    std::to_string(o.issue.renew_before_days);
        if (o.json) {
            print_json(report_json(o, r, Exit::no, false), io);
        } else {
            io.out << tag << "FAILED: " << r.summary << "\n";
        }
        return Exit::no;
    }
    EngineFromOptions e(o, true, true, true);
    const auto r = worded(e.engine().auto_pass(now_of(o)));
    if (r.locked_out) {
        // Another pass (or an admin's step) is at work: wait for the next day.
        if (o.json) {
            print_json(report_json(o, r, Exit::ok, false), io);
        } else if (!o.quiet) {
            io.out << tag << "waiting: " << r.summary << "\n";
        }
        return Exit::ok;
    }
    // Exit 1 whenever something failed or mail is deferred (README "Exit
    // codes"): a timer's failure is what gets a person's attention.
    const bool bad =
        r.outcome == rollover::Report::Outcome::failed || r.health.level == rotation::HealthLevel::critical;
    const Exit exit = bad ? Exit::no : Exit::ok;
    if (o.json) {
        print_json(report_json(o, r, exit, true), io);
        return exit;
    }
    const bool quiet_ok =
        o.quiet && r.health.level == rotation::HealthLevel::ok && r.actions.empty() && r.to_publish.empty() &&
        r.to_withdraw.empty() &&
        (r.outcome == rollover::Report::Outcome::waiting || r.outcome == rollover::Report::Outcome::nothing_to_do);
    if (quiet_ok) {
        return exit;
    }
    if (!o.quiet) {
        print_actions(o, r, io);
    } else {
        for (const auto& a : r.actions) {
            if (!a.ok) {
                io.err << "error: " << a.text << "\n";
            }
        }
    }
    io.out << tag << (o.dry_run ? "dry run: " : "") << r.summary;
    if (r.health.level != rotation::HealthLevel::ok) {
        io.out << " [" << rotation::health_level_name(r.health.level) << ": " << r.health.message << "]";
    }
    io.out << "\n";
    if (!r.to_publish.empty() && !e.has_publisher()) {
        io.err << "No publisher is configured (--nsupdate or --publish-hook): publish the record above yourself, "
                  "or give a publisher to this command.\n";
    }
    return exit;
}

int do_nagios(const RolloverOptions& o, Io& io) {
    // Monitoring plug-in codes (nagios-plugins guidelines): 0 OK,
    // 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    try {
        EngineFromOptions e(o, true, false, true);
        const auto r = worded(e.engine().status(now_of(o), true));
        const std::string host = layout_of(o).host + " at " + o.verify_at +
                                 (o.verify_at.find(':') == std::string::npos ? ":" + std::to_string(o.port) : "");
        // The plug-in's long text (the lines after the first): every
        // authoritative server, as status shows it (issue #24).
        std::string servers;
        if (r.dns.servers) {
            for (const auto& sv : *r.dns.servers) {
                servers += server_text(r, sv) + "\n";
            }
        }
        switch (r.health.level) {
        case rotation::HealthLevel::ok:
            io.out << "DANE OK - " << host << ": " << r.health.message << "\n" << servers;
            return 0;
        case rotation::HealthLevel::warning:
            io.out << "DANE WARNING - " << host << ": " << r.health.message << "\n" << servers;
            return 1;
        case rotation::HealthLevel::critical:
            io.out << "DANE CRITICAL - " << host << ": " << r.health.message << "\n" << servers;
            return 2;
        }
        return 3;
    } catch (const std::exception& e) {
        io.out << "DANE UNKNOWN - " << e.what() << "\n";
        return 3;
    }
}

} // namespace mxdane::cli
