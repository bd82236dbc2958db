// The issue command contract: the CSR, every refusal of what an issuer
// returns, and the reissue workflow with a fake MTA control. The CA and the
// issued certificates are made by the openssl CLI, not by mxdane.
#include <gtest/gtest.h>

#include <fstream>
#include <sys/stat.h>

#include "../cli/cli_harness.h"
#include "mxdane/error.h"
#include "mxdane/issue.h"
#include "mxdane/keygen.h"
#include "mxdane/material.h"
#include "mxdane/reissue.h"
#include "mxdane/rollover.h"
#include "mxdane/x509.h"
#include "rollover_host.h"

namespace {
using namespace mxdane;
namespace fs = std::filesystem;
using std::chrono::hours;

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

/// A test CA and a key, made by the openssl CLI.
struct Pki {
    test::TempDir dir;
    fs::path ca_key = dir.path() / "ca.key";
    fs::path ca = dir.path() / "ca.crt";
    fs::path sub_key = dir.path() / "sub.key";
    fs::path sub = dir.path() / "sub.crt";
    fs::path key = dir.path() / "leaf.key";
    fs::path other_key = dir.path() / "other.key";
    Pki() {
        const std::string d = "'" + dir.path().string() + "'";
        test::shell("cd " + d +
                    " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key "
                    "-out ca.crt -subj '/CN=Test Root' -days 30 -addext basicConstraints=critical,CA:TRUE "
                    "-addext keyUsage=critical,keyCertSign 2>/dev/null"
                    " && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout sub.key "
                    "-subj '/CN=Test Intermediate' -addext basicConstraints=critical,CA:TRUE "
                    "-addext keyUsage=critical,keyCertSign 2>/dev/null | openssl x509 -req -CA ca.crt -CAkey "
                    "ca.key -days 30 -copy_extensions copy -out sub.crt 2>/dev/null"
                    " && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out leaf.key"
                    " && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key");
    }
    /// A leaf for `key_file` naming `names`, signed by the intermediate.
    [[nodiscard]] fs::path leaf(const fs::path& key_file, const std::string& names, int days = 90) const {
        const std::string d = "'" + dir.path().string() + "'";
        const fs::path out = dir.path() / ("leaf-" + std::to_string(++m_n) + ".crt");
        std::string san;
        std::istringstream in(names);
        std::string n;
        while (in >> n) {
            san += (san.empty() ? "DNS:" : ",DNS:") + n;
        }
        test::shell("cd " + d + " && openssl req -new -key '" + key_file.string() +
                    "' -subj '/CN=" + names.substr(0, names.find(' ')) + "' -addext subjectAltName=" + san +
                    " | openssl x509 -req -CA sub.crt -CAkey sub.key -days " + std::to_string(days) +
                    " -copy_extensions copy -out '" + out.string() + "' 2>/dev/null");
        return out;
    }
    static ossl::EvpPkeyPtr load_key(const fs::path& p) {
        return std::move(x509::load_material_file(p.string()).private_key);
    }

  private:
    mutable int m_n = 0;
};

issue::Chain chain_of(const std::vector<fs::path>& files) {
    std::string text;
    for (const auto& f : files) {
        text += test::read_file(f);
    }
    auto c = issue::parse_output(text, "");
    if (!c) {
        throw std::runtime_error(c.error());
    }
    return std::move(c).value();
}

issue::Expectation expect_for(const fs::path& key, const std::vector<std::string>& names) {
    issue::Expectation e;
    e.spki = x509::key_spki_der(*Pki::load_key(key));
    e.names = names;
    e.now = x509::Clock::now();
    e.min_left = hours(24 * 30);
    return e;
}

TEST(Issue, TheCsrCarriesTheKeyAndEveryNameAndIsSigned) {
    const Pki p;
    const auto key = Pki::load_key(p.key);
    const auto csr = issue::make_csr(*key, {"mx1.example.net", "example.net"});
    const fs::path f = p.dir.path() / "req.csr";
    std::ofstream(f) << issue::csr_pem(*csr);
    const std::string q = "'" + f.string() + "'";
    EXPECT_NO_THROW(test::shell("openssl req -in " + q + " -noout -verify 2>/dev/null"));
    const std::string text = test::shell("openssl req -in " + q + " -noout -text");
    EXPECT_NE(text.find("DNS:mx1.example.net, DNS:example.net"), std::string::npos) << text;
    EXPECT_NE(text.find("CN = mx1.example.net"), std::string::npos) << text;
    EXPECT_EQ(test::shell("openssl req -in " + q + " -noout -pubkey"),
              test::shell("openssl pkey -in '" + p.key.string() + "' -pubout"));
    EXPECT_EQ(text.find("PRIVATE"), std::string::npos);
}

TEST(Issue, AcceptsTheRightKeyNamesAndAnOrderedChain) {
    const Pki p;
    const auto leaf = p.leaf(p.key, "mx1.example.net example.net");
    const auto a = issue::validate(chain_of({leaf, p.sub, p.ca}), expect_for(p.key, {"mx1.example.net"}));
    ASSERT_TRUE(a) << a.error();
    EXPECT_EQ(a->chain_length, 2U);
    // What it would install verifies with the openssl CLI against the root.
    const fs::path out = p.dir.path() / "installed.pem";
    std::ofstream(out) << a->pem;
    EXPECT_NO_THROW(test::shell("openssl verify -CAfile '" + p.ca.string() + "' -untrusted '" + out.string() + "' '" +
                                out.string() + "' >/dev/null"));
}

TEST(Issue, RefusesACertificateForAnotherKey) {
    const Pki p;
    const auto a = issue::validate(chain_of({p.leaf(p.other_key, "mx1.example.net"), p.sub}),
                                   expect_for(p.key, {"mx1.example.net"}));
    ASSERT_FALSE(a);
    EXPECT_NE(a.error().find("for another key"), std::string::npos) << a.error();
}

TEST(Issue, RefusesACertificateForOtherNames) {
    const Pki p;
    const auto a = issue::validate(chain_of({p.leaf(p.key, "mx2.example.net example.net"), p.sub}),
                                   expect_for(p.key, {"mx1.example.net", "example.net"}));
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error(), "the certificate does not name mx1.example.net (its DNS names: mx2.example.net, example.net)");
}

TEST(Issue, RefusesExpiredNotYetValidAndTooShortCertificates) {
    const Pki p;
    const auto chain = chain_of({p.leaf(p.key, "mx1.example.net"), p.sub});
    auto e = expect_for(p.key, {"mx1.example.net"});
    e.now = x509::Clock::now() + hours(24 * 200);
    auto a = issue::validate(chain, e);
    ASSERT_FALSE(a);
    EXPECT_NE(a.error().find("the certificate has expired: not after "), std::string::npos) << a.error();
    e.now = x509::Clock::now() - hours(24 * 3);
    a = issue::validate(chain, e);
    ASSERT_FALSE(a);
    EXPECT_NE(a.error().find("the certificate is not valid yet: not before "), std::string::npos) << a.error();
    e.now = x509::Clock::now();
    e.min_left = hours(24 * 100); // it has 90 days
    a = issue::validate(chain, e);
    ASSERT_FALSE(a);
    EXPECT_NE(a.error().find("less than the 100 days it must have left"), std::string::npos) << a.error();
}

TEST(Issue, RefusesAChainOutOfOrder) {
    const Pki p;
    const auto a = issue::validate(chain_of({p.leaf(p.key, "mx1.example.net"), p.ca, p.sub}),
                                   expect_for(p.key, {"mx1.example.net"}));
    ASSERT_FALSE(a);
    EXPECT_NE(a.error().find("the chain is out of order: certificate 2 (CN=Test Root) did not issue certificate 1"),
              std::string::npos)
        << a.error();
}

TEST(Issue, RefusesEmptyAndMalformedOutput) {
    auto c = issue::parse_output("", "");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error(), "the issue command wrote no certificate");
    c = issue::parse_output("hello\n", "");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error(), "the certificate file holds no PEM certificate");
}

/// issue::issue with the openssl CLI as the "CA" behind the command.
struct IssueRun {
    Pki p;
    test::TempDir parent;
    ossl::EvpPkeyPtr key = Pki::load_key(p.key);
    issue::Request req;
    IssueRun() {
        req.host = "mx1.example.net";
        req.names = {"mx1.example.net", "example.net"};
        req.key = key.get();
        req.parent_dir = parent.path();
        req.timeout = std::chrono::seconds(20);
        req.min_left = hours(24 * 30);
        req.now = x509::Clock::now();
        req.talk_fd = 2;
    }
    [[nodiscard]] std::string ca_command() const {
        const std::string d = "'" + p.dir.path().string() + "'";
        return "openssl x509 -req -in \"$MXDANE_CSR\" -CA " + d + "/sub.crt -CAkey " + d +
               "/sub.key -days 90 -copy_extensions copy -out \"$MXDANE_CERT\" 2>/dev/null && cat " + d +
               "/sub.crt > \"$MXDANE_CHAIN\"";
    }
    [[nodiscard]] std::string refusal(const std::string& command) {
        req.command = command;
        try {
            (void)issue::issue(req);
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), Errc::refused);
            EXPECT_TRUE(test::list_tree(parent.path()).empty()) << "the private directory stays behind";
            return e.what();
        }
        ADD_FAILURE() << "accepted " << command;
        return "";
    }
};

TEST(IssueCommand, ACaBehindTheCommandIssuesForTheKeyAndTheNames) {
    IssueRun r;
    r.req.command = r.ca_command() + " && env | grep '^MXDANE_' | sort > \"$MXDANE_WORKDIR/../env.txt\"";
    const auto a = issue::issue(r.req);
    EXPECT_EQ(a.chain_length, 1U);
    const std::string env = test::read_file(r.parent.path() / "env.txt");
    EXPECT_NE(env.find("MXDANE_HOST=mx1.example.net\n"), std::string::npos) << env;
    EXPECT_NE(env.find("MXDANE_NAMES=mx1.example.net example.net\n"), std::string::npos) << env;
    EXPECT_NE(env.find("MXDANE_TIMEOUT=20\n"), std::string::npos) << env;
    EXPECT_NE(env.find("MXDANE_CSR="), std::string::npos) << env;
    EXPECT_NE(env.find("MXDANE_CHAIN="), std::string::npos) << env;
    EXPECT_EQ(env.find(r.p.key.string()), std::string::npos) << "the key's path is never handed over";
    fs::remove(r.parent.path() / "env.txt");
    EXPECT_TRUE(test::list_tree(r.parent.path()).empty());
}

TEST(IssueCommand, RefusesAFailedCommand) {
    IssueRun r;
    EXPECT_EQ(r.refusal("exit 3"), "the issue command failed with exit status 3; nothing was installed");
}

TEST(IssueCommand, KillsACommandThatRunsOutOfTime) {
    IssueRun r;
    r.req.timeout = std::chrono::seconds(1);
    EXPECT_EQ(r.refusal("sleep 30 & sleep 30"),
              "the issue command did not finish within 1 s and was killed; nothing was installed");
}

TEST(IssueCommand, RefusesEmptyOutput) {
    IssueRun r;
    EXPECT_EQ(r.refusal(": > \"$MXDANE_CERT\""),
              "the issue command wrote no certificate (MXDANE_CERT); nothing was installed");
    EXPECT_EQ(r.refusal("true"), "the issue command wrote no certificate (MXDANE_CERT); nothing was installed");
}

TEST(IssueCommand, RefusesWhatAnIssuerSignedForAnotherKeyOrName) {
    IssueRun r;
    const auto other = r.p.leaf(r.p.other_key, "mx1.example.net example.net");
    std::string msg = r.refusal("cat '" + other.string() + "' > \"$MXDANE_CERT\"");
    EXPECT_NE(msg.find("refused the issued certificate: the certificate is for another key"), std::string::npos) << msg;
    const auto named = r.p.leaf(r.p.key, "mx1.example.net");
    msg = r.refusal("cat '" + named.string() + "' > \"$MXDANE_CERT\"");
    EXPECT_NE(msg.find("does not name example.net"), std::string::npos) << msg;
}

// ------------------------------------------------------------- reissue ---

const rotation::TimePoint t0 = x509::Clock::now();

struct FakeMta final : reissue::MtaControl {
    bool reload_ok = true;
    bool serves_ok = true;
    int reloads = 0;
    std::vector<tlsa::Record> asked;
    bool reload(std::string& why) override {
        ++reloads;
        why = "reload failed";
        return reload_ok;
    }
    bool serves(const tlsa::Record& record, std::string& why) override {
        asked.push_back(record);
        why = "serves the old one";
        return serves_ok;
    }
};

struct Host {
    test::TempDir dir;
    rollover::Layout layout;
    rotation::State state;
    Host() {
        auto h = test::make_rollover_host(dir.path(), {"mx1.example.net", "example.net"}, t0 - hours(24 * 1090), t0);
        layout = h.layout;
        state = std::move(h.state);
    }
    [[nodiscard]] reissue::Request request() const {
        reissue::Request r;
        r.layout = layout;
        r.days = 400;
        r.now = t0;
        return r;
    }
};

TEST(Reissue, SelfSignedSameKeySwitchedProvenAndOldRetired) {
    Host h;
    FakeMta mta;
    const auto old_cert = h.state.keys[0].cert_file;
    EXPECT_TRUE(reissue::due(old_cert, t0, hours(24 * 30)));
    const auto r = reissue::run(h.request(), h.state, &mta);
    EXPECT_EQ(r.record_311, h.state.keys[0].record);
    EXPECT_NE(r.old_301, r.new_301);
    ASSERT_EQ(mta.asked.size(), 1U);
    EXPECT_EQ(mta.asked[0], r.new_301) << "the proof pins the new certificate, not only the key";
    EXPECT_EQ(fs::read_symlink(h.layout.stable_cert()), r.new_cert);
    EXPECT_EQ(h.state.keys[0].cert_file, r.new_cert);
    EXPECT_EQ(rotation::load(h.layout.state_file())->keys[0].cert_file, r.new_cert);
    EXPECT_FALSE(fs::exists(old_cert));
    ASSERT_TRUE(r.retired_cert);
    EXPECT_TRUE(fs::exists(*r.retired_cert));
    EXPECT_EQ(r.names, (std::vector<std::string>{"mx1.example.net", "example.net"}));
    EXPECT_FALSE(reissue::due(r.new_cert, t0, hours(24 * 30)));
    // The same key, by the openssl CLI.
    const auto spki = [](const fs::path& c) {
        return trim(test::shell("openssl x509 -in '" + c.string() + "' -noout -pubkey"));
    };
    EXPECT_EQ(spki(r.new_cert), spki(*r.retired_cert));
}

TEST(Reissue, AFailedProofSwitchesBackAndLeavesNothing) {
    Host h;
    FakeMta mta;
    mta.serves_ok = false;
    const auto before = test::list_tree(h.dir.path());
    try {
        (void)reissue::run(h.request(), h.state, &mta);
        ADD_FAILURE() << "no refusal";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::refused);
        EXPECT_NE(std::string(e.what()).find("the MTA does not serve the new certificate (serves the old one); "
                                             "switched back to "),
                  std::string::npos)
            << e.what();
    }
    EXPECT_EQ(mta.reloads, 2);
    // The stable link was replaced by an equal one: compare names, not mtimes.
    EXPECT_EQ(test::list_tree(h.dir.path()), before);
    EXPECT_EQ(fs::read_symlink(h.layout.stable_cert()), h.state.keys[0].cert_file);
}

TEST(Reissue, AnIssuerRefusalInstallsNothing) {
    Host h;
    FakeMta mta;
    auto req = h.request();
    req.issuer.command = "exit 1";
    const auto before = test::list_tree(h.dir.path());
    const std::string state = test::read_file(h.layout.state_file());
    const fs::path stable = fs::read_symlink(h.layout.stable_cert());
    EXPECT_THROW((void)reissue::run(req, h.state, &mta), Error);
    EXPECT_EQ(test::list_tree(h.dir.path()), before);
    EXPECT_EQ(test::read_file(h.layout.state_file()), state);
    EXPECT_EQ(fs::read_symlink(h.layout.stable_cert()), stable);
    EXPECT_EQ(mta.reloads, 0);
}

TEST(Reissue, RefusesAMissingKeyAndAKeyThatIsNotThePinnedOne) {
    Host h;
    FakeMta mta;
    const fs::path key = h.state.keys[0].key_file;
    fs::rename(key, h.dir.path() / "away.key");
    try {
        (void)reissue::run(h.request(), h.state, &mta);
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(" is missing; not reissuing its certificate"), std::string::npos);
    }
    test::shell("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out '" + key.string() + "'");
    try {
        (void)reissue::run(h.request(), h.state, &mta);
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::refused);
        EXPECT_NE(std::string(e.what()).find("is not the one the rollover state pins"), std::string::npos);
    }
    auto req = h.request();
    req.which = reissue::Which::next;
    EXPECT_THROW((void)reissue::run(req, h.state, &mta), Error);
}

} // namespace
