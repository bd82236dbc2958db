// A stream socket whose every operation ends by an absolute deadline: the
// one the SMTP probe and the RFC 2136 transport share.
#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <sys/socket.h>

#include "mxdane/fd.h"

namespace mxdane::sys {

using SteadyClock = std::chrono::steady_clock;

/// What one socket operation came to.
struct IoResult {
    enum class Status {
        ok,      ///< done (recv: `bytes` > 0 arrived)
        timeout, ///< the deadline passed first
        closed,  ///< recv: the peer closed the connection
        failed,  ///< the OS said no: `error` is the errno
    };
    Status status = Status::ok;
    int error = 0;
    std::size_t bytes = 0;
};

/// A non-blocking TCP socket (close-on-exec). Sends never raise SIGPIPE
/// (MSG_NOSIGNAL); OpenSSL runs over fd() through ossl::socket_bio_without_sigpipe.
class DeadlineSocket {
  public:
    /// socket(family, SOCK_STREAM); on failure valid() is false and
    /// open_error() holds the errno.
    explicit DeadlineSocket(int family, int protocol = 0);

    [[nodiscard]] bool valid() const noexcept { return m_fd.get() >= 0; }
    [[nodiscard]] int open_error() const noexcept { return m_open_error; }
    [[nodiscard]] int fd() const noexcept { return m_fd.get(); }

    /// Whether `events` (POLLIN, POLLOUT) came by `until`. A poll() error
    /// counts as ready: the following call reports it.
    [[nodiscard]] bool wait(short events, SteadyClock::time_point until) const;

    /// Connects by `until`: ok, timeout, or failed with the errno (refused,
    /// unreachable, ...).
    IoResult connect(const sockaddr* address, socklen_t length, SteadyClock::time_point until);

    /// Sends all of `data` by `until`: ok, timeout, or failed.
    IoResult send_all(std::span<const std::byte> data, SteadyClock::time_point until);

    /// Receives what has arrived, at most `buffer.size()` bytes, waiting
    /// until `until` for the first: ok (bytes > 0), closed, timeout, failed.
    IoResult recv_some(std::span<std::byte> buffer, SteadyClock::time_point until);

  private:
    Fd m_fd;
    int m_open_error = 0;
};

} // namespace mxdane::sys
