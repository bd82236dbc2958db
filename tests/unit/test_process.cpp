// The process runner's stdin option (mxdane/process.h): a command reads the
// text given; one that never reads it, or never ends, cannot block us or
// kill us with SIGPIPE.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "../cli/cli_harness.h"
#include "mxdane/process.h"

namespace {
using namespace mxdane;
using test::read_file;
using test::TempDir;

TEST(ProcessInput, ChildReadsTheText) {
    const TempDir dir;
    sys::Command c;
    c.shell = "cat > got; wc -c < got | tr -d ' ' > count";
    c.dir = dir.path();
    c.input = std::string("update add x\n\0binary\xff", 22);
    const auto f = sys::run(c);
    EXPECT_TRUE(f.ok()) << f.text(c.timeout);
    EXPECT_EQ(read_file(dir.path() / "got"), *c.input);
    EXPECT_EQ(read_file(dir.path() / "count"), "22\n");
}

TEST(ProcessInput, WithoutTextStdinIsEmpty) {
    const TempDir dir;
    sys::Command c;
    c.shell = "cat > got";
    c.dir = dir.path();
    EXPECT_TRUE(sys::run(c).ok());
    EXPECT_EQ(read_file(dir.path() / "got"), "");
}

TEST(ProcessInput, ChildThatDoesNotReadExits) {
    // 4 MiB: far more than a pipe buffer, so a pipe would block the writer
    // or (once the child is gone) raise SIGPIPE.
    sys::Command c;
    c.shell = "exit 5";
    c.input = std::string(4U << 20U, 'x');
    const auto f = sys::run(c);
    EXPECT_FALSE(f.ok());
    EXPECT_FALSE(f.timed_out);
    EXPECT_EQ(f.failure_text(c.timeout), "failed with exit status 5");
}

TEST(ProcessInput, ChildThatNeverEndsIsKilledAtTheTimeout) {
    sys::Command c;
    c.shell = "exec sleep 300";
    c.timeout = std::chrono::seconds(1);
    c.input = std::string(1U << 20U, 'x');
    const auto f = sys::run(c);
    EXPECT_TRUE(f.timed_out);
    EXPECT_EQ(f.failure_text(c.timeout), "did not finish within 1 s and was killed");
}

TEST(ProcessFailure, ShellStatusesInWords) {
    sys::Command c;
    c.shell = "exit 127";
    EXPECT_EQ(sys::run(c).failure_text(c.timeout), "failed with exit status 127 (command not found?)");
    c.shell = "exit 126";
    EXPECT_EQ(sys::run(c).failure_text(c.timeout), "failed with exit status 126 (not executable?)");
    c.shell = "kill -TERM $$";
    EXPECT_EQ(sys::run(c).failure_text(c.timeout), "was killed by signal 15 (SIGTERM)");
}

} // namespace
