// RFC 7672 §2: the lookups a DANE sender makes, and what it does with each
// answer. SERVFAIL and bogus mean "defer", never "no TLSA" (§2.1.1).
#include <algorithm>
#include <future>

#include "mxdane/check.h"

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
    if (a.security == Security::bogus) {
        return std::string(dns::type_name(a.qtype)) + " lookup bogus (" + a.qname + ": " + a.why_bogus + ")";
    }
    if (a.failed()) {
        return std::string(dns::type_name(a.qtype)) + " lookup " + (a.rcode == 2 ? "SERVFAIL" : "failed") + " (" +
               a.qname + ", rcode " + std::to_string(a.rcode) + ")";
    }
    return {};
}

int rank(Verdict v) {
    switch (v) {
    case Verdict::dane_validated:
        return 0;
    case Verdict::no_dane:
        return 1;
    case Verdict::failed:
        return 2;
    case Verdict::would_defer:
        return 3;
    }
    return 3;
}

class Walk {
  public:
    Walk(const Request& req, dns::Resolver& resolver, const Prober& prober)
        : m_req(req), m_resolver(resolver), m_prober(prober) {
        m_report.domain = req.domain;
        m_report.mx_host = req.mx_host;
        m_report.port = req.port;
    }

    Report run() {
        bool dane_applies = true;
        std::vector<std::pair<std::uint16_t, std::string>> hosts;
        if (m_req.mx_host) {
            hosts.emplace_back(0, m_req.domain);
        } else {
            const Answer mx = ask(m_req.domain, RrType::mx);
            if (auto d = defer_reason(mx); !d.empty()) {
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
            std::stable_sort(hosts.begin(), hosts.end(),
                             [](const auto& a, const auto& b) { return a.first < b.first; });
            if (mx.security != Security::secure) {
                dane_applies = false;
                m_report.mx_verdict = Verdict::no_dane;
                m_report.mx_reason = "the MX RRset of " + m_req.domain +
                                     " is insecure: DANE does not apply to its hosts (RFC 7672 §2.2.1)";
            }
        }
        check_hosts(hosts, dane_applies);
        // The warning lookups need nothing from the probes: they run in a
        // second thread while the probes talk SMTP.
        const auto questions = warning_questions(dane_applies);
        auto warnings = std::async(questions.empty() ? std::launch::deferred : std::launch::async,
                                   [&] { return m_resolver.resolve_all(questions); });
        for (HostCheck* h : m_to_probe) {
            probe_addresses(*h);
        }
        const auto answers = warnings.get();
        m_report.lookups.insert(m_report.lookups.end(), answers.begin(), answers.end());
        domain_warnings(answers);
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

    Report end_at_mx(Verdict v, std::string reason) {
        m_report.mx_verdict = v;
        m_report.mx_reason = std::move(reason);
        return std::move(m_report);
    }

    static void set_all(HostCheck& h, Verdict v, const std::string& reason) {
        h.verdict = v;
        h.reason = reason;
        for (auto& a : h.addresses) {
            a.verdict = v;
            a.reason = reason;
        }
    }

    /// Where one host stands between the phases of check_hosts.
    struct Pending {
        bool done = false;
        std::vector<std::string> bases; ///< TLSA base candidates, in order
        std::string why_none;
    };

    /// Lookups that do not depend on each other go out together: every
    /// host's A and AAAA, then every eligible host's first TLSA base. The
    /// TLSA lookup itself still waits for secure addresses (§2.2.2), since
    /// TLSA queries into unsigned zones can hang on broken servers.
    void check_hosts(const std::vector<std::pair<std::uint16_t, std::string>>& hosts, bool dane_applies) {
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
            state[i] = address_stage(h, addrs[2 * i], addrs[2 * i + 1], dane_applies);
            m_report.hosts.push_back(std::move(h));
        }
        q.clear();
        for (const auto& st : state) {
            if (!st.done) {
                q.emplace_back(tlsa_qname(st.bases.front()), RrType::tlsa);
            }
        }
        const auto first = ask_all(q);
        std::size_t k = 0;
        for (std::size_t i = 0; i < hosts.size(); ++i) {
            if (!state[i].done) {
                tlsa_stage(m_report.hosts[i], state[i], first[k++]);
            }
        }
    }

    static std::string tlsa_qname(const std::string& base) {
        const std::string owner = tlsa::owner(base, smtp_port);
        return owner.substr(0, owner.size() - 1);
    }

    static Pending address_stage(HostCheck& h, const Answer& a4, const Answer& a6, bool dane_applies) {
        Pending st;
        bool addr_secure = true;
        std::string canonical;
        std::string defer;
        for (const Answer* a : {&a4, &a6}) {
            for (const auto& rd : a->records) {
                if (const auto* addr = std::get_if<dns::Address>(&rd)) {
                    h.addresses.push_back({*addr, Verdict::no_dane, {}, {}});
                }
            }
            if (defer.empty()) {
                defer = defer_reason(*a);
            }
            if (!a->records.empty()) {
                addr_secure = addr_secure && a->security == Security::secure;
                if (canonical.empty()) {
                    canonical = a->canonical;
                }
            }
        }
        st.done = true;
        if (!dane_applies) {
            set_all(h, Verdict::no_dane, "the MX RRset is insecure: DANE does not apply");
        } else if (!defer.empty()) {
            // A DANE sender cannot tell which address a failed lookup would
            // have given, so it defers rather than skip to the other family.
            set_all(h, Verdict::would_defer, defer);
        } else if (h.addresses.empty()) {
            set_all(h, Verdict::failed, h.host + " has no A or AAAA records");
        } else if (!addr_secure) {
            set_all(h, Verdict::no_dane,
                    "the address records of " + h.host + " are insecure: no TLSA lookup (RFC 7672 §2.2.2)");
        } else {
            st.done = false;
            // §2.2.3: with a secure CNAME chain, the expanded name first,
            // then the original name.
            // A name whose owner would pass 255 octets has no TLSA RRset:
            // the query cannot even be sent, and a sender treats the failed
            // lookup as one (RFC 7672 §2.2.3: defer).
            std::string impossible;
            for (const std::string& base :
                 canonical.empty() ? std::vector<std::string>{h.host} : std::vector<std::string>{canonical, h.host}) {
                if (auto owner = tlsa::owner_name(base, smtp_port); owner) {
                    st.bases.push_back(base);
                } else if (impossible.empty()) {
                    impossible = owner.error();
                }
            }
            if (!impossible.empty()) {
                st.done = true;
                set_all(h, Verdict::would_defer, impossible);
            }
        }
        return st;
    }

    void tlsa_stage(HostCheck& h, Pending& st, const Answer& first) {
        for (std::size_t i = 0; i < st.bases.size(); ++i) {
            const std::string& base = st.bases[i];
            const std::string qname = tlsa_qname(base);
            const Answer t = i == 0 ? first : ask(qname, RrType::tlsa);
            if (auto d = defer_reason(t); !d.empty()) {
                set_all(h, Verdict::would_defer, d);
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
            set_all(h, Verdict::no_dane, st.why_none + " (senders use opportunistic TLS)");
            return;
        }
        record_warnings(h);
        const auto usable = std::count_if(h.tlsa.begin(), h.tlsa.end(),
                                          [](const tlsa::Record& r) { return tlsa::unusable_reason(r).empty(); });
        if (usable == 0) {
            // RFC 7672 §2.2: an RRset with no usable record is treated as
            // if there were none, except that TLS is still mandatory.
            set_all(h, Verdict::no_dane, "no usable TLSA record at " + h.tlsa_owner);
            return;
        }
        h.verdict = Verdict::dane_validated; // until a probe says otherwise
        m_to_probe.push_back(&h);
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

    void probe_addresses(HostCheck& h) {
        for (auto& a : h.addresses) {
            smtp::ProbeRequest pr;
            pr.address = a.address.text;
            pr.port = m_req.port;
            pr.base_name = h.base_name;
            // §3.2.2: the original MX host name is also a reference
            // identifier when the base came from CNAME expansion.
            if (h.host != h.base_name) {
                pr.extra_names.push_back(h.host);
            }
            pr.records = h.tlsa;
            pr.helo_name = m_req.helo_name;
            pr.step_timeout = m_req.step_timeout;
            pr.total_timeout = m_req.total_timeout;
            smtp::ProbeResult res = m_prober(pr);
            a.verdict = res.outcome == smtp::Outcome::validated ? Verdict::dane_validated : Verdict::failed;
            a.reason = res.reason;
            if (res.leaf_self_signed) {
                m_self_signed = true;
            }
            a.probe = std::move(res);
        }
        h.verdict = Verdict::dane_validated;
        for (const auto& a : h.addresses) {
            if (rank(a.verdict) > rank(h.verdict)) {
                h.verdict = a.verdict;
                h.reason = a.reason;
            }
        }
    }

    [[nodiscard]] std::vector<std::pair<std::string, RrType>> warning_questions(bool mx_secure) const {
        std::vector<std::pair<std::string, RrType>> q;
        if (m_req.mx_host) {
            return q;
        }
        // Records at the mail domain only mislead when its MX is secure
        // (otherwise nothing there is used anyway).
        const bool elsewhere = mx_secure && std::any_of(m_report.hosts.begin(), m_report.hosts.end(),
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
    std::vector<HostCheck*> m_to_probe; ///< into m_report.hosts, filled before probing
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

Overall overall(const Report& r) {
    if (r.mx_verdict && (*r.mx_verdict == Verdict::failed || *r.mx_verdict == Verdict::would_defer)) {
        return Overall::some_failed;
    }
    bool all = !r.hosts.empty() && !r.mx_verdict;
    for (const auto& h : r.hosts) {
        if (h.verdict == Verdict::failed || h.verdict == Verdict::would_defer) {
            return Overall::some_failed;
        }
        all = all && h.verdict == Verdict::dane_validated;
    }
    return all ? Overall::all_validated : Overall::not_in_effect;
}

} // namespace mxdane::check
