// Internal to command_json.cc and event_json.cc: strict readers of JSON fields that report the
// offending field's dotted path ("customer.phone", "items[0].quantity"). They throw FieldError,
// which the parsers catch at their boundary and turn into an `invalid` Error; nothing here is
// meant to escape a parser.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/status.h"
#include "engine/types.h"

namespace dispatch::detail {

struct FieldError {
  std::string message;
  std::string field;
};

inline bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

// "a string", "an object", ... for messages.
inline std::string describe(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "an integer";
    case nlohmann::json::value_t::number_float:
      return "a number with a fraction";
    default:
      return std::string("a ") + v.type_name();
  }
}

[[noreturn]] inline void wrong_type(const nlohmann::json& v, const std::string& path,
                                    std::string_view expected) {
  std::string message =
      "Field '" + path + "' must be " + std::string(expected) + ", not " + describe(v) + ".";
  throw FieldError{std::move(message), path};
}

inline std::string as_string(const nlohmann::json& v, const std::string& path) {
  if (!v.is_string()) wrong_type(v, path, "a string");
  const auto& s = v.get_ref<const std::string&>();
  if (!is_valid_utf8(s)) throw FieldError{"Field '" + path + "' is not valid UTF-8.", path};
  return s;
}

// Identifiers are always JSON strings (an all-digit id of 20 digits does not fit a number) and
// never empty.
inline std::string as_id(const nlohmann::json& v, const std::string& path) {
  if (!v.is_string()) wrong_type(v, path, "a non-empty string (identifiers are strings)");
  std::string s = as_string(v, path);
  if (s.empty()) throw FieldError{"Field '" + path + "' must not be empty.", path};
  return s;
}

inline std::int64_t as_int64(const nlohmann::json& v, const std::string& path) {
  if (v.is_number_integer() && !v.is_number_unsigned()) return v.get<std::int64_t>();
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return static_cast<std::int64_t>(u);
    }
    throw FieldError{"Field '" + path + "' is too large.", path};
  }
  // JSON Schema's "integer" includes 2.0; so do we. 2^63 itself is out of range.
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::trunc(d)) {
      if (d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
        return static_cast<std::int64_t>(d);
      }
      throw FieldError{"Field '" + path + "' is out of range.", path};
    }
  }
  wrong_type(v, path, "an integer");
}

inline std::uint64_t as_uint64(const nlohmann::json& v, const std::string& path) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer()) {
    const auto i = v.get<std::int64_t>();
    if (i >= 0) return static_cast<std::uint64_t>(i);
    throw FieldError{"Field '" + path + "' must not be negative.", path};
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::trunc(d)) {
      if (d >= 0 && d < 18446744073709551616.0) return static_cast<std::uint64_t>(d);
      throw FieldError{"Field '" + path + "' is out of range.", path};
    }
  }
  wrong_type(v, path, "a non-negative integer");
}

inline double as_double(const nlohmann::json& v, const std::string& path) {
  if (!v.is_number()) wrong_type(v, path, "a number");
  const double d = v.get<double>();
  if (!std::isfinite(d)) throw FieldError{"Field '" + path + "' must be a finite number.", path};
  return d;
}

inline std::string index_path(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// A JSON object being read, with its path ("" for the top level).
class Obj {
 public:
  // `what` names the top-level thing in messages ("A command", "An event").
  Obj(const nlohmann::json& j, std::string path, std::string_view what = {})
      : j_(j), path_(std::move(path)) {
    if (!j_.is_object()) {
      if (path_.empty()) {
        throw FieldError{std::string(what.empty() ? "The value" : what) +
                             " must be a JSON object, not " + describe(j_) + ".",
                         ""};
      }
      wrong_type(j_, path_, "an object");
    }
  }

  const std::string& path() const { return path_; }
  std::string path_of(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  // The member, or nullptr when absent.
  const nlohmann::json* find(std::string_view key) const {
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }
  const nlohmann::json& at(std::string_view key) const {
    const auto* v = find(key);
    if (v == nullptr) {
      const auto p = path_of(key);
      throw FieldError{"Field '" + p + "' is required but missing.", p};
    }
    return *v;
  }
  // An optional member: absent gives nullptr; present must not be null (leave it out instead).
  const nlohmann::json* optional(std::string_view key, std::string_view expected) const {
    const auto* v = find(key);
    if (v != nullptr && v->is_null()) {
      const auto p = path_of(key);
      throw FieldError{"Field '" + p + "' must be " + std::string(expected) +
                           ", not null; leave it out when there is none.",
                       p};
    }
    return v;
  }

  std::string str(std::string_view key) const { return as_string(at(key), path_of(key)); }
  // Optional string: absent reads as empty.
  std::string str_or_empty(std::string_view key) const {
    const auto* v = optional(key, "a string");
    return v == nullptr ? std::string() : as_string(*v, path_of(key));
  }
  template <class Id>
  Id id(std::string_view key) const {
    return Id(as_id(at(key), path_of(key)));
  }
  template <class Id>
  std::optional<Id> opt_id(std::string_view key) const {
    const auto* v = optional(key, "a non-empty string");
    if (v == nullptr) return std::nullopt;
    return Id(as_id(*v, path_of(key)));
  }
  template <class Id>
  std::vector<Id> id_list(std::string_view key, bool at_least_one) const {
    return id_list_of<Id>(at(key), path_of(key), at_least_one);
  }
  template <class Id>
  std::vector<Id> opt_id_list(std::string_view key) const {
    const auto* v = optional(key, "an array of strings");
    if (v == nullptr) return {};
    return id_list_of<Id>(*v, path_of(key), false);
  }
  std::vector<std::string> str_list(std::string_view key) const {
    const auto& v = at(key);
    const auto p = path_of(key);
    if (!v.is_array()) wrong_type(v, p, "an array of strings");
    std::vector<std::string> out;
    out.reserve(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) out.push_back(as_string(v[i], index_path(p, i)));
    return out;
  }
  // Optional boolean: absent reads as false.
  bool boolean_or_false(std::string_view key) const {
    const auto* v = optional(key, "a boolean");
    if (v == nullptr) return false;
    if (!v->is_boolean()) wrong_type(*v, path_of(key), "a boolean");
    return v->get<bool>();
  }
  std::int64_t int64(std::string_view key) const { return as_int64(at(key), path_of(key)); }
  std::uint64_t uint64(std::string_view key) const { return as_uint64(at(key), path_of(key)); }
  double number(std::string_view key) const { return as_double(at(key), path_of(key)); }
  // A number within [lo, hi] (a latitude, a longitude).
  double number_in(std::string_view key, double lo, double hi) const {
    const double d = number(key);
    if (d < lo || d > hi) {
      const auto p = path_of(key);
      throw FieldError{
          "Field '" + p + "' must be between " + trim_number(lo) + " and " + trim_number(hi) + ".",
          p};
    }
    return d;
  }
  const nlohmann::json& array(std::string_view key, std::string_view expected) const {
    const auto& v = at(key);
    if (!v.is_array()) wrong_type(v, path_of(key), expected);
    return v;
  }
  Obj object(std::string_view key) const { return Obj(at(key), path_of(key)); }

  // An enum spelled as one of its wire names; E's values are 0..N-1 and to_string(E) names them.
  template <class E, std::size_t N, class Parse>
  E enumeration(std::string_view key, Parse parse) const {
    const auto p = path_of(key);
    const auto& v = at(key);
    if (!v.is_string()) wrong_type(v, p, "a string");
    const auto& s = v.get_ref<const std::string&>();
    if (auto e = parse(s)) return *e;
    std::string names;
    for (std::size_t i = 0; i < N; ++i) {
      if (i > 0) names += ", ";
      names += to_string(static_cast<E>(i));
    }
    throw FieldError{"Field '" + p + "' must be one of " + names + "; '" + s + "' is not.", p};
  }

 private:
  template <class Id>
  static std::vector<Id> id_list_of(const nlohmann::json& v, const std::string& p,
                                    bool at_least_one) {
    if (!v.is_array()) wrong_type(v, p, "an array of strings");
    if (at_least_one && v.empty()) {
      throw FieldError{"Field '" + p + "' must list at least one identifier.", p};
    }
    std::vector<Id> out;
    out.reserve(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) out.emplace_back(as_id(v[i], index_path(p, i)));
    return out;
  }
  static std::string trim_number(double d) {
    std::string s = std::to_string(d);
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }

  const nlohmann::json& j_;
  std::string path_;
};

// The shared value types, read with paths. Customer: name, phone and address are required;
// province, city and district are optional (types.cc writes them only when non-empty).
inline Customer read_customer(const Obj& o) {
  Customer c;
  c.name = o.str("name");
  c.phone = o.str("phone");
  c.address = o.str("address");
  c.province = o.str_or_empty("province");
  c.city = o.str_or_empty("city");
  c.district = o.str_or_empty("district");
  return c;
}

// At least one sales line; each a model and a whole quantity.
inline std::vector<Item> read_items(const Obj& parent, std::string_view key) {
  const auto& v = parent.array(key, "an array of items");
  const auto p = parent.path_of(key);
  if (v.empty()) {
    throw FieldError{"Field '" + p + "' must list at least one item (model and quantity).", p};
  }
  std::vector<Item> items;
  items.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    Obj o(v[i], index_path(p, i));
    Item item;
    item.model = o.str("model");
    item.quantity = o.int64("quantity");
    items.push_back(std::move(item));
  }
  return items;
}

inline Source read_source(const Obj& o) {
  Source s;
  s.platform = o.enumeration<Platform, 3>("platform", parse_platform);
  s.platform_order_id = as_id(o.at("platform_order_id"), o.path_of("platform_order_id"));
  s.oaid = o.str_or_empty("oaid");
  s.needs_decrypt = o.boolean_or_false("needs_decrypt");
  s.unrouted = o.boolean_or_false("unrouted");
  return s;
}

// indoor_barcode, outdoor_barcode, photos: flat in `o`.
inline CapturedUnit read_captured(const Obj& o) {
  CapturedUnit u;
  u.indoor_barcode = o.str("indoor_barcode");
  u.outdoor_barcode = o.str("outdoor_barcode");
  u.photos = o.str_list("photos");
  return u;
}

inline std::vector<CapturedUnit> read_captured_list(const Obj& parent, std::string_view key) {
  const auto& v = parent.array(key, "an array of captured units");
  const auto p = parent.path_of(key);
  std::vector<CapturedUnit> units;
  units.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i)
    units.push_back(read_captured(Obj(v[i], index_path(p, i))));
  return units;
}

inline void write_captured_flat(nlohmann::json& j, const CapturedUnit& u) {
  j["indoor_barcode"] = u.indoor_barcode;
  j["outdoor_barcode"] = u.outdoor_barcode;
  j["photos"] = u.photos;
}

inline void put_if_not_empty(nlohmann::json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}

}  // namespace dispatch::detail
