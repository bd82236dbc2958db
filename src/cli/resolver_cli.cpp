#include "resolver_cli.h"

#include "mxdane/error.h"

namespace mxdane::cli {
namespace {

template <typename T> T parsed(const Expected<T>& e, const std::string& option, const std::string& value) {
    if (!e) {
        throw Error(Errc::bad_input, option + " '" + value + "': " + e.error());
    }
    return *e;
}

} // namespace

void add_resolver_options(CLI::App& app, ResolverCli& r) {
    app.add_option("--trust-anchor", r.trust_anchors,
                   "file of DS or DNSKEY lines to trust (repeatable; default /usr/share/dns/root.key)");
    app.add_option("--forward", r.forwarders, "ADDR[@PORT]: forward queries there (answers are still validated)");
    app.add_option("--stub", r.stubs, "ZONE=ADDR[@PORT]: ask this server for this zone (repeatable)");
    app.add_option("--resolver-option", r.options, "NAME:VALUE passed to libunbound (repeatable)");
}

dns::UnboundOptions to_unbound_options(const ResolverCli& r) {
    dns::UnboundOptions o;
    o.trust_anchor_files = r.trust_anchors;
    for (const auto& f : r.forwarders) {
        o.forwarders.push_back(parsed(dns::parse_server_addr(f), "--forward", f));
    }
    for (const auto& s : r.stubs) {
        o.stubs.push_back(parsed(dns::parse_stub(s), "--stub", s));
    }
    for (const auto& opt : r.options) {
        o.options.push_back(parsed(dns::parse_resolver_option(opt), "--resolver-option", opt));
    }
    return o;
}

} // namespace mxdane::cli
