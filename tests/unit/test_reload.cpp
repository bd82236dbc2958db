// The MTA's reload command runs through the library's one process runner
// (mxdane/process.h), as the issue command does: its exit status or signal
// in words, its output on the talk descriptor only, its process group
// killed at the timeout and when it ends.
#include <gtest/gtest.h>

#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <unistd.h>

#include "mxdane/engine.h"
#include "mxdane/process.h"

namespace {
using namespace mxdane;

/// A pipe whose read end collects what the command wrote.
struct Pipe {
    int fds[2] = {-1, -1};
    Pipe() { EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0); }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    ~Pipe() {
        for (const int fd : fds) {
            if (fd >= 0) {
                ::close(fd);
            }
        }
    }
    std::string drain() {
        ::close(fds[1]);
        fds[1] = -1;
        std::string out;
        char buf[256];
        ssize_t n = 0;
        while ((n = ::read(fds[0], buf, sizeof buf)) > 0) {
            out.append(buf, static_cast<std::size_t>(n));
        }
        return out;
    }
};

rollover::MtaControl::Reload reload(const std::string& cmd, int fd = 2,
                                    std::chrono::seconds timeout = std::chrono::seconds(60)) {
    rollover::MtaSettings s;
    s.reload = cmd;
    s.output_fd = fd;
    s.reload_timeout = timeout;
    return rollover::make_mta_control(s)->reload();
}

TEST(Reload, ExitStatusInWords) {
    auto r = reload("exit 0");
    EXPECT_TRUE(r.ok);
    EXPECT_TRUE(r.ran);
    r = reload("exit 3");
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.message, "the reload command 'exit 3' exited with status 3");
}

TEST(Reload, KilledBySignalInWords) {
    const auto r = reload("kill -TERM $$");
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.message, "the reload command 'kill -TERM $$' was killed by signal 15 (SIGTERM)");
}

TEST(Reload, NoCommandIsNotRun) {
    const auto r = reload("");
    EXPECT_TRUE(r.ok);
    EXPECT_FALSE(r.ran);
    EXPECT_EQ(r.message, "no reload command was given");
}

TEST(Reload, ItsOutputGoesToTheTalkDescriptorAndItsStdinIsEmpty) {
    Pipe p;
    const auto r = reload("echo out; echo err >&2; cat; echo done", p.fds[1]);
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_EQ(p.drain(), "out\nerr\ndone\n");
}

TEST(Reload, ItsProcessGroupDoesNotOutliveIt) {
    Pipe p;
    // The background child prints its pid and would live on; the runner
    // kills the command's whole group when the command ends.
    const auto r = reload("sleep 300 & echo $!", p.fds[1]);
    EXPECT_TRUE(r.ok) << r.message;
    const pid_t child = static_cast<pid_t>(std::stol(p.drain()));
    // Killed (SIGKILL): gone, or a zombie until whoever adopted it reaps it.
    const auto dead = [child] {
        std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
        std::string pid, comm, state;
        return !(stat >> pid >> comm >> state) || state == "Z";
    };
    bool gone = false;
    for (int i = 0; i < 500 && !gone; ++i) {
        gone = dead();
        if (!gone) {
            ::usleep(10000);
        }
    }
    EXPECT_TRUE(gone) << child;
}

TEST(Reload, AHangingReloadIsKilledAtItsTimeout) {
    const auto r = reload("sleep 300", 2, std::chrono::seconds(1));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.message, "the reload command 'sleep 300' did not finish within 1 s and was killed");
}

} // namespace
