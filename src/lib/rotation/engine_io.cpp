// The real collaborators of the rollover engine (mxdane/engine.h): the
// files of one host, and the MTA reached through its reload command and a
// STARTTLS probe.
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "mxdane/engine.h"
#include "mxdane/error.h"
#include "mxdane/smtp.h"

// POSIX declares environ in no header; the environment is global by definition.
// NOLINTNEXTLINE(readability-redundant-declaration,cppcoreguidelines-avoid-non-const-global-variables)
extern char** environ;

namespace mxdane::rollover {
namespace {

/// Runs `command` with /bin/sh -c, its stdout and stderr on `fd`: a reload
/// command's chatter is talk, never mxdane's data on stdout.
MtaControl::Reload run_command(const std::string& command, int fd) {
    MtaControl::Reload r;
    r.ran = true;
    posix_spawn_file_actions_t fa{};
    if (const int rc = posix_spawn_file_actions_init(&fa); rc != 0) {
        throw Error(Errc::io, std::string("cannot prepare the reload command: ") + std::strerror(rc));
    }
    (void)posix_spawn_file_actions_adddup2(&fa, fd, 1);
    if (fd != 2) {
        (void)posix_spawn_file_actions_adddup2(&fa, fd, 2);
    }
    std::string sh = "/bin/sh";
    std::string dash_c = "-c";
    std::string cmd = command;
    std::array<char*, 4> argv{sh.data(), dash_c.data(), cmd.data(), nullptr};
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, sh.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        throw Error(Errc::io, std::string("cannot run the reload command with /bin/sh: ") + std::strerror(rc));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            throw Error(Errc::io, std::string("lost the reload command: ") + std::strerror(errno));
        }
    }
    if (WIFEXITED(status)) {
        r.ok = WEXITSTATUS(status) == 0;
        r.message = "the reload command '" + command + "' exited with status " + std::to_string(WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        r.ok = false;
        r.message = "the reload command '" + command + "' was killed by signal " + std::to_string(WTERMSIG(status));
    } else {
        r.ok = false;
        r.message = "the reload command '" + command + "' ended abnormally";
    }
    return r;
}

class RealMta final : public MtaControl {
  public:
    explicit RealMta(MtaSettings s) : m_s(std::move(s)) {}

    Reload reload() override {
        if (m_s.reload.empty()) {
            return Reload{true, false, "no reload command was given"};
        }
        return run_command(m_s.reload, m_s.output_fd);
    }

    Proof prove(const tlsa::Record& expected) override {
        smtp::ProbeRequest req;
        req.address = m_s.address;
        req.port = m_s.port;
        req.base_name = m_s.host;
        req.records = {expected};
        req.step_timeout = std::chrono::seconds(10);
        req.total_timeout = std::chrono::seconds(30);
        Proof p;
        for (unsigned i = 0; i < std::max(1U, m_s.tries); ++i) {
            if (i > 0) {
                // A reload takes effect asynchronously.
                std::this_thread::sleep_for(std::chrono::seconds(1));
            }
            const smtp::ProbeResult res = smtp::probe(req);
            p.served = res.served;
            p.message = res.reason;
            if (res.outcome == smtp::Outcome::validated) {
                p.ok = true;
                return p;
            }
        }
        return p;
    }

    [[nodiscard]] std::string where() const override {
        const bool v6 = m_s.address.find(':') != std::string::npos;
        return (v6 ? "[" + m_s.address + "]" : m_s.address) + ":" + std::to_string(m_s.port);
    }

  private:
    MtaSettings m_s;
};

class FileStore final : public KeyStore {
  public:
    explicit FileStore(Layout l) : m_l(std::move(l)) {}

    // Checked: paths inside the host's directories, no symlinks, key files
    // that hash to their records (rollover.h).
    std::optional<rotation::State> load() override { return load_checked(m_l); }
    void save(const rotation::State& s) override { rotation::save(m_l.state_file(), s); }
    rotation::KeyTimeline stage(const StageRequest& request, rotation::State& s) override {
        return rollover::stage(request, s);
    }
    void switch_to(const rotation::KeyTimeline& key) override { rollover::switch_to(m_l, key); }
    RetireResult retire(rotation::KeyTimeline& old, bool delete_files, TimePoint now) override {
        return rollover::retire(m_l, old, delete_files, now);
    }
    std::optional<std::string> key_group_of(const rotation::KeyTimeline& key) override {
        return readable_group(key.key_file);
    }
    std::optional<std::string> stable_pair_problem(const rotation::State& s) override {
        return rollover::stable_pair_problem(m_l, s);
    }

  private:
    Layout m_l;
};

} // namespace

std::unique_ptr<MtaControl> make_mta_control(MtaSettings settings) {
    return std::make_unique<RealMta>(std::move(settings));
}

std::unique_ptr<KeyStore> make_file_store(const Layout& layout) {
    return std::make_unique<FileStore>(layout);
}

} // namespace mxdane::rollover
