// The hook backend: for DNS providers that only have an API, a small script
// of the admin's does the publishing. One run per change, so a change of
// several records is one decision of the hook (all or nothing from mxdane's
// point of view).
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

#include "mxdane/error.h"
#include "mxdane/fd.h"
#include "mxdane/publish.h"

// POSIX declares environ in no header; the environment is global by definition.
// NOLINTNEXTLINE(readability-redundant-declaration,cppcoreguidelines-avoid-non-const-global-variables)
extern char** environ;

namespace mxdane::publish {
namespace {

class SpawnActions {
  public:
    SpawnActions() {
        if (const int rc = posix_spawn_file_actions_init(&m_fa); rc != 0) {
            throw Error(Errc::io, std::string("cannot prepare the publish hook: ") + std::strerror(rc));
        }
    }
    SpawnActions(const SpawnActions&) = delete;
    SpawnActions& operator=(const SpawnActions&) = delete;
    ~SpawnActions() { posix_spawn_file_actions_destroy(&m_fa); }
    void dup2(int from, int to) {
        if (const int rc = posix_spawn_file_actions_adddup2(&m_fa, from, to); rc != 0) {
            throw Error(Errc::io, std::string("cannot prepare the publish hook: ") + std::strerror(rc));
        }
    }
    [[nodiscard]] const posix_spawn_file_actions_t* get() const noexcept { return &m_fa; }

  private:
    posix_spawn_file_actions_t m_fa{};
};

/// The script goes to the hook's stdin from an anonymous file rather than a
/// pipe: a hook that ignores stdin cannot make us block or die of SIGPIPE.
Fd stdin_file(const std::string& text) {
    Fd fd(memfd_create("mxdane-hook-stdin", MFD_CLOEXEC));
    if (fd.get() < 0) {
        throw Error(Errc::io, std::string("cannot prepare the publish hook's input: ") + std::strerror(errno));
    }
    std::size_t done = 0;
    while (done < text.size()) {
        const auto n = ::write(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            throw Error(Errc::io, std::string("cannot prepare the publish hook's input: ") + std::strerror(errno));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::lseek(fd.get(), 0, SEEK_SET) != 0) {
        throw Error(Errc::io, std::string("cannot prepare the publish hook's input: ") + std::strerror(errno));
    }
    return fd;
}

class HookPublisher final : public Publisher {
  public:
    explicit HookPublisher(HookOptions options) : m_opts(std::move(options)) {
        if (m_opts.command.empty()) {
            throw SettingError(Errc::bad_input, Setting::publish_hook, "",
                               std::string(setting_words(Setting::publish_hook)) + ": the command is empty");
        }
    }

    Outcome apply(const Change& change) override {
        if (change.ops.empty()) {
            return {Status::unchanged, "nothing to publish", m_opts.zone.value_or(""), {}, {}};
        }
        const Fd in = stdin_file(nsupdate_script(change, m_opts.zone));

        // Our environment without stale MXDANE_* values, then the change.
        std::vector<std::string> env_strings;
        for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
            if (std::strncmp(*e, "MXDANE_", 7) != 0) {
                env_strings.emplace_back(*e);
            }
        }
        for (const auto& [k, v] : hook_environment(change, m_opts.zone)) {
            env_strings.push_back(k + "=" + v);
        }
        std::vector<char*> envp;
        for (auto& s : env_strings) {
            envp.push_back(s.data());
        }
        envp.push_back(nullptr);

        SpawnActions fa;
        fa.dup2(in.get(), 0);
        // The hook's stdout is talk too: our stdout carries only the change.
        fa.dup2(m_opts.stderr_fd, 1);
        if (m_opts.stderr_fd != 2) {
            fa.dup2(m_opts.stderr_fd, 2);
        }
        std::string sh = "/bin/sh";
        std::string dash_c = "-c";
        std::string command = m_opts.command;
        std::array<char*, 4> argv{sh.data(), dash_c.data(), command.data(), nullptr};
        pid_t pid = 0;
        if (const int rc = posix_spawn(&pid, sh.c_str(), fa.get(), nullptr, argv.data(), envp.data()); rc != 0) {
            throw Error(Errc::io, std::string("cannot run the publish hook with /bin/sh: ") + std::strerror(rc));
        }
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0) {
            if (errno != EINTR) {
                throw Error(Errc::io, std::string("lost the publish hook: ") + std::strerror(errno));
            }
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            return {Status::ok, "the publish hook accepted the change", m_opts.zone.value_or(""), change.ops, {}};
        }
        std::string why;
        if (WIFEXITED(status)) {
            why = "the publish hook failed with exit status " + std::to_string(WEXITSTATUS(status));
            if (WEXITSTATUS(status) == 127) {
                why += " (command not found?)";
            } else if (WEXITSTATUS(status) == 126) {
                why += " (not executable?)";
            }
        } else if (WIFSIGNALED(status)) {
            const char* name = sigabbrev_np(WTERMSIG(status));
            why = "the publish hook was killed by signal " + std::to_string(WTERMSIG(status)) +
                  (name != nullptr ? std::string(" (SIG") + name + ")" : std::string());
        } else {
            why = "the publish hook ended abnormally";
        }
        return {Status::hook_failed, why + "; nothing is known to be published", m_opts.zone.value_or(""), {}, {}};
    }

    [[nodiscard]] std::string describe() const override { return "publish hook: " + m_opts.command; }

  private:
    HookOptions m_opts;
};

} // namespace

std::unique_ptr<Publisher> make_hook_publisher(HookOptions options) {
    return std::make_unique<HookPublisher>(std::move(options));
}

} // namespace mxdane::publish
