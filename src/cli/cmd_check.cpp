// mxdane check DOMAIN | --mx HOST (issue #4): the live RFC 7672 walk.
#include <unistd.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "check_cli.h"
#include "cli.h"
#include "format.h"
#include "mxdane/check.h"
#include "mxdane/error.h"
#include "mxdane/names.h"
#include "resolver_cli.h"

namespace mxdane::cli {
namespace {

struct CheckOptions {
    std::string domain;
    std::string mx;
    std::uint16_t port = 25;
    unsigned timeout = 30;
    unsigned max_addresses = check::Request{}.max_addresses;
    ResolverCli resolver;
    std::string helo;
    bool json = false;
    BulkCli bulk;
};

/// A sign of life: one line on stderr when the check takes longer than 2 s
/// and stderr is a terminal (scripts and logs get only the result).
class Progress {
  public:
    Progress(std::ostream& err, std::string line) : m_err(err), m_line(std::move(line)) {
        if (::isatty(STDERR_FILENO) == 1) {
            m_thread = std::thread([this] {
                std::unique_lock<std::mutex> lock(m_mutex);
                if (!m_cv.wait_for(lock, std::chrono::seconds(2), [this] { return m_done; })) {
                    m_err << m_line << "\n" << std::flush;
                }
            });
        }
    }
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;
    Progress(Progress&&) = delete;
    Progress& operator=(Progress&&) = delete;
    ~Progress() {
        {
            const std::lock_guard<std::mutex> lock(m_mutex);
            m_done = true;
        }
        m_cv.notify_all();
        if (m_thread.joinable()) {
            m_thread.join();
        }
    }

  private:
    std::ostream& m_err;
    std::string m_line;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_done = false;
    std::thread m_thread;
};

std::string default_helo() {
    std::array<char, 256> buf{};
    if (::gethostname(buf.data(), buf.size() - 1) == 0) {
        if (auto n = names::normalize_host(buf.data()); n) {
            return *n;
        }
    }
    return "localhost";
}

std::string where(const check::HostCheck& h, const check::AddressCheck* a, std::uint16_t port) {
    return h.host + (a != nullptr ? "[" + a->address.text + "]" : std::string()) + ":" + std::to_string(port);
}

std::string verdict_text(check::Verdict v, const std::string& reason, const smtp::ProbeResult* probe) {
    switch (v) {
    case check::Verdict::dane_validated:
        if (probe != nullptr && probe->matched) {
            const auto& m = *probe->matched;
            return "dane-validated (" + std::to_string(m.usage) + " " + std::to_string(m.selector) + " " +
                   std::to_string(m.mtype) + " matched" +
                   (probe->matched_name.empty() ? std::string() : ", name " + probe->matched_name) + ")";
        }
        return "dane-validated";
    case check::Verdict::tls_unauthenticated:
        return "TLS, not authenticated: " + reason;
    case check::Verdict::failed:
        return "FAILED: " + reason;
    case check::Verdict::would_defer:
        return "would defer: " + reason;
    case check::Verdict::no_dane:
        return "no DANE: " + reason;
    }
    return reason;
}

void print_text(const check::Report& r, Io& io) {
    if (r.mx_verdict) {
        io.out << r.domain << " MX " << verdict_text(*r.mx_verdict, r.mx_reason, nullptr) << "\n";
    }
    std::size_t validated = 0;
    for (const auto& h : r.hosts) {
        for (const auto& s : h.skipped) {
            io.out << where(h, nullptr, r.port) << " skipped: " << s << "\n";
        }
        if (h.addresses.empty()) {
            io.out << where(h, nullptr, r.port) << " " << verdict_text(h.verdict, h.reason, nullptr) << "\n";
        }
        for (const auto& a : h.addresses) {
            const smtp::ProbeResult* p = a.probe ? &*a.probe : nullptr;
            io.out << where(h, &a, r.port) << " " << verdict_text(a.verdict, a.reason, p) << "\n";
            if (a.verdict == check::Verdict::failed && p != nullptr) {
                // What to publish, or what to serve: the admin's next step.
                for (const auto& rec : h.tlsa) {
                    io.out << "  published: " << tlsa::zone_line(h.tlsa_owner, rec) << "\n";
                    // Why a sender set it aside (the explanation verify gives).
                    for (const auto& x : p->explained) {
                        if (x.record == rec && x.outcome == tlsa::Outcome::unusable) {
                            io.out << "             " << x.reason << "\n";
                            break;
                        }
                    }
                }
                if (p->served) {
                    io.out << "  served:    " << tlsa::zone_line(h.tlsa_owner, *p->served) << "\n";
                }
            }
        }
        if (h.verdict == check::Verdict::dane_validated && h.skipped.empty()) {
            ++validated;
        }
    }
    for (const auto& n : r.not_tried) {
        io.out << n.host << " not tried: it comes after the first " << r.max_addresses
               << " addresses in MX order, and a sender tries no more (--max-addresses)\n";
    }
    for (const auto& w : r.warnings) {
        io.err << "warning: " << w << "\n";
    }
    const std::string of = std::to_string(validated) + " of " + std::to_string(r.hosts.size()) + " MX hosts";
    std::string summary = r.domain + ": ";
    const auto weak = check::weak_paths(r);
    switch (check::overall(r)) {
    case check::Overall::all_validated:
        summary += "every MX host DANE-validated (" + of + ")";
        break;
    case check::Overall::degraded:
        summary += "DANE senders deliver, but not on every path (" + of + " DANE-validated)";
        break;
    case check::Overall::deferred:
        summary += "DANE senders would defer: no path succeeds";
        break;
    case check::Overall::not_in_effect:
        summary += "DANE is not in effect";
        break;
    }
    if (!weak.empty()) {
        summary += ": " + weak.front();
        if (weak.size() > 1) {
            summary += " (and " + std::to_string(weak.size() - 1) + " more: see above)";
        }
    }
    io.out << "summary: " << summary << "\n";
}

nlohmann::json probe_json(const smtp::ProbeResult& p, const std::string& owner) {
    nlohmann::json j;
    j["outcome"] = std::string(smtp::outcome_name(p.outcome));
    j["reason"] = p.reason;
    j["steps"] = nlohmann::json::array();
    for (const auto& s : p.steps) {
        j["steps"].push_back({{"step", s.name}, {"ok", s.ok}, {"detail", s.detail}});
    }
    j["matched"] = p.matched ? tlsa_json(owner, *p.matched) : nlohmann::json(nullptr);
    j["match_depth"] = p.match_depth;
    j["matched_name"] = p.matched_name;
    j["served"] = p.served ? tlsa_json(owner, *p.served) : nlohmann::json(nullptr);
    j["explained"] = nlohmann::json::array();
    for (const auto& x : p.explained) {
        j["explained"].push_back({{"record", tlsa_json(owner, x.record)},
                                  {"outcome", tlsa::outcome_label(x.outcome)},
                                  {"reason", x.reason}});
    }
    j["leaf_self_signed"] = p.leaf_self_signed;
    j["tls_version"] = p.tls_version;
    j["cipher"] = p.cipher;
    j["discarded_plaintext"] = p.discarded_plaintext;
    return j;
}

} // namespace

nlohmann::json report_json(const check::Report& r, Exit code) {
    nlohmann::json j = json_top("check", static_cast<int>(code), r.warnings);
    j["domain"] = r.domain;
    j["mx_host_mode"] = r.mx_host;
    j["port"] = r.port;
    j["mx_insecure"] = r.mx_insecure;
    j["mx"] = r.mx_verdict ? nlohmann::json{{"verdict", std::string(check::verdict_name(*r.mx_verdict))},
                                            {"reason", r.mx_reason}}
                           : nlohmann::json(nullptr);
    j["hosts"] = nlohmann::json::array();
    for (const auto& h : r.hosts) {
        nlohmann::json hj;
        hj["host"] = h.host;
        hj["preference"] = h.preference;
        hj["base_name"] = h.base_name;
        hj["tlsa_owner"] = h.tlsa_owner;
        hj["tlsa_ttl"] = h.tlsa_ttl;
        hj["tlsa"] = nlohmann::json::array();
        for (const auto& rec : h.tlsa) {
            hj["tlsa"].push_back(tlsa_json(h.tlsa_owner, rec, h.tlsa_ttl));
        }
        hj["skipped"] = h.skipped;
        hj["verdict"] = std::string(check::verdict_name(h.verdict));
        hj["reason"] = h.reason;
        hj["addresses"] = nlohmann::json::array();
        for (const auto& a : h.addresses) {
            hj["addresses"].push_back(
                {{"address", a.address.text},
                 {"family", a.address.v6 ? "ipv6" : "ipv4"},
                 {"verdict", std::string(check::verdict_name(a.verdict))},
                 {"reason", a.reason},
                 {"probe", a.probe ? probe_json(*a.probe, h.tlsa_owner) : nlohmann::json(nullptr)}});
        }
        j["hosts"].push_back(hj);
    }
    j["max_addresses"] = r.max_addresses;
    j["not_tried"] = nlohmann::json::array();
    for (const auto& n : r.not_tried) {
        j["not_tried"].push_back({{"host", n.host}, {"preference", n.preference}, {"addresses", n.addresses}});
    }
    j["lookups"] = nlohmann::json::array();
    for (const auto& l : r.lookups) {
        nlohmann::json lj;
        lj["name"] = l.qname;
        lj["type"] = std::string(dns::type_name(l.qtype));
        lj["rcode"] = l.rcode;
        lj["security"] = std::string(dns::security_name(l.security));
        lj["why_bogus"] = l.why_bogus;
        lj["nxdomain"] = l.nxdomain;
        lj["nodata"] = l.nodata();
        lj["canonical"] = l.canonical;
        lj["ttl"] = l.ttl;
        lj["records"] = nlohmann::json::array();
        for (const auto& rd : l.records) {
            lj["records"].push_back(dns::rdata_text(rd));
        }
        lj["malformed"] = l.malformed;
        j["lookups"].push_back(lj);
    }
    j["overall"] = std::string(check::overall_name(check::overall(r)));
    j["weak_paths"] = check::weak_paths(r);
    return j;
}

Exit check_exit(const check::Report& r) {
    switch (check::overall(r)) {
    case check::Overall::all_validated:
        return Exit::ok;
    case check::Overall::degraded:
        return Exit::degraded;
    case check::Overall::deferred:
        return Exit::no;
    case check::Overall::not_in_effect:
        return Exit::not_in_effect;
    }
    return Exit::no;
}

namespace {

Runner setup(CLI::App& app) {
    auto o = std::make_shared<CheckOptions>();
    app.add_option("DOMAIN", o->domain, "the mail domain whose MX hosts to check");
    app.add_option("--mx", o->mx, "check this MX host directly (skips the MX lookup)");
    add_port_option(app, o->port,
                    "SMTP port to connect to, 1-65535 (default 25); TLSA is always looked up at _25._tcp");
    app.add_option("--timeout", o->timeout,
                   "seconds for each SMTP step (default 30); a probe gets 4 times that, and every DNS lookup "
                   "of a single check ends within that many seconds of its start");
    app.add_option("--max-addresses", o->max_addresses,
                   "addresses a sender tries per domain, in MX order (default " +
                       std::to_string(check::Request{}.max_addresses) +
                       ", Postfix's smtp_mx_address_limit); hosts after them are not checked; 0 checks every host");
    add_resolver_options(app, o->resolver);
    app.add_option("--helo", o->helo, "name to send in EHLO (default: this host's name)");
    app.add_flag("--json", o->json, "print every lookup and SMTP step as one JSON object");
    add_bulk_options(app, o->bulk);
    app.footer("Exit codes: 0 every MX host DANE-validated, 1 DANE senders would defer (no path succeeds),\n"
               "            2 could not check, 3 DANE not in effect, 5 delivered but not on every path\n"
               "            (a host or address fails or is skipped, or DANE covers only part), 64 bad usage.\n"
               "Examples:\n  mxdane check example.net\n  mxdane check --mx mx1.example.net\n"
               "  mxdane check --domains list.txt --json > out.jsonl");

    return [o](Io& io) {
        if (!o->bulk.file.empty() && (!o->domain.empty() || !o->mx.empty())) {
            throw Error(Errc::bad_input, "give either DOMAIN, --mx HOST or --domains FILE (exactly one)");
        }
        if (o->bulk.file.empty() && bulk_only_given(o->bulk)) {
            throw Error(Errc::bad_input, "--jobs, --per-host, --dns-threads, --shard and --resume need --domains FILE");
        }
        if (o->domain.empty() == o->mx.empty() && o->bulk.file.empty()) {
            throw Error(Errc::bad_input, "give either DOMAIN or --mx HOST (exactly one)");
        }
        if (o->timeout == 0 || o->timeout > 3600) {
            throw Error(Errc::bad_input, "--timeout: must be 1 to 3600 seconds");
        }
        if (o->max_addresses > 1000) {
            throw Error(Errc::bad_input, "--max-addresses: must be 0 (no limit) to 1000");
        }
        if (!o->bulk.file.empty()) {
            check::Request base;
            base.max_addresses = o->max_addresses;
            base.port = o->port;
            base.helo_name = o->helo.empty() ? default_helo() : o->helo;
            base.step_timeout = std::chrono::seconds(o->timeout);
            base.total_timeout = base.step_timeout * 4;
            return run_check_bulk(o->bulk, base, to_unbound_options(o->resolver), o->json, io);
        }
        const std::string subject = o->domain.empty() ? o->mx : o->domain;
        const auto name = names::normalize_host(subject);
        if (!name) {
            throw Error(Errc::bad_input, "'" + names::printable(subject) + "': " + name.error());
        }
        // Every lookup ends within --timeout of the start (issue #22): a DNS
        // server that never answers, or a parent zone that never does, costs
        // that long and exits 2 naming the lookups still open, instead of
        // libunbound's retry schedule (seen: 645 s).
        auto resolver_opts = to_unbound_options(o->resolver);
        resolver_opts.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o->timeout);
        const auto resolver = dns::make_unbound_resolver(resolver_opts);

        check::Request req;
        req.domain = *name;
        req.mx_host = !o->mx.empty();
        req.max_addresses = o->max_addresses;
        req.port = o->port;
        req.helo_name = o->helo.empty() ? default_helo() : o->helo;
        req.step_timeout = std::chrono::seconds(o->timeout);
        req.total_timeout = req.step_timeout * 4;
        const check::Report r = [&] {
            const Progress progress(io.err, "checking " + req.domain +
                                                ": DNS lookups and STARTTLS probes are under way (each step may take "
                                                "up to --timeout " +
                                                std::to_string(o->timeout) + " s)...");
            return check::run(req, *resolver, smtp::probe);
        }();

        const Exit code = check_exit(r);
        if (o->json) {
            io.out << report_json(r, code).dump(2) << "\n";
            for (const auto& w : r.warnings) {
                io.err << "warning: " << w << "\n";
            }
        } else {
            print_text(r, io);
        }
        return code;
    };
}

} // namespace

Command check_command() {
    return {"check", "check live, as a DANE sender would, that mail to a domain is authenticated", setup};
}

} // namespace mxdane::cli
