// A POSIX file descriptor that closes itself (sockets, files, memfds).
#pragma once

#include <unistd.h>
#include <utility>

namespace mxdane {

/// Owns one file descriptor; -1 means none.
class Fd {
  public:
    explicit Fd(int fd) noexcept : m_fd(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    Fd& operator=(Fd&&) = delete;
    ~Fd() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    [[nodiscard]] int get() const noexcept { return m_fd; }

  private:
    int m_fd;
};

} // namespace mxdane
