#include "publish_cli.h"

#include <openssl/pem.h>

#include "mxdane/error.h"
#include "mxdane/names.h"
#include "mxdane/ossl.h"
#include "mxdane/sys.h"

namespace mxdane::cli {
namespace {

std::string read_whole(const std::string& path, const char* what) {
    return sys::read_file(path, {what, 16 * sys::mib});
}

ossl::BioPtr mem_bio(const std::string& bytes) {
    return ossl::BioPtr(ossl::check(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())), "BIO_new_mem_buf"));
}

/// Never prompt for a passphrase: an encrypted key is refused.
int no_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
    return -1;
}

} // namespace

void add_publish_options(CLI::App& app, PublishOptions& opts) {
    auto* ns = app.add_option("--nsupdate", opts.nsupdate,
                              "send an RFC 2136 update, TSIG-signed, to SERVER[@PORT] (the zone's primary)");
    auto* key = app.add_option("--tsig-key", opts.tsig_key,
                               "TSIG key file for --nsupdate (BIND tsig-keygen format, or ALG:NAME:SECRET)");
    app.add_option("--zone", opts.zone, "the zone to update (default: found with an SOA query to the server)");
    auto* hook = app.add_option("--publish-hook", opts.hook,
                                "publish by running CMD with /bin/sh (change in MXDANE_* variables and on stdin)");
    app.add_option("--timeout", opts.timeout, "seconds to wait for the server (default 10)")
        ->check(CLI::Range(1U, 3600U));
    ns->needs(key);
    key->needs(ns);
    ns->excludes(hook);
    hook->excludes(ns);
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
    const auto server = publish::parse_server(opts.nsupdate);
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
    // (Only PEM here; the loader of issue #3, x509::load_material_file, will
    // take over once merged and bring DER, chains and CSRs.)
    std::vector<tlsa::Record> out;
    for (const auto& path : certs) {
        const std::string bytes = read_whole(path, "certificate");
        const auto bio = mem_bio(bytes);
        ossl::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr));
        if (!cert) {
            ossl::drain_errors();
            throw Error(Errc::bad_input, "certificate " + names::printable(path) + " holds no PEM certificate");
        }
        if (for_publication) {
            x509::require_strong_key(*ossl::check(X509_get0_pubkey(cert.get()), "reading the certificate's key"),
                                     "the key of certificate " + names::printable(path), "publish");
        }
        out.push_back(
            tlsa::for_certificate(tlsa::Usage::dane_ee, tlsa::Selector::spki, tlsa::MatchingType::sha256, *cert));
    }
    for (const auto& path : keys) {
        const std::string bytes = read_whole(path, "key");
        ossl::EvpPkeyPtr key;
        if (bytes.find("-----BEGIN PUBLIC KEY-----") != std::string::npos) {
            const auto bio = mem_bio(bytes);
            key.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, no_passphrase, nullptr));
        } else {
            const auto bio = mem_bio(bytes);
            key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
        }
        if (!key) {
            ossl::drain_errors();
            throw Error(Errc::bad_input, "key " + names::printable(path) +
                                             " holds no PEM private or public key (encrypted keys are not read)");
        }
        if (for_publication) {
            x509::require_strong_key(*key, "key " + names::printable(path), "publish");
        }
        out.push_back(tlsa::for_key(tlsa::Usage::dane_ee, tlsa::MatchingType::sha256, *key));
    }
    return out;
}

} // namespace mxdane::cli
