// rollover auto and status --nagios (issue #6): the unattended rotation a
// daily timer runs, and the one-line check a monitoring system runs. Both
// only ever take or report a step the planner of rollover allows.
#include <charconv>
#include <fstream>
#include <sstream>

#include "format.h"
#include "mxdane/error.h"
#include "mxdane/smtp.h"
#include "rollover_common.h"

namespace mxdane::cli {
namespace {

using rotation::Step;

std::uint64_t number(const rotation::Setting& s, std::uint64_t max) {
    std::uint64_t v = 0;
    const auto [ptr, ec] = std::from_chars(s.value.data(), s.value.data() + s.value.size(), v);
    if (ec != std::errc() || ptr != s.value.data() + s.value.size() || v > max) {
        throw Error(Errc::bad_input, "line " + std::to_string(s.line) + ": " + s.key + " needs a number up to " +
                                         std::to_string(max) + ", not '" + s.value + "'");
    }
    return v;
}

/// Applies the settings file: a setting counts only where the command line
/// did not give the same option (the command line wins).
void apply_config(RolloverOptions& o, CLI::App& sub, Io& io) {
    std::ifstream in(o.config);
    if (!in) {
        throw Error(Errc::io, "cannot read the settings file " + o.config);
    }
    std::ostringstream text;
    text << in.rdbuf();
    const auto settings = rotation::parse_config(text.str());
    if (!settings) {
        throw Error(Errc::bad_input, o.config + ": " + settings.error());
    }
    for (const auto& s : *settings) {
        const CLI::Option* opt = nullptr;
        try {
            opt = sub.get_option("--" + s.key);
        } catch (const CLI::OptionNotFound&) {
        }
        if (opt == nullptr || s.key == "config" || s.key == "now" || s.key == "help") {
            throw Error(Errc::bad_input,
                        o.config + ": line " + std::to_string(s.line) + ": unknown setting '" + s.key + "'");
        }
        if (opt->count() > 0) {
            continue;
        }
        const std::string& v = s.value;
        if (s.key == "key-dir") {
            o.key_dir = v;
        } else if (s.key == "cert-dir") {
            o.cert_dir = v;
        } else if (s.key == "out") {
            o.out_dir = v;
        } else if (s.key == "state-dir") {
            o.state_dir = v;
        } else if (s.key == "trust-anchor") {
            o.resolver.trust_anchors.push_back(v);
        } else if (s.key == "forward") {
            o.resolver.forwarders.push_back(v);
        } else if (s.key == "stub") {
            o.resolver.stubs.push_back(v);
        } else if (s.key == "resolver-option") {
            o.resolver.options.push_back(v);
        } else if (s.key == "ttl") {
            o.ttl = static_cast<std::uint32_t>(number(s, rotation::max_ttl));
        } else if (s.key == "margin-days") {
            o.margin_days = static_cast<std::uint32_t>(number(s, rotation::max_margin_days));
        } else if (s.key == "margin") {
            o.margin_seconds = number(s, static_cast<std::uint64_t>(rotation::max_margin_seconds));
        } else if (s.key == "reload") {
            o.reload = v;
        } else if (s.key == "verify-at") {
            o.verify_at = v;
        } else if (s.key == "port") {
            o.port = static_cast<std::uint16_t>(number(s, 65535));
        } else if (s.key == "verify-tries") {
            o.verify_tries = static_cast<unsigned>(number(s, 1000));
        } else if (s.key == "key-life") {
            o.key_life_days = static_cast<unsigned>(number(s, 36500));
        } else if (s.key == "key") {
            o.key_type = v;
        } else if (s.key == "days") {
            o.days = static_cast<unsigned>(number(s, 9999));
        } else if (s.key == "publish-ttl") {
            o.publish_ttl = static_cast<std::uint32_t>(number(s, 0x7fffffff));
        } else if (s.key == "delete-old") {
            o.delete_old = v == "true" || v == "yes" || v == "1";
        } else if (s.key == "nsupdate") {
            o.publish.nsupdate = v;
        } else if (s.key == "tsig-key") {
            o.publish.tsig_key = v;
        } else if (s.key == "zone") {
            o.publish.zone = v;
        } else if (s.key == "publish-hook") {
            o.publish.hook = v;
        } else if (s.key == "issuer") {
            o.issue.issuer = v;
        } else if (s.key == "issue-command") {
            o.issue.command = v;
        } else if (s.key == "issue-timeout") {
            o.issue.timeout = static_cast<unsigned>(number(s, 86400));
        } else if (s.key == "renew-before") {
            o.issue.renew_before_days = static_cast<unsigned>(number(s, 3650));
        } else if (s.key == "timeout") {
            o.publish.timeout = static_cast<unsigned>(number(s, 3600));
        } else {
            io.err << "warning: " << o.config << ": line " << s.line << ": '" << s.key
                   << "' is not used by rollover auto\n";
        }
    }
}

/// Asks the publisher for one change; the one-line result for the log.
struct Published {
    bool ok = false;
    std::string text;
};

Published apply(publish::Publisher& pub, const std::string& host, const std::string& owner, publish::Action action,
                const tlsa::Record& rec, std::uint32_t ttl) {
    publish::Change change;
    change.host = host;
    change.owner = owner;
    change.ops.push_back(publish::Op{action, ttl, rec});
    const publish::Outcome out = pub.apply(change);
    return {out.done(),
            std::string(publish::status_name(out.status)) + (out.message.empty() ? "" : ": " + out.message)};
}

std::string days_text(std::chrono::seconds s) {
    return std::to_string(s.count() / 86400) + " days";
}

} // namespace

Exit do_auto(RolloverOptions& o, CLI::App& sub, Io& io) {
    if (!o.config.empty()) {
        apply_config(o, sub, io);
    }
    const auto l = layout_of(o);
    const std::string tag = "mxdane rollover auto " + l.host + ": ";
    store::make_directories(l.state_dir, 0700);
    const auto lock = rollover::try_lock_host(l, std::chrono::seconds(3), true);
    if (!lock) {
        io.out << tag << "waiting: another pass for this host is running\n";
        return Exit::ok;
    }
    const auto publisher = make_publisher(o.publish);
    const auto now = now_of(o);
    auto ob = observe_and_plan(o, l, now);
    const std::string owner = tlsa::owner(l.host, ob.state.port);
    // Certificates first, same keys, no DNS change: the one in service is
    // renewed near its end, a staged key still self-signed gets the issuer's.
    if (ob.plan.step != Step::adopt) {
        std::ostringstream talk;
        Io quiet{talk, talk};
        try {
            if (const auto line = certificates_pass(o, l, ob.state, quiet)) {
                io.out << tag << *line << "\n";
                return Exit::ok;
            }
        } catch (const Error& e) {
            io.err << talk.str();
            io.out << tag << "FAILED: " << e.what() << "\n";
            return Exit::no;
        }
    }
    const auto* cur = rotation::current_key(ob.state);

    switch (ob.plan.step) {
    case Step::adopt:
        throw Error(Errc::io, "no key is known for " + l.host + ": run 'mxdane rollover init " + l.host + "' first");
    case Step::stage: {
        const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - cur->created.value_or(now));
        const auto life = std::chrono::seconds(std::chrono::hours(24) * o.key_life_days);
        if (age < life && rotation::incomplete_key(ob.state) == nullptr) {
            io.out << tag << "nothing to do: key " << cur->id << " is " << days_text(age) << " old; the next rotation "
                   << "starts " << date_utc(*cur->created + life) << "\n";
            return Exit::ok;
        }
        const rollover::StageRequest req = stage_request(o, l, now);
        // stage() appends to the key list: `cur` does not survive it.
        const std::uint32_t cur_id = cur->id;
        (void)rollover::stage(req, ob.state);
        std::ostringstream talk;
        Io quiet{talk, talk};
        const auto next = issue_staged(o, l, ob.state, quiet);
        const auto p = apply(*publisher, l.host, owner, publish::Action::add, next.record, o.publish_ttl);
        io.out << tag << "staged key " << next.id << " (key " << cur_id << " is " << days_text(age)
               << " old); publishing its record: " << p.text << "\n";
        return p.ok ? Exit::ok : Exit::no;
    }
    case Step::publish: {
        const auto* next = rotation::next_key(ob.state);
        const auto p = apply(*publisher, l.host, owner, publish::Action::add, next->record, o.publish_ttl);
        io.out << tag << "waiting: " << ob.plan.reason << " (publish: " << p.text << ")\n";
        return p.ok ? Exit::ok : Exit::no;
    }
    case Step::wait_for_caches:
        io.out << tag << "waiting: " << ob.plan.reason << "\n";
        return Exit::ok;
    case Step::activate: {
        const auto* next = rotation::next_key(ob.state);
        std::ostringstream talk;
        Io quiet{talk, talk};
        if (!switch_and_prove(o, l, *next, cur, quiet)) {
            io.err << talk.str();
            io.out << tag << "FAILED to activate key " << next->id << "; the MTA still serves key "
                   << (cur != nullptr ? std::to_string(cur->id) : "-") << "\n";
            return Exit::no;
        }
        rotation::mark_activated(ob.state, now);
        rotation::save(l.state_file(), ob.state);
        const auto* old = rotation::old_key(ob.state);
        std::string withdrawn = "no old record";
        bool ok = true;
        if (old != nullptr) {
            const auto p = apply(*publisher, l.host, owner, publish::Action::remove, old->record, o.publish_ttl);
            withdrawn = "withdrawing the old record: " + p.text;
            ok = p.ok;
        }
        io.out << tag << "activated key " << rotation::current_key(ob.state)->id << " (proven live); " << withdrawn
               << "\n";
        return ok ? Exit::ok : Exit::no;
    }
    case Step::unpublish: {
        const auto* old = rotation::old_key(ob.state);
        const auto p = apply(*publisher, l.host, owner, publish::Action::remove, old->record, o.publish_ttl);
        io.out << tag << "waiting: " << ob.plan.reason << " (withdraw: " << p.text << ")\n";
        return p.ok ? Exit::ok : Exit::no;
    }
    case Step::retire: {
        auto* old = rotation::old_key(ob.state);
        const auto r = rollover::retire(l, *old, o.delete_old, now);
        rotation::save(l.state_file(), ob.state);
        io.out << tag << "retired key " << old->id
               << (o.delete_old ? " (deleted)" : " (moved to " + (r.key ? r.key->parent_path().string() : "-") + ")")
               << "; the rotation is complete\n";
        return Exit::ok;
    }
    }
    return Exit::ok;
}

int do_nagios(const RolloverOptions& o, Io& io) {
    // Monitoring plug-in codes (nagios-plugins guidelines): 0 OK,
    // 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    constexpr int ok = 0;
    constexpr int warning = 1;
    constexpr int critical = 2;
    constexpr int unknown = 3;
    try {
        const auto l = layout_of(o);
        const auto state = load_state(l);
        const auto dns = look_up(o, l, state.port);
        const auto* cur = rotation::current_key(state);
        if (cur == nullptr) {
            io.out << "DANE UNKNOWN - " << l.host << ": no key in service in the rollover state\n";
            return unknown;
        }
        if (const auto problem = rollover::stable_pair_problem(l, state)) {
            io.out << "DANE CRITICAL - " << l.host << ": " << *problem << "\n";
            return critical;
        }
        if (dns.security != rotation::DnsView::Security::secure) {
            io.out << "DANE CRITICAL - " << l.host << ": TLSA " << security_text(dns) << "\n";
            return critical;
        }
        const auto [addr, port] = parse_verify_at(o.verify_at, o.port);
        smtp::ProbeRequest req;
        req.address = addr;
        req.port = port;
        req.base_name = l.host;
        req.records = dns.records;
        req.step_timeout = std::chrono::seconds(10);
        req.total_timeout = std::chrono::seconds(30);
        const smtp::ProbeResult probe = smtp::probe(req);
        if (probe.outcome != smtp::Outcome::validated) {
            io.out << "DANE CRITICAL - " << l.host << " at " << addr << ":" << port << ": " << probe.reason
                   << (probe.served ? " (serves " + tlsa::rdata_text(*probe.served) + ")" : "") << "\n";
            return critical;
        }
        const auto now = now_of(o);
        const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - cur->created.value_or(now));
        const auto limit = std::chrono::seconds(std::chrono::hours(24) * (o.key_life_days + 30));
        const std::string facts = l.host + " serves a key DNS publishes (secure); key " + std::to_string(cur->id) +
                                  " is " + days_text(age) + " old";
        if (age > limit) {
            io.out << "DANE WARNING - " << facts << ", past its life of " << o.key_life_days
                   << " days + 30: rotate it\n";
            return warning;
        }
        io.out << "DANE OK - " << facts << "\n";
        return ok;
    } catch (const std::exception& e) {
        io.out << "DANE UNKNOWN - " << e.what() << "\n";
        return unknown;
    }
}

} // namespace mxdane::cli
