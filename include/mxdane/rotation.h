// Key rotation for an MX host (RFC 7671 §8.1, "current + next"): each key's
// timeline, the state file that keeps it, and a pure planner that decides
// the next step from the state, what DNS shows and the time.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mxdane/expected.h"
#include "mxdane/tlsa.h"

namespace mxdane::rotation {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

/// Where a certificate comes from: an issue command (an ACME client or a
/// private CA, include/mxdane/issue.h) or, when `command` is empty,
/// keygen's self-signed profile.
struct Issuer {
    std::string command; ///< run as /bin/sh -c; empty: self-signed
    std::chrono::seconds timeout{300};
    bool operator==(const Issuer&) const = default;
};

/// One key's life, in the manner of Knot's keymgr. A key is *next* while
/// created but not active, *current* while active and not retired, *old*
/// once retired (no longer served) until its record is gone from DNS and
/// its files are moved away (removed).
struct KeyTimeline {
    std::uint32_t id = 0;
    fs::path key_file;   ///< the dated private key file
    fs::path cert_file;  ///< the dated certificate file
    tlsa::Record record; ///< its 3 1 1 record
    std::optional<TimePoint> created;
    std::optional<TimePoint> published; ///< first seen, secure, in DNS
    std::optional<TimePoint> active;    ///< the MTA serves it since
    std::optional<TimePoint> retired;   ///< the MTA stopped serving it
    std::optional<TimePoint> removed;   ///< files moved out of service
    std::uint32_t max_ttl_seen = 0;     ///< largest TLSA TTL seen while published
    /// Where the certificate of `cert_file` came from, recorded when it was
    /// installed (issue #23): renewal keeps it. Unset in states written by
    /// mxdane 0.x before it was recorded, and for an adopted certificate
    /// that is not self-signed when no issue command was given.
    std::optional<Issuer> issuer;
};

/// Everything the rotation of one MX host remembers between runs.
struct State {
    static constexpr int current_format = 1;
    int format = current_format;
    std::string host;
    std::uint16_t port = 25;
    std::vector<KeyTimeline> keys;
    /// The admin ended DANE for this host on purpose, at this time: the
    /// daily pass no longer republishes the record of the key in service
    /// when DNS shows none, and steps that would publish refuse.
    std::optional<TimePoint> dane_disabled;
    /// Authoritative servers ("ns2.example.net (192.0.2.2)") that were
    /// behind when last asked, and since when: silent, or serving an older
    /// SOA serial than another server of the zone (issue #24). A server is
    /// dropped once it catches up or leaves the zone's NS RRset.
    std::map<std::string, TimePoint> servers_behind;
};

/// The range of times the rotation accepts anywhere (state file, clock,
/// computed waits): from 1970-01-01T00:00:00Z to 2261-12-31T23:59:59Z. The
/// upper end is below the last instant the system clock's nanosecond time
/// points can hold (2262-04-11), so that no sum of checked waits wraps.
TimePoint earliest_time();
TimePoint latest_time();

/// Times as the state file writes them: exactly "2026-11-28T21:00:00Z".
std::string format_time(TimePoint t);
/// The inverse; nullopt for anything not in exactly that form, for a date
/// that does not exist (2026-02-31, year 0000) and for a time outside
/// earliest_time()..latest_time().
std::optional<TimePoint> parse_time(const std::string& text);

/// `t + d`, or nullopt when the sum leaves earliest_time()..latest_time().
/// Computed in seconds, so it never wraps.
std::optional<TimePoint> add_checked(TimePoint t, std::chrono::seconds d);

/// The newest time the state records, if any.
std::optional<TimePoint> newest_time(const State& s);

/// Throws Error(refused) when `now` is outside the accepted range or earlier
/// than the newest time the state records: a clock behind the state is a
/// wrong clock, never a new truth (a "first seen" before the key existed
/// would shorten the wait for caches).
void check_clock(const State& s, TimePoint now);

/// The way back from a state that holds times ahead of a right clock
/// (written under a wrong clock, or by an older mxdane's rehearsal): every
/// time after `now` becomes `now`. Keys, files and records stay; the order
/// of each key's times is kept (the map is monotone), and every wait
/// counted from a moved time starts again at `now`, so no wait gets
/// shorter. Returns what moved, one "key 2 published 2027-12-08T00:00:00Z"
/// per time; empty when nothing was ahead.
std::vector<std::string> rewind(State& s, TimePoint now);

/// Accessors for the roles; nullptr when there is no such key. A *next*
/// key is complete: its files were made and its record was computed from
/// its key file. A key the state names but whose `created` is unset is
/// *incomplete* (an interrupted stage): it has no record, is never
/// published, counted or activated, and the next stage completes or
/// discards it.
const KeyTimeline* current_key(const State& s);
const KeyTimeline* next_key(const State& s);
const KeyTimeline* old_key(const State& s);
KeyTimeline* current_key(State& s);
KeyTimeline* next_key(State& s);
KeyTimeline* old_key(State& s);
const KeyTimeline* incomplete_key(const State& s);
KeyTimeline* incomplete_key(State& s);

/// The state as JSON text, and back. Parsing refuses unknown newer formats
/// and anything malformed with a precise reason.
std::string to_json(const State& s);
Expected<State> from_json(const std::string& text);

/// Path of the state file for a host in a directory.
fs::path state_path(const fs::path& state_dir, const std::string& host);
/// Reads a state file; nullopt when it does not exist. Throws Error(io) when
/// it exists but cannot be read or parsed.
std::optional<State> load(const fs::path& path);
/// Writes atomically (temporary file, fsync, rename, fsync directory).
void save(const fs::path& path, const State& s);

/// Records that the MTA now serves the next key: it becomes current, the
/// current one old (retired). Call only after the switch was proven live.
void mark_activated(State& s, TimePoint now);

/// What one authoritative server address serves for the TLSA owner, asked
/// directly (dns::ask_every_server, issue #24).
struct ServerSeen {
    std::string name;                    ///< "ns2.example.net (192.0.2.2)"
    bool answered = false;               ///< a validated answer: the RRset or its secure denial
    std::vector<tlsa::Record> records;   ///< when answered
    std::uint32_t ttl = 0;               ///< when answered: the TTL the server publishes
    std::optional<std::uint32_t> serial; ///< its SOA serial, when known
    std::string why;                     ///< when not answered
    /// The earliest RRSIG expiration among its TLSA, SOA and DNSKEY answers
    /// (on the clock of `now`), and the RRset it covers ("TLSA", ...).
    std::optional<TimePoint> signatures_expire;
    std::string signatures_rrset;
};

/// What the validating resolver says about the TLSA RRset right now.
struct DnsView {
    enum class Security { secure, insecure, bogus, failed };
    Security security = Security::failed;
    bool exists = false; ///< secure NXDOMAIN/NODATA: false
    std::vector<tlsa::Record> records;
    std::uint32_t ttl = 0;
    std::string why; ///< why bogus/failed
    /// When the RRSIGs over the TLSA RRset the resolver validated expire
    /// (the earliest, on the clock of `now`); unset when it showed none.
    std::optional<TimePoint> signatures_expire;
    /// Every authoritative server's own answer, when they were asked: a
    /// record counts as published only once every one of them serves it,
    /// and as withdrawn only once none does (a sender's resolver may ask
    /// any of them). nullopt: not asked; the resolver's word alone.
    std::optional<std::vector<ServerSeen>> servers;
};

/// The servers of `dns` that are behind now: those that did not answer,
/// and those whose SOA serial is older than another server's. Empty when
/// not asked.
std::vector<const ServerSeen*> servers_behind(const DnsView& dns);
/// The newest SOA serial any server of `dns` serves (RFC 1982 order).
std::optional<std::uint32_t> newest_serial(const DnsView& dns);

/// The servers of `dns` that do not serve `rec` now: those that answered
/// without it and those that did not answer. Empty when not asked.
std::vector<const ServerSeen*> servers_lacking(const DnsView& dns, const tlsa::Record& rec);
/// The servers of `dns` that may still serve `rec`: those that serve it
/// and those that did not answer. Empty when not asked.
std::vector<const ServerSeen*> servers_still_serving(const DnsView& dns, const tlsa::Record& rec);
/// "ns2.example.net (192.0.2.2) serves serial 7 without it; ns3... did not
/// answer (why)": `servers` as `verb` ("without it" / "with it") says.
std::string servers_text(const std::vector<const ServerSeen*>& servers, const std::string& verb);

/// Keys mxdane retired and moved out of service (`removed`) whose record
/// the RRset in `dns` still holds: whoever has such a key can still pass
/// as the host to DANE senders. Never the key in service or the next one.
std::vector<const KeyTimeline*> removed_but_published(const State& s, const DnsView& dns);

/// Updates the timeline from what DNS shows now: a key's record first seen
/// secure sets `published`; a next key's record that vanished resets it (the
/// wait starts over); TTLs seen are remembered; servers behind are noted
/// with the time first seen behind (State::servers_behind). Pure. Throws what
/// check_clock() throws.
State observe(State s, const DnsView& dns, TimePoint now);

/// The accepted ranges of the planner's inputs (the same for options and
/// the settings file). TTLs: RFC 2181 §8 (31 bits). Margins: ten years.
inline constexpr std::uint32_t max_ttl = 2147483647;
inline constexpr std::uint32_t max_margin_days = 3650;
inline constexpr std::int64_t max_margin_seconds = std::int64_t{max_margin_days} * 86400;

struct Policy {
    std::chrono::seconds margin{std::chrono::hours(24 * 7)}; ///< the seed's extra week; 0..max_margin_seconds
    std::optional<std::uint32_t> ttl;                        ///< overrides the TTL seen in DNS; 0..max_ttl
};

/// The step the planner allows now, or why to wait.
enum class Step {
    adopt,           ///< no state: `rollover init` first
    stage,           ///< steady: a next key can be made
    publish,         ///< wait: the next key's record is not yet secure in DNS
    wait_for_caches, ///< wait: published, but caches may still hold the old RRset
    activate,        ///< the MTA can switch to the next key now
    unpublish,       ///< wait: the old key's record is still in DNS; remove it
    retire,          ///< the old key's record is gone: move its files away
};

struct Plan {
    Step step = Step::adopt;
    bool can_act_now = false;            ///< false while waiting
    std::string reason;                  ///< one sentence for people
    std::optional<TimePoint> allowed_at; ///< when the wait ends, when known
    std::vector<tlsa::Record> rrset;     ///< what DNS should publish now
};

/// Decides the next step. Pure: same inputs, same plan. Throws
/// Error(bad_input) for a policy outside its ranges and when a wait would
/// end after latest_time(): a longer wait never turns into a shorter one.
/// The end of the wait for caches is first seen + 2 x TTL + margin
/// (RFC 7671 §8.1).
Plan plan(const State& s, const DnsView& dns, TimePoint now, const Policy& policy);

/// For messages: "publish", "wait-for-caches", ...
std::string step_name(Step step);

} // namespace mxdane::rotation

namespace mxdane::rotation {

/// One `key = value` setting of a configuration file, with its line.
struct Setting {
    std::string key;
    std::string value;
    int line = 0;
};

/// Parses /etc/mxdane/HOST.conf: `key = value` lines, `#` comments, blank
/// lines; keys may repeat (repeatable options). Values may be quoted with
/// "..." to keep leading/trailing spaces or a '#'. Each malformed line is an
/// error naming its number.
Expected<std::vector<Setting>> parse_config(std::string_view text);

} // namespace mxdane::rotation
