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

namespace fs = std::filesystem;

/// The rollover's reload command and STARTTLS proof (rollover_common.h).
class CliMta final : public reissue::MtaControl {
  public:
    CliMta(const RolloverOptions& o, const rollover::Layout& l, std::uint32_t key_id, Io& io)
        : m_o(o), m_l(l), m_id(key_id), m_io(io) {}
    bool reload(std::string& why) override {
        if (run_reload(m_o.reload, m_io)) {
            return true;
        }
        why = "the reload command failed";
        return false;
    }
    bool serves(const tlsa::Record& record, std::string& why) override {
        rotation::KeyTimeline k;
        k.id = m_id;
        k.record = record;
        if (prove_serves(m_o, m_l, k, m_io)) {
            return true;
        }
        why = "the live proof failed";
        return false;
    }

  private:
    const RolloverOptions& m_o;
    const rollover::Layout& m_l;
    std::uint32_t m_id;
    Io& m_io;
};

struct ReissueCli {
    RolloverOptions o;
    std::vector<std::string> names;
    bool next = false;
};

/// What reissue did, as the project's JSON object (schema/reissue.json).
nlohmann::json reissue_json(const ReissueCli& c, const rollover::Layout& l, const rotation::State& s,
                            const reissue::Result& r) {
    const std::string owner = tlsa::owner(l.host, s.port);
    nlohmann::json j = json_top(c.o.command, 0, {});
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
    (void)load_state(l); // refuses a host without a rollover state
    // The host lock every rollover command takes: a pass and a reissue never interleave.
    const auto lock = rollover::lock_host(l);
    rotation::State s = load_state(l);
    const auto which = c.next ? reissue::Which::next : reissue::Which::current;
    const auto r = reissue_key(c.o, l, s, which, c.names, io);
    const std::string owner = tlsa::owner(l.host, s.port);
    if (c.o.json) {
        print_json(reissue_json(c, l, s, r), io);
        return Exit::ok;
    }
    io.out << tlsa::zone_line(owner, r.record_311) << "\n";
    io.err << "Reissued the certificate of key " << r.key_id << " (" << (c.next ? "next" : "in service")
           << ") with the same key: " << r.new_cert.string() << "\n  " << reissue_summary(r) << "\n";
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

reissue::Result reissue_key(const RolloverOptions& o, const rollover::Layout& l, rotation::State& s,
                            reissue::Which which, const std::vector<std::string>& names, Io& io) {
    reissue::Request req;
    req.layout = l;
    req.which = which;
    req.names = names;
    req.days = o.days;
    req.issuer = issuer_of(o.issue);
    req.renew_before = renew_before_of(o.issue);
    req.now = now_of(o);
    const auto* key = which == reissue::Which::current ? rotation::current_key(s) : rotation::next_key(s);
    CliMta mta(o, l, key != nullptr ? key->id : 0, io);
    if (!req.issuer.command.empty()) {
        io.err << "Running the issue command for " << l.host << "\n";
    }
    return reissue::run(req, s, &mta);
}

std::string reissue_summary(const reissue::Result& r) {
    std::string names;
    for (const auto& n : r.names) {
        names += (names.empty() ? "" : ", ") + n;
    }
    return std::string(r.issued ? "issued by the issue command" : "self-signed") + ", valid until " +
           iso_utc(r.not_after) + (r.issued ? ", chain of " + std::to_string(r.chain_length) : std::string()) +
           "; names " + names;
}

void add_issue_options(CLI::App& sub, IssueOptions& o) {
    sub.add_option("--issuer", o.issuer, "where certificates come from: self (self-signed) or command");
    sub.add_option("--issue-command", o.command,
                   "shell command that turns $MXDANE_CSR into $MXDANE_CERT (README: the issue command)");
    sub.add_option("--issue-timeout", o.timeout, "seconds before the issue command is killed (default 300)");
    sub.add_option("--renew-before", o.renew_before_days,
                   "days a certificate must have left; renew it before (default 30)");
}

reissue::Issuer issuer_of(const IssueOptions& o) {
    reissue::Issuer i;
    if (o.issuer == "self") {
        return i;
    }
    if (!o.issuer.empty() && o.issuer != "command") {
        throw Error(Errc::bad_input, "--issuer: choose self or command, not '" + o.issuer + "'");
    }
    if (o.command.empty()) {
        if (o.issuer == "command") {
            throw Error(Errc::bad_input, "--issuer command needs --issue-command");
        }
        return i;
    }
    if (o.timeout == 0 || o.timeout > 86400) {
        throw Error(Errc::bad_input, "--issue-timeout must be between 1 and 86400 seconds");
    }
    i.command = o.command;
    i.timeout = std::chrono::seconds(o.timeout);
    return i;
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

namespace mxdane::cli {

rotation::KeyTimeline issue_staged(const RolloverOptions& o, const rollover::Layout& l, rotation::State& s, Io& io) {
    const rotation::KeyTimeline* next = rotation::next_key(s);
    if (next == nullptr) {
        throw Error(Errc::refused, "no next key is staged for " + l.host);
    }
    if (issuer_of(o.issue).command.empty()) {
        return *next;
    }
    const std::uint32_t id = next->id;
    try {
        const auto r = reissue_key(o, l, s, reissue::Which::next, {}, io);
        io.err << "The issue command signed key " << id << "'s certificate: " << reissue_summary(r) << "\n";
    } catch (const Error& e) {
        throw Error(e.code(), std::string(e.what()) + ". Key " + std::to_string(id) +
                                  " stays staged with a self-signed certificate; get its certificate with "
                                  "'mxdane reissue --next --issue-command ... " +
                                  l.host + "'");
    }
    return *rotation::next_key(s);
}

std::optional<std::string> renew_if_due(const RolloverOptions& o, const rollover::Layout& l, rotation::State& s,
                                        Io& io) {
    const rotation::KeyTimeline* cur = rotation::current_key(s);
    const auto now = now_of(o);
    if (cur == nullptr || !reissue::due(cur->cert_file, now, renew_before_of(o.issue))) {
        return std::nullopt;
    }
    if (issuer_of(o.issue).command.empty() &&
        std::chrono::hours(24) * o.days <= std::chrono::hours(24) * o.issue.renew_before_days) {
        // Else every pass would renew again.
        throw Error(Errc::bad_input, "--days " + std::to_string(o.days) + " must be more than --renew-before " +
                                         std::to_string(o.issue.renew_before_days));
    }
    const std::uint32_t id = cur->id;
    const auto expires = reissue::not_after(cur->cert_file);
    const auto r = reissue_key(o, l, s, reissue::Which::current, {}, io);
    return "renewed the certificate of key " + std::to_string(id) + " (valid until " + iso_utc(expires) +
           ") with the same key, no DNS change: " + reissue_summary(r) + "; proven live";
}

std::optional<std::string> expiry_warning(const RolloverOptions& o, const rotation::State& s) {
    const rotation::KeyTimeline* cur = rotation::current_key(s);
    if (cur == nullptr) {
        return std::nullopt;
    }
    const auto now = now_of(o);
    const auto until = reissue::not_after(cur->cert_file);
    if (until >= now + renew_before_of(o.issue)) {
        return std::nullopt;
    }
    return std::string("the certificate of key ") + std::to_string(cur->id) +
           (until <= now ? " has expired (" : " expires ") + iso_utc(until) + (until <= now ? ")" : "") +
           ": reissue it with the same key ('mxdane reissue " + s.host + "'); the 3 1 1 record stays valid";
}

} // namespace mxdane::cli

namespace mxdane::cli {

std::optional<std::string> certificates_pass(const RolloverOptions& o, const rollover::Layout& l, rotation::State& s,
                                             Io& io) {
    if (auto line = renew_if_due(o, l, s, io)) {
        return line;
    }
    const rotation::KeyTimeline* next = rotation::next_key(s);
    if (next == nullptr || !next->created || issuer_of(o.issue).command.empty() ||
        !reissue::self_signed(next->cert_file)) {
        return std::nullopt;
    }
    const std::uint32_t id = next->id;
    const auto r = reissue_key(o, l, s, reissue::Which::next, {}, io);
    return "the issue command signed the certificate of staged key " + std::to_string(id) + ": " + reissue_summary(r);
}

} // namespace mxdane::cli
