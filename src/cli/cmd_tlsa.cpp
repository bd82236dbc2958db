// mxdane tlsa FILE... (issue #3): the TLSA records for key material admins
// already have. Each file is computed whole before its records are printed,
// so a bad file never leaves half its records on stdout; it gets its one
// error line and the other files are still printed.
#include <algorithm>
#include <memory>

#include <optional>

#include "cli.h"
#include "flags.h"
#include "format.h"
#include "mxdane/error.h"
#include "mxdane/material.h"
#include "mxdane/names.h"
#include "mxdane/tlsa.h"
#include "mxdane/tlsa_parse.h"

namespace mxdane::cli {
namespace {

struct TlsaOptions {
    std::vector<std::string> files;
    std::string host;
    std::uint16_t port = 25;
    std::string usage = "3";
    std::string selector = "1";
    std::string mtype = "1";
    std::string format = "zone";
    std::optional<std::uint32_t> ttl;
    bool json = false;
};

struct Output {
    std::string file;
    std::optional<std::string> owner;
    tlsa::Record record;
};

std::vector<std::uint8_t> choices(const std::string& value, const char* option, const std::vector<std::uint8_t>& all,
                                  std::optional<std::uint8_t> (*parse)(std::string_view)) {
    if (value == "all") {
        return all;
    }
    const auto v = parse(value);
    if (!v || std::find(all.begin(), all.end(), *v) == all.end()) {
        std::string list;
        for (const auto a : all) {
            list += std::to_string(a) + ", ";
        }
        throw Error(Errc::bad_input,
                    std::string(option) + ": '" + names::printable(value) + "' is not one of " + list + "or all");
    }
    return {*v};
}

std::uint8_t usage_choice(const std::string& value) {
    const auto u = tlsa::parse_usage(value);
    if (!u) {
        throw Error(Errc::bad_input, "--usage: '" + names::printable(value) + "' is not 2 (DANE-TA) or 3 (DANE-EE)");
    }
    if (*u == 0 || *u == 1) {
        throw Error(Errc::bad_input, "--usage " + std::to_string(*u) + ": " +
                                         tlsa::unusable_reason(tlsa::Record{*u, 1, 1, tlsa::Bytes(32, 0)}) +
                                         "; publish 3 (DANE-EE) or 2 (DANE-TA)");
    }
    if (*u != 2 && *u != 3) {
        throw Error(Errc::bad_input, "--usage: '" + names::printable(value) + "' is not 2 (DANE-TA) or 3 (DANE-EE)");
    }
    return *u;
}

/// The certificate a record of this usage describes: the leaf for DANE-EE;
/// for DANE-TA a certificate that issued one in the chain (the top one), or
/// a self-signed CA given alone (pinning one's own CA).
X509* subject_cert(const x509::Material& m, std::uint8_t usage, const std::string& file) {
    if (usage == 3) {
        return m.certs.empty() ? nullptr : m.certs.front().get();
    }
    const std::string what(x509::material_kind_label(m.kind));
    if (m.certs.empty()) {
        throw Error(Errc::bad_input, names::printable(file) + ": usage 2 (DANE-TA) pins a CA certificate, and a " +
                                         what +
                                         " is none: give the chain file (server's certificate first, its "
                                         "issuers after it)");
    }
    if (m.certs.size() >= 2) {
        return m.certs.back().get(); // the order is checked: it issued the one before it
    }
    X509& only = *m.certs.front();
    const auto [self_signed, ca] = x509::self_signed_ca(only);
    if (self_signed && ca) {
        return &only;
    }
    throw Error(Errc::bad_input,
                names::printable(file) +
                    ": usage 2 (DANE-TA) pins a certificate that issued the server's, and this certificate (" +
                    x509::subject_text(only) + ") " +
                    (self_signed ? "is self-signed without CA:TRUE, a server certificate: publish 3 1 1 for it"
                                 : "comes without its issuer: give the chain file (server's certificate first, its "
                                   "issuers after it)"));
}

/// The records of one file; throws Error for this file alone.
std::vector<Output> compute_file(const TlsaOptions& o, const std::string& file, const std::optional<std::string>& host,
                                 bool need_owner, std::uint8_t usage, const std::vector<std::uint8_t>& selectors,
                                 const std::vector<std::uint8_t>& mtypes, std::vector<std::string>& warnings) {
    const x509::Material m = x509::load_material_file(file);
    if (const auto problem = x509::chain_order_problem(m.certs); !problem.empty()) {
        throw Error(Errc::bad_input, names::printable(file) + ": " + problem);
    }
    // nsupdate lines go straight to a DNS server: the rule of publish.
    // Other formats are printed all the same (an admin may need them to find
    // and withdraw a published record), with a warning.
    if (o.format == "nsupdate") {
        x509::require_strong_key(*m.key, "the key of " + names::printable(file), "publish");
    } else if (const std::string weak = x509::key_weakness(*m.key); !weak.empty()) {
        warnings.push_back(names::printable(file) + ": the key is too weak for DANE: " + weak +
                           "; mxdane publish refuses it");
    }
    std::optional<std::string> file_host = host;
    if (!file_host) {
        auto h = x509::host_name(m);
        if (h) {
            file_host = std::move(h).value();
            // A wildcard is no MX host: say which name the owner came from.
            const auto sans = m.certs.empty() ? std::vector<std::string>{} : x509::dns_names(*m.certs.front());
            if (!sans.empty() && sans.front().rfind("*.", 0) == 0) {
                warnings.push_back(names::printable(file) + ": owner name from " + *file_host +
                                   ", not from the wildcard " + names::printable(sans.front()) +
                                   ": give --host if the MX host is another");
            }
        } else if (need_owner) {
            throw Error(Errc::bad_input, names::printable(file) + ": --host is needed: " + h.error());
        }
    }
    const std::optional<std::string> owner =
        file_host ? std::optional<std::string>(tlsa::owner(*file_host, o.port)) : std::nullopt;
    X509* cert = subject_cert(m, usage, file);
    std::vector<Output> out;
    for (const auto sel : selectors) {
        if (sel == 0 && cert == nullptr) {
            if (selectors.size() == 1) {
                throw Error(Errc::bad_input, names::printable(file) +
                                                 ": selector 0 hashes a whole certificate, and a " +
                                                 std::string(x509::material_kind_label(m.kind)) +
                                                 " is not one: no 3 0 x record (use selector 1, which survives "
                                                 "reissue, or give the certificate)");
            }
            warnings.push_back(names::printable(file) + ": no 3 0 x record: a " +
                               std::string(x509::material_kind_label(m.kind)) + " has no certificate");
            continue;
        }
        for (const auto mt : mtypes) {
            const auto u = static_cast<tlsa::Usage>(usage);
            const auto mtype = static_cast<tlsa::MatchingType>(mt);
            tlsa::Record rec = cert != nullptr
                                   ? tlsa::for_certificate(u, static_cast<tlsa::Selector>(sel), mtype, *cert)
                                   : tlsa::for_key(u, mtype, *m.key);
            out.push_back({file, owner, std::move(rec)});
        }
    }
    return out;
}

/// Each file gets its records or its one-line error; the others go on.
struct FileResult {
    std::string file;
    std::vector<Output> records;
    std::string error;
    Exit code = Exit::ok;
};

Runner setup(CLI::App& app) {
    auto o = std::make_shared<TlsaOptions>();
    app.add_option("FILE", o->files,
                   "certificate, chain (leaf first), private key, public key or CSR; PEM or DER, detected")
        ->required();
    app.add_option("--host", o->host, "MX host for the owner name (default: the certificate's first DNS name)");
    add_port_option(app, o->port, "TCP port in the owner name, 1-65535 (default 25)");
    app.add_option("--usage", o->usage, "3 (DANE-EE, default) or 2 (DANE-TA: the chain's trust anchor)");
    app.add_option("--selector", o->selector, "1 (SPKI, default), 0 (Cert) or all");
    app.add_option("--mtype", o->mtype, "1 (SHA2-256, default), 2 (SHA2-512), 0 (Full) or all");
    app.add_option("--format", o->format, "zone (default), rdata, generic (RFC 3597), nsupdate or json (= --json)");
    app.add_flag("--json", o->json, "print one JSON object (README \"JSON\")");
    app.add_option("--ttl", o->ttl, "TTL in zone and nsupdate lines (nsupdate default 3600)");
    app.footer("Examples:\n  mxdane tlsa /etc/pki/tls/certs/mx1.example.net-MX-SS-20261128.crt\n"
               "  mxdane tlsa --host mx1.example.net next.key        # the record for a future key\n"
               "  mxdane tlsa --usage 2 --host mx1.example.net chain.pem");

    return [o](Io& io) {
        static const std::vector<std::string> formats{"zone", "rdata", "generic", "nsupdate", "json"};
        if (std::find(formats.begin(), formats.end(), o->format) == formats.end()) {
            throw Error(Errc::bad_input, "--format: '" + names::printable(o->format) +
                                             "' is not zone, rdata, generic, nsupdate or json");
        }
        std::optional<std::string> host;
        if (!o->host.empty()) {
            auto n = names::normalize_host(o->host);
            if (!n) {
                throw Error(Errc::bad_input,
                            "--host: invalid host name '" + names::printable(o->host) + "': " + n.error());
            }
            host = std::move(n).value();
        }
        const bool need_owner = o->format == "zone" || o->format == "generic" || o->format == "nsupdate";
        const std::uint8_t usage = usage_choice(o->usage);
        const auto selectors = choices(o->selector, "--selector", {1, 0}, tlsa::parse_selector);
        const auto mtypes = choices(o->mtype, "--mtype", {1, 2, 0}, tlsa::parse_mtype);
        std::vector<std::string> warnings;
        std::vector<FileResult> results;
        Exit code = Exit::ok;
        for (const auto& file : o->files) {
            FileResult fr{file, {}, {}, Exit::ok};
            try {
                fr.records = compute_file(*o, file, host, need_owner, usage, selectors, mtypes, warnings);
            } catch (const Error& e) {
                fr.error = with_flags(e.what());
                fr.code = exit_for(e.code());
                // The worst failure decides: 2 (could not read) over 64 (bad input).
                if (code == Exit::ok || (fr.code == Exit::failed && code != Exit::failed)) {
                    code = fr.code;
                }
            }
            results.push_back(std::move(fr));
        }

        for (const auto& w : warnings) {
            io.err << "warning: " << w << "\n";
        }
        const std::string ttl = o->ttl ? std::to_string(*o->ttl) + " " : std::string();
        if (o->json || o->format == "json") {
            nlohmann::json j = json_top("tlsa", static_cast<int>(code), warnings);
            j["files"] = nlohmann::json::array();
            for (const auto& fr : results) {
                nlohmann::json f{{"file", fr.file},
                                 {"error", fr.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(fr.error)}};
                f["records"] = nlohmann::json::array();
                for (const auto& out : fr.records) {
                    f["records"].push_back(tlsa_json(out.owner.value_or(""), out.record, o->ttl));
                }
                j["files"].push_back(std::move(f));
            }
            io.out << j.dump(2) << "\n";
            for (const auto& fr : results) {
                if (!fr.error.empty()) {
                    io.err << "error: " << fr.error << "\n";
                }
            }
            return code;
        }
        for (const auto& fr : results) {
            if (!fr.error.empty()) {
                io.err << "error: " << fr.error << "\n";
            }
            for (const auto& out : fr.records) {
                if (o->format == "zone") {
                    io.out << *out.owner << " " << ttl << "IN TLSA " << tlsa::rdata_text(out.record) << "\n";
                } else if (o->format == "rdata") {
                    io.out << tlsa::rdata_text(out.record) << "\n";
                } else if (o->format == "generic") {
                    io.out << *out.owner << " " << ttl << "IN TYPE52 " << tlsa::generic_rdata_text(out.record) << "\n";
                } else {
                    io.out << "update add " << *out.owner << " " << o->ttl.value_or(3600) << " IN TLSA "
                           << tlsa::rdata_text(out.record) << "\n";
                }
            }
        }
        // No "send" after nothing: a pipe into nsupdate then does nothing.
        const bool any =
            std::any_of(results.begin(), results.end(), [](const auto& fr) { return !fr.records.empty(); });
        if (o->format == "nsupdate" && any) {
            io.out << "send\n";
        }
        return code;
    };
}

} // namespace

Command tlsa_command() {
    return {"tlsa", "print the TLSA records for certificates, keys or CSRs", setup};
}

} // namespace mxdane::cli
