// Shell completions generated from the command table itself (the CLI11 App
// tree that run() builds), so that a new command or option cannot be missing
// from them. The build runs `mxdane __completion bash|zsh` and installs the
// output; nothing here is shown in --help.
#include <map>
#include <sstream>

#include "cli.h"
#include "mxdane/x509.h"

namespace mxdane::cli {
namespace {

/// What the word after an option is completed with.
enum class Value { none, file, dir, key_type, mta, word };

struct Opt {
    std::string name; ///< "--key"
    std::string help;
    Value value = Value::none;
};

/// One command path ("", "keygen", "rollover stage") with its options.
struct Node {
    std::string path;
    std::string help;
    std::vector<std::string> subcommands;
    std::vector<Opt> options;
    bool host_positional = false; ///< completes host names from the state directory
};

bool visible(const CLI::App* a) {
    return !a->get_group().empty() && a->get_name().rfind("__", 0) != 0;
}

Value value_of(const CLI::Option& o, const std::string& name) {
    if (o.get_expected_max() == 0) {
        return Value::none; // a flag
    }
    if (name == "--out" || (name.size() > 4 && name.compare(name.size() - 4, 4, "-dir") == 0)) {
        return Value::dir;
    }
    // keygen's and rollover's --key name a key type, publish's a file.
    if (o.get_description().rfind("key type", 0) == 0) {
        return Value::key_type;
    }
    if (name == "--mta") {
        return Value::mta;
    }
    const std::string type = o.get_type_name();
    if (type == "INT" || type == "UINT" || type == "FLOAT" || type == "NUMBER") {
        return Value::word;
    }
    return Value::file;
}

// NOLINTNEXTLINE(misc-no-recursion): as deep as the command table (two levels), not as any input
void walk(const CLI::App& app, const std::string& path, std::vector<Node>& nodes) {
    Node n;
    n.path = path;
    n.help = app.get_description();
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App* a) { return visible(a); })) {
        n.subcommands.push_back(sub->get_name());
    }
    for (const CLI::Option* o : app.get_options()) {
        if (o->get_group().empty()) {
            continue; // hidden (e.g. rollover's --now, for tests)
        }
        if (!o->nonpositional()) {
            const std::string pos = o->get_name();
            n.host_positional = n.host_positional || (path.rfind("rollover", 0) == 0 && pos.find("HOST") == 0);
            continue;
        }
        for (const auto& l : o->get_lnames()) {
            n.options.push_back({"--" + l, o->get_description(), value_of(*o, "--" + l)});
        }
        for (const auto& s : o->get_snames()) {
            n.options.push_back({"-" + s, o->get_description(), value_of(*o, "-" + s)});
        }
    }
    nodes.push_back(n);
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App* a) { return visible(a); })) {
        walk(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), nodes);
    }
}

std::string words_of(Value v) {
    if (v == Value::key_type) {
        std::string w;
        for (const auto t : x509::key_type_options()) {
            w += (w.empty() ? "" : " ") + std::string(t);
        }
        return w;
    }
    if (v == Value::mta) {
        return "postfix exim opensmtpd";
    }
    return "";
}

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) {
        out += (out.empty() ? "" : " ") + s;
    }
    return out;
}

/// bash's associative arrays take no empty key: "mxdane", "mxdane keygen".
std::string bash_key(const std::string& path) {
    return path.empty() ? "mxdane" : "mxdane " + path;
}

void bash(const std::vector<Node>& nodes, std::ostream& out) {
    out << R"SH(# bash completion for mxdane. Generated from mxdane's own command table
# ('mxdane __completion bash'); do not edit.
_mxdane() {
    local cur prev words cword
    _init_completion || return
    local -A subs=() opts=() valued=() hosts=() kind=()
)SH";
    for (const auto& n : nodes) {
        std::vector<std::string> all;
        std::vector<std::string> with_value;
        for (const auto& o : n.options) {
            all.push_back(o.name);
            if (o.value != Value::none) {
                with_value.push_back(o.name);
            }
        }
        const std::string key = bash_key(n.path);
        out << "    subs[\"" << key << "\"]=\"" << join(n.subcommands) << "\"\n";
        out << "    opts[\"" << key << "\"]=\"" << join(all) << "\"\n";
        out << "    valued[\"" << key << "\"]=\" " << join(with_value) << " \"\n";
        if (n.host_positional) {
            out << "    hosts[\"" << key << "\"]=1\n";
        }
    }
    for (const auto& n : nodes) {
        for (const auto& o : n.options) {
            static const std::map<Value, std::string> kinds{{Value::file, "file"},
                                                            {Value::dir, "dir"},
                                                            {Value::key_type, "keytype"},
                                                            {Value::mta, "mta"},
                                                            {Value::word, "word"}};
            if (o.value != Value::none) {
                out << "    kind[\"" << bash_key(n.path) << " " << o.name << "\"]=" << kinds.at(o.value) << "\n";
            }
        }
    }
    out << R"SH(    # The command path so far, skipping options and their values.
    local path=mxdane i w state_dir=/var/lib/mxdane
    for ((i = 1; i < cword; i++)); do
        w=${words[i]}
        if [[ $w == --state-dir ]]; then
            state_dir=${words[i + 1]}
        fi
        if [[ $w == -* ]]; then
            [[ ${valued[$path]} == *" $w "* ]] && ((i++))
            continue
        fi
        if [[ " ${subs[$path]} " == *" $w "* ]]; then
            path="$path $w"
        fi
    done
    case ${kind["$path $prev"]} in
    file)
        _filedir
        return
        ;;
    dir)
        _filedir -d
        return
        ;;
    keytype)
        COMPREPLY=($(compgen -W ")SH"
        << words_of(Value::key_type) << R"SH(" -- "$cur"))
        return
        ;;
    mta)
        COMPREPLY=($(compgen -W ")SH"
        << words_of(Value::mta) << R"SH(" -- "$cur"))
        return
        ;;
    word)
        return
        ;;
)SH";
    out << R"SH(    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "${opts[$path]}" -- "$cur"))
        return
    fi
    if [[ -n ${subs[$path]} ]]; then
        COMPREPLY=($(compgen -W "${subs[$path]}" -- "$cur"))
        return
    fi
    if [[ -n ${hosts[$path]} && -d $state_dir ]]; then
        local f names=()
        for f in "$state_dir"/*.json; do
            [[ -e $f ]] && names+=("$(basename "$f" .json)")
        done
        COMPREPLY=($(compgen -W "${names[*]}" -- "$cur"))
    fi
} &&
    complete -F _mxdane mxdane
)SH";
}

/// Quoted for zsh's _arguments: inside '...', with the characters _arguments
/// gives meaning to escaped.
std::string zsh_text(const std::string& s) {
    std::string out;
    for (const char c : s) {
        if (c == '\'') {
            out += "'\\''";
        } else if (c == '[' || c == ']' || c == ':' || c == '\\') {
            out += std::string("\\") + c;
        } else if (c != '\n') {
            out += c;
        }
    }
    return out;
}

std::string zsh_function(const std::string& path) {
    std::string f = "_mxdane";
    for (const char c : path) {
        f += (c == ' ' || c == '-') ? '_' : c;
    }
    return f;
}

void zsh(const std::vector<Node>& nodes, std::ostream& out) {
    out << R"SH(#compdef mxdane
# zsh completion for mxdane. Generated from mxdane's own command table
# ('mxdane __completion zsh'); do not edit.

_mxdane_hosts() {
    local dir=/var/lib/mxdane i
    for ((i = 1; i < $#words; i++)); do
        [[ $words[i] == --state-dir ]] && dir=$words[i+1]
    done
    local -a hosts
    hosts=(${dir}/*.json(N:t:r))
    _describe 'MX host (from the rollover state)' hosts
}
)SH";
    for (const auto& n : nodes) {
        out << "\n" << zsh_function(n.path) << "() {\n";
        std::vector<std::string> specs;
        for (const auto& o : n.options) {
            std::string spec = "'" + o.name + "[" + zsh_text(o.help) + "]";
            switch (o.value) {
            case Value::none:
                break;
            case Value::dir:
                spec += ":directory:_files -/";
                break;
            case Value::file:
                spec += ":file:_files";
                break;
            case Value::key_type:
            case Value::mta:
                spec += ":value:(" + words_of(o.value) + ")";
                break;
            case Value::word:
                spec += ":value: ";
                break;
            }
            spec += "'";
            specs.push_back(spec);
        }
        if (!n.subcommands.empty()) {
            out << "    local curcontext=$curcontext state line\n    local -a cmds\n    cmds=(\n";
            for (const auto& s : n.subcommands) {
                const Node* child = nullptr;
                for (const auto& c : nodes) {
                    if (c.path == (n.path.empty() ? s : n.path + " " + s)) {
                        child = &c;
                    }
                }
                out << "        '" << zsh_text(s) << ":" << zsh_text(child ? child->help : "") << "'\n";
            }
            out << "    )\n    _arguments -C \\\n";
            for (const auto& sp : specs) {
                out << "        " << sp << " \\\n";
            }
            out << "        '1:command:->cmd' '*::argument:->args'\n"
                << "    case $state in\n"
                << "    cmd) _describe 'command' cmds ;;\n"
                << "    args)\n        case $words[1] in\n";
            for (const auto& s : n.subcommands) {
                out << "        " << s << ") " << zsh_function(n.path.empty() ? s : n.path + " " + s) << " ;;\n";
            }
            out << "        esac ;;\n    esac\n}\n";
            continue;
        }
        out << "    _arguments \\\n";
        for (const auto& sp : specs) {
            out << "        " << sp << " \\\n";
        }
        out << (n.host_positional ? "        '*:host:_mxdane_hosts'\n" : "        '*:argument:_files'\n") << "}\n";
    }
    out << "\n_mxdane \"$@\"\n";
}

} // namespace

bool print_completion(const CLI::App& app, const std::string& shell, std::ostream& out) {
    std::vector<Node> nodes;
    walk(app, "", nodes);
    if (shell == "bash") {
        bash(nodes, out);
        return true;
    }
    if (shell == "zsh") {
        zsh(nodes, out);
        return true;
    }
    return false;
}

} // namespace mxdane::cli
