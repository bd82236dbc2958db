// The libunbound resolver: unbound validates DNSSEC itself, so "secure" here
// means this process checked the signatures (RFC 7672 §2.1), not that some
// upstream set the AD bit.
#include <poll.h>
#include <unbound.h>

// ldns/common.h defines bool, true and false as macros unless stdbool.h was
// seen first; in C++ those macros break every later standard header.
#include <stdbool.h> // NOLINT(modernize-deprecated-headers): must precede the ldns headers
// Not <ldns/ldns.h>: its dnssec.h uses RSA types OPENSSL_NO_DEPRECATED removes.
#include <ldns/packet.h>
#include <ldns/rdata.h>
#include <ldns/rr.h>
#include <ldns/wire2host.h>

#include <cctype>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "mxdane/dns.h"
#include "mxdane/error.h"
#include "mxdane/sys.h"

namespace mxdane::dns {
namespace {

struct CtxDeleter {
    void operator()(ub_ctx* c) const noexcept { ub_ctx_delete(c); }
};
struct ResultDeleter {
    void operator()(ub_result* r) const noexcept { ub_resolve_free(r); }
};
using CtxPtr = std::unique_ptr<ub_ctx, CtxDeleter>;
using ResultPtr = std::unique_ptr<ub_result, ResultDeleter>;

void ub_check(int rc, const std::string& what) {
    if (rc != 0) {
        throw Error(Errc::io, "resolver: " + what + ": " + ub_strerror(rc));
    }
}

std::string read_text(const std::string& path) {
    return sys::read_file(path, {"trust anchor file", sys::mib});
}

bool is_loopback(const std::string& addr) {
    return addr.rfind("127.", 0) == 0 || addr == "::1";
}

std::string with_port(const ServerAddr& s) {
    return sys::endpoint_text(s);
}

std::string strip_dot(const char* name) {
    std::string s = name == nullptr ? std::string() : std::string(name);
    while (s.size() > 1 && s.back() == '.') {
        s.pop_back();
    }
    for (auto& c : s) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return s;
}

struct Pending {
    bool done = false;
    int err = 0;
    ResultPtr result;
};

void on_result(void* data, int err, ub_result* result) {
    auto* p = static_cast<Pending*>(data);
    p->done = true;
    p->err = err;
    p->result.reset(result);
}

/// The answers one asker waits for while the dispatcher thread runs the
/// callbacks (UnboundOptions::concurrent).
struct Batch {
    std::mutex mutex;
    std::condition_variable cv;
    std::size_t left = 0;
    std::vector<Pending> pending;
};

struct BatchSlot {
    std::shared_ptr<Batch> batch; ///< outlives an asker that gave up
    std::size_t index;
};

void on_batch_result(void* data, int err, ub_result* result) {
    std::unique_ptr<BatchSlot> slot(static_cast<BatchSlot*>(data));
    Batch& b = *slot->batch;
    const std::lock_guard lock(b.mutex);
    Pending& p = b.pending[slot->index];
    p.done = true;
    p.err = err;
    p.result.reset(result);
    if (--b.left == 0) {
        b.cv.notify_all();
    }
}

struct PktFree {
    void operator()(ldns_pkt* p) const noexcept { ldns_pkt_free(p); }
};

/// The RRSIGs over `type` in the answer section of unbound's reply packet
/// (it encodes the reply with its DNSSEC records): the earliest Signature
/// Expiration (serial arithmetic, RFC 4034 §3.1.5) and the largest Original
/// TTL. A packet ldns cannot read leaves both unset: the answer itself was
/// already validated by unbound, and this is a reading of its dates only.
void read_signatures(Answer& a, RrType type, const ub_result* res) {
    if (res->answer_packet == nullptr || res->answer_len <= 0) {
        return;
    }
    ldns_pkt* raw = nullptr;
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): unbound's void* packet is octets
    if (ldns_wire2pkt(&raw, static_cast<const std::uint8_t*>(res->answer_packet),
                      static_cast<std::size_t>(res->answer_len)) != LDNS_STATUS_OK) {
        return;
    }
    const std::unique_ptr<ldns_pkt, PktFree> pkt(raw);
    const ldns_rr_list* answer = ldns_pkt_answer(pkt.get());
    for (std::size_t i = 0; answer != nullptr && i < ldns_rr_list_rr_count(answer); ++i) {
        const ldns_rr* rr = ldns_rr_list_rr(answer, i);
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG || ldns_rr_rd_count(rr) < 9) {
            continue;
        }
        // RFC 4034 §3.1: Type Covered, Algorithm, Labels, Original TTL,
        // Signature Expiration, ... (ldns/rr_functions.h's accessors need
        // ldns/keys.h, which the OpenSSL 3 headers here cannot compile).
        const ldns_rdf* covered = ldns_rr_rdf(rr, 0);
        const ldns_rdf* original_ttl = ldns_rr_rdf(rr, 3);
        const ldns_rdf* expiration = ldns_rr_rdf(rr, 4);
        if (covered == nullptr || expiration == nullptr || original_ttl == nullptr ||
            static_cast<std::uint16_t>(ldns_rdf2rr_type(covered)) != static_cast<std::uint16_t>(type)) {
            continue;
        }
        const std::uint32_t exp = ldns_rdf2native_int32(expiration);
        // RFC 1982: exp is earlier when the difference, read signed, is negative.
        if (!a.rrsig_expiration || static_cast<std::int32_t>(exp - *a.rrsig_expiration) < 0) {
            a.rrsig_expiration = exp;
        }
        a.rrsig_original_ttl = std::max(a.rrsig_original_ttl, ldns_rdf2native_int32(original_ttl));
    }
}

/// The Answer for one ub_result; rc is ub_resolve's return code.
Answer to_answer(const std::string& name, RrType type, int rc, const ub_result* res) {
    Answer a;
    a.qname = strip_dot(name.c_str());
    a.qtype = type;
    // A resolve error is local (configuration, memory, sockets): the
    // network's failures come back as an RCODE instead.
    ub_check(rc, "looking up " + name + " " + std::string(type_name(type)));
    if (res == nullptr) {
        throw Error(Errc::io, "resolver: no result for " + name);
    }
    a.rcode = res->rcode;
    a.nxdomain = res->nxdomain != 0;
    // A bogus answer still has rcode 0 and data: the state comes from
    // these two flags, never from the RCODE.
    if (res->bogus != 0) {
        a.security = Security::bogus;
        a.why_bogus = res->why_bogus != nullptr ? res->why_bogus : "validation failed";
    } else if (res->secure != 0) {
        a.security = Security::secure;
    } else {
        a.security = Security::insecure;
    }
    const std::string canon = strip_dot(res->canonname);
    if (!canon.empty() && canon != a.qname) {
        a.canonical = canon;
    }
    a.ttl = res->ttl > 0 ? static_cast<std::uint32_t>(res->ttl) : 0;
    if (res->havedata != 0 && res->data != nullptr && res->len != nullptr) {
        for (int i = 0; res->data[i] != nullptr; ++i) {
            const auto len = res->len[i] < 0 ? 0U : static_cast<std::size_t>(res->len[i]);
            // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): unbound's char* rdata is octets
            auto rd = parse_rdata(type, reinterpret_cast<const std::uint8_t*>(res->data[i]), len);
            if (rd) {
                a.records.push_back(*rd);
            } else {
                a.malformed.push_back(rd.error());
            }
        }
    }
    read_signatures(a, type, res);
    return a;
}

} // namespace

std::chrono::system_clock::time_point rrsig_time(std::uint32_t field, std::chrono::system_clock::time_point near) {
    const auto near_s = std::chrono::duration_cast<std::chrono::seconds>(near.time_since_epoch()).count();
    // The signed distance from near's own 32-bit value to the field.
    const auto delta = static_cast<std::int32_t>(field - static_cast<std::uint32_t>(near_s));
    return std::chrono::system_clock::time_point(std::chrono::seconds(near_s + delta));
}

namespace {

class UnboundResolver final : public Resolver {
  public:
    explicit UnboundResolver(const UnboundOptions& opts) : m_ctx(ub_ctx_create()), m_opts(opts) {
        if (!m_ctx) {
            throw Error(Errc::io, "resolver: ub_ctx_create failed");
        }
        ub_ctx* ctx = m_ctx.get();
        // Background queries (resolve_all) in a thread of this process,
        // not in a forked one.
        ub_check(ub_ctx_async(ctx, 1), "ub_ctx_async");
        // Zones unbound would answer itself from its built-in local data
        // (test., invalid., ...) must be made transparent when the user
        // points a trust anchor or a stub at them. In libunbound 1.17
        // "local-zone: <z> nodefault" is accepted but does not take effect;
        // "transparent" does (measured; issue #4).
        std::set<std::string> transparent;
        bool loopback = false;
        const std::vector<std::string> ta_files = opts.trust_anchor_files.empty()
                                                      ? std::vector<std::string>{opts.default_trust_anchor}
                                                      : opts.trust_anchor_files;
        for (const auto& f : ta_files) {
            for (const auto& zone : dns::trust_anchor_zones(read_text(f))) {
                m_anchor_zones.push_back(zone);
                if (auto local = builtin_local_zone(zone); !local.empty()) {
                    transparent.insert(local);
                }
            }
        }
        for (const auto& [zone, server] : opts.stubs) {
            if (auto local = builtin_local_zone(zone); !local.empty()) {
                transparent.insert(local);
            }
            loopback = loopback || is_loopback(server.host);
        }
        for (const auto& f : opts.forwarders) {
            loopback = loopback || is_loopback(f.host);
        }
        // RFC 8145 trust anchor signaling (a "_ta-XXXX." query per anchor)
        // tells the zone operator nothing a check needs; it is one more
        // query per run.
        ub_check(ub_ctx_set_option(ctx, "trust-anchor-signaling:", "no"), "trust-anchor-signaling");
        // Unbound caps TTLs at cache-max-ttl (default one day); the TLSA TTL
        // warning needs the published value. The cache lives as long as
        // this process, so nothing is kept too long.
        ub_check(ub_ctx_set_option(ctx, "cache-max-ttl:", "604800"), "cache-max-ttl");
        // Unbound refuses to send queries to 127.0.0.0/8 and ::1 by default.
        if (loopback) {
            ub_check(ub_ctx_set_option(ctx, "do-not-query-localhost:", "no"), "do-not-query-localhost");
        }
        for (const auto& z : transparent) {
            ub_check(ub_ctx_set_option(ctx, "local-zone:", (z + " transparent").c_str()),
                     "local-zone " + z + " transparent");
        }
        for (const auto& [name, value] : opts.options) {
            ub_check(ub_ctx_set_option(ctx, (name + ":").c_str(), value.c_str()),
                     std::string(setting_words(Setting::resolver_option)) + " " + name + ":" + value);
        }
        for (const auto& f : ta_files) {
            ub_check(ub_ctx_add_ta_file(ctx, f.c_str()), "trust anchor file " + f);
        }
        for (const auto& f : opts.forwarders) {
            ub_check(ub_ctx_set_fwd(ctx, with_port(f).c_str()), "forwarder " + with_port(f));
        }
        for (const auto& [zone, server] : opts.stubs) {
            ub_check(ub_ctx_set_stub(ctx, zone.c_str(), with_port(server).c_str(), 0),
                     "stub " + zone + "=" + with_port(server));
        }
        if (opts.concurrent) {
            // ub_fd becomes valid once the background worker runs, which
            // the first ub_resolve_async starts; the dispatcher polls with
            // a short timeout so that it also sees m_stop.
            m_dispatcher = std::thread([this] { dispatch(); });
        }
    }

    UnboundResolver(const UnboundResolver&) = delete;
    UnboundResolver& operator=(const UnboundResolver&) = delete;
    UnboundResolver(UnboundResolver&&) = delete;
    UnboundResolver& operator=(UnboundResolver&&) = delete;

    ~UnboundResolver() override {
        if (m_dispatcher.joinable()) {
            m_stop = true;
            m_dispatcher.join();
        }
    }

    Answer resolve(std::string_view name, RrType type) override {
        return resolve_all({{std::string(name), type}}).front();
    }

    [[nodiscard]] std::vector<std::string> trust_anchor_zones() const override { return m_anchor_zones; }

    std::vector<Answer> resolve_all(const std::vector<std::pair<std::string, RrType>>& questions) override {
        // Past the deadline nothing more is sent, not even the probe.
        if (m_opts.deadline && time_left().count() <= 0) {
            throw_timed_out(questions, std::vector<Pending>(questions.size()));
        }
        // Configured servers are asked once before the first lookup: a dead
        // forwarder or stub would otherwise cost unbound's whole retry
        // schedule and come back as SERVFAIL, a verdict on the domain.
        if (!m_reached && !questions.empty()) {
            const auto servers = servers_for(questions.front().first);
            if (!servers.empty()) {
                require_reachable(servers);
            }
        }
        auto out = m_dispatcher.joinable() ? resolve_concurrently(questions) : resolve_unchecked(questions);
        // Recursion from the root: only a failure makes it worth asking.
        for (std::size_t i = 0; i < out.size() && !m_reached; ++i) {
            if (out[i].rcode == 2 && out[i].security != Security::bogus) {
                auto servers = servers_for(questions[i].first);
                require_reachable(servers.empty() ? root_servers() : servers);
            }
        }
        return out;
    }

  private:
    /// The servers unbound sends `name`'s queries to: the stub of the
    /// closest enclosing zone, else the forwarders; empty for recursion.
    [[nodiscard]] std::vector<ServerAddr> servers_for(const std::string& name) const {
        const std::string n = lower_dot(name);
        std::size_t best = 0;
        std::vector<ServerAddr> out;
        for (const auto& [zone, server] : m_opts.stubs) {
            const std::string z = lower_dot(zone);
            const bool inside = z == "." || n == z ||
                                (n.size() > z.size() && n.compare(n.size() - z.size(), z.size(), z) == 0 &&
                                 n[n.size() - z.size() - 1] == '.');
            if (inside && z.size() >= best) {
                if (z.size() > best) {
                    out.clear();
                }
                best = z.size();
                out.push_back(server);
            }
        }
        return out.empty() ? m_opts.forwarders : out;
    }

    static std::string lower_dot(std::string s) {
        for (auto& c : s) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        if (s.empty() || s.back() != '.') {
            s += '.';
        }
        return s;
    }

    /// A few root servers (IANA root hints), for recursion without network.
    static std::vector<ServerAddr> root_servers() {
        return {{"198.41.0.4", 53}, {"199.9.14.201", 53}, {"192.33.4.12", 53}, {"2001:503:ba3e::2:30", 53}};
    }

    void require_reachable(const std::vector<ServerAddr>& servers) {
        auto timeout = std::chrono::milliseconds(2000);
        if (m_opts.deadline) {
            timeout = std::min(timeout, time_left());
        }
        if (timeout.count() > 0 && any_server_answers(servers, timeout)) {
            m_reached = true;
            return;
        }
        std::string list;
        for (const auto& s : servers) {
            list += (list.empty() ? "" : ", ") + sys::endpoint_text(s);
        }
        throw Error(Errc::io, "cannot reach DNS (no answer from " + list + ")");
    }

  public:
    std::vector<Answer> resolve_unchecked(const std::vector<std::pair<std::string, RrType>>& questions) {
        // Every question goes through the one background worker (a thread,
        // ub_ctx_async in the constructor): ub_resolve would set up a new
        // foreground worker (event base, sockets) per call, which costs
        // more than the lookup itself on a warm cache. Independent
        // questions go out together; ub_wait returns when every callback
        // has run.
        std::vector<Pending> pending(questions.size());
        std::vector<int> ids(questions.size(), 0);
        for (std::size_t i = 0; i < questions.size(); ++i) {
            const int rc = ub_resolve_async(m_ctx.get(), questions[i].first.c_str(),
                                            static_cast<int>(questions[i].second), 1, &pending[i], on_result, &ids[i]);
            if (rc != 0) {
                pending[i].err = rc;
                pending[i].done = true;
            }
        }
        if (m_opts.deadline) {
            wait_until_deadline(pending, ids, questions);
        } else {
            ub_check(ub_wait(m_ctx.get()), "waiting for answers");
        }
        std::vector<Answer> out;
        out.reserve(questions.size());
        for (std::size_t i = 0; i < questions.size(); ++i) {
            if (!pending[i].done) {
                throw Error(Errc::io, "resolver: no answer for " + questions[i].first);
            }
            out.push_back(to_answer(questions[i].first, questions[i].second, pending[i].err, pending[i].result.get()));
        }
        return out;
    }

  private:
    [[nodiscard]] std::chrono::milliseconds time_left() const {
        return std::chrono::duration_cast<std::chrono::milliseconds>(*m_opts.deadline -
                                                                     std::chrono::steady_clock::now());
    }

    [[noreturn]] static void throw_timed_out(const std::vector<std::pair<std::string, RrType>>& questions,
                                             const std::vector<Pending>& pending) {
        std::string names;
        for (std::size_t i = 0; i < pending.size(); ++i) {
            if (!pending[i].done) {
                names += (names.empty() ? "" : ", ") + questions[i].first + " " +
                         std::string(type_name(questions[i].second));
            }
        }
        throw Error(Errc::io, "DNS lookup timed out (no answer in time for " + names + ")");
    }

    /// ub_wait with a deadline: the answers are read from ub_fd as they
    /// come; what is still open at the deadline is cancelled (its callback
    /// never runs, so `pending` may go away).
    void wait_until_deadline(std::vector<Pending>& pending, const std::vector<int>& ids,
                             const std::vector<std::pair<std::string, RrType>>& questions) {
        while (true) {
            std::size_t open = questions.size();
            for (const auto& question : pending) {
                if (question.done) {
                    --open;
                }
            }
            if (open == 0) {
                return;
            }
            const auto left = time_left();
            if (left.count() <= 0) {
                for (std::size_t i = 0; i < pending.size(); ++i) {
                    if (!pending[i].done) {
                        (void)ub_cancel(m_ctx.get(), ids[i]);
                    }
                }
                throw_timed_out(questions, pending);
            }
            pollfd p{ub_fd(m_ctx.get()), POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) > 0) {
                ub_check(ub_process(m_ctx.get()), "reading answers");
            }
        }
    }

    std::vector<Answer> resolve_concurrently(const std::vector<std::pair<std::string, RrType>>& questions) {
        const auto shared = std::make_shared<Batch>();
        Batch& b = *shared;
        b.pending.resize(questions.size());
        {
            const std::lock_guard lock(b.mutex);
            b.left = questions.size();
        }
        for (std::size_t i = 0; i < questions.size(); ++i) {
            auto slot = std::make_unique<BatchSlot>(BatchSlot{shared, i});
            const int rc =
                ub_resolve_async(m_ctx.get(), questions[i].first.c_str(), static_cast<int>(questions[i].second), 1,
                                 slot.get(), on_batch_result, nullptr);
            if (rc == 0) {
                (void)slot.release(); // the callback owns it now
            } else {
                const std::lock_guard lock(b.mutex);
                b.pending[i].err = rc;
                b.pending[i].done = true;
                --b.left;
            }
        }
        std::unique_lock lock(b.mutex);
        while (!b.cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return b.left == 0; })) {
            if (m_broken) {
                throw Error(Errc::io, "resolver: the libunbound worker stopped answering (ub_process failed)");
            }
        }
        std::vector<Answer> out;
        out.reserve(questions.size());
        for (std::size_t i = 0; i < questions.size(); ++i) {
            out.push_back(
                to_answer(questions[i].first, questions[i].second, b.pending[i].err, b.pending[i].result.get()));
        }
        return out;
    }

    /// Runs the callbacks of every asker (UnboundOptions::concurrent).
    void dispatch() {
        while (!m_stop) {
            const int fd = ub_fd(m_ctx.get());
            pollfd p{fd, POLLIN, 0};
            if (fd < 0 || ::poll(&p, 1, 50) <= 0) {
                if (fd < 0) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
                }
                continue;
            }
            // ub_process fails only when the pipe to the worker broke:
            // nothing will answer any more, the askers give up.
            if (ub_process(m_ctx.get()) != 0) {
                m_broken = true;
                return;
            }
        }
    }

    CtxPtr m_ctx;
    UnboundOptions m_opts;
    std::vector<std::string> m_anchor_zones;
    std::atomic<bool> m_reached{false}; ///< some server answered: failures from now on are the names'
    std::atomic<bool> m_stop{false};
    std::atomic<bool> m_broken{false};
    std::thread m_dispatcher; ///< last: started after m_ctx is set up
};

} // namespace

/// Several UnboundResolvers, each with its own worker thread, sharing the
/// questions by a hash of the name (UnboundOptions::contexts).
class PooledResolver final : public Resolver {
  public:
    PooledResolver(const UnboundOptions& opts, unsigned contexts) {
        m_pool.reserve(contexts);
        for (unsigned i = 0; i < contexts; ++i) {
            m_pool.push_back(std::make_unique<UnboundResolver>(opts));
        }
    }

    Answer resolve(std::string_view name, RrType type) override { return pick(name).resolve(name, type); }

    [[nodiscard]] std::vector<std::string> trust_anchor_zones() const override {
        return m_pool.front()->trust_anchor_zones();
    }

    std::vector<Answer> resolve_all(const std::vector<std::pair<std::string, RrType>>& questions) override {
        if (questions.empty()) {
            return {};
        }
        return pick(questions.front().first).resolve_all(questions);
    }

  private:
    /// The same context for every spelling of a name ("MX1.example." and
    /// "mx1.example").
    UnboundResolver& pick(std::string_view name) {
        std::string key = strip_dot(std::string(name).c_str());
        for (auto& c : key) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        return *m_pool[std::hash<std::string>{}(key) % m_pool.size()];
    }

    std::vector<std::unique_ptr<UnboundResolver>> m_pool;
};

std::unique_ptr<Resolver> make_unbound_resolver(const UnboundOptions& opts) {
    unsigned contexts = opts.contexts;
    if (contexts == 0) {
        contexts = std::clamp(std::thread::hardware_concurrency(), 1U, 4U);
    }
    if (!opts.concurrent || contexts == 1) {
        return std::make_unique<UnboundResolver>(opts);
    }
    return std::make_unique<PooledResolver>(opts, contexts);
}

} // namespace mxdane::dns
