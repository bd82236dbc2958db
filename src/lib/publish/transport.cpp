// One DNS exchange over TCP with a deadline. Updates never go over UDP: a
// lost UDP reply would make a client resend the UPDATE, and TCP tells a
// refused connection ("nothing listens there") from silence.
#include <algorithm>
#include <array>
#include <cstring>
#include <netdb.h>
#include <span>

#include "dnswire.h"
#include "mxdane/socket.h"
#include "mxdane/sys.h"

namespace mxdane::publish::wire {
namespace {

using Clock = std::chrono::steady_clock;
using IoStatus = sys::IoResult::Status;

struct AddrInfoFree {
    void operator()(addrinfo* p) const noexcept { freeaddrinfo(p); }
};

Exchange fail(Status s, std::string detail) {
    return {s, std::move(detail), {}};
}

} // namespace

Exchange tcp_exchange(const Server& server, const Bytes& query, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    const std::string where = sys::endpoint_text(server);
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
        sys::DeadlineSocket s(ai->ai_family, ai->ai_protocol);
        if (!s.valid()) {
            last_error = sys::error_text(s.open_error());
            continue;
        }
        const auto conn = s.connect(ai->ai_addr, ai->ai_addrlen, deadline);
        if (conn.status == IoStatus::timeout) {
            return fail(Status::timeout,
                        "no TCP connection to " + where + " within " + std::to_string(timeout.count()) + " ms");
        }
        if (conn.status != IoStatus::ok) {
            last_error = sys::error_text(conn.error);
            continue;
        }

        // RFC 1035 §4.2.2: a two-byte length before the message.
        Bytes out;
        out.reserve(query.size() + 2);
        out.push_back(static_cast<std::uint8_t>(query.size() >> 8));
        out.push_back(static_cast<std::uint8_t>(query.size() & 0xff));
        out.insert(out.end(), query.begin(), query.end());
        const auto sent = s.send_all(std::as_bytes(std::span(out)), deadline);
        if (sent.status == IoStatus::timeout) {
            return fail(Status::timeout,
                        "could not send to " + where + " within " + std::to_string(timeout.count()) + " ms");
        }
        if (sent.status != IoStatus::ok) {
            return fail(Status::unreachable, "sending to " + where + " failed: " + sys::error_text(sent.error));
        }

        Bytes in;
        std::size_t want = 2;
        bool have_length = false;
        std::array<std::uint8_t, 4096> buf{};
        while (in.size() < want) {
            const std::size_t room = std::min(buf.size(), want - in.size());
            const auto got = s.recv_some(std::as_writable_bytes(std::span(buf.data(), room)), deadline);
            if (got.status == IoStatus::timeout) {
                return fail(Status::timeout, "no answer from " + where + " within " + std::to_string(timeout.count()) +
                                                 " ms (the update may or may not have been applied)");
            }
            if (got.status == IoStatus::failed) {
                return fail(Status::unreachable, "reading from " + where + " failed: " + sys::error_text(got.error));
            }
            if (got.status == IoStatus::closed) {
                return fail(Status::bad_reply, where + " closed the connection without a complete answer");
            }
            in.insert(in.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(got.bytes));
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
