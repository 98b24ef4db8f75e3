#include "engine/types.h"

#include "engine/enum_names.h"

namespace dispatch {
namespace {
using detail::EnumNames;
using json = nlohmann::json;

constexpr EnumNames<UnitKind, 5> kUnitKinds{{{UnitKind::sales_company, "sales_company"},
                                             {UnitKind::service_center, "service_center"},
                                             {UnitKind::service_outlet, "service_outlet"},
                                             {UnitKind::sales_center, "sales_center"},
                                             {UnitKind::sales_outlet, "sales_outlet"}}};
constexpr EnumNames<OrderKind, 2> kOrderKinds{
    {{OrderKind::installation, "installation"}, {OrderKind::delivery, "delivery"}}};
constexpr EnumNames<Platform, 3> kPlatforms{
    {{Platform::tmall, "tmall"}, {Platform::jd, "jd"}, {Platform::gree_mall, "gree_mall"}}};
constexpr EnumNames<OrderStatus, 7> kStatuses{
    {{OrderStatus::pending_dispatch, "pending_dispatch"},
     {OrderStatus::pending_reassignment_approval, "pending_reassignment_approval"},
     {OrderStatus::to_accept, "to_accept"},
     {OrderStatus::to_process, "to_process"},
     {OrderStatus::pending_close, "pending_close"},
     {OrderStatus::closed, "closed"},
     {OrderStatus::cancelled, "cancelled"}}};

template <class E, std::size_t N>
E parse_or_throw(const EnumNames<E, N>& names, const json& j, const char* what) {
  auto parsed = names.parse(j.get<std::string>());
  if (!parsed) {
    throw json::other_error::create(
        501, std::string("unknown ") + what + " '" + j.get<std::string>() + "'", &j);
  }
  return *parsed;
}

// Optional string members are absent in JSON when empty, so records stay small.
void put_if(json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}
std::string get_or_empty(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() ? std::string() : it->get<std::string>();
}
}  // namespace

std::string_view to_string(UnitKind kind) { return kUnitKinds.name(kind); }
std::string_view to_string(OrderKind kind) { return kOrderKinds.name(kind); }
std::string_view to_string(Platform platform) { return kPlatforms.name(platform); }
std::string_view to_string(OrderStatus status) { return kStatuses.name(status); }
std::optional<UnitKind> parse_unit_kind(std::string_view text) { return kUnitKinds.parse(text); }
std::optional<OrderKind> parse_order_kind(std::string_view text) { return kOrderKinds.parse(text); }
std::optional<Platform> parse_platform(std::string_view text) { return kPlatforms.parse(text); }
std::optional<OrderStatus> parse_order_status(std::string_view text) {
  return kStatuses.parse(text);
}

bool is_sales_unit(UnitKind kind) {
  return kind == UnitKind::sales_center || kind == UnitKind::sales_outlet;
}

void to_json(json& j, UnitKind v) { j = std::string(to_string(v)); }
void from_json(const json& j, UnitKind& v) { v = parse_or_throw(kUnitKinds, j, "unit kind"); }
void to_json(json& j, OrderKind v) { j = std::string(to_string(v)); }
void from_json(const json& j, OrderKind& v) { v = parse_or_throw(kOrderKinds, j, "order kind"); }
void to_json(json& j, Platform v) { j = std::string(to_string(v)); }
void from_json(const json& j, Platform& v) { v = parse_or_throw(kPlatforms, j, "platform"); }
void to_json(json& j, OrderStatus v) { j = std::string(to_string(v)); }
void from_json(const json& j, OrderStatus& v) { v = parse_or_throw(kStatuses, j, "status"); }

void to_json(json& j, const Customer& v) {
  j = json{{"name", v.name}, {"phone", v.phone}, {"address", v.address}};
  put_if(j, "province", v.province);
  put_if(j, "city", v.city);
  put_if(j, "district", v.district);
}
void from_json(const json& j, Customer& v) {
  v.name = j.at("name").get<std::string>();
  v.phone = j.at("phone").get<std::string>();
  v.address = j.at("address").get<std::string>();
  v.province = get_or_empty(j, "province");
  v.city = get_or_empty(j, "city");
  v.district = get_or_empty(j, "district");
}
void to_json(json& j, const Item& v) { j = json{{"model", v.model}, {"quantity", v.quantity}}; }
void from_json(const json& j, Item& v) {
  v.model = j.at("model").get<std::string>();
  v.quantity = j.at("quantity").get<std::int64_t>();
}
void to_json(json& j, const Source& v) {
  j = json{{"platform", v.platform}, {"platform_order_id", v.platform_order_id}};
  if (!v.oaid.empty()) j["oaid"] = v.oaid;
  if (v.needs_decrypt) j["needs_decrypt"] = true;
  if (v.unrouted) j["unrouted"] = true;
}
void from_json(const json& j, Source& v) {
  v.platform = j.at("platform").get<Platform>();
  v.platform_order_id = j.at("platform_order_id").get<std::string>();
  v.oaid = j.contains("oaid") ? j.at("oaid").get<std::string>() : std::string();
  v.needs_decrypt = j.contains("needs_decrypt") && j.at("needs_decrypt").get<bool>();
  v.unrouted = j.contains("unrouted") && j.at("unrouted").get<bool>();
}
void to_json(json& j, const CapturedUnit& v) {
  j = json{{"indoor_barcode", v.indoor_barcode},
           {"outdoor_barcode", v.outdoor_barcode},
           {"photos", v.photos}};
}
void from_json(const json& j, CapturedUnit& v) {
  v.indoor_barcode = j.at("indoor_barcode").get<std::string>();
  v.outdoor_barcode = j.at("outdoor_barcode").get<std::string>();
  v.photos = j.at("photos").get<std::vector<std::string>>();
}

}  // namespace dispatch
