#include "engine/status.h"

#include <array>
#include <utility>

namespace dispatch {
namespace {
constexpr std::array<std::pair<ErrorCode, std::string_view>, 7> kCodes{{
    {ErrorCode::invalid, "invalid"},
    {ErrorCode::not_found, "not_found"},
    {ErrorCode::forbidden, "forbidden"},
    {ErrorCode::invalid_state, "invalid_state"},
    {ErrorCode::conflict, "conflict"},
    {ErrorCode::unavailable, "unavailable"},
    {ErrorCode::unauthenticated, "unauthenticated"},
}};
}  // namespace

std::string_view to_string(ErrorCode code) {
  for (const auto& [c, name] : kCodes) {
    if (c == code) return name;
  }
  return "invalid";
}

std::optional<ErrorCode> error_code_from_string(std::string_view text) {
  for (const auto& [c, name] : kCodes) {
    if (name == text) return c;
  }
  return std::nullopt;
}

}  // namespace dispatch
