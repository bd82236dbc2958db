// The rollover workflow as one library engine (RFC 7671 §8.1, current +
// next): observe DNS, plan, assess health, stage, publish, switch + prove +
// switch back, withdraw, retire, and one unattended pass. Its collaborators
// (clock, resolver, publisher, MTA control, file store, certificate issuer)
// are interfaces, so tests drive years of it with fakes. It never prints and
// never exits: each call returns a Report the command prints.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mxdane/authoritative.h"
#include "mxdane/dns.h"
#include "mxdane/expected.h"
#include "mxdane/health.h"
#include "mxdane/publish.h"
#include "mxdane/reissue.h"
#include "mxdane/rollover.h"
#include "mxdane/rotation.h"
#include "mxdane/smtp.h"
#include "mxdane/store.h"

namespace mxdane::rollover {

/// Makes the MTA re-read its key and proves which key it serves.
class MtaControl {
  public:
    MtaControl() = default;
    MtaControl(const MtaControl&) = delete;
    MtaControl& operator=(const MtaControl&) = delete;
    MtaControl(MtaControl&&) = delete;
    MtaControl& operator=(MtaControl&&) = delete;
    virtual ~MtaControl() = default;

    struct Reload {
        bool ok = true;
        bool ran = false;    ///< false: no reload command is configured
        std::string message; ///< "'postfix reload' exited with status 1"
    };
    virtual Reload reload() = 0;

    struct Proof {
        bool ok = false;                    ///< it serves `expected`
        std::string message;                ///< why not, when it does not
        std::optional<tlsa::Record> served; ///< what it serves, when seen
    };
    /// Connects (STARTTLS) and checks the MTA serves the key of `expected`.
    virtual Proof prove(const tlsa::Record& expected) = 0;
    /// The prober of a sender's walk of the host (check::run in MX-host
    /// mode, for health): one STARTTLS probe for an address DNS gives the
    /// host. The real control probes its own address and port instead,
    /// since the MTA it reloads is the server behind every address of the
    /// host it manages. Called only when probes_as_sender().
    virtual smtp::ProbeResult probe_as_sender(const smtp::ProbeRequest& req) {
        (void)req;
        return {};
    }
    /// Whether probe_as_sender() probes; false: health goes without a
    /// sender's view of the host.
    [[nodiscard]] virtual bool probes_as_sender() const { return false; }
    /// "127.0.0.1:25".
    [[nodiscard]] virtual std::string where() const = 0;
};

struct MtaSettings {
    std::string host;   ///< the MX host name (SNI, names)
    std::string reload; ///< run as /bin/sh -c; empty: none
    std::string address = "127.0.0.1";
    std::uint16_t port = 25;
    unsigned tries = 10;                      ///< proof attempts, 1 s apart (a reload is asynchronous)
    int output_fd = 2;                        ///< where the reload command's stdout and stderr go
    std::chrono::seconds reload_timeout{120}; ///< then it and its process group are killed
};
/// The real MTA: the reload command and a STARTTLS probe.
std::unique_ptr<MtaControl> make_mta_control(MtaSettings settings);

/// The files of one host: state file, keys, stable names. The real one
/// calls init/stage/switch_to/retire and rotation::load/save.
class KeyStore {
  public:
    KeyStore() = default;
    KeyStore(const KeyStore&) = delete;
    KeyStore& operator=(const KeyStore&) = delete;
    KeyStore(KeyStore&&) = delete;
    KeyStore& operator=(KeyStore&&) = delete;
    virtual ~KeyStore() = default;

    virtual std::optional<rotation::State> load() = 0;
    /// load() for a look that takes no lock and may not read private keys
    /// (status for monitoring); the real store checks the certificates.
    virtual std::optional<rotation::State> look() { return load(); }
    virtual void save(const rotation::State& s) = 0;
    virtual rotation::KeyTimeline stage(const StageRequest& request, rotation::State& s) = 0;
    virtual void switch_to(const rotation::KeyTimeline& key) = 0;
    virtual RetireResult retire(rotation::KeyTimeline& old, bool delete_files, TimePoint now) = 0;
    /// The group name that may read `key`'s file (mode 0440), if any.
    virtual std::optional<std::string> key_group_of(const rotation::KeyTimeline& key) = 0;
    /// Why the stable names do not point at the key in service (a critical
    /// health verdict), or nullopt. The real store: stable_pair_problem().
    virtual std::optional<std::string> stable_pair_problem(const rotation::State& /*s*/) { return std::nullopt; }

    /// The host's lock (rollover::lock_host). `pass`: an unattended pass,
    /// which makes the state directory and gets nullopt when another mxdane
    /// holds the lock; else (an admin's step) that throws Error(refused).
    /// `repaired`: the lock found an interrupted switch and undid it.
    virtual std::optional<store::FileLock> lock(bool pass, bool& repaired) = 0;
    /// When the certificate of `key` stops being valid.
    virtual TimePoint cert_not_after(const rotation::KeyTimeline& key) = 0;
    /// When the certificate of `key` starts being valid; nullopt when the
    /// store cannot tell (fakes).
    virtual std::optional<TimePoint> cert_not_before(const rotation::KeyTimeline& /*key*/) { return std::nullopt; }
    /// True when the certificate of `key` signed itself.
    virtual bool cert_self_signed(const rotation::KeyTimeline& key) = 0;
};
/// `lock_wait`: how long lock() waits for another mxdane to finish.
std::unique_ptr<KeyStore> make_file_store(const Layout& layout,
                                          std::chrono::milliseconds lock_wait = std::chrono::seconds(3));

/// Where certificates come from for keys the store already holds: the key
/// stays, so the published 3 1 1 records stay valid (RFC 7671 §5.1).
class CertIssuer {
  public:
    CertIssuer() = default;
    CertIssuer(const CertIssuer&) = delete;
    CertIssuer& operator=(const CertIssuer&) = delete;
    CertIssuer(CertIssuer&&) = delete;
    CertIssuer& operator=(CertIssuer&&) = delete;
    virtual ~CertIssuer() = default;

    /// The issuer the admin configured for this run (an issue command, or
    /// self-signed chosen explicitly); nullopt when none was: the engine
    /// then keeps the issuer recorded for the certificate in service
    /// (reissue::choose_issuer).
    [[nodiscard]] virtual std::optional<reissue::Issuer> configured() const = 0;
    /// A new certificate from `issuer` for the current or the next key of
    /// `s`, installed (for the current key: switched, reloaded and proven
    /// live, switched back when not), recorded in `s` with its issuer and
    /// saved; `names` empty keeps the certificate's names. A refusal throws
    /// Error with the reason and installs nothing (reissue::run).
    virtual reissue::Result renew(rotation::State& s, reissue::Which which, TimePoint now,
                                  const std::vector<std::string>& names, const reissue::Issuer& issuer) = 0;
};

struct IssuerSettings {
    Layout layout;
    std::optional<reissue::Issuer> issuer;                          ///< nullopt: none configured
    unsigned days = 1096;                                           ///< validity of a self-signed certificate
    std::chrono::seconds renew_before{std::chrono::hours(24 * 30)}; ///< an issued one must last longer
    int talk_fd = 2;                                                ///< the issue command's output
};
/// The real issuer (reissue::run); `mta` reloads and proves a certificate
/// in service, and is required for renewing one.
std::unique_ptr<CertIssuer> make_cert_issuer(IssuerSettings settings, MtaControl* mta);

/// What DNS shows in a resolver's answer, as the planner sees it; the
/// signatures' expiration on the clock of `now` (signature_time).
rotation::DnsView view_of(const dns::Answer& answer, TimePoint now);

/// How long after the certificate in service expired the daily pass still
/// takes the clock's word: a month, beyond which either no pass ran for
/// months or the clock jumped ahead; the admin renews by hand then.
inline constexpr std::chrono::seconds max_expired_for{std::chrono::hours(24 * 30)};

struct EngineSettings {
    Layout layout;
    rotation::Policy policy;
    std::chrono::seconds key_life{std::chrono::hours(24 * 365)};
    std::optional<x509::KeyType> key_type; ///< default: the current key's
    unsigned days = 1096;                  ///< certificate validity of new keys
    std::optional<std::string> key_group;  ///< default: the current key's group
    std::uint32_t publish_ttl = 3600;
    bool delete_old = false;
    bool force = false;   ///< activate although the planner says wait
    bool dry_run = false; ///< say what would be done, change nothing
    /// The certificate in service is renewed (auto) or warned about (status)
    /// when it has less than this left.
    std::chrono::seconds renew_before{std::chrono::hours(24 * 30)};
    /// Signatures over the host's DNS that expire sooner are a warning.
    std::chrono::seconds signature_warn{rotation::default_signature_warn};
};

/// Asks every authoritative server of the TLSA owner's zone on its own
/// (dns::ask_every_server, issue #24).
class AuthoritativeServers {
  public:
    AuthoritativeServers() = default;
    AuthoritativeServers(const AuthoritativeServers&) = delete;
    AuthoritativeServers& operator=(const AuthoritativeServers&) = delete;
    AuthoritativeServers(AuthoritativeServers&&) = delete;
    AuthoritativeServers& operator=(AuthoritativeServers&&) = delete;
    virtual ~AuthoritativeServers() = default;
    /// What each of them serves for `owner`, or why the servers cannot be
    /// known (the zone or its NS RRset not secure).
    virtual Expected<dns::ServerView> ask(const std::string& owner) = 0;
};
/// The real one: `resolver` finds the servers, `factory` asks each.
std::unique_ptr<AuthoritativeServers> make_authoritative_servers(dns::Resolver& resolver,
                                                                 dns::ServerResolverFactory factory);

/// When an RRSIG Signature Expiration field falls on the clock of `now`:
/// the time it names on this machine's clock (the one the validator used),
/// moved by as much as `now` differs from it (a test clock stays coherent).
TimePoint signature_time(std::uint32_t expiration, TimePoint now);

/// The planner's view of the servers' answers (rotation::ServerSeen); a
/// view that could not be had is one entry that did not answer, so that
/// no step waits on less than every server. Signature expirations are
/// told on the clock of `now` (see signature_time).
std::vector<rotation::ServerSeen> seen_of(const Expected<dns::ServerView>& view, TimePoint now);

struct Collaborators {
    dns::Resolver& resolver;
    KeyStore& store;
    publish::Publisher* publisher = nullptr; ///< none: the admin publishes
    MtaControl* mta = nullptr;               ///< none: no switch possible
    CertIssuer* issuer = nullptr;            ///< none: certificates are never renewed
    /// none: the resolver's word alone decides published and withdrawn
    AuthoritativeServers* servers = nullptr;
};

/// One thing the engine did or, in a dry run, would do.
struct Action {
    enum class Kind { publish, withdraw, stage, write_state, switch_names, reload, prove, switch_back, retire, check };
    Kind kind = Kind::check;
    bool ok = true;
    bool dry_run = false;
    std::string text; ///< one sentence: "published 3 1 1 ab.. via ..."
};
std::string_view action_kind_name(Action::Kind kind);

struct Report {
    enum class Outcome {
        nothing_to_do, ///< steady, nothing due
        waiting,       ///< a wait is under way
        acted,         ///< it changed something (or would, in a dry run)
        refused,       ///< the step is not allowed now
        failed,        ///< an action failed
    };
    Outcome outcome = Outcome::nothing_to_do;
    std::string summary; ///< one sentence
    rotation::State state;
    rotation::DnsView dns;
    rotation::Plan plan;
    rotation::Health health;
    std::vector<Action> actions;
    std::vector<std::string> warnings;
    std::string owner; ///< "_25._tcp.mx1.example.net."
    /// Records the admin must still publish / withdraw by hand (no publisher
    /// or the publisher failed).
    std::vector<tlsa::Record> to_publish;
    std::vector<tlsa::Record> to_withdraw;
    /// An unattended pass found another one holding the host lock: it
    /// looked at nothing and waits for the next day.
    bool locked_out = false;
    /// Emergency: the issuer did not sign the new key's certificate, so
    /// the MTA was not switched; the new key stays staged.
    bool issuer_failed = false;
    /// renew_certificate: what was made.
    std::optional<reissue::Result> certificate;
};

class Engine {
  public:
    Engine(EngineSettings settings, Collaborators with);

    /// Observes DNS, plans and assesses health. `probe_mta`: also ask the
    /// MTA which key it serves. Without `record` (monitoring) it takes no
    /// lock and writes nothing, so an unprivileged user that may only read
    /// the state runs it; a record first seen then is said, not recorded.
    /// With `record` (an admin's look on the real clock) it records what
    /// DNS shows when it can take the host lock at once and write the
    /// state, and only looks otherwise.
    Report status(TimePoint now, bool probe_mta = false, bool record = false);
    /// Makes the next key (and publishes its record when a publisher is set).
    Report stage(TimePoint now);
    /// Switches the MTA to the next key when the planner allows it.
    Report activate(TimePoint now);
    /// Moves the old key away once DNS no longer shows its record.
    Report retire(TimePoint now);
    /// Key compromise: new key, publish it, switch + prove, withdraw the old.
    Report emergency(TimePoint now);
    /// A new certificate for the key in service (switched, reloaded and
    /// proven live) or the staged one, with the same key: no DNS change.
    /// `names` empty keeps the certificate's names. Refusals throw.
    Report renew_certificate(TimePoint now, reissue::Which which, const std::vector<std::string>& names);
    /// One unattended pass: prove credentials, heal, renew the certificate
    /// in service when due, then the allowed step.
    Report auto_pass(TimePoint now);
    /// The admin ends DANE for this host on purpose: recorded in the state
    /// (State::dane_disabled), after which the pass no longer republishes
    /// the record of the key in service when DNS shows no TLSA RRset, and
    /// steps that would publish a record refuse. It withdraws nothing.
    Report disable(TimePoint now);
    /// Undoes disable(): the pass heals a missing record again.
    Report enable(TimePoint now);
    /// The way back from a state ahead of a right clock (rotation::rewind):
    /// every time after `now` becomes `now`; keys and records stay.
    Report rewind(TimePoint now);

  private:
    /// The host lock for a step that changes something (none in a dry
    /// run); says in `r` when it repaired an interrupted switch.
    std::optional<store::FileLock> hold(Report& r, bool pass);
    /// The state, or Error "no rollover state"; `look`: KeyStore::look().
    rotation::State load_state(bool look = false);
    /// Observes DNS, records it (unless `record` is false: a look for
    /// monitoring, which writes nothing), plans.
    Report observe(TimePoint now, bool record = true);
    /// The state and owner, for a step that does not consult DNS.
    Report unobserved(TimePoint now);
    /// "the certificate of key N expires ...", when it has less than
    /// renew-before left.
    std::optional<std::string> expiry_warning(const rotation::State& s, TimePoint now);
    /// Auto: renews the certificate in service when due, or has the issuer
    /// sign a staged key still self-signed; true when it did (or failed to).
    bool certificates(Report& r, TimePoint now);
    /// Has the external issuer sign the staged key's certificate; the
    /// refusal's reason, or nullopt when it signed (or nothing was needed).
    /// `just_staged`: called right after do_stage (in a dry run the key
    /// it would make is not in the state).
    std::optional<std::string> issue_next(Report& r, TimePoint now, bool just_staged = false);
    /// The issuer of new certificates for the host (reissue::choose_issuer
    /// over the key in service), or why none can be chosen.
    [[nodiscard]] Expected<reissue::Issuer> issuer_for(const rotation::State& s) const;
    /// The certificate work an auto pass owes now: the certificate in
    /// service is due, or the staged key's certificate is still
    /// self-signed while the issuer is a command (or unknown).
    struct CertificateDue {
        bool in_service = false;
        bool staged = false;
    };
    [[nodiscard]] CertificateDue certificate_due(const rotation::State& s, TimePoint now) const;
    /// Why `now` cannot be this machine's true time, judged by the
    /// certificate in service: before its notBefore, or more than
    /// max_expired_for after its notAfter (a daily pass renews it
    /// renew_before ahead, so a clock jumped ahead looks like that). The
    /// daily pass acts on no such clock (issue #25).
    [[nodiscard]] std::optional<std::string> implausible_clock(const rotation::State& s, TimePoint now) const;
    /// A warning in `r` when only the clean-up after a new certificate failed.
    static void cleanup_warning(Report& r, const reissue::Result& res);
    /// Error(refused) when the admin disabled DANE for the host: `what`
    /// would publish a record.
    void refuse_if_disabled(const Report& r, const std::string& what) const;
    /// `pre` (what taking the lock did) before `r`'s actions and warnings.
    static Report merged(Report pre, Report r);
    Report status_step(TimePoint now, bool probe_mta, bool record);
    Report stage_step(TimePoint now);
    Report activate_step(TimePoint now);
    Report retire_step(TimePoint now);
    Report emergency_step(TimePoint now);
    Report auto_step(TimePoint now);
    void finish(Report& r, TimePoint now, const rotation::HealthFacts& facts) const;
    bool publish(Report& r, publish::Action action, const tlsa::Record& rec, const std::string& why);
    bool switch_and_prove(Report& r, const rotation::KeyTimeline& to, const rotation::KeyTimeline* back);
    rotation::KeyTimeline do_stage(Report& r, TimePoint now);
    void save(Report& r);
    [[nodiscard]] rotation::HealthFacts facts() const;
    /// The sender's view of the host (check::run in MX-host mode through
    /// the resolver and MtaControl::probe_as_sender); none without an MTA
    /// control that can probe.
    [[nodiscard]] std::optional<rotation::SenderView> sender_view() const;

    EngineSettings m_set;
    Collaborators m_with;
    std::optional<std::string> m_credentials_error;
};

} // namespace mxdane::rollover
