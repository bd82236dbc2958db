// Every authoritative server asked on its own (issue #24), against the
// update lab's Knot DNS signing dyn.test. (run inside the rollover lab's
// one process: it adds a name server to the zone for a moment): the NS RRset and the servers'
// addresses come from the validating resolver, each address is asked
// through a resolver of its own. What the server holds is read with dig
// (the oracle): its TLSA RRset, its TTL and the SOA serial.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "../labtests/lab_harness.h"
#include "mxdane/authoritative.h"

namespace {
using namespace mxdane;
using namespace mxdane::test;

class AuthoritativeLab : public ::testing::Test {
  protected:
    std::map<std::string, std::string> env = env_file(std::string(MXDANE_UPDLAB_DIR) + "/updlab.env");
    void SetUp() override {
        if (env.empty()) {
            GTEST_SKIP() << "no update lab in " << MXDANE_UPDLAB_DIR;
        }
    }
    [[nodiscard]] dns::UnboundOptions options() const {
        dns::UnboundOptions o;
        o.trust_anchor_files = {env.at("UPD_TRUST_ANCHOR")};
        const auto stub = dns::parse_stub(env.at("UPD_ZONE") + "=" + env.at("UPD_SERVER"));
        EXPECT_TRUE(stub.has_value());
        o.stubs = {*stub};
        return o;
    }
    void nsupdate(const std::string& body) const {
        shell("printf 'server 127.0.0.1 " + env.at("UPD_PORT") + "\\n" + body + "\\nsend\\n' | nsupdate -k '" +
              env.at("UPD_KEY") + "'");
    }
    /// dig at the server itself, no recursion.
    [[nodiscard]] std::string dig(const std::string& name, const std::string& type, const std::string& fmt) const {
        return trimmed(shell("dig +norec +noall +answer @127.0.0.1 -p " + env.at("UPD_PORT") + " " + name + " " + type +
                             " | awk '$4 == \"" + type + "\" { print " + fmt + " }'"));
    }
};

TEST_F(AuthoritativeLab, EachAddressOfEachNameServerIsAskedAndJudgedOnItsOwn) {
    const std::string zone = env.at("UPD_ZONE"); // "dyn.test."
    const std::string apex = zone.substr(0, zone.size() - 1);
    const std::string owner = "_25._tcp.everyserver." + zone;
    const std::string hex(64, 'c');
    nsupdate("update delete " + owner + " TLSA\\nupdate add " + owner + " 300 IN TLSA 3 1 1 " + hex);
    // A second name server whose address nothing listens on.
    nsupdate("update add ns2." + zone + " 60 IN A 127.0.0.2\\nupdate add " + zone + " 60 IN NS ns2." + zone);
    const auto resolver = dns::make_unbound_resolver(options());
    const auto port = static_cast<std::uint16_t>(std::stoi(env.at("UPD_PORT")));
    const auto view = dns::ask_every_server(*resolver, owner, dns::unbound_server_factory(options()), port);
    nsupdate("update delete " + zone + " NS ns2." + zone + "\\nupdate delete ns2." + zone + " A\\nupdate delete " +
             owner + " TLSA");
    ASSERT_TRUE(view.has_value()) << view.error();
    EXPECT_EQ(view->zone, apex);
    EXPECT_TRUE(view->unresolved.empty());
    ASSERT_EQ(view->servers.size(), 2U);
    const auto& ns = *std::find_if(view->servers.begin(), view->servers.end(),
                                   [&](const auto& s) { return s.server == "ns." + apex; });
    const auto& ns2 = *std::find_if(view->servers.begin(), view->servers.end(),
                                    [&](const auto& s) { return s.server == "ns2." + apex; });
    EXPECT_EQ(ns.status, dns::ServerAnswer::Status::answered) << ns.why;
    EXPECT_EQ(ns.address.host, "127.0.0.1");
    ASSERT_EQ(ns.records.size(), 1U);
    EXPECT_EQ(tlsa::rdata_text(ns.records.front()), "3 1 1 " + hex);
    // The zone's TTL as the server publishes it (dig at the server), not a
    // cache's remainder.
    EXPECT_EQ(ns.ttl, 300U);
    ASSERT_TRUE(ns.serial.has_value());
    EXPECT_GE(*ns.serial, 1U);
    EXPECT_EQ(ns2.status, dns::ServerAnswer::Status::no_answer);
    EXPECT_EQ(ns2.address.host, "127.0.0.2");
    EXPECT_NE(ns2.why.find("127.0.0.2"), std::string::npos) << ns2.why;
    EXPECT_FALSE(ns2.serial.has_value());
    // dig agrees on the serial the first server gave after the updates.
    EXPECT_GE(std::stoul(dig(zone, "SOA", "$7")), *ns.serial);
}

} // namespace
