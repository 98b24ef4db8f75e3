// SHA-256 for the hash chain of the event log (log.h). Backed by OpenSSL's libcrypto.
#pragma once

#include <string>
#include <string_view>

namespace dispatch {

// The hash that the first log record's prev_hash names: 64 zeros.
inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// The SHA-256 of `data` as 64 lowercase hexadecimal digits. Thread-safe.
std::string sha256_hex(std::string_view data);

// `bytes` as lowercase hexadecimal, two digits a byte (digests, MACs, query cursors).
std::string to_hex(std::string_view bytes);

}  // namespace dispatch
