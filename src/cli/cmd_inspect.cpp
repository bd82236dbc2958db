// mxdane inspect FILE... (issue #3): a certificate or key explained the way
// a DANE expert would read it.
#include <memory>

#include "cli.h"
#include "format.h"
#include "mxdane/error.h"
#include "mxdane/inspect.h"
#include "mxdane/material.h"
#include "mxdane/names.h"

namespace mxdane::cli {
namespace {

struct InspectOptions {
    std::vector<std::string> files;
    std::string key;
    bool json = false;
};

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) {
        out += (out.empty() ? "" : ", ") + names::printable(s); // the certificate's text, as encoded
    }
    return out;
}

nlohmann::json to_json(const std::string& file, const inspect::Report& r, const std::string& key_file,
                       const std::string& owner) {
    nlohmann::json j;
    j["file"] = file;
    j["error"] = nullptr;
    j["kind"] = std::string(x509::material_kind_label(r.kind));
    j["encoding"] = r.pem ? "PEM" : "DER";
    j["key"] = {{"algorithm", r.key.algorithm}, {"bits", r.key.bits}, {"label", r.key.label}};
    if (r.has_cert) {
        j["subject"] = r.subject;
        j["dns_names"] = r.dns_names;
        j["issuer"] = r.issuer;
        j["self_signed"] = r.self_signed;
        j["ca"] = r.ca;
        j["serial"] = r.serial;
        j["signature"] = r.signature;
        j["not_before"] = time_json(r.not_before);
        j["not_after"] = time_json(r.not_after);
        j["days_left"] = r.days_left;
        j["chain_length"] = r.chain_length;
    }
    j["tlsa"] = nlohmann::json::array();
    for (const auto& rec : r.records) {
        j["tlsa"].push_back(tlsa_json(owner, rec));
    }
    if (r.key_matches) {
        j["key_file"] = key_file;
        j["key_matches"] = *r.key_matches;
    }
    j["warnings"] = r.warnings;
    return j;
}

void print_text(const std::string& file, const inspect::Report& r, const std::string& key_file, Io& io) {
    io.out << file << ": " << x509::material_kind_label(r.kind) << " (" << (r.pem ? "PEM" : "DER") << ")\n";
    if (r.has_cert) {
        io.out << "  subject:    " << r.subject << "\n"
               << "  DNS names:  " << (r.dns_names.empty() ? "(none)" : join(r.dns_names)) << "\n"
               << "  issuer:     " << r.issuer << (r.self_signed ? " (self-signed)" : "") << "\n";
        if (r.chain_length > 1) {
            io.out << "  chain:      " << r.chain_length << " certificates\n";
        }
    }
    io.out << "  key:        " << r.key.label << "\n";
    if (r.has_cert) {
        io.out << "  serial:     " << r.serial << "\n"
               << "  signature:  " << r.signature << "\n"
               << "  CA:         " << (r.ca ? "TRUE" : "FALSE") << "\n"
               << "  valid:      " << iso_utc(r.not_before) << " to " << iso_utc(r.not_after) << " ("
               << (r.days_left >= 0 ? std::to_string(r.days_left) + " days left"
                                    : "expired " + std::to_string(-r.days_left) + " days ago")
               << ")\n";
    }
    for (const auto& rec : r.records) {
        io.out << "  TLSA:       " << tlsa::rdata_text(rec) << "\n";
    }
    if (r.key_matches) {
        io.out << "  key file:   " << key_file << (*r.key_matches ? " matches" : " does NOT match") << "\n";
    }
    for (const auto& w : r.warnings) {
        io.out << "  warning:    " << w << "\n";
    }
}

Runner setup(CLI::App& app) {
    auto o = std::make_shared<InspectOptions>();
    app.add_option("FILE", o->files, "certificate, chain, private key, public key or CSR; PEM or DER")->required();
    app.add_option("--key", o->key, "check that this key file belongs to each FILE");
    app.add_flag("--json", o->json, "print one JSON object, a member per file (README \"JSON\")");
    app.footer("Examples:\n  mxdane inspect --key /etc/pki/tls/private/mx1.key /etc/pki/tls/certs/mx1.crt\n"
               "  mxdane inspect --json /etc/pki/tls/certs/mx1.example.net-MX.crt   # for scripts");

    return [o](Io& io) {
        std::optional<x509::Material> key;
        if (!o->key.empty()) {
            key = x509::load_material_file(o->key);
        }
        const auto now = x509::Clock::now();
        // Each file gets its report or its one-line error; the others go on.
        struct Entry {
            std::string file;
            std::optional<inspect::Report> report;
            std::string owner;
            std::string error;
        };
        std::vector<Entry> entries;
        Exit code = Exit::ok;
        bool mismatch = false;
        for (const auto& f : o->files) {
            Entry e{f, std::nullopt, "", ""};
            try {
                const x509::Material m = x509::load_material_file(f);
                if (const auto problem = x509::chain_order_problem(m.certs); !problem.empty()) {
                    throw Error(Errc::bad_input, names::printable(f) + ": " + problem);
                }
                if (auto h = x509::host_name(m); h) {
                    // A name too long for an owner gets no record line.
                    if (auto owner = tlsa::owner_name(*h, 25); owner) {
                        e.owner = std::move(owner).value();
                    }
                }
                e.report = inspect::inspect(m, key ? key->key.get() : nullptr, now);
                mismatch = mismatch || (e.report->key_matches && !*e.report->key_matches);
            } catch (const Error& err) {
                e.error = err.what();
                const Exit c = exit_for(err.code());
                if (code == Exit::ok || (c == Exit::failed && code != Exit::failed)) {
                    code = c;
                }
            }
            entries.push_back(std::move(e));
        }
        // A key that does not belong is the one "checked, and no" here.
        if (code == Exit::ok && mismatch) {
            code = Exit::no;
        }
        if (o->json) {
            nlohmann::json j = json_top("inspect", static_cast<int>(code), {});
            j["files"] = nlohmann::json::array();
            for (const auto& e : entries) {
                j["files"].push_back(e.report ? to_json(e.file, *e.report, o->key, e.owner)
                                              : nlohmann::json{{"file", e.file}, {"error", e.error}});
            }
            // Text from the files may be invalid UTF-8: replaced, not thrown on.
            io.out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        } else {
            bool first = true;
            for (const auto& e : entries) {
                if (!e.report) {
                    continue;
                }
                if (!first) {
                    io.out << "\n";
                }
                first = false;
                print_text(names::printable(e.file), *e.report, o->key, io);
            }
        }
        for (const auto& e : entries) {
            if (!e.error.empty()) {
                io.err << "error: " << e.error << "\n";
            }
        }
        return code;
    };
}

} // namespace

Command inspect_command() {
    return {"inspect", "explain certificates and keys: names, dates, key, TLSA records, warnings", setup};
}

} // namespace mxdane::cli
