// The fixed exchange that fuzz_update_reply reads replies to, shared with
// the seed generator (make_seeds.cpp) so that its signed seeds verify.
#pragma once

#include <cstdint>

namespace fuzz_update {

inline constexpr std::uint16_t query_id = 0x4242;
inline constexpr const char* key_name = "upd-key.";
/// 32 bytes of base64, as tsig-keygen makes for hmac-sha256.
inline constexpr const char* secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=";
/// The clock of both sides: 2026-01-01T00:00:00Z.
inline constexpr std::int64_t now = 1767225600;
/// The request's MAC (any 32 bytes: only its value enters the reply's MAC).
inline constexpr std::uint8_t request_mac_byte(unsigned i) {
    return static_cast<std::uint8_t>(0xA0U + i);
}

} // namespace fuzz_update
