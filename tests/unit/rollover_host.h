// A host under rollover in a temporary directory, for unit tests that need
// real key files: keygen (P-256) into private/ and certs/, then
// `rollover init`, the state in state/.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "mxdane/keygen.h"
#include "mxdane/rollover.h"

namespace mxdane::test {

struct RolloverHost {
    mxdane::rollover::Layout layout;
    mxdane::rotation::State state;
};

/// The key made at `made`, adopted at `now`; names[0] is the host.
inline RolloverHost make_rollover_host(const std::filesystem::path& dir, const std::vector<std::string>& names,
                                       mxdane::rotation::TimePoint made, mxdane::rotation::TimePoint now) {
    RolloverHost h;
    h.layout.host = names.front();
    h.layout.key_dir = dir / "private";
    h.layout.cert_dir = dir / "certs";
    h.layout.state_dir = dir / "state";
    mxdane::keygen::Request k;
    k.names = names;
    k.key_type = mxdane::x509::KeyType::p256;
    k.key_dir = h.layout.key_dir;
    k.cert_dir = h.layout.cert_dir;
    k.now = made;
    (void)mxdane::keygen::run(k);
    mxdane::rollover::InitRequest i;
    i.layout = h.layout;
    i.now = now;
    h.state = mxdane::rollover::init(i).state;
    return h;
}

} // namespace mxdane::test
