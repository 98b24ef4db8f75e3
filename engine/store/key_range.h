// Private to the Kv back ends: prefix arithmetic on byte-wise ordered keys.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dispatch {

inline bool has_prefix(std::string_view key, std::string_view prefix) {
  return key.substr(0, prefix.size()) == prefix;
}

// The smallest key greater than every key that starts with `prefix` (comparing bytes as
// unsigned); nullopt when there is none, i.e. the prefix is empty or all 0xFF bytes.
inline std::optional<std::string> prefix_successor(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xFF) end.pop_back();
  if (end.empty()) return std::nullopt;
  end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

}  // namespace dispatch
