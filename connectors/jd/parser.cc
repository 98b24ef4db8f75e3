// JD: pages of jingdong.pop.order.search (the "responce" spelling is JD's own).
#include <array>
#include <utility>

#include "connectors/fields.h"
#include "connectors/parse.h"

namespace dispatch::connectors {
namespace {
using json = nlohmann::json;
using namespace detail;

std::optional<ShopStatus> order_state(std::string_view s) {
  static constexpr std::array<std::pair<std::string_view, ShopStatus>, 8> kStates{{
      {"WAIT_PAY", ShopStatus::unpaid},
      {"NOT_PAY", ShopStatus::unpaid},
      {"WAIT_SELLER_STOCK_OUT", ShopStatus::paid},
      {"WAIT_SELLER_DELIVERY", ShopStatus::paid},
      {"WAIT_GOODS_RECEIVE_CONFIRM", ShopStatus::paid},
      {"FINISHED_L", ShopStatus::paid},
      {"TRADE_CANCELED", ShopStatus::closed},
      {"TRADE_CANCELLED", ShopStatus::closed},
  }};
  for (const auto& [name, status] : kStates) {
    if (name == s) return status;
  }
  return std::nullopt;
}

ShopOrder order(const json& o, const std::string& path) {
  ShopOrder s;
  s.platform = Platform::jd;
  s.platform_order_id = id(member(o, path, "orderId"), join(path, "orderId"));
  s.platform_status = text(o, path, "orderState");
  auto status = order_state(s.platform_status);
  if (!status) fail("unknown order state " + s.platform_status, join(path, "orderState"));
  s.status = *status;
  std::string cpath = join(path, "consigneeInfo");
  const json& c = member(o, path, "consigneeInfo");
  s.receiver.name = text(c, cpath, "fullname");
  s.receiver.phone = text_or_empty(c, "mobile");
  if (s.receiver.phone.empty()) s.receiver.phone = text(c, cpath, "telephone");
  s.receiver.province = normalise_province(text(c, cpath, "province"));
  s.receiver.city = normalise_city(text_or_empty(c, "city"));
  s.receiver.district = text_or_empty(c, "county");
  s.receiver.address = text(c, cpath, "fullAddress");
  s.oaid = text_or_empty(o, "open_id_buyer");
  if (s.oaid.empty()) s.oaid = text_or_empty(o, "oaid");
  s.needs_decrypt = looks_protected(s.receiver.name) || looks_protected(s.receiver.phone) ||
                    looks_protected(s.receiver.address);
  s.modified = beijing_time(o, path, "modified");
  s.note = text_or_empty(o, "orderRemark");
  std::string ipath = join(path, "itemInfoList");
  const auto& items = array(o, path, "itemInfoList");
  if (items.empty()) fail(ipath + " lists no item", ipath);
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::string p = ipath + "[" + std::to_string(i) + "]";
    ShopLine line;
    line.model = text_or_empty(items[i], "outerSkuId");
    if (line.model.empty()) line.model = text(items[i], p, "skuName");
    line.quantity = quantity(member(items[i], p, "itemTotal"), join(p, "itemTotal"));
    line.id = text_or_empty(items[i], "skuId");
    s.lines.push_back(std::move(line));
  }
  return s;
}

std::vector<ShopMessage> parse(std::string_view payload) {
  json j = parse_json(payload);
  std::string path = "jingdong_pop_order_search_responce";
  const json& r = member(j, "", path);
  // The list sits in searchorderinfo_result in JD's answers; accept it directly under the
  // response too (some gateways flatten it).
  const json* holder = &r;
  if (const auto* inner = optional_member(r, "searchorderinfo_result")) {
    holder = inner;
    path += ".searchorderinfo_result";
  }
  const auto& list = array(*holder, path, "orderInfoList");
  std::vector<ShopMessage> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    out.emplace_back(order(list[i], path + ".orderInfoList[" + std::to_string(i) + "]"));
  }
  return out;
}
}  // namespace

Result<std::vector<ShopMessage>> parse_jd(std::string_view payload) {
  return run_parser(parse, payload);
}

}  // namespace dispatch::connectors
