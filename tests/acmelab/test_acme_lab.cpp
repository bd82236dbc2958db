// Certificates from an issuer under DANE, against real servers on loopback:
// pebble (tests/acmelab/acmectl) as the ACME CA, Debian's certbot as the
// issue command, the check lab's signed secure.test zone and its Postfix.
//   mx17: init, reissue from pebble (same key), stage with pebble's
//         certificate for the next key, publish, wait, activate, renew (by
//         certbot, then by lego as the README shows it); after
//         every step `mxdane check` validates with 3 1 1, and the served chain
//         verifies against pebble's root with `openssl verify` (what an
//         MTA-STS sender checks).
//   mx18: self-signed, reissued by hand, then by `rollover auto` 10 days
//         before expiry (injected clock).
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "../labtests/lab_harness.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;

std::string q(const fs::path& p) {
    return "'" + p.string() + "'";
}

/// 3 1 1 data of a certificate, by the openssl CLI.
std::string spki_sha256(const fs::path& cert) {
    return trimmed(
        shell("openssl x509 -in " + q(cert) +
              " -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1"));
}

void reload_dns() {
    shell("LAB_QUIET=1 '" + std::string(MXDANE_SOURCE_DIR) + "/tests/lab/labctl' reload-dns '" + env("LAB_DIR") + "'");
}

void publish(const std::string& label, const std::string& hex) {
    std::ofstream(fs::path(env("LAB_ZONES_DIR")) / "secure.test.zone", std::ios::app)
        << "_25._tcp." << label << "\t2\tIN\tTLSA\t3 1 1 " << hex << "\n";
    reload_dns();
}

/// The TLSA RRset as NSD serves it, by dig.
std::string served_rrset(const std::string& host) {
    return shell("dig +short +norecurse @" + env("LAB_DNS_ADDR") + " -p " + env("LAB_DNS_PORT") + " _25._tcp." + host +
                 " TLSA | sort");
}

class Issuer : public ::testing::Test {
  protected:
    const LabPostfixLock m_postfix_lock; ///< first: held while the fixture lives
    std::map<std::string, std::string> a = env_file(std::string(MXDANE_ACMELAB_DIR) + "/acme.env");
    fs::path keys = fs::path(env("LAB_ROT_DIR")) / "keys";

    void SetUp() override {
        if (a.empty()) {
            GTEST_SKIP() << "no ACME lab";
        }
        fs::create_directories(keys);
    }
    [[nodiscard]] fs::path state(const std::string& id) const { return fs::path(env("LAB_ROT_DIR")) / ("state-" + id); }
    [[nodiscard]] static std::vector<std::string> resolver() {
        std::vector<std::string> args{"--trust-anchor", env("LAB_TRUST_ANCHOR")};
        std::istringstream zones(env("LAB_STUB_ZONES"));
        for (std::string z; zones >> z;) {
            args.push_back("--stub");
            args.push_back(z + "=" + env("LAB_DNS_ADDR") + "@" + env("LAB_DNS_PORT"));
        }
        return args;
    }
    [[nodiscard]] static std::vector<std::string> switching(const std::string& id) {
        return {"--reload", env("LAB_POSTFIX_RELOAD"), "--verify-at",
                env("LAB_" + id + "_ADDR") + ":" + env("LAB_SMTP_PORT")};
    }
    RunResult mx(std::vector<std::string> args, const std::string& id, const std::vector<std::string>& extra) const {
        args.insert(args.end(), {"--out", keys.string(), "--state-dir", state(id).string()});
        args.insert(args.end(), extra.begin(), extra.end());
        args.push_back(env("LAB_" + id + "_HOST"));
        return run_mxdane(args);
    }
    static void expect_validated(const std::string& host, const std::string& when) {
        const RunResult r = run_mxdane(lab_args({"--mx", host}));
        EXPECT_EQ(r.exit_code, 0) << when << "\n" << r.out << r.err;
        EXPECT_NE(r.out.find("dane-validated"), std::string::npos) << when << "\n" << r.out;
    }
    /// The chain the MTA serves, by openssl s_client, and its leaf.
    [[nodiscard]] fs::path served_chain(const std::string& id, const std::string& name) const {
        const fs::path out = fs::path(MXDANE_ACMELAB_DIR) / (name + ".pem");
        shell("openssl s_client -starttls smtp -connect " + env("LAB_" + id + "_ADDR") + ":" + env("LAB_SMTP_PORT") +
              " -showcerts </dev/null 2>/dev/null | sed -n '/BEGIN CERT/,/END CERT/p' > " + q(out));
        return out;
    }
    /// After the lab's reload (labctl reload-postfix returns once no smtpd
    /// from before it is left), the listener serves `spki` at once.
    void expect_serves(const std::string& id, const std::string& spki) const {
        EXPECT_EQ(spki_sha256(served_chain(id, "after-reload")), spki)
            << "Postfix does not serve " << spki << " for " << id << " after its reload";
    }
    /// What an MTA-STS sender does: the web PKI path to pebble's root.
    void expect_pkix_valid(const fs::path& chain, const std::string& host) const {
        const std::string r = shell("openssl verify -CAfile '" + a.at("ACME_ROOT") + "' -untrusted " + q(chain) +
                                    " -verify_hostname " + host + " " + q(chain) + " 2>&1 || true");
        EXPECT_NE(r.find(": OK"), std::string::npos) << r;
    }
};

TEST_F(Issuer, CaSignedCertificatesFromPebbleThroughAWholeRotation) {
    const std::string host = env("LAB_MX17_HOST");
    const std::string label = host.substr(0, host.find('.'));
    const std::string certbot = a.at("ACME_CERTBOT");
    // Key 1, adopted, published, served; then its pebble certificate.
    auto r = run_mxdane({"keygen", "--key", "p256", "--out", keys.string(), host});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = mx({"rollover", "init"}, "MX17", {});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string key1 = spki_sha256(keys / (host + "-MX.crt"));
    publish(label, key1);
    shell(env("LAB_POSTFIX_RELOAD"));
    expect_serves("MX17", key1);
    expect_validated(host, "after init");
    r = mx({"reissue", "--issue-command", certbot}, "MX17", switching("MX17"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("issued by the issue command"), std::string::npos) << r.err;
    expect_validated(host, "after the first pebble certificate");
    auto chain = served_chain("MX17", "served1");
    EXPECT_EQ(spki_sha256(chain), key1);
    EXPECT_NE(shell("openssl x509 -in " + q(chain) + " -noout -issuer"), "") << "pebble";
    expect_pkix_valid(chain, host);

    // Stage key 2 with pebble's certificate; publish it beside key 1.
    r = mx({"rollover", "stage", "--margin", "0", "--issue-command", certbot}, "MX17", {});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("The issue command signed key 2's certificate"), std::string::npos) << r.err;
    const auto lines = r.out;
    const std::string key2 = trimmed(lines.substr(lines.rfind(' ') + 1));
    ASSERT_EQ(key2.size(), 64U) << r.out;
    expect_validated(host, "after stage");
    publish(label, key2);
    expect_validated(host, "after publishing key 2");
    auto with_dns = [&](std::vector<std::string> extra) {
        const auto res = resolver();
        extra.insert(extra.end(), res.begin(), res.end());
        return extra;
    };
    r = mx({"rollover", "status", "--margin", "0"}, "MX17", with_dns({}));
    EXPECT_EQ(r.exit_code, 4) << r.out << r.err; // the wait for caches (2 x TTL 2 s) has begun
    std::this_thread::sleep_for(std::chrono::seconds(5));
    auto sw = switching("MX17");
    sw.insert(sw.end(), {"--margin", "0"});
    r = mx({"rollover", "activate"}, "MX17", with_dns(sw));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.err.find("now serves key 2"), std::string::npos) << r.err;
    expect_validated(host, "after activate");
    chain = served_chain("MX17", "served2");
    EXPECT_EQ(spki_sha256(chain), key2) << "the served certificate is pebble's, with the next key";
    expect_pkix_valid(chain, host);

    // A renewal of the certificate in service: same key, no DNS change.
    const std::string rrset = served_rrset(host);
    const std::string serial = shell("openssl x509 -in " + q(chain) + " -noout -serial");
    r = mx({"reissue", "--issue-command", certbot}, "MX17", switching("MX17"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(key2), std::string::npos) << r.out;
    EXPECT_EQ(served_rrset(host), rrset);
    expect_validated(host, "after the renewal");
    chain = served_chain("MX17", "served3");
    EXPECT_EQ(spki_sha256(chain), key2);
    EXPECT_NE(shell("openssl x509 -in " + q(chain) + " -noout -serial"), serial) << "a new certificate is served";
    expect_pkix_valid(chain, host);

    // The README's lego command as the issuer of the next renewal.
    r = mx({"reissue", "--issue-command", a.at("ACME_LEGO")}, "MX17", switching("MX17"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("chain of 1"), std::string::npos) << r.err;
    EXPECT_EQ(served_rrset(host), rrset);
    expect_validated(host, "after the lego renewal");
    chain = served_chain("MX17", "served4");
    EXPECT_EQ(spki_sha256(chain), key2);
    expect_pkix_valid(chain, host);

    // The issuer is remembered (issue #23): a renewal that names none, as
    // the daily pass's settings may not, uses the issue command recorded
    // for the certificate in service (lego, above), never self-signed.
    const fs::path state_file = state("MX17") / (host + ".json");
    auto recorded = nlohmann::json::parse(read_file(state_file));
    ASSERT_EQ(recorded["keys"].back()["issuer"]["command"], a.at("ACME_LEGO")) << recorded.dump(2);
    r = mx({"reissue"}, "MX17", switching("MX17"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("chain of 1"), std::string::npos) << r.err;
    chain = served_chain("MX17", "served5");
    EXPECT_EQ(spki_sha256(chain), key2);
    expect_pkix_valid(chain, host);

    // A CA's certificate with no issuer recorded (a state of an earlier
    // mxdane): refused, nothing changes, until the admin says self-signed.
    recorded = nlohmann::json::parse(read_file(state_file));
    for (auto& k : recorded["keys"]) {
        k.erase("issuer");
    }
    std::ofstream(state_file, std::ios::trunc) << recorded.dump(2) << "\n";
    const std::string serial5 = shell("openssl x509 -in " + q(chain) + " -noout -serial");
    r = mx({"reissue"}, "MX17", switching("MX17"));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("comes from a CA, and no issuer is configured or recorded for it"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("set --issue-command, or choose --issuer self"), std::string::npos) << r.err;
    EXPECT_EQ(shell("openssl x509 -in " + q(served_chain("MX17", "served6")) + " -noout -serial"), serial5);
    r = mx({"reissue", "--issuer", "self"}, "MX17", switching("MX17"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("self-signed"), std::string::npos) << r.err;
    expect_validated(host, "after the admin chose self-signed");
}

TEST_F(Issuer, SelfSignedReissueByHandAndByRolloverAutoBeforeExpiry) {
    const std::string host = env("LAB_MX18_HOST");
    const std::string label = host.substr(0, host.find('.'));
    // A certificate for 41 days: 10 days left 31 days from now.
    auto r = run_mxdane({"keygen", "--key", "p256", "--days", "41", "--out", keys.string(), host});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = mx({"rollover", "init"}, "MX18", {});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string key = spki_sha256(keys / (host + "-MX.crt"));
    publish(label, key);
    shell(env("LAB_POSTFIX_RELOAD"));
    expect_serves("MX18", key);
    expect_validated(host, "after init");
    const std::string rrset = served_rrset(host);

    r = mx({"reissue", "--days", "41"}, "MX18", switching("MX18"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("self-signed"), std::string::npos) << r.err;
    expect_validated(host, "after reissue");
    EXPECT_EQ(spki_sha256(served_chain("MX18", "mx18-1")), key);

    // rollover auto with the clock 31 days ahead: 10 days left, renewed.
    // status warns first.
    const std::string later = iso(std::time(nullptr) + 31L * 86400);
    auto status_args = resolver();
    status_args.insert(status_args.end(), {"--now", later});
    r = mx({"rollover", "status"}, "MX18", status_args);
    EXPECT_NE(r.err.find("warning: the certificate of key 1 expires "), std::string::npos) << r.err;
    std::vector<std::string> extra = resolver();
    const auto sw = switching("MX18");
    extra.insert(extra.end(), sw.begin(), sw.end());
    extra.insert(extra.end(), {"--publish-hook", "true", "--test-clock", later});
    // A self-signed validity within --renew-before would renew at every pass.
    auto too_short = extra;
    too_short.insert(too_short.end(), {"--days", "30"});
    r = mx({"rollover", "auto"}, "MX18", too_short);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("FAILED: --days 30 must be more than --renew-before 30"), std::string::npos) << r.out;
    r = mx({"rollover", "auto"}, "MX18", extra);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("renewed the certificate of key 1"), std::string::npos) << r.out << r.err;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    expect_validated(host, "after rollover auto renewed");
    const fs::path served = served_chain("MX18", "mx18-2");
    EXPECT_EQ(spki_sha256(served), key);
    // The new certificate ends well after the old one would have.
    const std::string end = shell("openssl x509 -in " + q(served) + " -noout -checkend " + std::to_string(60L * 86400) +
                                  " >/dev/null && echo later || echo sooner");
    EXPECT_EQ(trimmed(end), "later");
    EXPECT_EQ(served_rrset(host), rrset);
    // A second pass the same day has nothing to renew.
    r = mx({"rollover", "auto"}, "MX18", extra);
    EXPECT_EQ(r.out.find("renewed"), std::string::npos) << r.out;
}

} // namespace
