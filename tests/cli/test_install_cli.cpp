// What an installed mxdane ships besides the binary must agree with the
// binary: every command and option the CLI accepts appears in mxdane(1)
// (docs/mxdane.1.scd) and in the bash and zsh completions. The list of
// commands and options is read from the binary's own --help at test time
// (CLI11's output, not the completion generator under test), so an option
// added anywhere is checked without editing this file; a failure names
// every missing option and where it is missing.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "cli_harness.h"

namespace {
using namespace mxdane::test;
namespace fs = std::filesystem;

struct Command {
    std::string path; ///< "", "keygen", "rollover stage"
    std::vector<std::string> options;
    std::vector<std::string> subcommands;
};

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
        out.push_back(l);
    }
    return out;
}

/// The "Options:" and "Subcommands:" sections of CLI11's help: entries are
/// indented by exactly two spaces; a section ends at a blank line.
Command parse_help(const std::string& path, const std::string& help) {
    Command c;
    c.path = path;
    std::string section;
    static const std::regex option_re("^  (-[-A-Za-z0-9,]+)( .*)?$");
    static const std::regex sub_re("^  ([a-z][a-z0-9-]*)( .*)?$");
    for (const auto& l : lines_of(help)) {
        if (l.empty()) {
            section.clear();
            continue;
        }
        if (l == "Options:" || l == "Subcommands:" || l == "Positionals:") {
            section = l;
            continue;
        }
        std::smatch m;
        if (section == "Options:" && std::regex_match(l, m, option_re)) {
            std::istringstream names(m[1].str());
            for (std::string n; std::getline(names, n, ',');) {
                c.options.push_back(n);
            }
        } else if (section == "Subcommands:" && std::regex_match(l, m, sub_re)) {
            c.subcommands.push_back(m[1].str());
        }
    }
    return c;
}

/// Every command path, from `mxdane [PATH] --help`.
std::vector<Command> cli_commands() {
    std::vector<Command> all;
    std::vector<std::string> todo{""};
    while (!todo.empty()) {
        const std::string path = todo.front();
        todo.erase(todo.begin());
        std::vector<std::string> args;
        std::istringstream words(path);
        for (std::string w; words >> w;) {
            args.push_back(w);
        }
        args.push_back("--help");
        const auto r = run_mxdane(args);
        EXPECT_EQ(r.exit_code, 0) << path << ": " << r.err;
        all.push_back(parse_help(path, r.out));
        for (const auto& s : all.back().subcommands) {
            todo.push_back(path.empty() ? s : path + " " + s);
        }
    }
    return all;
}

std::vector<std::string> ancestors_and_self(const std::string& path) {
    std::vector<std::string> out{""};
    std::string p;
    std::istringstream words(path);
    for (std::string w; words >> w;) {
        p = p.empty() ? w : p + " " + w;
        out.push_back(p);
    }
    return out;
}

std::string join(const std::vector<std::string>& v, const std::string& sep = ", ") {
    std::string out;
    for (const auto& s : v) {
        out += (out.empty() ? "" : sep) + s;
    }
    return out;
}

TEST(InstallCli, HelpListsTheCommands) {
    // The parser above must see something, or every agreement test would
    // pass vacuously.
    const auto cmds = cli_commands();
    ASSERT_GE(cmds.size(), 8U);
    const auto& root = cmds.front();
    for (const auto* c : {"keygen", "tlsa", "verify", "inspect", "check", "publish", "unpublish", "rollover"}) {
        EXPECT_NE(std::find(root.subcommands.begin(), root.subcommands.end(), c), root.subcommands.end()) << c;
    }
    const auto keygen = std::find_if(cmds.begin(), cmds.end(), [](const Command& c) { return c.path == "keygen"; });
    ASSERT_NE(keygen, cmds.end());
    EXPECT_NE(std::find(keygen->options.begin(), keygen->options.end(), "--key-dir"), keygen->options.end());
}

// ---------------------------------------------------------------------------
// mxdane(1)

/// docs/mxdane.1.scd split at "## mxdane COMMAND..." headings: the command
/// path is the heading's words up to the first that is not a command name.
/// Text before the first heading belongs to "" (the global options).
std::map<std::string, std::string> man_sections(const std::set<std::string>& paths) {
    std::map<std::string, std::string> sections;
    std::string current;
    static const std::regex word_re("^[a-z][a-z0-9-]*$");
    for (const auto& l : lines_of(read_file(fs::path(MXDANE_SOURCE_DIR) / "docs/mxdane.1.scd"))) {
        if (l.rfind("## mxdane ", 0) == 0) {
            std::istringstream words(l.substr(10));
            std::string p;
            for (std::string w; words >> w && std::regex_match(w, word_re);) {
                const std::string next = p.empty() ? w : p + " " + w;
                if (paths.count(next) == 0) {
                    break;
                }
                p = next;
            }
            current = p;
            continue;
        }
        sections[current] += l + "\n";
    }
    return sections;
}

TEST(InstallCli, TheManPageDocumentsEveryCommandAndOption) {
    const auto cmds = cli_commands();
    std::set<std::string> paths;
    for (const auto& c : cmds) {
        paths.insert(c.path);
    }
    const auto sections = man_sections(paths);
    static const std::regex same_as_re("options of \\*([a-z][a-z -]*)\\*");
    std::vector<std::string> missing;
    for (const auto& c : cmds) {
        if (!c.path.empty() && sections.count(c.path) == 0) {
            missing.push_back("no section '## mxdane " + c.path + "'");
        }
        // An option is documented in the command's section, in a section
        // above it (rollover's shared options), or in a section the command's
        // own says it takes the options of ("Takes the options of *publish*").
        std::string text;
        for (const auto& p : ancestors_and_self(c.path)) {
            const auto it = sections.find(p);
            if (it == sections.end()) {
                continue;
            }
            text += it->second;
            for (std::sregex_iterator m(it->second.begin(), it->second.end(), same_as_re), end; m != end; ++m) {
                const auto other = sections.find((*m)[1].str());
                if (other != sections.end()) {
                    text += other->second;
                }
            }
        }
        std::vector<std::string> lacking;
        for (const auto& o : c.options) {
            if (text.find("*" + o + "*") == std::string::npos) {
                lacking.push_back(o);
            }
        }
        if (!lacking.empty()) {
            missing.push_back("mxdane " + (c.path.empty() ? std::string("(global)") : c.path) + ": " + join(lacking));
        }
    }
    EXPECT_TRUE(missing.empty()) << "docs/mxdane.1.scd does not document (as *--option*):\n  " << join(missing, "\n  ");
}

TEST(InstallCli, TheManPageBuildsWithScdoc) {
    const TempDir dir;
    const auto r =
        run_process({"sh", "-c", "scdoc < \"$0\" > \"$1\" && MANWIDTH=80 man -l \"$1\" 2>&1 | grep -c 'rollover auto'",
                     std::string(MXDANE_SOURCE_DIR) + "/docs/mxdane.1.scd", (dir.path() / "mxdane.1").string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

// ---------------------------------------------------------------------------
// Completions, as the build generates them.

fs::path write_completion(const TempDir& dir, const std::string& shell_name) {
    const auto r = run_mxdane({"__completion", shell_name});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const fs::path p = dir.path() / ("completion." + shell_name);
    std::ofstream(p) << r.out;
    return p;
}

/// Runs bash's completion function for each line of `queries` (words of a
/// command line, the last one the word being completed) and returns, per
/// query, the candidates offered.
std::vector<std::set<std::string>> complete_bash(const fs::path& script,
                                                 const std::vector<std::vector<std::string>>& queries) {
    std::string prog = "source /usr/share/bash-completion/bash_completion\nsource '" + script.string() + "'\n" +
                       R"(comp() {
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
    _mxdane mxdane "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf '%s\n' "${COMPREPLY[@]}"; echo "--end--"
}
)";
    for (const auto& q : queries) {
        prog += "comp";
        for (const auto& w : q) {
            prog += " '" + w + "'";
        }
        prog += "\n";
    }
    const auto r = run_process({"bash", "-c", prog});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::set<std::string>> out(1);
    for (const auto& l : lines_of(r.out)) {
        if (l == "--end--") {
            out.emplace_back();
        } else if (!l.empty()) {
            out.back().insert(l);
        }
    }
    out.pop_back();
    EXPECT_EQ(out.size(), queries.size()) << r.out << r.err;
    return out;
}

std::vector<std::string> words_of(const std::string& path) {
    std::vector<std::string> w{"mxdane"};
    std::istringstream in(path);
    for (std::string s; in >> s;) {
        w.push_back(s);
    }
    return w;
}

TEST(InstallCli, BashCompletesEveryCommandAndOption) {
    const TempDir dir;
    const auto script = write_completion(dir, "bash");
    const auto cmds = cli_commands();
    std::vector<std::vector<std::string>> queries;
    for (const auto& c : cmds) {
        auto q = words_of(c.path);
        q.push_back("-");
        queries.push_back(q);
        q.back() = "";
        queries.push_back(q);
    }
    const auto got = complete_bash(script, queries);
    ASSERT_EQ(got.size(), queries.size());
    std::vector<std::string> missing;
    for (std::size_t i = 0; i < cmds.size(); ++i) {
        const auto& c = cmds[i];
        std::vector<std::string> lacking;
        for (const auto& o : c.options) {
            if (got[2 * i].count(o) == 0) {
                lacking.push_back(o);
            }
        }
        for (const auto& s : c.subcommands) {
            if (got[2 * i + 1].count(s) == 0) {
                lacking.push_back(s);
            }
        }
        if (!lacking.empty()) {
            missing.push_back("mxdane " + (c.path.empty() ? std::string("(top)") : c.path) + ": " + join(lacking));
        }
    }
    EXPECT_TRUE(missing.empty()) << "the bash completion does not offer:\n  " << join(missing, "\n  ");
}

TEST(InstallCli, BashCompletesPrefixesKeyTypesAndHostsFromTheStateDirectory) {
    const TempDir dir;
    const auto script = write_completion(dir, "bash");
    const fs::path state = dir.path() / "state";
    fs::create_directory(state);
    std::ofstream(state / "mx1.example.net.json") << "{}";
    std::ofstream(state / "mx2.example.org.json") << "{}";
    std::ofstream(state / "mx1.example.net.lock") << "";
    const auto got = complete_bash(script, {
                                               {"mxdane", "rol"},
                                               {"mxdane", "keygen", "--key", ""},
                                               {"mxdane", "rollover", "st"},
                                               {"mxdane", "rollover", "status", "--state-dir", state.string(), "mx"},
                                               {"mxdane", "keygen", "--out", dir.path().string() + "/st"},
                                           });
    ASSERT_EQ(got.size(), 5U);
    EXPECT_EQ(got[0], (std::set<std::string>{"rollover"}));
    // The key types keygen --help names.
    EXPECT_EQ(got[1], (std::set<std::string>{"rsa2048", "rsa3072", "rsa4096", "p256", "p384"}));
    EXPECT_EQ(got[2], (std::set<std::string>{"stage", "status"}));
    EXPECT_EQ(got[3], (std::set<std::string>{"mx1.example.net", "mx2.example.org"}));
    EXPECT_EQ(got[4], (std::set<std::string>{state.string()}));
}

TEST(InstallCli, ZshCompletionParsesAndNamesEveryOption) {
    const TempDir dir;
    const auto script = write_completion(dir, "zsh");
    const auto syntax = run_process({"zsh", "-n", script.string()});
    EXPECT_EQ(syntax.exit_code, 0) << syntax.err;
    const std::string text = read_file(script);
    // One function per command path: _mxdane_rollover_stage() { ... }
    std::vector<std::string> missing;
    for (const auto& c : cli_commands()) {
        std::string fn = "_mxdane";
        for (const char ch : c.path) {
            fn += (ch == ' ' || ch == '-') ? '_' : ch;
        }
        const auto start = text.find("\n" + fn + "() {\n");
        if (start == std::string::npos) {
            missing.push_back(fn + "(): missing");
            continue;
        }
        const std::string body = text.substr(start, text.find("\n}\n", start) - start);
        std::vector<std::string> lacking;
        for (const auto& o : c.options) {
            if (body.find("'" + o + "[") == std::string::npos) {
                lacking.push_back(o);
            }
        }
        for (const auto& s : c.subcommands) {
            if (body.find("'" + s + ":") == std::string::npos) {
                lacking.push_back(s);
            }
        }
        if (!lacking.empty()) {
            missing.push_back("mxdane " + (c.path.empty() ? std::string("(top)") : c.path) + ": " + join(lacking));
        }
    }
    EXPECT_TRUE(missing.empty()) << "the zsh completion does not offer:\n  " << join(missing, "\n  ");
}

// ---------------------------------------------------------------------------
// --version names the libraries it runs with; the oracle is dpkg's record
// of the installed shared libraries.

std::string package_version(const std::string& pkg) {
    std::string v = shell("dpkg-query -W -f '${Version}' " + pkg);
    const auto dash = v.find_first_of("-+~");
    return dash == std::string::npos ? v : v.substr(0, dash);
}

TEST(InstallCli, VersionNamesTheLibraries) {
    const auto r = run_mxdane({"--version"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto l = lines_of(r.out);
    ASSERT_EQ(l.size(), 4U) << r.out;
    EXPECT_EQ(l[0].rfind("mxdane ", 0), 0U) << r.out;
    EXPECT_EQ(l[1].rfind("OpenSSL " + package_version("libssl3") + " ", 0), 0U) << r.out;
    EXPECT_EQ(l[2], "libunbound " + package_version("libunbound8")) << r.out;
    EXPECT_EQ(l[3], "libldns " + package_version("libldns3")) << r.out;
}

} // namespace
