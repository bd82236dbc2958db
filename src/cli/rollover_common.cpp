// Shared by the rollover subcommands (rollover_common.h).
#include "rollover_common.h"

#include <charconv>

#include "flags.h"
#include "mxdane/error.h"
#include "mxdane/names.h"
#include "mxdane/sys.h"

namespace mxdane::cli {

using rotation::DnsView;

rollover::Layout layout_of(const RolloverOptions& o) {
    rollover::Layout l;
    auto host = names::normalize_host(o.host);
    if (!host) {
        throw Error(Errc::bad_input, "invalid host name '" + names::printable(o.host) + "': " + host.error());
    }
    l.host = *host;
    // Absolute: these paths go into the MTA's configuration and the state.
    l.key_dir = std::filesystem::absolute(o.out_dir.empty() ? o.key_dir : o.out_dir).lexically_normal();
    l.cert_dir = std::filesystem::absolute(o.out_dir.empty() ? o.cert_dir : o.out_dir).lexically_normal();
    l.state_dir = o.state_dir;
    return l;
}

rotation::TimePoint now_of(const RolloverOptions& o) {
    if (o.now.empty()) {
        return x509::Clock::now();
    }
    const auto t = rotation::parse_time(o.now);
    if (!t) {
        throw Error(Errc::bad_input, "--now: expected a time like 2026-11-28T12:00:00Z, not '" + o.now + "'");
    }
    return *t;
}

namespace {

std::uint64_t number(const rotation::Setting& s, std::uint64_t max) {
    std::uint64_t v = 0;
    const auto [ptr, ec] = std::from_chars(s.value.data(), s.value.data() + s.value.size(), v);
    if (ec != std::errc() || ptr != s.value.data() + s.value.size() || v > max) {
        throw Error(Errc::bad_input, "line " + std::to_string(s.line) + ": " + s.key + " needs a number up to " +
                                         std::to_string(max) + ", not '" + s.value + "'");
    }
    return v;
}

bool given(CLI::App& sub, const std::string& key) {
    try {
        return sub.get_option("--" + key)->count() > 0;
    } catch (const CLI::OptionNotFound&) {
        return false;
    }
}

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

/// A class for steps that never look at DNS (stage, emergency): a lookup
/// there is a bug, not a network question.
class NoLookups final : public dns::Resolver {
  public:
    dns::Answer resolve(std::string_view name, dns::RrType /*type*/) override {
        throw Error(Errc::io, "internal error: this step does not look up DNS (" + std::string(name) + ")");
    }
};

} // namespace

std::pair<std::string, std::uint16_t> parse_verify_at(const std::string& text, std::uint16_t port) {
    std::string addr = text;
    std::string port_text;
    if (!addr.empty() && addr.front() == '[') {
        const auto close = addr.find(']');
        if (close == std::string::npos) {
            throw Error(Errc::bad_input, "--verify-at: missing ']' in '" + text + "'");
        }
        if (close + 1 < addr.size()) {
            if (addr[close + 1] != ':') {
                throw Error(Errc::bad_input, "--verify-at: expected ':' after ']' in '" + text + "'");
            }
            port_text = addr.substr(close + 2);
        }
        addr = addr.substr(1, close - 1);
    } else if (std::count(addr.begin(), addr.end(), ':') == 1) {
        port_text = addr.substr(addr.find(':') + 1);
        addr = addr.substr(0, addr.find(':'));
    }
    if (!port_text.empty()) {
        std::uint64_t p = 0;
        const auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), p);
        if (ec != std::errc() || ptr != port_text.data() + port_text.size() || p == 0 || p > 65535) {
            throw Error(Errc::bad_input, "--verify-at: bad port in '" + text + "'");
        }
        port = static_cast<std::uint16_t>(p);
    }
    return {addr, port};
}

namespace {

nlohmann::json record_json(const std::string& owner, const tlsa::Record& r, std::optional<std::uint32_t> ttl) {
    return tlsa_json(owner, r, ttl);
}

} // namespace

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

void apply_config(RolloverOptions& o, CLI::App& sub, Io& io) {
    if (o.config.empty()) {
        return;
    }
    const auto settings = rotation::parse_config(sys::read_file(o.config, {"settings file", sys::mib}));
    if (!settings) {
        throw Error(Errc::bad_input, o.config + ": " + settings.error());
    }
    for (const auto& s : *settings) {
        if (given(sub, s.key)) {
            continue;
        }
        const std::string& v = s.value;
        const auto flag = [&v]() { return v == "true" || v == "yes" || v == "1"; };
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
        } else if (s.key == "key-group") {
            o.key_group = v;
        } else if (s.key == "days") {
            o.days = static_cast<unsigned>(number(s, 9999));
        } else if (s.key == "publish-ttl") {
            o.publish_ttl = static_cast<std::uint32_t>(number(s, 0x7fffffff));
        } else if (s.key == "delete-old") {
            o.delete_old = flag();
        } else if (s.key == "quiet") {
            o.quiet = flag();
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
        } else if (s.key == "mta") {
            o.mta = v;
        } else {
            throw Error(Errc::bad_input,
                        o.config + ": line " + std::to_string(s.line) + ": unknown setting '" + s.key + "'");
        }
    }
    (void)io;
}

EngineFromOptions::EngineFromOptions(const RolloverOptions& o, bool dns, bool publisher, bool mta) {
    rollover::EngineSettings set;
    set.layout = layout_of(o);
    set.policy.margin = o.margin_seconds ? std::chrono::seconds(*o.margin_seconds)
                                         : std::chrono::seconds(std::chrono::hours(24) * o.margin_days);
    set.policy.ttl = o.ttl;
    set.key_life = std::chrono::seconds(std::chrono::hours(24) * o.key_life_days);
    if (!o.key_type.empty()) {
        set.key_type = x509::parse_key_type(o.key_type);
        if (!set.key_type) {
            throw Error(Errc::bad_input, "--key: unknown key type '" + o.key_type +
                                             "' (choose rsa3072, rsa2048, rsa4096, p256 or p384)");
        }
    }
    set.days = o.days;
    if (!o.key_group.empty()) {
        set.key_group = o.key_group;
    }
    set.publish_ttl = o.publish_ttl;
    set.delete_old = o.delete_old;
    set.force = o.force;
    set.dry_run = o.dry_run;
    set.renew_before = renew_before_of(o.issue);
    rollover::IssuerSettings is;
    is.layout = set.layout;
    is.issuer = issuer_of(o.issue);
    is.days = o.days;
    is.renew_before = set.renew_before;
    if (dns) {
        m_resolver = dns::make_unbound_resolver(to_unbound_options(o.resolver));
    } else {
        m_resolver = std::make_unique<NoLookups>();
    }
    m_store = rollover::make_file_store(set.layout);
    if (publisher && (!o.publish.nsupdate.empty() || !o.publish.hook.empty())) {
        m_publisher = make_publisher(o.publish);
    }
    if (mta) {
        rollover::MtaSettings ms;
        ms.host = set.layout.host;
        ms.reload = o.reload;
        const auto [addr, port] = parse_verify_at(o.verify_at, o.port);
        ms.address = addr;
        ms.port = port;
        ms.tries = o.verify_tries;
        m_mta = rollover::make_mta_control(ms);
    }
    m_issuer = rollover::make_cert_issuer(is, m_mta.get());
    m_engine = std::make_unique<rollover::Engine>(
        set, rollover::Collaborators{*m_resolver, *m_store, m_publisher.get(), m_mta.get(), m_issuer.get()});
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
                    {"records", nlohmann::json::array()}};
        for (const auto& rec : r.dns.records) {
            j["dns"]["records"].push_back(record_json(r.owner, rec, r.dns.ttl));
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
    j["keys"] = nlohmann::json::array();
    for (const auto& k : r.state.keys) {
        j["keys"].push_back({{"id", k.id},
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

void common_options(CLI::App& sub, RolloverOptions& o) {
    sub.add_option("HOST", o.host, "the MX host name")->required();
    sub.add_option("--key-dir", o.key_dir, "directory of the private keys (default /etc/pki/tls/private)");
    sub.add_option("--cert-dir", o.cert_dir, "directory of the certificates (default /etc/pki/tls/certs)");
    sub.add_option("--out", o.out_dir, "keys and certificates both in this one directory");
    sub.add_option("--state-dir", o.state_dir, "where the rollover state lives (default /var/lib/mxdane)");
    sub.add_option("--config", o.config, "settings file (key = value, the long option names; the command line wins)");
    sub.add_option("--now", o.now, "plan as of this time (e.g. 2026-11-28T12:00:00Z) instead of the clock");
    sub.add_flag("--json", o.json, "one JSON object on stdout");
}

void dns_options(CLI::App& sub, RolloverOptions& o) {
    add_resolver_options(sub, o.resolver);
    sub.add_option("--ttl", o.ttl,
                   "the TLSA TTL to wait for, 0 to 2147483647 s (default: the largest TTL DNS has shown)")
        ->check(CLI::Range(std::uint32_t{0}, rotation::max_ttl));
    sub.add_option("--margin-days", o.margin_days, "safety margin after 2 x TTL, 0 to 3650 days (default 7)")
        ->check(CLI::Range(std::uint32_t{0}, rotation::max_margin_days));
    sub.add_option("--margin", o.margin_seconds, "safety margin in seconds, 0 to 315360000 (overrides --margin-days)")
        ->check(CLI::Range(std::uint64_t{0}, static_cast<std::uint64_t>(rotation::max_margin_seconds)));
}

void switch_options(CLI::App& sub, RolloverOptions& o) {
    sub.add_option("--reload", o.reload, "command that makes the MTA re-read its key (e.g. 'postfix reload')");
    sub.add_option("--verify-at", o.verify_at, "ADDR[:PORT] where the MTA listens (default 127.0.0.1:25)");
    sub.add_option("--port", o.port, "SMTP port for --verify-at without a port (default 25)");
    sub.add_option("--verify-tries", o.verify_tries, "how many times to try the live proof, 1 s apart (default 10)");
}

} // namespace mxdane::cli
