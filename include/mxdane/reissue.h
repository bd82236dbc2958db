// A new certificate for a key mxdane already manages, with the same key: a
// 3 1 1 record pins the key (RFC 7671 §5.1), so no DNS change is needed.
// The certificate comes from keygen's self-signed profile or from an issue
// command (include/mxdane/issue.h).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "mxdane/expected.h"
#include "mxdane/rollover.h"
#include "mxdane/rotation.h"
#include "mxdane/tlsa.h"

namespace mxdane::reissue {

namespace fs = std::filesystem;
using rotation::TimePoint;

/// What makes the MTA take a new certificate and proves that it did. The
/// CLI's implementation runs the admin's reload command and probes the MTA
/// with STARTTLS, as `rollover activate` does.
class MtaControl {
  public:
    MtaControl() = default;
    MtaControl(const MtaControl&) = delete;
    MtaControl& operator=(const MtaControl&) = delete;
    MtaControl(MtaControl&&) = delete;
    MtaControl& operator=(MtaControl&&) = delete;
    virtual ~MtaControl() = default;
    /// Makes the MTA re-read its files; false (with the reason) when it failed.
    virtual bool reload(std::string& why) = 0;
    /// True when the MTA now serves a chain matching `record` (retrying as a
    /// reload takes effect asynchronously); the reason otherwise.
    virtual bool serves(const tlsa::Record& record, std::string& why) = 0;
};

/// Where the new certificate comes from (rotation::Issuer).
using Issuer = rotation::Issuer;

/// Which key of the rollover state gets a new certificate.
enum class Which {
    current, ///< the key in service: switch, reload, prove
    next,    ///< the staged key: not served yet, only its file changes
};

struct Request {
    rollover::Layout layout;
    Which which = Which::current;
    std::vector<std::string> names; ///< empty: the names of the certificate it replaces
    unsigned days = 1096;           ///< validity of a self-signed certificate
    Issuer issuer;
    std::chrono::seconds renew_before{std::chrono::hours(24 * 30)}; ///< an issued one must last longer
    TimePoint now;
    int talk_fd = 2; ///< the issue command's output
};

struct Result {
    std::uint32_t key_id = 0;
    std::vector<std::string> names;
    fs::path old_cert;
    fs::path new_cert;
    std::optional<fs::path> retired_cert; ///< where the old certificate went
    tlsa::Record record_311;              ///< unchanged
    tlsa::Record old_301;                 ///< 3 0 1 of the old certificate: it changes
    tlsa::Record new_301;
    TimePoint not_after;
    bool issued = false; ///< from the issue command
    std::size_t chain_length = 0;
    /// The new certificate is in service, but moving the old one to
    /// retired/ failed (why); the old file stays where it was.
    std::optional<std::string> cleanup_error;
};

/// Makes and installs a new certificate for the chosen key under a new dated
/// name (<host>-MX-SS-<stamp>.crt self-signed, <host>-MX-CA-<stamp>.crt
/// issued), then, for the current key, points the stable certificate name at
/// it, reloads the MTA and proves it serves the new certificate; when that
/// fails, switches back, reloads again, removes the new file and throws
/// Error(refused). On success records the new file and its issuer in the
/// state (saved) and moves the old certificate to retired/ (a failure of
/// that move alone is Result::cleanup_error, not a throw). `mta` is required for
/// Which::current and unused for Which::next. Refusals of the issuer throw
/// Error(refused) before anything is installed.
Result run(const Request& request, rotation::State& state, MtaControl* mta);

/// The issuer of a new certificate for the keys of a host whose key in
/// service is `in_service` (issue #23: renewal keeps the issuer):
/// `configured` when the admin configured one (an issue command, or the
/// self-signed issuer chosen explicitly); else the issuer recorded for
/// the certificate in service; else self-signed when that certificate
/// signed itself (`in_service_self_signed`). A certificate from a CA with
/// neither is refused: renewing it self-signed would silently change what
/// senders that check names (MTA-STS, RFC 8461 §4.2) accept. The error
/// names the certificate and the two settings that decide.
Expected<Issuer> choose_issuer(const std::optional<Issuer>& configured, const rotation::KeyTimeline& in_service,
                               bool in_service_self_signed);

/// "the issue command '/etc/mxdane/issue-certbot'" or "self-signed".
std::string issuer_text(const Issuer& issuer);

/// One line for people: "self-signed, valid until 2029-11-28T12:00:00Z;
/// names mx1.example.net" or "issued by the issue command, valid until ...,
/// chain of 1; names ...".
std::string summary(const Result& r);

/// When the certificate of `cert_file` stops being valid.
TimePoint not_after(const fs::path& cert_file);
/// When the certificate of `cert_file` starts being valid.
TimePoint not_before(const fs::path& cert_file);

/// True when the certificate of `cert_file` signed itself.
bool self_signed(const fs::path& cert_file);

/// True when the certificate has less than `renew_before` left at `now`.
bool due(const fs::path& cert_file, TimePoint now, std::chrono::seconds renew_before);

} // namespace mxdane::reissue
