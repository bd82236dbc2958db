// Is any DNS server there at all? A validating resolver turns "nobody
// answers" into SERVFAIL, which a check would read as a verdict on the
// domain (RFC 7672 §2.1.1: defer). One query over UDP to each configured
// server tells a local failure (no network, a dead forwarder) from a
// domain's failure: any reply, even REFUSED, means the server is there.
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "mxdane/dns.h"
#include "mxdane/fd.h"

namespace mxdane::dns {
namespace {

using Clock = std::chrono::steady_clock;

/// ". IN NS" with RD set (RFC 1035 §4.1): every server answers it somehow.
constexpr std::array<std::uint8_t, 17> root_ns_query{0x4d, 0x58, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                                                     0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01};

/// A connected UDP socket to the server, or -1 (bad address, no route).
Fd connect_udp(const ServerAddr& s) {
    const auto address = sys::socket_address(s.host, s.port);
    if (!address) {
        return Fd(-1);
    }
    Fd fd(::socket(address->family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) {
        return Fd(-1);
    }
    if (::connect(fd.get(), address->get(), address->length) != 0) {
        return Fd(-1);
    }
    return fd;
}

} // namespace

bool any_server_answers(const std::vector<ServerAddr>& servers, std::chrono::milliseconds timeout) {
    std::vector<Fd> fds;
    std::vector<pollfd> polls;
    for (const auto& s : servers) {
        Fd fd = connect_udp(s);
        if (fd.get() >= 0 && ::send(fd.get(), root_ns_query.data(), root_ns_query.size(), 0) >= 0) {
            polls.push_back({fd.get(), POLLIN, 0});
            fds.push_back(std::move(fd));
        }
    }
    const auto start = Clock::now();
    const auto deadline = start + timeout;
    bool resent = false;
    while (!polls.empty()) {
        const auto now = Clock::now();
        if (now >= deadline) {
            return false;
        }
        // One resend halfway: a single lost datagram is no verdict.
        if (!resent && now >= start + timeout / 2) {
            resent = true;
            for (const auto& p : polls) {
                (void)::send(p.fd, root_ns_query.data(), root_ns_query.size(), 0);
            }
        }
        const auto until = resent ? deadline : start + timeout / 2;
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count();
        const int n =
            ::poll(polls.data(), static_cast<nfds_t>(polls.size()), static_cast<int>(std::max<long long>(ms, 1)));
        if (n < 0 && errno != EINTR) {
            return false;
        }
        for (std::size_t i = 0; i < polls.size();) {
            if (polls[i].revents == 0) {
                ++i;
                continue;
            }
            std::array<std::uint8_t, 512> buf{};
            const ssize_t got = ::recv(polls[i].fd, buf.data(), buf.size(), 0);
            if (got >= 12 && buf[0] == root_ns_query[0] && buf[1] == root_ns_query[1] && (buf[2] & 0x80U) != 0) {
                return true; // a DNS reply to our query
            }
            if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                polls.erase(polls.begin() + static_cast<std::ptrdiff_t>(i)); // refused: nobody listens
                continue;
            }
            polls[i].revents = 0;
            ++i;
        }
    }
    return false;
}

} // namespace mxdane::dns
