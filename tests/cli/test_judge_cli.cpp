// Judging records as a sender would, through the real binary: owner names
// (oracle: ldns-read-zone on the same file), chain order (oracle: openssl
// verify -partial_chain on each neighbour pair), match or no match (oracle:
// openssl s_client -dane_tlsa_rrdata against openssl s_server serving the
// chain on loopback), several files, ports, names, local DNS failure.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_harness.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;

/// A CA, an intermediate, a server certificate for mx1.example.net, an
/// unrelated root, a self-signed server certificate, a wildcard-only one and
/// a CSR, all made by the openssl CLI.
class Pki {
  public:
    Pki() {
        shell("cd '" + dir().string() + R"(' && set -e
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ec ca.key; ec int.key; ec leaf.key; ec other.key; ec ss.key; ec wild.key
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > ca.ext
printf 'basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:mx1.example.net\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > leaf.ext
openssl req -x509 -new -key ca.key -out ca.crt -days 30 -subj "/CN=Test Root" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
openssl req -new -key int.key -subj "/CN=Test Intermediate" | openssl x509 -req -CA ca.crt -CAkey ca.key -set_serial 2 -days 30 -extfile ca.ext -out int.crt 2>/dev/null
openssl req -new -key leaf.key -subj "/CN=mx1.example.net" -addext subjectAltName=DNS:mx1.example.net -out leaf.csr
openssl req -new -key leaf.key -subj "/O=No Name" -out noname.csr
openssl x509 -req -in leaf.csr -CA int.crt -CAkey int.key -set_serial 3 -days 30 -extfile leaf.ext -out leaf.crt 2>/dev/null
openssl req -new -key ss.key -subj "/CN=mx2.example.net" | openssl x509 -req -CA int.crt -CAkey int.key -set_serial 4 -days 30 -extfile leaf.ext -out leaf2.crt 2>/dev/null
openssl req -x509 -new -key other.key -out other.crt -days 30 -subj "/CN=Other Root" -addext basicConstraints=critical,CA:TRUE
openssl req -x509 -new -key ss.key -out ss.crt -days 30 -subj "/CN=mx1.example.net" -addext basicConstraints=critical,CA:FALSE -addext subjectAltName=DNS:mx1.example.net
openssl req -x509 -new -key wild.key -out wild2.crt -days 30 -subj "/CN=*.example.net" -addext basicConstraints=critical,CA:FALSE -addext "subjectAltName=DNS:*.example.net,DNS:example.net"
openssl req -x509 -new -key wild.key -out wild.crt -days 30 -subj "/CN=*.example.net" -addext basicConstraints=critical,CA:FALSE -addext "subjectAltName=DNS:*.example.net"
cat leaf.crt int.crt ca.crt > chain.pem
cat int.crt ca.crt > issuers.pem
head -c 300 /dev/urandom > junk.der
)");
    }
    [[nodiscard]] fs::path dir() const { return m_dir.path(); }
    [[nodiscard]] std::string at(const std::string& name) const { return (m_dir.path() / name).string(); }

    /// Selector-1 (or 0) SHA-256/512 of a certificate by the openssl pipeline.
    [[nodiscard]] std::string hash(const std::string& cert, int selector = 1, int mtype = 1) const {
        const std::string dgst = mtype == 2 ? "-sha512" : "-sha256";
        const std::string der =
            selector == 1 ? "openssl x509 -in '" + at(cert) + "' -noout -pubkey | openssl pkey -pubin -outform DER"
                          : "openssl x509 -in '" + at(cert) + "' -outform DER";
        std::string h = shell(der + " | openssl dgst " + dgst + " -r | cut -d' ' -f1");
        while (!h.empty() && (h.back() == '\n' || h.back() == ' ')) {
            h.pop_back();
        }
        return h;
    }

    /// Writes `text` to a file in the directory and returns its path.
    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream(m_dir.path() / name) << text;
        return at(name);
    }

    /// The oracle for match or no match: does `openssl s_client` with these
    /// TLSA records (for `host`) accept `openssl s_server` serving the
    /// server certificate and `chain` on loopback?
    [[nodiscard]] bool openssl_accepts(const std::vector<std::string>& rrdata, const std::string& chain = "",
                                       const std::string& host = "mx1.example.net") const {
        std::string rr;
        for (const auto& r : rrdata) {
            rr += " -dane_tlsa_rrdata '" + r + "'";
        }
        const std::string script = "cd '" + dir().string() + R"(' || exit 9
for try in 1 2 3 4 5; do
  port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000 ))
  openssl s_server -quiet -naccept 1 -accept 127.0.0.1:$port -cert leaf.crt -key leaf.key )" +
                                   (chain.empty() ? "" : "-cert_chain " + chain) + R"( >/dev/null 2>&1 &
  pid=$!
  for i in $(seq 100); do ss -ltn | grep -q "127.0.0.1:$port " && break; kill -0 $pid 2>/dev/null || break; sleep 0.05; done
  kill -0 $pid 2>/dev/null && break
done
echo Q | openssl s_client -connect 127.0.0.1:$port -servername )" +
                                   host + " -dane_ee_no_namechecks -dane_tlsa_domain " + host + rr +
                                   R"( -verify_return_error >/dev/null 2>&1
rc=$?; kill $pid 2>/dev/null; wait $pid 2>/dev/null; exit $rc)";
        return run_process({"sh", "-c", script}).exit_code == 0;
    }

  private:
    TempDir m_dir;
};

const Pki& pki() {
    static const Pki p;
    return p;
}

// --- owner names ----------------------------------------------------------

/// (owner, class) of each TLSA record as ldns-read-zone reads `file`, and
/// the count of other records.
struct LdnsView {
    std::vector<std::pair<std::string, std::string>> tlsa;
    std::size_t others = 0;
};

LdnsView ldns_read(const std::string& file) {
    const RunResult r = run_process({"ldns-read-zone", file});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    LdnsView v;
    std::istringstream in(r.out);
    std::string owner;
    std::string ttl;
    std::string klass;
    std::string type;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        if (!(ls >> owner >> ttl >> klass >> type)) {
            continue;
        }
        for (auto& c : owner) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        if (type == "TLSA") {
            v.tlsa.emplace_back(owner, klass);
        } else {
            ++v.others;
        }
    }
    return v;
}

TEST(JudgeOwner, OwnerRuleAgreesWithLdnsReadZone) {
    const std::string h = pki().hash("leaf.crt");
    const std::string expected = "_25._tcp.mx1.example.net.";
    const std::vector<std::string> zones{
        // A whole zone with $ORIGIN, relative names, '@', classes, an
        // inherited owner, an absolute name in capitals.
        "$ORIGIN example.net.\n$TTL 3600\n@ IN SOA ns1 hostmaster ( 1 3600 600 86400 300 )\n@ IN NS ns1\n"
        "@ IN MX 10 mx1\nmx1 IN A 192.0.2.1\n_25._tcp IN TLSA 3 1 1 " +
            h + "\n_443._tcp.mx1 IN TLSA 3 1 1 " + h + "\n_25._udp.mx1 300 IN TLSA 3 1 1 " + h +
            "\nmx1 IN TLSA 3 1 1 " + h + "\n_25._tcp.mx1 CH TLSA 3 1 1 " + h +
            "\n_25._TCP.MX1.EXAMPLE.NET. IN TLSA 3 1 1 " + h + "\n\tIN TLSA 3 1 1 " + h + "\n",
        // No $ORIGIN: relative names hang from the root, as ldns reads them.
        "_25._tcp.mx1 300 IN TLSA 3 1 1 " + h + "\n_25._tcp.mx1.example.net. 300 IN TLSA 3 1 1 " + h + "\n",
        // The origin changed midway; the mail domain's owner. (A relative
        // $ORIGIN is left out: RFC 1035 §5.1 and BIND read it relative to
        // the current origin, ldns-read-zone 1.8.3 relative to the root.)
        "$ORIGIN example.org.\n_25._tcp.mx1 IN TLSA 3 1 1 " + h +
            "\n$ORIGIN example.net.\n_25._tcp 600 IN TLSA 3 1 1 " + h + "\n_25._tcp.mx1 IN TLSA 3 1 1 " + h + "\n",
    };
    for (std::size_t z = 0; z < zones.size(); ++z) {
        const std::string file = pki().write("owners" + std::to_string(z) + ".zone", zones[z]);
        const LdnsView ldns = ldns_read(file);
        const RunResult r = run_mxdane({"verify", "--json", "--cert", pki().at("leaf.crt"), "--tlsa-file", file});
        const auto j = nlohmann::json::parse(r.out);
        ASSERT_EQ(j["records"].size(), ldns.tlsa.size()) << zones[z];
        bool any_here = false;
        for (std::size_t i = 0; i < ldns.tlsa.size(); ++i) {
            const auto& rec = j["records"][i];
            const auto& [owner, klass] = ldns.tlsa[i];
            EXPECT_EQ(rec["record"]["owner"], owner) << zones[z];
            const bool here = owner == expected && klass == "IN";
            any_here = any_here || here;
            if (here) {
                EXPECT_EQ(rec["outcome"], "match") << owner;
            } else {
                EXPECT_EQ(rec["outcome"], "not for host") << owner << " " << klass;
                EXPECT_EQ(rec["reason"].get<std::string>().rfind("not for " + expected + " (", 0), 0U) << rec["reason"];
            }
        }
        std::size_t skipped = 0;
        for (const auto& [type, n] : j["skipped"].items()) {
            skipped += n.get<std::size_t>();
        }
        EXPECT_EQ(skipped, ldns.others) << zones[z];
        EXPECT_EQ(r.exit_code, any_here ? 0 : 1) << r.out;
        EXPECT_EQ(j["verdict"], std::string(any_here ? "authenticated" : "no records"));
        EXPECT_EQ(j["exit"], r.exit_code);
    }
}

TEST(JudgeOwner, TextSaysNotForHostAndCountsOtherTypes) {
    const std::string h = pki().hash("leaf.crt");
    const std::string file =
        pki().write("text.zone", "$ORIGIN example.net.\n@ IN SOA ns1 hm 1 2 3 4 5\n@ IN MX 10 mx1\nmx1 IN A 192.0.2.1\n"
                                 "_25._tcp IN TLSA 3 1 1 " +
                                     h + "\n");
    const RunResult r = run_mxdane({"verify", "--cert", pki().at("leaf.crt"), "--tlsa-file", file});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("line 5: 3 1 1 " + h + ": not for _25._tcp.mx1.example.net. (owner _25._tcp.example.net.)"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("skipped: 3 records of other types (1 SOA, 1 MX, 1 A)"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("malformed"), std::string::npos) << r.out;
    // --host and --port choose the owner; bare RDATA is meant for it.
    const RunResult p =
        run_mxdane({"verify", "--cert", pki().at("leaf.crt"), "--host", "mx1.example.net", "--port", "465", "--tlsa",
                    "_25._tcp.mx1.example.net. IN TLSA 3 1 1 " + h, "--tlsa", "3 1 1 " + h});
    EXPECT_EQ(p.exit_code, 0) << p.out;
    EXPECT_NE(p.out.find("not for _465._tcp.mx1.example.net. (owner _25._tcp.mx1.example.net.)"), std::string::npos)
        << p.out;
}

// --- chains ---------------------------------------------------------------

TEST(JudgeChain, OrderAgreesWithOpensslVerifyPartialChain) {
    const std::vector<std::vector<std::string>> files{
        {"leaf.crt", "int.crt", "ca.crt"},
        {"leaf.crt", "int.crt"},
        {"int.crt", "leaf.crt"},
        {"leaf.crt", "ca.crt", "int.crt"},
        {"ca.crt", "int.crt", "leaf.crt"},
        {"leaf.crt", "other.crt"},
        {"leaf.crt", "int.crt", "other.crt"},
        {"other.crt", "leaf.crt", "int.crt"},
        {"int.crt", "ca.crt"},
        {"leaf.crt", "leaf2.crt", "int.crt"},
        {"leaf.crt", "int.crt", "leaf2.crt"},
    };
    const std::string h = pki().hash("leaf.crt");
    for (std::size_t n = 0; n < files.size(); ++n) {
        const auto& parts = files[n];
        std::string text;
        std::string listed;
        bool in_order = true;
        for (std::size_t i = 0; i < parts.size(); ++i) {
            text += read_file(pki().at(parts[i]));
            listed += parts[i] + " ";
            if (i + 1 < parts.size()) {
                // The oracle: is certificate i issued by certificate i+1?
                in_order = in_order && run_process({"openssl", "verify", "-partial_chain", "-CAfile",
                                                    pki().at(parts[i + 1]), pki().at(parts[i])})
                                               .exit_code == 0;
            }
        }
        const std::string file = pki().write("bundle" + std::to_string(n) + ".pem", text);
        const RunResult t = run_mxdane({"tlsa", "--host", "mx1.example.net", file});
        const RunResult v = run_mxdane({"verify", "--cert", file, "--tlsa", "3 1 1 " + h});
        const RunResult i = run_mxdane({"inspect", file});
        if (in_order) {
            EXPECT_EQ(t.exit_code, 0) << listed << t.err;
            EXPECT_EQ(i.exit_code, 0) << listed << i.err;
            EXPECT_EQ(v.exit_code, parts.front() == "leaf.crt" ? 0 : 1) << listed << v.err;
            continue;
        }
        for (const RunResult* r : {&t, &v, &i}) {
            EXPECT_EQ(r->exit_code, 64) << listed << r->out;
            EXPECT_TRUE(r->out.empty()) << listed << r->out;
            EXPECT_NE(r->err.find("smtpd_tls_chain_files"), std::string::npos) << listed << r->err;
            EXPECT_NE(r->err.find("CN=mx1.example.net"), std::string::npos) << listed << r->err;
        }
    }
}

TEST(JudgeChain, DaneTaPinsACertificateThatIssuedOneInTheChain) {
    // Each record mxdane prints for usage 2, with the chain the server sends,
    // is accepted by openssl's DANE client; the refused inputs say why.
    struct Case {
        std::vector<std::string> args;
        std::string pinned; ///< the certificate whose key the 2 1 1 must be
        std::string served_chain;
    };
    const std::vector<Case> cases{
        {{"chain.pem"}, "ca.crt", "issuers.pem"},
        {{pki().write("leaf-int.pem", read_file(pki().at("leaf.crt")) + read_file(pki().at("int.crt")))},
         "int.crt",
         "int.crt"},
        {{"--host", "mx1.example.net", "ca.crt"}, "ca.crt", "issuers.pem"}, // one's own CA, given alone
    };
    for (const auto& c : cases) {
        std::vector<std::string> args{"tlsa", "--usage", "2", "--format", "rdata"};
        for (const auto& a : c.args) {
            args.push_back(a.find('/') == std::string::npos && a.find('.') != std::string::npos && a[0] != '-' &&
                                   a != "mx1.example.net"
                               ? pki().at(a)
                               : a);
        }
        const RunResult r = run_mxdane(args);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(r.out, "2 1 1 " + pki().hash(c.pinned) + "\n");
        EXPECT_TRUE(pki().openssl_accepts({r.out.substr(0, r.out.size() - 1)}, c.served_chain)) << c.pinned;
    }
    const std::vector<std::pair<std::string, std::string>> refused{
        {"leaf.crt", "comes without its issuer"},
        {"ss.crt", "is self-signed without CA:TRUE"},
        {"leaf.key", "a private key is none"},
    };
    for (const auto& [file, why] : refused) {
        const RunResult r = run_mxdane({"tlsa", "--usage", "2", "--host", "mx1.example.net", pki().at(file)});
        EXPECT_EQ(r.exit_code, 64) << file;
        EXPECT_NE(r.err.find(why), std::string::npos) << r.err;
        EXPECT_TRUE(r.out.empty());
    }
}

// --- several files --------------------------------------------------------

TEST(JudgeFiles, EachFileGetsItsRecordsOrItsError) {
    const std::string h = pki().hash("leaf.crt");
    const RunResult bad = run_mxdane({"tlsa", pki().at("junk.der"), pki().at("leaf.crt"), pki().at("wild.crt")});
    EXPECT_EQ(bad.exit_code, 64);
    EXPECT_EQ(bad.out, "_25._tcp.mx1.example.net. IN TLSA 3 1 1 " + h + "\n");
    EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 2) << bad.err;
    EXPECT_EQ(bad.err.rfind("error: " + pki().at("junk.der") + ": ", 0), 0U) << bad.err;
    const RunResult missing =
        run_mxdane({"tlsa", pki().at("nothing-here.pem"), pki().at("junk.der"), pki().at("leaf.crt")});
    EXPECT_EQ(missing.exit_code, 2) << missing.err; // could not read wins over bad input
    EXPECT_EQ(missing.out, "_25._tcp.mx1.example.net. IN TLSA 3 1 1 " + h + "\n");
}

// --- true reasons ---------------------------------------------------------

TEST(JudgeReasons, VerdictsAgreeWithOpensslAndSayWhy) {
    const std::string h = pki().hash("leaf.crt");
    const std::string h512 = pki().hash("leaf.crt", 1, 2);
    const std::string c256 = pki().hash("leaf.crt", 0, 1);
    const std::string ta = pki().hash("ca.crt");
    const std::string zero(64, '0');
    const std::string zero512(128, '0');
    struct Case {
        std::vector<std::string> rrset;
        std::string host;
        std::string reason; ///< part of the verdict line
    };
    const std::vector<Case> cases{
        {{"3 1 1 " + h, "3 1 2 " + zero512}, "mx1.example.net", "3 1 1 " + h.substr(0, 16) + "... would match"},
        {{"3 0 1 " + c256, "3 0 2 " + zero512},
         "mx1.example.net",
         "ignored because 3 0 2 0000000000000000... is present"},
        {{"2 1 1 " + ta, "2 1 2 " + zero512}, "mx1.example.net", "2 1 1 " + ta.substr(0, 16) + "... would match"},
        {{"3 1 1 " + h, "3 1 2 " + h512}, "mx1.example.net", "authenticated"},
        {{"3 1 1 " + zero, "3 1 2 " + h512}, "mx1.example.net", "authenticated"},
        {{"3 0 1 " + h}, "mx1.example.net", "no usable TLSA record matches"},
        {{"2 1 1 " + ta}, "other.example.net", "does not name other.example.net"},
        {{"2 1 1 " + ta}, "mx1.example.net", "authenticated"},
        {{"1 1 1 " + h}, "mx1.example.net", "no usable TLSA record"},
    };
    for (const auto& c : cases) {
        std::vector<std::string> args{"verify", "--cert", pki().at("chain.pem"), "--host", c.host};
        std::string listed;
        for (const auto& r : c.rrset) {
            args.insert(args.end(), {"--tlsa", r});
            listed += r.substr(0, 5) + "; ";
        }
        const bool oracle = pki().openssl_accepts(c.rrset, "issuers.pem", c.host);
        const RunResult r = run_mxdane(args);
        EXPECT_EQ(r.exit_code, oracle ? 0 : 1) << listed << r.out;
        EXPECT_NE(r.out.find(c.reason), std::string::npos) << listed << r.out;
    }
    // A record with the key's digest under selector 0: the wrong selector.
    const RunResult sel = run_mxdane({"verify", "--cert", pki().at("leaf.crt"), "--tlsa", "3 0 1 " + h});
    EXPECT_NE(sel.out.find("wrong selector"), std::string::npos) << sel.out;
}

TEST(JudgeReasons, KeyIsPublishedOrNot) {
    const std::string h = pki().hash("leaf.crt");
    const RunResult yes = run_mxdane({"verify", "--key", pki().at("leaf.key"), "--tlsa", "3 1 1 " + h});
    EXPECT_EQ(yes.exit_code, 0);
    EXPECT_NE(yes.out.find("verdict: published: "), std::string::npos) << yes.out;
    const RunResult no = run_mxdane({"verify", "--key", pki().at("ss.key"), "--tlsa", "3 1 1 " + h});
    EXPECT_EQ(no.exit_code, 1);
    EXPECT_NE(no.out.find("verdict: not published: "), std::string::npos) << no.out;
    EXPECT_EQ(no.out.find("defer"), std::string::npos) << no.out;
}

TEST(JudgeNames, WildcardsAndCsrNames) {
    const RunResult wild = run_mxdane({"tlsa", pki().at("wild.crt")});
    EXPECT_EQ(wild.exit_code, 64);
    EXPECT_NE(wild.err.find("--host is needed: the certificate's only name is a wildcard (*.example.net)"),
              std::string::npos)
        << wild.err;
    const RunResult wild2 = run_mxdane({"tlsa", pki().at("wild2.crt")});
    EXPECT_EQ(wild2.exit_code, 0) << wild2.err;
    EXPECT_EQ(wild2.out.rfind("_25._tcp.example.net. IN TLSA 3 1 1 " + pki().hash("wild2.crt") + "\n", 0), 0U);
    EXPECT_NE(wild2.err.find("owner name from example.net, not from the wildcard *.example.net: give --host"),
              std::string::npos)
        << wild2.err;
    const RunResult csr = run_mxdane({"tlsa", pki().at("leaf.csr")});
    EXPECT_EQ(csr.exit_code, 0) << csr.err;
    EXPECT_EQ(csr.out, "_25._tcp.mx1.example.net. IN TLSA 3 1 1 " + pki().hash("leaf.crt") + "\n");
    const RunResult none = run_mxdane({"tlsa", pki().at("noname.csr")});
    EXPECT_EQ(none.exit_code, 64);
    EXPECT_NE(none.err.find("--host is needed: the CSR has no DNS name"), std::string::npos) << none.err;
}

// --- ports ----------------------------------------------------------------

TEST(JudgePorts, OneToSixtyFiveThousandFiveHundredThirtyFiveEverywhere) {
    const std::string cert = pki().at("leaf.crt");
    const std::vector<std::vector<std::string>> commands{
        {"tlsa", cert},
        {"verify", "--cert", cert, "--tlsa", "3 1 1 00"},
        {"keygen", "--dry-run", "mx1.example.net"},
        {"publish", "mx1.example.net", "--cert", cert, "--publish-hook", "true"},
        {"unpublish", "mx1.example.net", "--cert", cert, "--publish-hook", "true"},
        {"check", "--mx", "mx1.example.net"},
    };
    for (const auto& cmd : commands) {
        for (const std::string bad : {"0", "65536", "-1"}) {
            auto args = cmd;
            args.insert(args.end(), {"--port", bad});
            const RunResult r = run_mxdane(args);
            EXPECT_EQ(r.exit_code, 64) << cmd[0] << " --port " << bad;
            EXPECT_NE(r.err.find("--port"), std::string::npos) << r.err;
        }
    }
    const RunResult top = run_mxdane({"tlsa", "--port", "65535", cert});
    EXPECT_EQ(top.out.rfind("_65535._tcp.mx1.example.net. IN TLSA 3 1 1 ", 0), 0U) << top.out;
}

// --- local DNS failure ----------------------------------------------------

/// A loopback UDP port nobody listens on (bound, then closed).
int dead_port() {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a),
           sizeof a); // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): sockaddr API
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a),
                  &len); // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): sockaddr API
    ::close(fd);
    return ntohs(a.sin_port);
}

TEST(JudgeDns, NoResolverIsALocalFailureNotAVerdict) {
    const std::string at = "127.0.0.1@" + std::to_string(dead_port());
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"check", "--forward", at, "example.net"},
             {"check", "--stub", "example.net=" + at, "--mx", "mx1.example.net"},
             {"check", "--json", "--forward", at, "example.net"},
         }) {
        const RunResult r = run_mxdane(args);
        EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
        EXPECT_EQ(r.err.rfind("error: cannot reach DNS (no answer from " + at + ")", 0), 0U) << r.err;
        EXPECT_EQ(r.out.find("summary"), std::string::npos) << r.out;
    }
}

} // namespace
