// Internal to the rollover engine (engine.cpp, engine_steps.cpp,
// engine_auto.cpp): small shared helpers.
#pragma once

#include <algorithm>
#include <chrono>
#include <string>

#include "mxdane/engine.h"

namespace mxdane::rollover::detail {

using rotation::DnsView;
using rotation::KeyTimeline;

/// DNS shows `rec` in a secure RRset.
inline bool shows(const DnsView& dns, const tlsa::Record& rec) {
    return dns.security == DnsView::Security::secure && dns.exists &&
           std::find(dns.records.begin(), dns.records.end(), rec) != dns.records.end();
}

inline std::string key_text(const KeyTimeline& k) {
    return "key " + std::to_string(k.id);
}

inline std::string days_text(std::chrono::seconds s) {
    return std::to_string(s.count() / 86400) + " days";
}

inline std::string date_of(TimePoint t) {
    return rotation::format_time(t).substr(0, 10);
}

inline Action act(Action::Kind kind, bool ok, bool dry_run, std::string text) {
    return Action{kind, ok, dry_run, std::move(text)};
}

} // namespace mxdane::rollover::detail

namespace mxdane::rollover {
using detail::act;
using detail::date_of;
using detail::days_text;
using detail::key_text;
using detail::shows;
using rotation::DnsView;
using rotation::KeyTimeline;
using rotation::Step;
} // namespace mxdane::rollover
