// RDATA and option parsing of the dns module (pure, offline). Wire-format
// vectors are written out by hand from RFC 1035 §3.3 and RFC 6698 §2.1.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "mxdane/dns.h"
#include "mxdane/error.h"

namespace {
using namespace mxdane::dns;
using Bytes = std::vector<std::uint8_t>;

mxdane::Expected<Rdata> parse(RrType t, const Bytes& b) {
    return parse_rdata(t, b.data(), b.size());
}

TEST(DnsRdata, Mx) {
    const Bytes wire{0, 10, 3, 'M', 'X', '1', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0};
    const auto r = parse(RrType::mx, wire);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(std::get<Mx>(*r), (Mx{10, "mx1.example.net"}));
    EXPECT_EQ(rdata_text(*r), "10 mx1.example.net.");
}

TEST(DnsRdata, NullMx) {
    const auto r = parse(RrType::mx, {0, 0, 0});
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(std::get<Mx>(*r).host, "");
}

TEST(DnsRdata, Addresses) {
    const auto a = parse(RrType::a, {192, 0, 2, 1});
    ASSERT_TRUE(a);
    EXPECT_EQ(std::get<Address>(*a), (Address{false, "192.0.2.1"}));
    Bytes v6(16, 0);
    v6[0] = 0x20;
    v6[1] = 0x01;
    v6[2] = 0x0d;
    v6[3] = 0xb8;
    v6[15] = 1;
    const auto b = parse(RrType::aaaa, v6);
    ASSERT_TRUE(b);
    EXPECT_EQ(std::get<Address>(*b), (Address{true, "2001:db8::1"}));
}

TEST(DnsRdata, Tlsa) {
    const auto r = parse(RrType::tlsa, {3, 1, 1, 0xab, 0xcd});
    ASSERT_TRUE(r);
    const auto& t = std::get<mxdane::tlsa::Record>(*r);
    EXPECT_EQ(t.usage, 3);
    EXPECT_EQ(t.selector, 1);
    EXPECT_EQ(t.mtype, 1);
    EXPECT_EQ(t.data, (Bytes{0xab, 0xcd}));
}

TEST(DnsRdata, Dnskey) {
    // 257 3 13 and four octets of key: RFC 4034 §2.1's fields.
    const std::vector<std::uint8_t> wire{0x01, 0x01, 0x03, 0x0d, 0xde, 0xad, 0xbe, 0xef};
    const auto rd = parse_rdata(RrType::dnskey, wire.data(), wire.size());
    ASSERT_TRUE(rd.has_value()) << rd.error();
    EXPECT_EQ(rdata_text(*rd), "257 3 13 3q2+7w==");
    EXPECT_EQ(type_name(RrType::dnskey), "DNSKEY");
    const auto shortened = parse_rdata(RrType::dnskey, wire.data(), 4);
    ASSERT_FALSE(shortened.has_value());
    EXPECT_EQ(shortened.error(), "DNSKEY RDATA shorter than 5 octets");
}

// RFC 4034 §3.1.5: 32-bit times compared by serial arithmetic, so that a
// signature expiring after 2106 still reads as the future.
TEST(DnsRrsigTime, TheValueWithin68YearsOfNowIsMeant) {
    using std::chrono::seconds;
    using Tp = std::chrono::system_clock::time_point;
    const Tp now{seconds(1796000000)};                                  // 2026-11-30
    EXPECT_EQ(rrsig_time(1796086400U, now), Tp{seconds(1796086400)});   // a day later
    EXPECT_EQ(rrsig_time(1795913600U, now), Tp{seconds(1795913600)});   // a day earlier
    const Tp late{seconds(4294967000LL)};                               // 2106-02-07
    EXPECT_EQ(rrsig_time(100U, late), Tp{seconds(4294967296LL + 100)}); // wrapped: after 2106
    EXPECT_EQ(rrsig_time(4294967200U, Tp{seconds(200)}), Tp{seconds(-96)});
}

TEST(DnsRdata, CnameAndTxt) {
    const auto c = parse(RrType::cname, {3, 'm', 'x', '9', 4, 't', 'e', 's', 't', 0});
    ASSERT_TRUE(c);
    EXPECT_EQ(std::get<Cname>(*c).target, "mx9.test");
    const auto t = parse(RrType::txt, {7, 'v', '=', 'S', 'T', 'S', 'v', '1', 2, ';', ' '});
    ASSERT_TRUE(t);
    EXPECT_EQ(std::get<Txt>(*t).text, "v=STSv1; ");
}

TEST(DnsRdata, Soa) {
    // ns.test. hostmaster.test. 2026112901 3600 900 604800 300
    Bytes wire{2,   'n', 's', 4,   'T', 'e', 's', 't', 0,   10,  'h', 'o', 's',
               't', 'm', 'a', 's', 't', 'e', 'r', 4,   't', 'e', 's', 't', 0};
    for (const std::uint32_t v : {2026112901U, 3600U, 900U, 604800U, 300U}) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            wire.push_back(static_cast<std::uint8_t>((v >> static_cast<unsigned>(shift)) & 0xffU));
        }
    }
    const auto r = parse(RrType::soa, wire);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(std::get<Soa>(*r), (Soa{"ns.test", "hostmaster.test", 2026112901U, 3600, 900, 604800, 300}));
    EXPECT_EQ(rdata_text(*r), "ns.test. hostmaster.test. 2026112901 3600 900 604800 300");
    EXPECT_EQ(type_name(RrType::soa), "SOA");
    wire.pop_back();
    EXPECT_EQ(parse(RrType::soa, wire).error(), "SOA: 19 octets after the names, not 20");
    EXPECT_EQ(parse(RrType::soa, {2, 'n', 's'}).error(), "SOA: domain name runs past the end of the record");
    EXPECT_EQ(parse(RrType::soa, {0, 0xc0, 1}).error(), "SOA: compressed or extended label in RDATA");
}

TEST(DnsRdata, RefusesMalformed) {
    EXPECT_EQ(parse(RrType::a, {1, 2, 3}).error(), "A RDATA must be 4 octets, this one has 3");
    EXPECT_EQ(parse(RrType::aaaa, {1, 2, 3, 4}).error(), "AAAA RDATA must be 16 octets, this one has 4");
    EXPECT_EQ(parse(RrType::mx, {0, 1}).error(), "MX RDATA shorter than 3 octets");
    EXPECT_EQ(parse(RrType::mx, {0, 1, 5, 'a', 'b'}).error(), "MX: label runs past the end of the record");
    EXPECT_EQ(parse(RrType::mx, {0, 1, 1, 'a'}).error(), "MX: domain name runs past the end of the record");
    EXPECT_EQ(parse(RrType::mx, {0, 1, 0xc0, 12}).error(), "MX: compressed or extended label in RDATA");
    EXPECT_EQ(parse(RrType::mx, {0, 1, 0, 7}).error(), "MX: trailing octets after the exchange");
    EXPECT_EQ(parse(RrType::cname, {0, 1}).error(), "CNAME: trailing octets after the target");
    EXPECT_EQ(parse(RrType::tlsa, {3, 1}).error(), "TLSA RDATA shorter than 3 octets");
    EXPECT_EQ(parse(RrType::txt, {5, 'a'}).error(), "TXT: character-string runs past the end of the record");
    Bytes long_name{0, 1};
    for (int i = 0; i < 5; ++i) {
        long_name.push_back(63);
        long_name.insert(long_name.end(), 63, 'a');
    }
    long_name.push_back(0);
    EXPECT_EQ(parse(RrType::mx, long_name).error(), "MX: domain name longer than 255 octets");
}

TEST(DnsRdata, EscapesOddOctetsInNames) {
    const auto r = parse(RrType::cname, {3, 'a', '.', 0x01, 0});
    ASSERT_TRUE(r);
    EXPECT_EQ(std::get<Cname>(*r).target, "a\\046\\001");
}

TEST(DnsOptions, Stub) {
    const auto s = parse_stub("Test=127.0.0.1@5300");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->first, "test.");
    EXPECT_EQ(s->second.port, 5300);
    EXPECT_EQ(parse_stub("127.0.0.1").error(), "'127.0.0.1' is not ZONE=ADDR[@PORT]");
    EXPECT_EQ(parse_stub("=127.0.0.1").error(), "'=127.0.0.1' is not ZONE=ADDR[@PORT]");
    EXPECT_EQ(parse_stub("test=ns.example").error(), "'ns.example' is not an IPv4 or IPv6 address");
    EXPECT_EQ(parse_stub("\x1b[31m").error(), "'\\x1b[31m' is not ZONE=ADDR[@PORT]");
}

TEST(DnsOptions, ResolverOption) {
    const auto o = parse_resolver_option("do-ip6: no");
    ASSERT_TRUE(o);
    EXPECT_EQ(o->first, "do-ip6");
    EXPECT_EQ(o->second, "no");
    EXPECT_EQ(parse_resolver_option("do-ip6").error(), "'do-ip6' is not NAME:VALUE (e.g. do-ip6:no)");
}

TEST(DnsOptions, TrustAnchorZones) {
    const auto z = trust_anchor_zones("; comment\ntest.\t300\tIN\tDS\t1 13 2 AB\nTEST. IN DNSKEY 257 3 13 x\n"
                                      "example IN DS 1 2 3 4\n");
    EXPECT_EQ(z, (std::vector<std::string>{"test.", "example."}));
}

TEST(DnsOptions, BuiltinLocalZones) {
    EXPECT_EQ(builtin_local_zone("test."), "test.");
    EXPECT_EQ(builtin_local_zone("secure.TEST"), "test.");
    EXPECT_EQ(builtin_local_zone("lab.home.arpa."), "home.arpa.");
    EXPECT_EQ(builtin_local_zone("contest."), "");
    EXPECT_EQ(builtin_local_zone("example.net."), "");
    EXPECT_EQ(builtin_local_zone("."), "");
}

TEST(DnsUnbound, UnreadableTrustAnchorIsALocalError) {
    UnboundOptions o;
    o.trust_anchor_files = {"/nonexistent/ta.key"};
    try {
        (void)make_unbound_resolver(o);
        FAIL() << "no error";
    } catch (const mxdane::Error& e) {
        EXPECT_EQ(e.code(), mxdane::Errc::io);
        EXPECT_STREQ(e.what(), "cannot read the trust anchor file /nonexistent/ta.key: No such file or directory");
    }
}

TEST(DnsUnbound, BadOptionIsALocalError) {
    UnboundOptions o;
    o.default_trust_anchor = "/usr/share/dns/root.key";
    o.options = {{"no-such-option", "1"}};
    try {
        (void)make_unbound_resolver(o);
        FAIL() << "no error";
    } catch (const mxdane::Error& e) {
        EXPECT_EQ(e.code(), mxdane::Errc::io);
        EXPECT_EQ(std::string(e.what()).rfind("resolver: the resolver option setting no-such-option:1: ", 0), 0U)
            << e.what();
    }
}

} // namespace

namespace {

/// A UDP socket on a loopback port; with `answer`, a thread replies to one
/// query with its ID and the QR bit (any reply counts: RFC 1035 §4.1.1).
class UdpPeer {
  public:
    explicit UdpPeer(bool answer) : m_fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        auto* sa = reinterpret_cast<sockaddr*>(&a); // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): sockaddr API
        EXPECT_EQ(::bind(m_fd, sa, sizeof a), 0);
        socklen_t len = sizeof a;
        EXPECT_EQ(::getsockname(m_fd, sa, &len), 0);
        m_port = ntohs(a.sin_port);
        if (!answer) {
            ::close(m_fd); // nobody listens there any more
            m_fd = -1;
            return;
        }
        m_thread = std::thread([fd = m_fd] {
            std::array<std::uint8_t, 512> buf{};
            sockaddr_in from{};
            socklen_t flen = sizeof from;
            auto* fsa =
                reinterpret_cast<sockaddr*>(&from); // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): sockaddr API
            const ssize_t n = ::recvfrom(fd, buf.data(), buf.size(), 0, fsa, &flen);
            if (n >= 12) {
                buf[2] = static_cast<std::uint8_t>(buf[2] | 0x80U); // QR: a response
                buf[3] = 5;                                         // REFUSED still means "there"
                ::sendto(fd, buf.data(), static_cast<std::size_t>(n), 0, fsa, flen);
            }
        });
    }
    UdpPeer(const UdpPeer&) = delete;
    UdpPeer& operator=(const UdpPeer&) = delete;
    ~UdpPeer() {
        if (m_thread.joinable()) {
            m_thread.join();
        }
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    [[nodiscard]] std::uint16_t port() const { return m_port; }

  private:
    int m_fd;
    std::uint16_t m_port = 0;
    std::thread m_thread;
};

} // namespace

TEST(DnsReach, AnyReplyMeansTheServerIsThere) {
    const UdpPeer dead(false);
    const UdpPeer alive(true);
    EXPECT_FALSE(mxdane::dns::any_server_answers({{"127.0.0.1", dead.port()}}, std::chrono::milliseconds(2000)));
    EXPECT_TRUE(mxdane::dns::any_server_answers({{"127.0.0.1", dead.port()}, {"127.0.0.1", alive.port()}},
                                                std::chrono::milliseconds(2000)));
    EXPECT_FALSE(mxdane::dns::any_server_answers({{"not an address", 53}}, std::chrono::milliseconds(2000)));
}

namespace {

/// Answers SOA questions from a table; unlisted names get a secure
/// NXDOMAIN. Records every question.
class ZoneFake final : public Resolver {
  public:
    Answer resolve(std::string_view name, RrType type) override {
        asked.emplace_back(name);
        EXPECT_EQ(type, RrType::soa);
        const auto it = answers.find(std::string(name));
        if (it != answers.end()) {
            return it->second;
        }
        Answer a;
        a.qname = std::string(name);
        a.qtype = type;
        a.rcode = 3;
        a.nxdomain = true;
        a.security = Security::secure;
        return a;
    }
    /// An SOA answer at `name`.
    void soa(const std::string& name, Security sec = Security::secure, const std::string& canonical = "") {
        Answer a;
        a.qname = name;
        a.qtype = RrType::soa;
        a.security = sec;
        a.canonical = canonical;
        a.records = {Soa{"ns.test", "hostmaster.test", 1, 3600, 900, 604800, 300}};
        if (sec == Security::bogus) {
            a.why_bogus = "signature expired";
        }
        answers[name] = a;
    }
    /// NOERROR without data (the name exists, no SOA), or a failure RCODE.
    void empty(const std::string& name, int rcode = 0, Security sec = Security::secure) {
        Answer a;
        a.qname = name;
        a.qtype = RrType::soa;
        a.rcode = rcode;
        a.security = sec;
        if (sec == Security::bogus) {
            a.why_bogus = "no signatures";
        }
        answers[name] = a;
    }
    std::map<std::string, Answer> answers;
    std::vector<std::string> asked;
};

} // namespace

TEST(DnsZoneOf, WalksUpToTheApex) {
    ZoneFake dns;
    dns.empty("mx1.secure.test");
    dns.soa("secure.test");
    dns.soa("test");
    const auto z = zone_of(dns, "_25._tcp.MX1.secure.test.");
    ASSERT_TRUE(z) << z.error();
    EXPECT_EQ(*z, (Zone{"secure.test", Security::secure, ""}));
    EXPECT_EQ(dns.asked, (std::vector<std::string>{"_25._tcp.mx1.secure.test", "_tcp.mx1.secure.test",
                                                   "mx1.secure.test", "secure.test"}));
}

TEST(DnsZoneOf, TheNameItselfCanBeTheApex) {
    // A delegated _tcp.<host> zone holds the TLSA owner below it.
    ZoneFake dns;
    dns.soa("_tcp.mx8.secure.test", Security::insecure);
    const auto z = zone_of(dns, "_tcp.mx8.secure.test");
    ASSERT_TRUE(z) << z.error();
    EXPECT_EQ(*z, (Zone{"_tcp.mx8.secure.test", Security::insecure, ""}));
    EXPECT_EQ(dns.asked.size(), 1U);
}

TEST(DnsZoneOf, AFailureStopsTheWalk) {
    // The parent's zone would be a wrong answer when the name sits in a
    // broken child zone.
    ZoneFake dns;
    dns.empty("_25._tcp.mx8.secure.test", 2);
    dns.soa("secure.test");
    const auto z = zone_of(dns, "_25._tcp.mx8.secure.test");
    ASSERT_FALSE(z);
    EXPECT_EQ(z.error(), "the SOA lookup of _25._tcp.mx8.secure.test failed (SERVFAIL)");
    EXPECT_EQ(dns.asked.size(), 1U);
    dns.empty("_25._tcp.mx8.secure.test", 5);
    EXPECT_EQ(zone_of(dns, "_25._tcp.mx8.secure.test").error(),
              "the SOA lookup of _25._tcp.mx8.secure.test failed (REFUSED)");
    dns.empty("_25._tcp.mx8.secure.test", 4);
    EXPECT_EQ(zone_of(dns, "_25._tcp.mx8.secure.test").error(),
              "the SOA lookup of _25._tcp.mx8.secure.test failed (NOTIMP)");
    dns.empty("_25._tcp.mx8.secure.test", 9);
    EXPECT_EQ(zone_of(dns, "_25._tcp.mx8.secure.test").error(),
              "the SOA lookup of _25._tcp.mx8.secure.test failed (RCODE 9)");
}

TEST(DnsZoneOf, ABogusDenialStopsTheWalk) {
    ZoneFake dns;
    dns.empty("_25._tcp.mx7.bogus.test", 0, Security::bogus);
    dns.soa("test");
    const auto z = zone_of(dns, "_25._tcp.mx7.bogus.test");
    ASSERT_FALSE(z);
    EXPECT_EQ(z.error(), "DNSSEC validation failed at _25._tcp.mx7.bogus.test (no signatures)");
}

TEST(DnsZoneOf, ABogusSoaNamesTheZoneAndSaysBogus) {
    ZoneFake dns;
    dns.empty("mx7.bogus.test");
    dns.soa("bogus.test", Security::bogus);
    const auto z = zone_of(dns, "mx7.bogus.test");
    ASSERT_TRUE(z) << z.error();
    EXPECT_EQ(*z, (Zone{"bogus.test", Security::bogus, "signature expired"}));
}

TEST(DnsZoneOf, ACnameOwnerIsNoApex) {
    // The SOA in the answer is the CNAME target's (RFC 1034 §3.6.2).
    ZoneFake dns;
    dns.soa("_25._tcp.mx.example.net", Security::secure, "other.example.org");
    dns.empty("_tcp.mx.example.net");
    dns.empty("mx.example.net");
    dns.soa("example.net");
    const auto z = zone_of(dns, "_25._tcp.mx.example.net");
    ASSERT_TRUE(z) << z.error();
    EXPECT_EQ(z->apex, "example.net");
}

TEST(DnsZoneOf, NoSoaAnywhereEndsAtTheRoot) {
    ZoneFake dns;
    const auto z = zone_of(dns, "a.b.c");
    ASSERT_FALSE(z);
    EXPECT_EQ(z.error(), "no SOA found at a.b.c or any name above it");
    EXPECT_EQ(dns.asked, (std::vector<std::string>{"a.b.c", "b.c", "c", "."}));
    EXPECT_EQ(zone_of(dns, ".").error(), "no name given");
    EXPECT_EQ(zone_of(dns, "").error(), "no name given");
}

TEST(DnsZoneOf, TheRootIsAZoneToo) {
    ZoneFake dns;
    dns.soa(".");
    const auto z = zone_of(dns, "nowhere");
    ASSERT_TRUE(z) << z.error();
    EXPECT_EQ(z->apex, ".");
}

namespace {

/// A loopback UDP port that answers the first datagram (the reachability
/// probe) and then never again: a server that goes silent.
class SilentAfterProbe {
  public:
    SilentAfterProbe() : m_fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        auto* sa = reinterpret_cast<sockaddr*>(&a); // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): sockaddr API
        EXPECT_EQ(::bind(m_fd, sa, sizeof a), 0);
        socklen_t len = sizeof a;
        EXPECT_EQ(::getsockname(m_fd, sa, &len), 0);
        m_port = ntohs(a.sin_port);
        m_thread = std::thread([fd = m_fd] {
            std::array<std::uint8_t, 512> buf{};
            sockaddr_in from{};
            socklen_t flen = sizeof from;
            auto* fsa =
                reinterpret_cast<sockaddr*>(&from); // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): sockaddr API
            const ssize_t n = ::recvfrom(fd, buf.data(), buf.size(), 0, fsa, &flen);
            if (n >= 12) {
                buf[2] = static_cast<std::uint8_t>(buf[2] | 0x80U);
                buf[3] = 5;
                ::sendto(fd, buf.data(), static_cast<std::size_t>(n), 0, fsa, flen);
            }
        });
    }
    SilentAfterProbe(const SilentAfterProbe&) = delete;
    SilentAfterProbe& operator=(const SilentAfterProbe&) = delete;
    ~SilentAfterProbe() {
        m_thread.join();
        ::close(m_fd);
    }
    [[nodiscard]] std::uint16_t port() const { return m_port; }

  private:
    int m_fd;
    std::uint16_t m_port = 0;
    std::thread m_thread;
};

} // namespace

TEST(DnsUnbound, ADeadlineEndsALookupNobodyAnswers) {
    const SilentAfterProbe server;
    UnboundOptions o;
    o.forwarders = {{"127.0.0.1", server.port()}};
    o.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(700);
    const auto r = make_unbound_resolver(o);
    try {
        (void)r->resolve("mx1.example.net", RrType::soa);
        FAIL() << "no error";
    } catch (const mxdane::Error& e) {
        EXPECT_EQ(e.code(), mxdane::Errc::io);
        EXPECT_STREQ(e.what(), "DNS lookup timed out (no answer in time for mx1.example.net SOA)");
    }
    // Past the deadline, nothing is asked: not even the probe.
    try {
        (void)r->resolve("mx2.example.net", RrType::soa);
        FAIL() << "no error";
    } catch (const mxdane::Error& e) {
        EXPECT_EQ(e.code(), mxdane::Errc::io);
        EXPECT_STREQ(e.what(), "DNS lookup timed out (no answer in time for mx2.example.net SOA)");
    }
}
