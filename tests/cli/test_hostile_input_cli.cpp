// Hostile and extreme inputs through the real binary: long names (the CN
// limit and the 255-octet owner limit), weak keys, and control bytes echoed
// to a terminal. Oracles: openssl x509, ldns-read-zone, python3.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "cli_harness.h"
#include "corpus.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;

/// A valid host name of exactly `n` characters, ending in example.net.
std::string long_name(std::size_t n) {
    std::string s = "example.net";
    while (s.size() < n) {
        const std::size_t room = n - s.size() - 1;
        std::size_t len = std::min<std::size_t>(63, room);
        if (room - len == 1) {
            --len; // leave room for a one-letter label, not an empty one
        }
        s = std::string(len, 'a') + "." + s;
    }
    return s;
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

/// Octets of a presentation-form name in DNS wire form, computed by python
/// (RFC 1035 §3.1: a length octet per label, one for the root).
std::size_t wire_octets(const std::string& name) {
    return std::stoul(
        shell("python3 -c 'import sys; n=sys.argv[1].rstrip(\".\"); print(sum(len(l)+1 for l in n.split(\".\"))+1)' '" +
              name + "'"));
}

/// The one certificate keygen wrote into `dir`.
fs::path cert_in(const fs::path& dir) {
    for (const auto& e : fs::directory_iterator(dir)) {
        const std::string f = e.path().filename().string();
        if (f.size() > 4 && f.substr(f.size() - 4) == ".crt" && f.find("-MX-SS-") != std::string::npos) {
            return e.path();
        }
    }
    ADD_FAILURE() << "no certificate in " << dir;
    return {};
}

std::string subject_of(const fs::path& cert) {
    return trim(shell("openssl x509 -in '" + cert.string() + "' -noout -subject -nameopt RFC2253"));
}
std::string san_of(const fs::path& cert) {
    return shell("openssl x509 -in '" + cert.string() + "' -noout -ext subjectAltName");
}

RunResult keygen_into(const fs::path& dir, const std::vector<std::string>& names) {
    std::vector<std::string> args{"keygen", "--key", "p256", "--mta", "postfix", "--out", dir.string()};
    args.insert(args.end(), names.begin(), names.end());
    return run_mxdane(args);
}

TEST(LongNames, NameHelperMakesExactLengths) {
    for (const std::size_t n : {64U, 65U, 207U, 208U, 244U, 245U, 253U}) {
        EXPECT_EQ(long_name(n).size(), n);
    }
    // Independent of our names code: the whole 253 fills a 255-octet name.
    EXPECT_EQ(wire_octets(long_name(253)), 255U);
}

TEST(LongNames, KeygenPutsA64CharacterNameInTheCn) {
    const TempDir dir;
    const std::string host = long_name(64);
    const auto r = keygen_into(dir.path() / "out", {host});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const fs::path crt = cert_in(dir.path() / "out");
    EXPECT_EQ(subject_of(crt), "subject=CN=" + host);
    EXPECT_EQ(san_of(crt), "X509v3 Subject Alternative Name: \n    DNS:" + host + "\n");
}

TEST(LongNames, KeygenOmitsTheCnWhenNoNameFits) {
    const TempDir dir;
    const std::string host = long_name(65);
    const auto r = keygen_into(dir.path() / "out", {host});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const fs::path crt = cert_in(dir.path() / "out");
    EXPECT_EQ(subject_of(crt), "subject=");
    // RFC 5280 §4.2.1.6: with an empty subject the SAN is critical.
    EXPECT_EQ(san_of(crt), "X509v3 Subject Alternative Name: critical\n    DNS:" + host + "\n");
    // The records are still printed for the long host.
    EXPECT_NE(r.out.find("_25._tcp." + host + ". IN TLSA 3 1 1 "), std::string::npos) << r.out;
}

TEST(LongNames, KeygenPutsTheFirstNameThatFitsInTheCn) {
    const TempDir dir;
    const std::string host = long_name(65);
    const std::string far = long_name(253);
    const auto r = keygen_into(dir.path() / "out", {host, "example.net", far});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const fs::path crt = cert_in(dir.path() / "out");
    EXPECT_EQ(subject_of(crt), "subject=CN=example.net");
    EXPECT_EQ(san_of(crt),
              "X509v3 Subject Alternative Name: \n    DNS:" + host + ", DNS:example.net, DNS:" + far + "\n");
}

TEST(LongNames, KeygenTakesTheLongestHostItsFilesCanBeNamedFor) {
    // .<host>-MX-SS-YYYYMMDD.crt.mxdane-tmp-<suffix>: 207 + 42, and a margin
    // of 6 for the random suffix, is 255.
    const TempDir dir;
    const std::string host = long_name(207);
    const auto r = keygen_into(dir.path() / "out", {host});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const fs::path crt = cert_in(dir.path() / "out");
    EXPECT_EQ(subject_of(crt), "subject=");
    EXPECT_NE(san_of(crt).find("DNS:" + host + "\n"), std::string::npos);
}

TEST(LongNames, KeygenRefusesAHostWhoseFileNameWouldBeTooLong) {
    const TempDir dir;
    const std::string host = long_name(208);
    const auto r = keygen_into(dir.path() / "out", {host});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_NE(r.err.find("error: the host name is too long for its files: " + host + "-MX-SS-"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find(".crt needs a temporary name of 256 octets, over the 255 a file name may have\n"),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(dir.path() / "out")) << "refused before anything was made";
}

TEST(LongNames, KeygenRefusesAHostThatCanHaveNoTlsaOwner) {
    const TempDir dir;
    const std::string host = long_name(253);
    const auto r = keygen_into(dir.path() / "out", {host});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.err, "error: the TLSA owner name _25._tcp." + host +
                         " would be 264 octets in DNS wire form, over the 255 a name may have (RFC 1035 §2.3.4): "
                         "no TLSA record can exist for this host\n");
    EXPECT_EQ(r.out, "");
    EXPECT_FALSE(fs::exists(dir.path() / "out"));
}

std::string owner_error(const std::string& host, std::size_t octets, const std::string& port = "25") {
    return "error: the TLSA owner name _" + port + "._tcp." + host + " would be " + std::to_string(octets) +
           " octets in DNS wire form, over the 255 a name may have (RFC 1035 §2.3.4): no TLSA record can exist "
           "for this host\n";
}

TEST(LongNames, TlsaPrintsAnOwnerOfExactly255Octets) {
    const std::string host = long_name(244);
    const auto r = run_mxdane({"tlsa", "--host", host, corpus("rsa2048.pem")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string owner = "_25._tcp." + host + ".";
    ASSERT_EQ(r.out.rfind(owner + " IN TLSA 3 1 1 ", 0), 0U) << r.out;
    EXPECT_EQ(wire_octets(owner), 255U);
    // ldns takes the line as a record with that owner.
    const TempDir dir;
    std::ofstream(dir.path() / "z") << r.out;
    const std::string parsed = shell("ldns-read-zone '" + (dir.path() / "z").string() + "'");
    EXPECT_EQ(parsed.rfind(owner + "\t", 0), 0U) << parsed;
}

TEST(LongNames, LdnsRefusesTheOwnerWeRefuse) {
    // The oracle for the limit: ldns will not read a 256-octet owner either.
    const TempDir dir;
    std::ofstream(dir.path() / "z") << "_25._tcp." << long_name(245) << ". 300 IN TLSA 3 1 1 " << std::string(64, 'a')
                                    << "\n";
    const auto r = run_process({"ldns-read-zone", (dir.path() / "z").string()});
    EXPECT_NE(r.exit_code, 0) << r.out;
}

TEST(LongNames, EveryCommandRefusesAnOwnerOver255Octets) {
    const std::string host = long_name(245);
    const std::string hex = openssl_hex("rsa2048.pem", "3 1 1");
    const std::string err = owner_error(host, 256);
    const TempDir dir;
    const std::vector<std::vector<std::string>> runs{
        {"tlsa", "--host", host, corpus("rsa2048.pem")},
        {"verify", "--cert", corpus("rsa2048.pem"), "--host", host, "--tlsa", "3 1 1 " + hex},
        {"publish", host, "--key", corpus("rsa3072.key"), "--publish-hook", "true"},
        {"unpublish", host, "--key", corpus("rsa3072.key"), "--publish-hook", "true"},
        {"check", "--mx", host},
        {"rollover", "init", host, "--out", dir.path().string(), "--state-dir", (dir.path() / "state").string()},
    };
    for (const auto& args : runs) {
        const auto r = run_mxdane(args);
        EXPECT_EQ(r.exit_code, 64) << args[0] << ": " << r.err;
        EXPECT_EQ(r.err, err) << args[0];
        EXPECT_EQ(r.out, "") << args[0];
    }
    // The port counts too: 242 octets of host fit port 25, not port 65535.
    const std::string h242 = long_name(242);
    EXPECT_EQ(run_mxdane({"tlsa", "--host", h242, corpus("rsa2048.pem")}).exit_code, 0);
    EXPECT_EQ(run_mxdane({"tlsa", "--host", long_name(241), "--port", "65535", corpus("rsa2048.pem")}).exit_code, 0);
    const auto r = run_mxdane({"tlsa", "--host", h242, "--port", "65535", corpus("rsa2048.pem")});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.err, owner_error(h242, 256, "65535"));
}

std::string weak_key(const std::string& name) {
    return std::string(MXDANE_SOURCE_DIR) + "/tests/data/weak-keys/" + name;
}

/// Each weak key (tests/data/weak-keys/make-weak-keys.sh) and why.
const std::vector<std::pair<std::string, std::string>>& weak_keys() {
    static const std::vector<std::pair<std::string, std::string>> keys{
        {"rsa1024.key", "RSA-1024 is below 2048 bits"},
        {"rsa8.pub.pem", "RSA-8 is below 2048 bits"},
        {"rsa2048-e1.pub.pem", "its RSA public exponent 1 is below 3"},
        {"rsa2048-e65536.pub.pem", "its RSA public exponent 65536 is even"},
        {"secp256k1.key", "the curve secp256k1 is not one of P-256, P-384 or P-521, which senders support"},
        {"brainpoolP256r1.key", "the curve brainpoolP256r1 is not one of P-256, P-384 or P-521, which senders support"},
        {"p256-explicit.key", "its curve parameters are explicit, not a named curve (RFC 5480 §2.1.1)"},
        {"dsa2048.key", "a DSA key is not for TLS servers (use RSA-2048 or more, ECDSA P-256/P-384/P-521, Ed25519 "
                        "or Ed448)"},
    };
    return keys;
}

TEST(WeakKeys, PublishRefusesEachWeakKey) {
    for (const auto& [file, why] : weak_keys()) {
        const auto r =
            run_mxdane({"publish", "mx1.example.net", "--key", weak_key(file), "--publish-hook", "echo hook ran >&2"});
        EXPECT_EQ(r.exit_code, 64) << file << ": " << r.err;
        EXPECT_EQ(r.err, "error: key " + weak_key(file) + " is too weak to publish: " + why + "\n") << file;
    }
    const auto r = run_mxdane(
        {"publish", "mx1.example.net", "--cert", weak_key("rsa1024.pem"), "--publish-hook", "echo hook ran >&2"});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.err, "error: the key of certificate " + weak_key("rsa1024.pem") +
                         " is too weak to publish: RSA-1024 is below 2048 bits\n");
}

TEST(WeakKeys, PublishTakesTheKeysAtTheLimits) {
    for (const std::string& key : {weak_key("rsa2048-e3.key"), weak_key("ed448.key"), corpus("ed25519.key"),
                                   corpus("p521.key"), corpus("p384.key"), corpus("p256.ec.key")}) {
        const auto r = run_mxdane({"publish", "mx1.example.net", "--key", key, "--publish-hook", "cat >/dev/null"});
        EXPECT_EQ(r.exit_code, 0) << key << ": " << r.err;
    }
}

TEST(WeakKeys, UnpublishWithdrawsAWeakKey) {
    const auto r =
        run_mxdane({"unpublish", "mx1.example.net", "--key", weak_key("rsa1024.key"), "--publish-hook", "cat"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(WeakKeys, InspectWarnsAboutEachWeakKey) {
    for (const auto& [file, why] : weak_keys()) {
        const auto r = run_mxdane({"inspect", weak_key(file)});
        EXPECT_EQ(r.exit_code, 0) << file << ": " << r.err;
        EXPECT_NE(r.out.find("warning:    the key is too weak for DANE: " + why +
                             "; publish and rollover refuse it (mxdane keygen makes RSA-3072 by default)\n"),
                  std::string::npos)
            << file << ": " << r.out;
    }
    for (const std::string& key : {weak_key("rsa2048-e3.key"), weak_key("ed448.key"), corpus("p521.key")}) {
        const auto r = run_mxdane({"inspect", key});
        EXPECT_EQ(r.exit_code, 0) << key;
        EXPECT_EQ(r.out.find("too weak"), std::string::npos) << key << ": " << r.out;
    }
}

TEST(WeakKeys, TlsaPrintsTheRecordAndWarns) {
    const std::string key = weak_key("rsa2048-e65536.pub.pem");
    const auto r = run_mxdane({"tlsa", "--host", "mx1.example.net", key});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    // The record is the openssl pipeline's: the SHA-256 of the DER SPKI.
    const std::string hex =
        trim(shell("openssl pkey -pubin -in '" + key + "' -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1"));
    EXPECT_EQ(r.out, "_25._tcp.mx1.example.net. IN TLSA 3 1 1 " + hex + "\n");
    EXPECT_EQ(r.err, "warning: " + key +
                         ": the key is too weak for DANE: its RSA public exponent 65536 is even; mxdane publish "
                         "refuses it\n");
}

TEST(WeakKeys, TlsaRefusesNsupdateLinesForAWeakKey) {
    const std::string key = weak_key("secp256k1.key");
    const auto r = run_mxdane({"tlsa", "--host", "mx1.example.net", "--format", "nsupdate", key});
    EXPECT_EQ(r.exit_code, 64) << r.err;
    EXPECT_EQ(r.err, "error: the key of " + key +
                         " is too weak to publish: the curve secp256k1 is not one of P-256, P-384 or P-521, which "
                         "senders support\n");
    EXPECT_EQ(r.out, "");
}

TEST(WeakKeys, RolloverInitRefusesToAdoptAWeakKey) {
    const TempDir dir;
    const auto r = run_mxdane({"rollover", "init", "mx1.example.net", "--key", weak_key("rsa1024.key"), "--cert",
                               weak_key("rsa1024.pem"), "--out", dir.path().string(), "--state-dir",
                               (dir.path() / "state").string()});
    EXPECT_EQ(r.exit_code, 64) << r.err;
    EXPECT_EQ(r.err,
              "error: the key " + weak_key("rsa1024.key") + " is too weak to adopt: RSA-1024 is below 2048 bits\n");
    EXPECT_TRUE(!fs::exists(dir.path() / "state") || fs::is_empty(dir.path() / "state")) << "nothing was set up";
}

/// Counts, with python, the octets in `text` a terminal would obey: C0
/// controls but newline, DEL, C1 controls (U+0080-U+009F) and bytes that are
/// not UTF-8 at all (-1 when it does not decode).
int raw_controls(const std::string& text) {
    const TempDir dir;
    const fs::path f = dir.path() / "captured";
    std::ofstream(f, std::ios::binary) << text;
    return std::stoi(shell("python3 -c 'import sys\n"
                           "b = open(sys.argv[1], \"rb\").read()\n"
                           "try:\n"
                           "    s = b.decode(\"utf-8\")\n"
                           "except UnicodeDecodeError:\n"
                           "    print(-1); sys.exit(0)\n"
                           "print(sum(1 for c in s if (ord(c) < 32 and c != \"\\n\") or 0x7f <= ord(c) <= 0x9f))' '" +
                           f.string() + "'"));
}

/// An RRset file with a terminal colour sequence, NUL, DEL, a C1 CSI, a
/// byte that is no UTF-8, and a valid UTF-8 owner.
fs::path hostile_rrset(const fs::path& dir) {
    const std::string hex = openssl_hex("rsa2048.pem", "3 1 1");
    const fs::path f = dir / "rrset\x1b[7m.txt";
    std::ofstream out(f, std::ios::binary);
    out << "_25._tcp.mx1.example.net. 300 IN TLSA 3 1 1 " << hex << "\n"
        << "\x1b[31mevil.example.net. 300 IN TLSA 3 1 1 " << hex << "\n"
        << std::string("3 1 1 ab\0\x7f", 10) << "\n"
        << "_25._tcp.m\xc3\xbcx.example.net. 300 IN TLSA 3 1 1 " << hex << "\n"
        << "3 1 \xc2\x9b " << hex << "\n"
        << "3 1 1 \xff" << hex << "\n";
    return f;
}

TEST(Escaping, VerifyEchoesNoRawControlByte) {
    const TempDir dir;
    const fs::path f = hostile_rrset(dir.path());
    const auto r = run_mxdane({"verify", "--cert", corpus("rsa2048.pem"), "--host", "mx1.example.net", "--tlsa-file",
                               f.string(), "--tlsa", "3 1 1 00"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(raw_controls(r.out), 0) << r.out;
    EXPECT_EQ(raw_controls(r.err), 0) << r.err;
    // Escaped, and still telling which octets were there.
    EXPECT_NE(r.out.find("rrset\\x1b[7m.txt line 2: "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("(owner \\x1b[31mevil.example.net.)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("'ab\\x00\\x7f' is not hexadecimal"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("'\\xc2\\x9b' is not a matching type"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("'\\xff"), std::string::npos) << r.out;
    // Valid UTF-8 stays readable.
    EXPECT_NE(r.out.find("(owner _25._tcp.m\xc3\xbcx.example.net.)"), std::string::npos) << r.out;
}

TEST(Escaping, VerifyJsonCarriesNoRawControlByte) {
    const TempDir dir;
    const fs::path f = hostile_rrset(dir.path());
    const auto r = run_mxdane(
        {"verify", "--json", "--cert", corpus("rsa2048.pem"), "--host", "mx1.example.net", "--tlsa-file", f.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    // JSON escapes C0 controls itself; invalid UTF-8 becomes U+FFFD.
    EXPECT_EQ(shell("python3 -c 'import json,sys; json.load(sys.stdin); print(\"ok\")' <<'EOF'\n" + r.out + "\nEOF"),
              "ok\n");
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
    EXPECT_EQ(r.out.find('\0'), std::string::npos);
}

TEST(Escaping, TlsaAndInspectEscapeFileNames) {
    const TempDir dir;
    const fs::path f = dir.path() / "key\x1b]0;title\x07.pem";
    fs::copy_file(weak_key("rsa1024.key"), f);
    auto r = run_mxdane({"tlsa", "--host", "mx1.example.net", f.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(raw_controls(r.err), 0) << r.err;
    EXPECT_NE(r.err.find("key\\x1b]0;title\\x07.pem: the key is too weak"), std::string::npos) << r.err;
}

} // namespace
