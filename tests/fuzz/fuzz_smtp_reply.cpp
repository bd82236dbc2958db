// libFuzzer target: the SMTP reply parser (RFC 5321 §4.2) must never crash,
// must keep its limits, and must read the same replies whether the bytes
// arrive at once or in pieces (TCP may split them anywhere).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "mxdane/smtp.h"

namespace {

using mxdane::smtp::Reply;
using mxdane::smtp::ReplyParser;

struct Read {
    std::vector<Reply> replies;
    bool failed = false;
};

/// Drains every complete reply; stops at the first refusal.
bool drain(ReplyParser& p, Read& out) {
    while (true) {
        auto r = p.next();
        if (!r) {
            out.failed = true;
            return false;
        }
        if (!*r) {
            return true;
        }
        const Reply& reply = **r;
        if (reply.code < 200 || reply.code > 599 || reply.lines.empty() ||
            reply.lines.size() > ReplyParser::max_lines) {
            std::abort();
        }
        for (const auto& l : reply.lines) {
            if (l.size() > ReplyParser::max_line) {
                std::abort();
            }
        }
        (void)reply.summary();
        (void)reply.has_keyword("STARTTLS");
        out.replies.push_back(reply);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size); // NOLINT: fuzzer bytes

    Read whole;
    ReplyParser a;
    a.feed(bytes);
    (void)drain(a, whole);

    Read piecewise;
    ReplyParser b;
    // Pieces of 1 to 16 octets (the first octet picks the size): one octet
    // at a time would make every input quadratic.
    const std::size_t piece = size == 0 ? 1 : 1U + data[0] % 16U;
    for (std::size_t i = 0; i < bytes.size(); i += piece) {
        b.feed(bytes.substr(i, piece));
        if (!drain(b, piecewise)) {
            break;
        }
    }
    if (whole.failed != piecewise.failed || whole.replies.size() != piecewise.replies.size()) {
        std::abort();
    }
    for (std::size_t i = 0; i < whole.replies.size(); ++i) {
        if (whole.replies[i].code != piecewise.replies[i].code ||
            whole.replies[i].lines != piecewise.replies[i].lines) {
            std::abort();
        }
    }
    return 0;
}
