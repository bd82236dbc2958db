// mxdane publish HOST / mxdane unpublish HOST (issue #6): add or delete the
// 3 1 1 records of the given keys through RFC 2136 or a hook.
#include <algorithm>
#include <memory>

#include "cli.h"
#include "flags.h"
#include "format.h"
#include "mxdane/error.h"
#include "mxdane/names.h"
#include "mxdane/publish.h"
#include "publish_cli.h"

namespace mxdane::cli {
namespace {

struct Options {
    std::string host;
    std::vector<std::string> certs;
    std::vector<std::string> keys;
    std::uint32_t ttl = 3600;
    std::uint16_t port = 25;
    bool dry_run = false;
    PublishOptions backend;
    bool json = false;
};

std::string plural(std::size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

Runner setup(CLI::App& app, publish::Action action) {
    auto o = std::make_shared<Options>();
    const bool add = action == publish::Action::add;
    app.add_option("HOST", o->host, "the MX host name (TLSA owner _25._tcp.HOST.)")->required();
    app.add_option("--cert", o->certs,
                   add ? "publish the 3 1 1 record of this certificate's key (PEM)"
                       : "delete the 3 1 1 record of this certificate's key (PEM)");
    app.add_option("--key", o->keys,
                   add ? "publish the 3 1 1 record of this key (PEM private or public key)"
                       : "delete the 3 1 1 record of this key (PEM private or public key)");
    if (add) {
        app.add_option("--ttl", o->ttl, "TTL of the added records (default 3600)")->check(CLI::Range(0U, 2147483647U));
    }
    add_port_option(app, o->port, "TCP port in the TLSA owner name, 1-65535 (default 25)");
    add_publish_options(app, o->backend);
    app.add_flag("--json", o->json, "print one JSON object (README \"JSON\"); the hook's output still goes to stderr");
    app.add_flag("--dry-run", o->dry_run, "print the change (as an nsupdate script) and send nothing");
    if (add) {
        app.footer("Examples:\n"
                   "  mxdane publish mx1.example.net --key /etc/pki/tls/private/mx1.example.net-2025.key \\\n"
                   "      --nsupdate ns1.example.net --tsig-key /etc/mxdane/mx1.tsig\n"
                   "  mxdane publish mx1.example.net --cert mx1.crt --publish-hook /usr/local/bin/dns-api-hook\n"
                   "The record counts once a validating resolver sees it secure: mxdane rollover status confirms.");
    } else {
        app.footer("Examples:\n"
                   "  mxdane unpublish mx1.example.net --key old.key --nsupdate ns1.example.net --tsig-key mx1.tsig\n"
                   "  mxdane unpublish mx1.example.net --cert old.crt --publish-hook /usr/local/bin/dns-api-hook\n"
                   "Deletes exactly these records, never the whole RRset.");
    }

    return [o, action, add](Io& io) {
        const auto host = names::normalize_host(o->host);
        if (!host) {
            throw Error(Errc::bad_input, "HOST '" + names::printable(o->host) + "': " + host.error());
        }
        if (o->certs.empty() && o->keys.empty()) {
            throw Error(Errc::bad_input, std::string("name the records to ") + (add ? "publish" : "delete") +
                                             " with --cert FILE or --key FILE");
        }
        auto publisher = make_publisher(o->backend);

        publish::Change change;
        change.host = *host;
        change.owner = tlsa::owner(*host, o->port);
        for (auto& rec : records_from_files(o->certs, o->keys, add)) {
            publish::Op op{action, o->ttl, std::move(rec)};
            if (std::find(change.ops.begin(), change.ops.end(), op) == change.ops.end()) {
                change.ops.push_back(std::move(op));
            }
        }

        if (o->dry_run) {
            io.out << publish::nsupdate_script(
                change, o->backend.zone.empty() ? std::nullopt : std::optional<std::string>(o->backend.zone));
            io.err << "Dry run: would send this change via " << publisher->describe() << "; nothing was changed.\n";
            return Exit::ok;
        }
        publish::Outcome r = publisher->apply(change);
        r.message = with_flags(std::move(r.message)); // the library names settings in words
        if (o->json) {
            const Exit code = r.done() ? Exit::ok : exit_for(r.status);
            nlohmann::json j = json_top(add ? "publish" : "unpublish", static_cast<int>(code), {});
            j["host"] = *host;
            j["owner"] = change.owner;
            j["zone"] = r.zone.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.zone);
            j["status"] = std::string(publish::status_name(r.status));
            j["message"] = r.message;
            for (const char* k : {"applied", "skipped"}) {
                j[k] = nlohmann::json::array();
                for (const auto& op : std::string(k) == "applied" ? r.applied : r.skipped) {
                    j[k].push_back(
                        tlsa_json(change.owner, op.record, add ? std::optional<std::uint32_t>(op.ttl) : std::nullopt));
                }
            }
            io.out << j.dump(2) << "\n";
            if (!r.done()) {
                io.err << "error: " << r.message << "\n";
            }
            return code;
        }
        for (const auto& op : r.applied) {
            // A delete names the record only; its TTL plays no part.
            io.out << (add ? zone_line_with_ttl(change.owner, op) : tlsa::zone_line(change.owner, op.record)) << "\n";
        }
        io.out.flush();
        if (!r.done()) {
            io.err << "error: " << r.message << "\n";
            return exit_for(r.status);
        }
        for (const auto& op : r.skipped) {
            io.err << (add ? "Already published: " : "Already absent: ") << change.owner << " IN TLSA "
                   << tlsa::rdata_text(op.record) << "\n";
        }
        if (!r.applied.empty()) {
            io.err << (add ? "Published " : "Deleted ") << plural(r.applied.size(), "record")
                   << (add ? " at " : " from ") << change.owner
                   << (r.zone.empty() ? std::string() : " in zone " + r.zone) << ": " << r.message << ".\n";
        } else {
            io.err << "Nothing to change: " << r.message << ".\n";
        }
        if (add) {
            io.err << "It counts only once a validating resolver sees it secure; 'mxdane rollover status " << *host
                   << "' will confirm. Do not switch the MTA to a new key before then.\n";
        } else {
            io.err << "Resolvers may serve the old record until its TTL runs out; the server's yes is not yet "
                      "what senders see ('mxdane rollover status "
                   << *host << "' will confirm).\n";
        }
        return Exit::ok;
    };
}

} // namespace

Command publish_command() {
    return {"publish", "add the 3 1 1 TLSA records of keys through RFC 2136 (TSIG) or a hook",
            [](CLI::App& app) { return setup(app, publish::Action::add); }};
}

Command unpublish_command() {
    return {"unpublish", "delete exactly the TLSA records of the given keys (never the whole RRset)",
            [](CLI::App& app) { return setup(app, publish::Action::remove); }};
}

} // namespace mxdane::cli
