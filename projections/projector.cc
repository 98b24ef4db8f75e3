#include "projections/projector.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "engine/json_text.h"
#include "projections/search.h"

namespace dispatch {
namespace {
using json = nlohmann::json;

char owner_tag(OwnerKind kind) { return kind == OwnerKind::unit ? 'u' : 's'; }

// Folder entries sort by the inverted position of the order's last change, so an ascending scan
// gives the newest update first.
std::string folder_entry_key(const Membership& m, const OrderState& order) {
  return keys::folder_prefix(m.owner_kind, m.owner, m.folder) +
         encode_be64(std::numeric_limits<std::uint64_t>::max() - order.last_position.value()) +
         order.order_id.str();
}

// Writes the difference between an order's search index entries before and after an event: only
// creation and the events that change its holder, its technicians or its customer change any.
void update_search_index(const std::optional<OrderState>& before, const OrderState& after,
                         const Org& org, WriteSet& writes) {
  if (before && same_search_index_entries(*before, after)) return;
  using Entries = std::vector<std::pair<std::string, std::string>>;
  const Entries old_entries = before ? search_index_entries(*before, org) : Entries{};
  const Entries new_entries = search_index_entries(after, org);
  for (const auto& [key, value] : old_entries) {
    if (std::none_of(new_entries.begin(), new_entries.end(),
                     [&key = key](const auto& e) { return e.first == key; })) {
      writes.del(Space::projections, key);
    }
  }
  for (const auto& entry : new_entries) {
    if (std::find(old_entries.begin(), old_entries.end(), entry) == old_entries.end()) {
      writes.put(Space::projections, entry.first, entry.second);
    }
  }
}

// folder_entry(order).dump(), written directly (json_text.h).
std::string dump_folder_entry(const OrderState& order) {
  detail::JsonText j(512);  // an entry is 250 to 400 bytes
  j.begin_object();
  j.key("created_at");
  j.string(order.created_at);
  j.key("customer");
  detail::write_customer(j, order.customer);
  j.key("holder");
  j.string(order.holder.str());
  j.key("kind");
  j.string(to_string(order.kind));
  j.key("order_id");
  j.string(order.order_id.str());
  j.key("status");
  j.string(to_string(order.status));
  j.key("updated_at");
  j.string(order.updated_at);
  j.end_object();
  if (!j.valid()) return folder_entry(order).dump();
  return j.take();
}

}  // namespace

json folder_entry(const OrderState& order) {
  return json{{"order_id", order.order_id},    {"kind", order.kind},
              {"status", order.status},        {"holder", order.holder},
              {"customer", order.customer},    {"created_at", order.created_at},
              {"updated_at", order.updated_at}};
}

namespace keys {
std::string order(const OrderId& id) { return "o/" + id.str(); }
std::string folder_prefix(OwnerKind kind, const std::string& owner, Folder folder) {
  std::string key = "f/";
  key += owner_tag(kind);
  key += '/';
  key += owner;
  key += '\0';
  key += folder_info(folder).name;
  key += '\0';
  return key;
}
std::string own_count(OwnerKind kind, const std::string& owner, Folder folder) {
  std::string key = "n/";
  key += owner_tag(kind);
  key += '/';
  key += owner;
  key += '\0';
  key += folder_info(folder).name;
  return key;
}
std::string subtree_count(const std::string& unit, Folder folder) {
  std::string key = "t/" + unit;
  key += '\0';
  key += folder_info(folder).name;
  return key;
}
}  // namespace keys

Result<std::optional<OrderState>> load_order(const OverlayReader& reader, const OrderId& id) {
  auto raw = reader.get(Space::projections, keys::order(id));
  if (!raw.ok()) return raw.error();
  if (!raw->has_value()) return std::optional<OrderState>();
  json j = json::parse(**raw, nullptr, false);
  if (j.is_discarded()) {
    return make_error(ErrorCode::invalid, "the stored view of order " + id.str() +
                                              " is not valid JSON; run `dispatchctl rebuild`");
  }
  auto order = order_from_json(j);
  if (!order.ok()) return order.error();
  return std::optional<OrderState>(std::move(order.value()));
}

Result<std::uint64_t> load_counter(const OverlayReader& reader, std::string_view key) {
  auto raw = reader.get(Space::projections, key);
  if (!raw.ok()) return raw.error();
  if (!raw->has_value()) return std::uint64_t{0};
  try {
    return static_cast<std::uint64_t>(std::stoull(**raw));
  } catch (const std::exception&) {
    return make_error(ErrorCode::invalid, "the counter at projection key '" + std::string(key) +
                                              "' is not a number; run `dispatchctl rebuild`");
  }
}

Result<Org> load_org(const Kv& kv) {
  Org org;
  std::optional<Error> failure;
  Status scanned = kv.scan(
      Space::projections, keys::kOrgPrefix, "", [&](std::string_view, std::string_view value) {
        json j = json::parse(value, nullptr, false);
        auto event = j.is_discarded()
                         ? Result<Event>(make_error(ErrorCode::invalid, "not valid JSON"))
                         : event_from_json(j);
        if (!event.ok()) {
          failure = make_error(ErrorCode::invalid, "a stored organisation event does not parse (" +
                                                       event.error().message +
                                                       "); run `dispatchctl rebuild`");
          return false;
        }
        org.apply(event.value());
        return true;
      });
  if (!scanned.ok()) return scanned.error();
  if (failure) return *failure;
  return org;
}

Status Projector::apply(const Event& event, const Kv& kv, WriteSet& writes,
                        std::vector<Membership>* touched) {
  OverlayReader reader(kv, writes);
  if (is_organisation_event(event)) {
    org_.apply(event);
    writes.put(Space::projections,
               std::string(keys::kOrgPrefix) + encode_be64(event.position.value()),
               to_json(event).dump());
  } else {
    Status s = apply_order_event(event, reader, writes, touched);
    if (!s.ok()) return s;
  }
  writes.put(Space::projections, std::string(keys::kApplied), encode_be64(event.position.value()));
  return Status::success();
}

Status Projector::apply_order_event(const Event& event, const OverlayReader& reader,
                                    WriteSet& writes, std::vector<Membership>* touched) {
  auto before = read_order(reader, event.order_id());
  if (!before.ok()) return before.error();
  return write_order_change(*before, evolve(*before, event, org_), reader, writes, touched);
}

Result<std::optional<OrderState>> Projector::read_order(const OverlayReader& reader,
                                                        const OrderId& id) {
  return cache_ != nullptr ? cache_->order(reader, id) : load_order(reader, id);
}

Status Projector::stage(const Event& event, const Kv& kv, WriteSet& writes) {
  staged_through_ = event.position;
  if (is_organisation_event(event)) return apply(event, kv, writes);
  OrderId id = event.order_id();
  auto it = staged_.find(id);
  if (it == staged_.end()) {
    // A stream's first event creates the order, so there is no view to read: a replay into an
    // empty store would otherwise look up, and miss, every order once.
    auto before = event.version == Version(1) ? std::optional<OrderState>()
                                              : read_order(OverlayReader(kv, writes), id);
    if (!before.ok()) return before.error();
    it = staged_.emplace(id, Staged{std::move(*before), OrderState{}}).first;
    if (it->second.before) it->second.now = *it->second.before;
  }
  evolve_in_place(it->second.now, event, org_);
  return Status::success();
}

Status Projector::flush(const Kv& kv, WriteSet& writes) {
  OverlayReader reader(kv, writes);
  for (const auto& [id, staged] : staged_) {
    Status s = write_order_change(staged.before, staged.now, reader, writes, nullptr);
    if (!s.ok()) return s;
  }
  staged_.clear();
  // Once per flush, not per event: the key is the same, and a replay stages a million events.
  if (staged_through_) {
    writes.put(Space::projections, std::string(keys::kApplied),
               encode_be64(staged_through_->value()));
    staged_through_.reset();
  }
  return Status::success();
}

Status Projector::write_order_change(const std::optional<OrderState>& before,
                                     const OrderState& after, const OverlayReader& reader,
                                     WriteSet& writes, std::vector<Membership>* touched) {
  std::vector<Membership> old_members;
  if (before.has_value()) {
    old_members = memberships(*before);
    for (const auto& m : old_members) {
      writes.del(Space::projections, folder_entry_key(m, *before));
    }
  }
  std::vector<Membership> new_members = memberships(after);
  std::string entry = dump_folder_entry(after);
  for (const auto& m : new_members) {
    writes.put(Space::projections, folder_entry_key(m, after), entry);
  }
  // Counters change only where membership does; an order moving to the top of the same folder
  // (feedback, check-in) keeps its counts.
  for (const auto& m : old_members) {
    if (std::find(new_members.begin(), new_members.end(), m) != new_members.end()) continue;
    Status s = count_membership(reader, writes, m, -1);
    if (!s.ok()) return s;
  }
  for (const auto& m : new_members) {
    if (std::find(old_members.begin(), old_members.end(), m) != old_members.end()) continue;
    Status s = count_membership(reader, writes, m, +1);
    if (!s.ok()) return s;
  }
  if (!before.has_value()) {
    Status s = add_to_counter(reader, writes, std::string(keys::kOrdersCreated), +1);
    if (!s.ok()) return s;
  }
  writes.put(Space::projections, keys::order(after.order_id), dump_order(after));
  if (cache_ != nullptr) cache_->stage_order(after);
  update_search_index(before, after, org_, writes);
  if (touched != nullptr) {
    touched->insert(touched->end(), old_members.begin(), old_members.end());
    for (const auto& m : new_members) {
      if (std::find(old_members.begin(), old_members.end(), m) == old_members.end()) {
        touched->push_back(m);
      }
    }
  }
  return Status::success();
}

Status Projector::count_membership(const OverlayReader& reader, WriteSet& writes,
                                   const Membership& m, std::int64_t delta) {
  Status s =
      add_to_counter(reader, writes, keys::own_count(m.owner_kind, m.owner, m.folder), delta);
  if (!s.ok() || m.owner_kind != OwnerKind::unit) return s;
  // Subtree counters: the unit itself and every ancestor, so stats never scans a subtree.
  UnitId unit(m.owner);
  s = add_to_counter(reader, writes, keys::subtree_count(m.owner, m.folder), delta);
  if (!s.ok()) return s;
  for (const auto& ancestor : org_.ancestors(unit)) {
    s = add_to_counter(reader, writes, keys::subtree_count(ancestor.str(), m.folder), delta);
    if (!s.ok()) return s;
  }
  return Status::success();
}

Status Projector::add_to_counter(const OverlayReader& reader, WriteSet& writes,
                                 const std::string& key, std::int64_t delta) {
  auto current = cache_ != nullptr ? cache_->counter(reader, key) : load_counter(reader, key);
  if (!current.ok()) return current.error();
  std::int64_t next = static_cast<std::int64_t>(*current) + delta;
  if (next <= 0) {
    writes.del(Space::projections, key);
  } else {
    writes.put(Space::projections, key, std::to_string(next));
  }
  if (cache_ != nullptr)
    cache_->stage_counter(key, next <= 0 ? 0 : static_cast<std::uint64_t>(next));
  return Status::success();
}

}  // namespace dispatch
