// mxdane reissue, and rollover stage with an issue command, through the real
// binary without DNS or an MTA: every refusal, the switch back when the live
// proof fails, the staged key's certificate from an issuer (a CA made with
// the openssl CLI behind the command). The live reissue runs against the lab
// Postfix in tests/acmelab.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_harness.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;

const std::string host = "mx1.example.net";

struct Box {
    TempDir tmp;
    fs::path keys = tmp.path() / "keys";
    fs::path state = tmp.path() / "state";
    [[nodiscard]] std::vector<std::string> dirs() const {
        return {"--out", keys.string(), "--state-dir", state.string()};
    }
    [[nodiscard]] RunResult run(std::vector<std::string> args, const std::vector<std::string>& extra = {}) const {
        const auto d = dirs();
        args.insert(args.end(), d.begin(), d.end());
        args.insert(args.end(), extra.begin(), extra.end());
        args.push_back(host);
        return run_mxdane(args);
    }
    void init() const {
        auto r = run_mxdane({"keygen", "--key", "p256", "--out", keys.string(), host, "example.net"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        r = run({"rollover", "init"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    /// A CA, made by the openssl CLI, and an issue command that signs with it.
    [[nodiscard]] std::string ca_command() const {
        const std::string d = "'" + tmp.path().string() + "'";
        shell("cd " + d +
              " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt "
              "-subj '/CN=Test CA' -days 30 -addext basicConstraints=critical,CA:TRUE "
              "-addext keyUsage=critical,keyCertSign 2>/dev/null");
        return "openssl x509 -req -in \"$MXDANE_CSR\" -CA " + d + "/ca.crt -CAkey " + d +
               "/ca.key -days 90 -copy_extensions copy -out \"$MXDANE_CERT\" 2>/dev/null && cp " + d +
               "/ca.crt \"$MXDANE_CHAIN\"";
    }
};

std::string spki(const fs::path& cert) {
    return shell("openssl x509 -in '" + cert.string() + "' -noout -pubkey");
}

TEST(ReissueCli, RefusesWithoutStateOrHostOrWithBadOptions) {
    const Box b;
    auto r = b.run({"reissue"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("error: no rollover state for mx1.example.net in "), std::string::npos) << r.err;
    r = run_mxdane({"reissue"});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_NE(r.err.find("HOST is required"), std::string::npos) << r.err;
    r = run_mxdane({"reissue", "--out", b.keys.string(), "bad..host"});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_NE(r.err.find("invalid host name 'bad..host'"), std::string::npos) << r.err;
    b.init();
    r = b.run({"reissue", "--issuer", "acme"});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_NE(r.err.find("error: --issuer: choose self or command, not 'acme'"), std::string::npos) << r.err;
    r = b.run({"reissue", "--issuer", "command"});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_NE(r.err.find("error: --issuer command needs --issue-command"), std::string::npos) << r.err;
    r = b.run({"reissue", "--next"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("error: no next key is staged for mx1.example.net"), std::string::npos) << r.err;
}

TEST(ReissueCli, RefusesWhenTheKeyInServiceIsMissing) {
    const Box b;
    b.init();
    for (const auto& e : fs::directory_iterator(b.keys)) {
        if (e.path().extension() == ".key" && !fs::is_symlink(e.path())) {
            fs::rename(e.path(), b.tmp.path() / "moved.key");
        }
    }
    const auto r = b.run({"reissue"});
    EXPECT_EQ(r.exit_code, 2);
    // The state's key is checked before anything else (the host lock's recovery).
    EXPECT_NE(r.err.find("error: cannot read the private key " + b.keys.string() + "/"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(": No such file or directory"), std::string::npos) << r.err;
}

TEST(ReissueCli, RefusesWhileAnotherRunHoldsTheHostLock) {
    const Box b;
    b.init();
    const fs::path lock = b.state / (host + ".lock");
    // flock(1) holds the lock rollover auto takes while mxdane runs.
    std::vector<std::string> args{"flock", lock.string(), mxdane_binary().string(), "reissue"};
    for (const auto& d : b.dirs()) {
        args.push_back(d);
    }
    args.push_back(host);
    const auto r = run_process(args);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("error: another mxdane is working on mx1.example.net (it holds " + lock.string()),
              std::string::npos)
        << r.err;
}

TEST(ReissueCli, AFailedLiveProofSwitchesBackAndChangesNothing) {
    const Box b;
    b.init();
    const fs::path stable = b.keys / (host + "-MX.crt");
    const fs::path before_target = fs::read_symlink(stable);
    auto before = list_tree(b.tmp.path());
    before.erase(std::remove(before.begin(), before.end(), "state/" + host + ".lock"), before.end());
    // Nothing listens on port 1: the proof cannot succeed.
    const auto r = b.run({"reissue", "--verify-at", "127.0.0.1:1", "--verify-tries", "1", "--reload", "true"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    // Where it looked, what it saw, and the option that says where (#23).
    EXPECT_NE(r.err.find("error: the MTA does not serve the new certificate (the live proof at 127.0.0.1:1: connect: "
                         "Connection refused; it connects to --verify-at: is the MTA listening there?); switched "
                         "back to "),
              std::string::npos)
        << r.err;
    EXPECT_EQ(fs::read_symlink(stable), before_target);
    auto after = list_tree(b.tmp.path());
    after.erase(std::remove(after.begin(), after.end(), "state/" + host + ".lock"), after.end()); // the host lock
    EXPECT_EQ(after, before);
}

/// The certificate the test CA (Box::ca_command) signed for staged key 2, as
/// the run said and the openssl CLI verifies it; empty when there is none.
fs::path signed_staged_key(const Box& b, const RunResult& r) {
    EXPECT_NE(r.err.find("The issue command signed key 2's certificate: issued by the issue command"),
              std::string::npos)
        << r.err;
    fs::path issued;
    for (const auto& e : fs::directory_iterator(b.keys)) {
        if (e.path().filename().string().find("-MX-CA-") != std::string::npos) {
            issued = e.path();
        }
    }
    if (!issued.empty()) {
        EXPECT_NO_THROW(shell("openssl verify -CAfile '" + (b.tmp.path() / "ca.crt").string() + "' '" +
                              issued.string() + "' >/dev/null"));
    }
    return issued;
}

TEST(ReissueCli, TheStagedKeysCertificateFromAnIssueCommand) {
    const Box b;
    b.init();
    const std::string cmd = b.ca_command();
    auto r = b.run({"rollover", "stage", "--issue-command", cmd});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const fs::path issued = signed_staged_key(b, r);
    ASSERT_FALSE(issued.empty()) << r.err;
    // The key is the staged one.
    std::string staged_key;
    for (const auto& e : fs::directory_iterator(b.keys)) {
        const std::string n = e.path().filename().string();
        if (e.path().extension() == ".key" && !fs::is_symlink(e.path()) && n.find("-2.key") != std::string::npos) {
            staged_key = shell("openssl pkey -in '" + e.path().string() + "' -pubout");
        }
    }
    EXPECT_EQ(spki(issued), staged_key);
    // The self-signed certificate stage made first is retired.
    EXPECT_TRUE(fs::exists(b.keys / "retired"));
    // The 3 1 1 record printed for the next key is unchanged by the issuer.
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2) << r.out;
}

TEST(ReissueCli, AnIssuerThatFailsLeavesTheKeyStagedAndSaysHowToRetry) {
    const Box b;
    b.init();
    auto r = b.run({"rollover", "stage", "--issue-command", "echo no >&2; exit 5"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("error: the issue command failed with exit status 5; nothing was installed. Key 2 stays "
                         "staged with a self-signed certificate; get its certificate with 'mxdane reissue --next "
                         "--issue-command ... mx1.example.net'"),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(b.keys / "retired"));
    // The retry it names works.
    r = b.run({"reissue", "--next", "--issue-command", b.ca_command()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("Reissued the certificate of key 2 (next) with the same key"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("If you publish a 3 0 1 record for mx1.example.net, it changes"), std::string::npos) << r.err;
}

/// SHA-256 in lowercase hex of what `openssl_cmd` writes (DER), by openssl.
std::string sha256_of(const std::string& openssl_cmd) {
    std::string h = shell(openssl_cmd + " | openssl dgst -sha256 -r | cut -d' ' -f1");
    while (!h.empty() && h.back() == '\n') {
        h.pop_back();
    }
    return h;
}

TEST(ReissueCli, JsonSaysWhatItDidAsOpensslSeesIt) {
    const Box b;
    b.init();
    auto r = b.run({"rollover", "stage"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = b.run({"reissue", "--json", "--next", "--issue-command", b.ca_command()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j.at("command"), "reissue");
    EXPECT_EQ(j.at("exit"), 0);
    EXPECT_EQ(j.at("which"), "next");
    EXPECT_EQ(j.at("key_id"), 2);
    EXPECT_EQ(j.at("issued"), true);
    EXPECT_EQ(j.at("proven"), false);
    EXPECT_TRUE(j.at("stable_cert").is_null());
    const std::string cert = j.at("cert_file");
    const std::string key = j.at("key_file");
    EXPECT_NE(cert.find("-MX-CA-"), std::string::npos) << cert;
    EXPECT_TRUE(fs::exists(j.at("retired_cert_file").get<std::string>())) << r.out;
    EXPECT_FALSE(fs::exists(j.at("old_cert_file").get<std::string>())) << r.out;
    // The records, as openssl computes them: 3 1 1 of the key, 3 0 1 of
    // the new certificate and of the retired one.
    const auto& rec = j.at("record");
    EXPECT_EQ(rec.at("owner"), "_25._tcp.mx1.example.net.");
    EXPECT_EQ(rec.at("data"), sha256_of("openssl pkey -in '" + key + "' -pubout -outform DER"));
    EXPECT_EQ(j.at("new_301").at("data"), sha256_of("openssl x509 -in '" + cert + "' -outform DER"));
    EXPECT_EQ(j.at("old_301").at("data"),
              sha256_of("openssl x509 -in '" + j.at("retired_cert_file").get<std::string>() + "' -outform DER"));
    // notAfter as openssl reads it.
    const std::string end =
        shell("date -u -d \"$(openssl x509 -in '" + cert + "' -noout -enddate | cut -d= -f2)\" +%Y-%m-%dT%H:%M:%SZ");
    EXPECT_EQ(j.at("not_after").get<std::string>() + "\n", end);
    EXPECT_EQ(j.at("names"), nlohmann::json::array({"mx1.example.net", "example.net"}));
}

TEST(ReissueCli, JsonOfARefusalIsTheErrorObject) {
    const Box b;
    b.init();
    const auto r = b.run({"reissue", "--json", "--next"});
    EXPECT_EQ(r.exit_code, 1);
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j.at("command"), "reissue");
    EXPECT_EQ(j.at("exit"), 1);
    EXPECT_EQ(j.at("error"), "no next key is staged for mx1.example.net");
}

TEST(ReissueCli, TakesTheSettingsFileOfRolloverAuto) {
    const Box b;
    b.init();
    auto r = b.run({"rollover", "stage"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const fs::path conf = b.tmp.path() / "mx1.conf";
    std::ofstream(conf) << "days = 90\nkey-life = 365\n";
    r = b.run({"reissue", "--json", "--next", "--config", conf.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string cert = nlohmann::json::parse(r.out).at("cert_file");
    // 90 days from notBefore, as openssl reads the certificate.
    EXPECT_NO_THROW(shell("openssl x509 -in '" + cert + "' -noout -checkend $((89 * 86400)) >/dev/null"));
    EXPECT_THROW(shell("openssl x509 -in '" + cert + "' -noout -checkend $((91 * 86400)) >/dev/null"), std::exception);
    // The command line wins.
    r = b.run({"reissue", "--json", "--next", "--config", conf.string(), "--days", "200"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NO_THROW(shell("openssl x509 -in '" + nlohmann::json::parse(r.out).at("cert_file").get<std::string>() +
                          "' -noout -checkend $((199 * 86400)) >/dev/null"));
    std::ofstream(conf) << "no-such-setting = 1\n";
    r = b.run({"reissue", "--next", "--config", conf.string()});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_NE(r.err.find("error: " + conf.string() + ": line 1: unknown setting 'no-such-setting'"), std::string::npos)
        << r.err;
}

TEST(ReissueCli, AnIssuerCertificateForAnotherKeyIsRefused) {
    const Box b;
    b.init();
    (void)b.ca_command();
    shell("cd '" + b.tmp.path().string() +
          "' && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout x.key -subj "
          "/CN=mx1.example.net -addext subjectAltName=DNS:mx1.example.net,DNS:example.net 2>/dev/null | openssl x509 "
          "-req -CA ca.crt -CAkey ca.key -days 90 -copy_extensions copy -out other.crt 2>/dev/null");
    const auto r = b.run({"rollover", "stage", "--issue-command",
                          "cp '" + (b.tmp.path() / "other.crt").string() + "' \"$MXDANE_CERT\""});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("refused the issued certificate: the certificate is for another key"), std::string::npos)
        << r.err;
}

} // namespace

namespace {

// rollover emergency with issuer=command: the issuer's certificate before
// the switch; when the issuer fails, no switch, the key stays staged, and
// the message names the two ways on (README "Certificates from any issuer").
TEST(ReissueCli, EmergencyWithAFailingIssuerDoesNotSwitch) {
    const Box b;
    b.init();
    const fs::path stable = b.keys / (host + "-MX.key");
    const fs::path before = fs::read_symlink(stable);
    auto r = b.run({"rollover", "emergency", "--issue-command", "false"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("error: the issuer did not sign the certificate of key 2: the issue command failed with exit "
                         "status 1; nothing was installed; key 2 stays staged (publish its record now) and the MTA "
                         "still serves the compromised key 1\n"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("Run this again, or add --issuer self to go ahead at once with a self-signed certificate "
                         "(DANE senders accept it; MTA-STS senders in enforce mode defer mail until 'mxdane reissue "
                         "--issuer command mx1.example.net')."),
              std::string::npos)
        << r.err;
    EXPECT_EQ(fs::read_symlink(stable), before);
    // The record to publish now is the staged key's (stdout, zone format).
    EXPECT_NE(r.out.find("_25._tcp.mx1.example.net. IN TLSA 3 1 1 "), std::string::npos) << r.out;
    // --issuer self goes ahead with the staged key's self-signed certificate:
    // past the issuer, to the switch (no MTA listens on port 9 here).
    r = b.run({"rollover", "emergency", "--issue-command", "false", "--issuer", "self", "--verify-at", "127.0.0.1:9",
               "--verify-tries", "1"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.err.find("the issuer did not sign"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("the MTA did not take key 2"), std::string::npos) << r.err;
}

TEST(ReissueCli, EmergencyTakesTheIssuersCertificateBeforeTheSwitch) {
    const Box b;
    b.init();
    const auto r = b.run({"rollover", "emergency", "--issue-command", b.ca_command(), "--verify-at", "127.0.0.1:9",
                          "--verify-tries", "1"});
    // No MTA listens: the switch is undone, but the certificate came first.
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const fs::path issued = signed_staged_key(b, r);
    ASSERT_FALSE(issued.empty()) << r.err;
}

} // namespace

namespace {
using namespace mxdane::test;

// A certificate no longer than the renewal window would be renewed by
// every daily pass: reissue says so (issue #25) and still installs it. (An
// issuer's certificate that short is refused: nothing is installed.)
TEST(ReissueCli, ACertificateShorterThanTheRenewalWindowIsAWarning) {
    const Box b;
    b.init();
    ASSERT_EQ(b.run({"rollover", "stage"}).exit_code, 0);
    for (const std::string days : {"1", "30"}) {
        const auto r = b.run({"reissue", "--next", "--issuer", "self", "--days", days});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_NE(r.err.find("warning: the new certificate is valid until "), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(", within the renewal window of 30 days: every daily pass will renew it again; give it "
                             "a longer validity\n"),
                  std::string::npos)
            << days << ": " << r.err;
    }
    // 31 days against 30, and 1096: nothing said.
    for (const std::string days : {"31", "1096"}) {
        const auto r = b.run({"reissue", "--next", "--issuer", "self", "--days", days});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(r.err.find("renewal window"), std::string::npos) << days << ": " << r.err;
    }
}

// The issue command's output is read like every other input (issue #25):
// a FIFO left at $MXDANE_CERT is refused at once (it used to wait for a
// writer forever), a symlink to another file is refused (it used to be
// followed), and a file over 1 MiB is refused; nothing is installed.
TEST(ReissueCli, TheIssueCommandsOutputIsReadOnlyAsARegularFile) {
    const Box b;
    b.init();
    ASSERT_EQ(b.run({"rollover", "stage"}).exit_code, 0);
    const auto before = snapshot_tree(b.keys);
    const std::vector<std::pair<std::string, std::string>> cases{
        {"rm -f \"$MXDANE_CERT\"; mkfifo \"$MXDANE_CERT\"", "is a FIFO, not a regular file; refusing to read it"},
        {"rm -f \"$MXDANE_CERT\"; ln -s /etc/passwd \"$MXDANE_CERT\"", "is a symlink; refusing to use it"},
        {"head -c 1100000 /dev/zero | tr '\\0' A > \"$MXDANE_CERT\"", "is larger than 1 MiB"},
    };
    for (const auto& [cmd, says] : cases) {
        const auto r = b.run({"reissue", "--next", "--issue-command", cmd, "--issue-timeout", "20"});
        EXPECT_EQ(r.exit_code, 1) << cmd << ": " << r.err;
        EXPECT_NE(r.err.find("the issue command's output "), std::string::npos) << cmd << ": " << r.err;
        EXPECT_NE(r.err.find(says), std::string::npos) << cmd << ": " << r.err;
        EXPECT_NE(r.err.find("nothing was installed"), std::string::npos) << cmd << ": " << r.err;
        EXPECT_EQ(snapshot_tree(b.keys), before) << cmd;
    }
}

} // namespace
