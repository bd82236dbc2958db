// Rollover health against the check lab's NSD: a TLSA lookup that fails
// (SERVFAIL at mx8.secure.test) and one that is bogus (mx7.bogus.test) are
// critical for status and auto, and change nothing on disk or in DNS
// (RFC 7672 §2.1.1, §2.2: validating senders defer on both).
#include <gtest/gtest.h>

#include <ctime>

#include <sstream>

#include "lab_harness.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;

std::vector<std::string> resolver() {
    std::vector<std::string> args{"--trust-anchor", env("LAB_TRUST_ANCHOR")};
    std::istringstream zones(env("LAB_STUB_ZONES"));
    std::string z;
    while (zones >> z) {
        args.push_back("--stub");
        args.push_back(z + "=" + env("LAB_DNS_ADDR") + "@" + env("LAB_DNS_PORT"));
    }
    return args;
}

std::string snapshot(const fs::path& dir) {
    // The pass's lock file is not a change.
    return shell("find '" + dir.string() + "' -not -name '*.lock' -printf '%p %m %s %l\\n' | sort; cat '" +
                 dir.string() + "'/state/*.json; dig +short +norec @" + env("LAB_DNS_ADDR") + " -p " +
                 env("LAB_DNS_PORT") + " _25._tcp.mx7.bogus.test TLSA");
}

void expect_critical_and_unchanged(const std::string& host, const std::string& says) {
    const TempDir tmp;
    const fs::path out = tmp.path() / "keys";
    const fs::path state = tmp.path() / "state";
    auto r = run_mxdane({"keygen", "--key", "p256", "--out", out.string(), host});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run_mxdane({"rollover", "init", "--out", out.string(), "--state-dir", state.string(), host});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string before = snapshot(tmp.path());

    std::vector<std::string> args{"rollover", "status", "--out", out.string(), "--state-dir", state.string()};
    for (const auto& a : resolver()) {
        args.push_back(a);
    }
    args.push_back(host);
    r = run_mxdane(args);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("health:  critical: " + says, 0), 0U) << r.out;

    // auto with a publisher and more than a year gone (the certificate in
    // service still valid, so the clock is plausible): it must not stage or
    // publish on an answer it cannot trust. The hook would leave a file.
    args[1] = "auto";
    args.insert(args.end() - 1, {"--publish-hook", "touch '" + (tmp.path() / "hook-ran").string() + "'", "--test-clock",
                                 iso(std::time(nullptr) + 400L * 86400)});
    r = run_mxdane(args);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("changing nothing"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(tmp.path() / "hook-ran"));
    EXPECT_EQ(snapshot(tmp.path()), before);
}

TEST(RolloverHealthNsdLab, ServfailIsCriticalAndChangesNothing) {
    expect_critical_and_unchanged("mx8.secure.test", "the TLSA lookup failed");
}

TEST(RolloverHealthNsdLab, BogusIsCriticalAndChangesNothing) {
    expect_critical_and_unchanged("mx7.bogus.test", "the TLSA RRset is bogus");
}

} // namespace
