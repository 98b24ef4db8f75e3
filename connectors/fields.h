// Internal to the connectors' parsers: reading a platform payload's fields with the field's path
// in every message. The readers throw PayloadError, which each parser catches at its boundary
// (run_parser) and turns into an `invalid` Error; nothing here escapes a parser.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "connectors/shop_order.h"

namespace dispatch::connectors::detail {

struct PayloadError {
  std::string message;
  std::string field;
};

[[noreturn]] inline void fail(std::string message, std::string field) {
  throw PayloadError{std::move(message), std::move(field)};
}

// A platform's throwing parse of `payload`, as the Result its public parser returns.
template <class Parse>
Result<std::vector<ShopMessage>> run_parser(Parse&& parse, std::string_view payload) {
  try {
    return parse(payload);
  } catch (const PayloadError& e) {
    return make_error(ErrorCode::invalid, e.message, e.field);
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorCode::invalid,
                      std::string("the payload could not be read: ") + e.what());
  }
}

inline std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

inline const nlohmann::json& member(const nlohmann::json& j, const std::string& path,
                                    std::string_view key) {
  if (!j.is_object()) fail(path + " must be an object", path);
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    fail(join(path, key) + " is required but missing", join(path, key));
  }
  return *it;
}

inline const nlohmann::json* optional_member(const nlohmann::json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

inline std::string text(const nlohmann::json& j, const std::string& path, std::string_view key) {
  const auto& v = member(j, path, key);
  if (!v.is_string()) fail(join(path, key) + " must be a string", join(path, key));
  return v.get<std::string>();
}

inline std::string text_or_empty(const nlohmann::json& j, std::string_view key) {
  const auto* v = optional_member(j, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

inline std::string id(const nlohmann::json& v, const std::string& path) {
  auto r = id_text(v, path);
  if (!r.ok()) fail(r.error().message, path);
  return *r;
}

inline std::int64_t quantity(const nlohmann::json& v, const std::string& path) {
  auto r = quantity_of(v, path);
  if (!r.ok()) fail(r.error().message, path);
  return *r;
}

inline const nlohmann::json& array(const nlohmann::json& j, const std::string& path,
                                   std::string_view key) {
  const auto& v = member(j, path, key);
  if (!v.is_array()) fail(join(path, key) + " must be an array", join(path, key));
  return v;
}

// A modified/created time in the platforms' "yyyy-MM-dd HH:mm:ss"; empty when absent or not set.
inline std::string beijing_time(const nlohmann::json& j, const std::string& path,
                                std::string_view key) {
  std::string t = text_or_empty(j, key);
  if (!beijing_to_rfc3339(t)) {
    fail(join(path, key) + " must be a time as yyyy-MM-dd HH:mm:ss, not '" + t + "'",
         join(path, key));
  }
  return t.rfind("0001-01-01", 0) == 0 ? std::string() : t;
}

// Parses the payload as JSON; malformed JSON is a PayloadError.
inline nlohmann::json parse_json(std::string_view payload) {
  auto j = nlohmann::json::parse(payload.begin(), payload.end(), nullptr, false);
  if (j.is_discarded()) fail("the payload is not valid JSON", "");
  return j;
}

}  // namespace dispatch::connectors::detail
