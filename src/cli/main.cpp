#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <iostream>
#include <string_view>

#include "cli.h"
#include "flags.h"
#include "format.h"
#include "help.h"
#include "mxdane/error.h"
#include "mxdane/names.h"
#include "mxdane/ossl.h"

namespace mxdane::cli {
namespace {

constexpr const char* overview = R"(Examples:
  mxdane keygen mx1.example.net example.net
      make a key and a self-signed certificate under /etc/pki/tls, point the
      stable names mx1.example.net-MX.key and -MX.crt at them, and print the
      TLSA records to publish and the lines that configure the MTA
  mxdane keygen --mta exim --key p256 --out /etc/exim4/dane mx1.example.net
      the same for Exim, with an ECDSA P-256 key, both files in one directory
  mxdane check example.net
      walk the path a DANE sender takes (DNSSEC-validated MX, addresses,
      TLSA, STARTTLS) and say, per MX host and address, whether mail
      would be delivered, refused or deferred

The yearly key rotation, with no deferred message and no edit of the MTA's
configuration:
  mxdane rollover init mx1.example.net        adopt the key in service
  mxdane rollover stage mx1.example.net       make the next key; publish both records
  mxdane rollover status mx1.example.net      exit 4 while waiting, 0 once the switch is allowed
  mxdane rollover activate mx1.example.net --reload 'postfix reload'
  mxdane rollover retire mx1.example.net      once the old record is gone from DNS
or hands-off, once a day from a timer:
  mxdane rollover auto mx1.example.net --config /etc/mxdane/mx1.example.net.conf

Run 'mxdane COMMAND --help' for a command's options and examples.)";

std::vector<Command> command_table() {
    return {
        keygen_command(),  tlsa_command(),      verify_command(),   inspect_command(), check_command(),
        publish_command(), unpublish_command(), rollover_command(), reissue_command(),
    };
}

/// CLI11's messages can span lines; we promise one.
std::string one_line(std::string s) {
    for (auto& c : s) {
        if (c == '\n') {
            c = ' ';
        }
    }
    while (!s.empty() && s.back() == ' ') {
        s.pop_back();
    }
    return s;
}

/// "tlsa", "rollover status": the chosen (sub)command when --json (or tlsa's
/// --format json) was given, else "".
std::string json_command(CLI::App& sub) {
    std::string name = sub.get_name();
    CLI::App* at = &sub;
    for (bool deeper = true; deeper;) {
        deeper = false;
        for (CLI::App* child : at->get_subcommands()) {
            if (child->parsed() && !child->get_name().empty()) {
                name += " " + child->get_name();
                at = child;
                deeper = true;
                break;
            }
        }
    }
    const CLI::Option* json = at->get_option_no_throw("--json");
    const CLI::Option* format = at->get_option_no_throw("--format");
    const bool wanted = (json != nullptr && json->count() > 0) ||
                        (format != nullptr && format->count() > 0 && format->as<std::string>() == "json");
    return wanted ? name : std::string();
}

} // namespace

Exit exit_for(Errc code) {
    switch (code) {
    case Errc::bad_input:
        return Exit::usage;
    case Errc::refused:
        return Exit::no;
    case Errc::exists:
    case Errc::permission:
    case Errc::io:
    case Errc::crypto:
        return Exit::failed;
    }
    return Exit::failed;
}

CLI::Option* add_port_option(CLI::App& app, std::uint16_t& port, const std::string& help) {
    // One message for 0, 65536, -1 and "smtp" alike (CLI11's own differ).
    const CLI::Validator port_range(
        [](std::string& value) -> std::string {
            const bool digits = !value.empty() && value.size() <= 5 &&
                                std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
            if (digits && std::stoul(value) >= 1 && std::stoul(value) <= 65535) {
                return {};
            }
            return "must be a port number from 1 to 65535, not '" + value + "'";
        },
        "1..65535", "port");
    return app.add_option("--port", port, help)->check(port_range);
}

namespace {

std::vector<std::string> subcommand_names(CLI::App& app) {
    std::vector<std::string> names;
    for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
        names.push_back(sub->get_name());
    }
    return names;
}

/// How far argv names (sub)commands: the deepest one reached, and the word
/// that named none where a subcommand was expected.
struct Reached {
    CLI::App* app = nullptr;
    std::optional<std::string> unknown;
};

Reached walk_commands(CLI::App& app, int argc, const char* const* argv) {
    CLI::App* cur = &app;
    for (int i = 1; i < argc; ++i) {
        const std::string word = argv[i];
        const auto names = subcommand_names(*cur);
        if (names.empty()) {
            break;
        }
        if (word.empty() || word.rfind('-', 0) == 0) {
            break; // an option before the (sub)command: which word is meant is unclear
        }
        if (std::find(names.begin(), names.end(), word) == names.end()) {
            return {cur, word};
        }
        cur = cur->get_subcommand(word);
    }
    return {cur, std::nullopt};
}

std::string list_names(const std::vector<std::string>& names) {
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
    }
    return out;
}

/// The first word of argv that looks like an option ("--stub", "-x",
/// "--stub=VALUE") and that `app` does not have; none after "--".
std::optional<std::string> unknown_option(const CLI::App& app, int argc, const char* const* argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string word = argv[i];
        if (word == "--") {
            return std::nullopt;
        }
        if (word.size() < 2 || word[0] != '-' || std::isdigit(static_cast<unsigned char>(word[1])) != 0) {
            continue; // a value, a negative number among them
        }
        const std::string name = word.substr(0, word.find('='));
        if (app.get_option_no_throw(name) == nullptr && app.get_help_ptr() != nullptr &&
            !app.get_help_ptr()->check_name(name)) {
            return name;
        }
    }
    return std::nullopt;
}

} // namespace

int run(int argc, const char* const* argv, Io& io) {
    CLI::App app{"mxdane: the DANE life of a mail server's MX host", "mxdane"};
    app.require_subcommand(0, 1);
    app.set_version_flag("--version", version_text());
    app.formatter(std::make_shared<HelpFormatter>()); // subcommands inherit it
    std::vector<std::pair<CLI::App*, Runner>> runners;
    for (auto& cmd : command_table()) {
        CLI::App* sub = app.add_subcommand(cmd.name, cmd.summary);
        runners.emplace_back(sub, cmd.setup(*sub));
    }
    app.footer(overview); // after the subcommands, which would inherit it
    // Build-time hook, not in --help: the completions come from this table.
    if (argc == 3 && std::string_view(argv[1]) == "__completion" && print_completion(app, argv[2], io.out)) {
        return static_cast<int>(Exit::ok);
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) {
            // --help (of the parsed subcommand, CLI11 picks it) or --version.
            app.exit(e, io.out, io.err);
            return static_cast<int>(Exit::ok);
        }
        const Reached at = walk_commands(app, argc, argv);
        const std::string help = "(see '" + command_path(*at.app) + " --help')";
        if (at.unknown) {
            const auto names = subcommand_names(*at.app);
            const std::string what = at.app == &app ? "a command" : "a step of " + command_path(*at.app);
            io.err << "error: '" << names::printable(*at.unknown) << "' is not " << what;
            if (const auto near = nearest_name(*at.unknown, names)) {
                io.err << "; did you mean '" << *near << "'? " << help << "\n";
            } else {
                io.err << ": choose " << list_names(names) << " " << help << "\n";
            }
            return static_cast<int>(Exit::usage);
        }
        if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
            // CLI11 lists every word it could not place, the option's value
            // as the positional and the positional as extra: name the option.
            if (const auto opt = unknown_option(*at.app, argc, argv)) {
                io.err << "error: '" << command_path(*at.app) << "' has no option " << names::printable(*opt) << " "
                       << help << "\n";
                return static_cast<int>(Exit::usage);
            }
        }
        io.err << "error: " << one_line(e.what()) << " " << help << "\n";
        return static_cast<int>(Exit::usage);
    }
    for (auto& [sub, runner] : runners) {
        if (!sub->parsed()) {
            continue;
        }
        std::string message;
        Exit code = Exit::failed;
        try {
            return static_cast<int>(runner(io));
        } catch (const Error& e) {
            message = with_flags(one_line(e.what()));
            code = exit_for(e.code());
        } catch (const std::bad_alloc&) {
            message = "out of memory";
        } catch (const std::exception& e) {
            message = one_line(e.what());
        }
        io.err << "error: " << message << "\n";
        if (const auto command = json_command(*sub); !command.empty()) {
            // --json promised one object on stdout: it says what went wrong.
            nlohmann::json j = json_top(command, static_cast<int>(code), {});
            j["error"] = message;
            io.out << j.dump(2) << "\n";
        }
        return static_cast<int>(code);
    }
    io.out << "mxdane: the DANE life of a mail server's MX host.\n\n" << overview << "\n";
    return static_cast<int>(Exit::ok);
}

} // namespace mxdane::cli

int main(int argc, char** argv) {
    // Probes write to sockets a server may have closed: that must be an
    // error return, not a SIGPIPE that kills the command.
    // signal() fails only for an invalid signal number or handler.
    static_cast<void>(std::signal(SIGPIPE, SIG_IGN));
    // A file size limit (ulimit -f) makes write() fail with EFBIG, which the
    // library reports and cleans up after, instead of killing the command
    // with a temporary file half written.
    static_cast<void>(std::signal(SIGXFSZ, SIG_IGN));
    // A standard descriptor the caller closed would be taken by the next
    // file mxdane opens: what it prints to stdout would land in a key file.
    // /dev/null holds the place; a closed stdout still fails the run.
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
            // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): open(2)
            const int held = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
            if (held != fd) {
                return static_cast<int>(mxdane::cli::Exit::failed); // nowhere to say it
            }
            if (fd == 1) {
                mxdane::cli::note_stdout_was_closed();
            }
        }
    }
    mxdane::cli::Io io{std::cout, std::cerr};
    // run() turns a command's errors into messages and exit codes; what is
    // left can only fail before a command runs (building the command table,
    // out of memory), and must still end in one line and a documented code.
    try {
        const int rc = mxdane::cli::run(argc, argv, io);
        // stdout is data: a record that never reached it is a failure, not
        // a success with an empty file (issue #25). The commands that write
        // as they go (check --domains) check each line themselves.
        if (auto failed = mxdane::cli::output_failure(std::cout)) {
            std::cerr << "error: " << *failed << "\n";
            return static_cast<int>(mxdane::cli::Exit::failed);
        }
        return rc;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
    } catch (...) {
        std::cerr << "error: an unexpected failure\n";
    }
    return static_cast<int>(mxdane::cli::Exit::failed);
}
