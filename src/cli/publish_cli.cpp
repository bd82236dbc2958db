#include "publish_cli.h"

#include "mxdane/endpoint.h"
#include "mxdane/error.h"
#include "mxdane/material.h"
#include "mxdane/names.h"
#include "mxdane/x509.h"

namespace mxdane::cli {

void add_publish_options(CLI::App& app, PublishOptions& opts, bool merged) {
    auto* ns = app.add_option("--nsupdate", opts.nsupdate,
                              "send an RFC 2136 update, TSIG-signed, to SERVER[@PORT] (the zone's primary)");
    auto* key = app.add_option("--tsig-key", opts.tsig_key,
                               "TSIG key file for --nsupdate (BIND tsig-keygen format, or ALG:NAME:SECRET)");
    app.add_option("--zone", opts.zone, "the zone to update (default: found with an SOA query to the server)");
    auto* hook = app.add_option("--publish-hook", opts.hook,
                                "publish by running CMD with /bin/sh (change in MXDANE_* variables and on stdin)");
    app.add_option("--timeout", opts.timeout, "seconds to wait for the server (default 10)")
        ->check(CLI::Range(1U, 3600U));
    if (merged) {
        return; // check_publish_pairs() after the settings file
    }
    ns->needs(key);
    key->needs(ns);
    ns->excludes(hook);
    hook->excludes(ns);
}

void check_publish_pairs(const PublishOptions& opts) {
    const bool ns = !opts.nsupdate.empty();
    const bool key = !opts.tsig_key.empty();
    if (ns != key) {
        throw Error(Errc::bad_input,
                    ns ? "--nsupdate requires --tsig-key (on the command line or in the settings file)"
                       : "--tsig-key requires --nsupdate (on the command line or in the settings file)");
    }
    if (ns && !opts.hook.empty()) {
        throw Error(Errc::bad_input, "--publish-hook excludes --nsupdate: choose one way to publish");
    }
}

std::unique_ptr<publish::Publisher> make_publisher(const PublishOptions& opts) {
    if (opts.nsupdate.empty() && opts.hook.empty()) {
        throw Error(Errc::bad_input, "say how to publish: --nsupdate SERVER --tsig-key FILE, or --publish-hook CMD");
    }
    if (!opts.hook.empty()) {
        publish::HookOptions h;
        h.command = opts.hook;
        if (!opts.zone.empty()) {
            h.zone = opts.zone.back() == '.' ? opts.zone : opts.zone + ".";
        }
        return publish::make_hook_publisher(std::move(h));
    }
    const auto server = sys::parse_endpoint(opts.nsupdate, 53, sys::HostNames::allowed);
    if (!server) {
        throw Error(Errc::bad_input, "--nsupdate: " + server.error());
    }
    publish::NsupdateOptions n;
    n.server = *server;
    n.key = publish::load_tsig_key(opts.tsig_key);
    if (!opts.zone.empty()) {
        n.zone = opts.zone;
    }
    n.timeout = std::chrono::seconds(opts.timeout);
    return publish::make_nsupdate_publisher(std::move(n));
}

Exit exit_for(publish::Status status) {
    using publish::Status;
    switch (status) {
    case Status::ok:
    case Status::unchanged:
        return Exit::ok;
    case Status::refused:
    case Status::notauth:
    case Status::badsig:
    case Status::badkey:
    case Status::badtime:
    case Status::prereq_failed:
    case Status::notzone:
    case Status::formerr:
    case Status::hook_failed:
        return Exit::no;
    case Status::server_failed:
    case Status::bad_reply:
    case Status::unreachable:
    case Status::timeout:
        return Exit::failed;
    }
    return Exit::failed;
}

std::string zone_line_with_ttl(const std::string& owner, const publish::Op& op) {
    return owner + " " + std::to_string(op.ttl) + " IN TLSA " + tlsa::rdata_text(op.record);
}

std::vector<tlsa::Record> records_from_files(const std::vector<std::string>& certs,
                                             const std::vector<std::string>& keys, bool for_publication) {
    // One loader for every command (PEM or DER, chains, keys): the library's.
    std::vector<tlsa::Record> out;
    for (const auto& path : certs) {
        const x509::Material m = x509::load_material_file(path);
        if (m.certs.empty()) {
            throw Error(Errc::bad_input, names::printable(path) + " is a " +
                                             std::string(x509::material_kind_label(m.kind)) +
                                             ", not a certificate: use --key to publish a key's record");
        }
        if (for_publication) {
            x509::require_strong_key(*m.key, "the key of certificate " + names::printable(path), "publish");
        }
        out.push_back(tlsa::for_certificate(tlsa::Usage::dane_ee, tlsa::Selector::spki, tlsa::MatchingType::sha256,
                                            *m.certs.front()));
    }
    for (const auto& path : keys) {
        const x509::Material m = x509::load_material_file(path);
        if (m.kind != x509::MaterialKind::private_key && m.kind != x509::MaterialKind::public_key) {
            throw Error(Errc::bad_input, names::printable(path) + " is a " +
                                             std::string(x509::material_kind_label(m.kind)) +
                                             ", not a key: use --cert to publish a certificate's record");
        }
        if (for_publication) {
            x509::require_strong_key(*m.key, "key " + names::printable(path), "publish");
        }
        out.push_back(tlsa::for_key(tlsa::Usage::dane_ee, tlsa::MatchingType::sha256, *m.key));
    }
    return out;
}

} // namespace mxdane::cli
