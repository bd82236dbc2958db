// mxdane rollover init|stage|status|activate|retire|emergency (issue #5).
// The planner (src/lib/rotation) decides; this file only observes DNS, asks
// the planner, carries the step out and says what happened.
#include <sstream>
#include <thread>

#include "cli.h"
#include "format.h"
#include "mxdane/dns.h"
#include "mxdane/error.h"
#include "mxdane/names.h"
#include "mxdane/rollover.h"
#include "mxdane/smtp.h"
#include "mxdane/store.h"
#include "resolver_cli.h"

namespace mxdane::cli {
namespace {

using rotation::DnsView;
using rotation::Step;

struct RolloverOptions {
    std::string host;
    std::string key_dir = store::default_key_dir.string();
    std::string cert_dir = store::default_cert_dir.string();
    std::string out_dir;
    std::string state_dir = rollover::default_state_dir.string();
    ResolverCli resolver;
    // init
    std::string key_file;
    std::string cert_file;
    std::string mta = "postfix";
    // stage / emergency
    std::string key_type;
    unsigned days = 1096;
    // status / activate / retire
    std::optional<std::uint32_t> ttl;
    std::uint32_t margin_days = 7;
    std::optional<std::uint64_t> margin_seconds;
    bool json = false;
    // activate / emergency
    std::string reload;
    std::string verify_at = "127.0.0.1";
    std::uint16_t port = 25;
    bool force = false;
    unsigned verify_tries = 10;
    // retire
    bool delete_old = false;
};

rollover::Layout layout_of(const RolloverOptions& o) {
    rollover::Layout l;
    auto host = names::normalize_host(o.host);
    if (!host) {
        throw Error(Errc::bad_input, "invalid host name '" + names::printable(o.host) + "': " + host.error());
    }
    l.host = *host;
    l.key_dir = o.out_dir.empty() ? o.key_dir : o.out_dir;
    l.cert_dir = o.out_dir.empty() ? o.cert_dir : o.out_dir;
    l.state_dir = o.state_dir;
    return l;
}

rotation::State load_state(const rollover::Layout& l) {
    auto s = rotation::load(l.state_file());
    if (!s) {
        throw Error(Errc::io, "no rollover state for " + l.host + " in " + l.state_dir.string() +
                                  "; start with 'mxdane rollover init " + l.host + "'");
    }
    return std::move(*s);
}

rotation::Policy policy_of(const RolloverOptions& o) {
    rotation::Policy p;
    p.margin = o.margin_seconds ? std::chrono::seconds(*o.margin_seconds)
                                : std::chrono::seconds(std::chrono::hours(24) * o.margin_days);
    p.ttl = o.ttl;
    return p;
}

/// What the validating resolver shows at _25._tcp.<host>.
DnsView look_up(const RolloverOptions& o, const rollover::Layout& l, std::uint16_t port) {
    const auto resolver = dns::make_unbound_resolver(to_unbound_options(o.resolver));
    const dns::Answer a = resolver->resolve(tlsa::owner(l.host, port), dns::RrType::tlsa);
    DnsView v;
    if (a.failed()) {
        v.security = DnsView::Security::failed;
        v.why = a.rcode == 2 ? "SERVFAIL" : "RCODE " + std::to_string(a.rcode);
        return v;
    }
    switch (a.security) {
    case dns::Security::secure:
        v.security = DnsView::Security::secure;
        break;
    case dns::Security::insecure:
        v.security = DnsView::Security::insecure;
        break;
    case dns::Security::bogus:
        v.security = DnsView::Security::bogus;
        v.why = a.why_bogus;
        break;
    }
    for (const auto& rd : a.records) {
        if (const auto* rec = std::get_if<tlsa::Record>(&rd)) {
            v.records.push_back(*rec);
        }
    }
    v.exists = !v.records.empty();
    v.ttl = a.ttl;
    return v;
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

void print_rrset(std::ostream& os, const std::string& owner, const std::vector<tlsa::Record>& rrset,
                 const std::string& indent = "") {
    for (const auto& r : rrset) {
        os << indent << tlsa::zone_line(owner, r) << "\n";
    }
}

std::string role_of(const rotation::State& s, const rotation::KeyTimeline& k) {
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

std::string when(const std::optional<rotation::TimePoint>& t) {
    return t ? iso_utc(*t) : "-";
}

/// Observes DNS, records what it saw, and plans.
struct Observed {
    rotation::State state;
    DnsView dns;
    rotation::Plan plan;
};

Observed observe_and_plan(const RolloverOptions& o, const rollover::Layout& l, rotation::TimePoint now) {
    Observed ob;
    const rotation::State before = load_state(l);
    ob.dns = look_up(o, l, before.port);
    ob.state = rotation::observe(before, ob.dns, now);
    if (rotation::to_json(ob.state) != rotation::to_json(before)) {
        rotation::save(l.state_file(), ob.state);
    }
    ob.plan = rotation::plan(ob.state, ob.dns, now, policy_of(o));
    return ob;
}

/// Runs the reload command; false (with a message) when it fails.
bool run_reload(const std::string& cmd, Io& io) {
    if (cmd.empty()) {
        return true;
    }
    io.err << "Running: " << cmd << "\n";
    const int rc = std::system(cmd.c_str()); // NOLINT(cert-env33-c): the admin's own reload command
    if (rc != 0) {
        io.err << "warning: the reload command failed (status " << rc << ")\n";
        return false;
    }
    return true;
}

/// Parses ADDR[:PORT] / [V6]:PORT, port defaulting to `port`.
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
        try {
            std::size_t used = 0;
            const unsigned long p = std::stoul(port_text, &used);
            if (used != port_text.size() || p == 0 || p > 65535) {
                throw std::out_of_range("port");
            }
            port = static_cast<std::uint16_t>(p);
        } catch (const std::exception&) {
            throw Error(Errc::bad_input, "--verify-at: bad port in '" + text + "'");
        }
    }
    return {addr, port};
}

/// Proves the MTA serves `key`: STARTTLS and a DANE match against its
/// record alone. Retries a few times: a reload takes effect asynchronously.
bool prove_serves(const RolloverOptions& o, const rollover::Layout& l, const rotation::KeyTimeline& key, Io& io) {
    const auto [addr, port] = parse_verify_at(o.verify_at, o.port);
    smtp::ProbeRequest req;
    req.address = addr;
    req.port = port;
    req.base_name = l.host;
    req.records = {key.record};
    req.step_timeout = std::chrono::seconds(10);
    req.total_timeout = std::chrono::seconds(30);
    smtp::ProbeResult res;
    for (unsigned i = 0; i < std::max(1U, o.verify_tries); ++i) {
        if (i > 0) {
            std::this_thread::sleep_for(std::chrono::seconds(1));
        }
        res = smtp::probe(req);
        if (res.outcome == smtp::Outcome::validated) {
            io.err << "Verified: " << addr << ":" << port << " now serves key " << key.id << " ("
                   << tlsa::rdata_text(key.record) << ")\n";
            return true;
        }
    }
    io.err << "error: " << addr << ":" << port << " does not serve key " << key.id << ": " << res.reason;
    if (res.served) {
        io.err << " (it serves " << tlsa::rdata_text(*res.served) << ")";
    }
    io.err << "\n";
    return false;
}

/// Switch, reload, prove; switch back and reload when the proof fails.
bool switch_and_prove(const RolloverOptions& o, const rollover::Layout& l, const rotation::KeyTimeline& to,
                      const rotation::KeyTimeline* back, Io& io) {
    rollover::switch_to(l, to);
    io.err << "Pointed " << l.stable_key().string() << " and " << l.stable_cert().string() << " at key " << to.id
           << "\n";
    if (run_reload(o.reload, io) && prove_serves(o, l, to, io)) {
        return true;
    }
    if (back != nullptr) {
        rollover::switch_to(l, *back);
        io.err << "Switched the stable names back to key " << back->id << "\n";
        run_reload(o.reload, io);
    }
    return false;
}

std::string mta_snippet(const std::string& mta, const rollover::Layout& l) {
    const std::string key = l.stable_key().string();
    const std::string cert = l.stable_cert().string();
    if (mta == "postfix") {
        return "# /etc/postfix/main.cf\nsmtpd_tls_chain_files = " + key + ", " + cert +
               "\nsmtpd_tls_security_level = may\n";
    }
    if (mta == "exim") {
        return "# Exim main configuration\ntls_certificate = " + cert + "\ntls_privatekey = " + key + "\n";
    }
    if (mta == "opensmtpd") {
        return "# /etc/smtpd.conf\npki " + l.host + " cert \"" + cert + "\"\npki " + l.host + " key \"" + key +
               "\"\nlisten on egress tls pki " + l.host + "\n";
    }
    throw Error(Errc::bad_input, "--mta: choose postfix, exim or opensmtpd, not '" + mta + "'");
}

Exit do_init(const RolloverOptions& o, Io& io) {
    const auto l = layout_of(o);
    const std::string snippet = mta_snippet(o.mta, l); // validate --mta before changing anything
    rollover::InitRequest req;
    req.layout = l;
    if (!o.key_file.empty()) {
        req.key = o.key_file;
    }
    if (!o.cert_file.empty()) {
        req.cert = o.cert_file;
    }
    req.now = x509::Clock::now();
    const auto r = rollover::init(req);
    io.out << snippet;
    io.err << "Adopted " << r.key.string() << " and " << r.cert.string() << " (" << r.how_found << ") as key 1.\n"
           << "Stable names: " << l.stable_key().string() << " -> " << r.key.filename().string() << ", "
           << l.stable_cert().string() << " -> " << r.cert.filename().string() << "\n"
           << "State: " << l.state_file().string() << "\n"
           << "Next: point the MTA at the stable names (above) and reload it; make sure DNS publishes\n  "
           << tlsa::zone_line(tlsa::owner(l.host, 25), r.state.keys.front().record)
           << "\nthen, in about a year, 'mxdane rollover stage " << l.host << "'.\n";
    return Exit::ok;
}

Exit do_stage(const RolloverOptions& o, Io& io) {
    const auto l = layout_of(o);
    rotation::State s = load_state(l);
    rollover::StageRequest req;
    req.layout = l;
    if (!o.key_type.empty()) {
        req.key_type = x509::parse_key_type(o.key_type);
        if (!req.key_type) {
            throw Error(Errc::bad_input, "--key: unknown key type '" + o.key_type +
                                             "' (choose rsa3072, rsa2048, rsa4096, p256 or p384)");
        }
    }
    req.days = o.days;
    req.now = x509::Clock::now();
    const rotation::KeyTimeline next = rollover::stage(req, s);
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
    const auto ob = observe_and_plan(o, l, x509::Clock::now());
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
                                 {"tlsa", tlsa::rdata_text(k.record)},
                                 {"created", when(k.created)},
                                 {"published", when(k.published)},
                                 {"active", when(k.active)},
                                 {"retired", when(k.retired)},
                                 {"removed", when(k.removed)}});
        }
        io.out << j.dump(2) << "\n";
    } else {
        io.out << "host:    " << l.host << "\n"
               << "step:    " << rotation::step_name(ob.plan.step)
               << (ob.plan.can_act_now ? " (allowed now)" : " (waiting)") << "\n"
               << "reason:  " << ob.plan.reason << "\n";
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
    auto ob = observe_and_plan(o, l, x509::Clock::now());
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
    const auto now = x509::Clock::now();
    if (auto* c = rotation::current_key(ob.state)) {
        c->retired = now;
    }
    rotation::next_key(ob.state)->active = now;
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
    auto ob = observe_and_plan(o, l, x509::Clock::now());
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
    const auto r = rollover::retire(l, *old, o.delete_old, x509::Clock::now());
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
    rotation::State s = load_state(l);
    const auto now = x509::Clock::now();
    const rotation::KeyTimeline* cur_before = rotation::current_key(s);
    const std::uint32_t old_ttl = o.ttl ? *o.ttl : (cur_before != nullptr ? cur_before->max_ttl_seen : 0);
    rotation::KeyTimeline* next = rotation::next_key(s);
    if (next == nullptr || !next->created) {
        rollover::StageRequest req;
        req.layout = l;
        req.days = o.days;
        req.now = now;
        if (!o.key_type.empty()) {
            req.key_type = x509::parse_key_type(o.key_type);
            if (!req.key_type) {
                throw Error(Errc::bad_input, "--key: unknown key type '" + o.key_type + "'");
            }
        }
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
    if (auto* c = rotation::current_key(s)) {
        c->retired = now;
    }
    rotation::next_key(s)->active = now;
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

void common_options(CLI::App& sub, RolloverOptions& o) {
    sub.add_option("HOST", o.host, "the MX host name")->required();
    sub.add_option("--key-dir", o.key_dir, "directory of the private keys (default /etc/pki/tls/private)");
    sub.add_option("--cert-dir", o.cert_dir, "directory of the certificates (default /etc/pki/tls/certs)");
    sub.add_option("--out", o.out_dir, "keys and certificates both in this one directory");
    sub.add_option("--state-dir", o.state_dir, "where the rollover state lives (default /var/lib/mxdane)");
}

void dns_options(CLI::App& sub, RolloverOptions& o) {
    add_resolver_options(sub, o.resolver);
    sub.add_option("--ttl", o.ttl, "the TLSA TTL to wait for (default: the largest TTL DNS has shown)");
    sub.add_option("--margin-days", o.margin_days, "safety margin after 2 x TTL, in days (default 7)");
    sub.add_option("--margin", o.margin_seconds, "safety margin in seconds (overrides --margin-days)");
}

void switch_options(CLI::App& sub, RolloverOptions& o) {
    sub.add_option("--reload", o.reload, "command that makes the MTA re-read its key (e.g. 'postfix reload')");
    sub.add_option("--verify-at", o.verify_at, "ADDR[:PORT] where the MTA listens (default 127.0.0.1:25)");
    sub.add_option("--port", o.port, "SMTP port for --verify-at without a port (default 25)");
    sub.add_option("--verify-tries", o.verify_tries, "how many times to try the live proof, 1 s apart (default 10)");
}

Runner setup(CLI::App& app) {
    auto o = std::make_shared<RolloverOptions>();
    app.require_subcommand(1, 1);
    app.footer("Yearly key rotation, step by step:\n"
               "  mxdane rollover init mx1.example.net       adopt the key in service\n"
               "  mxdane rollover stage mx1.example.net      make the next key; publish both records\n"
               "  mxdane rollover status mx1.example.net     wait until the switch is allowed\n"
               "  mxdane rollover activate mx1.example.net --reload 'postfix reload'\n"
               "  mxdane rollover retire mx1.example.net     after removing the old record");

    auto* init = app.add_subcommand("init", "adopt the key and certificate the MTA uses now");
    common_options(*init, *o);
    init->add_option("--key", o->key_file, "the private key in service (default: found by name)");
    init->add_option("--cert", o->cert_file, "its certificate");
    init->add_option("--mta", o->mta, "print configuration for postfix (default), exim or opensmtpd");

    auto* stage = app.add_subcommand("stage", "make the next key and print the RRset to publish");
    common_options(*stage, *o);
    stage->add_option("--key", o->key_type, "key type (default: the current key's)");
    stage->add_option("--days", o->days, "certificate validity in days (default 1096)");
    stage->add_option("--margin-days", o->margin_days, "safety margin after 2 x TTL, in days (default 7)");
    stage->add_option("--margin", o->margin_seconds, "safety margin in seconds (overrides --margin-days)");

    auto* status = app.add_subcommand("status", "show the phase, what DNS shows, and when the next step is allowed");
    common_options(*status, *o);
    dns_options(*status, *o);
    status->add_flag("--json", o->json, "one JSON object");

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
    emergency->add_option("--ttl", o->ttl, "the TTL of the RRset in caches (default: the largest seen)");

    return [o, init, stage, status, activate, retire, emergency](Io& io) {
        if (init->parsed()) {
            return do_init(*o, io);
        }
        if (stage->parsed()) {
            return do_stage(*o, io);
        }
        if (status->parsed()) {
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
    return {"rollover", "rotate the MX key without a deferred message (init, stage, status, activate, retire)", setup};
}

} // namespace mxdane::cli
