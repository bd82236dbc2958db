// What every command's help shares: the examples footer, the path of a
// (sub)command for "see 'mxdane rollover stage --help'", and the nearest
// known name for a mistyped one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace mxdane::cli {

struct Example {
    std::string command; ///< as typed, starting with "mxdane"
    std::string what;    ///< one short line: what it does
};

/// "Examples:\n  <command>\n      <what>\n..." for CLI::App::footer.
std::string examples_footer(const std::vector<Example>& examples);

/// CLI11's formatter, with positionals listed by name only: the usage line
/// already says which are required or repeated ("HOST [NAME...]").
class HelpFormatter final : public CLI::Formatter {
  public:
    std::string make_option_opts(const CLI::Option* opt) const override;
};

/// "mxdane rollover stage" for the rollover stage subcommand.
std::string command_path(const CLI::App& app);

/// The name in `known` nearest to `typed` (edit distance, transpositions
/// count once), when near enough to be a typing slip; else nullopt.
std::optional<std::string> nearest_name(const std::string& typed, const std::vector<std::string>& known);

} // namespace mxdane::cli

namespace mxdane::cli {

/// The examples of each rollover step, set on the subcommands of `rollover`
/// (src/cli/rollover_help.cpp).
void rollover_help(CLI::App& rollover);

} // namespace mxdane::cli
