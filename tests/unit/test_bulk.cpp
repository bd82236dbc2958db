// check --domains without the network: the list parser, --shard, --resume,
// the shared prober (one probe per request, a dead address once, the
// per-address cap) and the findings across domains.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "mxdane/bulk.h"
#include "mxdane/sys.h"

#include "../cli/cli_harness.h"

namespace {
using namespace mxdane;
using namespace mxdane::check;
using namespace mxdane::check::bulk;

TEST(BulkList, CommentsBlanksDuplicatesAndBadLines) {
    const auto l = parse_domain_list("# customers\n"
                                     "good.example\n"
                                     "\n"
                                     "   \t\n"
                                     "Good.Example.  # same name, other spelling\n"
                                     "exa mple.net\n"
                                     "two.example\r\n"
                                     "good.example\n"
                                     "last.example");
    EXPECT_EQ(l.domains, (std::vector<std::string>{"good.example", "two.example", "last.example"}));
    EXPECT_EQ(l.duplicates, 2U);
    ASSERT_EQ(l.bad.size(), 1U);
    EXPECT_EQ(l.bad[0].line, 6U);
    EXPECT_EQ(l.bad[0].text, "exa mple.net");
    EXPECT_EQ(l.bad[0].reason, "whitespace is not allowed in a host name");
}

TEST(BulkList, EmptyInput) {
    EXPECT_TRUE(parse_domain_list("").domains.empty());
    EXPECT_TRUE(parse_domain_list("\n# only a comment\n").domains.empty());
}

TEST(BulkShard, PartsAreDisjointAndCoverTheList) {
    std::vector<std::string> names;
    for (int i = 0; i < 1000; ++i) {
        names.push_back("d" + std::to_string(i) + ".example");
    }
    for (unsigned n = 1; n <= 5; ++n) {
        std::map<std::string, int> seen;
        for (unsigned k = 1; k <= n; ++k) {
            std::size_t in_part = 0;
            for (const auto& d : names) {
                if (in_shard(d, {k, n})) {
                    ++seen[d];
                    ++in_part;
                }
            }
            // Not a fairness test, only that no part is empty or everything.
            EXPECT_GT(in_part, 0U) << k << "/" << n;
        }
        EXPECT_EQ(seen.size(), names.size()) << "N=" << n;
        for (const auto& [d, count] : seen) {
            EXPECT_EQ(count, 1) << d << " N=" << n;
        }
    }
}

TEST(BulkShard, HashIsFnv1a) {
    // FNV-1a 64 test vectors (Fowler/Noll/Vo reference): stable across
    // machines, which is what lets hosts split a list without talking.
    EXPECT_EQ(domain_hash(""), 0xcbf29ce484222325ULL);
    EXPECT_EQ(domain_hash("a"), 0xaf63dc4c8601ec8cULL);
    EXPECT_EQ(domain_hash("foobar"), 0x85944171f73967e8ULL);
}

TEST(BulkShard, Parse) {
    const auto s = parse_shard("2/5");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->k, 2U);
    EXPECT_EQ(s->n, 5U);
    EXPECT_EQ(parse_shard("2").error(), "'2' is not K/N (e.g. 2/5)");
    EXPECT_EQ(parse_shard("a/5").error(), "'a/5' is not K/N (e.g. 2/5)");
    EXPECT_EQ(parse_shard("-1/5").error(), "'-1/5' is not K/N (e.g. 2/5)");
    EXPECT_EQ(parse_shard("0/5").error(), "'0/5': K must be 1 to N, and N 1 to 65536");
    EXPECT_EQ(parse_shard("6/5").error(), "'6/5': K must be 1 to N, and N 1 to 65536");
    EXPECT_EQ(parse_shard("1/0").error(), "'1/0': K must be 1 to N, and N 1 to 65536");
}

TEST(BulkResume, AnsweredDomainsIgnoreACutLineAndTheSummary) {
    const auto done = answered_domains("{\"domain\":\"a.example\",\"exit\":0}\n"
                                       "{\"domain\":\"b.example\",\"exit\":1}\n"
                                       "{\"command\":\"check\",\"summary\":{}}\n"
                                       "not json\n"
                                       "{\"domain\":\"c.exa");
    EXPECT_EQ(done, (std::set<std::string>{"a.example", "b.example"}));
}

// A domain whose line recorded a local error (no verdict) is checked
// again; a verdict of "failed" (exit 1) is an answer and is not.
TEST(BulkResume, ALineThatRecordedALocalErrorIsCheckedAgain) {
    const auto done = answered_domains("{\"domain\":\"a.example\",\"error\":\"cannot reach DNS\",\"exit\":2}\n"
                                       "{\"domain\":\"b.example\",\"exit\":1}\n"
                                       "{\"domain\":\"c.example\",\"error\":null,\"exit\":2}\n");
    EXPECT_EQ(done, (std::set<std::string>{"b.example"}));
}

smtp::ProbeRequest request(const std::string& addr, const std::string& base) {
    smtp::ProbeRequest r;
    r.address = addr;
    r.base_name = base;
    r.records = {{3, 1, 1, tlsa::Bytes(32, 0xaa)}};
    return r;
}

/// A DANE-TA(2) request for `domain`, whose name rides as an extra
/// reference identifier (the next-hop domain, RFC 7672 §3.2.2).
smtp::ProbeRequest ta_request(const std::string& addr, const std::string& domain) {
    smtp::ProbeRequest r = request(addr, "mx.example");
    r.records = {{2, 1, 1, tlsa::Bytes(32, 0xbb)}};
    r.extra_names = {domain};
    return r;
}

/// A prober whose every probe connects and then gets no answer at `step`,
/// counting its calls.
Prober stalls_at(const std::string& step, std::atomic<int>& calls) {
    return [&calls, step](const smtp::ProbeRequest&) {
        ++calls;
        smtp::ProbeResult r;
        r.outcome = smtp::Outcome::timeout;
        r.reason = "no answer within 1 s at " + step;
        r.steps = {{"connect", true, ""}, {step, false, r.reason}};
        return r;
    };
}

// The DANE-TA hosts of a bulk run: each domain adds its own name, yet a
// probe whose match did not need that name answers every domain (the
// lab's bench list cost 464 connections instead of 10 before this).
TEST(BulkProber, ADaneTaProbeServesEveryDomainWhoseNamesItAccepts) {
    std::atomic<int> calls{0};
    SharedProber shared(
        [&](const smtp::ProbeRequest& r) {
            ++calls;
            smtp::ProbeResult res;
            res.outcome = smtp::Outcome::validated;
            res.matched_name = r.base_name; // the leaf names the MX host
            if (r.address == "192.0.2.9") { // this leaf names only b.example
                const bool b =
                    std::find(r.extra_names.begin(), r.extra_names.end(), "b.example") != r.extra_names.end();
                res.outcome = b ? smtp::Outcome::validated : smtp::Outcome::no_match;
                res.matched_name = b ? "b.example" : "";
            }
            return res;
        },
        2);
    for (const char* d : {"a.example", "b.example", "c.example"}) {
        EXPECT_EQ(shared(ta_request("192.0.2.1", d)).outcome, smtp::Outcome::validated) << d;
    }
    EXPECT_EQ(calls, 1);
    // A no-match may be a name mismatch, and a match through one domain's
    // name is not another's: each is asked for itself.
    EXPECT_EQ(shared(ta_request("192.0.2.9", "a.example")).outcome, smtp::Outcome::no_match);
    EXPECT_EQ(shared(ta_request("192.0.2.9", "b.example")).outcome, smtp::Outcome::validated);
    EXPECT_EQ(shared(ta_request("192.0.2.9", "c.example")).outcome, smtp::Outcome::no_match);
    EXPECT_EQ(calls, 4);
    EXPECT_EQ(shared(ta_request("192.0.2.9", "b.example")).outcome, smtp::Outcome::validated);
    EXPECT_EQ(calls, 4);
}

TEST(BulkProber, OneProbePerRequestSharedByEveryAsker) {
    std::atomic<int> calls{0};
    SharedProber shared(
        [&](const smtp::ProbeRequest&) {
            ++calls;
            smtp::ProbeResult r;
            r.outcome = smtp::Outcome::validated;
            return r;
        },
        2);
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back(
            [&] { EXPECT_EQ(shared(request("192.0.2.1", "mx.example")).outcome, smtp::Outcome::validated); });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(shared.connections(), 1U);
    // Another name at the same address is another question (SNI, records).
    (void)shared(request("192.0.2.1", "mx2.example"));
    EXPECT_EQ(calls, 2);
}

TEST(BulkProber, ADeadAddressIsTriedOnce) {
    std::atomic<int> calls{0};
    SharedProber shared(stalls_at("banner", calls), 2);
    std::vector<std::thread> threads;
    for (int i = 0; i < 6; ++i) {
        threads.emplace_back([&, i] {
            const auto r = shared(request("192.0.2.9", "mx" + std::to_string(i) + ".example"));
            EXPECT_EQ(r.outcome, smtp::Outcome::timeout);
            EXPECT_EQ(r.reason, "no answer within 1 s at banner");
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(calls, 1);
}

// A tarpit sends its banner and then nothing (issue #22: 40 domains behind
// one took 63 s at --timeout 3): a stall at any step costs the run one
// timeout, and every later request gets that first result.
TEST(BulkProber, AnAddressThatStalledAtAnyStepIsTriedOnce) {
    for (const std::string step : {"banner", "ehlo", "starttls", "tls", "quit"}) {
        SCOPED_TRACE(step);
        std::atomic<int> calls{0};
        SharedProber shared(stalls_at(step, calls), 2);
        for (int i = 0; i < 4; ++i) {
            const auto r = shared(request("192.0.2.9", "mx" + std::to_string(i) + ".example"));
            EXPECT_EQ(r.outcome, smtp::Outcome::timeout);
            EXPECT_EQ(r.reason, "no answer within 1 s at " + step);
        }
        EXPECT_EQ(calls, 1);
        // Another address is another question.
        (void)shared(request("192.0.2.10", "mx0.example"));
        EXPECT_EQ(calls, 2);
    }
}

TEST(BulkProber, AnAnsweringFailureIsNotShared) {
    // A 554 banner or a TLS failure may depend on SNI: each name is asked.
    std::atomic<int> calls{0};
    SharedProber shared(
        [&](const smtp::ProbeRequest&) {
            ++calls;
            smtp::ProbeResult r;
            r.outcome = smtp::Outcome::smtp_error;
            r.steps = {{"connect", true, ""}, {"banner", false, "554"}};
            return r;
        },
        2);
    (void)shared(request("192.0.2.9", "a.example"));
    (void)shared(request("192.0.2.9", "b.example"));
    EXPECT_EQ(calls, 2);
}

TEST(BulkProber, NeverMoreThanPerHostConnectionsToOneAddress) {
    std::atomic<int> in_flight{0};
    std::atomic<int> most{0};
    std::atomic<int> calls{0};
    SharedProber shared(
        [&](const smtp::ProbeRequest&) {
            const int now = ++in_flight;
            int seen = most.load();
            while (now > seen && !most.compare_exchange_weak(seen, now)) {
            }
            for (int i = 0; i < 2000; ++i) {
                std::this_thread::yield(); // hold the slot a while, without sleeping
            }
            --in_flight;
            ++calls;
            smtp::ProbeResult r;
            r.outcome = smtp::Outcome::validated;
            return r;
        },
        2);
    std::vector<std::thread> threads;
    for (int i = 0; i < 12; ++i) {
        threads.emplace_back([&, i] { (void)shared(request("192.0.2.7", "mx" + std::to_string(i) + ".example")); });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(calls, 12);
    EXPECT_LE(most.load(), 2);
    EXPECT_GE(most.load(), 1);
}

TEST(BulkProber, AnExceptionReachesEveryAsker) {
    SharedProber shared([](const smtp::ProbeRequest&) -> smtp::ProbeResult { throw std::runtime_error("no OpenSSL"); },
                        2);
    EXPECT_THROW((void)shared(request("192.0.2.1", "mx.example")), std::runtime_error);
    EXPECT_THROW((void)shared(request("192.0.2.1", "mx.example")), std::runtime_error);
}

Report report_with(const std::string& domain, const std::string& owner, std::vector<tlsa::Record> recs,
                   std::uint32_t ttl, Verdict v, const std::string& addr = "192.0.2.1") {
    Report r;
    r.domain = domain;
    HostCheck h;
    h.host = "mx.example";
    h.tlsa_owner = owner;
    h.tlsa = std::move(recs);
    h.tlsa_ttl = ttl;
    h.verdict = v;
    AddressCheck a;
    a.address = {false, addr};
    a.verdict = v;
    a.reason = v == Verdict::failed ? "connect: Connection refused" : "";
    a.probe = smtp::ProbeResult{};
    h.addresses.push_back(a);
    r.hosts.push_back(h);
    return r;
}

TEST(BulkFindings, RolloverSchemeCertOnlyTtlAndDeadAddress) {
    const tlsa::Record spki{3, 1, 1, tlsa::Bytes(32, 0x01)};
    const tlsa::Record next{3, 1, 1, tlsa::Bytes(32, 0x02)};
    const tlsa::Record cert{3, 0, 1, tlsa::Bytes(32, 0x03)};
    const tlsa::Record ta{2, 1, 1, tlsa::Bytes(32, 0x04)};
    FindingCollector c;
    c.add(report_with("a.example", "_25._tcp.single.", {spki}, 300, Verdict::dane_validated));
    c.add(report_with("b.example", "_25._tcp.single.", {spki}, 300, Verdict::dane_validated));
    c.add(report_with("c.example", "_25._tcp.pair.", {spki, next}, 300, Verdict::dane_validated));
    c.add(report_with("d.example", "_25._tcp.ta.", {spki, ta}, 300, Verdict::dane_validated));
    c.add(report_with("e.example", "_25._tcp.cert.", {cert}, 300, Verdict::dane_validated));
    c.add(report_with("f.example", "_25._tcp.long.", {spki, next}, 86401, Verdict::dane_validated));
    c.add(report_with("g.example", "_25._tcp.dead.", {spki, next}, 300, Verdict::failed, "192.0.2.99"));
    c.add(report_with("h.example", "_25._tcp.dead.", {spki, next}, 300, Verdict::failed, "192.0.2.99"));
    std::vector<std::string> got;
    for (const auto& f : c.findings()) {
        got.push_back(std::string(finding_kind_name(f.kind)) + " " + f.subject + " " + std::to_string(f.domains));
    }
    EXPECT_EQ(got,
              (std::vector<std::string>{"3-0-x-only _25._tcp.cert. 1", "ttl-above-day _25._tcp.long. 1",
                                        "no-rollover-scheme _25._tcp.single. 2", "address-fails-all 192.0.2.99 2"}));
}

/// "NAME 3 1 M HEX" from the corpus's expected records, which the openssl
/// CLI computed (tests/data/make-corpus.sh), never mxdane.
tlsa::Record corpus_record(const std::string& name, int mtype) {
    std::istringstream in(
        mxdane::test::read_file(std::string(MXDANE_SOURCE_DIR) + "/tests/data/corpus/expected/openssl.txt"));
    std::string line;
    const std::string prefix = name + " 3 1 " + std::to_string(mtype) + " ";
    while (std::getline(in, line)) {
        if (line.rfind(prefix, 0) == 0) {
            return tlsa::Record{3, 1, static_cast<std::uint8_t>(mtype), *sys::hex_decode(line.substr(prefix.size()))};
        }
    }
    throw std::runtime_error("no " + prefix + "in expected/openssl.txt");
}

/// The finding of a report whose one address served `spki` (none when empty).
std::vector<std::string> scheme_findings(const std::vector<tlsa::Record>& rrset, const tlsa::Bytes& spki) {
    Report r = report_with("a.example", "_25._tcp.mx.example.", rrset, 300, Verdict::dane_validated);
    if (!spki.empty()) {
        r.hosts[0].addresses[0].probe->served_spki = spki;
    }
    FindingCollector c;
    c.add(r);
    std::vector<std::string> got;
    for (const auto& f : c.findings()) {
        got.push_back(std::string(finding_kind_name(f.kind)) + ": " + f.detail);
    }
    return got;
}

// Issue #22: the rollover-scheme finding counts keys, not records.
TEST(BulkFindings, TwoDigestsOfTheServedKeyAreOneKey) {
    const tlsa::Bytes served = corpus_record("rsa2048.pem", 0).data; // its SPKI
    const auto got = scheme_findings({corpus_record("rsa2048.pem", 1), corpus_record("rsa2048.pem", 2)}, served);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0], "no-rollover-scheme: 2 3 1 x records of one key and no 2 x x: the next key cannot be "
                      "pre-published (RFC 7671 §8.1); publish current + next 3 1 1");
}

TEST(BulkFindings, A310RecordLinksTheDigestsOfItsKey) {
    const auto got = scheme_findings({corpus_record("rsa2048.pem", 0), corpus_record("rsa2048.pem", 2)}, {});
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].rfind("no-rollover-scheme: 2 3 1 x records of one key", 0), 0U) << got[0];
}

TEST(BulkFindings, DigestsOfTwoKeysUnderDifferentMatchingTypesAreTwoKeys) {
    // The served key is the 3 1 1's; the 3 1 2 is another key's: current + next.
    EXPECT_TRUE(scheme_findings({corpus_record("rsa2048.pem", 1), corpus_record("rsa4096.pem", 2)},
                                corpus_record("rsa2048.pem", 0).data)
                    .empty());
    EXPECT_TRUE(scheme_findings({corpus_record("rsa2048.pem", 1), corpus_record("rsa4096.pem", 1)}, {}).empty());
}

TEST(BulkFindings, WithoutAServedKeyDifferentMatchingTypesCannotBeCompared) {
    const auto got = scheme_findings({corpus_record("rsa2048.pem", 1), corpus_record("rsa2048.pem", 2)}, {});
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].rfind("rollover-scheme-unclear: 3 1 x records of different matching types", 0), 0U) << got[0];
    // A served key that neither record pins links nothing.
    EXPECT_EQ(scheme_findings({corpus_record("rsa2048.pem", 1), corpus_record("rsa2048.pem", 2)},
                              corpus_record("rsa4096.pem", 0).data),
              got);
}

TEST(TlsaPinnedKeys, CountsKeysAsFarAsTheyCanBeTold) {
    const auto a1 = corpus_record("rsa2048.pem", 1);
    const auto a2 = corpus_record("rsa2048.pem", 2);
    const auto b1 = corpus_record("rsa4096.pem", 1);
    const auto b2 = corpus_record("rsa4096.pem", 2);
    const auto a0 = corpus_record("rsa2048.pem", 0);
    const tlsa::Record ta{2, 1, 1, a1.data};
    const tlsa::Record pkix{1, 1, 1, b1.data};
    auto keys = [](const std::vector<tlsa::Record>& rrset, const std::vector<tlsa::Bytes>& known) {
        const auto k = tlsa::pinned_spki_keys(rrset, known);
        return std::to_string(k.at_least) + ".." + std::to_string(k.at_most);
    };
    EXPECT_EQ(keys({}, {}), "0..0");
    EXPECT_EQ(keys({a1}, {}), "1..1");
    EXPECT_EQ(keys({a1, b1}, {}), "2..2");
    EXPECT_EQ(keys({a1, a2}, {}), "1..2");
    EXPECT_EQ(keys({a1, a2}, {a0.data}), "1..1");
    EXPECT_EQ(keys({a1, a2, b1, b2}, {}), "2..4");
    EXPECT_EQ(keys({a1, a2, b1, b2}, {a0.data}), "2..3"); // b's two digests cannot be compared
    EXPECT_EQ(keys({a1, a2, b1, b2}, {a0.data, corpus_record("rsa4096.pem", 0).data}), "2..2");
    EXPECT_EQ(keys({a0, a1, a2}, {}), "1..1");
    EXPECT_EQ(keys({a1, ta, pkix}, {}), "1..1"); // only usable 3 1 x records count
}

/// A resolver many threads may ask at once.
class FakeResolver final : public dns::Resolver {
  public:
    dns::Answer resolve(std::string_view name, dns::RrType type) override {
        const std::lock_guard lock(m_mutex);
        dns::Answer a;
        a.qname = std::string(name);
        a.qtype = type;
        a.security = dns::Security::secure;
        const auto it = m_answers.find({std::string(name), type});
        if (it == m_answers.end()) {
            a.rcode = 3;
            a.nxdomain = true;
            return a;
        }
        a.records = it->second;
        return a;
    }
    void set(const std::string& name, dns::RrType type, std::vector<dns::Rdata> rrs) {
        m_answers[{name, type}] = std::move(rrs);
    }

  private:
    std::mutex m_mutex;
    std::map<std::pair<std::string, dns::RrType>, std::vector<dns::Rdata>> m_answers;
};

TEST(BulkVerdict, NamesAndCounts) {
    EXPECT_EQ(domain_verdict_name(DomainVerdict::validated), "validated");
    EXPECT_EQ(domain_verdict_name(DomainVerdict::degraded), "degraded");
    EXPECT_EQ(domain_verdict_name(DomainVerdict::failed), "failed");
    EXPECT_EQ(domain_verdict_name(DomainVerdict::would_defer), "would-defer");
    EXPECT_EQ(domain_verdict_name(DomainVerdict::no_dane), "no-dane");
    EXPECT_EQ(domain_verdict_name(DomainVerdict::error), "error");
    Counts c;
    for (auto v : {DomainVerdict::validated, DomainVerdict::degraded, DomainVerdict::degraded, DomainVerdict::failed,
                   DomainVerdict::would_defer, DomainVerdict::no_dane, DomainVerdict::error}) {
        c.add(v);
    }
    EXPECT_EQ(c.degraded, 2U);
    EXPECT_EQ(c.total(), 7U);
}

TEST(BulkRun, EveryDomainGetsTheVerdictOfASingleCheck) {
    FakeResolver dns;
    std::vector<std::string> domains;
    for (int i = 0; i < 40; ++i) {
        const std::string d = "d" + std::to_string(i) + ".example";
        const std::string mx = "mx" + std::to_string(i % 4) + ".example";
        domains.push_back(d);
        dns.set(d, dns::RrType::mx, {dns::Mx{10, mx}});
        dns.set(mx, dns::RrType::a, {dns::Address{false, "192.0.2." + std::to_string(i % 4)}});
        if (i % 4 != 3) {
            dns.set("_25._tcp." + mx, dns::RrType::tlsa, {tlsa::Record{3, 1, 1, tlsa::Bytes(32, 0xaa)}});
        }
    }
    domains.push_back("missing.example");
    std::atomic<int> probes{0};
    const Prober inner = [&](const smtp::ProbeRequest& r) {
        ++probes;
        smtp::ProbeResult res;
        res.outcome = r.address == "192.0.2.1" ? smtp::Outcome::no_match : smtp::Outcome::validated;
        return res;
    };
    SharedProber shared(inner, 2);
    const Prober prober = [&](const smtp::ProbeRequest& r) { return shared(r); };
    std::map<std::string, DomainVerdict> got;
    Options opts;
    opts.jobs = 8;
    run(domains, opts, dns, prober,
        [&](DomainResult&& d) { EXPECT_TRUE(got.emplace(d.domain, d.verdict).second) << d.domain; });
    ASSERT_EQ(got.size(), domains.size());
    EXPECT_EQ(probes, 3); // mx0, mx1, mx2: once each; mx3 has no TLSA
    for (const auto& d : domains) {
        Request req = opts.request;
        req.domain = d;
        EXPECT_EQ(got[d], domain_verdict(check::run(req, dns, inner))) << d;
    }
    EXPECT_EQ(got["d1.example"], DomainVerdict::failed);
    EXPECT_EQ(got["d0.example"], DomainVerdict::validated);
    EXPECT_EQ(got["d3.example"], DomainVerdict::no_dane);
    EXPECT_EQ(got["missing.example"], DomainVerdict::failed);
}

TEST(BulkRun, AnErrorInTheSinkStopsTheRunAndIsRethrown) {
    FakeResolver dns;
    const Prober prober = [](const smtp::ProbeRequest&) { return smtp::ProbeResult{}; };
    const std::vector<std::string> domains{"a.example", "b.example", "c.example"};
    int calls = 0;
    EXPECT_THROW(run(domains, {}, dns, prober,
                     [&](DomainResult&&) {
                         ++calls;
                         throw std::runtime_error("disk full");
                     }),
                 std::runtime_error);
    EXPECT_EQ(calls, 1);
}

} // namespace
