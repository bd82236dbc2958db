// The rollover subcommands' output: the hints to paste, the report as text
// and as --json (rollover_common.h). Options, settings and the engine are
// rollover_common.cpp.
#include <algorithm>

#include "flags.h"
#include "mxdane/names.h"
#include "rollover_common.h"

namespace mxdane::cli {

using rotation::DnsView;

namespace {

/// "a b" -> 'a b' for a pasted command line.
std::string quoted(const std::string& s) {
    if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./-_") ==
                          std::string::npos) {
        return s;
    }
    std::string out = "'";
    for (const char c : s) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

std::string arg(const std::string& flag, const std::string& value) {
    return " " + flag + " " + quoted(value);
}

nlohmann::json record_json(const std::string& owner, const tlsa::Record& r, std::optional<std::uint32_t> ttl) {
    return tlsa_json(owner, r, ttl);
}

} // namespace

std::string server_text(const rollover::Report& r, const rotation::ServerSeen& sv) {
    const auto behind = r.state.servers_behind.find(sv.name);
    const std::string since =
        behind != r.state.servers_behind.end() ? ", behind since " + iso_utc(behind->second) : std::string();
    if (!sv.answered) {
        return sv.name + ": did not answer (" + sv.why + ")" + since;
    }
    // The keys by id, then records of no key mxdane knows: the RRset's
    // order is the server's choice.
    std::vector<std::uint32_t> ids;
    std::vector<std::string> others;
    for (const auto& rec : sv.records) {
        const auto k = std::find_if(r.state.keys.begin(), r.state.keys.end(),
                                    [&rec](const rotation::KeyTimeline& t) { return t.record == rec; });
        if (k != r.state.keys.end()) {
            ids.push_back(k->id);
        } else {
            others.push_back(tlsa::rdata_text(rec));
        }
    }
    std::sort(ids.begin(), ids.end());
    std::string keys;
    for (const auto id : ids) {
        keys += (keys.empty() ? "key " : ", key ") + std::to_string(id);
    }
    for (const auto& o : others) {
        keys += (keys.empty() ? "" : ", ") + o;
    }
    return sv.name + ": " +
           (sv.records.empty() ? std::string("no TLSA RRset") : keys + ", TTL " + std::to_string(sv.ttl)) +
           (sv.serial ? ", serial " + std::to_string(*sv.serial) : std::string()) +
           (sv.signatures_expire ? ", " + sv.signatures_rrset + " signed until " + iso_utc(*sv.signatures_expire)
                                 : std::string()) +
           since;
}

std::string role_of(const rotation::State& s, const rotation::KeyTimeline& k) {
    if (&k == rotation::incomplete_key(s)) {
        return "incomplete";
    }
    if (&k == rotation::current_key(s)) {
        return "current";
    }
    if (&k == rotation::next_key(s)) {
        return "next";
    }
    if (&k == rotation::old_key(s)) {
        return "old";
    }
    return k.removed ? "removed" : "?";
}

std::string hint(const RolloverOptions& o, const std::string& step) {
    std::string s = "mxdane rollover " + step;
    if (!o.config.empty()) {
        s += arg("--config", o.config);
    }
    if (!o.out_dir.empty()) {
        s += arg("--out", o.out_dir);
    } else {
        if (o.key_dir != store::default_key_dir.string()) {
            s += arg("--key-dir", o.key_dir);
        }
        if (o.cert_dir != store::default_cert_dir.string()) {
            s += arg("--cert-dir", o.cert_dir);
        }
    }
    if (o.state_dir != rollover::default_state_dir.string()) {
        s += arg("--state-dir", o.state_dir);
    }
    if (step != "stage") {
        for (const auto& v : o.resolver.trust_anchors) {
            s += arg("--trust-anchor", v);
        }
        for (const auto& v : o.resolver.forwarders) {
            s += arg("--forward", v);
        }
        for (const auto& v : o.resolver.stubs) {
            s += arg("--stub", v);
        }
        for (const auto& v : o.resolver.options) {
            s += arg("--resolver-option", v);
        }
    }
    return s + " " + quoted(o.host);
}

std::string publish_hint(const RolloverOptions& o, bool add, const std::string& cert_file) {
    std::string s = add ? "mxdane publish" : "mxdane unpublish";
    if (!o.publish.nsupdate.empty()) {
        s += arg("--nsupdate", o.publish.nsupdate);
        if (!o.publish.tsig_key.empty()) {
            s += arg("--tsig-key", o.publish.tsig_key);
        }
    } else if (!o.publish.hook.empty()) {
        s += arg("--publish-hook", o.publish.hook);
    } else {
        return "";
    }
    if (!o.publish.zone.empty()) {
        s += arg("--zone", o.publish.zone);
    }
    if (o.publish.timeout != PublishOptions{}.timeout) {
        s += arg("--timeout", std::to_string(o.publish.timeout)); // the hint keeps every option used
    }
    if (cert_file.empty()) {
        return "";
    }
    return s + arg("--cert", cert_file) + " " + quoted(o.host);
}

std::string security_text(const DnsView& v) {
    switch (v.security) {
    case DnsView::Security::secure:
        return "secure";
    case DnsView::Security::insecure:
        return "insecure";
    case DnsView::Security::bogus:
        return "bogus: " + v.why;
    case DnsView::Security::failed:
        return "lookup failed: " + v.why;
    }
    return "?";
}

namespace {

std::string cert_of(const rotation::State& s, const tlsa::Record& rec) {
    for (const auto& k : s.keys) {
        if (k.record == rec && !k.removed) {
            return k.cert_file.string();
        }
    }
    return "";
}

} // namespace

rollover::Report worded(rollover::Report r) {
    r.summary = with_flags(std::move(r.summary));
    r.plan.reason = with_flags(std::move(r.plan.reason));
    r.health.message = with_flags(std::move(r.health.message));
    r.health.reason = with_flags(std::move(r.health.reason));
    r.dns.why = with_flags(std::move(r.dns.why));
    for (auto& a : r.actions) {
        a.text = with_flags(std::move(a.text));
    }
    for (auto& w : r.warnings) {
        w = with_flags(std::move(w));
    }
    return r;
}

void print_actions(const RolloverOptions& o, const rollover::Report& r, Io& io) {
    for (const auto& a : r.actions) {
        io.err << (a.ok ? "" : "error: ") << (a.dry_run ? "dry run: " : "") << a.text << "\n";
    }
    for (const auto& w : r.warnings) {
        io.err << "warning: " << w << "\n";
    }
    for (const auto& rec : r.to_publish) {
        io.out << tlsa::zone_line(r.owner, rec) << "\n";
        const std::string cert = cert_of(r.state, rec);
        const std::string cmd = publish_hint(o, true, cert);
        if (!cmd.empty()) {
            io.err << "Publish: " << cmd << "\n";
        } else if (!cert.empty()) {
            io.err << "Publish it now: mxdane publish --cert " << quoted(cert) << " " << quoted(o.host)
                   << " with --nsupdate SERVER --tsig-key FILE or --publish-hook CMD; or add to the zone: "
                   << tlsa::zone_line(r.owner, rec) << "\n";
        } else {
            io.err << "Publish it now: " << tlsa::zone_line(r.owner, rec) << "\n";
        }
    }
    for (const auto& rec : r.to_withdraw) {
        const std::string cmd = publish_hint(o, false, cert_of(r.state, rec));
        io.err << "Withdraw: " << (cmd.empty() ? tlsa::zone_line(r.owner, rec) : cmd) << "\n";
    }
}

namespace {

std::string outcome_name(rollover::Report::Outcome o) {
    switch (o) {
    case rollover::Report::Outcome::nothing_to_do:
        return "nothing to do";
    case rollover::Report::Outcome::waiting:
        return "waiting";
    case rollover::Report::Outcome::acted:
        return "acted";
    case rollover::Report::Outcome::refused:
        return "refused";
    case rollover::Report::Outcome::failed:
        return "failed";
    }
    return "failed";
}

std::string security_name(DnsView::Security s) {
    switch (s) {
    case DnsView::Security::secure:
        return "secure";
    case DnsView::Security::insecure:
        return "insecure";
    case DnsView::Security::bogus:
        return "bogus";
    case DnsView::Security::failed:
        return "failed";
    }
    return "failed";
}

} // namespace

nlohmann::json report_json(const RolloverOptions& o, const rollover::Report& r, Exit exit, bool observed) {
    nlohmann::json j = json_top(o.command, static_cast<int>(exit), r.warnings);
    j["host"] = layout_of(o).host;
    j["dry_run"] = o.dry_run;
    j["outcome"] = outcome_name(r.outcome);
    j["summary"] = r.summary;
    j["dane_disabled_since"] = time_json(r.state.dane_disabled);
    if (r.health.message.empty()) {
        j["health"] = nullptr;
    } else {
        j["health"] = {{"level", std::string(rotation::health_level_name(r.health.level))},
                       {"message", r.health.message},
                       {"reason", r.health.reason}};
    }
    // The planner's view and DNS's, null for a step that consults neither
    // (stage, emergency).
    j["step"] = nullptr;
    j["can_act_now"] = nullptr;
    j["reason"] = nullptr;
    j["allowed_at"] = nullptr;
    j["should_publish"] = nullptr;
    j["dns"] = nullptr;
    if (observed) {
        j["step"] = rotation::step_name(r.plan.step);
        j["can_act_now"] = r.plan.can_act_now;
        j["reason"] = r.plan.reason;
        j["allowed_at"] = time_json(r.plan.allowed_at);
        j["should_publish"] = nlohmann::json::array();
        for (const auto& rec : r.plan.rrset) {
            j["should_publish"].push_back(record_json(r.owner, rec, std::nullopt));
        }
        const bool why = r.dns.security == DnsView::Security::bogus || r.dns.security == DnsView::Security::failed;
        j["dns"] = {{"security", security_name(r.dns.security)},
                    {"why", why ? nlohmann::json(r.dns.why) : nlohmann::json(nullptr)},
                    {"ttl", r.dns.exists ? nlohmann::json(r.dns.ttl) : nlohmann::json(nullptr)},
                    {"records", nlohmann::json::array()},
                    {"signatures_expire", r.dns.signatures_expire ? nlohmann::json(iso_utc(*r.dns.signatures_expire))
                                                                  : nlohmann::json(nullptr)}};
        for (const auto& rec : r.dns.records) {
            j["dns"]["records"].push_back(record_json(r.owner, rec, r.dns.ttl));
        }
        j["dns"]["servers"] = nullptr;
        if (r.dns.servers) {
            j["dns"]["servers"] = nlohmann::json::array();
            for (const auto& sv : *r.dns.servers) {
                nlohmann::json one{
                    {"name", sv.name},
                    {"answered", sv.answered},
                    {"why", sv.answered ? nlohmann::json(nullptr) : nlohmann::json(sv.why)},
                    {"ttl", sv.answered && !sv.records.empty() ? nlohmann::json(sv.ttl) : nlohmann::json(nullptr)},
                    {"serial", sv.serial ? nlohmann::json(*sv.serial) : nlohmann::json(nullptr)},
                    {"records", nlohmann::json::array()},
                    {"signatures_expire",
                     sv.signatures_expire ? nlohmann::json(iso_utc(*sv.signatures_expire)) : nlohmann::json(nullptr)},
                    {"signatures_rrset",
                     sv.signatures_expire ? nlohmann::json(sv.signatures_rrset) : nlohmann::json(nullptr)}};
                const auto behind = r.state.servers_behind.find(sv.name);
                one["behind_since"] = behind != r.state.servers_behind.end() ? nlohmann::json(iso_utc(behind->second))
                                                                             : nlohmann::json(nullptr);
                for (const auto& rec : sv.records) {
                    one["records"].push_back(record_json(r.owner, rec, sv.ttl));
                }
                j["dns"]["servers"].push_back(std::move(one));
            }
        }
    }
    j["actions"] = nlohmann::json::array();
    for (const auto& a : r.actions) {
        j["actions"].push_back({{"kind", std::string(rollover::action_kind_name(a.kind))},
                                {"ok", a.ok},
                                {"dry_run", a.dry_run},
                                {"text", a.text}});
    }
    j["to_publish"] = nlohmann::json::array();
    for (const auto& rec : r.to_publish) {
        j["to_publish"].push_back(record_json(r.owner, rec, std::nullopt));
    }
    j["to_withdraw"] = nlohmann::json::array();
    for (const auto& rec : r.to_withdraw) {
        j["to_withdraw"].push_back(record_json(r.owner, rec, std::nullopt));
    }
    // Records of keys mxdane retired that DNS still publishes (issue #23):
    // whoever holds such a key can still pass as the host.
    j["retired_still_published"] = nlohmann::json::array();
    if (observed) {
        for (const auto* k : rotation::removed_but_published(r.state, r.dns)) {
            j["retired_still_published"].push_back(
                {{"id", k->id}, {"record", record_json(r.owner, k->record, std::nullopt)}});
        }
    }
    j["keys"] = nlohmann::json::array();
    for (const auto& k : r.state.keys) {
        nlohmann::json issuer = nullptr;
        if (k.issuer) {
            issuer = k.issuer->command.empty() ? nlohmann::json{{"kind", "self"}, {"command", nullptr}}
                                               : nlohmann::json{{"kind", "command"}, {"command", k.issuer->command}};
        }
        j["keys"].push_back({{"id", k.id},
                             {"issuer", issuer},
                             {"role", role_of(r.state, k)},
                             {"key_file", k.key_file.string()},
                             {"cert_file", k.cert_file.string()},
                             {"record", k.created ? record_json(r.owner, k.record, std::nullopt) : nlohmann::json()},
                             {"created", time_json(k.created)},
                             {"published", time_json(k.published)},
                             {"active", time_json(k.active)},
                             {"retired", time_json(k.retired)},
                             {"removed", time_json(k.removed)}});
    }
    return j;
}

void print_json(const nlohmann::json& j, Io& io) {
    io.out << j.dump(2) << "\n";
    for (const auto& w : j.at("warnings")) {
        io.err << "warning: " << w.get<std::string>() << "\n";
    }
}

} // namespace mxdane::cli
