// Names, and the two textual forms of a change: an nsupdate script and the
// environment of a hook.
#include "mxdane/publish.h"

namespace mxdane::publish {

std::string_view action_name(Action action) {
    return action == Action::add ? "add" : "delete";
}

std::string_view status_name(Status status) {
    switch (status) {
    case Status::ok:
        return "ok";
    case Status::unchanged:
        return "unchanged";
    case Status::refused:
        return "refused";
    case Status::notauth:
        return "notauth";
    case Status::badsig:
        return "badsig";
    case Status::badkey:
        return "badkey";
    case Status::badtime:
        return "badtime";
    case Status::prereq_failed:
        return "prereq-failed";
    case Status::notzone:
        return "notzone";
    case Status::formerr:
        return "formerr";
    case Status::server_failed:
        return "server-failed";
    case Status::bad_reply:
        return "bad-reply";
    case Status::unreachable:
        return "unreachable";
    case Status::timeout:
        return "timeout";
    case Status::hook_failed:
        return "hook-failed";
    }
    return "?";
}

std::string nsupdate_script(const Change& change, const std::optional<std::string>& zone) {
    std::string out;
    if (zone) {
        out += "zone " + *zone + "\n";
    }
    for (const auto& op : change.ops) {
        out += "update ";
        out += action_name(op.action);
        out += " " + change.owner + " ";
        if (op.action == Action::add) {
            out += std::to_string(op.ttl) + " ";
        }
        out += "IN TLSA " + tlsa::rdata_text(op.record) + "\n";
    }
    out += "send\n";
    return out;
}

std::vector<std::pair<std::string, std::string>> hook_environment(const Change& change,
                                                                  const std::optional<std::string>& zone) {
    std::vector<std::pair<std::string, std::string>> env;
    env.emplace_back("MXDANE_HOST", change.host);
    env.emplace_back("MXDANE_OWNER", change.owner);
    if (zone) {
        env.emplace_back("MXDANE_ZONE", *zone);
    }
    env.emplace_back("MXDANE_COUNT", std::to_string(change.ops.size()));
    for (std::size_t i = 0; i < change.ops.size(); ++i) {
        const auto& op = change.ops[i];
        const auto n = std::to_string(i + 1);
        env.emplace_back("MXDANE_ACTION_" + n, std::string(action_name(op.action)));
        env.emplace_back("MXDANE_TTL_" + n, std::to_string(op.ttl));
        env.emplace_back("MXDANE_RDATA_" + n, tlsa::rdata_text(op.record));
    }
    // The common rollover step touches one record: spare the hook the numbers.
    if (change.ops.size() == 1) {
        const auto& op = change.ops.front();
        env.emplace_back("MXDANE_ACTION", std::string(action_name(op.action)));
        env.emplace_back("MXDANE_TTL", std::to_string(op.ttl));
        env.emplace_back("MXDANE_RDATA", tlsa::rdata_text(op.record));
    }
    return env;
}

} // namespace mxdane::publish
