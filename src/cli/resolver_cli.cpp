#include "resolver_cli.h"

#include "mxdane/endpoint.h"
#include "mxdane/error.h"

namespace mxdane::cli {
namespace {

template <typename T> T parsed(const Expected<T>& e, const std::string& option) {
    if (!e) {
        throw Error(Errc::bad_input, option + ": " + e.error());
    }
    return *e;
}

} // namespace

void add_resolver_options(CLI::App& app, ResolverCli& r) {
    // allow_extra_args(false): a repeatable option must not swallow the
    // positional argument that follows it.
    app.add_option("--trust-anchor", r.trust_anchors,
                   "file of DS or DNSKEY lines (repeatable; default /usr/share/dns/root.key)")
        ->allow_extra_args(false);
    app.add_option("--forward", r.forwarders, "ADDR[@PORT]: send queries to this resolver (answers still validated)")
        ->allow_extra_args(false);
    app.add_option("--stub", r.stubs, "ZONE=ADDR[@PORT]: ask this server for ZONE (repeatable)")
        ->allow_extra_args(false);
    app.add_option("--resolver-option", r.options, "NAME:VALUE passed to libunbound (repeatable)")
        ->allow_extra_args(false);
}

dns::UnboundOptions to_unbound_options(const ResolverCli& r) {
    dns::UnboundOptions o;
    o.trust_anchor_files = r.trust_anchors;
    for (const auto& f : r.forwarders) {
        o.forwarders.push_back(parsed(sys::parse_endpoint(f, 53, sys::HostNames::refused), "--forward"));
    }
    for (const auto& s : r.stubs) {
        o.stubs.push_back(parsed(dns::parse_stub(s), "--stub"));
    }
    for (const auto& opt : r.options) {
        o.options.push_back(parsed(dns::parse_resolver_option(opt), "--resolver-option"));
    }
    return o;
}

} // namespace mxdane::cli
