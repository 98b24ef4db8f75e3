// Applies events to the projections space: order views, folder indexes, own and subtree counters,
// the search indexes (projections/search.h), the organisation's events, and the position applied.
// The key layout is in projections/README.md. The engine calls it inside the same WriteSet as the
// log append, so projections and log commit together; rebuild and verify call it to replay the log.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>

#include "engine/event.h"
#include "engine/order.h"
#include "engine/org.h"
#include "engine/status.h"
#include "engine/store/kv.h"
#include "projections/folders.h"
#include "projections/projection_cache.h"

namespace dispatch {

namespace keys {
inline constexpr std::string_view kApplied = "m/applied";
inline constexpr std::string_view kOrdersCreated = "m/orders_created";
std::string order(const OrderId& id);
// The prefix of one folder's entries: entries sort newest update first under it.
std::string folder_prefix(OwnerKind kind, const std::string& owner, Folder folder);
std::string own_count(OwnerKind kind, const std::string& owner, Folder folder);
std::string subtree_count(const std::string& unit, Folder folder);
inline constexpr std::string_view kOrgPrefix = "g/";
}  // namespace keys

// Reads an order's view; nullopt when it does not exist; `unavailable` or `invalid` (a record
// that does not parse) otherwise.
Result<std::optional<OrderState>> load_order(const OverlayReader& reader, const OrderId& id);
// A counter in the projections space (0 when absent).
Result<std::uint64_t> load_counter(const OverlayReader& reader, std::string_view key);
// Rebuilds the organisation from the organisation events recorded in the projections space.
Result<Org> load_org(const Kv& kv);
// An order as a folder (and search) entry shows it: {"order_id", "kind", "status", "holder",
// "customer", "created_at", "updated_at"}.
nlohmann::json folder_entry(const OrderState& order);

class Projector {
 public:
  // The projector updates `org` as organisation events pass; the caller guards concurrent readers.
  // With a cache, apply reads order views and counters through it and stages there what it
  // writes; the caller commits or aborts the cache with the WriteSet (projection_cache.h).
  explicit Projector(Org& org, ProjectionCache* cache = nullptr) : org_(org), cache_(cache) {}

  // Adds to `writes` what `event` changes. Precondition: the event has its position, and events
  // are applied in position order. Errors: reading the projections failed (`unavailable`), or the
  // stored view of the order does not parse (`invalid`). When `touched` is given, the folders
  // whose contents the event changed (the order's folders before and after it) are appended.
  Status apply(const Event& event, const Kv& kv, WriteSet& writes,
               std::vector<Membership>* touched = nullptr);

  // Replay: like apply, but an order event only evolves the order's state in memory; flush()
  // then writes, once per order, the difference between its state before the first staged
  // event and after the last, and the position applied (the last staged event's). Every
  // projection is a function of the order's state, so the result equals applying the events one
  // by one, without parsing and writing each order's view at every event. Organisation events
  // are applied at once, in order, as apply does.
  Status stage(const Event& event, const Kv& kv, WriteSet& writes);
  Status flush(const Kv& kv, WriteSet& writes);

 private:
  Status apply_order_event(const Event& event, const OverlayReader& reader, WriteSet& writes,
                           std::vector<Membership>* touched);
  // Writes what changes when an order goes from `before` to `after`.
  Status write_order_change(const std::optional<OrderState>& before, const OrderState& after,
                            const OverlayReader& reader, WriteSet& writes,
                            std::vector<Membership>* touched);
  Status add_to_counter(const OverlayReader& reader, WriteSet& writes, const std::string& key,
                        std::int64_t delta);
  Status count_membership(const OverlayReader& reader, WriteSet& writes, const Membership& m,
                          std::int64_t delta);
  Result<std::optional<OrderState>> read_order(const OverlayReader& reader, const OrderId& id);

  Org& org_;
  ProjectionCache* cache_;
  struct Staged {
    std::optional<OrderState> before;  // as the projections hold it
    OrderState now;
  };
  std::unordered_map<OrderId, Staged> staged_;
  std::optional<Position> staged_through_;  // the last event staged since the last flush
};

}  // namespace dispatch
