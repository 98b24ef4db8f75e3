// A table of an enum's wire names, so each enum's to_string and parse are written once.
#pragma once

#include <optional>
#include <string_view>
#include <utility>

namespace dispatch::detail {

template <class E, std::size_t N>
struct EnumNames {
  std::pair<E, std::string_view> entries[N];

  constexpr std::string_view name(E value) const {
    for (const auto& [e, n] : entries) {
      if (e == value) return n;
    }
    return {};
  }
  constexpr std::optional<E> parse(std::string_view text) const {
    for (const auto& [e, n] : entries) {
      if (n == text) return e;
    }
    return std::nullopt;
  }
};

}  // namespace dispatch::detail
