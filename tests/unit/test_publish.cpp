// Publishing (issue #6), offline: TSIG key files, SERVER[@PORT], the
// nsupdate script and hook environment of a change, the reading of UPDATE
// replies (crafted with libldns, signed and unsigned), and the hook backend
// with small /bin/sh scripts.
#include <gtest/gtest.h>

#include <ctime>
#include <fstream>

#include "../../src/lib/publish/dnswire.h"
#include "../cli/cli_harness.h"
#include "mxdane/error.h"
#include "mxdane/publish.h"

namespace {
using namespace mxdane;
using namespace mxdane::publish;

// A secret as `tsig-keygen -a hmac-sha256` makes it (32 random bytes).
constexpr const char* secret = "K2tf3TRjvQkVCmJF3/Z9vA3bS4GW1Ke5vqP2vI7cL0A=";

TsigKey parse_ok(std::string_view text) {
    auto k = parse_tsig_key(text);
    EXPECT_TRUE(k.has_value()) << (k ? "" : k.error()) << "\n" << text;
    return k ? *k : TsigKey{};
}

std::string parse_error(std::string_view text) {
    auto k = parse_tsig_key(text);
    EXPECT_FALSE(k.has_value()) << text;
    return k ? "" : k.error();
}

// ------------------------------------------------------- TSIG key files ---

TEST(TsigKeyFile, ReadsTsigKeygenOutput) {
    // Exactly the layout of BIND 9.18 `tsig-keygen upd-key.example.net`.
    const auto k = parse_ok(std::string("key \"upd-key.example.net\" {\n\talgorithm hmac-sha256;\n\tsecret \"") +
                            secret + "\";\n};\n");
    EXPECT_EQ(k.name, "upd-key.example.net.");
    EXPECT_EQ(k.algorithm, TsigAlgorithm::hmac_sha256);
    EXPECT_EQ(k.secret, secret);
}

TEST(TsigKeyFile, ToleratesLayoutCommentsCaseAndMissingSemicolons) {
    const auto k = parse_ok(std::string("# made by hand\n// for mx1\n/* a\n block */ KEY Upd-Key.\n{ ALGORITHM "
                                        "HMAC-SHA512. ; secret \"") +
                            secret + "\" }");
    EXPECT_EQ(k.name, "upd-key.");
    EXPECT_EQ(k.algorithm, TsigAlgorithm::hmac_sha512);
    const auto one_line = parse_ok(std::string("key x { secret ") + secret + "; algorithm \"hmac-sha1\"; };");
    EXPECT_EQ(one_line.algorithm, TsigAlgorithm::hmac_sha1);
    EXPECT_EQ(one_line.name, "x.");
}

TEST(TsigKeyFile, ReadsTheOneLineForms) {
    const auto three = parse_ok(std::string("hmac-sha384:upd:") + secret + "\n");
    EXPECT_EQ(three.algorithm, TsigAlgorithm::hmac_sha384);
    EXPECT_EQ(three.name, "upd.");
    const auto two = parse_ok(std::string("  upd.example.:") + secret);
    EXPECT_EQ(two.algorithm, TsigAlgorithm::hmac_sha256);
    EXPECT_EQ(parse_ok(std::string("hmac-md5.sig-alg.reg.int:k:") + secret).algorithm, TsigAlgorithm::hmac_md5);
}

TEST(TsigKeyFile, RefusesMalformedFiles) {
    const std::string s = secret;
    EXPECT_EQ(parse_error(""), "the key file is empty");
    EXPECT_EQ(parse_error("# nothing\n"), "the key file holds only comments");
    EXPECT_EQ(parse_error("key \"k\" {\n algorithm hmac-sha256;\n};\n"), "line 1: key 'k' has no 'secret'");
    EXPECT_EQ(parse_error("key k { secret \"" + s + "\"; };"), "line 1: key 'k' has no 'algorithm'");
    EXPECT_EQ(parse_error("key k { algorithm hmac-sha256; secret \"" + s + "\";"),
              "line 1: the block of key 'k' is never closed with '}'");
    EXPECT_EQ(parse_error("key k algorithm hmac-sha256;"), "line 1: expected '{' after the key name");
    EXPECT_EQ(parse_error("options { };"), "line 1: expected 'key', found 'options'");
    EXPECT_EQ(parse_error("key {"), "line 1: 'key' must be followed by the key's name");
    EXPECT_EQ(parse_error("key k { algorithm hmac-sha256; secret \"" + s + "\"; keyfile x; };"),
              "line 1: unknown statement 'keyfile' in a key block (only 'algorithm' and 'secret')");
    EXPECT_EQ(parse_error("key k { algorithm hmac-sha256; algorithm hmac-sha1; secret \"" + s + "\"; };"),
              "line 1: 'algorithm' given twice");
    EXPECT_EQ(parse_error("key k { algorithm ; secret x; };"), "line 1: 'algorithm' needs a value");
    EXPECT_EQ(parse_error("\n\nkey \"k\" {\n secret \"abc"), "line 4: a quoted string is never closed");
    EXPECT_EQ(parse_error("key k { secret \"ab\ncd\"; };"), "line 1: a quoted string spans lines");
    EXPECT_EQ(parse_error("/* never closed\nkey k {};"), "line 1: a /* comment is never closed");
    EXPECT_EQ(parse_error("key a { algorithm hmac-sha256; secret \"" + s +
                          "\"; };\nkey b { algorithm hmac-sha256; "
                          "secret \"" +
                          s + "\"; };"),
              "the file holds 2 keys (a., b.); give a file with exactly one");
}

TEST(TsigKeyFile, RefusesBadValues) {
    const std::string s = secret;
    EXPECT_EQ(parse_error("key k { algorithm hmac-sha3; secret \"" + s + "\"; };"),
              "line 1: unknown TSIG algorithm 'hmac-sha3' (hmac-sha256, hmac-sha512, hmac-sha384, hmac-sha224, "
              "hmac-sha1 or hmac-md5)");
    EXPECT_EQ(parse_error("key k { algorithm hmac-sha256; secret \"abc\"; };"),
              "line 1: the secret is not base64 (its length is not a multiple of 4)");
    EXPECT_EQ(parse_error("key k { algorithm hmac-sha256; secret \"ab=c\"; };"),
              "line 1: the secret is not base64 ('=' inside it)");
    EXPECT_EQ(parse_error("key k { algorithm hmac-sha256; secret \"ab-c\"; };"),
              "line 1: the secret is not base64 (character 3)");
    EXPECT_EQ(parse_error("key k { algorithm hmac-sha256; secret \"\"; };"), "line 1: the secret is empty");
    EXPECT_EQ(parse_error("key \"a b\" { algorithm hmac-sha256; secret \"" + s + "\"; };"),
              "line 1: the key name 'a b' holds ' ' (letters, digits, '-', '_' and dots only)");
    EXPECT_EQ(parse_error("key \"a..b\" { algorithm hmac-sha256; secret \"" + s + "\"; };"),
              "line 1: the key name 'a..b' has an empty label");
    EXPECT_EQ(parse_error("hmac-sha256:k:" + s + ":x"), "too many ':' in 'ALGORITHM:NAME:SECRET'");
    EXPECT_EQ(parse_error("k:" + s + " trailing"),
              "expected 'key \"NAME\" { algorithm ALG; secret \"BASE64\"; };' or one line 'ALGORITHM:NAME:SECRET'");
}

TEST(TsigKeyFile, LoadNamesTheFile) {
    const test::TempDir dir;
    EXPECT_THROW(
        {
            try {
                (void)load_tsig_key(dir.path() / "missing.key");
            } catch (const Error& e) {
                EXPECT_EQ(e.code(), Errc::io);
                EXPECT_NE(std::string(e.what()).find("cannot read the TSIG key file"), std::string::npos);
                throw;
            }
        },
        Error);
    const auto bad = dir.path() / "bad.key";
    std::ofstream(bad) << "key k { algorithm hmac-sha256; };\n";
    try {
        (void)load_tsig_key(bad);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::bad_input);
        EXPECT_EQ(std::string(e.what()), "TSIG key file " + bad.string() + ": line 1: key 'k' has no 'secret'");
    }
    const auto good = dir.path() / "good.key";
    std::ofstream(good) << "key \"k\" { algorithm hmac-sha256; secret \"" << secret << "\"; };\n";
    EXPECT_EQ(load_tsig_key(good).name, "k.");
}

TEST(TsigAlgorithms, NamesRoundTrip) {
    for (const auto a : {TsigAlgorithm::hmac_md5, TsigAlgorithm::hmac_sha1, TsigAlgorithm::hmac_sha224,
                         TsigAlgorithm::hmac_sha256, TsigAlgorithm::hmac_sha384, TsigAlgorithm::hmac_sha512}) {
        EXPECT_EQ(parse_tsig_algorithm(tsig_algorithm_name(a)), a);
        EXPECT_EQ(parse_tsig_algorithm(tsig_algorithm_dname(a)), a);
    }
    EXPECT_EQ(tsig_algorithm_dname(TsigAlgorithm::hmac_md5), "hmac-md5.sig-alg.reg.int.");
    EXPECT_FALSE(parse_tsig_algorithm("sha256"));
}

// --------------------------------------------------- the change as text ---

Change two_op_change() {
    Change c;
    c.host = "mx1.example.net";
    c.owner = "_25._tcp.mx1.example.net.";
    c.ops.push_back({Action::add, 3600, tlsa::Record{3, 1, 1, tlsa::Bytes(32, 0xab)}});
    c.ops.push_back({Action::remove, 3600, tlsa::Record{3, 1, 1, tlsa::Bytes(32, 0x01)}});
    return c;
}

TEST(ChangeText, NsupdateScript) {
    const std::string ab(64, 'b');
    EXPECT_EQ(
        nsupdate_script(two_op_change(), std::string("example.net.")),
        "zone example.net.\n"
        "update add _25._tcp.mx1.example.net. 3600 IN TLSA 3 1 1 " +
            [] {
                std::string s;
                for (int i = 0; i < 32; ++i) {
                    s += "ab";
                }
                return s;
            }() +
            "\n"
            "update delete _25._tcp.mx1.example.net. IN TLSA 3 1 1 " +
            [] {
                std::string s;
                for (int i = 0; i < 32; ++i) {
                    s += "01";
                }
                return s;
            }() +
            "\nsend\n");
    Change empty;
    EXPECT_EQ(nsupdate_script(empty), "send\n");
}

TEST(ChangeText, HookEnvironmentNumbersEveryOp) {
    const auto env = hook_environment(two_op_change(), std::nullopt);
    std::vector<std::string> names;
    for (const auto& [k, v] : env) {
        names.push_back(k);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"MXDANE_HOST", "MXDANE_OWNER", "MXDANE_COUNT", "MXDANE_ACTION_1",
                                               "MXDANE_TTL_1", "MXDANE_RDATA_1", "MXDANE_ACTION_2", "MXDANE_TTL_2",
                                               "MXDANE_RDATA_2"}));
    EXPECT_EQ(env[2].second, "2");
    EXPECT_EQ(env[3].second, "add");
    EXPECT_EQ(env[6].second, "delete");
    EXPECT_EQ(env[8].second.substr(0, 8), "3 1 1 01");
}

TEST(ChangeText, HookEnvironmentOfOneOpAlsoUnnumbered) {
    auto c = two_op_change();
    c.ops.pop_back();
    const auto env = hook_environment(c, std::string("example.net."));
    ASSERT_EQ(env.size(), 10U);
    EXPECT_EQ(env[2], (std::pair<std::string, std::string>{"MXDANE_ZONE", "example.net."}));
    EXPECT_EQ(env[7], (std::pair<std::string, std::string>{"MXDANE_ACTION", "add"}));
    EXPECT_EQ(env[8], (std::pair<std::string, std::string>{"MXDANE_TTL", "3600"}));
    EXPECT_EQ(env[9].first, "MXDANE_RDATA");
    EXPECT_EQ(env[9].second, env[6].second);
}

TEST(Names, StatusAndAction) {
    EXPECT_EQ(status_name(Status::prereq_failed), "prereq-failed");
    EXPECT_EQ(status_name(Status::badsig), "badsig");
    EXPECT_EQ(action_name(Action::remove), "delete");
}

// ------------------------------------------------------ UPDATE replies ---
// Replies are crafted with libldns and signed (or not) the way a server
// signs them: over the request MAC and the reply (RFC 8945 §4.3.1).

const TsigKey lab_key{"upd-key.", TsigAlgorithm::hmac_sha256, secret};
const wire::UpdateContext ctx{"127.0.0.1@53", "example.net.", "_25._tcp.mx1.example.net."};
constexpr std::uint16_t id = 0x4242;

struct Crafted {
    wire::Bytes wire;
    wire::Bytes request_mac;
};

/// The MAC of a signed request, as the reply is computed over it.
wire::Bytes request_mac() {
    wire::PktPtr q(ldns_pkt_new());
    ldns_pkt_set_id(q.get(), id);
    ldns_pkt_set_opcode(q.get(), LDNS_PACKET_UPDATE);
    EXPECT_EQ(ldns_pkt_tsig_sign(q.get(), lab_key.name.c_str(), lab_key.secret.c_str(), 300, "hmac-sha256.", nullptr),
              LDNS_STATUS_OK);
    return wire::rdf_bytes(ldns_rr_rdf(ldns_pkt_tsig(q.get()), 3));
}

enum class Sign { none, good, wrong_secret, other_key };

Crafted reply(ldns_pkt_rcode rcode, Sign sign, std::uint16_t tsig_error = 0, std::uint16_t reply_id = id) {
    Crafted c;
    c.request_mac = request_mac();
    wire::PktPtr p(ldns_pkt_new());
    ldns_pkt_set_id(p.get(), reply_id);
    ldns_pkt_set_qr(p.get(), true);
    ldns_pkt_set_opcode(p.get(), LDNS_PACKET_UPDATE);
    ldns_pkt_set_rcode(p.get(), static_cast<std::uint8_t>(rcode));
    if (sign != Sign::none) {
        const wire::RdfPtr mac(
            ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, c.request_mac.size(), c.request_mac.data()));
        const std::string other_secret = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        const char* name = sign == Sign::other_key ? "other." : lab_key.name.c_str();
        const char* s = sign == Sign::wrong_secret ? other_secret.c_str() : lab_key.secret.c_str();
        EXPECT_EQ(ldns_pkt_tsig_sign(p.get(), name, s, 300, "hmac-sha256.", mac.get()), LDNS_STATUS_OK);
        if (tsig_error != 0) {
            ldns_rdf* old =
                ldns_rr_set_rdf(ldns_pkt_tsig(p.get()), ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, tsig_error), 5);
            ldns_rdf_deep_free(old);
        }
    }
    std::uint8_t* raw = nullptr;
    std::size_t size = 0;
    EXPECT_EQ(ldns_pkt2wire(&raw, p.get(), &size), LDNS_STATUS_OK);
    c.wire.assign(raw, raw + size);
    std::free(raw); // NOLINT(cppcoreguidelines-no-malloc): ldns allocated it
    return c;
}

Outcome read(const Crafted& c, std::int64_t skew = 0) {
    return wire::read_update_reply(c.wire, id, lab_key, c.request_mac,
                                   static_cast<std::int64_t>(std::time(nullptr)) + skew, ctx);
}

TEST(UpdateReply, SignedNoerrorIsOk) {
    const auto o = read(reply(LDNS_RCODE_NOERROR, Sign::good));
    EXPECT_EQ(o.status, Status::ok) << o.message;
    EXPECT_EQ(o.message, "server 127.0.0.1@53 applied the update (NOERROR, reply signed with upd-key.)");
}

TEST(UpdateReply, NoerrorWithoutAValidSignatureIsNotBelieved) {
    auto o = read(reply(LDNS_RCODE_NOERROR, Sign::none));
    EXPECT_EQ(o.status, Status::bad_reply);
    EXPECT_EQ(o.message, "server 127.0.0.1@53 answered NOERROR, but the reply is not TSIG-signed: cannot tell "
                         "whether the update was applied");
    o = read(reply(LDNS_RCODE_NOERROR, Sign::wrong_secret));
    EXPECT_EQ(o.status, Status::bad_reply);
    EXPECT_NE(o.message.find("the reply's TSIG MAC does not verify"), std::string::npos) << o.message;
    o = read(reply(LDNS_RCODE_NOERROR, Sign::other_key));
    EXPECT_EQ(o.status, Status::bad_reply);
    EXPECT_NE(o.message.find("signed with another key"), std::string::npos) << o.message;
    o = read(reply(LDNS_RCODE_NOERROR, Sign::good), 1000);
    EXPECT_EQ(o.status, Status::bad_reply);
    // -1000, or -1001 when the clock ticked between signing and reading.
    EXPECT_TRUE(o.message.find("the reply's TSIG time is -1000 s away") != std::string::npos ||
                o.message.find("the reply's TSIG time is -1001 s away") != std::string::npos)
        << o.message;
}

TEST(UpdateReply, TsigErrors) {
    auto o = read(reply(LDNS_RCODE_NOTAUTH, Sign::good, 16));
    EXPECT_EQ(o.status, Status::badsig);
    EXPECT_EQ(o.message, "server 127.0.0.1@53 rejected the signature made with TSIG key upd-key. (NOTAUTH, TSIG "
                         "error BADSIG): the secret in the key file is not the server's");
    o = read(reply(LDNS_RCODE_NOTAUTH, Sign::good, 17));
    EXPECT_EQ(o.status, Status::badkey);
    EXPECT_EQ(o.message,
              "server 127.0.0.1@53 does not accept TSIG key upd-key. for updates of zone example.net. (NOTAUTH, "
              "TSIG error BADKEY): the server does not know this key name, or the zone's update policy does not "
              "list it");
    o = read(reply(LDNS_RCODE_NOTAUTH, Sign::good, 18));
    EXPECT_EQ(o.status, Status::badtime);
    EXPECT_NE(o.message.find("(NOTAUTH, TSIG error BADTIME): this machine's clock"), std::string::npos);
    o = read(reply(LDNS_RCODE_NOTAUTH, Sign::good, 22));
    EXPECT_EQ(o.status, Status::badsig);
    EXPECT_NE(o.message.find("TSIG error BADTRUNC"), std::string::npos);
}

TEST(UpdateReply, Rcodes) {
    auto o = read(reply(LDNS_RCODE_REFUSED, Sign::none));
    EXPECT_EQ(o.status, Status::refused);
    EXPECT_EQ(o.message, "server 127.0.0.1@53 refused the update of zone example.net. (REFUSED): its policy does "
                         "not let TSIG key upd-key. change _25._tcp.mx1.example.net.");
    o = read(reply(LDNS_RCODE_NOTAUTH, Sign::none));
    EXPECT_EQ(o.status, Status::notauth);
    EXPECT_EQ(o.message, "server 127.0.0.1@53 is not authoritative for zone example.net. (NOTAUTH): send updates "
                         "to the zone's primary server");
    for (const auto rc : {LDNS_RCODE_NXRRSET, LDNS_RCODE_YXRRSET, LDNS_RCODE_NXDOMAIN, LDNS_RCODE_YXDOMAIN}) {
        o = read(reply(rc, Sign::good));
        EXPECT_EQ(o.status, Status::prereq_failed);
    }
    EXPECT_EQ(read(reply(LDNS_RCODE_NXRRSET, Sign::good)).message,
              "the TLSA RRset at _25._tcp.mx1.example.net. changed after mxdane read it (NXRRSET: prerequisite "
              "not met; another update at the same time?); nothing was changed, run again");
    o = read(reply(LDNS_RCODE_SERVFAIL, Sign::none));
    EXPECT_EQ(o.status, Status::server_failed);
    EXPECT_EQ(o.message, "server 127.0.0.1@53 failed to apply the update (SERVFAIL); nothing is known to be "
                         "changed, its log says why");
    EXPECT_EQ(read(reply(LDNS_RCODE_NOTZONE, Sign::good)).status, Status::notzone);
    EXPECT_EQ(read(reply(LDNS_RCODE_FORMERR, Sign::none)).status, Status::formerr);
    o = read(reply(LDNS_RCODE_NOTIMPL, Sign::none));
    EXPECT_EQ(o.status, Status::formerr);
    EXPECT_EQ(o.message, "server 127.0.0.1@53 does not implement dynamic updates (NOTIMP)");
}

TEST(UpdateReply, TwoTsigRecordsAreRefusedBeforeLibldnsReadsThem) {
    // Found by fuzz_update_reply: libldns' wire2pkt keeps only the last TSIG
    // record and leaks the first (LeakSanitizer in the ASan build).
    Crafted c = reply(LDNS_RCODE_NOERROR, Sign::good);
    ASSERT_EQ(c.wire[11], 1); // the header, then the TSIG record alone
    const wire::Bytes tsig(c.wire.begin() + 12, c.wire.end());
    c.wire.insert(c.wire.end(), tsig.begin(), tsig.end());
    c.wire[11] = 2;
    const auto o = read(c);
    EXPECT_EQ(o.status, Status::bad_reply);
    EXPECT_EQ(o.message, "the reply of 127.0.0.1@53 holds 2 TSIG records (RFC 8945 §5.1: at most one, the last)");
    // A record that runs past the end is not a DNS message.
    c.wire.resize(c.wire.size() - 1);
    EXPECT_EQ(read(c).message, "the reply of 127.0.0.1@53 is not a DNS message");
}

TEST(UpdateReply, Garbage) {
    EXPECT_EQ(read({{1, 2, 3}, request_mac()}).message, "the reply of 127.0.0.1@53 is not a DNS message");
    const auto o = read(reply(LDNS_RCODE_NOERROR, Sign::good, 0, id + 1));
    EXPECT_EQ(o.status, Status::bad_reply);
    EXPECT_EQ(o.message, "the reply of 127.0.0.1@53 does not answer the update sent");
}

// --------------------------------------------------------- nsupdate setup ---

TEST(NsupdatePublisher, RefusesAlgorithmsLibldnsCannotSign) {
    // libldns 1.8.3 knows md5, sha1, sha256 and sha512 (its table misspells
    // sha384 as "hmac-shac384." and has no sha224): say so before sending.
    for (const auto a : {TsigAlgorithm::hmac_sha384, TsigAlgorithm::hmac_sha224}) {
        NsupdateOptions o;
        o.server = {"127.0.0.1", 53};
        o.key = {"k.", a, secret};
        try {
            (void)make_nsupdate_publisher(o);
            FAIL() << "accepted " << tsig_algorithm_name(a);
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), Errc::bad_input);
            EXPECT_EQ(std::string(e.what()), "TSIG key k.: libldns cannot sign with " +
                                                 std::string(tsig_algorithm_name(a)) +
                                                 " (use hmac-sha256 or hmac-sha512)");
        }
    }
    for (const auto a : {TsigAlgorithm::hmac_sha256, TsigAlgorithm::hmac_sha512, TsigAlgorithm::hmac_sha1}) {
        NsupdateOptions o;
        o.key = {"k.", a, secret};
        EXPECT_NO_THROW((void)make_nsupdate_publisher(o));
    }
}

TEST(NsupdatePublisher, UnreachableServerIsAValueNotAnException) {
    // Port 9 (discard) on loopback: nothing listens there in the test setup.
    NsupdateOptions o;
    o.server = {"127.0.0.1", 9};
    o.key = lab_key;
    o.zone = "example.net";
    const auto p = make_nsupdate_publisher(o);
    const auto out = p->apply(two_op_change());
    EXPECT_EQ(out.status, Status::unreachable);
    EXPECT_EQ(out.message, "cannot connect to 127.0.0.1@9: Connection refused");
    EXPECT_EQ(p->describe(), "RFC 2136 update to 127.0.0.1@9 with TSIG key upd-key. (hmac-sha256)");
}

TEST(NsupdatePublisher, RefusesAContradictoryChangeAndAForeignZone) {
    NsupdateOptions o;
    o.server = {"127.0.0.1", 9};
    o.key = lab_key;
    o.zone = "example.net";
    const auto p = make_nsupdate_publisher(o);
    auto c = two_op_change();
    c.ops[1].record = c.ops[0].record;
    EXPECT_THROW((void)p->apply(c), Error);
    o.zone = "example.org";
    const auto q = make_nsupdate_publisher(o);
    try {
        (void)q->apply(two_op_change());
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "_25._tcp.mx1.example.net. is not inside zone example.org.");
    }
}

// ------------------------------------------------------------ the hook ---

TEST(HookPublisher, GivesTheChangeInTheEnvironmentAndOnStdin) {
    const test::TempDir dir;
    const auto d = dir.path().string();
    HookOptions h;
    h.command = "env | grep '^MXDANE_' | sort > '" + d + "/env'; cat > '" + d + "/stdin'";
    h.zone = "example.net.";
    const auto p = make_hook_publisher(h);
    setenv("MXDANE_STALE", "from the caller", 1);
    const auto o = p->apply(two_op_change());
    unsetenv("MXDANE_STALE");
    EXPECT_EQ(o.status, Status::ok) << o.message;
    EXPECT_EQ(o.applied, two_op_change().ops);
    EXPECT_EQ(test::read_file(dir.path() / "stdin"), nsupdate_script(two_op_change(), std::string("example.net.")));
    const std::string env = test::read_file(dir.path() / "env");
    EXPECT_NE(env.find("MXDANE_ACTION_1=add\n"), std::string::npos) << env;
    EXPECT_NE(env.find("MXDANE_ACTION_2=delete\n"), std::string::npos) << env;
    EXPECT_NE(env.find("MXDANE_COUNT=2\n"), std::string::npos) << env;
    EXPECT_NE(env.find("MXDANE_OWNER=_25._tcp.mx1.example.net.\n"), std::string::npos) << env;
    EXPECT_NE(env.find("MXDANE_ZONE=example.net.\n"), std::string::npos) << env;
    EXPECT_EQ(env.find("MXDANE_STALE"), std::string::npos) << env;
    EXPECT_EQ(env.find("MXDANE_ACTION="), std::string::npos) << env;
}

TEST(HookPublisher, ExitStatusDecides) {
    HookOptions h;
    h.command = "exit 3";
    auto o = make_hook_publisher(h)->apply(two_op_change());
    EXPECT_EQ(o.status, Status::hook_failed);
    EXPECT_EQ(o.message, "the publish hook failed with exit status 3; nothing is known to be published");
    EXPECT_TRUE(o.applied.empty());
    h.command = "/nonexistent/mxdane-hook";
    o = make_hook_publisher(h)->apply(two_op_change());
    EXPECT_EQ(o.message,
              "the publish hook failed with exit status 127 (command not found?); nothing is known to be published");
    h.command = "kill -TERM $$";
    o = make_hook_publisher(h)->apply(two_op_change());
    EXPECT_EQ(o.message, "the publish hook was killed by signal 15 (SIGTERM); nothing is known to be published");
}

TEST(HookPublisher, AHookThatIgnoresStdinIsFine) {
    // A large script and a hook that never reads it: no SIGPIPE, no block.
    Change c = two_op_change();
    for (int i = 0; i < 2000; ++i) {
        c.ops.push_back({Action::add, 60, tlsa::Record{3, 1, 1, tlsa::Bytes(32, static_cast<std::uint8_t>(i))}});
    }
    HookOptions h;
    h.command = "true";
    EXPECT_EQ(make_hook_publisher(h)->apply(c).status, Status::ok);
}

TEST(HookPublisher, EmptyCommandIsBadInput) {
    try {
        (void)make_hook_publisher(HookOptions{});
        FAIL() << "no error";
    } catch (const SettingError& e) {
        EXPECT_EQ(e.code(), Errc::bad_input);
        EXPECT_EQ(e.setting(), Setting::publish_hook);
        EXPECT_EQ(std::string(e.what()), "the publish hook setting: the command is empty");
    }
}

} // namespace
