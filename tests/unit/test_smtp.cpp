// The SMTP reply parser (pure). The client itself is tested against real
// servers in tests/labtests, never against a mock TLS peer.
#include <gtest/gtest.h>

#include "mxdane/smtp.h"

namespace {
using namespace mxdane::smtp;

Reply one(const std::string& bytes) {
    ReplyParser p;
    p.feed(bytes);
    auto r = p.next();
    EXPECT_TRUE(r) << r.error();
    EXPECT_TRUE(r->has_value());
    return **r;
}

std::string refusal(const std::string& bytes) {
    ReplyParser p;
    p.feed(bytes);
    auto r = p.next();
    return r ? std::string("accepted") : r.error();
}

TEST(SmtpReply, SingleLine) {
    const Reply r = one("220 mx1.example.net ESMTP\r\n");
    EXPECT_EQ(r.code, 220);
    EXPECT_EQ(r.lines, (std::vector<std::string>{"mx1.example.net ESMTP"}));
    EXPECT_EQ(r.summary(), "220 mx1.example.net ESMTP");
}

TEST(SmtpReply, MultiLineEhloWithKeywords) {
    const Reply r = one("250-mx1 greets you\r\n250-PIPELINING\r\n250-starttls\r\n250 SIZE 1000\r\n");
    EXPECT_EQ(r.code, 250);
    EXPECT_EQ(r.lines.size(), 4U);
    EXPECT_TRUE(r.has_keyword("STARTTLS"));
    EXPECT_TRUE(r.has_keyword("SIZE"));
    EXPECT_FALSE(r.has_keyword("8BITMIME"));
    EXPECT_FALSE(r.has_keyword("mx1")); // the greeting line is not a keyword
}

TEST(SmtpReply, CodeOnlyAndBareLf) {
    EXPECT_EQ(one("250\n").code, 250);
    EXPECT_EQ(one("354 go\n").lines.front(), "go");
}

TEST(SmtpReply, WaitsForTheLastLine) {
    ReplyParser p;
    p.feed("250-first\r\n250-sec");
    auto r = p.next();
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->has_value());
    p.feed("ond\r\n250 last\r\n221 extra");
    r = p.next();
    ASSERT_TRUE(r && r->has_value());
    EXPECT_EQ((*r)->lines, (std::vector<std::string>{"first", "second", "last"}));
    EXPECT_EQ(p.buffered(), 9U); // "221 extra" stays for the next reply (or the injection check)
    p.discard();
    EXPECT_EQ(p.buffered(), 0U);
}

TEST(SmtpReply, RefusesWhatIsNotSmtp) {
    EXPECT_EQ(refusal(std::string("\x00\xff garbage\r\n", 12)), "not an SMTP reply line: \"\\x00\\xff garbage\"");
    EXPECT_EQ(refusal("HTTP/1.1 400\r\n"), "not an SMTP reply line: \"HTTP/1.1 400\"");
    EXPECT_EQ(refusal("250x\r\n"), "not an SMTP reply line: \"250x\"");
    EXPECT_EQ(refusal("150 one\r\n"), "not an SMTP reply line: \"150 one\"");
    EXPECT_EQ(refusal("25\r\n"), "not an SMTP reply line: \"25\"");
    EXPECT_EQ(refusal("250-a\r\n251 b\r\n"), "multi-line reply changes its code from 250 to 251");
}

TEST(SmtpReply, CapsLineLength) {
    EXPECT_EQ(refusal("250 " + std::string(ReplyParser::max_line, 'x') + "\r\n"), "reply line longer than 4096 octets");
    // Without a line end, too.
    EXPECT_EQ(refusal("250 " + std::string(ReplyParser::max_line + 10, 'x')), "reply line longer than 4096 octets");
    EXPECT_EQ(one("250 " + std::string(ReplyParser::max_line - 4, 'x') + "\r\n").code, 250);
}

TEST(SmtpReply, CapsLineCount) {
    std::string many;
    for (std::size_t i = 0; i < ReplyParser::max_lines; ++i) {
        many += "250-x\r\n";
    }
    EXPECT_EQ(refusal(many + "250 end\r\n"), "reply longer than 100 lines");
    std::string ok;
    for (std::size_t i = 0; i + 1 < ReplyParser::max_lines; ++i) {
        ok += "250-x\r\n";
    }
    EXPECT_EQ(one(ok + "250 end\r\n").lines.size(), ReplyParser::max_lines);
}

TEST(SmtpOutcome, Names) {
    EXPECT_EQ(outcome_name(Outcome::validated), "dane-validated");
    EXPECT_EQ(outcome_name(Outcome::no_starttls), "no-starttls");
    EXPECT_EQ(outcome_name(Outcome::tls_failed), "tls-failed");
    EXPECT_EQ(outcome_name(Outcome::no_match), "no-match");
    EXPECT_EQ(outcome_name(Outcome::connect_failed), "connect-failed");
    EXPECT_EQ(outcome_name(Outcome::smtp_error), "smtp-error");
    EXPECT_EQ(outcome_name(Outcome::timeout), "timeout");
}

TEST(SmtpProbe, NotAnAddressIsConnectFailed) {
    ProbeRequest req;
    req.address = "mx1.example.net";
    const ProbeResult r = probe(req);
    EXPECT_EQ(r.outcome, Outcome::connect_failed);
    EXPECT_EQ(r.reason, "'mx1.example.net' is not an IP address");
}

} // namespace
