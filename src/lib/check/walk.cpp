// RFC 7672 §2: the lookups a DANE sender makes, and what it does with each
// answer. SERVFAIL and bogus mean "defer", never "no TLSA" (§2.1.1).
#include <algorithm>
#include <future>

#include "mxdane/check.h"
#include "mxdane/error.h"

namespace mxdane::check {
namespace {

using dns::Answer;
using dns::RrType;
using dns::Security;

/// TLSA records for MX hosts live at _25._tcp (RFC 7672 §2.2.3) whatever
/// port the check connects to (--port exists for test set-ups).
constexpr std::uint16_t smtp_port = 25;

/// "would defer" reason for a bogus or failed answer, "" otherwise.
std::string defer_reason(const Answer& a) {
    return dns::failure_text(a);
}

/// How bad a verdict is, for a host's worst address.
int rank(Verdict v) {
    switch (v) {
    case Verdict::dane_validated:
        return 0;
    case Verdict::tls_unauthenticated:
        return 1;
    case Verdict::no_dane:
        return 2;
    case Verdict::failed:
        return 3;
    case Verdict::would_defer:
        return 4;
    }
    return 4;
}

class Walk {
  public:
    Walk(const Request& req, dns::Resolver& resolver, const Prober& prober)
        : m_req(req), m_resolver(resolver), m_prober(prober) {
        m_report.domain = req.domain;
        m_report.mx_host = req.mx_host;
        m_report.port = req.port;
        m_report.max_addresses = req.max_addresses;
    }

    Report run() {
        std::vector<std::pair<std::uint16_t, std::string>> hosts;
        if (m_req.mx_host) {
            hosts.emplace_back(0, m_req.domain);
        } else {
            const Answer mx = ask(m_req.domain, RrType::mx);
            if (auto d = defer_reason(mx); !d.empty()) {
                blame_this_machine_if_it_cannot_validate(mx);
                return end_at_mx(Verdict::would_defer, d);
            }
            if (mx.nxdomain) {
                return end_at_mx(Verdict::failed, m_req.domain + " does not exist (NXDOMAIN)");
            }
            for (const auto& rd : mx.records) {
                if (const auto* m = std::get_if<dns::Mx>(&rd)) {
                    hosts.emplace_back(m->preference, m->host);
                }
            }
            if (hosts.size() == 1 && hosts.front().second.empty()) {
                return end_at_mx(Verdict::no_dane, "null MX (RFC 7505): " + m_req.domain + " accepts no mail");
            }
            if (hosts.empty()) {
                // RFC 5321 §5.1: no MX records, the domain is its own host.
                hosts.emplace_back(0, m_req.domain);
                m_report.warnings.push_back("no MX records at " + m_req.domain +
                                            ": senders use the domain itself as the host (RFC 5321 §5.1)");
            }
            // By preference, then by name: an RRset has no order (resolvers
            // rotate it), and the address budget must cut the same hosts
            // every time.
            std::sort(hosts.begin(), hosts.end());
            // RFC 7672 §2.2.1: "the SMTP client MAY proceed to use DANE TLS
            // ... even with MX hosts obtained via an 'insecure' MX RRset".
            // Postfix does (smtp_tls_dane_insecure_mx_policy = dane, its
            // default since 3.6), so a TLSA RRset that does not match still
            // makes it defer: the hosts are checked as with a secure MX.
            m_report.mx_insecure = mx.security != Security::secure;
        }
        check_hosts(hosts);
        const auto first_failed = std::find_if(m_report.lookups.begin(), m_report.lookups.end(),
                                               [](const Answer& a) { return !defer_reason(a).empty(); });
        if (first_failed != m_report.lookups.end()) {
            const Answer failed = *first_failed; // a copy: the check adds to lookups
            blame_this_machine_if_it_cannot_validate(failed);
        }
        // The warning lookups need nothing from the probes: they run in a
        // second thread while the probes talk SMTP.
        const auto questions = warning_questions();
        auto warnings = std::async(questions.empty() ? std::launch::deferred : std::launch::async,
                                   [&] { return m_resolver.resolve_all(questions); });
        for (auto& [h, dane] : m_to_probe) {
            probe_addresses(*h, dane);
        }
        const auto answers = warnings.get();
        m_report.lookups.insert(m_report.lookups.end(), answers.begin(), answers.end());
        domain_warnings(answers);
        if (m_report.mx_insecure) {
            m_report.warnings.push_back("the MX RRset of " + m_req.domain +
                                        " is insecure: senders use the MX hosts' TLSA records, but an attacker who "
                                        "forges the MX answer avoids them (RFC 7672 §2.2.1); sign the zone");
        }
        return std::move(m_report);
    }

  private:
    Answer ask(const std::string& name, RrType type) {
        m_report.lookups.push_back(m_resolver.resolve(name, type));
        return m_report.lookups.back();
    }

    std::vector<Answer> ask_all(const std::vector<std::pair<std::string, RrType>>& questions) {
        auto answers = m_resolver.resolve_all(questions);
        m_report.lookups.insert(m_report.lookups.end(), answers.begin(), answers.end());
        return answers;
    }

    /// A bogus or failed answer is the domain's fault only when this
    /// machine can validate at all: the SOA of the trust anchor's own zone
    /// must come back secure. When it does not (a trust anchor that matches
    /// no key, the anchor zone's servers unreachable from here, a clock far
    /// off), every answer below it is bogus and says nothing about the
    /// domain: throws Error(io) "this machine cannot validate: ...", never
    /// "senders would defer".
    void blame_this_machine_if_it_cannot_validate(const Answer& failed) {
        if (auto why = dns::cannot_validate_here(m_resolver, failed, &m_report.lookups)) {
            throw Error(Errc::io, *why);
        }
    }

    Report end_at_mx(Verdict v, std::string reason) {
        m_report.mx_verdict = v;
        m_report.mx_reason = std::move(reason);
        return std::move(m_report);
    }

    /// Where one host stands between the phases of check_hosts.
    struct Pending {
        bool done = false;
        /// Per address: whether DANE applies to it (its family's answer was
        /// secure, or the host is secure by its first CNAME link).
        std::vector<bool> dane;
        std::string canonical;          ///< the CNAME target of the address answers, "" when none
        bool need_cname = false;        ///< insecure answers through a CNAME: is the first link secure?
        std::vector<std::string> bases; ///< TLSA base candidates, in order
        std::string why_none;
    };

    /// Sets the verdict of every address DANE applies to, and the host's.
    static void set_dane_addresses(HostCheck& h, const Pending& st, Verdict v, const std::string& reason) {
        h.verdict = v;
        h.reason = reason;
        for (std::size_t i = 0; i < h.addresses.size(); ++i) {
            if (st.dane[i]) {
                h.addresses[i].verdict = v;
                h.addresses[i].reason = reason;
            }
        }
    }

    /// Lookups that do not depend on each other go out together: every
    /// host's A and AAAA, then the CNAME links that decide whether a host
    /// reached through an insecure chain is itself secure, then every
    /// eligible host's first TLSA base. The TLSA lookup still waits for
    /// secure addresses (§2.2.2), since TLSA queries into unsigned zones can
    /// hang on broken servers.
    void check_hosts(const std::vector<std::pair<std::uint16_t, std::string>>& hosts) {
        std::vector<std::pair<std::string, RrType>> q;
        for (const auto& [pref, host] : hosts) {
            q.emplace_back(host, RrType::a);
            q.emplace_back(host, RrType::aaaa);
        }
        const auto addrs = ask_all(q);
        std::vector<Pending> state(hosts.size());
        m_report.hosts.reserve(hosts.size()); // m_to_probe points into it
        for (std::size_t i = 0; i < hosts.size(); ++i) {
            HostCheck h;
            h.preference = hosts[i].first;
            h.host = hosts[i].second;
            state[i] = address_stage(h, addrs[2 * i], addrs[2 * i + 1]);
            m_report.hosts.push_back(std::move(h));
        }
        keep_the_senders_budget(state);
        q.clear();
        for (std::size_t i = 0; i < state.size(); ++i) {
            if (state[i].need_cname) {
                q.emplace_back(m_report.hosts[i].host, RrType::cname);
            }
        }
        const auto links = ask_all(q);
        std::size_t k = 0;
        for (std::size_t i = 0; i < state.size(); ++i) {
            if (state[i].need_cname) {
                cname_stage(m_report.hosts[i], state[i], links[k++]);
            }
        }
        q.clear();
        for (const auto& st : state) {
            if (!st.done) {
                q.emplace_back(tlsa_qname(st.bases.front()), RrType::tlsa);
            }
        }
        const auto first = ask_all(q);
        k = 0;
        for (std::size_t i = 0; i < state.size(); ++i) {
            if (!state[i].done) {
                tlsa_stage(m_report.hosts[i], state[i], first[k++]);
            }
        }
        for (auto& h : m_report.hosts) {
            host_verdict(h);
        }
    }

    /// A sender tries at most Request::max_addresses addresses (Postfix's
    /// smtp_mx_address_limit): the hosts that start after them are moved to
    /// Report::not_tried, so that a domain of many silent hosts costs the
    /// budget's timeouts, not one per host. When the cut falls between
    /// hosts of one preference, senders pick among them at random: a
    /// warning says how many of those were not checked.
    void keep_the_senders_budget(std::vector<Pending>& state) {
        if (m_req.max_addresses == 0) {
            return;
        }
        std::size_t seen = 0;
        std::size_t keep = 0;
        while (keep < m_report.hosts.size() && seen < m_req.max_addresses) {
            seen += m_report.hosts[keep++].addresses.size();
        }
        if (keep == m_report.hosts.size()) {
            return;
        }
        const std::uint16_t last_pref = m_report.hosts[keep - 1].preference;
        std::size_t same_pref = 0;
        for (std::size_t i = keep; i < m_report.hosts.size(); ++i) {
            const auto& h = m_report.hosts[i];
            same_pref += h.preference == last_pref ? 1 : 0;
            m_report.not_tried.push_back({h.preference, h.host, h.addresses.size()});
        }
        m_report.hosts.erase(m_report.hosts.begin() + static_cast<std::ptrdiff_t>(keep), m_report.hosts.end());
        state.resize(keep);
        if (same_pref > 0) {
            m_report.warnings.push_back(
                (same_pref == 1 ? std::string("1 MX host") : std::to_string(same_pref) + " MX hosts") +
                " of preference " + std::to_string(last_pref) + (same_pref == 1 ? " was" : " were") +
                " not checked: they come after the first " + std::to_string(m_req.max_addresses) +
                " addresses, but senders pick among the addresses of one preference at random and can use them");
        }
    }

    static std::string tlsa_qname(const std::string& base) {
        const std::string owner = tlsa::owner(base, smtp_port);
        return owner.substr(0, owner.size() - 1);
    }

    static std::string family_name(RrType t) { return t == RrType::a ? "IPv4" : "IPv6"; }

    /// A and AAAA each on their own, as Postfix looks them up: a family
    /// whose lookup is bogus or failed is skipped while the other one gives
    /// addresses ("As long as we are able to look up any host address, we
    /// ignore problems with DNS lookups", Postfix smtp_addr.c), and DANE
    /// applies to the addresses of a secure answer (RFC 7672 §2.2.2).
    static Pending address_stage(HostCheck& h, const Answer& a4, const Answer& a6) {
        Pending st;
        st.done = true;
        std::vector<std::string> failures;
        bool any_secure = false;
        for (const Answer* a : {&a4, &a6}) {
            if (auto d = defer_reason(*a); !d.empty()) {
                failures.push_back(d);
                continue;
            }
            const bool secure = a->security == Security::secure;
            for (const auto& rd : a->records) {
                if (const auto* addr = std::get_if<dns::Address>(&rd)) {
                    h.addresses.push_back({*addr,
                                           Verdict::no_dane,
                                           "the " + std::string(dns::type_name(a->qtype)) + " records of " + h.host +
                                               " are insecure: no TLSA lookup (RFC 7672 §2.2.2)",
                                           {}});
                    st.dane.push_back(secure);
                }
            }
            if (!a->records.empty()) {
                any_secure = any_secure || secure;
                if (st.canonical.empty()) {
                    st.canonical = a->canonical;
                }
            }
        }
        if (h.addresses.empty()) {
            if (!failures.empty()) {
                // Nothing to connect to: senders skip the host (and defer
                // when no other host is left).
                std::string why = failures.front();
                for (std::size_t i = 1; i < failures.size(); ++i) {
                    why += "; " + failures[i];
                }
                h.verdict = Verdict::would_defer;
                h.reason = why;
            } else {
                h.verdict = Verdict::failed;
                h.reason = h.host + " has no A or AAAA records";
            }
            return st;
        }
        for (const auto& f : failures) {
            const RrType t = f.rfind("AAAA", 0) == 0 ? RrType::aaaa : RrType::a;
            h.skipped.push_back(f + ": senders skip the " + family_name(t) + " addresses of " + h.host);
        }
        if (any_secure) {
            // §2.2.3: with a secure CNAME chain, the expanded name first,
            // then the original name.
            st.bases = st.canonical.empty() ? std::vector<std::string>{h.host}
                                            : std::vector<std::string>{st.canonical, h.host};
            choose_bases(h, st);
        } else if (!st.canonical.empty() && st.canonical != h.host) {
            // An insecure answer reached through a CNAME: the host is still
            // in a signed zone when the first link of the chain is secure.
            st.need_cname = true;
        }
        return st;
    }

    /// RFC 7672 §2.2.2, as Postfix applies it: when the CNAME expansion is
    /// not secure end to end, the original MX host name is the TLSA base
    /// domain, provided its own CNAME record (the chain's first link) is
    /// secure; the addresses, insecure themselves, get DANE from it.
    static void cname_stage(HostCheck& h, Pending& st, const Answer& link) {
        if (auto d = defer_reason(link); !d.empty()) {
            std::fill(st.dane.begin(), st.dane.end(), true);
            set_dane_addresses(h, st, Verdict::would_defer, d);
            return;
        }
        const bool is_cname = std::any_of(link.records.begin(), link.records.end(),
                                          [](const dns::Rdata& rd) { return std::holds_alternative<dns::Cname>(rd); });
        if (link.security != Security::secure || !is_cname) {
            return; // insecure all the way: the addresses keep no_dane
        }
        std::fill(st.dane.begin(), st.dane.end(), true);
        st.bases = {h.host};
        choose_bases(h, st);
    }

    /// A name whose owner would pass 255 octets has no TLSA RRset: the
    /// query cannot even be sent, and a sender treats the failed lookup as
    /// one (RFC 7672 §2.2.3: defer).
    static void choose_bases(HostCheck& h, Pending& st) {
        std::vector<std::string> ok;
        std::string impossible;
        for (const std::string& base : st.bases) {
            if (auto owner = tlsa::owner_name(base, smtp_port); owner) {
                ok.push_back(base);
            } else if (impossible.empty()) {
                impossible = owner.error();
            }
        }
        st.bases = std::move(ok);
        if (!impossible.empty() || st.bases.empty()) {
            set_dane_addresses(h, st, Verdict::would_defer, impossible);
            return;
        }
        st.done = false;
    }

    void tlsa_stage(HostCheck& h, Pending& st, const Answer& first) {
        for (std::size_t i = 0; i < st.bases.size(); ++i) {
            const std::string& base = st.bases[i];
            const std::string qname = tlsa_qname(base);
            const Answer t = i == 0 ? first : ask(qname, RrType::tlsa);
            if (auto d = defer_reason(t); !d.empty()) {
                // §2.2: a TLSA lookup that fails makes the host unusable;
                // senders try the next MX host.
                set_dane_addresses(h, st, Verdict::would_defer, d);
                return;
            }
            if (t.security == Security::secure && !t.records.empty()) {
                h.base_name = base;
                h.tlsa_owner = qname + ".";
                h.tlsa_ttl = t.ttl;
                for (const auto& rd : t.records) {
                    if (const auto* r = std::get_if<tlsa::Record>(&rd)) {
                        h.tlsa.push_back(*r);
                    }
                }
                break;
            }
            if (!st.why_none.empty()) {
                st.why_none += "; ";
            }
            if (t.security != Security::secure) {
                st.why_none += "the TLSA lookup of " + qname + " is insecure";
            } else {
                st.why_none += std::string("secure ") + (t.nxdomain ? "NXDOMAIN" : "NODATA") + " for TLSA at " + qname;
            }
        }
        if (h.tlsa.empty()) {
            set_dane_addresses(h, st, Verdict::no_dane, st.why_none + " (senders use opportunistic TLS)");
            return;
        }
        record_warnings(h);
        const auto usable = std::count_if(h.tlsa.begin(), h.tlsa.end(),
                                          [](const tlsa::Record& r) { return tlsa::unusable_reason(r).empty(); });
        // §2.2: "If TLSA records were found, but none are usable ... the
        // SMTP client MUST use TLS" (unauthenticated): probed as well.
        set_dane_addresses(h, st, usable == 0 ? Verdict::tls_unauthenticated : Verdict::dane_validated,
                           usable == 0 ? "no usable TLSA record at " + h.tlsa_owner : "");
        m_to_probe.emplace_back(&h, std::move(st.dane));
    }

    void record_warnings(const HostCheck& h) {
        bool only_cert = true;
        bool any_usable = false;
        for (const auto& r : h.tlsa) {
            if (r.usage == 0 || r.usage == 1) {
                m_report.warnings.push_back(h.tlsa_owner + ": " + tlsa::rdata_text(r).substr(0, 5) +
                                            " record: " + tlsa::unusable_reason(r) + "; SMTP senders ignore it");
            }
            if (tlsa::unusable_reason(r).empty()) {
                any_usable = true;
                only_cert = only_cert && r.usage == 3 && r.selector == 0;
            }
        }
        if (!any_usable) {
            m_report.warnings.push_back(h.tlsa_owner +
                                        ": no usable TLSA record: senders require TLS but cannot authenticate the "
                                        "server (RFC 7672 §2.2); publish a 3 1 1 record of the served key");
        }
        if (any_usable && only_cert) {
            m_report.warnings.push_back(h.tlsa_owner +
                                        ": only 3 0 x records: they pin the whole certificate and break at "
                                        "every reissue; publish 3 1 1 (the key) instead");
        }
        if (h.tlsa.size() > 8) {
            m_report.warnings.push_back(h.tlsa_owner + ": " + std::to_string(h.tlsa.size()) +
                                        " TLSA records; more than 8 is hard to keep right, and senders try "
                                        "each against every certificate");
        }
        if (h.tlsa_ttl > 86400) {
            m_report.warnings.push_back(h.tlsa_owner + ": TLSA TTL " + std::to_string(h.tlsa_ttl) +
                                        " s is above a day: a key rollover must wait that long");
        }
    }

    /// The reference identifiers of RFC 7672 §3.2.2 beside the TLSA base
    /// domain (which OpenSSL's DANE engine sets itself): the MX host name
    /// when the base came from CNAME expansion, and the next-hop domain,
    /// which Postfix also accepts ("smtp_tls_secure_cert_match = nexthop,
    /// dot-nexthop", used for DANE-TA names).
    /// Only DANE-TA(2) checks names (DANE-EE(3) does not, RFC 7672 §3.1.1),
    /// so without a usable usage 2 record no name is added, and one probe
    /// of the address serves every domain behind it in a bulk run.
    [[nodiscard]] std::vector<std::string> extra_names(const HostCheck& h) const {
        std::vector<std::string> names;
        const bool dane_ta = std::any_of(h.tlsa.begin(), h.tlsa.end(), [](const tlsa::Record& r) {
            return r.usage == 2 && tlsa::unusable_reason(r).empty();
        });
        if (!dane_ta) {
            return names;
        }
        if (h.host != h.base_name) {
            names.push_back(h.host);
        }
        if (!m_req.mx_host && m_req.domain != h.base_name && m_req.domain != h.host) {
            names.push_back(m_req.domain);
        }
        return names;
    }

    void probe_addresses(HostCheck& h, const std::vector<bool>& dane) {
        const bool mandatory_only = h.verdict == Verdict::tls_unauthenticated;
        for (std::size_t i = 0; i < h.addresses.size(); ++i) {
            auto& a = h.addresses[i];
            if (!dane[i]) {
                continue;
            }
            smtp::ProbeRequest pr;
            pr.address = a.address.text;
            pr.port = m_req.port;
            pr.base_name = h.base_name;
            pr.extra_names = extra_names(h);
            pr.records = h.tlsa;
            pr.helo_name = m_req.helo_name;
            pr.step_timeout = m_req.step_timeout;
            pr.total_timeout = m_req.total_timeout;
            smtp::ProbeResult res = m_prober(pr);
            if (mandatory_only) {
                const bool tls = std::any_of(res.steps.begin(), res.steps.end(),
                                             [](const smtp::Step& s) { return s.name == "tls" && s.ok; });
                a.verdict = tls ? Verdict::tls_unauthenticated : Verdict::failed;
                a.reason =
                    tls ? "no usable TLSA record at " + h.tlsa_owner + ": TLS without authentication"
                        : res.reason + " (only unusable TLSA records, but TLS is still mandatory: RFC 7672 §2.2)";
            } else {
                a.verdict = res.outcome == smtp::Outcome::validated ? Verdict::dane_validated : Verdict::failed;
                a.reason = res.reason;
            }
            if (res.leaf_self_signed) {
                m_self_signed = true;
            }
            if (res.discarded_plaintext > 0) {
                // One warnings list for every output (text, JSON, bulk).
                m_report.warnings.push_back(h.host + "[" + a.address.text + "]:" + std::to_string(m_req.port) +
                                            " sent " + std::to_string(res.discarded_plaintext) +
                                            " octets in plaintext after its 220 to STARTTLS (STARTTLS injection); "
                                            "mxdane dropped them");
            }
            a.probe = std::move(res);
        }
        host_verdict(h);
    }

    /// A host with addresses takes the worst verdict of its addresses.
    static void host_verdict(HostCheck& h) {
        if (h.addresses.empty()) {
            return;
        }
        h.verdict = h.addresses.front().verdict;
        h.reason = h.addresses.front().reason;
        for (const auto& a : h.addresses) {
            if (rank(a.verdict) > rank(h.verdict)) {
                h.verdict = a.verdict;
                h.reason = a.reason;
            }
        }
    }

    [[nodiscard]] std::vector<std::pair<std::string, RrType>> warning_questions() const {
        std::vector<std::pair<std::string, RrType>> q;
        if (m_req.mx_host) {
            return q;
        }
        // Records at the mail domain only mislead when its MX is secure
        // (otherwise nothing there is used anyway).
        const bool elsewhere =
            !m_report.mx_insecure && std::any_of(m_report.hosts.begin(), m_report.hosts.end(),
                                                 [&](const HostCheck& h) { return h.host != m_req.domain; });
        if (elsewhere && tlsa::owner_name(m_req.domain, smtp_port)) {
            q.emplace_back(tlsa_qname(m_req.domain), RrType::tlsa);
        }
        // Asked before the probes say whether a certificate is self-signed.
        if (!m_to_probe.empty()) {
            q.emplace_back("_mta-sts." + m_req.domain, RrType::txt);
        }
        return q;
    }

    void domain_warnings(const std::vector<Answer>& answers) {
        for (const auto& t : answers) {
            if (t.qtype == RrType::tlsa && !t.records.empty()) {
                m_report.warnings.push_back("TLSA records at " + t.qname +
                                            ". are never used: senders look them up at the MX host "
                                            "(_25._tcp.<mx host>, RFC 7672 §2.2.3)");
            }
            const bool policy =
                t.qtype == RrType::txt && std::any_of(t.records.begin(), t.records.end(), [](const dns::Rdata& rd) {
                    const auto* txt = std::get_if<dns::Txt>(&rd);
                    return txt != nullptr && txt->text.rfind("v=STSv1", 0) == 0;
                });
            if (policy && m_self_signed) {
                m_report.warnings.push_back("_mta-sts." + m_req.domain +
                                            " announces an MTA-STS policy, but a server sends a self-signed "
                                            "certificate: MTA-STS senders (which need a CA-signed certificate) will "
                                            "defer");
            }
        }
    }

    const Request& m_req;
    dns::Resolver& m_resolver;
    const Prober& m_prober;
    Report m_report;
    bool m_self_signed = false;
    /// Into m_report.hosts, filled before probing, with the addresses DANE
    /// applies to.
    std::vector<std::pair<HostCheck*, std::vector<bool>>> m_to_probe;
};

} // namespace

std::string_view verdict_name(Verdict v) {
    switch (v) {
    case Verdict::dane_validated:
        return "dane-validated";
    case Verdict::failed:
        return "FAILED";
    case Verdict::would_defer:
        return "would-defer";
    case Verdict::no_dane:
        return "no-dane";
    case Verdict::tls_unauthenticated:
        return "tls-unauthenticated";
    }
    return "?";
}

Report run(const Request& req, dns::Resolver& resolver, const Prober& prober) {
    if (req.mx_host) {
        // A host given by the user that can have no TLSA owner is refused
        // before any lookup.
        (void)tlsa::owner(req.domain, smtp_port);
    }
    return Walk(req, resolver, prober).run();
}

namespace {

/// What the addresses of a report add up to, for overall() and weak_paths().
struct Paths {
    bool delivers = false; ///< some address a sender would use succeeds
    bool any_dane = false; ///< some host has a TLSA RRset senders act on
    bool all_dane = true;  ///< every path is DANE-authenticated
    bool weak = false;     ///< some host, family or address fails or is skipped
};

Paths paths(const Report& r) {
    Paths p;
    p.all_dane = !r.mx_insecure && !r.hosts.empty();
    for (const auto& h : r.hosts) {
        if (!h.skipped.empty()) {
            p.weak = true;
            p.all_dane = false;
        }
        if (h.addresses.empty()) {
            p.weak = true;
            p.all_dane = false;
            p.any_dane = p.any_dane || !h.tlsa.empty();
        }
        for (const auto& a : h.addresses) {
            switch (a.verdict) {
            case Verdict::dane_validated:
                p.delivers = true;
                p.any_dane = true;
                break;
            case Verdict::tls_unauthenticated:
                p.delivers = true;
                p.any_dane = true;
                p.all_dane = false;
                break;
            case Verdict::no_dane:
                p.delivers = true;
                p.all_dane = false;
                break;
            case Verdict::failed:
            case Verdict::would_defer:
                p.weak = true;
                p.all_dane = false;
                p.any_dane = p.any_dane || !h.tlsa.empty() || a.probe.has_value();
                break;
            }
        }
    }
    return p;
}

} // namespace

Overall overall(const Report& r) {
    if (r.mx_verdict) {
        return *r.mx_verdict == Verdict::no_dane ? Overall::not_in_effect : Overall::deferred;
    }
    const Paths p = paths(r);
    if (!p.delivers) {
        // Postfix tries every MX host and address in turn, and defers only
        // when none succeeds (smtp_connect.c).
        return Overall::deferred;
    }
    if (p.all_dane) {
        return Overall::all_validated;
    }
    if (!p.any_dane && !p.weak) {
        return Overall::not_in_effect;
    }
    return Overall::degraded;
}

std::string_view overall_name(Overall o) {
    switch (o) {
    case Overall::all_validated:
        return "all-validated";
    case Overall::degraded:
        return "degraded";
    case Overall::deferred:
        return "deferred";
    case Overall::not_in_effect:
        return "not-in-effect";
    }
    return "deferred";
}

std::vector<std::string> weak_paths(const Report& r) {
    std::vector<std::string> out;
    if (overall(r) == Overall::all_validated) {
        return out;
    }
    if (r.mx_verdict) {
        out.push_back(r.mx_reason);
        return out;
    }
    const Paths p = paths(r);
    if (r.mx_insecure && p.any_dane) {
        out.push_back("the MX RRset of " + r.domain + " is insecure: a forged MX answer avoids DANE");
    }
    for (const auto& h : r.hosts) {
        for (const auto& s : h.skipped) {
            out.push_back(s);
        }
        if (h.addresses.empty()) {
            out.push_back(h.host + ": " + std::string(verdict_name(h.verdict)) + " (" + h.reason +
                          "): senders skip this host");
        }
        for (const auto& a : h.addresses) {
            const std::string at = h.host + "[" + a.address.text + "]";
            switch (a.verdict) {
            case Verdict::dane_validated:
                break;
            case Verdict::tls_unauthenticated:
                out.push_back(at + ": TLS without authentication (no usable TLSA record)");
                break;
            case Verdict::no_dane:
                if (p.any_dane) {
                    out.push_back(at + ": no DANE, opportunistic TLS: a path an attacker can force");
                }
                break;
            case Verdict::failed:
            case Verdict::would_defer:
                out.push_back(at + ": " + std::string(verdict_name(a.verdict)) + " (" + a.reason +
                              "): senders skip this address");
                break;
            }
        }
    }
    return out;
}

} // namespace mxdane::check
