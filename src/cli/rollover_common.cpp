// Shared by the rollover subcommands (rollover_common.h): options, the
// settings file, the engine and its collaborators. Hints and the report, as
// text and --json, are rollover_report.cpp.
#include "rollover_common.h"

#include <algorithm>
#include <charconv>
#include <unistd.h>

#include "mxdane/endpoint.h"
#include "mxdane/error.h"
#include "mxdane/names.h"
#include "mxdane/store.h"
#include "mxdane/sys.h"

namespace mxdane::cli {

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
    const auto parsed = [](const std::string& text, const char* flag) {
        const auto t = rotation::parse_time(text);
        if (!t) {
            throw Error(Errc::bad_input,
                        std::string(flag) + ": expected a time like 2026-11-28T12:00:00Z, not '" + text + "'");
        }
        return *t;
    };
    if (!o.now.empty()) {
        const auto t = parsed(o.now, "--now");
        // A rehearsal writes nothing (issue #23): a step that changes files
        // under another time would leave that time in the state.
        if (!o.dry_run && o.command != "rollover status") {
            throw Error(Errc::bad_input, "--now plans as of another time and changes nothing: give it with "
                                         "--dry-run, or to 'rollover status'; the clock decides every step that "
                                         "changes files");
        }
        return t;
    }
    if (!o.test_clock.empty()) {
        // The labs' clock (README "Building and testing by hand"): years in
        // minutes, never in the machine's own state directory.
        if (layout_of(o).state_dir == rollover::default_state_dir) {
            throw Error(Errc::bad_input, "--test-clock is for test labs: it needs --state-dir other than " +
                                             rollover::default_state_dir.string());
        }
        return parsed(o.test_clock, "--test-clock");
    }
    return x509::Clock::now();
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
    const auto endpoint = sys::parse_smtp_endpoint(text, port);
    if (!endpoint) {
        throw Error(Errc::bad_input, "--verify-at: " + endpoint.error());
    }
    return {endpoint->host, endpoint->port};
}

namespace {

/// The settings that go together: the command line giving one member of a
/// group replaces the settings file's whole group, so a file's
/// `nsupdate`/`tsig-key` never meet a command line's --publish-hook, nor a
/// file's `out` a command line's --key-dir.
bool replaced_by_command_line(CLI::App& sub, const std::string& key) {
    static const std::vector<std::vector<std::string>> rivals{
        {"nsupdate", "tsig-key", "zone"}, {"publish-hook"}, {"out"}, {"key-dir", "cert-dir"}};
    static const std::vector<std::pair<std::size_t, std::size_t>> against{{0, 1}, {1, 0}, {2, 3}, {3, 2}};
    for (const auto& [mine, other] : against) {
        const auto& group = rivals[mine];
        if (std::find(group.begin(), group.end(), key) == group.end()) {
            continue;
        }
        for (const auto& rival : rivals[other]) {
            if (given(sub, rival)) {
                return true;
            }
        }
    }
    return false;
}

} // namespace

void apply_config(RolloverOptions& o, CLI::App& sub, Io& io) {
    if (o.config.empty()) {
        check_publish_pairs(o.publish);
        return;
    }
    // Its publish hook, reload and issue commands run as this user (root,
    // from the timer): a file another user could have written is refused
    // (issue #25).
    if (const auto why = store::untrusted_input(o.config, ::geteuid())) {
        throw Error(Errc::refused, "refusing the settings file: " + *why + "; its commands would run as this user");
    }
    const auto settings = rotation::parse_config(sys::read_file(o.config, {"settings file", sys::mib}));
    if (!settings) {
        throw Error(Errc::bad_input, o.config + ": " + settings.error());
    }
    for (const auto& s : *settings) {
        if (given(sub, s.key) || replaced_by_command_line(sub, s.key)) {
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
        } else if (s.key == "sig-warn-days") {
            o.sig_warn_days = static_cast<unsigned>(number(s, 3650));
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
    check_publish_pairs(o.publish);
    (void)io;
}

EngineFromOptions::EngineFromOptions(const RolloverOptions& o, bool dns, bool publisher, bool mta) {
    rollover::EngineSettings set;
    set.layout = layout_of(o);
    set.policy.margin = o.margin_seconds ? std::chrono::seconds(*o.margin_seconds)
                                         : std::chrono::seconds(std::chrono::hours(24) * o.margin_days);
    set.policy.ttl = o.ttl;
    set.key_life = std::chrono::seconds(std::chrono::hours(24) * o.key_life_days);
    set.signature_warn = std::chrono::seconds(std::chrono::hours(24) * o.sig_warn_days);
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
        const auto uo = to_unbound_options(o.resolver);
        m_resolver = dns::make_unbound_resolver(uo);
        m_servers = rollover::make_authoritative_servers(*m_resolver, dns::unbound_server_factory(uo));
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
    m_engine =
        std::make_unique<rollover::Engine>(set, rollover::Collaborators{*m_resolver, *m_store, m_publisher.get(),
                                                                        m_mta.get(), m_issuer.get(), m_servers.get()});
}

void common_options(CLI::App& sub, RolloverOptions& o) {
    sub.add_option("HOST", o.host, "the MX host name")->required();
    sub.add_option("--key-dir", o.key_dir, "directory of the private keys (default /etc/pki/tls/private)");
    sub.add_option("--cert-dir", o.cert_dir, "directory of the certificates (default /etc/pki/tls/certs)");
    sub.add_option("--out", o.out_dir, "keys and certificates both in this one directory");
    sub.add_option("--state-dir", o.state_dir, "where the rollover state lives (default /var/lib/mxdane)");
    sub.add_option("--config", o.config, "settings file (key = value, the long option names; the command line wins)");
    sub.add_option("--now", o.now,
                   "plan as of this time (e.g. 2026-11-28T12:00:00Z): with --dry-run, or for status; writes nothing");
    sub.add_option("--test-clock", o.test_clock, "test labs only: the time of every step")->group("");
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
