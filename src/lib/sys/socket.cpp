// The deadline-bound stream socket (include/mxdane/socket.h).
#include "mxdane/socket.h"

#include <algorithm>
#include <cerrno>
#include <poll.h>
#include <sys/socket.h>

namespace mxdane::sys {

DeadlineSocket::DeadlineSocket(int family, int protocol)
    : m_fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol)) {
    m_open_error = valid() ? 0 : errno;
}

bool DeadlineSocket::wait(short events, SteadyClock::time_point until) const {
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - SteadyClock::now()).count();
        // A slice at most a minute long, so that a far deadline cannot
        // overflow poll()'s int; a passed one still looks once (0 ms).
        pollfd p{m_fd.get(), events, 0};
        const int rc = ::poll(&p, 1, static_cast<int>(std::clamp<long long>(left, 0, 60000)));
        if (rc > 0) {
            return true;
        }
        if (rc < 0 && errno != EINTR) {
            return true; // the next read or write reports the error
        }
        if (rc == 0 && left <= 0) {
            return false;
        }
    }
}

IoResult DeadlineSocket::connect(const sockaddr* address, socklen_t length, SteadyClock::time_point until) {
    if (::connect(m_fd.get(), address, length) == 0) {
        return {};
    }
    if (errno != EINPROGRESS) {
        return {IoResult::Status::failed, errno, 0};
    }
    if (!wait(POLLOUT, until)) {
        return {IoResult::Status::timeout, 0, 0};
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(m_fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
        err = errno;
    }
    return err == 0 ? IoResult{} : IoResult{IoResult::Status::failed, err, 0};
}

IoResult DeadlineSocket::send_all(std::span<const std::byte> data, SteadyClock::time_point until) {
    std::size_t sent = 0;
    while (sent < data.size()) {
        if (!wait(POLLOUT, until)) {
            return {IoResult::Status::timeout, 0, sent};
        }
        const ssize_t n = ::send(m_fd.get(), data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
            continue;
        }
        if (n < 0) {
            return {IoResult::Status::failed, errno, sent};
        }
        sent += static_cast<std::size_t>(n);
    }
    return {IoResult::Status::ok, 0, sent};
}

IoResult DeadlineSocket::recv_some(std::span<std::byte> buffer, SteadyClock::time_point until) {
    while (true) {
        if (!wait(POLLIN, until)) {
            return {IoResult::Status::timeout, 0, 0};
        }
        const ssize_t n = ::recv(m_fd.get(), buffer.data(), buffer.size(), 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
            continue;
        }
        if (n < 0) {
            return {IoResult::Status::failed, errno, 0};
        }
        if (n == 0) {
            return {IoResult::Status::closed, 0, 0};
        }
        return {IoResult::Status::ok, 0, static_cast<std::size_t>(n)};
    }
}

} // namespace mxdane::sys
