// The certificate and key mxdane keygen writes, read back from the files with
// the openssl CLI (an independent parser), and what it prints: --json,
// --port, --dry-run, stdout/stderr separation, the file-name date stamp.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "cli_harness.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

std::string today() {
    return trim(shell("date +%Y%m%d"));
}

std::string q(const fs::path& p) {
    return "'" + p.string() + "'";
}

/// "notBefore=Nov 28 21:13:08 2026 GMT" -> seconds since the epoch, by date(1).
long long epoch_of(const std::string& field_line) {
    const std::string when = field_line.substr(field_line.find('=') + 1);
    return std::stoll(trim(shell("date -u -d '" + when + "' +%s")));
}

std::string iso_of(const std::string& field_line) {
    const std::string when = field_line.substr(field_line.find('=') + 1);
    return trim(shell("date -u -d '" + when + "' +%Y-%m-%dT%H:%M:%SZ"));
}

struct Made {
    TempDir dir;
    RunResult run;
    fs::path key;
    fs::path cert;
};

std::unique_ptr<Made> make(const std::vector<std::string>& extra, const std::vector<std::string>& names) {
    auto m = std::make_unique<Made>();
    std::vector<std::string> args{"keygen", "--out", m->dir.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), names.begin(), names.end());
    m->run = run_mxdane(args);
    m->key = m->dir.path() / ("mx1.example.net-MX-" + today() + ".key");
    m->cert = m->dir.path() / ("mx1.example.net-MX-SS-" + today() + ".crt");
    return m;
}

std::string spki_sha256(const fs::path& crt) {
    return trim(shell("openssl x509 -in " + q(crt) +
                      " -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1"));
}
std::string cert_sha256(const fs::path& crt) {
    return trim(shell("openssl x509 -in " + q(crt) + " -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1"));
}

// ---------------------------------------------------------------------------

struct Profile {
    std::string key;       // --key
    std::string size_line; // in `openssl x509 -text`
    std::string sig;       // signature algorithm
    bool rsa;
};

void PrintTo(const Profile& p, std::ostream* os) {
    *os << p.key;
}

class KeygenProfile : public ::testing::TestWithParam<Profile> {};

TEST_P(KeygenProfile, WrittenFilesFollowTheIssue2Profile) {
    const Profile& p = GetParam();
    const auto m = make({"--key", p.key}, {"MX1.Example.NET.", "example.net", "mx1.example.net", "EXAMPLE.net",
                                           "b\xc3\xbc"
                                           "cher.example"});
    ASSERT_EQ(m->run.exit_code, 0) << m->run.err;
    const std::string crt = q(m->cert);

    const std::string text = shell("openssl x509 -in " + crt + " -noout -text");
    EXPECT_NE(text.find("Version: 3 (0x2)"), std::string::npos) << text;
    EXPECT_NE(text.find(p.size_line), std::string::npos) << text;
    EXPECT_NE(text.find("Signature Algorithm: " + p.sig + "\n"), std::string::npos) << text;

    EXPECT_EQ(shell("openssl x509 -in " + crt + " -noout -subject -issuer -nameopt RFC2253"),
              "subject=CN=mx1.example.net\nissuer=CN=mx1.example.net\n");

    // SAN in the order given, duplicates (after lowercasing and dropping the
    // root dot) dropped, the IDN as its A-label (RFC 3492's well-known
    // example "bücher" -> "xn--bcher-kva").
    const std::string ext =
        shell("openssl x509 -in " + crt + " -noout -ext basicConstraints,keyUsage,extendedKeyUsage,subjectAltName");
    EXPECT_EQ(ext, std::string("X509v3 Basic Constraints: critical\n    CA:FALSE\n") +
                       "X509v3 Key Usage: critical\n    Digital Signature" + (p.rsa ? ", Key Encipherment" : "") +
                       "\n" +
                       "X509v3 Extended Key Usage: \n    TLS Web Server Authentication, TLS Web Client "
                       "Authentication\n" +
                       "X509v3 Subject Alternative Name: \n    DNS:mx1.example.net, DNS:example.net, "
                       "DNS:xn--bcher-kva.example\n");
    const std::string ski = shell("openssl x509 -in " + crt + " -noout -ext subjectKeyIdentifier");
    EXPECT_TRUE(
        std::regex_search(ski, std::regex("X509v3 Subject Key Identifier: \n    ([0-9A-F]{2}:){19}[0-9A-F]{2}\n")))
        << ski;

    // Serial: 16-20 content octets, positive (high bit of the first clear).
    const std::string asn1 = shell("openssl asn1parse -in " + crt);
    std::smatch sm;
    ASSERT_TRUE(std::regex_search(asn1, sm, std::regex(R"(d=2\s+hl=2 l=\s*(\d+) prim: INTEGER\s+:([0-9A-F]+))")))
        << asn1;
    const int octets = std::stoi(sm[1]);
    EXPECT_GE(octets, 16);
    EXPECT_LE(octets, 20);
    EXPECT_LT(std::stoi(sm[2].str().substr(0, 1), nullptr, 16), 8) << "negative serial " << sm[2];
    EXPECT_EQ(sm[2].str().size(), static_cast<std::size_t>(octets) * 2);

    // Validity: 1096 days plus the five-minute back-date, both UTCTime.
    const std::string dates = shell("openssl x509 -in " + crt + " -noout -startdate -enddate");
    const auto nl = dates.find('\n');
    const long long nb = epoch_of(dates.substr(0, nl));
    const long long na = epoch_of(trim(dates.substr(nl + 1)));
    EXPECT_EQ(na - nb, 1096LL * 86400 + 300) << dates;
    const long long now = std::stoll(trim(shell("date -u +%s")));
    EXPECT_LE(nb, now - 300 + 1);
    EXPECT_GE(nb, now - 300 - 120); // generous: slow runs under sanitizers
    EXPECT_NE(asn1.find("UTCTIME"), std::string::npos);
    EXPECT_EQ(asn1.find("GENERALIZEDTIME"), std::string::npos);

    // The key: unencrypted PKCS#8 PEM, and it is the certificate's key.
    const std::string key_pem = read_file(m->key);
    EXPECT_EQ(key_pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0U);
    EXPECT_NE(key_pem.find("-----END PRIVATE KEY-----\n"), std::string::npos);
    EXPECT_EQ(shell("openssl x509 -in " + crt + " -noout -pubkey"),
              shell("openssl pkey -in " + q(m->key) + " -pubout"));
    EXPECT_EQ(shell("openssl pkey -in " + q(m->key) + " -noout -text_pub | head -1"),
              shell("openssl x509 -in " + crt + " -noout -pubkey | openssl pkey -pubin -noout -text_pub | head -1"));
    // Self-signed: it verifies against itself.
    EXPECT_EQ(trim(shell("openssl verify -CAfile " + crt + " -check_ss_sig -partial_chain " + crt + " 2>&1")),
              m->cert.string() + ": OK");
}

INSTANTIATE_TEST_SUITE_P(
    AllKeyTypes, KeygenProfile,
    ::testing::Values(Profile{"rsa2048", "Public-Key: (2048 bit)", "sha256WithRSAEncryption", true},
                      Profile{"rsa3072", "Public-Key: (3072 bit)", "sha256WithRSAEncryption", true},
                      Profile{"rsa4096", "Public-Key: (4096 bit)", "sha256WithRSAEncryption", true},
                      Profile{"p256", "ASN1 OID: prime256v1", "ecdsa-with-SHA256", false},
                      Profile{"p384", "ASN1 OID: secp384r1", "ecdsa-with-SHA384", false}),
    [](const auto& param_info) { return param_info.param.key; });

TEST(KeygenProfileDates, LongValidityEncodesNotAfterAsGeneralizedTime) {
    const auto m = make({"--key", "p256", "--days", "9999"}, {"mx1.example.net"});
    ASSERT_EQ(m->run.exit_code, 0) << m->run.err;
    const std::string asn1 = shell("openssl asn1parse -in " + q(m->cert));
    // notBefore (now) stays UTCTime; notAfter (past 2049) is GeneralizedTime
    // (RFC 5280 §4.1.2.5).
    const std::regex times(R"((UTCTIME|GENERALIZEDTIME)\s*:)");
    std::vector<std::string> kinds;
    for (auto it = std::sregex_iterator(asn1.begin(), asn1.end(), times); it != std::sregex_iterator(); ++it) {
        kinds.push_back((*it)[1]);
    }
    EXPECT_EQ(kinds, (std::vector<std::string>{"UTCTIME", "GENERALIZEDTIME"})) << asn1;
    const std::string dates = shell("openssl x509 -in " + q(m->cert) + " -noout -startdate -enddate");
    const auto nl = dates.find('\n');
    EXPECT_EQ(epoch_of(trim(dates.substr(nl + 1))) - epoch_of(dates.substr(0, nl)), 9999LL * 86400 + 300);
}

TEST(KeygenProfileDates, OneDay) {
    const auto m = make({"--key", "p256", "--days", "1"}, {"mx1.example.net"});
    ASSERT_EQ(m->run.exit_code, 0) << m->run.err;
    const std::string dates = shell("openssl x509 -in " + q(m->cert) + " -noout -startdate -enddate");
    const auto nl = dates.find('\n');
    EXPECT_EQ(epoch_of(trim(dates.substr(nl + 1))) - epoch_of(dates.substr(0, nl)), 86400LL + 300);
    EXPECT_NE(m->run.err.find("(1 days)"), std::string::npos) << m->run.err;
}

// ---------------------------------------------------------------------------
// Output.

TEST(KeygenOutput, StdoutHasOnlyTheRecordsStderrTheTalk) {
    const auto m = make({"--key", "p256"}, {"mx1.example.net", "example.net"});
    ASSERT_EQ(m->run.exit_code, 0) << m->run.err;
    EXPECT_EQ(m->run.out, "_25._tcp.mx1.example.net. IN TLSA 3 1 1 " + spki_sha256(m->cert) +
                              "\n_25._tcp.mx1.example.net. IN TLSA 3 0 1 " + cert_sha256(m->cert) +
                              " ; changes at every certificate reissue: prefer 3 1 1\n");
    EXPECT_EQ(m->run.err.find("IN TLSA"), std::string::npos) << m->run.err;
    const std::string& err = m->run.err;
    EXPECT_NE(err.find("Created an ECDSA P-256 private key and a self-signed certificate for mx1.example.net, "
                       "example.net:\n"),
              std::string::npos)
        << err;
    EXPECT_NE(err.find("  key:         " + m->key.string() + " (mode 0400)\n"), std::string::npos) << err;
    EXPECT_NE(err.find("  certificate: " + m->cert.string() + " (mode 0644)\n"), std::string::npos) << err;
    const std::string end = trim(shell("openssl x509 -in " + q(m->cert) + " -noout -enddate"));
    EXPECT_NE(err.find("  valid until: " + iso_of(end) + " (1096 days)\n"), std::string::npos) << err;
    EXPECT_NE(err.find("Publish the 3 1 1 record above in the DNSSEC-signed zone"), std::string::npos) << err;
    EXPECT_NE(err.find("in about a year"), std::string::npos) << err;
}

TEST(KeygenOutput, FileNamesCarryTheLocalDate) {
    // date(1) and mxdane use the same TZ: the local date, as the seed script.
    for (const char* tz : {"UTC", "Pacific/Kiritimati", "Etc/GMT+12"}) {
        const TempDir dir;
        const std::string cmd = "TZ=" + std::string(tz) + " ";
        const std::string before = trim(shell(cmd + "date +%Y%m%d"));
        const RunResult r = run_process({"env", "TZ=" + std::string(tz), mxdane_binary().string(), "keygen", "--key",
                                         "p256", "--out", dir.path().string(), "mx1.example.net"});
        const std::string after = trim(shell(cmd + "date +%Y%m%d"));
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto files = list_tree(dir.path());
        const auto expect = [](const std::string& d) {
            // The dated pair and the stable names pointing at it.
            return std::vector<std::string>{"mx1.example.net-MX-" + d + ".key", "mx1.example.net-MX-SS-" + d + ".crt",
                                            "mx1.example.net-MX.crt", "mx1.example.net-MX.key"};
        };
        EXPECT_TRUE(files == expect(before) || files == expect(after)) << tz << ": " << files.front();
    }
}

TEST(KeygenOutput, PortChangesTheOwner) {
    const auto m = make({"--key", "p256", "--port", "465"}, {"mx1.example.net"});
    ASSERT_EQ(m->run.exit_code, 0) << m->run.err;
    EXPECT_EQ(m->run.out, "_465._tcp.mx1.example.net. IN TLSA 3 1 1 " + spki_sha256(m->cert) +
                              "\n_465._tcp.mx1.example.net. IN TLSA 3 0 1 " + cert_sha256(m->cert) +
                              " ; changes at every certificate reissue: prefer 3 1 1\n");
}

TEST(KeygenOutput, JsonHasTheSameFactsAsTheFiles) {
    const auto m = make({"--key", "p256", "--json", "--port", "587"}, {"MX1.example.net", "example.net"});
    ASSERT_EQ(m->run.exit_code, 0) << m->run.err;
    const auto j = nlohmann::json::parse(m->run.out);
    EXPECT_EQ(j.at("key_file"), m->key.string());
    EXPECT_EQ(j.at("cert_file"), m->cert.string());
    EXPECT_EQ(j.at("key_type"), "p256");
    EXPECT_EQ(j.at("names"), nlohmann::json({"mx1.example.net", "example.net"}));
    EXPECT_EQ(j.at("dry_run"), false);
    const std::string dates = shell("openssl x509 -in " + q(m->cert) + " -noout -startdate -enddate");
    const auto nl = dates.find('\n');
    EXPECT_EQ(j.at("not_before"), iso_of(dates.substr(0, nl)));
    EXPECT_EQ(j.at("not_after"), iso_of(trim(dates.substr(nl + 1))));
    const nlohmann::json tlsa = {
        {{"owner", "_587._tcp.mx1.example.net."},
         {"ttl", nullptr},
         {"usage", 3},
         {"selector", 1},
         {"mtype", 1},
         {"data", spki_sha256(m->cert)}},
        {{"owner", "_587._tcp.mx1.example.net."},
         {"ttl", nullptr},
         {"usage", 3},
         {"selector", 0},
         {"mtype", 1},
         {"data", cert_sha256(m->cert)}},
    };
    EXPECT_EQ(j.at("tlsa"), tlsa);
    EXPECT_EQ(m->run.err.find('{'), std::string::npos); // the talk stays on stderr
}

TEST(KeygenOutput, DryRunWritesNothingButPrintsRecords) {
    const TempDir dir;
    const auto before = snapshot_tree(dir.path());
    const auto r = run_mxdane(
        {"keygen", "--dry-run", "--key", "p256", "--out", (dir.path() / "keys").string(), "mx1.example.net"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(std::regex_match(r.out, std::regex("_25\\._tcp\\.mx1\\.example\\.net\\. IN TLSA 3 1 1 [0-9a-f]{64}\n"
                                                   "_25\\._tcp\\.mx1\\.example\\.net\\. IN TLSA 3 0 1 [0-9a-f]{64} ; "
                                                   "changes at every certificate reissue: prefer 3 1 1\n")))
        << r.out;
    EXPECT_NE(r.err.find("nothing was written"), std::string::npos) << r.err;
    EXPECT_EQ(snapshot_tree(dir.path()), before);

    const auto rj = run_mxdane(
        {"keygen", "--dry-run", "--json", "--key", "p256", "--out", (dir.path() / "keys").string(), "mx1.example.net"});
    ASSERT_EQ(rj.exit_code, 0) << rj.err;
    const auto j = nlohmann::json::parse(rj.out);
    EXPECT_TRUE(j.at("key_file").is_null());
    EXPECT_TRUE(j.at("cert_file").is_null());
    EXPECT_EQ(j.at("dry_run"), true);
    EXPECT_EQ(j.at("tlsa").size(), 2U);
    EXPECT_EQ(snapshot_tree(dir.path()), before);
}

} // namespace
