// keygen's advice names the zone of the TLSA owner when DNS answers (the
// lab test shows that); here, through the real binary, what it says when DNS
// does not: it still succeeds, names no zone, and says why. Every resolver
// here is a loopback port nobody listens on, so nothing leaves the machine.
#include <gtest/gtest.h>

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

/// mxdane with the zone lookup allowed (the harness sets MXDANE_OFFLINE=1
/// for every other run).
RunResult keygen_online(std::vector<std::string> args) {
    std::vector<std::string> argv{"env", "-u", "MXDANE_OFFLINE", mxdane_binary().string(), "keygen"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv);
}

const std::string zoneless =
    "  1. Publish the 3 1 1 record above in the DNSSEC-signed zone that holds _25._tcp.mx1.example.net.\n";

TEST(KeygenZoneCli, UnreachableDnsStillMakesTheKeyAndNamesNoZone) {
    const TempDir t;
    const std::string dead = "127.0.0.1@" + std::to_string(dead_udp_port());
    const auto r =
        keygen_online({"--key", "p256", "--out", (t.path() / "k").string(), "--forward", dead, "mx1.example.net"});
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
    const auto r = keygen_online(
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
    const auto r = keygen_online({"--key", "p256", "--out", (t.path() / "k").string(), "--trust-anchor",
                                  (t.path() / "missing.key").string(), "mx1.example.net"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find(zoneless + "     (its zone could not be looked up: cannot read trust anchor file " +
                         (t.path() / "missing.key").string() + ")\n"),
              std::string::npos)
        << r.err;
}

TEST(KeygenZoneCli, OfflineAsksNothingAndSaysNothingAboutIt) {
    const TempDir t;
    // --offline wins over a resolver given: a dead one would be reported.
    const std::string dead = "127.0.0.1@" + std::to_string(dead_udp_port());
    const auto r = keygen_online(
        {"--key", "p256", "--out", (t.path() / "k").string(), "--offline", "--forward", dead, "mx1.example.net"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find(zoneless + "     (3 1 1 pins the key"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("looked up"), std::string::npos) << r.err;

    // MXDANE_OFFLINE=1 (what every other test runs with) does the same.
    const auto e = run_mxdane(
        {"keygen", "--key", "p256", "--out", (t.path() / "e").string(), "--forward", dead, "mx1.example.net"});
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_NE(e.err.find(zoneless + "     (3 1 1 pins the key"), std::string::npos) << e.err;
    EXPECT_EQ(e.err.find("looked up"), std::string::npos) << e.err;
}

TEST(KeygenZoneCli, ADryRunLooksNothingUp) {
    const TempDir t;
    const std::string dead = "127.0.0.1@" + std::to_string(dead_udp_port());
    const auto r = keygen_online({"--dry-run", "--key", "p256", "--forward", dead, "mx1.example.net"});
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
