// mxdane keygen HOST [NAME...]: a key, a self-signed certificate, the
// stable names the MTA is configured with, and the lines that configure it.
#include <chrono>
#include <memory>
#include <sstream>

#include "cli.h"
#include "format.h"
#include "help.h"
#include "mta_cli.h"
#include "mxdane/error.h"
#include "mxdane/keygen.h"
#include "mxdane/store.h"
#include "resolver_cli.h"

namespace mxdane::cli {
namespace {

struct KeygenOptions {
    std::string host;
    std::vector<std::string> names;
    std::string key = "rsa3072";
    unsigned days = 1096;
    std::uint16_t port = 25;
    std::string key_dir = store::default_key_dir.string();
    std::string cert_dir = store::default_cert_dir.string();
    std::string out_dir;
    std::string key_group;
    std::string mta;
    bool dry_run = false;
    bool json = false;
    bool find_zone = false;
    ResolverCli resolver;
};

/// What keygen learnt about the zone of the TLSA owner (advice only).
struct ZoneLookup {
    bool asked = false;
    std::optional<dns::Zone> zone;
    std::string why_not; ///< when asked and no zone: the reason
};

/// The lookup must not hold keygen up when DNS is unreachable: the key is
/// made by then, and the advice can do without the zone.
constexpr std::chrono::seconds zone_lookup_budget{3};

/// The lookup runs only when the admin asks for DNS: --find-zone or any
/// resolver option (README "keygen"). Plain keygen sends nothing.
bool zone_lookup_asked(const KeygenOptions& o) {
    const auto& r = o.resolver;
    return o.find_zone || !r.trust_anchors.empty() || !r.forwarders.empty() || !r.stubs.empty() || !r.options.empty();
}

ZoneLookup look_up_zone(const std::string& owner, dns::UnboundOptions opts) {
    ZoneLookup z;
    z.asked = true;
    opts.deadline = std::chrono::steady_clock::now() + zone_lookup_budget;
    try {
        const auto resolver = dns::make_unbound_resolver(opts);
        auto found = dns::zone_of(*resolver, owner);
        if (found) {
            z.zone = *found;
        } else {
            z.why_not = found.error();
        }
    } catch (const Error& e) {
        // No trust anchor, no DNS reachable, out of time: a local
        // condition, and the key is made already.
        z.why_not = e.what();
    }
    return z;
}

/// Step 1 of the next steps: where the record goes.
std::string publish_step(const std::string& owner, const ZoneLookup& z) {
    std::string out = "  1. Publish the 3 1 1 record above in ";
    if (!z.zone) {
        out += "the DNSSEC-signed zone that holds " + owner + "\n";
        if (z.asked) {
            out += "     (its zone could not be looked up: " + z.why_not + ")\n";
        } else {
            out += "     (keygen --find-zone looks that zone up in DNS and names it here)\n";
        }
    } else {
        out += "the zone " + z.zone->apex;
        switch (z.zone->security) {
        case dns::Security::secure:
            out += " (DNSSEC-signed: its SOA validated secure)\n";
            break;
        case dns::Security::insecure:
            out += " (not DNSSEC-validated: sign it first, see the warning)\n";
            break;
        case dns::Security::bogus:
            out += " (its DNSSEC signatures do not validate: fix them first, see the warning)\n";
            break;
        }
    }
    return out + "     (3 1 1 pins the key, so it survives a certificate reissue; the 3 0 1 line says why not it).\n";
}

/// The warning an unusable zone deserves (RFC 7672 §2.2: a sender uses
/// TLSA records only from a secure answer).
std::optional<std::string> zone_warning(const ZoneLookup& z) {
    if (!z.zone || z.zone->security == dns::Security::secure) {
        return std::nullopt;
    }
    if (z.zone->security == dns::Security::insecure) {
        return "the zone " + z.zone->apex +
               " is not DNSSEC-signed (insecure): senders ignore TLSA records in it (RFC 7672 §2.2)";
    }
    return "the zone " + z.zone->apex + " fails DNSSEC validation (bogus: " + z.zone->why_bogus +
           "): senders defer mail to this host until it validates";
}

std::string join(const std::vector<std::string>& v, const char* sep) {
    std::string out;
    for (const auto& s : v) {
        out += (out.empty() ? "" : sep) + s;
    }
    return out;
}

std::string mode_text(mode_t m) {
    std::ostringstream os;
    os << "0" << std::oct << m;
    return os.str();
}

/// "an RSA-3072", "an ECDSA P-256": the article goes by how the initialism
/// is spoken (letters whose names start with a vowel sound).
std::string with_article(const std::string& label) {
    const bool vowel_sound = !label.empty() && std::string("AEFHILMNORSX").find(label.front()) != std::string::npos;
    return (vowel_sound ? "an " : "a ") + label;
}

/// The MTA's lines, indented under a numbered step.
std::string indented(const std::string& text, const char* indent) {
    std::string out;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        out += indent + text.substr(start, end - start) + "\n";
        start = end == std::string::npos ? text.size() : end + 1;
    }
    return out;
}

void print_talk(const keygen::Result& r, const keygen::Request& req, mta::Kind kind, const ZoneLookup& zone, Io& io) {
    const auto label = std::string(x509::key_type_label(r.key_type));
    for (const auto& w : r.warnings) {
        io.err << "warning: " << w << "\n";
    }
    if (!r.written) {
        io.err << "Dry run: made " << with_article(label) << " key and a self-signed certificate for "
               << join(r.names, ", ") << " in memory only; nothing was written.\n"
               << "They would be " << r.key_path.string() << " and " << r.cert_path.string() << ".\n";
        return;
    }
    for (const auto& d : r.created_dirs) {
        io.err << "Created directory " << d.string() << "\n";
    }
    io.err << "Created " << with_article(label) << " private key and a self-signed certificate for "
           << join(r.names, ", ") << ":\n"
           << "  key:         " << r.key_path.string() << " (mode " << mode_text(r.key_mode)
           << (req.key_group ? ", group " + *req.key_group : std::string()) << ")\n"
           << "  certificate: " << r.cert_path.string() << " (mode 0644)\n"
           << "  valid until: " << iso_utc(r.not_after) << " (" << req.days << " days)\n";
    if (r.stable == keygen::StableNames::made) {
        io.err << "  stable names, which the MTA reads and a key rotation switches:\n"
               << "               " << r.stable_key_path.string() << " -> " << r.key_path.filename().string()
               << "\n               " << r.stable_cert_path.string() << " -> " << r.cert_path.filename().string()
               << "\n";
    }
    io.err << "Next steps:\n" << publish_step(r.owner, zone);
    if (r.stable == keygen::StableNames::made) {
        io.err << "  2. Configure " << mta_label(kind)
               << " once, for the life of this host (a key rotation only switches "
               << "the stable names):\n"
               << indented(mta::config_lines(kind, r.names.front(), r.stable_key_path, r.stable_cert_path), "       ")
               << "     then: " << reload_hint(kind) << "\n"
               << "  3. Rotate the key in about a year: 'mxdane rollover init " << r.names.front()
               << "' (adopts this key), then "
               << "'mxdane rollover stage " << r.names.front() << "'.\n";
    } else {
        io.err << "  2. " << r.stable_key_path.string() << " and " << r.stable_cert_path.string()
               << " exist already and were left alone: the MTA keeps serving the key they point at. To put this "
                  "key in service without deferring mail, use 'mxdane rollover stage' instead.\n";
    }
}

Runner setup(CLI::App& app) {
    auto o = std::make_shared<KeygenOptions>();
    app.add_option("HOST", o->host, "the MX host name (certificate CN, first SAN, TLSA owner)")->required();
    app.add_option("NAME", o->names, "further names for the certificate (e.g. the mail domain)");
    app.add_option("--key", o->key, "key type: rsa3072 (default), rsa2048, rsa4096, p256, p384");
    app.add_option("--days", o->days, "certificate validity in days (default 1096, three years)");
    add_port_option(app, o->port, "TCP port in the TLSA owner name, 1-65535 (default 25)");
    auto* key_dir = app.add_option("--key-dir", o->key_dir,
                                   "directory for the private key (default /etc/pki/tls/private; made 0700)");
    auto* cert_dir =
        app.add_option("--cert-dir", o->cert_dir, "directory for the certificate (default /etc/pki/tls/certs)");
    // --out is one directory for both, so it is a key directory: made 0700.
    auto* out = app.add_option("--out", o->out_dir, "put both files in this one directory (made 0700 if missing)");
    out->excludes(key_dir)->excludes(cert_dir);
    auto* key_group =
        app.add_option("--key-group", o->key_group, "give the key this group and mode 0440 (MTAs such as Exim)");
    app.add_option("--mta", o->mta,
                   "print configuration for postfix, exim or opensmtpd (default: the one installed, else postfix)");
    app.add_flag("--dry-run", o->dry_run, "generate in memory and print the records; write nothing");
    app.add_flag("--json", o->json, "print one JSON object instead of zone-file lines (README \"JSON\")");
    app.add_flag("--find-zone", o->find_zone,
                 "look up in DNS (as check does) the zone of HOST's TLSA record and name it in the advice; "
                 "any resolver option implies it");
    add_resolver_options(app, o->resolver);
    app.footer(examples_footer({
        {"mxdane keygen mx1.example.net example.net",
         "key, certificate and stable names under /etc/pki/tls; the records; the MTA's lines"},
        {"mxdane keygen --mta exim --key p256 --out /etc/exim4/dane mx1.example.net",
         "for Exim (key group Debian-exim), an ECDSA P-256 key, both files in one directory"},
        {"mxdane keygen --dry-run mx1.example.net", "show the records such a key would have; write nothing"},
    }));

    return [o, out, key_group](Io& io) {
        if (out->count() > 0 && o->out_dir.empty()) {
            throw Error(Errc::bad_input, "--out needs a directory");
        }
        if (key_group->count() > 0 && o->key_group.empty()) {
            throw Error(Errc::bad_input, "--key-group needs a group name");
        }
        keygen::Request req;
        req.names = o->names;
        req.names.insert(req.names.begin(), o->host);
        const auto type = x509::parse_key_type(o->key);
        if (!type) {
            throw Error(Errc::bad_input,
                        "--key: unknown key type '" + o->key + "' (choose rsa3072, rsa2048, rsa4096, p256 or p384)");
        }
        req.key_type = *type;
        req.days = o->days;
        req.port = o->port;
        req.key_dir = out->count() > 0 ? o->out_dir : o->key_dir;
        req.cert_dir = out->count() > 0 ? o->out_dir : o->cert_dir;
        const mta::Kind kind = mta_choice(o->mta);
        std::vector<std::string> warnings;
        if (!o->key_group.empty()) {
            req.key_group = o->key_group;
        } else if (auto group = automatic_key_group(kind, warnings)) {
            req.key_group = std::move(group);
        }
        // Checked before anything is made: a bad resolver option is a usage
        // error, an unreachable DNS later is not.
        const dns::UnboundOptions resolver_opts = to_unbound_options(o->resolver);
        req.dry_run = o->dry_run;
        req.now = x509::Clock::now();
        req.stable_names = true;

        keygen::Result r = keygen::run(req);
        for (auto& w : mta_warnings(kind, r.key_path, req.key_group)) {
            warnings.push_back(std::move(w));
        }
        // The zone of the TLSA owner, for the advice (README "keygen"), only
        // when asked for; a dry run prints no next steps.
        ZoneLookup zone;
        if (r.written && zone_lookup_asked(*o)) {
            zone = look_up_zone(r.owner, resolver_opts);
            if (auto w = zone_warning(zone)) {
                warnings.push_back(std::move(*w));
            }
        }
        r.warnings.insert(r.warnings.end(), warnings.begin(), warnings.end());

        if (o->json) {
            nlohmann::json j = json_top("keygen", static_cast<int>(Exit::ok), r.warnings);
            j["key_file"] = r.written ? nlohmann::json(r.key_path.string()) : nlohmann::json(nullptr);
            j["cert_file"] = r.written ? nlohmann::json(r.cert_path.string()) : nlohmann::json(nullptr);
            j["not_before"] = time_json(r.not_before);
            j["not_after"] = time_json(r.not_after);
            j["key_type"] = std::string(x509::key_type_option(r.key_type));
            j["names"] = r.names;
            j["tlsa"] = nlohmann::json::array();
            for (const auto& rec : r.records) {
                j["tlsa"].push_back(tlsa_json(r.owner, rec));
            }
            j["dry_run"] = !r.written;
            // The zone keygen's advice names, or null (not looked up, or not
            // found: the talk on stderr says why).
            j["zone"] = zone.zone ? nlohmann::json{{"apex", zone.zone->apex},
                                                   {"security", std::string(dns::security_name(zone.zone->security))}}
                                  : nlohmann::json(nullptr);
            io.out << j.dump(2) << "\n";
        } else {
            for (const auto& rec : r.records) {
                io.out << tlsa::zone_line(r.owner, rec);
                // A zone-file comment, so that a paste keeps the advice.
                if (rec.selector == 0) {
                    io.out << " ; changes at every certificate reissue: prefer 3 1 1";
                }
                io.out << "\n";
            }
        }
        io.out.flush();
        print_talk(r, req, kind, zone, io);
        return Exit::ok;
    };
}

} // namespace

Command keygen_command() {
    return {"keygen", "make an MX key, a self-signed certificate, and its TLSA records", setup};
}

} // namespace mxdane::cli
