// The one way the library runs an admin's shell command (the issue command,
// the MTA's reload command, the publish hook): /bin/sh -c in its own process
// group, stdin from /dev/null or a given text, stdout and stderr on a talk
// descriptor (never mxdane's stdout, which is data), killed with its whole
// group at a timeout.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mxdane::sys {

struct Command {
    std::string shell;            ///< run with /bin/sh -c
    std::vector<std::string> env; ///< "NAME=value" added to the environment (inherited MXDANE_* are dropped)
    std::filesystem::path dir;    ///< working directory; empty: the current one
    int talk_fd = 2;              ///< its stdout and stderr
    std::chrono::seconds timeout{300};
    std::string what = "the command"; ///< "the reload command 'postfix reload'", for errors
    /// Its stdin: /dev/null when absent, else this text from an anonymous
    /// file (memfd) rather than a pipe, so a command that never reads it
    /// cannot block us or kill us with SIGPIPE, and the timeout still holds.
    std::optional<std::string> input;
};

struct Finished {
    bool timed_out = false; ///< it and its process group were killed at the timeout
    int status = 0;         ///< the wait status, when it finished
    [[nodiscard]] bool ok() const;
    /// "exited with status 1", "was killed by signal 9 (SIGKILL)", "did not
    /// finish within 30 s and was killed".
    [[nodiscard]] std::string text(std::chrono::seconds timeout) const;
    /// text(), but an exit reads "failed with exit status 127 (command not
    /// found?)": the shell's 126 and 127 get their usual meaning.
    [[nodiscard]] std::string failure_text(std::chrono::seconds timeout) const;
};

/// Runs `c` and waits for it (or its timeout). Throws Error(io) only when
/// it cannot be started at all (its input included).
Finished run(const Command& c);

} // namespace mxdane::sys
