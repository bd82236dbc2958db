// mxdane rollover through the real binary, without DNS: adoption (also of
// files named and made as the seed script made them), staging, every
// refusal, and kills at random moments. The DNS-driven steps run against
// real servers in tests/labtests/test_rollover_lab.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <sys/stat.h>

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
    [[nodiscard]] RunResult rollover(const std::string& step, std::vector<std::string> extra = {},
                                     const RunOptions& opts = {}) const {
        std::vector<std::string> args{"rollover", step};
        const auto d = dirs();
        args.insert(args.end(), d.begin(), d.end());
        args.insert(args.end(), extra.begin(), extra.end());
        if (std::find(extra.begin(), extra.end(), "--no-host") == extra.end()) {
            args.push_back(host);
        } else {
            args.erase(std::find(args.begin(), args.end(), "--no-host"));
        }
        return run_mxdane(args, opts);
    }
    void keygen(const std::string& type = "p256") const {
        const auto r = run_mxdane({"keygen", "--key", type, "--out", keys.string(), host, "example.net"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
};

std::string spki_sha256_of_key(const fs::path& key) {
    std::string s =
        shell("openssl pkey -in '" + key.string() + "' -pubout -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1");
    s.pop_back();
    return s;
}

TEST(RolloverCli, InitAdoptsKeygenFilesAndPrintsThePostfixSnippet) {
    const Box b;
    b.keygen();
    const auto r = b.rollover("init", {"--mta", "postfix"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const fs::path stable_key = b.keys / (host + "-MX.key");
    const fs::path stable_cert = b.keys / (host + "-MX.crt");
    EXPECT_EQ(r.out, "# /etc/postfix/main.cf\nsmtpd_tls_chain_files = " + stable_key.string() + ", " +
                         stable_cert.string() + "\nsmtpd_tls_security_level = may\n");
    EXPECT_TRUE(fs::is_symlink(stable_key));
    EXPECT_TRUE(fs::is_symlink(stable_cert));
    // The record it tells the admin to publish is the key's, per openssl.
    EXPECT_NE(r.err.find("3 1 1 " + spki_sha256_of_key(stable_key)), std::string::npos) << r.err;
    struct stat st {};
    ASSERT_EQ(::stat((b.state / (host + ".json")).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777U, 0640U); // readable by the group of the directory (monitoring)
}

TEST(RolloverCli, InitAdoptsTheSeedScriptsFiles) {
    // What keyGenMX_Dane.sh leaves: an openssl-made RSA key (PKCS#1 as older
    // scripts wrote it) and a self-signed certificate, named
    // <host>-MX-<YYYYMMDD>.key and <host>-MX-SS-<YYYYMMDD>.crt.
    const Box b;
    fs::create_directories(b.keys);
    const std::string key = (b.keys / (host + "-MX-20250301.key")).string();
    const std::string crt = (b.keys / (host + "-MX-SS-20250301.crt")).string();
    shell("openssl genrsa -traditional -out '" + key + "' 2048 2>/dev/null && openssl req -new -x509 -key '" + key +
          "' -out '" + crt + "' -days 1096 -subj /CN=" + host + " -addext 'subjectAltName=DNS:" + host +
          ",DNS:example.net' 2>/dev/null");
    ASSERT_NE(read_file(key).find("BEGIN RSA PRIVATE KEY"), std::string::npos);
    const auto r = b.rollover("init", {"--mta", "exim"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("MAIN_TLS_CERTIFICATE = " + (b.keys / (host + "-MX.crt")).string()), std::string::npos)
        << r.out;
    EXPECT_EQ(fs::read_symlink(b.keys / (host + "-MX.key")), fs::path(key));
    // The next key keeps the certificate's names and the key type.
    const auto s = b.rollover("stage");
    ASSERT_EQ(s.exit_code, 0) << s.err;
    const std::string next_crt = (b.keys / (host + "-MX-SS-" + shell("date +%Y%m%d").substr(0, 8) + ".crt")).string();
    const std::string text = shell("openssl x509 -in '" + next_crt + "' -noout -text");
    EXPECT_NE(text.find("DNS:mx1.example.net, DNS:example.net"), std::string::npos) << text;
    EXPECT_NE(text.find("Public-Key: (2048 bit)"), std::string::npos) << text;
}

// Issue #23: the admin's "DANE ends here" is a command, kept in the state;
// steps that would publish refuse (exit 1) until enable.
TEST(RolloverCli, DisableAndEnableRecordTheAdminsChoice) {
    const Box b;
    b.keygen();
    ASSERT_EQ(b.rollover("init", {"--mta", "postfix"}).exit_code, 0);
    auto r = b.rollover("disable", {"--dry-run"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("would record that DANE for mx1.example.net is disabled by the admin"), std::string::npos)
        << r.out;
    EXPECT_EQ(read_file(b.state / (host + ".json")).find("dane_disabled_since"), std::string::npos);
    r = b.rollover("disable");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("recorded that DANE for mx1.example.net is disabled by the admin: the daily pass no longer "
                         "republishes the record of the key in service"),
              std::string::npos)
        << r.out;
    EXPECT_NE(read_file(b.state / (host + ".json")).find("\"dane_disabled_since\""), std::string::npos);
    const auto files = [&b] {
        return std::distance(fs::recursive_directory_iterator(b.tmp.path()), fs::recursive_directory_iterator());
    };
    const auto before = files();
    r = b.rollover("stage");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("error: DANE for mx1.example.net is disabled by the admin since "), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("staging a key would publish a TLSA record"), std::string::npos) << r.err;
    EXPECT_EQ(files(), before); // no key made
    r = b.rollover("enable");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("DANE for mx1.example.net is enabled again"), std::string::npos) << r.out;
    EXPECT_EQ(read_file(b.state / (host + ".json")).find("dane_disabled_since"), std::string::npos);
    r = b.rollover("enable");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("DANE for mx1.example.net is not disabled"), std::string::npos) << r.out;
}

TEST(RolloverCli, OpenSmtpdSnippet) {
    const Box b;
    b.keygen();
    const auto r = b.rollover("init", {"--mta", "opensmtpd"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("pki mx1.example.net key \"" + (b.keys / (host + "-MX.key")).string() + "\""),
              std::string::npos)
        << r.out;
}

TEST(RolloverCli, StagePrintsCurrentAndNextAndKeepsTheMtaOnTheCurrentKey) {
    const Box b;
    b.keygen();
    ASSERT_EQ(b.rollover("init").exit_code, 0);
    const fs::path current = fs::read_symlink(b.keys / (host + "-MX.key"));
    const auto r = b.rollover("stage");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(fs::read_symlink(b.keys / (host + "-MX.key")), current);
    std::vector<std::string> lines;
    std::istringstream in(r.out);
    for (std::string l; std::getline(in, l);) {
        lines.push_back(l);
    }
    ASSERT_EQ(lines.size(), 2U) << r.out;
    EXPECT_EQ(lines[0], "_25._tcp.mx1.example.net. IN TLSA 3 1 1 " + spki_sha256_of_key(current));
    EXPECT_EQ(lines[1].rfind("_25._tcp.mx1.example.net. IN TLSA 3 1 1 ", 0), 0U);
    EXPECT_NE(lines[0], lines[1]);
    // The hint carries the options used, so it works when pasted.
    EXPECT_NE(r.err.find("mxdane rollover status --out " + b.keys.string() + " --state-dir " + b.state.string() +
                         " mx1.example.net"),
              std::string::npos)
        << r.err;
}

TEST(RolloverCli, VerifyAtThatIsNoAddressIsRefusedBeforeTheStep) {
    const Box b;
    b.keygen();
    ASSERT_EQ(b.rollover("init").exit_code, 0);
    const auto files = [&b] { return std::distance(fs::directory_iterator(b.keys), fs::directory_iterator{}); };
    const auto before = files();
    for (const auto& [value, message] : std::vector<std::pair<std::string, std::string>>{
             {"mx1.example.net:25", "'mx1.example.net' is not an IPv4 or IPv6 address"},
             {"127.0.0.1:0", "the port '0' is not a number from 1 to 65535"},
             {"[::1", "'[::1' has no closing ']'"}}) {
        const auto r = b.rollover("activate", {"--verify-at", value});
        EXPECT_EQ(r.exit_code, 64) << r.err;
        EXPECT_EQ(r.err, "error: --verify-at: " + message + "\n");
    }
    EXPECT_EQ(files(), before) << "nothing was written";
}

TEST(RolloverCli, ForcedActivationWarnsWithTheFlagNameInTextAndJson) {
    // libunbound answers from a local zone (no packet leaves the process):
    // insecure, so the planner says no and only --force switches.
    const Box b;
    b.keygen();
    ASSERT_EQ(b.rollover("init").exit_code, 0);
    ASSERT_EQ(b.rollover("stage").exit_code, 0);
    const std::vector<std::string> args{
        "--dry-run",   "--force",     "--resolver-option", "local-zone: mx1.example.net. static",
        "--verify-at", "127.0.0.1:9", "--verify-tries",    "1",
        "--reload",    "true"};
    const std::string warning = "--force: switching although DNS answers for the TLSA name are insecure";
    auto json_args = args;
    json_args.emplace_back("--json");
    for (const auto& extra : {args, json_args}) {
        const auto r = b.rollover("activate", extra);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_NE(r.err.find("warning: " + warning), std::string::npos) << r.err;
        EXPECT_EQ((r.out + r.err).find("force setting"), std::string::npos) << r.out << r.err;
    }
    const auto r = b.rollover("activate", json_args);
    EXPECT_NE(r.out.find("\"warnings\": [\n    \"" + warning), std::string::npos) << r.out;
}

struct Refusal {
    std::string name;
    std::function<void(const Box&)> prepare;
    std::string step;
    std::vector<std::string> args;
    int exit_code;
    std::string message;
};

void PrintTo(const Refusal& r, std::ostream* os) {
    *os << r.name;
}

class RolloverRefusals : public ::testing::TestWithParam<Refusal> {};

TEST_P(RolloverRefusals, ExitCodeMessageAndNothingChanged) {
    const Box b;
    GetParam().prepare(b);
    const auto before = snapshot_tree(b.tmp.path());
    const auto r = b.rollover(GetParam().step, GetParam().args);
    EXPECT_EQ(r.exit_code, GetParam().exit_code) << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0U) << r.err;
    EXPECT_NE(r.err.find(GetParam().message), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(snapshot_tree(b.tmp.path()), before);
}

void nothing(const Box& /*b*/) {}
void keyed(const Box& b) {
    b.keygen();
}
void initialised(const Box& b) {
    b.keygen();
    ASSERT_EQ(b.rollover("init").exit_code, 0);
}
void staged(const Box& b) {
    initialised(b);
    ASSERT_EQ(b.rollover("stage").exit_code, 0);
}
void corrupt(const Box& b) {
    initialised(b);
    std::ofstream(b.state / (host + ".json"), std::ios::trunc) << "{\"format\": 1, \"host\": ";
}
void newer(const Box& b) {
    initialised(b);
    const fs::path p = b.state / (host + ".json");
    std::string text = read_file(p);
    text.replace(text.find("\"format\": 1"), 11, "\"format\": 7");
    std::ofstream(p, std::ios::trunc) << text;
}
void mismatched(const Box& b) {
    b.keygen();
    fs::create_directories(b.tmp.path() / "other");
    const auto r = run_mxdane({"keygen", "--key", "p256", "--out", (b.tmp.path() / "other").string(), host});
    ASSERT_EQ(r.exit_code, 0);
}

/// The other key's dated file (not its stable symlink, which init refuses
/// before it compares anything: directory order would pick either).
std::string other_key(const Box& b) {
    for (const auto& e : fs::directory_iterator(b.tmp.path() / "other")) {
        if (e.path().extension() == ".key" && !fs::is_symlink(e.path())) {
            return e.path().string();
        }
    }
    return {};
}

INSTANTIATE_TEST_SUITE_P(
    Table, RolloverRefusals,
    ::testing::Values(
        Refusal{
            "bad host", keyed, "init", {"--no-host", "bad_host.example"}, 64, "invalid host name 'bad_host.example'"},
        Refusal{"nothing to adopt", nothing, "init", {}, 2, "found no key and certificate for mx1.example.net"},
        Refusal{"bad mta", keyed, "init", {"--mta", "sendmail"}, 64, "--mta: choose postfix, exim or opensmtpd"},
        Refusal{"key without cert", keyed, "init", {"--key", "/nonexistent.key"}, 64, "--key and --cert go together"},
        Refusal{"unreadable key",
                keyed,
                "init",
                {"--key", "/nonexistent.key", "--cert", "/nonexistent.crt"},
                2,
                "cannot read the certificate /nonexistent.crt"},
        Refusal{"second init", initialised, "init", {}, 2, "already set up"},
        Refusal{"stage without state", keyed, "stage", {}, 2, "no rollover state for mx1.example.net"},
        Refusal{"second stage", staged, "stage", {}, 1, "a next key is already staged"},
        Refusal{"bad key type", initialised, "stage", {"--key", "rsa1024"}, 64, "--key: unknown key type 'rsa1024'"},
        Refusal{"corrupt state", corrupt, "stage", {}, 2, "cannot be used: "},
        Refusal{"newer state", newer, "stage", {}, 2, "written by a newer mxdane (format 7"},
        Refusal{"corrupt state, emergency", corrupt, "emergency", {}, 2, "nothing was done"},
        Refusal{"bad --now", initialised, "stage", {"--now", "tomorrow"}, 64, "--now: expected a time like"},
        Refusal{"no step", nothing, "", {"--no-host"}, 64, "A subcommand is required"}));

TEST(RolloverCli, MismatchedKeyAndCertificateAreRefused) {
    const Box b;
    mismatched(b);
    std::string cert;
    for (const auto& e : fs::directory_iterator(b.keys)) {
        if (e.path().extension() == ".crt" && !fs::is_symlink(e.path())) {
            cert = e.path().string();
        }
    }
    const auto before = snapshot_tree(b.tmp.path());
    const auto r = b.rollover("init", {"--key", other_key(b), "--cert", cert});
    EXPECT_EQ(r.exit_code, 64) << r.err;
    EXPECT_NE(r.err.find("does not belong to the certificate"), std::string::npos) << r.err;
    EXPECT_EQ(snapshot_tree(b.tmp.path()), before);
}

/// After any kill: the stable names point at complete files, the state file
/// parses, no private key is readable by others.
void expect_consistent(const Box& b, unsigned seed, int run) {
    const std::string at = "seed " + std::to_string(seed) + " run " + std::to_string(run);
    for (const auto* name : {"-MX.key", "-MX.crt"}) {
        const fs::path link = b.keys / (host + name);
        if (fs::is_symlink(link)) {
            EXPECT_TRUE(fs::exists(link)) << at << ": " << link << " dangles";
        }
    }
    const fs::path state = b.state / (host + ".json");
    if (fs::exists(state)) {
        const auto r = run_process({"python3", "-c", "import json,sys; json.load(open(sys.argv[1]))", state.string()});
        EXPECT_EQ(r.exit_code, 0) << at << ": state file does not parse\n" << r.err;
    }
    for (const auto& e : fs::recursive_directory_iterator(b.tmp.path())) {
        if (e.is_regular_file() && e.path().extension() == ".key") {
            struct stat st {};
            ASSERT_EQ(::stat(e.path().c_str(), &st), 0);
            EXPECT_EQ(st.st_mode & 0077U, 0U) << at << ": " << e.path() << " is readable by others";
        }
    }
}

TEST(RolloverCli, KillsAtRandomMomentsLeaveAConsistentState) {
    const unsigned seed = test_seed();
    SCOPED_TRACE(seed_trace());
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> delay_us(0, 60000);
    for (int run = 0; run < 12; ++run) {
        const Box b;
        b.keygen();
        RunOptions kill;
        kill.kill_after = std::chrono::microseconds(delay_us(rng));
        (void)b.rollover("init", {}, kill);
        expect_consistent(b, seed, run);
        // Whatever init left, finishing it by hand must work or say why.
        auto r = b.rollover("init");
        if (r.exit_code != 0) {
            EXPECT_NE(r.err.find("already set up"), std::string::npos) << r.err;
        }
        kill.kill_after = std::chrono::microseconds(delay_us(rng));
        (void)b.rollover("stage", {}, kill);
        expect_consistent(b, seed, run);
        // A second stage resumes an interrupted one or refuses a finished one.
        r = b.rollover("stage");
        EXPECT_TRUE(r.exit_code == 0 || (r.exit_code == 1 && r.err.find("already staged") != std::string::npos))
            << "seed " << seed << " run " << run << ": " << r.err;
        expect_consistent(b, seed, run);
        // emergency switches the stable names, fails its live proof (no MTA
        // listens on port 9) and switches back: killed anywhere in between,
        // the names still point at a complete pair.
        kill.kill_after = std::chrono::microseconds(delay_us(rng) * 3);
        (void)b.rollover("emergency", {"--verify-at", "127.0.0.1:9", "--verify-tries", "1"}, kill);
        expect_consistent(b, seed, run);
    }
}

TEST(RolloverCli, EmergencyWithoutAnMtaSwitchesBackAndSaysSo) {
    const Box b;
    b.keygen();
    ASSERT_EQ(b.rollover("init").exit_code, 0);
    const fs::path before = fs::read_symlink(b.keys / (host + "-MX.key"));
    const auto r = b.rollover("emergency", {"--verify-at", "127.0.0.1:9", "--verify-tries", "1"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("switched the stable names back to key 1"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("it still serves the compromised key 1"), std::string::npos) << r.err;
    // Without --reload, the failed proof says so.
    EXPECT_NE(r.err.find("no reload command was given"), std::string::npos) << r.err;
    EXPECT_EQ(fs::read_symlink(b.keys / (host + "-MX.key")), before);
}

// A state file this user cannot see is not a missing one: read as "no
// state", the next init or stage would start over beside a rotation under
// way. Root bypasses modes, so the run is nobody's.
TEST(RolloverCli, AStateHiddenByItsDirectoryIsNotMissing) {
    const Box b;
    fs::create_directory(b.state);
    fs::permissions(b.state, fs::perms(0700)); // root's
    RunOptions nobody;
    nobody.cwd = b.tmp.path();
    nobody.uid = 65534;
    nobody.gid = 65534;
    const auto r = run_process({mxdane_binary_for_all().string(), "rollover", "status", "--state-dir", b.state.string(),
                                "--out", b.keys.string(), host},
                               nobody);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    // status takes no lock (issue #23): reading the state is where the
    // directory says no, and it says so.
    EXPECT_EQ(r.err,
              "error: cannot tell whether " + (b.state / (host + ".json")).string() + " exists: Permission denied\n");
}

} // namespace

namespace {

// Issue #23: the command line wins over the settings file for options that
// go together. A --tsig-key on the command line replaces the file's key
// beside the file's --nsupdate; a --publish-hook replaces the file's
// nsupdate pair; a pair left half open is named after the merge.
TEST(RolloverCli, TheCommandLineWinsOverTheSettingsFileForPairedOptions) {
    Box b;
    b.keygen();
    ASSERT_EQ(b.rollover("init").exit_code, 0);
    const std::string secret = "hmac-sha256:k1:MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=";
    const fs::path conf = b.tmp.path() / "host.conf";
    std::ofstream(conf) << "nsupdate = 127.0.0.1@9\ntsig-key = /nonexistent/tsig.key\n";
    auto r = b.rollover("stage", {"--config", conf.string(), "--dry-run", "--tsig-key", secret});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    r = b.rollover("stage", {"--config", conf.string(), "--dry-run", "--publish-hook", "true"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::ofstream(conf, std::ios::trunc) << "publish-hook = false\n";
    r = b.rollover("stage",
                   {"--config", conf.string(), "--dry-run", "--nsupdate", "127.0.0.1@9", "--tsig-key", secret});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::ofstream(conf, std::ios::trunc) << "nsupdate = 127.0.0.1@9\n";
    r = b.rollover("stage", {"--config", conf.string(), "--dry-run"});
    EXPECT_EQ(r.exit_code, 64) << r.err;
    EXPECT_EQ(r.err, "error: --nsupdate requires --tsig-key (on the command line or in the settings file)\n");
    r = b.rollover("stage", {"--dry-run", "--tsig-key", secret});
    EXPECT_EQ(r.exit_code, 64) << r.err;
    EXPECT_EQ(r.err, "error: --tsig-key requires --nsupdate (on the command line or in the settings file)\n");
}

} // namespace
