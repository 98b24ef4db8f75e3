#include "projections/projection_cache.h"

#include "projections/projector.h"

namespace dispatch {
namespace {
// The counters' keys (projections/README.md): folder counts and m/ numbers. Only these are kept,
// so a committed WriteSet's many folder and search entries need no lookup here.
bool counter_key(std::string_view key) {
  return key.starts_with("n/") || key.starts_with("t/") || key.starts_with("m/");
}
}  // namespace

template <class Key, class Value, class Hash>
template <class Lookup>
const Value* ProjectionCache::Generations<Key, Value, Hash>::find(const Lookup& key,
                                                                  std::size_t half) {
  if (auto it = newer.find(key); it != newer.end()) return &it->second;
  auto it = older.find(key);
  if (it == older.end()) return nullptr;
  auto node = older.extract(it);
  put(std::move(node.key()), std::move(node.mapped()), half);
  return &newer.find(key)->second;
}

template <class Key, class Value, class Hash>
void ProjectionCache::Generations<Key, Value, Hash>::put(Key key, Value value, std::size_t half) {
  if (auto it = newer.find(key); it != newer.end()) {
    it->second = std::move(value);
    return;
  }
  if (newer.size() >= half) {
    older = std::move(newer);
    newer.clear();
  }
  older.erase(key);
  newer.emplace(std::move(key), std::move(value));
}

Result<std::optional<OrderState>> ProjectionCache::order(const OverlayReader& reader,
                                                         const OrderId& id) {
  if (reader.pending(Space::projections, keys::order(id))) {
    if (auto staged = staged_orders_.find(id); staged != staged_orders_.end()) {
      return std::optional<OrderState>(staged->second);
    }
    return load_order(reader, id);  // written by a projector that did not stage it here
  }
  if (const auto* known = orders_.find(id, order_capacity_ / 2)) return *known;
  auto loaded = load_order(reader, id);
  if (loaded.ok()) orders_.put(id, *loaded, order_capacity_ / 2);
  return loaded;
}

Result<std::uint64_t> ProjectionCache::counter(const OverlayReader& reader, std::string_view key) {
  // A counter the batch changed is read from the WriteSet, which holds it as a short string.
  if (!counter_key(key) || reader.pending(Space::projections, key)) {
    return load_counter(reader, key);
  }
  if (const auto* known = counters_.find(key, counter_capacity_ / 2)) return *known;
  auto loaded = load_counter(reader, key);
  if (loaded.ok()) counters_.put(std::string(key), *loaded, counter_capacity_ / 2);
  return loaded;
}

void ProjectionCache::stage_order(const OrderState& order) {
  staged_orders_.insert_or_assign(order.order_id, order);
}

void ProjectionCache::stage_counter(std::string_view key, std::uint64_t value) {
  if (!counter_key(key)) return;
  if (auto it = staged_counters_.find(key); it != staged_counters_.end()) {
    it->second = value;
  } else {
    staged_counters_.emplace(std::string(key), value);
  }
}

void ProjectionCache::commit(const WriteSet& stored) {
  // Keys written without being staged here (by a projector that does not use this cache) are
  // forgotten, so the next read goes to the store.
  for (const auto& op : stored.ops()) {
    if (op.space != Space::projections) continue;
    std::string_view key = op.key;
    if (key.starts_with("o/")) {
      OrderId id{std::string(key.substr(2))};
      if (!staged_orders_.contains(id)) orders_.erase(id);
    } else if (counter_key(key) && !staged_counters_.contains(key)) {
      counters_.erase(key);
    }
  }
  for (auto& [id, order] : staged_orders_) {
    orders_.put(id, std::optional<OrderState>(std::move(order)), order_capacity_ / 2);
  }
  for (auto& [key, value] : staged_counters_) counters_.put(key, value, counter_capacity_ / 2);
  abort();
}

void ProjectionCache::abort() {
  staged_orders_.clear();
  staged_counters_.clear();
}

void ProjectionCache::clear() {
  abort();
  orders_.clear();
  counters_.clear();
}

}  // namespace dispatch
