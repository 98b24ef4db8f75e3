// The domain's value types shared by commands, events and state: unit and order kinds, the
// customer, sales lines, captured air-conditioner units. Enums spell on the wire exactly as in
// shared/CONTRACT.md; each has a to_string and a parse that returns nullopt for unknown text.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dispatch {

enum class UnitKind { sales_company, service_center, service_outlet, sales_center, sales_outlet };
enum class OrderKind { installation, delivery };
enum class Platform { tmall, jd, gree_mall };
enum class OrderStatus {
  pending_dispatch,
  pending_reassignment_approval,
  to_accept,
  to_process,
  pending_close,
  closed,
  cancelled,
};

std::string_view to_string(UnitKind kind);
std::string_view to_string(OrderKind kind);
std::string_view to_string(Platform platform);
std::string_view to_string(OrderStatus status);
std::optional<UnitKind> parse_unit_kind(std::string_view text);
std::optional<OrderKind> parse_order_kind(std::string_view text);
std::optional<Platform> parse_platform(std::string_view text);
std::optional<OrderStatus> parse_order_status(std::string_view text);

// Sales units (sales centers and outlets) pass orders to linked service outlets rather than down
// the tree.
bool is_sales_unit(UnitKind kind);

struct Customer {
  std::string name;
  std::string phone;
  std::string province;
  std::string city;
  std::string district;
  std::string address;
  friend bool operator==(const Customer&, const Customer&) = default;
};

struct Item {
  std::string model;
  std::int64_t quantity = 0;
  friend bool operator==(const Item&, const Item&) = default;
};

// Where an order made by a connector came from. Besides the contract's platform and order id,
// optional provenance flags (left out of the JSON when unset): the receiver is masked or
// encrypted and must be decrypted by the platform (`needs_decrypt`, with the platform's `oaid`
// to ask with), and no RouteRegion covered the receiver's region, so the order went to the
// connector's fallback unit (`unrouted`).
struct Source {
  // A constructor rather than an aggregate, so Source{platform, id} stays warning-free.
  Source() = default;
  Source(Platform platform, std::string platform_order_id, std::string oaid = {},
         bool needs_decrypt = false, bool unrouted = false)
      : platform(platform),
        platform_order_id(std::move(platform_order_id)),
        oaid(std::move(oaid)),
        needs_decrypt(needs_decrypt),
        unrouted(unrouted) {}

  Platform platform = Platform::tmall;
  std::string platform_order_id;
  std::string oaid;
  bool needs_decrypt = false;
  bool unrouted = false;
  friend bool operator==(const Source&, const Source&) = default;
};

// One air-conditioner set as captured on site: barcodes of the indoor and outdoor unit, photos.
struct CapturedUnit {
  std::string indoor_barcode;
  std::string outdoor_barcode;
  std::vector<std::string> photos;
  friend bool operator==(const CapturedUnit&, const CapturedUnit&) = default;
};

// JSON forms as in the contract. from_json throws nlohmann::json exceptions on bad input; callers
// at a boundary (command parsing, stored records) catch them and return an Error.
void to_json(nlohmann::json& j, UnitKind v);
void from_json(const nlohmann::json& j, UnitKind& v);
void to_json(nlohmann::json& j, OrderKind v);
void from_json(const nlohmann::json& j, OrderKind& v);
void to_json(nlohmann::json& j, Platform v);
void from_json(const nlohmann::json& j, Platform& v);
void to_json(nlohmann::json& j, OrderStatus v);
void from_json(const nlohmann::json& j, OrderStatus& v);
void to_json(nlohmann::json& j, const Customer& v);
void from_json(const nlohmann::json& j, Customer& v);
void to_json(nlohmann::json& j, const Item& v);
void from_json(const nlohmann::json& j, Item& v);
void to_json(nlohmann::json& j, const Source& v);
void from_json(const nlohmann::json& j, Source& v);
void to_json(nlohmann::json& j, const CapturedUnit& v);
void from_json(const nlohmann::json& j, CapturedUnit& v);

}  // namespace dispatch
