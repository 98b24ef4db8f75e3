#include "connectors/shop_order.h"

#include <array>
#include <cmath>
#include <utility>

namespace dispatch::connectors {
namespace {
using json = nlohmann::json;

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}
bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}
bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}
}  // namespace

std::string_view to_string(ShopStatus status) {
  switch (status) {
    case ShopStatus::unpaid:
      return "unpaid";
    case ShopStatus::paid:
      return "paid";
    case ShopStatus::closed:
      return "closed";
  }
  return "unknown";
}

std::optional<ShopStatus> parse_shop_status(std::string_view text) {
  for (ShopStatus s : {ShopStatus::unpaid, ShopStatus::paid, ShopStatus::closed}) {
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
}

std::string normalise_province(std::string_view name) {
  // The provincial-level names that do not simply take 省.
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 11> kSpecial{{
      {"北京", "北京市"},
      {"天津", "天津市"},
      {"上海", "上海市"},
      {"重庆", "重庆市"},
      {"内蒙古", "内蒙古自治区"},
      {"广西", "广西壮族自治区"},
      {"西藏", "西藏自治区"},
      {"宁夏", "宁夏回族自治区"},
      {"新疆", "新疆维吾尔自治区"},
      {"香港", "香港特别行政区"},
      {"澳门", "澳门特别行政区"},
  }};
  if (name.empty()) return {};
  for (const auto& [short_name, full] : kSpecial) {
    if (name == short_name) return std::string(full);
  }
  if (ends_with(name, "省") || ends_with(name, "市") || ends_with(name, "自治区") ||
      ends_with(name, "特别行政区")) {
    return std::string(name);
  }
  return std::string(name) + "省";
}

std::string normalise_city(std::string_view name) {
  if (name.empty()) return {};
  for (std::string_view suffix : {"市", "州", "盟", "区", "县", "地区"}) {
    if (ends_with(name, suffix)) return std::string(name);
  }
  return std::string(name) + "市";
}

bool looks_protected(std::string_view value) {
  if (value.find('*') != std::string_view::npos) return true;
  return value.size() >= 2 && starts_with(value, "~") && ends_with(value, "~");
}

Result<std::string> id_text(const json& v, const std::string& path) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s.empty()) return make_error(ErrorCode::invalid, path + " is empty", path);
    return s;
  }
  if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) {
    return std::to_string(v.get<std::int64_t>());
  }
  if (v.is_number_float()) {
    return make_error(
        ErrorCode::invalid,
        path + " does not fit a 64-bit integer; send it as a string (the *_str field)", path);
  }
  return make_error(ErrorCode::invalid, path + " must be a string or a non-negative integer", path);
}

Result<std::int64_t> quantity_of(const json& v, const std::string& path) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_string() && all_digits(v.get_ref<const std::string&>()) &&
      v.get_ref<const std::string&>().size() <= 9) {
    return static_cast<std::int64_t>(std::stoll(v.get<std::string>()));
  }
  return make_error(ErrorCode::invalid, path + " must be a whole number", path);
}

std::optional<std::string> beijing_to_rfc3339(std::string_view text) {
  if (text.empty() || starts_with(text, "0001-01-01")) return std::string();
  // yyyy-MM-dd HH:mm:ss
  if (text.size() != 19 || text[4] != '-' || text[7] != '-' || text[10] != ' ' || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  std::string out(text);
  out[10] = 'T';
  return out + "+08:00";
}

json to_json(const ShopOrder& o) {
  json lines = json::array();
  for (const auto& l : o.lines) {
    lines.push_back({{"model", l.model}, {"quantity", l.quantity}, {"id", l.id}});
  }
  return json{{"platform", o.platform},
              {"platform_order_id", o.platform_order_id},
              {"status", std::string(to_string(o.status))},
              {"platform_status", o.platform_status},
              {"receiver", o.receiver},
              {"oaid", o.oaid},
              {"needs_decrypt", o.needs_decrypt},
              {"lines", lines},
              {"modified", o.modified},
              {"note", o.note},
              {"refunded_lines", o.refunded_lines}};
}

Result<ShopOrder> shop_order_from_json(const json& j) {
  try {
    ShopOrder o;
    o.platform = j.at("platform").get<Platform>();
    o.platform_order_id = j.at("platform_order_id").get<std::string>();
    auto status = parse_shop_status(j.at("status").get<std::string>());
    if (!status) return make_error(ErrorCode::invalid, "a stored shop order has a bad status");
    o.status = *status;
    o.platform_status = j.at("platform_status").get<std::string>();
    o.receiver = j.at("receiver").get<Customer>();
    o.oaid = j.at("oaid").get<std::string>();
    o.needs_decrypt = j.at("needs_decrypt").get<bool>();
    for (const auto& l : j.at("lines")) {
      o.lines.push_back(ShopLine{l.at("model").get<std::string>(),
                                 l.at("quantity").get<std::int64_t>(), l.value("id", "")});
    }
    o.modified = j.at("modified").get<std::string>();
    o.note = j.at("note").get<std::string>();
    o.refunded_lines = j.value("refunded_lines", std::vector<std::string>());
    return o;
  } catch (const json::exception& e) {
    return make_error(ErrorCode::invalid,
                      std::string("a stored shop order is damaged: ") + e.what());
  }
}

}  // namespace dispatch::connectors
