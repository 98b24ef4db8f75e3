// The committer's memory of the projection keys it reads for every command: order views, parsed,
// and counters, as the store holds them. A hit saves a store lookup and, for an order, a JSON
// parse; what it answers always equals what load_order and load_counter read through the same
// OverlayReader.
//
// The writer keeps it true. What its projector writes into a pending WriteSet is staged here as
// well; commit(writes) keeps it once that WriteSet is stored, and forgets any other projection key
// the WriteSet changed. abort() forgets what was staged when the WriteSet is dropped. A write to
// the projections space in another way (a replay, a rebuild) must be followed by clear().
// Not thread-safe: one writer uses it, under the lock that orders its writes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/order.h"
#include "engine/status.h"
#include "engine/store/kv.h"

namespace dispatch {

class ProjectionCache {
 public:
  // About this many orders, and this many counters, are kept; beyond, the least recently read
  // half is forgotten. Orders are read again within a few commands of each other, so a few tens
  // of thousands keep the hits high. Counters are read for every change of folder, and there are
  // as many as owners times folders: the benchmark's province reads 60,000 of them in its first
  // 20,000 orders, which a bound shared with the orders kept missing (10% of reads). A counter
  // takes about 100 bytes, so all of a province's fit in about 13 MB.
  static constexpr std::size_t kDefaultOrderCapacity = 16384;
  static constexpr std::size_t kDefaultCounterCapacity = 131072;
  explicit ProjectionCache(std::size_t order_capacity = kDefaultOrderCapacity,
                           std::size_t counter_capacity = kDefaultCounterCapacity)
      : order_capacity_(order_capacity), counter_capacity_(counter_capacity) {}

  // Like load_order(reader, id).
  Result<std::optional<OrderState>> order(const OverlayReader& reader, const OrderId& id);
  // Like load_counter(reader, key). Only counters under n/, t/ and m/ are kept.
  Result<std::uint64_t> counter(const OverlayReader& reader, std::string_view key);

  // The pending WriteSet now holds this view of the order (keys::order) / this counter (0: the
  // key is deleted).
  void stage_order(const OrderState& order);
  void stage_counter(std::string_view key, std::uint64_t value);

  void commit(const WriteSet& stored);  // the pending WriteSet was stored
  void abort();                         // it was dropped
  void clear();                         // the projections space changed in another way

 private:
  // Two generations: reads hit the newer, or move an entry up from the older; when the newer
  // holds half the capacity, the older is dropped and the newer becomes it.
  template <class Key, class Value, class Hash = std::hash<Key>>
  struct Generations {
    using Map = std::unordered_map<Key, Value, Hash, std::equal_to<>>;
    Map newer;
    Map older;
    template <class Lookup>
    const Value* find(const Lookup& key, std::size_t half);
    void put(Key key, Value value, std::size_t half);
    template <class Lookup>
    void erase(const Lookup& key) {
      if (auto it = newer.find(key); it != newer.end()) newer.erase(it);
      if (auto it = older.find(key); it != older.end()) older.erase(it);
    }
    void clear() {
      newer.clear();
      older.clear();
    }
  };

  std::size_t order_capacity_;
  std::size_t counter_capacity_;
  Generations<OrderId, std::optional<OrderState>> orders_;
  Generations<std::string, std::uint64_t, StringKeyHash> counters_;
  std::unordered_map<OrderId, OrderState> staged_orders_;
  std::unordered_map<std::string, std::uint64_t, StringKeyHash, std::equal_to<>> staged_counters_;
};

}  // namespace dispatch
