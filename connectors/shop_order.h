// The platform-neutral shop order the connectors' parsers produce and the mapping consumes.
//
// Each platform's parser (connectors/<platform>/parser.h) reads one payload in the platform's
// own format (schemas/connectors/) and yields shop messages: a ShopOrder is a whole snapshot of a
// shop order (Tmall trade fullinfo, one JD search result, one Gree mall feed record); a ShopNotice
// changes one thing about a shop order known from an earlier snapshot (a Tmall TMC message).
//
// Receiver fields are kept exactly as the platform sent them, masked (王**, *******1234) or
// encrypted (JD's ~…~ ciphertext) included; such an order has needs_decrypt set and keeps its
// oaid. Only province and city names are normalised (广东 → 广东省, 珠海 → 珠海市) so that they
// match the RouteRegion names.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/status.h"
#include "engine/types.h"

namespace dispatch::connectors {

// unpaid: waits for a later payload that says paid. paid: becomes work orders. closed: closed or
// refunded on the shop; its work orders are cancelled (or told, when already in progress).
enum class ShopStatus { unpaid, paid, closed };
std::string_view to_string(ShopStatus status);
std::optional<ShopStatus> parse_shop_status(std::string_view text);

struct ShopLine {
  std::string model;  // the outer SKU (the seller's model code), else the title
  std::int64_t quantity = 0;
  std::string id;  // the platform's line id (Tmall oid, JD skuId); may be empty
  friend bool operator==(const ShopLine&, const ShopLine&) = default;
};

struct ShopOrder {
  Platform platform = Platform::tmall;
  std::string platform_order_id;  // as the platform's digits, never through a double
  ShopStatus status = ShopStatus::unpaid;
  std::string platform_status;  // the platform's own word, e.g. WAIT_SELLER_SEND_GOODS
  Customer receiver;            // as it came; province and city normalised
  std::string oaid;
  bool needs_decrypt = false;
  std::vector<ShopLine> lines;
  std::string modified;  // "yyyy-MM-dd HH:mm:ss", Beijing time; empty when the platform gave none
  std::string note;      // the buyer's message, a booked installation time, …
  // Ids of lines refunded while the rest of the order stands (all refunded: status closed).
  std::vector<std::string> refunded_lines;
  friend bool operator==(const ShopOrder&, const ShopOrder&) = default;
};

struct ShopNotice {
  enum class Kind { paid, closed, refunded, address_changed };
  Platform platform = Platform::tmall;
  std::string platform_order_id;
  Kind kind = Kind::paid;
  std::optional<Customer> receiver;  // address_changed: the new receiver, as ShopOrder's
  bool needs_decrypt = false;
  std::string modified;
  std::string line_id;  // refunded: the one line refunded (Tmall oid); empty: the whole order
};

using ShopMessage = std::variant<ShopOrder, ShopNotice>;

// A ShopOrder stored in the connector state (connectors/store.h) and back.
nlohmann::json to_json(const ShopOrder& order);
Result<ShopOrder> shop_order_from_json(const nlohmann::json& j);

// ---- helpers the parsers share ----

// 广东 → 广东省, 内蒙古 → 内蒙古自治区, 北京 → 北京市; a full name is kept as it is.
std::string normalise_province(std::string_view name);
// 珠海 → 珠海市; names that already end in 市, 州, 盟, 区, 县 or 地区 are kept.
std::string normalise_city(std::string_view name);
// True when a receiver field came masked (contains *) or encrypted (JD: wrapped in ~).
bool looks_protected(std::string_view value);
// An id field that may be a JSON string or an integer up to 19 digits (never a double, which
// would lose digits). `invalid` naming `path` otherwise.
Result<std::string> id_text(const nlohmann::json& v, const std::string& path);
// A quantity given as an integer or a decimal string ("2").
Result<std::int64_t> quantity_of(const nlohmann::json& v, const std::string& path);
// "yyyy-MM-dd HH:mm:ss" (Beijing) as RFC 3339 with +08:00; empty for empty or JD's "not set"
// 0001-01-01 00:00:00; nullopt when malformed.
std::optional<std::string> beijing_to_rfc3339(std::string_view text);

}  // namespace dispatch::connectors
