// mxdane check --domains, the real binary, against the lab: every domain's
// verdict equals a single check's, a silent MX address costs one timeout,
// --per-host is never exceeded (counted by tests/labtests/count_peer.py), and
// a killed run resumes without checking a domain twice.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "lab_harness.h"

namespace {
using namespace mxdane::test;

std::vector<std::string> split_lines(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    std::string l;
    while (std::getline(in, l)) {
        out.push_back(l);
    }
    return out;
}

/// Every line of JSON Lines output that is a domain's object, by domain.
std::map<std::string, nlohmann::json> by_domain(const std::string& out) {
    std::map<std::string, nlohmann::json> m;
    for (const auto& l : split_lines(out)) {
        const auto j = nlohmann::json::parse(l, nullptr, false);
        if (j.is_object() && j.contains("domain")) {
            EXPECT_TRUE(m.emplace(j["domain"].get<std::string>(), j).second) << "twice: " << l;
        }
    }
    return m;
}

nlohmann::json summary_of(const std::string& out) {
    const auto l = split_lines(out);
    return l.empty() ? nlohmann::json() : nlohmann::json::parse(l.back(), nullptr, false);
}

/// The parts of a check --json object that make the verdict.
std::string verdicts(const nlohmann::json& j) {
    std::string s = "exit " + j["exit"].dump() + " overall " + j["overall"].dump() + " mx " + j["mx"].dump();
    for (const auto& h : j["hosts"]) {
        s += " | " + h["host"].get<std::string>() + " " + h["verdict"].get<std::string>() + " " +
             h["reason"].get<std::string>();
        for (const auto& a : h["addresses"]) {
            s += " [" + a["address"].get<std::string>() + " " + a["verdict"].get<std::string>() + " " +
                 a["reason"].get<std::string>() + "]";
        }
    }
    return s;
}

std::string write_list(const TempDir& dir, const std::string& text) {
    const auto p = (dir.path() / "list.txt").string();
    std::ofstream(p) << text;
    return p;
}

/// count_peer.py on the lab's SMTP port: 127.0.1.40 silent, 127.0.1.41
/// counting. Stopped when the object goes away. One at a time: ctest runs
/// lab tests in parallel, and every peer binds the same two addresses, so a
/// peer holds a lock in the lab's directory while it lives.
class CountPeer {
  public:
    explicit CountPeer(const TempDir& dir)
        : m_lock(::open(MXDANE_LAB_DIR "/count_peer.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0600)),
          m_log((dir.path() / "peer.log").string()) {
        if (m_lock < 0 || ::flock(m_lock, LOCK_EX) != 0) {
            throw std::runtime_error("cannot lock " MXDANE_LAB_DIR "/count_peer.lock");
        }
        const std::string ready = (dir.path() / "ready").string();
        m_pid = shell(std::string(MXDANE_SOURCE_DIR) + "/tests/labtests/count_peer.py " + env("LAB_SMTP_PORT") + " '" +
                      ready + "' '" + m_log + "' </dev/null >/dev/null 2>&1 & echo $!");
        // Waits for the listeners (no sleep in an assertion: this only polls).
        shell("for i in $(seq 200); do [ -s '" + ready + "' ] && exit 0; sleep 0.05; done; exit 1");
    }
    CountPeer(const CountPeer&) = delete;
    CountPeer& operator=(const CountPeer&) = delete;
    ~CountPeer() {
        try {
            // Gone before the lock is released: the next peer binds the same addresses.
            shell("kill " + m_pid + " 2>/dev/null; for i in $(seq 100); do kill -0 " + m_pid +
                  " 2>/dev/null || exit 0; sleep 0.05; done; exit 0");
        } catch (...) { // NOLINT(bugprone-empty-catch): nothing to do in a destructor
        }
        ::close(m_lock);
    }
    /// Connections accepted at `addr`, and the most open at once.
    [[nodiscard]] std::pair<int, int> counts(const std::string& addr) const {
        int opened = 0;
        int most = 0;
        for (const auto& l : split_lines(read_file(m_log))) {
            std::istringstream in(l);
            std::string a;
            std::string what;
            int n = 0;
            in >> a >> what >> n;
            if (a == addr && what == "open") {
                ++opened;
                most = std::max(most, n);
            }
        }
        return {opened, most};
    }

  private:
    int m_lock;
    std::string m_log;
    std::string m_pid;
};

TEST(LabBulk, EveryVerdictEqualsASingleCheck) {
    const TempDir dir;
    const CountPeer peer(dir);
    std::set<std::string> domains;
    std::size_t entries = 0;
    std::string list = "# every lab scenario, then the extras\n\n";
    for (const auto& l : split_lines(read_file(env("LAB_SCENARIOS")))) {
        const auto tab = l.find('\t');
        const auto tab2 = l.find('\t', tab + 1);
        if (l.rfind("scenario", 0) == 0 || tab == std::string::npos) {
            continue;
        }
        const std::string d = l.substr(tab + 1, tab2 - tab - 1);
        domains.insert(d);
        list += d + "\n";
        ++entries;
    }
    ASSERT_GE(domains.size(), 18U);
    entries += 2;
    list += "GOOD.secure.test.   # a duplicate in another spelling\n";
    list += "mismatch.secure.test\n";
    for (const std::string d :
         {"nope.secure.test", "warn.secure.test", "dead1.secure.test", "cap1.secure.test", "tarpit1.secure.test"}) {
        domains.insert(d);
        list += d + "\n";
        ++entries;
    }
    const auto r = run_mxdane(lab_args({"--json", "--domains", write_list(dir, list)}, "4"));
    const auto got = by_domain(r.out);
    ASSERT_EQ(got.size(), domains.size()) << r.out << r.err;
    for (const auto& d : domains) {
        ASSERT_EQ(got.count(d), 1U) << d;
        const auto single = run_mxdane(lab_args({"--json", d}, "4"));
        const auto sj = nlohmann::json::parse(single.out);
        EXPECT_EQ(verdicts(got.at(d)), verdicts(sj)) << d;
        EXPECT_EQ(got.at(d)["exit"].get<int>(), single.exit_code) << d;
    }
    // The worst verdict: some domain fails (1).
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const auto s = summary_of(r.out);
    EXPECT_EQ(s["summary"]["domains"], domains.size());
    EXPECT_EQ(s["summary"]["duplicates"], entries - domains.size());
    EXPECT_EQ(s["exit"], 1);
    EXPECT_NE(r.err.find("summary: " + std::to_string(domains.size()) + " domains: "), std::string::npos) << r.err;
}

TEST(LabBulk, ASilentAddressCostsOneTimeout) {
    const TempDir dir;
    const CountPeer peer(dir);
    // Three domains, three MX host names, one address that never greets.
    const auto r = run_mxdane(lab_args(
        {"--json", "--domains", write_list(dir, "dead1.secure.test\ndead2.secure.test\ndead3.secure.test\n")}, "2"));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const auto got = by_domain(r.out);
    ASSERT_EQ(got.size(), 3U) << r.out;
    for (const auto& [d, j] : got) {
        EXPECT_EQ(j["hosts"][0]["addresses"][0]["reason"], "no answer within 2 s at banner") << d;
    }
    EXPECT_EQ(peer.counts("127.0.1.40").first, 1);
    EXPECT_NE(r.err.find("finding: address-fails-all 127.0.1.40 (3 domains)"), std::string::npos) << r.err;
}

// Issue #22: 40 domains behind one tarpit (a banner, then nothing) took
// 63 s at --timeout 3; a stall at any step now costs the run one timeout.
TEST(LabBulk, ATarpitCostsOneTimeout) {
    const TempDir dir;
    const CountPeer peer(dir);
    std::string list;
    for (int i = 1; i <= 3; ++i) {
        list += "tarpit" + std::to_string(i) + ".secure.test\n";
    }
    const auto r = run_mxdane(lab_args({"--json", "--domains", write_list(dir, list)}, "2"));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const auto got = by_domain(r.out);
    ASSERT_EQ(got.size(), 3U) << r.out;
    for (const auto& [d, j] : got) {
        EXPECT_EQ(j["hosts"][0]["addresses"][0]["reason"], "no answer within 2 s at ehlo") << d;
    }
    EXPECT_EQ(peer.counts("127.0.1.42").first, 1);
}

// A sender tries at most smtp_mx_address_limit (5) addresses: many has 8
// silent hosts of one preference; the check probes the budget's hosts and
// says which it did not try.
TEST(LabBulk, ASingleCheckTriesTheAddressesASenderTries) {
    for (const auto& [limit, tried] : std::vector<std::pair<std::string, int>>{{"", 5}, {"2", 2}}) {
        SCOPED_TRACE("--max-addresses " + limit);
        const TempDir dir;
        const CountPeer peer(dir);
        std::vector<std::string> args{"--json", "many.secure.test"};
        if (!limit.empty()) {
            args.insert(args.end(), {"--max-addresses", limit});
        }
        const auto r = run_mxdane(lab_args(args, "1"));
        EXPECT_EQ(r.exit_code, 1) << r.err;
        const auto j = nlohmann::json::parse(r.out);
        EXPECT_EQ(j["hosts"].size(), static_cast<std::size_t>(tried));
        EXPECT_EQ(j["not_tried"].size(), static_cast<std::size_t>(8 - tried));
        EXPECT_EQ(j["max_addresses"], limit.empty() ? 5 : std::stoi(limit));
        EXPECT_EQ(j["overall"], "deferred");
        EXPECT_EQ(peer.counts("127.0.1.40").first, tried);
        EXPECT_NE(r.err.find("warning: " + std::to_string(8 - tried) +
                             " MX hosts of preference 10 were not checked: they come after the first "),
                  std::string::npos)
            << r.err;
    }
    // The text names each host not tried.
    const TempDir dir;
    const CountPeer peer(dir);
    const auto r = run_mxdane(lab_args({"many.secure.test", "--max-addresses", "7"}, "1"));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.out.find("\nmxmany8.secure.test not tried: it comes after the first 7 addresses in MX order, and a "
                         "sender tries no more (--max-addresses)\n"),
              std::string::npos)
        << r.out;
}

TEST(LabBulk, PerHostIsNeverExceeded) {
    const TempDir dir;
    std::string list;
    for (int i = 1; i <= 6; ++i) {
        list += "cap" + std::to_string(i) + ".secure.test\n";
    }
    const auto path = write_list(dir, list);
    for (const std::string per_host : {"1", "2", "3"}) {
        const TempDir d2;
        const CountPeer peer(d2);
        // 1, 2 and 3 resolver contexts: the same verdicts and limits.
        const auto r = run_mxdane(
            lab_args({"--domains", path, "--jobs", "6", "--per-host", per_host, "--dns-threads", per_host}, "5"));
        EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
        EXPECT_EQ(split_lines(r.out).size(), 6U) << r.out;
        const auto [opened, most] = peer.counts("127.0.1.41");
        EXPECT_EQ(opened, 6) << "each MX host name is its own probe";
        EXPECT_LE(most, std::stoi(per_host));
        EXPECT_GE(most, 1);
    }
}

TEST(LabBulk, AKilledRunResumesWithoutRepeatingADomain) {
    const TempDir dir;
    std::set<std::string> domains;
    std::string list;
    for (const auto& l : split_lines(read_file(env("LAB_SCENARIOS")))) {
        const auto tab = l.find('\t');
        if (l.rfind("scenario", 0) == 0 || tab == std::string::npos) {
            continue;
        }
        const std::string d = l.substr(tab + 1, l.find('\t', tab + 1) - tab - 1);
        if (domains.insert(d).second) {
            list += d + "\n";
        }
    }
    const auto path = write_list(dir, list);
    const auto out = (dir.path() / "out.jsonl").string();
    // One walk at a time and the slow peer (2 s per reply) in the list: a
    // kill after 3 s lands halfway. Where it lands does not matter for the
    // assertion, only that every domain ends up exactly once.
    RunOptions kill;
    kill.kill_after = std::chrono::seconds(3);
    const auto first = run_mxdane(lab_args({"--json", "--jobs", "1", "--domains", path}), kill);
    std::ofstream(out) << first.out;
    const auto second = run_mxdane(lab_args({"--json", "--jobs", "4", "--domains", path, "--resume", out}));
    EXPECT_NE(second.exit_code, -1) << second.err;
    const auto a = by_domain(first.out);
    const auto b = by_domain(second.out);
    std::map<std::string, int> seen;
    for (const auto* part : {&a, &b}) {
        for (const auto& [d, j] : *part) {
            ++seen[d];
        }
    }
    EXPECT_EQ(seen.size(), domains.size());
    for (const auto& [d, n] : seen) {
        EXPECT_EQ(n, 1) << d;
    }
    EXPECT_EQ(summary_of(second.out)["summary"]["already_done"], a.size());
}

TEST(LabBulk, ABadLineIsReportedAndTheOthersStillChecked) {
    const TempDir dir;
    const auto r =
        run_mxdane(lab_args({"--domains", write_list(dir, "good.secure.test\nexa mple.net\nnext.secure.test\n")}));
    EXPECT_EQ(r.exit_code, 64) << r.out << r.err;
    EXPECT_NE(r.err.find("error: " + (dir.path() / "list.txt").string() +
                         ":2: 'exa mple.net': whitespace is not allowed in a host name\n"),
              std::string::npos)
        << r.err;
    const auto l = split_lines(r.out);
    EXPECT_EQ(l.size(), 2U) << r.out;
    for (const auto& line : l) {
        EXPECT_NE(line.find(" validated (1 of 1 MX hosts)"), std::string::npos) << line;
    }
}

TEST(LabBulk, TextModePrintsEachDomainsWarningsOnStderr) {
    const TempDir dir;
    const auto r = run_mxdane(lab_args({"--domains", write_list(dir, "warn.secure.test\ngood.secure.test\n")}));
    const auto l = split_lines(r.out);
    EXPECT_EQ(l.size(), 2U) << r.out;
    EXPECT_NE(r.err.find("warning: warn.secure.test: TLSA records at _25._tcp.warn.secure.test. are never used"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("warning: warn.secure.test: _mta-sts.warn.secure.test announces an MTA-STS policy"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("warning: good.secure.test"), std::string::npos) << r.err;
}

TEST(LabBulk, StdinAndShardsCoverTheList) {
    std::string list;
    std::set<std::string> domains;
    for (const std::string d : {"good.secure.test", "next.secure.test", "notlsa.secure.test", "insecure.test",
                                "bogus.test", "cname.secure.test", "nope.secure.test"}) {
        list += d + "\n";
        domains.insert(d);
    }
    std::map<std::string, int> seen;
    for (int k = 1; k <= 3; ++k) {
        RunOptions in;
        in.stdin_data = list;
        const auto r = run_mxdane(lab_args({"--json", "--domains", "-", "--shard", std::to_string(k) + "/3"}), in);
        for (const auto& [d, j] : by_domain(r.out)) {
            ++seen[d];
        }
    }
    EXPECT_EQ(seen.size(), domains.size());
    for (const auto& [d, n] : seen) {
        EXPECT_EQ(n, 1) << d;
    }
}

} // namespace
