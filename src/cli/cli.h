// The command table and what every command shares.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "mxdane/error.h"

namespace mxdane::cli {

/// Exit codes, documented in the README; every command uses these.
enum class Exit : int {
    ok = 0,            ///< success
    no = 1,            ///< checked, and the answer is no
    failed = 2,        ///< could not do the work (I/O, exists, permission, OpenSSL)
    not_in_effect = 3, ///< check: DANE does not apply (insecure MX, no secure TLSA)
    waiting = 4,       ///< rollover: nothing to do yet, a wait is under way
    degraded = 5,      ///< check: delivered, but some path fails or DANE covers only part of it
    usage = 64,        ///< bad command line or bad input value (EX_USAGE)
};

/// Where a command talks: stdout is data, stderr is talk.
struct Io {
    std::ostream& out;
    std::ostream& err;
};

/// Flushes `out` (and C's stdout beneath std::cout) and says why the data
/// written to it did not all arrive: "cannot write standard output: No
/// space left on device". nullopt when it did.
std::optional<std::string> output_failure(std::ostream& out);

/// Records that the process started with standard output closed (main
/// puts /dev/null there, so that no file opened later takes descriptor 1):
/// output_failure then reports every run as failed.
void note_stdout_was_closed();

/// A command's body, run after parsing succeeded.
using Runner = std::function<Exit(Io&)>;

/// One row of the command table: declares its options on `app` and returns
/// the body to run when this subcommand was chosen.
struct Command {
    std::string name;
    std::string summary;
    std::function<Runner(CLI::App& app)> setup;
};

/// What --version prints: mxdane's version, then one line per library
/// (OpenSSL, libunbound, libldns) as each reports itself at run time.
std::string version_text();

/// Writes the bash or zsh completion script for `app` (its commands,
/// subcommands and options); false for another shell. The build calls it
/// through the hidden `mxdane __completion SHELL`.
bool print_completion(const CLI::App& app, const std::string& shell, std::ostream& out);

/// The exit code for a library error kind (README "Exit codes").
Exit exit_for(Errc code);

/// --port P, 1..65535 (0 is no port; every command takes the same range).
CLI::Option* add_port_option(CLI::App& app, std::uint16_t& port, const std::string& help);

/// Runs mxdane with argv; the only place errors become messages and exit
/// codes.
int run(int argc, const char* const* argv, Io& io);

// One function per command group (cmd_<noun>.cpp).
Command keygen_command();
Command tlsa_command();
Command verify_command();
Command inspect_command();
Command publish_command();   // cmd_publish.cpp
Command unpublish_command(); // cmd_publish.cpp
Command check_command();
Command rollover_command();
Command reissue_command(); // cmd_reissue.cpp

} // namespace mxdane::cli
