// SMTP reply parsing (RFC 5321 §4.2). Pure: bytes in, replies out.
#include <cctype>

#include "mxdane/names.h"
#include "mxdane/smtp.h"

namespace mxdane::smtp {
namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

} // namespace

std::string Reply::summary() const {
    std::string out = std::to_string(code);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        // The peer's text, echoed to a terminal: escaped.
        out += (i == 0 ? " " : " / ") + names::printable(lines[i]);
    }
    return out;
}

bool Reply::has_keyword(std::string_view keyword) const {
    // The first line of an EHLO reply is the greeting; keywords follow.
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const std::string_view l = lines[i];
        const std::string_view word = l.substr(0, l.find(' '));
        if (word.size() == keyword.size()) {
            bool same = true;
            for (std::size_t k = 0; k < word.size(); ++k) {
                same = same && std::toupper(static_cast<unsigned char>(word[k])) ==
                                   std::toupper(static_cast<unsigned char>(keyword[k]));
            }
            if (same) {
                return true;
            }
        }
    }
    return false;
}

Expected<std::optional<Reply>> ReplyParser::next() {
    Reply reply;
    std::size_t pos = 0;
    while (true) {
        const auto nl = m_buf.find('\n', pos);
        if (nl == std::string::npos) {
            if (m_buf.size() - pos > max_line + 2) {
                return Unexpected{"reply line longer than " + std::to_string(max_line) + " octets"};
            }
            return std::optional<Reply>{};
        }
        std::string_view line(m_buf.data() + pos, nl - pos);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.size() > max_line) {
            return Unexpected{"reply line longer than " + std::to_string(max_line) + " octets"};
        }
        if (line.size() < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]) || line[0] < '2' ||
            line[0] > '5' || (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
            return Unexpected{"not an SMTP reply line: \"" + names::printable(line.substr(0, 60)) + "\""};
        }
        const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
        if (reply.lines.empty()) {
            reply.code = code;
        } else if (code != reply.code) {
            return Unexpected{"multi-line reply changes its code from " + std::to_string(reply.code) + " to " +
                              std::to_string(code)};
        }
        if (reply.lines.size() == max_lines) {
            return Unexpected{"reply longer than " + std::to_string(max_lines) + " lines"};
        }
        reply.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
        pos = nl + 1;
        if (line.size() == 3 || line[3] == ' ') {
            m_buf.erase(0, pos);
            return std::optional<Reply>{std::move(reply)};
        }
    }
}

std::string_view outcome_name(Outcome o) {
    switch (o) {
    case Outcome::validated:
        return "dane-validated";
    case Outcome::no_starttls:
        return "no-starttls";
    case Outcome::tls_failed:
        return "tls-failed";
    case Outcome::no_match:
        return "no-match";
    case Outcome::connect_failed:
        return "connect-failed";
    case Outcome::smtp_error:
        return "smtp-error";
    case Outcome::timeout:
        return "timeout";
    }
    return "?";
}

} // namespace mxdane::smtp
