// An independent DANE client on the same scenarios: Postfix's posttls-finger
// (-l dane), run by tests/lab/pf-netns on a second lab inside a private
// network namespace (it needs ports 25 and 53 and the system resolver). Its
// verdict, ours (on the fixture's lab) and the lab's expected verdict must
// agree on every scenario row.
#include <gtest/gtest.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "lab_harness.h"

namespace {
using namespace mxdane::test;

/// Our verdict for one MX host of a domain, in the lab's vocabulary.
std::string our_verdict(const std::string& domain, const std::string& mx) {
    const auto r = run_mxdane(lab_args({"--json", domain}));
    const auto j = nlohmann::json::parse(r.out);
    for (const auto& h : j["hosts"]) {
        if (h["host"] == mx) {
            return h["verdict"];
        }
    }
    if (j["mx"].is_object()) {
        return j["mx"]["verdict"];
    }
    return "none";
}

TEST(LabPeer, PosttlsFingerAgreesOnEveryScenario) {
    if (run_process({"unshare", "-n", "-m", "true"}).exit_code != 0) {
        GTEST_SKIP() << "cannot make a network namespace here (unshare -n -m)";
    }
    const TempDir dir;
    const auto pf = run_process(
        {"unshare", "-n", "-m", std::string(MXDANE_SOURCE_DIR) + "/tests/lab/pf-netns", (dir.path() / "lab").string()});
    ASSERT_EQ(pf.exit_code, 0) << pf.err;
    std::map<std::pair<std::string, std::string>, std::string> theirs;
    std::istringstream in(pf.out);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        std::string scenario;
        std::string mx;
        std::string verdict;
        if (f >> scenario >> mx >> verdict) {
            theirs[{scenario, mx}] = verdict;
        }
    }
    std::ifstream tsv(env("LAB_SCENARIOS"));
    std::getline(tsv, line); // header
    std::size_t rows = 0;
    std::cout << "scenario\tmx_host\texpected\tmxdane\tposttls-finger\n";
    while (std::getline(tsv, line)) {
        std::istringstream f(line);
        std::string scenario;
        std::string domain;
        std::string mx;
        std::string addr;
        std::string expected;
        std::getline(f, scenario, '\t');
        std::getline(f, domain, '\t');
        std::getline(f, mx, '\t');
        std::getline(f, addr, '\t');
        std::getline(f, expected, '\t');
        const std::string ours = our_verdict(domain, mx);
        const std::string pf_verdict = theirs.count({scenario, mx}) ? theirs[{scenario, mx}] : "missing";
        std::cout << scenario << "\t" << mx << "\t" << expected << "\t" << ours << "\t" << pf_verdict << "\n";
        EXPECT_EQ(ours, expected) << scenario << " " << mx;
        EXPECT_EQ(pf_verdict, expected) << scenario << " " << mx;
        ++rows;
    }
    EXPECT_GE(rows, 20U);
}

} // namespace
