// publish/unpublish against a real authoritative server (issue #6): Knot DNS
// from tests/lab/updlab, accepting TSIG-signed updates for dyn.test. and
// signing them itself. What the zone holds is read back with dig and
// validated with unbound-host, never with mxdane; expected records come from
// the openssl CLI. Each test works on its own host name, so they may run in
// parallel.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <netinet/in.h>
#include <regex>
#include <sstream>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "../cli/cli_harness.h"

namespace {
using namespace mxdane::test;

std::map<std::string, std::string> lab_env() {
    std::ifstream in(std::string(MXDANE_UPDLAB_DIR) + "/updlab.env");
    std::map<std::string, std::string> env;
    std::string line;
    while (std::getline(in, line)) {
        const auto eq = line.find('=');
        if (!line.empty() && line[0] != '#' && eq != std::string::npos) {
            env[line.substr(0, eq)] = line.substr(eq + 1);
        }
    }
    return env;
}

class PublishLab : public ::testing::Test {
  protected:
    void SetUp() override {
        env = lab_env();
        if (env.empty()) {
            GTEST_SKIP() << "no update lab in " << MXDANE_UPDLAB_DIR << " (the updlab_start fixture starts it)";
        }
    }

    /// A fresh P-256 key made by openssl, and its 3 1 1 digest per openssl.
    std::pair<std::string, std::string> new_key(const std::string& name) {
        const std::string path = (dir.path() / (name + ".key")).string();
        shell("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out '" + path + "' 2>/dev/null");
        std::string hex =
            shell("openssl pkey -in '" + path + "' -pubout -outform DER | openssl dgst -sha256 | awk '{ print $NF }'");
        hex.erase(std::remove(hex.begin(), hex.end(), '\n'), hex.end());
        return {path, hex};
    }

    struct Seen {
        std::vector<std::string> tlsa; ///< "3 1 1 <hex>", lowercase, sorted
        int rrsigs = 0;                ///< RRSIGs covering TLSA
    };

    /// What the server holds at OWNER, asked with dig +dnssec.
    Seen dig_tlsa(const std::string& owner) {
        const auto r = run_process(
            {"dig", "+noall", "+answer", "+dnssec", "+norec", "-p", env["UPD_PORT"], "@127.0.0.1", "TLSA", owner});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        Seen s;
        std::istringstream lines(r.out);
        std::string line;
        while (std::getline(lines, line)) {
            std::istringstream f(line);
            std::vector<std::string> w;
            for (std::string x; f >> x;) {
                w.push_back(x);
            }
            if (w.size() >= 8 && w[3] == "TLSA") {
                std::string data;
                for (std::size_t i = 7; i < w.size(); ++i) {
                    data += w[i];
                }
                std::transform(data.begin(), data.end(), data.begin(), [](unsigned char c) { return std::tolower(c); });
                s.tlsa.push_back(w[4] + " " + w[5] + " " + w[6] + " " + data);
            } else if (w.size() >= 5 && w[3] == "RRSIG" && w[4] == "TLSA") {
                ++s.rrsigs;
            }
        }
        std::sort(s.tlsa.begin(), s.tlsa.end());
        return s;
    }

    /// unbound-host's verdict line(s) through the zone's trust anchor.
    std::string validated(const std::string& owner) {
        return run_process({"unbound-host", "-C", env["UPD_UNBOUND_CONF"], "-v", "-t", "TLSA", owner}).out;
    }

    RunResult mxdane(std::vector<std::string> args) { return run_mxdane(args); }

    std::vector<std::string> nsupdate(const std::string& key_file) {
        return {"--nsupdate", env["UPD_SERVER"], "--tsig-key", key_file};
    }

    std::vector<std::string> cat(std::vector<std::string> a, const std::vector<std::string>& b) {
        a.insert(a.end(), b.begin(), b.end());
        return a;
    }

    std::map<std::string, std::string> env;
    TempDir dir;
};

TEST_F(PublishLab, PublishedRecordsComeBackSignedAndValidate) {
    const auto [k1, h1] = new_key("k1");
    const auto [k2, h2] = new_key("k2");
    const auto r =
        mxdane(cat({"publish", "signed.dyn.test", "--key", k1, "--key", k2, "--ttl", "60"}, nsupdate(env["UPD_KEY"])));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "_25._tcp.signed.dyn.test. 60 IN TLSA 3 1 1 " + h1 +
                         "\n_25._tcp.signed.dyn.test. 60 IN TLSA 3 1 1 " + h2 + "\n");
    EXPECT_NE(r.err.find("Published 2 records at _25._tcp.signed.dyn.test. in zone dyn.test.: server " +
                         env["UPD_SERVER"] + " applied the update (NOERROR, reply signed with upd-key.)."),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("counts only once a validating resolver sees it secure"), std::string::npos) << r.err;

    const auto seen = dig_tlsa("_25._tcp.signed.dyn.test.");
    auto want = std::vector<std::string>{"3 1 1 " + h1, "3 1 1 " + h2};
    std::sort(want.begin(), want.end());
    EXPECT_EQ(seen.tlsa, want);
    EXPECT_EQ(seen.rrsigs, 1) << "Knot signs the updated RRset";
    const auto v = validated("_25._tcp.signed.dyn.test");
    EXPECT_NE(v.find("3 1 1 " +
                     [&] {
                         std::string u = h1;
                         std::transform(u.begin(), u.end(), u.begin(), [](unsigned char c) { return std::toupper(c); });
                         return u;
                     }() +
                     " (secure)"),
              std::string::npos)
        << v;
}

TEST_F(PublishLab, PublishingAgainChangesNothing) {
    const auto [k1, h1] = new_key("k1");
    const auto args = cat({"publish", "again.dyn.test", "--key", k1}, nsupdate(env["UPD_KEY"]));
    ASSERT_EQ(mxdane(args).exit_code, 0);
    const auto r = mxdane(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("Already published: _25._tcp.again.dyn.test. IN TLSA 3 1 1 " + h1), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("Nothing to change"), std::string::npos) << r.err;
    EXPECT_EQ(dig_tlsa("_25._tcp.again.dyn.test.").tlsa, std::vector<std::string>{"3 1 1 " + h1});
}

TEST_F(PublishLab, UnpublishRemovesExactlyOneRecord) {
    const auto [k1, h1] = new_key("k1");
    const auto [k2, h2] = new_key("k2");
    ASSERT_EQ(mxdane(cat({"publish", "unpub.dyn.test", "--key", k1, "--key", k2}, nsupdate(env["UPD_KEY"]))).exit_code,
              0);
    // with the second key (hmac-sha512) to cover that algorithm too
    const auto r = mxdane(cat({"unpublish", "unpub.dyn.test", "--key", k1}, nsupdate(env["UPD_KEY512"])));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "_25._tcp.unpub.dyn.test. IN TLSA 3 1 1 " + h1 + "\n");
    EXPECT_NE(r.err.find("Deleted 1 record from _25._tcp.unpub.dyn.test. in zone dyn.test."), std::string::npos)
        << r.err;
    const auto seen = dig_tlsa("_25._tcp.unpub.dyn.test.");
    EXPECT_EQ(seen.tlsa, std::vector<std::string>{"3 1 1 " + h2});
    EXPECT_EQ(seen.rrsigs, 1);

    const auto again = mxdane(cat({"unpublish", "unpub.dyn.test", "--key", k1}, nsupdate(env["UPD_KEY"])));
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(again.out, "");
    EXPECT_NE(again.err.find("Already absent: _25._tcp.unpub.dyn.test. IN TLSA 3 1 1 " + h1), std::string::npos)
        << again.err;
}

/// Each refusal: its own message, exit 1, nothing on stdout, zone unchanged.
class Refusals : public PublishLab {
  protected:
    void expect_refused(const std::string& host, const std::vector<std::string>& backend, const std::string& message) {
        const auto [k1, h1] = new_key("k1");
        const auto [k2, h2] = new_key("k2");
        const std::string owner = "_25._tcp." + host + ".";
        // In dyn.test. a record is published first, so that the unpublish
        // really reaches the server; elsewhere it would stop at "absent".
        const bool updatable = host.find(".dyn.test") != std::string::npos;
        if (updatable) {
            ASSERT_EQ(mxdane(cat({"publish", host, "--key", k1}, nsupdate(env["UPD_KEY"]))).exit_code, 0);
        }
        const auto before = dig_tlsa(owner).tlsa;
        for (const std::string verb : {"publish", "unpublish"}) {
            if (verb == "unpublish" && !updatable) {
                continue;
            }
            const auto r = mxdane(cat({verb, host, "--key", verb == "publish" ? k2 : k1}, backend));
            EXPECT_EQ(r.exit_code, 1) << verb << ": " << r.err;
            EXPECT_EQ(r.out, "") << verb;
            EXPECT_EQ(r.err, "error: " + message + "\n") << verb;
        }
        EXPECT_EQ(dig_tlsa(owner).tlsa, before);
    }
};

TEST_F(Refusals, WrongSecretIsBadsig) {
    expect_refused("badsig.dyn.test", nsupdate(env["UPD_WRONG_SECRET_KEY"]),
                   "server " + env["UPD_SERVER"] +
                       " rejected the signature made with TSIG key upd-key. (NOTAUTH, TSIG error BADSIG): the secret "
                       "in the key file is not the server's");
}

TEST_F(Refusals, UnknownKeyNameIsBadkey) {
    expect_refused("badkey.dyn.test", nsupdate(env["UPD_UNKNOWN_KEY"]),
                   "server " + env["UPD_SERVER"] +
                       " does not accept TSIG key nobody-knows-me. for updates of zone dyn.test. (NOTAUTH, TSIG error "
                       "BADKEY): the server does not know this key name, or the zone's update policy does not list it");
}

TEST_F(Refusals, ZoneWithoutUpdatePolicy) {
    // Knot answers an ACL denial with NOTAUTH + TSIG BADKEY (BIND would say
    // REFUSED; that path is covered by the unit tests with a crafted reply).
    expect_refused("mx1.noupd.test", nsupdate(env["UPD_KEY"]),
                   "server " + env["UPD_SERVER"] +
                       " does not accept TSIG key upd-key. for updates of zone noupd.test. (NOTAUTH, TSIG error "
                       "BADKEY): the server does not know this key name, or the zone's update policy does not list it");
}

TEST_F(Refusals, ZoneTheServerDoesNotServe) {
    expect_refused("mx1.elsewhere.test", nsupdate(env["UPD_KEY"]),
                   "server " + env["UPD_SERVER"] +
                       " serves no zone that holds _25._tcp.mx1.elsewhere.test. (it answered REFUSED to an SOA "
                       "query); name the server of that zone, or give --zone");
}

TEST_F(PublishLab, ServerDownIsUnreachable) {
    const auto [k1, h1] = new_key("k1");
    const auto r = mxdane(cat({"publish", "down.dyn.test", "--key", k1},
                              {"--nsupdate", env["UPD_DEAD_SERVER"], "--tsig-key", env["UPD_KEY"]}));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "error: cannot connect to " + env["UPD_DEAD_SERVER"] + ": Connection refused\n");
    EXPECT_TRUE(dig_tlsa("_25._tcp.down.dyn.test.").tlsa.empty());
}

TEST_F(PublishLab, SilentServerTimesOut) {
    // A listener that never accepts: the connection completes (backlog), no
    // answer ever comes.
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(s, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0); // NOLINT: sockaddr API
    ASSERT_EQ(::listen(s, 4), 0);
    socklen_t len = sizeof a;
    ASSERT_EQ(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len), 0); // NOLINT: sockaddr API
    const std::string server = "127.0.0.1@" + std::to_string(ntohs(a.sin_port));
    const auto [k1, h1] = new_key("k1");
    const auto r = mxdane({"publish", "silent.dyn.test", "--key", k1, "--nsupdate", server, "--tsig-key",
                           env["UPD_KEY"], "--zone", "dyn.test", "--timeout", "1"});
    ::close(s);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err,
              "error: no answer from " + server + " within 1000 ms (the update may or may not have been applied)\n");
}

TEST_F(PublishLab, HookScriptIsValidNsupdateInput) {
    // The hook hands its stdin to BIND's nsupdate: the script mxdane writes
    // is accepted by the reference client, and Knot signs the result.
    const auto [k1, h1] = new_key("k1");
    const std::string log = (dir.path() / "hook.log").string();
    const std::string hook = "env | grep '^MXDANE_' | sort > '" + log + "'; { echo 'server 127.0.0.1 " +
                             env["UPD_PORT"] + "'; cat; } | nsupdate -k '" + env["UPD_KEY"] + "'";
    const auto r =
        mxdane({"publish", "hook.dyn.test", "--key", k1, "--ttl", "120", "--zone", "dyn.test", "--publish-hook", hook});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "_25._tcp.hook.dyn.test. 120 IN TLSA 3 1 1 " + h1 + "\n");
    const auto seen = dig_tlsa("_25._tcp.hook.dyn.test.");
    EXPECT_EQ(seen.tlsa, std::vector<std::string>{"3 1 1 " + h1});
    EXPECT_EQ(seen.rrsigs, 1);
    const std::string got = read_file(log);
    EXPECT_NE(got.find("MXDANE_ACTION=add\n"), std::string::npos) << got;
    EXPECT_NE(got.find("MXDANE_HOST=hook.dyn.test\n"), std::string::npos) << got;
    EXPECT_NE(got.find("MXDANE_RDATA=3 1 1 " + h1 + "\n"), std::string::npos) << got;
    EXPECT_NE(got.find("MXDANE_TTL=120\n"), std::string::npos) << got;
    EXPECT_NE(got.find("MXDANE_ZONE=dyn.test.\n"), std::string::npos) << got;

    // and back out through the same hook
    const auto u = mxdane({"unpublish", "hook.dyn.test", "--key", k1, "--zone", "dyn.test", "--publish-hook", hook});
    ASSERT_EQ(u.exit_code, 0) << u.err;
    EXPECT_TRUE(dig_tlsa("_25._tcp.hook.dyn.test.").tlsa.empty());
}

TEST_F(PublishLab, FailingHookClaimsNothing) {
    // nsupdate with the wrong secret fails, and so does the hook.
    const auto [k1, h1] = new_key("k1");
    const std::string hook =
        "{ echo 'server 127.0.0.1 " + env["UPD_PORT"] + "'; cat; } | nsupdate -k '" + env["UPD_WRONG_SECRET_KEY"] + "'";
    const auto r = mxdane({"publish", "hookfail.dyn.test", "--key", k1, "--publish-hook", hook});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("error: the publish hook failed with exit status 2; nothing is known to be published\n"),
              std::string::npos)
        << r.err;
    EXPECT_TRUE(dig_tlsa("_25._tcp.hookfail.dyn.test.").tlsa.empty());
}

/// A TCP relay to Knot that lets another writer change the RRset just
/// before it forwards an UPDATE: the race the prerequisite exists for.
class RacingRelay {
  public:
    RacingRelay(std::uint16_t knot_port, std::string racer) : m_knot(knot_port), m_racer(std::move(racer)) {
        m_listen = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a = loopback(0);
        if (m_listen < 0 || ::bind(m_listen, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || // NOLINT: sockaddr
            ::listen(m_listen, 4) != 0) {
            throw std::runtime_error("relay: cannot listen");
        }
        socklen_t len = sizeof a;
        ::getsockname(m_listen, reinterpret_cast<sockaddr*>(&a), &len); // NOLINT: sockaddr API
        port = ntohs(a.sin_port);
        m_thread = std::thread([this] { run(); });
    }
    RacingRelay(const RacingRelay&) = delete;
    RacingRelay& operator=(const RacingRelay&) = delete;
    ~RacingRelay() {
        ::shutdown(m_listen, SHUT_RDWR);
        m_thread.join();
        ::close(m_listen);
    }
    std::uint16_t port = 0;
    std::atomic<bool> raced{false};

  private:
    static sockaddr_in loopback(std::uint16_t p) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(p);
        return a;
    }
    static bool read_msg(int fd, std::vector<std::uint8_t>& m) {
        m.assign(2, 0);
        std::size_t have = 0;
        std::size_t want = 2;
        while (have < want) {
            const auto n = ::recv(fd, m.data() + have, want - have, 0);
            if (n <= 0) {
                return false;
            }
            have += static_cast<std::size_t>(n);
            if (have == 2 && want == 2) {
                want = 2 + (static_cast<std::size_t>(m[0]) << 8 | m[1]);
                m.resize(want);
            }
        }
        return true;
    }
    void run() {
        while (true) {
            const int c = ::accept(m_listen, nullptr, nullptr);
            if (c < 0) {
                return;
            }
            std::vector<std::uint8_t> q;
            std::vector<std::uint8_t> r;
            if (read_msg(c, q) && q.size() > 4) {
                if (((q[4] >> 3) & 0x0f) == 5) { // opcode UPDATE (after the 2-byte length)
                    shell(m_racer);
                    raced = true;
                }
                const int k = ::socket(AF_INET, SOCK_STREAM, 0);
                sockaddr_in a = loopback(m_knot);
                if (::connect(k, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && // NOLINT: sockaddr API
                    ::send(k, q.data(), q.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(q.size()) && read_msg(k, r)) {
                    (void)::send(c, r.data(), r.size(), MSG_NOSIGNAL);
                }
                ::close(k);
            }
            ::close(c);
        }
    }
    std::uint16_t m_knot;
    std::string m_racer;
    int m_listen = -1;
    std::thread m_thread;
};

TEST_F(PublishLab, ConcurrentChangeTripsThePrerequisite) {
    const auto [k1, h1] = new_key("k1");
    const auto [k2, h2] = new_key("k2");
    const auto [k3, h3] = new_key("k3");
    const std::string owner = "_25._tcp.race.dyn.test.";
    ASSERT_EQ(mxdane(cat({"publish", "race.dyn.test", "--key", k1}, nsupdate(env["UPD_KEY"]))).exit_code, 0);
    // Between mxdane's read of the RRset and its update, BIND's nsupdate
    // adds k3's record.
    const std::string racer = "printf 'server 127.0.0.1 " + env["UPD_PORT"] + "\\nupdate add " + owner +
                              " 3600 IN TLSA 3 1 1 " + h3 + "\\nsend\\n' | nsupdate -k '" + env["UPD_KEY"] + "'";
    for (const std::string verb : {"publish", "unpublish"}) {
        if (verb == "unpublish") {
            // the racer now deletes k3 again while mxdane deletes k1
            ASSERT_EQ(dig_tlsa(owner).tlsa.size(), 2U);
        }
        const std::string race_cmd =
            verb == "publish" ? racer
                              : std::regex_replace(racer, std::regex("update add (\\S+) 3600"), "update delete $1");
        RacingRelay relay(static_cast<std::uint16_t>(std::stoi(env["UPD_PORT"])), race_cmd);
        const auto r =
            mxdane({verb, "race.dyn.test", "--key", verb == "publish" ? k2 : k1, "--nsupdate",
                    "127.0.0.1@" + std::to_string(relay.port), "--tsig-key", env["UPD_KEY"], "--zone", "dyn.test"});
        EXPECT_EQ(r.exit_code, 1) << verb << ": " << r.err;
        EXPECT_EQ(r.out, "");
        EXPECT_EQ(r.err, "error: the TLSA RRset at " + owner +
                             " changed after mxdane read it (NXRRSET: prerequisite not met; another update at the "
                             "same time?); nothing was changed, run again\n");
        EXPECT_TRUE(relay.raced);
    }
    // Only the racer's changes happened: k3 added, then deleted again; k1 stays.
    EXPECT_EQ(dig_tlsa(owner).tlsa, std::vector<std::string>{"3 1 1 " + h1});
}

} // namespace
