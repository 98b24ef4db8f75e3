// The connectors' parsers: one payload in a platform's own format (schemas/connectors/) becomes
// the shop messages it carries (connectors/shop_order.h).
//
// Errors: `invalid` with a sentence and the offending field's path (e.g.
// "trade_fullinfo_get_response.trade.tid"), for malformed JSON, a missing or mistyped field, an
// unknown status or TMC topic. Pure and thread-safe; no exception escapes.
#pragma once

#include <string_view>
#include <vector>

#include "connectors/shop_order.h"

namespace dispatch::connectors {

// Tmall / Taobao TOP: {"trade_fullinfo_get_response": {"trade": {…}}} gives one ShopOrder;
// {"tmc_messages_consume_response": {"messages": {"tmc_message": [...]}}} gives one ShopNotice
// per message (topics taobao_trade_TradeBuyerPay, taobao_trade_TradeClose,
// taobao_trade_TradeLogisticsAddressChanged, taobao_refund_RefundSuccess).
Result<std::vector<ShopMessage>> parse_tmall(std::string_view payload);
// JD: one jingdong_pop_order_search_responce page gives one ShopOrder per orderInfoList entry.
Result<std::vector<ShopMessage>> parse_jd(std::string_view payload);
// Gree mall: {"gree_mall_order": {…}} (our own feed format, schemas/connectors/) gives one.
Result<std::vector<ShopMessage>> parse_gree_mall(std::string_view payload);

Result<std::vector<ShopMessage>> parse_payload(Platform platform, std::string_view payload);

}  // namespace dispatch::connectors
