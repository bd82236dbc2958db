// mxdane verify (--cert FILE | --key FILE) --tlsa RRSET (issue #3): offline
// proof that a certificate or key matches what the zone publishes.
#include <algorithm>
#include <memory>

#include "cli.h"
#include "flags.h"
#include "format.h"
#include "mxdane/error.h"
#include "mxdane/material.h"
#include "mxdane/names.h"
#include "mxdane/sys.h"
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
    std::uint16_t port = 25;
    bool json = false;
};

/// One entry of the output: a record or a malformed line, by position.
struct Line {
    std::string source;
    std::size_t line = 0;
    std::optional<tlsa::RecordResult> result;
    std::string malformed;
    std::optional<std::string> owner; ///< as the zone file reads it
    std::optional<std::uint32_t> ttl;
};

std::string read_text(const std::string& path) {
    return sys::read_file(path, {"RRset file", 16 * sys::mib, true});
}

std::string short_hex(const tlsa::Bytes& data) {
    const std::string hex = tlsa::to_hex(data);
    return hex.size() > 128 ? hex.substr(0, 64) + "...(" + std::to_string(data.size()) + " octets)" : hex;
}

/// The certificates to verify, in the order a server sends them (checked).
struct Subject {
    std::string file;
    x509::Material material;
    std::optional<x509::Material> extra;
};

std::string record_line(const tlsa::RecordResult& r) {
    std::string out = std::to_string(r.record.usage) + " " + std::to_string(r.record.selector) + " " +
                      std::to_string(r.record.mtype) + " " + short_hex(r.record.data) + ": ";
    if (r.outcome == tlsa::Outcome::other_owner) {
        return out + with_flags(r.reason);
    }
    out += tlsa::outcome_label(r.outcome);
    if (r.outcome == tlsa::Outcome::match || r.outcome == tlsa::Outcome::no_match) {
        return out + " (" + with_flags(r.reason) + ")";
    }
    return out + ": " + with_flags(r.reason);
}

Runner setup(CLI::App& app) {
    auto o = std::make_shared<VerifyOptions>();
    auto* cert = app.add_option("--cert", o->cert, "certificate (or chain, leaf first) to verify");
    auto* key = app.add_option("--key", o->key, "key (private or public, or a CSR): is its 3 1 x record published?");
    cert->excludes(key);
    app.add_option("--chain", o->chain, "further certificates the server sends (for usage 2)");
    app.add_option("--tlsa", o->tlsa, "TLSA records as text (repeatable; '-' reads stdin)");
    app.add_option("--tlsa-file", o->tlsa_files, "a file with TLSA records ('-': stdin)");
    app.add_option("--host", o->host,
                   "MX host: records count only at _PORT._tcp.HOST. (default: the certificate's name); "
                   "DANE-TA (usage 2) checks this name (RFC 7672 §3.2)");
    add_port_option(app, o->port, "port in the owner name _PORT._tcp.HOST., 1-65535 (default 25)");
    app.add_flag("--json", o->json, "print one JSON object (README \"JSON\")");
    app.footer("Examples:\n  mxdane verify --cert mx1.crt --tlsa '3 1 1 d5d3e6...'\n"
               "  dig +short tlsa _25._tcp.mx1.example.net | mxdane verify --cert mx1.crt --tlsa-file -\n"
               "  mxdane verify --key next.key --host mx1.example.net --tlsa-file rrset.txt   # is my next key "
               "published?");

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
        const bool key_mode = o->cert.empty();
        const std::string subject_file = key_mode ? o->key : o->cert;
        Subject subject{subject_file, x509::load_material_file(subject_file), std::nullopt};
        if (!key_mode && subject.material.certs.empty()) {
            throw Error(Errc::bad_input, o->cert + " is a " +
                                             std::string(x509::material_kind_label(subject.material.kind)) +
                                             ", not a certificate: use --key to check a key");
        }
        std::vector<X509*> chain;
        for (const auto& c : subject.material.certs) {
            chain.push_back(c.get());
        }
        if (!o->chain.empty() && !key_mode) {
            subject.extra = x509::load_material_file(o->chain);
            for (const auto& c : subject.extra->certs) {
                chain.push_back(c.get());
            }
        }
        if (!key_mode) {
            std::vector<ossl::X509Ptr> copies;
            for (X509* c : chain) {
                X509_up_ref(c);
                copies.emplace_back(c);
            }
            if (const auto problem = x509::chain_order_problem(copies); !problem.empty()) {
                throw Error(Errc::bad_input,
                            (o->chain.empty() ? o->cert : o->cert + " + " + o->chain) + ": " + problem);
            }
        }
        std::vector<std::string> warnings;
        // RFC 7672 §2.2.3: a sender looks only at _25._tcp.<MX host>. in class IN.
        std::optional<std::string> owner_host = host;
        if (!owner_host) {
            if (auto h = x509::host_name(subject.material); h) {
                owner_host = std::move(h).value();
            }
        }
        const std::optional<std::string> expected_owner =
            owner_host ? std::optional<std::string>(tlsa::owner(*owner_host, o->port)) : std::nullopt;

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
        std::vector<tlsa::SkippedType> skipped;
        bool owners_unchecked = false;
        for (const auto& [name, text] : sources) {
            const auto parsed = tlsa::parse_rrset(text);
            std::vector<Line> here;
            for (const auto& e : parsed.errors) {
                here.push_back({name, e.line, std::nullopt, e.reason, std::nullopt, std::nullopt});
            }
            for (const auto& r : parsed.records) {
                Line l{name, r.line,  tlsa::RecordResult{r.record, tlsa::Outcome::no_match, "", false},
                       "",   r.owner, r.ttl};
                if (expected_owner) {
                    if (auto why = tlsa::owner_problem(r, *expected_owner); !why.empty()) {
                        l.result->outcome = tlsa::Outcome::other_owner;
                        l.result->reason = std::move(why);
                    }
                } else if (r.owner || r.rr_class != "IN") {
                    if (auto why = tlsa::owner_problem(
                            tlsa::ParsedRecord{r.line, r.record, std::nullopt, r.rr_class, r.ttl}, "the host");
                        !why.empty()) {
                        l.result->outcome = tlsa::Outcome::other_owner;
                        l.result->reason = std::move(why);
                    }
                    owners_unchecked = owners_unchecked || r.owner.has_value();
                }
                here.push_back(std::move(l));
            }
            std::stable_sort(here.begin(), here.end(), [](const Line& a, const Line& b) { return a.line < b.line; });
            lines.insert(lines.end(), here.begin(), here.end());
            for (const auto& sk : parsed.skipped) {
                auto it = std::find_if(skipped.begin(), skipped.end(),
                                       [&](const tlsa::SkippedType& t) { return t.type == sk.type; });
                if (it == skipped.end()) {
                    skipped.push_back(sk);
                } else {
                    it->count += sk.count;
                }
            }
        }
        if (owners_unchecked) {
            warnings.push_back("owner names not checked: give --host (a " +
                               std::string(x509::material_kind_label(subject.material.kind)) +
                               " names no host); a sender looks only at _" + std::to_string(o->port) +
                               "._tcp.<MX host>.");
        }
        for (const auto& l : lines) {
            if (l.result && l.result->outcome != tlsa::Outcome::other_owner) {
                rrset.push_back(l.result->record);
            }
        }
        if (lines.empty()) {
            throw Error(Errc::bad_input,
                        "the TLSA RRset is empty: no TLSA record in the text given" +
                            (skipped.empty() ? std::string() : " (only " + tlsa::skipped_summary(skipped) + ")"));
        }

        tlsa::Verification v;
        if (!key_mode) {
            tlsa::CertCheck check;
            check.chain = chain;
            check.host = host ? host : owner_host;
            check.now = x509::Clock::now();
            v = tlsa::verify_certificate(rrset, check);
        } else {
            v = tlsa::verify_key(rrset, *subject.material.key);
        }
        std::size_t next = 0;
        std::vector<tlsa::RecordResult> all;
        for (auto& l : lines) {
            if (l.result && l.result->outcome != tlsa::Outcome::other_owner) {
                l.result = v.records.at(next++);
            }
            if (l.result) {
                all.push_back(*l.result);
            }
        }
        if (rrset.empty()) {
            // Every record is at another owner or class: a sender sees none.
            v.verdict = tlsa::Verdict::no_records;
            v.reason = tlsa::judge(all, key_mode ? "key" : "certificate").second;
            if (key_mode) {
                v.reason = "not published: " + v.reason;
            }
        }
        std::string verdict_label = tlsa::verdict_label(v.verdict);
        if (key_mode) {
            verdict_label = v.verdict == tlsa::Verdict::authenticated ? "published" : "not published";
        }
        const Exit code = v.verdict == tlsa::Verdict::authenticated ? Exit::ok : Exit::no;
        const bool one_source = sources.size() == 1;
        const auto where = [&](const Line& l) {
            return (one_source ? std::string() : names::printable(l.source) + " ") + "line " + std::to_string(l.line);
        };

        for (const auto& w : warnings) {
            io.err << "warning: " << w << "\n";
        }
        if (o->json) {
            nlohmann::json j = json_top("verify", static_cast<int>(code), warnings);
            j[key_mode ? "key" : "cert"] = subject_file;
            j["owner"] = expected_owner ? nlohmann::json(*expected_owner) : nlohmann::json(nullptr);
            j["records"] = nlohmann::json::array();
            j["malformed"] = nlohmann::json::array();
            for (const auto& l : lines) {
                if (l.result) {
                    const auto& r = *l.result;
                    j["records"].push_back({{"source", l.source},
                                            {"line", l.line},
                                            {"record", tlsa_json(l.owner.value_or(""), r.record, l.ttl)},
                                            {"outcome", tlsa::outcome_label(r.outcome)},
                                            {"reason", with_flags(r.reason)}});
                } else {
                    j["malformed"].push_back({{"source", l.source}, {"line", l.line}, {"reason", l.malformed}});
                }
            }
            j["skipped"] = nlohmann::json::object();
            for (const auto& sk : skipped) {
                j["skipped"][sk.type] = sk.count;
            }
            j["verdict"] = verdict_label;
            j["reason"] = with_flags(v.reason);
            // Owners from the RRset text may be invalid UTF-8: replaced, not thrown on.
            io.out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
            return code;
        }
        for (const auto& l : lines) {
            io.out << where(l) << ": ";
            if (!l.result) {
                io.out << "malformed: " << l.malformed << "\n";
                continue;
            }
            io.out << record_line(*l.result) << "\n";
        }
        if (!skipped.empty()) {
            std::size_t n = 0;
            for (const auto& sk : skipped) {
                n += sk.count;
            }
            io.out << "skipped: " << n << " record" << (n == 1 ? "" : "s") << " of other types ("
                   << tlsa::skipped_summary(skipped) << ")\n";
        }
        // A key's reason already starts with its answer ("published: ...").
        const bool labelled = v.reason.rfind(verdict_label + ": ", 0) == 0;
        io.out << "verdict: " << with_flags(labelled ? v.reason : verdict_label + ": " + v.reason) << "\n";
        return code;
    };
}

} // namespace

Command verify_command() {
    return {"verify", "check a certificate or key against a TLSA RRset, offline", setup};
}

} // namespace mxdane::cli
