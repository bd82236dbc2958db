// check's sign of life: one progress line on stderr when the check takes
// longer than 2 s and stderr is a terminal, none when it is a pipe (README
// "check"). The terminal is a pty from util-linux script(1); the slowness is
// a DNS server on loopback that answers every lookup 2.5 s late
// (tests/lab/tlsa_dns.py --delay), so one lookup outlasts the 2 s.
#include <gtest/gtest.h>

#include <fstream>

#include "cli_harness.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;

const std::string progress = "checking example.net: DNS lookups and STARTTLS probes are under way";

TEST(CheckProgressCli, OneLineOnATerminalNoneOnAPipe) {
    const TempDir dir;
    const std::string d = "'" + dir.path().string() + "'";
    // A trust anchor for another zone: example.net is insecure, so the
    // answers need no signatures and no DNSKEY lookups come first.
    std::ofstream(dir.path() / "other.ds") << "example.org. IN DS 12345 13 2 " << std::string(64, '0') << "\n";
    // infra-cache-min-rtt: unbound waits for the late answer instead of
    // retransmitting every 376 ms.
    const std::string check = "'" + mxdane_binary().string() + "' check --forward 127.0.0.1@$port --trust-anchor " + d +
                              "/other.ds --resolver-option infra-cache-min-rtt:5000 example.net";
    const std::string script = "set -u\n"
                               "python3 '" MXDANE_SOURCE_DIR
                               "/tests/lab/tlsa_dns.py' --delay 2.5 _25._tcp.example.net. 300 > " +
                               d + "/port 2>/dev/null </dev/null &\n" +
                               "spid=$!\n"
                               "for i in $(seq 50); do [ -s " +
                               d + "/port ] && break; sleep 0.1; done\n" + "port=$(cat " + d +
                               "/port)\n"
                               // Both at once: the same run, stderr a pipe and stderr a pty.
                               + check + " > " + d + "/pipe.out 2> " + d + "/pipe.err &\n" +
                               "ppid=$!\n"
                               "script -qec \"" +
                               check + "\" /dev/null > " + d + "/tty.out </dev/null\n" + "echo $? > " + d +
                               "/tty.rc\n"
                               "wait $ppid\n"
                               "echo $? > " +
                               d +
                               "/pipe.rc\n"
                               "kill $spid\n";
    const auto r = run_process({"sh", "-c", script});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // The verdict is the same either way: exit 1, since example.net has no
    // MX and no address here (every answer but TLSA is NODATA), so no
    // sender can deliver.
    EXPECT_EQ(read_file(dir.path() / "tty.rc"), "1\n");
    EXPECT_EQ(read_file(dir.path() / "pipe.rc"), "1\n");
    const std::string tty = read_file(dir.path() / "tty.out");
    const auto at = tty.find(progress);
    ASSERT_NE(at, std::string::npos) << tty;
    EXPECT_EQ(tty.find(progress, at + 1), std::string::npos) << "more than one progress line:\n" << tty;
    // Before the result, on its own line.
    EXPECT_EQ(at, 0U) << tty;
    EXPECT_LT(at, tty.find("summary: example.net")) << tty;
    const std::string err = read_file(dir.path() / "pipe.err");
    EXPECT_EQ(err.find("checking example.net"), std::string::npos) << err;
    EXPECT_NE(read_file(dir.path() / "pipe.out").find("summary: example.net"), std::string::npos);
}

} // namespace
