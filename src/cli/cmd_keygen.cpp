// mxdane keygen HOST [NAME...] (issue #2).
#include <memory>
#include <sstream>

#include "cli.h"
#include "format.h"
#include "mxdane/error.h"
#include "mxdane/keygen.h"
#include "mxdane/store.h"

namespace mxdane::cli {
namespace {

struct KeygenOptions {
    std::vector<std::string> names;
    std::string key = "rsa3072";
    unsigned days = 1096;
    std::uint16_t port = 25;
    std::string key_dir = store::default_key_dir.string();
    std::string cert_dir = store::default_cert_dir.string();
    std::string out_dir;
    std::string key_group;
    bool dry_run = false;
    bool json = false;
};

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

void print_talk(const keygen::Result& r, const keygen::Request& req, Io& io) {
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
           << "  valid until: " << iso_utc(r.not_after) << " (" << req.days << " days)\n"
           << "Next steps:\n"
           << "  1. Publish the 3 1 1 record above in the DNSSEC-signed zone of " << r.names.front()
           << " (3 1 1 pins the key, so it survives a certificate renewal; 3 0 1 breaks at every reissue).\n"
           << "  2. Point the MTA at the two files (Postfix: smtpd_tls_chain_files = " << r.key_path.string() << ", "
           << r.cert_path.string() << ").\n"
           << "  3. Make a fresh key in about a year, publishing its record beside the old one first.\n";
}

Runner setup(CLI::App& app) {
    auto o = std::make_shared<KeygenOptions>();
    app.add_option("HOST NAME", o->names,
                   "the MX host name (certificate CN, first SAN, TLSA owner), then any further names")
        ->required();
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
    app.add_flag("--dry-run", o->dry_run, "generate in memory and print the records; write nothing");
    app.add_flag("--json", o->json, "print one JSON object instead of zone-file lines (README \"JSON\")");
    app.footer("Example:\n  mxdane keygen mx1.example.net example.net\n  mxdane keygen --key p256 --out ./keys "
               "mx1.example.net");

    return [o, out, key_group](Io& io) {
        if (out->count() > 0 && o->out_dir.empty()) {
            throw Error(Errc::bad_input, "--out needs a directory");
        }
        if (key_group->count() > 0 && o->key_group.empty()) {
            throw Error(Errc::bad_input, "--key-group needs a group name");
        }
        keygen::Request req;
        req.names = o->names;
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
        if (!o->key_group.empty()) {
            req.key_group = o->key_group;
        }
        req.dry_run = o->dry_run;
        req.now = x509::Clock::now();

        const keygen::Result r = keygen::run(req);

        if (o->json) {
            nlohmann::json j = json_top("keygen", static_cast<int>(Exit::ok), {});
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
            io.out << j.dump(2) << "\n";
        } else {
            for (const auto& rec : r.records) {
                io.out << tlsa::zone_line(r.owner, rec) << "\n";
            }
        }
        io.out.flush();
        print_talk(r, req, io);
        return Exit::ok;
    };
}

} // namespace

Command keygen_command() {
    return {"keygen", "make an MX key, a self-signed certificate, and its TLSA records", setup};
}

} // namespace mxdane::cli
