// Tmall / Taobao TOP payloads: taobao.trade.fullinfo.get responses and TMC messages.
#include <array>
#include <utility>

#include "connectors/fields.h"
#include "connectors/parse.h"

namespace dispatch::connectors {
namespace {
using json = nlohmann::json;
using namespace detail;

// Trade statuses of taobao.trade.fullinfo.get, by what they mean for work orders.
std::optional<ShopStatus> trade_status(std::string_view s) {
  static constexpr std::array<std::pair<std::string_view, ShopStatus>, 11> kStatuses{{
      {"TRADE_NO_CREATE_PAY", ShopStatus::unpaid},
      {"WAIT_BUYER_PAY", ShopStatus::unpaid},
      {"PAY_PENDING", ShopStatus::unpaid},
      {"WAIT_PRE_AUTH_CONFIRM", ShopStatus::unpaid},
      {"WAIT_SELLER_SEND_GOODS", ShopStatus::paid},
      {"SELLER_CONSIGNED_PART", ShopStatus::paid},
      {"WAIT_BUYER_CONFIRM_GOODS", ShopStatus::paid},
      {"TRADE_BUYER_SIGNED", ShopStatus::paid},
      {"TRADE_FINISHED", ShopStatus::paid},
      {"TRADE_CLOSED", ShopStatus::closed},
      {"TRADE_CLOSED_BY_TAOBAO", ShopStatus::closed},
  }};
  for (const auto& [name, status] : kStatuses) {
    if (name == s) return status;
  }
  return std::nullopt;
}

// The receiver_* fields of a trade (or of a TMC address-change content).
Customer receiver_of(const json& t, const std::string& path) {
  Customer c;
  c.name = text(t, path, "receiver_name");
  c.phone = text_or_empty(t, "receiver_mobile");
  if (c.phone.empty()) c.phone = text(t, path, "receiver_phone");
  c.province = normalise_province(text(t, path, "receiver_state"));
  c.city = normalise_city(text_or_empty(t, "receiver_city"));
  c.district = text_or_empty(t, "receiver_district");
  c.address = text(t, path, "receiver_address");
  return c;
}

bool is_protected(const Customer& c) {
  return looks_protected(c.name) || looks_protected(c.phone) || looks_protected(c.address);
}

std::string tid_of(const json& t, const std::string& path) {
  // tid_str exists because tid overflows JavaScript numbers; prefer it when both are there.
  if (const auto* s = optional_member(t, "tid_str")) return id(*s, join(path, "tid_str"));
  return id(member(t, path, "tid"), join(path, "tid"));
}

ShopOrder trade(const json& t, const std::string& path) {
  ShopOrder o;
  o.platform = Platform::tmall;
  o.platform_order_id = tid_of(t, path);
  o.platform_status = text(t, path, "status");
  auto status = trade_status(o.platform_status);
  if (!status) fail("unknown trade status " + o.platform_status, join(path, "status"));
  o.status = *status;
  o.receiver = receiver_of(t, path);
  o.oaid = text_or_empty(t, "oaid");
  o.needs_decrypt = is_protected(o.receiver);
  o.modified = beijing_time(t, path, "modified");
  o.note = text_or_empty(t, "buyer_message");
  std::string orders_path = join(path, "orders");
  const auto& list = array(member(t, path, "orders"), orders_path, "order");
  if (list.empty()) fail(orders_path + ".order lists no line", orders_path + ".order");
  bool all_refunded = true;
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string p = orders_path + ".order[" + std::to_string(i) + "]";
    ShopLine line;
    line.model = text_or_empty(list[i], "outer_sku_id");
    if (line.model.empty()) line.model = text(list[i], p, "title");
    line.quantity = quantity(member(list[i], p, "num"), join(p, "num"));
    if (const auto* oid = optional_member(list[i], "oid")) line.id = id(*oid, join(p, "oid"));
    if (text_or_empty(list[i], "refund_status") == "SUCCESS") {
      o.refunded_lines.push_back(line.id.empty() ? line.model : line.id);
    } else {
      all_refunded = false;
    }
    o.lines.push_back(std::move(line));
  }
  // Every line refunded: the trade is as good as closed, whatever its status says.
  if (all_refunded) o.status = ShopStatus::closed;
  return o;
}

ShopNotice tmc_message(const json& m, const std::string& path) {
  std::string topic = text(m, path, "topic");
  std::string content_path = join(path, "content");
  json content = json::parse(text(m, path, "content"), nullptr, false);
  if (content.is_discarded() || !content.is_object()) {
    fail(content_path + " is not a JSON object in a string", content_path);
  }
  ShopNotice n;
  n.platform = Platform::tmall;
  n.platform_order_id = id(member(content, content_path, "tid"), join(content_path, "tid"));
  n.modified = beijing_time(content, content_path, "modified");
  if (n.modified.empty()) n.modified = beijing_time(m, path, "pub_time");
  if (topic == "taobao_trade_TradeBuyerPay") {
    n.kind = ShopNotice::Kind::paid;
  } else if (topic == "taobao_trade_TradeClose") {
    n.kind = ShopNotice::Kind::closed;
  } else if (topic == "taobao_refund_RefundSuccess") {
    n.kind = ShopNotice::Kind::refunded;
    if (const auto* oid = optional_member(content, "oid")) {
      n.line_id = id(*oid, join(content_path, "oid"));
    }
  } else if (topic == "taobao_trade_TradeLogisticsAddressChanged") {
    n.kind = ShopNotice::Kind::address_changed;
    n.receiver = receiver_of(content, content_path);
    n.needs_decrypt = is_protected(*n.receiver);
  } else {
    fail("TMC topic " + topic + " is not one the connector handles", join(path, "topic"));
  }
  return n;
}

std::vector<ShopMessage> parse(std::string_view payload) {
  json j = parse_json(payload);
  std::vector<ShopMessage> out;
  if (const auto* r = optional_member(j, "trade_fullinfo_get_response")) {
    const std::string path = "trade_fullinfo_get_response";
    out.emplace_back(trade(member(*r, path, "trade"), path + ".trade"));
    return out;
  }
  if (const auto* r = optional_member(j, "tmc_messages_consume_response")) {
    const std::string path = "tmc_messages_consume_response.messages";
    const auto& list =
        array(member(*r, "tmc_messages_consume_response", "messages"), path, "tmc_message");
    for (std::size_t i = 0; i < list.size(); ++i) {
      out.emplace_back(tmc_message(list[i], path + ".tmc_message[" + std::to_string(i) + "]"));
    }
    return out;
  }
  fail("a Tmall payload is a trade_fullinfo_get_response or a tmc_messages_consume_response", "");
}
}  // namespace

Result<std::vector<ShopMessage>> parse_tmall(std::string_view payload) {
  return run_parser(parse, payload);
}

}  // namespace dispatch::connectors
