// The committer's cache of order views and counters answers what the store holds: after its own
// writes, after writes it did not see staged, after a dropped batch, and once it has forgotten.
#define BOOST_TEST_MODULE projection_cache
#include "projections/projection_cache.h"

#include <boost/test/unit_test.hpp>

#include "projections/projector.h"
#include "tests/support/orders.h"

using namespace dispatch;

namespace {
// The shared full order, with coordinates of many digits: a cached state equal to the stored one
// is then equal in every member.
OrderState full_order(const std::string& id) {
  OrderState o = dispatch::full_order(OrderId(id));
  o.lat = 22.270978312345678;
  o.lon = 113.576677101234567;
  return o;
}

void store_order(Kv& kv, const OrderState& order) {
  WriteSet writes;
  writes.put(Space::projections, keys::order(order.order_id), dump_order(order));
  BOOST_REQUIRE(kv.write(writes, false).ok());
}

std::optional<OrderState> cached(ProjectionCache& cache, const Kv& kv, const OrderId& id,
                                 const WriteSet& pending = {}) {
  auto read = cache.order(OverlayReader(kv, pending), id);
  BOOST_REQUIRE(read.ok());
  return *read;
}

std::uint64_t counter(ProjectionCache& cache, const Kv& kv, std::string_view key,
                      const WriteSet& pending = {}) {
  auto read = cache.counter(OverlayReader(kv, pending), key);
  BOOST_REQUIRE(read.ok());
  return *read;
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_committed_view_is_answered_from_memory_equal_to_the_stored_one) {
  auto kv = make_memory_kv();
  ProjectionCache cache;
  const OrderState order = full_order("AZ1");
  WriteSet writes;
  writes.put(Space::projections, keys::order(order.order_id), dump_order(order));
  cache.stage_order(order);
  BOOST_TEST((cached(cache, *kv, order.order_id, writes) == order));  // staged, not yet stored
  BOOST_REQUIRE(kv->write(writes, false).ok());
  cache.commit(writes);

  // The store is changed behind the cache: a hit shows it still answers from memory, and what it
  // answers is what load_order read from the view it was given.
  OrderState other = order;
  other.note = "changed behind the cache";
  store_order(*kv, other);
  auto hit = cached(cache, *kv, order.order_id);
  BOOST_REQUIRE(hit.has_value());
  BOOST_TEST(hit->note == "下午");
  WriteSet none;
  store_order(*kv, order);
  auto stored = load_order(OverlayReader(*kv, none), order.order_id);
  BOOST_REQUIRE(stored.ok());
  BOOST_TEST((*stored == hit));
}

BOOST_AUTO_TEST_CASE(a_view_written_without_being_staged_is_read_again_from_the_store) {
  auto kv = make_memory_kv();
  ProjectionCache cache;
  OrderState order = full_order("AZ1");
  store_order(*kv, order);
  BOOST_TEST((cached(cache, *kv, order.order_id) == order));  // now cached

  order.status = OrderStatus::closed;
  WriteSet writes;
  writes.put(Space::projections, keys::order(order.order_id), dump_order(order));
  // Pending but not staged: the cache reads the WriteSet, as load_order does.
  BOOST_TEST((cached(cache, *kv, order.order_id, writes)->status == OrderStatus::closed));
  BOOST_REQUIRE(kv->write(writes, false).ok());
  cache.commit(writes);
  BOOST_TEST((cached(cache, *kv, order.order_id)->status == OrderStatus::closed));
}

BOOST_AUTO_TEST_CASE(a_dropped_batch_leaves_the_stored_view) {
  auto kv = make_memory_kv();
  ProjectionCache cache;
  const OrderState order = full_order("AZ1");
  store_order(*kv, order);
  OrderState changed = order;
  changed.status = OrderStatus::closed;
  cache.stage_order(changed);
  cache.abort();
  BOOST_TEST((cached(cache, *kv, order.order_id)->status == order.status));
  BOOST_TEST(!cached(cache, *kv, OrderId("AZ2")).has_value());
}

BOOST_AUTO_TEST_CASE(counters_follow_the_batch_the_store_and_clear) {
  auto kv = make_memory_kv();
  ProjectionCache cache;
  const std::string key = keys::own_count(OwnerKind::unit, "S2100911", Folder::closed);
  BOOST_TEST(counter(cache, *kv, key) == 0u);

  WriteSet writes;
  writes.put(Space::projections, key, "3");
  cache.stage_counter(key, 3);
  BOOST_TEST(counter(cache, *kv, key, writes) == 3u);
  BOOST_REQUIRE(kv->write(writes, false).ok());
  cache.commit(writes);

  WriteSet behind;
  behind.put(Space::projections, key, "9");
  BOOST_REQUIRE(kv->write(behind, false).ok());
  BOOST_TEST(counter(cache, *kv, key) == 3u);  // a replay wrote it: only clear() tells the cache
  cache.clear();
  BOOST_TEST(counter(cache, *kv, key) == 9u);

  WriteSet removed;  // a counter that falls to zero is deleted
  removed.del(Space::projections, key);
  cache.stage_counter(key, 0);
  BOOST_REQUIRE(kv->write(removed, false).ok());
  cache.commit(removed);
  BOOST_TEST(counter(cache, *kv, key) == 0u);
}

BOOST_AUTO_TEST_CASE(the_cache_forgets_the_orders_read_least_recently_beyond_its_capacity) {
  auto kv = make_memory_kv();
  ProjectionCache cache(4);
  const OrderState first = full_order("AZ0");
  store_order(*kv, first);
  BOOST_TEST(cached(cache, *kv, first.order_id).has_value());
  for (int i = 1; i <= 10; ++i) {
    store_order(*kv, full_order("AZ" + std::to_string(i)));
    BOOST_TEST((cached(cache, *kv, OrderId("AZ" + std::to_string(i)))->order_id.str() ==
                "AZ" + std::to_string(i)));
  }
  OrderState changed = first;
  changed.note = "changed behind the cache";
  store_order(*kv, changed);
  BOOST_TEST(cached(cache, *kv, first.order_id)->note == "changed behind the cache");
}

BOOST_AUTO_TEST_CASE(counters_have_a_capacity_of_their_own) {
  auto kv = make_memory_kv();
  ProjectionCache cache(/*order_capacity=*/4, /*counter_capacity=*/64);
  const std::string key = keys::own_count(OwnerKind::unit, "S2100911", Folder::closed);
  WriteSet stored;
  stored.put(Space::projections, key, "3");
  BOOST_REQUIRE(kv->write(stored, false).ok());
  BOOST_TEST(counter(cache, *kv, key) == 3u);

  // Changed behind the cache: while the cache keeps the counter, a read still says 3.
  WriteSet behind;
  behind.put(Space::projections, key, "9");
  BOOST_REQUIRE(kv->write(behind, false).ok());
  const auto other = [](int i) {
    return keys::own_count(OwnerKind::unit, "U" + std::to_string(i), Folder::closed);
  };
  for (int i = 0; i < 20; ++i) BOOST_TEST(counter(cache, *kv, other(i)) == 0u);
  BOOST_TEST(counter(cache, *kv, key) == 3u);  // 21 counters: far more than 4, within 64

  for (int i = 20; i < 100; ++i) BOOST_TEST(counter(cache, *kv, other(i)) == 0u);
  BOOST_TEST(counter(cache, *kv, key) == 9u);  // beyond 64: forgotten, read from the store
}
