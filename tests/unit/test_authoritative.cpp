// Every authoritative server on its own (issue #24), over fakes: the run's
// resolver gives the zone, its NS RRset and the addresses; each address's
// own resolver gives what that server serves.
#include <gtest/gtest.h>

#include <map>

#include "fake_resolver.h"
#include "mxdane/authoritative.h"
#include "mxdane/error.h"

namespace {
using namespace mxdane;
using dns::RrType;
using dns::Security;
using test::FakeResolver;

const std::string owner = "_25._tcp.mx1.example.net";

tlsa::Record rec(std::uint8_t fill) {
    return {3, 1, 1, tlsa::Bytes(32, fill)};
}

dns::Soa soa(std::uint32_t serial) {
    return {"ns1.example.net", "hostmaster.example.net", serial, 3600, 600, 86400, 60};
}

struct EveryServer : ::testing::Test {
    FakeResolver run;
    /// What each address serves, by its host.
    std::map<std::string, std::function<void(FakeResolver&)>> servers;
    std::vector<std::string> asked; ///< "zone address" per resolver made

    dns::ServerResolverFactory factory = [this](const std::string& zone, const dns::ServerAddr& a) {
        asked.push_back(zone + " " + a.host + "@" + std::to_string(a.port));
        auto r = std::make_unique<FakeResolver>();
        const auto it = servers.find(a.host);
        if (it == servers.end()) {
            throw Error(Errc::io, "cannot reach DNS (no answer from " + a.host + "@" + std::to_string(a.port) + ")");
        }
        it->second(*r);
        return r;
    };

    EveryServer() {
        run.set("_25._tcp.mx1.example.net", RrType::soa, Security::secure, {});
        run.set("_tcp.mx1.example.net", RrType::soa, Security::secure, {});
        run.set("mx1.example.net", RrType::soa, Security::secure, {});
        run.set("example.net", RrType::soa, Security::secure, {soa(7)});
        run.set("example.net", RrType::ns, Security::secure,
                {dns::Ns{"ns1.example.net"}, dns::Ns{"ns2.example.org"}, dns::Ns{"ns3.example.com"}});
        run.set("ns1.example.net", RrType::a, Security::secure, {dns::Address{false, "192.0.2.1"}});
        run.set("ns1.example.net", RrType::aaaa, Security::secure, {dns::Address{true, "2001:db8::1"}});
        // Glue-only zone of the second server: unsigned, still asked.
        run.set("ns2.example.org", RrType::a, Security::insecure, {dns::Address{false, "198.51.100.2"}});
        run.set("ns2.example.org", RrType::aaaa, Security::insecure, {});
        run.set("ns3.example.com", RrType::a, Security::insecure, {}, 2);
        run.set("ns3.example.com", RrType::aaaa, Security::insecure, {}, 2);
    }
    static std::function<void(FakeResolver&)> serving(std::vector<tlsa::Record> rrset, std::uint32_t serial,
                                                      std::uint32_t ttl = 3600) {
        return [rrset, serial, ttl](FakeResolver& r) {
            std::vector<dns::Rdata> rds(rrset.begin(), rrset.end());
            r.set(owner, RrType::tlsa, Security::secure, rds, 0, "", ttl);
            r.set("example.net", RrType::soa, Security::secure, {soa(serial)});
        };
    }
};

TEST_F(EveryServer, EachAddressIsAskedAndJudgedOnItsOwn) {
    servers["192.0.2.1"] = serving({rec(1), rec(2)}, 8, 7200);
    servers["2001:db8::1"] = serving({rec(1)}, 7); // a lagging copy
    servers["198.51.100.2"] = [](FakeResolver& r) {
        r.set(owner, RrType::tlsa, Security::bogus, {});
        r.set("example.net", RrType::soa, Security::bogus, {});
    };
    const auto view = dns::ask_every_server(run, owner + ".", factory, 5353);
    ASSERT_TRUE(view.has_value()) << view.error();
    EXPECT_EQ(view->zone, "example.net");
    EXPECT_EQ(asked, (std::vector<std::string>{"example.net 192.0.2.1@5353", "example.net 2001:db8::1@5353",
                                               "example.net 198.51.100.2@5353"}));
    ASSERT_EQ(view->servers.size(), 3U);
    const auto& first = view->servers[0];
    EXPECT_EQ(first.server, "ns1.example.net");
    EXPECT_EQ(first.status, dns::ServerAnswer::Status::answered);
    EXPECT_EQ(first.records, (std::vector<tlsa::Record>{rec(1), rec(2)}));
    EXPECT_EQ(first.ttl, 7200U);
    EXPECT_EQ(first.serial, 8U);
    const auto& lagging = view->servers[1];
    EXPECT_EQ(lagging.records, std::vector<tlsa::Record>{rec(1)});
    EXPECT_EQ(lagging.serial, 7U);
    const auto& bogus = view->servers[2];
    EXPECT_EQ(bogus.server, "ns2.example.org");
    EXPECT_EQ(bogus.status, dns::ServerAnswer::Status::bogus);
    EXPECT_EQ(bogus.why, "signature expired");
    EXPECT_FALSE(bogus.serial.has_value());
    ASSERT_EQ(view->unresolved.size(), 1U);
    EXPECT_EQ(view->unresolved[0].server, "ns3.example.com");
    EXPECT_EQ(view->unresolved[0].why.rfind("no usable address", 0), 0U) << view->unresolved[0].why;
}

TEST_F(EveryServer, ASilentAddressIsNoAnswerNotAThrow) {
    servers["192.0.2.1"] = serving({rec(1)}, 8);
    const auto view = dns::ask_every_server(run, owner, factory);
    ASSERT_TRUE(view.has_value()) << view.error();
    ASSERT_EQ(view->servers.size(), 3U);
    EXPECT_EQ(view->servers[0].status, dns::ServerAnswer::Status::answered);
    for (std::size_t i = 1; i < 3; ++i) {
        EXPECT_EQ(view->servers[i].status, dns::ServerAnswer::Status::no_answer);
        EXPECT_NE(view->servers[i].why.find("cannot reach DNS"), std::string::npos) << view->servers[i].why;
        EXPECT_EQ(view->servers[i].address.port, 53);
    }
}

TEST_F(EveryServer, ASecureDenialIsAnAnswerWithoutTheRrset) {
    servers["192.0.2.1"] = serving({}, 9);
    servers["2001:db8::1"] = serving({}, 9);
    servers["198.51.100.2"] = serving({}, 9);
    const auto view = dns::ask_every_server(run, owner, factory);
    ASSERT_TRUE(view.has_value());
    for (const auto& s : view->servers) {
        EXPECT_EQ(s.status, dns::ServerAnswer::Status::answered);
        EXPECT_FALSE(s.exists);
        EXPECT_EQ(s.ttl, 0U);
    }
}

TEST_F(EveryServer, AnInsecureZoneOrNsRrsetIsNotJudged) {
    run.set("example.net", RrType::soa, Security::insecure, {soa(7)});
    auto view = dns::ask_every_server(run, owner, factory);
    ASSERT_FALSE(view.has_value());
    EXPECT_EQ(view.error(), "the zone example.net of _25._tcp.mx1.example.net is not signed securely");
    run.set("example.net", RrType::soa, Security::secure, {soa(7)});
    run.set("example.net", RrType::ns, Security::bogus, {});
    view = dns::ask_every_server(run, owner, factory);
    ASSERT_FALSE(view.has_value());
    EXPECT_EQ(view.error().rfind("the NS RRset of example.net is not secure: ", 0), 0U) << view.error();
    EXPECT_TRUE(asked.empty());
}

TEST(NsRdata, ParsesAndPrints) {
    const std::uint8_t wire[] = {3, 'n', 's', '1', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0};
    const auto rd = dns::parse_rdata(RrType::ns, wire, sizeof wire);
    ASSERT_TRUE(rd.has_value()) << rd.error();
    EXPECT_EQ(std::get<dns::Ns>(*rd).host, "ns1.example.net");
    EXPECT_EQ(dns::rdata_text(*rd), "ns1.example.net.");
    EXPECT_EQ(dns::type_name(RrType::ns), "NS");
    const auto bad = dns::parse_rdata(RrType::ns, wire, sizeof wire - 1);
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().rfind("NS: ", 0), 0U) << bad.error();
}

} // namespace
