// Help that teaches and errors that point the way, through the real binary:
// every command and rollover step has examples, no help speaks of issues,
// usage errors name the help of the (sub)command they concern, and a
// mistyped command gets the nearest known one.
#include <gtest/gtest.h>

#include <regex>

#include "cli_harness.h"

namespace {
using namespace mxdane::test;

const std::vector<std::vector<std::string>> every_command{
    {"keygen"},
    {"tlsa"},
    {"verify"},
    {"inspect"},
    {"check"},
    {"publish"},
    {"unpublish"},
    {"rollover"},
    {"rollover", "init"},
    {"rollover", "stage"},
    {"rollover", "status"},
    {"rollover", "activate"},
    {"rollover", "retire"},
    {"rollover", "emergency"},
    {"rollover", "auto"},
};

std::string joined(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) {
        out += (out.empty() ? "" : " ") + w;
    }
    return out;
}

TEST(HelpCli, EveryCommandAndStepHasItsOwnExamples) {
    for (const auto& cmd : every_command) {
        auto args = cmd;
        args.emplace_back("--help");
        const auto r = run_mxdane(args);
        ASSERT_EQ(r.exit_code, 0) << joined(cmd) << r.err;
        // An "Example(s):" heading followed by a line running this very
        // (sub)command, not a parent's generic footer.
        const std::regex example("Examples?[^\n]*:\n(.*\n)*?  (.*\\| )?mxdane " + joined(cmd) + " ");
        EXPECT_TRUE(std::regex_search(r.out, example)) << joined(cmd) << ":\n" << r.out;
    }
}

TEST(HelpCli, NoHelpSpeaksOfIssues) {
    auto all = every_command;
    all.emplace_back();
    for (const auto& cmd : all) {
        auto args = cmd;
        args.emplace_back("--help");
        const auto r = run_mxdane(args);
        ASSERT_EQ(r.exit_code, 0);
        // "issuer" and "reissue" are words of the trade; "issue #6" is not.
        EXPECT_FALSE(std::regex_search(r.out, std::regex("\\b[Ii]ssues? #?[0-9]|\\([Ii]ssue\\b|#[0-9]")))
            << joined(cmd) << ":\n"
            << r.out;
    }
}

TEST(HelpCli, TopLevelHelpShowsTheYearlyRotationAndEveryStep) {
    const auto r = run_mxdane({"--help"});
    ASSERT_EQ(r.exit_code, 0);
    for (const char* step : {"init", "stage", "status", "activate", "retire"}) {
        EXPECT_NE(r.out.find(std::string("mxdane rollover ") + step + " mx1.example.net"), std::string::npos)
            << step << "\n"
            << r.out;
    }
    // The command list names every rollover step, emergency and auto too.
    EXPECT_NE(r.out.find("init, stage, status, activate, retire, emergency, auto"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("mxdane keygen mx1.example.net example.net"), std::string::npos) << r.out;
}

TEST(HelpCli, ArgumentsByTheirNames) {
    const auto r = run_mxdane({"keygen", "--help"});
    EXPECT_NE(r.out.find("Usage: mxdane keygen [OPTIONS] HOST [NAME...]"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("TEXT ... REQUIRED"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("HOST NAME"), std::string::npos) << r.out;
}

TEST(HelpCli, UsageErrorsNameTheSubcommandsHelp) {
    const struct {
        std::vector<std::string> args;
        std::string help;
    } cases[] = {
        {{"rollover", "stage", "--margin-days", "x", "mx1.example.net"}, "mxdane rollover stage --help"},
        {{"rollover", "status"}, "mxdane rollover status --help"},
        {{"keygen", "--bogus", "mx1.example.net"}, "mxdane keygen --help"},
        {{"keygen"}, "mxdane keygen --help"},
        {{"rollover"}, "mxdane rollover --help"},
        {{"--bogus"}, "mxdane --help"},
    };
    for (const auto& c : cases) {
        const auto r = run_mxdane(c.args);
        EXPECT_EQ(r.exit_code, 64) << joined(c.args);
        EXPECT_TRUE(std::regex_match(r.err, std::regex("error: [^\n]* \\(see '" + c.help + "'\\)\n")))
            << joined(c.args) << ": " << r.err;
        EXPECT_EQ(r.out, "");
    }
}

/// An option the command does not have is named as such, not as CLI11's
/// list of words it could not place (where the option's value had become
/// the host and the host an extra word).
TEST(HelpCli, AnOptionTheCommandDoesNotHaveIsNamed) {
    const struct {
        std::vector<std::string> args;
        std::string err;
    } cases[] = {
        {{"rollover", "emergency", "--stub", "secure.test=127.0.0.1", "mx1.example.net"},
         "error: 'mxdane rollover emergency' has no option --stub (see 'mxdane rollover emergency --help')\n"},
        {{"keygen", "--bogus=1", "mx1.example.net", "x"},
         "error: 'mxdane keygen' has no option --bogus (see 'mxdane keygen --help')\n"},
        {{"tlsa", "-Z", "a", "b"}, "error: 'mxdane tlsa' has no option -Z (see 'mxdane tlsa --help')\n"},
    };
    for (const auto& c : cases) {
        const auto r = run_mxdane(c.args);
        EXPECT_EQ(r.exit_code, 64) << joined(c.args);
        EXPECT_EQ(r.err, c.err) << joined(c.args);
    }
}

TEST(HelpCli, MistypedCommandGetsTheNearestOne) {
    const auto r = run_mxdane({"keygne", "mx1.example.net"});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.err, "error: 'keygne' is not a command; did you mean 'keygen'? (see 'mxdane --help')\n");
    const auto s = run_mxdane({"rollover", "stgae", "mx1.example.net"});
    EXPECT_EQ(s.exit_code, 64);
    EXPECT_EQ(
        s.err,
        "error: 'stgae' is not a step of mxdane rollover; did you mean 'stage'? (see 'mxdane rollover --help')\n");
}

TEST(HelpCli, UnknownStepFarFromAnyListsThemAll) {
    const auto r = run_mxdane({"rollover", "frobnicate", "mx1.example.net"});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.err, "error: 'frobnicate' is not a step of mxdane rollover: choose init, stage, status, activate, "
                     "retire, emergency, auto, disable, enable or rewind (see 'mxdane rollover --help')\n");
    const auto t = run_mxdane({"frobnicate"});
    EXPECT_EQ(t.exit_code, 64);
    EXPECT_EQ(t.err, "error: 'frobnicate' is not a command: choose keygen, tlsa, verify, inspect, check, publish, "
                     "unpublish, rollover or reissue (see 'mxdane --help')\n");
}

} // namespace
