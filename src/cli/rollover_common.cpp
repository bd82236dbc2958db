// Shared by the rollover subcommands (rollover_common.h).
#include "rollover_common.h"

#include <algorithm>
#include <thread>

#include "format.h"
#include "mxdane/dns.h"
#include "mxdane/error.h"
#include "mxdane/names.h"
#include "mxdane/smtp.h"

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

rotation::State load_state(const rollover::Layout& l) {
    auto s = rollover::load_checked(l);
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
                 const std::string& indent) {
    for (const auto& r : rrset) {
        os << indent << tlsa::zone_line(owner, r) << "\n";
    }
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

std::string when(const std::optional<rotation::TimePoint>& t) {
    return t ? iso_utc(*t) : "-";
}

Observed observe_and_plan(const RolloverOptions& o, const rollover::Layout& l, rotation::TimePoint now) {
    Observed ob;
    const rotation::State before = load_state(l);
    rotation::check_clock(before, now);
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

void common_options(CLI::App& sub, RolloverOptions& o) {
    sub.add_option("HOST", o.host, "the MX host name")->required();
    sub.add_option("--key-dir", o.key_dir, "directory of the private keys (default /etc/pki/tls/private)");
    sub.add_option("--cert-dir", o.cert_dir, "directory of the certificates (default /etc/pki/tls/certs)");
    sub.add_option("--out", o.out_dir, "keys and certificates both in this one directory");
    sub.add_option("--state-dir", o.state_dir, "where the rollover state lives (default /var/lib/mxdane)");
    // The planner's clock, for tests and dry rehearsals; hidden from --help.
    sub.add_option("--now", o.now, "")->group("");
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

rollover::StageRequest stage_request(const RolloverOptions& o, const rollover::Layout& l, rotation::TimePoint now) {
    rollover::StageRequest req;
    req.layout = l;
    req.days = o.days;
    req.now = now;
    if (!o.key_type.empty()) {
        req.key_type = x509::parse_key_type(o.key_type);
        if (!req.key_type) {
            throw Error(Errc::bad_input, "--key: unknown key type '" + o.key_type +
                                             "' (choose rsa3072, rsa2048, rsa4096, p256 or p384)");
        }
    }
    return req;
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

} // namespace mxdane::cli
