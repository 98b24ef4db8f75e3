// The platforms' parsers: ids never through a double, statuses normalised, receivers kept as they
// came (masked, encrypted), regions normalised, and every refusal naming its field.
#define BOOST_TEST_MODULE connectors_parse
#include "connectors/parse.h"

#include <boost/test/unit_test.hpp>

using namespace dispatch;
using namespace dispatch::connectors;

namespace {
std::string trade(const std::string& tid_field,
                  const std::string& status = "WAIT_SELLER_SEND_GOODS",
                  const std::string& receiver_name = "王**") {
  return R"({"trade_fullinfo_get_response":{"trade":{)" + tid_field + R"(,"status":")" + status +
         R"(","modified":"2026-11-20 10:05:00","receiver_name":")" + receiver_name +
         R"(","receiver_mobile":"*******1234","receiver_state":"广东","receiver_city":"珠海",)"
         R"("receiver_district":"香洲区","receiver_address":"凤凰北路1号","oaid":"abc",)"
         R"("orders":{"order":[{"oid":1,"title":"格力 空调","outer_sku_id":"","num":"2"}]}}}})";
}

ShopOrder one(const Result<std::vector<ShopMessage>>& r) {
  BOOST_TEST_REQUIRE(r.ok(), (r.ok() ? "" : r.error().message));
  BOOST_TEST_REQUIRE(r->size() == 1u);
  return std::get<ShopOrder>(r->front());
}
}  // namespace

BOOST_AUTO_TEST_CASE(nineteen_digit_ids_keep_every_digit) {
  BOOST_TEST((one(parse_tmall(trade(R"("tid":9223372036854775807)"))).platform_order_id ==
              "9223372036854775807"));
  BOOST_TEST((one(parse_tmall(trade(R"("tid":4263919263128591234)"))).platform_order_id ==
              "4263919263128591234"));
  BOOST_TEST(
      (one(parse_tmall(trade(R"("tid":1,"tid_str":"4263919263128591234")"))).platform_order_id ==
       "4263919263128591234"));
  // Past 64 bits JSON gives a double: refused, never rounded.
  auto big = parse_tmall(trade(R"("tid":123456789012345678901234)"));
  BOOST_TEST_REQUIRE(!big.ok());
  BOOST_TEST(big.error().field == "trade_fullinfo_get_response.trade.tid");
}

BOOST_AUTO_TEST_CASE(receivers_are_kept_as_they_came_and_regions_normalised) {
  ShopOrder o = one(parse_tmall(trade(R"("tid_str":"1")")));
  BOOST_TEST(o.receiver.name == "王**");
  BOOST_TEST(o.receiver.phone == "*******1234");
  BOOST_TEST(o.needs_decrypt);
  BOOST_TEST(o.oaid == "abc");
  BOOST_TEST(o.receiver.province == "广东省");
  BOOST_TEST(o.receiver.city == "珠海市");
  BOOST_TEST(o.lines.size() == 1u);
  BOOST_TEST(o.lines[0].model == "格力 空调");  // no outer SKU: the title
  BOOST_TEST(o.lines[0].quantity == 2);
  BOOST_TEST(!one(parse_tmall(trade(R"("tid_str":"1")", "WAIT_SELLER_SEND_GOODS", "张三")))
                  .receiver.name.empty());
  BOOST_TEST(normalise_province("内蒙古") == "内蒙古自治区");
  BOOST_TEST(normalise_province("北京") == "北京市");
  BOOST_TEST(normalise_province("广东省") == "广东省");
  BOOST_TEST(normalise_city("珠海市") == "珠海市");
  BOOST_TEST(normalise_city("延边朝鲜族自治州") == "延边朝鲜族自治州");
  BOOST_TEST(looks_protected("~AgAAAAEAAAAIy3yj8Zl/N2w=~1~"));
  BOOST_TEST(!looks_protected("13800000000"));
}

BOOST_AUTO_TEST_CASE(statuses_are_normalised) {
  BOOST_TEST(
      (one(parse_tmall(trade(R"("tid_str":"1")", "WAIT_BUYER_PAY"))).status == ShopStatus::unpaid));
  BOOST_TEST(
      (one(parse_tmall(trade(R"("tid_str":"1")", "TRADE_FINISHED"))).status == ShopStatus::paid));
  BOOST_TEST(
      (one(parse_tmall(trade(R"("tid_str":"1")", "TRADE_CLOSED"))).status == ShopStatus::closed));
  auto unknown = parse_tmall(trade(R"("tid_str":"1")", "SOMETHING_ELSE"));
  BOOST_TEST_REQUIRE(!unknown.ok());
  BOOST_TEST(unknown.error().field == "trade_fullinfo_get_response.trade.status");
}

BOOST_AUTO_TEST_CASE(tmc_messages_become_notices) {
  auto r = parse_tmall(
      R"({"tmc_messages_consume_response":{"messages":{"tmc_message":[)"
      R"({"topic":"taobao_trade_TradeBuyerPay","pub_time":"2026-11-20 10:00:00","content":"{\"tid\":4263919263128591234}"},)"
      R"({"topic":"taobao_refund_RefundSuccess","content":"{\"tid\":7,\"modified\":\"2026-11-20 11:00:00\"}"}]}}})");
  BOOST_TEST_REQUIRE(r.ok(), (r.ok() ? "" : r.error().message));
  BOOST_TEST_REQUIRE(r->size() == 2u);
  const auto& pay = std::get<ShopNotice>((*r)[0]);
  BOOST_TEST(pay.platform_order_id == "4263919263128591234");
  BOOST_TEST((pay.kind == ShopNotice::Kind::paid));
  BOOST_TEST(pay.modified == "2026-11-20 10:00:00");
  BOOST_TEST((std::get<ShopNotice>((*r)[1]).kind == ShopNotice::Kind::refunded));
  auto topic = parse_tmall(
      R"({"tmc_messages_consume_response":{"messages":{"tmc_message":[{"topic":"taobao_item_ItemAdd","content":"{\"tid\":1}"}]}}})");
  BOOST_TEST_REQUIRE(!topic.ok());
  BOOST_TEST(topic.error().field == "tmc_messages_consume_response.messages.tmc_message[0].topic");
}

BOOST_AUTO_TEST_CASE(jd_not_set_times_and_missing_fields) {
  const std::string page =
      R"({"jingdong_pop_order_search_responce":{"searchorderinfo_result":{"orderInfoList":[)"
      R"({"orderId":"2911234567890123456","orderState":"WAIT_SELLER_STOCK_OUT","modified":"0001-01-01 00:00:00",)"
      R"("consigneeInfo":{"fullname":"~abc~","mobile":"~def~","province":"广东","city":"珠海","county":"香洲区","fullAddress":"~ghi~"},)"
      R"("itemInfoList":[{"skuId":"1","outerSkuId":"KFR-26GW","skuName":"格力","itemTotal":"3"}]}]}}})";
  ShopOrder o = one(parse_jd(page));
  BOOST_TEST(o.modified.empty());
  BOOST_TEST(o.needs_decrypt);
  BOOST_TEST(o.lines[0].quantity == 3);
  std::string missing = page;
  missing.erase(missing.find(R"("fullname":"~abc~",)"),
                std::string(R"("fullname":"~abc~",)").size());
  auto r = parse_jd(missing);
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().field ==
             "jingdong_pop_order_search_responce.searchorderinfo_result.orderInfoList[0]."
             "consigneeInfo.fullname");
  BOOST_TEST(!parse_jd("{not json").ok());
  BOOST_TEST(!parse_gree_mall(R"({"other":{}})").ok());
}
