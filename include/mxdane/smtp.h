// A STARTTLS SMTP client that does what a DANE sender does (RFC 7672 §3),
// and stops after EHLO over TLS: it never sends mail.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mxdane/expected.h"
#include "mxdane/tlsa.h"
#include "mxdane/tlsa_match.h"

namespace mxdane::smtp {

/// One SMTP reply (RFC 5321 §4.2), possibly multi-line.
struct Reply {
    int code = 0;
    std::vector<std::string> lines; ///< the text after "250-" / "250 ", one per line

    /// "250 first line / second line".
    [[nodiscard]] std::string summary() const;
    /// Whether an EHLO reply lists this keyword (case-insensitive).
    [[nodiscard]] bool has_keyword(std::string_view keyword) const;
};

/// Splits bytes from the server into replies. Pure; the limits protect
/// against a server that never ends a line or a reply.
class ReplyParser {
  public:
    static constexpr std::size_t max_line = 4096; ///< octets per line, CRLF excluded
    static constexpr std::size_t max_lines = 100; ///< lines per reply

    void feed(std::string_view bytes) { m_buf.append(bytes); }
    /// The next complete reply, nullopt when more input is needed, or why
    /// the input is not SMTP.
    Expected<std::optional<Reply>> next();
    /// Octets received but not yet part of a returned reply.
    [[nodiscard]] std::size_t buffered() const noexcept { return m_buf.size(); }
    /// Drops them (see the STARTTLS injection note in the client).
    void discard() noexcept { m_buf.clear(); }

  private:
    std::string m_buf;
};

/// How a probe ended (one value, with a reason beside it).
enum class Outcome {
    validated,      ///< STARTTLS, handshake, and a usable TLSA record matched
    no_starttls,    ///< the server did not offer STARTTLS (or refused it)
    tls_failed,     ///< the TLS handshake failed
    no_match,       ///< TLS worked, but DANE authentication failed
    connect_failed, ///< TCP connect refused or unreachable
    smtp_error,     ///< 4xx/5xx, not SMTP, or the connection closed
    timeout,        ///< a step or the whole probe ran out of time
};

/// "dane-validated", "no-starttls", ...
std::string_view outcome_name(Outcome o);

/// One step of the dialogue, for --json and for diagnostics.
struct Step {
    std::string name; ///< connect, banner, ehlo, starttls, tls, dane, ehlo-tls, quit
    bool ok = false;
    std::string detail; ///< the reply summary or the failure
};

struct ProbeRequest {
    std::string address; ///< IPv4 or IPv6 literal
    std::uint16_t port = 25;
    std::string base_name; ///< TLSA base domain: SNI and first reference identifier
    /// Further names a DANE-TA certificate may carry (RFC 7672 §3.2.2).
    std::vector<std::string> extra_names;
    std::vector<tlsa::Record> records; ///< the TLSA RRset (unusable ones are skipped)
    std::string helo_name = "localhost";
    std::chrono::milliseconds step_timeout{30000};
    std::chrono::milliseconds total_timeout{120000};
};

struct ProbeResult {
    Outcome outcome = Outcome::connect_failed;
    std::string reason; ///< one line for humans
    std::vector<Step> steps;
    std::optional<tlsa::Record> matched; ///< the record that authenticated the server
    int match_depth = -1;                ///< 0 leaf, >0 a trust anchor up the chain
    /// The reference identifier the certificate matched under a DANE-TA(2)
    /// record (RFC 7672 §3.2.2); "" for DANE-EE(3), which checks no name.
    std::string matched_name;
    std::optional<tlsa::Record> served;     ///< "3 1 1" of the served leaf certificate
    std::optional<tlsa::Bytes> served_spki; ///< the served leaf's SubjectPublicKeyInfo (DER)
    /// When no record matched: what each record says about the served
    /// chain, as `mxdane verify` would (in the order of the request).
    std::vector<tlsa::RecordResult> explained;
    bool leaf_self_signed = false;
    std::string tls_version;
    std::string cipher;
    std::size_t discarded_plaintext = 0; ///< octets sent after "220" to STARTTLS, dropped
};

/// Connects, EHLO, STARTTLS, handshake with OpenSSL's DANE engine, EHLO,
/// QUIT. Never throws for anything the server does; throws Error(crypto)
/// only when OpenSSL cannot be set up locally.
ProbeResult probe(const ProbeRequest& req);

} // namespace mxdane::smtp
