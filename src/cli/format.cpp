#include "format.h"

#include <cerrno>
#include <cstdio>
#include <iostream>

#include "cli.h"
#include "mxdane/sys.h"

namespace mxdane::cli {
std::string date_utc(x509::Clock::time_point t) {
    return sys::utc_date(t);
}

std::string iso_utc(x509::Clock::time_point t) {
    return sys::utc_time(t);
}

nlohmann::json tlsa_json(const std::string& owner, const tlsa::Record& rec, std::optional<std::uint32_t> ttl) {
    return {{"owner", owner.empty() ? nlohmann::json(nullptr) : nlohmann::json(owner)},
            {"ttl", ttl ? nlohmann::json(*ttl) : nlohmann::json(nullptr)},
            {"usage", rec.usage},
            {"selector", rec.selector},
            {"mtype", rec.mtype},
            {"data", tlsa::to_hex(rec.data)}};
}

nlohmann::json json_top(const std::string& command, int exit, const std::vector<std::string>& warnings) {
    return {{"command", command}, {"exit", exit}, {"warnings", warnings}};
}

nlohmann::json time_json(std::optional<x509::Clock::time_point> t) {
    return t ? nlohmann::json(iso_utc(*t)) : nlohmann::json(nullptr);
}

namespace {
bool stdout_was_closed = false;
} // namespace

void note_stdout_was_closed() {
    stdout_was_closed = true;
}

std::optional<std::string> output_failure(std::ostream& out) {
    if (stdout_was_closed && &out == &std::cout) {
        return std::string("cannot write standard output: it was closed when mxdane started");
    }
    errno = 0;
    out.flush();
    int err = errno;
    bool failed = !out;
    if (&out == &std::cout) {
        // std::cout writes through C's stdout (synced): its buffer and its
        // error flag are the truth.
        if (std::fflush(stdout) != 0) {
            err = errno;
            failed = true;
        }
        failed = failed || std::ferror(stdout) != 0;
    }
    if (!failed) {
        return std::nullopt;
    }
    return "cannot write standard output" + (err != 0 ? ": " + sys::error_text(err) : std::string());
}

} // namespace mxdane::cli
