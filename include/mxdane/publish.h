// Publishing TLSA records (issue #6): an RFC 2136 dynamic update signed with
// TSIG (RFC 8945), or a hook command for DNS providers with an API. Used by
// `mxdane publish`/`unpublish` and by `rollover auto`.
//
// A server's "yes" is not the end of a publication: the record only counts
// once a validating resolver sees it secure (issue #5's "first seen
// published"). Publishers report what the server or hook said, nothing more.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mxdane/endpoint.h"
#include "mxdane/expected.h"
#include "mxdane/tlsa.h"

namespace mxdane::publish {

/// What to do with one record.
enum class Action { add, remove };
/// "add" or "delete" (the nsupdate and hook spelling).
std::string_view action_name(Action action);

/// One record added to or deleted from the RRset.
struct Op {
    Action action = Action::add;
    std::uint32_t ttl = 3600; ///< used for adds; deletes name the record only
    tlsa::Record record;

    friend bool operator==(const Op&, const Op&) = default;
};

/// A change to one TLSA RRset: every op has this owner.
struct Change {
    std::string host;  ///< "mx1.example.net" (for hooks and messages)
    std::string owner; ///< "_25._tcp.mx1.example.net."
    std::vector<Op> ops;
};

/// What the server (or hook) said. Never a bool: each way of saying no has
/// its own value, so callers can tell "try again later" from "fix your key".
enum class Status {
    ok,            ///< the server applied the change (NOERROR, reply TSIG verified)
    unchanged,     ///< nothing to do: the server already holds exactly this
    refused,       ///< REFUSED: policy forbids this update
    notauth,       ///< NOTAUTH without a TSIG error: not authoritative for the zone
    badsig,        ///< TSIG error BADSIG: the secret is wrong
    badkey,        ///< TSIG error BADKEY: key name unknown or not allowed for the zone
    badtime,       ///< TSIG error BADTIME: clocks differ by more than the fudge
    prereq_failed, ///< NXRRSET/YXRRSET/...: the RRset changed since it was read
    notzone,       ///< NOTZONE: the owner is not inside the zone
    formerr,       ///< FORMERR / NOTIMP: the server did not understand the update
    server_failed, ///< SERVFAIL or another RCODE: the server could not do it
    bad_reply,     ///< a reply that cannot be trusted (unsigned NOERROR, bad MAC, garbage)
    unreachable,   ///< no connection to the server
    timeout,       ///< no answer in time
    hook_failed,   ///< the hook exited non-zero or died
};
/// "ok", "refused", "badsig", ... (for logs and JSON).
std::string_view status_name(Status status);

/// The result of Publisher::apply.
struct Outcome {
    Status status = Status::ok;
    std::string message;     ///< one line for people
    std::string zone;        ///< the zone updated, when known ("example.net.")
    std::vector<Op> applied; ///< what was changed (empty unless status is ok)
    std::vector<Op> skipped; ///< adds already present / deletes already absent

    /// ok or unchanged: the change is (now) in the server's zone.
    [[nodiscard]] bool done() const noexcept { return status == Status::ok || status == Status::unchanged; }
};

/// A way to change DNS. apply() reports every answer as an Outcome and
/// throws mxdane::Error only for local failures (a hook that cannot be
/// started, a change that contradicts itself).
class Publisher {
  public:
    Publisher() = default;
    Publisher(const Publisher&) = delete;
    Publisher& operator=(const Publisher&) = delete;
    Publisher(Publisher&&) = delete;
    Publisher& operator=(Publisher&&) = delete;
    virtual ~Publisher() = default;

    virtual Outcome apply(const Change& change) = 0;
    /// Proves the credentials without changing the zone (for RFC 2136: a
    /// TSIG-signed query whose reply signature is verified). `owner` names
    /// the RRset whose zone is meant. The default has nothing to prove and
    /// says `unchanged`.
    virtual Outcome check_credentials(const std::string& owner) {
        (void)owner;
        return Outcome{Status::unchanged, "no credentials to check", {}, {}, {}};
    }
    /// "RFC 2136 update to 127.0.0.1@53 with TSIG key upd-key. (hmac-sha256)".
    [[nodiscard]] virtual std::string describe() const = 0;
};

// ------------------------------------------------------------------ TSIG ---

/// TSIG algorithms (RFC 8945 §6).
enum class TsigAlgorithm { hmac_md5, hmac_sha1, hmac_sha224, hmac_sha256, hmac_sha384, hmac_sha512 };
/// "hmac-sha256" (also accepts "hmac-md5.sig-alg.reg.int", any case, a final
/// dot); nullopt for anything else.
std::optional<TsigAlgorithm> parse_tsig_algorithm(std::string_view name);
/// "hmac-sha256", "hmac-md5", ...
std::string_view tsig_algorithm_name(TsigAlgorithm algorithm);
/// The algorithm's domain name on the wire: "hmac-sha256.",
/// "hmac-md5.sig-alg.reg.int.".
std::string_view tsig_algorithm_dname(TsigAlgorithm algorithm);

/// A shared TSIG secret.
struct TsigKey {
    std::string name; ///< absolute, lowercase: "upd-key.example.net."
    TsigAlgorithm algorithm = TsigAlgorithm::hmac_sha256;
    std::string secret; ///< base64, as in the key file (validated)
};

/// Parses a key file: BIND's `tsig-keygen` format
///   key "name" { algorithm hmac-sha256; secret "base64"; };
/// (comments #, //, /* */; any layout; quotes optional), or the one-line
/// `[algorithm:]name:secret` of `nsupdate -y`/Knot. Exactly one key.
Expected<TsigKey> parse_tsig_key(std::string_view text);
/// Reads and parses a key file; throws Error(refused) when another user
/// could have written it (store::untrusted_input), Error(io) when it cannot
/// be read, Error(bad_input) naming the file when it is malformed.
TsigKey load_tsig_key(const std::filesystem::path& path);

// --------------------------------------------------------------- nsupdate ---

/// Where to send updates: an address or host name and a port
/// (sys::parse_endpoint with HostNames::allowed reads it).
using Server = sys::Endpoint;

struct NsupdateOptions {
    Server server;
    TsigKey key;
    std::optional<std::string> zone; ///< absolute; found by an SOA query when empty
    std::chrono::milliseconds timeout{10000};
};

/// RFC 2136 updates over TCP, built and TSIG-signed with libldns.
///
/// apply() reads the current RRset from the server, sends only the adds that
/// are missing and the deletes that are present (each delete removes one RR,
/// RFC 2136 §2.5.4, never the RRset), with the RRset as read as the
/// prerequisite, so that two runs cannot interleave (see nsupdate.cpp).
/// Throws Error(bad_input) when libldns cannot sign with the key's algorithm.
std::unique_ptr<Publisher> make_nsupdate_publisher(NsupdateOptions options);

/// The change as an nsupdate script: a "zone" line when the zone is known,
/// one "update add OWNER TTL IN TLSA 3 1 1 HEX" or "update delete OWNER IN
/// TLSA 3 1 1 HEX" (one record, no TTL: it plays no part) per op, then "send".
std::string nsupdate_script(const Change& change, const std::optional<std::string>& zone = std::nullopt);

// ------------------------------------------------------------------- hook ---

struct HookOptions {
    std::string command;             ///< run as /bin/sh -c COMMAND
    std::optional<std::string> zone; ///< passed as MXDANE_ZONE when known
    int stderr_fd = 2;               ///< the hook's stderr (and stdout)
    /// Then the hook and its process group are killed and the change counts
    /// as not published.
    std::chrono::seconds timeout{300};
};

/// Runs a command once per Change: the environment holds the change (see
/// hook_environment), stdin the nsupdate_script; exit status 0 means done.
std::unique_ptr<Publisher> make_hook_publisher(HookOptions options);

/// The variables a hook sees, in order: MXDANE_HOST, MXDANE_OWNER,
/// MXDANE_ZONE (when known), MXDANE_COUNT=N and MXDANE_ACTION_i,
/// MXDANE_TTL_i, MXDANE_RDATA_i ("3 1 1 <hex>") for i = 1..N; when N is 1
/// also MXDANE_ACTION, MXDANE_TTL, MXDANE_RDATA.
std::vector<std::pair<std::string, std::string>> hook_environment(const Change& change,
                                                                  const std::optional<std::string>& zone);

} // namespace mxdane::publish
