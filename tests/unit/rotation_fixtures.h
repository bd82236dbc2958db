// Shared by the rotation unit tests (test_rotation.cpp: the planner;
// test_rotation_state.cpp: state file, settings, lock, times): one host's
// keys and DNS views at a fixed time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "mxdane/rotation.h"

namespace mxdane::rotation::fixtures {

using std::chrono::hours;

inline const TimePoint t0 = Clock::from_time_t(1795867200); // 2026-11-28T12:00:00Z

inline tlsa::Record rec(std::uint8_t fill) {
    return tlsa::Record{3, 1, 1, tlsa::Bytes(32, fill)};
}

inline KeyTimeline key(std::uint32_t id, std::uint8_t fill) {
    KeyTimeline k;
    k.id = id;
    k.key_file = "/keys/mx1.example.net-MX-2026112" + std::to_string(id) + ".key";
    k.cert_file = "/certs/mx1.example.net-MX-SS-2026112" + std::to_string(id) + ".crt";
    k.record = rec(fill);
    k.created = t0 - hours(24 * 400);
    return k;
}

/// Key 1 in service and published; key 2 staged at t0.
inline State staged() {
    State s;
    s.host = "mx1.example.net";
    auto k1 = key(1, 0x11);
    k1.published = t0 - hours(24 * 400);
    k1.active = t0 - hours(24 * 400);
    k1.max_ttl_seen = 3600;
    auto k2 = key(2, 0x22);
    k2.created = t0;
    s.keys = {k1, k2};
    return s;
}

inline DnsView secure(std::vector<tlsa::Record> recs, std::uint32_t ttl = 3600) {
    DnsView d;
    d.security = DnsView::Security::secure;
    d.exists = !recs.empty();
    d.records = std::move(recs);
    d.ttl = ttl;
    return d;
}

} // namespace mxdane::rotation::fixtures
