// The connectors' state in the store: shop-order snapshots round-trip, and dead letters keep
// their raw bytes exactly (not UTF-8 included), in order, until removed.
#define BOOST_TEST_MODULE connectors_store
#include "connectors/store.h"

#include <boost/test/unit_test.hpp>

using namespace dispatch;
using namespace dispatch::connectors;

BOOST_AUTO_TEST_CASE(shop_orders_round_trip) {
  auto kv = make_memory_kv();
  ConnectorStore store(*kv);
  BOOST_TEST(!store.shop_order(Platform::jd, "2911234567890123456")->has_value());
  ShopOrder o;
  o.platform = Platform::jd;
  o.platform_order_id = "2911234567890123456";
  o.status = ShopStatus::paid;
  o.platform_status = "WAIT_SELLER_STOCK_OUT";
  o.receiver = Customer{"~abc~", "~def~", "广东省", "珠海市", "香洲区", "~ghi~"};
  o.oaid = "o5KpE2t7Xabc";
  o.needs_decrypt = true;
  o.lines = {ShopLine{"KFR-26GW", 3, "100012345678"}};
  o.modified = "2026-11-20 10:01:00";
  BOOST_TEST_REQUIRE(store.put_shop_order(o).ok());
  auto back = store.shop_order(Platform::jd, "2911234567890123456");
  BOOST_TEST_REQUIRE(back.ok());
  BOOST_TEST_REQUIRE(back->has_value());
  BOOST_TEST((**back == o));
  BOOST_TEST(!store.shop_order(Platform::tmall, "2911234567890123456")->has_value());
}

BOOST_AUTO_TEST_CASE(dead_letters_keep_raw_bytes_in_order) {
  auto kv = make_memory_kv();
  ConnectorStore store(*kv);
  const std::string raw = std::string("{\"bad\":\"\xff\xfe\"}\nsecond line", 25);
  DeadLetter d{0, Platform::gree_mall, "feed.jsonl", 7, "not JSON", "2026-11-27T00:00:00Z", raw};
  BOOST_TEST(*store.add_dead_letter(d) == 1u);
  d.line = 8;
  BOOST_TEST(*store.add_dead_letter(d) == 2u);
  auto all = store.dead_letters();
  BOOST_TEST_REQUIRE(all.ok());
  BOOST_TEST_REQUIRE(all->size() == 2u);
  BOOST_TEST((*all)[0].raw == raw);
  BOOST_TEST((*all)[0].line == 7u);
  BOOST_TEST(((*all)[1].platform == Platform::gree_mall));
  BOOST_TEST_REQUIRE(store.remove_dead_letter(1).ok());
  BOOST_TEST(!store.dead_letter(1)->has_value());
  BOOST_TEST((*store.dead_letter(2))->line == 8u);
  // Ids are never given twice, even once the newest letters are gone.
  BOOST_TEST_REQUIRE(store.remove_dead_letter(2).ok());
  BOOST_TEST(*store.add_dead_letter(d) == 3u);
}

BOOST_AUTO_TEST_CASE(a_payload_named_for_good_is_dead_lettered_once_until_retried_away) {
  auto kv = make_memory_kv();
  ConnectorStore store(*kv);
  DeadLetter d{
      0, Platform::tmall, "kafka:shop.tmall/2", 41, "not JSON", "2026-11-27T00:00:00Z", "{oops"};
  BOOST_TEST(*store.add_dead_letter(d, true) == 1u);
  BOOST_TEST(*store.add_dead_letter(d, true) == 1u);  // read again after a crash
  d.line = 42;
  BOOST_TEST(*store.add_dead_letter(d, true) == 2u);  // another offset: another payload
  BOOST_TEST(store.dead_letters()->size() == 2u);
  BOOST_TEST_REQUIRE(store.remove_dead_letter(1).ok());
  d.line = 41;
  BOOST_TEST(*store.add_dead_letter(d, true) == 3u);  // once gone, it may be stored again
  // Without `once` (a file ingested again) every run stores its own.
  BOOST_TEST(*store.add_dead_letter(d) == 4u);
}

BOOST_AUTO_TEST_CASE(consumed_offsets_are_kept_per_topic_and_partition) {
  auto kv = make_memory_kv();
  ConnectorStore store(*kv);
  BOOST_TEST(store.consumed_offsets("shop.tmall")->empty());
  BOOST_TEST_REQUIRE(store.put_consumed_offsets("shop.tmall", {{0, 12}, {2, 7}}).ok());
  BOOST_TEST_REQUIRE(store.put_consumed_offsets("shop.jd", {{0, 3}}).ok());
  BOOST_TEST_REQUIRE(store.put_consumed_offsets("shop.tmall", {{2, 9}, {300, 1}}).ok());
  const std::map<std::uint32_t, std::int64_t> tmall{{0, 12}, {2, 9}, {300, 1}};
  BOOST_TEST((*store.consumed_offsets("shop.tmall") == tmall));
  BOOST_TEST(store.consumed_offsets("shop.jd")->size() == 1u);
  BOOST_TEST(store.consumed_offsets("shop")->empty());  // a prefix of a name is not the topic
}
