// keygen's advice names the zone of the TLSA owner when the admin asks for
// DNS (--find-zone or a resolver option) and DNS answers (the lab test shows
// that); here, through the real binary: plain keygen sends no DNS at all
// (strace sees no IP socket traffic), and when DNS does not answer keygen
// still succeeds, names no zone, and says why. Every resolver here is a
// loopback port nobody listens on, or the root servers from a network
// namespace with no interface up, so nothing leaves the machine.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli_harness.h"

namespace {
using namespace mxdane::test;

/// A loopback UDP port nobody listens on (bound, read, closed).
std::uint16_t dead_udp_port() {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    auto* sa = reinterpret_cast<sockaddr*>(&a); // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): sockaddr API
    EXPECT_EQ(::bind(fd, sa, sizeof a), 0);
    socklen_t len = sizeof a;
    EXPECT_EQ(::getsockname(fd, sa, &len), 0);
    ::close(fd);
    return ntohs(a.sin_port);
}

RunResult run_keygen(std::vector<std::string> args) {
    args.insert(args.begin(), "keygen");
    return run_mxdane(args);
}

bool have(const std::string& tool) {
    return run_process({"sh", "-c", "command -v " + tool}).exit_code == 0;
}

/// mxdane keygen ARGS under strace, following every thread and child; the
/// socket calls that can carry a packet, as strace prints them.
struct Traced {
    RunResult run;
    std::string log;
};
Traced keygen_traced(const TempDir& t, std::vector<std::string> args) {
    const auto log = t.path() / "strace.log";
    std::vector<std::string> argv{"strace", "-f", "-qq", "-o", log.string(), "-e",
                                  "trace=connect,sendto,sendmsg,sendmmsg",
                                  // LeakSanitizer cannot run under ptrace:
                                  // an ASan build would fail at exit.
                                  "-E", "ASAN_OPTIONS=detect_leaks=0", mxdane_binary().string(), "keygen"};
    argv.insert(argv.end(), args.begin(), args.end());
    Traced tr{run_process(argv), {}};
    std::ifstream in(log);
    std::ostringstream s;
    s << in.rdbuf();
    tr.log = s.str();
    return tr;
}

const std::string zoneless =
    "  1. Publish the 3 1 1 record above in the DNSSEC-signed zone that holds _25._tcp.mx1.example.net.\n";

TEST(KeygenZoneCli, UnreachableDnsStillMakesTheKeyAndNamesNoZone) {
    const TempDir t;
    const std::string dead = "127.0.0.1@" + std::to_string(dead_udp_port());
    const auto r =
        run_keygen({"--key", "p256", "--out", (t.path() / "k").string(), "--forward", dead, "mx1.example.net"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("_25._tcp.mx1.example.net. IN TLSA 3 1 1 "), std::string::npos) << r.out;
    EXPECT_NE(r.err.find(zoneless + "     (its zone could not be looked up: cannot reach DNS (no answer from " + dead +
                         "))\n"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("the zone "), std::string::npos) << r.err;
    EXPECT_TRUE(std::filesystem::exists(t.path() / "k" / "mx1.example.net-MX.key"));
}

TEST(KeygenZoneCli, AStubForTheZoneThatIsDeadToo) {
    const TempDir t;
    const std::string dead = "127.0.0.1@" + std::to_string(dead_udp_port());
    const auto r = run_keygen(
        {"--key", "p256", "--out", (t.path() / "k").string(), "--stub", "example.net=" + dead, "mx1.example.net"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find(zoneless + "     (its zone could not be looked up: cannot reach DNS (no answer from " + dead +
                         "))\n"),
              std::string::npos)
        << r.err;
}

TEST(KeygenZoneCli, AnUnreadableTrustAnchorIsNoFailure) {
    // The lookup never starts (the resolver refuses its configuration), so
    // nothing is sent anywhere.
    const TempDir t;
    const auto r = run_keygen({"--key", "p256", "--out", (t.path() / "k").string(), "--trust-anchor",
                               (t.path() / "missing.key").string(), "mx1.example.net"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find(zoneless + "     (its zone could not be looked up: cannot read the trust anchor file " +
                         (t.path() / "missing.key").string() + ": No such file or directory)\n"),
              std::string::npos)
        << r.err;
}

TEST(KeygenZoneCli, PlainKeygenSendsNoDnsAndPointsAtFindZone) {
    // README's first command: no resolver option, no --find-zone. It must
    // send nothing (hosts that reach only a package mirror) and say how to
    // have the zone named.
    if (!have("strace")) {
        GTEST_SKIP() << "strace is not installed (tests/lab/packages.txt)";
    }
    const TempDir t;
    const auto tr = keygen_traced(t, {"--key", "p256", "--out", (t.path() / "k").string(), "mx1.example.net"});
    ASSERT_EQ(tr.run.exit_code, 0) << tr.run.err;
    EXPECT_NE(tr.run.err.find(zoneless + "     (keygen --find-zone looks that zone up in DNS and names it here)\n"
                                         "     (3 1 1 pins the key"),
              std::string::npos)
        << tr.run.err;
    EXPECT_EQ(tr.run.err.find("looked up:"), std::string::npos) << tr.run.err;
    EXPECT_EQ(tr.log.find("AF_INET"), std::string::npos) << tr.log; // AF_INET6 too
    EXPECT_TRUE(std::filesystem::exists(t.path() / "k" / "mx1.example.net-MX.key"));

    // The same trace sees the lookup when one is asked for (a dead loopback
    // forwarder): the absence above is not strace missing the packets.
    const std::string dead = "127.0.0.1@" + std::to_string(dead_udp_port());
    const auto asked =
        keygen_traced(t, {"--key", "p256", "--out", (t.path() / "f").string(), "--forward", dead, "mx1.example.net"});
    ASSERT_EQ(asked.run.exit_code, 0) << asked.run.err;
    EXPECT_NE(asked.log.find("sin_port=htons(" + dead.substr(dead.find('@') + 1) + ")"), std::string::npos)
        << asked.log;
    EXPECT_EQ(asked.run.err.find("--find-zone"), std::string::npos) << asked.run.err;
}

TEST(KeygenZoneCli, FindZoneRecursesFromTheRootAndSaysWhyWhenItCannot) {
    // --find-zone alone: check's default resolver (recursion from the root,
    // the root trust anchor), run in a network namespace of its own with no
    // interface up, so the root servers are unreachable and nothing leaves.
    if (run_process({"unshare", "-n", "true"}).exit_code != 0) {
        GTEST_SKIP() << "cannot make a network namespace (unshare -n needs root)";
    }
    const TempDir t;
    const auto r = run_process({"unshare", "-n", mxdane_binary().string(), "keygen", "--key", "p256", "--out",
                                (t.path() / "k").string(), "--find-zone", "mx1.example.net"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // 198.41.0.4: a.root-servers.net (IANA root hints).
    EXPECT_NE(
        r.err.find(zoneless + "     (its zone could not be looked up: cannot reach DNS (no answer from 198.41.0.4@53"),
        std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("--find-zone"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("the zone "), std::string::npos) << r.err;
    EXPECT_TRUE(std::filesystem::exists(t.path() / "k" / "mx1.example.net-MX.key"));
}

TEST(KeygenZoneCli, JsonZoneIsNullWhenNotLookedUpOrNotFound) {
    const TempDir t;
    const auto plain = run_keygen({"--json", "--key", "p256", "--out", (t.path() / "p").string(), "mx1.example.net"});
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_TRUE(nlohmann::json::parse(plain.out).at("zone").is_null()) << plain.out;

    const std::string dead = "127.0.0.1@" + std::to_string(dead_udp_port());
    const auto failed = run_keygen(
        {"--json", "--key", "p256", "--out", (t.path() / "f").string(), "--forward", dead, "mx1.example.net"});
    ASSERT_EQ(failed.exit_code, 0) << failed.err;
    EXPECT_TRUE(nlohmann::json::parse(failed.out).at("zone").is_null()) << failed.out;
    EXPECT_NE(failed.err.find("(its zone could not be looked up: cannot reach DNS"), std::string::npos) << failed.err;
}

TEST(KeygenZoneCli, ADryRunLooksNothingUp) {
    const TempDir t;
    const std::string dead = "127.0.0.1@" + std::to_string(dead_udp_port());
    const auto r = run_keygen({"--dry-run", "--key", "p256", "--forward", dead, "mx1.example.net"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("looked up"), std::string::npos) << r.err;
}

TEST(KeygenZoneCli, ABadResolverOptionIsAUsageErrorBeforeAnythingIsMade) {
    const TempDir t;
    const auto check = [&](const std::vector<std::string>& opt, const std::string& msg) {
        std::vector<std::string> args{"keygen", "--out", (t.path() / "k").string()};
        args.insert(args.end(), opt.begin(), opt.end());
        args.emplace_back("mx1.example.net");
        const auto r = run_mxdane(args);
        EXPECT_EQ(r.exit_code, 64) << r.err;
        EXPECT_EQ(r.err, "error: " + msg + "\n");
        EXPECT_EQ(r.out, "");
        EXPECT_TRUE(list_tree(t.path()).empty());
    };
    check({"--stub", "example.net"}, "--stub: 'example.net' is not ZONE=ADDR[@PORT]");
    check({"--forward", "not-an-address"}, "--forward: 'not-an-address' is not an IPv4 or IPv6 address");
    check({"--resolver-option", "nocolon"}, "--resolver-option: 'nocolon' is not NAME:VALUE (e.g. do-ip6:no)");
}

} // namespace
