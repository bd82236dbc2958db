// Internal to the TLSA text parser (parse.cpp: the RRset; parse_record.cpp:
// one record): the helpers both halves use. Not part of the public API.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mxdane/tlsa_parse.h"

namespace mxdane::tlsa {

/// ASCII uppercase: mnemonics, types and classes compare case-blind.
std::string upper(std::string_view s);

/// IN, CH, CS, HS or CLASSn (RFC 1035 §3.2.4, RFC 3597 §5), any case.
bool is_class(std::string_view s);

/// 3600, or BIND style 1h30m.
bool is_ttl(std::string_view s);

/// Another type's mnemonic, or TYPEn: an entry to skip, not to
/// misread as TLSA.
bool is_other_type(std::string_view s);

/// RFC 6698 §2.2 presentation: usage selector mtype hex (whitespace allowed
/// inside the hex).
Expected<Record> parse_rdata(const std::vector<std::string>& rd);

} // namespace mxdane::tlsa
