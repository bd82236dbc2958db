// One DNS exchange over TCP with a deadline. Updates never go over UDP: a
// lost UDP reply would make a client resend the UPDATE, and TCP tells a
// refused connection ("nothing listens there") from silence.
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dnswire.h"

namespace mxdane::publish::wire {
namespace {

using Clock = std::chrono::steady_clock;

class Socket {
  public:
    explicit Socket(int fd) : m_fd(fd) {}
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    ~Socket() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    [[nodiscard]] int get() const noexcept { return m_fd; }

  private:
    int m_fd;
};

struct AddrInfoFree {
    void operator()(addrinfo* p) const noexcept { freeaddrinfo(p); }
};

int ms_left(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

/// Waits for `events` on fd; false on timeout.
bool wait_for(int fd, short events, Clock::time_point deadline) {
    while (true) {
        pollfd p{fd, events, 0};
        const int rc = ::poll(&p, 1, ms_left(deadline));
        if (rc > 0) {
            return true;
        }
        if (rc == 0) {
            return false;
        }
        if (errno != EINTR) {
            return true; // let the following read/write report the error
        }
    }
}

Exchange fail(Status s, std::string detail) {
    return {s, std::move(detail), {}};
}

} // namespace

Exchange tcp_exchange(const Server& server, const Bytes& query, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    const std::string where = server_text(server);
    if (query.size() > 65535) {
        return fail(Status::bad_reply, "the message is too large for DNS");
    }

    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* raw = nullptr;
    const std::string port = std::to_string(server.port);
    if (const int rc = getaddrinfo(server.host.c_str(), port.c_str(), &hints, &raw); rc != 0) {
        return fail(Status::unreachable, "cannot resolve server " + server.host + ": " + gai_strerror(rc));
    }
    const std::unique_ptr<addrinfo, AddrInfoFree> addrs(raw);

    std::string last_error = "no address";
    for (const addrinfo* ai = addrs.get(); ai != nullptr; ai = ai->ai_next) {
        const Socket s(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
        if (s.get() < 0) {
            last_error = std::strerror(errno);
            continue;
        }
        if (::connect(s.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
            if (errno != EINPROGRESS) {
                last_error = std::strerror(errno);
                continue;
            }
            if (!wait_for(s.get(), POLLOUT, deadline)) {
                return fail(Status::timeout,
                            "no TCP connection to " + where + " within " + std::to_string(timeout.count()) + " ms");
            }
            int err = 0;
            socklen_t len = sizeof err;
            if (::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
                last_error = std::strerror(err != 0 ? err : errno);
                continue;
            }
        }

        Bytes out;
        out.reserve(query.size() + 2);
        out.push_back(static_cast<std::uint8_t>(query.size() >> 8));
        out.push_back(static_cast<std::uint8_t>(query.size() & 0xff));
        out.insert(out.end(), query.begin(), query.end());
        std::size_t sent = 0;
        while (sent < out.size()) {
            if (!wait_for(s.get(), POLLOUT, deadline)) {
                return fail(Status::timeout,
                            "could not send to " + where + " within " + std::to_string(timeout.count()) + " ms");
            }
            const auto n = ::send(s.get(), out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
                continue;
            }
            if (n < 0) {
                return fail(Status::unreachable, "sending to " + where + " failed: " + std::strerror(errno));
            }
            sent += static_cast<std::size_t>(n);
        }

        Bytes in;
        std::size_t want = 2;
        bool have_length = false;
        std::uint8_t buf[4096];
        while (in.size() < want) {
            if (!wait_for(s.get(), POLLIN, deadline)) {
                return fail(Status::timeout, "no answer from " + where + " within " + std::to_string(timeout.count()) +
                                                 " ms (the update may or may not have been applied)");
            }
            const auto n = ::recv(s.get(), buf, std::min(sizeof buf, want - in.size()), 0);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
                continue;
            }
            if (n < 0) {
                return fail(Status::unreachable, "reading from " + where + " failed: " + std::strerror(errno));
            }
            if (n == 0) {
                return fail(Status::bad_reply, where + " closed the connection without a complete answer");
            }
            in.insert(in.end(), buf, buf + n);
            if (!have_length && in.size() == 2) {
                want = 2 + (static_cast<std::size_t>(in[0]) << 8 | in[1]);
                have_length = true;
                if (want == 2) {
                    return fail(Status::bad_reply, where + " sent an empty message");
                }
            }
        }
        return {Status::ok, "", Bytes(in.begin() + 2, in.end())};
    }
    return fail(Status::unreachable, "cannot connect to " + where + ": " + last_error);
}

} // namespace mxdane::publish::wire
