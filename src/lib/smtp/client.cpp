// The STARTTLS probe: TCP, banner, EHLO, STARTTLS, a TLS handshake checked by
// OpenSSL's DANE engine (RFC 7672 §3), EHLO over TLS, QUIT.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <span>

#include "mxdane/endpoint.h"
#include "mxdane/error.h"
#include "mxdane/names.h"
#include "mxdane/ossl.h"
#include "mxdane/smtp.h"
#include "mxdane/socket.h"
#include "mxdane/sys.h"
#include "mxdane/tlsa_match.h"

namespace mxdane::smtp {
namespace {

using Clock = std::chrono::steady_clock;
using IoStatus = sys::IoResult::Status;

/// Ends the probe from deep inside a step; caught in probe() and turned
/// into the result value (never leaves this file).
struct Stop {
    Outcome outcome;
    std::string reason;
};

std::string seconds_text(std::chrono::milliseconds ms) {
    const auto s = ms.count() / 1000;
    return s * 1000 == ms.count() ? std::to_string(s) + " s" : std::to_string(ms.count()) + " ms";
}

/// Continue the handshake whatever the chain looks like, so that a failed
/// match can still report the served key; the verdict is read afterwards
/// from SSL_get_verify_result, which keeps the error OpenSSL recorded.
int keep_going(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) {
    return 1;
}

class Session {
  public:
    Session(const ProbeRequest& req, ProbeResult& res)
        : m_req(req), m_res(res), m_end(Clock::now() + req.total_timeout) {}

    void run() {
        connect();
        const Reply banner = read_reply("banner");
        if (banner.code != 220) {
            fail("banner", Outcome::smtp_error, "the server greets with " + banner.summary());
        }
        const Reply ehlo = command("ehlo", "EHLO " + m_req.helo_name);
        if (ehlo.code != 250) {
            fail("ehlo", Outcome::smtp_error, "EHLO refused: " + ehlo.summary());
        }
        // RFC 7672 §2.2: with usable TLSA records, TLS is mandatory.
        if (!ehlo.has_keyword("STARTTLS")) {
            fail("starttls", Outcome::no_starttls, "the server does not offer STARTTLS, but TLSA records exist");
        }
        const Reply st = command("starttls", "STARTTLS");
        if (st.code != 220) {
            fail("starttls", Outcome::no_starttls, "STARTTLS refused: " + st.summary());
        }
        // STARTTLS injection (RFC 3207 §5, the server-side mirror of
        // CVE-2011-0411): whatever arrived after the 220 came in plaintext,
        // so it must not be read as if it came over TLS. We drop it and go
        // on (a sender that drops it is safe; refusing would be too), and
        // report how much was dropped. Bytes still in flight reach OpenSSL
        // as garbage and fail the handshake, which is also safe.
        m_res.discarded_plaintext = m_parser.buffered();
        m_parser.discard();
        handshake();
        const Reply ehlo2 = command("ehlo-tls", "EHLO " + m_req.helo_name);
        if (ehlo2.code != 250) {
            fail("ehlo-tls", Outcome::smtp_error, "EHLO over TLS refused: " + ehlo2.summary());
        }
        quit();
    }

  private:
    [[noreturn]] void fail(const std::string& step, Outcome o, const std::string& reason) {
        m_res.steps.push_back({step, false, reason});
        throw Stop{o, reason};
    }

    void ok(const std::string& step, const std::string& detail) { m_res.steps.push_back({step, true, detail}); }

    Clock::time_point step_end() const { return std::min(Clock::now() + m_req.step_timeout, m_end); }

    /// Waits for `events` on the socket (TLS wants); false when the deadline passed.
    bool wait(short events, Clock::time_point until) const { return m_sock->wait(events, until); }

    [[noreturn]] void timed_out(const std::string& step) {
        const bool overall = Clock::now() >= m_end;
        fail(step, Outcome::timeout,
             overall ? "the whole check took longer than " + seconds_text(m_req.total_timeout) + " (at " + step + ")"
                     : "no answer within " + seconds_text(m_req.step_timeout) + " at " + step);
    }

    void connect() {
        const auto address = sys::socket_address(m_req.address, m_req.port);
        if (!address) {
            fail("connect", Outcome::connect_failed, "'" + names::printable(m_req.address) + "' is not an IP address");
        }
        m_sock = std::make_unique<sys::DeadlineSocket>(address->family());
        if (!m_sock->valid()) {
            fail("connect", Outcome::connect_failed, std::string("socket: ") + sys::error_text(m_sock->open_error()));
        }
        const auto conn = m_sock->connect(address->get(), address->length, step_end());
        if (conn.status == IoStatus::timeout) {
            timed_out("connect");
        }
        if (conn.status != IoStatus::ok) {
            fail("connect", Outcome::connect_failed, std::string("connect: ") + sys::error_text(conn.error));
        }
        ok("connect", m_req.address + " port " + std::to_string(m_req.port));
    }

    /// Reads more octets into the parser; throws Stop on close/timeout.
    void read_more(const std::string& step, Clock::time_point until) {
        std::array<char, 4096> buf{};
        if (!m_ssl) {
            const auto got = m_sock->recv_some(std::as_writable_bytes(std::span(buf)), until);
            if (got.status == IoStatus::timeout) {
                timed_out(step);
            }
            if (got.status == IoStatus::closed) {
                fail(step, Outcome::smtp_error, "the server closed the connection (at " + step + ")");
            }
            if (got.status == IoStatus::failed) {
                fail(step, Outcome::smtp_error, "reading: " + std::string(sys::error_text(got.error)));
            }
            m_parser.feed(std::string_view(buf.data(), got.bytes));
            return;
        }
        while (true) {
            std::size_t n = 0;
            if (SSL_read_ex(m_ssl.get(), buf.data(), buf.size(), &n) == 1) {
                m_parser.feed(std::string_view(buf.data(), n));
                return;
            }
            const int e = SSL_get_error(m_ssl.get(), 0);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                if (!wait(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, until)) {
                    timed_out(step);
                }
                continue;
            }
            const std::string why = ossl::drain_errors();
            fail(step, Outcome::smtp_error,
                 "the TLS connection ended (at " + step + ")" + (why.empty() ? "" : ": " + why));
        }
    }

    Reply read_reply(const std::string& step) {
        const auto until = step_end();
        while (true) {
            auto r = m_parser.next();
            if (!r) {
                fail(step, Outcome::smtp_error, "the server does not speak SMTP (" + r.error() + ")");
            }
            if (r->has_value()) {
                Reply reply = **r;
                ok(step, reply.summary());
                return reply;
            }
            read_more(step, until);
        }
    }

    void send(const std::string& step, const std::string& line) {
        const std::string data = line + "\r\n";
        const auto until = step_end();
        std::size_t done = 0;
        while (done < data.size()) {
            if (!m_ssl) {
                const auto sent = m_sock->send_all(std::as_bytes(std::span(data).subspan(done)), until);
                if (sent.status == IoStatus::timeout) {
                    timed_out(step);
                }
                if (sent.status != IoStatus::ok) {
                    fail(step, Outcome::smtp_error, "sending " + line + ": " + sys::error_text(sent.error));
                }
                done = data.size();
                continue;
            }
            std::size_t n = 0;
            if (SSL_write_ex(m_ssl.get(), data.data() + done, data.size() - done, &n) == 1) {
                done += n;
                continue;
            }
            const int e = SSL_get_error(m_ssl.get(), 0);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                if (!wait(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, until)) {
                    timed_out(step);
                }
                continue;
            }
            fail(step, Outcome::smtp_error, "sending " + line + " over TLS: " + ossl::drain_errors());
        }
    }

    Reply command(const std::string& step, const std::string& line) {
        send(step, line);
        return read_reply(step);
    }

    void setup_tls() {
        m_ctx.reset(ossl::check(SSL_CTX_new(TLS_client_method()), "SSL_CTX_new"));
        ossl::check(SSL_CTX_dane_enable(m_ctx.get()), "SSL_CTX_dane_enable");
        SSL_CTX_set_verify(m_ctx.get(), SSL_VERIFY_PEER, keep_going);
        m_ssl.reset(ossl::check(SSL_new(m_ctx.get()), "SSL_new"));
        SSL* ssl = m_ssl.get();
        // Also sets SNI to the base domain (RFC 7672 §8.1) and makes it the
        // first reference identifier for usage 2 (§3.2.2).
        ossl::check(SSL_dane_enable(ssl, m_req.base_name.c_str()), "SSL_dane_enable");
        // DANE-EE(3): no name or date checks at all (RFC 7672 §3.1.1).
        SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
        SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        for (const auto& n : m_req.extra_names) {
            ossl::check(SSL_add1_host(ssl, n.c_str()), "SSL_add1_host");
        }
        for (const auto& rec : m_req.records) {
            if (!tlsa::unusable_reason(rec).empty()) {
                continue;
            }
            const int rc = SSL_dane_tlsa_add(ssl, rec.usage, rec.selector, rec.mtype, rec.data.data(), rec.data.size());
            if (rc < 0) {
                throw ossl::failure("SSL_dane_tlsa_add");
            }
            // rc == 0: OpenSSL found it unusable (e.g. a "x 0 0" record
            // holding no parseable certificate); RFC 7671 §4 says ignore it.
            m_usable += rc > 0 ? 1 : 0;
        }
        // Not SSL_set_fd: its socket BIO writes with write(2), and a server
        // that has closed the connection would raise SIGPIPE in whatever
        // process uses the library.
        ossl::BioPtr bio = ossl::socket_bio_without_sigpipe(m_sock->fd());
        BIO* b = bio.release();
        SSL_set_bio(ssl, b, b); // one BIO for both directions, owned by ssl
    }

    void handshake() {
        setup_tls();
        const auto until = step_end();
        while (true) {
            const int rc = SSL_connect(m_ssl.get());
            if (rc == 1) {
                break;
            }
            const int e = SSL_get_error(m_ssl.get(), rc);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                if (!wait(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, until)) {
                    m_ssl.reset();
                    timed_out("tls");
                }
                continue;
            }
            std::string why = ossl::drain_errors();
            if (why.empty()) {
                why = e == SSL_ERROR_SYSCALL ? "the server closed the connection" : "SSL_connect failed";
            }
            m_ssl.reset();
            fail("tls", Outcome::tls_failed, "TLS handshake failed: " + why);
        }
        m_res.tls_version = SSL_get_version(m_ssl.get());
        m_res.cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(m_ssl.get()));
        ok("tls", m_res.tls_version + " " + m_res.cipher + " SNI " + m_req.base_name);
        if (X509* leaf = SSL_get0_peer_certificate(m_ssl.get())) {
            m_res.served_spki =
                tlsa::for_certificate(tlsa::Usage::dane_ee, tlsa::Selector::spki, tlsa::MatchingType::full, *leaf).data;
            m_res.served = tlsa::Record{3, 1, 1, tlsa::digest(tlsa::MatchingType::sha256, *m_res.served_spki)};
            m_res.leaf_self_signed = X509_self_signed(leaf, 1) == 1;
            ossl::drain_errors();
        }
        authenticate();
    }

    void authenticate() {
        if (m_usable == 0) {
            quit();
            fail("dane", Outcome::no_match, "no TLSA record is usable, so nothing can authenticate the server");
        }
        const long v = SSL_get_verify_result(m_ssl.get());
        if (v == X509_V_OK && SSL_get0_dane_authority(m_ssl.get(), nullptr, nullptr) >= 0) {
            std::uint8_t u = 0;
            std::uint8_t s = 0;
            std::uint8_t m = 0;
            const unsigned char* data = nullptr;
            std::size_t dlen = 0;
            m_res.match_depth = SSL_get0_dane_tlsa(m_ssl.get(), &u, &s, &m, &data, &dlen);
            if (m_res.match_depth >= 0 && data != nullptr) {
                m_res.matched = tlsa::Record{u, s, m, tlsa::Bytes(data, data + dlen)};
            }
            if (const char* name = SSL_get0_peername(m_ssl.get()); name != nullptr && u == 2) {
                m_res.matched_name = name;
            }
            ok("dane", m_res.matched ? "matched " + tlsa::rdata_text(*m_res.matched) + " at depth " +
                                           std::to_string(m_res.match_depth)
                                     : "matched");
            return;
        }
        std::string reason;
        switch (v) {
        case X509_V_ERR_DANE_NO_MATCH:
            reason = explain_no_match();
            break;
        case X509_V_ERR_HOSTNAME_MISMATCH:
            reason = "the certificate does not name " + m_req.base_name +
                     " (a DANE-TA(2) match requires the name, RFC 7672 §3.2.2)";
            break;
        default:
            reason = std::string("certificate verification failed: ") +
                     X509_verify_cert_error_string(v == X509_V_OK ? X509_V_ERR_UNSPECIFIED : v);
            break;
        }
        quit();
        fail("dane", Outcome::no_match, reason);
    }

    /// The same explanation `mxdane verify` gives for the served chain
    /// (digest agility, wrong selector, DANE-TA name or date), per record.
    std::string explain_no_match() {
        std::string reason = "no TLSA record matches the server key";
        STACK_OF(X509)* sk = SSL_get_peer_cert_chain(m_ssl.get());
        if (sk == nullptr || sk_X509_num(sk) == 0) {
            return reason;
        }
        tlsa::CertCheck check;
        for (int i = 0; i < sk_X509_num(sk); ++i) {
            check.chain.push_back(sk_X509_value(sk, i));
        }
        check.host = m_req.base_name;
        check.now = x509::Clock::now();
        try {
            const tlsa::Verification v = tlsa::verify_certificate(m_req.records, check);
            m_res.explained = v.records;
            // Only a named cause (digest agility, DANE-TA name or date)
            // says more than the plain answer.
            if (v.verdict == tlsa::Verdict::not_authenticated) {
                if (auto why = tlsa::judge(v.records, "server key").second;
                    why != "no usable TLSA record matches the server key") {
                    reason = std::move(why);
                }
            }
        } catch (const Error&) {
            // The handshake's own verdict stands; the explanation is extra.
        }
        ossl::drain_errors();
        return reason;
    }

    void quit() {
        // A failed QUIT changes no verdict: the interesting part is over.
        try {
            command("quit", "QUIT");
        } catch (const Stop&) {
            // recorded as a failed step already; nothing else to do
        }
    }

    const ProbeRequest& m_req;
    ProbeResult& m_res;
    Clock::time_point m_end;
    std::unique_ptr<sys::DeadlineSocket> m_sock;
    ReplyParser m_parser;
    ossl::SslCtxPtr m_ctx;
    ossl::SslPtr m_ssl;
    int m_usable = 0;
};

} // namespace

ProbeResult probe(const ProbeRequest& req) {
    ProbeResult res;
    Session s(req, res);
    try {
        s.run();
        res.outcome = Outcome::validated;
        res.reason = "validated";
    } catch (const Stop& stop) {
        res.outcome = stop.outcome;
        res.reason = stop.reason;
    }
    return res;
}

} // namespace mxdane::smtp
