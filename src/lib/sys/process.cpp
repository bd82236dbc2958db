// The library's one process runner (include/mxdane/process.h).
#include "mxdane/process.h"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "mxdane/error.h"
#include "mxdane/fd.h"
#include "mxdane/sys.h"

// POSIX declares environ in no header; the environment is global by definition.
// NOLINTNEXTLINE(readability-redundant-declaration,cppcoreguidelines-avoid-non-const-global-variables)
extern char** environ;

namespace mxdane::sys {
namespace {

class SpawnSetup {
  public:
    explicit SpawnSetup(const std::string& what) : m_what(what) {
        if (posix_spawn_file_actions_init(&m_fa) != 0 || posix_spawnattr_init(&m_attr) != 0) {
            throw Error(Errc::io, "cannot prepare " + m_what);
        }
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
    SpawnSetup(SpawnSetup&&) = delete;
    SpawnSetup& operator=(SpawnSetup&&) = delete;
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&m_fa);
        posix_spawnattr_destroy(&m_attr);
    }
    void check(int rc) const {
        if (rc != 0) {
            throw Error(Errc::io, "cannot prepare " + m_what + ": " + error_text(rc));
        }
    }
    posix_spawn_file_actions_t m_fa{};
    posix_spawnattr_t m_attr{};

  private:
    std::string m_what;
};

/// `text` in an anonymous file, read from its start (process.h: why not a pipe).
Fd input_file(const std::string& text, const std::string& what) {
    Fd fd(memfd_create("mxdane-stdin", MFD_CLOEXEC));
    if (fd.get() < 0) {
        throw os_error("cannot prepare the input of " + what, errno);
    }
    std::size_t done = 0;
    while (done < text.size()) {
        const auto n = ::write(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            throw os_error("cannot prepare the input of " + what, errno);
        }
        done += static_cast<std::size_t>(n);
    }
    if (::lseek(fd.get(), 0, SEEK_SET) != 0) {
        throw os_error("cannot prepare the input of " + what, errno);
    }
    return fd;
}

} // namespace

bool Finished::ok() const {
    return !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string Finished::text(std::chrono::seconds timeout) const {
    if (timed_out) {
        return "did not finish within " + std::to_string(timeout.count()) + " s and was killed";
    }
    if (WIFEXITED(status)) {
        return "exited with status " + std::to_string(WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        const char* name = sigabbrev_np(WTERMSIG(status));
        return "was killed by signal " + std::to_string(WTERMSIG(status)) +
               (name != nullptr ? std::string(" (SIG") + name + ")" : std::string());
    }
    return "ended abnormally";
}

std::string Finished::failure_text(std::chrono::seconds timeout) const {
    if (timed_out || !WIFEXITED(status)) {
        return text(timeout);
    }
    std::string why = "failed with exit status " + std::to_string(WEXITSTATUS(status));
    if (WEXITSTATUS(status) == 127) {
        why += " (command not found?)";
    } else if (WEXITSTATUS(status) == 126) {
        why += " (not executable?)";
    }
    return why;
}

Finished run(const Command& c) {
    std::vector<std::string> env_strings;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        if (std::strncmp(*e, "MXDANE_", 7) != 0) {
            env_strings.emplace_back(*e);
        }
    }
    env_strings.insert(env_strings.end(), c.env.begin(), c.env.end());
    std::vector<char*> envp;
    envp.reserve(env_strings.size() + 1);
    for (auto& s : env_strings) {
        envp.push_back(s.data());
    }
    envp.push_back(nullptr);

    SpawnSetup s(c.what);
    const Fd in = c.input ? input_file(*c.input, c.what) : Fd(-1);
    if (c.input) {
        s.check(posix_spawn_file_actions_adddup2(&s.m_fa, in.get(), 0));
    } else {
        s.check(posix_spawn_file_actions_addopen(&s.m_fa, 0, "/dev/null", O_RDONLY, 0));
    }
    s.check(posix_spawn_file_actions_adddup2(&s.m_fa, c.talk_fd, 1));
    if (c.talk_fd != 2) {
        s.check(posix_spawn_file_actions_adddup2(&s.m_fa, c.talk_fd, 2));
    }
    if (!c.dir.empty()) {
        s.check(posix_spawn_file_actions_addchdir_np(&s.m_fa, c.dir.c_str()));
    }
    // Its own process group: a timeout kills the command and its children.
    s.check(posix_spawnattr_setpgroup(&s.m_attr, 0));
    s.check(posix_spawnattr_setflags(&s.m_attr, POSIX_SPAWN_SETPGROUP));

    std::string sh = "/bin/sh";
    std::string dash_c = "-c";
    std::string cmd = c.shell;
    std::array<char*, 4> argv{sh.data(), dash_c.data(), cmd.data(), nullptr};
    pid_t pid = 0;
    if (const int rc = posix_spawn(&pid, sh.c_str(), &s.m_fa, &s.m_attr, argv.data(), envp.data()); rc != 0) {
        throw Error(Errc::io, "cannot run " + c.what + " with /bin/sh: " + error_text(rc));
    }
    const auto deadline = std::chrono::steady_clock::now() + c.timeout;
    Finished f;
    while (true) {
        const pid_t r = ::waitpid(pid, &f.status, WNOHANG);
        if (r == pid) {
            ::kill(-pid, SIGKILL); // whatever it left running in its group
            return f;
        }
        if (r < 0 && errno != EINTR) {
            throw Error(Errc::io, "lost " + c.what + ": " + error_text(errno));
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(-pid, SIGKILL);
            while (::waitpid(pid, &f.status, 0) < 0 && errno == EINTR) {
            }
            f.timed_out = true;
            return f;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

} // namespace mxdane::sys
