// mxdane check --domains FILE: many domains in one run (README "Bulk
// check"). Reads the list, applies --shard and --resume, hands the rest to
// check::bulk::run and prints one line per domain as each finishes.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "check_cli.h"
#include "mxdane/bulk.h"
#include "mxdane/error.h"
#include "mxdane/names.h"
#include "mxdane/sys.h"

namespace mxdane::cli {
namespace {

/// Walks at a time when --jobs is not given: README "Bulk check" has the
/// measurement (the best of 8, 32 and 64 on the lab's 1,000 domains).
constexpr unsigned default_jobs = 8;
constexpr unsigned default_per_host = 2;

/// The largest domain list or --resume file read (README "Input limits").
constexpr std::size_t max_list = 256 * sys::mib;

std::string read_list(const std::string& file) {
    return sys::read_file(file, {"domain list", max_list, true});
}

/// The previous output of --resume; a file that does not exist yet means
/// nothing was done, so one command line serves the first run and restarts.
std::string read_previous(const std::string& file) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec) && !ec) {
        return {};
    }
    return sys::read_file(file, {"--resume file", max_list});
}

int severity(Exit e) {
    switch (e) {
    case Exit::ok:
        return 0;
    case Exit::not_in_effect:
        return 1;
    case Exit::degraded:
        return 2;
    case Exit::no:
        return 3;
    default:
        return 4;
    }
}

/// The first place the domain's verdict comes from, for its text line.
std::string domain_reason(const check::Report& r, check::bulk::DomainVerdict v) {
    if (v == check::bulk::DomainVerdict::degraded) {
        const auto weak = check::weak_paths(r);
        return weak.empty() ? std::string() : weak.front();
    }
    if (r.mx_verdict &&
        (v != check::bulk::DomainVerdict::no_dane || r.hosts.empty() || *r.mx_verdict == check::Verdict::no_dane)) {
        return r.mx_reason;
    }
    const auto wanted = [&](check::Verdict hv) {
        switch (v) {
        case check::bulk::DomainVerdict::failed:
            return hv == check::Verdict::failed;
        case check::bulk::DomainVerdict::would_defer:
            return hv == check::Verdict::would_defer;
        case check::bulk::DomainVerdict::no_dane:
            return hv == check::Verdict::no_dane;
        default:
            return false;
        }
    };
    for (const auto& h : r.hosts) {
        for (const auto& a : h.addresses) {
            if (wanted(a.verdict)) {
                return h.host + "[" + a.address.text + "]: " + a.reason;
            }
        }
        if (wanted(h.verdict)) {
            return h.host + ": " + h.reason;
        }
    }
    return {};
}

std::string text_line(const check::bulk::DomainResult& d) {
    std::string line = d.domain + " " + std::string(check::bulk::domain_verdict_name(d.verdict));
    if (!d.report) {
        return line + ": " + d.error;
    }
    if (d.verdict == check::bulk::DomainVerdict::validated) {
        return line + " (" + std::to_string(d.report->hosts.size()) + " of " + std::to_string(d.report->hosts.size()) +
               " MX hosts)";
    }
    return line + ": " + domain_reason(*d.report, d.verdict);
}

nlohmann::json summary_json(const check::bulk::Counts& c, std::size_t connections) {
    return {{"domains", c.total()}, {"validated", c.validated},     {"degraded", c.degraded},
            {"failed", c.failed},   {"would_defer", c.would_defer}, {"no_dane", c.no_dane},
            {"errors", c.errors},   {"connections", connections}};
}

/// How much of a bad line is echoed (twice: stderr and the JSON summary).
constexpr std::size_t max_echo = 200;

/// Whether standard output is the file `path` (same device and inode).
bool stdout_is(const std::string& path) {
    struct stat out {};
    struct stat file {};
    return ::fstat(STDOUT_FILENO, &out) == 0 && ::stat(path.c_str(), &file) == 0 && out.st_dev == file.st_dev &&
           out.st_ino == file.st_ino;
}

} // namespace

void add_bulk_options(CLI::App& app, BulkCli& b) {
    app.add_option("--domains", b.file, "FILE: check every domain in it, one per line ('-' for stdin)");
    app.add_option("--jobs", b.jobs, "with --domains: domains checked at a time (default 8)");
    app.add_option("--per-host", b.per_host, "with --domains: connections at a time to one address (default 2)");
    app.add_option("--dns-threads", b.dns_threads,
                   "with --domains: DNSSEC-validating resolver threads (default: one per CPU core, at most 4)");
    app.add_option("--shard", b.shard, "K/N: with --domains, check only the K-th of N parts (by a hash of the name)");
    app.add_option("--resume", b.resume, "OUT.jsonl: with --domains, skip the domains already in this output");
}

bool bulk_only_given(const BulkCli& b) {
    return b.jobs || b.per_host || b.dns_threads || !b.shard.empty() || !b.resume.empty();
}

Exit run_check_bulk(const BulkCli& b, const check::Request& base, dns::UnboundOptions resolver_opts, bool json,
                    Io& io) {
    if (b.jobs && (*b.jobs < 1 || *b.jobs > 1024)) {
        throw Error(Errc::bad_input, "--jobs: must be 1 to 1024");
    }
    if (b.per_host && (*b.per_host < 1 || *b.per_host > 64)) {
        throw Error(Errc::bad_input, "--per-host: must be 1 to 64");
    }
    if (b.dns_threads && (*b.dns_threads < 1 || *b.dns_threads > 16)) {
        throw Error(Errc::bad_input, "--dns-threads: must be 1 to 16");
    }
    const unsigned jobs = b.jobs ? static_cast<unsigned>(*b.jobs) : default_jobs;
    const unsigned per_host = b.per_host ? static_cast<unsigned>(*b.per_host) : default_per_host;
    check::bulk::Shard shard;
    if (!b.shard.empty()) {
        const auto s = check::bulk::parse_shard(b.shard);
        if (!s) {
            throw Error(Errc::bad_input, "--shard: " + s.error());
        }
        shard = *s;
    }
    const auto list = check::bulk::parse_domain_list(read_list(b.file));
    const std::string previous = b.resume.empty() ? std::string() : read_previous(b.resume);
    const std::set<std::string> done = check::bulk::answered_domains(previous);
    // `--resume out.jsonl >> out.jsonl` after a run cut mid-line: the next
    // line starts on a line of its own (issue #25).
    if (!previous.empty() && previous.back() != '\n' && stdout_is(b.resume)) {
        io.out << "\n";
    }
    const std::string where = b.file == "-" ? "stdin" : b.file;
    for (const auto& bad : list.bad) {
        io.err << "error: " << where << ":" << bad.line << ": '" << names::printable(bad.text, max_echo)
               << "': " << bad.reason << "\n";
    }
    std::vector<std::string> todo;
    std::size_t skipped = 0;
    for (const auto& d : list.domains) {
        if (!check::bulk::in_shard(d, shard)) {
            continue;
        }
        if (done.contains(d)) {
            ++skipped;
            continue;
        }
        todo.push_back(d);
    }

    resolver_opts.concurrent = true;
    resolver_opts.contexts = b.dns_threads ? static_cast<unsigned>(*b.dns_threads) : 0;
    const auto resolver = dns::make_unbound_resolver(resolver_opts);
    check::bulk::SharedProber shared(smtp::probe, per_host);
    const check::Prober prober = [&shared](const smtp::ProbeRequest& r) { return shared(r); };
    check::bulk::Options opts;
    opts.request = base;
    opts.jobs = jobs;
    opts.per_host = per_host;

    check::bulk::Counts counts;
    check::bulk::FindingCollector findings;
    Exit worst = Exit::ok;
    check::bulk::run(todo, opts, *resolver, prober, [&](check::bulk::DomainResult&& d) {
        counts.add(d.verdict);
        const Exit code = d.report ? check_exit(*d.report) : Exit::failed;
        if (severity(code) > severity(worst)) {
            worst = code;
        }
        if (d.report) {
            findings.add(*d.report);
        }
        if (json) {
            const nlohmann::json j = d.report ? report_json(*d.report, code)
                                              : nlohmann::json{{"domain", d.domain},
                                                               {"error", d.error},
                                                               {"exit", static_cast<int>(Exit::failed)}};
            io.out << j.dump() << "\n";
        } else {
            io.out << text_line(d) << "\n";
            // As a single check prints them, on stderr, so that stdout
            // keeps one line per domain; the domain says whose they are.
            if (d.report) {
                for (const auto& w : d.report->warnings) {
                    io.err << "warning: " << d.domain << ": " << w << "\n";
                }
            }
        }
        // A killed run leaves whole lines behind for --resume; a line that
        // cannot be written stops the run at once (issue #25).
        if (auto failed = output_failure(io.out)) {
            throw Error(Errc::io, *failed);
        }
    });

    const auto found = findings.findings();
    const Exit code = list.bad.empty() ? worst : Exit::usage;
    io.err << "summary: " << counts.total() << " domains: " << counts.validated << " validated, " << counts.degraded
           << " degraded, " << counts.failed << " failed, " << counts.would_defer << " would defer, " << counts.no_dane
           << " no DANE, " << counts.errors << " errors";
    io.err << " (" << list.bad.size() << " bad lines, " << list.duplicates << " duplicates, " << skipped
           << " already done, " << shared.connections() << " SMTP connections)\n";
    for (const auto& f : found) {
        io.err << "finding: " << check::bulk::finding_kind_name(f.kind) << " " << f.subject << " (" << f.domains
               << (f.domains == 1 ? " domain" : " domains") << "): " << f.detail << "\n";
    }
    if (json) {
        nlohmann::json s;
        s["command"] = "check";
        s["summary"] = summary_json(counts, shared.connections());
        s["summary"]["bad_lines"] = nlohmann::json::array();
        for (const auto& bad : list.bad) {
            s["summary"]["bad_lines"].push_back(
                {{"line", bad.line}, {"text", names::printable(bad.text, max_echo)}, {"error", bad.reason}});
        }
        s["summary"]["duplicates"] = list.duplicates;
        s["summary"]["already_done"] = skipped;
        s["findings"] = nlohmann::json::array();
        for (const auto& f : found) {
            s["findings"].push_back({{"kind", std::string(check::bulk::finding_kind_name(f.kind))},
                                     {"subject", f.subject},
                                     {"domains", f.domains},
                                     {"detail", f.detail}});
        }
        s["exit"] = static_cast<int>(code);
        io.out << s.dump() << "\n";
    }
    return code;
}

} // namespace mxdane::cli
