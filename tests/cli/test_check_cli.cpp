// mxdane check's error paths through the real binary; none of them reaches
// the network. The verdicts themselves are tested against the lab
// (tests/labtests).
#include <gtest/gtest.h>

#include "cli_harness.h"

namespace {
using namespace mxdane::test;

void expect_error(const std::vector<std::string>& args, int code, const std::string& message) {
    const auto r = run_mxdane(args);
    EXPECT_EQ(r.exit_code, code) << r.err;
    EXPECT_EQ(r.err, "error: " + message + "\n");
    EXPECT_EQ(r.out, "");
}

TEST(CheckCli, NeedsExactlyOneSubject) {
    expect_error({"check"}, 64, "give either DOMAIN or --mx HOST (exactly one)");
    expect_error({"check", "example.net", "--mx", "mx1.example.net"}, 64,
                 "give either DOMAIN or --mx HOST (exactly one)");
}

TEST(CheckCli, RefusesBadValues) {
    expect_error({"check", "exa mple.net"}, 64, "'exa mple.net': whitespace is not allowed in a host name");
    expect_error({"check", "--timeout", "0", "example.net"}, 64, "--timeout: must be 1 to 3600 seconds");
    expect_error({"check", "--max-addresses", "1001", "example.net"}, 64,
                 "--max-addresses: must be 0 (no limit) to 1000");
    expect_error({"check", "--port", "0", "example.net"}, 64,
                 "--port: must be a port number from 1 to 65535, not '0' (see 'mxdane check --help')");
    expect_error({"check", "--stub", "127.0.0.1", "example.net"}, 64, "--stub: '127.0.0.1' is not ZONE=ADDR[@PORT]");
    expect_error({"check", "--stub", "test.=ns.example", "example.net"}, 64,
                 "--stub: 'ns.example' is not an IPv4 or IPv6 address");
    expect_error({"check", "--forward", "127.0.0.1@99999", "example.net"}, 64,
                 "--forward: the port '99999' is not a number from 1 to 65535");
    expect_error({"check", "--forward", "ns.example", "example.net"}, 64,
                 "--forward: 'ns.example' is not an IPv4 or IPv6 address");
    expect_error({"check", "--forward", "[::1]:5353", "example.net"}, 64,
                 "--forward: '[::1]:5353' gives the port after ':'; write it after '@' ([::1]@5353)");
    expect_error({"check", "--stub", "test.=127.0.0.1:5353", "example.net"}, 64,
                 "--stub: '127.0.0.1:5353' gives the port after ':'; write it after '@' (127.0.0.1@5353)");
    expect_error({"check", "--stub", "test.=[127.0.0.1]", "example.net"}, 64,
                 "--stub: '127.0.0.1' in brackets is not an IPv6 address");
    expect_error({"check", "--forward", "\x1b[2J", "example.net"}, 64,
                 "--forward: '\\x1b[2J' is not an IPv4 or IPv6 address");
    expect_error({"check", "--resolver-option", "do-ip6", "example.net"}, 64,
                 "--resolver-option: 'do-ip6' is not NAME:VALUE (e.g. do-ip6:no)");
}

TEST(CheckCli, ResolverSetUpFailureIsExit2) {
    const TempDir dir;
    expect_error({"check", "--trust-anchor", (dir.path() / "missing.key").string(), "example.net"}, 2,
                 "cannot read the trust anchor file " + (dir.path() / "missing.key").string() +
                     ": No such file or directory");
    const auto r = run_mxdane(
        {"check", "--trust-anchor", "/usr/share/dns/root.key", "--resolver-option", "no-such-option:1", "example.net"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err.rfind("error: resolver: --resolver-option no-such-option:1: ", 0), 0U) << r.err;
}

TEST(CheckCli, HelpListsExitCodes) {
    const auto r = run_mxdane({"check", "--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("3 DANE not in effect"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--stub"), std::string::npos);
}

} // namespace
