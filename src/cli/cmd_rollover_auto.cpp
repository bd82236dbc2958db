// rollover auto and status --nagios: the unattended pass a daily timer runs
// and the one-line check a monitoring system runs. Both are the library
// engine's (src/lib/rotation/engine.cpp); this file prints its report.
#include <sstream>

#include "format.h"
#include "mxdane/error.h"
#include "rollover_common.h"

namespace mxdane::cli {

Exit do_auto(RolloverOptions& o, Io& io) {
    const auto l = layout_of(o);
    const std::string tag = "mxdane rollover auto " + l.host + ": ";
    if (!o.dry_run) {
        store::make_directories(l.state_dir, 0700);
    }
    // The host's lock (rollover::try_lock_host): a pass that finds another
    // one (or an admin's step) at work waits for the next day.
    bool repaired = false;
    const auto lock = o.dry_run ? std::optional<store::FileLock>()
                                : rollover::try_lock_host(l, std::chrono::seconds(3), true, &repaired);
    if (repaired) {
        reload_after_repair(o, io);
    }
    if (!o.dry_run && !lock) {
        const std::string busy = "another pass for this host is running";
        if (o.json) {
            rollover::Report r;
            r.outcome = rollover::Report::Outcome::waiting;
            r.summary = busy;
            print_json(report_json(o, r, Exit::ok, false), io);
        } else if (!o.quiet) {
            io.out << tag << "waiting: " << busy << "\n";
        }
        return Exit::ok;
    }
    EngineFromOptions e(o, true, true, true);
    if (!o.dry_run) {
        // Certificates first, same keys, no DNS change: the one in service
        // is renewed near its end, a staged key still self-signed gets the
        // issuer's certificate. Not on a TLSA answer that cannot be trusted
        // (bogus, failed): then nothing is decided at all.
        auto seen = e.engine().status(now_of(o));
        const bool trusted = seen.dns.security != rotation::DnsView::Security::bogus &&
                             seen.dns.security != rotation::DnsView::Security::failed;
        if (auto s = rollover::load_checked(l); trusted && s && rotation::current_key(*s) != nullptr) {
            std::ostringstream talk;
            Io quiet{talk, talk};
            // The pass ends here when it renewed or failed to: the status
            // seen before it, with the new state, is what --json reports.
            const auto report = [&](rollover::Report::Outcome outcome, const std::string& line, Exit exit) {
                if (o.json) {
                    seen.outcome = outcome;
                    seen.summary = line;
                    seen.state = *s;
                    print_json(report_json(o, seen, exit, true), io);
                } else {
                    io.out << tag << (outcome == rollover::Report::Outcome::failed ? "FAILED: " : "") << line << "\n";
                }
                return exit;
            };
            try {
                if (const auto line = certificates_pass(o, l, *s, quiet)) {
                    return report(rollover::Report::Outcome::acted, *line, Exit::ok);
                }
            } catch (const Error& err) {
                io.err << talk.str();
                return report(rollover::Report::Outcome::failed, err.what(), Exit::no);
            }
        }
    }
    const auto r = e.engine().auto_pass(now_of(o));
    if (!o.dry_run && r.outcome == rollover::Report::Outcome::acted && r.plan.step == rotation::Step::stage) {
        // A key staged this pass gets its certificate from the issuer.
        rotation::State s = load_state(l);
        if (rotation::next_key(s) != nullptr) {
            std::ostringstream talk;
            Io quiet{talk, talk};
            (void)issue_staged(o, l, s, quiet);
        }
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
        const auto r = e.engine().status(now_of(o), true);
        const std::string host = layout_of(o).host + " at " + o.verify_at +
                                 (o.verify_at.find(':') == std::string::npos ? ":" + std::to_string(o.port) : "");
        switch (r.health.level) {
        case rotation::HealthLevel::ok:
            io.out << "DANE OK - " << host << ": " << r.health.message << "\n";
            return 0;
        case rotation::HealthLevel::warning:
            io.out << "DANE WARNING - " << host << ": " << r.health.message << "\n";
            return 1;
        case rotation::HealthLevel::critical:
            io.out << "DANE CRITICAL - " << host << ": " << r.health.message << "\n";
            return 2;
        }
        return 3;
    } catch (const std::exception& e) {
        io.out << "DANE UNKNOWN - " << e.what() << "\n";
        return 3;
    }
}

} // namespace mxdane::cli
