// Plumbing: the library names no command-line option (README "Library").
#include <array>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "../../src/cli/flags.h"
#include "mxdane/error.h"
#include "mxdane/socket.h"
#include "mxdane/sys.h"

namespace {
namespace fs = std::filesystem;
using namespace mxdane;

/// The string literals of C++ `source`, comments left out.
std::vector<std::string> string_literals(const std::string& source) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < source.size(); ++i) {
        const char c = source[i];
        if (c == '/' && i + 1 < source.size() && source[i + 1] == '/') {
            i = source.find('\n', i);
            if (i == std::string::npos) {
                break;
            }
        } else if (c == '/' && i + 1 < source.size() && source[i + 1] == '*') {
            i = source.find("*/", i + 2);
            if (i == std::string::npos) {
                break;
            }
            ++i;
        } else if (c == '\'') {
            // A character literal: '"' must not open a string.
            for (++i; i < source.size() && source[i] != '\''; ++i) {
                i += source[i] == '\\' ? 1U : 0U;
            }
        } else if (c == '"') {
            std::string lit;
            for (++i; i < source.size() && source[i] != '"'; ++i) {
                if (source[i] == '\\' && i + 1 < source.size()) {
                    lit += source[i++];
                }
                lit += source[i];
            }
            out.push_back(lit);
        }
    }
    return out;
}

TEST(Sys, StringLiteralsSkipCommentsAndCharacters) {
    const auto lits = string_literals("// \"--a\"\nf('\"', \"x --b\"); /* \"--c\" */ g(\"y\\\"z\");");
    ASSERT_EQ(lits.size(), 2U);
    EXPECT_EQ(lits[0], "x --b");
    EXPECT_EQ(lits[1], "y\\\"z");
}

// The library words settings (setting_words); only the CLI names options.
TEST(Sys, LibraryStringsNameNoCommandLineOption) {
    const std::regex flag(R"((^|[^A-Za-z0-9-])--[a-z][a-z0-9-]*)");
    std::vector<std::string> found;
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(MXDANE_SOURCE_DIR) / "src" / "lib")) {
        const auto ext = entry.path().extension();
        if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".h")) {
            continue;
        }
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        for (const auto& lit : string_literals(text.str())) {
            if (std::regex_search(lit, flag)) {
                found.push_back(entry.path().filename().string() + ": \"" + lit + "\"");
            }
        }
    }
    std::string all;
    for (const auto& f : found) {
        all += f + "\n";
    }
    EXPECT_TRUE(found.empty()) << all;
}

TEST(Sys, TheCliWordsEverySettingByItsOption) {
    for (const Setting s : all_settings) {
        const std::string words(setting_words(s));
        EXPECT_EQ(words.find("--"), std::string::npos) << words;
        EXPECT_EQ(cli::with_flags("x " + words + " y"), "x " + std::string(cli::flag_of(s)) + " y") << words;
        // No wording is part of another, so the replacement is exact.
        for (const Setting t : all_settings) {
            if (t != s) {
                EXPECT_EQ(std::string(setting_words(t)).find(words), std::string::npos) << words;
            }
        }
    }
    EXPECT_EQ(cli::with_flags("the days setting must be between 1 and 9999, not 0"),
              "--days must be between 1 and 9999, not 0");
}

/// A loopback TCP listener on a port the kernel picks.
struct Listener {
    Fd fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    sockaddr_in addr{};
    Listener() {
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        // NOLINTBEGIN(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
        EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        EXPECT_EQ(::listen(fd.get(), 4), 0);
        EXPECT_EQ(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
        // NOLINTEND(cppcoreguidelines-pro-type-reinterpret-cast)
    }
    [[nodiscard]] const sockaddr* sa() const {
        return reinterpret_cast<const sockaddr*>(&addr); // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
    }
};

using Status = sys::IoResult::Status;

TEST(SysSocket, SendsReceivesAndSeesTheClose) {
    const Listener l;
    sys::DeadlineSocket s(AF_INET);
    ASSERT_TRUE(s.valid());
    const auto far = sys::SteadyClock::now() + std::chrono::seconds(30);
    ASSERT_EQ(s.connect(l.sa(), sizeof l.addr, far).status, Status::ok);
    {
        const Fd peer(::accept(l.fd.get(), nullptr, nullptr));
        ASSERT_GE(peer.get(), 0);
        const std::string hello = "220 hi\r\n";
        ASSERT_EQ(::send(peer.get(), hello.data(), hello.size(), 0), static_cast<ssize_t>(hello.size()));
        std::array<std::byte, 64> buf{};
        const auto got = s.recv_some(buf, far);
        ASSERT_EQ(got.status, Status::ok);
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), got.bytes), hello); // NOLINT
        const std::string quit = "QUIT\r\n";
        const auto sent = s.send_all(std::as_bytes(std::span(quit)), far);
        EXPECT_EQ(sent.status, Status::ok);
        EXPECT_EQ(sent.bytes, quit.size());
        std::array<char, 16> in{};
        EXPECT_EQ(::recv(peer.get(), in.data(), in.size(), 0), static_cast<ssize_t>(quit.size()));
        // A deadline already passed with nothing to read: timeout, at once.
        EXPECT_EQ(s.recv_some(buf, sys::SteadyClock::now()).status, Status::timeout);
    }
    std::array<std::byte, 8> buf{};
    EXPECT_EQ(s.recv_some(buf, far).status, Status::closed);
    // The peer is gone: a send fails (EPIPE or ECONNRESET), never SIGPIPE.
    const std::string more(1 << 20, 'x');
    sys::IoResult sent;
    for (int i = 0; i < 16 && sent.status == Status::ok; ++i) { // until the peer's RST is back
        sent = s.send_all(std::as_bytes(std::span(more)), far);
    }
    EXPECT_EQ(sent.status, Status::failed);
    EXPECT_TRUE(sent.error == EPIPE || sent.error == ECONNRESET) << sent.error;
}

TEST(SysSocket, ARefusedConnectionIsFailedWithItsErrno) {
    sockaddr_in addr{};
    {
        const Listener l; // a port that was free, closed again: nobody listens there
        addr = l.addr;
    }
    sys::DeadlineSocket s(AF_INET);
    const auto r = s.connect(reinterpret_cast<const sockaddr*>(&addr), sizeof addr, // NOLINT
                             sys::SteadyClock::now() + std::chrono::seconds(30));
    EXPECT_EQ(r.status, Status::failed);
    EXPECT_EQ(r.error, ECONNREFUSED);
}

TEST(SysText, HexAndTimeHaveOneCodec) {
    const std::vector<std::uint8_t> bytes{0x00, 0xab, 0xff};
    EXPECT_EQ(sys::hex_encode(bytes), "00abff");
    const auto decoded = sys::hex_decode("00ABff");
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, bytes);
    EXPECT_FALSE(sys::hex_decode("abc"));
    EXPECT_FALSE(sys::hex_decode("0g"));
    EXPECT_FALSE(sys::hex_decode("+1"));
    EXPECT_TRUE(sys::is_hex("09afAF"));
    EXPECT_FALSE(sys::is_hex("x"));
    // 1764448200 is 2025-11-29T20:30:00Z (date -u -d @1764448200).
    const auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1764448200));
    EXPECT_EQ(sys::utc_time(t), "2025-11-29T20:30:00Z");
    EXPECT_EQ(sys::utc_date(t), "2025-11-29");
}

} // namespace
