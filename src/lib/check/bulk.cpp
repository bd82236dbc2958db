// Many domains in one run (README "Bulk check"). Each domain goes through
// check::run unchanged, so its verdict is the one a single check gives;
// what is shared is the resolver (one libunbound context and cache) and the
// probes (SharedProber).
#include "mxdane/bulk.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>

#include "mxdane/names.h"

namespace mxdane::check::bulk {

DomainList parse_domain_list(std::string_view text) {
    DomainList out;
    std::set<std::string> seen;
    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t nl = text.find('\n', pos);
        std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        ++line_no;
        const std::string_view raw = line;
        if (const auto hash = line.find('#'); hash != std::string_view::npos) {
            line = line.substr(0, hash);
        }
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string_view::npos) {
            continue;
        }
        line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
        auto name = names::normalize_host(line);
        if (!name) {
            out.bad.push_back({line_no, std::string(raw), name.error()});
            continue;
        }
        if (!seen.insert(*name).second) {
            ++out.duplicates;
            continue;
        }
        out.domains.push_back(std::move(name).value());
    }
    return out;
}

namespace {

Expected<unsigned> parse_count(std::string_view s) {
    if (s.empty() || s.size() > 5 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return Unexpected{"'" + std::string(s) + "' is not a number"};
    }
    unsigned v = 0;
    for (const char c : s) {
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    return v;
}

} // namespace

Expected<Shard> parse_shard(std::string_view text) {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        return Unexpected{"'" + names::printable(text) + "' is not K/N (e.g. 2/5)"};
    }
    const auto k = parse_count(text.substr(0, slash));
    const auto n = parse_count(text.substr(slash + 1));
    if (!k || !n) {
        return Unexpected{"'" + names::printable(text) + "' is not K/N (e.g. 2/5)"};
    }
    if (*n < 1 || *n > 65536 || *k < 1 || *k > *n) {
        return Unexpected{"'" + names::printable(text) + "': K must be 1 to N, and N 1 to 65536"};
    }
    return Shard{*k, *n};
}

std::uint64_t domain_hash(std::string_view domain) {
    std::uint64_t h = 14695981039346656037ULL;
    for (const char c : domain) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
    }
    return h;
}

bool in_shard(std::string_view domain, Shard s) {
    return domain_hash(domain) % s.n == s.k - 1;
}

std::set<std::string> answered_domains(std::string_view jsonl) {
    std::set<std::string> out;
    std::size_t pos = 0;
    while (pos < jsonl.size()) {
        const std::size_t nl = jsonl.find('\n', pos);
        const std::string_view line =
            jsonl.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? jsonl.size() : nl + 1;
        const auto j = nlohmann::json::parse(line, nullptr, false);
        // A line that recorded a local error ({"domain", "error", "exit"})
        // has no verdict: that domain is checked again (issue #25).
        if (j.is_object() && j.contains("domain") && j["domain"].is_string() && !j.contains("error")) {
            out.insert(j["domain"].get<std::string>());
        }
    }
    return out;
}

std::string_view domain_verdict_name(DomainVerdict v) {
    switch (v) {
    case DomainVerdict::validated:
        return "validated";
    case DomainVerdict::degraded:
        return "degraded";
    case DomainVerdict::failed:
        return "failed";
    case DomainVerdict::would_defer:
        return "would-defer";
    case DomainVerdict::no_dane:
        return "no-dane";
    case DomainVerdict::error:
        return "error";
    }
    return "error";
}

DomainVerdict domain_verdict(const Report& r) {
    switch (overall(r)) {
    case Overall::all_validated:
        return DomainVerdict::validated;
    case Overall::degraded:
        return DomainVerdict::degraded;
    case Overall::not_in_effect:
        return DomainVerdict::no_dane;
    case Overall::deferred:
        break;
    }
    bool defer = r.mx_verdict && *r.mx_verdict == Verdict::would_defer;
    for (const auto& h : r.hosts) {
        defer = defer || h.verdict == Verdict::would_defer;
    }
    return defer ? DomainVerdict::would_defer : DomainVerdict::failed;
}

void Counts::add(DomainVerdict v) {
    switch (v) {
    case DomainVerdict::validated:
        ++validated;
        break;
    case DomainVerdict::degraded:
        ++degraded;
        break;
    case DomainVerdict::failed:
        ++failed;
        break;
    case DomainVerdict::would_defer:
        ++would_defer;
        break;
    case DomainVerdict::no_dane:
        ++no_dane;
        break;
    case DomainVerdict::error:
        ++errors;
        break;
    }
}

// --- SharedProber ---------------------------------------------------------

namespace {

/// What the result of a probe depends on, less the extra reference
/// identifiers (the MX host name, the next-hop domain).
std::string name_free_key(const smtp::ProbeRequest& r) {
    std::string k = r.address + "|" + std::to_string(r.port) + "|" + r.base_name + "|" + r.helo_name + "|" +
                    std::to_string(r.step_timeout.count()) + "|" + std::to_string(r.total_timeout.count());
    for (const auto& rec : r.records) {
        k += "|r:" + tlsa::rdata_text(rec);
    }
    return k;
}

/// Everything the result of a probe depends on.
std::string probe_key(const smtp::ProbeRequest& r) {
    std::string k = name_free_key(r);
    for (const auto& n : r.extra_names) {
        k += "|n:" + n;
    }
    return k;
}

/// Whether `r`, the result of a probe of the same address, port, base name
/// and records with other extra names, is also the result of `req`. Only
/// DANE-TA(2) checks names (RFC 7672 §3.2.2), and only after the chain
/// verified: a validated result whose matched name (none for DANE-EE, the
/// base name, or one of `req`'s names) `req` accepts too, and every result
/// that failed before the name check (no STARTTLS, no TLS, no answer) are
/// the same for `req`. A no-match may be a name mismatch: asked again. The
/// DANE-TA hosts of a bulk run, whose next-hop domain is one of the extra
/// names, then cost one probe per address, not one per domain.
bool same_for(const smtp::ProbeResult& r, const smtp::ProbeRequest& req) {
    if (r.outcome == smtp::Outcome::no_match) {
        return false;
    }
    if (r.outcome != smtp::Outcome::validated || r.matched_name.empty() || r.matched_name == req.base_name) {
        return true;
    }
    return std::find(req.extra_names.begin(), req.extra_names.end(), r.matched_name) != req.extra_names.end();
}

/// The address did not answer, or stalled at some step (a tarpit sends its
/// banner and then nothing): every other request to it would cost the same
/// timeout, whatever name or records it asks about, so the run asks it
/// once (README "Bulk check").
bool stalled(const smtp::ProbeResult& r) {
    return r.outcome == smtp::Outcome::connect_failed || r.outcome == smtp::Outcome::timeout;
}

} // namespace

struct SharedProber::State {
    /// One address (and port): connections open, and what its first
    /// contact showed.
    struct Host {
        unsigned in_flight = 0;
        bool contacted = false;
        std::optional<smtp::ProbeResult> stalled; ///< its first stall, given to every later request
    };

    Prober inner;
    unsigned per_host = 2;
    std::mutex mutex;
    std::condition_variable cv;
    std::unordered_map<std::string, std::shared_future<smtp::ProbeResult>> results;
    /// The first probe per name_free_key: asked again (same_for) before a
    /// request that differs only in its extra names connects.
    std::unordered_map<std::string, std::shared_future<smtp::ProbeResult>> first_by_name_free;
    std::unordered_map<std::string, Host> hosts;
    std::size_t connections = 0;

    smtp::ProbeResult probe_politely(const smtp::ProbeRequest& req) {
        const std::string addr = req.address + "|" + std::to_string(req.port);
        std::unique_lock lock(mutex);
        Host& h = hosts[addr];
        // Until the first connection to an address has ended, nobody else
        // connects: a silent address then costs one timeout, not one per
        // request (README "Bulk check").
        cv.wait(lock, [&] { return h.stalled || (h.in_flight < per_host && (h.contacted || h.in_flight == 0)); });
        if (h.stalled) {
            return *h.stalled;
        }
        ++h.in_flight;
        ++connections;
        lock.unlock();
        smtp::ProbeResult res;
        try {
            res = inner(req);
        } catch (...) {
            lock.lock();
            --h.in_flight;
            h.contacted = true;
            cv.notify_all();
            throw;
        }
        lock.lock();
        --h.in_flight;
        h.contacted = true;
        if (stalled(res)) {
            h.stalled = res;
        }
        cv.notify_all();
        return res;
    }
};

SharedProber::SharedProber(Prober inner, unsigned per_host) : m_state(std::make_unique<State>()) {
    m_state->inner = std::move(inner);
    m_state->per_host = std::max(per_host, 1U);
}

SharedProber::~SharedProber() = default;

std::size_t SharedProber::connections() const {
    const std::lock_guard lock(m_state->mutex);
    return m_state->connections;
}

smtp::ProbeResult SharedProber::operator()(const smtp::ProbeRequest& req) {
    const std::string key = probe_key(req);
    const std::string name_free = name_free_key(req);
    std::promise<smtp::ProbeResult> mine;
    std::optional<std::shared_future<smtp::ProbeResult>> earlier;
    std::optional<std::shared_future<smtp::ProbeResult>> other_names;
    {
        const std::lock_guard lock(m_state->mutex);
        if (const auto it = m_state->results.find(key); it != m_state->results.end()) {
            earlier = it->second;
        } else if (const auto nf = m_state->first_by_name_free.find(name_free);
                   nf != m_state->first_by_name_free.end()) {
            other_names = nf->second;
        } else {
            auto f = mine.get_future().share();
            m_state->results.emplace(key, f);
            m_state->first_by_name_free.emplace(name_free, f);
        }
    }
    if (earlier) {
        return earlier->get(); // made, or being made, for another domain
    }
    if (other_names) {
        smtp::ProbeResult r = other_names->get();
        if (same_for(r, req)) {
            return r;
        }
        // Its own probe, shared by the askers with these very names.
        const std::lock_guard lock(m_state->mutex);
        if (const auto it = m_state->results.find(key); it != m_state->results.end()) {
            earlier = it->second;
        } else {
            m_state->results.emplace(key, mine.get_future().share());
        }
    }
    if (earlier) {
        return earlier->get();
    }
    try {
        smtp::ProbeResult res = m_state->probe_politely(req);
        mine.set_value(res);
        return res;
    } catch (...) {
        mine.set_exception(std::current_exception());
        throw;
    }
}

// --- findings -------------------------------------------------------------

namespace {
/// Served SPKIs kept per TLSA owner: enough for current + next key at a few
/// addresses, bounded for a run of a million domains.
constexpr std::size_t max_served_per_owner = 4;
} // namespace

std::string_view finding_kind_name(Finding::Kind k) {
    switch (k) {
    case Finding::Kind::no_rollover_scheme:
        return "no-rollover-scheme";
    case Finding::Kind::rollover_scheme_unclear:
        return "rollover-scheme-unclear";
    case Finding::Kind::cert_only:
        return "3-0-x-only";
    case Finding::Kind::ttl_above_day:
        return "ttl-above-day";
    case Finding::Kind::address_fails_all:
        return "address-fails-all";
    }
    return "?";
}

void FindingCollector::add(const Report& r) {
    for (const auto& h : r.hosts) {
        Owner* owner = nullptr;
        if (!h.tlsa.empty()) {
            owner = &m_owners[h.tlsa_owner];
            owner->records = h.tlsa;
            owner->ttl = h.tlsa_ttl;
            owner->domains.insert(r.domain);
        }
        for (const auto& a : h.addresses) {
            if (!a.probe) {
                continue;
            }
            if (owner != nullptr && a.probe->served_spki && owner->served.size() < max_served_per_owner) {
                owner->served.insert(*a.probe->served_spki);
            }
            Addr& ad = m_addresses[a.address.text];
            ad.domains.insert(r.domain);
            if (a.verdict == Verdict::dane_validated) {
                ad.any_ok = true;
            } else if (ad.reason.empty()) {
                ad.reason = a.reason;
            }
        }
    }
}

std::vector<Finding> FindingCollector::findings() const {
    std::vector<Finding> out;
    for (const auto& [owner, o] : m_owners) {
        std::size_t spki_ee = 0;
        std::size_t ta = 0;
        std::size_t cert_ee = 0;
        std::size_t usable = 0;
        for (const auto& rec : o.records) {
            if (!tlsa::unusable_reason(rec).empty()) {
                continue;
            }
            ++usable;
            spki_ee += rec.usage == 3 && rec.selector == 1 ? 1 : 0;
            cert_ee += rec.usage == 3 && rec.selector == 0 ? 1 : 0;
            ta += rec.usage == 2 ? 1 : 0;
        }
        if (usable > 0 && cert_ee == usable) {
            out.push_back({Finding::Kind::cert_only, owner, o.domains.size(),
                           "only 3 0 x records: they pin the certificate and break at every reissue"});
        } else if (spki_ee > 0 && ta == 0) {
            // RFC 7671 §8.1: a rollover publishes the next key's 3 1 1 next
            // to the current one (or relies on a 2 1 1 that stays). Keys,
            // not records: a 3 1 1 and a 3 1 2 of one key are one key.
            const auto keys = tlsa::pinned_spki_keys(o.records, {o.served.begin(), o.served.end()});
            if (keys.at_most == 1) {
                out.push_back({Finding::Kind::no_rollover_scheme, owner, o.domains.size(),
                               (spki_ee == 1 ? std::string("a single 3 1 x record")
                                             : std::to_string(spki_ee) + " 3 1 x records of one key") +
                                   " and no 2 x x: the next key cannot be pre-published (RFC 7671 §8.1); publish "
                                   "current + next 3 1 1"});
            } else if (keys.at_least == 1) {
                out.push_back({Finding::Kind::rollover_scheme_unclear, owner, o.domains.size(),
                               "3 1 x records of different matching types that neither a served key nor a 3 1 0 "
                               "record links: if they pin one key, the next key cannot be pre-published (RFC 7671 "
                               "§8.1)"});
            }
        }
        if (o.ttl > 86400) {
            out.push_back({Finding::Kind::ttl_above_day, owner, o.domains.size(),
                           "TLSA TTL " + std::to_string(o.ttl) + " s is above a day: a rollover must wait that long"});
        }
    }
    for (const auto& [addr, a] : m_addresses) {
        if (!a.any_ok && a.domains.size() >= 2) {
            out.push_back({Finding::Kind::address_fails_all, addr, a.domains.size(),
                           "fails for every domain that uses it: " + a.reason});
        }
    }
    return out;
}

// --- the run ----------------------------------------------------------------

void run(const std::vector<std::string>& domains, const Options& opts, dns::Resolver& resolver, const Prober& prober,
         const std::function<void(DomainResult&&)>& done) {
    std::atomic<std::size_t> next{0};
    std::atomic<bool> stop{false};
    std::mutex done_mutex;
    std::exception_ptr failure;
    const auto worker = [&] {
        for (std::size_t i = next++; i < domains.size() && !stop; i = next++) {
            DomainResult res;
            res.domain = domains[i];
            Request req = opts.request;
            req.domain = domains[i];
            req.mx_host = false;
            try {
                res.report = check::run(req, resolver, prober);
                res.verdict = domain_verdict(*res.report);
            } catch (const std::exception& e) {
                res.error = e.what();
                res.verdict = DomainVerdict::error;
            }
            const std::lock_guard lock(done_mutex);
            if (stop) {
                return;
            }
            try {
                done(std::move(res));
            } catch (...) {
                failure = std::current_exception();
                stop = true;
            }
        }
    };
    const std::size_t n = std::min<std::size_t>(std::max(opts.jobs, 1U), domains.size());
    std::vector<std::thread> threads;
    threads.reserve(n);
    for (std::size_t t = 0; t < n; ++t) {
        threads.emplace_back(worker);
    }
    for (auto& t : threads) {
        t.join();
    }
    if (failure) {
        std::rethrow_exception(failure);
    }
}

} // namespace mxdane::check::bulk
