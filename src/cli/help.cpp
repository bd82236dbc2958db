#include "help.h"

#include <algorithm>

namespace mxdane::cli {

std::string examples_footer(const std::vector<Example>& examples) {
    std::string out = examples.size() == 1 ? "Example:\n" : "Examples:\n";
    for (const auto& e : examples) {
        out += "  " + e.command + "\n      " + e.what + "\n";
    }
    out.pop_back(); // CLI11 ends the footer with its own newline
    return out;
}

std::string HelpFormatter::make_option_opts(const CLI::Option* opt) const {
    if (opt->get_positional()) {
        return {};
    }
    return CLI::Formatter::make_option_opts(opt);
}

std::string command_path(const CLI::App& app) {
    std::string path = app.get_name();
    for (const CLI::App* p = app.get_parent(); p != nullptr; p = p->get_parent()) {
        path = p->get_name() + " " + path;
    }
    return path;
}

namespace {

/// Optimal string alignment distance: insertions, deletions, substitutions
/// and adjacent transpositions ("keygne") each cost one.
std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) {
        d[i][0] = i;
    }
    for (std::size_t j = 0; j <= b.size(); ++j) {
        d[0][j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[a.size()][b.size()];
}

} // namespace

std::optional<std::string> nearest_name(const std::string& typed, const std::vector<std::string>& known) {
    std::optional<std::string> best;
    std::size_t best_distance = 0;
    for (const auto& k : known) {
        // A prefix ("roll", "stat") is as good as a slip.
        const std::size_t d = k.rfind(typed, 0) == 0 && !typed.empty() ? 1 : edit_distance(typed, k);
        if (!best || d < best_distance) {
            best = k;
            best_distance = d;
        }
    }
    // A slip changes a few letters, not the word: at most 2, and less than
    // half of the word.
    if (best && best_distance <= 2 && best_distance * 2 < std::max<std::size_t>(best->size(), 2)) {
        return best;
    }
    return std::nullopt;
}

} // namespace mxdane::cli
