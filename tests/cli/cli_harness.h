// Runs the real mxdane binary (and independent tools) as a child process and
// captures what it printed. CLI tests use only this, never the library.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <sys/types.h>
#include <vector>

namespace mxdane::test {

struct RunResult {
    int exit_code = -1; ///< -1 when killed by a signal
    int signal = 0;
    std::string out;
    std::string err;
};

struct RunOptions {
    std::optional<std::filesystem::path> cwd;
    std::optional<mode_t> umask;
    std::optional<uid_t> uid; ///< drop to this uid (and its gid) before exec
    std::optional<gid_t> gid;
    std::string stdin_data;
    /// SIGKILL the child this long after it was started (kill tests).
    std::optional<std::chrono::microseconds> kill_after;
};

/// Runs argv[0] (looked up in PATH) with argv.
RunResult run_process(const std::vector<std::string>& argv, const RunOptions& opts = {});

/// Runs the mxdane binary under test.
RunResult run_mxdane(const std::vector<std::string>& args, const RunOptions& opts = {});

/// Runs `sh -c script` (for oracle pipelines); throws when it fails.
std::string shell(const std::string& script);

/// A fresh directory under /tmp (mode 0755 so that other users can reach
/// it), removed with everything in it when the object goes away.
class TempDir {
  public:
    TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }

  private:
    std::filesystem::path m_path;
};

/// Every entry below `dir` (relative paths, sorted), for "nothing appeared".
std::vector<std::string> list_tree(const std::filesystem::path& dir);

/// One line per entry below `dir` (recursively, sorted): path, type, mode,
/// owner, group, mtime in ns and the content (or link target), for "nothing
/// appeared or changed" assertions.
std::vector<std::string> snapshot_tree(const std::filesystem::path& dir);

/// A copy of the binary under test in a 0755 directory every user can reach
/// (for runs as another uid), made once per process.
std::filesystem::path mxdane_binary_for_all();

/// The whole file, or throws.
std::string read_file(const std::filesystem::path& p);

/// The mxdane binary under test.
std::filesystem::path mxdane_binary();

/// The seed of every random draw in a test process: MXDANE_TEST_SEED when
/// set (decimal, to replay a failure), else one drawn from std::random_device
/// at the first call; the same value for the whole process. A test that draws
/// random numbers seeds its generator with it and names it in a SCOPED_TRACE
/// (seed_trace), so that gtest prints it with every failure:
///   MXDANE_TEST_SEED=1234 ctest -R NAME
/// Throws std::invalid_argument when MXDANE_TEST_SEED is not a number.
unsigned test_seed();

/// "MXDANE_TEST_SEED=N": the text for SCOPED_TRACE, the replay command's
/// environment.
std::string seed_trace();

/// The calls of each syscall in an strace log (`strace -o LOG`, with or
/// without -f's pid column), numbered as strace's `inject=SC:when=N` counts
/// them (from 1, per syscall), leaving out the leading run of the dynamic
/// loader's openat calls (/etc/ld.so.cache and shared objects): a kill
/// there ends the process before main, so nothing of mxdane's has run and
/// nothing can be left behind. They are 15 of every step's kill points with
/// Debian 12's libraries, 17 under ASan.
std::map<std::string, std::vector<int>> syscall_calls_after_loading(const std::string& strace_log);

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool sanitized_build = true;
#else
inline constexpr bool sanitized_build = false;
#endif

/// The kill points a kill test tries. The normal build tries every one.
/// The ASan + UBSan build (MXDANE_SANITIZE), where each point costs about
/// three times as much and which runs after the normal build has tried every
/// point, tries the first, the last and a quarter of the others, drawn with
/// `seed` (the run's MXDANE_TEST_SEED, so that successive runs cover
/// different points): what ASan adds is a memory error on a path, and the
/// paths after a kill differ little from one point to the next. Keeps order.
template <class Point> std::vector<Point> kill_points_to_try(const std::vector<Point>& all, unsigned seed) {
    if (!sanitized_build || all.size() <= 8) {
        return all;
    }
    std::vector<Point> out;
    std::mt19937 rng(seed);
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (i == 0 || i + 1 == all.size() || rng() % 4 == 0) {
            out.push_back(all[i]);
        }
    }
    return out;
}

} // namespace mxdane::test
