// mxdane check, the real binary, against the lab: NSD serving DNSSEC-signed
// test. zones, Postfix and misbehaving Python peers on loopback
// (tests/lab/labctl, started by the lab_start CTest fixture). Every scenario
// of issue #4 asserts its verdict lines and exit code; expected TLSA values
// come from the openssl CLI, never from mxdane.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "lab_harness.h"

namespace {
using namespace mxdane::test;

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

/// 3 1 1 of a certificate or key file, by the openssl CLI.
std::string spki_sha256(const std::string& file, bool is_key) {
    const std::string pub = is_key
                                ? "openssl pkey -in '" + file + "' -pubout -outform DER"
                                : "openssl x509 -in '" + file + "' -pubkey -noout | openssl pkey -pubin -outform DER";
    return trim(shell(pub + " | openssl dgst -sha256 | sed 's/.*= //'"));
}

std::vector<std::string> lines(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    std::string l;
    while (std::getline(in, l)) {
        out.push_back(l);
    }
    return out;
}

/// "mx1.secure.test[127.0.1.1]:<port> "
std::string at(const std::string& host, const std::string& addr) {
    return host + "[" + addr + "]:" + env("LAB_SMTP_PORT") + " ";
}

/// at() for the scenario table, which is built before the lab runs (test
/// discovery): "@PORT@" becomes the lab's SMTP port in the test body.
std::string at_later(const std::string& host, const std::string& addr) {
    return host + "[" + addr + "]:@PORT@ ";
}

std::string with_port(std::string line) {
    const auto p = line.find("@PORT@");
    if (p != std::string::npos) {
        line.replace(p, 6, env("LAB_SMTP_PORT"));
    }
    return line;
}

struct Scenario {
    std::string name;
    std::string domain;
    int exit_code;
    std::vector<std::string> expected; ///< whole stdout lines, in order, with others allowed between
};

void expect_lines(const RunResult& r, const std::vector<std::string>& want) {
    const auto got = lines(r.out);
    std::size_t i = 0;
    for (const auto& w : want) {
        while (i < got.size() && got[i] != w) {
            ++i;
        }
        EXPECT_LT(i, got.size()) << "missing line: " << w << "\nstdout:\n" << r.out << "stderr:\n" << r.err;
    }
}

std::vector<Scenario> scenarios() {
    const std::string ok = "dane-validated (3 1 1 matched)";
    return {
        {"good", "good.secure.test", 0, {at_later("mx1.secure.test", "127.0.1.1") + ok}},
        {"next", "next.secure.test", 0, {at_later("mx3.secure.test", "127.0.1.3") + ok}},
        {"reissue", "reissue.secure.test", 0, {at_later("mx4.secure.test", "127.0.1.4") + ok}},
        {"notlsa",
         "notlsa.secure.test",
         3,
         {at_later("mx5.secure.test", "127.0.1.5") +
          "no DANE: secure NODATA for TLSA at _25._tcp.mx5.secure.test (senders use opportunistic TLS)"}},
        {"notlsa-nx",
         "notlsa-nx.secure.test",
         3,
         {at_later("mx10.secure.test", "127.0.1.10") +
          "no DANE: secure NXDOMAIN for TLSA at _25._tcp.mx10.secure.test (senders use opportunistic TLS)"}},
        {"insecure",
         "insecure.test",
         3,
         {at_later("mx6.insecure.test", "127.0.1.6") +
          "no DANE: the A records of mx6.insecure.test are insecure: no TLSA lookup (RFC 7672 §2.2.2)"}},
        {"insecure-host",
         "insecmx.secure.test",
         3,
         {at_later("mx6.insecure.test", "127.0.1.6") +
          "no DANE: the A records of mx6.insecure.test are insecure: no TLSA lookup (RFC 7672 §2.2.2)"}},
        {"servfail",
         "servfail.secure.test",
         1,
         {at_later("mx8.secure.test", "127.0.1.8") +
          "would defer: TLSA lookup SERVFAIL (_25._tcp.mx8.secure.test, rcode 2)"}},
        {"cname", "cname.secure.test", 0, {at_later("mx-cname.secure.test", "127.0.1.9") + ok}},
        // A secure alias into the unsigned zone: DANE at the original name
        // (RFC 7672 §2.2.2); posttls-finger agrees (LabPeer).
        {"cname-insecure", "cnameins.secure.test", 0, {at_later("mx-cnins.secure.test", "127.0.1.6") + ok}},
        {"cname-insecure-bad",
         "cnameinsbad.secure.test",
         1,
         {at_later("mx-cninsbad.secure.test", "127.0.1.6") + "FAILED: no TLSA record matches the server key"}},
        // Senders skip mx2 and deliver through mx1: delivered, not on every path.
        {"two",
         "two.secure.test",
         5,
         {at_later("mx2.secure.test", "127.0.1.2") + "FAILED: no TLSA record matches the server key",
          at_later("mx1.secure.test", "127.0.1.1") + ok}},
        {"nostarttls",
         "nostarttls.secure.test",
         1,
         {at_later("mx11.secure.test", "127.0.1.11") +
          "FAILED: the server does not offer STARTTLS, but TLSA records exist"}},
        {"expired", "expired.secure.test", 0, {at_later("mx12.secure.test", "127.0.1.12") + ok}},
        {"wrongname", "wrongname.secure.test", 0, {at_later("mx13.secure.test", "127.0.1.13") + ok}},
        {"ta",
         "ta.secure.test",
         0,
         {at_later("mx14.secure.test", "127.0.1.14") + "dane-validated (2 1 1 matched, name mx14.secure.test)"}},
        {"ta-nexthop",
         "tanexthop.secure.test",
         0,
         {at_later("mx19.secure.test", "127.0.1.19") + "dane-validated (2 1 1 matched, name tanexthop.secure.test)"}},
        {"unusable",
         "unusable.secure.test",
         1,
         {at_later("mx24.secure.test", "127.0.1.11") +
          "FAILED: the server does not offer STARTTLS, but TLSA records exist (only unusable TLSA records, but TLS "
          "is still mandatory: RFC 7672 §2.2)"}},
        {"slow", "slow.secure.test", 0, {at_later("mx22.secure.test", "127.0.1.22") + ok}},
        {"inject", "inject.secure.test", 0, {at_later("mx23.secure.test", "127.0.1.23") + ok}},
    };
}

void PrintTo(const Scenario& s, std::ostream* os) {
    *os << s.name;
}

class LabScenario : public ::testing::TestWithParam<Scenario> {};

TEST_P(LabScenario, VerdictLinesAndExitCode) {
    const Scenario& s = GetParam();
    const auto r = run_mxdane(lab_args({s.domain}));
    EXPECT_EQ(r.exit_code, s.exit_code) << r.out << r.err;
    std::vector<std::string> want;
    for (const auto& l : s.expected) {
        want.push_back(with_port(l));
    }
    expect_lines(r, want);
    const auto all = lines(r.out);
    ASSERT_FALSE(all.empty());
    EXPECT_EQ(all.back().rfind("summary: " + s.domain + ": ", 0), 0U) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Issue4, LabScenario, ::testing::ValuesIn(scenarios()), [](const auto& param_info) {
    std::string n = param_info.param.name;
    for (auto& c : n) {
        c = c == '-' ? '_' : c;
    }
    return n;
});

TEST(LabCheck, MismatchPrintsPublishedAndServedRecords) {
    const auto r = run_mxdane(lab_args({"mismatch.secure.test"}));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    expect_lines(r,
                 {at("mx2.secure.test", "127.0.1.2") + "FAILED: no TLSA record matches the server key",
                  "  published: _25._tcp.mx2.secure.test. IN TLSA 3 1 1 " + spki_sha256(env("LAB_OTHER_KEY"), true),
                  "  served:    _25._tcp.mx2.secure.test. IN TLSA 3 1 1 " + spki_sha256(env("LAB_MX2_CERT"), false)});
}

TEST(LabCheck, BogusMxWouldDeferWithWhyBogus) {
    const auto r = run_mxdane(lab_args({"bogus.test"}));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const auto l = lines(r.out);
    ASSERT_FALSE(l.empty());
    EXPECT_EQ(l[0].rfind("bogus.test MX would defer: MX lookup bogus (bogus.test: validation failure", 0), 0U) << r.out;
    const auto j = nlohmann::json::parse(run_mxdane(lab_args({"--json", "bogus.test"})).out);
    EXPECT_EQ(j["lookups"][0]["type"], "MX");
    EXPECT_EQ(j["lookups"][0]["security"], "bogus");
    EXPECT_NE(j["lookups"][0]["why_bogus"].get<std::string>(), "");
    EXPECT_EQ(j["mx"]["verdict"], "would-defer");
    EXPECT_EQ(j["exit"], 1);
}

TEST(LabCheck, JsonHasEveryStepAndTheMatchedRecord) {
    const auto r = run_mxdane(lab_args({"--json", "cname.secure.test"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["overall"], "all-validated");
    const auto& h = j["hosts"][0];
    EXPECT_EQ(h["host"], "mx-cname.secure.test");
    EXPECT_EQ(h["base_name"], "mx9.secure.test"); // §2.2.3: the expanded name first
    const auto& p = h["addresses"][0]["probe"];
    std::vector<std::string> steps;
    for (const auto& s : p["steps"]) {
        steps.push_back(s["step"]);
        EXPECT_TRUE(s["ok"].get<bool>()) << s.dump();
    }
    EXPECT_EQ(steps,
              (std::vector<std::string>{"connect", "banner", "ehlo", "starttls", "tls", "dane", "ehlo-tls", "quit"}));
    const std::string served = spki_sha256(env("LAB_MX9_CERT"), false);
    EXPECT_EQ(p["matched"]["data"], served);
    EXPECT_EQ(p["served"]["data"], served);
    bool secure_a = false;
    for (const auto& l : j["lookups"]) {
        if (l["name"] == "mx-cname.secure.test" && l["type"] == "A") {
            secure_a = l["security"] == "secure" && l["canonical"] == "mx9.secure.test";
        }
    }
    EXPECT_TRUE(secure_a) << j["lookups"].dump();
}

TEST(LabCheck, MxOptionSkipsTheMxLookup) {
    const auto r = run_mxdane(lab_args({"--mx", "mx1.secure.test"}));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    expect_lines(r, {at("mx1.secure.test", "127.0.1.1") + "dane-validated (3 1 1 matched)"});
}

TEST(LabCheck, GarbageBannerFails) {
    const auto r = run_mxdane(lab_args({"garbage.secure.test"}));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find(at("mx21.secure.test", "127.0.1.21") + "FAILED: the server does not speak SMTP"),
              std::string::npos)
        << r.out;
}

TEST(LabCheck, SlowServerTimesOutUnderAShortTimeout) {
    // The peer waits LAB_SLOW_DELAY (2) s before each reply; 1 s per step
    // is not enough. No timing is asserted, only the verdict.
    const auto r = run_mxdane(lab_args({"slow.secure.test"}, "1"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find(at("mx22.secure.test", "127.0.1.22") + "FAILED: no answer within 1 s at banner"),
              std::string::npos)
        << r.out;
}

TEST(LabCheck, InjectedPlaintextIsDroppedAndReported) {
    const auto r = run_mxdane(lab_args({"--json", "inject.secure.test"}));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_GT(j["hosts"][0]["addresses"][0]["probe"]["discarded_plaintext"].get<int>(), 0);
    // One warnings list: in the JSON, in the text, and in the bulk run's.
    const std::string said = "(STARTTLS injection); mxdane dropped them";
    ASSERT_EQ(j["warnings"].size(), 1U) << r.out;
    EXPECT_NE(j["warnings"][0].get<std::string>().find(said), std::string::npos) << r.out;
    const auto t = run_mxdane(lab_args({"inject.secure.test"}));
    EXPECT_NE(t.err.find("warning: " + at("mx23.secure.test", "127.0.1.23") + "sent "), std::string::npos) << t.err;
    RunOptions in;
    in.stdin_data = "inject.secure.test\n";
    const auto b = run_mxdane(lab_args({"--domains", "-"}), in);
    EXPECT_NE(b.err.find("warning: inject.secure.test: mx23.secure.test[127.0.1.23]"), std::string::npos) << b.err;
    EXPECT_NE(b.err.find(said), std::string::npos) << b.err;
}

TEST(LabCheck, ConnectionRefusedFails) {
    // Nothing listens on port 1 of the lab's SMTP addresses.
    auto args = lab_args({"good.secure.test"});
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] == "--port") {
            args[i + 1] = "1";
        }
    }
    const auto r = run_mxdane(args);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("mx1.secure.test[127.0.1.1]:1 FAILED: connect: Connection refused"), std::string::npos)
        << r.out;
}

TEST(LabCheck, AWrongTrustAnchorIsThisMachinesFaultNotTheDomains) {
    // A DS for test. that matches none of its keys: every answer is bogus.
    // That says nothing about the domain: exit 2 "this machine cannot
    // validate", never "would defer", "validated" or "no DANE" (issue #22).
    // (The root key would not do: unbound would try the real root servers.)
    const TempDir dir;
    const std::string ta = (dir.path() / "wrong.ds").string();
    shell("echo 'test. IN DS 12345 13 2 " + std::string(64, 'a') + "' > '" + ta + "'");
    std::vector<std::string> args;
    for (const auto& a : lab_args({"good.secure.test"})) {
        args.push_back(a == env("LAB_TRUST_ANCHOR") ? ta : a);
    }
    const auto r = run_mxdane(args);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(
        r.err.rfind("error: this machine cannot validate: the SOA lookup of the trust anchor's zone test. is bogus "
                    "(",
                    0),
        0U)
        << r.err;
    EXPECT_NE(r.err.find("(MX lookup bogus (good.secure.test: "), std::string::npos) << r.err;
}

/// A UDP socket on loopback that takes queries and never answers.
class SilentDns {
  public:
    SilentDns() : m_fd(::socket(AF_INET, SOCK_DGRAM, 0)) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
        auto* sa = reinterpret_cast<sockaddr*>(&a);
        if (m_fd < 0 || ::bind(m_fd, sa, len) != 0 || ::getsockname(m_fd, sa, &len) != 0) {
            throw std::runtime_error("cannot make a silent DNS socket");
        }
        m_port = ntohs(a.sin_port);
    }
    SilentDns(const SilentDns&) = delete;
    SilentDns& operator=(const SilentDns&) = delete;
    SilentDns(SilentDns&&) = delete;
    SilentDns& operator=(SilentDns&&) = delete;
    ~SilentDns() { ::close(m_fd); }
    [[nodiscard]] int port() const { return m_port; }

  private:
    int m_fd;
    int m_port = 0;
};

/// lab_args with the stub for test. (the zone of the lab's trust anchor)
/// pointed at `server`; the stub for secure.test. still answers.
std::vector<std::string> with_test_stub_at(const std::string& server, const std::string& timeout) {
    std::vector<std::string> args;
    for (const auto& a : lab_args({"good.secure.test"}, timeout)) {
        args.push_back(a.rfind("test.=", 0) == 0 ? "test.=" + server : a);
    }
    return args;
}

// Issue #22: when the trust anchor's zone cannot be fetched, the check ends
// within --timeout (+1 s; more under ASan, whose start is slower) with exit
// 2 naming the local cause, never "would defer".
TEST(LabCheck, AnAnchorZoneWhoseServerIsSilentOrRefusesIsThisMachinesFault) {
    const SilentDns silent;
    const std::vector<std::string> servers{"127.0.0.1@" + std::to_string(silent.port()), "127.0.0.1@1"};
    for (const auto& server : servers) {
        SCOPED_TRACE(server);
        const auto args = with_test_stub_at(server, "3");
        ASSERT_NE(std::find(args.begin(), args.end(), "test.=" + server), args.end()) << env("LAB_STUB_ZONES");
        const auto start = std::chrono::steady_clock::now();
        const auto r = run_mxdane(args);
        const auto took = std::chrono::steady_clock::now() - start;
        EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
        EXPECT_EQ(r.out.find("would defer"), std::string::npos) << r.out;
        const bool named = r.err.rfind("error: DNS lookup timed out (no answer in time for ", 0) == 0 ||
                           r.err.rfind("error: this machine cannot validate: ", 0) == 0;
        EXPECT_TRUE(named) << r.err;
        EXPECT_LT(took, std::chrono::seconds(sanitized_build ? 6 : 4)) << r.err;
    }
}

} // namespace

namespace {
using namespace mxdane::test;

bool has_line(const RunResult& r, const std::string& line) {
    const auto l = lines(r.out);
    return std::find(l.begin(), l.end(), line) != l.end();
}

bool has_warning(const RunResult& r, const std::string& part) {
    return r.err.find("warning: ") != std::string::npos && r.err.find(part) != std::string::npos;
}

// Records added by tests/labtests/lab-extra.sh at fixture start.

TEST(LabExtra, DaneTaChecksTheName) {
    const auto r = run_mxdane(lab_args({"--mx", "mx14b.secure.test"}));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(has_line(r, at("mx14b.secure.test", "127.0.1.14") +
                                "FAILED: the certificate does not name mx14b.secure.test (a DANE-TA(2) match requires "
                                "the name, RFC 7672 §3.2.2)"))
        << r.out;
}

TEST(LabExtra, DigestAgilityIsTheReasonGiven) {
    // The oracle: openssl's DANE client against the same server, with the
    // same two records, and with the 3 1 1 alone.
    const std::string mx1 = trim(shell("openssl x509 -in '" + env("LAB_MX1_CERT") +
                                       "' -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r "
                                       "| cut -d' ' -f1"));
    const std::string stale = trim(shell("printf stale | openssl dgst -sha512 -r | cut -d' ' -f1"));
    const auto openssl_accepts = [&](const std::string& rrdata) {
        return run_process({"sh", "-c",
                            "echo QUIT | openssl s_client -connect 127.0.1.1:" + env("LAB_SMTP_PORT") +
                                " -starttls smtp -dane_ee_no_namechecks -dane_tlsa_domain mx32.secure.test" + rrdata +
                                " -verify_return_error >/dev/null 2>&1"})
                   .exit_code == 0;
    };
    EXPECT_TRUE(openssl_accepts(" -dane_tlsa_rrdata '3 1 1 " + mx1 + "'"));
    EXPECT_FALSE(openssl_accepts(" -dane_tlsa_rrdata '3 1 1 " + mx1 + "' -dane_tlsa_rrdata '3 1 2 " + stale + "'"));
    const auto r = run_mxdane(lab_args({"--mx", "mx32.secure.test"}));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(has_line(r, at("mx32.secure.test", "127.0.1.1") + "FAILED: 3 1 1 " + mx1.substr(0, 16) +
                                "... would match the server key, but it is ignored because 3 1 2 " +
                                stale.substr(0, 16) +
                                "... is present: with a SHA2-512 record for usage 3 and selector 1, senders ignore "
                                "the SHA2-256 ones (digest algorithm agility, RFC 7671 §9); publish the server key's "
                                "matching record of that digest, or remove the stronger one"))
        << r.out;
    // The --json output of a real check against its schema (README "JSON").
    const auto j = run_mxdane(lab_args({"--json", "--mx", "mx32.secure.test"}));
    const TempDir dir;
    std::ofstream(dir.path() / "check.json") << j.out;
    const auto v =
        run_process({"python3", std::string(MXDANE_SOURCE_DIR) + "/tests/json/validate_json.py", "--validate",
                     std::string(MXDANE_SOURCE_DIR) + "/schema", "check.json", (dir.path() / "check.json").string()});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

TEST(LabExtra, WarningsFromRealRecords) {
    const auto w = run_mxdane(lab_args({"warn.secure.test"}));
    EXPECT_EQ(w.exit_code, 0) << w.out << w.err;
    EXPECT_TRUE(has_line(w, at("mx30.secure.test", "127.0.1.1") + "dane-validated (3 0 1 matched)")) << w.out;
    EXPECT_TRUE(has_warning(w, "_25._tcp.mx30.secure.test.: only 3 0 x records")) << w.err;
    EXPECT_TRUE(has_warning(w, "TLSA records at _25._tcp.warn.secure.test. are never used")) << w.err;
    EXPECT_TRUE(has_warning(w, "_mta-sts.warn.secure.test announces an MTA-STS policy, but a server sends a "
                               "self-signed certificate"))
        << w.err;

    const auto m = run_mxdane(lab_args({"--mx", "mx31.secure.test"}));
    EXPECT_EQ(m.exit_code, 0) << m.out << m.err;
    EXPECT_TRUE(has_line(m, at("mx31.secure.test", "127.0.1.1") + "dane-validated (3 1 1 matched)")) << m.out;
    EXPECT_TRUE(has_warning(m, "_25._tcp.mx31.secure.test.: 1 1 1 record: usage 1 (PKIX) is not used for SMTP"))
        << m.err;
    EXPECT_TRUE(has_warning(m, "_25._tcp.mx31.secure.test.: 9 TLSA records; more than 8")) << m.err;
    EXPECT_TRUE(has_warning(m, "_25._tcp.mx31.secure.test.: TLSA TTL 86401 s is above a day")) << m.err;
}

TEST(LabExtra, TlsHandshakeFailureFails) {
    const TempDir dir;
    const auto portfile = dir.path() / "port";
    const std::string pid = shell(std::string(MXDANE_SOURCE_DIR) + "/tests/labtests/badtls_peer.py 127.0.1.1 '" +
                                  portfile.string() + "' </dev/null >/dev/null 2>&1 & echo $!");
    // Poll for the port file (no sleeps in assertions: this only waits).
    shell("for i in $(seq 200); do [ -s '" + portfile.string() + "' ] && exit 0; sleep 0.05; done; exit 1");
    const std::string port = read_file(portfile);
    auto args = lab_args({"--mx", "mx1.secure.test"});
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] == "--port") {
            args[i + 1] = port;
        }
    }
    const auto r = run_mxdane(args);
    shell("kill " + pid + " 2>/dev/null || true");
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("mx1.secure.test[127.0.1.1]:" + port + " FAILED: TLS handshake failed: "), std::string::npos)
        << r.out;
}

} // namespace
