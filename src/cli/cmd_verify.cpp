// mxdane verify (--cert FILE | --key FILE) --tlsa RRSET (issue #3): offline
// proof that a certificate or key matches what the zone publishes.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli.h"
#include "format.h"
#include "mxdane/error.h"
#include "mxdane/material.h"
#include "mxdane/names.h"
#include "mxdane/tlsa_match.h"
#include "mxdane/tlsa_parse.h"

namespace mxdane::cli {
namespace {

struct VerifyOptions {
    std::string cert;
    std::string key;
    std::string chain;
    std::vector<std::string> tlsa;
    std::vector<std::string> tlsa_files;
    std::string host;
    bool json = false;
};

/// One entry of the output: a record or a malformed line, by position.
struct Line {
    std::string source;
    std::size_t line = 0;
    std::optional<tlsa::RecordResult> result;
    std::string malformed;
};

std::string read_text(const std::string& path) {
    if (path == "-") {
        std::ostringstream ss;
        ss << std::cin.rdbuf();
        return ss.str();
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw Error(Errc::io, "cannot read " + path + ": " + std::strerror(errno));
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string short_hex(const tlsa::Bytes& data) {
    const std::string hex = tlsa::to_hex(data);
    return hex.size() > 128 ? hex.substr(0, 64) + "...(" + std::to_string(data.size()) + " octets)" : hex;
}

Runner setup(CLI::App& app) {
    auto o = std::make_shared<VerifyOptions>();
    auto* cert = app.add_option("--cert", o->cert, "certificate (or chain, leaf first) to verify");
    auto* key = app.add_option("--key", o->key, "key (private or public, or a CSR) to verify against 3 1 x records");
    cert->excludes(key);
    app.add_option("--chain", o->chain, "further certificates the server sends (for usage 2)");
    app.add_option("--tlsa", o->tlsa, "TLSA records as text (repeatable; '-' reads stdin)");
    app.add_option("--tlsa-file", o->tlsa_files, "a file with TLSA records ('-': stdin)");
    app.add_option("--host", o->host, "MX host: the name DANE-TA (usage 2) checks (RFC 7672 §3.2)");
    app.add_flag("--json", o->json, "print one JSON object");
    app.footer("Examples:\n  mxdane verify --cert mx1.crt --tlsa '3 1 1 d5d3e6...'\n"
               "  dig +short tlsa _25._tcp.mx1.example.net | mxdane verify --cert mx1.crt --tlsa-file -\n"
               "  mxdane verify --key next.key --tlsa-file rrset.txt   # is my next key published?");

    return [o](Io& io) {
        if (o->cert.empty() == o->key.empty()) {
            throw Error(Errc::bad_input, "give --cert FILE or --key FILE");
        }
        if (o->tlsa.empty() && o->tlsa_files.empty()) {
            throw Error(Errc::bad_input, "give the TLSA RRset: --tlsa 'TEXT', --tlsa-file FILE or --tlsa-file -");
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
        // Sources: each --tlsa text and each file, parsed on its own so that
        // line numbers mean something.
        std::vector<std::pair<std::string, std::string>> sources;
        for (std::size_t i = 0; i < o->tlsa.size(); ++i) {
            sources.emplace_back(o->tlsa.size() == 1 ? "--tlsa" : "--tlsa #" + std::to_string(i + 1),
                                 o->tlsa[i] == "-" ? read_text("-") : o->tlsa[i]);
        }
        for (const auto& f : o->tlsa_files) {
            sources.emplace_back(f == "-" ? "stdin" : f, read_text(f));
        }
        std::vector<Line> lines;
        std::vector<tlsa::Record> rrset;
        for (const auto& [name, text] : sources) {
            const auto parsed = tlsa::parse_rrset(text);
            std::vector<Line> here;
            for (const auto& e : parsed.errors) {
                here.push_back({name, e.line, std::nullopt, e.reason});
            }
            for (const auto& r : parsed.records) {
                here.push_back({name, r.line, tlsa::RecordResult{r.record, tlsa::Outcome::no_match, ""}, ""});
            }
            std::stable_sort(here.begin(), here.end(), [](const Line& a, const Line& b) { return a.line < b.line; });
            lines.insert(lines.end(), here.begin(), here.end());
        }
        for (const auto& l : lines) {
            if (l.result) {
                rrset.push_back(l.result->record);
            }
        }
        if (lines.empty()) {
            throw Error(Errc::bad_input, "the TLSA RRset is empty: no record in the text given");
        }

        tlsa::Verification v;
        std::string subject_file;
        if (!o->cert.empty()) {
            subject_file = o->cert;
            const x509::Material m = x509::load_material_file(o->cert);
            if (m.certs.empty()) {
                throw Error(Errc::bad_input, o->cert + " is a " + std::string(x509::material_kind_label(m.kind)) +
                                                 ", not a certificate: use --key to check a key");
            }
            tlsa::CertCheck check;
            for (const auto& c : m.certs) {
                check.chain.push_back(c.get());
            }
            std::optional<x509::Material> extra;
            if (!o->chain.empty()) {
                extra = x509::load_material_file(o->chain);
                for (const auto& c : extra->certs) {
                    check.chain.push_back(c.get());
                }
            }
            check.host = host;
            check.now = x509::Clock::now();
            v = tlsa::verify_certificate(rrset, check);
        } else {
            subject_file = o->key;
            const x509::Material m = x509::load_material_file(o->key);
            v = tlsa::verify_key(rrset, *m.key);
        }
        std::size_t next = 0;
        for (auto& l : lines) {
            if (l.result) {
                l.result = v.records.at(next++);
            }
        }
        const bool one_source = sources.size() == 1;
        const auto where = [&](const Line& l) {
            return (one_source ? std::string() : l.source + " ") + "line " + std::to_string(l.line);
        };

        if (o->json) {
            nlohmann::json j;
            j[o->cert.empty() ? "key" : "cert"] = subject_file;
            j["records"] = nlohmann::json::array();
            j["malformed"] = nlohmann::json::array();
            for (const auto& l : lines) {
                if (l.result) {
                    const auto& r = *l.result;
                    j["records"].push_back({{"source", l.source},
                                            {"line", l.line},
                                            {"usage", r.record.usage},
                                            {"selector", r.record.selector},
                                            {"mtype", r.record.mtype},
                                            {"data", tlsa::to_hex(r.record.data)},
                                            {"outcome", tlsa::outcome_label(r.outcome)},
                                            {"reason", r.reason}});
                } else {
                    j["malformed"].push_back({{"source", l.source}, {"line", l.line}, {"reason", l.malformed}});
                }
            }
            j["verdict"] = tlsa::verdict_label(v.verdict);
            j["reason"] = v.reason;
            io.out << j.dump(2) << "\n";
        } else {
            for (const auto& l : lines) {
                io.out << where(l) << ": ";
                if (!l.result) {
                    io.out << "malformed: " << l.malformed << "\n";
                    continue;
                }
                const auto& r = *l.result;
                io.out << std::to_string(r.record.usage) << " " << std::to_string(r.record.selector) << " "
                       << std::to_string(r.record.mtype) << " " << short_hex(r.record.data) << ": "
                       << tlsa::outcome_label(r.outcome);
                if (r.outcome == tlsa::Outcome::match || r.outcome == tlsa::Outcome::no_match) {
                    io.out << " (" << r.reason << ")\n";
                } else {
                    io.out << ": " << r.reason << "\n";
                }
            }
            io.out << "verdict: " << tlsa::verdict_label(v.verdict) << ": " << v.reason << "\n";
        }
        return v.verdict == tlsa::Verdict::authenticated ? Exit::ok : Exit::no;
    };
}

} // namespace

Command verify_command() {
    return {"verify", "check a certificate or key against a TLSA RRset, offline", setup};
}

} // namespace mxdane::cli
