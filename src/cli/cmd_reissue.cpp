// mxdane reissue: a new certificate for the key in service (or the staged
// one), same key, so the 3 1 1 record in DNS stays valid. The workflow is the
// library's (src/lib/issue/reissue.cpp); this file gives it the rollover's
// reload and live proof, and says what happened.
#include <memory>

#include "format.h"
#include "issue_cli.h"
#include "mxdane/error.h"
#include "mxdane/reissue.h"
#include "mxdane/rotation.h"
#include "rollover_common.h"

namespace mxdane::cli {
namespace {

struct ReissueCli {
    RolloverOptions o;
    std::vector<std::string> names;
    bool next = false;
};

/// What reissue did, as the project's JSON object (schema/reissue.json).
nlohmann::json reissue_json(const ReissueCli& c, const rollover::Layout& l, const rotation::State& s,
                            const reissue::Result& r, const std::vector<std::string>& warnings) {
    const std::string owner = tlsa::owner(l.host, s.port);
    nlohmann::json j = json_top(c.o.command, 0, warnings);
    j["host"] = l.host;
    j["key_id"] = r.key_id;
    j["which"] = c.next ? "next" : "current";
    j["key_file"] = nullptr;
    for (const auto& k : s.keys) {
        if (k.id == r.key_id) {
            j["key_file"] = k.key_file.string();
        }
    }
    j["names"] = r.names;
    j["issued"] = r.issued;
    j["chain_length"] = r.issued ? nlohmann::json(r.chain_length) : nlohmann::json(nullptr);
    j["not_after"] = time_json(r.not_after);
    j["old_cert_file"] = r.old_cert.string();
    j["cert_file"] = r.new_cert.string();
    j["retired_cert_file"] = r.retired_cert ? nlohmann::json(r.retired_cert->string()) : nlohmann::json(nullptr);
    // The key in service is served under the stable name, proven live.
    j["stable_cert"] = c.next ? nlohmann::json(nullptr) : nlohmann::json(l.stable_cert().string());
    j["proven"] = !c.next;
    // 3 1 1 stays (no DNS change); a 3 0 1 record, if published, changes.
    j["record"] = tlsa_json(owner, r.record_311);
    j["old_301"] = tlsa_json(owner, r.old_301);
    j["new_301"] = tlsa_json(owner, r.new_301);
    return j;
}

Exit do_reissue(ReissueCli& c, Io& io) {
    const auto l = layout_of(c.o);
    EngineFromOptions e(c.o, false, false, !c.next);
    if (const auto i = issuer_of(c.o.issue); i && !i->command.empty()) {
        io.err << "Running the issue command for " << l.host << "\n";
    }
    // The engine takes the host lock every rollover command takes: a pass
    // and a reissue never interleave.
    const auto report = worded(
        e.engine().renew_certificate(now_of(c.o), c.next ? reissue::Which::next : reissue::Which::current, c.names));
    const rotation::State& s = report.state;
    const reissue::Result& r = *report.certificate;
    const std::string owner = tlsa::owner(l.host, s.port);
    if (c.o.json) {
        print_json(reissue_json(c, l, s, r, report.warnings), io); // the warnings go to stderr too
        return Exit::ok;
    }
    for (const auto& w : report.warnings) {
        io.err << "warning: " << w << "\n";
    }
    io.out << tlsa::zone_line(owner, r.record_311) << "\n";
    io.err << "Reissued the certificate of key " << r.key_id << " (" << (c.next ? "next" : "in service")
           << ") with the same key: " << r.new_cert.string() << "\n  " << reissue::summary(r) << "\n";
    if (!c.next) {
        io.err << "The MTA serves it (proven live); " << l.stable_cert().string() << " points at it.\n";
    }
    if (r.retired_cert) {
        io.err << "The old certificate is in " << r.retired_cert->string() << "\n";
    }
    io.err << "No DNS change is needed: the 3 1 1 record above pins the key, which stayed the same.\n"
           << "If you publish a 3 0 1 record for " << l.host << ", it changes: replace\n  "
           << tlsa::zone_line(owner, r.old_301) << "\nwith\n  " << tlsa::zone_line(owner, r.new_301)
           << "\n(3 1 1 alone avoids this at every renewal.)\n";
    return Exit::ok;
}

Runner setup(CLI::App& app) {
    auto c = std::make_shared<ReissueCli>();
    app.footer("Examples:\n"
               "  mxdane reissue --reload 'postfix reload' mx1.example.net\n"
               "      a new self-signed certificate for the key in service, same names\n"
               "  mxdane reissue --days 90 --name example.net --reload 'postfix reload' mx1.example.net\n"
               "  mxdane reissue --issue-command /etc/mxdane/issue-certbot --reload 'postfix reload' mx1.example.net\n"
               "      a CA-signed certificate for the same key (README: Certificates from any issuer)\n"
               "  mxdane reissue --next --issue-command ... mx1.example.net\n"
               "      the staged key's certificate (nothing is served or reloaded)");
    common_options(app, c->o);
    switch_options(app, c->o);
    add_issue_options(app, c->o.issue);
    app.add_option("--days", c->o.days, "validity of a self-signed certificate in days (default 1096)");
    app.add_option("--name", c->names, "the names after the host (repeatable; default: the certificate's own)");
    app.add_flag("--next", c->next, "the staged next key's certificate instead of the one in service");
    return [c, &app](Io& io) {
        c->o.command = "reissue";
        // The settings file of rollover auto (README "rollover auto"): the
        // timer's issuer, reload and directories; the command line wins.
        apply_config(c->o, app, io);
        return do_reissue(*c, io);
    };
}

} // namespace

void add_issue_options(CLI::App& sub, IssueOptions& o) {
    sub.add_option("--issuer", o.issuer, "where certificates come from: self (self-signed) or command");
    sub.add_option("--issue-command", o.command,
                   "shell command that turns $MXDANE_CSR into $MXDANE_CERT (README: the issue command)");
    sub.add_option("--issue-timeout", o.timeout, "seconds before the issue command is killed (default 300)");
    sub.add_option("--renew-before", o.renew_before_days,
                   "days a certificate must have left; renew it before (default 30)");
}

std::optional<reissue::Issuer> issuer_of(const IssueOptions& o) {
    if (o.issuer == "self") {
        return reissue::Issuer{};
    }
    if (!o.issuer.empty() && o.issuer != "command") {
        throw Error(Errc::bad_input, "--issuer: choose self or command, not '" + o.issuer + "'");
    }
    if (o.command.empty()) {
        if (o.issuer == "command") {
            throw Error(Errc::bad_input, "--issuer command needs --issue-command");
        }
        return std::nullopt; // none configured: the issuer recorded in the state
    }
    if (o.timeout == 0 || o.timeout > 86400) {
        throw Error(Errc::bad_input, "--issue-timeout must be between 1 and 86400 seconds");
    }
    return reissue::Issuer{o.command, std::chrono::seconds(o.timeout)};
}

std::chrono::seconds renew_before_of(const IssueOptions& o) {
    if (o.renew_before_days > 3650) {
        throw Error(Errc::bad_input, "--renew-before must be at most 3650 days");
    }
    return std::chrono::seconds(std::chrono::hours(24) * o.renew_before_days);
}

Command reissue_command() {
    return {"reissue", "a new certificate for the key in service, same key: no DNS change (3 1 1)", setup};
}

} // namespace mxdane::cli
