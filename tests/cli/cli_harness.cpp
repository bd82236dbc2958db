#include "cli_harness.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <grp.h>
#include <poll.h>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mxdane::test {
namespace fs = std::filesystem;

fs::path mxdane_binary() {
    if (const char* env = std::getenv("MXDANE_BINARY"); env != nullptr && *env != '\0') {
        return env;
    }
    return MXDANE_BINARY;
}

RunResult run_process(const std::vector<std::string>& argv, const RunOptions& opts) {
    std::array<int, 2> out_pipe{};
    std::array<int, 2> err_pipe{};
    std::array<int, 2> in_pipe{};
    if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0 || ::pipe2(err_pipe.data(), O_CLOEXEC) != 0 ||
        ::pipe2(in_pipe.data(), O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe failed");
    }
    std::vector<char*> cargv;
    cargv.reserve(argv.size() + 1);
    for (const auto& a : argv) {
        cargv.push_back(
            const_cast<char*>(a.c_str())); // NOLINT(cppcoreguidelines-pro-type-const-cast): execvp's signature
    }
    cargv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
        ::dup2(in_pipe[0], 0);
        ::dup2(out_pipe[1], 1);
        ::dup2(err_pipe[1], 2);
        if (opts.cwd && ::chdir(opts.cwd->c_str()) != 0) {
            ::_exit(127);
        }
        if (opts.umask) {
            ::umask(*opts.umask);
        }
        if (opts.gid && (::setgroups(0, nullptr) != 0 || ::setgid(*opts.gid) != 0)) {
            ::_exit(127);
        }
        if (opts.uid && ::setuid(*opts.uid) != 0) {
            ::_exit(127);
        }
        ::execvp(cargv[0], cargv.data());
        ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + opts.kill_after.value_or(std::chrono::microseconds(0));
    bool kill_pending = opts.kill_after.has_value();
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (!opts.stdin_data.empty()) {
        const char* p = opts.stdin_data.data();
        std::size_t left = opts.stdin_data.size();
        while (left > 0) {
            const ssize_t n = ::write(in_pipe[1], p, left);
            if (n <= 0) {
                break;
            }
            p += n;
            left -= static_cast<std::size_t>(n);
        }
    }
    ::close(in_pipe[1]);
    RunResult r;
    std::array<pollfd, 2> fds{{{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}}};
    int open_fds = 2;
    std::array<char, 4096> buf{};
    while (open_fds > 0) {
        timespec wait{};
        if (kill_pending) {
            const auto left =
                std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                ::kill(pid, SIGKILL);
                kill_pending = false;
            } else {
                wait.tv_sec = static_cast<time_t>(left.count() / 1000000000);
                wait.tv_nsec = static_cast<long>(left.count() % 1000000000);
            }
        }
        if (::ppoll(fds.data(), fds.size(), kill_pending ? &wait : nullptr, nullptr) < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) {
                continue;
            }
            const ssize_t n = ::read(fds[i].fd, buf.data(), buf.size());
            if (n <= 0) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
                continue;
            }
            (i == 0 ? r.out : r.err).append(buf.data(), static_cast<std::size_t>(n));
        }
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) {
        r.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        r.signal = WTERMSIG(status);
    }
    return r;
}

RunResult run_mxdane(const std::vector<std::string>& args, const RunOptions& opts) {
    // A run as another uid execs the copy every user can reach: the build
    // directory may sit under a 0700 directory (/root, a mktemp -d clone),
    // and exec would fail with 127 before mxdane says anything.
    std::vector<std::string> argv{(opts.uid ? mxdane_binary_for_all() : mxdane_binary()).string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, opts);
}

std::string shell(const std::string& script) {
    const RunResult r = run_process({"/bin/sh", "-c", script});
    if (r.exit_code != 0) {
        throw std::runtime_error("shell failed (" + std::to_string(r.exit_code) + "): " + script + "\n" + r.err);
    }
    return r.out;
}

TempDir::TempDir() {
    std::string templ = (fs::temp_directory_path() / "mxdane-test.XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    m_path = templ;
    fs::permissions(m_path, fs::perms(0755));
}

TempDir::~TempDir() {
    std::error_code ec;
    // Make read-only directories removable again before deleting.
    for (auto it = fs::recursive_directory_iterator(m_path, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        if (it->is_directory(ec) && !it->is_symlink(ec)) {
            fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
        }
    }
    fs::remove_all(m_path, ec);
}

std::vector<std::string> list_tree(const fs::path& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        // lexically: fs::relative would resolve a symlink to its target's name
        out.push_back(it->path().lexically_relative(dir).string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> snapshot_tree(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& rel : list_tree(dir)) {
        const fs::path p = dir / rel;
        struct stat st {};
        if (::lstat(p.c_str(), &st) != 0) {
            throw std::runtime_error("cannot lstat " + p.string());
        }
        std::ostringstream line;
        line << rel << " mode=" << std::oct << st.st_mode << std::dec << " uid=" << st.st_uid << " gid=" << st.st_gid
             << " mtime=" << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec;
        if (S_ISLNK(st.st_mode)) {
            line << " -> " << fs::read_symlink(p).string();
        } else if (S_ISREG(st.st_mode)) {
            line << " content=" << read_file(p);
        }
        out.push_back(line.str());
    }
    return out;
}

fs::path mxdane_binary_for_all() {
    static const TempDir dir;
    static const fs::path copy = [] {
        const fs::path to = dir.path() / "mxdane";
        fs::copy_file(mxdane_binary(), to);
        fs::permissions(to, fs::perms(0755));
        return to;
    }();
    return copy;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot read " + p.string());
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::map<std::string, std::vector<int>> syscall_calls_after_loading(const std::string& strace_log) {
    std::map<std::string, std::vector<int>> calls;
    std::map<std::string, int> n;
    const std::regex line(R"(^(\d+\s+)?([a-z0-9_]+)\()");
    const std::regex loader(R"re(^(\d+\s+)?openat\(AT_FDCWD, "(/etc/ld\.so\.cache|[^"]*\.so(\.[0-9.]+)?)")re");
    bool loading = true;
    std::istringstream in(strace_log);
    for (std::string l; std::getline(in, l);) {
        std::smatch m;
        if (!std::regex_search(l, m, line)) {
            continue;
        }
        const std::string sc = m[2].str();
        const int when = ++n[sc];
        loading = loading && std::regex_search(l, loader);
        if (!loading) {
            calls[sc].push_back(when);
        }
    }
    return calls;
}

unsigned test_seed() {
    static const unsigned seed = [] {
        const char* text = std::getenv("MXDANE_TEST_SEED");
        if (text == nullptr || *text == '\0') {
            return std::random_device{}();
        }
        std::size_t used = 0;
        const unsigned long value = std::stoul(text, &used, 10);
        if (used != std::strlen(text) || value > 0xffffffffUL) {
            throw std::invalid_argument(std::string("MXDANE_TEST_SEED is not a 32-bit decimal number: ") + text);
        }
        return static_cast<unsigned>(value);
    }();
    return seed;
}

std::string seed_trace() {
    return "MXDANE_TEST_SEED=" + std::to_string(test_seed());
}

} // namespace mxdane::test
